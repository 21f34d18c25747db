/* SPDX-License-Identifier: MIT */
/* tables.c - a resolved profile as in-memory runtime tables (see tables.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "tables.h"

static char *keep(struct tables *t, char *s)
{
	t->strings = xgrow(t->strings, t->n_strings, sizeof(*t->strings));
	t->strings[t->n_strings++] = s;
	return s;
}

const char *tables_portable_path(const char *path)
{
	const char *slash;

	if (!path || path[0] != '/')
		return path;
	slash = strrchr(path, '/');
	return slash + 1; /* may be empty ("/dir/"), never absolute */
}

static const char *origin(struct tables *t, struct srcpos pos)
{
	const char *file = t->portable ? tables_portable_path(pos.file) : pos.file;
	char buf[4096];

	if (pos.line > 0)
		snprintf(buf, sizeof(buf), "%s:%d:%d", file ? file : "", pos.line, pos.col);
	else
		snprintf(buf, sizeof(buf), "%s", file ? file : "");
	return keep(t, xstrdup(buf));
}

static int compile(const struct profile *p, struct tables *t, const char *text, const struct expr *e,
		   struct srcpos pos, struct kvmprof_cond *out, size_t *n_code, struct diag *d)
{
	struct expr_error err = { 0 };
	struct expr *parsed = NULL;
	int n;

	if (!e) { /* a model built without the loader carries the text only */
		e = parsed = expr_parse(text, &err);
		if (!parsed) {
			diag_error(d, srcpos_offset(pos, err.off), "expr", "%s", err.msg);
			return -1;
		}
	}
	n = profile_compile_cond(p, e, pos, t->code + *n_code, d);
	expr_free(parsed);
	if (n < 0)
		return -1;
	out->text = text;
	out->origin = origin(t, pos);
	out->code = t->code + *n_code;
	out->n_code = (uint32_t)n;
	*n_code += (size_t)n;
	return 0;
}

/* What the tables' types cannot hold: a model built wrongly, never a loaded one. */
static int check_entry(const struct pentry *e, struct diag *d)
{
	int before = d->n_errors;
	const char *name = e->name ? e->name : "";

	if (!e->name)
		diag_error(d, e->pos, "tables", "entry without a name");
	if (e->kind <= 0 || e->kind > KVMPROF_KIND_DEVICE_ATTR)
		diag_error(d, e->pos, "tables", "entry '%s': unknown kind %d", name, e->kind);
	if (e->policy != KVMPROF_POLICY_EXACT && e->policy != KVMPROF_POLICY_AT_MOST)
		diag_error(d, e->pos, "tables", "entry '%s': unknown policy %d", name, e->policy);
	if (e->width < 0 || e->width > 64)
		diag_error(d, e->pos, "tables", "entry '%s': width %d", name, e->width);
	if (e->cpuid_reg < 0 || e->cpuid_reg > KVMPROF_CPUID_EDX)
		diag_error(d, e->pos, "tables", "entry '%s': CPUID register %d", name, e->cpuid_reg);
	if (e->flags > 0xffffu)
		diag_error(d, e->pos, "tables", "entry '%s': flags 0x%x", name, e->flags);
	if (e->n_fields > UINT32_MAX || (e->n_fields && !e->fields))
		diag_error(d, e->pos, "tables", "entry '%s': bad field list", name);
	for (size_t i = 0; i < e->n_fields && e->fields; i++) {
		const struct pfield *f = &e->fields[i];

		if (!f->name || f->width < 1 || f->shift + f->width > 64 ||
		    (f->policy != KVMPROF_POLICY_EXACT && f->policy != KVMPROF_POLICY_AT_MOST))
			diag_error(d, f->pos, "tables", "entry '%s': malformed field '%s'", name,
				   f->name ? f->name : "");
	}
	return d->n_errors == before ? 0 : -1;
}

static const char *flatten_provenance(struct tables *t, const struct profile *p)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < p->n_provenance; i++)
		len += strlen(p->provenance[i].key) + strlen(p->provenance[i].value) + 3;
	s = xcalloc(1, len);
	for (size_t i = 0; i < p->n_provenance; i++) {
		strcat(s, p->provenance[i].key);
		strcat(s, ": ");
		strcat(s, p->provenance[i].value);
		strcat(s, "\n");
	}
	return keep(t, s);
}

int tables_build(const struct profile *p, struct tables *t, struct diag *d)
{
	return tables_build_portable(p, 0, t, d);
}

int tables_build_portable(const struct profile *p, int portable, struct tables *t, struct diag *d)
{
	size_t n_fields = 0, n_conds = 1, f = 0, n_code = 0;
	struct kvmprof_profile *kp = &t->profile;
	int phase = 0, rc = 0;

	memset(t, 0, sizeof(*t));
	t->portable = portable;
	if (p->n_entries > KVMPROF_MAX_ENTRIES) {
		diag_error(d, p->pos, "tables", "%zu entries; the runtime accepts at most %d", p->n_entries,
			   KVMPROF_MAX_ENTRIES);
		return -1;
	}
	for (size_t i = 0; i < p->n_entries; i++) {
		n_fields += p->entries[i].n_fields;
		n_conds += p->entries[i].requires || p->entries[i].requires_text;
	}
	t->entries = xcalloc(p->n_entries, sizeof(*t->entries));
	t->fields = xcalloc(n_fields, sizeof(*t->fields));
	t->conds = xcalloc(1 + p->n_entries, sizeof(*t->conds));
	t->code = xcalloc(n_conds * PROFILE_COND_MAX_INSNS, sizeof(*t->code));

	kp->magic = KVMPROF_TABLE_MAGIC;
	kp->abi = KVMPROF_TABLE_ABI;
	kp->sizeof_profile = sizeof(struct kvmprof_profile);
	kp->sizeof_entry = sizeof(struct kvmprof_entry);
	kp->format_version = (uint32_t)p->format_version;
	kp->arch = (uint32_t)p->arch;
	kp->name = p->name;
	kp->description = p->description;
	kp->provenance = flatten_provenance(t, p);
	kp->source_hash = keep(t, xcalloc(1, 32));
	profile_hash(p, (char *)kp->source_hash);
	if (p->requires || p->requires_text) {
		if (compile(p, t, p->requires_text, p->requires, p->requires_pos, &t->conds[0], &n_code, d))
			rc = -1;
		else
			kp->requires = &t->conds[0];
	}
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];
		struct kvmprof_entry *k = &t->entries[i];

		if (check_entry(e, d)) {
			rc = -1;
			continue;
		}
		if (e->phase < phase || e->phase >= KVMPROF_PHASE_COUNT) {
			diag_error(d, e->pos, "tables", "entry '%s' is out of phase order", e->name);
			rc = -1;
			continue;
		}
		while (phase < e->phase)
			kp->phase_start[++phase] = (uint32_t)i;
		k->name = e->name;
		k->origin = origin(t, e->pos);
		k->kind = (uint16_t)e->kind;
		k->phase = (uint8_t)e->phase;
		k->policy = (uint8_t)e->policy;
		k->width = (uint8_t)e->width;
		k->reg = (uint8_t)e->cpuid_reg;
		k->flags = (uint16_t)e->flags;
		k->group = e->group;
		k->aux = e->aux;
		k->id = e->id;
		k->value = e->value;
		k->mask = e->mask;
		if (e->kind == KVMPROF_KIND_ONE_REG && e->reg)
			k->vm_scope_since = e->reg->vm_scope_since;
		memcpy(k->args, e->args, sizeof(k->args));
		if (e->n_fields) {
			k->fields = &t->fields[f];
			k->n_fields = (uint32_t)e->n_fields;
			for (size_t j = 0; j < e->n_fields; j++, f++)
				t->fields[f] = (struct kvmprof_field){ e->fields[j].name, e->fields[j].shift,
								       e->fields[j].width, e->fields[j].policy,
								       e->fields[j].flags };
		}
		if (e->requires || e->requires_text) {
			if (compile(p, t, e->requires_text, e->requires, e->requires_pos, &t->conds[1 + i], &n_code, d))
				rc = -1;
			else
				k->requires = &t->conds[1 + i];
		}
	}
	while (phase < KVMPROF_PHASE_COUNT)
		kp->phase_start[++phase] = (uint32_t)p->n_entries;
	kp->entries = p->n_entries ? t->entries : NULL;
	kp->n_entries = (uint32_t)p->n_entries;
	if (!rc) {
		struct host_facts h;

		if (host_regset_of_profile(p, &h, d))
			rc = -1;
		if (h.n_regset) {
			t->regset = xcalloc(h.n_regset, sizeof(*t->regset));
			for (size_t i = 0; i < h.n_regset; i++)
				t->regset[i] = (struct kvmprof_regset_entry){ h.regset[i].id, keep(t, xstrdup(h.regset[i].name)),
									      (uint32_t)h.regset[i].policy, 0 };
			kp->register_set = t->regset;
			kp->n_register_set = (uint32_t)h.n_regset;
		}
		host_facts_free(&h);
	}
	if (rc)
		tables_free(t);
	return rc;
}

void tables_free(struct tables *t)
{
	for (size_t i = 0; i < t->n_strings; i++)
		free(t->strings[i]);
	free(t->strings);
	free(t->entries);
	free(t->fields);
	free(t->conds);
	free(t->code);
	free(t->regset);
	memset(t, 0, sizeof(*t));
}
