/* SPDX-License-Identifier: MIT */
/*
 * baseline.c - `kvmprof baseline A B ...`: the verb lives in ops/baseline.c
 * so tests run it in process; here only the atomic file output.
 */
#include "baseline.h"
#include "cli.h"

static int emit_yaml(void *ctx, FILE *out, struct diag *d)
{
	(void)d;
	profile_write_yaml(ctx, out);
	return 0;
}

static int write_atomic(const char *path, const struct profile *p, struct diag *d)
{
	return cli_write_atomic(path, emit_yaml, (void *)p, d);
}

int cmd_baseline(int argc, char **argv, FILE *out, FILE *err)
{
	return baseline_main(argc, argv, out, err, write_atomic);
}
