/* SPDX-License-Identifier: MIT */
/*
 * test_firecracker.c - `kvmprof import --from firecracker` and `export --to
 * firecracker` against the real captures in ../shared/firecracker/ (read in
 * place, never copied into the repository; KVMPROF_FIRECRACKER_DIR overrides):
 *  - every file imports; entry counts and every value equal the JSON's: each
 *    JSON register is an entry (value, mask, CPUID flags) or a vCPU state
 *    register on the omitted list (by id, name and value), none dropped;
 *  - every import loads back from YAML, compiles and lints clean;
 *  - export -> import keeps every entry (same hash);
 *  - real 5.10 vs 6.1 differences by name (DebugVer, PMUVer, PSCI_VERSION ...);
 *  - the shipped fleet profiles (profiles/) equal a fresh import;
 *  - malformed input: errors with file:line:col and the JSON path.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* The importer and exporter live in the CLI; their conversion code is tested in process. */
#include "firecracker_in.c"
#include "firecracker_out.c"
#include "profile_entry.h"

static char fc_dir[256];
static char tmp_dir[256];

static int have_data(void)
{
	struct stat st;
	return fc_dir[0] && stat(fc_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

#define NEED_DATA()                                                                                  \
	do {                                                                                         \
		if (!have_data()) {                                                                  \
			printf("SKIP: no Firecracker data at %s (set KVMPROF_FIRECRACKER_DIR)\n", fc_dir); \
			skip();                                                                      \
		}                                                                                    \
	} while (0)

static int setup(void **state)
{
	const char *env = getenv("KVMPROF_FIRECRACKER_DIR");
	snprintf(fc_dir, sizeof(fc_dir), "%s", env && *env ? env : "../shared/firecracker");
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/kvmprof-test-fc-XXXXXX");
	assert_non_null(mkdtemp(tmp_dir));
	(void)state;
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(tmp_dir);
	struct dirent *de;
	char path[1024];

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp_dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(tmp_dir);
	(void)state;
	return 0;
}

/* The data files, sorted, as full paths. */
static size_t list_files(char names[][640], size_t max)
{
	DIR *d = opendir(fc_dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && n < max) {
		size_t l = strlen(de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".json"))
			snprintf(names[n++], 640, "%s/%s", fc_dir, de->d_name);
	}
	closedir(d);
	qsort(names, n, 640, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Imports with diagnostics collected as text (*log, caller frees). */
static struct profile *import_log(const char *path, const struct fc_import_opts *o, struct fc_import_stats *st,
				  struct diag *d, char **log, FILE **mem)
{
	size_t len;
	*mem = open_memstream(log, &len);
	assert_non_null(*mem);
	diag_init(d, *mem);
	d->quiet_source = 1;
	return fc_import(path, o, st, d);
}

static char *finish_log(struct diag *d, FILE *mem, char **log)
{
	diag_fini(d);
	fclose(mem);
	return *log;
}

static uint64_t field(const struct pentry *e, const char *name)
{
	assert_non_null(e);
	for (size_t i = 0; i < e->n_fields; i++)
		if (!strcmp(e->fields[i].name, name))
			return e->fields[i].value;
	fail_msg("%s has no field %s", e->name, name);
	return 0;
}

/* Independent reading of a bitmap: value and mask of the 0/1 digits (low 64 bits). */
static void bits_of(const char *s, uint64_t *value, uint64_t *mask)
{
	size_t n = strlen(s + 2);
	*value = *mask = 0;
	for (size_t i = 0; i < n; i++) {
		size_t bit = n - 1 - i;
		char c = s[2 + i];
		if (c == 'x' || bit >= 64)
			continue;
		*mask |= UINT64_C(1) << bit;
		if (c == '1')
			*value |= UINT64_C(1) << bit;
	}
}

static const struct fc_omitted *find_omitted(const struct fc_import_stats *st, uint64_t id)
{
	for (size_t i = 0; i < st->n_omitted; i++)
		if (st->omitted[i].id == id)
			return &st->omitted[i];
	return NULL;
}

static const struct fc_omitted *find_omitted_name(const struct fc_import_stats *st, const char *name)
{
	for (size_t i = 0; i < st->n_omitted; i++)
		if (!strcmp(st->omitted[i].reg->name, name))
			return &st->omitted[i];
	return NULL;
}

static const struct pentry *find_target(const struct profile *p, int kind, uint64_t id, int cpuid_reg)
{
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];
		if (e->kind == kind && e->id == id && (kind != KVMPROF_KIND_CPUID || e->cpuid_reg == cpuid_reg))
			return e;
	}
	return NULL;
}

/*
 * The elements of reg_modifiers (arm64 ONE_REG ids) or msr_modifiers (MSR
 * indices), if a: each register is an entry with the same value and mask or,
 * exactly when the database marks it vCPU state, on st->omitted with the same
 * id, path and value. Counts the registers in *n_json, the state ones in *n_state.
 */
static void check_addr_modifiers(const char *path, const struct profile *p, const struct fc_import_stats *st,
				 const struct json_value *a, int arch, int space, int kind, size_t *n_json,
				 size_t *n_state)
{
	for (size_t i = 0; a && i < a->n; i++) {
		uint64_t id, value, mask;
		assert_int_equal(json_u64(json_member(&a->items[i], "addr"), &id), 0);
		bits_of(json_member(&a->items[i], "bitmap")->text, &value, &mask);
		(*n_json)++;
		const struct regdb_reg *r = regdb_reg_by_id(arch, space, id, 0);
		const struct fc_omitted *o = find_omitted(st, id);
		if (r && (r->flags & REGDB_R_STATE)) {
			/* left out as state: listed by id and name, with its value */
			if (!o)
				fail_msg("%s: state register %s is neither an entry nor listed as omitted", path, r->name);
			assert_null(find_target(p, kind, id, 0));
			assert_ptr_equal(o->reg, r);
			assert_int_equal(o->mask, mask & width_mask(r->width)); /* the bitmap is 64 digits for FPSR */
			assert_int_equal(o->value, value & o->mask);
			assert_string_equal(o->path, a->items[i].path);
			(*n_state)++;
			continue;
		}
		assert_null(o);
		const struct pentry *e = find_target(p, kind, id, 0);
		if (!e)
			fail_msg("%s: %s has no entry for register 0x%016" PRIx64, path, p->name, id);
		assert_int_equal(e->value, value & e->mask);
		assert_int_equal(e->mask, mask & width_mask(e->width));
	}
}

/*
 * Checks p against the JSON element by element: every register of the file
 * is either an entry with the same value and mask (CPUID: and flags), or,
 * exactly when the database marks it vCPU state, on st->omitted with the
 * same id, path and value; nothing else. Returns the number of JSON registers.
 */
static size_t check_against_json(const char *path, const struct profile *p, const struct fc_import_stats *st)
{
	struct diag d;
	diag_init(&d, stderr);
	struct json_value *root = json_load_file(path, &d);
	assert_non_null(root);
	const struct json_value *cfg = json_member(root, "guest_cpu_config");
	if (!cfg)
		cfg = root;
	size_t n_json = 0, n_state = 0, n_bits = 0;
	const struct json_value *a;

	check_addr_modifiers(path, p, st, json_member(cfg, "reg_modifiers"), KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG,
			     KVMPROF_KIND_ONE_REG, &n_json, &n_state);
	if ((a = json_member(cfg, "cpuid_modifiers")) != NULL)
		for (size_t i = 0; i < a->n; i++) {
			uint64_t leaf, sub, flags;
			const struct json_value *mods = json_member(&a->items[i], "modifiers");
			assert_int_equal(json_u64(json_member(&a->items[i], "leaf"), &leaf), 0);
			assert_int_equal(json_u64(json_member(&a->items[i], "subleaf"), &sub), 0);
			assert_int_equal(json_u64(json_member(&a->items[i], "flags"), &flags), 0);
			assert_true(flags <= 1); /* only KVM_CPUID_FLAG_SIGNIFCANT_INDEX in the data */
			for (size_t k = 0; k < mods->n; k++) {
				const char *rn = json_member(&mods->items[k], "register")->text;
				int ri = rn[1] == 'a' ? 0 : rn[1] == 'b' ? 1 : rn[1] == 'c' ? 2 : 3;
				uint64_t value, mask;
				bits_of(json_member(&mods->items[k], "bitmap")->text, &value, &mask);
				const struct pentry *e = find_target(p, KVMPROF_KIND_CPUID, leaf << 32 | sub, ri);
				/* the VMM's fields (APIC ids, the hypervisor bit): left out */
				mask &= ~regdb_vmm_owned_bits(regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_CPUID,
									      leaf << 32 | sub, ri));
				value &= mask;
				if (!mask) {
					if (e)
						fail_msg("%s: CPUID 0x%" PRIx64 ".0x%" PRIx64 ".%s states only the VMM's bits, yet was imported",
							 path, leaf, sub, rn);
					continue;
				}
				n_json++;
				if (!e)
					fail_msg("%s: no entry for CPUID 0x%" PRIx64 ".0x%" PRIx64 ".%s", path, leaf, sub, rn);
				assert_int_equal(e->value, value);
				assert_int_equal(e->mask, mask);
				assert_int_equal(e->aux, flags); /* significant-index */
			}
		}
	check_addr_modifiers(path, p, st, json_member(cfg, "msr_modifiers"), KVMPROF_ARCH_X86_64, REGDB_X86_MSR,
			     KVMPROF_KIND_MSR, &n_json, &n_state);
	if ((a = json_member(cfg, "vcpu_features")) != NULL)
		for (size_t i = 0; i < a->n; i++) {
			uint64_t value, mask;
			bits_of(json_member(&a->items[i], "bitmap")->text, &value, &mask);
			for (int b = 0; b < 32; b++)
				if (mask >> b & 1) {
					const struct pentry *e = find_target(p, KVMPROF_KIND_VCPU_FEATURE, (uint64_t)b, 0);
					assert_non_null(e);
					assert_int_equal(e->value, value >> b & 1);
					n_bits++;
				}
		}
	assert_int_equal(st->n_vcpu_features, n_bits);
	/* no loss: every register is an entry or a listed state register, nothing else */
	assert_int_equal(st->n_omitted, n_state);
	assert_int_equal(p->n_entries + st->n_omitted, n_json + n_bits);
	assert_int_equal(st->n_not_carried, 0);
	/* provenance counts what was left out, and says why */
	const char *prov_omitted = NULL;
	for (size_t i = 0; i < p->n_provenance; i++)
		if (!strcmp(p->provenance[i].key, "state-registers-omitted"))
			prov_omitted = p->provenance[i].value;
	if (n_state) {
		char want[128];
		snprintf(want, sizeof(want), "%zu (vCPU run-time state, not environment; see docs/firecracker.md)",
			 n_state);
		assert_non_null(prov_omitted);
		assert_string_equal(prov_omitted, want);
	} else {
		assert_null(prov_omitted);
	}
	json_free(root);
	diag_fini(&d);
	return n_json;
}

/* Writes p as NAME.yaml into dir and returns the path (static buffer). */
static const char *write_yaml(const struct profile *p, const char *dir)
{
	static char path[1024];
	snprintf(path, sizeof(path), "%s/%s.yaml", dir, p->name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	profile_write_yaml_file(p, 1, NULL, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Loads, checks, lints (warnings count) and compiles to C in process; returns the resolved profile. */
static struct profile *compile_and_lint(const char *path, const char *const *search)
{
	char *log = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&log, &len);
	struct diag d;
	struct profile *p, *base = NULL;

	diag_init(&d, mem);
	d.quiet_source = 1;
	p = profile_load_resolved(path, search, &d);
	assert_non_null(p);
	profile_check(p, &d);
	if (p->base) {
		char bpath[1024];
		snprintf(bpath, sizeof(bpath), "%s/%s.yaml", search[0], p->base);
		base = profile_load_resolved(bpath, search, &d);
		assert_non_null(base);
	}
	profile_lint(p, base, &d);
	char *c_text = NULL;
	size_t c_len = 0;
	FILE *c_out = open_memstream(&c_text, &c_len);
	struct cgen_opts o = { .source_label = p->name };
	assert_int_equal(cgen_emit_c(p, &o, c_out, &d), 0);
	fclose(c_out);
	assert_non_null(strstr(c_text, "KVMPROF_TABLE_MAGIC"));
	free(c_text);
	fclose(mem);
	if (d.n_errors || d.n_warnings)
		fail_msg("%s: %d errors, %d warnings:\n%s", path, d.n_errors, d.n_warnings, log);
	free(log);
	diag_fini(&d);
	profile_free(base);
	return p;
}

/* Every file: imports, matches the JSON entry for entry, loads back, compiles, lints clean. */
static void test_every_file_imports(void **state)
{
	static char files[64][640];
	const char *search[] = { tmp_dir, NULL };
	size_t n;

	NEED_DATA();
	n = list_files(files, 64);
	assert_true(n >= 29); /* 18 fingerprints, 11 templates in the 2026-08-21 snapshot */
	for (size_t i = 0; i < n; i++) {
		struct fc_import_stats st;
		struct diag d;
		char *log;
		FILE *mem;
		struct profile *p = import_log(files[i], NULL, &st, &d, &log, &mem);
		int errors = d.n_errors;
		finish_log(&d, mem, &log);
		if (!p || errors)
			fail_msg("%s: import failed:\n%s", files[i], log);
		free(log);
		check_against_json(files[i], p, &st);
		fc_import_stats_free(&st);
		assert_int_equal(st.n_unknown, 0); /* the database knows every id of the captures */
		const char *y = write_yaml(p, tmp_dir);
		struct profile *q = compile_and_lint(y, search);
		assert_int_equal(q->n_entries, p->n_entries);
		for (size_t k = 0; k < p->n_entries; k++) {
			const struct pentry *e = &p->entries[k];
			const struct pentry *r = find_target(q, e->kind, e->id, e->cpuid_reg);
			assert_non_null(r);
			assert_string_equal(r->name, e->name);
			assert_int_equal(r->value, e->value);
			assert_int_equal(r->mask, e->mask);
			assert_int_equal(r->n_fields, e->n_fields);
			assert_int_equal(r->aux, e->aux); /* significant-index survives the YAML */
		}
		profile_free(q);
		profile_free(p);
	}
}

/* Imports a data file that must import without errors or warnings; stats into *stp if given. */
static struct profile *import_ok_stats(const char *file, struct fc_import_stats *stp)
{
	char path[1024];
	struct fc_import_stats st;
	struct diag d;
	char *log;
	FILE *mem;

	snprintf(path, sizeof(path), "%s/%s", fc_dir, file);
	struct profile *p = import_log(path, NULL, &st, &d, &log, &mem);
	int errors = d.n_errors, warnings = d.n_warnings;
	finish_log(&d, mem, &log);
	if (!p || errors || warnings)
		fail_msg("%s:\n%s", path, log);
	free(log);
	if (stp)
		*stp = st;
	else
		fc_import_stats_free(&st);
	return p;
}

static struct profile *import_ok(const char *file)
{
	return import_ok_stats(file, NULL);
}

static const char *prov(const struct profile *p, const char *key)
{
	for (size_t i = 0; i < p->n_provenance; i++)
		if (!strcmp(p->provenance[i].key, key))
			return p->provenance[i].value;
	return NULL;
}

/* Graviton2 (Neoverse N1): what changed between the 5.10 and 6.1 hosts, by name. */
static void test_graviton2_named_values(void **state)
{
	NEED_DATA();
	struct fc_import_stats sa, sb;
	struct profile *a = import_ok_stats("fingerprint_ARM_NEOVERSE_N1_5.10host.json", &sa);
	struct profile *b = import_ok_stats("fingerprint_ARM_NEOVERSE_N1_6.1host.json", &sb);

	assert_string_equal(a->name, "linux-5.10-arm64-graviton2");
	assert_string_equal(b->name, "linux-6.1-arm64-graviton2");
	assert_int_equal(a->arch, KVMPROF_ARCH_ARM64);
	assert_string_equal(prov(a, "kind"), "imported");
	assert_string_equal(prov(a, "source"), "fingerprint_ARM_NEOVERSE_N1_5.10host.json");
	assert_string_equal(prov(a, "kernel"), "5.10.255-253.1008.amzn2.aarch64");
	assert_string_equal(prov(b, "kernel"), "6.1.172-216.329.amzn2023.aarch64");
	assert_string_equal(prov(a, "microcode"), "0x00000000000000ff");
	/*
	 * 312 and 242 registers in the JSON; vCPU state left out: 5.10 has 244
	 * (31 X, SP, PC, PSTATE, SP_EL1, ELR_EL1, 5 SPSR, 32 V, FPSR, FPCR, EL1
	 * context, timers, 16+16 breakpoint/watchpoint pairs, 31 PMU counters and
	 * types ...), 6.1 171 (no PMU registers without the pmu-v3 feature)
	 */
	assert_int_equal(sa.n_omitted, 244);
	assert_int_equal(sb.n_omitted, 171);
	assert_int_equal(a->n_entries, 312 - 244);
	assert_int_equal(b->n_entries, 242 - 171);
	assert_string_equal(prov(b, "state-registers-omitted"),
			    "171 (vCPU run-time state, not environment; see docs/firecracker.md)");
	/* the boot state Firecracker had set up is not pinned: X0 = the FDT address, PSTATE (no PC in the dump) */
	assert_null(entry_named(a, "CORE.X0"));
	assert_int_equal(find_omitted_name(&sa, "CORE.X0")->value, 0x87e00000);
	assert_int_equal(find_omitted_name(&sb, "CORE.PSTATE")->value, 0x3c5);
	assert_non_null(find_omitted_name(&sb, "CORE.ELR_EL1"));
	assert_non_null(find_omitted_name(&sb, "CORE.V31"));
	assert_int_equal(find_omitted_name(&sb, "CORE.V31")->reg->width, 128);
	/* reset poison and per-vCPU identity are not environment either */
	assert_int_equal(find_omitted_name(&sa, "PMCCNTR_EL0")->value, 0x1de7ec7edbadc0de);
	assert_int_equal(find_omitted_name(&sa, "CSSELR_EL1")->value, 0x1de7ec7edbadc0de);
	assert_int_equal(find_omitted_name(&sa, "MPIDR_EL1")->value, 0x80000000);
	assert_non_null(find_omitted_name(&sa, "KVM_REG_ARM_TIMER_CVAL"));
	assert_non_null(find_omitted_name(&sa, "TTBR0_EL1"));
	assert_null(find_omitted_name(&sb, "PMCCNTR_EL0"));
	assert_null(entry_named(a, "MPIDR_EL1"));
	assert_null(entry_named(a, "SCTLR_EL1"));
	/* what is left is what a guest reads about its platform */
	for (size_t i = 0; i < a->n_entries; i++) {
		const struct regdb_reg *r = a->entries[i].reg;
		assert_non_null(r);
		assert_false(r->flags & REGDB_R_STATE);
	}

	assert_int_equal(entry_named(a, "MIDR_EL1")->value, 0x413fd0c1);
	assert_int_equal(entry_named(b, "MIDR_EL1")->value, 0x413fd0c1);
	assert_int_equal(field(entry_named(a, "MIDR_EL1"), "PartNum"), 0xd0c);
	/* debug architecture v8.2 (8) on 5.10, v8.0 (6) on 6.1; PMUv3 only on 5.10 without pmu-v3 */
	assert_int_equal(field(entry_named(a, "ID_AA64DFR0_EL1"), "DebugVer"), 8);
	assert_int_equal(field(entry_named(b, "ID_AA64DFR0_EL1"), "DebugVer"), 6);
	assert_int_equal(field(entry_named(a, "ID_AA64DFR0_EL1"), "PMUVer"), 4);
	assert_int_equal(field(entry_named(b, "ID_AA64DFR0_EL1"), "PMUVer"), 0);
	assert_int_equal(entry_named(a, "ID_AA64DFR0_EL1")->value, 0x110305408);
	assert_int_equal(entry_named(b, "ID_AA64DFR0_EL1")->value, 0x10305006);
	assert_int_equal(entry_named(a, "ID_DFR0_EL1")->value, 0x4010088);
	assert_int_equal(entry_named(b, "ID_DFR0_EL1")->value, 0x10088);
	/* PSCI 1.0 vs 1.1 */
	assert_int_equal(entry_named(a, "PSCI_VERSION")->value, 0x10000);
	assert_int_equal(entry_named(b, "PSCI_VERSION")->value, 0x10001);
	assert_int_equal(field(entry_named(b, "PSCI_VERSION"), "Minor"), 1);
	/* the hypercall bitmaps appear with 6.1 */
	assert_null(entry_named(a, "STD_BMAP"));
	assert_int_equal(entry_named(b, "STD_BMAP")->value, 1);
	assert_int_equal(entry_named(b, "VENDOR_HYP_BMAP")->value, 3);
	/* CCSIDR through its CSSELR index; the same geometry on both */
	assert_int_equal(entry_named(a, "CCSIDR_EL1.L1D")->value, 0x701fe01a);
	assert_int_equal(entry_named(b, "CCSIDR_EL1.L2D")->value, 0x70ffe03a);
	assert_int_equal(field(entry_named(b, "CCSIDR_EL1.L2D"), "NumSets"), 0x7ff);
	assert_int_equal(entry_named(a, "CLIDR_EL1")->value, entry_named(b, "CLIDR_EL1")->value);
	assert_int_equal(entry_named(b, "SMCCC_ARCH_WORKAROUND_1")->value, 2);
	/* every bit of an imported register is stated */
	assert_int_equal(entry_named(a, "ID_AA64PFR0_EL1")->mask, UINT64_MAX);
	assert_int_equal(entry_named(a, "CCSIDR_EL1.L1D")->mask, 0xffffffff);

	/* stderr: one line with the count and the first names; --verbose: every one with its path */
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	fc_report_omitted(mem, "fp.json", &sb, 0);
	fclose(mem);
	assert_non_null(strstr(text, "fp.json: 171 vCPU state registers left out of the profile (run-time state, "
				     "not environment; see docs/firecracker.md): CORE.FPSR, CORE.FPCR, CORE.X0"));
	assert_non_null(strstr(text, " and 163 more (--verbose lists them)\n"));
	assert_ptr_equal(strchr(text, '\n'), text + len - 1); /* one line */
	free(text);
	mem = open_memstream(&text, &len);
	fc_report_omitted(mem, "fp.json", &sb, 1);
	fclose(mem);
	size_t lines = 0;
	for (char *c = text; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 1 + 171);
	assert_non_null(strstr(text, ": CORE.X0 (0x6030000000100000) = 0x87e00000: left out, vCPU state\n"));
	assert_non_null(strstr(text, "fp.json: $.guest_cpu_config.reg_modifiers["));
	free(text);
	fc_import_stats_free(&sa);
	fc_import_stats_free(&sb);
	profile_free(a);
	profile_free(b);
}

static void test_x86_named_values(void **state)
{
	NEED_DATA();
	struct profile *a = import_ok("fingerprint_INTEL_ICELAKE_5.10host.json");
	struct profile *b = import_ok("fingerprint_INTEL_ICELAKE_6.1host.json");

	assert_string_equal(b->name, "linux-6.1-x86_64-icelake");
	assert_string_equal(prov(b, "microcode"), "0xd000421");
	/* 208 CPUID registers, 2 of them x2APIC ids only (0xB EDX: per vCPU, left
	 * out); 32 MSRs, 26 of them run-time state */
	assert_int_equal(b->n_entries, 206 + 6);
	/* 6.1 exposes DTES64 and leaf 7 subleaf 2 */
	assert_int_equal(field(entry_named(a, "CPUID.0x1.0x0.ECX"), "DTES64"), 0);
	assert_int_equal(field(entry_named(b, "CPUID.0x1.0x0.ECX"), "DTES64"), 1);
	assert_int_equal(entry_named(a, "CPUID.0x7.0x0.EAX")->value, 1);
	assert_int_equal(entry_named(b, "CPUID.0x7.0x0.EAX")->value, 2);
	assert_null(find_target(a, KVMPROF_KIND_CPUID, UINT64_C(7) << 32 | 2, KVMPROF_CPUID_EDX));
	assert_int_equal(find_target(b, KVMPROF_KIND_CPUID, UINT64_C(7) << 32 | 2, KVMPROF_CPUID_EDX)->value, 1);
	/* the leaf's flags become significant-index (aux bit 0) */
	assert_int_equal(entry_named(b, "CPUID.0x7.0x0.EBX")->aux, 1);
	assert_int_equal(entry_named(b, "CPUID.0x1.0x0.ECX")->aux, 0);
	/* "GenuineIntel" */
	assert_int_equal(entry_named(b, "CPUID.0x0.0x0.EBX")->value, 0x756e6547);
	/* MSRs by name */
	assert_non_null(entry_named(b, "IA32_ARCH_CAPABILITIES"));
	assert_non_null(entry_named(b, "IA32_MISC_ENABLE"));
	assert_null(entry_named(b, "MSR_KVM_STEAL_TIME")); /* paravirtual run-time state: left out */
	profile_free(a);
	profile_free(b);

	/*
	 * Sapphire Rapids: 5.10 hosts report the AMX leaves 0x1d/0x1e with flags 0,
	 * 6.1 hosts with KVM_CPUID_FLAG_SIGNIFCANT_INDEX: carried (import_ok
	 * also asserts that no warning was given), and kept through YAML.
	 */
	struct profile *s5 = import_ok("fingerprint_INTEL_SAPPHIRE_RAPIDS_5.10host.json");
	struct profile *s6 = import_ok("fingerprint_INTEL_SAPPHIRE_RAPIDS_6.1host.json");
	static const char *const amx[] = { "CPUID.0x1d.0x0.EAX", "CPUID.0x1d.0x0.EBX", "CPUID.0x1e.0x0.EBX" };
	for (size_t i = 0; i < sizeof(amx) / sizeof(amx[0]); i++) {
		assert_int_equal(entry_named(s5, amx[i])->aux, 0);
		assert_int_equal(entry_named(s6, amx[i])->aux, 1);
	}
	assert_null(entry_named(s5, "CPUID.0x1d.0x1.EAX"));
	assert_int_equal(entry_named(s6, "CPUID.0x1d.0x1.EAX")->aux, 1);
	const char *search[] = { tmp_dir, NULL };
	struct profile *y5 = compile_and_lint(write_yaml(s5, tmp_dir), search);
	struct profile *y6 = compile_and_lint(write_yaml(s6, tmp_dir), search);
	assert_int_equal(entry_named(y5, "CPUID.0x1d.0x0.EAX")->aux, 0);
	assert_int_equal(entry_named(y6, "CPUID.0x1d.0x0.EAX")->aux, 1);
	assert_int_equal(entry_named(y6, "CPUID.0x1e.0x0.EAX")->aux, 1);
	profile_free(y5);
	profile_free(y6);
	profile_free(s5);
	profile_free(s6);
}

/* Template x digits become don't-care masks; capabilities a requires:; features by name. */
static void test_templates(void **state)
{
	NEED_DATA();
	struct profile *t = import_ok("tmpl_T2.json");
	const struct pentry *e = entry_named(t, "CPUID.0x1.0x0.EAX");
	/* "0bxxxx000000000011xx00011011110010" */
	assert_non_null(e);
	assert_int_equal(e->mask, 0x0fff3fff);
	assert_int_equal(e->value, 0x000306f2);
	assert_int_equal(field(e, "Family"), 6);
	assert_int_equal(field(e, "Model"), 0xf);
	assert_string_equal(t->name, "firecracker-x86_64-t2");
	profile_free(t);

	struct profile *sve = import_ok("tmpl_AARCH64_WITH_SVE_AND_PAC.json");
	assert_string_equal(sve->requires_text,
			    "cap(KVM_CAP_ARM_SVE) && cap(KVM_CAP_ARM_PTRAUTH_ADDRESS) && cap(KVM_CAP_ARM_PTRAUTH_GENERIC)");
	assert_int_equal(sve->n_entries, 3);
	assert_int_equal(entry_named(sve, "sve")->value, 1);
	assert_int_equal(entry_named(sve, "ptrauth-generic")->value, 1);
	assert_null(entry_named(sve, "pmu-v3"));
	profile_free(sve);

	struct profile *v = import_ok("tmpl_V1N1.json");
	e = entry_named(v, "ID_AA64PFR0_EL1");
	assert_non_null(e);
	assert_int_equal(field(e, "SVE"), 0);
	assert_int_equal(e->mask, UINT64_C(0x000f000f00000000));
	profile_free(v);
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[1024];
	snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Ids the database does not know are kept raw and reported, and still load and compile. */
static void test_unknown_ids_kept_raw(void **state)
{
	const char *search[] = { tmp_dir, NULL };
	struct fc_import_opts o = { .name = "firecracker-arm64-unknown" };
	struct fc_import_stats st;
	struct diag d;
	char *log;
	FILE *mem;
	const char *path = write_tmp("unknown.json",
		"{\"reg_modifiers\": [\n"
		"  {\"addr\": \"0x603000000013fff7\", \"bitmap\": \"0b1010\"},\n"
		"  {\"addr\": \"0x603000000013c000\", \"bitmap\": \"0b0100000100111111110100001100xxxx\"}\n"
		"]}\n");
	struct profile *p = import_log(path, &o, &st, &d, &log, &mem);
	assert_int_equal(d.n_errors, 0);
	assert_int_equal(d.n_warnings, 1);
	finish_log(&d, mem, &log);
	assert_non_null(strstr(log, "unknown.json:2:12: warning: $.reg_modifiers[0].addr: 0x603000000013fff7 is not "
				    "in the register database; kept by its raw id"));
	free(log);
	assert_int_equal(st.n_unknown, 1);
	assert_int_equal(p->n_entries, 2);
	assert_string_equal(p->entries[0].name, "0x603000000013fff7");
	assert_int_equal(p->entries[0].value, 0xa);
	assert_int_equal(p->entries[0].mask, 0xf);
	assert_string_equal(p->entries[1].name, "MIDR_EL1");
	assert_int_equal(p->entries[1].mask, 0xfffffff0);
	struct profile *q = compile_and_lint(write_yaml(p, tmp_dir), search);
	assert_string_equal(q->entries[0].name, "0x603000000013fff7");
	assert_int_equal(q->entries[0].mask, 0xf);
	profile_free(q);
	profile_free(p);

	struct fc_import_opts ox = { .name = "firecracker-x86_64-unknown" };
	path = write_tmp("unknown-msr.json", "{\"msr_modifiers\": [{\"addr\": \"0x12345678\", \"bitmap\": \"0b1\"}],"
					     " \"cpuid_modifiers\": []}");
	p = import_log(path, &ox, &st, &d, &log, &mem);
	assert_int_equal(d.n_errors, 0);
	finish_log(&d, mem, &log);
	free(log);
	assert_int_equal(st.n_unknown, 1);
	assert_string_equal(p->entries[0].name, "MSR.0x12345678");
	q = compile_and_lint(write_yaml(p, tmp_dir), search);
	assert_int_equal(q->entries[0].id, 0x12345678);
	profile_free(q);
	profile_free(p);
}

/*
 * The flags of every cpuid_modifiers element of `exported` equal those of
 * the same (leaf, subleaf) in `original`; returns how many were compared.
 */
static size_t same_cpuid_flags(const char *original, const char *exported)
{
	struct diag d;
	diag_init(&d, stderr);
	struct json_value *o = json_load_file(original, &d), *x = json_load_file(exported, &d);
	assert_non_null(o);
	assert_non_null(x);
	const struct json_value *oc = json_member(o, "guest_cpu_config") ? json_member(o, "guest_cpu_config") : o;
	const struct json_value *oa = json_member(oc, "cpuid_modifiers"), *xa = json_member(x, "cpuid_modifiers");
	size_t n = 0;

	for (size_t i = 0; xa && i < xa->n; i++) {
		uint64_t leaf, sub, flags, ol, os, of;
		int found = 0;
		assert_int_equal(json_u64(json_member(&xa->items[i], "leaf"), &leaf), 0);
		assert_int_equal(json_u64(json_member(&xa->items[i], "subleaf"), &sub), 0);
		assert_int_equal(json_u64(json_member(&xa->items[i], "flags"), &flags), 0);
		for (size_t k = 0; oa && k < oa->n && !found; k++) {
			assert_int_equal(json_u64(json_member(&oa->items[k], "leaf"), &ol), 0);
			assert_int_equal(json_u64(json_member(&oa->items[k], "subleaf"), &os), 0);
			assert_int_equal(json_u64(json_member(&oa->items[k], "flags"), &of), 0);
			if (ol == leaf && os == sub) {
				if (of != flags)
					fail_msg("%s: leaf 0x%" PRIx64 " subleaf 0x%" PRIx64 ": flags %" PRIu64
						 " exported as %" PRIu64, original, leaf, sub, of, flags);
				found = 1;
			}
		}
		assert_true(found);
		n++;
	}
	json_free(o);
	json_free(x);
	diag_fini(&d);
	return n;
}

/* export -> import gives the same entries: the same hash once both are YAML. */
static void test_export_round_trip(void **state)
{
	static char files[64][640];
	const char *search[] = { tmp_dir, NULL };

	NEED_DATA();
	size_t n = list_files(files, 64);
	for (size_t i = 0; i < n; i++) {
		struct profile *p0 = import_ok(files[i] + strlen(fc_dir) + 1);
		char path_p[1024], hash_p[32], hash_q[32], json[1024];
		snprintf(path_p, sizeof(path_p), "%s", write_yaml(p0, tmp_dir));
		struct profile *p = compile_and_lint(path_p, search);
		profile_hash(p, hash_p);

		snprintf(json, sizeof(json), "%s/%s.json", tmp_dir, p->name);
		FILE *f = fopen(json, "w");
		struct diag d;
		size_t n_lost = 99;
		diag_init(&d, stderr);
		assert_int_equal(fc_export(p, f, stderr, &n_lost, &d), 0);
		fclose(f);
		assert_int_equal(n_lost, 0); /* an import holds nothing a template cannot carry */

		struct fc_import_opts o = { .name = p->name };
		struct fc_import_stats st;
		struct profile *q0 = fc_import(json, &o, &st, &d);
		assert_non_null(q0);
		assert_int_equal(d.n_errors, 0);
		diag_fini(&d);
		assert_int_equal(q0->n_entries, p->n_entries);
		/* same entries in the same order, significant-index included */
		for (size_t k = 0; k < p->n_entries; k++) {
			assert_string_equal(q0->entries[k].name, p->entries[k].name);
			assert_int_equal(q0->entries[k].value, p->entries[k].value);
			assert_int_equal(q0->entries[k].mask, p->entries[k].mask);
			assert_int_equal(q0->entries[k].aux, p->entries[k].aux);
		}
		/* the exported flags are the original file's, leaf by leaf */
		assert_int_equal(same_cpuid_flags(files[i], json), st.n_cpuid_leaves);
		fc_import_stats_free(&st);
		struct profile *q = compile_and_lint(write_yaml(q0, tmp_dir), search);
		profile_hash(q, hash_q);
		assert_string_equal(hash_p, hash_q);
		profile_free(q);
		profile_free(q0);
		profile_free(p);
		profile_free(p0);
	}
}

/* A profile exported to memory: its JSON, and what the template cannot carry (n_lost lines of lost). */
struct exported {
	char *json, *lost;
	size_t json_len, n_lost;
};

/* Writes `text` as tmp_dir/FILE, loads it (no errors) and exports it (success). */
static struct exported export_text(const char *file, const char *text)
{
	const char *search[] = { tmp_dir, NULL };
	struct exported x = { .n_lost = 99 }; /* fc_export must set it */
	size_t lost_len = 0;
	struct diag d;
	diag_init(&d, stderr);
	struct profile *p = profile_load_resolved(write_tmp(file, text), search, &d);
	assert_non_null(p);
	assert_int_equal(d.n_errors, 0);
	FILE *o = open_memstream(&x.json, &x.json_len), *l = open_memstream(&x.lost, &lost_len);
	assert_int_equal(fc_export(p, o, l, &x.n_lost, &d), 0);
	fclose(o);
	fclose(l);
	profile_free(p);
	diag_fini(&d);
	return x;
}

/*
 * The number of elements of the exported array `member`, read by our strict
 * JSON reader (and so one Firecracker's serde accepts); frees x.
 */
static size_t exported_members_free(struct exported *x, const char *member)
{
	struct diag d;
	diag_init(&d, stderr);
	struct json_value *v = json_parse("export", x->json, x->json_len, &d);
	assert_non_null(v);
	const struct json_value *m = json_member(v, member);
	assert_non_null(m);
	size_t n = m->n;
	json_free(v);
	diag_fini(&d);
	free(x->json);
	free(x->lost);
	return n;
}

/* What a template cannot carry is listed, not dropped silently. */
static void test_export_lists_what_it_cannot_carry(void **state)
{
	struct exported x = export_text("linux-6.1-arm64-lossy.yaml",
		"kvmprof: 1\nname: linux-6.1-arm64-lossy\narch: arm64\n"
		"requires: kernel >= 6.1\n"
		"vm:\n  capabilities:\n    KVM_CAP_ARM_WRITABLE_IMP_ID_REGS: 1\n"
		"vcpu:\n  features:\n    psci-0.2: on\n    pmu-v3: off\n"
		"  registers:\n    MIDR_EL1: 0x413fd0c1\n"
		"    ID_AA64DFR0_EL1: {DebugVer: 6, policy: at-most}\n"
		"    CLIDR_EL1: {value: 0x2000023, requires: kernel >= 6.3}\n"
		"devices:\n  vgic-v3:\n    GICD_IIDR: {Revision: 2}\n");
	assert_int_equal(x.n_lost, 5);
	assert_non_null(strstr(x.lost, "GICD_IIDR: a device register"));
	assert_non_null(strstr(x.lost, "KVM_CAP_ARM_WRITABLE_IMP_ID_REGS: KVM_ENABLE_CAP"));
	assert_non_null(strstr(x.lost, "CLIDR_EL1: its condition 'requires: kernel >= 6.3'"));
	assert_non_null(strstr(x.lost, "ID_AA64DFR0_EL1: policy at-most"));
	assert_non_null(strstr(x.lost, "requires: the profile's condition 'kernel >= 6.1'"));
	/* and what it can carry is there */
	assert_non_null(strstr(x.json, "{\"index\": 0, \"bitmap\": \"0b01xx\"}"));
	assert_non_null(strstr(x.json, "\"addr\": \"0x603000000013c000\", \"bitmap\": \"0b"
				       "0000000000000000000000000000000001000001001111111101000011000001\""));
	assert_null(strstr(x.json, "0x603000000013c001\"")); /* CLIDR_EL1 left out */
	assert_int_equal(exported_members_free(&x, "reg_modifiers"), 2);
}

/* significant-index becomes the element's flags; a subleaf without it is worth a warning, nothing is lost. */
static void test_export_cpuid_flags(void **state)
{
	struct exported x = export_text("linux-6.1-x86_64-flags.yaml",
		"kvmprof: 1\nname: linux-6.1-x86_64-flags\narch: x86_64\n"
		"vcpu:\n  registers:\n"
		"    CPUID.0x7.0x0.EAX: 2\n"
		"    CPUID.0x7.0x0.EBX: {value: 0x1, significant-index: true}\n"
		"    CPUID.0xd.0x1.EAX: 0xf\n"
		"    CPUID.0x1.0x0.ECX: 0x80000000\n");
	assert_int_equal(x.n_lost, 0);
	/* one register of the leaf says significant-index: the element does */
	assert_non_null(strstr(x.json, "{\"leaf\": \"0x7\", \"subleaf\": \"0x0\", \"flags\": 1,"));
	assert_non_null(strstr(x.json, "{\"leaf\": \"0xd\", \"subleaf\": \"0x1\", \"flags\": 0,"));
	assert_non_null(strstr(x.json, "{\"leaf\": \"0x1\", \"subleaf\": \"0x0\", \"flags\": 0,"));
	assert_non_null(strstr(x.lost, "linux-6.1-x86_64-flags: warning: CPUID.0xd.0x1.EAX states subleaf 0x1 of "
					"leaf 0xd without significant-index"));
	assert_null(strstr(x.lost, "leaf 0x7")); /* subleaf 0 needs no flag */
	assert_int_equal(exported_members_free(&x, "cpuid_modifiers"), 3);
}

/* One import error: its text (file:line:col: error: $.path: ...), quiet source. */
static char *import_error(const char *name, const char *text, int *n_errors)
{
	const char *path = text ? write_tmp(name, text) : name;
	struct fc_import_opts o = { .name = "firecracker-arm64-bad" };
	struct fc_import_stats st;
	struct diag d;
	char *log;
	FILE *mem;
	struct profile *p = import_log(path, &o, &st, &d, &log, &mem);
	*n_errors = d.n_errors;
	finish_log(&d, mem, &log);
	profile_free(p);
	return log;
}

#define EXPECT_ERROR(name, text, needle)                                                     \
	do {                                                                                 \
		int n_err_;                                                                  \
		char *log_ = import_error(name, text, &n_err_);                              \
		if (n_err_ < 1 || !strstr(log_, needle))                                     \
			fail_msg("%s: expected an error containing\n  %s\ngot (%d errors):\n%s", \
				 name, needle, n_err_, log_);                                \
		free(log_);                                                                  \
	} while (0)

static void test_malformed_input(void **state)
{
	char missing[1024];
	snprintf(missing, sizeof(missing), "%s/no-such-file.json", tmp_dir);
	EXPECT_ERROR(missing, NULL, "no-such-file.json: error: cannot open: No such file or directory");

	EXPECT_ERROR("wrong-type.json", "{\"reg_modifiers\": [\n  {\"addr\": \"0x603000000013c000\", \"bitmap\": 7}\n]}",
		     "wrong-type.json:2:44: error: $.reg_modifiers[0].bitmap: expected a string of 0/1/x digits");
	EXPECT_ERROR("bad-digit.json", "{\"reg_modifiers\": [\n  {\"addr\": \"0x603000000013c000\", \"bitmap\": \"0b0120\"}\n]}",
		     "bad-digit.json:2:49: error: $.reg_modifiers[0].bitmap: expected a string of 0/1/x digits: '2' at digit 3");
	EXPECT_ERROR("no-0b.json", "{\"msr_modifiers\": [{\"addr\": \"0x10a\", \"bitmap\": \"1010\"}]}",
		     "$.msr_modifiers[0].bitmap: expected a string of 0/1/x digits starting with \"0b\"");
	EXPECT_ERROR("not-array.json", "{\"cpuid_modifiers\": {\"leaf\": \"0x1\"}}",
		     "not-array.json:1:21: error: $.cpuid_modifiers: expected an array, found an object");
	EXPECT_ERROR("missing-member.json", "{\"msr_modifiers\": [{\"bitmap\": \"0b1\"}]}",
		     "$.msr_modifiers[0]: missing member \"addr\"");
	EXPECT_ERROR("bad-register.json",
		     "{\"cpuid_modifiers\": [{\"leaf\": \"0x1\", \"subleaf\": \"0x0\", \"flags\": 0,\n"
		     "  \"modifiers\": [{\"register\": \"rax\", \"bitmap\": \"0b1\"}]}]}",
		     "bad-register.json:2:30: error: $.cpuid_modifiers[0].modifiers[0].register: expected eax, ebx, ecx or edx");
	EXPECT_ERROR("unknown-member.json", "{\"reg_modifiers\": [], \"cpuid_modifers\": []}",
		     "$.cpuid_modifers: unknown member");
	EXPECT_ERROR("above-64.json",
		     "{\"reg_modifiers\": [{\"addr\": \"0x603000000013c000\", \"bitmap\": \"0b1"
		     "0000000000000000000000000000000000000000000000000000000000000000\"}]}",
		     "$.reg_modifiers[0].bitmap: bit 64 is set, but kvmprof values are 64-bit");
	EXPECT_ERROR("beyond-width.json",
		     "{\"reg_modifiers\": [{\"addr\": \"0x6020000000110000\", \"bitmap\": \"0b1"
		     "00000000000000000000000000000000\"}]}",
		     "$.reg_modifiers[0].bitmap: bit 32 is set, but it lies beyond the register's width");
	EXPECT_ERROR("bad-addr.json", "{\"reg_modifiers\": [{\"addr\": \"0x1234\", \"bitmap\": \"0b1\"}]}",
		     "$.reg_modifiers[0].addr: not an arm64 KVM register id");
	EXPECT_ERROR("twice.json", "{\"msr_modifiers\": [{\"addr\": \"0x10a\", \"bitmap\": \"0b1\"},\n"
				   "{\"addr\": \"0x10a\", \"bitmap\": \"0b0\"}]}",
		     "twice.json:2:1: error: $.msr_modifiers[1]: IA32_ARCH_CAPABILITIES is stated twice");
	/* the JSON reader's own errors */
	EXPECT_ERROR("trailing-comma.json", "{\"reg_modifiers\": [1, 2,]}",
		     "trailing-comma.json:1:25: error: $.reg_modifiers: a trailing comma before ']'");
	EXPECT_ERROR("dup-key.json", "{\"reg_modifiers\": [],\n \"reg_modifiers\": []}",
		     "dup-key.json:2:2: error: $.reg_modifiers: this member is stated twice");
	EXPECT_ERROR("garbage.json", "{} x", "garbage.json:1:4: error: $: something follows the document's value");
	EXPECT_ERROR("leading-zero.json", "{\"a\": 012}", "$.a: a number with a leading zero");
	EXPECT_ERROR("ctrl.json", "{\"a\": \"x\ty\"}", "ctrl.json:1:9: error: $.a: a control character inside a string");
	EXPECT_ERROR("escape.json", "{\"a b\": \"\\q\"}", "$[\"a b\"]: unknown escape");
	EXPECT_ERROR("empty.json", "", "empty.json:1:1: error: $: unexpected end of input (expected a value)");
}

/* A real fingerprint cut short: the error names where the file ends and what was open. */
static void test_truncated_fingerprint(void **state)
{
	NEED_DATA();
	char path[1024];
	snprintf(path, sizeof(path), "%s/fingerprint_ARM_NEOVERSE_N1_6.1host.json", fc_dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char buf[2001];
	size_t got = fread(buf, 1, 2000, f);
	fclose(f);
	assert_int_equal(got, 2000);
	buf[2000] = '\0';
	/* 2000 bytes end inside a member name of the 9th element (line 45) */
	EXPECT_ERROR("truncated.json", buf,
		     "truncated.json:45:9: error: $.guest_cpu_config.reg_modifiers[8]: unterminated string (the file ends inside it)");
	buf[1500] = '\0';
	int n_err;
	char *log = import_error("truncated2.json", buf, &n_err);
	assert_int_equal(n_err, 1);
	assert_non_null(strstr(log, "truncated2.json:"));
	assert_non_null(strstr(log, "$.guest_cpu_config.reg_modifiers["));
	free(log);
	buf[10] = '\0'; /* "{\n  \"firec" */
	EXPECT_ERROR("truncated3.json", buf, "truncated3.json:2:3: error: $: unterminated string");
}

/* The shipped fleet profiles equal a fresh import (scripts/gen-fleet-profiles.sh is up to date). */
static void test_shipped_fleet_profiles(void **state)
{
	static const char *const fleet[][2] = {
		{ "ARM_NEOVERSE_N1", "arm64-graviton2" }, { "ARM_NEOVERSE_V1", "arm64-graviton3" },
		{ "ARM_NEOVERSE_V2", "arm64-graviton4" }, { "AMD_MILAN", "x86_64-milan" },
		{ "AMD_GENOA", "x86_64-genoa" }, { "INTEL_CASCADELAKE", "x86_64-cascadelake" },
		{ "INTEL_ICELAKE", "x86_64-icelake" }, { "INTEL_SAPPHIRE_RAPIDS", "x86_64-sapphire-rapids" },
		{ "INTEL_GRANITE_RAPIDS", "x86_64-granite-rapids" },
	};
	static const char *const kernels[] = { "5.10", "6.1" };
	const char *search[] = { "profiles", NULL };

	NEED_DATA();
	for (size_t i = 0; i < sizeof(fleet) / sizeof(fleet[0]); i++) {
		char path[1024], file[256];
		snprintf(path, sizeof(path), "profiles/linux-common-%s.yaml", fleet[i][1]);
		profile_free(compile_and_lint(path, search));
		for (int k = 0; k < 2; k++) {
			snprintf(path, sizeof(path), "profiles/linux-%s-%s.yaml", kernels[k], fleet[i][1]);
			struct profile *shipped = compile_and_lint(path, search);
			assert_non_null(shipped->base);
			snprintf(file, sizeof(file), "fingerprint_%s_%shost.json", fleet[i][0], kernels[k]);
			struct profile *fresh = import_ok(file);
			assert_string_equal(fresh->name, shipped->name);
			assert_int_equal(shipped->n_entries, fresh->n_entries);
			for (size_t e = 0; e < fresh->n_entries; e++) {
				const struct pentry *a = &fresh->entries[e];
				const struct pentry *b = find_target(shipped, a->kind, a->id, a->cpuid_reg);
				if (!b)
					fail_msg("%s lacks %s", path, a->name);
				assert_int_equal(b->value, a->value);
				assert_int_equal(b->mask, a->mask);
				assert_int_equal(b->aux, a->aux);
			}
			/* the state registers are left out of the shipped profiles too, and counted */
			if (fleet[i][1][0] == 'a') {
				const char *so = prov(shipped, "state-registers-omitted");
				assert_non_null(so);
				assert_string_equal(so, prov(fresh, "state-registers-omitted"));
				for (size_t e = 0; e < shipped->n_entries; e++)
					assert_false(shipped->entries[e].reg && (shipped->entries[e].reg->flags & REGDB_R_STATE));
			}
			/* provenance names the source file */
			const char *src = NULL;
			for (size_t q = 0; q < shipped->n_provenance; q++)
				if (!strcmp(shipped->provenance[q].key, "source"))
					src = shipped->provenance[q].value;
			assert_non_null(src);
			assert_string_equal(src, file);
			profile_free(fresh);
			profile_free(shipped);
		}
	}
}

/* The common base holds what both kernels state alike; each kernel states only what differs. */
static void test_common_base(void **state)
{
	NEED_DATA();
	struct profile *ps[2] = { import_ok("fingerprint_ARM_NEOVERSE_N1_5.10host.json"),
				  import_ok("fingerprint_ARM_NEOVERSE_N1_6.1host.json") };
	size_t n0 = ps[0]->n_entries, n1 = ps[1]->n_entries;
	struct profile *c = fc_common_base(ps, 2, "linux-common-arm64-graviton2", "test");
	assert_string_equal(ps[0]->base, "linux-common-arm64-graviton2");
	assert_int_equal(c->n_entries + ps[0]->n_entries, n0);
	assert_int_equal(c->n_entries + ps[1]->n_entries, n1);
	assert_non_null(entry_named(c, "MIDR_EL1"));
	assert_non_null(entry_named(c, "CLIDR_EL1"));
	assert_null(entry_named(c, "PSCI_VERSION"));
	assert_non_null(entry_named(ps[0], "PSCI_VERSION"));
	assert_non_null(entry_named(ps[1], "ID_AA64DFR0_EL1"));
	assert_null(entry_named(ps[1], "MIDR_EL1"));
	/* 5.10's PMU registers and 6.1's bitmaps are the kernels' own */
	assert_non_null(entry_named(ps[1], "STD_BMAP"));
	profile_free(c);
	profile_free(ps[0]);
	profile_free(ps[1]);
}

static void test_derived_names(void **state)
{
	char out[128];
	assert_int_equal(fc_derive_name("x/fingerprint_ARM_NEOVERSE_V2_6.1host.json", "6.1.172-216.aarch64",
					KVMPROF_ARCH_ARM64, out, sizeof(out)), 0);
	assert_string_equal(out, "linux-6.1-arm64-graviton4");
	assert_int_equal(fc_derive_name("fingerprint_INTEL_SAPPHIRE_RAPIDS_5.10host.json", "5.10.255-1.x86_64",
					KVMPROF_ARCH_X86_64, out, sizeof(out)), 0);
	assert_string_equal(out, "linux-5.10-x86_64-sapphire-rapids");
	assert_int_equal(fc_derive_name("tmpl_GNR_TO_T2_6.1.json", NULL, KVMPROF_ARCH_X86_64, out, sizeof(out)), 0);
	assert_string_equal(out, "firecracker-x86_64-gnr-to-t2-6.1");
	assert_int_equal(fc_derive_name("fingerprint_ARM_NEOVERSE_N1_5.10host.json", "garbage", KVMPROF_ARCH_ARM64,
					out, sizeof(out)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_file_imports),
		cmocka_unit_test(test_graviton2_named_values),
		cmocka_unit_test(test_x86_named_values),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_unknown_ids_kept_raw),
		cmocka_unit_test(test_export_round_trip),
		cmocka_unit_test(test_export_lists_what_it_cannot_carry),
		cmocka_unit_test(test_export_cpuid_flags),
		cmocka_unit_test(test_malformed_input),
		cmocka_unit_test(test_truncated_fingerprint),
		cmocka_unit_test(test_common_base),
		cmocka_unit_test(test_shipped_fleet_profiles),
		cmocka_unit_test(test_derived_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
