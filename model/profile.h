/* SPDX-License-Identifier: MIT */
/*
 * profile.h - the compiler's in-memory model of a profile: what the YAML
 * loader (yaml_in.c) builds, inheritance (resolve.c) merges, the checks
 * (checks.c, lint.c) judge and the code generator (c_out.c) emits.
 */
#ifndef KVMPROF_PROFILE_H
#define KVMPROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "expr.h"
#include "kvmprof.h"
#include "regdb.h"

struct host_regset_entry; /* host.h */

/* One named field stated for an entry. */
struct pfield {
	char *name;
	uint8_t shift, width;
	uint8_t policy;         /* enum kvmprof_policy */
	uint8_t flags;          /* KVMPROF_FIELD_* */
	uint64_t value;         /* field value, not shifted */
	struct srcpos pos;      /* where the field's value was stated */
};

/* One guest-visible setting, as kvmprof_entry but with sources. */
struct pentry {
	char *name;                  /* canonical: "ID_AA64PFR0_EL1", "KVM_CAP_X2APIC_API" */
	const struct regdb_reg *reg; /* database register, NULL for caps/quirks/raw ids */
	int kind;                    /* enum kvmprof_kind */
	int phase;                   /* enum kvmprof_phase */
	int policy;                  /* enum kvmprof_policy */
	int width;                   /* bits */
	int cpuid_reg;               /* enum kvmprof_cpuid_reg */
	unsigned flags;              /* KVMPROF_ENTRY_* */
	uint32_t group, aux;
	uint64_t id;
	uint64_t value, mask;        /* whole value; fields are folded in */
	uint64_t args[4];            /* ENABLE_CAP */
	int raw_value;               /* stated as a whole number where fields exist (lint) */
	struct pfield *fields;
	size_t n_fields;
	char *requires_text;         /* NULL: always */
	struct expr *requires;
	struct srcpos requires_pos;  /* first character of the condition */
	struct srcpos pos;           /* the entry's key */
	char *profile;               /* name of the profile (in a base chain) that stated it (owned) */
	char *note;                  /* `note:` for reviewers, may be NULL */
	int has_value;               /* a whole value (or x-literal) was stated */
	int removed;                 /* `~`: removes the base's entry (loader only) */
};

struct pkv {                         /* one provenance line */
	char *key;                   /* "kernel", "references[0]" */
	char *value;
	struct srcpos pos;
};

struct profile {
	char *file;                  /* as given on the command line */
	char *name;
	int arch;                    /* enum kvmprof_arch */
	int format_version;
	char *description;
	struct pkv *provenance;
	size_t n_provenance;
	char *base;                  /* NULL: no base */
	struct srcpos base_pos;
	char *requires_text;
	struct expr *requires;
	struct srcpos requires_pos;
	struct pentry *entries;      /* after resolve: sorted by phase, then stated order */
	size_t n_entries;
	struct srcpos pos;           /* the document's start */
	/* vcpu: register-set: of a profile made in memory (baseline), written
	 * by profile_write_yaml; a loaded file's is read by host.c instead. */
	struct host_regset_entry *regset;
	size_t n_regset;
	/* The parsed file (formats/yaml_in.h) the profile was loaded from, and
	 * those of its base chain, nearest first (resolve.c): host_in.c reads
	 * their host: and register-set: sections from the same parse. NULL /
	 * none for a profile made in memory. */
	struct yaml_file *src;
	struct yaml_file **base_srcs;
	size_t n_base_srcs;
	/* Frees them (yaml_file_close, set by the loader): through a pointer,
	 * so that the static capture program links the model without libyaml. */
	void (*close_src)(struct yaml_file *f);
};

/* The low `width` bits set (width 64 or more: all). */
static inline uint64_t width_mask(unsigned width)
{
	return width >= 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;
}

/* The bits of a field within its register. */
static inline uint64_t pfield_mask(const struct pfield *f)
{
	return width_mask(f->width) << f->shift;
}

/* Allocation that aborts on exhaustion (the compiler is a batch tool). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Room for element n of array p that only ever grows by xgrow(), one
 * element at a time: the capacity doubles, so n appends copy O(n) in all. */
void *xgrow(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Appends a field to e (policy: e's; flags: KVMPROF_FIELD_*; value 0; pos: e's). */
struct pfield *pentry_add_field(struct pentry *e, const char *name, unsigned shift, unsigned width,
				unsigned flags);

/*
 * States value under mask as e's whole value, and names every database field
 * of e->reg that mask covers entirely (exact, with its value), so a reviewer
 * reads names: what capture and import write. Per-vCPU fields
 * (REGDB_F_PER_VCPU) are left out of mask: one vCPU's value is not a profile's.
 */
void pentry_set_value_with_fields(struct pentry *e, uint64_t value, uint64_t mask);

/* A profile name as `base:` states it: letters, digits, '.', '_', '+', '-',
 * not starting with '.' or '-' (so never a path). */
int profile_name_ok(const char *name);

/* Entries are matched across a base chain by this key. */
int pentry_same_target(const struct pentry *a, const struct pentry *b);
/* p's entry with e's target, or NULL. */
const struct pentry *profile_find_target(const struct profile *p, const struct pentry *e);
/* The value of provenance key `key` ("kernel": the uname release a capture
 * or an imported fingerprint was taken on), or NULL. */
const char *profile_provenance(const struct profile *p, const char *key);

void profile_free(struct profile *p);
void pentry_clear(struct pentry *e);
/* A new zeroed entry at the end of p->entries, for the loaders and capture,
 * which build a profile from nothing (the array grows by xgrow()). */
struct pentry *profile_add_entry(struct profile *p);

/*
 * Loads one YAML file (no inheritance). Every error goes to d with its
 * file:line:col; returns NULL only when nothing usable was read.
 */
struct profile *profile_load(const char *path, struct diag *d);

/*
 * Where the base NAME of the profile file `child` is: NAME.yaml next to
 * child first, then in each directory of search_path (NULL-terminated).
 * A malloc'ed path, or NULL if none is readable. Every verb resolves bases
 * this way.
 */
char *profile_find_base(const char *name, const char *child, const char *const *search_path);

/*
 * Loads `path` and its base chain (bases found by profile_find_base()), rejects cycles, and
 * returns one merged profile whose entries carry the origin of each value.
 */
struct profile *profile_load_resolved(const char *path, const char *const *search_path,
				      struct diag *d);

/* Semantic checks that need no kernel (checks.c). */
void profile_check(const struct profile *p, struct diag *d);

/* The most instructions one compiled condition takes. */
#define PROFILE_COND_MAX_INSNS 256
/*
 * The one place conditions are compiled for the runtime (checks.c):
 * condition e of p, stated at pos, into code (PROFILE_COND_MAX_INSNS slots,
 * or NULL to check only). Returns the number of instructions, or -1 with
 * the error at its column in d.
 */
int profile_compile_cond(const struct profile *p, const struct expr *e, struct srcpos pos,
			 struct kvmprof_insn *code, struct diag *d);
/* The capability names it resolves (expr_cap_fn over the register database;
 * ctx is the struct profile, for its arch). */
int profile_cap_lookup(void *ctx, const char *name, uint64_t *number, struct expr_error *err);

/* Review rules (lint.c); base may be NULL. */
void profile_lint(const struct profile *p, const struct profile *base, struct diag *d);

/* "fnv1a64:<16 hex digits>" over a canonical rendering of the resolved profile. */
void profile_hash(const struct profile *p, char out[32]);
/* "fnv1a64:<16 hex digits>" of any bytes (the same FNV-1a as profile_hash). */
void hash_text_fnv1a64(const void *data, size_t len, char out[32]);

/* Writes p as canonical format-1 YAML (yaml_out.c); loading it back gives the same entries. */
void profile_write_yaml(const struct profile *p, FILE *out);
/*
 * The same with the sections of a file that are not the resolved model: with
 * `base:` (p->base) when with_base, and the `vcpu: register-set:` and `host:`
 * of host when not NULL (host.h; a capture).
 */
struct host_facts;
void profile_write_yaml_file(const struct profile *p, int with_base, const struct host_facts *host, FILE *out);
/* A double-quoted YAML scalar with every non-printable byte escaped. */
void yaml_put_string(FILE *out, const char *s);

struct cgen_opts {
	const char *symbol;       /* C identifier of the kvmprof_profile; NULL: derived */
	const char *header_name;  /* include this header from the .c; NULL: none */
	const char *source_label; /* the path printed in the banner (never absolute) */
};

/* Emits the C tables (c_out.c). Returns 0, or -1 with an error in d. */
int cgen_emit_c(const struct profile *p, const struct cgen_opts *o, FILE *out, struct diag *d);
int cgen_emit_h(const struct profile *p, const struct cgen_opts *o, FILE *out, struct diag *d);
/* The C identifier derived from a profile name: kvmprof_profile_linux_6_12_... */
void cgen_symbol_name(const char *profile_name, char *out, size_t len);

#endif /* KVMPROF_PROFILE_H */
