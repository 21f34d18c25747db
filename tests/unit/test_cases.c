/* SPDX-License-Identifier: MIT */
/*
 * test_cases.c - verb cases as data: every folder tests/golden/VERB/CASE/
 * with a file `args` (the command line after `kvmprof`, one line, paths from
 * the repository root), `stdout` (what it must print) and `status` (its exit
 * status), and optionally `stderr`, is one test, found by scanning. Adding a
 * case is adding a folder; KVMPROF_UPDATE_GOLDEN=1 rewrites stdout (and
 * stderr where the case has one). Runs the kvmprof of this build.
 */
#include <dirent.h>
#include <errno.h>
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

#define ROOT "tests/golden"
#define MAX_CASES 512

static char kvmprof[PATH_MAX];

static char *slurp_trimmed(const char *path)
{
	char *s = golden_slurp(path, NULL);
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

static void run_case(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err_path[] = "/tmp/kvmprof-case-err-XXXXXX";
	char *args, *status, *out = NULL, *err;
	int fd, rc, want;

	snprintf(path, sizeof(path), "%s/args", dir);
	args = slurp_trimmed(path);
	if (!args)
		fail_msg("%s: cannot read (%s)", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/status", dir);
	status = slurp_trimmed(path);
	if (!status)
		fail_msg("%s: cannot read (%s)", path, strerror(errno));
	want = atoi(status);
	fd = mkstemp(err_path);
	assert_true(fd >= 0);
	close(fd);
	/* grouped: shell_run() sends the command's stderr to /dev/null after it */
	rc = shell_run(&out, 0, "{ %s %s 2>%s; }", kvmprof, args, err_path);
	err = golden_slurp(err_path, NULL);
	unlink(err_path);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	golden_check(path, out, strlen(out));
	snprintf(path, sizeof(path), "%s/stderr", dir);
	if (access(path, F_OK) == 0)
		golden_check(path, err ? err : "", err ? strlen(err) : 0);
	if (rc != want)
		fail_msg("kvmprof %s: exit %d, want %d; stderr:\n%s", args, rc, want, err ? err : "");
	free(err);
	free(out);
	free(status);
	free(args);
}

static int is_dir_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(void)
{
	static struct CMUnitTest tests[MAX_CASES];
	static char names[MAX_CASES][256], dirs[MAX_CASES][PATH_MAX];
	struct dirent **verbs;
	size_t n = 0;
	int n_verbs;

	if (shell_kvmprof(kvmprof, sizeof(kvmprof)))
		return 1;
	n_verbs = scandir(ROOT, &verbs, is_dir_entry, alphasort);
	for (int v = 0; v < n_verbs; v++) {
		struct dirent **cases;
		char verb_dir[PATH_MAX];
		int n_cases;

		snprintf(verb_dir, sizeof(verb_dir), ROOT "/%.200s", verbs[v]->d_name);
		n_cases = scandir(verb_dir, &cases, is_dir_entry, alphasort);
		for (int c = 0; c < n_cases; c++) {
			char args[PATH_MAX];
			struct stat st;

			snprintf(args, sizeof(args), "%.250s/%.200s/args", verb_dir, cases[c]->d_name);
			if (stat(args, &st) == 0 && n < MAX_CASES) { /* a case folder (cgen/ holds plain goldens) */
				snprintf(names[n], sizeof(names[n]), "%.100s/%.150s", verbs[v]->d_name, cases[c]->d_name);
				snprintf(dirs[n], sizeof(dirs[n]), "%.250s/%.200s", verb_dir, cases[c]->d_name);
				tests[n] = (struct CMUnitTest){ .name = names[n], .test_func = run_case,
								.initial_state = dirs[n] };
				n++;
			}
			free(cases[c]);
		}
		if (n_cases >= 0)
			free(cases);
		free(verbs[v]);
	}
	if (n_verbs >= 0)
		free(verbs);
	if (n < 15) {
		fprintf(stderr, "test_cases: only %zu case folders under " ROOT " (run from the repository root)\n", n);
		return 1;
	}
	return _cmocka_run_group_tests("cases", tests, n, NULL, NULL);
}
