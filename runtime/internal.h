/* SPDX-License-Identifier: MIT */
/*
 * internal.h - the private layout behind the opaque struct kvmprof_vm, and
 * the helpers the runtime's files share. Not installed.
 */
#ifndef KVMPROF_INTERNAL_H
#define KVMPROF_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "kvm_compat.h"
#include "kvmprof.h"

#define KVMPROF_VM_MAGIC 0x6b766d70u /* "kvmp" */

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
	uint8_t exact : 1;   /* no field judged "at most": wanted needs no field walk */
	uint8_t in_full : 1; /* every bit stated, exactly: wanted is the value */
	uint16_t field;
	int16_t err;      /* a -errno hint (kvmprof_result.err) */
	int16_t leaf_pos; /* CPUID: the leaf's position in the supported table, -1 none */
};

/* What the vCPU that judged a VM-scope entry (kvmprof_entry.vm_scope_since)
 * found, repeated in the other vCPUs' results. */
struct kvmprof_shared {
	uint64_t after;
	uint64_t wanted;
	uint8_t outcome;
	uint8_t pad;
	uint16_t field;
	int32_t err;
};

/* kvmprof_vm_priv.scope_state: whose results `shared` holds. */
enum kvmprof_scope_state {
	SCOPE_NONE = 0,     /* nobody's yet */
	SCOPE_APPLIED = 1,  /* an apply's (written, judged or refused) */
	SCOPE_VERIFIED = 2, /* a verification's (read now) */
};

#define KVMPROF_MAX_MSRS 1024 /* KVM_GET_MSR_INDEX_LIST entries kept */
#define KVMPROF_MAX_VCPUS 1024 /* vCPU fds remembered for kvmprof_apply_devices() */

/* How a phase engine treats the kernel. */
enum kvmprof_mode {
	MODE_APPLY = 0,  /* validate, write, read back */
	MODE_DRY = 1,    /* validate only */
	MODE_VERIFY = 2, /* judge what the kernel presents now, write nothing */
	MODE_MERGE = 3,  /* validate, merge into the caller's structure */
};

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

	const struct kvmprof_arch_ops *ops;

	/* Counts of the arrays below: kvmprof_vm_init() clears everything up
	 * to `feature_msrs`, and of the per-entry arrays the profile's part,
	 * not all 90 KiB (it runs once per VM). */
	uint32_t n_feature_msrs;
	uint32_t n_msrs;
	int have_cpuid;
	int reg_list_state; /* 0 unknown/empty, 1 complete */
	/* Results a call makes per phase and mode (enum kvmprof_mode), from
	 * kvmprof_vm_init(); the device phase's depend on the vCPUs given. */
	uint16_t n_results[KVMPROF_PHASE_COUNT][4];
	int have_masks;
	int any_vm_scope; /* a vCPU register entry KVM keeps per VM on this kernel */
	uint32_t n_plan;
	uint32_t n_vcpus; /* vCPUs seen by per-vCPU calls, in order (under lock) */

	/* VM-scope registers: one vCPU per VM judges them, under scope_lock;
	 * scope_fd is that vCPU, scope_state says whose results `shared` holds. */
	pthread_mutex_t scope_lock;
	int scope_state; /* enum kvmprof_scope_state */
	int scope_fd;

	/* x86 facts, from /dev/kvm at init when the profile needs them. */
	uint32_t feature_msrs[KVMPROF_MAX_FEATURE_MSRS];
	uint64_t feature_msr_values[KVMPROF_MAX_FEATURE_MSRS];
	uint32_t msrs[KVMPROF_MAX_MSRS];
	struct kvmprof_cpuid_table supported; /* KVM_GET_SUPPORTED_CPUID */
	struct kvmprof_cpuid_table tmpl;      /* supported + the profile */

	/* Register list: reg_list[0] = n, then the ids (struct kvm_reg_list). */
	uint64_t reg_list[1 + KVMPROF_MAX_REGS];
	/* arm64 writable masks of the feature ID range (cap 230). */
	uint64_t masks[3 * 8 * 8];

	struct kvmprof_plan plan[KVMPROF_MAX_ENTRIES];
	/* Bit m set: entry i makes one result in a call of mode m (enum
	 * kvmprof_mode), VM and vCPU phases; from kvmprof_vm_init(). */
	uint8_t in_mode[KVMPROF_MAX_ENTRIES];

	/* Outcome of each VM-phase entry in kvmprof_apply_vm() (0: not run),
	 * for kvmprof_verify_vm(): KVM cannot read those back. */
	uint8_t vm_outcome[KVMPROF_MAX_ENTRIES];

	int vcpu_fds[KVMPROF_MAX_VCPUS];

	struct kvmprof_shared shared[KVMPROF_MAX_ENTRIES];
};


_Static_assert(sizeof(struct kvmprof_vm_priv) <= sizeof(struct kvmprof_vm),
	       "struct kvmprof_vm is too small for its private layout");
_Static_assert(sizeof(struct kvmprof_cpuid_leaf) == 40, "kvm_cpuid_entry2 is 40 bytes");

static inline struct kvmprof_vm_priv *vm_priv(struct kvmprof_vm *vm)
{
	return (struct kvmprof_vm_priv *)(void *)vm;
}

/* UNSUPPORTED hints stored in kvmprof_result.err (see kvmprof.h). */

/* One call's view of a vCPU or device: results get these. */
struct kvmprof_call {
	int fd;         /* vCPU or device fd (VM phase: the VM fd) */
	int vcpu_index; /* KVMPROF_VCPU_INDEX_NONE when not given */
	int mode;       /* enum kvmprof_mode */
	void *arg;      /* vcpu init / cpuid table */
	uint32_t capacity; /* cpuid table capacity */
	const int *vcpu_fds; /* device phase: the vCPUs */
	uint32_t n_vcpus;
};

/* ---- shared helpers (context.c) ---- */
/* Register ids (KVM_GET_REG_LIST's, KVM_GET_MSR_INDEX_LIST's): sorted in
 * place, and whether a sorted list has one. */
void kvmprof__sort_ids(uint64_t *a, uint32_t n);
int kvmprof__has_id(const uint64_t *a, uint32_t n, uint64_t id);
int kvmprof__check_ext(int fd, uint64_t cap);
int kvmprof__requires(struct kvmprof_vm_priv *v, const struct kvmprof_cond *c, int *ok);
/* Whether r's entry applies here (its requires: holds): 1 yes, 0 no (r is
 * then SKIPPED_REQUIRES), < 0 an error evaluating it. */
int kvmprof__entry_applies(struct kvmprof_vm_priv *v, struct kvmprof_result *r);
uint64_t kvmprof__field_get(uint64_t v, const struct kvmprof_field *f);
/* wanted from the kernel's value and the entry's policy; see kvmprof.h */
uint64_t kvmprof__wanted(const struct kvmprof_entry *e, uint64_t before);
/* 1 if no field of e is judged "at most" (wanted is the plain overlay) */
int kvmprof__all_exact(const struct kvmprof_entry *e);
/* 1 if every bit of e is stated, each field exactly: its value does not
 * depend on the kernel's */
int kvmprof__stated_in_full(const struct kvmprof_entry *e);
/* kvmprof__wanted() of a vCPU entry with the plan's exactness: the field
 * walk is done once per VM (vCPU facts), not once per vCPU. */
static inline uint64_t kvmprof__wanted_planned(const struct kvmprof_vm_priv *v, const struct kvmprof_entry *e,
					       uint64_t before)
{
	if (v->plan[e - v->p->entries].exact)
		return (before & ~e->mask) | (e->value & e->mask);
	return kvmprof__wanted(e, before);
}
/* 1 if `got` satisfies the entry, else 0 and *field = first faulty field+1 */
int kvmprof__judge(const struct kvmprof_entry *e, uint64_t got, uint16_t *field);
/* index+1 of the first field of e overlapping bits, 0 if none */
uint16_t kvmprof__field_of(const struct kvmprof_entry *e, uint64_t bits);
/* kvmprof__judge() of a vCPU entry with the plan's exactness: an entry no
 * field of which is judged "at most" is one comparison, no field walk. */
static inline int kvmprof__judge_planned(const struct kvmprof_vm_priv *v, const struct kvmprof_entry *e,
					 uint64_t got, uint16_t *field)
{
	uint64_t differs = (got ^ e->value) & e->mask;

	if (!v->plan[e - v->p->entries].exact)
		return kvmprof__judge(e, got, field);
	*field = differs ? kvmprof__field_of(e, differs) : 0;
	return !differs;
}

/* ---- per-phase engines (core) ---- */
int kvmprof__phase_vm(struct kvmprof_vm_priv *v, struct kvmprof_result *res,
		      uint32_t n, int dry);
int kvmprof__verify_vm(struct kvmprof_vm_priv *v, struct kvmprof_result *res, uint32_t n);
int kvmprof__vcpu_facts(struct kvmprof_vm_priv *v, int vcpu_fd);
void kvmprof__vcpu_facts_early(struct kvmprof_vm_priv *v);
/* mode: MODE_APPLY, MODE_DRY or MODE_VERIFY (a merge is the arch's). */
int kvmprof__phase_vcpu_regs(struct kvmprof_vm_priv *v, int vcpu_fd,
			     struct kvmprof_result *res, uint32_t n, int mode);
int kvmprof__phase_device(struct kvmprof_vm_priv *v, const struct kvmprof_call *call,
			  struct kvmprof_result *res, uint32_t n);
/* 1 if a device attribute group addresses one vCPU's registers (the vGIC
 * redistributor and CPU interface), so it is applied on every vCPU. */
int kvmprof__attr_per_vcpu(uint32_t device_type, uint32_t group);
/* ONE_REG through the seam (phase_regs.c) */
int kvmprof__get_reg(int fd, uint64_t id, uint64_t *val);

/*
 * What differs between architectures, chosen at run time from the
 * profile's arch (runtime/arch/<arch>/), like kvmtool's kvm__arch_*():
 * the core has no #ifdef. Every hook may be NULL where an arch has nothing
 * to do.
 */
struct kvmprof_arch_ops {
	uint32_t arch; /* enum kvmprof_arch */
	/* kvmprof_vm_init(): VM-wide facts from /dev/kvm. */
	int (*vm_facts)(struct kvmprof_vm_priv *v);
	/* First vCPU call: facts shared by all vCPUs (plan, writable masks). */
	int (*vcpu_facts)(struct kvmprof_vm_priv *v, int vcpu_fd);
	/* vcpu_facts() reads nothing from a vCPU (x86: the plan is made of the
	 * supported CPUID and feature MSRs): kvmprof_vm_init() makes them. */
	int facts_without_vcpu;
	/* The vCPU init phase in every mode (arm64 only; NULL: no such phase). */
	int (*vcpu_init)(struct kvmprof_vm_priv *v, const struct kvmprof_call *call,
			 struct kvmprof_result *res, uint32_t n);
	/* Bits of (wanted ^ before) KVM will not let a ONE_REG write change,
	 * when known (arm64 writable masks); 0 otherwise. */
	uint64_t (*locked_bits)(const struct kvmprof_vm_priv *v, uint64_t id, uint64_t before,
				uint64_t wanted);
	/* vCPU registers the arch handles itself (x86 CPUID and MSRs):
	 * validate (fills outcome of its kinds), apply before ONE_REG, apply
	 * after ONE_REG, verify. */
	int (*regs_validate)(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res,
			     uint32_t n);
	int (*regs_apply_first)(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res,
				uint32_t n);
	int (*regs_apply_last)(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res,
			       uint32_t n);
	int (*regs_verify)(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res,
			   uint32_t n);
	/* Merge CPUID entries into a VMM's kvm_cpuid2 (x86). */
	int (*cpuid_merge)(struct kvmprof_vm_priv *v, const struct kvmprof_call *call,
			   struct kvmprof_result *res, uint32_t n);
	/* Bits 63:32 of a per-vCPU device attribute for vCPU vcpu_fd (arm64:
	 * its MPIDR affinity; vGICv2: its position). */
	int (*vcpu_attr_hi)(const struct kvmprof_vm_priv *v, uint32_t device_type, int vcpu_fd,
			    uint32_t position, uint64_t *hi);
};

extern const struct kvmprof_arch_ops kvmprof__arch_x86;
extern const struct kvmprof_arch_ops kvmprof__arch_arm64;
/* The ops of v's profile (never NULL after vm_init). */
const struct kvmprof_arch_ops *kvmprof__arch_ops(const struct kvmprof_vm_priv *v);

/* Where a write goes: a vCPU (ONE_REG) or a device attribute, whose bits
 * 63:32 name the vCPU for per-vCPU vGIC registers. */
struct kvmprof__target {
	int fd;
	uint64_t attr_hi;
};
/* probes which values of a narrow field the kernel accepts (device/one-reg) */
typedef int (*kvmprof__writer)(const struct kvmprof__target *t, const struct kvmprof_entry *e,
			       uint64_t val);
void kvmprof__probe_field(const struct kvmprof__target *t, kvmprof__writer wr,
			  struct kvmprof_result *r);

/* After validation: if an entry that is not optional is UNSUPPORTED, a dry
 * run returns KVMPROF_ERR_UNSUPPORTED, strict mode turns every CHECK_OK into
 * NOT_ATTEMPTED and returns it (nothing written), lenient mode returns 0. */
int kvmprof__gate(struct kvmprof_vm_priv *v, struct kvmprof_result *res, uint32_t n, int dry);
/* Strict stop: CHECK_OK results from `from` on become NOT_ATTEMPTED. */
void kvmprof__stop_after(struct kvmprof_result *res, uint32_t from, uint32_t n);
/* strict-mode outcome bookkeeping */

#endif /* KVMPROF_INTERNAL_H */
