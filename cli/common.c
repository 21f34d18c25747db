/* SPDX-License-Identifier: MIT */
/* common.c - what every verb shares (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"

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

/*
 * Outputs never clobber: the temporary file is renamed over `path` only when
 * path is missing or a regular file that is not one of the inputs (a device
 * node, a directory, a symbolic link, the profile being compiled are
 * refused: output.c), and a fatal signal during the write removes the
 * temporary.
 */

int cli_write_temp(const char *named, cli_emit_fn emit, void *ctx, struct diag *d, char **tmp_out, int *slot)
{
	char *path, *tmp;
	size_t n;
	FILE *out;
	int fd, rc;

	if (output_may_replace(named, d))
		return -1;
	path = output_path(named); /* a followed link: the temporary goes beside its target */
	n = strlen(path);
	tmp = xcalloc(n + 16, 1);
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	free(path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		struct srcpos pos = { diag_intern(d, named), 0, 0 };
		diag_error(d, pos, "io", "cannot create a temporary file next to it: %s", strerror(errno));
		free(tmp);
		return -1;
	}
	*slot = output_pending_add(tmp);
	output_set_mode(fd);
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
		struct srcpos pos = { diag_intern(d, named), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
	}
	unlink(tmp);
	output_pending_done(*slot);
	free(tmp);
	return -1;
}

int cli_commit_temp(char *tmp, int slot, const char *named, struct diag *d)
{
	int rc = output_may_replace(named, d);
	char *path = output_path(named);

	if (rc == 0 && rename(tmp, path) != 0) {
		struct srcpos pos = { diag_intern(d, named), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
		rc = -1;
	}
	free(path);
	if (rc)
		unlink(tmp);
	output_pending_done(slot);
	free(tmp);
	return rc;
}

int cli_write_stdout(FILE *out, cli_emit_fn emit, void *ctx, struct diag *d)
{
	int rc = emit(ctx, out, d);

	if (fflush(out) != 0 || ferror(out)) {
		struct srcpos pos = { diag_intern(d, "<stdout>"), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
		rc = -1;
	}
	return rc || d->n_errors ? -1 : 0;
}

int cli_write_atomic(const char *path, cli_emit_fn emit, void *ctx, struct diag *d)
{
	char *tmp;
	int slot;

	if (!strcmp(path, "-"))
		return cli_write_stdout(stdout, emit, ctx, d);
	if (cli_write_temp(path, emit, ctx, d, &tmp, &slot))
		return -1;
	return cli_commit_temp(tmp, slot, path, d);
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
	struct stat st;
	FILE *f = stat(file, &st) == 0 && S_ISREG(st.st_mode) ? fopen(file, "r") : NULL; /* no FIFO */
	char line[512];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "host:", 5);
	if (f)
		fclose(f);
	return found;
}
