/* SPDX-License-Identifier: MIT */
/*
 * test_review.c - `kvmprof review --base REF` on throwaway git repositories
 * made in a temporary directory (never the source tree): the profiles a
 * change touches and everything that inherits from them, each diffed against
 * its own version at REF resolved in REF's tree, check verdicts at REF and
 * now, exit statuses, and the review step of contrib/github/kvmprof-review.yml
 * run as GitHub would run it.
 */
#include <limits.h>
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

#include "shell.h"

#define run(out, ...) shell_run(out, 1, __VA_ARGS__)

static char kvmprof[PATH_MAX];
static char srcdir[PATH_MAX];   /* the source tree (the tests run from it) */
static char workdir[64];
static int have_git;

#define GIT "git -c user.name=kvmprof-test -c user.email=test@kvmprof.invalid -c init.defaultBranch=main"

#define write_file(dir, name, text) assert_int_equal(shell_write_file(dir, name, text), 0)

/* Profiles of the throwaway repository: a base, a child, a grandchild through
 * the child, and an unrelated profile. */
static const char base_yaml[] =
	"kvmprof: 1\nname: fleet-base\narch: arm64\ndescription: test base\nprovenance:\n  kind: authored\n"
	"vcpu:\n  features:\n    psci-0.2: on\n  registers:\n    CLIDR_EL1: 0x2000023\n"
	"devices:\n  vgic-v3:\n    GICD_IIDR: {Revision: 2}\n";
static const char child_yaml[] =
	"kvmprof: 1\nname: fleet-child\narch: arm64\ndescription: test child\nbase: fleet-base\n"
	"provenance:\n  kind: authored\n";
static const char grandchild_yaml[] =
	"kvmprof: 1\nname: fleet-grandchild\narch: arm64\ndescription: test grandchild\nbase: fleet-child\n"
	"provenance:\n  kind: authored\nvcpu:\n  registers:\n    PSCI_VERSION: 0x10001\n";
static const char other_yaml[] =
	"kvmprof: 1\nname: unrelated\narch: arm64\ndescription: not in the change\nprovenance:\n  kind: authored\n"
	"vcpu:\n  features:\n    psci-0.2: on\n";

/* A fresh repository repo/ under workdir with the four profiles and two real
 * captures committed on main; returns its path in buf. */
static void make_repo(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", workdir, name);
	assert_int_equal(run(NULL, "mkdir -p %s/profiles %s/captures && cp %s/tests/corpus/captures/linux-6.1-arm64-capture.yaml "
				   "%s/tests/corpus/captures/linux-6.12-arm64-capture.yaml %s/captures/",
			     buf, buf, srcdir, srcdir, buf), 0);
	char prof[PATH_MAX];
	snprintf(prof, sizeof(prof), "%s/profiles", buf);
	write_file(prof, "fleet-base.yaml", base_yaml);
	write_file(prof, "fleet-child.yaml", child_yaml);
	write_file(prof, "fleet-grandchild.yaml", grandchild_yaml);
	write_file(prof, "unrelated.yaml", other_yaml);
	assert_int_equal(run(NULL, "cd %s && " GIT " init -q && " GIT " add -A && " GIT " commit -qm init", buf), 0);
}

#define SKIP_WITHOUT_GIT()                                                                      \
	do {                                                                                     \
		if (!have_git) {                                                                 \
			printf("SKIP: git is not installed (apt-get install git)\n");            \
			skip();                                                                  \
		}                                                                                \
	} while (0)

/* A change to a base reaches every profile inheriting from it, each diffed
 * against its own old version: had the old child been resolved with the new
 * base (the `diff` defect), it would show no difference. */
static void test_review_base_change_reaches_inheritors(void **state)
{
	char repo[PATH_MAX], *out;

	(void)state;
	SKIP_WITHOUT_GIT();
	make_repo(repo, sizeof(repo), "inherit");
	assert_int_equal(run(NULL, "cd %s && " GIT " checkout -qb change && sed -i 's/Revision: 2/Revision: 1/' "
				   "profiles/fleet-base.yaml && " GIT " commit -qam 'GICD_IIDR revision 1'", repo), 0);
	assert_int_equal(run(&out, "cd %s && %s review --base main --against captures", repo, kvmprof), 1);
	assert_non_null(strstr(out, "## kvmprof review\n"));
	assert_non_null(strstr(out, "1 profile changed, 2 more inherit from them; 2 captures."));
	assert_non_null(strstr(out, "| `fleet-base` | changed | 1 |"));
	assert_non_null(strstr(out, "| `fleet-child` | inherits from `fleet-base` | 1 |"));
	assert_non_null(strstr(out, "| `fleet-grandchild` | inherits from `fleet-child` | 1 |"));
	assert_null(strstr(out, "unrelated"));
	/* the grandchild's own section: the diff against its old self */
	char *g = strstr(out, "### `fleet-grandchild`");
	assert_non_null(g);
	assert_non_null(strstr(g, "| `GICD_IIDR.Revision` | `2` | `1` | value |"));
	/* 6.12 accepts revisions 2..3 only: yes at main, no now */
	assert_non_null(strstr(g, "| `linux-6.12-arm64-capture` | yes | **no — blocked by `GICD_IIDR`** (worse) |"));
	assert_non_null(strstr(out, "**Needs attention: 6 verdicts got worse, 0 profiles no longer load.**"));
	free(out);

	/* the same from inside profiles/, with paths relative to there, into a file */
	assert_int_equal(run(NULL, "cd %s/profiles && %s review --base main --against ../captures -I . -o ../r.md",
			     repo, kvmprof), 1);
	assert_int_equal(run(&out, "grep -c '^### ' %s/r.md", repo), 0);
	assert_string_equal(out, "3\n");
	free(out);
}

static void test_review_added_removed_broken(void **state)
{
	char repo[PATH_MAX], *out;

	(void)state;
	SKIP_WITHOUT_GIT();
	make_repo(repo, sizeof(repo), "addrm");
	/* a new profile (not yet tracked by git), a removed one, an unchanged tree otherwise */
	assert_int_equal(run(NULL, "cd %s && " GIT " rm -q profiles/unrelated.yaml && "
				   "printf 'kvmprof: 1\\nname: fresh\\narch: arm64\\nprovenance:\\n  kind: authored\\n' "
				   "> profiles/fresh.yaml", repo), 0);
	assert_int_equal(run(&out, "cd %s && %s review --base main --against captures/linux-6.12-arm64-capture.yaml",
			     repo, kvmprof), 0);
	assert_non_null(strstr(out, "2 profiles changed, 0 more inherit from them; 1 capture."));
	assert_non_null(strstr(out, "| `fresh` | added | — | 1 yes, 0 no, 0 unknown |"));
	assert_non_null(strstr(out, "| `unrelated` | removed | — | 0 worse, 0 better, 1 unchanged |"));
	assert_non_null(strstr(out, "New profile, 0 entries (fnv1a64:"));
	assert_non_null(strstr(out, "Removed in this change."));
	free(out);

	/* a child whose base now has an error: it no longer loads, named with file:line:col */
	assert_int_equal(run(NULL, "cd %s && printf '    NOPE_EL1: 1\\n' >> profiles/fleet-grandchild.yaml", repo), 0);
	assert_int_equal(run(&out, "cd %s && %s review --base main", repo, kvmprof), 1);
	assert_non_null(strstr(out, "| `fleet-grandchild` | changed | **does not load** |"));
	assert_non_null(strstr(out, "profiles/fleet-grandchild.yaml:11:5: error: unknown register 'NOPE_EL1'"));
	assert_non_null(strstr(out, "no longer load"));
	free(out);
}

static void test_review_nothing_and_errors(void **state)
{
	char repo[PATH_MAX], *out;

	(void)state;
	SKIP_WITHOUT_GIT();
	make_repo(repo, sizeof(repo), "same");
	setenv("TMPDIR", workdir, 1); /* where review makes its temporary tree */
	assert_int_equal(run(&out, "cd %s && %s review --base main", repo, kvmprof), 0);
	assert_non_null(strstr(out, "no profile changed."));
	free(out);
	/* a change outside the paths given is not looked at */
	assert_int_equal(run(NULL, "cd %s && sed -i 's/Revision: 2/Revision: 3/' profiles/fleet-base.yaml", repo), 0);
	assert_int_equal(run(&out, "cd %s && %s review --base main profiles/unrelated.yaml", repo, kvmprof), 0);
	assert_non_null(strstr(out, "no profile changed."));
	free(out);
	assert_int_equal(run(&out, "cd %s && %s review --base main profiles/fleet-base.yaml", repo, kvmprof), 0);
	assert_non_null(strstr(out, "1 profile changed, 2 more inherit from them; 0 captures."));
	free(out);

	assert_int_equal(run(&out, "cd %s && %s review --base no-such-branch", repo, kvmprof), 2);
	assert_non_null(strstr(out, "--base no-such-branch is not a revision of this repository"));
	free(out);
	assert_int_equal(run(&out, "cd %s && %s review", repo, kvmprof), 2);
	assert_non_null(strstr(out, "usage: kvmprof review"));
	free(out);
	assert_int_equal(run(&out, "cd %s && %s review --base main --against nowhere", repo, kvmprof), 2);
	assert_non_null(strstr(out, "cannot read capture"));
	free(out);
	assert_int_equal(run(&out, "cd %s && %s review --base main", workdir, kvmprof), 2); /* not a repository */
	free(out);
	/* a failed run leaves nothing behind */
	assert_int_equal(run(&out, "ls %s | grep -c kvmprof-review", workdir), 1);
	assert_string_equal(out, "0\n");
	free(out);
	unsetenv("TMPDIR");
}

/* contrib/github/kvmprof-review.yml's review step, run by bash as the Actions
 * runner would (origin/main is the pull request's base). */
static void test_review_ci_workflow_step(void **state)
{
	char repo[PATH_MAX], bindir[PATH_MAX], *out;

	(void)state;
	SKIP_WITHOUT_GIT();
	snprintf(bindir, sizeof(bindir), "%s", kvmprof);
	*strrchr(bindir, '/') = '\0';
	make_repo(repo, sizeof(repo), "ci");
	assert_int_equal(run(NULL, "cd %s && " GIT " remote add origin . && " GIT " fetch -q origin && "
				   GIT " checkout -qb pr && sed -i '/PSCI_VERSION/d' profiles/fleet-grandchild.yaml && "
				   GIT " commit -qam no-psci-pin", repo), 0);
	/* the step's script: the lines under `run: |` of the step with `id: review` */
	assert_int_equal(run(NULL, "awk '/id: review/ {s=1} s && /run: \\|/ {r=1; next} r && /^      - / {exit} r' "
				   "%s/contrib/github/kvmprof-review.yml > %s/step.sh && test -s %s/step.sh",
			     srcdir, workdir, workdir), 0);
	assert_int_equal(run(&out, "cd %s && PATH=%s:$PATH BASE_REF=main PROFILES=profiles CAPTURES=captures "
				   "GITHUB_OUTPUT=%s/gh-output GITHUB_STEP_SUMMARY=%s/gh-summary bash -e %s/step.sh && "
				   "cat %s/gh-output && grep -q 'fleet-grandchild' %s/gh-summary",
			     repo, bindir, workdir, workdir, workdir, workdir, workdir), 0);
	assert_non_null(strstr(out, "status=0\n"));
	free(out);
	assert_int_equal(run(&out, "cat %s/ci/kvmprof-review.md", workdir), 0);
	assert_non_null(strstr(out, "| `fleet-grandchild` | changed | 1 |"));
	assert_non_null(strstr(out, "| `PSCI_VERSION` | `0x10001` | *not stated* | only-a |"));
	free(out);
}

static int setup(void **state)
{
	char *out = NULL;

	(void)state;
	if (!getcwd(srcdir, sizeof(srcdir)) ||
	    shell_fixture("test-review", kvmprof, sizeof(kvmprof), workdir, sizeof(workdir)))
		return -1;
	have_git = shell_run(&out, 1, "git --version") == 0;
	free(out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return shell_run(NULL, 1, "rm -rf %s", workdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_review_base_change_reaches_inheritors),
		cmocka_unit_test(test_review_added_removed_broken),
		cmocka_unit_test(test_review_nothing_and_errors),
		cmocka_unit_test(test_review_ci_workflow_step),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
