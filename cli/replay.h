/* SPDX-License-Identifier: MIT */
/*
 * replay.h - an EMULATION of a captured kernel for offline checks.
 *
 * `kvmprof check PROFILE --against CAPTURE` installs this backend with
 * kvmprof_sys_install() and runs libkvmprof as usual: every ioctl the
 * runtime issues is answered from the capture's host: facts instead of a
 * kernel, so the offline verdict comes from the same validation and apply
 * code as a live one. It is only as good as the capture: what the capture
 * does not record is answered as unknown (and reported so), never guessed.
 *
 * What it answers (the file descriptors are fake; see replay.c):
 *   KVM_CHECK_EXTENSION        the captured value (a capability the capture
 *                              lacks: 0, noted as unknown)
 *   KVM_ENABLE_CAP             accepted when the capability is offered and
 *                              (quirks, x2APIC) the flags are a subset
 *   KVM_GET_REG_LIST           the captured list
 *   KVM_GET_ONE_REG            the captured default, or what was written
 *   KVM_SET_ONE_REG            the same value: accepted. arm64 with writable
 *                              masks: KVM's own rule (set_id_reg ->
 *                              arm64_check_features): each field written
 *                              within the writable mask by its database rule
 *                              (lower-safe, higher-safe, exact), any other
 *                              field keeps its default, plus set_clidr()'s
 *                              CLIDR_EL1/CTR_EL0.IDC rule; else EINVAL.
 *                              Anything else: unknown (ENODATA)
 *   KVM_ARM_GET_REG_WRITABLE_MASKS (aarch64 builds) the captured masks
 *   KVM_GET_SUPPORTED_CPUID, KVM_GET_MSR_FEATURE_INDEX_LIST,
 *   KVM_GET_MSR_INDEX_LIST, KVM_GET_MSRS (/dev/kvm: feature values; vCPU:
 *   captured defaults), KVM_SET_MSRS (a feature MSR within /dev/kvm's value,
 *   an unchanged one, or one a kernel fact `set taken` says KVM stores as
 *   written: accepted; else unknown, the batch stops there),
 *   KVM_SET_CPUID2 / KVM_GET_CPUID2 (stored and returned)
 *   KVM_HAS/GET/SET_DEVICE_ATTR the captured vGIC defaults; a changed field
 *                              is accepted iff inside its probed range
 *   uname                      the captured kernel release
 */
#ifndef KVMPROF_REPLAY_H
#define KVMPROF_REPLAY_H

#include "host.h"
#include "kvmprof.h" /* struct kvmprof_sys */

/* Fake descriptors handed to the runtime. */
#define REPLAY_KVM_FD 1000
#define REPLAY_VM_FD 1001
#define REPLAY_VCPU_FD 1002
#define REPLAY_DEV_FD 1003

#define REPLAY_MAX_UNKNOWN 256

struct replay_unknown {
	int kind;      /* enum kvmprof_kind it concerns */
	uint64_t id;   /* register id, MSR, capability, attribute */
	char what[160];
};

struct replay {
	const struct host_facts *h;
	struct kvmprof_sys sys;        /* what kvmprof_sys_install() gets */
	uint64_t *values;              /* current ONE_REG values, parallel to h->reg_values */
	uint64_t *attr_values;         /* current device attributes, parallel to h->attrs */
	uint64_t *msr_values;          /* current vCPU MSRs, parallel to h->vcpu_msrs */
	void *cpuid_set;               /* last KVM_SET_CPUID2 (struct kvmprof_cpuid_table) */
	uint64_t quirks_disabled;      /* KVM_CAP_DISABLE_QUIRKS2 masks enabled so far */
	struct replay_unknown unknown[REPLAY_MAX_UNKNOWN];
	unsigned n_unknown;
	char why[160];                 /* a reason made up for the last unknown verdict */
};

/* Prepares r to answer from h (h must outlive r). */
void replay_init(struct replay *r, const struct host_facts *h);
void replay_fini(struct replay *r);

/* The unknown fact noted for (kind, id), or NULL. */
const struct replay_unknown *replay_unknown_of(const struct replay *r, int kind, uint64_t id);

#endif /* KVMPROF_REPLAY_H */
