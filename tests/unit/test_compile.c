/* SPDX-License-Identifier: MIT */
/*
 * test_compile.c - the compile path end to end, in process:
 *  - the error corpus: every tests/corpus/errors/NAME.yaml is loaded, resolved
 *    and checked; its diagnostics (file:line:col, message, caret) must equal
 *    NAME.err byte for byte (KVMPROF_UPDATE_GOLDEN=1 rewrites them);
 *  - inheritance, overrides, removal and field merges;
 *  - YAML written by profile_write_yaml loads back to the same profile hash.
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

#include "golden.h"
#include "profile_entry.h"

#include "profile.h"
#include "tables.h"

static const char *const corpus_search[] = { "tests/corpus/ok", NULL };


/* Diagnostics of load + resolve + check for one file (and lint for
 * lint-*.yaml), as text; *n_reports counts errors and warnings. */
static char *diagnose(const char *path, int *n_reports)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	struct diag d;
	struct profile *p;

	diag_init(&d, mem);
	p = profile_load_resolved(path, corpus_search, &d);
	if (p)
		profile_check(p, &d);
	if (p && strstr(path, "/lint-")) {
		struct profile *base = NULL;
		if (p->base) {
			char base_path[512];
			snprintf(base_path, sizeof(base_path), "tests/corpus/errors/%s.yaml", p->base);
			base = profile_load_resolved(base_path, corpus_search, &d);
		}
		profile_lint(p, base, &d);
		profile_free(base);
	}
	if (p && d.n_errors == 0) { /* lowered to the runtime's tables, as compile does */
		struct tables t;
		if (tables_build(p, &t, &d) == 0)
			tables_free(&t);
	}
	*n_reports = d.n_errors + d.n_warnings;
	profile_free(p);
	diag_fini(&d);
	fclose(mem);
	return text;
}

static int is_yaml(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 5 && !strcmp(e->d_name + n - 5, ".yaml");
}

static void test_error_corpus(void **state)
{
	struct dirent **names;
	int n = scandir("tests/corpus/errors", &names, is_yaml, alphasort);
	int checked = 0;
	size_t all_len = 0;
	char *all = NULL;
	FILE *all_f = open_memstream(&all, &all_len);

	(void)state;
	assert_true(n > 10);
	for (int i = 0; i < n; i++) {
		char path[512], err_path[512];
		int n_errors;
		char *got;

		snprintf(path, sizeof(path), "tests/corpus/errors/%s", names[i]->d_name);
		snprintf(err_path, sizeof(err_path), "tests/corpus/errors/%.*s.err",
			 (int)strlen(names[i]->d_name) - 5, names[i]->d_name);
		free(names[i]);
		if (strstr(path, "base-ok-"))
			continue; /* a valid base used by other cases */
		got = diagnose(path, &n_errors);
		golden_check(err_path, got, strlen(got));
		fputs(got, all_f);
		/* every corpus file must be reported, and every error must carry file:line:col */
		if (n_errors == 0)
			fail_msg("%s compiled without errors or warnings", path);
		for (char *line = got; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			if (strstr(line, ": error: ") && strstr(line, ": error: ") < strchr(line, '\n'))
				assert_true(strncmp(line, "tests/corpus/errors/", 20) == 0);
		checked++;
		free(got);
	}
	free(names);
	assert_true(checked > 10);
	fclose(all_f);
	/* Each check that compile or lint reports on a profile has a case, by name. */
	for (size_t i = 0; i < check_table_size; i++) {
		char verbs[128], tag[64];
		snprintf(verbs, sizeof(verbs), " %s ", check_table[i].verbs);
		if (!strstr(verbs, " compile ") && !strstr(verbs, " lint "))
			continue;
		snprintf(tag, sizeof(tag), "[%s]\n", check_table[i].name);
		if (!strstr(all, tag))
			fail_msg("no case in tests/corpus/errors/ reports the check %s", check_table[i].name);
	}
	free(all);
}

static struct profile *load_ok(const char *path)
{
	struct diag d;
	struct profile *p;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	diag_init(&d, mem);
	p = profile_load_resolved(path, corpus_search, &d);
	if (p && d.n_errors == 0)
		profile_check(p, &d);
	fclose(mem);
	if (d.n_errors || !p)
		fail_msg("%s: unexpected errors:\n%s", path, text);
	diag_fini(&d);
	free(text);
	return p;
}

static void test_inheritance(void **state)
{
	struct profile *p = load_ok("tests/corpus/ok/child-arm64.yaml");
	const struct pentry *e;

	(void)state;
	/* whole value replaced */
	e = entry_named(p, "CLIDR_EL1");
	assert_non_null(e);
	assert_int_equal(e->value, 0x2000021);
	assert_string_equal(e->profile, "child-arm64");
	/* field merge: base's GIC kept, child's CSV2 added */
	e = entry_named(p, "ID_AA64PFR0_EL1");
	assert_non_null(e);
	assert_int_equal(e->n_fields, 2);
	assert_int_equal((e->value >> 24) & 0xf, 1);  /* GIC from the base */
	assert_int_equal((e->value >> 56) & 0xf, 1);  /* CSV2 from the child */
	/* removed by `~` */
	assert_null(entry_named(p, "REVIDR_EL1"));
	/* inherited untouched, origin is the base */
	e = entry_named(p, "PSCI_VERSION");
	assert_non_null(e);
	assert_string_equal(e->profile, "base-arm64");
	/* sorted by phase */
	for (size_t i = 1; i < p->n_entries; i++)
		assert_true(p->entries[i - 1].phase <= p->entries[i].phase);
	profile_free(p);
}

static void test_yaml_round_trip(void **state)
{
	const char *files[] = { "tests/corpus/ok/child-arm64.yaml", "tests/corpus/ok/x86-all.yaml" };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct profile *p = load_ok(files[i]), *q;
		char h1[32], h2[32], path[64];
		FILE *f;

		profile_hash(p, h1);
		snprintf(path, sizeof(path), "/tmp/kvmprof-rt-%d/", (int)getpid());
		mkdir(path, 0700);
		strncat(path, p->name, sizeof(path) - strlen(path) - 6);
		strcat(path, ".yaml");
		f = fopen(path, "w");
		assert_non_null(f);
		profile_write_yaml(p, f);
		fclose(f);
		q = load_ok(path);
		profile_hash(q, h2);
		assert_string_equal(h1, h2);
		assert_int_equal(p->n_entries, q->n_entries);
		unlink(path);
		*strrchr(path, '/') = '\0';
		rmdir(path);
		profile_free(p);
		profile_free(q);
	}
}

/*
 * `{value: V, policy: at-most}` without field names: the entry carries the
 * database's fields, so the runtime compares signed fields signed (FP = 0xf,
 * "absent", is below 0, "present"), not as 4-bit unsigned guesses.
 */
static void test_at_most_whole_value_has_signed_fields(void **state)
{
	char dir[64], path[128];
	struct profile *p;
	const struct pentry *e;
	const struct pfield *fp = NULL, *gic = NULL;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kvmprof-am-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/at-most-whole.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kvmprof: 1\nname: at-most-whole\narch: arm64\nvcpu:\n  registers:\n"
	      "    ID_AA64PFR0_EL1: {value: 0x00000000010f0000, policy: at-most}\n", f);
	fclose(f);
	p = load_ok(path);
	unlink(path);
	rmdir(dir);
	e = entry_named(p, "ID_AA64PFR0_EL1");
	assert_non_null(e);
	assert_int_equal(e->n_fields, 16);
	for (size_t i = 0; i < e->n_fields; i++) {
		assert_int_equal(e->fields[i].policy, KVMPROF_POLICY_AT_MOST);
		if (!strcmp(e->fields[i].name, "FP"))
			fp = &e->fields[i];
		if (!strcmp(e->fields[i].name, "GIC"))
			gic = &e->fields[i];
	}
	assert_non_null(fp);
	assert_int_equal(fp->shift, 16);
	assert_int_equal(fp->value, 0xf);
	assert_true(fp->flags & KVMPROF_FIELD_SIGNED);
	assert_non_null(gic);
	assert_int_equal(gic->value, 1);
	assert_false(gic->flags & KVMPROF_FIELD_SIGNED);
	assert_int_equal(e->value, 0x00000000010f0000ull);
	profile_free(p);
}

/* Per-vCPU fields (regdb `per-vcpu`): a whole value leaves them to the
 * VMM; only naming the field states it. */
static void test_per_vcpu_fields(void **state)
{
	char dir[64], path[128];
	struct profile *p;
	const struct pentry *e;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kvmprof-pv-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/per-vcpu.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kvmprof: 1\nname: per-vcpu\narch: x86_64\nvcpu:\n  registers:\n"
	      "    CPUID.0x1.0x0.EBX: {value: 0x05020800, BrandIndex: 0}\n"
	      "    CPUID.0x8000001e.0x0.EBX: {ThreadsPerComputeUnit: 1}\n"
	      "    CPUID.0x8000001e.0x0.ECX: {value: 0x102, NodeId: 2}\n", f);
	fclose(f);
	p = load_ok(path);
	unlink(path);
	rmdir(dir);
	e = entry_named(p, "CPUID.0x1.0x0.EBX");
	assert_non_null(e);
	assert_int_equal(e->mask, 0x00ffffffu); /* InitialAPICID (31:24) left to the VMM */
	assert_int_equal(e->value, 0x00020800u);
	e = entry_named(p, "CPUID.0x8000001e.0x0.EBX");
	assert_non_null(e);
	assert_int_equal(e->mask, 0xff00u);
	e = entry_named(p, "CPUID.0x8000001e.0x0.ECX");
	assert_non_null(e);
	assert_int_equal(e->mask, 0xffffffffu); /* NodeId named: stated for every vCPU */
	assert_int_equal(e->value, 0x102u);
	assert_int_equal(regdb_per_vcpu_bits(regdb_reg_by_name("MPIDR_EL1", KVMPROF_ARCH_ARM64)),
			 0xff00ffffffull);
	assert_int_equal(regdb_per_vcpu_bits(NULL), 0);
	profile_free(p);
}

/* The hypervisor bit (regdb `vmm-owned`): the same on every vCPU but the
 * VMM's, so a whole value (a capture's) leaves it to the VMM; naming the
 * field states it. */
static void test_vmm_owned_hypervisor_bit(void **state)
{
	char dir[64], path[128];
	struct profile *p;
	const struct pentry *e;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kvmprof-vo-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/vmm-owned.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kvmprof: 1\nname: vmm-owned\narch: x86_64\nvcpu:\n  registers:\n"
	      "    CPUID.0x1.0x0.ECX: 0x76f83203\n"
	      "    CPUID.0x80000001.0x0.ECX: {value: 0x101}\n", f);
	fclose(f);
	p = load_ok(path);
	e = entry_named(p, "CPUID.0x1.0x0.ECX");
	assert_non_null(e);
	assert_int_equal(e->mask, 0x7fffffffu); /* HYPERVISOR (31) left to the VMM */
	assert_int_equal(e->value, 0x76f83203u);
	profile_free(p);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kvmprof: 1\nname: vmm-owned\narch: x86_64\nvcpu:\n  registers:\n"
	      "    CPUID.0x1.0x0.ECX: {value: 0x76f83203, HYPERVISOR: 1}\n", f);
	fclose(f);
	p = load_ok(path);
	unlink(path);
	rmdir(dir);
	e = entry_named(p, "CPUID.0x1.0x0.ECX");
	assert_non_null(e);
	assert_int_equal(e->mask, 0xffffffffu); /* named: stated */
	assert_int_equal(e->value, 0xf6f83203u);
	assert_int_equal(regdb_vmm_owned_bits(regdb_reg_by_name("CPUID.0x1.0x0.ECX", KVMPROF_ARCH_X86_64)),
			 0x80000000u);
	assert_int_equal(regdb_per_vcpu_bits(regdb_reg_by_name("CPUID.0x1.0x0.ECX", KVMPROF_ARCH_X86_64)), 0);
	assert_int_equal(regdb_vmm_owned_bits(regdb_reg_by_name("CPUID.0x1.0x0.EBX", KVMPROF_ARCH_X86_64)),
			 0xff000000u); /* per-vCPU fields are the VMM's too */
	profile_free(p);
}

/* VM-scope registers (regdb `vm-scope-since`): the compiled entry carries
 * the kernel from which KVM keeps one value per VM; a register KVM keeps per
 * vCPU carries 0. */
static void test_vm_scope_compiled(void **state)
{
	char dir[64], path[128];
	struct profile *p;
	struct tables t;
	struct diag d;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kvmprof-vs-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/vm-scope.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kvmprof: 1\nname: vm-scope\narch: arm64\nvcpu:\n  registers:\n"
	      "    ID_AA64ISAR0_EL1: {SHA3: 0}\n"
	      "    ID_MMFR0_EL1: 0x10101105\n"
	      "    CLIDR_EL1: 0x82000023\n", f);
	fclose(f);
	/* The diagnostics own the file names positions point to: one diag for
	 * loading and building. */
	diag_init(&d, stderr);
	p = profile_load_resolved(path, corpus_search, &d);
	assert_non_null(p);
	assert_int_equal(d.n_errors, 0);
	unlink(path);
	rmdir(dir);
	assert_int_equal(tables_build(p, &t, &d), 0);
	assert_int_equal(t.profile.n_entries, 3);
	for (uint32_t i = 0; i < t.profile.n_entries; i++) {
		const struct kvmprof_entry *e = &t.profile.entries[i];

		if (!strcmp(e->name, "CLIDR_EL1"))
			assert_int_equal(e->vm_scope_since, 0); /* per vCPU (vcpu_sys_reg) */
		else
			assert_int_equal(e->vm_scope_since, KVMPROF_KERNEL_VERSION(6, 7, 0));
	}
	assert_int_equal(regdb_reg_by_name("ID_AA64PFR0_EL1", KVMPROF_ARCH_ARM64)->vm_scope_since,
			 KVMPROF_KERNEL_VERSION(6, 7, 0));
	assert_int_equal(regdb_reg_by_name("MIDR_EL1", KVMPROF_ARCH_ARM64)->vm_scope_since, 0);
	tables_free(&t);
	profile_free(p);
	diag_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_scope_compiled),
		cmocka_unit_test(test_vmm_owned_hypervisor_bit),
		cmocka_unit_test(test_per_vcpu_fields),
		cmocka_unit_test(test_error_corpus),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_yaml_round_trip),
		cmocka_unit_test(test_at_most_whole_value_has_signed_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
