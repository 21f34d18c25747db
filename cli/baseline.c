/* SPDX-License-Identifier: MIT */
/* baseline.c - `kvmprof baseline A B ...` (the engine: ops/baseline.c). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "cli.h"

static void usage_baseline(FILE *f)
{
	fputs("usage: kvmprof baseline [-o OUT.yaml] [--name NAME] [--strict] [-I DIR]... A.yaml B.yaml...\n"
	      "Writes the richest profile that every input can present, per KVM's write rule: fields a VMM\n"
	      "may lower (arm64 lower-safe ID fields, PSCI_VERSION, x86 CPUID feature bits and address\n"
	      "widths) take the minimum, higher-safe fields the maximum, other fields must be equal; one\n"
	      "without a common value is left out, with a warning naming every input's value, and listed\n"
	      "in the baseline's provenance (left-out[N]).\n"
	      "  --strict     refuse instead: a field without a common value is an error, nothing written\n"
	      "  -o FILE      write the baseline here (atomically; nothing is written on error);\n"
	      "               default: standard output\n"
	      "  --name NAME  the baseline's name (default: FILE without .yaml, or \"baseline\")\n"
	      "  -I DIR       where base profiles are looked up (default: profiles)\n"
	      "Exit status: 0 written, 1 an input error, architectures that differ or (--strict) no safe\n"
	      "common value: nothing written, 2 usage error.\n", f);
}

static int emit_yaml(void *ctx, FILE *out, struct diag *d)
{
	(void)d;
	profile_write_yaml(ctx, out);
	return 0;
}

int cmd_baseline(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "name", required_argument, NULL, 'n' },
		{ "strict", no_argument, NULL, 's' },
		{ "include", required_argument, NULL, 'I' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *output = NULL, *name = NULL;
	struct profile *in[MAX_BASELINE_INPUTS] = { 0 }, *result = NULL;
	int c, rc = 0, strict = 0;
	size_t n_in = 0;
	char *derived = NULL;
	struct diag d;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:n:I:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'n': name = optarg; break;
		case 's': strict = 1; break;
		case 'I': cli_add_include(optarg); break;
		case 'h': usage_baseline(out); return 0;
		default:
			fprintf(err, "kvmprof baseline: bad option '%s'\n", argv[optind - 1]);
			usage_baseline(err);
			return 2;
		}
	}
	if (argc - optind < 2 || argc - optind > MAX_BASELINE_INPUTS) {
		fprintf(err, "kvmprof baseline: need 2 to %d profiles, got %d\n", MAX_BASELINE_INPUTS, argc - optind);
		usage_baseline(err);
		return 2;
	}
	if (output) {
		derived = cli_name_of_path(output);
		if (name && strcmp(name, derived)) {
			fprintf(err, "kvmprof baseline: --name %s does not match the output file %s "
				"(a profile's name is its file name without .yaml)\n", name, output);
			free(derived);
			return 2;
		}
		name = derived;
	} else if (!name) {
		name = "baseline";
	}
	cli_default_includes();
	diag_init(&d, err);
	for (int i = optind; i < argc; i++) {
		int before = d.n_errors;
		struct profile *p = cli_load_checked(argv[i], &d);
		if (!p || d.n_errors > before)
			rc = 1;
		in[n_in++] = p;
	}
	if (rc == 0) {
		result = profile_baseline(in, n_in, name, strict, &d);
		if (!result)
			rc = 1;
	}
	if (result) {
		if (output)
			rc = cli_write_atomic(output, emit_yaml, result, &d) == 0 ? 0 : 1;
		else
			profile_write_yaml(result, out);
	}
	cli_error_count(&d, err);
	profile_free(result);
	for (size_t i = 0; i < n_in; i++)
		profile_free(in[i]);
	free(derived);
	diag_fini(&d);
	return rc;
}
