/* SPDX-License-Identifier: MIT */
/*
 * firecracker_in.c - `kvmprof import --from firecracker`: a Firecracker
 * CPU fingerprint or custom CPU template becomes a kvmprof profile.
 *
 * Register ids become database names with their fields decomposed from the
 * value (a whole `value:` plus every field it fully covers, so every bit is
 * pinned and a reviewer sees names); ids the database does not know are kept
 * by raw id and reported; template bits written `x` become don't-care.
 * The JSON format is Firecracker's (see firecracker.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "firecracker.h"
#include "json.h"

/* KVM_CPUID_FLAG_SIGNIFCANT_INDEX (sic), Linux arch/x86/include/uapi/asm/kvm.h; pentry.aux bit 0 */
#define CPUID_FLAG_SIGNIFICANT_INDEX 1u

struct importer {
	struct diag *d;
	struct profile *p;
	struct fc_import_stats *st;
	char **caps;             /* "cap(KVM_CAP_...)" terms of kvm_capabilities */
	size_t n_caps;
};


static void error_at(struct importer *I, const struct json_value *v, const char *fmt, const char *what)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, what);
	diag_error(I->d, v->pos, "firecracker", "%s: %s", v->path, msg);
}

/* v must be of `type`; else an error naming its path. */
static int expect(struct importer *I, const struct json_value *v, int type, const char *what)
{
	char msg[256];

	if (v->type == type)
		return 0;
	snprintf(msg, sizeof(msg), "expected %s, found %s", what, json_type_name(v->type));
	error_at(I, v, "%s", msg);
	return -1;
}

/* A required member of object o; missing is an error at the object. */
static const struct json_value *need(struct importer *I, const struct json_value *o, const char *key)
{
	const struct json_value *v = json_member(o, key);

	if (!v)
		diag_error(I->d, o->pos, "firecracker", "%s: missing member \"%s\"", o->path, key);
	return v;
}

/* Rejects members the format does not define: nothing is silently ignored. */
static int only_members(struct importer *I, const struct json_value *o, const char *const *allowed)
{
	int rc = 0;

	for (size_t i = 0; i < o->n; i++) {
		const char *const *a;
		for (a = allowed; *a && strcmp(*a, o->keys[i]); a++)
			;
		if (!*a) {
			char list[256] = "";
			for (a = allowed; *a; a++) {
				strncat(list, a == allowed ? "" : ", ", sizeof(list) - strlen(list) - 1);
				strncat(list, *a, sizeof(list) - strlen(list) - 1);
			}
			diag_error(I->d, o->items[i].pos, "firecracker", "%s: unknown member (expected %s)",
				   o->items[i].path, list);
			rc = -1;
		}
	}
	return rc;
}

/* A hex/decimal id given as a string ("0x6030...") or a number. */
static int get_id(struct importer *I, const struct json_value *v, uint64_t max, uint64_t *out)
{
	char msg[128];

	if (v->type != JSON_STRING && v->type != JSON_NUMBER) {
		snprintf(msg, sizeof(msg), "expected a number or a \"0x...\" string, found %s", json_type_name(v->type));
		error_at(I, v, "%s", msg);
		return -1;
	}
	if (json_u64(v, out) || *out > max) {
		snprintf(msg, sizeof(msg), "'%s' is not a number of at most %d bits", v->text,
			 max == UINT64_MAX ? 64 : max == UINT32_MAX ? 32 : 8);
		error_at(I, v, "%s", msg);
		return -1;
	}
	return 0;
}

/*
 * A Firecracker bitmap "0b<digits>", most significant first, 0/1 stated and
 * x don't-care; at most max_bits digits. Bits 64 and up must be 0 or x
 * (kvmprof values are 64-bit). Digits beyond the register width too.
 */
static int get_bitmap_bits(struct importer *I, const struct json_value *v, int max_bits, int reg_width,
			   int ignore_above_64, uint64_t *value, uint64_t *mask)
{
	const char *s;
	size_t n;
	char msg[256];

	*value = *mask = 0;
	if (v->type != JSON_STRING) {
		snprintf(msg, sizeof(msg), "expected a string of 0/1/x digits (\"0b...\"), found %s",
			 json_type_name(v->type));
		error_at(I, v, "%s", msg);
		return -1;
	}
	s = v->text;
	if (strncmp(s, "0b", 2) != 0) {
		error_at(I, v, "%s", "expected a string of 0/1/x digits starting with \"0b\"");
		return -1;
	}
	n = strlen(s + 2);
	if (n == 0 || n > (size_t)max_bits) {
		snprintf(msg, sizeof(msg), "expected a string of 0/1/x digits: 1 to %d digits after \"0b\", found %zu",
			 max_bits, n);
		error_at(I, v, "%s", msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[2 + i];
		int bit = (int)(n - 1 - i);
		if (c != '0' && c != '1' && c != 'x') {
			snprintf(msg, sizeof(msg), "expected a string of 0/1/x digits: '%c' at digit %zu (bit %d)", c,
				 i + 1, bit);
			/* the column of the digit: the opening quote, "0b", then i digits */
			diag_error(I->d, srcpos_offset(v->pos, 3 + (int)i), "firecracker", "%s: %s", v->path, msg);
			return -1;
		}
		if (c == 'x')
			continue;
		if (bit >= 64 || bit >= reg_width) {
			if (c == '1' && !(ignore_above_64 && bit < reg_width)) {
				snprintf(msg, sizeof(msg), "bit %d is set, but %s", bit,
					 bit >= 64 ? "kvmprof values are 64-bit: bits 64 and up must be 0"
						   : "it lies beyond the register's width");
				diag_error(I->d, srcpos_offset(v->pos, 3 + (int)i), "firecracker", "%s: %s", v->path, msg);
				return -1;
			}
			continue; /* a stated 0 beyond 64 bits: the whole value states it */
		}
		*mask |= UINT64_C(1) << bit;
		if (c == '1')
			*value |= UINT64_C(1) << bit;
	}
	return 0;
}

static int get_bitmap(struct importer *I, const struct json_value *v, int max_bits, int reg_width,
		      uint64_t *value, uint64_t *mask)
{
	return get_bitmap_bits(I, v, max_bits, reg_width, 0, value, mask);
}

static struct pentry *new_entry(struct importer *I, const struct json_value *where)
{
	struct pentry *e = profile_add_entry(I->p);

	e->pos = where->pos;
	e->profile = xstrdup(I->p->name);
	e->policy = KVMPROF_POLICY_EXACT;
	e->phase = KVMPROF_PHASE_VCPU_REGS;
	return e;
}

/* A second modifier for the same register would make the template ambiguous. */
static int check_twice(struct importer *I, struct pentry *e, const struct json_value *where)
{
	for (struct pentry *o = I->p->entries; o < e; o++)
		if (pentry_same_target(o, e)) {
			diag_error(I->d, where->pos, "firecracker", "%s: %s is stated twice", where->path, e->name);
			diag_note(I->d, o->pos, "first stated here");
			pentry_clear(e);
			I->p->n_entries--;
			return -1;
		}
	return 0;
}

/* value/mask as a whole value, plus every database field the mask fully covers. */

static void report_unknown(struct importer *I, const struct json_value *where, const char *name)
{
	I->st->n_unknown++;
	diag_warning(I->d, where->pos, "raw-register",
		     "%s: %s is not in the register database; kept by its raw id (no named fields)",
		     where->path, name);
}

static void omit_state(struct importer *I, const struct json_value *m, const struct regdb_reg *r, uint64_t id,
		       uint64_t value, uint64_t mask)
{
	struct fc_import_stats *st = I->st;

	st->omitted = xrealloc(st->omitted, (st->n_omitted + 1) * sizeof(*st->omitted));
	st->omitted[st->n_omitted++] = (struct fc_omitted){
		.reg = r, .id = id, .value = value & mask, .mask = mask, .path = xstrdup(m->path),
	};
}

void fc_import_stats_free(struct fc_import_stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_omitted; i++)
		free(st->omitted[i].path);
	free(st->omitted);
	st->omitted = NULL;
	st->n_omitted = 0;
}

static void reg_modifier(struct importer *I, const struct json_value *m)
{
	static const char *const keys[] = { "addr", "bitmap", NULL };
	const struct json_value *addr, *bitmap;
	const struct regdb_reg *r;
	uint64_t id, value, mask;
	int width;
	char name[40];

	if (expect(I, m, JSON_OBJECT, "an object {\"addr\", \"bitmap\"}") || only_members(I, m, keys))
		return;
	addr = need(I, m, "addr");
	bitmap = need(I, m, "bitmap");
	if (!addr || !bitmap || get_id(I, addr, UINT64_MAX, &id))
		return;
	I->st->n_reg_modifiers++;
	/* KVM one-reg ids: KVM_REG_ARM64 in bits 63:56, size log2 in 55:52 (KVM_REG_SIZE_SHIFT),
	 * Linux include/uapi/linux/kvm.h */
	unsigned size_log2 = (unsigned)((id >> 52) & 0xf);
	if ((id >> 56) != 0x60 || size_log2 < 2 || size_log2 > 4) {
		error_at(I, addr, "%s", "not an arm64 KVM register id of 32, 64 or 128 bits (0x602..., 0x603..., 0x604...)");
		return;
	}
	width = 8 << size_log2;
	r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, id, 0);
	if (!r)
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_FW, id, 0);
	if (!r)
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_DEMUX, id, 0);
	/* a state register's value is not kept, so its bits above 63 (V0..V31) need not be 0 */
	if (get_bitmap_bits(I, bitmap, 128, width, r && (r->flags & REGDB_R_STATE), &value, &mask))
		return;
	if (r && (r->flags & REGDB_R_STATE)) {
		/*
		 * vCPU run-time state (X0 = the FDT address, PC = the kernel entry,
		 * timer counters, PMU reset poison ...), not what KVM presents about
		 * the platform: a VMM applying a profile that pinned it would
		 * clobber its own boot state. Left out, listed, counted in provenance.
		 */
		if (mask != 0)
			omit_state(I, m, r, id, value, mask);
		return;
	}
	if (width > 64 && mask != 0) {
		/*
		 * The compiled tables hold 64-bit values (struct kvmprof_entry.value,
		 * width 8..64), so a 128-bit register (the FP/SIMD V0..V31 core
		 * registers, KVM_REG_SIZE_U128) cannot be stated: reported, not dropped
		 * silently. (The V0..V31 core registers are state, left out above.)
		 */
		char msg[160];
		snprintf(msg, sizeof(msg), "%s is a 128-bit register; kvmprof entries hold 64-bit values, so the "
			 "profile does not carry it (value 0x%" PRIx64 ")", r ? r->name : addr->text, value);
		diag_warning(I->d, addr->pos, "not-carried", "%s: %s", addr->path, msg);
		I->st->n_not_carried++;
		return;
	}
	if (mask == 0) {
		/* all x: the template leaves the register alone, so does the profile */
		return;
	}
	struct pentry *e = new_entry(I, m);
	e->kind = KVMPROF_KIND_ONE_REG;
	e->id = id;
	e->reg = r;
	e->width = r ? r->width : width;
	if (r) {
		e->name = xstrdup(r->name);
	} else {
		snprintf(name, sizeof(name), "0x%016" PRIx64, id);
		e->name = xstrdup(name);
	}
	if (check_twice(I, e, m))
		return;
	pentry_set_value_with_fields(e, value, mask & width_mask(e->width));
	if (!r)
		report_unknown(I, addr, e->name);
}

static const char *const cpuid_reg_names[] = { "eax", "ebx", "ecx", "edx" };
static const char *const cpuid_reg_upper[] = { "EAX", "EBX", "ECX", "EDX" };

static void cpuid_modifier(struct importer *I, const struct json_value *m)
{
	static const char *const keys[] = { "leaf", "subleaf", "flags", "modifiers", NULL };
	static const char *const reg_keys[] = { "register", "bitmap", NULL };
	const struct json_value *leaf, *subleaf, *flags, *mods;
	uint64_t lf, sl, fl;

	if (expect(I, m, JSON_OBJECT, "an object {\"leaf\", \"subleaf\", \"flags\", \"modifiers\"}") ||
	    only_members(I, m, keys))
		return;
	leaf = need(I, m, "leaf");
	subleaf = need(I, m, "subleaf");
	flags = need(I, m, "flags");
	mods = need(I, m, "modifiers");
	if (!leaf || !subleaf || !flags || !mods || get_id(I, leaf, UINT32_MAX, &lf) ||
	    get_id(I, subleaf, UINT32_MAX, &sl) || get_id(I, flags, UINT32_MAX, &fl) ||
	    expect(I, mods, JSON_ARRAY, "an array of {\"register\", \"bitmap\"}"))
		return;
	I->st->n_cpuid_leaves++;
	if (fl & ~(uint64_t)CPUID_FLAG_SIGNIFICANT_INDEX) {
		/* KVM_CPUID_FLAG_STATEFUL_FUNC / STATE_READ_NEXT: obsolete since Linux 5.x, no profile key */
		diag_warning(I->d, flags->pos, "not-carried",
			     "%s: flags %" PRIu64 ": only bit 0 (KVM_CPUID_FLAG_SIGNIFCANT_INDEX, `significant-index`) "
			     "is carried; the other bits are not", flags->path, fl);
		I->st->n_not_carried++;
	}
	for (size_t i = 0; i < mods->n; i++) {
		const struct json_value *rm = &mods->items[i], *reg, *bitmap;
		int ri = -1;
		uint64_t value, mask;
		char name[64];

		if (expect(I, rm, JSON_OBJECT, "an object {\"register\", \"bitmap\"}") || only_members(I, rm, reg_keys))
			continue;
		reg = need(I, rm, "register");
		bitmap = need(I, rm, "bitmap");
		if (!reg || !bitmap || expect(I, reg, JSON_STRING, "a register name (eax, ebx, ecx, edx)"))
			continue;
		for (int k = 0; k < 4; k++)
			if (!strcmp(reg->text, cpuid_reg_names[k]))
				ri = k;
		if (ri < 0) {
			error_at(I, reg, "%s", "expected eax, ebx, ecx or edx");
			continue;
		}
		if (get_bitmap(I, bitmap, 32, 32, &value, &mask))
			continue;
		I->st->n_cpuid_registers++;
		if (mask == 0)
			continue;
		const struct regdb_reg *r = regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_CPUID, lf << 32 | sl, ri);
		/* APIC and topology ids are per vCPU: each VMM sets its own
		 * (REGDB_F_PER_VCPU); a template's value is one vCPU's. */
		if ((mask & ~regdb_vmm_owned_bits(r)) == 0)
			continue;
		struct pentry *e = new_entry(I, rm);
		e->kind = KVMPROF_KIND_CPUID;
		e->id = lf << 32 | sl;
		e->cpuid_reg = ri;
		e->width = 32;
		e->reg = r;
		e->aux = (uint32_t)(fl & CPUID_FLAG_SIGNIFICANT_INDEX); /* `significant-index: true` */
		/* the loader's spelling of a CPUID register it has no name for */
		snprintf(name, sizeof(name), "CPUID.0x%" PRIx64 ".0x%" PRIx64 ".%s", lf, sl, cpuid_reg_upper[ri]);
		e->name = xstrdup(r ? r->name : name);
		if (check_twice(I, e, rm))
			continue;
		pentry_set_value_with_fields(e, value, mask);
		if (!r)
			report_unknown(I, rm, e->name);
	}
}

static void msr_modifier(struct importer *I, const struct json_value *m)
{
	static const char *const keys[] = { "addr", "bitmap", NULL };
	const struct json_value *addr, *bitmap;
	uint64_t idx, value, mask;
	char name[40];

	if (expect(I, m, JSON_OBJECT, "an object {\"addr\", \"bitmap\"}") || only_members(I, m, keys))
		return;
	addr = need(I, m, "addr");
	bitmap = need(I, m, "bitmap");
	if (!addr || !bitmap || get_id(I, addr, UINT32_MAX, &idx) || get_bitmap(I, bitmap, 64, 64, &value, &mask))
		return;
	I->st->n_msr_modifiers++;
	if (mask == 0)
		return;
	const struct regdb_reg *r = regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_MSR, idx, 0);
	if (r && (r->flags & REGDB_R_STATE)) {
		/* run-time state (SYSCALL entry points, TSC, PAT, KVM paravirtual
		 * MSRs ...), as for arm64 core registers: left out, listed, counted */
		omit_state(I, m, r, idx, value, mask);
		return;
	}
	struct pentry *e = new_entry(I, m);
	e->kind = KVMPROF_KIND_MSR;
	e->id = idx;
	e->width = 64;
	e->reg = r;
	snprintf(name, sizeof(name), "MSR.0x%" PRIx64, idx);
	e->name = xstrdup(r ? r->name : name);
	if (check_twice(I, e, m))
		return;
	pentry_set_value_with_fields(e, value, mask);
	if (!r)
		report_unknown(I, addr, e->name);
}

/* vcpu_features: [{index: N, bitmap}]: bit b of features[N] is feature N*32+b. */
static void vcpu_feature(struct importer *I, const struct json_value *m)
{
	static const char *const keys[] = { "index", "bitmap", NULL };
	const struct json_value *index, *bitmap;
	uint64_t idx, value, mask;

	if (expect(I, m, JSON_OBJECT, "an object {\"index\", \"bitmap\"}") || only_members(I, m, keys))
		return;
	index = need(I, m, "index");
	bitmap = need(I, m, "bitmap");
	if (!index || !bitmap || get_id(I, index, 6, &idx) || get_bitmap(I, bitmap, 32, 32, &value, &mask))
		return;
	for (int bit = 0; bit < 32; bit++) {
		uint64_t b = UINT64_C(1) << bit;
		if (!(mask & b))
			continue;
		I->st->n_vcpu_features++;
		const struct regdb_sym *s = regdb_sym_by_value(REGDB_SYM_VCPU_FEATURE, idx * 32 + (uint64_t)bit,
							       KVMPROF_ARCH_ARM64);
		if (!s) {
			char msg[160];
			snprintf(msg, sizeof(msg), "vCPU feature bit %d of features[%" PRIu64 "] is not in the "
				 "database; a profile names features, so it cannot be kept", bit, idx);
			error_at(I, bitmap, "%s", msg);
			I->st->n_not_carried++;
			continue;
		}
		struct pentry *e = new_entry(I, m);
		e->kind = KVMPROF_KIND_VCPU_FEATURE;
		e->phase = KVMPROF_PHASE_VCPU_INIT;
		e->name = xstrdup(s->name);
		e->id = s->value;
		e->width = 1;
		e->value = (value & b) ? 1 : 0;
		e->mask = 1;
		e->has_value = 1;
		check_twice(I, e, m);
	}
}

/*
 * kvm_capabilities: "N" adds capability N to what Firecracker checks with
 * KVM_CHECK_EXTENSION before starting; the profile says the same with
 * `requires: cap(NAME)`. "!N" removes one of Firecracker's built-in checks:
 * kvmprof has no built-in list, so there is nothing to remove (reported).
 */
static void kvm_capability(struct importer *I, const struct json_value *c)
{
	uint64_t n;
	char *end;

	if (expect(I, c, JSON_STRING, "a capability number as a string (\"170\" or \"!170\")"))
		return;
	I->st->n_kvm_capabilities++;
	const char *s = c->text;
	int removal = *s == '!';
	if (removal)
		s++;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (!*s || *s < '0' || *s > '9' || *end || errno) {
		error_at(I, c, "%s", "expected a decimal capability number, optionally after '!'");
		return;
	}
	const struct regdb_sym *sym = regdb_sym_by_value(REGDB_SYM_CAP, n, I->p->arch);
	if (removal) {
		diag_warning(I->d, c->pos, "not-carried",
			     "%s: \"%s\" removes %s from Firecracker's own start-up checks; kvmprof has no such "
			     "list, so the profile does not carry it", c->path, c->text, sym ? sym->name : "a capability");
		I->st->n_not_carried++;
		return;
	}
	if (!sym) {
		char msg[160];
		snprintf(msg, sizeof(msg), "capability %" PRIu64 " is not in the database; `requires: cap(...)` "
			 "needs its name", n);
		error_at(I, c, "%s", msg);
		I->st->n_not_carried++;
		return;
	}
	char term[128];
	snprintf(term, sizeof(term), "cap(%s)", sym->name);
	for (size_t i = 0; i < I->n_caps; i++)
		if (!strcmp(I->caps[i], term))
			return;
	I->caps = xrealloc(I->caps, (I->n_caps + 1) * sizeof(*I->caps));
	I->caps[I->n_caps++] = xstrdup(term);
}

static void each(struct importer *I, const struct json_value *cfg, const char *key,
		 void (*fn)(struct importer *, const struct json_value *))
{
	const struct json_value *a = json_member(cfg, key);

	if (!a || expect(I, a, JSON_ARRAY, "an array"))
		return;
	for (size_t i = 0; i < a->n; i++)
		fn(I, &a->items[i]);
}

static void add_provenance(struct profile *p, const char *key, const char *value)
{
	if (!value)
		return;
	p->provenance = xrealloc(p->provenance, (p->n_provenance + 1) * sizeof(*p->provenance));
	memset(&p->provenance[p->n_provenance], 0, sizeof(p->provenance[0]));
	p->provenance[p->n_provenance].key = xstrdup(key);
	p->provenance[p->n_provenance].value = xstrdup(value);
	p->n_provenance++;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Firecracker's CPU model names in its fingerprint file names -> what AWS users call them. */
static const struct platform {
	const char *tag;      /* as in fingerprint_<tag>_<kernel>host.json */
	const char *name;     /* profile name part */
	const char *cpu;      /* provenance cpu: */
} platforms[] = {
	{ "ARM_NEOVERSE_N1", "graviton2", "AWS Graviton2 (Arm Neoverse N1)" },
	{ "ARM_NEOVERSE_V1", "graviton3", "AWS Graviton3 (Arm Neoverse V1)" },
	{ "ARM_NEOVERSE_V2", "graviton4", "AWS Graviton4 (Arm Neoverse V2)" },
	{ "AMD_MILAN", "milan", "AMD EPYC 3rd generation (Milan)" },
	{ "AMD_GENOA", "genoa", "AMD EPYC 4th generation (Genoa)" },
	{ "INTEL_CASCADELAKE", "cascadelake", "Intel Xeon 2nd generation (Cascade Lake)" },
	{ "INTEL_ICELAKE", "icelake", "Intel Xeon 3rd generation (Ice Lake)" },
	{ "INTEL_SAPPHIRE_RAPIDS", "sapphire-rapids", "Intel Xeon 4th generation (Sapphire Rapids)" },
	{ "INTEL_GRANITE_RAPIDS", "granite-rapids", "Intel Xeon 6 (Granite Rapids)" },
	{ NULL, NULL, NULL }
};

static const struct platform *platform_of(const char *path)
{
	const char *b = base_name(path);

	if (strncmp(b, "fingerprint_", 12))
		return NULL;
	b += 12;
	for (const struct platform *pl = platforms; pl->tag; pl++) {
		size_t n = strlen(pl->tag);
		if (!strncmp(b, pl->tag, n) && b[n] == '_')
			return pl;
	}
	return NULL;
}

int fc_derive_name(const char *path, const char *kernel_version, int arch, char *out, size_t len)
{
	const char *b = base_name(path);
	const struct platform *pl = platform_of(path);

	if (pl && kernel_version) {
		unsigned major, minor;
		if (sscanf(kernel_version, "%u.%u", &major, &minor) != 2)
			return -1;
		snprintf(out, len, "linux-%u.%u-%s-%s", major, minor, regdb_arch_name(arch), pl->name);
		return 0;
	}
	if (!strncmp(b, "tmpl_", 5))
		b += 5;
	size_t n = strlen(b);
	if (n > 5 && !strcmp(b + n - 5, ".json"))
		n -= 5;
	if (n == 0)
		return -1;
	int w = snprintf(out, len, "firecracker-%s-", regdb_arch_name(arch));
	if (w < 0 || (size_t)w + n >= len)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		out[w + i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[w + n] = '\0';
	return 0;
}

static const char *string_member(struct importer *I, const struct json_value *o, const char *key)
{
	const struct json_value *v = json_member(o, key);

	if (!v || expect(I, v, JSON_STRING, "a string"))
		return NULL;
	return v->text;
}

/* reg_modifiers/vcpu_features mean arm64, cpuid/msr x86_64; both is an error. */
static int detect_arch(struct importer *I, const struct json_value *cfg, const char *kernel, int forced)
{
	static const char *const arm[] = { "reg_modifiers", "vcpu_features" };
	static const char *const x86[] = { "cpuid_modifiers", "msr_modifiers" };
	const struct json_value *a = NULL, *x = NULL;

	for (int i = 0; i < 2; i++) {
		const struct json_value *v = json_member(cfg, arm[i]);
		if (v && v->type == JSON_ARRAY && v->n && !a)
			a = v;
		v = json_member(cfg, x86[i]);
		if (v && v->type == JSON_ARRAY && v->n && !x)
			x = v;
	}
	if (a && x) {
		diag_error(I->d, x->pos, "firecracker", "%s: an x86_64 modifier list next to arm64's %s", x->path,
			   a->path);
		return 0;
	}
	int arch = a ? KVMPROF_ARCH_ARM64 : x ? KVMPROF_ARCH_X86_64 : 0;
	if (!arch && kernel) {
		size_t n = strlen(kernel);
		if (n > 8 && !strcmp(kernel + n - 8, ".aarch64"))
			arch = KVMPROF_ARCH_ARM64;
		else if (n > 7 && !strcmp(kernel + n - 7, ".x86_64"))
			arch = KVMPROF_ARCH_X86_64;
	}
	if (forced && arch && forced != arch) {
		diag_error(I->d, cfg->pos, "firecracker", "%s: the content is for %s, not %s", cfg->path,
			   regdb_arch_name(arch), regdb_arch_name(forced));
		return 0;
	}
	if (!arch)
		arch = forced;
	if (!arch)
		diag_error(I->d, cfg->pos, "firecracker",
			   "%s: cannot tell the architecture (no modifiers); give --arch arm64|x86_64", cfg->path);
	return arch;
}

struct profile *fc_import(const char *path, const struct fc_import_opts *o, struct fc_import_stats *st,
			  struct diag *d)
{
	static const char *const fp_keys[] = { "firecracker_version", "kernel_version", "microcode_version",
					       "bios_version", "bios_revision", "guest_cpu_config", NULL };
	static const char *const tmpl_keys[] = { "kvm_capabilities", "vcpu_features", "reg_modifiers",
						 "cpuid_modifiers", "msr_modifiers", NULL };
	struct fc_import_opts none = { 0 };
	struct fc_import_stats scratch;
	struct importer I = { 0 };
	struct json_value *root;
	const struct json_value *cfg;
	const char *kernel = NULL;
	int before = d->n_errors;

	o = o ? o : &none;
	st = st ? st : &scratch;
	memset(st, 0, sizeof(*st));
	I.d = d;
	I.st = st;
	root = json_load_file(path, d);
	if (!root)
		return NULL;
	if (expect(&I, root, JSON_OBJECT, "an object (a Firecracker fingerprint or CPU template)")) {
		json_free(root);
		return NULL;
	}
	cfg = root;
	if (json_member(root, "guest_cpu_config")) {
		st->fingerprint = 1;
		if (only_members(&I, root, fp_keys)) {
			json_free(root);
			return NULL;
		}
		cfg = json_member(root, "guest_cpu_config");
		kernel = string_member(&I, root, "kernel_version");
	}
	if (expect(&I, cfg, JSON_OBJECT, "an object (a CPU template)") || only_members(&I, cfg, tmpl_keys)) {
		json_free(root);
		return NULL;
	}

	struct profile *p = xcalloc(1, sizeof(*p));
	I.p = p;
	p->file = xstrdup(path);
	p->format_version = 1;
	p->pos.file = diag_intern(d, path);
	p->pos.line = 1;
	p->pos.col = 1;
	/* the lists' shapes first: a wrong one would otherwise hide behind the arch question */
	for (const char *const *k = tmpl_keys; *k; k++) {
		const struct json_value *v = json_member(cfg, *k);
		if (v && expect(&I, v, JSON_ARRAY, "an array")) {
			json_free(root);
			return p;
		}
	}
	p->arch = detect_arch(&I, cfg, kernel, o->arch);
	if (!p->arch) {
		json_free(root);
		return p;
	}
	char name[256];
	unsigned major, minor;
	if (!o->name && !o->platform && kernel && !platform_of(path) && !strncmp(base_name(path), "fingerprint_", 12)) {
		/* fingerprint_<TAG>_<kernel>host.json of a platform the table does not have */
		const char *tag = base_name(path) + 12, *end = strrchr(tag, '_');
		fprintf(stderr, "%s: note: platform %.*s is not one kvmprof knows; --platform NAME names it "
			"(linux-%s-%s-NAME)\n", path, end ? (int)(end - tag) : (int)strlen(tag), tag,
			sscanf(kernel, "%u.%u", &major, &minor) == 2 ? (snprintf(name, sizeof(name), "%u.%u", major, minor), name)
								      : "M.m",
			regdb_arch_name(p->arch));
	}
	if (o->name) {
		snprintf(name, sizeof(name), "%s", o->name);
	} else if (o->platform && kernel && sscanf(kernel, "%u.%u", &major, &minor) == 2) {
		snprintf(name, sizeof(name), "linux-%u.%u-%s-%s", major, minor, regdb_arch_name(p->arch), o->platform);
	} else if (fc_derive_name(path, kernel, p->arch, name, sizeof(name))) {
		diag_error(d, root->pos, "firecracker", "$: cannot derive a profile name from '%s'; give --name",
			   base_name(path));
		snprintf(name, sizeof(name), "imported");
	}
	p->name = xstrdup(name);

	const struct platform *pl = platform_of(path);
	add_provenance(p, "kind", "imported");
	add_provenance(p, "tool", "kvmprof import --from firecracker");
	add_provenance(p, "source", base_name(path));
	add_provenance(p, "origin", st->fingerprint
		       ? "firecracker-microvm/firecracker tests/data/cpu_template_helper (cpu-template-helper fingerprint dump)"
		       : "firecracker-microvm/firecracker custom CPU template");
	if (st->fingerprint) {
		add_provenance(p, "kernel", kernel);
		add_provenance(p, "microcode", string_member(&I, root, "microcode_version"));
		add_provenance(p, "firecracker", string_member(&I, root, "firecracker_version"));
		add_provenance(p, "bios", string_member(&I, root, "bios_version"));
		add_provenance(p, "bios-revision", string_member(&I, root, "bios_revision"));
		if (o->platform) {
			char named[300];
			snprintf(named, sizeof(named), "%s (named with --platform)", o->platform);
			add_provenance(p, "platform", named);
		} else if (pl) {
			add_provenance(p, "cpu", pl->cpu);
		}
	}

	if (p->arch == KVMPROF_ARCH_ARM64) {
		each(&I, cfg, "vcpu_features", vcpu_feature);
		each(&I, cfg, "reg_modifiers", reg_modifier);
	} else {
		each(&I, cfg, "cpuid_modifiers", cpuid_modifier);
		each(&I, cfg, "msr_modifiers", msr_modifier);
		const struct json_value *v = json_member(cfg, "vcpu_features");
		if (v && v->type == JSON_ARRAY && v->n)
			diag_error(d, v->pos, "firecracker", "%s: vCPU features are arm64 settings", v->path);
	}
	each(&I, cfg, "kvm_capabilities", kvm_capability);
	if (st->n_omitted) {
		char why[160];
		snprintf(why, sizeof(why), "%zu (vCPU run-time state, not environment; see docs/firecracker.md)",
			 st->n_omitted);
		add_provenance(p, "state-registers-omitted", why);
	}
	if (I.n_caps) {
		size_t n = 1;
		for (size_t i = 0; i < I.n_caps; i++)
			n += strlen(I.caps[i]) + 4;
		p->requires_text = xcalloc(n, 1);
		for (size_t i = 0; i < I.n_caps; i++) {
			if (i)
				strcat(p->requires_text, " && ");
			strcat(p->requires_text, I.caps[i]);
			free(I.caps[i]);
		}
	}
	free(I.caps);

	if (o->description) {
		p->description = xstrdup(o->description);
	} else {
		char desc[1024];
		if (st->fingerprint)
			snprintf(desc, sizeof(desc),
				 "The guest CPU state KVM presented on %s%s with host kernel %s, no CPU template: "
				 "Firecracker's fingerprint %s, imported.", pl ? "an AWS host, " : "a host",
				 pl ? pl->cpu : "", kernel ? kernel : "(not recorded)", base_name(path));
		else
			snprintf(desc, sizeof(desc), "Firecracker custom CPU template %s, imported: the bits it sets; "
				 "bits it leaves alone are don't-care.", base_name(path));
		p->description = xstrdup(desc);
	}
	json_free(root);
	(void)before;
	if (st == &scratch)
		fc_import_stats_free(st);
	return p;
}

/* ---- common base ---------------------------------------------------------------- */

static int same_entry(const struct pentry *a, const struct pentry *b)
{
	if (!pentry_same_target(a, b) || a->mask != b->mask || (a->value & a->mask) != (b->value & b->mask) ||
	    a->policy != b->policy || a->flags != b->flags || a->aux != b->aux || a->n_fields != b->n_fields ||
	    strcmp(a->name, b->name))
		return 0;
	if ((a->requires_text == NULL) != (b->requires_text == NULL) ||
	    (a->requires_text && strcmp(a->requires_text, b->requires_text)))
		return 0;
	return 1;
}

static void copy_entry(struct pentry *dst, const struct pentry *src, const char *profile)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->note = xstrdup(src->note);
	dst->requires_text = NULL; /* imports state none per entry */
	dst->requires = NULL;
	dst->fields = src->n_fields ? xcalloc(src->n_fields, sizeof(*dst->fields)) : NULL;
	for (size_t i = 0; i < src->n_fields; i++) {
		dst->fields[i] = src->fields[i];
		dst->fields[i].name = xstrdup(src->fields[i].name);
	}
	dst->profile = xstrdup(profile);
}

struct profile *fc_common_base(struct profile **ps, size_t n, const char *name, const char *description)
{
	struct profile *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(name);
	c->arch = ps[0]->arch;
	c->format_version = 1;
	c->description = xstrdup(description);
	c->pos = ps[0]->pos;
	add_provenance(c, "kind", "imported");
	add_provenance(c, "tool", "kvmprof import --from firecracker --common");
	for (size_t k = 0; k < n; k++) {
		char key[32];
		const char *src = "?";
		for (size_t i = 0; i < ps[k]->n_provenance; i++)
			if (!strcmp(ps[k]->provenance[i].key, "source"))
				src = ps[k]->provenance[i].value;
		snprintf(key, sizeof(key), "sources[%zu]", k);
		add_provenance(c, key, src);
	}
	c->entries = xcalloc(ps[0]->n_entries + 1, sizeof(*c->entries));
	for (size_t i = 0; i < ps[0]->n_entries; i++) {
		const struct pentry *e = &ps[0]->entries[i];
		int everywhere = 1;
		for (size_t k = 1; k < n && everywhere; k++) {
			int found = 0;
			for (size_t j = 0; j < ps[k]->n_entries && !found; j++)
				found = same_entry(e, &ps[k]->entries[j]);
			everywhere = found;
		}
		if (everywhere)
			copy_entry(&c->entries[c->n_entries++], e, c->name);
	}
	/* the profiles keep only what differs from the base */
	for (size_t k = 0; k < n; k++) {
		struct profile *p = ps[k];
		size_t kept = 0;
		for (size_t i = 0; i < p->n_entries; i++) {
			int common = 0;
			for (size_t j = 0; j < c->n_entries && !common; j++)
				common = same_entry(&p->entries[i], &c->entries[j]);
			if (common)
				pentry_clear(&p->entries[i]);
			else
				p->entries[kept++] = p->entries[i];
		}
		p->n_entries = kept;
		free(p->base);
		p->base = xstrdup(name);
	}
	return c;
}

void fc_report_omitted(FILE *out, const char *path, const struct fc_import_stats *st, int verbose)
{
	enum { SHOWN = 8 };

	if (!st->n_omitted)
		return;
	fprintf(out, "%s: %zu vCPU state register%s left out of the profile (run-time state, not environment; "
		"see docs/firecracker.md):", path, st->n_omitted, st->n_omitted == 1 ? "" : "s");
	for (size_t i = 0; i < st->n_omitted && (verbose || i < SHOWN); i++)
		fprintf(out, "%s %s", i ? "," : "", st->omitted[i].reg->name);
	if (!verbose && st->n_omitted > SHOWN)
		fprintf(out, " and %zu more (--verbose lists them)", st->n_omitted - SHOWN);
	fputc('\n', out);
	for (size_t i = 0; verbose && i < st->n_omitted; i++) {
		const struct fc_omitted *o = &st->omitted[i];
		fprintf(out, "%s: %s: %s (0x%016" PRIx64 ") = 0x%" PRIx64 "%s: left out, vCPU state\n", path,
			o->path, o->reg->name, o->id, o->value, o->reg->width > 64 ? " (bits 63:0)" : "");
	}
}
