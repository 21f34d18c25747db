/* SPDX-License-Identifier: MIT */
/*
 * checks.c - the checks `kvmprof compile` can make without a kernel, beyond
 * what the loader already rejects while reading: conditions (known caps, no
 * register names, compilable for the runtime) and per-kind sanity.
 */
#include <inttypes.h>
#include <string.h>

#include "profile.h"

/*
 * Every check kvmprof reports, with its default level and the verbs that
 * report it. Errors stay errors; warnings take -Wno-NAME and -Werror=NAME.
 * tests/corpus/errors/ holds a case naming each check of compile and lint
 * (test_compile checks that it does).
 */
const struct check_def check_table[] = {
	/* reading a profile (formats/yaml_in.c, model/resolve.c) */
	{ "io", CHECK_ERROR, "all", "a file cannot be read or written" },
	{ "limit", CHECK_ERROR, "all", "an input beyond what kvmprof reads (entries, list lengths; test_hostile)" },
	{ "yaml", CHECK_ERROR, "compile lint", "malformed YAML, or a value of the wrong YAML type" },
	{ "bad-version", CHECK_ERROR, "compile lint", "a format version (kvmprof:) this build does not read" },
	{ "missing-key", CHECK_ERROR, "compile lint", "kvmprof:, name: or arch: is missing" },
	{ "name-mismatch", CHECK_ERROR, "compile lint", "name: is not the file's name" },
	{ "unknown-key", CHECK_ERROR, "compile lint", "a key the format does not have" },
	{ "unknown-register", CHECK_ERROR, "compile lint", "a register the register database does not know" },
	{ "unknown-field", CHECK_ERROR, "compile lint", "a field the register does not have" },
	{ "wrong-arch", CHECK_ERROR, "compile lint", "a register or setting of another architecture" },
	{ "wrong-section", CHECK_ERROR, "compile lint", "a register stated in the section of another kind" },
	{ "value-width", CHECK_ERROR, "compile lint", "a value wider than its field or register" },
	{ "conflict", CHECK_ERROR, "compile lint", "the same register, field or key stated twice" },
	{ "base", CHECK_ERROR, "compile lint", "a base profile missing, of another architecture or in a cycle" },
	{ "removes-nothing", CHECK_WARNING, "compile lint", "'NAME: ~' where no base states NAME" },
	/* the model's checks (model/checks.c) and its lowering (model/tables.c, formats/c_out.c) */
	{ "expr", CHECK_ERROR, "compile lint", "a condition that does not parse or compile" },
	{ "empty", CHECK_WARNING, "compile lint", "a quirks: or x2apic-api: set that states no flags" },
	{ "policy", CHECK_WARNING, "compile lint", "at-most on a field where a lower value is not safe" },
	{ "tables", CHECK_ERROR, "compile lint", "more than the runtime's tables hold" },
	{ "cgen", CHECK_ERROR, "compile-options", "a --symbol, --header or index name the C writer cannot write" },
	/* review rules (model/lint.c) */
	{ "missing-description", CHECK_WARNING, "lint", "no description:" },
	{ "missing-provenance", CHECK_WARNING, "lint", "no provenance:, or no sources in it" },
	{ "raw-value", CHECK_WARNING, "lint", "a raw value where the register has named fields" },
	{ "repeats-base", CHECK_WARNING, "lint", "an entry that repeats its base's value" },
	/* other verbs */
	{ "host", CHECK_ERROR, "check diff", "a malformed host: or vcpu: register-set: section" },
	{ "json", CHECK_ERROR, "import", "malformed JSON" },
	{ "firecracker", CHECK_ERROR, "import", "a Firecracker file kvmprof cannot read" },
	{ "raw-register", CHECK_WARNING, "import", "a register id the database does not know, kept raw" },
	{ "not-carried", CHECK_WARNING, "import", "something of the Firecracker file a profile cannot state" },
	{ "export", CHECK_ERROR, "export", "a profile a Firecracker template cannot express" },
	{ "baseline", CHECK_ERROR, "baseline", "inputs that have no baseline (architectures, conditions)" },
	{ "no-common-value", CHECK_WARNING, "baseline", "a field without a safe common value, left out" },
	{ "expectations", CHECK_ERROR, "test", "a malformed expectations file" },
	{ "expectation", CHECK_ERROR, "test", "a profile that no longer meets what its expectations state" },
};
const size_t check_table_size = sizeof(check_table) / sizeof(check_table[0]);

int profile_cap_lookup(void *ctx, const char *name, uint64_t *number, struct expr_error *err)
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

int profile_compile_cond(const struct profile *p, const struct expr *e, struct srcpos pos,
			 struct kvmprof_insn *code, struct diag *d)
{
	struct kvmprof_insn scratch[PROFILE_COND_MAX_INSNS];
	struct expr_error err = { 0 };
	int n = expr_compile_cond(e, profile_cap_lookup, (void *)p, code ? code : scratch, PROFILE_COND_MAX_INSNS, &err);

	if (n <= 0) {
		diag_error(d, srcpos_offset(pos, err.off), "expr", "%s", n < 0 ? err.msg : "empty condition");
		return -1;
	}
	return n;
}

void profile_check(const struct profile *p, struct diag *d)
{
	if (p->requires)
		profile_compile_cond(p, p->requires, p->requires_pos, NULL, d);
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];

		if (e->requires)
			profile_compile_cond(p, e->requires, e->requires_pos, NULL, d);
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
