/* SPDX-License-Identifier: MIT */
/* compile.c - `kvmprof compile`: a profile as C tables for libkvmprof (formats/c_out.c). */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"

struct emit_ctx {
	const struct profile *p;
	struct cgen_opts o;
};

static int emit_c(void *ctx, FILE *out, struct diag *d)
{
	struct emit_ctx *e = ctx;
	return cgen_emit_c(e->p, &e->o, out, d);
}

static int emit_h(void *ctx, FILE *out, struct diag *d)
{
	struct emit_ctx *e = ctx;
	return cgen_emit_h(e->p, &e->o, out, d);
}

/* NULL when name can be the C name of the profile, else what is wrong with it. */
static const char *c_identifier_problem(const char *name)
{
	static const char *const keywords[] = {
		"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
		"extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
		"short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
		"volatile", "while", "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
		"_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "asm", "typeof", "bool", "true",
		"false", "alignas", "alignof", "nullptr", "static_assert", "thread_local", "constexpr", NULL
	};

	if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return "is not a C identifier (a letter or '_', then letters, digits and '_')";
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return "is not a C identifier (a letter or '_', then letters, digits and '_')";
	for (const char *const *k = keywords; *k; k++)
		if (!strcmp(name, *k))
			return "is a C keyword";
	if (strlen(name) > 200)
		return "is longer than 200 characters";
	return NULL;
}

static void usage_compile(FILE *f)
{
	fputs("usage: kvmprof compile PROFILE.yaml -o OUT.c [--header OUT.h] [--symbol NAME] [-I DIR]... [-W CHECK]...\n"
	      "       kvmprof compile PROFILE.yaml... -d OUTDIR [--headers]\n"
	      "Resolves inheritance, checks the profile and writes C tables (struct kvmprof_profile).\n"
	      "  -o FILE        the .c to write (atomically; nothing is written on error; - for stdout)\n"
	      "  --header FILE  also write a header declaring the profile\n"
	      "  --headers      with -d: also write NAME.h beside each NAME.c\n"
	      "  -d DIR         compile several profiles, writing DIR/NAME.c\n"
	      "  --symbol NAME  C name of the profile (default: kvmprof_profile_<name>)\n"
	      "  -I DIR         where base profiles are looked up (default: profiles)\n", f);
	cli_warning_usage(f, "compile");
}

static int compile_one(const char *in, const char *out_c, const char *out_h, const char *symbol,
		       FILE *out, struct diag *d)
{
	struct profile *p = cli_load_checked(in, d);
	struct emit_ctx e = { 0 };
	char header_base[512];
	int rc = 1;

	if (!p || d->n_errors) {
		profile_free(p);
		return 1;
	}
	e.p = p;
	e.o.symbol = symbol;
	e.o.source_label = in;
	if (out_h) {
		snprintf(header_base, sizeof(header_base), "%s", cli_base_name(out_h));
		e.o.header_name = header_base;
	}
	/* Both files are written in full before either replaces anything: a
	 * failure leaves the old .c and .h as they were. */
	char *tmp_c = NULL, *tmp_h = NULL;
	int slot_c = -1, slot_h = -1;
	if (!strcmp(out_c, "-")) { /* stdout; the header (not "-": usage) is atomic as usual */
		if (cli_write_stdout(out, emit_c, &e, d) == 0 && (!out_h || cli_write_atomic(out_h, emit_h, &e, d) == 0))
			rc = 0;
		profile_free(p);
		return rc;
	}
	if (cli_write_temp(out_c, emit_c, &e, d, &tmp_c, &slot_c) == 0 &&
	    (!out_h || cli_write_temp(out_h, emit_h, &e, d, &tmp_h, &slot_h) == 0)) {
		int ok = !tmp_h || cli_commit_temp(tmp_h, slot_h, out_h, d) == 0; /* frees tmp_h */
		if (ok) {
			ok = cli_commit_temp(tmp_c, slot_c, out_c, d) == 0; /* frees tmp_c */
			tmp_c = NULL;
		}
		if (ok)
			rc = 0;
	}
	if (tmp_c) {
		unlink(tmp_c);
		output_pending_done(slot_c);
		free(tmp_c);
	}
	profile_free(p);
	return rc;
}

int cmd_compile(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "header", required_argument, NULL, 'H' },
		{ "headers", no_argument, NULL, 'E' },
		{ "symbol", required_argument, NULL, 's' }, { "include", required_argument, NULL, 'I' },
		{ "outdir", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *out_c = NULL, *header = NULL, *symbol = NULL, *outdir = NULL;
	int want_header = 0, c, rc = 0;
	struct diag d;

	while ((c = getopt_long(argc, argv, "o:s:I:d:W:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_c = optarg; break;
		case 'H': want_header = 1; header = optarg; break;
		case 'E': want_header = 1; break;
		case 's': symbol = optarg; break;
		case 'I': cli_add_include(optarg); break;
		case 'd': outdir = optarg; break;
		case 'W':
			if (cli_warning_option(optarg, err))
				return 2;
			break;
		case 'h': usage_compile(out); return 0;
		default: usage_compile(err); return 2;
		}
	}
	cli_default_includes();
	if (optind >= argc || (!out_c && !outdir) || (out_c && outdir) || (out_c && argc - optind > 1) ||
	    (outdir && (symbol || header)) || (out_c && want_header && !header)) {
		usage_compile(err);
		return 2;
	}
	if (out_c && header && (!strcmp(header, "-") || output_same_file(out_c, header))) {
		fprintf(err, "kvmprof compile: %s\n", !strcmp(header, "-") ? "--header cannot be stdout"
					  : "--header and -o name the same file");
		return 2;
	}
	if (symbol && c_identifier_problem(symbol)) {
		fprintf(err, "kvmprof compile: --symbol '%s' %s\n", symbol, c_identifier_problem(symbol));
		return 2;
	}
	cli_diag_init(&d, err);
	if (out_c) {
		rc = compile_one(argv[optind], out_c, header, symbol, out, &d);
	} else {
		for (int i = optind; i < argc; i++) {
			char c_path[4096], h_path[4096];
			char *name = cli_name_of_path(argv[i]);
			snprintf(c_path, sizeof(c_path), "%s/%s.c", outdir, name);
			snprintf(h_path, sizeof(h_path), "%s/%s.h", outdir, name);
			free(name);
			if (compile_one(argv[i], c_path, want_header ? h_path : NULL, NULL, out, &d))
				rc = 1;
		}
	}
	cli_error_count(&d, err);
	diag_fini(&d);
	return rc;
}
