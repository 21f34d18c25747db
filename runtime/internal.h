/* SPDX-License-Identifier: MIT */
/*
 * internal.h - the private layout behind the opaque struct kvmprof_vm, and
 * the helpers the runtime's files share. Not installed.
 */
#ifndef KVMPROF_INTERNAL_H
#define KVMPROF_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "kvmprof.h"

#define KVMPROF_VM_MAGIC 0x6b766d70u /* "kvmp" */

/* Size of struct kvm_cpuid_entry2 (function, index, flags, eax..edx,
 * padding[3]); mirrored so the per-VM layout is the same on every arch. */
struct kvmprof_cpuid_leaf {
	uint32_t function, index, flags;
	uint32_t regs[4]; /* eax, ebx, ecx, edx */
	uint32_t padding[3];
};

/* struct kvm_cpuid2 with room for KVMPROF_MAX_CPUID entries. */
struct kvmprof_cpuid_table {
	uint32_t nent;
	uint32_t padding;
	struct kvmprof_cpuid_leaf entries[KVMPROF_MAX_CPUID];
};

/* What the first vCPU learned about one entry of a vCPU phase, shared by
 * every later vCPU (no ioctl needed again). */
struct kvmprof_plan {
	uint64_t before;  /* CPUID: supported value */
	uint64_t wanted;  /* CPUID: template value */
	uint8_t outcome;  /* CHECK_OK, SKIPPED_REQUIRES or UNSUPPORTED */
	uint8_t pad;
	uint16_t field;
	int32_t err;
};

#define KVMPROF_MAX_MSRS 1024 /* KVM_GET_MSR_INDEX_LIST entries kept */

struct kvmprof_vm_priv {
	uint32_t magic;
	uint32_t flags; /* KVMPROF_LENIENT, KVMPROF_DRY_RUN */
	const struct kvmprof_profile *p;
	int kvm_fd, vm_fd;
	uint64_t kernel;

	/* Phase order, updated with __atomic builtins. */
	int vm_done;
	int vcpu_started;
	int vcpu_inits;

	/* vCPU facts: computed once by the first vCPU call under lock. */
	pthread_mutex_t lock;
	int vcpu_facts_ready; /* 1 = ready (acquire/release) */
	int vcpu_facts_err;

	/* x86 facts, from /dev/kvm at init when the profile needs them. */
	uint32_t n_feature_msrs;
	uint32_t feature_msrs[KVMPROF_MAX_FEATURE_MSRS];
	uint64_t feature_msr_values[KVMPROF_MAX_FEATURE_MSRS];
	uint32_t n_msrs;
	uint32_t msrs[KVMPROF_MAX_MSRS];
	int have_cpuid;
	struct kvmprof_cpuid_table supported; /* KVM_GET_SUPPORTED_CPUID */
	struct kvmprof_cpuid_table tmpl;      /* supported + the profile */

	/* Register list: reg_list[0] = n, then the ids (struct kvm_reg_list). */
	int reg_list_state; /* 0 unknown/empty, 1 complete */
	uint64_t reg_list[1 + KVMPROF_MAX_REGS];
	/* arm64 writable masks of the feature ID range (cap 230). */
	int have_masks;
	uint64_t masks[3 * 8 * 8];

	uint32_t n_plan;
	struct kvmprof_plan plan[KVMPROF_MAX_ENTRIES];
};

_Static_assert(sizeof(struct kvmprof_vm_priv) <= sizeof(struct kvmprof_vm),
	       "struct kvmprof_vm is too small for its private layout");
_Static_assert(sizeof(struct kvmprof_cpuid_leaf) == 40, "kvm_cpuid_entry2 is 40 bytes");

static inline struct kvmprof_vm_priv *vm_priv(struct kvmprof_vm *vm)
{
	return (struct kvmprof_vm_priv *)(void *)vm;
}

/* UNSUPPORTED hints stored in kvmprof_result.err (see kvmprof.h). */

/* ---- shared helpers (context.c) ---- */
int kvmprof__check_ext(int fd, uint64_t cap);
/* The KVM_CAP_* gating arm64 vCPU feature `bit` (0: none needed, -1: unknown). */
int kvmprof__arm64_feature_cap(uint64_t bit);
int kvmprof__requires(struct kvmprof_vm_priv *v, const struct kvmprof_cond *c, int *ok);
uint64_t kvmprof__field_get(uint64_t v, const struct kvmprof_field *f);
/* wanted from the kernel's value and the entry's policy; see kvmprof.h */
uint64_t kvmprof__wanted(const struct kvmprof_entry *e, uint64_t before);
/* 1 if `got` satisfies the entry, else 0 and *field = first faulty field+1 */
int kvmprof__judge(const struct kvmprof_entry *e, uint64_t got, uint16_t *field);
/* index+1 of the first field of e overlapping bits, 0 if none */
uint16_t kvmprof__field_of(const struct kvmprof_entry *e, uint64_t bits);

/* ---- per-phase engines ---- */
int kvmprof__phase_vm(struct kvmprof_vm_priv *v, struct kvmprof_result *res,
		      uint32_t n, int dry);
int kvmprof__phase_vcpu_init(struct kvmprof_vm_priv *v, int vcpu_fd, void *init,
			     struct kvmprof_result *res, uint32_t n, int dry);
int kvmprof__vcpu_facts(struct kvmprof_vm_priv *v, int vcpu_fd);
int kvmprof__phase_vcpu_regs(struct kvmprof_vm_priv *v, int vcpu_fd,
			     struct kvmprof_result *res, uint32_t n, int dry);
int kvmprof__phase_device(struct kvmprof_vm_priv *v, int dev_fd,
			  struct kvmprof_result *res, uint32_t n, int dry);
/* x86 facts from /dev/kvm (x86.c) */
int kvmprof__x86_vm_facts(struct kvmprof_vm_priv *v);
int kvmprof__x86_plan(struct kvmprof_vm_priv *v);
int kvmprof__x86_cpuid_apply(struct kvmprof_vm_priv *v, int vcpu_fd,
			     struct kvmprof_result *res, uint32_t n, int dry);
int kvmprof__x86_msr_validate(struct kvmprof_vm_priv *v, int vcpu_fd,
			      struct kvmprof_result *res, uint32_t n);
int kvmprof__x86_msr_apply(struct kvmprof_vm_priv *v, int vcpu_fd,
			   struct kvmprof_result *res, uint32_t n);
/* probes which values of a narrow field the kernel accepts (device/one-reg) */
typedef int (*kvmprof__writer)(int fd, const struct kvmprof_entry *e, uint64_t val);
void kvmprof__probe_field(int fd, kvmprof__writer wr, struct kvmprof_result *r);

/* After validation: if an entry that is not optional is UNSUPPORTED, a dry
 * run returns KVMPROF_ERR_UNSUPPORTED, strict mode turns every CHECK_OK into
 * NOT_ATTEMPTED and returns it (nothing written), lenient mode returns 0. */
int kvmprof__gate(struct kvmprof_vm_priv *v, struct kvmprof_result *res, uint32_t n, int dry);
/* Strict stop: CHECK_OK results from `from` on become NOT_ATTEMPTED. */
void kvmprof__stop_after(struct kvmprof_result *res, uint32_t from, uint32_t n);
/* strict-mode outcome bookkeeping */

#endif /* KVMPROF_INTERNAL_H */
