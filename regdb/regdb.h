/* SPDX-License-Identifier: MIT */
/*
 * regdb.h - the register database: every architectural fact kvmprof knows
 * (register encodings, field positions and widths, capabilities, quirks,
 * x2APIC flags, vCPU features, vGIC offsets), with the public source of each
 * fact and the kernel versions that changed it.
 *
 * The facts live as data in the .db files of regdb/; gen-regdb.awk turns them
 * into regdb_data.c at build time and rejects malformed data (overlapping or
 * out-of-range fields, duplicate names or ids).
 */
#ifndef KVMPROF_REGDB_H
#define KVMPROF_REGDB_H

#include <stddef.h>
#include <stdint.h>

/* What kind of thing a database register is; decides the entry kind and phase. */
enum regdb_space {
	REGDB_ARM64_SYSREG = 1, /* KVM_SET_ONE_REG, id = arm64 sysreg one-reg id */
	REGDB_ARM64_FW = 2,     /* firmware pseudo-register (PSCI_VERSION ...) */
	REGDB_ARM64_DEMUX = 3,  /* CCSIDR_EL1 through its CSSELR index */
	REGDB_VGIC_V3_DIST = 4, /* KVM_DEV_ARM_VGIC_GRP_DIST_REGS, id = offset */
	REGDB_VGIC_V3_REDIST = 5,
	REGDB_VGIC_V2_DIST = 6,
	REGDB_X86_CPUID = 7,    /* id = (function << 32) | index, cpuid_reg */
	REGDB_X86_MSR = 8,      /* id = MSR index */
};

/*
 * struct regdb_field.flags. For arm64 ID registers the safety flags state
 * KVM's rule for a write (arm64_check_features() in arch/arm64/kvm/sys_regs.c
 * with the arm64_ftr_bits tables of arch/arm64/kernel/cpufeature.c): at most
 * one of LOWER_SAFE, HIGHER_SAFE, HIGHER_OR_ZERO_SAFE, EXACT; a field with
 * none of them (absent from the kernel's table) must keep KVM's value.
 */
#define REGDB_F_SIGNED 0x1u     /* signed ID field (compared two's complement) */
#define REGDB_F_LOWER_SAFE 0x2u /* arm64 ID field: a lower value is safe to present */
#define REGDB_F_HIGHER_SAFE 0x4u /* FTR_HIGHER_SAFE: only a higher value is safe */
#define REGDB_F_HIGHER_OR_ZERO_SAFE 0x8u /* FTR_HIGHER_OR_ZERO_SAFE: higher, or 0 */
#define REGDB_F_EXACT 0x10u     /* FTR_EXACT: KVM's value or the table's safe value */
#define REGDB_F_SAFE_MASK 0x1eu /* any of the four rules above */
/* FTR_EXACT's safe value (0..7) lives in the top bits of flags. */
#define REGDB_F_EXACT_SAFE_SHIFT 5
#define REGDB_F_EXACT_SAFE(flags) (((unsigned)(flags) >> REGDB_F_EXACT_SAFE_SHIFT) & 7u)
/*
 * The field differs per vCPU and is the VMM's to set: x86 APIC and x2APIC
 * ids, topology ids; arm64 MPIDR_EL1 affinity. A whole register value
 * stated in a profile (or imported, or captured) leaves these bits out of
 * the entry's mask; only a profile naming the field states it, and then
 * for every vCPU alike. `per-vcpu` on the field line.
 */
#define REGDB_F_PER_VCPU 0x100u
/*
 * The field is the VMM's to set, the same on every vCPU, and not a fact of
 * the kernel: the x86 hypervisor bit (CPUID.0x1.0x0.ECX[31]), which every
 * VMM sets and KVM_GET_SUPPORTED_CPUID left 0 in 6.1 and 6.12. Treated
 * as per-vCPU fields are: a whole value, a capture and an import leave it
 * out; only a profile naming the field states it. `vmm-owned` on the field
 * line. REGDB_F_PER_VCPU fields are the VMM's too (regdb_vmm_owned_bits()).
 */
#define REGDB_F_VMM_OWNED 0x200u

struct regdb_field {
	const char *name; /* "CSV2" */
	uint8_t shift;
	uint8_t width;
	uint16_t flags;   /* REGDB_F_* */
	const char *doc;  /* one line */
};

/* struct regdb_reg.flags */
#define REGDB_R_ID_REG 0x1u /* arm64 feature ID register: fields default to at-most */
/*
 * vCPU run-time state, not environment: core/FP registers, EL1 context,
 * timers, PMU and debug state, per-vCPU MPIDR_EL1. A VMM or the guest owns
 * the value; a profile that pinned it would clobber boot state (X0 = FDT
 * address, PC). `state` in the .db; never together with id-reg.
 */
#define REGDB_R_STATE 0x2u
/*
 * The whole value is ordered and KVM lets a VMM lower it (PSCI_VERSION: any
 * implemented version from 0.2 up to KVM's default): compared as one number
 * by diff, baseline (the minimum) and the offline check. `lower-safe` on the
 * reg line.
 */
#define REGDB_R_LOWER_SAFE 0x4u
/*
 * KVM checks a write against its own value and returns 0 for any value up to
 * it, but keeps its own: the SMCCC workaround levels (kvm_arm_set_fw_reg()
 * validates the level and stores nothing; a read returns the host's level).
 * A higher value is EINVAL. What a guest sees cannot change (write rule
 * exact). `keeps-lower-writes` on the reg line.
 */
#define REGDB_R_KEEPS_LOWER 0x8u
/*
 * x86: a CPUID register whose bits are features (`features` on the reg
 * line): a VMM may clear any of them, and must not set one that
 * KVM_GET_SUPPORTED_CPUID reports as 0. The runtime refuses that
 * (runtime/arch/x86/cpuid_features.h is generated from these records), and
 * its one-bit fields are `lower` to diff, baseline and the offline check.
 */
#define REGDB_R_FEATURES 0x10u

struct regdb_reg {
	const char *name;   /* "ID_AA64PFR0_EL1", "CPUID.0x7.0x0.EBX", "GICD_IIDR" */
	uint8_t arch;       /* enum kvmprof_arch */
	uint8_t space;      /* enum regdb_space */
	uint8_t cpuid_reg;  /* REGDB_X86_CPUID: enum kvmprof_cpuid_reg */
	uint16_t width;     /* bits: 32 or 64; arm64 one-reg ids up to 2048 (KVM_REG_SIZE_U2048, SVE Z registers) */
	uint32_t flags;     /* REGDB_R_* */
	uint64_t id;        /* see enum regdb_space */
	const struct regdb_field *fields; /* sorted by shift, descending */
	uint32_t n_fields;
	const char *doc;     /* one line */
	const char *source;  /* public source of the encoding and fields */
	const char *history; /* kernel versions that changed what guests see, or NULL */
	/* KVM refuses any change of the value before this kernel
	 * (KVMPROF_KERNEL_VERSION(a, b, 0)); 0: no such limit known.
	 * `writable-since A.B` on the reg line. */
	uint32_t writable_since;
	/* From this kernel on (KVMPROF_KERNEL_VERSION(a, b, 0)) KVM keeps one
	 * value of the register per VM, whichever vCPU fd reads or writes it
	 * (arm64 feature ID registers: 6.7); 0: one per vCPU as far as known.
	 * `vm-scope-since A.B` on the reg line; compiled into
	 * kvmprof_entry.vm_scope_since. */
	uint32_t vm_scope_since;
};

/* Named constants that are not registers. */
enum regdb_sym_kind {
	REGDB_SYM_CAP = 1,          /* KVM_CAP_* number */
	REGDB_SYM_QUIRK = 2,        /* KVM_X86_QUIRK_* bit number */
	REGDB_SYM_X2APIC_FLAG = 3,  /* KVM_X2APIC_API_* bit number */
	REGDB_SYM_VCPU_FEATURE = 4, /* KVM_ARM_VCPU_* feature bit number */
	REGDB_SYM_MIDR_PART = 5,    /* arm64 core: (MIDR_EL1.Implementer << 12) | MIDR_EL1.PartNum */
};

struct regdb_sym {
	const char *name;     /* "KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES", "psci-0.2" */
	uint8_t kind;         /* enum regdb_sym_kind */
	uint8_t arch;         /* enum kvmprof_arch, 0 = both */
	uint64_t value;       /* number or bit index */
	const char *doc;
	const char *source;
	const char *history;  /* "6.1: ..." or NULL */
	/* vCPU features: the capability KVM offers the feature with
	 * ("KVM_CAP_ARM_SVE"), NULL if none; `needs` after the sym line. */
	const char *needs;
};

/* Whole tables, for iteration (capture, explain, tests). */
extern const struct regdb_reg regdb_regs[];
extern const size_t regdb_n_regs;
extern const struct regdb_sym regdb_syms[];
extern const size_t regdb_n_syms;

/* By name, case-sensitive; arch 0 matches any. NULL if unknown. */
const struct regdb_reg *regdb_reg_by_name(const char *name, int arch);
/* By encoding; cpuid_reg is ignored unless space is REGDB_X86_CPUID. */
const struct regdb_reg *regdb_reg_by_id(int arch, int space, uint64_t id, int cpuid_reg);
const struct regdb_field *regdb_field_by_name(const struct regdb_reg *r, const char *name);
/* The bits of r's per-vCPU fields (REGDB_F_PER_VCPU); 0 for NULL. */
uint64_t regdb_per_vcpu_bits(const struct regdb_reg *r);
/* The bits the VMM owns: per-vCPU and vmm-owned fields (REGDB_F_PER_VCPU,
 * REGDB_F_VMM_OWNED), which a whole value does not state; 0 for NULL. */
uint64_t regdb_vmm_owned_bits(const struct regdb_reg *r);
const struct regdb_sym *regdb_sym_by_name(int kind, const char *name, int arch);
const struct regdb_sym *regdb_sym_by_value(int kind, uint64_t value, int arch);

/*
 * Walks a register of `width` bits from its top bit down in spans: each named
 * field (f set, its name as label), and each run of bits between fields (f
 * NULL, label "bits HI:LO"); a register without fields is one such run. r may
 * be NULL (no fields). Stops early when fn returns non-zero, and returns that.
 */
typedef int (*regdb_span_fn)(void *ctx, const struct regdb_field *f, const char *label,
			     unsigned shift, unsigned width);
int regdb_for_each_span(const struct regdb_reg *r, unsigned width, regdb_span_fn fn, void *ctx);

/*
 * KVM's write rule for a field (f) of register r, or for the whole register
 * (f NULL), from the database: LOWER when a VMM may present a lower value
 * than the kernel's (arm64 lower-safe ID fields, registers flagged
 * lower-safe such as PSCI_VERSION, x86 CPUID feature flags and address
 * widths), RAISE for higher-safe and higher-or-zero-safe fields, EXACT for
 * everything else (the value must stay). r NULL: EXACT.
 */
enum regdb_rule { REGDB_RULE_EXACT = 0, REGDB_RULE_LOWER = 1, REGDB_RULE_RAISE = 2, REGDB_RULE_UNKNOWN = 3 };
int regdb_write_rule(const struct regdb_reg *r, const struct regdb_field *f);
const char *regdb_rule_name(int rule); /* "exact", "lower", "raise", "unknown" */
/* a vs b as the field orders them (signed fields two's complement): -1, 0, 1. */
int regdb_rule_compare(const struct regdb_field *f, unsigned width, uint64_t a, uint64_t b);
/*
 * Can a VMM on a kernel presenting b keep showing a (so a guest that saw a
 * keeps running when b is the new value)? 1 yes, 0 no, by the rule; -1
 * when the rule is UNKNOWN and a and b differ.
 */
int regdb_rule_keeps(int rule, const struct regdb_field *f, unsigned width, uint64_t a, uint64_t b);

/*
 * "Did you mean": the name nearest to `wrong` (edit distance, case ignored,
 * a name cut short counts as close), or NULL when nothing is close enough to
 * suggest (suggest.c). arch 0 matches any.
 */
const char *regdb_suggest_reg(const char *wrong, int arch);
const char *regdb_suggest_field(const struct regdb_reg *r, const char *wrong);
const char *regdb_suggest_sym(int kind, const char *wrong, int arch);
const char *suggest_from_list(const char *wrong, const char *const *candidates, size_t n);
/* From a list of words separated by ", " (as messages list known keys); the result is valid until the next call. */
const char *suggest_from_words(const char *wrong, const char *words);

/*
 * The architectures kvmprof knows, one row each (regdb.c): the name profiles,
 * conditions and the command line use, and the properties code asks about
 * instead of comparing with one architecture. Adding an architecture adds a
 * row here, its enum kvmprof_arch value and its .db files.
 */
struct regdb_arch {
	int arch;                 /* enum kvmprof_arch */
	const char *name;         /* "arm64", "x86_64" */
	const char *c_name;       /* its enumerator in kvmprof.h, for the C writer */
};
extern const struct regdb_arch regdb_archs[];
extern const size_t regdb_n_archs;
/* The row of arch; NULL if none. */
const struct regdb_arch *regdb_arch(int arch);
/* "arm64" for KVMPROF_ARCH_ARM64; "?" if unknown. */
const char *regdb_arch_name(int arch);
/* enum kvmprof_arch of a name; 0 (KVMPROF_ARCH_NONE) if unknown. */
int regdb_arch_by_name(const char *name);
/* "arm64 or x86_64": every name, for messages. */
void regdb_arch_list(char *buf, size_t len);
/* The architecture this program was built for (KVMPROF_ARCH_NONE on others). */
int regdb_host_arch(void);

/*
 * Kernel-keyed facts: what KVM does, by upstream kernel version, where a
 * capture may not record it (`kfact` records in the .db files, docs/regdb.md).
 * Versions are MAJOR * 1000000 + MINOR * 1000 + PATCH (REGDB_KVER); a range's
 * `to` of PATCH 999 means every point release of that series.
 */
#define REGDB_KVER(major, minor, patch) ((uint32_t)(major) * 1000000u + (uint32_t)(minor) * 1000u + (uint32_t)(patch))
enum regdb_kfact_state { REGDB_KFACT_NO = 0, REGDB_KFACT_YES = 1, REGDB_KFACT_UNKNOWN = 2 };

struct regdb_kfact_range {
	uint32_t from, to;  /* REGDB_KVER, inclusive */
	uint8_t state;      /* enum regdb_kfact_state */
	const char *source; /* why: the commit, changelog or measurement */
};

/*
 * KVM's own rule for a written value of one field (`set` in a kfact about
 * REGISTER.FIELD): what the register's set_user handler in
 * arch/arm64/kvm/sys_regs.c does before arm64_check_features(), on the
 * kernels where the fact is yes.
 */
enum regdb_set_rule {
	REGDB_SET_NONE = 0,         /* a fact of another kind */
	REGDB_SET_AS = 1,           /* a written set_a is taken as set_b */
	REGDB_SET_REFUSE = 2,       /* a written set_a..set_b is refused (EINVAL) */
	REGDB_SET_HOST_AS_ZERO = 3, /* the host hardware's own value is taken as 0 */
	/* For a capture without writable masks (kernels before 6.7): */
	REGDB_SET_BY_FLAG = 4,      /* the field may change as its safety flag allows */
	REGDB_SET_KEEP = 5,         /* any change is refused (a field, or a class of registers) */
	/* x86 MSRs (a whole register): a host-initiated KVM_SET_MSRS is stored
	 * as written while the VM keeps the quirks of mask set_a. */
	REGDB_SET_TAKEN = 6,
};

struct regdb_kfact {
	const char *name;   /* "gicd-iidr-revision-write-ignored" */
	uint8_t arch;       /* enum kvmprof_arch */
	const char *reg;    /* the register (or REGISTER.FIELD) it is about */
	const char *doc;    /* what holds when the state is yes */
	const char *source;
	const struct regdb_kfact_range *ranges; /* ascending, disjoint */
	uint32_t n_ranges;
	uint8_t set;        /* enum regdb_set_rule */
	uint64_t set_a, set_b;
};

extern const struct regdb_kfact regdb_kfacts[];
extern const size_t regdb_n_kfacts;

const struct regdb_kfact *regdb_kfact_by_name(const char *name);
/*
 * The upstream version of a uname release: "6.12.117+deb12-arm64" is
 * 6.12.117. Debian's 6.1 ABI names ("6.1.0-57-arm64") hide the point
 * release: *patch_known is then 0 and the version is 6.1.0. -1 if the
 * release does not start with MAJOR.MINOR.
 */
int regdb_kernel_version(const char *release, uint32_t *kver, int *patch_known);
/*
 * The state of fact f on kernel kver (patch_known 0: any point release of
 * its series, decided only when one range covers the whole series); *range
 * is the range that decided, NULL when none covers the version (the state
 * is then UNKNOWN).
 */
int regdb_kfact_state(const struct regdb_kfact *f, uint32_t kver, int patch_known,
		      const struct regdb_kfact_range **range);

/* The fact with a `set by-flag` or `set keep` rule about `what` (REG.FIELD,
 * or a class such as FEATURE_ID_REGISTERS) of arch, or NULL: the write rules
 * of kernels whose captures record no writable masks. */
const struct regdb_kfact *regdb_kfact_without_masks(int arch, const char *what);
/*
 * regdb_write_rule() on the kernel of uname release `kernel`: for a field of
 * an arm64 feature ID register on a kernel without writable ID registers
 * (5.10, 6.1 ... 6.6: every field invariant but those a `set by-flag` fact
 * lets move), the rule the kernel facts give: EXACT for an invariant field,
 * UNKNOWN where the facts do not decide that kernel (one no fact covers,
 * such as 5.4, or PMUVer on 6.2 ... 6.6), else regdb_write_rule(). kernel
 * NULL or without a version: regdb_write_rule(). *fact (when fact is not
 * NULL): the fact that decided, NULL if none did.
 */
int regdb_write_rule_on(const struct regdb_reg *r, const struct regdb_field *f, const char *kernel,
			const struct regdb_kfact **fact);

/* Encoding helpers (facts from the KVM API documentation, see regdb.c). */
uint64_t regdb_arm64_sysreg_id(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2);
/* Parses "S3_0_C0_C4_0" into a one-reg id; 0 on success, -1 if not that form. */
int regdb_parse_generic_sysreg(const char *name, uint64_t *id);

#endif /* KVMPROF_REGDB_H */
