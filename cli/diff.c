/* SPDX-License-Identifier: MIT */
/* diff.c - `kvmprof diff A B` (the engine: ops/diff.c). */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "diff.h"
#include "host.h"

static void usage_diff(FILE *f)
{
	fputs("usage: kvmprof diff [--format text|markdown|json] [-I DIR]... A.yaml B.yaml\n"
	      "Lists what a guest would notice moving from profile A to profile B, field by field,\n"
	      "after resolving inheritance: \"ID_AA64PFR0_EL1.CSV2: 1 -> 0\".\n"
	      "  --format FMT  text (default), markdown (for a pull request), json (for CI)\n"
	      "  -I DIR        where base profiles are looked up (default: profiles)\n"
	      "Each value carries KVM's write rule for the field (lower, raise, exact), whether a guest\n"
	      "started on A keeps running on B, and the field's meaning; register-set: is compared too.\n"
	      "Exit status: 0 same, 1 different, 2 usage error, an input that cannot be loaded, or\n"
	      "profiles of two architectures.\n", f);
}

/* Loads, resolves and checks; NULL (with the errors in d) if unusable. */
static struct profile *load_input(const char *path, struct diag *d)
{
	int before = d->n_errors;
	struct profile *p = cli_load_checked(path, d);

	if (p && d->n_errors == before)
		return p;
	profile_free(p);
	return NULL;
}

int cmd_diff(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "include", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	int format = PDIFF_FORMAT_TEXT, c, rc;
	struct profile *a, *b;
	struct diag d;
	struct pdiff result;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:I:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = pdiff_format_by_name(optarg);
			if (format < 0) {
				fprintf(err, "kvmprof diff: unknown format '%s' (text, markdown or json)\n", optarg);
				return 2;
			}
			break;
		case 'I': cli_add_include(optarg); break;
		case 'h':
			usage_diff(out);
			return 0;
		default:
			fprintf(err, "kvmprof diff: bad option '%s'\n", argv[optind - 1]);
			usage_diff(err);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(err, "kvmprof diff: need two profiles, got %d\n", argc - optind);
		usage_diff(err);
		return 2;
	}
	cli_default_includes();
	diag_init(&d, err);
	a = load_input(argv[optind], &d);
	b = load_input(argv[optind + 1], &d);
	if (!a || !b) {
		cli_error_count(&d, err);
		profile_free(a);
		profile_free(b);
		diag_fini(&d);
		return 2;
	}
	if (a->arch != b->arch) {
		fprintf(err, "kvmprof diff: %s is an %s profile and %s an %s one: profiles of different "
			"architectures are not comparable\n", argv[optind], regdb_arch_name(a->arch), argv[optind + 1],
			regdb_arch_name(b->arch));
		profile_free(a);
		profile_free(b);
		diag_fini(&d);
		return 2;
	}
	profile_diff(a, b, &result);
	{
		struct host_facts ha = { 0 }, hb = { 0 };
		/* register sets as the runtime sees them: inherited through the base chain */
		int bad = host_regset_of_profile(a, &ha, &d) < 0 || host_regset_of_profile(b, &hb, &d) < 0;
		if (!bad)
			profile_diff_regsets(&ha, &hb, a->arch, &result);
		host_facts_free(&ha);
		host_facts_free(&hb);
		if (bad) {
			pdiff_free(&result);
			profile_free(a);
			profile_free(b);
			diag_fini(&d);
			return 2;
		}
	}
	if (format == PDIFF_FORMAT_TEXT && result.n_items == 0)
		fputs("no guest-visible differences\n", out);
	else
		pdiff_write(&result, format, out);
	rc = result.n_items ? 1 : 0;
	pdiff_free(&result);
	profile_free(a);
	profile_free(b);
	diag_fini(&d);
	return rc;
}
