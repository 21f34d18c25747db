/* SPDX-License-Identifier: MIT */
/*
 * replay.c - an emulation of a captured kernel, answering libkvmprof's
 * ioctls from a capture's host: facts (see replay.h for what it answers and
 * how). It is an emulation, not a kernel: its verdicts are as good as the
 * capture, and what the capture does not record is noted as unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

#include "kvm_compat.h"
#include "profile.h"
#include "regdb.h"
#include "replay.h"

static void note_unknown(struct replay *r, int kind, uint64_t id, const char *what)
{
	if (replay_unknown_of(r, kind, id) || r->n_unknown >= REPLAY_MAX_UNKNOWN)
		return;
	r->unknown[r->n_unknown].kind = kind;
	r->unknown[r->n_unknown].id = id;
	snprintf(r->unknown[r->n_unknown].what, sizeof(r->unknown[0].what), "%s", what);
	r->n_unknown++;
}

const struct replay_unknown *replay_unknown_of(const struct replay *r, int kind, uint64_t id)
{
	for (unsigned i = 0; i < r->n_unknown; i++)
		if (r->unknown[i].kind == kind && r->unknown[i].id == id)
			return &r->unknown[i];
	return NULL;
}

/* As width_mask(), but a width of 0 (not stated) means all 64 bits. */
static uint64_t bits_of_width(unsigned w)
{
	return w == 0 ? UINT64_MAX : width_mask(w);
}

static int64_t sext(uint64_t v, unsigned w)
{
	return w < 64 && (v >> (w - 1)) & 1 ? (int64_t)(v | ~bits_of_width(w)) : (int64_t)v;
}

/* ---- capabilities ---- */

static int check_extension(struct replay *r, uint64_t cap)
{
	const struct host_cap *c = host_cap_by_number(r->h, cap);

	/* host: quirks / x2apic-api stand for their capabilities too */
	if (!c && cap == KVM_CAP_DISABLE_QUIRKS2 && r->h->have_quirks)
		return (int)r->h->quirks;
	if (!c && cap == KVM_CAP_X2APIC_API && r->h->have_x2apic)
		return (int)r->h->x2apic;
	if (!c) {
		note_unknown(r, KVMPROF_KIND_ENABLE_CAP, cap, "the capture does not record this capability");
		return 0;
	}
	return c->value < 0 ? 0 : (int)c->value;
}

static int enable_cap(struct replay *r, const struct kvm_enable_cap *cap)
{
	int offered = check_extension(r, cap->cap);

	if (offered <= 0)
		return -EINVAL;
	if ((cap->cap == KVM_CAP_DISABLE_QUIRKS2 || cap->cap == KVM_CAP_X2APIC_API) &&
	    (cap->args[0] & ~(uint64_t)offered))
		return -EINVAL;
	if (cap->cap == KVM_CAP_DISABLE_QUIRKS2)
		r->quirks_disabled |= cap->args[0];
	return 0;
}

/* ---- ONE_REG ---- */

static long reg_index(const struct replay *r, uint64_t id)
{
	for (size_t i = 0; i < r->h->n_reg_values; i++)
		if (r->h->reg_values[i].id == id)
			return (long)i;
	return -1;
}

static int get_reg_list(struct replay *r, struct kvm_reg_list *list)
{
	const struct host_facts *h = r->h;

	if (!h->have_reg_list) {
		note_unknown(r, KVMPROF_KIND_ONE_REG, 0, "the capture has no register list");
		return -EINVAL;
	}
	if (list->n < h->n_reg_list) {
		list->n = h->n_reg_list;
		return -E2BIG;
	}
	list->n = h->n_reg_list;
	if (h->n_reg_list)
		memcpy(list->reg, h->reg_list, h->n_reg_list * sizeof(uint64_t));
	return 0;
}

static int get_one_reg(struct replay *r, struct kvm_one_reg *one)
{
	long i = reg_index(r, one->id);
	unsigned bytes = 1u << ((one->id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
	uint64_t v;

	if (i < 0 && one->id == KVMPROF_ARM64_MPIDR_EL1 && r->h->arch == KVMPROF_ARCH_ARM64) {
		/* Not captured: KVM's reset value for vCPU 0 (reset_mpidr() in
		 * arch/arm64/kvm/sys_regs.c: RES1 bit 31, affinity 0). */
		v = 1ull << 31;
		memcpy((void *)(uintptr_t)one->addr, &v, sizeof(v));
		return 0;
	}
	if (i < 0) {
		if (host_reg_listed(r->h, one->id) || !r->h->have_reg_list) {
			note_unknown(r, KVMPROF_KIND_ONE_REG, one->id, "the capture does not record this register's value");
			return -EIO;
		}
		return -ENOENT;
	}
	v = r->values[i];
	memcpy((void *)(uintptr_t)one->addr, &v, bytes < 8 ? bytes : 8);
	return 0;
}

/*
 * KVM's rule for one field of an ID register (arm64_check_features(), Linux
 * v6.12 arch/arm64/kvm/sys_regs.c, with arm64_ftr_safe_value() of
 * arch/arm64/kernel/cpufeature.c): may `w` replace KVM's value `k`? The
 * database's safety flags are the kernel's table (docs/regdb.md); a field
 * without one must keep `k`.
 */
static int arm64_field_safe(const struct regdb_field *f, uint64_t w, uint64_t k)
{
	int64_t sw = (f->flags & REGDB_F_SIGNED) ? sext(w, f->width) : (int64_t)w;
	int64_t sk = (f->flags & REGDB_F_SIGNED) ? sext(k, f->width) : (int64_t)k;

	if (w == k)
		return 1;
	switch (f->flags & REGDB_F_SAFE_MASK) {
	case REGDB_F_LOWER_SAFE: /* safe value min(w, k) */
		return sw <= sk;
	case REGDB_F_HIGHER_SAFE: /* max(w, k) */
		return sw >= sk;
	case REGDB_F_HIGHER_OR_ZERO_SAFE: /* 0 if either is 0, else max(w, k) */
		return sw == 0 || (sk != 0 && sw >= sk);
	case REGDB_F_EXACT: /* the table's safe value */
		return sw == (int64_t)REGDB_F_EXACT_SAFE(f->flags);
	default:
		return 0;
	}
}

static uint64_t field_get(uint64_t v, unsigned shift, unsigned width)
{
	return (v >> shift) & bits_of_width(width);
}

/* The one-reg id of an arm64 system register the database names. */
static uint64_t arm64_id(const char *name)
{
	const struct regdb_reg *g = regdb_reg_by_name(name, KVMPROF_ARCH_ARM64);

	return g ? g->id : 0;
}

/* Field `field` of value v of the database's register `reg` (0 if either is unknown). */
static uint64_t arm64_field(const char *reg, const char *field, uint64_t v)
{
	const struct regdb_reg *g = regdb_reg_by_name(reg, KVMPROF_ARCH_ARM64);
	const struct regdb_field *f = g ? regdb_field_by_name(g, field) : NULL;

	return f ? field_get(v, f->shift, f->width) : 0;
}

/*
 * The state of kernel fact f on the capture's kernel: 1 yes, 0 no, -1 the
 * fact does not decide it (why names what is missing).
 */
static int kfact_on_capture(const struct replay *r, const struct regdb_kfact *f, char *why, size_t len)
{
	const struct regdb_kfact_range *range;
	uint32_t kver;
	int patch_known, state;

	if (regdb_kernel_version(r->h->kernel, &kver, &patch_known) < 0) {
		snprintf(why, len, "the capture's kernel (%s) has no version, which the register database's fact %s needs",
			 r->h->kernel ? r->h->kernel : "not recorded", f->name);
		return -1;
	}
	state = regdb_kfact_state(f, kver, patch_known, &range);
	if (state == REGDB_KFACT_UNKNOWN) {
		snprintf(why, len, "the register database's fact %s does not decide kernel %s (%s)", f->name,
			 r->h->kernel, range ? range->source
			 : patch_known ? "no range covers this version"
			 : "its point release is hidden by the Debian ABI name, and the fact differs within the series");
		return -1;
	}
	return state == REGDB_KFACT_YES;
}

/* The field of reg a kernel fact with a `set` rule is about, or NULL. */
static const struct regdb_field *set_rule_field(const struct regdb_kfact *k, const struct regdb_reg *reg)
{
	size_t n = strlen(reg->name);

	if (k->set == REGDB_SET_NONE || k->arch != reg->arch || strncmp(k->reg, reg->name, n) || k->reg[n] != '.')
		return NULL;
	return regdb_field_by_name(reg, k->reg + n + 1);
}

/*
 * What KVM's set_user handler of register reg does before
 * arm64_check_features() (the set_id_*() functions of
 * arch/arm64/kvm/sys_regs.c), from the register database's kernel facts
 * with a `set` rule that hold on the capture's kernel: the rewrites first,
 * then the refusals, as the handlers do. Returns 0 and in *val the value KVM
 * checks and stores, -1 if KVM refuses it, -2 if the answer is not known
 * (*why says why, *unknown holds the bits of the field that decides).
 */
static int arm64_set_rules(struct replay *r, const struct regdb_reg *reg, uint64_t def, uint64_t *val, const char **why,
			   uint64_t *unknown)
{
	for (int refusals = 0; refusals < 2; refusals++) {
		for (size_t k = 0; k < regdb_n_kfacts; k++) {
			const struct regdb_kfact *f = &regdb_kfacts[k];
			const struct regdb_field *rf = set_rule_field(f, reg);
			uint64_t v, kvm;
			int applies;

			/* by-flag and keep are for captures without masks (arm64_writable_without_masks) */
			if (!rf || f->set == REGDB_SET_BY_FLAG || f->set == REGDB_SET_KEEP ||
			    (f->set == REGDB_SET_REFUSE) != refusals)
				continue;
			v = field_get(*val, rf->shift, rf->width);
			kvm = field_get(def, rf->shift, rf->width);
			if (f->set == REGDB_SET_AS ? v != f->set_a
			    : f->set == REGDB_SET_REFUSE ? v < f->set_a || v > f->set_b
			    : v == kvm || v == 0) /* HOST_AS_ZERO: KVM's own value and 0 need no rule */
				continue;
			applies = kfact_on_capture(r, f, r->why, sizeof(r->why));
			if (applies < 0) {
				*why = r->why;
				*unknown = bits_of_width(rf->width) << rf->shift;
				return -2;
			}
			if (!applies)
				continue;
			if (f->set == REGDB_SET_REFUSE)
				return -1;
			if (f->set == REGDB_SET_HOST_AS_ZERO) {
				snprintf(r->why, sizeof(r->why), "KVM accepts the host's own %s value here, which the capture does not record (%s)",
					 f->reg, f->name);
				*why = r->why;
				*unknown = bits_of_width(rf->width) << rf->shift;
				return -2;
			}
			*val = (*val & ~(bits_of_width(rf->width) << rf->shift)) | (f->set_b << rf->shift);
		}
	}
	return 0;
}

/*
 * set_clidr(), Linux v6.12 arch/arm64/kvm/sys_regs.c: any CLIDR_EL1 inside
 * its writable mask (~RES0), except one whose LoC is 0, or whose LoUU and
 * LoUIS are both 0, ("no data-cache clean to the point of unification
 * needed") while the host's sanitised CTR_EL0.IDC is 0. The host's CTR_EL0
 * is what a fresh VM reads (its reset value), so the capture's default.
 */
static int arm64_clidr_ok(const struct replay *r, uint64_t val, const char **why)
{
	long ctr = reg_index(r, arm64_id("CTR_EL0"));
	int idc = arm64_field("CLIDR_EL1", "LoC", val) == 0 ||
		  (arm64_field("CLIDR_EL1", "LoUIS", val) == 0 && arm64_field("CLIDR_EL1", "LoUU", val) == 0);

	if (!idc)
		return 1;
	if (ctr < 0) {
		*why = "the capture has no CTR_EL0, which decides whether KVM accepts this CLIDR_EL1 (set_clidr)";
		return -1;
	}
	return (int)arm64_field("CTR_EL0", "IDC", r->h->reg_values[ctr].value);
}

/*
 * set_ccsidr(), Linux 7.3.4 arch/arm64/kvm/sys_regs.c (used here for kernels
 * with writable masks, 6.7 on; the matrix checks it live on 6.12 ... 7.3):
 * any CCSIDR of 32 bits whose line size (LineSize + 4, log2 bytes) is at
 * least the host's minimum for that cache, CTR_EL0.IminLine or DminLine + 2
 * (the capture's CTR_EL0 default is the host's sanitised value).
 */
static int arm64_ccsidr_ok(const struct replay *r, uint64_t id, uint64_t val, const char **why)
{
	long ctr = reg_index(r, arm64_id("CTR_EL0"));
	uint64_t min_line;

	if (ctr < 0) {
		*why = "the capture has no CTR_EL0, whose minimum line sizes decide whether KVM accepts this CCSIDR (set_ccsidr)";
		return -1;
	}
	/* CSSELR bit 0 (InD) selects the instruction cache */
	min_line = arm64_field("CTR_EL0", id & 1 ? "IminLine" : "DminLine", r->h->reg_values[ctr].value) + 2;
	return (val >> 32) == 0 && arm64_field("CCSIDR_EL1.L1D", "LineSize", val) + 4 >= min_line;
}

/* arm64: may the kernel move register `id` from def to *val (which it may
 * normalise)? 1 yes, 0 no, -1 unknown (*why says why). */

/*
 * PSCI_VERSION, kvm_arm_set_fw_reg() (Linux 7.3.4 arch/arm64/kvm/hypercalls.c;
 * the same rule in 6.1 and 6.12 with 1.1 as the latest): with the psci-0.2
 * vCPU feature (which VMMs set; the captures are made with it) any version
 * the kernel implements, 0.2, 1.0, 1.1, and from 6.13 1.2 and 1.3 - that
 * is, up to the kernel's default (KVM_ARM_PSCI_LATEST); 0.1 and any other
 * value are EINVAL.
 */
static int psci_version_writable(uint64_t val, uint64_t def)
{
	switch (val) {
	case 0x2:     /* 0.2 */
	case 0x10000: /* 1.0 */
	case 0x10001: /* 1.1 */
	case 0x10002: /* 1.2 */
	case 0x10003: /* 1.3 */
		return val <= def;
	default:
		return 0;
	}
}

/*
 * A feature ID register on a kernel whose capture has no writable masks
 * (6.1 ... 6.6 have none): the database's `set by-flag` / `set keep` facts
 * decide, per changed field (ID_AA64PFR0_EL1.CSV2 by-flag: its lower-safe
 * flag), then for every other changed bit the fact about
 * FEATURE_ID_REGISTERS (keep: invariant before 6.7). 1 accepted, 0 EINVAL,
 * -1 no fact decides (why says which).
 */
static int arm64_writable_without_masks(struct replay *r, const struct regdb_reg *reg, uint64_t def, uint64_t val,
					const char **why)
{
	const struct regdb_kfact *cls = regdb_kfact_without_masks(KVMPROF_ARCH_ARM64, "FEATURE_ID_REGISTERS");
	uint64_t changed = val ^ def, covered = 0;
	int unknown = 0, state;

	for (uint32_t k = 0; reg && k < reg->n_fields; k++) {
		const struct regdb_field *rf = &reg->fields[k];
		uint64_t fm = bits_of_width(rf->width) << rf->shift;
		char what[160];
		const struct regdb_kfact *f;

		if (!(changed & fm))
			continue;
		snprintf(what, sizeof(what), "%s.%s", reg->name, rf->name);
		if (!(f = regdb_kfact_without_masks(KVMPROF_ARCH_ARM64, what)))
			continue;
		state = kfact_on_capture(r, f, r->why, sizeof(r->why));
		if (state == 0)
			continue; /* the rule does not hold here: the class decides */
		covered |= fm;
		if (state < 0)
			unknown = 1;
		else if (f->set == REGDB_SET_KEEP ||
			 !arm64_field_safe(rf, field_get(val, rf->shift, rf->width), field_get(def, rf->shift, rf->width)))
			return 0; /* one refused field refuses the write */
	}
	if (changed & ~covered) {
		if (reg && reg->writable_since && r->h->kernel_version >= reg->writable_since) {
			*why = "this kernel lets a VMM change this register, by a rule the capture does not record";
			return -1;
		}
		if (!cls) {
			*why = "the capture has no writable masks and the register database no fact about FEATURE_ID_REGISTERS";
			return -1;
		}
		state = kfact_on_capture(r, cls, r->why, sizeof(r->why));
		if (state == 1)
			return 0; /* invariant: a change outside the writable fields is EINVAL */
		if (state == 0)
			snprintf(r->why, sizeof(r->why), "kernel %s has writable ID register masks (%s: no), which the capture does not record",
				 r->h->kernel, cls->name);
		*why = r->why;
		return -1;
	}
	if (unknown) {
		*why = r->why;
		return -1;
	}
	return 1;
}

/*
 * A register flagged keeps-lower-writes (the SMCCC workaround levels,
 * kvm_arm_set_fw_reg() of Linux 6.1.192 and 7.3.4 arch/arm64/kvm/hypercalls.c):
 * does KVM return 0 for `val` (then keeping `def`, the host's level)? Its
 * State field is the level; SMCCC_ARCH_WORKAROUND_2 (with ENABLED) has its
 * own mapping.
 */
static int keeps_lower_accepted(const struct regdb_reg *reg, uint64_t val, uint64_t def)
{
	const struct regdb_field *state = regdb_field_by_name(reg, "State");
	const struct regdb_field *enabled = regdb_field_by_name(reg, "ENABLED");
	uint64_t known = state ? bits_of_width(state->width) << state->shift : 0, level, mapped;

	if (enabled)
		known |= bits_of_width(enabled->width) << enabled->shift;
	if (!state || (val & ~known))
		return 0;
	level = field_get(val, state->shift, state->width);
	if (!enabled)
		return level <= def; /* WORKAROUND_1 and _3: up to the host's level */
	/* WORKAROUND_2: ENABLED only with AVAIL (2); NOT_AVAIL (0) and UNKNOWN
	 * (1) count as NOT_AVAIL, AVAIL and NOT_REQUIRED (3) as NOT_REQUIRED */
	if (field_get(val, enabled->shift, enabled->width) && level != 2)
		return 0;
	if (level > 3)
		return 0;
	mapped = level <= 1 ? 0 : 3;
	return mapped <= field_get(def, state->shift, state->width);
}

static int arm64_writable(struct replay *r, uint64_t id, uint64_t def, uint64_t *val, const char **why)
{
	const struct host_facts *h = r->h;
	const struct host_reg_value *m;
	const struct regdb_reg *reg;
	uint64_t mask, covered = 0, changed, unknown = 0;
	int rule;

	if (id == KVMPROF_ARM64_PSCI_VERSION)
		return psci_version_writable(*val, def);
	if (h->have_masks && (id & KVMPROF_REG_ARM_COPROC_MASK) == KVMPROF_REG_ARM_DEMUX) /* CCSIDR */
		return arm64_ccsidr_ok(r, id, *val, why);
	/* The feature ID range of KVM_ARM_GET_REG_WRITABLE_MASKS
	 * (kvmprof_id_range_index, kvm_compat.h). */
	if (kvmprof_id_range_index(id) < 0)
		return -1; /* no mask covers it: the caller's reason stands */
	if (!h->have_masks)
		return arm64_writable_without_masks(r, regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, id, 0), def,
						    *val, why);
	m = host_reg_mask(h, id);
	mask = m ? m->value : 0;
	reg = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, id, 0);
	/* The register's set_id_*() handler first, then the mask (set_id_reg()):
	 * a field outside the mask that the handler drops is no refusal. A
	 * field whose rule is not known leaves the write unknown only if the
	 * rest of it would pass the mask. */
	rule = reg ? arm64_set_rules(r, reg, def, val, why, &unknown) : 0;
	if (rule == -1 || ((*val ^ def) & ~mask & ~unknown))
		return 0;
	if (rule == -2)
		return -1;
	if (id == arm64_id("CLIDR_EL1"))
		return arm64_clidr_ok(r, *val, why);
	if (!reg) {
		*why = "the register database does not know this register's fields, so not KVM's rule for them";
		return -1;
	}
	changed = *val ^ def;
	/* arm64_check_features(): each table field wholly inside the writable
	 * mask must be safe; every other bit must keep KVM's value. */
	for (uint32_t f = 0; f < reg->n_fields; f++) {
		const struct regdb_field *rf = &reg->fields[f];
		uint64_t fm = bits_of_width(rf->width) << rf->shift;

		if (!(rf->flags & REGDB_F_SAFE_MASK) || (fm & mask) != fm)
			continue;
		covered |= fm;
		if ((changed & fm) &&
		    !arm64_field_safe(rf, field_get(*val, rf->shift, rf->width), field_get(def, rf->shift, rf->width)))
			return 0;
	}
	return (changed & ~covered) ? 0 : 1;
}

/* The database's record of an arm64 one-reg id (system, firmware or CCSIDR register). */
static const struct regdb_reg *arm64_reg(uint64_t id)
{
	static const int spaces[] = { REGDB_ARM64_SYSREG, REGDB_ARM64_FW, REGDB_ARM64_DEMUX };
	const struct regdb_reg *reg = NULL;

	for (size_t k = 0; k < sizeof(spaces) / sizeof(spaces[0]) && !reg; k++)
		reg = regdb_reg_by_id(KVMPROF_ARCH_ARM64, spaces[k], id, 0);
	return reg;
}

static int set_one_reg(struct replay *r, const struct kvm_one_reg *one)
{
	long i = reg_index(r, one->id);
	unsigned bytes = 1u << ((one->id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
	uint64_t v = 0;
	const char *why = "the capture does not record whether the kernel accepts a change of this register";
	const struct regdb_reg *reg = r->h->arch == KVMPROF_ARCH_ARM64 ? arm64_reg(one->id) : NULL;
	int ok;

	if (i < 0)
		return host_reg_listed(r->h, one->id) ? -EIO : -ENOENT;
	memcpy(&v, (const void *)(uintptr_t)one->addr, bytes < 8 ? bytes : 8);
	if (v == r->values[i])
		return 0;
	/* The database's rules that need no mask: a register KVM keeps
	 * invariant before some kernel (CLIDR_EL1, CCSIDR_EL1 before 6.3), and
	 * one KVM lets a VMM lower as a whole (PSCI_VERSION). */
	if (reg && reg->writable_since && r->h->kernel_version && r->h->kernel_version < reg->writable_since)
		return -EINVAL;
	if (reg && (reg->flags & REGDB_R_KEEPS_LOWER)) /* returns 0, the value stays */
		return keeps_lower_accepted(reg, v, r->values[i]) ? 0 : -EINVAL;
	/* PSCI_VERSION: not any lower value, only a version KVM implements
	 * (psci_version_writable(): 0.1 is EINVAL with psci-0.2) */
	if (reg && (reg->flags & REGDB_R_LOWER_SAFE) && one->id != KVMPROF_ARM64_PSCI_VERSION) {
		if (v > r->h->reg_values[i].value)
			return -EINVAL;
		r->values[i] = v;
		return 0;
	}
	if (reg && reg->writable_since)
		why = "this kernel lets a VMM change this register, by a rule the capture does not record";
	ok = r->h->arch == KVMPROF_ARCH_ARM64 ? arm64_writable(r, one->id, r->h->reg_values[i].value, &v, &why) : -1;
	if (ok < 0) {
		note_unknown(r, KVMPROF_KIND_ONE_REG, one->id, why);
		return -ENODATA;
	}
	if (!ok)
		return -EINVAL;
	r->values[i] = v;
	return 0;
}

/* ---- device attributes ---- */

static long attr_index(const struct replay *r, uint32_t group, uint64_t attr)
{
	for (size_t i = 0; i < r->h->n_attrs; i++)
		if (r->h->attrs[i].group == group && r->h->attrs[i].attr == attr)
			return (long)i;
	return -1;
}

static const struct regdb_reg *attr_reg(const struct replay *r, uint32_t group, uint64_t attr)
{
	long i = attr_index(r, group, attr);
	int space;

	if (i < 0)
		return NULL;
	space = r->h->attrs[i].device == 5 /* KVM_DEV_TYPE_ARM_VGIC_V2 */ ? REGDB_VGIC_V2_DIST
		: group == 5 /* KVM_DEV_ARM_VGIC_GRP_REDIST_REGS */ ? REGDB_VGIC_V3_REDIST : REGDB_VGIC_V3_DIST;
	return regdb_reg_by_id(KVMPROF_ARCH_ARM64, space, attr, 0);
}

/*
 * A write of REG.FIELD that the capture did not probe, decided by the
 * register database's kernel-keyed fact "...-write-ignored" about that field
 * (kfact records, docs/regdb.md): 1 on the capture's kernel KVM returns 0
 * and keeps the field (GICD_IIDR.Revision from v5.19 until a0e6ae45af17),
 * 0 no such fact, or it says the written value is used (the capture still
 * does not say which values), -1 the fact does not decide this kernel (why
 * names what is missing).
 */
static int kfact_write_ignored(const struct replay *r, const char *reg, const char *field, char *why, size_t len)
{
	for (size_t k = 0; k < regdb_n_kfacts; k++) {
		const struct regdb_kfact *f = &regdb_kfacts[k];
		size_t n = strlen(reg), ln = strlen(f->name), ls = strlen("-write-ignored");

		if (f->arch != r->h->arch || strncmp(f->reg, reg, n) || f->reg[n] != '.' || strcmp(f->reg + n + 1, field) ||
		    ln < ls || strcmp(f->name + ln - ls, "-write-ignored"))
			continue;
		return kfact_on_capture(r, f, why, len);
	}
	return 0;
}

static int device_attr(struct replay *r, unsigned long req, const struct kvm_device_attr *a)
{
	/* One vCPU is replayed: a redistributor or CPU-interface attribute
	 * names it in bits 63:32 (its MPIDR affinity, 0 for vCPU 0). */
	int per_vcpu = a->group == KVMPROF_VGIC_GRP_REDIST_REGS || a->group == KVMPROF_VGIC_GRP_CPU_SYSREGS;
	long i = per_vcpu && (a->attr >> 32) ? -1 : attr_index(r, a->group, a->attr);
	const struct regdb_reg *reg;
	uint64_t v = 0, changed;
	uint32_t v32;
	char why[320];

	if (i < 0) {
		if (!r->h->n_attrs)
			note_unknown(r, KVMPROF_KIND_DEVICE_ATTR, a->attr, "the capture records no device attributes");
		return -ENXIO;
	}
	reg = attr_reg(r, a->group, a->attr);
	if (req == KVM_HAS_DEVICE_ATTR)
		return 0;
	if (req == KVM_GET_DEVICE_ATTR) {
		if (!reg || reg->width <= 32) {
			v32 = (uint32_t)r->attr_values[i];
			memcpy((void *)(uintptr_t)a->addr, &v32, sizeof(v32));
		} else {
			memcpy((void *)(uintptr_t)a->addr, &r->attr_values[i], sizeof(uint64_t));
		}
		return 0;
	}
	if (!reg || reg->width <= 32) {
		memcpy(&v32, (const void *)(uintptr_t)a->addr, sizeof(v32));
		v = v32;
	} else {
		memcpy(&v, (const void *)(uintptr_t)a->addr, sizeof(v));
	}
	changed = v ^ r->h->attrs[i].value;
	for (uint32_t f = 0; reg && f < reg->n_fields && changed; f++) {
		const struct regdb_field *rf = &reg->fields[f];
		uint64_t fm = bits_of_width(rf->width) << rf->shift;
		const struct host_range *range;

		if (!(changed & fm))
			continue;
		range = host_range_find(r->h, reg->name, rf->name);
		if (!range) { /* a change the capture did not probe */
			int ignored = kfact_write_ignored(r, reg->name, rf->name, why, sizeof(why));

			if (ignored < 0) {
				note_unknown(r, KVMPROF_KIND_DEVICE_ATTR, a->attr, why);
				return -ENODATA;
			}
			if (!ignored)
				break; /* unknown */
			v = (v & ~fm) | (r->attr_values[i] & fm); /* returns 0, keeps the field */
			changed &= ~fm;
			continue;
		}
		if (((v & fm) >> rf->shift) < range->lo || ((v & fm) >> rf->shift) > range->hi)
			return -EINVAL;
		changed &= ~fm;
	}
	if (changed) {
		note_unknown(r, KVMPROF_KIND_DEVICE_ATTR, a->attr,
			     "the capture does not record which values of this register the kernel accepts");
		return -ENODATA;
	}
	r->attr_values[i] = v;
	return 0;
}

/* ---- x86: CPUID and MSRs ---- */

/* The largest CPUID table the replay keeps (KVM's own limit is 256). */
#define REPLAY_MAX_CPUID 256

static int supported_cpuid(struct replay *r, struct kvmprof_cpuid_head *t)
{
	const struct host_facts *h = r->h;

	if (!h->have_cpuid) {
		note_unknown(r, KVMPROF_KIND_CPUID, 0, "the capture has no supported CPUID");
		return -ENODATA;
	}
	if (t->nent < h->n_cpuid) {
		t->nent = (uint32_t)h->n_cpuid;
		return -E2BIG;
	}
	t->nent = (uint32_t)h->n_cpuid;
	for (size_t i = 0; i < h->n_cpuid; i++) {
		memset(&t->entries[i], 0, sizeof(t->entries[i]));
		t->entries[i].function = h->cpuid[i].function;
		t->entries[i].index = h->cpuid[i].index;
		t->entries[i].flags = h->cpuid[i].flags;
		memcpy(t->entries[i].regs, h->cpuid[i].regs, sizeof(t->entries[i].regs));
	}
	return 0;
}

/*
 * What KVM_SET_CPUID2 refuses as a whole, whatever the kernel supports
 * (kvm_check_cpuid(), Linux 7.3.4 arch/x86/kvm/cpuid.c; the same since
 * 5.17): a guest virtual-address width (0x80000008.EAX[15:8]) other than 0,
 * 48 or 57 is EINVAL; dynamic XSAVE features in 0xD.0 (XTILEDATA, bit 18:
 * AMX tile data) need the process to have asked for them with
 * arch_prctl(ARCH_REQ_XCOMP_GUEST_PERM), which libkvmprof does not, so
 * fpu_enable_guest_xfd_features() answers EPERM. 0, or the error.
 */
static int x86_set_cpuid_refused(const struct kvmprof_cpuid_head *t)
{
	const struct kvmprof_cpuid_leaf *e = (const struct kvmprof_cpuid_leaf *)(t + 1);

	for (uint32_t i = 0; i < t->nent; i++) {
		unsigned vaddr = (e[i].regs[0] >> 8) & 0xff;

		if (e[i].function == 0x80000008 && vaddr && vaddr != 48 && vaddr != 57)
			return -EINVAL;
		if (e[i].function == 0xd && e[i].index == 0 && (e[i].regs[0] & (1u << 18)))
			return -EPERM;
	}
	return 0;
}

static int msr_list(struct replay *r, struct kvmprof_msr_list_head *l, int features)
{
	const struct host_facts *h = r->h;
	size_t n = features ? h->n_feature_msrs : h->n_msr_list;

	if (features ? !h->have_feature_msrs : !h->have_msr_list) {
		note_unknown(r, KVMPROF_KIND_MSR, 0, "the capture has no MSR lists");
		return -ENODATA;
	}
	if (l->nmsrs < n) {
		l->nmsrs = (uint32_t)n;
		return -E2BIG;
	}
	l->nmsrs = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		l->indices[i] = features ? h->feature_msrs[i].index : h->msr_list[i];
	return 0;
}

static const struct host_msr *feature_msr(const struct host_facts *h, uint32_t index)
{
	for (size_t i = 0; i < h->n_feature_msrs; i++)
		if (h->feature_msrs[i].index == index)
			return &h->feature_msrs[i];
	return NULL;
}

static long vcpu_msr(const struct replay *r, uint32_t index)
{
	for (size_t i = 0; i < r->h->n_vcpu_msrs; i++)
		if (r->h->vcpu_msrs[i].index == index)
			return (long)i;
	return -1;
}

static int msr_listed(const struct host_facts *h, uint32_t index)
{
	for (size_t i = 0; i < h->n_msr_list; i++)
		if (h->msr_list[i] == index)
			return 1;
	return 0;
}

/*
 * Does KVM store a host-initiated write of MSR index as written on the
 * capture's kernel (a kernel fact with `set taken`, regdb/x86-kernel-facts.db)?
 * 1 yes, 0 no fact says so, -1 the fact does not decide it (r->why says why).
 */
static int msr_write_taken(struct replay *r, uint32_t index)
{
	const struct regdb_reg *reg = regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_MSR, index, 0);

	for (size_t k = 0; reg && k < regdb_n_kfacts; k++) {
		const struct regdb_kfact *f = &regdb_kfacts[k];
		int state;

		if (f->set != REGDB_SET_TAKEN || f->arch != KVMPROF_ARCH_X86_64 || strcmp(f->reg, reg->name))
			continue;
		state = kfact_on_capture(r, f, r->why, sizeof(r->why));
		if (state <= 0)
			return state;
		if (r->quirks_disabled & f->set_a) {
			snprintf(r->why, sizeof(r->why),
				 "the register database's fact %s holds while quirks 0x%" PRIx64 " are kept; the profile disables 0x%" PRIx64,
				 f->name, f->set_a, r->quirks_disabled & f->set_a);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* Returns how many MSRs were read or written, like KVM. */
static int msrs(struct replay *r, int fd, struct kvmprof_msrs_head *m, int set)
{
	for (uint32_t i = 0; i < m->nmsrs; i++) {
		struct kvmprof_msr_entry *e = &m->entries[i];
		const struct host_msr *f = feature_msr(r->h, e->index);
		long k = vcpu_msr(r, e->index);

		if (fd == REPLAY_KVM_FD) {
			if (set || !f)
				return (int)i;
			e->data = f->value;
			continue;
		}
		if (k < 0) {
			note_unknown(r, KVMPROF_KIND_MSR, e->index,
				     r->h->have_msr_list && !msr_listed(r->h, e->index)
				     ? "KVM_GET_MSR_INDEX_LIST of this kernel does not list this MSR, and the capture records no vCPU value for it"
				     : "the capture does not record this MSR's vCPU value");
			return (int)i;
		}
		if (!set) {
			e->data = r->msr_values[k];
			continue;
		}
		if (e->data != r->msr_values[k] && !(f && !(e->data & ~f->value))) {
			int taken = msr_write_taken(r, e->index);

			if (taken <= 0) {
				note_unknown(r, KVMPROF_KIND_MSR, e->index, taken < 0 ? r->why
					     : "the capture does not record whether the vCPU accepts this MSR value");
				return (int)i;
			}
		}
		r->msr_values[k] = e->data;
	}
	return (int)m->nmsrs;
}

/* ---- the backend ---- */

static int replay_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct replay *r = ctx;

	switch (req) {
	case KVM_CHECK_EXTENSION:
		return check_extension(r, (uint64_t)(uintptr_t)arg);
	case KVM_ENABLE_CAP:
		return enable_cap(r, arg);
	case KVM_GET_REG_LIST:
		return get_reg_list(r, arg);
	case KVM_GET_ONE_REG:
		return get_one_reg(r, arg);
	case KVM_SET_ONE_REG:
		return set_one_reg(r, arg);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return device_attr(r, req, arg);
	case KVMPROF_KVM_ARM_GET_REG_WRITABLE_MASKS: {
		struct kvmprof_reg_mask_range *range = arg;
		uint64_t *masks = (uint64_t *)(uintptr_t)range->addr;

		if (!r->h->have_masks)
			return -EINVAL;
		memset(masks, 0, KVMPROF_ID_RANGE_WORDS * sizeof(uint64_t));
		for (size_t i = 0; i < r->h->n_masks; i++) {
			int at = kvmprof_id_range_index(r->h->masks[i].id);
			if (at >= 0)
				masks[at] = r->h->masks[i].value;
		}
		return 0;
	}
	case KVMPROF_KVM_ARM_VCPU_INIT:
		return 0;
	case KVMPROF_KVM_GET_SUPPORTED_CPUID:
		return supported_cpuid(r, arg);
	case KVMPROF_KVM_SET_CPUID2: {
		const struct kvmprof_cpuid_head *t = arg;

		int refused;

		if (t->nent > REPLAY_MAX_CPUID)
			return -E2BIG;
		refused = x86_set_cpuid_refused(t);
		if (refused)
			return refused;
		free(r->cpuid_set);
		r->cpuid_set = xcalloc(1, sizeof(struct kvmprof_cpuid_head) +
					  REPLAY_MAX_CPUID * sizeof(struct kvmprof_cpuid_leaf));
		memcpy(r->cpuid_set, arg, sizeof(uint64_t) + t->nent * sizeof(struct kvmprof_cpuid_leaf));
		return 0;
	}
	case KVMPROF_KVM_GET_CPUID2: {
		struct kvmprof_cpuid_head *t = arg, *set = r->cpuid_set;

		if (!set)
			return -ENODATA;
		if (t->nent < set->nent) {
			t->nent = set->nent;
			return -E2BIG;
		}
		memcpy(t, set, sizeof(uint64_t) + set->nent * sizeof(struct kvmprof_cpuid_leaf));
		return 0;
	}
	case KVMPROF_KVM_GET_MSR_FEATURE_INDEX_LIST:
		return msr_list(r, arg, 1);
	case KVMPROF_KVM_GET_MSR_INDEX_LIST:
		return msr_list(r, arg, 0);
	case KVMPROF_KVM_GET_MSRS:
		return msrs(r, fd, arg, 0);
	case KVMPROF_KVM_SET_MSRS:
		return msrs(r, fd, arg, 1);
	default:
		note_unknown(r, 0, req, "an ioctl the replay does not emulate");
		return -ENOTTY;
	}
}

static uint32_t replay_arch(void *ctx)
{
	return ((struct replay *)ctx)->h->arch;
}

static int replay_uname(void *ctx, char *buf, size_t len)
{
	struct replay *r = ctx;

	if (!r->h->kernel || len == 0)
		return -ENODATA;
	snprintf(buf, len, "%s", r->h->kernel);
	return 0;
}

void replay_init(struct replay *r, const struct host_facts *h)
{
	memset(r, 0, sizeof(*r));
	r->h = h;
	r->sys.ioctl = replay_ioctl;
	r->sys.uname_release = replay_uname;
	r->sys.host_arch = replay_arch;
	r->sys.ctx = r;
	r->values = xcalloc(h->n_reg_values + 1, sizeof(uint64_t));
	for (size_t i = 0; i < h->n_reg_values; i++)
		r->values[i] = h->reg_values[i].value;
	r->attr_values = xcalloc(h->n_attrs + 1, sizeof(uint64_t));
	for (size_t i = 0; i < h->n_attrs; i++)
		r->attr_values[i] = h->attrs[i].value;
	r->msr_values = xcalloc(h->n_vcpu_msrs + 1, sizeof(uint64_t));
	for (size_t i = 0; i < h->n_vcpu_msrs; i++)
		r->msr_values[i] = h->vcpu_msrs[i].value;
}

void replay_fini(struct replay *r)
{
	free(r->values);
	free(r->attr_values);
	free(r->msr_values);
	free(r->cpuid_set);
	memset(r, 0, sizeof(*r));
}
