/* SPDX-License-Identifier: MIT */
/* profile.c - ownership helpers of the compiler's profile model. */
#include "host.h"
#include "profile.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int profile_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 200 || name[0] == '.' || name[0] == '-')
		return 0;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._+-", *c))
			return 0;
	return 1;
}

int pentry_same_target(const struct pentry *a, const struct pentry *b)
{
	if (a->kind != b->kind || a->id != b->id)
		return 0;
	switch (a->kind) {
	case KVMPROF_KIND_CPUID:
		return a->cpuid_reg == b->cpuid_reg;
	case KVMPROF_KIND_DEVICE_ATTR:
		return a->aux == b->aux && a->group == b->group;
	default:
		return 1;
	}
}

const char *profile_provenance(const struct profile *p, const char *key)
{
	for (size_t i = 0; p && i < p->n_provenance; i++)
		if (!strcmp(p->provenance[i].key, key))
			return p->provenance[i].value;
	return NULL;
}

const struct pentry *profile_find_target(const struct profile *p, const struct pentry *e)
{
	for (size_t i = 0; i < p->n_entries; i++)
		if (pentry_same_target(&p->entries[i], e))
			return &p->entries[i];
	return NULL;
}

void pentry_clear(struct pentry *e)
{
	size_t i;

	free(e->name);
	free(e->profile);
	for (i = 0; i < e->n_fields; i++)
		free(e->fields[i].name);
	free(e->fields);
	free(e->requires_text);
	expr_free(e->requires);
	free(e->note);
	memset(e, 0, sizeof(*e));
}

struct pentry *profile_add_entry(struct profile *p)
{
	p->entries = xgrow(p->entries, p->n_entries, sizeof(*p->entries));
	memset(&p->entries[p->n_entries], 0, sizeof(p->entries[0]));
	return &p->entries[p->n_entries++];
}

void profile_free(struct profile *p)
{
	size_t i;

	if (!p)
		return;
	free(p->file);
	free(p->name);
	free(p->description);
	for (i = 0; i < p->n_provenance; i++) {
		free(p->provenance[i].key);
		free(p->provenance[i].value);
	}
	free(p->provenance);
	free(p->base);
	free(p->requires_text);
	expr_free(p->requires);
	for (i = 0; i < p->n_entries; i++)
		pentry_clear(&p->entries[i]);
	free(p->entries);
	for (i = 0; i < p->n_regset; i++)
		free(p->regset[i].name);
	free(p->regset);
	if (p->close_src) {
		p->close_src(p->src);
		for (i = 0; i < p->n_base_srcs; i++)
			p->close_src(p->base_srcs[i]);
	}
	free(p->base_srcs);
	free(p);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort(); /* the compiler has no way on without memory */
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *xgrow(void *p, size_t n, size_t size)
{
	if (n >= 16 && (n & (n - 1)))
		return p; /* between powers of two: the room is there */
	return xrealloc(p, (n < 16 ? 16 : 2 * n) * size);
}

char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		abort();
	return d;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		abort();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xcalloc((size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

struct pfield *pentry_add_field(struct pentry *e, const char *name, unsigned shift, unsigned width,
				unsigned flags)
{
	struct pfield *f;

	e->fields = xrealloc(e->fields, (e->n_fields + 1) * sizeof(*e->fields));
	f = &e->fields[e->n_fields++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->shift = (uint8_t)shift;
	f->width = (uint8_t)width;
	f->flags = (uint8_t)flags;
	f->policy = (uint8_t)e->policy;
	f->pos = e->pos;
	return f;
}

void pentry_set_value_with_fields(struct pentry *e, uint64_t value, uint64_t mask)
{
	/* A captured or imported value is one vCPU's: its per-vCPU fields
	 * (APIC ids, MPIDR affinity) are left to each VMM. */
	mask &= ~regdb_vmm_owned_bits(e->reg);
	e->value = value & mask;
	e->mask = mask;
	e->has_value = 1;
	if (!e->reg)
		return;
	e->raw_value = e->reg->n_fields > 0;
	for (uint32_t i = 0; i < e->reg->n_fields; i++) {
		const struct regdb_field *rf = &e->reg->fields[i];
		uint64_t fm = width_mask(rf->width) << rf->shift;
		struct pfield *f;

		if ((mask & fm) != fm)
			continue;
		f = pentry_add_field(e, rf->name, rf->shift, rf->width,
				     (rf->flags & REGDB_F_SIGNED) ? KVMPROF_FIELD_SIGNED : 0);
		f->policy = KVMPROF_POLICY_EXACT;
		f->value = (value & fm) >> rf->shift;
	}
}
