/* SPDX-License-Identifier: MIT */
/*
 * diag.h - diagnostics in the GNU form, with the source line and a caret:
 *
 *   profiles/x.yaml:12:9: error: field 'GIC' of ID_AA64PFR0_EL1 is 4 bits wide; 0x1f does not fit [value-width]
 *      12 |     GIC: 0x1f
 *         |          ^
 *
 * All errors of a run are collected; the caller decides the exit status.
 */
#ifndef KVMPROF_DIAG_H
#define KVMPROF_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* 1-based line and column; file is interned by the diag (never freed early). */
struct srcpos {
	const char *file;
	int line;
	int col;
};

struct diag_file;

struct diag {
	FILE *out;              /* stderr, or a memstream in tests */
	int n_errors;
	int n_warnings;
	int warnings_are_errors;
	int quiet_source;       /* 1: no source line and caret */
	struct diag_file *files;
	/* Printing stops after DIAG_MAX_SHOWN errors and warnings (an input
	 * can have one on every byte); diag_fini() says how many were not shown. */
	int n_shown, n_hidden_errors, n_hidden_warnings, hiding;
};

#define DIAG_MAX_SHOWN 50       /* errors and warnings printed per run */
#define DIAG_MAX_MESSAGE 1024   /* bytes of one message; longer ones end in "..." */
#define DIAG_MAX_QUOTE 160      /* columns of a quoted source line, around the caret */

void diag_init(struct diag *d, FILE *out);
void diag_fini(struct diag *d);

/* The text of file name as read (quoted by later diagnostics instead of
 * reading the file again); d keeps a copy. */
void diag_set_text(struct diag *d, const char *name, const char *text, size_t len);

/* Returns a copy of name owned by d, the same pointer for equal names. */
const char *diag_intern(struct diag *d, const char *name);

/* check: the name of the check in brackets ("unknown-register"), may be NULL. */
void diag_error(struct diag *d, struct srcpos pos, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_warning(struct diag *d, struct srcpos pos, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_note(struct diag *d, struct srcpos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 1 when the next error or warning will be printed (DIAG_MAX_SHOWN not
 * reached): costly extras of a message, like a "did you mean", are worked
 * out only then, so an input with thousands of errors stays linear. */
int diag_shows_next(const struct diag *d);

/* A position inside a scalar: col advanced by `off` bytes. */
struct srcpos srcpos_offset(struct srcpos pos, int off);

#endif /* KVMPROF_DIAG_H */
