/* SPDX-License-Identifier: MIT */
/*
 * yaml_in.c - reads one profile YAML file into struct profile (docs/profile-format.md).
 *
 * libyaml's document API gives every node its start mark (0-based line and
 * column); diagnostics add 1. Errors are reported and loading goes on, so one
 * run shows every problem of a file.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "input.h"
#include "yaml_in.h"
#include "profile.h"

/* KVM uAPI numbers used to address vGIC registers (include/uapi/linux/kvm.h,
 * arch/arm64/include/uapi/asm/kvm.h): device types and attribute groups. */
#define DEV_TYPE_ARM_VGIC_V2 5
#define DEV_TYPE_ARM_VGIC_V3 7
#define VGIC_GRP_DIST_REGS 1
#define VGIC_GRP_REDIST_REGS 5
#define CPUID_FLAG_SIGNIFICANT_INDEX 1 /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX (sic), arch/x86/include/uapi/asm/kvm.h */

struct loader {
	struct diag *d;
	const char *file;            /* interned */
	yaml_document_t *doc;        /* the file's (struct yaml_file) */
	struct profile *p;
	const struct profile *base;  /* resolved base, for names in values; may be NULL */
	struct input_yaml *dups;     /* repeated keys (reported by input_yaml_load) */
	int full;                    /* KVMPROF_MAX_PROFILE_ENTRIES reached (reported) */
};

/* ---- small helpers -------------------------------------------------------- */

static struct srcpos pos_of(struct loader *L, const yaml_node_t *n)
{
	struct srcpos pos = { L->file, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
	return pos;
}

/* Position of the first character of a scalar's text (after an opening quote). */
static struct srcpos text_pos(struct loader *L, const yaml_node_t *n)
{
	struct srcpos pos = pos_of(L, n);

	if (n->type == YAML_SCALAR_NODE &&
	    (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	     n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE))
		pos.col++;
	return pos;
}

static yaml_node_t *node(struct loader *L, int index)
{
	return yaml_document_get_node(L->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL") || !*s;
}

static const char *node_kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static int expect_type(struct loader *L, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	static const char *names[] = { "nothing", "a scalar", "a list", "a mapping" };

	if (n->type == t)
		return 0;
	diag_error(L->d, pos_of(L, n), "yaml", "%s must be %s, not %s", what, names[t],
		   node_kind_name(n));
	return -1;
}

/* Iterates the pairs of a mapping, reporting duplicate keys once each. */
#define FOR_PAIRS(L, map, pair) \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start; \
	     pair < (map)->data.mapping.pairs.top; pair++)

/* Keys must be scalars; a repeated key was reported by input_yaml_load() and is skipped. */
static int check_duplicate_key(struct loader *L, const yaml_node_t *map, const yaml_node_pair_t *pair)
{
	const yaml_node_t *k = node(L, pair->key);

	(void)map;
	if (!scalar(k)) {
		diag_error(L->d, pos_of(L, k), "yaml", "keys must be scalars");
		return -1;
	}
	return input_yaml_is_duplicate_key(L->dups, k) ? -1 : 0;
}

/* 1 when the profile holds KVMPROF_MAX_PROFILE_ENTRIES entries already (reported once). */
static int entries_full(struct loader *L, const yaml_node_t *at)
{
	if (L->p->n_entries < KVMPROF_MAX_PROFILE_ENTRIES)
		return 0;
	if (!L->full)
		diag_error(L->d, pos_of(L, at), "limit", "more than %d entries in one profile", KVMPROF_MAX_PROFILE_ENTRIES);
	L->full = 1;
	return 1;
}

/* " (did you mean NAME?" with `tail` before the closing parenthesis, or "(" tail alone. */
static const char *did_you_mean(char *buf, size_t len, const char *near, const char *tail)
{
	if (near)
		snprintf(buf, len, " (did you mean %s?%s%s)", near, *tail ? " " : "", tail);
	else if (*tail)
		snprintf(buf, len, " (%s)", tail);
	else
		buf[0] = '\0';
	return buf;
}

/* The keys of an entry's mapping besides its fields. */
#define ENTRY_KEYS "value, policy, dont-care, requires, optional, note, significant-index"

static void unknown_key(struct loader *L, const yaml_node_t *k, const char *where, const char *known)
{
	const char *near = suggest_from_words(scalar(k), known);

	if (near)
		diag_error(L->d, pos_of(L, k), "unknown-key",
			   "unknown key '%s' in %s (did you mean '%s'? expected one of: %s)", scalar(k), where, near, known);
	else
		diag_error(L->d, pos_of(L, k), "unknown-key", "unknown key '%s' in %s (expected one of: %s)",
			   scalar(k), where, known);
}

/* The profile name entries record as their origin (a copy the entry owns). */
static char *stated_by(struct loader *L)
{
	return xstrdup(L->p->name);
}

/* ---- expressions ---------------------------------------------------------- */

struct name_ctx {
	struct loader *L;
};

static const struct pentry *find_entry_by_name(const struct pentry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!e[i].removed && e[i].name && !strcmp(e[i].name, name))
			return &e[i];
	return NULL;
}

/* Value of REG.FIELD (or a whole REG) as stated earlier in this profile or in its base. */
static int lookup_stated(void *ctx, const char *name, uint64_t *value, struct expr_error *err)
{
	struct loader *L = ((struct name_ctx *)ctx)->L;
	const char *dot = strrchr(name, '.');
	const struct pentry *e = NULL;
	char *reg;

	for (int whole = 0; whole < 2 && !e; whole++) {
		reg = whole ? xstrdup(name) : (dot ? xstrndup(name, (size_t)(dot - name)) : NULL);
		if (!reg)
			continue;
		e = find_entry_by_name(L->p->entries, L->p->n_entries, reg);
		if (!e && L->base)
			e = find_entry_by_name(L->base->entries, L->base->n_entries, reg);
		free(reg);
		if (e && whole) {
			if (e->mask != (e->width >= 64 ? UINT64_MAX : (UINT64_C(1) << e->width) - 1)) {
				snprintf(err->msg, sizeof(err->msg),
					 "'%s' is not stated as a whole value in this profile", name);
				return -1;
			}
			*value = e->value;
			return 0;
		}
		if (e) {
			for (size_t i = 0; i < e->n_fields; i++)
				if (!strcmp(e->fields[i].name, dot + 1)) {
					*value = e->fields[i].value;
					return 0;
				}
			if (e->reg) {
				const struct regdb_field *f = regdb_field_by_name(e->reg, dot + 1);
				if (f) {
					uint64_t fm = (f->width >= 64 ? UINT64_MAX : (UINT64_C(1) << f->width) - 1) << f->shift;
					if ((e->mask & fm) == fm) {
						*value = (e->value & fm) >> f->shift;
						return 0;
					}
				}
			}
			e = NULL;
		}
	}
	snprintf(err->msg, sizeof(err->msg),
		 "'%s' is not stated earlier in this profile or its base", name);
	return -1;
}

/* The expression of scalar n (its text), errors at their column; NULL after an error. */
static struct expr *parse_expr(struct loader *L, const yaml_node_t *n, const char *text)
{
	struct expr_error err = { 0 };
	struct expr *e = expr_parse(text, &err);

	if (!e)
		diag_error(L->d, srcpos_offset(text_pos(L, n), err.off), "expr", "%s", err.msg);
	return e;
}

/* Parses and evaluates a value expression; 0 on success. */
/*
 * A plain literal, as most values are: 0, 42 (up to 19 digits) or 0x2a (up to
 * 16 digits), which the expression language reads the same way; its value
 * without a parse (a profile's values were a tenth of loading it). 0 if s is
 * anything else.
 */
static int plain_literal(const char *s, uint64_t *value)
{
	size_t n = strlen(s), k;
	int hex = n > 2 && s[0] == '0' && s[1] == 'x';

	if (n == 0 || (hex ? n > 18 : n > 19 || (s[0] == '0' && n > 1)))
		return 0;
	k = hex ? strspn(s + 2, "0123456789abcdefABCDEF") + 2 : strspn(s, "0123456789");
	if (k != n)
		return 0;
	*value = strtoull(hex ? s + 2 : s, NULL, hex ? 16 : 10);
	return 1;
}

static int eval_value(struct loader *L, const yaml_node_t *n, uint64_t *value, uint64_t *mask)
{
	struct expr_error err = { 0 };
	struct name_ctx nc = { L };
	const char *text = scalar(n);
	struct expr *e;
	uint64_t m = UINT64_MAX;
	int rc;

	if (!text || n->type != YAML_SCALAR_NODE) {
		diag_error(L->d, pos_of(L, n), "yaml", "a value must be a scalar expression, not %s",
			   node_kind_name(n));
		return -1;
	}
	if (plain_literal(text, value)) {
		if (mask)
			*mask = UINT64_MAX;
		return 0;
	}
	e = parse_expr(L, n, text);
	if (!e)
		return -1;
	rc = expr_eval_const(e, lookup_stated, &nc, value, &m, &err);
	expr_free(e);
	if (rc) {
		diag_error(L->d, srcpos_offset(text_pos(L, n), err.off), "expr", "%s", err.msg);
		return -1;
	}
	if (mask)
		*mask = m;
	else if (m != UINT64_MAX) {
		diag_error(L->d, text_pos(L, n), "expr", "'x' (don't-care) digits are only allowed in a register's whole value");
		return -1;
	}
	return 0;
}

/* Parses a condition; semantic checks (cap names, no register names) are checks.c's. */
static int parse_cond(struct loader *L, const yaml_node_t *n, char **text_out, struct expr **e_out,
		      struct srcpos *pos_out)
{
	const char *text = scalar(n);
	struct expr *e;

	if (!text) {
		diag_error(L->d, pos_of(L, n), "yaml", "requires: must be a scalar condition, not %s",
			   node_kind_name(n));
		return -1;
	}
	e = parse_expr(L, n, text);
	if (!e)
		return -1;
	*text_out = xstrdup(text);
	*e_out = e;
	*pos_out = text_pos(L, n);
	return 0;
}

static int parse_bool(struct loader *L, const yaml_node_t *n, const char *what, int *out)
{
	const char *s = scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "yes"))) {
		*out = 1;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "no"))) {
		*out = 0;
		return 0;
	}
	diag_error(L->d, pos_of(L, n), "yaml", "%s must be on/off (true/false)", what);
	return -1;
}

static int parse_policy(struct loader *L, const yaml_node_t *n, int *out)
{
	const char *s = scalar(n);

	if (s && !strcmp(s, "exact")) {
		*out = KVMPROF_POLICY_EXACT;
		return 0;
	}
	if (s && !strcmp(s, "at-most")) {
		*out = KVMPROF_POLICY_AT_MOST;
		return 0;
	}
	diag_error(L->d, pos_of(L, n), "yaml", "policy must be 'exact' or 'at-most'");
	return -1;
}


/* ---- entries -------------------------------------------------------------- */

static struct pentry *new_entry(struct loader *L)
{
	return profile_add_entry(L->p);
}

/* Rejects a second statement of the same target within this file. */
static int check_new_target(struct loader *L, struct pentry *e)
{
	for (struct pentry *o = L->p->entries; o < e; o++)
		if (pentry_same_target(o, e)) {
			diag_error(L->d, e->pos, "conflict", "%s is stated twice", e->name);
			diag_note(L->d, o->pos, "first stated here (as %s)", o->name);
			return -1;
		}
	return 0;
}

/* A register of that name in another architecture than arch; NULL if none. */
static const struct regdb_reg *reg_of_other_arch(const char *name, int arch)
{
	const struct regdb_reg *r = NULL;

	for (size_t i = 0; i < regdb_n_archs && !r; i++)
		if (regdb_archs[i].arch != arch)
			r = regdb_reg_by_name(name, regdb_archs[i].arch);
	return r;
}

static int parse_u64_token(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || !isxdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static const char *cpuid_reg_name(int r)
{
	static const char *names[] = { "EAX", "EBX", "ECX", "EDX" };
	return r >= 0 && r < 4 ? names[r] : "?";
}

/*
 * Turns a register key into its target: a database register, or a generic
 * encoding (S3_0_C0_C4_0, CPUID.a.b.REG, MSR.idx, a raw arm64 one-reg id).
 * Fills kind/phase/id/width/reg/name of e. Returns 0 or -1 (reported).
 */
static int resolve_register(struct loader *L, const yaml_node_t *k, struct pentry *e, int device)
{
	const char *name = scalar(k);
	int arch = L->p->arch;
	const struct regdb_reg *r = regdb_reg_by_name(name, arch);
	uint64_t id = 0;
	char buf[64];

	if (!r && strncmp(name, "CPUID.", 6) == 0) {
		/* CPUID.<leaf>.<subleaf>.<REG>, numbers in any base */
		char *copy = xstrdup(name + 6), *leaf = copy, *sub, *reg;
		uint64_t lf, sl;
		int ri = -1;

		sub = strchr(leaf, '.');
		reg = sub ? strchr(sub + 1, '.') : NULL;
		if (sub && reg) {
			*sub++ = '\0';
			*reg++ = '\0';
			for (int i = 0; i < 4; i++)
				if (!strcasecmp(reg, cpuid_reg_name(i)))
					ri = i;
		}
		if (!sub || !reg || ri < 0 || parse_u64_token(leaf, &lf) || parse_u64_token(sub, &sl) ||
		    lf > UINT32_MAX || sl > UINT32_MAX) {
			free(copy);
			diag_error(L->d, pos_of(L, k), "unknown-register",
				   "'%s' is not a CPUID register (write CPUID.<leaf>.<subleaf>.<EAX|EBX|ECX|EDX>)", name);
			return -1;
		}
		free(copy);
		if (arch != KVMPROF_ARCH_X86_64) {
			diag_error(L->d, pos_of(L, k), "wrong-arch", "%s is an x86_64 register; this profile is for %s",
				   name, regdb_arch_name(arch));
			return -1;
		}
		r = regdb_reg_by_id(arch, REGDB_X86_CPUID, (lf << 32) | sl, ri);
		if (!r) {
			snprintf(buf, sizeof(buf), "CPUID.0x%" PRIx64 ".0x%" PRIx64 ".%s", lf, sl, cpuid_reg_name(ri));
			e->name = xstrdup(buf);
			e->kind = KVMPROF_KIND_CPUID;
			e->phase = KVMPROF_PHASE_VCPU_REGS;
			e->id = (lf << 32) | sl;
			e->cpuid_reg = ri;
			e->width = 32;
			return 0;
		}
	} else if (!r && strncmp(name, "MSR.", 4) == 0) {
		if (parse_u64_token(name + 4, &id) || id > UINT32_MAX) {
			diag_error(L->d, pos_of(L, k), "unknown-register", "'%s' is not an MSR (write MSR.<index>)", name);
			return -1;
		}
		if (arch != KVMPROF_ARCH_X86_64) {
			diag_error(L->d, pos_of(L, k), "wrong-arch", "%s is an x86_64 register; this profile is for %s",
				   name, regdb_arch_name(arch));
			return -1;
		}
		r = regdb_reg_by_id(arch, REGDB_X86_MSR, id, 0);
		if (!r) {
			snprintf(buf, sizeof(buf), "MSR.0x%" PRIx64, id);
			e->name = xstrdup(buf);
			e->kind = KVMPROF_KIND_MSR;
			e->phase = KVMPROF_PHASE_VCPU_REGS;
			e->id = id;
			e->width = 64;
			return 0;
		}
	} else if (!r && (regdb_parse_generic_sysreg(name, &id) == 0 ||
			  (strncmp(name, "0x", 2) == 0 && parse_u64_token(name, &id) == 0))) {
		if (arch != KVMPROF_ARCH_ARM64) {
			diag_error(L->d, pos_of(L, k), "wrong-arch", "%s is an arm64 register; this profile is for %s",
				   name, regdb_arch_name(arch));
			return -1;
		}
		r = regdb_reg_by_id(arch, REGDB_ARM64_SYSREG, id, 0);
		if (!r)
			r = regdb_reg_by_id(arch, REGDB_ARM64_FW, id, 0);
		if (!r)
			r = regdb_reg_by_id(arch, REGDB_ARM64_DEMUX, id, 0);
		if (!r) {
			/* KVM one-reg ids carry their size in bits 52..55 (KVM_REG_SIZE_SHIFT). */
			unsigned size_log2 = (unsigned)((id >> 52) & 0xf);
			if ((id >> 56) != 0x60 || size_log2 < 2 || size_log2 > 3) {
				diag_error(L->d, pos_of(L, k), "unknown-register",
					   "0x%016" PRIx64 " is not a 32- or 64-bit arm64 KVM register id", id);
				return -1;
			}
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, id);
			e->name = xstrdup(buf);
			e->kind = KVMPROF_KIND_ONE_REG;
			e->phase = KVMPROF_PHASE_VCPU_REGS;
			e->id = id;
			e->width = 8 << size_log2;
			return 0;
		}
	}
	if (!r) {
		const struct regdb_reg *o = reg_of_other_arch(name, arch);
		if (o)
			diag_error(L->d, pos_of(L, k), "wrong-arch", "%s is an %s register; this profile is for %s",
				   name, regdb_arch_name(o->arch), regdb_arch_name(arch));
		else {
			char hint[192];
			diag_error(L->d, pos_of(L, k), "unknown-register", "unknown register '%s'%s", name,
				   did_you_mean(hint, sizeof(hint), diag_shows_next(L->d) ? regdb_suggest_reg(name, arch) : NULL,
						   "see `kvmprof explain --list`"));
		}
		return -1;
	}
	if (r->arch != arch) {
		diag_error(L->d, pos_of(L, k), "wrong-arch", "%s is an %s register; this profile is for %s",
			   r->name, regdb_arch_name(r->arch), regdb_arch_name(arch));
		return -1;
	}
	if (r->width > 64) {
		/* struct kvmprof_entry holds a 64-bit value: CORE.V0..V31 (128 bits),
		 * the SVE registers (up to 2048) cannot be stated, only named in
		 * register-set: lists. */
		diag_error(L->d, pos_of(L, k), "too-wide",
			   "%s is a %u-bit register; kvmprof entries hold values of at most 64 bits", r->name,
			   (unsigned)r->width);
		return -1;
	}
	e->reg = r;
	e->name = xstrdup(r->name);
	e->id = r->id;
	e->width = r->width;
	switch (r->space) {
	case REGDB_ARM64_SYSREG:
	case REGDB_ARM64_FW:
	case REGDB_ARM64_DEMUX:
		e->kind = KVMPROF_KIND_ONE_REG;
		e->phase = KVMPROF_PHASE_VCPU_REGS;
		break;
	case REGDB_X86_CPUID:
		e->kind = KVMPROF_KIND_CPUID;
		e->phase = KVMPROF_PHASE_VCPU_REGS;
		e->cpuid_reg = r->cpuid_reg;
		break;
	case REGDB_X86_MSR:
		e->kind = KVMPROF_KIND_MSR;
		e->phase = KVMPROF_PHASE_VCPU_REGS;
		break;
	case REGDB_VGIC_V3_DIST:
	case REGDB_VGIC_V3_REDIST:
	case REGDB_VGIC_V2_DIST:
		e->kind = KVMPROF_KIND_DEVICE_ATTR;
		e->phase = KVMPROF_PHASE_DEVICE;
		e->aux = r->space == REGDB_VGIC_V2_DIST ? DEV_TYPE_ARM_VGIC_V2 : DEV_TYPE_ARM_VGIC_V3;
		e->group = r->space == REGDB_VGIC_V3_REDIST ? VGIC_GRP_REDIST_REGS : VGIC_GRP_DIST_REGS;
		break;
	}
	if (device != (e->kind == KVMPROF_KIND_DEVICE_ATTR)) {
		diag_error(L->d, pos_of(L, k), "wrong-section", "%s is a %s register; state it under %s",
			   r->name, device ? "vCPU" : "device", device ? "vcpu: registers:" : "devices:");
		return -1;
	}
	return 0;
}


static void set_field(struct loader *L, struct pentry *e, const struct regdb_field *rf,
		      const yaml_node_t *k, const yaml_node_t *v)
{
	struct pfield *f;
	int policy = -1;
	const yaml_node_t *vn = v;
	uint64_t value;

	for (size_t i = 0; i < e->n_fields; i++)
		if (!strcmp(e->fields[i].name, rf->name)) {
			diag_error(L->d, pos_of(L, k), "conflict", "field %s.%s is stated twice", e->name, rf->name);
			return;
		}
	if (v->type == YAML_MAPPING_NODE) {
		vn = NULL;
		FOR_PAIRS(L, v, pair) {
			const yaml_node_t *fk = node(L, pair->key), *fv = node(L, pair->value);
			if (check_duplicate_key(L, v, pair))
				continue;
			if (!strcmp(scalar(fk), "value"))
				vn = fv;
			else if (!strcmp(scalar(fk), "policy"))
				parse_policy(L, fv, &policy);
			else
				unknown_key(L, fk, "a field", "value, policy");
		}
		if (!vn) {
			diag_error(L->d, pos_of(L, v), "missing-key", "field %s.%s needs a value:", e->name, rf->name);
			return;
		}
	}
	if (eval_value(L, vn, &value, NULL))
		return;
	if (value > width_mask(rf->width)) {
		diag_error(L->d, text_pos(L, vn), "value-width",
			   "field %s.%s is %u bit%s wide, 0..%" PRIu64 "; 0x%" PRIx64 " (%" PRIu64 ") does not fit", e->name,
			   rf->name, rf->width, rf->width == 1 ? "" : "s", width_mask(rf->width), value, value);
		return;
	}
	f = pentry_add_field(e, rf->name, rf->shift, rf->width, (rf->flags & REGDB_F_SIGNED) ? KVMPROF_FIELD_SIGNED : 0);
	f->value = value;
	f->pos = text_pos(L, vn);
	if (policy >= 0)
		f->policy = (uint8_t)policy | 0x80; /* explicit; bit 7 cleared in fold_fields */
}

/* Folds the stated fields into value/mask and checks them against a whole value. */
static void fold_fields(struct loader *L, struct pentry *e)
{
	for (size_t i = 0; i < e->n_fields; i++) {
		struct pfield *f = &e->fields[i];
		uint64_t fm = width_mask(f->width) << f->shift;

		if (f->policy & 0x80)
			f->policy &= 0x7f;
		else
			f->policy = (uint8_t)e->policy;
		if (e->has_value && (e->mask & fm) == fm && ((e->value & fm) >> f->shift) != f->value) {
			diag_error(L->d, f->pos, "conflict",
				   "%s.%s = 0x%" PRIx64 " disagrees with the whole value, whose %s is 0x%" PRIx64,
				   e->name, f->name, f->value, f->name, (e->value & fm) >> f->shift);
			continue;
		}
		e->value = (e->value & ~fm) | (f->value << f->shift);
		e->mask |= fm;
	}
}

/*
 * `{value: V, policy: at-most}`: the runtime judges at-most per field, and
 * without the database's fields it can only guess 4-bit unsigned ones, which
 * reads a signed field's 0xf ("absent", -1) as the highest level. So every
 * database field the value states in full, and no field names, is added
 * with the entry's policy and its signedness.
 */
static void add_at_most_fields(struct pentry *e)
{
	if (!e->reg)
		return;
	for (uint32_t i = 0; i < e->reg->n_fields; i++) {
		const struct regdb_field *rf = &e->reg->fields[i];
		uint64_t fm = width_mask(rf->width) << rf->shift;
		struct pfield *f;
		size_t j;

		if ((e->mask & fm) != fm)
			continue;
		for (j = 0; j < e->n_fields; j++)
			if (!strcmp(e->fields[j].name, rf->name))
				break;
		if (j < e->n_fields)
			continue;
		f = pentry_add_field(e, rf->name, rf->shift, rf->width,
				     (rf->flags & REGDB_F_SIGNED) ? KVMPROF_FIELD_SIGNED : 0);
		f->value = (e->value & fm) >> rf->shift;
	}
}

/* Undoes new_entry() for an entry that was reported and will not be kept. */
static void drop_last_entry(struct loader *L, struct pentry *e)
{
	pentry_clear(e);
	L->p->n_entries--;
}

/* A register's whole value (x digits: don't-care). 0, or -1 when reported. */
static int set_whole_value(struct loader *L, struct pentry *e, const yaml_node_t *v)
{
	uint64_t value, mask;

	if (eval_value(L, v, &value, &mask))
		return -1;
	if (value & ~width_mask(e->width))
		diag_error(L->d, text_pos(L, v), "value-width",
			   "%s is %d bits wide, 0..%" PRIu64 "; 0x%" PRIx64 " (%" PRIu64 ") does not fit", e->name, e->width,
			   width_mask((unsigned)e->width), value, value);
	/* Per-vCPU fields (APIC ids, MPIDR affinity) are the VMM's: a whole
	 * value does not state them; only naming the field does. */
	mask &= ~regdb_vmm_owned_bits(e->reg);
	e->value = value & mask & width_mask(e->width);
	e->mask = mask & width_mask(e->width);
	e->has_value = 1;
	e->raw_value = e->reg && e->reg->n_fields > 0;
	return 0;
}

/* One register entry: `NAME: VALUE` or `NAME: {fields and keys}`. */
static void load_register(struct loader *L, const yaml_node_t *k, const yaml_node_t *v, int device)
{
	struct pentry *e;
	uint64_t dont_care = 0;
	int have_dc = 0, field_keys = 0, bad_value = 0;

	if (entries_full(L, k))
		return;
	e = new_entry(L);

	e->pos = pos_of(L, k);
	e->profile = stated_by(L);
	e->policy = KVMPROF_POLICY_EXACT;
	if (resolve_register(L, k, e, device) || check_new_target(L, e)) {
		drop_last_entry(L, e);
		return;
	}
	if (is_null(v)) {
		e->removed = 1;
		return;
	}
	if (v->type == YAML_SCALAR_NODE) {
		set_whole_value(L, e, v);
		return;
	}
	if (expect_type(L, v, YAML_MAPPING_NODE, "a register entry"))
		return;
	/* Entry-wide keys first, so field defaults know the policy. */
	FOR_PAIRS(L, v, pair) {
		const yaml_node_t *ek = node(L, pair->key), *ev = node(L, pair->value);
		const char *key;
		if (check_duplicate_key(L, v, pair))
			continue;
		key = scalar(ek);
		if (!strcmp(key, "value")) {
			bad_value = set_whole_value(L, e, ev) != 0;
		} else if (!strcmp(key, "policy")) {
			parse_policy(L, ev, &e->policy);
		} else if (!strcmp(key, "dont-care")) {
			if (eval_value(L, ev, &dont_care, NULL) == 0)
				have_dc = 1;
		} else if (!strcmp(key, "requires")) {
			parse_cond(L, ev, &e->requires_text, &e->requires, &e->requires_pos);
		} else if (!strcmp(key, "optional")) {
			int b;
			if (parse_bool(L, ev, "optional", &b) == 0 && b)
				e->flags |= KVMPROF_ENTRY_OPTIONAL;
		} else if (!strcmp(key, "note")) {
			if (scalar(ev))
				e->note = xstrdup(scalar(ev));
			else
				diag_error(L->d, pos_of(L, ev), "yaml", "note must be text");
		} else if (!strcmp(key, "significant-index")) {
			int b;
			if (e->kind != KVMPROF_KIND_CPUID)
				diag_error(L->d, pos_of(L, ek), "unknown-key",
					   "significant-index is a CPUID setting; %s is not a CPUID register", e->name);
			else if (parse_bool(L, ev, "significant-index", &b) == 0 && b)
				e->aux |= CPUID_FLAG_SIGNIFICANT_INDEX;
		}
	}
	FOR_PAIRS(L, v, pair) {
		const yaml_node_t *ek = node(L, pair->key), *ev = node(L, pair->value);
		const char *key = scalar(ek);
		const struct regdb_field *rf;
		if (!key || !strcmp(key, "value") || !strcmp(key, "policy") || !strcmp(key, "dont-care") ||
		    !strcmp(key, "requires") || !strcmp(key, "optional") || !strcmp(key, "note") ||
		    !strcmp(key, "significant-index"))
			continue;
		field_keys++;
		rf = e->reg ? regdb_field_by_name(e->reg, key) : NULL;
		if (!rf) {
			if (e->reg && e->reg->n_fields) {
				/* a misspelt entry key first (polcy), then the register's own fields */
				const char *near_key = suggest_from_words(key, ENTRY_KEYS);
				char near[96], see[160], buf[320];
				if (near_key)
					snprintf(near, sizeof(near), "the key '%s'", near_key);
				else
					snprintf(near, sizeof(near), "%s", diag_shows_next(L->d) && regdb_suggest_field(e->reg, key) ? regdb_suggest_field(e->reg, key) : "");
				snprintf(see, sizeof(see), "see `kvmprof explain %s`", e->name);
				diag_error(L->d, pos_of(L, ek), "unknown-field", "%s has no field '%s'%s", e->name, key,
					   did_you_mean(buf, sizeof(buf), near[0] ? near : NULL, see));
			}
			else
				diag_error(L->d, pos_of(L, ek), "unknown-field",
					   "'%s' is neither an entry key (value, policy, dont-care, requires, optional, note) "
					   "nor a field: %s has no named fields", key, e->name);
			continue;
		}
		set_field(L, e, rf, ek, ev);
	}
	fold_fields(L, e);
	if (have_dc) {
		if (dont_care & ~width_mask(e->width))
			diag_error(L->d, e->pos, "value-width", "dont-care mask is wider than %s (%d bits)",
				   e->name, e->width);
		e->mask &= ~dont_care;
		e->value &= e->mask;
	}
	if (e->policy == KVMPROF_POLICY_AT_MOST && e->has_value)
		add_at_most_fields(e);
	/* Said only when nothing was tried: a bad value or field has been reported already. */
	if (!e->has_value && e->n_fields == 0 && !field_keys && !bad_value)
		diag_error(L->d, pos_of(L, v), "missing-key", "%s states neither a value nor a field", e->name);
}

static void load_registers(struct loader *L, const yaml_node_t *map, int device)
{
	if (is_null(map))
		return;
	if (expect_type(L, map, YAML_MAPPING_NODE, device ? "a device's registers" : "registers:"))
		return;
	FOR_PAIRS(L, map, pair) {
		if (check_duplicate_key(L, map, pair))
			continue;
		load_register(L, node(L, pair->key), node(L, pair->value), device);
	}
}

/* vcpu: features: {psci-0.2: on, ...} -> one entry per feature. */
static void load_features(struct loader *L, const yaml_node_t *map)
{
	if (expect_type(L, map, YAML_MAPPING_NODE, "features:"))
		return;
	if (L->p->arch != KVMPROF_ARCH_ARM64) {
		diag_error(L->d, pos_of(L, map), "wrong-arch", "vCPU features are arm64 settings (KVM_ARM_VCPU_INIT)");
		return;
	}
	FOR_PAIRS(L, map, pair) {
		const yaml_node_t *k = node(L, pair->key), *v = node(L, pair->value);
		const struct regdb_sym *s;
		struct pentry *e;
		int on;
		if (check_duplicate_key(L, map, pair))
			continue;
		s = regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, scalar(k), KVMPROF_ARCH_ARM64);
		if (!s) {
			char buf[128];
			diag_error(L->d, pos_of(L, k), "unknown-register", "unknown vCPU feature '%s'%s", scalar(k),
				   did_you_mean(buf, sizeof(buf),
						diag_shows_next(L->d) ? regdb_suggest_sym(REGDB_SYM_VCPU_FEATURE, scalar(k), KVMPROF_ARCH_ARM64) : NULL, ""));
			continue;
		}
		if (parse_bool(L, v, "a vCPU feature", &on) || entries_full(L, k))
			continue;
		e = new_entry(L);
		e->name = xstrdup(s->name);
		e->kind = KVMPROF_KIND_VCPU_FEATURE;
		e->phase = KVMPROF_PHASE_VCPU_INIT;
		e->id = s->value;
		e->width = 1;
		e->value = (uint64_t)on;
		e->mask = 1;
		e->has_value = 1;
		e->pos = pos_of(L, k);
		e->profile = stated_by(L);
	}
}

/* vm: quirks / x2apic-api: one entry whose fields are the named bits. */
static void load_flag_set(struct loader *L, const yaml_node_t *map, int sym_kind, const char *entry_name,
			  int kind, const char *cap_name)
{
	const struct regdb_sym *cap = regdb_sym_by_name(REGDB_SYM_CAP, cap_name, KVMPROF_ARCH_X86_64);
	struct pentry *e;

	if (expect_type(L, map, YAML_MAPPING_NODE, entry_name))
		return;
	if (L->p->arch != KVMPROF_ARCH_X86_64) {
		diag_error(L->d, pos_of(L, map), "wrong-arch", "%s is an x86_64 setting", entry_name);
		return;
	}
	e = new_entry(L);
	e->name = xstrdup(cap_name);
	e->kind = kind;
	e->phase = KVMPROF_PHASE_VM;
	e->id = cap ? cap->value : 0; /* the database has both (test_regdb) */
	e->width = 64;
	e->pos = pos_of(L, map);
	e->profile = stated_by(L);
	FOR_PAIRS(L, map, pair) {
		const yaml_node_t *k = node(L, pair->key), *v = node(L, pair->value);
		const struct regdb_sym *s;
		const char *vs;
		int on = -1;
		struct pfield *f;
		if (check_duplicate_key(L, map, pair))
			continue;
		s = regdb_sym_by_name(sym_kind, scalar(k), KVMPROF_ARCH_X86_64);
		if (!s) {
			char buf[128];
			diag_error(L->d, pos_of(L, k), "unknown-register", "unknown %s '%s'%s",
				   sym_kind == REGDB_SYM_QUIRK ? "quirk" : "x2APIC API flag", scalar(k),
				   did_you_mean(buf, sizeof(buf), diag_shows_next(L->d) ? regdb_suggest_sym(sym_kind, scalar(k), KVMPROF_ARCH_X86_64) : NULL, ""));
			continue;
		}
		vs = scalar(v);
		if (sym_kind == REGDB_SYM_QUIRK) {
			if (vs && !strcmp(vs, "disable"))
				on = 1;
			else if (vs && !strcmp(vs, "keep"))
				on = 0;
			else {
				diag_error(L->d, pos_of(L, v), "yaml", "a quirk is 'keep' or 'disable'");
				continue;
			}
		} else if (parse_bool(L, v, "an x2APIC API flag", &on)) {
			continue;
		}
		if (s->value >= 64)
			continue;
		f = pentry_add_field(e, s->name, (unsigned)s->value, 1, 0);
		f->value = (uint64_t)on;
		f->pos = pos_of(L, v);
	}
	fold_fields(L, e);
	e->has_value = 0;
}

/* vm: capabilities: {KVM_CAP_X: arg0 | {args: [...], requires:, optional:}} */
static void load_caps(struct loader *L, const yaml_node_t *map)
{
	if (expect_type(L, map, YAML_MAPPING_NODE, "capabilities:"))
		return;
	FOR_PAIRS(L, map, pair) {
		const yaml_node_t *k = node(L, pair->key), *v = node(L, pair->value);
		const struct regdb_sym *s;
		struct pentry *e;
		if (check_duplicate_key(L, map, pair))
			continue;
		s = regdb_sym_by_name(REGDB_SYM_CAP, scalar(k), L->p->arch);
		if (!s) {
			if (regdb_sym_by_name(REGDB_SYM_CAP, scalar(k), 0))
				diag_error(L->d, pos_of(L, k), "wrong-arch", "%s is not a capability of %s",
					   scalar(k), regdb_arch_name(L->p->arch));
			else
			{
				char buf[128];
				diag_error(L->d, pos_of(L, k), "unknown-register", "unknown capability '%s'%s", scalar(k),
					   did_you_mean(buf, sizeof(buf), diag_shows_next(L->d) ? regdb_suggest_sym(REGDB_SYM_CAP, scalar(k), L->p->arch) : NULL, ""));
			}
			continue;
		}
		if (entries_full(L, k))
			continue;
		e = new_entry(L);
		e->name = xstrdup(s->name);
		e->kind = KVMPROF_KIND_ENABLE_CAP;
		e->phase = KVMPROF_PHASE_VM;
		e->id = s->value;
		e->width = 64;
		e->mask = UINT64_MAX;
		e->has_value = 1;
		e->pos = pos_of(L, k);
		e->profile = stated_by(L);
		if (check_new_target(L, e)) {
			drop_last_entry(L, e);
			continue;
		}
		if (is_null(v)) {
			e->removed = 1;
			continue;
		}
		if (v->type == YAML_SCALAR_NODE) {
			eval_value(L, v, &e->args[0], NULL);
		} else if (expect_type(L, v, YAML_MAPPING_NODE, "a capability") == 0) {
			FOR_PAIRS(L, v, cp) {
				const yaml_node_t *ck = node(L, cp->key), *cv = node(L, cp->value);
				const char *key;
				if (check_duplicate_key(L, v, cp))
					continue;
				key = scalar(ck);
				if (!strcmp(key, "args")) {
					if (expect_type(L, cv, YAML_SEQUENCE_NODE, "args:"))
						continue;
					int i = 0;
					for (yaml_node_item_t *it = cv->data.sequence.items.start;
					     it < cv->data.sequence.items.top; it++, i++) {
						if (i == 4) {
							diag_error(L->d, pos_of(L, node(L, *it)), "value-width",
								   "KVM_ENABLE_CAP takes at most 4 arguments");
							break;
						}
						eval_value(L, node(L, *it), &e->args[i], NULL);
					}
				} else if (!strcmp(key, "requires")) {
					parse_cond(L, cv, &e->requires_text, &e->requires, &e->requires_pos);
				} else if (!strcmp(key, "optional")) {
					int b;
					if (parse_bool(L, cv, "optional", &b) == 0 && b)
						e->flags |= KVMPROF_ENTRY_OPTIONAL;
				} else if (!strcmp(key, "note")) {
					e->note = xstrdup(scalar(cv) ? scalar(cv) : "");
				} else {
					unknown_key(L, ck, "a capability", "args, requires, optional, note");
				}
			}
		}
		e->value = e->args[0];
	}
}

/* One key of a section and what reads its value. */
struct section_key {
	const char *key;
	void (*load)(struct loader *L, const yaml_node_t *k, const yaml_node_t *v);
};

/* Reads a section mapping: each key through its handler, unknown keys reported. */
static void load_section(struct loader *L, const yaml_node_t *map, const char *what,
			 const struct section_key *keys, const char *known)
{
	if (expect_type(L, map, YAML_MAPPING_NODE, what))
		return;
	FOR_PAIRS(L, map, pair) {
		const yaml_node_t *k = node(L, pair->key), *v = node(L, pair->value);
		const struct section_key *sk;

		if (check_duplicate_key(L, map, pair))
			continue;
		for (sk = keys; sk->key && strcmp(sk->key, scalar(k)); sk++)
			;
		if (sk->key)
			sk->load(L, k, v);
		else
			unknown_key(L, k, what, known);
	}
}

static void vm_caps(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	load_caps(L, v);
}

static void vm_quirks(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	load_flag_set(L, v, REGDB_SYM_QUIRK, "quirks:", KVMPROF_KIND_QUIRKS, "KVM_CAP_DISABLE_QUIRKS2");
}

static void vm_x2apic(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	load_flag_set(L, v, REGDB_SYM_X2APIC_FLAG, "x2apic-api:", KVMPROF_KIND_X2APIC_API, "KVM_CAP_X2APIC_API");
}

static void vcpu_features(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	load_features(L, v);
}

static void vcpu_registers(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	load_registers(L, v, 0);
}

/* vcpu: register-set: the expected KVM_GET_REG_LIST with a policy per register, read by host_in.c. */
static void vcpu_register_set(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)L, (void)k, (void)v;
}

static void device_vgic(struct loader *L, const yaml_node_t *k, const yaml_node_t *v)
{
	const char *key = scalar(k);
	int want = !strcmp(key, "vgic-v3") ? DEV_TYPE_ARM_VGIC_V3 : DEV_TYPE_ARM_VGIC_V2;
	size_t first = L->p->n_entries;

	if (L->p->arch != KVMPROF_ARCH_ARM64) {
		diag_error(L->d, pos_of(L, k), "wrong-arch", "%s is an arm64 device", key);
		return;
	}
	load_registers(L, v, 1);
	/* The section decides the vGIC model; a register of the other model is an error. */
	for (size_t i = first; i < L->p->n_entries; i++) {
		struct pentry *e = &L->p->entries[i];
		if (e->aux != (uint32_t)want)
			diag_error(L->d, e->pos, "wrong-section", "%s is not a %s register", e->name, key);
	}
}

static const struct section_key vm_keys[] = {
	{ "capabilities", vm_caps }, { "quirks", vm_quirks }, { "x2apic-api", vm_x2apic }, { NULL, NULL }
};
static const struct section_key vcpu_keys[] = {
	{ "features", vcpu_features }, { "registers", vcpu_registers },
	{ "register-set", vcpu_register_set }, { NULL, NULL }
};
static const struct section_key device_keys[] = {
	{ "vgic-v3", device_vgic }, { "vgic-v2", device_vgic }, { NULL, NULL }
};

static void flatten_provenance(struct loader *L, const yaml_node_t *n, const char *prefix)
{
	struct profile *p = L->p;

	if (n->type == YAML_SCALAR_NODE) {
		if (p->n_provenance >= 16 && !(p->n_provenance & (p->n_provenance - 1)))
			p->provenance = xrealloc(p->provenance, 2 * p->n_provenance * sizeof(*p->provenance));
		else if (p->n_provenance < 16)
			p->provenance = xrealloc(p->provenance, 16 * sizeof(*p->provenance));
		p->provenance[p->n_provenance].key = xstrdup(prefix);
		p->provenance[p->n_provenance].value = xstrdup(scalar(n));
		p->provenance[p->n_provenance].pos = pos_of(L, n);
		p->n_provenance++;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		int i = 0;
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			char key[256];
			snprintf(key, sizeof(key), "%s[%d]", prefix, i++);
			flatten_provenance(L, node(L, *it), key);
		}
	} else if (n->type == YAML_MAPPING_NODE) {
		FOR_PAIRS(L, n, pair) {
			char key[256];
			if (check_duplicate_key(L, n, pair))
				continue;
			snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", scalar(node(L, pair->key)));
			flatten_provenance(L, node(L, pair->value), key);
		}
	}
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void load_root(struct loader *L, const yaml_node_t *root)
{
	struct profile *p = L->p;
	const yaml_node_t *vm = NULL, *vcpu = NULL, *devices = NULL, *name_node = NULL;
	int have_version = 0;

	if (expect_type(L, root, YAML_MAPPING_NODE, "a profile"))
		return;
	/* Identity first: the arch decides how registers are read. */
	FOR_PAIRS(L, root, pair) {
		const yaml_node_t *k = node(L, pair->key), *v = node(L, pair->value);
		const char *key, *s;
		if (check_duplicate_key(L, root, pair))
			continue;
		key = scalar(k);
		s = scalar(v);
		if (!strcmp(key, "kvmprof")) {
			have_version = 1;
			if (!s || strcmp(s, "1")) {
				diag_error(L->d, pos_of(L, v), "bad-version",
					   "this kvmprof reads format version 1; the file says '%s'", s ? s : "?");
			}
			p->format_version = 1;
		} else if (!strcmp(key, "name")) {
			if (!s || !*s)
				diag_error(L->d, pos_of(L, v), "yaml", "name must be a non-empty scalar");
			else {
				p->name = xstrdup(s);
				name_node = v;
			}
		} else if (!strcmp(key, "arch")) {
			p->arch = regdb_arch_by_name(s);
			if (p->arch == KVMPROF_ARCH_NONE) {
				char names[128];
				regdb_arch_list(names, sizeof(names));
				diag_error(L->d, pos_of(L, v), "wrong-arch", "arch must be %s", names);
			}
		} else if (!strcmp(key, "description")) {
			if (!s)
				diag_error(L->d, pos_of(L, v), "yaml", "description must be text");
			else
				p->description = xstrdup(s);
		} else if (!strcmp(key, "provenance")) {
			if (expect_type(L, v, YAML_MAPPING_NODE, "provenance:") == 0)
				flatten_provenance(L, v, "");
		} else if (!strcmp(key, "base")) {
			if (!s || !*s)
				diag_error(L->d, pos_of(L, v), "yaml", "base must be a profile name");
			else if (!profile_name_ok(s))
				diag_error(L->d, pos_of(L, v), "base",
					   "base '%s' must be a profile name, not a path (it is looked up as NAME.yaml "
					   "in -I folders and the profile's own folder)", s);
			else {
				p->base = xstrdup(s);
				p->base_pos = pos_of(L, v);
			}
		} else if (!strcmp(key, "requires")) {
			parse_cond(L, v, &p->requires_text, &p->requires, &p->requires_pos);
		} else if (!strcmp(key, "vm")) {
			vm = v;
		} else if (!strcmp(key, "vcpu")) {
			vcpu = v;
		} else if (!strcmp(key, "devices")) {
			devices = v;
		} else if (!strcmp(key, "host")) {
			/* A capture's record of what its kernel can present: read by host_in.c (check --against). */
		} else {
			unknown_key(L, k, "the profile",
				    "kvmprof, name, arch, description, provenance, base, requires, vm, vcpu, devices, host");
		}
	}
	if (!have_version)
		diag_error(L->d, pos_of(L, root), "missing-key", "missing 'kvmprof: 1' (the format version)");
	if (!p->name)
		diag_error(L->d, pos_of(L, root), "missing-key", "missing 'name:'");
	if (!p->arch) {
		char names[128];
		regdb_arch_list(names, sizeof(names));
		diag_error(L->d, pos_of(L, root), "missing-key", "missing or bad 'arch:' (%s)", names);
		return; /* registers cannot be read without an arch */
	}
	if (name_node) {
		const char *b = basename_of(p->file);
		size_t n = strlen(b);
		if (n > 5 && !strcmp(b + n - 5, ".yaml") && (strlen(p->name) != n - 5 || strncmp(b, p->name, n - 5)))
			diag_error(L->d, pos_of(L, name_node), "name-mismatch",
				   "name '%s' does not match the file name '%s'", p->name, b);
	}
	if (vm)
		load_section(L, vm, "vm:", vm_keys, "capabilities, quirks, x2apic-api");
	if (vcpu)
		load_section(L, vcpu, "vcpu:", vcpu_keys, "features, registers, register-set");
	if (devices)
		load_section(L, devices, "devices:", device_keys, "vgic-v3, vgic-v2");
}

struct yaml_file *yaml_file_open(const char *path, struct diag *d)
{
	struct yaml_file *f = xcalloc(1, sizeof(*f));

	if (input_read(path, d, &f->text, &f->len)) {
		free(f);
		return NULL;
	}
	if (input_yaml_load(diag_intern(d, path), f->text, f->len, d, &f->doc, &f->dups)) {
		free(f->text);
		free(f);
		return NULL;
	}
	f->path = xstrdup(path);
	return f;
}

const char *yaml_file_name(const struct yaml_file *f, struct diag *d)
{
	diag_set_text(d, f->path, f->text, f->len);
	return diag_intern(d, f->path);
}

void yaml_file_close(struct yaml_file *f)
{
	if (!f)
		return;
	yaml_document_delete(&f->doc);
	input_yaml_free(f->dups);
	free(f->text);
	free(f->path);
	free(f);
}

const char *yaml_file_base(const struct yaml_file *f, struct diag *d, struct srcpos *pos)
{
	yaml_document_t *doc = (yaml_document_t *)&f->doc; /* libyaml's getters take no const */
	yaml_node_t *root = yaml_document_get_root_node(doc);
	const char *base = NULL;

	if (!root || root->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(doc, pair->value);

		if (scalar(k) && !strcmp(scalar(k), "base") && scalar(v) && *scalar(v)) {
			base = scalar(v);
			pos->file = diag_intern(d, f->path);
			pos->line = (int)v->start_mark.line + 1;
			pos->col = (int)v->start_mark.column + 1;
		}
	}
	return base;
}

struct profile *profile_load_file(struct yaml_file *f, const struct profile *base, struct diag *d)
{
	struct loader L = { 0 };
	yaml_node_t *root;

	L.d = d;
	L.file = diag_intern(d, f->path);
	L.base = base;
	L.doc = &f->doc;
	L.dups = f->dups;
	L.p = xcalloc(1, sizeof(*L.p));
	L.p->file = xstrdup(f->path);
	L.p->src = f;
	L.p->close_src = yaml_file_close;
	root = yaml_document_get_root_node(L.doc);
	if (!root) {
		struct srcpos pos = { L.file, 1, 1 };
		diag_error(d, pos, "missing-key", "the file is empty");
	} else {
		L.p->pos = pos_of(&L, root);
		load_root(&L, root);
	}
	return L.p;
}

struct profile *profile_load(const char *path, struct diag *d)
{
	struct yaml_file *f = yaml_file_open(path, d);

	return f ? profile_load_file(f, NULL, d) : NULL;
}

