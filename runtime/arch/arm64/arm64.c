/* SPDX-License-Identifier: MIT */
/*
 * arch/arm64/arm64.c - what only arm64 profiles need: the vCPU features of
 * KVM_ARM_VCPU_INIT (applied, merged into a VMM's kvm_vcpu_init, or judged
 * by what they make a vCPU show), the writable masks of the ID registers,
 * and the MPIDR affinity that addresses a vCPU's vGIC redistributor.
 * Built on every architecture: its uAPI is kvm_compat.h's.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "internal.h"
#include "kvm_ioctl.h"
#include "feature_caps.h"

/* The capability each vCPU feature bit needs (the register database's
 * `needs`): portable numbers, so the offline check on any build judges
 * features alike; -1 for a bit kvmprof does not know. */
static int feature_cap(uint64_t bit)
{
	if (bit >= sizeof(kvmprof_arm64_feature_caps) / sizeof(kvmprof_arm64_feature_caps[0]))
		return -1;
	return kvmprof_arm64_feature_caps[bit];
}

/* ---- vCPU features ---- */

static uint64_t field(uint64_t v, unsigned shift, unsigned width)
{
	return (v >> shift) & ((1ull << width) - 1);
}

/*
 * Whether vCPU fd shows feature `bit` now (1/0), from what the feature
 * changes in KVM (arch/arm64/kvm/reset.c, psci.c, pmu-emul.c, guest.c,
 * sys_regs.c): -ENODATA when nothing observable tells.
 */
static int observe_feature(int fd, uint64_t bit)
{
	uint64_t v = 0, v2 = 0;
	int r;

	switch (bit) {
	case 0: { /* POWER_OFF: the vCPU starts stopped */
		struct kvm_mp_state mp = { 0 };

		r = kvmprof_sys_ioctl(fd, KVM_GET_MP_STATE, &mp);
		return r < 0 ? r : mp.mp_state == KVM_MP_STATE_STOPPED;
	}
	case 1: /* EL1_32BIT: reset PSTATE is an AArch32 mode (PSR_MODE32_BIT) */
		r = kvmprof__get_reg(fd, KVMPROF_ARM64_PSTATE, &v);
		return r < 0 ? r : (v & 0x10) != 0;
	case 2: /* PSCI_0_2: KVM reports PSCI 0.1 (1) without it */
		r = kvmprof__get_reg(fd, KVMPROF_ARM64_PSCI_VERSION, &v);
		return r < 0 ? r : v >= 2;
	case 3: { /* PMU_V3: the vCPU's PMU attributes exist only with it */
		struct kvm_device_attr a = { .group = KVMPROF_ARM_VCPU_PMU_V3_CTRL,
					     .attr = KVMPROF_ARM_VCPU_PMU_V3_IRQ };

		r = kvmprof_sys_ioctl(fd, KVM_HAS_DEVICE_ATTR, &a);
		return r == 0 ? 1 : r == -ENXIO ? 0 : r;
	}
	case 4: { /* SVE: KVM_REG_ARM64_SVE_VLS (512 bits) exists only with it */
		uint64_t vls[8];
		struct kvm_one_reg one = { .id = KVMPROF_ARM64_SVE_VLS, .addr = (uintptr_t)vls };

		r = kvmprof_sys_ioctl(fd, KVM_GET_ONE_REG, &one);
		return r == 0 ? 1 : r == -ENOENT ? 0 : r;
	}
	case 5: /* PTRAUTH_ADDRESS: ID_AA64ISAR1_EL1.{APA,API}, ISAR2.APA3 */
	case 6: /* PTRAUTH_GENERIC: ID_AA64ISAR1_EL1.{GPA,GPI}, ISAR2.GPA3 */
		r = kvmprof__get_reg(fd, KVMPROF_ARM64_ID_AA64ISAR1_EL1, &v);
		if (r < 0)
			return r;
		if (kvmprof__get_reg(fd, KVMPROF_ARM64_ID_AA64ISAR2_EL1, &v2) < 0)
			v2 = 0;
		if (bit == 5)
			return field(v, 4, 4) || field(v, 8, 4) || field(v2, 12, 4);
		return field(v, 24, 4) || field(v, 28, 4) || field(v2, 8, 4);
	case 7: /* HAS_EL2: the vCPU resets into EL2 (PSTATE.M = EL2t/EL2h) */
		r = kvmprof__get_reg(fd, KVMPROF_ARM64_PSTATE, &v);
		return r < 0 ? r : (v & 0x1c) == 0x8;
	default:
		return -ENODATA;
	}
}

static int verify_features(struct kvmprof_vm_priv *v, int fd, struct kvmprof_result *res, uint32_t n)
{
	int ret;

	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];

		ret = kvmprof__entry_applies(v, r);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		r->wanted = r->entry->value & 1;
		ret = observe_feature(fd, r->entry->id);
		if (ret == -ENODATA) {
			r->outcome = KVMPROF_OUT_UNVERIFIABLE;
			continue;
		}
		if (ret == -ENOEXEC) /* vCPU not initialised */
			return KVMPROF_ERR_PHASE;
		if (ret < 0)
			return ret;
		r->before = r->after = (uint64_t)ret;
		r->outcome = r->after == r->wanted ? KVMPROF_OUT_VERIFIED : KVMPROF_OUT_READBACK_DIFFERS;
	}
	return 0;
}

static int vcpu_init(struct kvmprof_vm_priv *v, const struct kvmprof_call *call,
		     struct kvmprof_result *res, uint32_t n)
{
	struct kvmprof_vcpu_init *init = call->arg;
	struct kvmprof_vcpu_init mine;
	int ret, dry = call->mode == MODE_DRY, merge = call->mode == MODE_MERGE;

	if (call->mode == MODE_VERIFY)
		return verify_features(v, call->fd, res, n);
	if (init)
		mine = *init;
	else
		memset(&mine, 0, sizeof(mine));
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		uint64_t bit = e->id;
		int cap;

		ret = kvmprof__entry_applies(v, r);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		r->wanted = e->value & 1;
		cap = feature_cap(bit);
		if (bit < 32 * 7)
			r->before = (mine.features[bit / 32] >> (bit % 32)) & 1;
		r->after = r->before;
		if (cap < 0 || (r->wanted && cap > 0 && kvmprof__check_ext(v->vm_fd, (uint64_t)cap) <= 0)) {
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
	if (merge) {
		for (uint32_t i = 0; i < n; i++) {
			if (res[i].outcome != KVMPROF_OUT_CHECK_OK)
				continue;
			res[i].outcome = KVMPROF_OUT_MERGED;
			res[i].after = res[i].wanted;
		}
		*init = mine;
		return 0;
	}
	ret = kvmprof_sys_ioctl(call->fd, KVMPROF_KVM_ARM_VCPU_INIT, &mine);
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
		ret = kvmprof_sys_ioctl(call->fd, KVMPROF_KVM_ARM_VCPU_INIT, init);
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

/* ---- ID registers: writable masks (KVM_ARM_GET_REG_WRITABLE_MASKS, v6.8) ---- */

static int vcpu_facts(struct kvmprof_vm_priv *v, int vcpu_fd)
{
	const struct kvmprof_profile *p = v->p;
	int need = 0;

	(void)vcpu_fd;
	for (uint32_t i = p->phase_start[KVMPROF_PHASE_VCPU_REGS]; i < p->phase_start[KVMPROF_PHASE_VCPU_REGS + 1]; i++)
		need |= p->entries[i].kind == KVMPROF_KIND_ONE_REG;
	if (need && kvmprof__check_ext(v->vm_fd, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) > 0) {
		struct kvmprof_reg_mask_range range = {
			.addr = (uintptr_t)v->masks, .range = KVMPROF_ARM_FEATURE_ID_RANGE,
		};

		v->have_masks = kvmprof_sys_ioctl(v->vm_fd, KVMPROF_KVM_ARM_GET_REG_WRITABLE_MASKS, &range) == 0;
	}
	return 0;
}

/* Bits of a change KVM's writable mask forbids, for feature ID registers.
 * Index as KVM_ARM_FEATURE_ID_RANGE_IDX (arch/arm64/include/uapi/asm/kvm.h). */
static uint64_t locked_bits(const struct kvmprof_vm_priv *v, uint64_t id, uint64_t before, uint64_t wanted)
{
	int i = kvmprof_id_range_index(id);

	if (!v->have_masks || i < 0)
		return 0;
	return (wanted ^ before) & ~v->masks[i];
}

/* ---- vGIC: which vCPU a per-vCPU attribute addresses ---- */

static int vcpu_attr_hi(const struct kvmprof_vm_priv *v, uint32_t device_type, int vcpu_fd,
			uint32_t position, uint64_t *hi)
{
	uint64_t mpidr;
	int r;

	(void)v;
	if (device_type == KVMPROF_DEV_TYPE_ARM_VGIC_V2) {
		/* vGICv2 CPU interface: bits 39:32 are the vCPU id, which for
		 * the VMMs we know is its position (arm-vgic.rst). */
		*hi = position & 0xff;
		return 0;
	}
	/* vGICv3: Aff3.Aff2.Aff1.Aff0, 8 bits each (arm-vgic-v3.rst); MPIDR
	 * keeps Aff3 at bits 39:32 and Aff2..0 at 23:0. */
	r = kvmprof__get_reg(vcpu_fd, KVMPROF_ARM64_MPIDR_EL1, &mpidr);
	if (r < 0)
		return r == -ENOEXEC ? KVMPROF_ERR_PHASE : r;
	*hi = (((mpidr >> 32) & 0xff) << 24) | (mpidr & 0xffffff);
	return 0;
}

const struct kvmprof_arch_ops kvmprof__arch_arm64 = {
	.arch = KVMPROF_ARCH_ARM64,
	.vcpu_facts = vcpu_facts,
	.vcpu_init = vcpu_init,
	.locked_bits = locked_bits,
	.vcpu_attr_hi = vcpu_attr_hi,
};
