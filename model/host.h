/* SPDX-License-Identifier: MIT */
/*
 * host.h - what a capture records about the kernel it ran on (the `host:`
 * section of a profile) and the register set a profile expects
 * (`vcpu: register-set:`). See docs/profile-format.md, "host" and
 * "register-set".
 *
 * The profile loader (yaml_in.c) accepts both sections and ignores them;
 * host_facts_of_profile() reads them from the loader's parse of the file,
 * host_facts_load() from a file no profile was loaded from.
 * host_facts_write_yaml() writes the `host:` section (no libyaml needed, so a
 * static capture program can use it).
 *
 * Every `have_*` flag says whether the capture recorded that fact at all: a
 * fact that is absent is unknown, never zero.
 */
#ifndef KVMPROF_HOST_H
#define KVMPROF_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

struct host_cap {
	char *name;      /* "KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES" */
	uint64_t number; /* KVM_CAP_* number (from the register database) */
	int64_t value;   /* KVM_CHECK_EXTENSION on a VM fd */
};

struct host_reg_value {
	uint64_t id;    /* KVM one-reg id */
	uint64_t value; /* default of a fresh, initialised vCPU */
};

struct host_cpuid_leaf { /* one KVM_GET_SUPPORTED_CPUID entry */
	uint32_t function, index, flags;
	uint32_t regs[4]; /* eax, ebx, ecx, edx */
};

struct host_msr {
	uint32_t index;
	uint64_t value;
};

struct host_attr { /* a device attribute's default after KVM_DEV_ARM_VGIC_CTRL_INIT */
	uint32_t device, group;
	uint64_t attr, value;
};

struct host_range { /* values of one field the kernel accepted when probed */
	char *reg, *field;
	uint64_t lo, hi;
};

/* vcpu: register-set: policies */
enum host_regset_policy {
	HOST_REG_REQUIRED = 1,  /* a kernel without it cannot run the guest */
	HOST_REG_TOLERATED = 2, /* missing is fine (the VMM copes) */
	HOST_REG_HIDDEN = 3,    /* the VMM never shows it: listed or not, no remark */
};

struct host_regset_entry {
	uint64_t id;
	char *name; /* as written */
	int policy; /* enum host_regset_policy */
	struct srcpos pos;
};

struct host_facts {
	int present;        /* the file has a host: section */
	int arch;           /* enum kvmprof_arch of the profile */
	char *kernel;       /* uname release, "6.12.117+deb12-arm64" */
	uint64_t kernel_version; /* KVMPROF_KERNEL_VERSION of it, 0 unknown */
	char *machine;      /* uname machine */

	struct host_cap *caps;
	size_t n_caps;
	int have_quirks;
	uint64_t quirks;    /* KVM_CAP_DISABLE_QUIRKS2 on the VM fd */
	int have_x2apic;
	uint64_t x2apic;    /* KVM_CAP_X2APIC_API on the VM fd */

	int have_reg_list;
	uint64_t *reg_list; /* KVM_GET_REG_LIST, as listed */
	size_t n_reg_list;
	struct host_reg_value *reg_values; /* defaults of listed registers (<= 64 bits) */
	size_t n_reg_values;
	int have_masks;     /* arm64 KVM_ARM_GET_REG_WRITABLE_MASKS */
	struct host_reg_value *masks;      /* id -> writable mask */
	size_t n_masks;

	struct host_attr *attrs;
	size_t n_attrs;
	struct host_range *ranges;
	size_t n_ranges;

	int have_cpuid;
	struct host_cpuid_leaf *cpuid;
	size_t n_cpuid;
	int have_feature_msrs;
	struct host_msr *feature_msrs; /* /dev/kvm KVM_GET_MSRS of the feature list */
	size_t n_feature_msrs;
	int have_msr_list;
	uint32_t *msr_list; /* KVM_GET_MSR_INDEX_LIST */
	size_t n_msr_list;
	struct host_msr *vcpu_msrs; /* a fresh vCPU's KVM_GET_MSRS of the database's MSRs */
	size_t n_vcpu_msrs;

	int have_regset;
	struct host_regset_entry *regset;
	size_t n_regset;
};

/*
 * Reads `host:` and `vcpu: register-set:` of the YAML file at path (the
 * rest is the loader's). arch (enum kvmprof_arch) names registers in the
 * register set. Errors go to d with file:line:col. Returns 0, or -1 when
 * the file could not be read or a section is malformed (facts may then be
 * partly filled; free them anyway).
 */
int host_facts_load(const char *path, int arch, struct host_facts *h, struct diag *d);
void host_facts_free(struct host_facts *h);

/*
 * The same of the file loaded profile p was read from (p->src; not its
 * bases: a host: is never inherited), from the loader's parse. A profile
 * made in memory has none: 0 and h empty.
 */
struct profile;
int host_facts_of_profile(const struct profile *p, struct host_facts *h, struct diag *d);

/*
 * The register set of profile p (`vcpu: register-set:` of its file and of
 * its base chain, p->src and p->base_srcs; a nearer file's policy wins), sorted by id,
 * into h (free it with host_facts_free): what cgen, tables and check use.
 * 0 (also when p has no readable file: a profile made in memory), or -1
 * with an error in d.
 */
int host_regset_of_profile(const struct profile *p, struct host_facts *h, struct diag *d);

/* Writes h as the top-level `host:` mapping (and nothing else). */
void host_facts_write_yaml(const struct host_facts *h, FILE *out);
/* Writes h's register set as `  register-set:` (to go under `vcpu:`). */
void host_regset_write_yaml(const struct host_facts *h, FILE *out);

/* Lookups; NULL / -1 when absent. */
const struct host_cap *host_cap_by_number(const struct host_facts *h, uint64_t number);
const struct host_reg_value *host_reg_value(const struct host_facts *h, uint64_t id);
const struct host_reg_value *host_reg_mask(const struct host_facts *h, uint64_t id);
int host_reg_listed(const struct host_facts *h, uint64_t id);
const struct host_attr *host_attr_find(const struct host_facts *h, uint32_t group, uint64_t attr);
const struct host_range *host_range_find(const struct host_facts *h, const char *reg, const char *field);

/* The name of a register id: database name, S<op0>_<op1>_C<n>_C<m>_<op2>
 * for other arm64 system registers, else 0x<hex>. */
void host_reg_name(int arch, uint64_t id, char *buf, size_t len);
/* Parses a register-set key: a database name, the generic arm64 form or a
 * number. 0 or -1. */
int host_reg_parse(int arch, const char *name, uint64_t *id);

#endif /* KVMPROF_HOST_H */
