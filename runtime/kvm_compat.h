/* SPDX-License-Identifier: MIT */
/*
 * kvm_compat.h - KVM uAPI constants newer than the installed 6.1 headers.
 * Each is guarded so that a newer <linux/kvm.h> wins. Sources: Linux
 * include/uapi/linux/kvm.h and arch/arm64/include/uapi/asm/kvm.h (v6.8+),
 * as quoted in /work/shared/real-kvm.md.
 */
#ifndef KVMPROF_KVM_COMPAT_H
#define KVMPROF_KVM_COMPAT_H

#include <linux/kvm.h>

#ifndef KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES
#define KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES 230 /* v6.8 */
#endif

#ifndef KVM_CAP_ARM_EL2
#define KVM_CAP_ARM_EL2 240 /* v6.16: KVM_ARM_VCPU_HAS_EL2 usable */
#endif

#ifndef KVM_ARM_VCPU_HAS_EL2
#define KVM_ARM_VCPU_HAS_EL2 7 /* arm64 vCPU feature bit, v6.16 */
#endif

#ifndef KVM_CAP_ARM_EL2_E2H0
#define KVM_CAP_ARM_EL2_E2H0 241 /* v6.16: KVM_ARM_VCPU_HAS_EL2_E2H0 usable */
#endif

#ifndef KVM_ARM_VCPU_HAS_EL2_E2H0
#define KVM_ARM_VCPU_HAS_EL2_E2H0 8 /* arm64 vCPU feature bit: NV limited to E2H RES0 */
#endif

#if defined(__x86_64__) && !defined(KVM_CPUID_FLAG_SIGNIFICANT_INDEX)
/* The uAPI spelt it SIGNIFCANT until the correct name was added. */
#define KVM_CPUID_FLAG_SIGNIFICANT_INDEX KVM_CPUID_FLAG_SIGNIFCANT_INDEX
#endif

#ifdef __aarch64__
/* "Feature ID space": op0 == 3, op1 in {0, 1, 3}, CRn == 0, CRm 0..7,
 * op2 0..7 (arch/arm64/include/uapi/asm/kvm.h, v6.8). */
#ifndef KVM_ARM_FEATURE_ID_RANGE
#define KVM_ARM_FEATURE_ID_RANGE 0
#define KVM_ARM_FEATURE_ID_RANGE_SIZE (3 * 8 * 8)
struct reg_mask_range {
	__u64 addr;  /* pointer to the mask array */
	__u32 range; /* KVM_ARM_FEATURE_ID_RANGE */
	__u32 reserved[13];
};
#endif
#ifndef KVM_ARM_GET_REG_WRITABLE_MASKS
#define KVM_ARM_GET_REG_WRITABLE_MASKS _IOR(KVMIO, 0xb6, struct reg_mask_range)
#endif
#endif /* __aarch64__ */

/* Same index as KVM_ARM_FEATURE_ID_RANGE_IDX, as a plain function. */
#define KVMPROF_ID_RANGE_WORDS (3 * 8 * 8)

#endif /* KVMPROF_KVM_COMPAT_H */
