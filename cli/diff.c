/* SPDX-License-Identifier: MIT */
/* diff.c - `kvmprof diff A B`: the verb lives in ops/diff.c so tests run it in process. */
#include "cli.h"
#include "diff.h"

int cmd_diff(int argc, char **argv, FILE *out, FILE *err)
{
	return diff_main(argc, argv, out, err);
}
