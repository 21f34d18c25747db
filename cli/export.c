/* SPDX-License-Identifier: MIT */
/* export.c - `kvmprof export --to firecracker` (the writer: formats/firecracker_out.c). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "firecracker.h"

static void usage_export(FILE *f)
{
	fputs("usage: kvmprof export --to firecracker PROFILE.yaml [-o TEMPLATE.json] [-I DIR]... [--strict]\n"
	      "Writes the resolved profile as a Firecracker custom CPU template (reg_modifiers, vcpu_features,\n"
	      "kvm_capabilities on arm64; cpuid_modifiers, msr_modifiers, kvm_capabilities on x86_64).\n"
	      "What a template cannot express (vGIC registers, KVM_ENABLE_CAP, quirks, x2APIC flags,\n"
	      "conditions, at-most policies) is listed on stderr.\n"
	      "  -o FILE    write the template there (default: stdout)\n"
	      "  -I DIR     where base profiles are looked up (default: profiles)\n"
	      "  --strict   exit 1 when anything was not carried\n"
	      "Exit status: 0 written, 1 input errors or (--strict) something not carried, 2 usage error.\n", f);
}

struct template_buf {
	const char *text;
	size_t len;
};

static int emit_template(void *ctx, FILE *out, struct diag *d)
{
	const struct template_buf *t = ctx;

	(void)d;
	return fwrite(t->text, 1, t->len, out) == t->len ? 0 : -1;
}

int cmd_export(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' }, { "output", required_argument, NULL, 'o' },
		{ "include", required_argument, NULL, 'I' }, { "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *to = NULL, *output = NULL;
	int strict = 0, c, rc = 1;
	struct diag d;

	while ((c = getopt_long(argc, argv, "t:o:I:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'o': output = optarg; break;
		case 'I': cli_add_include(optarg); break;
		case 's': strict = 1; break;
		case 'h': usage_export(out); return 0;
		default: usage_export(err); return 2;
		}
	}
	if (!to || strcmp(to, "firecracker")) {
		fprintf(err, "kvmprof export: --to firecracker is the only target format\n");
		usage_export(err);
		return 2;
	}
	if (optind != argc - 1) {
		usage_export(err);
		return 2;
	}
	cli_default_includes();
	diag_init(&d, err);
	struct profile *p = profile_load_resolved(argv[optind], cli_search_path, &d);
	if (p && d.n_errors == 0)
		profile_check(p, &d);
	if (p && d.n_errors == 0) {
		char *buf = NULL;
		size_t len = 0, n_lost = 0;
		FILE *mem = open_memstream(&buf, &len);
		if (!mem)
			abort();
		int erc = fc_export(p, mem, err, &n_lost, &d);
		fclose(mem);
		if (erc == 0) {
			struct template_buf t = { buf, len };
			if (output) {
				cli_write_atomic(output, emit_template, &t, &d);
			} else if (emit_template(&t, out, &d) || fflush(out)) {
				struct srcpos pos = { diag_intern(&d, "<stdout>"), 0, 0 };
				diag_error(&d, pos, "io", "write failed");
			}
		}
		free(buf);
		if (n_lost)
			fprintf(err, "%s: %zu entr%s not carried to the Firecracker template (listed above)\n",
				argv[optind], n_lost, n_lost == 1 ? "y" : "ies");
		rc = d.n_errors || (strict && n_lost) ? 1 : 0;
	}
	cli_error_count(&d, err);
	profile_free(p);
	diag_fini(&d);
	return rc;
}
