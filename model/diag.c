/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct diag_file {
	char *name;
	char *text;      /* whole file, NUL-terminated; NULL if unreadable */
	int loaded;
	struct diag_file *next;
};

void diag_init(struct diag *d, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
}

void diag_fini(struct diag *d)
{
	struct diag_file *f = d->files, *next;

	if ((d->n_hidden_errors || d->n_hidden_warnings) && d->out) {
		fputs("kvmprof: ... and ", d->out);
		if (d->n_hidden_errors)
			fprintf(d->out, "%d more error%s", d->n_hidden_errors, d->n_hidden_errors == 1 ? "" : "s");
		if (d->n_hidden_errors && d->n_hidden_warnings)
			fputs(" and ", d->out);
		if (d->n_hidden_warnings)
			fprintf(d->out, "%d more warning%s", d->n_hidden_warnings, d->n_hidden_warnings == 1 ? "" : "s");
		fprintf(d->out, " not shown (only the first %d are printed)\n", DIAG_MAX_SHOWN);
	}
	d->n_hidden_errors = d->n_hidden_warnings = 0;

	for (; f; f = next) {
		next = f->next;
		free(f->name);
		free(f->text);
		free(f);
	}
	d->files = NULL;
}

static struct diag_file *find_file(struct diag *d, const char *name)
{
	struct diag_file *f;

	for (f = d->files; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	f = calloc(1, sizeof(*f));
	if (!f)
		abort();
	f->name = strdup(name);
	if (!f->name)
		abort();
	f->next = d->files;
	d->files = f;
	return f;
}

const char *diag_intern(struct diag *d, const char *name)
{
	return find_file(d, name ? name : "<input>")->name;
}

void diag_set_text(struct diag *d, const char *name, const char *text, size_t len)
{
	struct diag_file *f = find_file(d, name);

	free(f->text);
	f->text = malloc(len + 1);
	if (!f->text)
		abort();
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->loaded = 1;
}

/* A file no reader gave its text: read it if it is a regular file of a sane size. */
static void load_text(struct diag_file *f)
{
	FILE *in;
	size_t cap = 4096, n = 0, got;
	struct stat st;

	f->loaded = 1;
	if (stat(f->name, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))
		return;
	in = fopen(f->name, "rb");
	if (!in)
		return;
	f->text = malloc(cap + 1);
	while (f->text && (got = fread(f->text + n, 1, cap - n, in)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger = realloc(f->text, cap * 2 + 1);
			if (!bigger) {
				free(f->text);
				f->text = NULL;
				break;
			}
			f->text = bigger;
			cap *= 2;
		}
	}
	if (f->text)
		f->text[n] = '\0';
	fclose(in);
}

/* Prints the source line and a caret under pos.col (tabs kept so the caret lines up). */
static void show_source(struct diag *d, struct srcpos pos)
{
	struct diag_file *f;
	const char *p, *end, *first, *last;
	int line = 1, i;

	if (d->quiet_source || !pos.file || pos.line <= 0)
		return;
	f = find_file(d, pos.file);
	if (!f->loaded)
		load_text(f);
	if (!f->text)
		return;
	for (p = f->text; *p && line < pos.line; p++)
		if (*p == '\n')
			line++;
	if (line != pos.line)
		return;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	/* A long line is quoted around the caret, "..." marking what is cut. */
	first = p;
	if (end - p > DIAG_MAX_QUOTE) {
		long at = pos.col - 1 < end - p ? pos.col - 1 : (long)(end - p);
		long from = at > DIAG_MAX_QUOTE / 2 ? at - DIAG_MAX_QUOTE / 2 : 0;
		if (from + DIAG_MAX_QUOTE > end - p)
			from = (long)(end - p) - DIAG_MAX_QUOTE;
		first = p + from;
		last = first + DIAG_MAX_QUOTE;
	} else {
		last = end;
	}
	fprintf(d->out, "%5d | %s%.*s%s\n      | %s", pos.line, first > p ? "..." : "", (int)(last - first), first,
		last < end ? "..." : "", first > p ? "   " : "");
	for (i = 1; i < pos.col - (int)(first - p) && first + i - 1 < last; i++)
		fputc(first[i - 1] == '\t' ? '\t' : ' ', d->out);
	fputs("^\n", d->out);
}

static void report(struct diag *d, struct srcpos pos, const char *kind, const char *check,
		   const char *fmt, va_list ap)
{
	char msg[DIAG_MAX_MESSAGE];
	int n;

	if (strcmp(kind, "note")) { /* an error or a warning: shown, or counted */
		d->hiding = d->n_shown >= DIAG_MAX_SHOWN;
		if (d->hiding) {
			if (!strcmp(kind, "error"))
				d->n_hidden_errors++;
			else
				d->n_hidden_warnings++;
			return;
		}
		d->n_shown++;
	} else if (d->hiding) {
		return; /* the note of a diagnostic not shown */
	}
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= (int)sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	if (pos.file && pos.line > 0)
		fprintf(d->out, "%s:%d:%d: %s: ", pos.file, pos.line, pos.col > 0 ? pos.col : 1, kind);
	else if (pos.file)
		fprintf(d->out, "%s: %s: ", pos.file, kind);
	else
		fprintf(d->out, "kvmprof: %s: ", kind);
	fputs(msg, d->out);
	if (check)
		fprintf(d->out, " [%s]", check);
	fputc('\n', d->out);
	show_source(d, pos);
}

void diag_error(struct diag *d, struct srcpos pos, const char *check, const char *fmt, ...)
{
	va_list ap;

	d->suppressed = 0;
	va_start(ap, fmt);
	report(d, pos, "error", check, fmt, ap);
	va_end(ap);
	d->n_errors++;
}

void diag_warning(struct diag *d, struct srcpos pos, const char *check, const char *fmt, ...)
{
	int i = check ? check_index(check) : -1;
	int level = i < 0 ? CHECK_WARNING : d->levels ? d->levels[i] : check_table[i].level;
	int as_error = level == CHECK_ERROR || d->warnings_are_errors;
	va_list ap;

	d->suppressed = level == CHECK_OFF;
	if (d->suppressed)
		return;
	va_start(ap, fmt);
	report(d, pos, as_error ? "error" : "warning", check, fmt, ap);
	va_end(ap);
	if (as_error)
		d->n_errors++;
	else
		d->n_warnings++;
}

void diag_note(struct diag *d, struct srcpos pos, const char *fmt, ...)
{
	va_list ap;

	if (d->suppressed)
		return;
	va_start(ap, fmt);
	report(d, pos, "note", NULL, fmt, ap);
	va_end(ap);
}

int diag_shows_next(const struct diag *d)
{
	return d->n_shown < DIAG_MAX_SHOWN;
}

struct srcpos srcpos_offset(struct srcpos pos, int off)
{
	pos.col += off;
	return pos;
}

int check_index(const char *name)
{
	for (size_t i = 0; i < check_table_size; i++)
		if (!strcmp(check_table[i].name, name))
			return (int)i;
	return -1;
}

void check_levels_default(signed char *levels)
{
	for (size_t i = 0; i < check_table_size; i++)
		levels[i] = (signed char)check_table[i].level;
}

int check_levels_option(signed char *levels, int *all_errors, const char *opt, char *why, size_t why_len)
{
	const char *name = opt;
	int level = CHECK_WARNING, i;

	if (!strcmp(opt, "error")) {
		*all_errors = 1;
		return 0;
	}
	if (!strncmp(opt, "no-", 3)) {
		name = opt + 3;
		level = CHECK_OFF;
	} else if (!strncmp(opt, "error=", 6)) {
		name = opt + 6;
		level = CHECK_ERROR;
	}
	i = check_index(name);
	if (i < 0) {
		snprintf(why, why_len, "unknown check '%s' (kvmprof lint --help lists them)", name);
		return -1;
	}
	if (check_table[i].level == CHECK_ERROR) {
		if (level != CHECK_OFF)
			return 0; /* already an error */
		snprintf(why, why_len, "%s is an error, not a warning: it cannot be turned off", name);
		return -1;
	}
	levels[i] = (signed char)level;
	return 0;
}
