/* SPDX-License-Identifier: MIT */
/*
 * test_diff.c - `kvmprof diff`, in process through kvmprof_main() and profile_diff():
 *  - (whole outputs in text, markdown and json for an arm64 and an x86 pair
 *    are case folders, tests/golden/diff/, run by test_cases.c);
 *  - exit status 0 same / 1 different / 2 usage or input error;
 *  - inheritance resolved before comparing; per-field reporting through the
 *    register database; stated/unstated bits; one-sided entries; policies;
 *  - the shipped arm64 profiles differ in CLIDR_EL1.Ctype1 alone.
 */
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
#include "shell.h"

#include "cli_run.h"
#include "diff.h"

#define OK "tests/corpus/ok/"




static struct profile *load(const char *path)
{
	static const char *const search[] = { "tests/corpus/ok", NULL };
	struct diag d;
	struct profile *p;

	diag_init(&d, stderr);
	p = profile_load_resolved(path, search, &d);
	assert_non_null(p);
	profile_check(p, &d);
	assert_int_equal(d.n_errors, 0);
	diag_fini(&d);
	return p;
}

static const struct pdiff_item *find_item(const struct pdiff *d, const char *name, const char *field)
{
	for (size_t i = 0; i < d->n_items; i++)
		if (!strcmp(d->items[i].name, name) &&
		    ((!field && !d->items[i].field) || (field && d->items[i].field && !strcmp(d->items[i].field, field))))
			return &d->items[i];
	return NULL;
}

static void assert_item(const struct pdiff *d, const char *name, const char *field, const char *a, const char *b,
			int kind)
{
	const struct pdiff_item *it = find_item(d, name, field);

	if (!it)
		fail_msg("no difference reported for %s%s%s", name, field ? "." : "", field ? field : "");
	if (a)
		assert_string_equal(it->a, a);
	else
		assert_null(it->a);
	if (b)
		assert_string_equal(it->b, b);
	else
		assert_null(it->b);
	assert_int_equal(it->kind, kind);
}

/* The semantics behind the golden files, one by one. */
static void test_semantics(void **state)
{
	struct profile *a = load(OK "diff-a.yaml"), *b = load(OK "diff-b.yaml");
	struct pdiff d;

	(void)state;
	profile_diff(a, b, &d);
	assert_item(&d, "ID_AA64PFR0_EL1", "CSV2", "1", "0", PDIFF_VALUE);
	assert_item(&d, "ID_AA64PFR0_EL1", "AdvSIMD", "0", "0xf", PDIFF_VALUE);
	assert_null(find_item(&d, "ID_AA64PFR0_EL1", "CSV3")); /* equal: not reported */
	assert_item(&d, "GICD_IIDR", "Revision", "3", "2", PDIFF_VALUE);
	/* a whole value is compared by the database's fields, not the stated ones */
	assert_item(&d, "CLIDR_EL1", "Ctype1", "3", "1", PDIFF_VALUE);
	assert_null(find_item(&d, "CLIDR_EL1", "LoC"));
	assert_item(&d, "CLIDR_EL1", "bits 63:47", "0", "1", PDIFF_VALUE);
	assert_item(&d, "CLIDR_EL1", "requires", "(always)", "kernel >= 6.3", PDIFF_REQUIRES);
	/* don't-care in A, stated in B */
	assert_item(&d, "CTR_EL0", "IminLine", NULL, "4", PDIFF_STATED);
	assert_item(&d, "ID_AA64DFR0_EL1", "DebugVer", "6", "8", PDIFF_VALUE);
	assert_item(&d, "ID_AA64DFR0_EL1", "policy", "at-most", "exact", PDIFF_POLICY);
	assert_item(&d, "PSCI_VERSION", NULL, "0x10001", NULL, PDIFF_ONLY_A);
	assert_item(&d, "REVIDR_EL1", NULL, NULL, "0", PDIFF_ONLY_B);
	assert_item(&d, "pmu-v3", NULL, "on", "off", PDIFF_VALUE);
	assert_item(&d, "profile", "requires", "(always)", "kernel >= 6.3", PDIFF_REQUIRES);
	assert_null(find_item(&d, "MIDR_EL1", NULL));
	assert_null(find_item(&d, "psci-0.2", NULL));
	/* KVM's write rule per field, from the database, and what it means for a guest started on A */
	assert_int_equal(find_item(&d, "ID_AA64PFR0_EL1", "CSV2")->rule, REGDB_RULE_LOWER);
	assert_int_equal(find_item(&d, "ID_AA64PFR0_EL1", "CSV2")->keeps, 0);  /* 1 -> 0: B cannot show 1 */
	assert_int_equal(find_item(&d, "ID_AA64DFR0_EL1", "DebugVer")->keeps, 1); /* 6 -> 8: B may lower to 6 */
	assert_int_equal(find_item(&d, "ID_AA64PFR0_EL1", "AdvSIMD")->keeps, 0); /* signed: 0 -> 0xf (-1) lowers */
	assert_int_equal(find_item(&d, "CLIDR_EL1", "Ctype1")->rule, REGDB_RULE_EXACT);
	assert_int_equal(find_item(&d, "CLIDR_EL1", "Ctype1")->keeps, 0);
	assert_non_null(find_item(&d, "CLIDR_EL1", "Ctype1")->meaning);
	assert_int_equal(find_item(&d, "CTR_EL0", "IminLine")->rule, -1); /* stated on one side only */
	assert_int_equal(find_item(&d, "CTR_EL0", "IminLine")->keeps, -1);
	/* ordered by phase, then name */
	for (size_t i = 1; i < d.n_items; i++) {
		assert_true(d.items[i - 1].phase <= d.items[i].phase);
		if (d.items[i - 1].phase == d.items[i].phase)
			assert_true(strcmp(d.items[i - 1].name, d.items[i].name) <= 0);
	}
	pdiff_free(&d);
	/* the other way round: the sides swap */
	profile_diff(b, a, &d);
	assert_item(&d, "PSCI_VERSION", NULL, NULL, "0x10001", PDIFF_ONLY_B);
	assert_item(&d, "CTR_EL0", "IminLine", "4", NULL, PDIFF_STATED);
	pdiff_free(&d);
	profile_free(a);
	profile_free(b);
}

static void test_x86_semantics(void **state)
{
	struct profile *a = load(OK "diff-x86-a.yaml"), *b = load(OK "diff-x86-b.yaml");
	struct pdiff d;

	(void)state;
	profile_diff(a, b, &d);
	/* CPUID.7.0.EBX and CPUID.0x7.0x0.EBX are one register, named canonically */
	assert_item(&d, "CPUID.0x7.0x0.EBX", "AVX512F", "1", "0", PDIFF_VALUE);
	assert_item(&d, "CPUID.0x1.0x0.ECX", "X2APIC", "1", "0", PDIFF_VALUE);
	assert_item(&d, "CPUID.0x1.0x0.EAX", "Model", "0xf", "8", PDIFF_VALUE);
	assert_item(&d, "KVM_X86_QUIRK_CD_NW_CLEARED", NULL, "disable", "keep", PDIFF_VALUE);
	assert_item(&d, "KVM_X86_QUIRK_SLOT_ZAP_ALL", NULL, NULL, "disable", PDIFF_ONLY_B);
	assert_null(find_item(&d, "KVM_X86_QUIRK_LINT0_REENABLED", NULL));
	assert_item(&d, "KVM_CAP_X2APIC_API", "USE_32BIT_IDS", "on", "off", PDIFF_VALUE);
	assert_item(&d, "KVM_CAP_X86_DISABLE_EXITS", NULL, "2", "3", PDIFF_VALUE);
	/* a CPUID feature flag may be cleared by a VMM: losing it is what a running guest cannot take */
	assert_int_equal(find_item(&d, "CPUID.0x7.0x0.EBX", "AVX512F")->rule, REGDB_RULE_LOWER);
	assert_int_equal(find_item(&d, "CPUID.0x7.0x0.EBX", "AVX512F")->keeps, 0);
	assert_int_equal(find_item(&d, "CPUID.0x1.0x0.EAX", "Model")->rule, REGDB_RULE_EXACT);
	pdiff_free(&d);
	profile_free(a);
	profile_free(b);
}

static void test_same_is_exit_0(void **state)
{
	const char *text[] = { "diff", OK "x86-all.yaml", OK "x86-all.yaml", NULL };
	const char *json[] = { "diff", "--format=json", OK "diff-a.yaml", OK "diff-a.yaml", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(text);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "no guest-visible differences\n");
	run_free(&r);
	r = run_kvmprof(json);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "\"differences\": []"));
	run_free(&r);
}

/* Inheritance is resolved first: the child restates its base, so only overrides differ. */
static void test_inheritance_resolved(void **state)
{
	const char *args[] = { "diff", "-I", "tests/corpus/ok", OK "base-arm64.yaml", OK "child-arm64.yaml", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.out, "CLIDR_EL1.Ctype1: 3 -> 1  [exact: not safe for running guests]"));
	assert_non_null(strstr(r.out, "REVIDR_EL1: 0 -> (not stated)\n"));
	assert_non_null(strstr(r.out, "CTR_EL0: (not stated) -> 0b1011_0100_0100_0100_1100_0000_0000_xxxx\n"));
	assert_non_null(strstr(r.out, "ID_AA64PFR0_EL1.CSV2: (not stated) -> 1"));
	assert_null(strstr(r.out, "ID_AA64PFR0_EL1.GIC")); /* inherited unchanged */
	assert_null(strstr(r.out, "GICD_IIDR"));
	assert_null(strstr(r.out, "PSCI_VERSION"));
	run_free(&r);
}

static void test_shipped_arm64(void **state)
{
	const char *args[] = { "diff", "profiles/linux-6.1-arm64-qemu-max.yaml",
			       "profiles/linux-6.12-arm64-qemu-max.yaml", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "CLIDR_EL1.Ctype1: 3 -> 1  [exact: not safe for running guests]  "
				   "0 none, 1 I, 2 D, 3 separate I+D, 4 unified\n");
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void test_usage_errors(void **state)
{
	const char *unknown_format[] = { "diff", "--format", "yaml", OK "diff-a.yaml", OK "diff-b.yaml", NULL };
	const char *one[] = { "diff", OK "diff-a.yaml", NULL };
	const char *three[] = { "diff", OK "diff-a.yaml", OK "diff-a.yaml", OK "diff-a.yaml", NULL };
	const char *bad_option[] = { "diff", "--frobnicate", OK "diff-a.yaml", OK "diff-b.yaml", NULL };
	const char *missing[] = { "diff", OK "diff-a.yaml", OK "no-such-profile.yaml", NULL };
	const char *broken[] = { "diff", "tests/corpus/errors/unknown-field.yaml", OK "diff-a.yaml", NULL };
	const char *help[] = { "diff", "--help", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(unknown_format);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "unknown format 'yaml'"));
	assert_string_equal(r.out, "");
	run_free(&r);

	r = run_kvmprof(one);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "need two profiles, got 1"));
	assert_non_null(strstr(r.err, "usage: kvmprof diff"));
	run_free(&r);

	r = run_kvmprof(three);
	assert_int_equal(r.rc, 2);
	run_free(&r);

	r = run_kvmprof(bad_option);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "--frobnicate"));
	run_free(&r);

	r = run_kvmprof(missing);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "no-such-profile.yaml"));
	assert_string_equal(r.out, "");
	run_free(&r);

	/* an input with errors: reported with file:line:col, exit 2, no diff */
	r = run_kvmprof(broken);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "tests/corpus/errors/unknown-field.yaml:"));
	assert_non_null(strstr(r.err, "[unknown-field]"));
	assert_string_equal(r.out, "");
	run_free(&r);

	r = run_kvmprof(help);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "usage: kvmprof diff"));
	assert_string_equal(r.err, "");
	run_free(&r);
}

/* Values that would break a markdown table or a JSON string are escaped. */
static void test_escaping(void **state)
{
	struct pdiff_item item = { .name = "X", .field = "requires", .a = "a || \"b\"", .b = NULL,
				   .kind = PDIFF_REQUIRES, .phase = 2 };
	struct pdiff d = { .a = { .name = "p|a", .file = "a.yaml", .hash = "h" }, .b = { .name = "pb", .file = "b.yaml", .hash = "h" }, .items = &item, .n_items = 1 };
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	(void)state;
	mem = open_memstream(&text, &len);
	pdiff_write(&d, PDIFF_FORMAT_MARKDOWN, mem);
	fclose(mem);
	assert_non_null(strstr(text, "| `X requires` | `a \\|\\| \"b\"` | *not stated* | requires |"));
	assert_non_null(strstr(text, "`p\\|a`"));
	free(text);
	mem = open_memstream(&text, &len);
	pdiff_write(&d, PDIFF_FORMAT_JSON, mem);
	fclose(mem);
	assert_non_null(strstr(text, "\"a\": \"a || \\\"b\\\"\", \"b\": null, \"kind\": \"requires\""));
	free(text);
	assert_int_equal(pdiff_format_by_name("md"), PDIFF_FORMAT_MARKDOWN);
	assert_int_equal(pdiff_format_by_name("xml"), -1);
}

/* Writes text to dir/name. */
#define put_file(dir, name, text) assert_int_equal(shell_write_file(dir, name, text), 0)

#define TREE_BASE "kvmprof: 1\nname: base\narch: arm64\ndescription: b\nprovenance: {kind: authored}\n" \
		  "devices:\n  vgic-v3:\n    GICD_IIDR: {Revision: %d}\n"
#define TREE_CHILD "kvmprof: 1\nname: x\narch: arm64\ndescription: c\nprovenance: {kind: authored}\nbase: base\n" \
		   "vcpu:\n  registers:\n    REVIDR_EL1: 0\n"

/*
 * A pull request as a reviewer has it: the old and the new version of a
 * profile, each next to its own base, run from a directory whose profiles/
 * holds the new base. Each side must take the base beside it (issue 11:
 * -I came first, so the old file took the new base and diff said "no
 * guest-visible differences").
 */
#define REV_2_TO_3 "GICD_IIDR.Revision: 2 -> 3  [exact: not safe for running guests]  KVM vGIC implementation revision (1..3)\n"

static void test_bases_beside_the_profile_first(void **state)
{
	char tmpl[] = "/tmp/kvmprof-diff-tree-XXXXXX", cwd[4096], dir[600], text[512];
	const char *tree = mkdtemp(tmpl);
	const char *args[] = { "diff", "old/profiles/x.yaml", "new/profiles/x.yaml", NULL };
	const char *args_i[] = { "diff", "-I", "profiles", "old/profiles/x.yaml", "new/profiles/x.yaml", NULL };
	struct run r;

	(void)state;
	assert_non_null(tree);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (int side = 0; side < 3; side++) {
		static const char *const dirs[] = { "old", "new", "." };
		snprintf(dir, sizeof(dir), "%s/%s", tree, dirs[side]);
		mkdir(dir, 0755);
		snprintf(dir, sizeof(dir), "%s/%s/profiles", tree, dirs[side]);
		mkdir(dir, 0755);
		snprintf(text, sizeof(text), TREE_BASE, side == 0 ? 2 : 3);
		put_file(dir, "base.yaml", text);
		if (side < 2)
			put_file(dir, "x.yaml", TREE_CHILD);
	}
	assert_int_equal(chdir(tree), 0);
	r = run_kvmprof(args);
	assert_string_equal(r.out, REV_2_TO_3);
	assert_int_equal(r.rc, 1);
	run_free(&r);
	r = run_kvmprof(args_i); /* an explicit -I does not outrank the profile's own folder either */
	assert_string_equal(r.out, REV_2_TO_3);
	assert_int_equal(r.rc, 1);
	run_free(&r);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(shell_run(NULL, 0, "rm -rf '%s'", tree), 0);
}

/* vcpu: register-set: is part of what a migration notices (issue 11: 17
 * required registers of 6.12 that 6.1 lacks showed nothing). */
static void test_register_set(void **state)
{
	const char *args[] = { "diff", "--format", "json", "tests/corpus/captures/linux-6.12-arm64-capture.yaml",
			       "tests/corpus/captures/linux-6.1-arm64-capture.yaml", NULL };
	const char *text[] = { "diff", "tests/corpus/captures/linux-6.12-arm64-capture.yaml",
			       "tests/corpus/captures/linux-6.1-arm64-capture.yaml", NULL };
	struct run r;
	size_t n = 0;

	(void)state;
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 1);
	for (const char *p = r.out; (p = strstr(p, "{\"name\": \"register-set\"")) != NULL; p++) {
		assert_non_null(strstr(p, "\"a\": \"required\", \"b\": null, \"kind\": \"only-a\""));
		n++;
	}
	assert_int_equal(n, 17);
	assert_non_null(strstr(r.out, "{\"name\": \"register-set\", \"field\": \"CNTP_CTL_EL0\", \"a\": \"required\", "
				      "\"b\": null, \"kind\": \"only-a\""));
	run_free(&r);
	r = run_kvmprof(text);
	assert_non_null(strstr(r.out, "\nregister-set[CCSIDR_EL1.L7I]: required -> (not stated)\n"));
	run_free(&r);
	/* one side with a register set, the other without: one line */
	const char *one[] = { "diff", "profiles/linux-6.12-arm64-qemu-max.yaml",
			      "tests/corpus/captures/linux-6.12-arm64-capture.yaml", NULL };
	r = run_kvmprof(one);
	assert_non_null(strstr(r.out, "\nregister-set: (not stated) -> 259 registers\n"));
	run_free(&r);
}

/* Profiles of two architectures: refused like check refuses them, not hundreds of lines. */
static void test_mixed_architectures(void **state)
{
	const char *args[] = { "diff", "profiles/linux-6.12-arm64-qemu-max.yaml", "profiles/linux-6.1-x86_64-genoa.yaml",
			       NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "not comparable"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_x86_semantics),
		cmocka_unit_test(test_same_is_exit_0),
		cmocka_unit_test(test_inheritance_resolved),
		cmocka_unit_test(test_shipped_arm64),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_bases_beside_the_profile_first),
		cmocka_unit_test(test_register_set),
		cmocka_unit_test(test_mixed_architectures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
