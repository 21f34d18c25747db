/* SPDX-License-Identifier: MIT */
/* common.c - what every verb shares (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_INCLUDES 32

const char *cli_search_path[MAX_INCLUDES + 2];
static int n_includes;

void cli_add_include(const char *dir)
{
	if (n_includes < MAX_INCLUDES)
		cli_search_path[n_includes++] = dir;
	cli_search_path[n_includes] = NULL;
}

void cli_default_includes(void)
{
	if (n_includes == 0)
		cli_add_include("profiles");
}

#define MAX_CHECKS 128

static signed char levels[MAX_CHECKS];
static int all_warnings_errors;

void cli_reset(void)
{
	n_includes = 0;
	cli_search_path[0] = NULL;
	if (check_table_size > MAX_CHECKS)
		abort();
	check_levels_default(levels);
	all_warnings_errors = 0;
}

int cli_warning_option(const char *opt, FILE *err)
{
	char why[256];

	if (check_levels_option(levels, &all_warnings_errors, opt, why, sizeof(why)) == 0)
		return 0;
	fprintf(err, "kvmprof: -W%s: %s\n", opt, why);
	return 2;
}

void cli_diag_init(struct diag *d, FILE *err)
{
	diag_init(d, err);
	d->levels = levels;
	d->warnings_are_errors = all_warnings_errors;
}

void cli_warning_usage(FILE *f, const char *verb)
{
	size_t n = strlen(verb), col = 0;

	fputs("  -W NAME, -Wno-NAME, -Werror=NAME\n"
	      "                 turn a warning check on, off, or into an error; -Werror: every warning\n"
	      "  warning checks:", f);
	col = 17;
	for (size_t i = 0; i < check_table_size; i++) {
		const struct check_def *c = &check_table[i];
		const char *v = strstr(c->verbs, verb);
		if (c->level != CHECK_WARNING || !v || (v[n] && v[n] != ' '))
			continue;
		if (col + strlen(c->name) + 1 > 96) {
			fputs("\n                 ", f);
			col = 17;
		}
		fprintf(f, " %s", c->name);
		col += strlen(c->name) + 1;
	}
	fputc('\n', f);
}

struct profile *cli_load_checked(const char *path, struct diag *d)
{
	struct profile *p = profile_load_resolved(path, cli_search_path, d);

	if (p)
		profile_check(p, d); /* conditions are independent of other errors: report them too */
	return p;
}

/* ---- atomic output ------------------------------------------------------------- */

/* mkstemp() makes the file 0600; the output gets the mode fopen() would give it. */
static void cli_output_mode(int fd)
{
	mode_t mask = umask(0);

	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
}

int cli_write_temp(const char *path, cli_emit_fn emit, void *ctx, struct diag *d, char **tmp_out)
{
	size_t n = strlen(path);
	char *tmp = xcalloc(n + 16, 1);
	FILE *out;
	int fd, rc;

	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		struct srcpos pos = { diag_intern(d, path), 0, 0 };
		diag_error(d, pos, "io", "cannot create a temporary file next to it: %s", strerror(errno));
		free(tmp);
		return -1;
	}
	cli_output_mode(fd);
	out = fdopen(fd, "w");
	rc = out ? emit(ctx, out, d) : -1;
	if (out) {
		if (fflush(out) != 0 || ferror(out))
			rc = -1;
		if (fclose(out) != 0)
			rc = -1;
	}
	if (rc == 0 && d->n_errors == 0) {
		*tmp_out = tmp;
		return 0;
	}
	if (rc != 0 && d->n_errors == 0) {
		struct srcpos pos = { diag_intern(d, path), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
	}
	unlink(tmp);
	free(tmp);
	return -1;
}

int cli_commit_temp(char *tmp, const char *path, struct diag *d)
{
	int rc = rename(tmp, path);

	if (rc != 0) {
		struct srcpos pos = { diag_intern(d, path), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc ? -1 : 0;
}

int cli_write_atomic(const char *path, cli_emit_fn emit, void *ctx, struct diag *d)
{
	char *tmp;

	if (cli_write_temp(path, emit, ctx, d, &tmp))
		return -1;
	return cli_commit_temp(tmp, path, d);
}

/* ---- names ---------------------------------------------------------------------- */

const char *cli_base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

char *cli_name_of_path(const char *path)
{
	const char *b = cli_base_name(path);
	size_t n = strlen(b);

	if (n > 5 && !strcmp(b + n - 5, ".yaml"))
		n -= 5;
	return xstrndup(b, n);
}

void cli_error_count(const struct diag *d, FILE *err)
{
	if (d->n_errors)
		fprintf(err, "%d error%s\n", d->n_errors, d->n_errors == 1 ? "" : "s");
}

int cli_has_host_facts(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[512];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "host:", 5);
	if (f)
		fclose(f);
	return found;
}
