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

/*
 * The checks: every error and warning names one, and check_table (checks.c)
 * lists them all with their level, like dtc's check table. A warning check
 * can be turned off or made an error per check (-Wno-NAME, -Werror=NAME on
 * compile and lint); an error check stays an error.
 */
enum check_level { CHECK_OFF = 0, CHECK_WARNING = 1, CHECK_ERROR = 2 };
struct check_def {
	const char *name;    /* "unknown-register", printed as [unknown-register] */
	int level;           /* enum check_level: the default; CHECK_ERROR cannot be lowered */
	const char *verbs;   /* the verbs that report it: "compile lint", "import", ... */
	const char *summary; /* one line, for --help and the documentation */
};
extern const struct check_def check_table[];
extern const size_t check_table_size;
/* Index into check_table; -1 if no check has that name. */
int check_index(const char *name);

struct diag {
	FILE *out;              /* stderr, or a memstream in tests */
	int n_errors;
	int n_warnings;
	int warnings_are_errors;
	int quiet_source;       /* 1: no source line and caret */
	/* Per check_table index: the level chosen on the command line, or
	 * NULL for the table's levels. */
	const signed char *levels;
	int suppressed;         /* the last warning was off: its notes are dropped too */
	struct diag_file *files;
	/* Printing stops after DIAG_MAX_SHOWN errors and warnings (an input
	 * can have one on every byte); diag_fini() says how many were not shown. */
	int n_shown, n_hidden_errors, n_hidden_warnings, hiding;
};

/*
 * Applies one -W option (what follows -W: "NAME", "no-NAME", "error=NAME",
 * "error") to levels (check_table_size entries, initialised with
 * check_levels_default) and *all_errors. 0, or -1 with the reason in why.
 */
void check_levels_default(signed char *levels);
int check_levels_option(signed char *levels, int *all_errors, const char *opt, char *why, size_t why_len);

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
