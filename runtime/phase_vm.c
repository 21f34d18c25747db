/* SPDX-License-Identifier: MIT */
/* phase_vm.c - the VM-wide phase (caps, quirks, x2APIC API) and arm64 vCPU init. */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "internal.h"
#include "kvm_compat.h"
#include "kvm_ioctl.h"

/* A flag capability (quirks, x2APIC API): the flags wanted must be a subset
 * of what KVM_CHECK_EXTENSION reports on the VM fd. */
static void validate_flags_cap(struct kvmprof_vm_priv *v, struct kvmprof_result *r, uint64_t cap)
{
	const struct kvmprof_entry *e = r->entry;
	int offered = kvmprof__check_ext(v->vm_fd, cap);

	r->before = offered < 0 ? 0 : (uint64_t)offered;
	r->wanted = e->value & e->mask;
	r->after = r->before;
	if (offered <= 0) {
		r->outcome = KVMPROF_OUT_UNSUPPORTED;
		r->err = -ENOENT;
	} else if (r->wanted & ~r->before) {
		r->outcome = KVMPROF_OUT_UNSUPPORTED;
		r->err = -EOPNOTSUPP;
	} else if (r->wanted == 0) {
		r->outcome = KVMPROF_OUT_ALREADY_EQUAL; /* nothing to disable/enable */
	} else {
		r->outcome = KVMPROF_OUT_CHECK_OK;
	}
}

int kvmprof__phase_vm(struct kvmprof_vm_priv *v, struct kvmprof_result *res,
		      uint32_t n, int dry)
{
	int ret, ok;

	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		int offered;

		ret = kvmprof__requires(v, e->requires, &ok);
		if (ret < 0)
			return ret;
		if (!ok) {
			r->outcome = KVMPROF_OUT_SKIPPED_REQUIRES;
			continue;
		}
		switch (e->kind) {
		case KVMPROF_KIND_ENABLE_CAP:
			offered = kvmprof__check_ext(v->vm_fd, e->id);
			r->before = r->after = offered < 0 ? 0 : (uint64_t)offered;
			r->wanted = e->args[0];
			if (offered <= 0) {
				r->outcome = KVMPROF_OUT_UNSUPPORTED;
				r->err = -ENOENT;
			} else {
				r->outcome = KVMPROF_OUT_CHECK_OK;
			}
			break;
		case KVMPROF_KIND_QUIRKS:
			validate_flags_cap(v, r, KVM_CAP_DISABLE_QUIRKS2);
			break;
		default: /* KVMPROF_KIND_X2APIC_API (vm_init checked kinds) */
			validate_flags_cap(v, r, KVM_CAP_X2APIC_API);
			break;
		}
	}
	ret = kvmprof__gate(v, res, n, dry);
	if (ret < 0 || dry)
		return ret;

	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		struct kvm_enable_cap cap;

		if (r->outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (e->kind == KVMPROF_KIND_ENABLE_CAP) {
			cap.cap = (uint32_t)e->id;
			for (int a = 0; a < 4; a++)
				cap.args[a] = e->args[a];
		} else {
			cap.cap = e->kind == KVMPROF_KIND_QUIRKS ? KVM_CAP_DISABLE_QUIRKS2 :
								  KVM_CAP_X2APIC_API;
			cap.args[0] = r->wanted;
		}
		ret = kvmprof_sys_ioctl(v->vm_fd, KVM_ENABLE_CAP, &cap);
		if (ret < 0) {
			r->outcome = KVMPROF_OUT_REJECTED;
			r->err = ret;
			if (!(v->flags & KVMPROF_LENIENT)) {
				kvmprof__stop_after(res, i + 1, n);
				return KVMPROF_ERR_REJECTED;
			}
			continue;
		}
		/* KVM has no read-back for these: the successful ioctl is the
		 * evidence, and the reason text says so. */
		r->outcome = KVMPROF_OUT_APPLIED;
		r->written = 1;
		r->after = r->wanted;
	}
	return 0;
}

/*
 * The capability that gates each arm64 vCPU feature bit (KVM_ARM_VCPU_* in
 * arch/arm64/include/uapi/asm/kvm.h, KVM_CAP_* in include/uapi/linux/kvm.h;
 * Documentation/virt/kvm/api.rst, KVM_ARM_VCPU_INIT). Portable numbers, so
 * the offline check on any build judges features by the same table.
 */
int kvmprof__arm64_feature_cap(uint64_t bit)
{
	switch (bit) {
	case 0: return 0;   /* POWER_OFF: always */
	case 1: return 93;  /* EL1_32BIT: KVM_CAP_ARM_EL1_32BIT */
	case 2: return 102; /* PSCI_0_2: KVM_CAP_ARM_PSCI_0_2 */
	case 3: return 126; /* PMU_V3: KVM_CAP_ARM_PMU_V3 */
	case 4: return 170; /* SVE: KVM_CAP_ARM_SVE */
	case 5: return 171; /* PTRAUTH_ADDRESS: KVM_CAP_ARM_PTRAUTH_ADDRESS */
	case 6: return 172; /* PTRAUTH_GENERIC: KVM_CAP_ARM_PTRAUTH_GENERIC */
	case 7: return 240; /* HAS_EL2: KVM_CAP_ARM_EL2 (6.16) */
	case 8: return 241; /* HAS_EL2_E2H0: KVM_CAP_ARM_EL2_E2H0 (6.16) */
	default: return -1; /* unknown to kvmprof */
	}
}

#ifdef __aarch64__
_Static_assert(KVM_ARM_VCPU_PSCI_0_2 == 2 && KVM_CAP_ARM_PSCI_0_2 == 102 && KVM_CAP_ARM_SVE == 170,
	       "feature/capability numbers agree with the uapi headers");

int kvmprof__phase_vcpu_init(struct kvmprof_vm_priv *v, int vcpu_fd, void *arg,
			     struct kvmprof_result *res, uint32_t n, int dry)
{
	struct kvm_vcpu_init *init = arg;
	struct kvm_vcpu_init mine;
	int ret, ok;

	if (init)
		mine = *init;
	else
		memset(&mine, 0, sizeof(mine));
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		uint64_t bit = e->id;
		int cap;

		ret = kvmprof__requires(v, e->requires, &ok);
		if (ret < 0)
			return ret;
		if (!ok) {
			r->outcome = KVMPROF_OUT_SKIPPED_REQUIRES;
			continue;
		}
		r->wanted = e->value & 1;
		cap = kvmprof__arm64_feature_cap(bit);
		if (bit < 32 * 7)
			r->before = (mine.features[bit / 32] >> (bit % 32)) & 1;
		r->after = r->before;
		if (cap < 0 || (r->wanted && cap > 0 && kvmprof__check_ext(v->vm_fd, cap) <= 0)) {
			r->outcome = KVMPROF_OUT_UNSUPPORTED;
			r->err = -ENOENT;
			continue;
		}
		r->outcome = r->wanted == r->before ? KVMPROF_OUT_ALREADY_EQUAL : KVMPROF_OUT_CHECK_OK;
	}
	ret = kvmprof__gate(v, res, n, dry);
	if (ret < 0 || dry)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t bit = res[i].entry->id;

		if (res[i].outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		if (res[i].wanted)
			mine.features[bit / 32] |= 1u << (bit % 32);
		else
			mine.features[bit / 32] &= ~(1u << (bit % 32));
	}
	ret = kvmprof_sys_ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &mine);
	if (ret < 0) {
		for (uint32_t i = 0; i < n; i++) {
			if (res[i].outcome != KVMPROF_OUT_CHECK_OK)
				continue;
			res[i].outcome = KVMPROF_OUT_REJECTED;
			res[i].err = ret;
		}
		if (!(v->flags & KVMPROF_LENIENT))
			return KVMPROF_ERR_REJECTED;
		/* Lenient: the vCPU still needs initialising; use the caller's
		 * own features. */
		ret = kvmprof_sys_ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, init);
		return ret < 0 ? ret : 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (res[i].outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		res[i].outcome = KVMPROF_OUT_APPLIED;
		res[i].written = 1;
		res[i].after = res[i].wanted;
	}
	*init = mine;
	return 0;
}
#else
int kvmprof__phase_vcpu_init(struct kvmprof_vm_priv *v, int vcpu_fd, void *arg,
			     struct kvmprof_result *res, uint32_t n, int dry)
{
	(void)v; (void)vcpu_fd; (void)arg; (void)res; (void)dry;
	return n ? KVMPROF_ERR_ARCH : 0; /* no vCPU init phase on this arch */
}
#endif
