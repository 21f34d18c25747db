/* SPDX-License-Identifier: MIT */
/*
 * test_import_cli.c - `kvmprof import --from firecracker` on the project's
 * own Firecracker-format files (examples/firecracker/, no third-party data
 * needed): the README's example, a platform kvmprof does not know named with
 * --platform, inputs that would write the same profile refused before
 * anything is written, and the MSRs newer kernels list left out as vCPU
 * state by name.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shell.h"

#define run(out, ...) shell_run(out, 1, __VA_ARGS__)

#define FC "examples/firecracker"

static char kvmprof[PATH_MAX];
static char workdir[64];

static void test_readme_example(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s import --from firecracker " FC "/tmpl_hide_avx512.json -o %s/hide-avx512.yaml && "
				   "%s lint -Werror %s/hide-avx512.yaml && cat %s/hide-avx512.yaml",
			     kvmprof, workdir, kvmprof, workdir, workdir), 0);
	assert_non_null(strstr(out, "name: \"hide-avx512\""));
	assert_non_null(strstr(out, "CPUID.0x7.0x0.EBX: {AVX512VL: 0, AVX512BW: 0, AVX512CD: 0, AVX512DQ: 0, AVX512F: 0, significant-index: true}"));
	assert_non_null(strstr(out, "IA32_ARCH_CAPABILITIES: {MDS_NO: 0}"));
	free(out);
}

static void test_platform_named_by_user(void **state)
{
	char *out;

	(void)state;
	/* unknown platform: the name says so and the note says how to name it */
	assert_int_equal(run(&out, "sh -c '%s import --from firecracker " FC "/fingerprint_ACME_X1_6.1host.json 2>&1 >/dev/null'",
			     kvmprof), 0);
	assert_non_null(strstr(out, "platform ACME_X1 is not one kvmprof knows; --platform NAME names it (linux-6.1-x86_64-NAME)"));
	free(out);
	assert_int_equal(run(&out, "(%s import --from firecracker --platform acme-x1 --common linux-common-x86_64-acme-x1 "
				   "-d %s " FC "/fingerprint_ACME_X1_6.1host.json " FC "/fingerprint_ACME_X1_6.12host.json && "
				   "ls %s && cat %s/linux-6.12-x86_64-acme-x1.yaml)",
			     kvmprof, workdir, workdir, workdir), 0);
	assert_non_null(strstr(out, "linux-6.1-x86_64-acme-x1.yaml\n"));
	assert_non_null(strstr(out, "linux-common-x86_64-acme-x1.yaml\n"));
	assert_non_null(strstr(out, "base: \"linux-common-x86_64-acme-x1\""));
	assert_non_null(strstr(out, "\"platform\": \"acme-x1 (named with --platform)\""));
	/* the state MSRs newer kernels list are left out by name, never kept raw */
	assert_non_null(strstr(out, "3 vCPU state registers left out of the profile"));
	assert_non_null(strstr(out, "IA32_DEBUGCTL, IA32_XSS, IA32_U_CET"));
	assert_null(strstr(out, "MSR.0x1d9"));
	free(out);
	assert_int_equal(run(&out, "%s import --from firecracker --platform 'Bad Name' " FC "/fingerprint_ACME_X1_6.1host.json",
			     kvmprof), 2);
	free(out);
}

/* Two inputs that map to one output name: refused, and nothing is written. */
static void test_common_refuses_same_output_name(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(NULL, "mkdir -p %s/same %s/copy && cp " FC "/fingerprint_ACME_X1_6.1host.json %s/copy/",
			     workdir, workdir, workdir), 0);
	assert_int_equal(run(&out, "%s import --from firecracker --platform acme-x1 --common acme-common -d %s/same "
				   FC "/fingerprint_ACME_X1_6.1host.json %s/copy/fingerprint_ACME_X1_6.1host.json",
			     kvmprof, workdir, workdir), 1);
	assert_non_null(strstr(out, "copy/fingerprint_ACME_X1_6.1host.json: error: imports to linux-6.1-x86_64-acme-x1, as "
				    FC "/fingerprint_ACME_X1_6.1host.json does: one would overwrite the other"));
	free(out);
	assert_int_equal(run(&out, "ls %s/same | wc -l", workdir), 0);
	assert_string_equal(out, "0\n");
	free(out);
	/* without --common too, and the common name itself */
	assert_int_equal(run(NULL, "%s import --from firecracker --platform acme-x1 -d %s/same "
				   FC "/fingerprint_ACME_X1_6.1host.json %s/copy/fingerprint_ACME_X1_6.1host.json",
			     kvmprof, workdir, workdir), 1);
	assert_int_equal(run(&out, "%s import --from firecracker --platform acme-x1 --common linux-6.1-x86_64-acme-x1 -d %s/same "
				   FC "/fingerprint_ACME_X1_6.1host.json " FC "/fingerprint_ACME_X1_6.12host.json",
			     kvmprof, workdir), 1);
	assert_non_null(strstr(out, "imports to linux-6.1-x86_64-acme-x1, the name given to --common"));
	free(out);
	assert_int_equal(run(&out, "ls %s/same | wc -l", workdir), 0);
	assert_string_equal(out, "0\n");
	free(out);
}

/* A newcomer's clone has no ../shared: README, docs, man pages, examples and contrib
 * point only inside the project. */
static void test_docs_stay_inside_the_project(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "grep -rn -e '\\.\\./shared' -e '/work/' README.md docs man examples contrib"), 1);
	if (out[0])
		fail_msg("these lines point outside the project:\n%s", out);
	free(out);
}

static int setup(void **state)
{
	(void)state;
	return shell_fixture("test-import", kvmprof, sizeof(kvmprof), workdir, sizeof(workdir));
}

static int teardown(void **state)
{
	(void)state;
	return shell_run(NULL, 1, "rm -rf %s", workdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_example),
		cmocka_unit_test(test_platform_named_by_user),
		cmocka_unit_test(test_common_refuses_same_output_name),
		cmocka_unit_test(test_docs_stay_inside_the_project),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
