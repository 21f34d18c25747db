/* SPDX-License-Identifier: MIT */
/*
 * shell.h - running the kvmprof command from cmocka tests (header only).
 *
 * shell_kvmprof() finds BUILD/kvmprof next to the running test binary
 * (BUILD/tests/test_x), so the normal and the sanitizer build each test
 * their own binary. shell_run() runs a shell command and returns its exit
 * status, with its output in *out (caller frees). shell_fixture() is a test
 * group's setup: both, and a private directory.
 */
#ifndef KVMPROF_TEST_SHELL_H
#define KVMPROF_TEST_SHELL_H

#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* 0, or -1 when the path of this test cannot be read. */
static inline int shell_kvmprof(char *path, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(path, len, "%s/../kvmprof", dirname(exe));
	return 0;
}

/* A test group's setup: kvmprof= BUILD/kvmprof (which must be built) and
 * workdir= a new private directory /tmp/kvmprof-NAME-XXXXXX. 0, or -1 (said
 * on stderr when kvmprof is missing). */
static inline int shell_fixture(const char *name, char *kvmprof, size_t klen, char *workdir, size_t wlen)
{
	if (shell_kvmprof(kvmprof, klen))
		return -1;
	if (access(kvmprof, X_OK)) {
		fprintf(stderr, "%s: %s is not built\n", name, kvmprof);
		return -1;
	}
	snprintf(workdir, wlen, "/tmp/kvmprof-%s-XXXXXX", name);
	return mkdtemp(workdir) ? 0 : -1;
}

/* Writes text into dir/name (dir NULL: name is the whole path). 0, or -1. */
static inline int shell_write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;
	int bad;

	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dir ? dir : "", dir ? "/" : "", name) >= sizeof(path))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	bad = fputs(text, f) < 0;
	return fclose(f) || bad ? -1 : 0;
}

/* Runs fmt... through sh; stdout (and stderr when with_stderr) into *out
 * (NULL: discarded). Returns the exit status, 128 if killed by a signal. */
__attribute__((format(printf, 3, 4)))
static inline int shell_run(char **out, int with_stderr, const char *fmt, ...)
{
	char cmd[8192], *text = NULL;
	size_t len = 0;
	va_list ap;
	FILE *p, *mem;
	int c, status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, with_stderr ? " 2>&1" : " 2>/dev/null", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	mem = open_memstream(&text, &len);
	while ((c = fgetc(p)) != EOF)
		fputc(c, mem);
	fclose(mem);
	status = pclose(p);
	if (out)
		*out = text;
	else
		free(text);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#endif /* KVMPROF_TEST_SHELL_H */
