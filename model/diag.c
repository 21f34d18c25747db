/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

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

static void load_text(struct diag_file *f)
{
	FILE *in;
	size_t cap = 4096, n = 0, got;

	f->loaded = 1;
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
	const char *p, *end;
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
	fprintf(d->out, "%5d | %.*s\n      | ", pos.line, (int)(end - p), p);
	for (i = 1; i < pos.col && p + i - 1 < end; i++)
		fputc(p[i - 1] == '\t' ? '\t' : ' ', d->out);
	fputs("^\n", d->out);
}

static void report(struct diag *d, struct srcpos pos, const char *kind, const char *check,
		   const char *fmt, va_list ap)
{
	if (pos.file && pos.line > 0)
		fprintf(d->out, "%s:%d:%d: %s: ", pos.file, pos.line, pos.col > 0 ? pos.col : 1, kind);
	else if (pos.file)
		fprintf(d->out, "%s: %s: ", pos.file, kind);
	else
		fprintf(d->out, "kvmprof: %s: ", kind);
	vfprintf(d->out, fmt, ap);
	if (check)
		fprintf(d->out, " [%s]", check);
	fputc('\n', d->out);
	show_source(d, pos);
}

void diag_error(struct diag *d, struct srcpos pos, const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(d, pos, "error", check, fmt, ap);
	va_end(ap);
	d->n_errors++;
}

void diag_warning(struct diag *d, struct srcpos pos, const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(d, pos, d->warnings_are_errors ? "error" : "warning", check, fmt, ap);
	va_end(ap);
	if (d->warnings_are_errors)
		d->n_errors++;
	else
		d->n_warnings++;
}

void diag_note(struct diag *d, struct srcpos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(d, pos, "note", NULL, fmt, ap);
	va_end(ap);
}

struct srcpos srcpos_offset(struct srcpos pos, int off)
{
	pos.col += off;
	return pos;
}
