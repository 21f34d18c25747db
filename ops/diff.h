/* SPDX-License-Identifier: MIT */
/*
 * diff.h - what a guest would notice between two resolved profiles
 * (`kvmprof diff A B`), field by field, with the fields' names and both values.
 *
 * Entries are matched by target (pentry_same_target). A register with named
 * fields in the register database is compared per database field, whether or
 * not the profiles stated the field by name; bits outside every field are
 * reported as ranges ("bits 15:12"). Besides values, the diff reports bits
 * stated in one profile and don't-care in the other, entries and flags present
 * on one side only, and differences of policy, requires and optional.
 *
 * Output order is stable: by phase, then by entry name, then by field
 * position (most significant first).
 */
#ifndef KVMPROF_DIFF_H
#define KVMPROF_DIFF_H

#include <stddef.h>
#include <stdio.h>

#include "host.h"
#include "profile.h"

/* What differs; the JSON "kind" is the string of pdiff_kind_name(). */
enum pdiff_kind {
	PDIFF_VALUE = 0,   /* "value": stated on both sides, different */
	PDIFF_STATED,      /* "stated/unstated": some bits are don't-care on one side only */
	PDIFF_ONLY_A,      /* "only-a": the entry or flag is stated by A alone */
	PDIFF_ONLY_B,      /* "only-b" */
	PDIFF_POLICY,      /* "policy": exact vs at-most */
	PDIFF_REQUIRES,    /* "requires": the condition differs (profile-wide or per entry) */
	PDIFF_OPTIONAL,    /* "optional": true vs false */
};

struct pdiff_item {
	char *name;  /* canonical entry name ("CPUID.0x7.0x0.EBX"), a quirk's name, or "profile" */
	char *field; /* "AVX512F", "bits 15:12", or NULL for the whole entry */
	char *a, *b; /* the values as text; NULL = not stated on that side */
	int kind;    /* enum pdiff_kind */
	int phase;   /* enum kvmprof_phase, -1 for profile-wide items; for ordering */
	/* Values stated in full on both sides: KVM's write rule for the field
	 * (enum regdb_rule), whether a kernel presenting b can keep showing a
	 * guest a (1, "safe for running guests") or not (0), and the field's
	 * meaning from the register database. -1, -1, NULL otherwise. */
	int rule;
	int keeps;
	const char *meaning; /* static (database) string */
};

struct pdiff_side {
	char *name;     /* the profile's name */
	char *file;     /* as loaded */
	char hash[32];  /* profile_hash() */
	char *kernel;   /* its provenance's kernel (NULL: not stated): b's decides the write rules */
};

struct pdiff {
	struct pdiff_side a, b;
	struct pdiff_item *items;
	size_t n_items;
};

enum pdiff_format {
	PDIFF_FORMAT_TEXT = 0,     /* one line each: "ID_AA64PFR0_EL1.CSV2: 1 -> 0" */
	PDIFF_FORMAT_MARKDOWN = 1, /* a table to paste into a pull request */
	PDIFF_FORMAT_JSON = 2,     /* {"a":{...},"b":{...},"differences":[{name,field,a,b,kind}]} */
};

/* Compares two resolved profiles (of any arch) into out; out is owned by the caller (pdiff_free). */
void profile_diff(const struct profile *a, const struct profile *b, struct pdiff *out);
void pdiff_free(struct pdiff *d);
/* Adds the differences of two `vcpu: register-set:` sections (registers on
 * one side only, policies that differ; a whole section on one side only is
 * one item), then re-sorts. */
void profile_diff_regsets(const struct host_facts *a, const struct host_facts *b, int arch, struct pdiff *out);

const char *pdiff_kind_name(int kind);
/* "text", "markdown", "json" -> enum pdiff_format; -1 if unknown. */
int pdiff_format_by_name(const char *name);
void pdiff_write(const struct pdiff *d, int format, FILE *out);

#endif /* KVMPROF_DIFF_H */
