/* SPDX-License-Identifier: MIT */
/*
 * kvmprof.h - the manual of libkvmprof.
 *
 * A kvmprof profile states what a KVM guest sees (ID registers, CPUID,
 * feature MSRs, firmware registers, vGIC registers, capabilities, quirks).
 * `kvmprof compile` turns a reviewed YAML profile into the constant tables
 * declared below; a VMM links those tables and this library, and calls one
 * function per start-up phase:
 *
 *   kvm_fd = open("/dev/kvm"); vm_fd = KVM_CREATE_VM
 *   kvmprof_vm_init(&ctx, &profile, kvm_fd, vm_fd, &opts)      per VM, once
 *   kvmprof_apply_vm(&ctx, &report)                  before the first vCPU
 *   for each vCPU (any thread, concurrently):
 *       vcpu_fd = KVM_CREATE_VCPU
 *       kvmprof_apply_vcpu_init(&ctx, vcpu_fd, &init, &report)  arm64 only
 *       kvmprof_apply_vcpu_regs(&ctx, vcpu_fd, &report)  before first KVM_RUN
 *   vgic_fd = KVM_CREATE_DEVICE; ... KVM_DEV_ARM_VGIC_CTRL_INIT
 *   kvmprof_apply_devices(&ctx, vgic_fd, &report)
 *
 * That is the convenience path, for a VMM written around kvmprof. A VMM
 * that builds CPUID per vCPU and issues KVM_ARM_VCPU_INIT itself (QEMU,
 * Firecracker, kvmtool...) keeps doing so: see "The VMM-owned path" below,
 * where kvmprof merges the profile into the VMM's own structures and
 * kvmprof_verify_vcpu() judges afterwards what each vCPU presents.
 *
 * Every entry is validated against the running kernel before anything is
 * written, written through the ioctl KVM defines for it, then read back and
 * compared with what the profile demands. The report says, per entry, what
 * happened and why.
 *
 * Conventions (as in libfdt and libbpf):
 *  - Functions return 0 on success or a negative error: -errno for a failed
 *    system call, or one of the KVMPROF_ERR_* codes below, whose text
 *    kvmprof_strerror() gives.
 *  - The library never allocates memory, never prints and never exits. All
 *    memory is the caller's: the context, the reports and their result arrays.
 *  - All ioctl() calls are issued from runtime/kvm_ioctl.c.
 */
#ifndef KVMPROF_H
#define KVMPROF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shared library is built with -fvisibility=hidden: what this header
 * declares is its exported API (libkvmprof.map keeps it to kvmprof_*). */
#if defined(__GNUC__) && !defined(KVMPROF_NO_VISIBILITY)
#pragma GCC visibility push(default)
#endif

#define KVMPROF_VERSION_MAJOR 0
#define KVMPROF_VERSION_MINOR 1
#define KVMPROF_VERSION_PATCH 0
#define KVMPROF_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------ */
/* Compiled tables (ABI shared by `kvmprof compile` and this library)       */
/* ------------------------------------------------------------------------ */

/*
 * Generated files refuse to build against another table ABI (#error), and
 * kvmprof_vm_init() refuses at run time a table whose magic, ABI or element
 * sizes differ from this library's (KVMPROF_ERR_ABI).
 */
#define KVMPROF_TABLE_MAGIC 0x4f52504bu /* "KPRO" read little-endian */
#define KVMPROF_TABLE_ABI 2u /* 2: struct kvmprof_profile gained register_set */
#define KVMPROF_FORMAT_VERSION 1u /* profile YAML format (`kvmprof: 1`) */

enum kvmprof_arch {
	KVMPROF_ARCH_NONE = 0,
	KVMPROF_ARCH_ARM64 = 1,
	KVMPROF_ARCH_X86_64 = 2,
};

/*
 * The points in a VM's start-up where KVM accepts each kind of setting.
 * Entries of a compiled profile are sorted by phase.
 */
enum kvmprof_phase {
	/* After KVM_CREATE_VM (and the in-kernel irqchip on x86), before
	 * the first KVM_CREATE_VCPU: KVM_ENABLE_CAP, quirks, x2APIC API. */
	KVMPROF_PHASE_VM = 0,
	/* arm64: the feature bits of KVM_ARM_VCPU_INIT. */
	KVMPROF_PHASE_VCPU_INIT = 1,
	/* After vCPU init, before its first KVM_RUN: KVM_SET_ONE_REG,
	 * KVM_SET_CPUID2, KVM_SET_MSRS. */
	KVMPROF_PHASE_VCPU_REGS = 2,
	/* After KVM_DEV_ARM_VGIC_CTRL_INIT: KVM_SET_DEVICE_ATTR. */
	KVMPROF_PHASE_DEVICE = 3,
};
#define KVMPROF_PHASE_COUNT 4

/* What an entry sets, and so which ioctl applies it. */
enum kvmprof_kind {
	/* KVM_ENABLE_CAP on the VM fd. id = capability number,
	 * args[0..3] = struct kvm_enable_cap.args, value = args[0]. */
	KVMPROF_KIND_ENABLE_CAP = 1,
	/* KVM_CAP_DISABLE_QUIRKS2. mask = quirk bits the profile states,
	 * value = those of them to disable (a 0 bit under mask = keep). */
	KVMPROF_KIND_QUIRKS = 2,
	/* KVM_CAP_X2APIC_API. mask = flags stated, value = flags to enable. */
	KVMPROF_KIND_X2APIC_API = 3,
	/* arm64 KVM_ARM_VCPU_INIT feature. id = feature bit number,
	 * value = 1 to request it, 0 to insist it is off. */
	KVMPROF_KIND_VCPU_FEATURE = 4,
	/* KVM_SET_ONE_REG. id = the 64-bit register id (arm64 system and
	 * firmware registers; on x86 MSRs reached through ONE_REG). */
	KVMPROF_KIND_ONE_REG = 5,
	/* One 32-bit register of a CPUID leaf, applied through one
	 * KVM_SET_CPUID2 per vCPU. id = (function << 32) | index,
	 * reg = KVMPROF_CPUID_EAX..EDX, aux = KVM_CPUID_FLAG_* of the leaf.
	 * The table set is KVM_GET_SUPPORTED_CPUID with every CPUID entry
	 * applied, built once per VM and the same for all vCPUs; it is set
	 * whenever the profile has a CPUID entry, even if lenient mode left
	 * them all unsupported, so that the guest never starts with KVM's
	 * empty default CPUID. Feature registers
	 * (1.ECX/EDX, 7.x, 0xD.1.EAX, 0x80000001.ECX/EDX, 0x80000008.EBX,
	 * 0x80000021.EAX, 0x40000001.EAX) may not set a bit the supported
	 * table has 0 (UNSUPPORTED); other registers are taken as stated.
	 * An entry equal to the supported value is ALREADY_EQUAL, yet still
	 * judged on read-back (KVM_GET_CPUID2). A leaf the kernel does not
	 * list reads as 0 in a guest: an entry stating 0 there is
	 * ALREADY_EQUAL (before 0) and the leaf is not added; any other value
	 * for it is UNSUPPORTED (-ENOENT). */
	KVMPROF_KIND_CPUID = 6,
	/* KVM_SET_MSRS, batched. id = MSR index. Must be in
	 * KVM_GET_MSR_FEATURE_INDEX_LIST or KVM_GET_MSR_INDEX_LIST; a feature
	 * MSR may not set bits /dev/kvm's value has 0. When KVM_SET_MSRS
	 * stops early, the MSR at the returned count is REJECTED; strict
	 * stops there, lenient resumes after it. */
	KVMPROF_KIND_MSR = 7,
	/* KVM_SET_DEVICE_ATTR on a device fd. aux = KVM device type
	 * (KVM_DEV_TYPE_ARM_VGIC_V3 ...), group = attribute group,
	 * id = attribute (for vGIC registers: the register offset). */
	KVMPROF_KIND_DEVICE_ATTR = 8,
};

enum kvmprof_cpuid_reg {
	KVMPROF_CPUID_EAX = 0,
	KVMPROF_CPUID_EBX = 1,
	KVMPROF_CPUID_ECX = 2,
	KVMPROF_CPUID_EDX = 3,
};

/*
 * How the kernel's read-back value is judged against the profile.
 * Bits outside an entry's mask are don't-care under every policy.
 */
enum kvmprof_policy {
	/* (readback & mask) == (value & mask). */
	KVMPROF_POLICY_EXACT = 0,
	/* The arm64 "lower is safe" rule for ID register fields: each field
	 * must read back at most the stated value (signed fields compare
	 * signed). Applying writes min(kernel default, stated). */
	KVMPROF_POLICY_AT_MOST = 1,
};

/* struct kvmprof_field.flags */
#define KVMPROF_FIELD_SIGNED 0x1u /* two's complement field (arm64 ID_*) */

/* A named bit field of an entry, for per-field policy and reports. */
struct kvmprof_field {
	const char *name; /* "Revision", "CSV2", "AVX512F" */
	uint8_t shift;    /* lowest bit */
	uint8_t width;    /* bits, 1..64 */
	uint8_t policy;   /* enum kvmprof_policy */
	uint8_t flags;    /* KVMPROF_FIELD_* */
};

/*
 * Conditions (`requires:`) compile to a small stack program evaluated by the
 * runtime against the running kernel. Every value is a uint64_t; comparisons
 * and logical operators push 0 or 1.
 */
enum kvmprof_op {
	KVMPROF_OP_END = 0,   /* result is the top of the stack */
	KVMPROF_OP_CONST,     /* push arg */
	KVMPROF_OP_CAP,       /* push KVM_CHECK_EXTENSION(arg) on the VM fd (<0 -> 0) */
	KVMPROF_OP_KERNEL,    /* push the running kernel as KVMPROF_KERNEL_VERSION */
	KVMPROF_OP_ARCH,      /* push enum kvmprof_arch of the running host */
	KVMPROF_OP_NOT,       /* logical ! */
	KVMPROF_OP_BNOT,      /* ~ */
	KVMPROF_OP_NEG,       /* unary - */
	KVMPROF_OP_OR,        /* | */
	KVMPROF_OP_AND,       /* & */
	KVMPROF_OP_XOR,       /* ^ */
	KVMPROF_OP_SHL,       /* << (count >= 64 gives 0) */
	KVMPROF_OP_SHR,       /* >> (count >= 64 gives 0) */
	KVMPROF_OP_ADD,       /* + */
	KVMPROF_OP_SUB,       /* - */
	KVMPROF_OP_EQ,        /* == */
	KVMPROF_OP_NE,        /* != */
	KVMPROF_OP_LT,        /* <  (unsigned) */
	KVMPROF_OP_LE,        /* <= */
	KVMPROF_OP_GT,        /* >  */
	KVMPROF_OP_GE,        /* >= */
	KVMPROF_OP_LAND,      /* && (both operands already evaluated; no side effects) */
	KVMPROF_OP_LOR,       /* || */
};
#define KVMPROF_COND_MAX_STACK 32 /* the compiler never emits deeper programs */

/* Kernel versions compare as one number: 6.12.117 -> 0x060c75. */
#define KVMPROF_KERNEL_VERSION(a, b, c) \
	(((uint64_t)(a) << 16) | ((uint64_t)(b) << 8) | ((c) > 255 ? 255u : (uint64_t)(c)))

struct kvmprof_insn {
	uint32_t op; /* enum kvmprof_op */
	uint32_t pad;
	uint64_t arg;
};

struct kvmprof_cond {
	const char *text;                 /* the condition as written */
	const char *origin;               /* "profiles/x.yaml:12:14" */
	const struct kvmprof_insn *code;  /* ends with KVMPROF_OP_END */
	uint32_t n_code;
};

/* The facts a condition may ask about. */
struct kvmprof_cond_env {
	uint64_t kernel; /* KVMPROF_KERNEL_VERSION of the kernel */
	uint32_t arch;   /* enum kvmprof_arch */
	/* KVM_CHECK_EXTENSION(cap) on a VM fd, or a captured value; 0 for a
	 * capability the kernel does not know. */
	int64_t (*cap_value)(void *ctx, uint64_t cap);
	void *ctx;
};

/*
 * Evaluates a compiled condition against the facts in env, which the
 * caller may take from anywhere (the apply calls take them from the
 * running kernel; a tool may take a capture's). env may be NULL for a
 * program of constants only. Returns 0 and *result (0: false), or
 * KVMPROF_ERR_INVAL for a program that is not well formed (stack underflow
 * or overflow, an unknown op, no KVMPROF_OP_END) or asks env for a fact it
 * lacks. Allocates nothing.
 */
int kvmprof_cond_eval(const struct kvmprof_insn *code, uint32_t n_code,
		      const struct kvmprof_cond_env *env, uint64_t *result);

/* One guest-visible setting. */
struct kvmprof_entry {
	const char *name;    /* "ID_AA64PFR0_EL1", "CPUID.0x7.0x0.EBX", "GICD_IIDR" */
	const char *origin;  /* where the resolved value was stated: "file:line:col" */
	uint16_t kind;       /* enum kvmprof_kind */
	uint8_t phase;       /* enum kvmprof_phase */
	uint8_t policy;      /* enum kvmprof_policy, default of the fields */
	uint8_t width;       /* register width in bits (8..64) */
	uint8_t reg;         /* CPUID: enum kvmprof_cpuid_reg */
	uint16_t flags;      /* KVMPROF_ENTRY_* */
	uint32_t group;      /* DEVICE_ATTR: attribute group */
	uint32_t aux;        /* DEVICE_ATTR: device type; CPUID: KVM_CPUID_FLAG_* */
	uint64_t id;         /* see enum kvmprof_kind */
	uint64_t value;      /* wanted bits (under mask) */
	uint64_t mask;       /* bits the profile states; others are don't-care */
	uint64_t args[4];    /* ENABLE_CAP: kvm_enable_cap.args */
	const struct kvmprof_field *fields; /* named fields stated, may be NULL */
	uint32_t n_fields;
	/* ONE_REG: from this kernel on (KVMPROF_KERNEL_VERSION) KVM keeps one
	 * value of the register per VM, not per vCPU (the register database's
	 * `vm-scope-since`: arm64 feature ID registers, 6.7). Then one vCPU per
	 * VM reads and writes it and the others' results repeat that vCPU's
	 * (see kvmprof_apply_vcpu()). 0: per vCPU. Tables built before this
	 * field had 0 here (it was padding). */
	uint32_t vm_scope_since;
	const struct kvmprof_cond *requires; /* NULL: always */
};

/* struct kvmprof_entry.flags */
/* The entry may be missing from this kernel: report it as unsupported but
 * do not fail a strict apply. */
#define KVMPROF_ENTRY_OPTIONAL 0x1u

/*
 * `vcpu: register-set:` (docs/profile-format.md): the registers a guest of
 * the profile expects a kernel to list, with what a kernel lacking one
 * means. On arm64 the ids are KVM_GET_REG_LIST one-reg ids; on x86 they
 * are MSR indices (the MSRs a saved vCPU carries). Used when a saved guest
 * arrives on another kernel (kvmprof_migration_check()); never applied.
 */
enum kvmprof_regset_policy {
	KVMPROF_REGSET_UNSTATED = 0,  /* the profile names no policy for it */
	KVMPROF_REGSET_REQUIRED = 1,  /* a kernel without it cannot take the guest */
	KVMPROF_REGSET_TOLERATED = 2, /* may be dropped: the guest does not depend on it */
	KVMPROF_REGSET_HIDDEN = 3,    /* the VMM never saves or sends it */
};

struct kvmprof_regset_entry {
	uint64_t id;      /* one-reg id (arm64) or MSR index (x86) */
	const char *name; /* as the profile names it: "TCR2_EL1", "S3_0_C2_C0_3" */
	uint32_t policy;  /* enum kvmprof_regset_policy */
	uint32_t pad;
};

struct kvmprof_profile {
	uint32_t magic;          /* KVMPROF_TABLE_MAGIC */
	uint32_t abi;            /* KVMPROF_TABLE_ABI */
	uint32_t sizeof_profile; /* sizeof(struct kvmprof_profile) when compiled */
	uint32_t sizeof_entry;   /* sizeof(struct kvmprof_entry) when compiled */
	uint32_t format_version; /* KVMPROF_FORMAT_VERSION of the source */
	uint32_t arch;           /* enum kvmprof_arch */
	const char *name;        /* "linux-6.12-arm64-neoverse-n1" */
	const char *description;
	const char *provenance;  /* the provenance block, flattened as text */
	const char *source_hash; /* "fnv1a64:<16 hex>" of the resolved profile */
	const struct kvmprof_cond *requires; /* whole profile; NULL: always */
	const struct kvmprof_entry *entries; /* sorted by phase, then source order */
	uint32_t n_entries;
	uint32_t phase_start[KVMPROF_PHASE_COUNT + 1]; /* entries of phase p:
						 [phase_start[p], phase_start[p+1]) */
	const struct kvmprof_regset_entry *register_set; /* sorted by id; NULL: none */
	uint32_t n_register_set;
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* kvmprof's own errors live below -4096, clear of every -errno. */
enum kvmprof_error {
	KVMPROF_ERR_ABI = -4097,         /* table built for another ABI */
	KVMPROF_ERR_ARCH = -4098,        /* profile for another architecture */
	KVMPROF_ERR_PHASE = -4099,       /* call out of phase order */
	KVMPROF_ERR_REQUIRES = -4100,    /* the profile's own requires: is false */
	KVMPROF_ERR_UNSUPPORTED = -4101, /* strict: an entry this kernel cannot honour */
	KVMPROF_ERR_REJECTED = -4102,    /* strict: KVM refused a write */
	KVMPROF_ERR_READBACK = -4103,    /* strict: read back differs from the profile */
	KVMPROF_ERR_REPORT_FULL = -4104, /* report capacity smaller than needed */
	KVMPROF_ERR_INVAL = -4105,       /* bad argument */
	KVMPROF_ERR_FACTS = -4106,       /* could not read the kernel's facts */
	KVMPROF_ERR_PROFILE = -4107,     /* migration: the state was saved under another profile */
	KVMPROF_ERR_MIGRATION = -4108,   /* migration: the destination cannot take the state */
};

/* Text for a kvmprof error or a -errno. Never NULL; static storage. */
const char *kvmprof_strerror(int err);

/* ------------------------------------------------------------------------ */
/* Reports                                                                  */
/* ------------------------------------------------------------------------ */

enum kvmprof_outcome {
	KVMPROF_OUT_NOT_ATTEMPTED = 0, /* an earlier failure stopped the call */
	KVMPROF_OUT_APPLIED,           /* written and read back as wanted */
	KVMPROF_OUT_ALREADY_EQUAL,     /* kernel already presented the value; nothing written */
	KVMPROF_OUT_SKIPPED_REQUIRES,  /* the entry's requires: is false here */
	KVMPROF_OUT_UNSUPPORTED,       /* this kernel cannot present it (missing cap,
					  register, attribute, bits outside a writable mask) */
	KVMPROF_OUT_REJECTED,          /* KVM returned an error (see err) */
	KVMPROF_OUT_READBACK_DIFFERS,  /* written, but the kernel reads back something else */
	KVMPROF_OUT_CHECK_OK,          /* dry run: would be applied */
	KVMPROF_OUT_MERGED,            /* set in the caller's own structure (its
					  kvm_cpuid2 or kvm_vcpu_init); the caller
					  issues the ioctl, kvmprof_verify_vcpu()
					  judges the result */
	KVMPROF_OUT_VERIFIED,          /* the kernel presents the profile's value now */
	KVMPROF_OUT_UNVERIFIABLE,      /* KVM cannot read it back (capabilities,
					  quirks, x2APIC flags) and this context
					  did not apply it: nothing proves it */
	KVMPROF_OUT_WRITTEN,           /* KVMPROF_VERIFY_FOLLOWS: written, not read
					  back here; kvmprof_verify_vcpu() judges it */
};

const char *kvmprof_outcome_name(int outcome); /* "applied", ... ; never NULL */
const char *kvmprof_phase_name(int phase);     /* "vm", "vcpu-init", ... */

struct kvmprof_result {
	const struct kvmprof_entry *entry;
	uint8_t outcome;   /* enum kvmprof_outcome */
	uint8_t written;   /* 1 if this call wrote the entry to the kernel */
	uint16_t field;    /* index+1 into entry->fields of the first field at
			      fault, 0 if none or the whole value */
	int err;           /* REJECTED: the -errno KVM returned (-EINVAL when
			      KVM_SET_MSRS stopped at this MSR). UNSUPPORTED:
			      why, as a -errno hint: -ENOENT not present on
			      this kernel (capability, register, attribute,
			      MSR, CPUID leaf), -EOPNOTSUPP bits this kernel
			      does not offer, -EPERM bits outside the writable
			      mask (field names the field), -ERANGE wider
			      than 64 bits, -ENOSPC no room for a leaf in the
			      caller's kvm_cpuid2. Else 0. */
	int32_t vcpu_index; /* the vCPU this result is about, as the caller
			      numbered it (KVMPROF_VCPU_INDEX_NONE: not given,
			      or a VM-wide entry) */
	int32_t vcpu_fd;   /* its file descriptor, -1 for VM-wide entries and
			      for merges into a caller's structure */
	uint64_t wanted;   /* value the call tried to make the kernel present */
	uint64_t before;   /* kernel's value before the call (default) */
	uint64_t after;    /* kernel's value after the call (read back) */
	uint64_t accepted_lo, accepted_hi; /* when known: the range of the faulting
			      field's values this kernel accepts (lo > hi: unknown);
			      set only when the wanted value with just that field
			      moved into the range is accepted, i.e. when the range
			      explains the refusal (not for rules across fields) */
};

/*
 * A caller-owned report. Before a call set results/capacity; every apply
 * and check call appends one result per entry of its phase (capacity
 * kvmprof_profile_phase_count() suffices) and updates the counters.
 * kvmprof_report_reset() empties it for reuse.
 */
struct kvmprof_report {
	struct kvmprof_result *results;
	uint32_t capacity;
	uint32_t count;
	uint32_t n_ok;      /* applied, already equal, check ok, skipped,
			       merged, verified, written */
	uint32_t n_failed;  /* kvmprof_result_failed(): unsupported (not optional),
			       rejected, read back differs */
	uint32_t n_written; /* results with written = 1 */
};

void kvmprof_report_reset(struct kvmprof_report *report);

/*
 * Formats a one-line human reason for a result into buf (always terminated;
 * truncated to len). Returns the length the full text needs, like snprintf.
 * Example: "GICD_IIDR.Revision=1: this kernel accepts 2..3 only".
 */
int kvmprof_result_reason(const struct kvmprof_result *r, char *buf, size_t len);

/*
 * 1 if the result is one that fails a strict apply or a verification
 * (counted in n_failed): unsupported (unless the entry is
 * KVMPROF_ENTRY_OPTIONAL), rejected, read back different, unverifiable.
 * 0 otherwise, and for NULL.
 */
int kvmprof_result_failed(const struct kvmprof_result *r);

/* Number of entries of profile p in phase `phase` (-1: all phases). */
uint32_t kvmprof_profile_phase_count(const struct kvmprof_profile *p, int phase);

/* ------------------------------------------------------------------------ */
/* Contexts and phases                                                      */
/* ------------------------------------------------------------------------ */

/* struct kvmprof_opts.flags */
/* Apply what the kernel can honour and report the rest; the call returns 0
 * unless a system call failed unexpectedly. Default: strict, the first entry
 * the kernel cannot honour fails the call (entries before it stay written
 * and the report says so). */
#define KVMPROF_LENIENT 0x1u
/* Validate, never write (same as kvmprof_check_*). */
#define KVMPROF_DRY_RUN 0x2u
/* x86: the VMM builds and sets each vCPU's CPUID itself, after
 * kvmprof_x86_cpuid_merge(). kvmprof_apply_vcpu() and
 * kvmprof_apply_vcpu_regs() then never issue KVM_SET_CPUID2 and give no
 * result for CPUID entries (the merge validated them; kvmprof_verify_vcpu()
 * judges what the vCPU presents, KVM_GET_CPUID2); ONE_REG and MSR entries
 * are applied as usual. */
#define KVMPROF_VMM_SETS_CPUID 0x4u
/* The caller calls kvmprof_verify_vcpu() on each vCPU after its set-up and
 * before its first KVM_RUN (the VMM-owned path does): the per-vCPU apply
 * calls then leave the read-back of vCPU registers, MSRs and CPUID to it
 * (results WRITTEN instead of APPLIED), and write an MSR that an entry
 * states in full (all 64 bits, exact) without reading it first: one read
 * of each instead of three. A write KVM refuses is still REJECTED. */
#define KVMPROF_VERIFY_FOLLOWS 0x8u
#define KVMPROF_OPTS_FLAGS_ALL 0xfu /* every flag this version knows */

/*
 * Options. Like libbpf's OPTS, they start with their own size, so fields
 * can be added later: a caller built against an older header passes a
 * smaller sz, one built against a newer header a larger sz. kvmprof_vm_init()
 * refuses (KVMPROF_ERR_INVAL) an sz smaller than the first version's
 * (offsetof(flags) + 4), a larger one whose bytes beyond this version's
 * struct are not all zero (an option this library does not know), and
 * flags it does not know. NULL opts: strict, no flags.
 */
struct kvmprof_opts {
	size_t sz; /* sizeof(struct kvmprof_opts) */
	uint32_t flags;
};

/* Capacities of the per-VM facts fetched once and shared by all vCPUs. */
#define KVMPROF_MAX_REGS 4096        /* KVM_GET_REG_LIST ids kept */
#define KVMPROF_MAX_CPUID 256        /* KVM_GET_SUPPORTED_CPUID entries kept */
#define KVMPROF_MAX_FEATURE_MSRS 128 /* KVM_GET_MSR_FEATURE_INDEX_LIST kept */
#define KVMPROF_MASK_WORDS 1536      /* arm64 writable-mask words: at least KVM's
					feature ID range (Op0=3, Op1 {0,1,3}, CRn=0,
					CRm 0..7, Op2 0..7: 3*8*8 = 192) */
#define KVMPROF_MAX_ENTRIES 1024     /* entries of one profile (vm_init: INVAL) */

/*
 * Per-VM state. Opaque: use only through the functions below. It is large
 * (128 KiB) and belongs to the caller, who may place it anywhere; it
 * needs no cleanup beyond kvmprof_vm_fini().
 */
struct kvmprof_vm {
	uint64_t opaque[16384];
};

/*
 * Binds a profile to a VM: checks the table (magic, ABI, sizes, arch) and
 * the profile's requires:, and reads the VM-wide facts (kernel version,
 * capabilities on vm_fd, quirk mask, supported CPUID, feature MSRs).
 * Facts that need a vCPU (register list, writable masks) are read by the
 * first vCPU call, once, under a lock.
 * Returns 0, KVMPROF_ERR_ABI, KVMPROF_ERR_ARCH, KVMPROF_ERR_REQUIRES,
 * KVMPROF_ERR_INVAL (NULL argument, more than KVMPROF_MAX_ENTRIES entries,
 * an entry kind in the wrong phase), KVMPROF_ERR_FACTS or -errno.
 * x86: KVM_GET_SUPPORTED_CPUID is read only when the profile has CPUID
 * entries; with MSR entries, the feature-MSR list, /dev/kvm's values of the
 * feature MSRs an entry states a set bit of (the others cannot claim more
 * than KVM offers), and KVM_GET_MSR_INDEX_LIST only when an MSR entry is
 * not a feature MSR.
 */
int kvmprof_vm_init(struct kvmprof_vm *vm, const struct kvmprof_profile *p,
		    int kvm_fd, int vm_fd, const struct kvmprof_opts *opts);
void kvmprof_vm_fini(struct kvmprof_vm *vm);

/* The VM-wide phase: before the first vCPU is created. Once per VM;
 * a second call, or a call after a vCPU phase, is KVMPROF_ERR_PHASE.
 * Capabilities, quirks and x2APIC flags cannot be read back: APPLIED means
 * KVM_ENABLE_CAP succeeded (the reason says so). */
int kvmprof_apply_vm(struct kvmprof_vm *vm, struct kvmprof_report *report);

struct kvm_vcpu_init;
/*
 * arm64: sets the profile's vCPU features in *init (the caller has filled
 * target and its own features, e.g. from KVM_ARM_PREFERRED_TARGET) and issues
 * KVM_ARM_VCPU_INIT on vcpu_fd. x86: KVMPROF_ERR_ARCH.
 * Requires kvmprof_apply_vm() first.
 */
int kvmprof_apply_vcpu_init(struct kvmprof_vm *vm, int vcpu_fd,
			    struct kvm_vcpu_init *init, struct kvmprof_report *report);

/*
 * Registers of one vCPU, before its first KVM_RUN: ONE_REG, one
 * KVM_SET_CPUID2, MSRs batched in KVM_SET_MSRS. Thread-safe: one thread per
 * vCPU may call it at the same time. No memory is allocated.
 * Order of writes: CPUID (KVM gates MSRs on it), ONE_REG in table order,
 * MSRs. The first call of a VM also reads the facts shared by all vCPUs
 * (register list, arm64 writable masks, requires: of vCPU entries).
 * Returns 0, KVMPROF_ERR_PHASE (before kvmprof_apply_vm(); arm64: before
 * any kvmprof_apply_vcpu_init()), KVMPROF_ERR_UNSUPPORTED (nothing
 * written), KVMPROF_ERR_REJECTED / KVMPROF_ERR_READBACK (strict: entries
 * before it stay written; `written` says which), KVMPROF_ERR_REPORT_FULL,
 * KVMPROF_ERR_INVAL or -errno.
 */
int kvmprof_apply_vcpu_regs(struct kvmprof_vm *vm, int vcpu_fd,
			    struct kvmprof_report *report);

/*
 * Device attributes (vGIC registers) after KVM_DEV_ARM_VGIC_CTRL_INIT.
 * Applies every device entry of the profile to dev_fd (profiles state vGIC
 * registers only: pass the vGIC fd). Redistributor and CPU-interface
 * registers are one per vCPU: they go to every vCPU this context has seen
 * in a per-vCPU call (kvmprof_apply_vcpu_init/_regs, kvmprof_apply_vcpu,
 * kvmprof_verify_vcpu), one result each, as kvmprof_apply_vgic() does with
 * the vCPUs it is given; with none seen, such a profile gives
 * KVMPROF_ERR_INVAL. Requires kvmprof_apply_vm() first;
 * a vGIC that answers EBUSY (not initialised) gives KVMPROF_ERR_PHASE.
 * On EINVAL for an entry whose faulting field is at most 4 bits wide, each
 * value of the field is written and the default restored, to report the
 * accepted range (accepted_lo/hi) when that range explains the refusal.
 */
int kvmprof_apply_devices(struct kvmprof_vm *vm, int dev_fd,
			  struct kvmprof_report *report);

/*
 * Dry run of one phase: validates every entry of `phase` against the
 * kernel and reports what an apply would do (CHECK_OK, ALREADY_EQUAL,
 * SKIPPED_REQUIRES, UNSUPPORTED), changing nothing. fd is the VM fd for
 * KVMPROF_PHASE_VM, a vCPU fd for the vCPU phases, the device fd for
 * KVMPROF_PHASE_DEVICE. Returns 0 if the phase would apply, else
 * KVMPROF_ERR_UNSUPPORTED (the report names the entries).
 */
int kvmprof_check(struct kvmprof_vm *vm, int phase, int fd,
		  struct kvmprof_report *report);

/* ------------------------------------------------------------------------ */
/* The VMM-owned path: the VMM keeps CPUID, vCPU init and its ioctls         */
/* ------------------------------------------------------------------------ */

/*
 * Real VMMs build CPUID per vCPU (APIC ids, topology, the hypervisor bit,
 * their own filtering) and try their own list of arm64 targets. On this
 * path kvmprof only merges the profile into the VMM's own structures, the
 * VMM issues the ioctls, and a verification call judges afterwards what
 * each vCPU presents, whoever set it:
 *
 *   kvmprof_vm_init(&ctx, p, kvm_fd, vm_fd, &opts)   opts.flags |= KVMPROF_VERIFY_FOLLOWS,
 *                                                     x86: | KVMPROF_VMM_SETS_CPUID
 *   kvmprof_apply_vm(&ctx, &report)
 *   for each vCPU i (any thread):
 *     x86:   VMM builds its struct kvm_cpuid2 for vCPU i (room for spare leaves)
 *            kvmprof_x86_cpuid_merge(&ctx, i, cpuid, capacity, &report)
 *            KVM_SET_CPUID2 (the VMM, once)
 *     arm64: VMM fills its struct kvm_vcpu_init (target, its features)
 *            kvmprof_arm64_vcpu_init_merge(&ctx, i, &init, &report)
 *            KVM_ARM_VCPU_INIT (the VMM, over its own target list)
 *     kvmprof_apply_vcpu(&ctx, vcpu_fd, i, &report)   ONE_REG + MSR entries
 *   arm64: vGIC created and KVM_DEV_ARM_VGIC_CTRL_INIT done by the VMM
 *     kvmprof_apply_vgic(&ctx, vgic_fd, vcpu_fds, n_vcpus, &report)
 *   ... the VMM's own remaining ioctls (registers, MSRs, CPUID again) ...
 *   before the first KVM_RUN of each vCPU:
 *     kvmprof_verify_vcpu(&ctx, vcpu_fd, i, &report)  0: start it
 *   kvmprof_verify_vgic(&ctx, vgic_fd, vcpu_fds, n_vcpus, &report)
 *   kvmprof_verify_vm(&ctx, &report)
 *
 * Per-vCPU fields (x86 APIC ids in CPUID.1.EBX[31:24], x2APIC and topology
 * ids in leaves 0xB, 0x1F and 0x8000001E; arm64 MPIDR_EL1 affinity) are the
 * VMM's: the register database marks them (`per-vcpu`), `kvmprof compile`
 * leaves them out of an entry's mask unless the profile names the field,
 * and a merge never touches bits outside an entry's mask, so they stay as
 * the VMM set them. A profile that names one gives every vCPU that value.
 */

#define KVMPROF_VCPU_INDEX_NONE (-1)

struct kvm_cpuid2;
/*
 * x86: overlays the profile's CPUID entries onto the VMM's table for vCPU
 * vcpu_index (used in the report only). cpuid->nent entries are in use and
 * there is room for `capacity` (struct kvm_cpuid2 has no capacity of its
 * own). Each entry is validated against KVM_GET_SUPPORTED_CPUID (read by
 * kvmprof_vm_init()) as kvmprof_apply_vcpu_regs() does; then only the bits
 * under the entry's mask are written into the VMM's leaf: bits the profile
 * does not state, and leaves it does not mention, stay as the VMM set them.
 * A leaf the VMM's table lacks is appended, copied from the supported table
 * and overlaid (the profile states that the guest sees it); with no room,
 * the entry is UNSUPPORTED with err -ENOSPC. Results: MERGED,
 * ALREADY_EQUAL (the VMM's value already satisfies it), SKIPPED_REQUIRES,
 * UNSUPPORTED. No ioctl is issued; the VMM calls KVM_SET_CPUID2 with the
 * table, then kvmprof_verify_vcpu() proves what the vCPU presents.
 * Thread-safe: one call per vCPU may run at the same time.
 * Returns 0; KVMPROF_ERR_UNSUPPORTED (strict: an entry cannot be honoured;
 * the table is left exactly as it was, nothing merged); KVMPROF_ERR_ARCH
 * (not an x86 profile); KVMPROF_ERR_PHASE (before kvmprof_apply_vm());
 * KVMPROF_ERR_REPORT_FULL; KVMPROF_ERR_INVAL (NULL, nent > capacity).
 */
int kvmprof_x86_cpuid_merge(struct kvmprof_vm *vm, int vcpu_index, struct kvm_cpuid2 *cpuid,
			    uint32_t capacity, struct kvmprof_report *report);

/*
 * x86: the table KVM_GET_SUPPORTED_CPUID gave kvmprof_vm_init() (the
 * struct kvm_cpuid2 layout, `nent` entries), so that a VMM builds its own
 * tables from it instead of asking KVM again (the costliest ioctl of a VM's
 * set-up: about 350 us on this project's test host). Read-only, valid until
 * kvmprof_vm_fini(); copy it before changing it. NULL when kvmprof_vm_init()
 * did not read it (no CPUID entry in the profile, an arm64 profile) or for
 * a context that is not initialised.
 */
const struct kvm_cpuid2 *kvmprof_x86_supported_cpuid(const struct kvmprof_vm *vm);

struct kvm_vcpu_init;
/*
 * arm64: validates the profile's vCPU features (each needs its capability
 * on the VM fd) and sets or clears them in the VMM's *init; every other
 * bit, and the target, stay the VMM's. Results: MERGED, ALREADY_EQUAL,
 * SKIPPED_REQUIRES, UNSUPPORTED. No ioctl on the vCPU: the VMM issues
 * KVM_ARM_VCPU_INIT itself (over its own target list), then
 * kvmprof_apply_vcpu() and, before KVM_RUN, kvmprof_verify_vcpu().
 * Thread-safe: one call per vCPU may run at the same time.
 * Returns 0; KVMPROF_ERR_UNSUPPORTED (strict: *init left unchanged);
 * KVMPROF_ERR_ARCH (not an arm64 profile); KVMPROF_ERR_PHASE (before
 * kvmprof_apply_vm()); KVMPROF_ERR_REPORT_FULL; KVMPROF_ERR_INVAL.
 */
int kvmprof_arm64_vcpu_init_merge(struct kvmprof_vm *vm, int vcpu_index,
				  struct kvm_vcpu_init *init, struct kvmprof_report *report);

/*
 * VM-scope registers, on both apply and verification calls (and
 * kvmprof_apply_vcpu_regs()): an entry whose vm_scope_since the running
 * kernel has reached (arm64 feature ID registers from 6.7) is one value per
 * VM in KVM. The first vCPU of a VM to reach a call reads (and writes) those
 * entries, under a lock the other vCPUs' calls wait on; their results then
 * repeat its verdict (an apply reports ALREADY_EQUAL where it wrote or found
 * the value, and a failure as that vCPU had it, returning the same error;
 * a verification repeats VERIFIED or READBACK_DIFFERS and its value). A
 * verification on the vCPU that judged them reads them again; the first
 * verification after applies only is done by the vCPU that makes it. So a
 * VMM that changes such a register after verification began must verify
 * that vCPU again (KVM 6.7 and later refuse such changes once any vCPU has
 * run). Other registers are read on every vCPU.
 *
 * As kvmprof_apply_vcpu_regs(), and the results carry vcpu_index. With
 * KVMPROF_VMM_SETS_CPUID, CPUID entries are neither set nor read here (no
 * result for them: the merge validated them, kvmprof_verify_vcpu() judges
 * what the vCPU presents), and MSR entries are applied whether or not the
 * profile has CPUID entries (KVM gates some MSRs on the guest's CPUID: set
 * CPUID first). arm64: call it after the VMM's KVM_ARM_VCPU_INIT
 * (kvmprof_arm64_vcpu_init_merge() marks the phase as started).
 */
int kvmprof_apply_vcpu(struct kvmprof_vm *vm, int vcpu_fd, int vcpu_index,
		       struct kvmprof_report *report);

/*
 * Judges what vCPU vcpu_fd presents NOW against every vCPU entry of the
 * profile, whoever set it: CPUID from KVM_GET_CPUID2, ONE_REG registers,
 * MSRs (KVM_GET_MSRS), and arm64 vCPU features by what each one makes the
 * vCPU show (POWER_OFF: KVM_GET_MP_STATE stopped; EL1_32BIT: PSTATE in an
 * AArch32 mode; PSCI_0_2: PSCI_VERSION above 0.1; PMU_V3: the vCPU's PMU
 * attribute; SVE: KVM_REG_ARM64_SVE_VLS readable; PTRAUTH_*: the APA/API
 * or GPA/GPI fields of ID_AA64ISAR1_EL1). Writes nothing. Call it after the
 * VMM's last ioctl that could change the vCPU and before its first
 * KVM_RUN; thread-safe like the apply calls (a report per thread).
 * Results: VERIFIED, SKIPPED_REQUIRES, UNSUPPORTED (optional
 * entries: not a failure), READBACK_DIFFERS (the value now, in `after`;
 * `field` names the field). x86 PVM hosts rewrite CPUID at the first
 * KVM_RUN: verification before it judges what KVM was given.
 * Returns 0 when every entry is presented, KVMPROF_ERR_READBACK when one
 * differs, KVMPROF_ERR_UNSUPPORTED when one is missing (lenient contexts:
 * 0 for both; the report still names them), KVMPROF_ERR_REPORT_FULL,
 * KVMPROF_ERR_INVAL or -errno (a read failed unexpectedly).
 */
int kvmprof_verify_vcpu(struct kvmprof_vm *vm, int vcpu_fd, int vcpu_index,
			struct kvmprof_report *report);

/*
 * The VM phase as this context left it: KVM cannot read capabilities,
 * quirks or x2APIC flags back, so an entry is VERIFIED when this context's
 * kvmprof_apply_vm() applied it (or found nothing to do), SKIPPED_REQUIRES,
 * UNSUPPORTED, and otherwise UNVERIFIABLE (a failure: nothing proves it).
 * Returns 0 or KVMPROF_ERR_READBACK (lenient: 0), REPORT_FULL, INVAL.
 */
int kvmprof_verify_vm(struct kvmprof_vm *vm, struct kvmprof_report *report);

/*
 * vGIC registers after KVM_DEV_ARM_VGIC_CTRL_INIT. Distributor registers
 * (KVM_DEV_ARM_VGIC_GRP_DIST_REGS) are one per VM: applied once, with
 * vcpu_fd -1 in their results. Redistributor registers
 * (KVM_DEV_ARM_VGIC_GRP_REDIST_REGS) are one per vCPU: KVM picks the vCPU
 * from bits 63:32 of the attribute (its MPIDR affinity, Aff3.Aff2.Aff1.Aff0,
 * Documentation/virt/kvm/devices/arm-vgic-v3.rst), so each is applied to
 * every vCPU in vcpu_fds[0..n_vcpus), whose MPIDR_EL1 is read with
 * KVM_GET_ONE_REG; one result per entry and vCPU (vcpu_index = position
 * in vcpu_fds). Capacity needed: distributor entries + redistributor
 * entries * n_vcpus. Strict mode stops at the first failure; results
 * after it are NOT_ATTEMPTED and those before it say what was written.
 * Returns as kvmprof_apply_devices(); KVMPROF_ERR_INVAL when the profile
 * has redistributor entries and n_vcpus is 0.
 */
int kvmprof_apply_vgic(struct kvmprof_vm *vm, int vgic_fd, const int *vcpu_fds,
		       uint32_t n_vcpus, struct kvmprof_report *report);

/* Judges every vGIC entry as the vGIC presents it now (redistributor
 * entries on every vCPU given), writing nothing. Results and returns as
 * kvmprof_verify_vcpu(). */
int kvmprof_verify_vgic(struct kvmprof_vm *vm, int vgic_fd, const int *vcpu_fds,
			uint32_t n_vcpus, struct kvmprof_report *report);

/* ------------------------------------------------------------------------ */
/* The ioctl seam: backends                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Every ioctl() of the library goes through one backend: the real kernel
 * by default. Another backend answers the same calls from elsewhere:
 * `kvmprof check --against CAPTURE` installs an emulation of a captured
 * kernel (an x86 capture on an arm64 machine, or the reverse), error-path
 * tests a FAKE one wrapping the real backend. kvmprof_vm_init() accepts a
 * profile only for the architecture the backend reports.
 */
struct kvmprof_sys {
	/* Returns the ioctl's value (>= 0) or -errno. req is the number the
	 * target architecture's <linux/kvm.h> gives. */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	/* Writes the kernel's release ("6.12.117-...") into buf; 0 or -errno. */
	int (*uname_release)(void *ctx, char *buf, size_t len);
	void *ctx;
	/* enum kvmprof_arch of the kernel it stands for; NULL: this host's. */
	uint32_t (*host_arch)(void *ctx);
};

/* The real backend (ioctl(2), uname(2)). */
extern const struct kvmprof_sys kvmprof_sys_real;

/*
 * Installs ops as the backend of every later call (NULL: the real one) and
 * returns the previous backend. Not thread-safe: install it before any
 * context exists, as a program's first act or a test's setup.
 */
const struct kvmprof_sys *kvmprof_sys_install(const struct kvmprof_sys *ops);

/* ------------------------------------------------------------------------ */
/* Profiles linked into one binary                                          */
/* ------------------------------------------------------------------------ */

/*
 * `kvmprof compile -d DIR` writes, beside DIR/NAME.c for each profile,
 * DIR/kvmprof_index.c defining
 *     const struct kvmprof_index kvmprof_index;
 * which lists every profile compiled in that run (sorted by name). A VMM
 * links the folder's .c files and looks profiles up by the name they
 * carry (`name:` in the YAML), so `--profile NAME` needs no code per
 * profile.
 */
#define KVMPROF_INDEX_MAGIC 0x58444b50u /* "PKDX" read little-endian */

struct kvmprof_index {
	uint32_t magic;  /* KVMPROF_INDEX_MAGIC */
	uint32_t abi;    /* KVMPROF_TABLE_ABI */
	uint32_t n_profiles;
	uint32_t pad;
	const struct kvmprof_profile *const *profiles; /* sorted by name */
};

/* The profile of idx named `name`, or NULL (no such profile, NULL
 * arguments, an index of another ABI). */
const struct kvmprof_profile *kvmprof_index_find(const struct kvmprof_index *idx, const char *name);

/* The i-th profile of idx in name order, or NULL past the end (list them
 * with for (i = 0; (p = kvmprof_index_at(idx, i)); i++)). */
const struct kvmprof_profile *kvmprof_index_at(const struct kvmprof_index *idx, uint32_t i);

/* ------------------------------------------------------------------------ */
/* Migration: a saved guest arriving from another kernel (runtime/migrate.c) */
/* ------------------------------------------------------------------------ */

/*
 * A VMM that restores a vCPU saved on another kernel (live migration, live
 * update, rollback) asks, before it writes anything, whether this kernel
 * can take the state. Without the question the first register this kernel
 * does not list fails KVM_SET_ONE_REG half-way through the restore (QEMU:
 * "cpreg_vmstate_array_len"); with it the VMM refuses with a named reason.
 *
 *   destination: KVM_CREATE_VM, kvmprof_vm_init, kvmprof_apply_vm,
 *                KVM_CREATE_VCPU, kvmprof_apply_vcpu_init (arm64)
 *   kvmprof_apply_vcpu_regs (the profile first: saved ID values are judged
 *                against what it made this kernel present)
 *   kvmprof_migration_check(&profile, kvm_fd, vm_fd, vcpu_fd, &incoming, &report)
 *   0: restore every register whose item is absent from the report (taken);
 *      items with verdict DROP or HIDDEN are not restored.
 *
 * The policy of each register comes from the profile's register set
 * (`vcpu: register-set:`, struct kvmprof_profile.register_set):
 * "Lacks" below also covers an arm64 feature ID register whose saved value
 * this kernel cannot take (KVMPROF_INCOMING_VALUE), when values are given.
 *   required   this kernel lacks it: refuse
 *   tolerated  this kernel lacks it: drop it, with a note
 *   hidden     never restored (a VMM never sends it), listed or not
 *   unstated   this kernel lacks it: drop it, with a note, when the profile
 *              has a register set (the set is what the guest expects; a
 *              register outside it is one the guest was not shown); refuse
 *              when the profile has none (nothing says the guest may lose it)
 * Registers this kernel lists that the state lacks keep this kernel's
 * values; they are counted (n_dest_only), not refused.
 */

/* What a saved vCPU carries, as the destination VMM describes it. */
struct kvmprof_incoming {
	size_t sz;                /* sizeof(struct kvmprof_incoming) */
	const char *profile_name; /* the profile the guest was started with */
	const char *profile_hash; /* its source_hash */
	const uint64_t *reg_ids;  /* arm64: the one-reg ids saved (the source's KVM_GET_REG_LIST) */
	const uint64_t *reg_values; /* their saved values (registers up to 64 bits; NULL: not judged) */
	uint32_t n_reg_ids;
	uint32_t pad;
	const uint32_t *msrs;     /* x86: the MSR indices saved (the source's KVM_GET_MSR_INDEX_LIST) */
	uint32_t n_msrs;
};

enum kvmprof_incoming_verdict {
	KVMPROF_INCOMING_TAKE = 0,   /* listed here: restore it (not reported) */
	KVMPROF_INCOMING_DROP = 1,   /* not listed here, tolerated or outside the set: not restored, noted */
	KVMPROF_INCOMING_HIDDEN = 2, /* hidden by the profile: not restored */
	KVMPROF_INCOMING_REFUSE = 3, /* required (or no set), and this kernel lacks it or cannot
					take its value: the state is refused */
};

/* Why a register is not simply restored (struct kvmprof_incoming_item.why). */
enum kvmprof_incoming_why {
	KVMPROF_INCOMING_LACKED = 0, /* this kernel does not list it */
	KVMPROF_INCOMING_VALUE = 1,  /* arm64 feature ID register: the saved value differs from this
					kernel's in bits it does not let userspace change (its writable
					mask, KVM_ARM_GET_REG_WRITABLE_MASKS; without that ioctl, every
					bit: 6.1 takes only its own value, bar a few lower-safe fields) */
	KVMPROF_INCOMING_POLICY = 2, /* hidden by the profile */
};

/* One register of the incoming state that is not simply restored. */
struct kvmprof_incoming_item {
	uint64_t id;       /* one-reg id (arm64) or MSR index (x86) */
	const char *name;  /* the register set's name for it, NULL when unstated */
	uint8_t is_msr;    /* 1: id is an MSR index */
	uint8_t policy;    /* enum kvmprof_regset_policy */
	uint8_t verdict;   /* enum kvmprof_incoming_verdict */
	uint8_t why;       /* enum kvmprof_incoming_why */
	uint8_t pad[4];
	uint64_t saved;    /* VALUE: the saved value */
	uint64_t here;     /* VALUE: this kernel's value (after the profile was applied) */
	uint64_t writable; /* VALUE: the bits this kernel lets userspace change */
};

/* Caller-owned, like struct kvmprof_report: set items/capacity first. */
struct kvmprof_migration_report {
	struct kvmprof_incoming_item *items; /* in the order of the incoming state */
	uint32_t capacity;
	uint32_t count;       /* items written (at most capacity) */
	uint32_t n_taken;     /* restored as saved */
	uint32_t n_dropped;   /* verdict DROP */
	uint32_t n_hidden;    /* verdict HIDDEN */
	uint32_t n_refused;   /* verdict REFUSE */
	uint32_t n_dest_only; /* listed here, absent from the state: keep this kernel's value */
	uint8_t profile_mismatch; /* 1: another profile name, 2: same name, another hash */
	uint8_t pad[3];
};

/*
 * Judges an incoming vCPU state against this kernel and profile p before
 * anything is restored. vcpu_fd: a vCPU of the destination VM, initialised
 * (arm64: after KVM_ARM_VCPU_INIT with the profile's features, since they
 * change the register list, and after kvmprof_apply_vcpu_regs(), since the
 * saved ID register values are judged against what the profile made this
 * kernel present); kvm_fd: /dev/kvm (x86: KVM_GET_MSR_INDEX_LIST); vm_fd:
 * the VM (arm64: writable masks).
 * Writes nothing to the kernel. Uses up to 33 KiB of stack.
 * Returns 0 (restore may proceed; DROP and HIDDEN items are skipped),
 * KVMPROF_ERR_PROFILE (in's profile name or hash is not p's: nothing else
 * is judged), KVMPROF_ERR_MIGRATION (n_refused > 0; the items name the
 * registers), KVMPROF_ERR_REPORT_FULL (every counter is still right),
 * KVMPROF_ERR_ABI / KVMPROF_ERR_ARCH (p), KVMPROF_ERR_INVAL or -errno.
 */
int kvmprof_migration_check(const struct kvmprof_profile *p, int kvm_fd, int vm_fd, int vcpu_fd,
			    const struct kvmprof_incoming *in,
			    struct kvmprof_migration_report *report);

/* The policy p's register set gives register (or x86 MSR) id. */
int kvmprof_regset_policy(const struct kvmprof_profile *p, uint64_t id);
const char *kvmprof_regset_policy_name(int policy);        /* "required", ... */
const char *kvmprof_incoming_verdict_name(int verdict);    /* "refuse", ... */

/*
 * One line for the whole verdict, like snprintf (returns the length the
 * full text needs): "refused: 17 registers this kernel does not list are
 * required by the profile: TCR2_EL1 (0x...), ..." or "the state was saved
 * under profile X (hash), this VM runs Y (hash)" or "taken: ...".
 */
int kvmprof_migration_reason(const struct kvmprof_profile *p, const struct kvmprof_incoming *in,
			     const struct kvmprof_migration_report *report, char *buf, size_t len);

#if defined(__GNUC__) && !defined(KVMPROF_NO_VISIBILITY)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* KVMPROF_H */
