/* SPDX-License-Identifier: MIT */
/*
 * main.c - the kvmprof command line in process (kvmprof_main, see cli.h):
 * one verb per job, each in its own file.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "output.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv, FILE *out, FILE *err);
	int (*run_std)(int argc, char **argv); /* a verb that writes to stdout and stderr itself */
	const char *summary;
};

static const struct verb verbs[] = {
	{ "compile", cmd_compile, NULL, "turn a profile into C tables for libkvmprof" },
	{ "lint", cmd_lint, NULL, "check a profile and apply the review rules" },
	{ "show", cmd_show, NULL, "print the resolved profile (inheritance applied)" },
	{ "explain", cmd_explain, NULL, "what a register, field, capability or quirk means and its history" },
	{ "import", cmd_import, NULL, "a Firecracker CPU fingerprint or template as a profile" },
	{ "export", cmd_export, NULL, "a profile as a Firecracker custom CPU template" },
	{ "diff", cmd_diff, NULL, "what a guest would notice between two profiles, field by field" },
	{ "baseline", cmd_baseline, NULL, "the richest profile that every input profile can present" },
	{ "capture", cmd_capture, NULL, "a profile of what this host's KVM presents, with its host facts" },
	{ "check", NULL, cmd_check, "can this host, or captured ones, present profiles? (0 yes, 1 no, 3 unknown)" },
	{ "test", NULL, cmd_test, "check what a profile repository states must stay true of each profile" },
	{ "review", NULL, cmd_review, "a markdown report of a profile change since a git revision, for its reviewers" },
	{ NULL, NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	fputs("usage: kvmprof [--version] [--help] [--follow-symlinks] VERB [ARGS]\n\nverbs:\n", f);
	for (const struct verb *v = verbs; v->name; v++)
		fprintf(f, "  %-10s %s\n", v->name, v->summary);
	fputs("\n`kvmprof VERB --help` describes each verb.\n", f);
}

int kvmprof_main(int argc, char **argv, FILE *out, FILE *err)
{
	/* --follow-symlinks, for every verb that writes: an output naming a link
	 * replaces the file it points to (else a link is refused). */
	output_follow_symlinks = 0;
	for (int i = 1, j = 1; i <= argc; i++) {
		if (i < argc && !strcmp(argv[i], "--follow-symlinks")) {
			output_follow_symlinks = 1;
			continue;
		}
		argv[j++] = argv[i];
		if (i == argc)
			argc = j - 1;
	}
	if (argc < 2) {
		usage(err);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		fprintf(out, "kvmprof %s (table ABI %u, profile format %u)\n", KVMPROF_VERSION_STRING,
			KVMPROF_TABLE_ABI, KVMPROF_FORMAT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(out);
		return 0;
	}
	for (const struct verb *v = verbs; v->name; v++) {
		if (strcmp(argv[1], v->name))
			continue;
		optind = 0; /* glibc: full re-initialisation, so each call parses afresh */
		opterr = 1;
		cli_reset();
		int rc = v->run ? v->run(argc - 1, argv + 1, out, err) : v->run_std(argc - 1, argv + 1);
		fflush(out);
		fflush(err);
		return rc;
	}
	fprintf(err, "kvmprof: unknown verb '%s'\n", argv[1]);
	usage(err);
	return 2;
}
