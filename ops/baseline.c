/* SPDX-License-Identifier: MIT */
/* baseline.c - `kvmprof baseline`: the richest profile every input can present. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "host.h"




/* Appends to a growing string; *s may be NULL. */
__attribute__((format(printf, 2, 3)))
static void append(char **s, const char *fmt, ...)
{
	va_list ap;
	size_t old = *s ? strlen(*s) : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*s = xrealloc(*s, old + (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(*s + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

static void put_number(char **s, uint64_t v)
{
	if (v < 10)
		append(s, "%" PRIu64, v);
	else
		append(s, "0x%" PRIx64, v);
}

struct baseliner {
	struct profile *const *in;
	size_t n;
	struct diag *d;
	const struct pentry **match; /* the current target in each input */
	int failed;
	int hinted;                  /* the "how to resolve it" note was given */
	int strict;                  /* no common value: an error, no profile */
	struct profile *out;         /* lenient: left-out fields are listed in its provenance */
	size_t n_left_out;
};

static void add_provenance(struct profile *p, const char *key, char *value);

static const char *input_file(const struct profile *p)
{
	return p->file ? p->file : p->name;
}

/*
 * "no safe common value for CLIDR_EL1.Ctype1: a.yaml has 3, b.yaml has 1",
 * at the first input's position, with a note where each other input states it.
 * Strict: an error (no profile). Else a warning; the caller leaves the
 * field out, and the baseline's provenance lists it with every input's value.
 */
static void no_common_value(struct baseliner *B, const char *what, const uint64_t *vals, const char *const *texts,
			    const struct srcpos *where, const char *why)
{
	char *msg = NULL, *listed = NULL;

	for (size_t i = 0; i < B->n; i++) {
		append(&msg, "%s%s has ", i ? ", " : "", input_file(B->in[i]));
		append(&listed, "%s%s has ", i ? ", " : "", B->in[i]->name);
		if (texts) {
			append(&msg, "%s", texts[i]);
			append(&listed, "%s", texts[i]);
		} else {
			put_number(&msg, vals[i]);
			put_number(&listed, vals[i]);
		}
	}
	if (!B->strict) {
		char key[32];
		diag_warning(B->d, where[0], "no-common-value", "no safe common value for %s: %s%s; left out of the baseline",
			     what, msg, why ? why : "");
		for (size_t i = 1; i < B->n; i++)
			diag_note(B->d, where[i], "%s states %s here", input_file(B->in[i]), what);
		snprintf(key, sizeof(key), "left-out[%zu]", B->n_left_out++);
		add_provenance(B->out, key, xasprintf("%s: %s", what, listed));
		free(listed);
		free(msg);
		return;
	}
	free(listed);
	diag_error(B->d, where[0], "baseline", "no safe common value for %s: %s%s", what, msg, why ? why : "");
	for (size_t i = 1; i < B->n; i++)
		diag_note(B->d, where[i], "%s states %s here", input_file(B->in[i]), what);
	if (!B->hinted) {
		diag_note(B->d, (struct srcpos){ 0 }, "fields KVM lets a VMM lower take the minimum, higher-safe fields "
			  "the maximum; other values must agree: without --strict such a field is left out of the "
			  "baseline; or align the inputs, or remove the entry (NAME: ~) in a profile derived from one "
			  "of them");
		B->hinted = 1;
	}
	free(msg);
	B->failed = 1;
}

static const struct pfield *stated_field(const struct pentry *e, const char *name)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (!strcmp(e->fields[i].name, name))
			return &e->fields[i];
	return NULL;
}

/* A deep copy of src without its fields (the caller rebuilds them). */
static void copy_entry_head(struct pentry *dst, const struct pentry *src, const char *profile_name)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->note = NULL;
	dst->requires_text = xstrdup(src->requires_text);
	dst->requires = src->requires_text ? expr_parse(src->requires_text, &(struct expr_error){ 0 }) : NULL;
	dst->fields = NULL;
	dst->n_fields = 0;
	dst->profile = xstrdup(profile_name);
}

static struct pfield *add_field(struct pentry *e, const char *name, unsigned shift, unsigned width, int policy,
				uint8_t flags, struct srcpos pos)
{
	struct pfield *f = pentry_add_field(e, name, shift, width, flags);

	f->policy = (uint8_t)policy;
	f->pos = pos;
	return f;
}

/*
 * One bit range of a register across the inputs into out (whose value/mask
 * start as the first input's). Returns 1 if the combined value differs from
 * some input's (so a field worth naming in the output).
 */
static int combine_range(struct baseliner *B, struct pentry *out, const struct regdb_field *f, const char *label,
			 unsigned shift, unsigned width, int rule)
{
	uint64_t fm = width_mask(width) << shift, vals[MAX_BASELINE_INPUTS], m0 = B->match[0]->mask & fm;
	struct srcpos where[MAX_BASELINE_INPUTS];
	int same_mask = 1, same_value = 1;
	char what[160];

	if (label)
		snprintf(what, sizeof(what), f ? "%s.%s" : "%s[%s]", out->name, label);
	else
		snprintf(what, sizeof(what), "%s", out->name); /* the whole register */
	for (size_t i = 0; i < B->n; i++) {
		const struct pentry *e = B->match[i];
		const struct pfield *pf = f ? stated_field(e, f->name) : NULL;
		vals[i] = (e->value & e->mask & fm) >> shift;
		where[i] = pf ? pf->pos : e->pos;
		if ((e->mask & fm) != m0)
			same_mask = 0;
		if (vals[i] != vals[0])
			same_value = 0;
	}
	if (!same_mask) {
		size_t has = 0, lacks = 0;
		for (size_t i = 0; i < B->n; i++) {
			uint64_t m = B->match[i]->mask & fm;
			if (m > (B->match[has]->mask & fm))
				has = i;
			if (m < (B->match[lacks]->mask & fm))
				lacks = i;
		}
		diag_note(B->d, where[has], "%s is not stated %sby %s; the baseline leaves it don't-care", what,
			  B->match[lacks]->mask & fm ? "fully " : "", input_file(B->in[lacks]));
		out->mask &= ~fm;
		out->value &= ~fm;
		return 0;
	}
	if (m0 == 0 || same_value)
		return 0;
	uint64_t result = vals[0];
	if (m0 != fm) {
		no_common_value(B, what, vals, NULL, where, " (partly don't-care)");
		out->mask &= ~fm;
		out->value &= ~fm;
		return 0;
	}
	if (rule == REGDB_RULE_LOWER) {
		/* the minimum: every input's kernel lets a VMM lower its value to it
		 * (a CPUID feature flag: present only if present everywhere) */
		for (size_t i = 1; i < B->n; i++)
			if (regdb_rule_compare(f, width, vals[i], result) < 0)
				result = vals[i];
	} else if (rule == REGDB_RULE_RAISE) {
		/* the maximum (higher-or-zero-safe: 0 if any input has 0) */
		for (size_t i = 1; i < B->n; i++)
			if (regdb_rule_compare(f, width, vals[i], result) > 0)
				result = vals[i];
		for (size_t i = 0; i < B->n && f && (f->flags & REGDB_F_HIGHER_OR_ZERO_SAFE); i++)
			if (vals[i] == 0)
				result = 0;
	} else {
		no_common_value(B, what, vals, NULL, where, NULL);
		out->mask &= ~fm;
		out->value &= ~fm;
		return 0;
	}
	/* Every input whose value must move: does its kernel take the move
	 * (arm64 feature ID registers are invariant before 6.7)? */
	for (size_t i = 0; i < B->n; i++) {
		const char *kernel = profile_provenance(B->in[i], "kernel");
		const struct regdb_kfact *fact;
		char why[256];
		int here;

		if (vals[i] == result || (here = regdb_write_rule_on(out->reg, f, kernel, &fact)) == rule)
			continue;
		if (here == REGDB_RULE_UNKNOWN)
			snprintf(why, sizeof(why), " (the register database's fact %s does not decide whether %s's kernel %s takes it)",
				 fact ? fact->name : "?", input_file(B->in[i]), kernel);
		else
			snprintf(why, sizeof(why), " (%s's kernel %s keeps it: the register database's fact %s)",
				 input_file(B->in[i]), kernel, fact ? fact->name : "?");
		no_common_value(B, what, vals, NULL, where, why);
		out->mask &= ~fm;
		out->value &= ~fm;
		return 0;
	}
	out->value = (out->value & ~fm) | (result << shift);
	return 1;
}

/* The stricter of the inputs' policies for a field (or the entry, f == NULL). */
static int combined_policy(struct baseliner *B, const struct regdb_field *f)
{
	int policy = KVMPROF_POLICY_AT_MOST;

	for (size_t i = 0; i < B->n; i++) {
		const struct pfield *pf = f ? stated_field(B->match[i], f->name) : NULL;
		int p = pf ? pf->policy : B->match[i]->policy;
		if (p == KVMPROF_POLICY_EXACT)
			policy = KVMPROF_POLICY_EXACT;
	}
	return policy;
}

struct span_ctx {
	struct baseliner *B;
	struct pentry *out;
	uint64_t changed; /* fields the baseline changed (to name them) */
};

static int combine_span(void *ctx, const struct regdb_field *f, const char *label, unsigned shift,
			unsigned width)
{
	struct span_ctx *sc = ctx;

	if (combine_range(sc->B, sc->out, f, label, shift, width, f ? regdb_write_rule(sc->out->reg, f) : REGDB_RULE_EXACT) && f)
		sc->changed |= width_mask(width) << shift;
	return 0;
}

static void combine_register(struct baseliner *B, struct pentry *out)
{
	const struct regdb_reg *r = out->reg;
	unsigned width = (unsigned)out->width;
	uint64_t changed = 0;

	out->policy = combined_policy(B, NULL);
	if (r && (r->flags & REGDB_R_LOWER_SAFE)) {
		/* ordered as a whole (PSCI_VERSION: the lowest common version) */
		if (combine_range(B, out, NULL, NULL, 0, width, REGDB_RULE_LOWER) && (out->mask & width_mask(width)))
			for (uint32_t i = 0; i < r->n_fields; i++) {
				const struct regdb_field *f = &r->fields[i];
				struct pfield *pf = add_field(out, f->name, f->shift, f->width, out->policy, 0, B->match[0]->pos);
				pf->value = (out->value >> f->shift) & width_mask(f->width);
			}
		return;
	}
	struct span_ctx sc = { B, out, 0 };
	regdb_for_each_span(r, width, combine_span, &sc);
	changed = sc.changed;
	if (!r || r->n_fields == 0)
		return;
	/* Name the fields some input named, and those the baseline lowered, when still stated. */
	for (uint32_t i = 0; i < r->n_fields; i++) {
		const struct regdb_field *f = &r->fields[i];
		uint64_t fm = width_mask(f->width) << f->shift;
		const struct pfield *pf0 = stated_field(B->match[0], f->name);
		int named = (changed & fm) != 0;
		if ((out->mask & fm) != fm)
			continue;
		for (size_t k = 0; k < B->n && !named; k++)
			named = stated_field(B->match[k], f->name) != NULL;
		if (!named)
			continue;
		struct pfield *pf = add_field(out, f->name, f->shift, f->width, combined_policy(B, f),
					      (f->flags & REGDB_F_SIGNED) ? KVMPROF_FIELD_SIGNED : 0,
					      pf0 ? pf0->pos : B->match[0]->pos);
		pf->value = (out->value & fm) >> f->shift;
	}
}

static int same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Quirks and x2APIC flags: the flags stated by every input, which must agree. */
static void combine_flag_set(struct baseliner *B, struct pentry *out)
{
	int quirks = out->kind == KVMPROF_KIND_QUIRKS;
	uint64_t all = UINT64_MAX, any = 0;

	for (size_t i = 0; i < B->n; i++) {
		all &= B->match[i]->mask;
		any |= B->match[i]->mask;
	}
	out->mask = 0;
	out->value = 0;
	for (unsigned bit = 0; bit < 64; bit++) {
		uint64_t m = UINT64_C(1) << bit, vals[MAX_BASELINE_INPUTS] = { 0 };
		const char *texts[MAX_BASELINE_INPUTS];
		struct srcpos where[MAX_BASELINE_INPUTS];
		const struct regdb_sym *s;
		char name[64];
		int same = 1;

		if (!(any & m))
			continue;
		s = regdb_sym_by_value(quirks ? REGDB_SYM_QUIRK : REGDB_SYM_X2APIC_FLAG, bit, KVMPROF_ARCH_X86_64);
		snprintf(name, sizeof(name), "%s", s ? s->name : "?");
		if (!(all & m)) {
			size_t has = 0, lacks = 0;
			while (!(B->match[has]->mask & m))
				has++;
			while (B->match[lacks]->mask & m)
				lacks++;
			const struct pfield *pf = stated_field(B->match[has], name);
			diag_note(B->d, pf ? pf->pos : B->match[has]->pos,
				  "%s %s is not stated by %s; left out of the baseline",
				  quirks ? "quirk" : "x2APIC API flag", name, input_file(B->in[lacks]));
			continue;
		}
		for (size_t i = 0; i < B->n; i++) {
			const struct pfield *pf = stated_field(B->match[i], name);
			vals[i] = (B->match[i]->value & m) != 0;
			texts[i] = quirks ? (vals[i] ? "disable" : "keep") : (vals[i] ? "on" : "off");
			where[i] = pf ? pf->pos : B->match[i]->pos;
			if (vals[i] != vals[0])
				same = 0;
		}
		if (!same) {
			no_common_value(B, name, vals, texts, where, NULL);
			continue;
		}
		out->mask |= m;
		out->value |= vals[0] << bit;
		struct pfield *pf = add_field(out, name, bit, 1, KVMPROF_POLICY_EXACT, 0, where[0]);
		pf->value = vals[0];
	}
}

/* Combines the current target (B->match) into out; 0 if something is left to
 * state, -1 if nothing is, -2 if the whole entry has no common value
 * (reported; left out unless strict). */
static int combine_entry(struct baseliner *B, struct pentry *out)
{
	const struct pentry *e0 = B->match[0];
	uint64_t vals[MAX_BASELINE_INPUTS];
	const char *texts[MAX_BASELINE_INPUTS];
	struct srcpos where[MAX_BASELINE_INPUTS];
	char *owned[MAX_BASELINE_INPUTS] = { 0 };

	copy_entry_head(out, e0, NULL); /* its profile is named by the caller */
	for (size_t i = 1; i < B->n; i++) {
		if (!(B->match[i]->flags & KVMPROF_ENTRY_OPTIONAL))
			out->flags &= ~KVMPROF_ENTRY_OPTIONAL;
		if (!same_string(B->match[i]->requires_text, e0->requires_text)) {
			for (size_t k = 0; k < B->n; k++) {
				texts[k] = B->match[k]->requires_text ? B->match[k]->requires_text : "(always)";
				where[k] = B->match[k]->requires_text ? B->match[k]->requires_pos : B->match[k]->pos;
			}
			char what[160];
			snprintf(what, sizeof(what), "the condition (requires:) of %s", e0->name);
			no_common_value(B, what, NULL, texts, where, NULL);
			if (!B->strict)
				return -2;
			break; /* strict: go on, to report every error of the entry */
		}
	}
	for (size_t i = 0; i < B->n; i++)
		where[i] = B->match[i]->pos;
	switch (e0->kind) {
	case KVMPROF_KIND_QUIRKS:
	case KVMPROF_KIND_X2APIC_API:
		combine_flag_set(B, out);
		return out->mask ? 0 : -1;
	case KVMPROF_KIND_ENABLE_CAP:
		for (size_t i = 1; i < B->n; i++)
			if (memcmp(B->match[i]->args, e0->args, sizeof(e0->args))) {
				for (size_t k = 0; k < B->n; k++) {
					const uint64_t *a = B->match[k]->args;
					owned[k] = xasprintf("args [0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 "]",
							     a[0], a[1], a[2], a[3]);
					texts[k] = owned[k];
				}
				no_common_value(B, e0->name, NULL, texts, where, NULL);
				for (size_t k = 0; k < B->n; k++)
					free(owned[k]);
				return -2;
			}
		return 0;
	case KVMPROF_KIND_VCPU_FEATURE:
		for (size_t i = 1; i < B->n; i++)
			if (B->match[i]->value != e0->value) {
				for (size_t k = 0; k < B->n; k++) {
					vals[k] = B->match[k]->value;
					texts[k] = vals[k] ? "on" : "off";
				}
				no_common_value(B, e0->name, vals, texts, where, NULL);
				return -2;
			}
		return 0;
	default:
		combine_register(B, out);
		return out->mask ? 0 : -1;
	}
}


static void add_provenance(struct profile *p, const char *key, char *value)
{
	p->provenance = xrealloc(p->provenance, (p->n_provenance + 1) * sizeof(*p->provenance));
	p->provenance[p->n_provenance].key = xstrdup(key);
	p->provenance[p->n_provenance].value = value;
	p->provenance[p->n_provenance].pos = (struct srcpos){ 0 };
	p->n_provenance++;
}

/* Different profile-wide conditions: the baseline may run wherever any input may. */
static void combine_requires(struct baseliner *B, struct profile *out)
{
	char *joined = NULL;

	for (size_t i = 0; i < B->n; i++)
		if (!B->in[i]->requires_text)
			return; /* one input runs anywhere: so does the baseline */
	for (size_t i = 0; i < B->n; i++) {
		int seen = 0;
		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(B->in[k]->requires_text, B->in[i]->requires_text);
		if (!seen)
			append(&joined, "%s(%s)", joined ? " || " : "", B->in[i]->requires_text);
	}
	for (size_t i = 1; i < B->n; i++)
		if (strcmp(B->in[i]->requires_text, B->in[0]->requires_text))
			goto different;
	free(joined);
	joined = xstrdup(B->in[0]->requires_text);
different:
	out->requires_text = joined;
	out->requires = expr_parse(joined, &(struct expr_error){ 0 });
}

/*
 * The register set of a baseline, when every input has one: a register
 * every input requires stays required (a guest started on any of them may
 * depend on it); hidden by one input, hidden; listed by only some inputs,
 * or tolerated by one, tolerated (a guest moving between the inputs'
 * kernels gains or loses it). 0, or -1 with an error in d.
 */
static int baseline_regset(struct profile *const *in, size_t n, struct profile *out, struct diag *d)
{
	struct host_facts h[MAX_BASELINE_INPUTS];
	size_t k = 0, cap = 0;
	int rc = 0, all = 1;

	memset(h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		if (host_regset_of_profile(in[i], &h[i], d))
			rc = -1;
		all &= h[i].have_regset;
	}
	for (size_t i = 0; rc == 0 && all && i < n; i++)
		for (size_t r = 0; r < h[i].n_regset; r++) {
			const struct host_regset_entry *e = &h[i].regset[r];
			int policy = e->policy, listed_by_all = 1, seen_before = 0;

			for (size_t j = 0; j < n && !seen_before; j++) {
				const struct host_regset_entry *o = NULL;

				for (size_t q = 0; q < h[j].n_regset && !o; q++)
					if (h[j].regset[q].id == e->id)
						o = &h[j].regset[q];
				if (o && j < i)
					seen_before = 1;
				else if (!o)
					listed_by_all = 0;
				else if (o->policy == HOST_REG_HIDDEN || policy == HOST_REG_HIDDEN)
					policy = HOST_REG_HIDDEN;
				else if (o->policy == HOST_REG_TOLERATED)
					policy = HOST_REG_TOLERATED;
			}
			if (seen_before)
				continue;
			if (!listed_by_all && policy != HOST_REG_HIDDEN)
				policy = HOST_REG_TOLERATED;
			if (k == cap) {
				cap = cap ? 2 * cap : 64;
				out->regset = xrealloc(out->regset, cap * sizeof(*out->regset));
			}
			out->regset[k++] = (struct host_regset_entry){ e->id, e->name ? xstrdup(e->name) : NULL, policy, e->pos };
		}
	out->n_regset = k;
	for (size_t i = 0; i < n; i++)
		host_facts_free(&h[i]);
	return rc;
}

struct profile *profile_baseline(struct profile *const *in, size_t n, const char *name, int strict, struct diag *d)
{
	const struct pentry *match[MAX_BASELINE_INPUTS];
	struct baseliner B = { in, n, d, match, 0, 0, strict, NULL, 0 };
	struct profile *out;

	if (n == 0 || n > MAX_BASELINE_INPUTS) {
		diag_error(d, (struct srcpos){ 0 }, "baseline", "a baseline takes 1 to %d profiles", MAX_BASELINE_INPUTS);
		return NULL;
	}
	for (size_t i = 1; i < n; i++)
		if (in[i]->arch != in[0]->arch) {
			diag_error(d, in[i]->pos, "baseline", "%s is for %s, %s is for %s: a baseline needs one architecture",
				   input_file(in[i]), regdb_arch_name(in[i]->arch), input_file(in[0]), regdb_arch_name(in[0]->arch));
			return NULL;
		}
	out = xcalloc(1, sizeof(*out));
	B.out = out;
	out->name = xstrdup(name);
	out->arch = in[0]->arch;
	out->format_version = 1;
	out->description = xstrdup("Baseline of");
	add_provenance(out, "kind", xstrdup("baseline"));
	for (size_t i = 0; i < n; i++) {
		char key[32], hash[32];
		profile_hash(in[i], hash);
		snprintf(key, sizeof(key), "inputs[%zu]", i);
		add_provenance(out, key, xasprintf("%s (%s, %s)", in[i]->name, input_file(in[i]), hash));
		append(&out->description, "%s %s", i ? "," : "", in[i]->name);
	}
	append(&out->description, ": what every one of them can present (kvmprof baseline).");
	combine_requires(&B, out);
	out->entries = xcalloc(in[0]->n_entries + 1, sizeof(*out->entries));
	for (size_t e = 0; e < in[0]->n_entries; e++) {
		const struct pentry *e0 = &in[0]->entries[e];
		size_t missing = n;
		match[0] = e0;
		for (size_t i = 1; i < n && missing == n; i++)
			if (!(match[i] = profile_find_target(in[i], e0)))
				missing = i;
		if (missing != n) {
			diag_note(d, e0->pos, "%s is not stated by %s; left out of the baseline", e0->name,
				  input_file(in[missing]));
			continue;
		}
		struct pentry *o = &out->entries[out->n_entries];
		int rc = combine_entry(&B, o);
		if (rc == 0) {
			free(o->profile);
			o->profile = xstrdup(out->name);
			out->n_entries++;
		} else if (rc == -2) {
			pentry_clear(o);
		} else {
			diag_note(d, e0->pos, "%s: nothing stated alike by every input; left out of the baseline",
				  e0->name);
			pentry_clear(o);
		}
	}
	/* Targets the first input lacks: reported once, where they are first stated. */
	for (size_t i = 1; i < n; i++)
		for (size_t e = 0; e < in[i]->n_entries; e++) {
			const struct pentry *ei = &in[i]->entries[e];
			int earlier = 0;
			for (size_t k = 1; k < i && !earlier; k++)
				earlier = profile_find_target(in[k], ei) != NULL;
			if (!earlier && !profile_find_target(in[0], ei))
				diag_note(d, ei->pos, "%s is not stated by %s; left out of the baseline", ei->name,
					  input_file(in[0]));
		}
	if (B.failed) {
		profile_free(out);
		return NULL;
	}
	if (baseline_regset(in, n, out, d)) {
		profile_free(out);
		return NULL;
	}
	return out;
}
