/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the kvmprof command: one file per verb (cli/VERB.c) that parses its
 * options and calls an engine of ops/, model/ or formats/; the common part
 * here (common.c): search path, atomic output, path -> profile name.
 *
 * Every verb is `int cmd_VERB(int argc, char **argv, FILE *out, FILE *err)`:
 * argv[0] is the verb, results go to out, diagnostics to err, and the return
 * value is the exit status. kvmprof_main() is the whole command in process;
 * the program's main() and the tests call it.
 */
#ifndef KVMPROF_CLI_H
#define KVMPROF_CLI_H

#include <stdio.h>

#include "profile.h"

/*
 * The whole command line: argv[0] is the program, argv[1] the verb. Parses
 * afresh on every call (getopt and the search path are reset), so tests may
 * call it repeatedly. Exit status: 0 success (or "yes"/"same" for
 * check/diff), 1 input errors or "no"/"different", 2 usage errors.
 */
int kvmprof_main(int argc, char **argv, FILE *out, FILE *err);

/* -I directories, NULL-terminated; "profiles" when none was given. */
extern const char *cli_search_path[];
void cli_add_include(const char *dir);
void cli_default_includes(void);
/* Back to no -I and the check table's levels (kvmprof_main, before each verb). */
void cli_reset(void);

/* -W OPTION (NAME, no-NAME, error=NAME, error) for the checks of check_table;
 * 0, or 2 (a usage error, reported on err). */
int cli_warning_option(const char *opt, FILE *err);
/* diag_init with the levels chosen by -W. */
void cli_diag_init(struct diag *d, FILE *err);
/* The -W lines of a verb's --help, with every warning check it reports. */
void cli_warning_usage(FILE *f, const char *verb);

/* Loads a profile with its base chain and runs the compile-time checks. */
struct profile *cli_load_checked(const char *path, struct diag *d);

/* Writes path through a temporary file and rename(); on any error (also an
 * error reported into d by emit) nothing is left behind. 0 or -1. */
typedef int (*cli_emit_fn)(void *ctx, FILE *out, struct diag *d);
int cli_write_atomic(const char *path, cli_emit_fn emit, void *ctx, struct diag *d);
/* The two halves, for several files written all or nothing: cli_write_temp
 * writes a temporary file next to path (*tmp gets its name, *slot its place
 * among the pending ones; 0, or -1 with nothing left behind); cli_commit_temp
 * renames it over path (checked again) and frees tmp. */
int cli_write_temp(const char *path, cli_emit_fn emit, void *ctx, struct diag *d, char **tmp, int *slot);
int cli_commit_temp(char *tmp, int slot, const char *path, struct diag *d);
/* "-": the output goes to out (not atomic: a pipe has nothing to replace). */
int cli_write_stdout(FILE *out, cli_emit_fn emit, void *ctx, struct diag *d);

/* "dir/x.yaml" -> "x": the name a profile in that file must have (caller frees). */
char *cli_name_of_path(const char *path);
/* "dir/x.h" -> "x.h" (points into path). */
const char *cli_base_name(const char *path);

/* Is the file a capture (a profile with a top-level `host:` line)? 0 if unreadable. */
int cli_has_host_facts(const char *file);

/* What an output may replace, "-" for stdout: output.h. */

/* "N errors" after a verb's diagnostics, if there were any. */
void cli_error_count(const struct diag *d, FILE *err);

int cmd_compile(int argc, char **argv, FILE *out, FILE *err);
int cmd_lint(int argc, char **argv, FILE *out, FILE *err);
int cmd_show(int argc, char **argv, FILE *out, FILE *err);
int cmd_explain(int argc, char **argv, FILE *out, FILE *err);
int cmd_import(int argc, char **argv, FILE *out, FILE *err);
int cmd_export(int argc, char **argv, FILE *out, FILE *err);
int cmd_diff(int argc, char **argv, FILE *out, FILE *err);
int cmd_baseline(int argc, char **argv, FILE *out, FILE *err);
int cmd_capture(int argc, char **argv, FILE *out, FILE *err);
/* These write to standard output and error themselves. */
int cmd_check(int argc, char **argv);  /* check.c */
/* `kvmprof check PROFILE --against CAPTURE` with PROFILE loaded once for
 * many captures (fuzz/fuzz_capture.c): the verb's loaders, checker and
 * report; check_against_capture() returns the verb's exit status. */
struct check_profile;
struct check_profile *check_profile_load(const char *path); /* NULL: errors on stderr */
int check_against_capture(const struct check_profile *cp, const char *capture, int json, FILE *out);
void check_profile_free(struct check_profile *cp);
int cmd_review(int argc, char **argv); /* review.c */
int cmd_test(int argc, char **argv);   /* expect.c */

#endif /* KVMPROF_CLI_H */
