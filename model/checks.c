/* SPDX-License-Identifier: MIT */
/*
 * checks.c - the checks `kvmprof compile` can make without a kernel, beyond
 * what the loader already rejects while reading: conditions (known caps, no
 * register names, compilable for the runtime) and per-kind sanity.
 */
#include <inttypes.h>
#include <string.h>

#include "profile.h"

#define COND_MAX_CODE 256

static int cap_by_name(void *ctx, const char *name, uint64_t *number, struct expr_error *err)
{
	const struct profile *p = ctx;
	const struct regdb_sym *s = regdb_sym_by_name(REGDB_SYM_CAP, name, p->arch);

	if (!s)
		s = regdb_sym_by_name(REGDB_SYM_CAP, name, 0);
	if (!s) {
		/* a suggestion costs a walk of the database: the first DIAG_MAX_SHOWN
		 * of a run get one (an input with thousands stays linear) */
		static int suggestions_left = DIAG_MAX_SHOWN;
		const char *near = suggestions_left > 0 ? regdb_suggest_sym(REGDB_SYM_CAP, name, p->arch) : NULL;

		suggestions_left -= suggestions_left > 0;
		if (near)
			snprintf(err->msg, sizeof(err->msg), "unknown capability '%s' (did you mean %s?)", name, near);
		else
			snprintf(err->msg, sizeof(err->msg), "unknown capability '%s'", name);
		return -1;
	}
	*number = s->value;
	return 0;
}

/* Compiles a condition the way cgen will, reporting any error at its column. */
int check_condition(const struct profile *p, const struct expr *e, struct srcpos pos, struct diag *d)
{
	struct kvmprof_insn code[COND_MAX_CODE];
	struct expr_error err = { 0 };

	if (expr_compile_cond(e, cap_by_name, (void *)p, code, COND_MAX_CODE, &err) < 0) {
		diag_error(d, srcpos_offset(pos, err.off), "expr", "%s", err.msg);
		return -1;
	}
	return 0;
}

int check_cap_lookup(void *ctx, const char *name, uint64_t *number, struct expr_error *err)
{
	return cap_by_name(ctx, name, number, err);
}

void profile_check(const struct profile *p, struct diag *d)
{
	if (p->requires)
		check_condition(p, p->requires, p->requires_pos, d);
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];

		if (e->requires)
			check_condition(p, e->requires, e->requires_pos, d);
		if (e->kind == KVMPROF_KIND_QUIRKS || e->kind == KVMPROF_KIND_X2APIC_API) {
			if (e->n_fields == 0)
				diag_warning(d, e->pos, "empty", "%s states no flags", e->name);
		}
		if (e->kind == KVMPROF_KIND_ONE_REG && e->reg && (e->reg->flags & REGDB_R_ID_REG) &&
		    e->policy == KVMPROF_POLICY_AT_MOST) {
			for (size_t f = 0; f < e->n_fields; f++)
				if (e->fields[f].policy == KVMPROF_POLICY_AT_MOST) {
					const struct regdb_field *rf = regdb_field_by_name(e->reg, e->fields[f].name);
					if (rf && !(rf->flags & REGDB_F_LOWER_SAFE))
						diag_warning(d, e->fields[f].pos, "policy",
							     "%s.%s is not a 'lower is safe' field; at-most may present "
							     "a guest with a value it does not expect",
							     e->name, e->fields[f].name);
				}
		}
	}
}
