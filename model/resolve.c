/* SPDX-License-Identifier: MIT */
/*
 * resolve.c - inheritance: loads a profile's base chain and merges it into one
 * profile whose entries remember which file stated each value.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "yaml_in.h"
#include "profile.h"

#define MAX_BASE_DEPTH 16

struct chain {
	char *paths[MAX_BASE_DEPTH + 1];
	char *names[MAX_BASE_DEPTH + 1];
	int depth;
};

/*
 * The profile's own folder first, then the -I directories: a profile and its
 * base travel together (old/profiles/x.yaml takes old/profiles/base.yaml even
 * when the current directory has a profiles/ of its own).
 */
char *profile_find_base(const char *name, const char *child, const char *const *search)
{
	char buf[PATH_MAX];
	const char *slash = strrchr(child, '/');

	if (!profile_name_ok(name)) /* a path is never looked up (the loader reports it) */
		return NULL;
	if (slash)
		snprintf(buf, sizeof(buf), "%.*s/%s.yaml", (int)(slash - child), child, name);
	else
		snprintf(buf, sizeof(buf), "%s.yaml", name);
	if (access(buf, R_OK) == 0)
		return xstrdup(buf);
	for (; search && *search; search++) {
		snprintf(buf, sizeof(buf), "%s/%s.yaml", *search, name);
		if (access(buf, R_OK) == 0)
			return xstrdup(buf);
	}
	return NULL;
}

static void copy_entry(struct pentry *dst, const struct pentry *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->profile = xstrdup(src->profile);
	dst->note = xstrdup(src->note);
	dst->requires_text = xstrdup(src->requires_text);
	dst->requires = src->requires_text ? expr_parse(src->requires_text, &(struct expr_error){ 0 }) : NULL;
	dst->fields = NULL;
	dst->n_fields = 0;
	if (src->n_fields) {
		dst->fields = xcalloc(src->n_fields, sizeof(*dst->fields));
		for (size_t i = 0; i < src->n_fields; i++) {
			dst->fields[i] = src->fields[i];
			dst->fields[i].name = xstrdup(src->fields[i].name);
		}
		dst->n_fields = src->n_fields;
	}
}


/* The child's fields override the base's fields of the same entry. */
static void merge_fields(struct pentry *m, struct pentry *c)
{
	for (size_t i = 0; i < c->n_fields; i++) {
		struct pfield *cf = &c->fields[i];
		size_t j;

		for (j = 0; j < m->n_fields; j++)
			if (!strcmp(m->fields[j].name, cf->name))
				break;
		if (j == m->n_fields) {
			m->fields = xrealloc(m->fields, (m->n_fields + 1) * sizeof(*m->fields));
			m->n_fields++;
		} else {
			free(m->fields[j].name);
		}
		m->fields[j] = *cf;
		m->fields[j].name = xstrdup(cf->name);
		m->value = (m->value & ~pfield_mask(cf)) | (cf->value << cf->shift);
		m->mask |= pfield_mask(cf);
	}
	if (c->requires_text) {
		free(m->requires_text);
		expr_free(m->requires);
		m->requires_text = c->requires_text;
		m->requires = c->requires;
		m->requires_pos = c->requires_pos;
		c->requires_text = NULL;
		c->requires = NULL;
	}
	if (c->note) {
		free(m->note);
		m->note = c->note;
		c->note = NULL;
	}
	if (c->policy != KVMPROF_POLICY_EXACT)
		m->policy = c->policy;
	m->flags |= c->flags;
	if (m->kind == KVMPROF_KIND_CPUID)
		m->aux |= c->aux;
	m->pos = c->pos;
	free(m->profile);
	m->profile = c->profile;
	c->profile = NULL;
}

static void merge(struct profile *child, const struct profile *base, struct diag *d)
{
	struct pentry *out;
	size_t n = 0, cap = base->n_entries + child->n_entries;

	if (cap > KVMPROF_MAX_PROFILE_ENTRIES) { /* bounds the work below, too */
		diag_error(d, child->base_pos, "limit", "the profile and its base chain state more than %d entries",
			   KVMPROF_MAX_PROFILE_ENTRIES);
		return;
	}

	out = xcalloc(cap, sizeof(*out));
	for (size_t i = 0; i < base->n_entries; i++)
		copy_entry(&out[n++], &base->entries[i]);
	for (size_t i = 0; i < child->n_entries; i++) {
		struct pentry *c = &child->entries[i];
		size_t j;

		for (j = 0; j < n; j++)
			if (pentry_same_target(&out[j], c))
				break;
		if (c->removed) {
			if (j == n)
				diag_warning(d, c->pos, "removes-nothing", "'%s: ~' removes nothing: base '%s' does not state %s",
					     c->name, child->base, c->name);
			else {
				pentry_clear(&out[j]);
				memmove(&out[j], &out[j + 1], (n - j - 1) * sizeof(*out));
				n--;
			}
			pentry_clear(c);
			continue;
		}
		if (j == n) {
			out[n++] = *c;
		} else if (c->has_value || c->kind == KVMPROF_KIND_ENABLE_CAP || c->kind == KVMPROF_KIND_VCPU_FEATURE) {
			pentry_clear(&out[j]);
			out[j] = *c;
		} else {
			merge_fields(&out[j], c);
			pentry_clear(c);
			continue;
		}
		memset(c, 0, sizeof(*c)); /* moved */
	}
	free(child->entries);
	child->entries = out;
	child->n_entries = n;
}

/* Stable sort by phase: a counting sort (linear; phases are few). */
static void sort_by_phase(struct profile *p)
{
	size_t start[KVMPROF_PHASE_COUNT + 1] = { 0 };
	struct pentry *out;

	if (p->n_entries < 2)
		return;
	for (size_t i = 0; i < p->n_entries; i++)
		start[(unsigned)p->entries[i].phase % KVMPROF_PHASE_COUNT + 1]++;
	for (int ph = 1; ph <= KVMPROF_PHASE_COUNT; ph++)
		start[ph] += start[ph - 1];
	out = xcalloc(p->n_entries, sizeof(*out));
	for (size_t i = 0; i < p->n_entries; i++)
		out[start[(unsigned)p->entries[i].phase % KVMPROF_PHASE_COUNT]++] = p->entries[i];
	free(p->entries);
	p->entries = out;
}

/* `~` with no base entry to remove (or no base at all). */
static void drop_removed(struct profile *p, struct diag *d)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_entries; i++) {
		if (p->entries[i].removed) {
			diag_warning(d, p->entries[i].pos, "removes-nothing", "'%s: ~' removes nothing (no base states it)",
				     p->entries[i].name);
			pentry_clear(&p->entries[i]);
			continue;
		}
		p->entries[n++] = p->entries[i];
	}
	p->n_entries = n;
}

static struct profile *load_chain(const char *path, const char *const *search, struct diag *d,
				  struct chain *ch)
{
	struct profile *base = NULL, *p;
	struct srcpos base_pos = { 0 };
	const char *base_name;
	char *resolved;
	struct yaml_file *f;

	resolved = realpath(path, NULL);
	for (int i = 0; i < ch->depth; i++)
		if (resolved && ch->paths[i] && !strcmp(ch->paths[i], resolved)) {
			free(resolved);
			return NULL; /* reported by the caller, which knows the chain */
		}
	ch->paths[ch->depth] = resolved;
	ch->names[ch->depth] = xstrdup(path);
	ch->depth++;

	f = yaml_file_open(path, d);
	if (!f)
		return NULL;
	base_name = yaml_file_base(f, d, &base_pos);
	if (base_name && !profile_name_ok(base_name))
		base_name = NULL; /* not a name: the load of path reports it */
	if (base_name) {
		char *base_path = profile_find_base(base_name, path, search);
		if (!base_path) {
			diag_error(d, base_pos, "base", "base profile '%s' not found (looked for %s.yaml next to this file "
				   "and in the -I directories)", base_name, base_name);
		} else if (ch->depth > MAX_BASE_DEPTH) {
			diag_error(d, base_pos, "base", "base chain deeper than %d profiles", MAX_BASE_DEPTH);
		} else {
			char *rp = realpath(base_path, NULL);
			int cycle = 0;
			for (int i = 0; i < ch->depth; i++)
				if (rp && ch->paths[i] && !strcmp(rp, ch->paths[i]))
					cycle = 1;
			free(rp);
			if (cycle) {
				char msg[1024] = "";
				for (int i = 0; i < ch->depth; i++) {
					strncat(msg, ch->names[i], sizeof(msg) - strlen(msg) - 1);
					strncat(msg, " -> ", sizeof(msg) - strlen(msg) - 1);
				}
				strncat(msg, base_path, sizeof(msg) - strlen(msg) - 1);
				diag_error(d, base_pos, "base", "base profiles form a cycle: %s", msg);
			} else {
				base = load_chain(base_path, search, d, ch);
			}
		}
		free(base_path);
	}
	p = profile_load_file(f, base, d);
	if (p && base) {
		if (base->arch && p->arch && base->arch != p->arch)
			diag_error(d, p->base_pos, "base", "base '%s' is for another architecture", p->base);
		else
			merge(p, base, d);
		if (base->src) { /* the chain's files, nearest first, for the register set */
			p->base_srcs = xcalloc(1 + base->n_base_srcs, sizeof(*p->base_srcs));
			p->base_srcs[p->n_base_srcs++] = base->src;
			for (size_t i = 0; i < base->n_base_srcs; i++)
				p->base_srcs[p->n_base_srcs++] = base->base_srcs[i];
			base->src = NULL;
			base->n_base_srcs = 0;
		}
	}
	profile_free(base);
	if (p) {
		drop_removed(p, d);
		sort_by_phase(p);
	}
	return p;
}

struct profile *profile_load_resolved(const char *path, const char *const *search_path, struct diag *d)
{
	struct chain ch = { 0 };
	struct profile *p = load_chain(path, search_path, d, &ch);

	for (int i = 0; i < ch.depth; i++) {
		free(ch.paths[i]);
		free(ch.names[i]);
	}
	return p;
}
