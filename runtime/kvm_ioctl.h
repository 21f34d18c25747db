/* SPDX-License-Identifier: MIT */
/*
 * kvm_ioctl.h - the one seam between libkvmprof and the kernel.
 *
 * Every ioctl() of the library goes through kvmprof_sys_ioctl(), which calls
 * the installed backend: the real one by default. Error-path unit tests may
 * install a FAKE backend (usually wrapping the real one) to inject EINTR,
 * EINVAL or short KVM_SET_MSRS counts. Real-KVM tests never do.
 */
#ifndef KVMPROF_KVM_IOCTL_H
#define KVMPROF_KVM_IOCTL_H

#include <stddef.h>
#include <stdint.h>

#include "kvmprof.h" /* struct kvmprof_sys, kvmprof_sys_install() */

/* ioctl through the backend; retries EINTR a bounded number of times.
 * Returns the ioctl's value (>= 0) or -errno. */
int kvmprof_sys_ioctl(int fd, unsigned long req, void *arg);

/* Running kernel as KVMPROF_KERNEL_VERSION, 0 if unknown. */
unsigned long long kvmprof_sys_kernel_version(void);

/* enum kvmprof_arch of the kernel behind the backend (the real one: from
 * uname(2)'s machine), KVMPROF_ARCH_NONE if unknown. */
uint32_t kvmprof_sys_host_arch(void);

#endif /* KVMPROF_KVM_IOCTL_H */
