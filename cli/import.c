/* SPDX-License-Identifier: MIT */
/* import.c - `kvmprof import --from firecracker` (the reader: formats/firecracker_in.c). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "firecracker.h"

static void usage_import(FILE *f)
{
	fputs("usage: kvmprof import --from firecracker FILE.json [-o PROFILE.yaml] [--name NAME] [--arch ARCH]\n"
	      "                             [--platform P] [-v]\n"
	      "       kvmprof import --from firecracker [--common NAME] -d DIR [--platform P] [-v] FILE.json...\n"
	      "A Firecracker CPU fingerprint (cpu-template-helper fingerprint dump) or custom CPU template\n"
	      "becomes a kvmprof profile: register ids become names with named fields, template x bits\n"
	      "become don't-care; ids the register database does not know are kept raw and reported.\n"
	      "  -o FILE        write the profile there (its name is the file name); default: stdout\n"
	      "  --name NAME    the profile's name (default: derived, e.g. linux-6.1-arm64-graviton2)\n"
	      "  --arch ARCH    arm64 or x86_64, for a template that does not tell\n"
	      "  --platform P   the platform of a fingerprint kvmprof does not know (lower case, digits, -):\n"
	      "                 the profile is named linux-<major.minor>-<arch>-P\n"
	      "  --common NAME  with -d: import several files, move what they all state identically into\n"
	      "                 the profile NAME, and base each import on it (it then states only what\n"
	      "                 differs)\n"
	      "  -d DIR         write DIR/<name>.yaml for each import (and DIR/NAME.yaml)\n"
	      "  -v, --verbose  list every vCPU state register left out (core, FP/SIMD, timer, PMU,\n"
	      "                 debug, EL1 context, MPIDR_EL1), with its JSON path and value\n"
	      "vCPU state registers are left out of the profile: they are run-time state, not what the\n"
	      "guest sees of its platform (see docs/firecracker.md); one line says how many.\n"
	      "Exit status: 0 written, 1 input errors or (--strict) something not carried, 2 usage error.\n", f);
}

static int emit_profile(void *ctx, FILE *out, struct diag *d)
{
	(void)d;
	profile_write_yaml_file(ctx, 1, NULL, out);
	return 0;
}

/* Writes p to path atomically (a failure leaves nothing half-written). */
static int write_profile_file(const struct profile *p, const char *path, struct diag *d)
{
	return cli_write_atomic(path, emit_profile, (void *)p, d);
}

static void summary(FILE *err, const char *path, const struct profile *p, const struct fc_import_stats *st, int verbose)
{
	fprintf(err, "%s: %s: %zu entries (", path, p->name, p->n_entries);
	if (p->arch == KVMPROF_ARCH_ARM64)
		fprintf(err, "%zu registers, %zu vCPU feature bits", st->n_reg_modifiers, st->n_vcpu_features);
	else
		fprintf(err, "%zu CPUID registers in %zu leaves, %zu MSRs", st->n_cpuid_registers,
			st->n_cpuid_leaves, st->n_msr_modifiers);
	fprintf(err, ", %zu capabilities); %zu kept by raw id, %zu not carried", st->n_kvm_capabilities,
		st->n_unknown, st->n_not_carried);
	if (st->n_omitted)
		fprintf(err, ", %zu state registers left out", st->n_omitted);
	fputc('\n', err);
	fc_report_omitted(err, path, st, verbose);
}

int cmd_import(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' }, { "output", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' }, { "arch", required_argument, NULL, 'a' },
		{ "common", required_argument, NULL, 'c' }, { "outdir", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' }, { "platform", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *from = NULL, *output = NULL, *common = NULL, *outdir = NULL;
	struct fc_import_opts o = { 0 };
	char *derived = NULL;
	int c, rc = 0, verbose = 0;
	struct diag d;

	while ((c = getopt_long(argc, argv, "f:o:d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v': verbose = 1; break;
		case 'f': from = optarg; break;
		case 'o': output = optarg; break;
		case 'n': o.name = optarg; break;
		case 'c': common = optarg; break;
		case 'd': outdir = optarg; break;
		case 'a':
			o.arch = regdb_arch_by_name(optarg);
			if (o.arch == KVMPROF_ARCH_NONE) {
				usage_import(err);
				return 2;
			}
			break;
		case 'p':
			/* it becomes part of a file name and a profile name */
			if (!*optarg || strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(optarg)) {
				fprintf(err, "kvmprof import: --platform '%s': use lower-case letters, digits and '-'\n",
					optarg);
				return 2;
			}
			o.platform = optarg;
			break;
		case 'h': usage_import(out); return 0;
		default: usage_import(err); return 2;
		}
	}
	if (!from || strcmp(from, "firecracker")) {
		fprintf(err, "kvmprof import: --from firecracker is the only source format\n");
		usage_import(err);
		return 2;
	}
	if (optind >= argc || (!outdir && argc - optind != 1) || (outdir && output) || (common && !outdir) ||
	    (outdir && o.name)) {
		usage_import(err);
		return 2;
	}
	diag_init(&d, err);
	if (!outdir) {
		struct fc_import_stats st;
		if (output && !o.name)
			o.name = derived = cli_name_of_path(output); /* the format wants name == file name */
		struct profile *p = fc_import(argv[optind], &o, &st, &d);
		if (!p || d.n_errors) {
			rc = 1;
		} else {
			summary(err, argv[optind], p, &st, verbose);
			if (output)
				rc = write_profile_file(p, output, &d) ? 1 : 0;
			else
				profile_write_yaml_file(p, 1, NULL, out);
		}
		profile_free(p);
		fc_import_stats_free(&st);
	} else {
		size_t n = (size_t)(argc - optind);
		struct profile **ps = xcalloc(n, sizeof(*ps));
		for (size_t i = 0; i < n; i++) {
			struct fc_import_stats st;
			int before = d.n_errors;
			ps[i] = fc_import(argv[optind + (int)i], &o, &st, &d);
			if (ps[i] && d.n_errors == before)
				summary(err, argv[optind + (int)i], ps[i], &st, verbose);
			fc_import_stats_free(&st);
			if (ps[i] && i && ps[i]->arch != ps[0]->arch && common) {
				struct srcpos pos = { diag_intern(&d, argv[optind + (int)i]), 0, 0 };
				diag_error(&d, pos, "firecracker", "--common needs one architecture; this is %s, the "
					   "first file %s", regdb_arch_name(ps[i]->arch), regdb_arch_name(ps[0]->arch));
			}
		}
		/* Two inputs with one output name: one file would silently replace the other. */
		for (size_t i = 0; i < n && d.n_errors == 0; i++) {
			struct srcpos pos = { diag_intern(&d, argv[optind + (int)i]), 0, 0 };
			if (!ps[i])
				continue;
			if (common && !strcmp(ps[i]->name, common))
				diag_error(&d, pos, "firecracker", "imports to %s, the name given to --common; "
					   "choose another common name", common);
			for (size_t j = 0; j < i; j++)
				if (ps[j] && !strcmp(ps[i]->name, ps[j]->name))
					diag_error(&d, pos, "firecracker", "imports to %s, as %s does: one would overwrite "
						   "the other (import them into separate folders, or tell their platforms "
						   "apart with --platform)", ps[i]->name, argv[optind + (int)j]);
		}
		if (d.n_errors == 0) {
			struct profile *base = NULL;
			char path[4096];
			if (common) {
				char desc[512];
				snprintf(desc, sizeof(desc), "What the %zu imported fingerprints of this platform state "
					 "identically; each kernel's profile is based on it and states only what differs.", n);
				base = fc_common_base(ps, n, common, desc);
				snprintf(path, sizeof(path), "%s/%s.yaml", outdir, common);
				if (write_profile_file(base, path, &d))
					rc = 1;
				else
					fprintf(err, "%s: %zu entries common to all\n", path, base->n_entries);
			}
			for (size_t i = 0; i < n && rc == 0; i++) {
				snprintf(path, sizeof(path), "%s/%s.yaml", outdir, ps[i]->name);
				if (write_profile_file(ps[i], path, &d))
					rc = 1;
			}
			profile_free(base);
		}
		for (size_t i = 0; i < n; i++)
			profile_free(ps[i]);
		free(ps);
		if (d.n_errors)
			rc = 1;
	}
	cli_error_count(&d, err);
	free(derived);
	diag_fini(&d);
	return rc;
}
