/* SPDX-License-Identifier: MIT */
/*
 * lint.c - review rules for `kvmprof lint`: things that compile but that a
 * reviewer would ask about. All are warnings (-Werror makes them errors).
 */
#include <string.h>

#include "profile.h"

void profile_lint(const struct profile *p, const struct profile *base, struct diag *d)
{
	const char *own = p->name;

	if (p->n_provenance == 0)
		diag_warning(d, p->pos, "missing-provenance",
			     "no provenance: say where the values come from (captured on which kernel and CPU, "
			     "or authored from which public source)");
	else if (!profile_provenance(p, "kind"))
		diag_warning(d, p->pos, "missing-provenance", "provenance has no 'kind:' (captured, authored or imported)");
	if (!p->description)
		diag_warning(d, p->pos, "missing-description", "no description");
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i], *b;

		if (!e->profile || !own || strcmp(e->profile, own))
			continue; /* inherited unchanged: the base's business */
		if (e->raw_value && e->n_fields == 0)
			diag_warning(d, e->pos, "raw-value",
				     "%s is stated as a raw value; it has named fields (state them, e.g. {%s: ...}) "
				     "so a reviewer can see what changes", e->name, e->reg->fields[0].name);
		if (base && (b = profile_find_target(base, e)) != NULL && b->mask == e->mask &&
		    (b->value & b->mask) == (e->value & e->mask) && b->policy == e->policy &&
		    (b->requires_text == NULL) == (e->requires_text == NULL) &&
		    (!b->requires_text || !strcmp(b->requires_text, e->requires_text)))
			diag_warning(d, e->pos, "repeats-base", "%s repeats what base '%s' already states",
				     e->name, p->base);
	}
}
