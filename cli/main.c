/* SPDX-License-Identifier: MIT */
/*
 * main.c - the kvmprof command line: one verb per job.
 *
 * Exit status: 0 success (or "yes"/"same" for check/diff), 1 input errors or
 * "no"/"different", 2 usage errors.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "firecracker.h"
#include "output.h"
#include "profile.h"

#define MAX_INCLUDES 32

const char *cli_search_path[MAX_INCLUDES + 2];
static int n_includes;

void cli_add_include(const char *dir)
{
	if (n_includes < MAX_INCLUDES)
		cli_search_path[n_includes++] = dir;
	cli_search_path[n_includes] = NULL;
}

void cli_default_includes(void)
{
	if (n_includes == 0)
		cli_add_include("profiles");
}

/* ---- atomic output ------------------------------------------------------------- */

/*
 * Outputs never clobber: the temporary file is renamed over `path` only when
 * path is missing or a regular file that is not one of the inputs (a device
 * node, a directory, a symbolic link, the profile being compiled are
 * refused), and a fatal signal during the write removes the temporary.
 */

/* Writes a temporary file next to path through emit; *tmp_out gets its name,
 * *slot its place among the pending ones. 0, or -1 with nothing left behind. */
static int write_temp(const char *named, cli_emit_fn emit, void *ctx, struct diag *d, char **tmp_out, int *slot)
{
	char *path, *tmp;
	size_t n;
	FILE *out;
	int fd, rc;

	if (output_may_replace(named, d))
		return -1;
	path = output_path(named); /* a followed link: the temporary goes beside its target */
	n = strlen(path);
	tmp = xcalloc(n + 16, 1);
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	free(path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		struct srcpos pos = { diag_intern(d, named), 0, 0 };
		diag_error(d, pos, "io", "cannot create a temporary file next to it: %s", strerror(errno));
		free(tmp);
		return -1;
	}
	*slot = output_pending_add(tmp);
	output_set_mode(fd);
	out = fdopen(fd, "w");
	rc = out ? emit(ctx, out, d) : -1;
	if (out) {
		if (fflush(out) != 0 || ferror(out))
			rc = -1;
		if (fclose(out) != 0)
			rc = -1;
	}
	if (rc == 0 && d->n_errors == 0) {
		*tmp_out = tmp;
		return 0;
	}
	if (rc != 0 && d->n_errors == 0) {
		struct srcpos pos = { diag_intern(d, named), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
	}
	unlink(tmp);
	output_pending_done(*slot);
	free(tmp);
	return -1;
}

/* Renames a finished temporary file over path (frees tmp). 0 or -1. The
 * check is repeated: path may have changed while the output was made. */
static int commit_temp(char *tmp, int slot, const char *named, struct diag *d)
{
	int rc = output_may_replace(named, d);
	char *path = output_path(named);

	if (rc == 0 && rename(tmp, path) != 0) {
		struct srcpos pos = { diag_intern(d, named), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
		rc = -1;
	}
	free(path);
	if (rc)
		unlink(tmp);
	output_pending_done(slot);
	free(tmp);
	return rc;
}

/* "-": the output goes to stdout (not atomic: a pipe has nothing to replace). */
static int write_stdout(cli_emit_fn emit, void *ctx, struct diag *d)
{
	int rc = emit(ctx, stdout, d);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		struct srcpos pos = { diag_intern(d, "<stdout>"), 0, 0 };
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
		rc = -1;
	}
	return rc || d->n_errors ? -1 : 0;
}

int cli_write_atomic(const char *path, cli_emit_fn emit, void *ctx, struct diag *d)
{
	char *tmp;
	int slot;

	if (!strcmp(path, "-"))
		return write_stdout(emit, ctx, d);
	if (write_temp(path, emit, ctx, d, &tmp, &slot))
		return -1;
	return commit_temp(tmp, slot, path, d);
}

/* ---- compile ------------------------------------------------------------------- */

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

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

struct profile *cli_load_checked(const char *path, struct diag *d)
{
	struct profile *p = profile_load_resolved(path, cli_search_path, d);

	if (p)
		profile_check(p, d); /* conditions are independent of other errors: report them too */
	return p;
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
	fputs("usage: kvmprof compile PROFILE.yaml -o OUT.c [--header OUT.h] [--symbol NAME] [-I DIR]...\n"
	      "       kvmprof compile PROFILE.yaml... -d OUTDIR [--headers]\n"
	      "Resolves inheritance, checks the profile and writes C tables (struct kvmprof_profile).\n"
	      "  -o FILE        the .c to write (atomically; nothing is written on error; - for stdout)\n"
	      "  --header FILE  also write a header declaring the profile\n"
	      "  --headers      with -d: also write NAME.h beside each NAME.c\n"
	      "  -d DIR         compile several profiles, writing DIR/NAME.c and DIR/kvmprof_index.c\n"
	      "                 (every profile by name: kvmprof_index_find())\n"
	      "  --symbol NAME  C name of the profile (default: kvmprof_profile_<name>)\n"
	      "  -I DIR         where base profiles are looked up (default: profiles)\n", f);
}

static int compile_one(const char *in, const char *out_c, const char *out_h, const char *symbol,
		       struct diag *d, char *name_out, size_t name_len)
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
	if (name_out)
		snprintf(name_out, name_len, "%s", p->name ? p->name : "");
	if (out_h) {
		snprintf(header_base, sizeof(header_base), "%s", basename_of(out_h));
		e.o.header_name = header_base;
	}
	/* Both files are written in full before either replaces anything: a
	 * failure leaves the old .c and .h as they were. */
	char *tmp_c = NULL, *tmp_h = NULL;
	int slot_c = -1, slot_h = -1;
	if (!strcmp(out_c, "-")) { /* stdout; the header (not "-": usage) is atomic as usual */
		if (write_stdout(emit_c, &e, d) == 0 && (!out_h || cli_write_atomic(out_h, emit_h, &e, d) == 0))
			rc = 0;
		profile_free(p);
		return rc;
	}
	if (write_temp(out_c, emit_c, &e, d, &tmp_c, &slot_c) == 0 &&
	    (!out_h || write_temp(out_h, emit_h, &e, d, &tmp_h, &slot_h) == 0)) {
		int ok = !tmp_h || commit_temp(tmp_h, slot_h, out_h, d) == 0; /* frees tmp_h */
		if (ok) {
			ok = commit_temp(tmp_c, slot_c, out_c, d) == 0; /* frees tmp_c */
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

/* DIR/kvmprof_index.c: the profiles of one `compile -d` run, by name. */
struct index_ctx {
	char **names; /* profile names (`name:`), as compiled */
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int emit_index(void *ctx, FILE *out, struct diag *d)
{
	struct index_ctx *ix = ctx;
	char sym[1024];

	(void)d;
	fprintf(out, "/*\n * Generated by kvmprof %s; do not edit.\n"
		     " * The %zu profile%s compiled into this folder, sorted by name: link this file\n"
		     " * with them and find one with kvmprof_index_find(&kvmprof_index, NAME).\n */\n"
		     "#include \"kvmprof.h\"\n\n",
		KVMPROF_VERSION_STRING, ix->n, ix->n == 1 ? "" : "s");
	for (size_t i = 0; i < ix->n; i++) {
		cgen_symbol_name(ix->names[i], sym, sizeof(sym));
		fprintf(out, "extern const struct kvmprof_profile %s;\n", sym);
	}
	fputs("\nstatic const struct kvmprof_profile *const kvmprof_index_profiles[] = {\n", out);
	for (size_t i = 0; i < ix->n; i++) {
		cgen_symbol_name(ix->names[i], sym, sizeof(sym));
		fprintf(out, "\t&%s,\n", sym);
	}
	if (!ix->n)
		fputs("\tNULL, /* no profile: C has no empty arrays */\n", out);
	fprintf(out, "};\n\nconst struct kvmprof_index kvmprof_index = {\n"
		     "\t.magic = KVMPROF_INDEX_MAGIC,\n\t.abi = KVMPROF_TABLE_ABI,\n"
		     "\t.n_profiles = %zu,\n\t.profiles = kvmprof_index_profiles,\n};\n", ix->n);
	return 0;
}

static int write_index(const char *outdir, struct index_ctx *ix, struct diag *d)
{
	char path[4096], a[1024], b[1024];
	struct srcpos none = { diag_intern(d, outdir), 0, 0 };

	qsort(ix->names, ix->n, sizeof(*ix->names), cmp_str);
	for (size_t i = 1; i < ix->n; i++) {
		cgen_symbol_name(ix->names[i - 1], a, sizeof(a));
		cgen_symbol_name(ix->names[i], b, sizeof(b));
		if (!strcmp(a, b)) {
			diag_error(d, none, "compile", "profiles '%s' and '%s' have the same C name %s: the index cannot hold both",
				   ix->names[i - 1], ix->names[i], a);
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/kvmprof_index.c", outdir);
	return cli_write_atomic(path, emit_index, ix, d) ? 1 : 0;
}

static int cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "header", required_argument, NULL, 'H' },
		{ "headers", no_argument, NULL, 'E' },
		{ "symbol", required_argument, NULL, 's' }, { "include", required_argument, NULL, 'I' },
		{ "outdir", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *out = NULL, *header = NULL, *symbol = NULL, *outdir = NULL;
	int want_header = 0, c, rc = 0;
	struct diag d;

	while ((c = getopt_long(argc, argv, "o:s:I:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'H': want_header = 1; header = optarg; break;
		case 'E': want_header = 1; break;
		case 's': symbol = optarg; break;
		case 'I': cli_add_include(optarg); break;
		case 'd': outdir = optarg; break;
		case 'h': usage_compile(stdout); return 0;
		default: usage_compile(stderr); return 2;
		}
	}
	cli_default_includes();
	if (optind >= argc || (!out && !outdir) || (out && outdir) || (out && argc - optind > 1) ||
	    (outdir && (symbol || header)) || (out && want_header && !header)) {
		usage_compile(stderr);
		return 2;
	}
	if (out && header && (!strcmp(header, "-") || output_same_file(out, header))) {
		fprintf(stderr, "kvmprof compile: %s\n", !strcmp(header, "-") ? "--header cannot be stdout"
					  : "--header and -o name the same file");
		return 2;
	}
	if (symbol && c_identifier_problem(symbol)) {
		fprintf(stderr, "kvmprof compile: --symbol '%s' %s\n", symbol, c_identifier_problem(symbol));
		return 2;
	}
	diag_init(&d, stderr);
	if (out) {
		rc = compile_one(argv[optind], out, header, symbol, &d, NULL, 0);
	} else {
		struct index_ctx ix = { .n = 0 };

		ix.names = xcalloc((size_t)(argc - optind), sizeof(*ix.names));
		for (int i = optind; i < argc; i++) {
			char c_path[4096], h_path[4096], name[1024];
			const char *b = basename_of(argv[i]);
			size_t n = strlen(b);
			snprintf(name, sizeof(name), "%.*s", (int)(n > 5 && !strcmp(b + n - 5, ".yaml") ? n - 5 : n), b);
			snprintf(c_path, sizeof(c_path), "%s/%s.c", outdir, name);
			snprintf(h_path, sizeof(h_path), "%s/%s.h", outdir, name);
			if (compile_one(argv[i], c_path, want_header ? h_path : NULL, NULL, &d, name, sizeof(name)))
				rc = 1;
			else
				ix.names[ix.n++] = xstrdup(name);
		}
		/* The index lists the folder's profiles only when all compiled. */
		if (rc == 0)
			rc = write_index(outdir, &ix, &d);
		for (size_t i = 0; i < ix.n; i++)
			free(ix.names[i]);
		free(ix.names);
	}
	if (d.n_errors)
		fprintf(stderr, "%d error%s\n", d.n_errors, d.n_errors == 1 ? "" : "s");
	diag_fini(&d);
	return rc;
}

/* ---- lint ---------------------------------------------------------------------- */

static void usage_lint(FILE *f)
{
	fputs("usage: kvmprof lint [-Werror] [-I DIR]... PROFILE.yaml...\n"
	      "The checks of compile, plus review rules: missing provenance or description, entries that\n"
	      "repeat the base's value, raw values where the register has named fields.\n", f);
}

static int cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "include", required_argument, NULL, 'I' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	int werror = 0, c, rc = 0;
	struct diag d;

	while ((c = getopt_long(argc, argv, "I:W:h", opts, NULL)) != -1) {
		switch (c) {
		case 'I': cli_add_include(optarg); break;
		case 'W':
			if (strcmp(optarg, "error")) {
				usage_lint(stderr);
				return 2;
			}
			werror = 1;
			break;
		case 'h': usage_lint(stdout); return 0;
		default: usage_lint(stderr); return 2;
		}
	}
	cli_default_includes();
	if (optind >= argc) {
		usage_lint(stderr);
		return 2;
	}
	diag_init(&d, stderr);
	d.warnings_are_errors = werror;
	for (int i = optind; i < argc; i++) {
		int before = d.n_errors;
		struct profile *p = cli_load_checked(argv[i], &d), *base = NULL;

		if (p && d.n_errors == before && p->base) {
			struct diag quiet;
			FILE *null = fopen("/dev/null", "w");
			char path[4096];
			/* The base was already checked while resolving; reload it for comparison only. */
			diag_init(&quiet, null ? null : stderr);
			for (const char *const *s = cli_search_path; *s && !base; s++) {
				snprintf(path, sizeof(path), "%s/%s.yaml", *s, p->base);
				FILE *probe = fopen(path, "r");
				if (probe) {
					fclose(probe);
					base = profile_load_resolved(path, cli_search_path, &quiet);
				}
			}
			if (!base) {
				const char *slash = strrchr(argv[i], '/');
				snprintf(path, sizeof(path), "%.*s%s%s.yaml", slash ? (int)(slash - argv[i]) : 0, argv[i],
					 slash ? "/" : "", p->base);
				base = profile_load_resolved(path, cli_search_path, &quiet);
			}
			diag_fini(&quiet);
			if (null)
				fclose(null);
		}
		if (p && d.n_errors == before)
			profile_lint(p, base, &d);
		if (d.n_errors > before)
			rc = 1;
		profile_free(base);
		profile_free(p);
	}
	if (d.n_errors || d.n_warnings)
		fprintf(stderr, "%d error%s, %d warning%s\n", d.n_errors, d.n_errors == 1 ? "" : "s",
			d.n_warnings, d.n_warnings == 1 ? "" : "s");
	diag_fini(&d);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------------ */

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_diff(int argc, char **argv);     /* cli/diff.c */
int cmd_baseline(int argc, char **argv); /* cli/baseline.c */
int cmd_review(int argc, char **argv);   /* cli/review.c */
int cmd_test(int argc, char **argv);     /* cli/expect.c */

static const struct verb verbs[] = {
	{ "compile", cmd_compile, "turn a profile into C tables for libkvmprof" },
	{ "lint", cmd_lint, "check a profile and apply the review rules" },
	{ "show", cmd_show, "print the resolved profile (inheritance applied)" },
	{ "explain", cmd_explain, "what a register, field, capability or quirk means and its history" },
	{ "import", cmd_import, "a Firecracker CPU fingerprint or template as a profile" },
	{ "export", cmd_export, "a profile as a Firecracker custom CPU template" },
	{ "diff", cmd_diff, "what a guest would notice between two profiles, field by field" },
	{ "baseline", cmd_baseline, "the richest profile that every input profile can present" },
	{ "capture", cmd_capture, "a profile of what this host's KVM presents, with its host facts" },
	{ "check", cmd_check, "can this host, or captured ones, present profiles? (0 yes, 1 no, 3 unknown)" },
	{ "test", cmd_test, "check what a profile repository states must stay true of each profile" },
	{ "review", cmd_review, "a markdown report of a profile change since a git revision, for its reviewers" },
	{ NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	fputs("usage: kvmprof [--version] [--help] [--follow-symlinks] VERB [ARGS]\n\nverbs:\n", f);
	for (const struct verb *v = verbs; v->name; v++)
		fprintf(f, "  %-10s %s\n", v->name, v->summary);
	fputs("\n`kvmprof VERB --help` describes each verb.\n", f);
}

int main(int argc, char **argv)
{
	/* --follow-symlinks, for every verb that writes: an output naming a link
	 * replaces the file it points to (else a link is refused). */
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
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kvmprof %s (table ABI %u, profile format %u)\n", KVMPROF_VERSION_STRING,
		       KVMPROF_TABLE_ABI, KVMPROF_FORMAT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (const struct verb *v = verbs; v->name; v++)
		if (!strcmp(argv[1], v->name))
			return v->run(argc - 1, argv + 1);
	fprintf(stderr, "kvmprof: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
