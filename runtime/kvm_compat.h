/* SPDX-License-Identifier: MIT */
/*
 * kvm_compat.h - the KVM uAPI the runtime needs on every build.
 *
 * One build serves both architectures (an x86 profile is checked against a
 * replayed capture on an arm64 machine and the reverse), so the layouts and
 * ioctl numbers of the other architecture's uAPI are the project's own,
 * named KVMPROF_*: <linux/kvm.h> defines KVM_SET_CPUID2 on arm64 too, but
 * over a struct only x86's <asm/kvm.h> has. Where the installed header has
 * the real definition, a static assertion proves ours the same. Constants
 * newer than the installed 6.1 headers are guarded so that a newer header
 * wins. Sources: Linux include/uapi/linux/kvm.h, arch/x86/include/uapi/
 * asm/kvm.h, arch/arm64/include/uapi/asm/kvm.h (v6.8+ for the writable
 * masks), Documentation/virt/kvm/api.rst, as quoted in
 * /work/shared/real-kvm.md.
 */
#ifndef KVMPROF_KVM_COMPAT_H
#define KVMPROF_KVM_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#ifndef KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES
#define KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES 230 /* v6.8 */
#endif

#ifndef KVM_CAP_ARM_EL2
#define KVM_CAP_ARM_EL2 240 /* v6.16: KVM_ARM_VCPU_HAS_EL2 usable */
#endif

#ifndef KVM_CAP_ARM_EL2_E2H0
#define KVM_CAP_ARM_EL2_E2H0 241 /* v6.16: KVM_ARM_VCPU_HAS_EL2_E2H0 usable */
#endif

/* ---- x86 (arch/x86/include/uapi/asm/kvm.h) ---- */

/* struct kvm_cpuid_entry2 */
struct kvmprof_cpuid_leaf {
	uint32_t function, index, flags;
	uint32_t regs[4]; /* eax, ebx, ecx, edx */
	uint32_t padding[3];
};
/* struct kvm_cpuid2 (nent entries follow) */
struct kvmprof_cpuid_head {
	uint32_t nent;
	uint32_t padding;
	struct kvmprof_cpuid_leaf entries[];
};
/* struct kvm_msr_entry, struct kvm_msrs, struct kvm_msr_list */
struct kvmprof_msr_entry {
	uint32_t index;
	uint32_t reserved;
	uint64_t data;
};
struct kvmprof_msrs_head {
	uint32_t nmsrs;
	uint32_t pad;
	struct kvmprof_msr_entry entries[];
};
struct kvmprof_msr_list_head {
	uint32_t nmsrs;
	uint32_t indices[];
};
/* The same heads without their arrays, to embed before an array of
 * one's own (and to size the ioctl numbers). */
struct kvmprof_msrs_fixed {
	uint32_t nmsrs;
	uint32_t pad;
};
struct kvmprof_msr_list_fixed {
	uint32_t nmsrs;
};
#define KVMPROF_CPUID_FLAG_SIGNIFICANT_INDEX 0x1u /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX */

#define KVMPROF_KVM_GET_MSR_INDEX_LIST _IOWR(KVMIO, 0x02, struct kvmprof_msr_list_fixed)
#define KVMPROF_KVM_GET_SUPPORTED_CPUID _IOWR(KVMIO, 0x05, struct kvmprof_cpuid_head)
#define KVMPROF_KVM_GET_MSR_FEATURE_INDEX_LIST _IOWR(KVMIO, 0x0a, struct kvmprof_msr_list_fixed)
#define KVMPROF_KVM_GET_MSRS _IOWR(KVMIO, 0x88, struct kvmprof_msrs_fixed)
#define KVMPROF_KVM_SET_MSRS _IOW(KVMIO, 0x89, struct kvmprof_msrs_fixed)
#define KVMPROF_KVM_SET_CPUID2 _IOW(KVMIO, 0x90, struct kvmprof_cpuid_head)
#define KVMPROF_KVM_GET_CPUID2 _IOWR(KVMIO, 0x91, struct kvmprof_cpuid_head)

/* ---- arm64 (arch/arm64/include/uapi/asm/kvm.h) ---- */

/* struct kvm_vcpu_init */
struct kvmprof_vcpu_init {
	uint32_t target;
	uint32_t features[7];
};
/* struct reg_mask_range (v6.8) */
struct kvmprof_reg_mask_range {
	uint64_t addr;  /* pointer to the mask array */
	uint32_t range; /* KVM_ARM_FEATURE_ID_RANGE */
	uint32_t reserved[13];
};
#define KVMPROF_KVM_ARM_VCPU_INIT _IOW(KVMIO, 0xae, struct kvmprof_vcpu_init)
#define KVMPROF_KVM_ARM_GET_REG_WRITABLE_MASKS _IOR(KVMIO, 0xb6, struct kvmprof_reg_mask_range)
#define KVMPROF_ARM_FEATURE_ID_RANGE 0
/* "Feature ID space": op0 == 3, op1 in {0, 1, 3}, CRn == 0, CRm 0..7,
 * op2 0..7 (KVM_ARM_FEATURE_ID_RANGE_SIZE). */
#define KVMPROF_ID_RANGE_WORDS (3 * 8 * 8)

#define KVMPROF_REG_ARM_COPROC_MASK 0x000000000FFF0000ull /* KVM_REG_ARM_COPROC_MASK */
#define KVMPROF_REG_ARM64_SYSREG (0x0013ull << 16)        /* KVM_REG_ARM64_SYSREG */
#define KVMPROF_REG_ARM_CORE (0x0010ull << 16)            /* KVM_REG_ARM_CORE */
#define KVMPROF_REG_ARM_DEMUX (0x0011ull << 16)           /* KVM_REG_ARM_DEMUX: CCSIDR_EL1 by CSSELR */
/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | encoding */
#define KVMPROF_ARM64_SYSREG(op0, op1, crn, crm, op2)                                      \
	(0x6030000000000000ull | KVMPROF_REG_ARM64_SYSREG | ((uint64_t)(op0) << 14) |       \
	 ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) | ((uint64_t)(crm) << 3) | (op2))
/* The fields of a system register id (KVM_REG_ARM64_SYSREG_OP0_MASK ...). */
#define KVMPROF_ARM64_SYSREG_OP0(id) ((unsigned)((id) >> 14) & 3)
#define KVMPROF_ARM64_SYSREG_OP1(id) ((unsigned)((id) >> 11) & 7)
#define KVMPROF_ARM64_SYSREG_CRN(id) ((unsigned)((id) >> 7) & 15)
#define KVMPROF_ARM64_SYSREG_CRM(id) ((unsigned)((id) >> 3) & 15)
#define KVMPROF_ARM64_SYSREG_OP2(id) ((unsigned)(id) & 7)
/* An arm64 system register id of any size: KVM_REG_ARM64 with coproc SYSREG. */
#define KVMPROF_ARM64_IS_SYSREG(id)                                                        \
	(((id) & 0xff00000000000000ull) == 0x6000000000000000ull /* KVM_REG_ARM64 */ &&       \
	 ((id) & KVMPROF_REG_ARM_COPROC_MASK) == KVMPROF_REG_ARM64_SYSREG)

/*
 * KVM_ARM_FEATURE_ID_RANGE_IDX: where a system register's writable mask is
 * in KVM_ARM_GET_REG_WRITABLE_MASKS' array (op1 0, 1, 3 -> 0, 1, 2, then
 * CRm, op2); -1 for a register outside the feature ID range.
 */
static inline int kvmprof_id_range_index(uint64_t id)
{
	unsigned op1 = KVMPROF_ARM64_SYSREG_OP1(id), crm = KVMPROF_ARM64_SYSREG_CRM(id);

	if (!KVMPROF_ARM64_IS_SYSREG(id) || KVMPROF_ARM64_SYSREG_OP0(id) != 3 || KVMPROF_ARM64_SYSREG_CRN(id) != 0 ||
	    crm > 7 || (op1 != 0 && op1 != 1 && op1 != 3))
		return -1;
	return (int)(((op1 == 3 ? 2 : op1) << 6) | (crm << 3) | KVMPROF_ARM64_SYSREG_OP2(id));
}
/* The inverse: the 64-bit system register id of index i (< KVMPROF_ID_RANGE_WORDS). */
static inline uint64_t kvmprof_id_range_reg(unsigned i)
{
	return KVMPROF_ARM64_SYSREG(3, i >> 6 == 2 ? 3 : i >> 6, 0, (i >> 3) & 7, i & 7);
}
#define KVMPROF_ARM64_MPIDR_EL1 KVMPROF_ARM64_SYSREG(3, 0, 0, 0, 5)
#define KVMPROF_ARM64_ID_AA64ISAR1_EL1 KVMPROF_ARM64_SYSREG(3, 0, 0, 6, 1)
#define KVMPROF_ARM64_ID_AA64ISAR2_EL1 KVMPROF_ARM64_SYSREG(3, 0, 0, 6, 2)
/* struct kvm_regs.regs.pstate: core register 66 (offset 0x108 / 4) */
#define KVMPROF_ARM64_PSTATE (0x6030000000000000ull | KVMPROF_REG_ARM_CORE | 0x42)
/* KVM_REG_ARM_FW_REG(0): the PSCI version */
#define KVMPROF_ARM64_PSCI_VERSION 0x6030000000140000ull
/* KVM_REG_ARM64_SVE_VLS: KVM_REG_ARM64 | KVM_REG_SIZE_U512 | SVE | 0xffff */
#define KVMPROF_ARM64_SVE_VLS 0x606000000015ffffull
#define KVMPROF_ARM_VCPU_PMU_V3_CTRL 0 /* vCPU attribute group */
#define KVMPROF_ARM_VCPU_PMU_V3_IRQ 0

/* vGIC device types and attribute groups (include/uapi/linux/kvm.h,
 * arch/arm64/include/uapi/asm/kvm.h). */
#define KVMPROF_DEV_TYPE_ARM_VGIC_V2 5
#define KVMPROF_DEV_TYPE_ARM_VGIC_V3 7
#define KVMPROF_DEV_TYPE_ARM_VGIC_ITS 8
#define KVMPROF_VGIC_GRP_DIST_REGS 1
#define KVMPROF_VGIC_GRP_CPU_REGS 2    /* v2: bits 39:32 = vCPU id */
#define KVMPROF_VGIC_GRP_REDIST_REGS 5 /* v3: bits 63:32 = MPIDR affinity */
#define KVMPROF_VGIC_GRP_CPU_SYSREGS 6 /* v3: bits 63:32 = MPIDR affinity */

#if defined(__x86_64__)
_Static_assert(KVMPROF_KVM_GET_SUPPORTED_CPUID == KVM_GET_SUPPORTED_CPUID &&
	       KVMPROF_KVM_SET_CPUID2 == KVM_SET_CPUID2 && KVMPROF_KVM_GET_CPUID2 == KVM_GET_CPUID2 &&
	       KVMPROF_KVM_GET_MSRS == KVM_GET_MSRS && KVMPROF_KVM_SET_MSRS == KVM_SET_MSRS &&
	       KVMPROF_KVM_GET_MSR_INDEX_LIST == KVM_GET_MSR_INDEX_LIST &&
	       KVMPROF_KVM_GET_MSR_FEATURE_INDEX_LIST == KVM_GET_MSR_FEATURE_INDEX_LIST,
	       "x86 ioctl numbers agree with <linux/kvm.h>");
_Static_assert(sizeof(struct kvmprof_cpuid_leaf) == sizeof(struct kvm_cpuid_entry2) &&
	       sizeof(struct kvmprof_msr_entry) == sizeof(struct kvm_msr_entry),
	       "x86 layouts agree with <asm/kvm.h>");
#endif
#if defined(__aarch64__)
_Static_assert(KVMPROF_KVM_ARM_VCPU_INIT == KVM_ARM_VCPU_INIT &&
	       sizeof(struct kvmprof_vcpu_init) == sizeof(struct kvm_vcpu_init) &&
	       KVMPROF_REG_ARM64_SYSREG == KVM_REG_ARM64_SYSREG &&
	       KVMPROF_REG_ARM_COPROC_MASK == KVM_REG_ARM_COPROC_MASK &&
	       KVMPROF_REG_ARM_DEMUX == KVM_REG_ARM_DEMUX &&
	       KVMPROF_ARM64_PSTATE == (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
					KVM_REG_ARM_CORE_REG(regs.pstate)) &&
	       KVMPROF_ARM64_PSCI_VERSION == KVM_REG_ARM_PSCI_VERSION &&
	       KVMPROF_ARM64_SVE_VLS == KVM_REG_ARM64_SVE_VLS &&
	       KVMPROF_VGIC_GRP_REDIST_REGS == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS &&
	       KVMPROF_VGIC_GRP_DIST_REGS == KVM_DEV_ARM_VGIC_GRP_DIST_REGS &&
	       KVMPROF_VGIC_GRP_CPU_REGS == KVM_DEV_ARM_VGIC_GRP_CPU_REGS &&
	       KVMPROF_VGIC_GRP_CPU_SYSREGS == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS &&
	       KVMPROF_ARM_VCPU_PMU_V3_CTRL == KVM_ARM_VCPU_PMU_V3_CTRL,
	       "arm64 uAPI numbers agree with <asm/kvm.h>");
#endif

#endif /* KVMPROF_KVM_COMPAT_H */
