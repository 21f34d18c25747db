/* SPDX-License-Identifier: MIT */
/* diff.c - `kvmprof diff`: guest-visible differences between two resolved profiles. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "json.h"




/* Small numbers in decimal, the rest in hex: as the YAML writer does. */
static char *fmt_number(uint64_t v)
{
	return v < 10 ? xasprintf("%" PRIu64, v) : xasprintf("0x%" PRIx64, v);
}

/*
 * `width` bits of value under mask: NULL when no bit is stated, a number when
 * all are, else a binary literal with x for the don't-care bits.
 */
static char *fmt_bits(uint64_t value, uint64_t mask, unsigned width)
{
	uint64_t all = width_mask(width);
	char *s, *p;

	mask &= all;
	if (mask == 0)
		return NULL;
	if (mask == all)
		return fmt_number(value & all);
	/* leading stated zeros are implied, as in a profile's own binary literals */
	int high = (int)width - 1;
	while (high > 3 && (mask >> high & 1) && !(value >> high & 1))
		high--;
	high |= 3;
	if (high >= (int)width)
		high = (int)width - 1;
	s = p = xcalloc(2 + width + width / 4 + 1, 1);
	*p++ = '0';
	*p++ = 'b';
	for (int bit = high; bit >= 0; bit--) {
		uint64_t b = UINT64_C(1) << bit;
		*p++ = !(mask & b) ? 'x' : (value & b) ? '1' : '0';
		if (bit && bit % 4 == 0)
			*p++ = '_';
	}
	return s;
}

static const char *policy_name(int policy)
{
	return policy == KVMPROF_POLICY_AT_MOST ? "at-most" : "exact";
}

const char *pdiff_kind_name(int kind)
{
	switch (kind) {
	case PDIFF_VALUE: return "value";
	case PDIFF_STATED: return "stated/unstated";
	case PDIFF_ONLY_A: return "only-a";
	case PDIFF_ONLY_B: return "only-b";
	case PDIFF_POLICY: return "policy";
	case PDIFF_REQUIRES: return "requires";
	case PDIFF_OPTIONAL: return "optional";
	default: return "?";
	}
}

int pdiff_format_by_name(const char *name)
{
	if (!strcmp(name, "text"))
		return PDIFF_FORMAT_TEXT;
	if (!strcmp(name, "markdown") || !strcmp(name, "md"))
		return PDIFF_FORMAT_MARKDOWN;
	if (!strcmp(name, "json"))
		return PDIFF_FORMAT_JSON;
	return -1;
}

/* Takes ownership of a and b. */
static void add_item(struct pdiff *d, int phase, const char *name, const char *field, char *a, char *b, int kind)
{
	struct pdiff_item *it;

	d->items = xrealloc(d->items, (d->n_items + 1) * sizeof(*d->items));
	it = &d->items[d->n_items++];
	it->name = xstrdup(name);
	it->field = xstrdup(field);
	it->a = a;
	it->b = b;
	it->kind = kind;
	it->phase = phase;
	it->rule = -1;
	it->keeps = -1;
	it->meaning = NULL;
}

/* The last item's write rule and meaning: a value of a field (f, or the
 * whole register r when f is NULL) stated in full on both sides. */
static void set_rule(struct pdiff *d, const struct regdb_reg *r, const struct regdb_field *f, unsigned width,
		     uint64_t a, uint64_t b)
{
	struct pdiff_item *it = &d->items[d->n_items - 1];

	/* a guest started on a is moved to b: b's kernel must take a's value */
	it->rule = regdb_write_rule_on(r, f, d->b.kernel, NULL);
	it->keeps = regdb_rule_keeps(it->rule, f, width, a, b);
	it->meaning = f && f->doc ? f->doc : r ? r->doc : NULL;
}

/* Value items: which kind a pair of (possibly missing) sides is. */
static int presence_kind(const struct pentry *a, const struct pentry *b, uint64_t amask, uint64_t bmask)
{
	if (!a)
		return PDIFF_ONLY_B;
	if (!b)
		return PDIFF_ONLY_A;
	return amask == bmask ? PDIFF_VALUE : PDIFF_STATED;
}

/* One bit range (a field or a gap between fields) of a register on both sides. */
static void diff_bits(struct pdiff *d, const struct pentry *a, const struct pentry *b, const char *name,
		      const struct regdb_field *f, const char *field, unsigned shift, unsigned width)
{
	uint64_t fm = width_mask(width) << shift;
	uint64_t am = a ? a->mask & fm : 0, bm = b ? b->mask & fm : 0;
	uint64_t av = a ? a->value & am : 0, bv = b ? b->value & bm : 0;
	int phase = a ? a->phase : b->phase;

	if (am == bm && av == bv)
		return;
	add_item(d, phase, name, field, fmt_bits(av >> shift, am >> shift, width),
		 fmt_bits(bv >> shift, bm >> shift, width), presence_kind(a, b, am, bm));
	if (a && b && am == fm && bm == fm)
		set_rule(d, a->reg, f, width, av >> shift, bv >> shift);
}

static const struct pfield *stated_field(const struct pentry *e, const char *name)
{
	for (size_t i = 0; e && i < e->n_fields; i++)
		if (!strcmp(e->fields[i].name, name))
			return &e->fields[i];
	return NULL;
}

/*
 * A register's whole stated value: a number when every bit is stated, the
 * stated fields "{GIC: 1, CSV2: 1}" when they are all that is stated, else a
 * binary literal with x for the don't-care bits.
 */
static char *fmt_entry(const struct pentry *e)
{
	uint64_t fields = 0;
	char *s = NULL;
	size_t len = 0;
	FILE *mem;

	for (size_t i = 0; i < e->n_fields; i++)
		fields |= width_mask(e->fields[i].width) << e->fields[i].shift;
	if (e->mask == width_mask((unsigned)e->width) || !e->n_fields || fields != e->mask)
		return fmt_bits(e->value, e->mask, (unsigned)e->width);
	mem = open_memstream(&s, &len);
	if (!mem)
		abort();
	fputc('{', mem);
	for (size_t i = 0; i < e->n_fields; i++) {
		char *v = fmt_number(e->fields[i].value);
		fprintf(mem, "%s%s: %s", i ? ", " : "", e->fields[i].name, v);
		free(v);
	}
	fputc('}', mem);
	fclose(mem);
	return s;
}

struct span_ctx {
	struct pdiff *d;
	const struct pentry *a, *b;
	const char *name;
};

static int diff_span(void *ctx, const struct regdb_field *f, const char *label, unsigned shift, unsigned width)
{
	struct span_ctx *sc = ctx;

	diff_bits(sc->d, sc->a, sc->b, sc->name, f, label, shift, width);
	return 0;
}

/* Registers: per database field, then the bits between fields, most significant first. */
static void diff_register(struct pdiff *d, const struct pentry *a, const struct pentry *b)
{
	const struct pentry *any = a ? a : b;
	const struct regdb_reg *r = any->reg;
	unsigned width = (unsigned)any->width;

	if (!a || !b) {
		/* an entry on one side only: one line, its whole stated value */
		char *v = fmt_entry(any);
		add_item(d, any->phase, any->name, NULL, a ? v : NULL, b ? v : NULL, a ? PDIFF_ONLY_A : PDIFF_ONLY_B);
		return;
	}
	if (!r || r->n_fields == 0 || (r->flags & REGDB_R_LOWER_SAFE)) {
		/* no fields, or a value ordered as a whole (PSCI_VERSION) */
		diff_bits(d, a, b, any->name, NULL, NULL, 0, width);
		return;
	}
	struct span_ctx sc = { d, a, b, any->name };
	regdb_for_each_span(r, width, diff_span, &sc);
}

/* Policies of a register stated on both sides: the entry's, then fields' own. */
static void diff_policies(struct pdiff *d, const struct pentry *a, const struct pentry *b)
{
	const struct regdb_reg *r = a->reg;

	if (a->policy != b->policy)
		add_item(d, a->phase, a->name, "policy", xstrdup(policy_name(a->policy)),
			 xstrdup(policy_name(b->policy)), PDIFF_POLICY);
	/* a field's own policy, when it departs from its entry's and so is not explained above */
	for (uint32_t i = 0; r && i < r->n_fields; i++) {
		const struct pfield *fa = stated_field(a, r->fields[i].name), *fb = stated_field(b, r->fields[i].name);
		int pa = fa ? fa->policy : a->policy, pb = fb ? fb->policy : b->policy;
		if (pa != pb && (pa != a->policy || pb != b->policy)) {
			char *label = xasprintf("%s policy", r->fields[i].name);
			add_item(d, a->phase, a->name, label, xstrdup(policy_name(pa)), xstrdup(policy_name(pb)),
				 PDIFF_POLICY);
			free(label);
		}
	}
}

static char *fmt_args(const struct pentry *e)
{
	if (!e->args[1] && !e->args[2] && !e->args[3])
		return fmt_number(e->args[0]);
	char *s[4], *out;
	for (int i = 0; i < 4; i++)
		s[i] = fmt_number(e->args[i]);
	out = xasprintf("[%s, %s, %s, %s]", s[0], s[1], s[2], s[3]);
	for (int i = 0; i < 4; i++)
		free(s[i]);
	return out;
}

/* Quirks and x2APIC flags: one item per named bit. */
static void diff_flag_set(struct pdiff *d, const struct pentry *a, const struct pentry *b)
{
	const struct pentry *any = a ? a : b;
	int quirks = any->kind == KVMPROF_KIND_QUIRKS;
	uint64_t am = a ? a->mask : 0, bm = b ? b->mask : 0;

	for (unsigned bit = 0; bit < 64; bit++) {
		uint64_t m = UINT64_C(1) << bit;
		const struct regdb_sym *s;
		char label[64];
		char *va = NULL, *vb = NULL;
		int kind;

		if (!((am | bm) & m))
			continue;
		if ((am & m) && (bm & m) && ((a->value ^ b->value) & m) == 0)
			continue;
		s = regdb_sym_by_value(quirks ? REGDB_SYM_QUIRK : REGDB_SYM_X2APIC_FLAG, bit, KVMPROF_ARCH_X86_64);
		if (s)
			snprintf(label, sizeof(label), "%s", s->name);
		else
			snprintf(label, sizeof(label), "bit %u", bit);
		if (am & m)
			va = xstrdup(quirks ? (a->value & m ? "disable" : "keep") : (a->value & m ? "on" : "off"));
		if (bm & m)
			vb = xstrdup(quirks ? (b->value & m ? "disable" : "keep") : (b->value & m ? "on" : "off"));
		kind = !va ? PDIFF_ONLY_B : !vb ? PDIFF_ONLY_A : PDIFF_VALUE;
		/* quirk names are unique on their own; x2APIC flags read better under the capability */
		if (quirks)
			add_item(d, any->phase, label, NULL, va, vb, kind);
		else
			add_item(d, any->phase, any->name, label, va, vb, kind);
	}
}

static void diff_entry_value(struct pdiff *d, const struct pentry *a, const struct pentry *b)
{
	const struct pentry *any = a ? a : b;
	char *va = NULL, *vb = NULL;

	switch (any->kind) {
	case KVMPROF_KIND_QUIRKS:
	case KVMPROF_KIND_X2APIC_API:
		diff_flag_set(d, a, b);
		return;
	case KVMPROF_KIND_ENABLE_CAP:
		if (a && b && !memcmp(a->args, b->args, sizeof(a->args)))
			return;
		va = a ? fmt_args(a) : NULL;
		vb = b ? fmt_args(b) : NULL;
		break;
	case KVMPROF_KIND_VCPU_FEATURE:
		if (a && b && a->value == b->value)
			return;
		va = a ? xstrdup(a->value ? "on" : "off") : NULL;
		vb = b ? xstrdup(b->value ? "on" : "off") : NULL;
		break;
	default:
		diff_register(d, a, b);
		return;
	}
	add_item(d, any->phase, any->name, NULL, va, vb, !a ? PDIFF_ONLY_B : !b ? PDIFF_ONLY_A : PDIFF_VALUE);
}

static char *fmt_condition(const char *text)
{
	return xstrdup(text ? text : "(always)");
}

static void diff_entry_attrs(struct pdiff *d, const struct pentry *a, const struct pentry *b)
{
	if ((a->requires_text || b->requires_text) &&
	    (!a->requires_text || !b->requires_text || strcmp(a->requires_text, b->requires_text)))
		add_item(d, a->phase, a->name, "requires", fmt_condition(a->requires_text),
			 fmt_condition(b->requires_text), PDIFF_REQUIRES);
	if (a->kind == KVMPROF_KIND_ONE_REG || a->kind == KVMPROF_KIND_CPUID || a->kind == KVMPROF_KIND_MSR ||
	    a->kind == KVMPROF_KIND_DEVICE_ATTR)
		diff_policies(d, a, b);
	if ((a->flags ^ b->flags) & KVMPROF_ENTRY_OPTIONAL)
		add_item(d, a->phase, a->name, "optional", xstrdup(a->flags & KVMPROF_ENTRY_OPTIONAL ? "true" : "false"),
			 xstrdup(b->flags & KVMPROF_ENTRY_OPTIONAL ? "true" : "false"), PDIFF_OPTIONAL);
}

/* Items of one entry keep their order (field position); entries sort by phase, then name. */
static int item_cmp(const void *x, const void *y)
{
	const struct pdiff_item *a = *(const struct pdiff_item *const *)x, *b = *(const struct pdiff_item *const *)y;
	int c;

	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a < b ? -1 : a > b; /* stable: items were appended in field order */
}

static void sort_items(struct pdiff *d)
{
	const struct pdiff_item **order = xcalloc(d->n_items, sizeof(*order));
	struct pdiff_item *sorted = xcalloc(d->n_items, sizeof(*sorted));

	for (size_t i = 0; i < d->n_items; i++)
		order[i] = &d->items[i];
	qsort(order, d->n_items, sizeof(*order), item_cmp);
	for (size_t i = 0; i < d->n_items; i++)
		sorted[i] = *order[i];
	free(order);
	free(d->items);
	d->items = sorted;
}

static void fill_side(struct pdiff_side *s, const struct profile *p)
{
	s->name = xstrdup(p->name ? p->name : "");
	s->file = xstrdup(p->file ? p->file : "");
	s->kernel = profile_provenance(p, "kernel") ? xstrdup(profile_provenance(p, "kernel")) : NULL;
	profile_hash(p, s->hash);
}

void profile_diff(const struct profile *a, const struct profile *b, struct pdiff *out)
{
	memset(out, 0, sizeof(*out));
	fill_side(&out->a, a);
	fill_side(&out->b, b);
	if ((a->requires_text || b->requires_text) &&
	    (!a->requires_text || !b->requires_text || strcmp(a->requires_text, b->requires_text)))
		add_item(out, -1, "profile", "requires", fmt_condition(a->requires_text),
			 fmt_condition(b->requires_text), PDIFF_REQUIRES);
	for (size_t i = 0; i < a->n_entries; i++) {
		const struct pentry *ea = &a->entries[i], *eb = profile_find_target(b, ea);
		diff_entry_value(out, ea, eb);
		if (eb)
			diff_entry_attrs(out, ea, eb);
	}
	for (size_t i = 0; i < b->n_entries; i++)
		if (!profile_find_target(a, &b->entries[i]))
			diff_entry_value(out, NULL, &b->entries[i]);
	sort_items(out);
}

static const char *regset_policy_name(int policy)
{
	return policy == HOST_REG_REQUIRED ? "required" : policy == HOST_REG_TOLERATED ? "tolerated" : "hidden";
}

static const struct host_regset_entry *regset_find(const struct host_facts *h, uint64_t id)
{
	for (size_t i = 0; i < h->n_regset; i++)
		if (h->regset[i].id == id)
			return &h->regset[i];
	return NULL;
}

void profile_diff_regsets(const struct host_facts *a, const struct host_facts *b, int arch, struct pdiff *out)
{
	char name[64];

	if (!a->have_regset && !b->have_regset)
		return;
	if (!a->have_regset || !b->have_regset) {
		const struct host_facts *h = a->have_regset ? a : b;
		char *v = xasprintf("%zu registers", h->n_regset);
		add_item(out, KVMPROF_PHASE_VCPU_REGS, "register-set", NULL, a->have_regset ? v : NULL,
			 b->have_regset ? v : NULL, a->have_regset ? PDIFF_ONLY_A : PDIFF_ONLY_B);
		sort_items(out);
		return;
	}
	for (size_t i = 0; i < a->n_regset; i++) {
		const struct host_regset_entry *ea = &a->regset[i], *eb = regset_find(b, ea->id);
		if (eb && eb->policy == ea->policy)
			continue;
		host_reg_name(arch, ea->id, name, sizeof(name));
		add_item(out, KVMPROF_PHASE_VCPU_REGS, "register-set", name, xstrdup(regset_policy_name(ea->policy)),
			 eb ? xstrdup(regset_policy_name(eb->policy)) : NULL, eb ? PDIFF_VALUE : PDIFF_ONLY_A);
	}
	for (size_t i = 0; i < b->n_regset; i++) {
		if (regset_find(a, b->regset[i].id))
			continue;
		host_reg_name(arch, b->regset[i].id, name, sizeof(name));
		add_item(out, KVMPROF_PHASE_VCPU_REGS, "register-set", name, NULL,
			 xstrdup(regset_policy_name(b->regset[i].policy)), PDIFF_ONLY_B);
	}
	sort_items(out);
}

static void free_side(struct pdiff_side *s)
{
	free(s->name);
	free(s->file);
	free(s->kernel);
}

void pdiff_free(struct pdiff *d)
{
	for (size_t i = 0; i < d->n_items; i++) {
		free(d->items[i].name);
		free(d->items[i].field);
		free(d->items[i].a);
		free(d->items[i].b);
	}
	free(d->items);
	free_side(&d->a);
	free_side(&d->b);
	memset(d, 0, sizeof(*d));
}

/* ---- output ---------------------------------------------------------------------- */

/* Attribute items (policy, requires, optional) read "NAME[.FIELD] policy: a -> b". */
static int is_attribute(int kind)
{
	return kind == PDIFF_POLICY || kind == PDIFF_REQUIRES || kind == PDIFF_OPTIONAL;
}

/* "CLIDR_EL1.Ctype1", "CLIDR_EL1[bits 63:47]", "ID_AA64DFR0_EL1.DebugVer policy", "CLIDR_EL1 requires" */
static void put_label(FILE *out, const struct pdiff_item *it)
{
	fputs(it->name, out);
	if (!it->field)
		return;
	if (!strncmp(it->field, "bits ", 5) || !strcmp(it->name, "register-set"))
		fprintf(out, "[%s]", it->field); /* "register-set[CNTP_CTL_EL0]" */
	else if (is_attribute(it->kind) && strchr(it->field, ' '))
		fprintf(out, ".%s", it->field);  /* "DebugVer policy" */
	else if (is_attribute(it->kind))
		fprintf(out, " %s", it->field);  /* "policy", "requires", "optional" */
	else
		fprintf(out, ".%s", it->field);
}

static const char *shown(const char *v)
{
	return v ? v : "(not stated)";
}

static const char *safety_words(const struct pdiff_item *it)
{
	return it->keeps < 0 ? "unknown for running guests" : it->keeps ? "safe for running guests"
			     : "not safe for running guests";
}

static void write_text(const struct pdiff *d, FILE *out)
{
	for (size_t i = 0; i < d->n_items; i++) {
		const struct pdiff_item *it = &d->items[i];
		put_label(out, it);
		fprintf(out, ": %s -> %s", shown(it->a), shown(it->b));
		if (it->kind == PDIFF_STATED)
			fputs("  (stated/unstated)", out);
		if (it->rule >= 0)
			fprintf(out, "  [%s: %s]", regdb_rule_name(it->rule), safety_words(it));
		if (it->meaning)
			fprintf(out, "  %s", it->meaning);
		fputc('\n', out);
	}
}

/* Inside a markdown table cell: `|` would end the cell, backticks the code span. */
static void put_md_code(FILE *out, const char *s)
{
	fputc('`', out);
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '`')
			fputc('\'', out);
		else if (*s == '\n')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
	fputc('`', out);
}

static void put_md_value(FILE *out, const char *v)
{
	if (v)
		put_md_code(out, v);
	else
		fputs("*not stated*", out);
}

static void write_markdown(const struct pdiff *d, FILE *out)
{
	fputs("#### kvmprof diff: ", out);
	put_md_code(out, d->a.name);
	fputs(" → ", out);
	put_md_code(out, d->b.name);
	fputs("\n\n", out);
	if (d->n_items == 0) {
		fputs("No guest-visible differences.\n", out);
		return;
	}
	fputs("| setting | ", out);
	put_md_code(out, d->a.name);
	fputs(" | ", out);
	put_md_code(out, d->b.name);
	fputs(" | kind | KVM's write rule | running guests | meaning |\n| --- | --- | --- | --- | --- | --- | --- |\n", out);
	for (size_t i = 0; i < d->n_items; i++) {
		const struct pdiff_item *it = &d->items[i];
		char *label = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&label, &len);

		if (!mem)
			abort();
		put_label(mem, it);
		fclose(mem);
		fputs("| ", out);
		put_md_code(out, label);
		fputs(" | ", out);
		put_md_value(out, it->a);
		fputs(" | ", out);
		put_md_value(out, it->b);
		fprintf(out, " | %s | %s | %s | ", pdiff_kind_name(it->kind), it->rule >= 0 ? regdb_rule_name(it->rule) : "",
			it->rule < 0 ? "" : it->keeps < 0 ? "unknown" : it->keeps ? "safe" : "**not safe**");
		for (const char *m = it->meaning ? it->meaning : ""; *m; m++)
			fputs(*m == '|' ? "\\|" : (char[]){ *m, 0 }, out);
		fputs(" |\n", out);
		free(label);
	}
	fprintf(out, "\n%zu difference%s (%s, %s).\n", d->n_items, d->n_items == 1 ? "" : "s", d->a.hash,
		d->b.hash);
}


static void put_json_side(FILE *out, const char *key, const struct pdiff_side *s)
{
	fprintf(out, "  \"%s\": {\"name\": ", key);
	json_put_string(out, s->name);
	json_put_member(out, "file", s->file);
	json_put_member(out, "hash", s->hash);
	fputs("},\n", out);
}

static void write_json(const struct pdiff *d, FILE *out)
{
	fputs("{\n", out);
	put_json_side(out, "a", &d->a);
	put_json_side(out, "b", &d->b);
	fputs("  \"differences\": [", out);
	for (size_t i = 0; i < d->n_items; i++) {
		const struct pdiff_item *it = &d->items[i];
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
		json_put_string(out, it->name);
		json_put_member(out, "field", it->field);
		json_put_member(out, "a", it->a);
		json_put_member(out, "b", it->b);
		json_put_member(out, "kind", pdiff_kind_name(it->kind));
		json_put_member(out, "rule", it->rule >= 0 ? regdb_rule_name(it->rule) : NULL);
		fprintf(out, ", \"safe_for_running_guests\": %s, \"meaning\": ",
			it->keeps < 0 ? "null" : it->keeps ? "true" : "false");
		json_put_string(out, it->meaning);
		fputc('}', out);
	}
	fputs(d->n_items ? "\n  ]\n}\n" : "]\n}\n", out);
}

void pdiff_write(const struct pdiff *d, int format, FILE *out)
{
	switch (format) {
	case PDIFF_FORMAT_MARKDOWN: write_markdown(d, out); break;
	case PDIFF_FORMAT_JSON: write_json(d, out); break;
	default: write_text(d, out); break;
	}
}
