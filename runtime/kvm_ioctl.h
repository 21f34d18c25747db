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

struct kvmprof_sys {
	/* Returns the ioctl's value (>= 0) or -errno. */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	/* Writes the running kernel's release ("6.12.117-...") into buf. */
	int (*uname_release)(void *ctx, char *buf, size_t len);
	void *ctx;
};

/* The real backend (ioctl(2), uname(2)). */
extern const struct kvmprof_sys kvmprof_sys_real;

/*
 * Installs ops as the backend of every later call (NULL: the real one) and
 * returns the previous backend. Not thread-safe: for single-threaded tests.
 */
const struct kvmprof_sys *kvmprof_sys_install(const struct kvmprof_sys *ops);

/* ioctl through the backend; retries EINTR a bounded number of times.
 * Returns the ioctl's value (>= 0) or -errno. */
int kvmprof_sys_ioctl(int fd, unsigned long req, void *arg);

/* Running kernel as KVMPROF_KERNEL_VERSION, 0 if unknown. */
unsigned long long kvmprof_sys_kernel_version(void);

#endif /* KVMPROF_KVM_IOCTL_H */
