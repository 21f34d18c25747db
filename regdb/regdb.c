/* SPDX-License-Identifier: MIT */
/*
 * regdb.c - lookups over the generated register database (regdb_data.c) and
 * the arm64 one-reg encoding helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_compat.h"
#include "kvmprof.h"
#include "regdb.h"

const struct regdb_arch regdb_archs[] = {
	{ KVMPROF_ARCH_ARM64, "arm64", "KVMPROF_ARCH_ARM64" },
	{ KVMPROF_ARCH_X86_64, "x86_64", "KVMPROF_ARCH_X86_64" },
};
const size_t regdb_n_archs = sizeof(regdb_archs) / sizeof(regdb_archs[0]);

const struct regdb_arch *regdb_arch(int arch)
{
	for (size_t i = 0; i < regdb_n_archs; i++)
		if (regdb_archs[i].arch == arch)
			return &regdb_archs[i];
	return NULL;
}

const char *regdb_arch_name(int arch)
{
	const struct regdb_arch *a = regdb_arch(arch);
	return a ? a->name : "?";
}

int regdb_arch_by_name(const char *name)
{
	for (size_t i = 0; name && i < regdb_n_archs; i++)
		if (!strcmp(regdb_archs[i].name, name))
			return regdb_archs[i].arch;
	return KVMPROF_ARCH_NONE;
}

void regdb_arch_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < regdb_n_archs && used < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == regdb_n_archs ? " or " : ", ";
		int n = snprintf(buf + used, len - used, "%s%s", sep, regdb_archs[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int regdb_host_arch(void)
{
#if defined(__aarch64__)
	return KVMPROF_ARCH_ARM64;
#elif defined(__x86_64__)
	return KVMPROF_ARCH_X86_64;
#else
	return KVMPROF_ARCH_NONE;
#endif
}

/* arm64 one-reg id of a system register: KVMPROF_ARM64_SYSREG of the one
 * uAPI header (kvm_compat.h). */
uint64_t regdb_arm64_sysreg_id(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2)
{
	return KVMPROF_ARM64_SYSREG(op0 & 0x3, op1 & 0x7, crn & 0xf, crm & 0xf, op2 & 0x7);
}

/* Reads a decimal number of at most two digits <= max; advances *p. */
static int parse_small(const char **p, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 3) {
		v = v * 10 + (unsigned)(*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || digits > 2 || v > max)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int regdb_parse_generic_sysreg(const char *name, uint64_t *id)
{
	unsigned op0, op1, crn, crm, op2;
	const char *p = name;

	if (!name || (*p != 'S' && *p != 's'))
		return -1;
	p++;
	if (parse_small(&p, 3, &op0) || *p++ != '_' ||
	    parse_small(&p, 7, &op1) || *p++ != '_' ||
	    (*p != 'C' && *p != 'c') || (p++, parse_small(&p, 15, &crn)) || *p++ != '_' ||
	    (*p != 'C' && *p != 'c') || (p++, parse_small(&p, 15, &crm)) || *p++ != '_' ||
	    parse_small(&p, 7, &op2) || *p != '\0')
		return -1;
	if (id)
		*id = regdb_arm64_sysreg_id(op0, op1, crn, crm, op2);
	return 0;
}

/* regdb_regs[] is sorted by (arch, name) with strcmp order (gen-regdb.awk). */
static const struct regdb_reg *find_in_arch(const char *name, int arch)
{
	size_t lo = 0, hi = regdb_n_regs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct regdb_reg *r = &regdb_regs[mid];
		int c = r->arch != arch ? (r->arch < arch ? -1 : 1) : strcmp(r->name, name);

		if (c == 0)
			return r;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct regdb_reg *regdb_reg_by_name(const char *name, int arch)
{
	const struct regdb_reg *r;

	if (!name)
		return NULL;
	if (arch != 0)
		return find_in_arch(name, arch);
	r = find_in_arch(name, 1 /* KVMPROF_ARCH_ARM64 */);
	return r ? r : find_in_arch(name, 2 /* KVMPROF_ARCH_X86_64 */);
}

const struct regdb_reg *regdb_reg_by_id(int arch, int space, uint64_t id, int cpuid_reg)
{
	for (size_t i = 0; i < regdb_n_regs; i++) {
		const struct regdb_reg *r = &regdb_regs[i];

		if ((arch != 0 && r->arch != arch) || r->space != space || r->id != id)
			continue;
		if (space == REGDB_X86_CPUID && r->cpuid_reg != cpuid_reg)
			continue;
		return r;
	}
	return NULL;
}

const struct regdb_field *regdb_field_by_name(const struct regdb_reg *r, const char *name)
{
	if (!r || !name)
		return NULL;
	for (uint32_t i = 0; i < r->n_fields; i++)
		if (strcmp(r->fields[i].name, name) == 0)
			return &r->fields[i];
	return NULL;
}

static int sym_arch_matches(const struct regdb_sym *s, int arch)
{
	return arch == 0 || s->arch == 0 || s->arch == arch;
}

/* regdb_syms[] is sorted by (kind, name): a few hundred entries, scanned. */
const struct regdb_sym *regdb_sym_by_name(int kind, const char *name, int arch)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < regdb_n_syms; i++) {
		const struct regdb_sym *s = &regdb_syms[i];

		if (s->kind == kind && sym_arch_matches(s, arch) && strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

const struct regdb_sym *regdb_sym_by_value(int kind, uint64_t value, int arch)
{
	for (size_t i = 0; i < regdb_n_syms; i++) {
		const struct regdb_sym *s = &regdb_syms[i];

		if (s->kind == kind && s->value == value && sym_arch_matches(s, arch))
			return s;
	}
	return NULL;
}

int regdb_for_each_span(const struct regdb_reg *r, unsigned width, regdb_span_fn fn, void *ctx)
{
	uint32_t n = r ? r->n_fields : 0, fi = 0;
	uint64_t covered = 0;
	int top = (int)width - 1, rc;
	char label[32];

	for (uint32_t i = 0; i < n; i++)
		covered |= (r->fields[i].width >= 64 ? UINT64_MAX : (UINT64_C(1) << r->fields[i].width) - 1)
			   << r->fields[i].shift;
	/* fields are sorted by shift, descending (the generator guarantees it) */
	while (top >= 0) {
		if (fi < n && (int)(r->fields[fi].shift + r->fields[fi].width - 1) >= top) {
			const struct regdb_field *f = &r->fields[fi++];
			if ((rc = fn(ctx, f, f->name, f->shift, f->width)) != 0)
				return rc;
			top = (int)f->shift - 1;
			continue;
		}
		int lo = top;
		while (lo > 0 && !(covered & (UINT64_C(1) << (lo - 1))))
			lo--;
		snprintf(label, sizeof(label), "bits %d:%d", top, lo);
		if ((rc = fn(ctx, NULL, label, (unsigned)lo, (unsigned)(top - lo + 1))) != 0)
			return rc;
		top = lo - 1;
	}
	return 0;
}

int regdb_write_rule(const struct regdb_reg *r, const struct regdb_field *f)
{
	if (!r || (r->flags & REGDB_R_KEEPS_LOWER))
		return REGDB_RULE_EXACT; /* a lower value is accepted but not presented */
	if (r->flags & REGDB_R_LOWER_SAFE)
		return REGDB_RULE_LOWER;
	if (!f)
		return REGDB_RULE_EXACT;
	if (f->flags & REGDB_F_LOWER_SAFE)
		return REGDB_RULE_LOWER;
	if (f->flags & (REGDB_F_HIGHER_SAFE | REGDB_F_HIGHER_OR_ZERO_SAFE))
		return REGDB_RULE_RAISE;
	/* x86: KVM takes any CPUID a VMM sets; a feature flag may be cleared. */
	if ((r->flags & REGDB_R_FEATURES) && f->width == 1)
		return REGDB_RULE_LOWER;
	return REGDB_RULE_EXACT;
}

const struct regdb_kfact *regdb_kfact_without_masks(int arch, const char *what)
{
	for (size_t k = 0; k < regdb_n_kfacts; k++) {
		const struct regdb_kfact *f = &regdb_kfacts[k];

		if (f->arch == arch && (f->set == REGDB_SET_BY_FLAG || f->set == REGDB_SET_KEEP) && !strcmp(f->reg, what))
			return f;
	}
	return NULL;
}

int regdb_write_rule_on(const struct regdb_reg *r, const struct regdb_field *f, const char *kernel,
			const struct regdb_kfact **fact)
{
	const struct regdb_kfact *cls, *own;
	const struct regdb_kfact_range *range;
	uint32_t kver;
	int patch_known, state;
	char what[160];

	if (fact)
		*fact = NULL;
	if (!r || !f || !kernel || r->arch != KVMPROF_ARCH_ARM64 || r->space != REGDB_ARM64_SYSREG ||
	    kvmprof_id_range_index(r->id) < 0 || regdb_kernel_version(kernel, &kver, &patch_known) < 0 ||
	    !(cls = regdb_kfact_without_masks(KVMPROF_ARCH_ARM64, "FEATURE_ID_REGISTERS")))
		return regdb_write_rule(r, f);
	state = regdb_kfact_state(cls, kver, patch_known, &range);
	if (state == REGDB_KFACT_NO)
		return regdb_write_rule(r, f); /* writable ID registers: their masks, which the flags follow */
	if (fact)
		*fact = cls;
	if (state == REGDB_KFACT_UNKNOWN)
		return REGDB_RULE_UNKNOWN;
	snprintf(what, sizeof(what), "%s.%s", r->name, f->name);
	own = regdb_kfact_without_masks(KVMPROF_ARCH_ARM64, what);
	if (!own)
		return REGDB_RULE_EXACT; /* invariant */
	state = regdb_kfact_state(own, kver, patch_known, &range);
	if (state == REGDB_KFACT_NO)
		return REGDB_RULE_EXACT; /* the class decides: invariant */
	if (fact)
		*fact = own;
	if (state == REGDB_KFACT_UNKNOWN)
		return REGDB_RULE_UNKNOWN;
	return own->set == REGDB_SET_KEEP ? REGDB_RULE_EXACT : regdb_write_rule(r, f);
}

const char *regdb_rule_name(int rule)
{
	return rule == REGDB_RULE_LOWER ? "lower" : rule == REGDB_RULE_RAISE ? "raise"
	       : rule == REGDB_RULE_UNKNOWN ? "unknown" : "exact";
}

static int64_t as_signed(uint64_t v, unsigned width)
{
	if (width >= 64)
		return (int64_t)v;
	uint64_t sign = UINT64_C(1) << (width - 1);
	return (int64_t)((v ^ sign) - sign);
}

int regdb_rule_compare(const struct regdb_field *f, unsigned width, uint64_t a, uint64_t b)
{
	if (f && (f->flags & REGDB_F_SIGNED)) {
		int64_t sa = as_signed(a, width), sb = as_signed(b, width);
		return sa < sb ? -1 : sa > sb;
	}
	return a < b ? -1 : a > b;
}

int regdb_rule_keeps(int rule, const struct regdb_field *f, unsigned width, uint64_t a, uint64_t b)
{
	int c = regdb_rule_compare(f, width, a, b);

	if (c == 0)
		return 1;
	if (rule == REGDB_RULE_UNKNOWN)
		return -1;
	if (rule == REGDB_RULE_LOWER)
		return c < 0; /* b's host may lower b to a */
	if (rule == REGDB_RULE_RAISE && f && (f->flags & REGDB_F_HIGHER_OR_ZERO_SAFE))
		return a == 0 || (b != 0 && c > 0);
	if (rule == REGDB_RULE_RAISE)
		return c > 0; /* b's host may raise b to a */
	return 0;
}

static uint64_t bits_of_fields(const struct regdb_reg *r, unsigned flags)
{
	uint64_t bits = 0;

	for (uint32_t i = 0; r && i < r->n_fields; i++) {
		const struct regdb_field *f = &r->fields[i];

		if (f->flags & flags)
			bits |= (f->width >= 64 ? ~0ull : ((1ull << f->width) - 1)) << f->shift;
	}
	return bits;
}

uint64_t regdb_per_vcpu_bits(const struct regdb_reg *r)
{
	return bits_of_fields(r, REGDB_F_PER_VCPU);
}

uint64_t regdb_vmm_owned_bits(const struct regdb_reg *r)
{
	return bits_of_fields(r, REGDB_F_PER_VCPU | REGDB_F_VMM_OWNED);
}

const struct regdb_kfact *regdb_kfact_by_name(const char *name)
{
	for (size_t i = 0; i < regdb_n_kfacts; i++)
		if (!strcmp(regdb_kfacts[i].name, name))
			return &regdb_kfacts[i];
	return NULL;
}

int regdb_kernel_version(const char *release, uint32_t *kver, int *patch_known)
{
	unsigned major = 0, minor = 0, patch = 0;
	int n = 0, k = 0;

	if (!release || sscanf(release, "%u.%u%n", &major, &minor, &n) != 2 || minor > 999)
		return -1;
	*patch_known = 0;
	if (release[n] == '.' && sscanf(release + n + 1, "%u%n", &patch, &k) == 1 && patch <= 998) {
		/* "6.1.0-57-arm64": Debian's ABI number, not the point release */
		*patch_known = !(patch == 0 && release[n + 1 + k] == '-' && release[n + 2 + k] >= '0' &&
				 release[n + 2 + k] <= '9');
		if (!*patch_known)
			patch = 0;
	}
	*kver = REGDB_KVER(major, minor, patch);
	return 0;
}

int regdb_kfact_state(const struct regdb_kfact *f, uint32_t kver, int patch_known,
		      const struct regdb_kfact_range **range)
{
	uint32_t lo = patch_known ? kver : kver - kver % 1000, hi = patch_known ? kver : lo + 999;

	*range = NULL;
	for (uint32_t i = 0; f && i < f->n_ranges; i++)
		if (f->ranges[i].from <= lo && hi <= f->ranges[i].to) {
			*range = &f->ranges[i];
			return f->ranges[i].state;
		}
	return REGDB_KFACT_UNKNOWN;
}
