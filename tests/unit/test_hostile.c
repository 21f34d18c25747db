/* SPDX-License-Identifier: MIT */
/*
 * test_hostile.c - hostile input and outputs that never clobber, through the
 * kvmprof command as users run it. Each test is a reproducer of a defect a
 * fuzzing and hostile-input campaign found (issue 12): a crash, a device or
 * link replaced by -o, an input read without end, an expansion or error
 * stream without bound, quadratic time, or a silently wrong answer. The
 * limits asserted here are the ones docs/profile-format.md states.
 *
 * Every command runs with its CPU time, memory and clock time bounded: a
 * hang or a blow-up fails the test (status 124 or a signal) instead of
 * stopping the suite or the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "shell.h"

/* A command that reads without end must fail, not take the machine: its
 * memory is capped (ASan reserves address space, so there by RSS). */
#if defined(__SANITIZE_ADDRESS__)
#define MEM_CAP "ASAN_OPTIONS=hard_rss_limit_mb=2048 "
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_CAP "ASAN_OPTIONS=hard_rss_limit_mb=2048 "
#endif
#endif
#ifndef MEM_CAP
#define MEM_CAP "ulimit -v 2097152; "
#endif

/* Runs the command through sh with stdout and stderr together (*out, or
 * discarded when out is NULL); more than 30 s of CPU (SIGXCPU) or 300 s on
 * the clock (124: a hang) fails it. CPU time, not the clock, bounds the
 * work: the machine may be busy. A sanitizer report fails the test
 * whatever the exit status. */
__attribute__((format(printf, 2, 3)))
static int run(char **out, const char *fmt, ...)
{
	char cmd[8192], *text;
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = shell_run(&text, 1, MEM_CAP "ulimit -t 30; timeout 300 %s", cmd);
	if (strstr(text, "Sanitizer") || strstr(text, "runtime error:"))
		fail_msg("sanitizer report from: %s\n%s", cmd, text);
	if (out)
		*out = text;
	else
		free(text);
	return st;
}

static char kvmprof[PATH_MAX]; /* BUILD/kvmprof */
static char workdir[64];       /* a private temporary directory */
static char path_buf[8][PATH_MAX];

/* workdir/name (8 rotating buffers) */
static const char *wpath(const char *name)
{
	static int next;
	char *p = path_buf[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", workdir, name);
	return p;
}

#define write_file(path, text) assert_int_equal(shell_write_file(NULL, path, text), 0)

static char *read_file(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r"), *mem = open_memstream(&text, &len);
	int c;

	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		fputc(c, mem);
	fclose(f);
	fclose(mem);
	return text;
}

#define PROFILE_HEAD(name) "kvmprof: 1\nname: " name "\narch: arm64\ndescription: test\n"

/* A valid arm64 profile workdir/NAME.yaml with `extra` appended. */
static const char *profile(const char *name, const char *extra)
{
	char text[4096];
	const char *path = wpath(name);

	snprintf(text, sizeof(text),
		 "kvmprof: 1\nname: %.*s\narch: arm64\ndescription: test\n%s", (int)(strlen(name) - 5), name, extra);
	write_file(path, text);
	return path;
}

/* Not killed, not timed out: an exit status the CLI chose. */
static void assert_clean_exit(int status)
{
	assert_true(status >= 0 && status <= 2);
}

static int no_temporaries(void)
{
	return shell_run(NULL, 0, "ls -a %s | grep -q '\\.tmp\\.'", workdir) != 0;
}

/* ---- 1. unbounded recursion: aliases and nesting -------------------------- */

static void test_alias_cycle_is_an_error(void **state)
{
	const char *p = profile("cycle.yaml", "provenance:\n  x: &a [*a]\n");
	char *out;
	int st;

	(void)state;
	for (const char *const *verb = (const char *const[]){ "compile -o /dev/null", "lint", "show", NULL }; *verb;
	     verb++) {
		st = run(&out, "%s %s %s", kvmprof, *verb, p);
		assert_int_equal(st, 1);
		assert_non_null(strstr(out, "cycle.yaml:6:10: error: alias '*a' refers to the node it is part of"));
		free(out);
	}
	st = run(&out, "%s diff %s %s", kvmprof, p, p);
	assert_clean_exit(st);
	assert_non_null(strstr(out, "refers to the node it is part of"));
	free(out);
	st = run(&out, "%s check %s --against %s", kvmprof, p, p);
	assert_clean_exit(st);
	assert_non_null(strstr(out, "refers to the node it is part of"));
	free(out);
}

static void test_deep_nesting_is_an_error(void **state)
{
	const char *p = wpath("deep.yaml");
	FILE *f = fopen(p, "w");
	char *out;

	(void)state;
	assert_non_null(f);
	fputs(PROFILE_HEAD("deep") "provenance:\n  x: ", f);
	for (int i = 0; i < 100000; i++)
		fputc('[', f);
	fclose(f);
	assert_int_equal(run(&out, "%s compile %s -o %s", kvmprof, p, wpath("deep.c")), 1);
	assert_non_null(strstr(out, "deep.yaml:6:"));
	assert_non_null(strstr(out, "nested more than 64 levels deep"));
	free(out);
	assert_int_equal(access(wpath("deep.c"), F_OK), -1);
}

/* The 426-byte billion laughs: nine levels of ten aliases each. */
static void test_billion_laughs_is_refused(void **state)
{
	const char *p = profile("laughs.yaml", "provenance:\n"
					      "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
					      "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
					      "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
					      "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
					      "  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
					      "  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
					      "  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
					      "  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
					      "  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n");
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s compile %s -o %s", kvmprof, p, wpath("laughs.c")), 1);
	assert_non_null(strstr(out, "aliases expand to more than 10000 nodes"));
	free(out);
	assert_int_equal(access(wpath("laughs.c"), F_OK), -1);
	/* a few aliases are fine */
	p = profile("alias-ok.yaml", "provenance:\n  a: &a [one, two]\n  b: *a\n");
	assert_int_equal(run(&out, "%s show %s", kvmprof, p), 0);
	assert_non_null(strstr(out, "\"b[1]\": \"two\""));
	free(out);
}

/* ---- 2. outputs that never clobber ---------------------------------------- */

/* -o naming a device node (a private copy of /dev/null's) leaves it a device. */
static void test_output_device_is_refused(void **state)
{
	const char *p = profile("dev-out.yaml", ""), *node = wpath("null");
	struct stat st;
	char *out;

	(void)state;
	if (mknod(node, S_IFCHR | 0666, makedev(1, 3)) != 0) {
		printf("SKIP: cannot make a device node (%s): the -o device case needs root\n", strerror(errno));
		skip();
	}
	assert_int_equal(run(&out, "%s compile %s -o %s", kvmprof, p, node), 1);
	assert_non_null(strstr(out, "is a character device, not a regular file"));
	free(out);
	assert_int_equal(stat(node, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

static void test_output_directory_and_stdout(void **state)
{
	const char *p = profile("dir-out.yaml", "");
	char *out;

	(void)state;
	/* a directory */
	mkdir(wpath("outdir"), 0700);
	assert_int_equal(run(&out, "%s compile %s -o %s", kvmprof, p, wpath("outdir")), 1);
	assert_non_null(strstr(out, "is a directory, not a regular file"));
	free(out);
	/* "-o -" is stdout */
	assert_int_equal(run(&out, "%s compile %s -o -", kvmprof, p), 0);
	assert_non_null(strstr(out, "struct kvmprof_profile"));
	free(out);
	assert_int_equal(access(wpath("-"), F_OK), -1);
	assert_true(no_temporaries());
}

static void test_output_symlink_and_input_are_refused(void **state)
{
	char p[PATH_MAX], link[PATH_MAX], target[PATH_MAX]; /* wpath() reuses its buffers */
	char *before = NULL, *after, *out;
	struct stat st;

	(void)state;
	strcpy(p, profile("self.yaml", ""));
	strcpy(link, wpath("link.c"));
	strcpy(target, wpath("target.c"));
	write_file(target, "keep me\n");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(run(&out, "%s compile %s -o %s", kvmprof, p, link), 1);
	assert_non_null(strstr(out, "is a symbolic link"));
	free(out);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	after = read_file(target);
	assert_string_equal(after, "keep me\n");
	free(after);
	/* asked: the file it points to is replaced, the link stays */
	assert_int_equal(run(&out, "%s --follow-symlinks compile %s -o %s", kvmprof, p, link), 0);
	free(out);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	after = read_file(target);
	assert_non_null(strstr(after, "struct kvmprof_profile"));
	free(after);
	/* a link to a device stays refused */
	assert_int_equal(symlink("/dev/null", wpath("null-link.c")), 0);
	assert_int_equal(run(&out, "%s compile --follow-symlinks %s -o %s", kvmprof, p, wpath("null-link.c")), 1);
	assert_non_null(strstr(out, "is a character device, not a regular file"));
	free(out);

	/* -o naming the input (also by another path) keeps the profile */
	before = read_file(p);
	assert_int_equal(run(&out, "%s compile %s -o %s/./self.yaml", kvmprof, p, workdir), 1);
	assert_non_null(strstr(out, "is the input"));
	free(out);
	after = read_file(p);
	assert_string_equal(before, after);
	free(after);

	/* --header equal to -o */
	assert_int_equal(run(&out, "%s compile %s -o %s --header %s", kvmprof, p, wpath("same.c"), wpath("same.c")), 2);
	assert_non_null(strstr(out, "--header and -o name the same file"));
	free(out);
	assert_int_equal(access(wpath("same.c"), F_OK), -1);

	free(before);
	/* import and export -o naming their input */
	write_file(wpath("tmpl.json"), "{\"msr_modifiers\": [{\"addr\": \"0x10a\", \"bitmap\": \"0b1\"}], "
				       "\"cpuid_modifiers\": []}");
	before = read_file(wpath("tmpl.json"));
	assert_int_equal(run(&out, "%s import --from firecracker %s -o %s", kvmprof, wpath("tmpl.json"),
			     wpath("tmpl.json")), 1);
	assert_non_null(strstr(out, "is the input"));
	free(out);
	after = read_file(wpath("tmpl.json"));
	assert_string_equal(before, after);
	free(after);
	free(before);
	before = read_file(p);
	assert_int_equal(run(&out, "%s export --to firecracker %s -o %s", kvmprof, p, p), 1);
	assert_non_null(strstr(out, "is the input"));
	free(out);
	after = read_file(p);
	assert_string_equal(before, after);
	free(after);
	free(before);
	assert_true(no_temporaries());
}

/* A fatal signal while the output is written removes the temporary: here
 * SIGXFSZ, from a 1 KiB file size limit (deterministic, unlike a kill). */
static void test_signal_during_write_removes_temporary(void **state)
{
	const char *p = profile("big.yaml", "vcpu:\n  registers:\n    ID_AA64PFR0_EL1: {GIC: 1, CSV2: 1}\n"
					    "    ID_AA64ISAR0_EL1: {AES: 2, SHA1: 1}\n");
	int st;

	(void)state;
	st = shell_run(NULL, 1, "ulimit -f 1; exec %s compile %s -o %s", kvmprof, p, wpath("big.c"));
	assert_true(st == 128 + 25 || st == 128); /* SIGXFSZ, as the shell or shell_run reports it */
	assert_true(no_temporaries());
	assert_int_equal(access(wpath("big.c"), F_OK), -1);
}

/* ---- 3. bounded inputs --------------------------------------------------- */

static void test_inputs_must_be_regular_files(void **state)
{
	const char *fifo = wpath("fifo.yaml"), *big = wpath("big.yaml");
	char *out;
	FILE *f;

	(void)state;
	assert_int_equal(run(&out, "%s compile /dev/zero -o %s", kvmprof, wpath("z.c")), 1);
	assert_non_null(strstr(out, "/dev/zero: error: is a character device, not a regular file"));
	free(out);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(run(&out, "%s lint %s", kvmprof, fifo), 1);
	assert_non_null(strstr(out, "is a FIFO, not a regular file"));
	free(out);
	assert_int_equal(run(&out, "%s lint %s", kvmprof, workdir), 1);
	assert_non_null(strstr(out, "is a directory, not a regular file"));
	free(out);
	assert_int_equal(run(&out, "%s import --from firecracker /dev/urandom -o %s", kvmprof, wpath("u.yaml")), 1);
	assert_non_null(strstr(out, "not a regular file"));
	free(out);
	assert_int_equal(run(&out, "%s check %s --against %s", kvmprof, profile("plain.yaml", ""), fifo), 2);
	assert_non_null(strstr(out, "is a FIFO, not a regular file"));
	free(out);

	/* a base that is a device or a FIFO */
	assert_int_equal(symlink("/dev/zero", wpath("zero.yaml")), 0);
	assert_int_equal(run(&out, "%s lint %s", kvmprof, profile("on-zero.yaml", "base: zero\n")), 1);
	assert_non_null(strstr(out, "not a regular file"));
	free(out);
	assert_int_equal(run(&out, "%s lint %s", kvmprof, profile("on-fifo.yaml", "base: fifo\n")), 1);
	assert_non_null(strstr(out, "is a FIFO, not a regular file"));
	free(out);

	/* larger than the cap */
	f = fopen(big, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 17 << 20), 0);
	fclose(f);
	assert_int_equal(run(&out, "%s lint %s", kvmprof, big), 1);
	assert_non_null(strstr(out, "is larger than the 16 MiB limit of an input"));
	free(out);
}

/* Errors printed are capped, and so is each quoted source line. */
static void test_error_output_is_bounded(void **state)
{
	const char *p = wpath("errors.yaml");
	FILE *f = fopen(p, "w");
	char *out, *line, *save = NULL;
	size_t longest = 0;

	(void)state;
	assert_non_null(f);
	fputs(PROFILE_HEAD("errors") "vcpu:\n  registers: {", f);
	for (int i = 0; i < 10000; i++)
		fprintf(f, "%sNOPE%d_EL1: 1", i ? ", " : "", i);
	fputs("}\n", f);
	fclose(f);
	/* within 1 CPU-second: a "did you mean" for each of 10,000 unknown names
	 * (a walk of the register database each) took more; only the printed get one */
	assert_int_equal(shell_run(&out, 1, MEM_CAP "ulimit -t 1; timeout 300 %s lint %s", kvmprof, p), 1);
	assert_non_null(strstr(out, "and 9950 more errors not shown"));
	assert_true(strlen(out) < 64 * 1024);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > longest)
			longest = strlen(line);
	assert_true(longest <= 300);
	free(out);

	/* one long line of bad JSON: 2,001 errors quoting it printed 256 MB before */
	f = fopen(wpath("flood.json"), "w");
	assert_non_null(f);
	fputs("{\"msr_modifiers\": [", f);
	for (int i = 0; i < 2000; i++)
		fputs("{\"addr\": \"zz\", \"bitmap\": \"0b2\"}, ", f);
	fputs("{}]}\n", f);
	fclose(f);
	assert_int_equal(run(&out, "%s import --from firecracker %s -o %s", kvmprof, wpath("flood.json"),
			     wpath("flood.yaml")), 1);
	assert_true(strlen(out) < 64 * 1024);
	assert_non_null(strstr(out, "more errors not shown"));
	free(out);
	assert_int_equal(access(wpath("flood.yaml"), F_OK), -1);
}

/* 100,000 keys take linear time: far less than 5 s of CPU, even under ASan
 * (the quadratic reader took 29 s for 80,000). */
static void test_many_keys_are_linear(void **state)
{
	const char *p = wpath("keys.yaml");
	FILE *f = fopen(p, "w");
	char *out;

	(void)state;
	assert_non_null(f);
	fputs(PROFILE_HEAD("keys") "provenance:\n", f);
	for (int i = 0; i < 100000; i++)
		fprintf(f, "  key%06d: value\n", i);
	fputs("  key000042: again\n", f);
	fclose(f);
	assert_int_equal(shell_run(&out, 1, MEM_CAP "ulimit -t 5; timeout 300 %s lint %s", kvmprof, p), 1);
	assert_non_null(strstr(out, "keys.yaml:100006:3: error: key 'key000042' is stated twice"));
	free(out);
}

static void test_capture_lists_are_capped(void **state)
{
	const char *p = wpath("list.yaml");
	FILE *f = fopen(p, "w");
	char *out;

	(void)state;
	assert_non_null(f);
	fputs(PROFILE_HEAD("list") "host:\n  kernel: 6.1.0\n  reg-list: [", f);
	for (int i = 0; i < 200000; i++)
		fprintf(f, "%s0x%llx", i ? ", " : "", 0x6030000000100000ull + (unsigned long long)i);
	fputs("]\n", f);
	fclose(f);
	assert_int_equal(run(&out, "%s check %s --against %s", kvmprof, profile("want.yaml", ""), p), 2);
	assert_non_null(strstr(out, "more than 16384 entries"));
	free(out);
}

/* ---- 4. strict readers --------------------------------------------------- */

static void test_capture_duplicate_keys(void **state)
{
	const char *cap = profile("dup-cap.yaml", "host:\n  kernel: 6.1.0\n  capabilities: {KVM_CAP_ONE_REG: 1, "
						  "KVM_CAP_ONE_REG: 0}\n"),
		   *cap2 = profile("dup-cap2.yaml", "host:\n  kernel: 6.1.0\n  msr-values: {0x10: 1}\n"
						    "  msr-values: {0x11: 2}\n"),
		   *cap3 = profile("dup-cap3.yaml", "host:\n  kernel: 6.1.0\n  reg-values: {0x10: 1, 16: 2}\n");
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s check %s --against %s", kvmprof, profile("w.yaml", ""), cap), 2);
	assert_non_null(strstr(out, "dup-cap.yaml:7:38: error: key 'KVM_CAP_ONE_REG' is stated twice"));
	free(out);
	assert_int_equal(run(&out, "%s check %s --against %s", kvmprof, wpath("w.yaml"), cap2), 2);
	assert_non_null(strstr(out, "dup-cap2.yaml:8:3: error: key 'msr-values' is stated twice"));
	free(out);
	assert_int_equal(run(&out, "%s check %s --against %s", kvmprof, wpath("w.yaml"), cap3), 2);
	assert_non_null(strstr(out, "dup-cap3.yaml:7:25: error: register 0x10 is stated twice"));
	free(out);
}

static void test_nul_in_string_is_an_error(void **state)
{
	const char *p = profile("nul.yaml", "requires: \"kernel >= 6.1\\0 && kernel >= 99.0\"\n");
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s compile %s -o %s", kvmprof, p, wpath("nul.c")), 1);
	assert_non_null(strstr(out, "nul.yaml:5:11: error: a NUL character in a string"));
	free(out);
	assert_int_equal(access(wpath("nul.c"), F_OK), -1);
}

static void test_second_document_is_an_error(void **state)
{
	const char *p = profile("two.yaml", "---\nkvmprof: 1\nname: other\narch: x86_64\n");
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s lint %s", kvmprof, p), 1);
	assert_non_null(strstr(out, "two.yaml:5:1: error: more than one YAML document"));
	free(out);
}

static void test_base_is_a_name_not_a_path(void **state)
{
	char *out;

	(void)state;
	profile("real-base.yaml", "");
	mkdir(wpath("sub"), 0700);
	write_file(wpath("sub/child.yaml"), PROFILE_HEAD("child") "base: ../real-base\n");
	assert_int_equal(run(&out, "%s lint %s", kvmprof, wpath("sub/child.yaml")), 1);
	assert_non_null(strstr(out, "child.yaml:5:7: error: base '../real-base' must be a profile name"));
	free(out);
	write_file(wpath("sub/abs.yaml"), PROFILE_HEAD("abs") "base: /etc/passwd\n");
	assert_int_equal(run(&out, "%s lint %s", kvmprof, wpath("sub/abs.yaml")), 1);
	assert_non_null(strstr(out, "base '/etc/passwd' must be a profile name"));
	free(out);
	/* the same name next to the file works */
	assert_int_equal(run(&out, "%s lint %s", kvmprof, profile("good-child.yaml", "base: real-base\n")), 0);
	free(out);
}

static void test_symbol_must_be_an_identifier(void **state)
{
	const char *p = profile("sym.yaml", "");
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s compile %s -o %s --symbol int", kvmprof, p, wpath("sym.c")), 2);
	assert_non_null(strstr(out, "--symbol 'int' is a C keyword"));
	free(out);
	assert_int_equal(run(&out, "%s compile %s -o %s --symbol 9lives", kvmprof, p, wpath("sym.c")), 2);
	assert_non_null(strstr(out, "--symbol '9lives' is not a C identifier"));
	free(out);
	assert_int_equal(run(&out, "%s compile %s -o %s --symbol 'a-b'", kvmprof, p, wpath("sym.c")), 2);
	free(out);
	assert_int_equal(access(wpath("sym.c"), F_OK), -1);
	assert_int_equal(run(&out, "%s compile %s -o %s --symbol my_profile", kvmprof, p, wpath("sym.c")), 0);
	free(out);
}

static int setup(void **state)
{
	(void)state;
	return shell_fixture("hostile", kvmprof, sizeof(kvmprof), workdir, sizeof(workdir));
}

static int teardown(void **state)
{
	(void)state;
	return shell_run(NULL, 0, "rm -rf %s", workdir);
}

/* Plain literals skip the expression parser (formats/yaml_in.c): the same
 * values as the parser's, and what the parser refuses still refused. */
static void test_plain_literals_read_as_the_parser_does(void **state)
{
	const char *regs = "vcpu:\n  registers:\n    ID_AA64PFR0_EL1: %s\n    CTR_EL0: %s\n    TPIDR_EL1: %s\n";
	char plain[512], parsed[512], *a = NULL, *b = NULL, *err = NULL;
	const char *pa, *pb;

	(void)state;
	snprintf(plain, sizeof(plain), regs, "0x1100000011111112", "2222", "18446744073709551615");
	snprintf(parsed, sizeof(parsed), regs, "(0x1100000011111112)", "(2222)", "(18446744073709551615)");
	pa = profile("lit_plain.yaml", plain);
	pb = profile("lit_parsed.yaml", parsed);
	assert_int_equal(run(&a, "%s show %s | grep -v -e '^name' -e '^#'", kvmprof, pa), 0);
	assert_int_equal(run(&b, "%s show %s | grep -v -e '^name' -e '^#'", kvmprof, pb), 0);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "0x1100000011111112"));
	free(a);
	free(b);
	snprintf(plain, sizeof(plain), regs, "0123", "0x10000000000000000", "0x1f");
	assert_int_equal(run(&err, "%s compile %s -o %s", kvmprof, profile("lit_bad.yaml", plain), wpath("lit_bad.c")), 1);
	assert_non_null(strstr(err, "has a leading zero"));
	assert_non_null(strstr(err, "does not fit in 64 bits"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alias_cycle_is_an_error),
		cmocka_unit_test(test_deep_nesting_is_an_error),
		cmocka_unit_test(test_billion_laughs_is_refused),
		cmocka_unit_test(test_output_device_is_refused),
		cmocka_unit_test(test_output_directory_and_stdout),
		cmocka_unit_test(test_output_symlink_and_input_are_refused),
		cmocka_unit_test(test_signal_during_write_removes_temporary),
		cmocka_unit_test(test_inputs_must_be_regular_files),
		cmocka_unit_test(test_error_output_is_bounded),
		cmocka_unit_test(test_many_keys_are_linear),
		cmocka_unit_test(test_capture_lists_are_capped),
		cmocka_unit_test(test_capture_duplicate_keys),
		cmocka_unit_test(test_nul_in_string_is_an_error),
		cmocka_unit_test(test_second_document_is_an_error),
		cmocka_unit_test(test_base_is_a_name_not_a_path),
		cmocka_unit_test(test_symbol_must_be_an_identifier),
		cmocka_unit_test(test_plain_literals_read_as_the_parser_does),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
