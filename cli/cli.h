/* SPDX-License-Identifier: MIT */
/* cli.h - shared pieces of the kvmprof verbs. */
#ifndef KVMPROF_CLI_H
#define KVMPROF_CLI_H

#include <stdio.h>

#include "profile.h"

/* -I directories, NULL-terminated; "profiles" when none was given. */
extern const char *cli_search_path[];
void cli_add_include(const char *dir);
void cli_default_includes(void);

/* Loads a profile with its base chain and runs the compile-time checks. */
struct profile *cli_load_checked(const char *path, struct diag *d);

/* Writes path through a temporary file and rename(); on any error (also an
 * error reported into d by emit) nothing is left behind. 0 or -1. */
typedef int (*cli_emit_fn)(void *ctx, FILE *out, struct diag *d);
int cli_write_atomic(const char *path, cli_emit_fn emit, void *ctx, struct diag *d);

/* What an output may replace, "-" for stdout: output.h. */

int cmd_show(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif /* KVMPROF_CLI_H */
