/* SPDX-License-Identifier: MIT */
/*
 * capture.h - reads what the running kernel presents to a fresh VM (the
 * `kvmprof capture` verb and the static kvmprof-capture program). Needs no
 * libyaml: the result is written with yaml_out.c and host_out.c.
 */
#ifndef KVMPROF_CAPTURE_H
#define KVMPROF_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"
#include "profile.h"

struct capture_opts {
	const char *name;     /* profile name; NULL: capture_default_name() */
	const char *kvm_path; /* NULL: /dev/kvm */
	/* arm64: vCPU features to enable besides psci-0.2, comma-separated
	 * database names ("sve,ptrauth-address,ptrauth-generic,has-el2"); each
	 * only where the kernel offers its capability (the others are named in
	 * the provenance key "vcpu-features-not-offered"). sve is finalized
	 * (KVM_ARM_VCPU_FINALIZE) with KVM's default vector lengths. NULL: none. */
	const char *vcpu_features;
};

/*
 * Creates a scratch VM (x86: with an in-kernel irqchip; arm64: a vCPU with
 * PSCI 0.2 and a vGICv3), reads its defaults and the host's facts, and
 * fills *p (a profile: vCPU features, registers the database knows and KVM
 * lists, vGIC registers) and *h (the host: section). Returns 0, or -errno
 * with a message in err.
 */
int capture_run(const struct capture_opts *o, struct profile **p, struct host_facts *h,
		char *err, size_t errlen);

/* ioctl(2) on this host's /dev/kvm, a VM or a vCPU, EINTR retried: the
 * ioctl's value, or -errno. */
int host_ioctl(int fd, unsigned long req, void *arg);

/* KVM_GET_REG_LIST of vcpu_fd into a malloc'd *ids of *n: 1, or 0 when
 * the kernel has no register list, or -errno (-E2BIG: implausibly long). */
int host_reg_list(int vcpu_fd, uint64_t **ids, size_t *n);

/* linux-<major.minor>-<arch>-<hostname or cpu>, lower case, [a-z0-9.-]. */
void capture_default_name(char *buf, size_t len);

/* The whole capture as YAML: profile_write_yaml, vcpu: register-set:, host:. */
int capture_write(FILE *out, const struct profile *p, const struct host_facts *h);

#endif /* KVMPROF_CAPTURE_H */
