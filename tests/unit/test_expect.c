/* SPDX-License-Identifier: MIT */
/*
 * test_expect.c - `kvmprof test`: a profile repository's expectations file
 * (hash, lint clean, check verdicts and what blocks them), checked in a
 * temporary folder: what is met, each kind of expectation not met reported
 * at its file:line:col with exit 1, malformed files with exit 2, --update
 * rewriting only the values that changed (comments kept), --record writing a
 * file that passes.
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

static char kvmprof[PATH_MAX];
static char workdir[64];

/* Writes text to workdir/name. */
#define write_file(name, text) assert_int_equal(shell_write_file(workdir, name, text), 0)

static char hash_of(const char *profile, char *out)
{
	char *text;

	assert_int_equal(run(&text, "%s show %s/repo/%s.yaml | sed -n '1s/.*(\\(.*\\))$/\\1/p'", kvmprof, workdir,
			     profile), 0);
	text[strcspn(text, "\n")] = '\0';
	strcpy(out, text);
	free(text);
	return 0;
}

/* repo/: a base, a child, and a real 6.12 arm64 capture (accepts GICD_IIDR revision 2..3). */
static void make_repo(void)
{
	assert_int_equal(run(NULL, "rm -rf %s/repo && mkdir -p %s/repo && cp tests/corpus/captures/linux-6.12-arm64-capture.yaml %s/repo/",
			     workdir, workdir, workdir), 0);
	write_file("repo/base.yaml", "kvmprof: 1\nname: base\narch: arm64\ndescription: a base\nprovenance:\n  kind: authored\n"
				     "vcpu:\n  features:\n    psci-0.2: on\ndevices:\n  vgic-v3:\n    GICD_IIDR: {Revision: 2}\n");
	write_file("repo/child.yaml", "kvmprof: 1\nname: child\narch: arm64\ndescription: a child\nbase: base\n"
				      "provenance:\n  kind: authored\ndevices:\n  vgic-v3:\n    GICD_IIDR: {Revision: 1}\n");
}

static void test_met_and_not_met(void **state)
{
	char hb[64], hc[64], text[4096], *out;

	(void)state;
	make_repo();
	hash_of("base", hb);
	hash_of("child", hc);
	assert_non_null(strstr(hb, "fnv1a64:"));
	snprintf(text, sizeof(text),
		 "# the fleet's promises\n"
		 "kvmprof-expectations: 1\n"
		 "defaults:\n"
		 "  lint: clean\n"
		 "profiles:\n"
		 "  base:\n"
		 "    hash: %s\n"
		 "    check:\n"
		 "      linux-6.12-arm64-capture: yes\n"
		 "  child:\n"
		 "    hash: %s\n"
		 "    check:\n"
		 "      linux-6.12-arm64-capture: {verdict: no, blocked-by: [GICD_IIDR]}\n",
		 hb, hc);
	write_file("repo/expect.yml", text);
	assert_int_equal(run(&out, "%s test -v %s/repo/expect.yml", kvmprof, workdir), 0);
	assert_non_null(strstr(out, "ok    base: hash: fnv1a64:"));
	assert_non_null(strstr(out, "ok    child: check against linux-6.12-arm64-capture: no, blocked by [GICD_IIDR]\n"));
	assert_non_null(strstr(out, "ok    child: lint: clean\n"));
	assert_non_null(strstr(out, "6 expectations: 6 met, 0 not met\n"));
	free(out);

	/* the child's revision becomes 3: its hash changes, 6.12 accepts it, and lint now warns
	 * (the child restates its base's... no: a raw value) - each reported where it is stated */
	assert_int_equal(run(NULL, "sed -i 's/Revision: 1/Revision: 3/' %s/repo/child.yaml", workdir), 0);
	assert_int_equal(run(&out, "%s test %s/repo/expect.yml", kvmprof, workdir), 1);
	assert_non_null(strstr(out, "expect.yml:11:11: error: child: hash: expected fnv1a64:"));
	assert_non_null(strstr(out, "expect.yml:13:43: error: child: check against linux-6.12-arm64-capture: expected no, got yes [expectation]"));
	assert_non_null(strstr(out, "6 expectations: 4 met, 2 not met\n"));
	assert_non_null(strstr(out, "kvmprof test --update FILE"));
	free(out);

	/* --update takes the change: hash and verdict rewritten in place, the rest untouched */
	assert_int_equal(run(&out, "%s test --update %s/repo/expect.yml", kvmprof, workdir), 0);
	assert_non_null(strstr(out, "3 values updated, 0 profiles added, 0 not met that --update cannot change"));
	free(out);
	assert_int_equal(run(&out, "cat %s/repo/expect.yml", workdir), 0);
	assert_non_null(strstr(out, "# the fleet's promises\n"));
	assert_non_null(strstr(out, "      linux-6.12-arm64-capture: {verdict: yes, blocked-by: []}\n"));
	assert_null(strstr(out, hc));
	free(out);
	assert_int_equal(run(&out, "%s test %s/repo/expect.yml", kvmprof, workdir), 0);
	free(out);

	/* a profile removed, an unknown capture, lint no longer clean */
	assert_int_equal(run(NULL, "cd %s/repo && mv child.yaml gone && printf '    ID_AA64PFR0_EL1: 0x1100000011111111\\n' > /dev/null && "
				   "printf 'vcpu:\\n  registers:\\n    MIDR_EL1: 0x410fd0c0\\n' >> base.yaml && "
				   "sed -i 's/linux-6.12-arm64-capture: yes/no-such-host: yes/' expect.yml", workdir), 0);
	assert_int_equal(run(&out, "%s test %s/repo/expect.yml", kvmprof, workdir), 1);
	assert_non_null(strstr(out, "base: check against no-such-host: cannot tell: no capture no-such-host.yaml in the captures folders"));
	assert_non_null(strstr(out, "child: hash: cannot tell: no profile "));
	assert_non_null(strstr(out, "base: lint: expected clean, got: "));
	free(out);
}

static void test_every_profile_and_bad_files(void **state)
{
	char *out;

	(void)state;
	make_repo();
	write_file("repo/e.yml", "kvmprof-expectations: 1\nevery-profile: true\nprofiles:\n  base: {lint: clean}\n");
	assert_int_equal(run(&out, "%s test %s/repo/e.yml", kvmprof, workdir), 1);
	assert_non_null(strstr(out, "e.yml:2:1: error: child: every profile needs expectations"));
	assert_non_null(strstr(out, "linux-6.12-arm64-capture: every profile needs expectations"));
	free(out);
	/* --update adds them, as --record would state them */
	assert_int_equal(run(&out, "%s test --update %s/repo/e.yml", kvmprof, workdir), 0);
	assert_non_null(strstr(out, "0 values updated, 2 profiles added, 0 not met"));
	free(out);
	assert_int_equal(run(&out, "cat %s/repo/e.yml", workdir), 0);
	assert_non_null(strstr(out, "  base: {lint: clean}\n  child:\n    hash: fnv1a64:"));
	assert_non_null(strstr(out, "    lint: clean\n    check:\n      linux-6.12-arm64-capture: {verdict: no, blocked-by: [GICD_IIDR]}\n"));
	free(out);
	assert_int_equal(run(&out, "%s test %s/repo/e.yml", kvmprof, workdir), 0);
	free(out);

	write_file("repo/bad.yml", "kvmprof-expectations: 1\nprofiles:\n  base:\n    hsah: fnv1a64:0\n"
				   "    check:\n      linux-6.12-arm64-capture: maybe\n");
	assert_int_equal(run(&out, "%s test %s/repo/bad.yml", kvmprof, workdir), 2);
	assert_non_null(strstr(out, "bad.yml:4:5: error: unknown key 'hsah' in a profile's expectations (did you mean 'hash'? known: hash, lint, check)"));
	assert_non_null(strstr(out, "bad.yml:6:33: error: a verdict is yes, no or unknown"));
	free(out);
	write_file("repo/bad2.yml", "profiles: {}\n");
	assert_int_equal(run(&out, "%s test %s/repo/bad2.yml", kvmprof, workdir), 2);
	assert_non_null(strstr(out, "the file must state 'kvmprof-expectations: 1'"));
	free(out);
	assert_int_equal(run(&out, "%s test %s/repo/none.yml", kvmprof, workdir), 2);
	assert_non_null(strstr(out, "none.yml: error: cannot open: No such file or directory"));
	free(out);
	assert_int_equal(run(NULL, "%s test", kvmprof), 2);
	assert_int_equal(run(NULL, "%s test --record", kvmprof), 2);
}

static void test_record_passes(void **state)
{
	char *out;

	(void)state;
	make_repo();
	assert_int_equal(run(NULL, "%s test --record %s/repo -o %s/repo/rec.yml", kvmprof, workdir, workdir), 0);
	assert_int_equal(run(&out, "cat %s/repo/rec.yml", workdir), 0);
	assert_non_null(strstr(out, "every-profile: true"));
	assert_non_null(strstr(out, "  child:\n    hash: fnv1a64:"));
	assert_non_null(strstr(out, "      linux-6.12-arm64-capture: {verdict: no, blocked-by: [GICD_IIDR]}\n"));
	free(out);
	assert_int_equal(run(&out, "%s test %s/repo/rec.yml", kvmprof, workdir), 0);
	assert_non_null(strstr(out, " 0 not met\n"));
	free(out);
}

static int setup(void **state)
{
	(void)state;
	return shell_fixture("test-expect", kvmprof, sizeof(kvmprof), workdir, sizeof(workdir));
}

static int teardown(void **state)
{
	(void)state;
	return shell_run(NULL, 1, "rm -rf %s", workdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_met_and_not_met),
		cmocka_unit_test(test_every_profile_and_bad_files),
		cmocka_unit_test(test_record_passes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
