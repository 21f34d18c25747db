/* SPDX-License-Identifier: MIT */
/* tables.c - a resolved profile as in-memory runtime tables (see tables.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "tables.h"

#define COND_MAX_INSNS 256 /* as c_out.c and checks.c */

static char *keep(struct tables *t, char *s)
{
	t->strings = xrealloc(t->strings, (t->n_strings + 1) * sizeof(*t->strings));
	t->strings[t->n_strings++] = s;
	return s;
}

static const char *origin(struct tables *t, struct srcpos pos)
{
	char buf[4096];

	if (pos.line > 0)
		snprintf(buf, sizeof(buf), "%s:%d:%d", pos.file ? pos.file : "", pos.line, pos.col);
	else
		snprintf(buf, sizeof(buf), "%s", pos.file ? pos.file : "");
	return keep(t, xstrdup(buf));
}

static int compile(const struct profile *p, struct tables *t, const char *text, const struct expr *e,
		   struct srcpos pos, struct kvmprof_cond *out, size_t *n_code, struct diag *d)
{
	struct expr_error err = { 0 };
	int n;

	n = expr_compile_cond(e, check_cap_lookup, (void *)p, t->code + *n_code, COND_MAX_INSNS, &err);
	if (n <= 0) {
		diag_error(d, srcpos_offset(pos, err.off), "expr", "%s", n < 0 ? err.msg : "empty condition");
		return -1;
	}
	out->text = text;
	out->origin = origin(t, pos);
	out->code = t->code + *n_code;
	out->n_code = (uint32_t)n;
	*n_code += (size_t)n;
	return 0;
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
	size_t n_fields = 0, n_conds = 1, f = 0, n_code = 0;
	struct kvmprof_profile *kp = &t->profile;
	int phase = 0, rc = 0;

	memset(t, 0, sizeof(*t));
	if (p->n_entries > KVMPROF_MAX_ENTRIES) {
		diag_error(d, p->pos, "tables", "%zu entries; the runtime accepts at most %d", p->n_entries,
			   KVMPROF_MAX_ENTRIES);
		return -1;
	}
	for (size_t i = 0; i < p->n_entries; i++) {
		n_fields += p->entries[i].n_fields;
		n_conds += p->entries[i].requires != NULL;
	}
	t->entries = xcalloc(p->n_entries, sizeof(*t->entries));
	t->fields = xcalloc(n_fields, sizeof(*t->fields));
	t->conds = xcalloc(1 + p->n_entries, sizeof(*t->conds));
	t->code = xcalloc(n_conds * COND_MAX_INSNS, sizeof(*t->code));

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
	if (p->requires) {
		if (compile(p, t, p->requires_text, p->requires, p->requires_pos, &t->conds[0], &n_code, d))
			rc = -1;
		else
			kp->requires = &t->conds[0];
	}
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];
		struct kvmprof_entry *k = &t->entries[i];

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
		memcpy(k->args, e->args, sizeof(k->args));
		if (e->n_fields) {
			k->fields = &t->fields[f];
			k->n_fields = (uint32_t)e->n_fields;
			for (size_t j = 0; j < e->n_fields; j++, f++)
				t->fields[f] = (struct kvmprof_field){ e->fields[j].name, e->fields[j].shift,
								       e->fields[j].width, e->fields[j].policy,
								       e->fields[j].flags };
		}
		if (e->requires) {
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
