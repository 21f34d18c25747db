/* SPDX-License-Identifier: MIT */
/*
 * test_regset.c - the register set (`vcpu: register-set:`) on its way to
 * kvmprof_migration_check(): read with its base chain, sorted into the
 * tables the runtime gets (tables_build, as `kvmprof compile` emits them),
 * emitted by cgen, and combined by `kvmprof baseline` (required where every
 * input requires, tolerated where only some list it). Inputs are the
 * shipped captures of Debian 6.1.192 and 6.12.117 (-cpu cortex-a72): 242
 * and 259 registers, the 242 common.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "baseline.h"
#include "host.h"
#include "profile.h"
#include "tables.h"

#define CAP61 "profiles/linux-6.1-arm64-cortex-a72.yaml"
#define CAP612 "profiles/linux-6.12-arm64-cortex-a72.yaml"
#define TOLERATE "tests/migrate/profiles/migrate-x86-tolerate-kvm-msr.yaml"
#define TCR2_EL1 0x603000000013c103ull /* S3_0_C2_C0_3, TCR2_EL1 in the database: listed by 6.12.117 only */
#define CLIDR_EL1 0x603000000013c801ull

/* Loaded profiles point into the diag's file names: one diag lives as long
 * as the tests. */
static struct diag files;

static struct profile *load(const char *path)
{
	static const char *const search[] = { "profiles", NULL };
	struct profile *p = profile_load_resolved(path, search, &files);

	assert_non_null(p);
	assert_int_equal(files.n_errors, 0);
	return p;
}

static int policy_of(const struct host_facts *h, uint64_t id)
{
	for (size_t i = 0; i < h->n_regset; i++)
		if (h->regset[i].id == id)
			return h->regset[i].policy;
	return 0;
}

/* The tables carry the capture's set, sorted by id, every register required. */
static void test_tables_carry_sorted_set(void **state)
{
	struct profile *p = load(CAP612);
	struct tables t;
	struct diag d;

	(void)state;
	diag_init(&d, stderr);
	assert_int_equal(tables_build(p, &t, &d), 0);
	assert_int_equal(t.profile.n_register_set, 259);
	for (uint32_t i = 1; i < t.profile.n_register_set; i++)
		assert_true(t.profile.register_set[i - 1].id < t.profile.register_set[i].id);
	assert_int_equal(kvmprof_regset_policy(&t.profile, TCR2_EL1), KVMPROF_REGSET_REQUIRED);
	assert_int_equal(kvmprof_regset_policy(&t.profile, 0x1234), KVMPROF_REGSET_UNSTATED);
	tables_free(&t);
	profile_free(p);
	diag_fini(&d);
}

/* A derived file's policies override its base's, register by register; a
 * profile without a set anywhere in its chain has none. */
static void test_set_inherited_through_base(void **state)
{
	struct profile *p = load(TOLERATE), *base = load("profiles/linux-6.18-x86_64-pvm.yaml");
	struct host_facts h, hb;
	struct diag d;

	(void)state;
	diag_init(&d, stderr);
	assert_int_equal(host_regset_of_profile(p, &h, &d), 0);
	assert_int_equal(h.n_regset, 3);
	assert_int_equal(policy_of(&h, 0x4b564dff), HOST_REG_TOLERATED);
	assert_int_equal(policy_of(&h, 0x4b564d05), HOST_REG_HIDDEN);
	assert_int_equal(policy_of(&h, 0x4b564dfe), HOST_REG_REQUIRED);
	assert_int_equal(host_regset_of_profile(base, &hb, &d), 0);
	assert_int_equal(hb.n_regset, 0);
	host_facts_free(&h);
	host_facts_free(&hb);
	profile_free(p);
	profile_free(base);
	diag_fini(&d);
}

/* cgen emits the set and points the profile at it. */
static void test_cgen_emits_set(void **state)
{
	struct profile *p = load(TOLERATE);
	struct cgen_opts o = { .symbol = "t" };
	struct diag d;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	diag_init(&d, stderr);
	assert_int_equal(cgen_emit_c(p, &o, out, &d), 0);
	fclose(out);
	assert_non_null(strstr(text, "static const struct kvmprof_regset_entry t_register_set[] = {\n"
				     "\t{ 0x4b564d05ull, \"0x4b564d05\", 3 /* hidden */, 0 },\n"));
	assert_non_null(strstr(text, "\t.register_set = t_register_set,\n\t.n_register_set = 3,\n"));
	free(text);
	profile_free(p);
	diag_fini(&d);
}

/* The baseline of 6.1.192 and 6.12.117: the 242 registers both list stay
 * required, the 17 only 6.12.117 lists become tolerated, and the set is
 * written back as YAML. */
static void test_baseline_set(void **state)
{
	struct profile *in[2] = { load(CAP61), load(CAP612) }, *b;
	struct diag d;
	size_t required = 0, tolerated = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *out, *devnull = fopen("/dev/null", "w"); /* the baseline's notes */

	(void)state;
	assert_non_null(devnull);
	diag_init(&d, devnull);
	b = profile_baseline(in, 2, "b", 0, &d);
	assert_non_null(b);
	for (size_t i = 0; i < b->n_regset; i++) {
		required += b->regset[i].policy == HOST_REG_REQUIRED;
		tolerated += b->regset[i].policy == HOST_REG_TOLERATED;
		if (b->regset[i].id == TCR2_EL1)
			assert_int_equal(b->regset[i].policy, HOST_REG_TOLERATED);
		if (b->regset[i].id == CLIDR_EL1)
			assert_int_equal(b->regset[i].policy, HOST_REG_REQUIRED);
	}
	assert_int_equal(required, 242);
	assert_int_equal(tolerated, 17);
	out = open_memstream(&text, &len);
	profile_write_yaml(b, out);
	fclose(out);
	assert_non_null(strstr(text, "vcpu:\n  register-set:\n"));
	assert_non_null(strstr(text, "    CLIDR_EL1: required\n"));
	assert_non_null(strstr(text, "    TCR2_EL1: tolerated\n"));
	free(text);
	profile_free(b);
	profile_free(in[0]);
	profile_free(in[1]);
	diag_fini(&d);
	fclose(devnull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_carry_sorted_set),
		cmocka_unit_test(test_set_inherited_through_base),
		cmocka_unit_test(test_cgen_emits_set),
		cmocka_unit_test(test_baseline_set),
	};

	int rc;

	diag_init(&files, stderr);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	diag_fini(&files);
	return rc;
}
