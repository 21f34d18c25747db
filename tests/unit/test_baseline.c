/* SPDX-License-Identifier: MIT */
/*
 * test_baseline.c - `kvmprof baseline`, in process through kvmprof_main() and
 * profile_baseline():
 *  - arm64: lower-safe fields take the minimum (signed fields compare signed),
 *    the stricter policy wins, one-sided targets and bits are left out with notes;
 *  - x86: CPUID feature bits are intersected, quirks must agree;
 *  - the written YAML (case folders tests/golden/baseline/, test_cases.c) loads back to
 *    the same profile;
 *  - no safe common value, architectures that differ, the shipped arm64
 *    profiles (CLIDR_EL1.Ctype1 is a cache type, not ordered: an error), usage
 *    errors; nothing is written on any error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "golden.h"
#include "profile_entry.h"
#include "shell.h"

#include "baseline.h"
#include "cli_run.h"
#include "diff.h"

#define OK "tests/corpus/ok/"




/* Loaded profiles' positions point into this diag's file names: it lives as long as the group. */
static struct diag load_diag;

static int group_setup(void **state)
{
	(void)state;
	diag_init(&load_diag, stderr);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	diag_fini(&load_diag);
	return 0;
}

static struct profile *load(const char *path)
{
	static const char *const search[] = { "tests/corpus/ok", "profiles", NULL };
	int before = load_diag.n_errors;
	struct profile *p;

	p = profile_load_resolved(path, search, &load_diag);
	assert_non_null(p);
	profile_check(p, &load_diag);
	assert_int_equal(load_diag.n_errors, before);
	return p;
}

static uint64_t field(const struct pentry *e, unsigned shift, unsigned width)
{
	assert_non_null(e);
	uint64_t m = ((UINT64_C(1) << width) - 1) << shift;
	assert_true((e->mask & m) == m); /* stated */
	return (e->value & m) >> shift;
}

/* Baseline of in-memory profiles; diagnostics captured. */
static struct profile *baseline_of(struct profile **in, size_t n, const char *name, char **err)
{
	size_t len = 0;
	FILE *mem = open_memstream(err, &len);
	struct diag d;
	struct profile *p;

	diag_init(&d, mem);
	d.quiet_source = 1;
	p = profile_baseline(in, n, name, 0, &d);
	diag_fini(&d);
	fclose(mem);
	return p;
}

static void test_arm64_minimum(void **state)
{
	struct profile *in[3] = { load(OK "diff-a.yaml"), load(OK "baseline-arm64-b.yaml"), NULL };
	char *err = NULL;
	struct profile *p;
	const struct pentry *e;

	(void)state;
	p = baseline_of(in, 2, "bl", &err);
	assert_non_null(p);
	assert_int_equal(p->arch, KVMPROF_ARCH_ARM64);
	e = entry_named(p, "ID_AA64PFR0_EL1");
	assert_int_equal(field(e, 56, 4), 0);   /* CSV2: min(1, 0) */
	assert_int_equal(field(e, 60, 4), 1);   /* CSV3: equal */
	assert_int_equal(field(e, 20, 4), 0xf); /* AdvSIMD is signed: min(0, -1) = -1 (absent) */
	e = entry_named(p, "ID_AA64DFR0_EL1");
	assert_int_equal(field(e, 0, 4), 6);    /* DebugVer: min(6, 8) */
	assert_int_equal(e->policy, KVMPROF_POLICY_EXACT); /* at-most vs exact: the stricter */
	e = entry_named(p, "CLIDR_EL1");
	assert_int_equal(e->value, 0x2000023);
	e = entry_named(p, "CTR_EL0");
	assert_non_null(e);
	assert_int_equal(e->mask & 0xf, 0);     /* IminLine: don't-care in diff-a, so in the baseline */
	assert_int_equal(e->value & ~UINT64_C(0xf), 0xb444c000);
	assert_null(entry_named(p, "PSCI_VERSION"));  /* only in diff-a */
	assert_non_null(entry_named(p, "pmu-v3"));
	assert_int_equal(field(entry_named(p, "GICD_IIDR"), 12, 4), 3);
	assert_non_null(strstr(err, "tests/corpus/ok/diff-a.yaml:17:5: note: PSCI_VERSION is not stated by "
				    "tests/corpus/ok/baseline-arm64-b.yaml; left out of the baseline"));
	assert_non_null(strstr(err, "note: CTR_EL0.IminLine is not stated by tests/corpus/ok/diff-a.yaml"));
	assert_null(strstr(err, "error"));
	profile_free(p);
	free(err);

	/* three inputs, one repeated: the same baseline */
	in[2] = in[0];
	p = baseline_of(in, 3, "bl", &err);
	assert_non_null(p);
	assert_int_equal(field(entry_named(p, "ID_AA64DFR0_EL1"), 0, 4), 6);
	assert_int_equal(field(entry_named(p, "ID_AA64PFR0_EL1"), 56, 4), 0);
	profile_free(p);
	free(err);
	profile_free(in[0]);
	profile_free(in[1]);
}

static void test_x86_intersection(void **state)
{
	struct profile *in[2] = { load(OK "diff-x86-a.yaml"), load(OK "baseline-x86-b.yaml") };
	char *err = NULL;
	struct profile *p;
	const struct pentry *e;

	(void)state;
	p = baseline_of(in, 2, "bl", &err);
	assert_non_null(p);
	e = entry_named(p, "CPUID.0x7.0x0.EBX");
	assert_int_equal(field(e, 16, 1), 0); /* AVX512F: 1 & 0 */
	assert_int_equal(field(e, 5, 1), 1);  /* AVX2 */
	assert_int_equal(e->mask & (1u << 9), 0); /* ERMS: stated by one input only */
	e = entry_named(p, "CPUID.0x1.0x0.ECX");
	assert_int_equal(field(e, 21, 1), 0); /* X2APIC: 1 & 0 */
	assert_int_equal(field(e, 28, 1), 1); /* AVX */
	e = entry_named(p, "CPUID.0x1.0x0.EAX");
	assert_int_equal(field(e, 4, 4), 0xf); /* Model: equal */
	e = entry_named(p, "KVM_CAP_DISABLE_QUIRKS2");
	assert_non_null(e);
	assert_int_equal(e->mask, 0x3);  /* LINT0_REENABLED, CD_NW_CLEARED; SLOT_ZAP_ALL left out */
	assert_int_equal(e->value, 0x2); /* CD_NW_CLEARED: disable */
	assert_null(entry_named(p, "CPUID.0xd.0x0.EAX"));
	assert_non_null(strstr(err, "quirk KVM_X86_QUIRK_SLOT_ZAP_ALL is not stated by tests/corpus/ok/diff-x86-a.yaml"));
	assert_non_null(strstr(err, "tests/corpus/ok/baseline-x86-b.yaml:21:5: note: CPUID.0xd.0x0.EAX is not stated"));
	profile_free(p);
	free(err);
	profile_free(in[0]);
	profile_free(in[1]);
}

/* The verb writes YAML (golden) that loads back to the same profile. */

static void golden_case(const char *a, const char *b, const char *stem)
{
	char dir[] = "/tmp/kvmprof-baseline-XXXXXX", out[600];
	const char *args[] = { "baseline", a, b, "-o", out, NULL };
	struct run r;
	char *text;

	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/%s.yaml", dir, stem);
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_null(strstr(r.err, "error"));
	text = golden_slurp(out, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"kind\": \"baseline\""));

	/* without -o, the same YAML on standard output */
	{
		const char *show[] = { "baseline", a, b, "--name", stem, NULL };
		struct run s = run_kvmprof(show);
		assert_int_equal(s.rc, 0);
		assert_string_equal(s.out, text);
		run_free(&s);
	}
	free(text);

	/* loads back (its name matches its file) with nothing a guest sees changed on the way */
	{
		struct profile *in[2] = { load(a), load(b) }, *back = load(out), *mem;
		char *err = NULL, h1[32], h2[32];
		struct pdiff d;

		mem = baseline_of(in, 2, stem, &err);
		assert_non_null(mem);
		assert_string_equal(back->name, stem);
		profile_diff(mem, back, &d);
		assert_int_equal(d.n_items, 0);
		pdiff_free(&d);
		profile_hash(mem, h1);
		profile_hash(back, h2);
		assert_string_equal(h1, h2);
		profile_free(mem);
		profile_free(back);
		profile_free(in[0]);
		profile_free(in[1]);
		free(err);
	}
	unlink(out);
	rmdir(dir);
	run_free(&r);
}

static void test_golden_arm64(void **state)
{
	(void)state;
	golden_case(OK "diff-a.yaml", OK "baseline-arm64-b.yaml", "baseline-arm64");
}

static void test_golden_x86(void **state)
{
	(void)state;
	golden_case(OK "diff-x86-a.yaml", OK "baseline-x86-b.yaml", "baseline-x86");
}

static void test_no_safe_common_value(void **state)
{
	const char *args[] = { "baseline", "--strict", "-o", "/tmp/kvmprof-test-never-written.yaml", OK "diff-a.yaml",
			       OK "diff-b.yaml", NULL };
	const char *x86[] = { "baseline", "--strict", OK "diff-x86-a.yaml", OK "diff-x86-b.yaml", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 1);
	assert_int_equal(access("/tmp/kvmprof-test-never-written.yaml", F_OK), -1);
	assert_non_null(strstr(r.err, "tests/corpus/ok/diff-a.yaml:20:27: error: no safe common value for "
				      "GICD_IIDR.Revision: tests/corpus/ok/diff-a.yaml has 3, tests/corpus/ok/diff-b.yaml "
				      "has 2 [baseline]"));
	assert_non_null(strstr(r.err, "tests/corpus/ok/diff-b.yaml:22:27: note: tests/corpus/ok/diff-b.yaml states "
				      "GICD_IIDR.Revision here"));
	assert_non_null(strstr(r.err, "no safe common value for pmu-v3: tests/corpus/ok/diff-a.yaml has on, "
				      "tests/corpus/ok/diff-b.yaml has off"));
	assert_non_null(strstr(r.err, "no safe common value for CLIDR_EL1[bits 63:47]"));
	assert_non_null(strstr(r.err, "no safe common value for the condition (requires:) of CLIDR_EL1"));
	assert_non_null(strstr(r.err, "5 errors\n"));
	/* lower-safe fields that differ are not errors */
	assert_null(strstr(r.err, "ID_AA64PFR0_EL1"));
	assert_null(strstr(r.err, "ID_AA64DFR0_EL1"));
	run_free(&r);

	r = run_kvmprof(x86);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "no safe common value for KVM_X86_QUIRK_CD_NW_CLEARED: "
				      "tests/corpus/ok/diff-x86-a.yaml has disable, tests/corpus/ok/diff-x86-b.yaml has keep"));
	assert_non_null(strstr(r.err, "no safe common value for USE_32BIT_IDS"));
	assert_non_null(strstr(r.err, "no safe common value for CPUID.0x1.0x0.EAX.Model: "
				      "tests/corpus/ok/diff-x86-a.yaml has 0xf, tests/corpus/ok/diff-x86-b.yaml has 8"));
	assert_non_null(strstr(r.err, "no safe common value for KVM_CAP_X86_DISABLE_EXITS"));
	/* feature bits are intersected, not errors */
	assert_null(strstr(r.err, "AVX512F"));
	assert_null(strstr(r.err, "X2APIC:"));
	run_free(&r);
}

static void test_arch_mismatch(void **state)
{
	const char *args[] = { "baseline", OK "diff-a.yaml", OK "diff-x86-a.yaml", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "tests/corpus/ok/diff-x86-a.yaml:1:1: error: tests/corpus/ok/diff-x86-a.yaml is "
				      "for x86_64, tests/corpus/ok/diff-a.yaml is for arm64"));
	run_free(&r);
}

/*
 * The shipped profiles differ in CLIDR_EL1.Ctype1 (3 = separate I+D on 6.1,
 * 1 = instruction-only as fabricated since 6.3). Ctype is a cache type, not an
 * ordered ID field (no lower-safe flag in the database): no common value.
 */
static void test_shipped_arm64(void **state)
{
	const char *args[] = { "baseline", "--strict", "-o", "/tmp/kvmprof-test-shipped-never.yaml",
			       "profiles/linux-6.1-arm64-qemu-max.yaml", "profiles/linux-6.12-arm64-qemu-max.yaml", NULL };
	const struct regdb_reg *clidr = regdb_reg_by_name("CLIDR_EL1", KVMPROF_ARCH_ARM64);
	const struct regdb_field *ctype1 = clidr ? regdb_field_by_name(clidr, "Ctype1") : NULL;
	struct run r;

	(void)state;
	assert_non_null(ctype1);
	assert_int_equal(ctype1->flags & REGDB_F_LOWER_SAFE, 0);
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 1);
	assert_int_equal(access("/tmp/kvmprof-test-shipped-never.yaml", F_OK), -1);
	assert_non_null(strstr(r.err, "profiles/linux-6.1-arm64-qemu-max.yaml:22:43: error: no safe common value for "
				      "CLIDR_EL1.Ctype1: profiles/linux-6.1-arm64-qemu-max.yaml has 3, "
				      "profiles/linux-6.12-arm64-qemu-max.yaml has 1 [baseline]"));
	assert_non_null(strstr(r.err, "1 error\n"));
	run_free(&r);
}

static void test_usage_errors(void **state)
{
	const char *one[] = { "baseline", OK "diff-a.yaml", NULL };
	const char *name_mismatch[] = { "baseline", "-o", "/tmp/x.yaml", "--name", "y", OK "diff-a.yaml",
					OK "diff-a.yaml", NULL };
	const char *bad_option[] = { "baseline", "--frobnicate", OK "diff-a.yaml", OK "diff-a.yaml", NULL };
	const char *missing[] = { "baseline", OK "diff-a.yaml", OK "no-such-profile.yaml", NULL };
	const char *help[] = { "baseline", "--help", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(one);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "need 2 to 64 profiles, got 1"));
	run_free(&r);

	r = run_kvmprof(name_mismatch);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "--name y does not match the output file /tmp/x.yaml"));
	run_free(&r);

	r = run_kvmprof(bad_option);
	assert_int_equal(r.rc, 2);
	run_free(&r);

	r = run_kvmprof(missing);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "no-such-profile.yaml"));
	assert_string_equal(r.out, "");
	run_free(&r);

	r = run_kvmprof(help);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "usage: kvmprof baseline"));
	run_free(&r);
}

/*
 * Every real pair in profiles/: profiles of one platform (linux-KVER-ARCH-PLATFORM.yaml)
 * on two kernels. Issue 11: baseline failed on each (kvm_amd 6.1/6.12 on
 * GuestPhysAddrSize, arm64 6.1/6.12 on CLIDR and CCSIDR, Graviton 5.10/6.1 on
 * PSCI_VERSION) and wrote nothing. Now each is written: lower-safe fields take
 * the minimum, PSCI_VERSION the lowest common version, and a field without a
 * common value is left out and named with both values; the written profile
 * loads and checks clean.
 */
static void test_every_real_pair(void **state)
{
	char tmpl[] = "/tmp/kvmprof-baseline-pairs-XXXXXX";
	const char *dir = mkdtemp(tmpl);
	char *list = NULL, *line, *save = NULL, *paths[128], *keys[128];
	size_t n = 0, pairs = 0, captured = 0;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(shell_run(&list, 0, "ls profiles/linux-*.yaml"), 0);
	for (line = strtok_r(list, "\n", &save); line && n < 128; line = strtok_r(NULL, "\n", &save)) {
		const char *b = strrchr(line, '/') + 1, *rest = strchr(b + 6, '-'); /* after linux-KVER */
		paths[n] = line;
		keys[n] = xstrdup(rest); /* "-arm64-graviton2.yaml" */
		n++;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++) {
			char out[600], name[64];
			if (strcmp(keys[i], keys[k]) || strstr(paths[i], "linux-common-") || strstr(paths[k], "linux-common-"))
				continue;
			snprintf(name, sizeof(name), "pair%zu", pairs);
			snprintf(out, sizeof(out), "%s/%s.yaml", dir, name);
			const char *args[] = { "baseline", "-o", out, paths[i], paths[k], NULL };
			struct run r = run_kvmprof(args);
			if (r.rc != 0)
				fprintf(stderr, "baseline %s %s: exit %d\n%s", paths[i], paths[k], r.rc, r.err);
			assert_int_equal(r.rc, 0);
			assert_int_equal(access(out, F_OK), 0);
			assert_null(strstr(r.err, "error:"));
			struct diag d;
			diag_init(&d, stderr);
			struct profile *p = profile_load_resolved(out, NULL, &d);
			assert_non_null(p);
			profile_check(p, &d);
			assert_int_equal(d.n_errors, 0);
			diag_fini(&d);
			/* what the issue named, pair by pair; 6.1's CLIDR, CCSIDR and
			 * GuestPhysAddrSize differ from every later series' (docs/kernel-changes.md) */
			int with_61 = (strstr(paths[i], "linux-6.1-") != NULL) != (strstr(paths[k], "linux-6.1-") != NULL);
			if (with_61 && strstr(paths[i], "x86_64-kvm-amd-tcg")) { /* 6.1 reports GuestPhysAddrSize 0 */
				const struct pentry *e = entry_named(p, "CPUID.0x80000008.0x0.EAX");
				assert_non_null(e);
				assert_int_equal((e->value >> 16) & 0xff, 0); /* min(0, 0x28) */
				assert_int_equal((e->mask >> 16) & 0xff, 0xff);
			}
			if (with_61 && (strstr(paths[i], "arm64-neoverse-n1") || strstr(paths[i], "arm64-qemu-max"))) {
				const struct pentry *e = entry_named(p, "CLIDR_EL1");
				assert_true(!e || !(e->mask & 0x7)); /* Ctype1 (3 vs 1): left out */
				assert_non_null(strstr(r.err, "CLIDR_EL1.Ctype1"));
				assert_non_null(strstr(r.err, "has 3"));
				assert_non_null(strstr(r.err, "has 1"));
			}
			if (with_61 && strstr(paths[i], "arm64-neoverse-n1"))
				assert_non_null(strstr(r.err, "CCSIDR_EL1.L1D"));
			if (strstr(paths[i], "linux-5.10-arm64-graviton")) {
				const struct pentry *e = entry_named(p, "PSCI_VERSION");
				assert_non_null(e);
				assert_int_equal(e->value, 0x10000); /* 1.0: the lowest common version */
			}
			/* captured inputs: the baseline is presentable on each input's host (offline check) */
			for (int side = 0; side < 2; side++) {
				const char *in = side ? paths[k] : paths[i];
				char kvmprof[4096], *o = NULL;
				if (shell_run(NULL, 0, "grep -q '^host:' %s", in) != 0)
					continue;
				assert_int_equal(shell_kvmprof(kvmprof, sizeof(kvmprof)), 0);
				int rc = shell_run(&o, 1, "%s check %s --against %s", kvmprof, out, in);
				if (rc != 0)
					fprintf(stderr, "%s", o);
				assert_int_equal(rc, 0);
				free(o);
				captured++;
			}
			profile_free(p);
			run_free(&r);
			pairs++;
		}
	assert_true(pairs >= 13); /* 6 x86 and 3 Graviton fleet pairs, 4 captured arm64/x86 pairs */
	assert_true(captured >= 6);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(list);
	assert_int_equal(shell_run(NULL, 0, "rm -rf '%s'", dir), 0);
}

/* --strict keeps the refusal: a field without a common value is an error and nothing is written. */
static void test_strict(void **state)
{
	const char *args[] = { "baseline", "--strict", "-o", "/tmp/kvmprof-test-strict-never.yaml",
			       "profiles/linux-6.1-arm64-qemu-max.yaml", "profiles/linux-6.12-arm64-qemu-max.yaml", NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(args);
	assert_int_equal(r.rc, 1);
	assert_int_equal(access("/tmp/kvmprof-test-strict-never.yaml", F_OK), -1);
	assert_non_null(strstr(r.err, "error: no safe common value for CLIDR_EL1.Ctype1"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm64_minimum),
		cmocka_unit_test(test_x86_intersection),
		cmocka_unit_test(test_golden_arm64),
		cmocka_unit_test(test_golden_x86),
		cmocka_unit_test(test_no_safe_common_value),
		cmocka_unit_test(test_arch_mismatch),
		cmocka_unit_test(test_shipped_arm64),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_every_real_pair),
		cmocka_unit_test(test_strict),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
