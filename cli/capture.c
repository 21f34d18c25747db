/* SPDX-License-Identifier: MIT */
/* capture.c - `kvmprof capture [-o FILE] [--name NAME] [--vcpu-features LIST]` (the engine: ops/capture.c). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"

struct capture_out {
	const struct profile *p;
	const struct host_facts *h;
};

static int emit_capture(void *ctx, FILE *out, struct diag *d)
{
	struct capture_out *c = ctx;

	(void)d;
	return capture_write(out, c->p, c->h);
}

static void usage_capture(FILE *f)
{
	fputs("usage: kvmprof capture [-o FILE.yaml] [--name NAME] [--vcpu-features LIST]\n"
	      "Creates a scratch VM on the running kernel and writes a profile of what it presents by default\n"
	      "(registers the database knows and KVM lists, firmware and vGIC registers, vCPU features) with a\n"
	      "host: section of what the kernel can present (capabilities, quirks, x2APIC flags, register list,\n"
	      "writable masks, probed vGIC ranges, supported CPUID, feature MSRs), for offline `kvmprof check`.\n"
	      "  -o FILE      write FILE atomically (default: standard output); the profile is named after it\n"
	      "  --name NAME  the profile's name (default: linux-<major.minor>-<arch>-<hostname>, or FILE's name)\n"
	      "  --vcpu-features LIST  arm64: also enable these vCPU features (comma-separated: sve,\n"
	      "               ptrauth-address, ptrauth-generic, has-el2, pmu-v3 ...) where the kernel offers them;\n"
	      "               the others are named in the provenance (vcpu-features-not-offered)\n"
	      "Exit status: 0 written, 1 the capture failed (no /dev/kvm, an ioctl failed), 2 usage error.\n", f);
}

int cmd_capture(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "name", required_argument, NULL, 'n' },
		{ "vcpu-features", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct capture_opts o = { 0 };
	const char *output = NULL;
	char *file_name = NULL, why[512] = "";
	struct profile *p = NULL;
	struct host_facts h;
	struct diag d;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'n': o.name = optarg; break;
		case 'f': o.vcpu_features = optarg; break;
		case 'h': usage_capture(out); return 0;
		default: usage_capture(err); return 2;
		}
	}
	if (optind != argc) {
		fprintf(err, "kvmprof capture: unexpected argument '%s'\n", argv[optind]);
		usage_capture(err);
		return 2;
	}
	if (o.name && !o.name[0]) {
		fputs("kvmprof capture: --name must not be empty\n", err);
		return 2;
	}
	if (output) {
		/* The loader insists that a profile's name is its file's name. */
		file_name = cli_name_of_path(output);
		if (o.name && strcmp(o.name, file_name)) {
			fprintf(err, "kvmprof capture: --name %s does not match the file name %s "
					"(a profile is named after its file: write %s.yaml)\n", o.name, output, o.name);
			free(file_name);
			return 2;
		}
		o.name = file_name;
	}
	if (capture_run(&o, &p, &h, why, sizeof(why)) < 0) {
		fprintf(err, "kvmprof capture: %s\n", why);
		rc = 1;
	} else if (output) {
		struct capture_out co = { p, &h };
		diag_init(&d, err);
		rc = cli_write_atomic(output, emit_capture, &co, &d) == 0 ? 0 : 1;
		diag_fini(&d);
	} else {
		rc = capture_write(out, p, &h) == 0 ? 0 : 1;
	}
	profile_free(p);
	host_facts_free(&h);
	free(file_name);
	return rc;
}
