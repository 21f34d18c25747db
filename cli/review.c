/* SPDX-License-Identifier: MIT */
/*
 * review.c - `kvmprof review --base REF [PATHS]`: the report a reviewer of a
 * profile pull request reads.
 *
 * Finds the profiles the change touches (git diff against REF, plus files git
 * does not track yet) and every profile that inherits from one of them,
 * directly or through other bases, in either revision. Each is loaded twice:
 * as it is now, and as it was at REF, resolved in REF's own tree (extracted
 * with `git archive` into a temporary directory), so a base is never taken
 * from the wrong revision. The report gives the guest-visible differences
 * (the diff engine) and, per capture given with --against, the check verdict
 * at REF and now (`kvmprof check` run as a child process, so each verdict is
 * exactly what a user running check would get).
 *
 * Exit status: 0 the report was written and nothing got worse, 1 written and
 * a verdict got worse or a profile no longer loads, 2 usage, git or I/O errors.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"
#include "json.h"
#include "spawn.h"

#define MAX_DIRS 64
#define REVIEW_MAX_BLOCKERS 6 /* blocking entries named per verdict; the rest are counted */

enum change { CH_NONE, CH_MODIFIED, CH_ADDED, CH_REMOVED };
/* Verdicts ordered from best to worst: a move to a higher rank is a regression. */
enum rank { R_YES, R_UNKNOWN, R_NO, R_ERROR, R_NONE };

struct tree_info {                  /* what one file says in one revision */
	int present;
	char *name, *base;
};

struct rprof {
	char *path;                 /* relative to the repository's top */
	struct tree_info now, then;
	int change;                 /* enum change */
	int affected;
	const struct rprof *via;    /* the affected base it inherits from */
};

struct capture {
	char *path;                 /* as checked (relative to the top, or absolute) */
	char *name;
	int arch;
};

struct verdict {
	int rank;                   /* enum rank */
	char *text;                 /* "yes", "no - blocked by X, Y", "error: ..." */
};

struct review {
	const char *base_ref;
	char base_sha[64];
	char tmp[PATH_MAX];         /* temporary directory; tmp/tree holds REF's files */
	const char *dirs[MAX_DIRS]; /* profile folders, relative to the top */
	int n_dirs;
	const char *inc[MAX_DIRS];  /* -I folders (a subset of dirs) */
	int n_inc;
	const char *pathspec[MAX_DIRS];
	int n_pathspec;
	struct rprof *profs;
	size_t n_profs;
	struct capture *caps;
	size_t n_caps;
	int n_worse, n_broken, n_better;
};

static void usage_review(FILE *f)
{
	fputs("usage: kvmprof review --base REF [--against CAPTURE|DIR]... [-I DIR]... [-o FILE] [PATH]...\n"
	      "A markdown report of a profile change: the profiles it touches since REF and every profile\n"
	      "that inherits from them, each diffed against its own version at REF (resolved in REF's tree),\n"
	      "with check verdicts against the captures at REF and now.\n"
	      "  --base REF     the revision to compare with (a branch, tag or commit; in CI the merge base)\n"
	      "  --against P    a capture, or a folder whose captures (files with host:) are used; repeatable\n"
	      "  -I DIR         profile folder, where bases are looked up (default: profiles)\n"
	      "  -o FILE        write the report to FILE (atomically) instead of standard output\n"
	      "  PATH           limit the change to these files or folders (default: the -I folders)\n"
	      "Exit status: 0 report written, nothing got worse; 1 report written, a verdict got worse\n"
	      "or a profile no longer loads; 2 usage, git or I/O error.\n", f);
}

/* ---- small helpers ------------------------------------------------------------------ */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "a/b/" -> "a/b", "./a" -> "a". Returns a new string. */
static char *clean_path(const char *prefix, const char *path)
{
	char *s;
	size_t n;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	s = path[0] == '/' ? xstrdup(path) : xasprintf("%s%s", prefix, path);
	n = strlen(s);
	for (;;) {
		if (n > 1 && s[n - 1] == '/')
			s[--n] = '\0';
		else if (n > 2 && s[n - 1] == '.' && s[n - 2] == '/')
			s[n -= 2] = '\0';
		else
			break;
	}
	if (!strcmp(s, "") || !strcmp(s, ".")) {
		free(s);
		s = xstrdup(".");
	}
	return s;
}

static void strip_newline(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* The first line of text (a new string). */
static char *first_line(const char *text)
{
	const char *nl = strchr(text, '\n');
	return nl ? xstrndup(text, (size_t)(nl - text)) : xstrdup(text);
}

/* Runs git in the current directory; its output in *out. Reports a failure on stderr. */
static int git(char **out, const char *const *args)
{
	const char *argv[32] = { "git" };
	char *err = NULL;
	int n = 1, rc;

	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	rc = spawn_capture(argv, NULL, out, &err);
	if (rc != 0) {
		fprintf(stderr, "kvmprof review: git %s failed: %s", argv[1], err[0] ? err : "(no message)\n");
		if (err[0] && !ends_with(err, "\n"))
			fputc('\n', stderr);
	}
	free(err);
	return rc;
}

/* ---- which files are profiles, in which revision -------------------------------------- */

static struct rprof *find_prof(struct review *rv, const char *path)
{
	for (size_t i = 0; i < rv->n_profs; i++)
		if (!strcmp(rv->profs[i].path, path))
			return &rv->profs[i];
	return NULL;
}

static struct rprof *add_prof(struct review *rv, const char *path)
{
	struct rprof *p = find_prof(rv, path);

	if (p)
		return p;
	rv->profs = xrealloc(rv->profs, (rv->n_profs + 1) * sizeof(*rv->profs));
	p = &rv->profs[rv->n_profs++];
	memset(p, 0, sizeof(*p));
	p->path = xstrdup(path);
	return p;
}

/* Reads name and base of file (without resolving), quietly. */
static void read_names(const char *file, struct tree_info *t)
{
	FILE *null = fopen("/dev/null", "w");
	struct diag d;
	struct profile *p;

	diag_init(&d, null ? null : stderr);
	p = profile_load(file, &d);
	t->present = 1;
	if (p) {
		t->name = xstrdup(p->name);
		t->base = xstrdup(p->base);
	}
	profile_free(p);
	diag_fini(&d);
	if (null)
		fclose(null);
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rprof *)a)->path, ((const struct rprof *)b)->path);
}

/* Every *.yaml of the profile folders, now (root "") and at REF (root tmp/tree/). */
static void scan_tree(struct review *rv, const char *root, int then)
{
	for (int i = 0; i < rv->n_dirs; i++) {
		char *dir = xasprintf("%s%s", root, rv->dirs[i]);
		DIR *dp = opendir(dir);
		struct dirent *e;

		while (dp && (e = readdir(dp))) {
			if (e->d_name[0] == '.' || !ends_with(e->d_name, ".yaml"))
				continue;
			char *rel = !strcmp(rv->dirs[i], ".") ? xstrdup(e->d_name)
							       : xasprintf("%s/%s", rv->dirs[i], e->d_name);
			char *file = xasprintf("%s%s", root, rel);
			struct rprof *p = add_prof(rv, rel);
			read_names(file, then ? &p->then : &p->now);
			free(file);
			free(rel);
		}
		if (dp)
			closedir(dp);
		free(dir);
	}
}

/* Where base `name` of the profile at path resolves in one revision: the profile's own
 * folder first, then the -I folders (both revisions' trees hold the same folders). */
static struct rprof *resolve_base(struct review *rv, const struct rprof *child, int then)
{
	const struct tree_info *t = then ? &child->then : &child->now;
	char *own, *path;
	struct rprof *b;

	if (!t->present || !t->base)
		return NULL;
	own = dir_of(child->path);
	path = strcmp(own, ".") ? xasprintf("%s/%s.yaml", own, t->base) : xasprintf("%s.yaml", t->base);
	b = find_prof(rv, path);
	free(path);
	free(own);
	if (b && (then ? b->then.present : b->now.present))
		return b;
	for (int i = 0; i < rv->n_inc; i++) {
		path = strcmp(rv->inc[i], ".") ? xasprintf("%s/%s.yaml", rv->inc[i], t->base)
					       : xasprintf("%s.yaml", t->base);
		b = find_prof(rv, path);
		free(path);
		if (b && (then ? b->then.present : b->now.present))
			return b;
	}
	return NULL;
}

/* Marks what changed (git diff REF, and files git does not track yet), then what inherits from it. */
static int find_changes(struct review *rv)
{
	const char *diff_args[8 + MAX_DIRS] = { "diff", "--name-status", "--no-renames", "-z", rv->base_sha, "--" };
	const char *untracked_args[8 + MAX_DIRS] = { "ls-files", "-z", "--others", "--exclude-standard", "--" };
	char *out = NULL;
	int n = 6, m = 5, more = 1;

	for (int i = 0; i < rv->n_pathspec; i++) {
		diff_args[n++] = rv->pathspec[i];
		untracked_args[m++] = rv->pathspec[i];
	}
	if (git(&out, diff_args)) {
		free(out);
		return -1;
	}
	for (const char *s = out; *s;) {
		const char *status = s, *path = s + strlen(s) + 1;
		struct rprof *p;

		if (!*path)
			break;
		s = path + strlen(path) + 1;
		if (!ends_with(path, ".yaml") || !(p = find_prof(rv, path)))
			continue;
		p->change = status[0] == 'A' ? CH_ADDED : status[0] == 'D' ? CH_REMOVED : CH_MODIFIED;
		p->affected = 1;
	}
	free(out);
	if (git(&out, untracked_args)) {
		free(out);
		return -1;
	}
	for (const char *s = out; *s; s += strlen(s) + 1) {
		struct rprof *p = find_prof(rv, s);
		if (p && ends_with(s, ".yaml")) {
			p->change = CH_ADDED;
			p->affected = 1;
		}
	}
	free(out);
	/* A profile is affected when its base is, in either revision; repeat until nothing moves. */
	while (more) {
		more = 0;
		for (size_t i = 0; i < rv->n_profs; i++) {
			struct rprof *p = &rv->profs[i];
			for (int then = 0; then < 2 && !p->affected; then++) {
				struct rprof *b = resolve_base(rv, p, then);
				if (b && b->affected) {
					p->affected = 1;
					p->via = b;
					more = 1;
				}
			}
		}
	}
	return 0;
}

/* REF's copy of the profile folders, under tmp/tree/. */
static int extract_base_tree(struct review *rv)
{
	const char *args[8 + MAX_DIRS] = { "archive", "--format=tar", "-o", NULL, rv->base_sha, "--" };
	char *tar = xasprintf("%s/base.tar", rv->tmp), *tree = xasprintf("%s/tree", rv->tmp);
	int n = 6, rc = 0;

	if (mkdir(tree, 0700) != 0) {
		fprintf(stderr, "kvmprof review: cannot create %s: %s\n", tree, strerror(errno));
		rc = -1;
	}
	args[3] = tar;
	for (int i = 0; i < rv->n_dirs && rc == 0; i++) {
		/* git archive refuses a path REF does not have: leave such folders out. */
		char *spec = xasprintf("%s:%s", rv->base_sha, strcmp(rv->dirs[i], ".") ? rv->dirs[i] : "");
		const char *argv[] = { "git", "cat-file", "-e", spec, NULL };
		if (spawn_capture(argv, NULL, NULL, NULL) == 0)
			args[n++] = rv->dirs[i];
		free(spec);
	}
	if (rc == 0 && n > 6) {
		args[n] = NULL;
		char *out = NULL;
		rc = git(&out, args) ? -1 : 0;
		free(out);
		if (rc == 0) {
			const char *argv[] = { "tar", "-xf", tar, "-C", tree, NULL };
			char *err = NULL;
			if (spawn_capture(argv, NULL, NULL, &err) != 0) {
				fprintf(stderr, "kvmprof review: tar failed: %s", err);
				rc = -1;
			}
			free(err);
		}
	}
	free(tar);
	free(tree);
	return rc;
}

/* ---- captures ------------------------------------------------------------------------- */


static void add_capture(struct review *rv, const char *path)
{
	FILE *null;
	struct diag d;
	struct profile *p;

	for (size_t i = 0; i < rv->n_caps; i++)
		if (!strcmp(rv->caps[i].path, path))
			return;
	null = fopen("/dev/null", "w");
	diag_init(&d, null ? null : stderr);
	p = profile_load(path, &d);
	rv->caps = xrealloc(rv->caps, (rv->n_caps + 1) * sizeof(*rv->caps));
	rv->caps[rv->n_caps].path = xstrdup(path);
	rv->caps[rv->n_caps].name = xstrdup(p && p->name ? p->name : path);
	rv->caps[rv->n_caps].arch = p ? p->arch : 0;
	rv->n_caps++;
	profile_free(p);
	diag_fini(&d);
	if (null)
		fclose(null);
}

static int cap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct capture *)a)->name, ((const struct capture *)b)->name);
}

static int add_captures(struct review *rv, const char *path)
{
	if (is_dir(path)) {
		struct dirent **names;
		int n = scandir(path, &names, NULL, alphasort);

		if (n < 0) {
			fprintf(stderr, "kvmprof review: cannot read %s: %s\n", path, strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (names[i]->d_name[0] != '.' && ends_with(names[i]->d_name, ".yaml")) {
				char *f = xasprintf("%s/%s", path, names[i]->d_name);
				if (cli_has_host_facts(f))
					add_capture(rv, f);
				free(f);
			}
			free(names[i]);
		}
		free(names);
		return 0;
	}
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "kvmprof review: cannot read capture %s: %s\n", path, strerror(errno));
		return -1;
	}
	add_capture(rv, path);
	return 0;
}

/* ---- one profile's report ------------------------------------------------------------- */

/* Loads, resolves and checks with the diagnostics into *msgs; NULL if unusable. */
static struct profile *load_side(const char *file, const char *const *search, char **msgs)
{
	size_t len = 0;
	FILE *mem = open_memstream(msgs, &len);
	struct diag d;
	struct profile *p;

	if (!mem)
		abort();
	diag_init(&d, mem);
	p = profile_load_resolved(file, search, &d);
	if (p)
		profile_check(p, &d);
	if (p && d.n_errors) {
		profile_free(p);
		p = NULL;
	}
	diag_fini(&d);
	fclose(mem);
	return p;
}

/* Replaces every occurrence of from in *s by to. */
static void replace_all(char **s, const char *from, const char *to)
{
	size_t nf = strlen(from);
	char *out = NULL, *p = *s, *hit;
	size_t len = 0;
	FILE *mem;

	if (!nf || !strstr(*s, from))
		return;
	mem = open_memstream(&out, &len);
	if (!mem)
		abort();
	while ((hit = strstr(p, from))) {
		fwrite(p, 1, (size_t)(hit - p), mem);
		fputs(to, mem);
		p = hit + nf;
	}
	fputs(p, mem);
	fclose(mem);
	free(*s);
	*s = out;
}

/* `kvmprof check --format json` of one profile against one capture. */
static void check_one(struct review *rv, const char *file, int then, const struct capture *cap,
		      struct verdict *v)
{
	const char *argv[16 + 2 * MAX_DIRS] = { spawn_self_path(), "check", "--format", "json" };
	char *incs[MAX_DIRS] = { 0 };
	char *out = NULL, *err = NULL;
	int n = 4, rc;

	for (int i = 0; i < rv->n_inc; i++) {
		incs[i] = then ? xasprintf("%s/tree/%s", rv->tmp, rv->inc[i]) : xstrdup(rv->inc[i]);
		argv[n++] = "-I";
		argv[n++] = incs[i];
	}
	argv[n++] = file;
	argv[n++] = "--against";
	argv[n++] = cap->path;
	argv[n] = NULL;
	rc = spawn_capture(argv, NULL, &out, &err);
	v->rank = R_ERROR;
	v->text = NULL;
	if (rc == 0 || rc == 1 || rc == 3) { /* yes, no, unknown */
		FILE *null = fopen("/dev/null", "w");
		struct diag d;
		struct json_value *root;
		const struct json_value *verdict, *entries, *drift;

		diag_init(&d, null ? null : stderr);
		root = json_parse("check", out, strlen(out), &d);
		verdict = json_member(root, "verdict");
		if (verdict && verdict->type == JSON_STRING) {
			char *blocked = NULL;
			size_t len = 0;
			FILE *mem = open_memstream(&blocked, &len);
			int nb = 0;

			if (!mem)
				abort();
			v->rank = !strcmp(verdict->text, "yes") ? R_YES : !strcmp(verdict->text, "no") ? R_NO : R_UNKNOWN;
			entries = json_member(root, "entries");
			for (size_t i = 0; entries && entries->type == JSON_ARRAY && i < entries->n; i++) {
				const struct json_value *b = json_member(&entries->items[i], "blocks");
				const struct json_value *name = json_member(&entries->items[i], "name");
				if (b && b->type == JSON_TRUE && name && name->type == JSON_STRING && nb < REVIEW_MAX_BLOCKERS)
					fprintf(mem, "%s`%s`", nb++ ? ", " : "", name->text);
				else if (b && b->type == JSON_TRUE)
					nb++;
			}
			if (nb > REVIEW_MAX_BLOCKERS)
				fprintf(mem, " and %d more", nb - REVIEW_MAX_BLOCKERS);
			drift = json_member(json_member(root, "drift"), "missing");
			if (drift && drift->type == JSON_ARRAY && drift->n)
				fprintf(mem, "%s%zu required register%s missing", nb++ ? ", " : "", drift->n,
					drift->n == 1 ? "" : "s");
			fclose(mem);
			v->text = nb ? xasprintf("%s — blocked by %s", verdict->text, blocked) : xstrdup(verdict->text);
			free(blocked);
		}
		json_free(root);
		diag_fini(&d);
		if (null)
			fclose(null);
	}
	if (!v->text) {
		char *line = first_line(err[0] ? err : out);
		if (then)
			replace_all(&line, rv->tmp, "");
		v->text = xasprintf("error: %s", line);
		free(line);
	}
	for (int i = 0; i < rv->n_inc; i++)
		free(incs[i]);
	free(out);
	free(err);
}

static void put_md_code(FILE *out, const char *s)
{
	fputc('`', out);
	for (; *s; s++)
		fputs(*s == '|' ? "\\|" : *s == '`' ? "'" : (char[2]){ *s, 0 }, out);
	fputc('`', out);
}

static const char *change_word(const struct rprof *p)
{
	switch (p->change) {
	case CH_MODIFIED: return "changed";
	case CH_ADDED: return "added";
	case CH_REMOVED: return "removed";
	default: return "inherits";
	}
}

static const char *display_name(const struct rprof *p)
{
	return p->now.name ? p->now.name : p->then.name ? p->then.name : p->path;
}

struct section {                    /* the report of one profile, summarised in the table */
	char *body;
	int n_diff;                 /* -1: no diff (one side missing or unusable) */
	int worse, better, same, broken;
	int verdicts[R_NONE];       /* a new profile's verdicts by rank */
};

static void review_profile(struct review *rv, const struct rprof *p, struct section *s)
{
	size_t len = 0;
	FILE *out = open_memstream(&s->body, &len);
	char *tree_path = xasprintf("%s/tree/%s", rv->tmp, p->path), *msgs_now = NULL, *msgs_then = NULL;
	const char *search_now[MAX_DIRS + 1], *search_then[MAX_DIRS + 1];
	char *then_dirs[MAX_DIRS];
	struct profile *now = NULL, *then = NULL;
	char label[128];

	if (!out)
		abort();
	snprintf(label, sizeof(label), "%s:", rv->base_ref);
	for (int i = 0; i < rv->n_inc; i++) {
		search_now[i] = rv->inc[i];
		then_dirs[i] = xasprintf("%s/tree/%s", rv->tmp, rv->inc[i]);
		search_then[i] = then_dirs[i];
	}
	search_now[rv->n_inc] = search_then[rv->n_inc] = NULL;
	if (p->now.present)
		now = load_side(p->path, search_now, &msgs_now);
	if (p->then.present) {
		char *prefix = xasprintf("%s/tree/", rv->tmp);
		then = load_side(tree_path, search_then, &msgs_then);
		replace_all(&msgs_then, prefix, label);
		free(prefix);
	}

	fputs("### ", out);
	put_md_code(out, display_name(p));
	fprintf(out, " — %s", change_word(p));
	if (p->via) {
		fputs(" from ", out);
		put_md_code(out, display_name(p->via));
	}
	fputs(" (", out);
	put_md_code(out, p->path);
	fputs(")\n\n", out);

	s->n_diff = -1;
	if (p->now.present && !now) {
		s->broken = 1;
		fprintf(out, "**Does not load in this change:**\n\n```\n%s```\n\n", msgs_now);
	}
	if (p->then.present && !then)
		fprintf(out, "Did not load at `%s`:\n\n```\n%s```\n\n", rv->base_ref, msgs_then);
	if (now && then) {
		struct pdiff d = { 0 };
		profile_diff(then, now, &d);
		/* Both sides have one name: say which revision each column is. */
		free(d.a.name);
		d.a.name = xasprintf("%s at %s", then->name, rv->base_ref);
		s->n_diff = (int)d.n_items;
		pdiff_write(&d, PDIFF_FORMAT_MARKDOWN, out);
		fputc('\n', out);
		pdiff_free(&d);
	} else if (now && !p->then.present) {
		char hash[32];
		profile_hash(now, hash);
		fprintf(out, "New profile, %zu entries (%s).\n\n", now->n_entries, hash);
	} else if (!p->now.present) {
		fputs("Removed in this change.\n\n", out);
	}

	int arch = now ? now->arch : then ? then->arch : 0, header = 0;
	for (size_t i = 0; i < rv->n_caps; i++) {
		const struct capture *c = &rv->caps[i];
		struct verdict vt = { R_NONE, NULL }, vn = { R_NONE, NULL };

		if (c->arch != arch || (!now && !then))
			continue;
		if (!header) {
			fprintf(out, "| capture | at `%s` | this change |\n| --- | --- | --- |\n", rv->base_ref);
			header = 1;
		}
		if (then)
			check_one(rv, tree_path, 1, c, &vt);
		if (now)
			check_one(rv, p->path, 0, c, &vn);
		fputs("| ", out);
		put_md_code(out, c->name);
		fprintf(out, " | %s | ", vt.text ? vt.text : "—");
		if (now && then && vn.rank > vt.rank) {
			s->worse++;
			fprintf(out, "**%s** (worse)", vn.text);
		} else if (now && then && vn.rank < vt.rank) {
			s->better++;
			fprintf(out, "%s (better)", vn.text);
		} else if (now && !then) {
			s->verdicts[vn.rank]++;
			fputs(vn.text, out);
		} else {
			s->same++;
			fputs(vn.text ? vn.text : "—", out);
		}
		fputs(" |\n", out);
		free(vt.text);
		free(vn.text);
	}
	if (header)
		fputc('\n', out);
	else if (rv->n_caps && (now || then))
		fputs("No capture of this architecture was given.\n\n", out);

	for (int i = 0; i < rv->n_inc; i++)
		free(then_dirs[i]);
	profile_free(now);
	profile_free(then);
	free(msgs_now);
	free(msgs_then);
	free(tree_path);
	fclose(out);
}

/* ---- the report ----------------------------------------------------------------------- */

struct report_ctx {
	struct review *rv;
	const char *text;
};

static int emit_text(void *ctx, FILE *out, struct diag *d)
{
	(void)d;
	fputs(((const struct report_ctx *)ctx)->text, out);
	return 0;
}

static char *write_report(struct review *rv)
{
	struct rprof **list = xcalloc(rv->n_profs + 1, sizeof(*list));
	struct section *secs;
	size_t n = 0, len = 0, n_changed = 0;
	char *text = NULL;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		abort();
	for (size_t i = 0; i < rv->n_profs; i++)
		if (rv->profs[i].affected) {
			list[n++] = &rv->profs[i];
			n_changed += rv->profs[i].change != CH_NONE;
		}
	secs = xcalloc(n + 1, sizeof(*secs));
	for (size_t i = 0; i < n; i++) {
		review_profile(rv, list[i], &secs[i]);
		rv->n_worse += secs[i].worse;
		rv->n_better += secs[i].better;
		rv->n_broken += secs[i].broken;
	}

	fprintf(out, "## kvmprof review\n\nCompared with `%s` (`%.12s`): ", rv->base_ref, rv->base_sha);
	if (!n) {
		fputs("no profile changed.\n", out);
	} else {
		fprintf(out, "%zu profile%s changed, %zu more inherit%s from them; %zu capture%s.\n\n", n_changed,
			n_changed == 1 ? "" : "s", n - n_changed, n - n_changed == 1 ? "s" : "", rv->n_caps,
			rv->n_caps == 1 ? "" : "s");
		if (rv->n_worse || rv->n_broken)
			fprintf(out, "**Needs attention: %d verdict%s got worse, %d profile%s no longer load%s.**\n\n",
				rv->n_worse, rv->n_worse == 1 ? "" : "s", rv->n_broken, rv->n_broken == 1 ? "" : "s",
				rv->n_broken == 1 ? "s" : "");
		fputs("| profile | change | guest-visible differences | verdicts |\n| --- | --- | --- | --- |\n", out);
		for (size_t i = 0; i < n; i++) {
			const struct rprof *p = list[i];
			const struct section *s = &secs[i];

			fputs("| ", out);
			put_md_code(out, display_name(p));
			fprintf(out, " | %s", change_word(p));
			if (p->via) {
				fputs(" from ", out);
				put_md_code(out, display_name(p->via));
			}
			if (s->broken)
				fputs(" | **does not load**", out);
			else if (s->n_diff >= 0)
				fprintf(out, " | %d", s->n_diff);
			else
				fputs(" | —", out);
			if (s->verdicts[R_YES] + s->verdicts[R_UNKNOWN] + s->verdicts[R_NO] + s->verdicts[R_ERROR])
				fprintf(out, " | %d yes, %d no, %d unknown%s |\n", s->verdicts[R_YES], s->verdicts[R_NO],
					s->verdicts[R_UNKNOWN], s->verdicts[R_ERROR] ? ", some errors" : "");
			else if (!s->worse && !s->better && !s->same)
				fputs(" | — |\n", out);
			else
				fprintf(out, " | %s%d worse, %d better, %d unchanged%s |\n", s->worse ? "**" : "", s->worse,
					s->better, s->same, s->worse ? "**" : "");
		}
		fputc('\n', out);
		for (size_t i = 0; i < n; i++)
			fputs(secs[i].body, out);
	}
	for (size_t i = 0; i < n; i++)
		free(secs[i].body);
	free(secs);
	free(list);
	fclose(out);
	return text;
}

/* ---- the verb ------------------------------------------------------------------------- */

static void review_free(struct review *rv)
{
	for (size_t i = 0; i < rv->n_profs; i++) {
		struct rprof *p = &rv->profs[i];
		free(p->path);
		free(p->now.name);
		free(p->now.base);
		free(p->then.name);
		free(p->then.base);
	}
	free(rv->profs);
	for (size_t i = 0; i < rv->n_caps; i++) {
		free(rv->caps[i].path);
		free(rv->caps[i].name);
	}
	free(rv->caps);
}

int cmd_review(int argc, char **argv);

int cmd_review(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'b' }, { "against", required_argument, NULL, 'a' },
		{ "include", required_argument, NULL, 'I' }, { "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *against[MAX_DIRS], *inc_args[MAX_DIRS], *output = NULL;
	char *owned[4 * MAX_DIRS], *prefix = NULL, *top = NULL, *sha = NULL, *text = NULL, *out_path = NULL;
	int n_against = 0, n_inc_args = 0, n_owned = 0, c, rc = 2;
	struct review rv = { 0 };

	while ((c = getopt_long(argc, argv, "b:a:I:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': rv.base_ref = optarg; break;
		case 'a':
			if (n_against == MAX_DIRS)
				goto usage;
			against[n_against++] = optarg;
			break;
		case 'I':
			if (n_inc_args == MAX_DIRS)
				goto usage;
			inc_args[n_inc_args++] = optarg;
			break;
		case 'o': output = optarg; break;
		case 'h': usage_review(stdout); return 0;
		default: goto usage;
		}
	}
	if (!rv.base_ref || argc - optind > MAX_DIRS / 2)
		goto usage;

	/* Paths are given relative to here; git and the report speak from the repository's top. */
	{
		const char *a1[] = { "rev-parse", "--show-toplevel", NULL }, *a2[] = { "rev-parse", "--show-prefix", NULL };
		char *spec = xasprintf("%s^{commit}", rv.base_ref);
		const char *a3[] = { "rev-parse", "--verify", "--quiet", spec, NULL };
		int bad = git(&top, a1) || git(&prefix, a2);
		if (!bad && git(&sha, a3)) {
			fprintf(stderr, "kvmprof review: --base %s is not a revision of this repository\n", rv.base_ref);
			bad = 1;
		}
		free(spec);
		if (bad)
			goto done;
		strip_newline(top);
		strip_newline(prefix);
		strip_newline(sha);
		snprintf(rv.base_sha, sizeof(rv.base_sha), "%s", sha);
	}
	for (int i = 0; i < n_inc_args; i++)
		rv.inc[rv.n_inc++] = owned[n_owned++] = clean_path(prefix, inc_args[i]);
	if (!rv.n_inc)
		rv.inc[rv.n_inc++] = owned[n_owned++] = clean_path(prefix, "profiles");
	for (int i = 0; i < rv.n_inc; i++)
		rv.dirs[rv.n_dirs++] = rv.inc[i];
	for (int i = optind; i < argc; i++) {
		char *path = owned[n_owned++] = clean_path(prefix, argv[i]);
		rv.pathspec[rv.n_pathspec++] = path;
		if (!ends_with(path, ".yaml"))
			rv.dirs[rv.n_dirs++] = path;
		else
			rv.dirs[rv.n_dirs++] = owned[n_owned++] = dir_of(path);
	}
	if (!rv.n_pathspec)
		for (int i = 0; i < rv.n_inc; i++)
			rv.pathspec[rv.n_pathspec++] = rv.inc[i];
	/* The same folder twice would list its profiles twice. */
	for (int i = 0; i < rv.n_dirs; i++)
		for (int j = i + 1; j < rv.n_dirs; j++)
			if (!strcmp(rv.dirs[i], rv.dirs[j]))
				rv.dirs[j--] = rv.dirs[--rv.n_dirs];
	if (output)
		out_path = owned[n_owned++] = output[0] == '/' ? xstrdup(output) : xasprintf("%s%s", prefix, output);
	if (chdir(top) != 0) {
		fprintf(stderr, "kvmprof review: cannot enter %s: %s\n", top, strerror(errno));
		goto done;
	}
	for (int i = 0; i < n_against; i++) {
		char *path = owned[n_owned++] = clean_path(prefix, against[i]);
		if (add_captures(&rv, path))
			goto done;
	}
	if (rv.n_caps)
		qsort(rv.caps, rv.n_caps, sizeof(*rv.caps), cap_cmp);

	{
		const char *tmpdir = getenv("TMPDIR");
		snprintf(rv.tmp, sizeof(rv.tmp), "%s/kvmprof-review.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (!mkdtemp(rv.tmp)) {
			fprintf(stderr, "kvmprof review: cannot create a temporary directory: %s\n", strerror(errno));
			rv.tmp[0] = '\0';
			goto done;
		}
	}
	if (extract_base_tree(&rv))
		goto done;
	scan_tree(&rv, "", 0);
	{
		char *root = xasprintf("%s/tree/", rv.tmp);
		scan_tree(&rv, root, 1);
		free(root);
	}
	if (rv.n_profs)
		qsort(rv.profs, rv.n_profs, sizeof(*rv.profs), path_cmp);
	if (find_changes(&rv))
		goto done;
	text = write_report(&rv);
	if (out_path) {
		struct diag d;
		struct report_ctx ctx = { &rv, text };
		diag_init(&d, stderr);
		if (cli_write_atomic(out_path, emit_text, &ctx, &d) != 0) {
			diag_fini(&d);
			goto done;
		}
		diag_fini(&d);
	} else {
		fputs(text, stdout);
	}
	rc = rv.n_worse || rv.n_broken ? 1 : 0;
	goto done;
usage:
	usage_review(stderr);
done:
	if (rv.tmp[0]) {
		const char *argv_rm[] = { "rm", "-rf", rv.tmp, NULL };
		spawn_capture(argv_rm, NULL, NULL, NULL);
	}
	review_free(&rv);
	for (int i = 0; i < n_owned; i++)
		free(owned[i]);
	free(text);
	free(top);
	free(prefix);
	free(sha);
	return rc;
}
