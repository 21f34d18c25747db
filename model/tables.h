/* SPDX-License-Identifier: MIT */
/*
 * tables.h - a resolved profile as the runtime's tables, built in memory:
 * the same struct kvmprof_profile that `kvmprof compile` emits as C (c_out.c),
 * so the CLI can hand a YAML profile straight to libkvmprof (check).
 */
#ifndef KVMPROF_TABLES_H
#define KVMPROF_TABLES_H

#include "kvmprof.h"
#include "profile.h"

/* Owns everything the tables point to. */
struct tables {
	struct kvmprof_profile profile;
	struct kvmprof_entry *entries;
	struct kvmprof_field *fields;   /* all entries' fields, one array */
	struct kvmprof_cond *conds;     /* [0] the profile's, [1 + i] entry i's */
	struct kvmprof_insn *code;      /* all condition programs, one array */
	struct kvmprof_regset_entry *regset; /* vcpu: register-set:, sorted by id */
	char **strings;                 /* origins and flattened provenance */
	size_t n_strings;
	int portable;                   /* origins name files without their directory if absolute */
};

/*
 * The one lowering of a model: builds t from p (resolved, entries sorted by
 * phase); conditions compile with profile_compile_cond. The tables point
 * into p (names, texts): p must outlive t. Returns 0, or -1 with an error in
 * d. The C writer (c_out.c) prints what this builds; check hands it to the
 * runtime.
 */
int tables_build(const struct profile *p, struct tables *t, struct diag *d);
/* The same with portable origins: an absolute path keeps only its file name,
 * so generated C is the same wherever it is built. */
int tables_build_portable(const struct profile *p, int portable, struct tables *t, struct diag *d);
/* "/a/b/x.yaml" -> "x.yaml"; a relative path as it is. */
const char *tables_portable_path(const char *path);
void tables_free(struct tables *t);

#endif /* KVMPROF_TABLES_H */
