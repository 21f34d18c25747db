/* SPDX-License-Identifier: MIT */
/*
 * cli_run.h - runs a kvmprof command in process through kvmprof_main()
 * (cli/main.c), capturing both streams (header only).
 */
#ifndef KVMPROF_TEST_CLI_RUN_H
#define KVMPROF_TEST_CLI_RUN_H

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

struct run {
	int rc;          /* the exit status */
	char *out, *err; /* what the command wrote, NUL-terminated */
};

/* args: the verb and its arguments, NULL-terminated ("diff", "a.yaml", ...). */
static inline struct run run_kvmprof(const char *const *args)
{
	char *argv[64];
	int argc = 0;
	size_t out_len = 0, err_len = 0;
	struct run r = { 0 };
	FILE *out = open_memstream(&r.out, &out_len), *err = open_memstream(&r.err, &err_len);

	if (!out || !err)
		abort();
	argv[argc++] = (char *)"kvmprof";
	for (; *args && argc < 63; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	r.rc = kvmprof_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

#endif /* KVMPROF_TEST_CLI_RUN_H */
