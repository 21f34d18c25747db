/* SPDX-License-Identifier: MIT */
/* lint.c - `kvmprof lint`: the checks of compile plus the review rules (model/lint.c). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage_lint(FILE *f)
{
	fputs("usage: kvmprof lint [-W CHECK]... [-I DIR]... PROFILE.yaml...\n"
	      "The checks of compile, plus review rules: missing provenance or description, entries that\n"
	      "repeat the base's value, raw values where the register has named fields.\n"
	      "  -I DIR         where base profiles are looked up (default: profiles)\n"
	      "Exit status: 0 no errors, 1 errors (warnings too, with -Werror), 2 usage error.\n", f);
	cli_warning_usage(f, "lint");
}

/* The resolved base of p, for comparison only (it was checked while
 * resolving p, found the way every verb finds it); NULL if none. */
static struct profile *load_base(const struct profile *p, const char *path)
{
	struct profile *base = NULL;
	struct diag quiet;
	FILE *null = fopen("/dev/null", "w");
	char *file = profile_find_base(p->base, path, cli_search_path);

	diag_init(&quiet, null ? null : stderr);
	if (file)
		base = profile_load_resolved(file, cli_search_path, &quiet);
	diag_fini(&quiet);
	if (null)
		fclose(null);
	free(file);
	return base;
}

int cmd_lint(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "include", required_argument, NULL, 'I' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c, rc = 0;
	struct diag d;

	while ((c = getopt_long(argc, argv, "I:W:h", opts, NULL)) != -1) {
		switch (c) {
		case 'I': cli_add_include(optarg); break;
		case 'W':
			if (cli_warning_option(optarg, err))
				return 2;
			break;
		case 'h': usage_lint(out); return 0;
		default: usage_lint(err); return 2;
		}
	}
	cli_default_includes();
	if (optind >= argc) {
		usage_lint(err);
		return 2;
	}
	cli_diag_init(&d, err);
	for (int i = optind; i < argc; i++) {
		int before = d.n_errors;
		struct profile *p = cli_load_checked(argv[i], &d), *base = NULL;

		if (p && d.n_errors == before && p->base)
			base = load_base(p, argv[i]);
		if (p && d.n_errors == before)
			profile_lint(p, base, &d);
		if (d.n_errors > before)
			rc = 1;
		profile_free(base);
		profile_free(p);
	}
	if (d.n_errors || d.n_warnings)
		fprintf(err, "%d error%s, %d warning%s\n", d.n_errors, d.n_errors == 1 ? "" : "s",
			d.n_warnings, d.n_warnings == 1 ? "" : "s");
	diag_fini(&d);
	return rc;
}
