/* SPDX-License-Identifier: MIT */
/*
 * test_cli.c - the kvmprof command as users run it (the binary next to this
 * test's build directory): exit codes, usage errors, atomic output, lint's
 * review rules, and every shipped profile compiling to identical bytes that
 * a strict C compiler accepts.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shell.h"

#include "golden.h"

#include "cli_run.h"
#include "input.h"

/* Tests run the CLI with stdout and stderr together. */
#define run(out, ...) shell_run(out, 1, __VA_ARGS__)

static char kvmprof[PATH_MAX]; /* BUILD/kvmprof */
static char workdir[64];       /* a private temporary directory */


#define write_file(path, text) assert_int_equal(shell_write_file(NULL, path, text), 0)

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_usage_errors(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s", kvmprof), 2);
	assert_non_null(strstr(out, "usage: kvmprof"));
	free(out);
	assert_int_equal(run(&out, "%s frobnicate", kvmprof), 2);
	assert_non_null(strstr(out, "unknown verb 'frobnicate'"));
	free(out);
	assert_int_equal(run(NULL, "%s compile", kvmprof), 2);
	assert_int_equal(run(NULL, "%s compile profiles/linux-6.1-arm64-qemu-max.yaml", kvmprof), 2); /* no -o */
	assert_int_equal(run(NULL, "%s compile a.yaml b.yaml -o x.c", kvmprof), 2);
	assert_int_equal(run(NULL, "%s lint", kvmprof), 2);
	assert_int_equal(run(NULL, "%s lint -Wfoo x.yaml", kvmprof), 2);
	assert_int_equal(run(NULL, "%s show", kvmprof), 2);
	assert_int_equal(run(NULL, "%s explain", kvmprof), 2);
	assert_int_equal(run(&out, "%s --version", kvmprof), 0);
	assert_non_null(strstr(out, "table ABI 2"));
	free(out);
	for (const char *const *v = (const char *const[]){ "compile", "lint", "show", "explain", "capture", "check",
							    "diff", "baseline", "import", "export", "review", "test", NULL };
	     *v; v++) {
		assert_int_equal(run(&out, "%s %s --help", kvmprof, *v), 0);
		assert_non_null(strstr(out, "usage: kvmprof"));
		free(out);
	}
}

/* A failing compile leaves neither the output nor a temporary file behind,
 * and does not touch an existing output. */
static void test_compile_is_atomic(void **state)
{
	char bad[128], out_c[128], out_h[128], *msg;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/broken.yaml", workdir);
	snprintf(out_c, sizeof(out_c), "%s/out/broken.c", workdir);
	snprintf(out_h, sizeof(out_h), "%s/out/broken.h", workdir);
	mkdir(strcat(strcpy((char[128]){ 0 }, workdir), "/out"), 0700);
	write_file(bad, "kvmprof: 1\nname: broken\narch: arm64\nvcpu:\n  registers:\n"
			"    ID_AA64PFR0_EL1: {GIC: 0x10}\n    NOPE_EL1: 1\n");
	assert_int_equal(run(&msg, "%s compile %s -o %s --header %s", kvmprof, bad, out_c, out_h), 1);
	/* both errors in one run, each with file:line:col and a caret */
	assert_non_null(strstr(msg, "broken.yaml:6:28: error: field ID_AA64PFR0_EL1.GIC is 4 bits wide"));
	assert_non_null(strstr(msg, "broken.yaml:7:5: error: unknown register 'NOPE_EL1'"));
	assert_non_null(strstr(msg, "    7 |     NOPE_EL1: 1\n      |     ^"));
	assert_non_null(strstr(msg, "2 errors"));
	free(msg);
	assert_false(exists(out_c));
	assert_false(exists(out_h));
	assert_int_equal(count_files(strcat(strcpy((char[128]){ 0 }, workdir), "/out")), 0);

	/* an existing output survives a failed compile unchanged */
	write_file(out_c, "previous\n");
	assert_int_equal(run(NULL, "%s compile %s -o %s", kvmprof, bad, out_c), 1);
	assert_int_equal(run(&msg, "cat %s", out_c), 0);
	assert_string_equal(msg, "previous\n");
	free(msg);
	unlink(out_c);

	/* a written output has the mode fopen() would give it, not mkstemp()'s 0600 */
	{
		struct stat st;
		mode_t mask = umask(0);

		umask(mask);
		assert_int_equal(run(NULL, "%s compile profiles/linux-6.1-arm64-qemu-max.yaml -o %s", kvmprof, out_c), 0);
		assert_int_equal(stat(out_c, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
		unlink(out_c);
	}

	/* -o and --header are all or nothing: a header that cannot be written
	 * leaves the existing .c untouched */
	write_file(out_c, "previous\n");
	assert_int_equal(run(&msg, "%s compile profiles/linux-6.1-arm64-qemu-max.yaml -o %s --header /nonexistent/dir/x.h",
			     kvmprof, out_c), 1);
	assert_non_null(strstr(msg, "/nonexistent/dir/x.h: error: cannot create"));
	free(msg);
	assert_int_equal(run(&msg, "cat %s", out_c), 0);
	assert_string_equal(msg, "previous\n");
	free(msg);
	unlink(out_c);
	assert_int_equal(count_files(strcat(strcpy((char[128]){ 0 }, workdir), "/out")), 0);

	/* an unwritable destination is an error, not a crash */
	assert_int_equal(run(&msg, "%s compile profiles/linux-6.1-arm64-qemu-max.yaml -o /nonexistent/dir/x.c", kvmprof), 1);
	assert_non_null(strstr(msg, "/nonexistent/dir/x.c: error: cannot create"));
	free(msg);
}

static void test_lint_rules(void **state)
{
	char base[128], child[128], *out;

	(void)state;
	snprintf(base, sizeof(base), "%s/lint-base.yaml", workdir);
	snprintf(child, sizeof(child), "%s/lint-child.yaml", workdir);
	write_file(base, "kvmprof: 1\nname: lint-base\narch: arm64\ndescription: base\n"
			 "provenance: {kind: authored}\nvcpu:\n  registers:\n    PSCI_VERSION: {Major: 1, Minor: 1}\n");
	write_file(child, "kvmprof: 1\nname: lint-child\narch: arm64\nbase: lint-base\nvcpu:\n  registers:\n"
			  "    PSCI_VERSION: {Major: 1, Minor: 1}\n    ID_AA64PFR0_EL1: 0x11\n");
	assert_int_equal(run(&out, "%s lint %s", kvmprof, child), 0); /* warnings only */
	assert_non_null(strstr(out, "lint-child.yaml:1:1: warning: no provenance"));
	assert_non_null(strstr(out, "[missing-provenance]"));
	assert_non_null(strstr(out, "[missing-description]"));
	assert_non_null(strstr(out, "lint-child.yaml:7:5: warning: PSCI_VERSION repeats what base 'lint-base' already states [repeats-base]"));
	assert_non_null(strstr(out, "lint-child.yaml:8:5: warning: ID_AA64PFR0_EL1 is stated as a raw value"));
	assert_non_null(strstr(out, "0 errors, 4 warnings"));
	free(out);
	assert_int_equal(run(&out, "%s lint -Werror %s", kvmprof, child), 1);
	assert_non_null(strstr(out, "4 errors, 0 warnings"));
	free(out);
	assert_int_equal(run(&out, "%s lint %s", kvmprof, base), 0);
	assert_string_equal(out, "");
	free(out);
	/* lint compares with the base the profile resolves to: the one next to
	 * it, not a same-named base in -I (which once came first) */
	char inc[128], other_base[160];
	snprintf(inc, sizeof(inc), "%s/inc", workdir);
	snprintf(other_base, sizeof(other_base), "%s/lint-base.yaml", inc);
	mkdir(inc, 0755);
	write_file(other_base, "kvmprof: 1\nname: lint-base\narch: arm64\ndescription: another base\n"
			       "provenance: {kind: authored}\nvcpu:\n  registers:\n    PSCI_VERSION: {Major: 1, Minor: 0}\n");
	assert_int_equal(run(&out, "%s lint -I %s %s", kvmprof, inc, child), 0);
	assert_non_null(strstr(out, "PSCI_VERSION repeats what base 'lint-base' already states [repeats-base]"));
	free(out);
}

static int is_yaml(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 5 && !strcmp(e->d_name + n - 5, ".yaml");
}

/* Every shipped profile lints clean, compiles to the same bytes twice, and
 * the C compiles with -Werror -pedantic against the runtime header. */
static void test_shipped_profiles(void **state)
{
	struct dirent **names;
	int n = scandir("profiles", &names, is_yaml, alphasort), checked = 0;
	const char *cc = getenv("CC") ? getenv("CC") : "cc";

	(void)state;
	assert_true(n >= 3);
	for (int i = 0; i < n; i++) {
		char *out;
		const char *f = names[i]->d_name;

		assert_int_equal(run(&out, "%s lint -Werror profiles/%s", kvmprof, f), 0);
		assert_string_equal(out, "");
		free(out);
		assert_int_equal(run(&out, "%s compile profiles/%s -o %s/a.c --header %s/a.h && "
				      "%s compile profiles/%s -o %s/b.c --header %s/a.h && cmp %s/a.c %s/b.c && "
				      "%s -std=c11 -Wall -Wextra -Werror -pedantic -Iruntime -I%s -c %s/a.c -o %s/a.o",
				 kvmprof, f, workdir, workdir, kvmprof, f, workdir, workdir, workdir, workdir, cc,
				 workdir, workdir, workdir), 0);
		free(out);
		assert_int_equal(run(&out, "grep -c '/work/\\|/home/\\|/tmp/' %s/a.c", workdir), 1); /* no paths of this machine */
		free(out);
		checked++;
		free(names[i]);
	}
	free(names);
	assert_int_equal(checked, n);
}

/* compile -d writes kvmprof_index.c: a VMM linking the folder lists its
 * profiles and finds one by name, whatever the architecture. */
static void test_compile_index(void **state)
{
	const char *cc = getenv("CC") ? getenv("CC") : "cc";
	char *out;
	FILE *f;
	char main_c[128];

	(void)state;
	assert_int_equal(run(&out, "mkdir -p %s/idx && %s compile profiles/linux-6.18-x86_64-pvm.yaml "
			      "profiles/linux-6.12-arm64-qemu-max.yaml profiles/linux-6.1-arm64-neoverse-n1.yaml -d %s/idx",
			 workdir, kvmprof, workdir), 0);
	free(out);
	snprintf(main_c, sizeof(main_c), "%s/idx-main.c", workdir);
	f = fopen(main_c, "w");
	assert_non_null(f);
	fputs("#include <stdio.h>\n#include \"kvmprof.h\"\n"
	      "extern const struct kvmprof_index kvmprof_index;\n"
	      "int main(int argc, char **argv)\n{\n"
	      "\tconst struct kvmprof_profile *p;\n"
	      "\tfor (uint32_t i = 0; (p = kvmprof_index_at(&kvmprof_index, i)); i++)\n"
	      "\t\tprintf(\"%s\\n\", p->name);\n"
	      "\tp = kvmprof_index_find(&kvmprof_index, argc > 1 ? argv[1] : \"\");\n"
	      "\tprintf(\"found %s arch %u entries %u\\n\", p ? p->name : \"none\", p ? p->arch : 0u, p ? p->n_entries : 0u);\n"
	      "\treturn p == NULL;\n}\n", f);
	fclose(f);
	assert_int_equal(run(&out, "%s -std=gnu11 -Wall -Wextra -Werror -Iruntime %s/idx/*.c %s runtime/*.c runtime/arch/*/*.c "
			      "-lpthread -o %s/idx-prog", cc, workdir, main_c, workdir), 0);
	free(out);
	assert_int_equal(run(&out, "%s/idx-prog linux-6.12-arm64-qemu-max", workdir), 0);
	assert_non_null(strstr(out, "linux-6.1-arm64-neoverse-n1\nlinux-6.12-arm64-qemu-max\nlinux-6.18-x86_64-pvm\n"));
	assert_non_null(strstr(out, "found linux-6.12-arm64-qemu-max arch 1 entries "));
	free(out);
	assert_int_equal(run(&out, "%s/idx-prog linux-6.12-arm64-qemu", workdir), 1);
	assert_non_null(strstr(out, "found none"));
	free(out);
	/* two profiles of one name: no index, and the error says why */
	assert_int_equal(run(&out, "mkdir -p %s/idx2/o && cp profiles/linux-6.18-x86_64-pvm.yaml %s/idx2/ && "
			      "%s compile -I profiles profiles/linux-6.18-x86_64-pvm.yaml %s/idx2/linux-6.18-x86_64-pvm.yaml -d %s/idx2/o",
			 workdir, workdir, kvmprof, workdir, workdir), 1);
	assert_non_null(strstr(out, "the index cannot hold both"));
	free(out);
	assert_int_equal(run(&out, "test -e %s/idx2/o/kvmprof_index.c", workdir), 1);
	free(out);
}

/* -W NAME, -Wno-NAME, -Werror=NAME per check on lint and compile, in process. */
static void test_warning_flags(void **state)
{
	const char *plain[] = { "lint", "-I", "tests/corpus/errors", "tests/corpus/errors/lint-review.yaml", NULL };
	const char *off[] = { "lint", "-Wno-missing-description", "-W", "no-raw-value", "-I", "tests/corpus/errors",
			      "tests/corpus/errors/lint-review.yaml", NULL };
	const char *as_error[] = { "lint", "-Werror=repeats-base", "-I", "tests/corpus/errors",
				   "tests/corpus/errors/lint-review.yaml", NULL };
	const char *back_on[] = { "lint", "-Wno-repeats-base", "-Wrepeats-base", "-I", "tests/corpus/errors",
				  "tests/corpus/errors/lint-review.yaml", NULL };
	const char *error_off[] = { "lint", "-Wno-unknown-key", "tests/corpus/errors/lint-review.yaml", NULL };
	const char *unknown[] = { "lint", "-Wno-such-check", "tests/corpus/errors/lint-review.yaml", NULL };
	char dir[] = "/tmp/kvmprof-wflags-XXXXXX", out_c[600];
	const char *compile[] = { "compile", "-Werror=policy", "tests/corpus/errors/policy.yaml", "-o", out_c, NULL };
	const char *compile_off[] = { "compile", "-Wno-policy", "tests/corpus/errors/policy.yaml", "-o", out_c, NULL };
	struct run r;

	(void)state;
	r = run_kvmprof(plain);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, "warning: no description [missing-description]"));
	assert_non_null(strstr(r.err, "0 errors, 4 warnings"));
	run_free(&r);

	r = run_kvmprof(off);
	assert_int_equal(r.rc, 0);
	assert_null(strstr(r.err, "[missing-description]"));
	assert_null(strstr(r.err, "[raw-value]"));
	assert_non_null(strstr(r.err, "0 errors, 2 warnings"));
	run_free(&r);

	r = run_kvmprof(as_error);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "error: psci-0.2 repeats what base 'base-ok-arm64' already states [repeats-base]"));
	assert_non_null(strstr(r.err, "1 error, 3 warnings"));
	run_free(&r);

	r = run_kvmprof(back_on); /* the last option wins */
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, "warning: psci-0.2 repeats"));
	run_free(&r);

	r = run_kvmprof(error_off);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "unknown-key is an error, not a warning: it cannot be turned off"));
	run_free(&r);

	r = run_kvmprof(unknown);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "unknown check 'such-check'"));
	run_free(&r);

	assert_non_null(mkdtemp(dir));
	snprintf(out_c, sizeof(out_c), "%s/policy.c", dir);
	r = run_kvmprof(compile);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "error: ID_AA64MMFR0_EL1.TGRAN4_2 is not a 'lower is safe' field"));
	assert_int_equal(access(out_c, F_OK), -1);
	run_free(&r);
	r = run_kvmprof(compile_off);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_int_equal(access(out_c, F_OK), 0);
	run_free(&r);
	unlink(out_c);
	rmdir(dir);
}

/*
 * explain's measured history: from the captures in profiles/ (one per
 * series and platform), next to the database's cited history and its
 * kernel-keyed facts, with the disagreements named.
 */
/* One YAML parse per file: compile takes a profile's base:, its model and the
 * register sets of its base chain from one parse of each file, and check
 * --against a capture's model and host: facts from one. */
static void test_one_parse_per_file(void **state)
{
	char out_c[160];
	unsigned long before;
	struct run r;

	(void)state;
	snprintf(out_c, sizeof(out_c), "%s/genoa.c", workdir);
	before = input_yaml_documents;
	r = run_kvmprof((const char *[]){ "compile", "profiles/linux-6.1-x86_64-genoa.yaml", "-o", out_c, NULL });
	assert_int_equal(r.rc, 0);
	assert_int_equal(input_yaml_documents - before, 2); /* the profile and its base */
	run_free(&r);
	before = input_yaml_documents;
	r = run_kvmprof((const char *[]){ "check", "tests/corpus/captures/tiny-arm64-6.1.yaml", "--against",
					  "tests/corpus/captures/tiny-arm64-6.1.yaml", NULL });
	assert_int_equal(r.rc, 0);
	assert_int_equal(input_yaml_documents - before, 2); /* the profile; the capture, once */
	run_free(&r);
}

static void test_explain_measured(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s explain PSCI_VERSION", kvmprof), 0);
	assert_non_null(strstr(out, "arm64-neoverse-n1, 6.1 ... 7.3: 0x10001 on 6.1"));
	assert_non_null(strstr(out, "6.12 → 6.16: 0x10001 → 0x10003 (Minor 1 → 3)"));
	assert_non_null(strstr(out, "every measured change falls in a version the history cites"));
	free(out);
	assert_int_equal(run(&out, "%s explain CPUID.0x1.0x0.ECX", kvmprof), 0);
	assert_non_null(strstr(out, "x86_64-kvm-amd-tcg: 6.12 → 6.16 changed HYPERVISOR 0 → 1, TSC_DEADLINE_TIMER 0 → 1; "
				    "the database's history cites no version in between"));
	free(out);
	assert_int_equal(run(&out, "%s explain GICD_IIDR.Revision", kvmprof), 0);
	assert_non_null(strstr(out, "kernel fact gicd-iidr-revision-write-ignored (GICD_IIDR.Revision)"));
	assert_non_null(strstr(out, "6.13.0 .. 6.17.13: yes"));
	free(out);
	/* a field's write rule, and the rule of every feature ID register without masks */
	assert_int_equal(run(&out, "%s explain ID_AA64PFR0_EL1.CSV2", kvmprof), 0);
	assert_non_null(strstr(out, "kernel fact id-aa64pfr0-csv2-writable (ID_AA64PFR0_EL1.CSV2)"));
	assert_non_null(strstr(out, "rule where yes: set by-flag"));
	assert_non_null(strstr(out, "kernel fact feature-id-registers-invariant (FEATURE_ID_REGISTERS)"));
	free(out);
	assert_int_equal(run(&out, "%s explain ID_AA64ISAR0_EL1", kvmprof), 0);
	assert_non_null(strstr(out, "kernel fact feature-id-registers-invariant (FEATURE_ID_REGISTERS)"));
	assert_non_null(strstr(out, "rule where yes: set keep"));
	free(out);
	assert_int_equal(run(&out, "%s explain PSCI_VERSION", kvmprof), 0);
	assert_null(strstr(out, "FEATURE_ID_REGISTERS"));
	free(out);
	assert_int_equal(run(&out, "%s explain --captures tests/corpus/no-such-dir PSCI_VERSION", kvmprof), 0);
	assert_null(strstr(out, "measured"));
	free(out);
}

static void test_explain(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s explain GICD_IIDR.Revision", kvmprof), 0);
	assert_non_null(strstr(out, "GICD_IIDR.Revision: bits 15:12"));
	free(out);
	assert_int_equal(run(&out, "%s explain ID_AA64PFR0_EL1", kvmprof), 0);
	assert_non_null(strstr(out, "id 0x603000000013c020"));
	assert_non_null(strstr(out, "source:"));
	free(out);
	assert_int_equal(run(&out, "%s explain KVM_CAP_X2APIC_API", kvmprof), 0);
	assert_non_null(strstr(out, "KVM capability 129"));
	free(out);
	assert_int_equal(run(&out, "%s explain NO_SUCH_THING", kvmprof), 1);
	assert_non_null(strstr(out, "not in the register database"));
	free(out);

	/* what profiles accept, case ignored; a field alone; MIDR part numbers */
	static const struct {
		const char *name, *want;
	} spellings[] = {
		{ "CPUID.7.0.EBX", "CPUID.0x7.0x0.EBX: x86 CPUID register" },
		{ "cpuid.0x7.0x0.ebx", "CPUID.0x7.0x0.EBX: x86 CPUID register" },
		{ "CPUID.0x7.0x0.EBX.AVX512F", "CPUID.0x7.0x0.EBX.AVX512F: bits 16:16 of CPUID.0x7.0x0.EBX" },
		{ "CPUID.7.0.EBX.avx512f", "CPUID.0x7.0x0.EBX.AVX512F: bits 16:16" },
		{ "AVX512F", "CPUID.0x7.0x0.EBX.AVX512F: bits 16:16" },
		{ "avx512f", "CPUID.0x7.0x0.EBX.AVX512F: bits 16:16" },
		{ "MSR.0x10a", "IA32_ARCH_CAPABILITIES: x86 MSR" },
		{ "id_aa64pfr0_el1.csv2", "ID_AA64PFR0_EL1.CSV2: bits 59:56 of ID_AA64PFR0_EL1, lower is safe" },
		{ "kvm_cap_x2apic_api", "KVM capability 129" },
		{ "0xd84", "MIDR_EL1.PartNum 0xd84 (Implementer 0x41): neoverse-v3" },
		{ "0xD8E", "neoverse-n3" },
		{ "0x413fd0c1", "MIDR_EL1 0x413fd0c1: Implementer 0x41, Variant 3, PartNum 0xd0c, Revision 1 (r3p1): neoverse-n1" },
		{ "Neoverse-V2", "Arm Neoverse V2" },
	};
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		assert_int_equal(run(&out, "%s explain %s", kvmprof, spellings[i].name), 0);
		if (!strstr(out, spellings[i].want))
			fail_msg("explain %s: no '%s' in:\n%s", spellings[i].name, spellings[i].want, out);
		free(out);
	}
	assert_int_equal(run(&out, "%s explain ID_AA64PFR0_EL", kvmprof), 1);
	assert_non_null(strstr(out, "(did you mean ID_AA64PFR0_EL1? try --list)"));
	free(out);
	assert_int_equal(run(&out, "%s explain 0xfff", kvmprof), 1);
	free(out);
}

static int setup(void **state)
{
	(void)state;
	return shell_fixture("cli", kvmprof, sizeof(kvmprof), workdir, sizeof(workdir));
}

static int teardown(void **state)
{
	(void)state;
	return run(NULL, "rm -rf %s", workdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_compile_is_atomic),
		cmocka_unit_test(test_lint_rules),
		cmocka_unit_test(test_shipped_profiles),
		cmocka_unit_test(test_compile_index),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_warning_flags),
		cmocka_unit_test(test_explain_measured),
		cmocka_unit_test(test_one_parse_per_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
