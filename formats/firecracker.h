/* SPDX-License-Identifier: MIT */
/*
 * firecracker.h - Firecracker CPU fingerprints and custom CPU templates as
 * kvmprof profiles, and back (see docs/firecracker.md).
 *
 * Firecracker's JSON (firecracker-microvm/firecracker, docs/cpu_templates/
 * cpu-templates.md and cpu-template-helper.md):
 *   fingerprint: {firecracker_version, kernel_version, microcode_version,
 *                 bios_version, bios_revision, guest_cpu_config: TEMPLATE}
 *   template:    {kvm_capabilities: ["170", "!56"],
 *                 vcpu_features: [{index: 0, bitmap: "0b1xx"}],          arm64
 *                 reg_modifiers: [{addr: "0x6030...", bitmap: "0b..."}], arm64
 *                 cpuid_modifiers: [{leaf: "0x7", subleaf: "0x0", flags: 1,
 *                     modifiers: [{register: "ebx", bitmap: "0b..."}]}], x86_64
 *                 msr_modifiers: [{addr: "0x10a", bitmap: "0b..."}]}      x86_64
 * A bitmap digit x leaves the bit alone: (old & ~filter) | value.
 */
#ifndef KVMPROF_FIRECRACKER_H
#define KVMPROF_FIRECRACKER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

struct fc_import_opts {
	const char *name;         /* profile name; NULL: derived (fc_derive_name) */
	const char *description;  /* NULL: derived */
	int arch;                 /* enum kvmprof_arch; 0: from the content */
	const char *platform;     /* names a fingerprint's platform kvmprof does not know ("acme-x1"):
				   * linux-<major.minor>-<arch>-<platform>; NULL: from the file name */
};

/*
 * A register of the JSON left out of the profile because it is vCPU run-time
 * state (REGDB_R_STATE: core/FP registers, EL1 context, timers, PMU and
 * debug state, MPIDR_EL1 ...), not environment: a profile that pinned X0 or
 * PC would clobber the VMM's own boot state. See docs/firecracker.md.
 */
struct fc_omitted {
	const struct regdb_reg *reg;
	uint64_t id;
	uint64_t value, mask;     /* bits 63:0 of the bitmap (0/1 digits) */
	char *path;               /* JSON path of the element, "$.guest_cpu_config.reg_modifiers[17]" */
};

/* What one import read and kept (tests compare these with the JSON). */
struct fc_import_stats {
	size_t n_reg_modifiers;   /* arm64 registers read */
	size_t n_cpuid_registers; /* CPUID output registers read (modifiers[]) */
	size_t n_cpuid_leaves;
	size_t n_msr_modifiers;
	size_t n_vcpu_features;   /* feature bits stated (0/1 digits) */
	size_t n_kvm_capabilities;
	size_t n_unknown;         /* kept by raw id: the database does not know them */
	size_t n_not_carried;     /* reported as not expressible in a profile */
	struct fc_omitted *omitted; /* state registers left out, in JSON order */
	size_t n_omitted;
	int fingerprint;          /* 1: a fingerprint, 0: a template */
};

/* Frees what fc_import() allocated in st (the omitted list). */
void fc_import_stats_free(struct fc_import_stats *st);

/*
 * Reads a fingerprint or a custom CPU template and builds a profile (no
 * base). Errors and the report of unknown ids go to d, with the JSON path.
 * vCPU state registers are left out and listed in st->omitted (the count
 * goes to provenance); free st with fc_import_stats_free() (st may be NULL).
 * A CPUID leaf's flags become `significant-index` (pentry.aux bit 0).
 * NULL, or a profile with d->n_errors > 0, means the import failed.
 */
struct profile *fc_import(const char *path, const struct fc_import_opts *o, struct fc_import_stats *st,
			  struct diag *d);

/*
 * "linux-6.1-arm64-graviton2" for fingerprint_ARM_NEOVERSE_N1_6.1host.json,
 * "firecracker-x86_64-t2cl" for tmpl_T2CL.json. 0, or -1 if not derivable.
 */
int fc_derive_name(const char *path, const char *kernel_version, int arch, char *out, size_t len);

/*
 * Moves the entries stated identically by all n profiles into a new profile
 * `name` and makes it their base. The n profiles must share an arch.
 */
struct profile *fc_common_base(struct profile **ps, size_t n, const char *name, const char *description);


/*
 * Writes a resolved profile as a Firecracker custom CPU template. What the
 * template cannot carry is listed on `lost` (one line each) and counted.
 * Returns 0, or -1 with an error in d.
 */
int fc_export(const struct profile *p, FILE *out, FILE *lost, size_t *n_lost, struct diag *d);

/* The vCPU state registers an import left out: one line with the count and
 * the first names; with verbose, one line each with its JSON path and value. */
void fc_report_omitted(FILE *out, const char *path, const struct fc_import_stats *st, int verbose);

#endif /* KVMPROF_FIRECRACKER_H */
