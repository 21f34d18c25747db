/* SPDX-License-Identifier: MIT */
/* show.c - `kvmprof show`: the resolved profile, as YAML. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static void usage_show(FILE *f)
{
	fputs("usage: kvmprof show [-I DIR]... PROFILE.yaml\n"
	      "Prints the profile with its base chain applied, in the canonical format-1 YAML.\n"
	      "Exit status: 0 printed, 1 input errors, 2 usage error.\n", f);
}

int cmd_show(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "include", required_argument, NULL, 'I' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct profile *p;
	struct diag d;
	int c, rc;

	while ((c = getopt_long(argc, argv, "I:h", opts, NULL)) != -1) {
		switch (c) {
		case 'I': cli_add_include(optarg); break;
		case 'h': usage_show(out); return 0;
		default: usage_show(err); return 2;
		}
	}
	cli_default_includes();
	if (optind != argc - 1) {
		usage_show(err);
		return 2;
	}
	diag_init(&d, err);
	p = cli_load_checked(argv[optind], &d);
	rc = !p || d.n_errors ? 1 : 0;
	if (rc == 0) {
		char hash[32];
		profile_hash(p, hash);
		fprintf(out, "# resolved from %s (%s)\n", argv[optind], hash);
		profile_write_yaml(p, out);
	}
	profile_free(p);
	diag_fini(&d);
	return rc;
}
