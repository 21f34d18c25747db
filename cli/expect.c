/* SPDX-License-Identifier: MIT */
/*
 * expect.c - `kvmprof test EXPECTATIONS.yml`: regression tests of a profile
 * repository. The file states, per profile, what must stay true (the hash it
 * keeps, that it lints clean, the verdict of `kvmprof check` against named
 * captures and which entries block); the verb checks every statement and
 * reports each one that no longer holds at its file:line:col. `--update`
 * rewrites the values that changed in place (comments and layout kept), for
 * a change that is meant; `--record DIR` writes a first file for a folder.
 *
 * Lint and check run as child processes of this binary, so each answer is
 * exactly what a user running that verb gets.
 *
 * Exit status: 0 every expectation met, 1 some not met, 2 usage or an
 * expectations file that cannot be read.
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
#include <yaml.h>

#include "cli.h"
#include "input.h"
#include "json.h"
#include "spawn.h"

#define EXPECT_FORMAT 1
#define RECORD_MAX_BLOCKED 8 /* --record states blocked-by for at most this many entries */

enum ekind { E_HASH, E_LINT, E_CHECK };

struct expectation {
	char *profile;              /* name; the file is DIR/NAME.yaml */
	int kind;                   /* enum ekind */
	char *want;                 /* hash, "clean", or a verdict */
	char *capture;              /* E_CHECK: the capture's name */
	char **blocked;             /* E_CHECK: blocked-by, sorted; has_blocked: stated */
	size_t n_blocked;
	int has_blocked;
	struct srcpos pos;          /* the value */
	size_t start, end;          /* the value's bytes in the file, for --update */
	size_t bstart, bend;        /* the blocked-by list's bytes */
	/* results */
	int met;
	char *got;                  /* what was found instead, for the message and --update */
	char *got_blocked;          /* "[A, B]" */
	char *detail;               /* why it could not be asked, or the first diagnostic */
};

struct expectations {
	char *file;                 /* as given */
	char *dir;                  /* its folder: where NAME.yaml profiles are */
	char **cap_dirs;            /* where capture NAME.yaml files are looked up */
	size_t n_cap_dirs;
	int every_profile;
	struct srcpos every_pos;
	int profiles_last;          /* profiles: is the last key, a block mapping (--update appends to it) */
	int default_lint;           /* defaults: states lint */
	char *text;                 /* the file's bytes */
	size_t len;
	char **names;               /* profiles listed, for every-profile */
	size_t n_names;
	struct expectation *e;
	size_t n;
};

static void usage_test(FILE *f)
{
	fputs("usage: kvmprof test [-v] [--update] EXPECTATIONS.yml...\n"
	      "       kvmprof test --record DIR [-o EXPECTATIONS.yml]\n"
	      "Checks what a profile repository states must stay true of each profile: its hash, that it\n"
	      "lints clean, the verdict of `kvmprof check` against named captures and what blocks it.\n"
	      "  -v             also list the expectations that are met\n"
	      "  --update       rewrite the hashes, verdicts and blocked-by lists that changed, in place\n"
	      "  --record DIR   write expectations for every profile of DIR as it is now (to -o or stdout)\n"
	      "Exit status: 0 every expectation met, 1 some not met, 2 usage or an unreadable file.\n", f);
}

/* ---- reading the file ------------------------------------------------------------------ */

struct reader {
	struct expectations *x;
	struct diag *d;
	const char *file;           /* interned */
	yaml_document_t doc;
};

static yaml_node_t *node(struct reader *r, int i)
{
	return yaml_document_get_node(&r->doc, i);
}

static struct srcpos pos_of(struct reader *r, const yaml_node_t *n)
{
	struct srcpos p = { r->file, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
	return p;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int want_scalar(struct reader *r, const yaml_node_t *n, const char *what)
{
	if (scalar(n))
		return 0;
	diag_error(r->d, pos_of(r, n), "expectations", "%s must be a single value", what);
	return -1;
}

static int want_map(struct reader *r, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_MAPPING_NODE)
		return 0;
	diag_error(r->d, pos_of(r, n), "expectations", "%s must be a mapping", what);
	return -1;
}

/* "unknown key 'hsah' in a profile's expectations (did you mean 'hash'? known: hash, lint, check)" */
static void unknown_key(struct reader *r, const yaml_node_t *k, const char *where, const char *known)
{
	const char *key = scalar(k) ? scalar(k) : "?", *near = suggest_from_words(key, known);

	if (near)
		diag_error(r->d, pos_of(r, k), "expectations", "unknown key '%s' %s (did you mean '%s'? known: %s)", key,
			   where, near, known);
	else
		diag_error(r->d, pos_of(r, k), "expectations", "unknown key '%s' %s (known: %s)", key, where, known);
}

#define FOR_PAIRS(map, pair) \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start; pair < (map)->data.mapping.pairs.top; pair++)

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct expectation *add_expectation(struct reader *r, const char *profile, int kind, const yaml_node_t *v)
{
	struct expectations *x = r->x;
	struct expectation *e;

	x->e = xrealloc(x->e, (x->n + 1) * sizeof(*x->e));
	e = &x->e[x->n++];
	memset(e, 0, sizeof(*e));
	e->profile = xstrdup(profile);
	e->kind = kind;
	e->want = xstrdup(scalar(v));
	e->pos = pos_of(r, v);
	e->start = v->start_mark.index;
	e->end = v->end_mark.index;
	return e;
}

static int is_verdict(const char *s)
{
	return s && (!strcmp(s, "yes") || !strcmp(s, "no") || !strcmp(s, "unknown"));
}

/* check: {CAPTURE: VERDICT | {verdict: V, blocked-by: [NAME...]}} */
static void read_checks(struct reader *r, const char *profile, const yaml_node_t *map)
{
	if (want_map(r, map, "check"))
		return;
	FOR_PAIRS(map, pair) {
		const yaml_node_t *k = node(r, pair->key), *v = node(r, pair->value), *verdict = v, *blocked = NULL;
		struct expectation *e;

		if (want_scalar(r, k, "a capture's name"))
			continue;
		if (v->type == YAML_MAPPING_NODE) {
			verdict = NULL;
			FOR_PAIRS(v, q) {
				const char *key = scalar(node(r, q->key));
				if (key && !strcmp(key, "verdict"))
					verdict = node(r, q->value);
				else if (key && !strcmp(key, "blocked-by"))
					blocked = node(r, q->value);
				else
					unknown_key(r, node(r, q->key), "in a check", "verdict, blocked-by");
			}
			if (!verdict) {
				diag_error(r->d, pos_of(r, v), "expectations", "a check needs a verdict (yes, no or unknown)");
				continue;
			}
		}
		if (!is_verdict(scalar(verdict))) {
			diag_error(r->d, pos_of(r, verdict), "expectations",
				   "a verdict is yes, no or unknown (quote nothing: yes, not \"yes\")");
			continue;
		}
		e = add_expectation(r, profile, E_CHECK, verdict);
		e->capture = xstrdup(scalar(k));
		if (blocked) {
			if (blocked->type != YAML_SEQUENCE_NODE) {
				diag_error(r->d, pos_of(r, blocked), "expectations", "blocked-by must be a list of entry names");
				continue;
			}
			e->has_blocked = 1;
			e->bstart = blocked->start_mark.index;
			e->bend = blocked->end_mark.index;
			for (yaml_node_item_t *it = blocked->data.sequence.items.start; it < blocked->data.sequence.items.top;
			     it++) {
				const yaml_node_t *b = node(r, *it);
				if (want_scalar(r, b, "an entry of blocked-by"))
					continue;
				e->blocked = xrealloc(e->blocked, (e->n_blocked + 1) * sizeof(*e->blocked));
				e->blocked[e->n_blocked++] = xstrdup(scalar(b));
			}
			if (e->n_blocked)
				qsort(e->blocked, e->n_blocked, sizeof(*e->blocked), str_cmp);
		}
	}
}

/* One profile's mapping (or the defaults, profile NULL: added for every listed profile later). */
static void read_profile(struct reader *r, const char *profile, const yaml_node_t *map)
{
	if (want_map(r, map, profile ? "a profile's expectations" : "defaults"))
		return;
	FOR_PAIRS(map, pair) {
		const yaml_node_t *k = node(r, pair->key), *v = node(r, pair->value);
		const char *key = scalar(k);

		if (!key) {
			want_scalar(r, k, "a key");
		} else if (!strcmp(key, "hash") && profile) {
			if (!want_scalar(r, v, "hash"))
				add_expectation(r, profile, E_HASH, v);
		} else if (!strcmp(key, "lint")) {
			if (want_scalar(r, v, "lint"))
				continue;
			if (strcmp(scalar(v), "clean")) {
				diag_error(r->d, pos_of(r, v), "expectations", "lint: takes one value, clean");
				continue;
			}
			add_expectation(r, profile ? profile : "", E_LINT, v);
		} else if (!strcmp(key, "check") && profile) {
			read_checks(r, profile, v);
		} else {
			unknown_key(r, k, profile ? "in a profile's expectations" : "in defaults",
				    profile ? "hash, lint, check" : "lint");
		}
	}
}

static void add_dir(char ***dirs, size_t *n, const char *base, const char *rel)
{
	*dirs = xrealloc(*dirs, (*n + 1) * sizeof(**dirs));
	(*dirs)[(*n)++] = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", base, rel);
}

/* 0, or -1 with errors in d. */
static int read_expectations(const char *path, struct expectations *x, struct diag *d)
{
	struct reader r = { .x = x, .d = d, .file = diag_intern(d, path) };
	yaml_node_t *root, *defaults = NULL;
	int before = d->n_errors, version = 0;
	const char *slash = strrchr(path, '/');

	memset(x, 0, sizeof(*x));
	x->file = xstrdup(path);
	x->dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	/* a regular file within the input limits, one YAML document without
	 * alias cycles or blow-ups (formats/input.h) */
	if (input_read(path, d, &x->text, &x->len) ||
	    input_yaml_load(r.file, x->text, x->len, d, &r.doc, NULL))
		return -1;
	root = yaml_document_get_root_node(&r.doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		diag_error(d, (struct srcpos){ r.file, 1, 1 }, "expectations",
			   "an expectations file is a mapping starting with 'kvmprof-expectations: %d'", EXPECT_FORMAT);
		yaml_document_delete(&r.doc);
		return -1;
	}
	FOR_PAIRS(root, pair) {
		yaml_node_t *k = node(&r, pair->key), *v = node(&r, pair->value);
		const char *key = scalar(k);

		if (!key) {
			want_scalar(&r, k, "a key");
		} else if (!strcmp(key, "kvmprof-expectations")) {
			if (!scalar(v) || strcmp(scalar(v), "1"))
				diag_error(d, pos_of(&r, v), "expectations", "this kvmprof reads format %d", EXPECT_FORMAT);
			version = 1;
		} else if (!strcmp(key, "captures")) {
			if (scalar(v)) {
				add_dir(&x->cap_dirs, &x->n_cap_dirs, x->dir, scalar(v));
			} else if (v->type == YAML_SEQUENCE_NODE) {
				for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
					if (!want_scalar(&r, node(&r, *it), "a captures folder"))
						add_dir(&x->cap_dirs, &x->n_cap_dirs, x->dir, scalar(node(&r, *it)));
			} else {
				want_scalar(&r, v, "captures");
			}
		} else if (!strcmp(key, "every-profile")) {
			const char *s = scalar(v);
			if (!s || (strcmp(s, "true") && strcmp(s, "false")))
				diag_error(d, pos_of(&r, v), "expectations", "every-profile is true or false");
			x->every_profile = s && !strcmp(s, "true");
			x->every_pos = pos_of(&r, k);
		} else if (!strcmp(key, "defaults")) {
			defaults = v;
		} else if (!strcmp(key, "profiles")) {
			if (want_map(&r, v, "profiles"))
				continue;
			x->profiles_last = pair + 1 == root->data.mapping.pairs.top &&
					   v->data.mapping.style == YAML_BLOCK_MAPPING_STYLE;
			FOR_PAIRS(v, p) {
				const yaml_node_t *name = node(&r, p->key);
				if (want_scalar(&r, name, "a profile's name"))
					continue;
				x->names = xrealloc(x->names, (x->n_names + 1) * sizeof(*x->names));
				x->names[x->n_names++] = xstrdup(scalar(name));
				read_profile(&r, scalar(name), node(&r, p->value));
			}
		} else {
			unknown_key(&r, k, "at the top", "kvmprof-expectations, captures, every-profile, defaults, profiles");
		}
	}
	if (!version)
		diag_error(d, (struct srcpos){ r.file, 1, 1 }, "expectations",
			   "the file must state 'kvmprof-expectations: %d'", EXPECT_FORMAT);
	/* defaults: each stated once, checked for every listed profile (reported at the default) */
	if (defaults) {
		size_t first = x->n;
		read_profile(&r, NULL, defaults);
		size_t last = x->n;
		x->default_lint = last > first;
		for (size_t i = first; i < last; i++) {
			for (size_t j = 0; j < x->n_names; j++) {
				struct expectation copy = x->e[i];
				copy.profile = xstrdup(x->names[j]);
				copy.want = xstrdup(x->e[i].want);
				copy.start = copy.end = 0; /* not rewritten by --update */
				x->e = xrealloc(x->e, (x->n + 1) * sizeof(*x->e));
				x->e[x->n++] = copy;
			}
		}
		for (size_t i = first; i < last; i++) {
			free(x->e[i].profile);
			free(x->e[i].want);
		}
		memmove(&x->e[first], &x->e[last], (x->n - last) * sizeof(*x->e));
		x->n -= last - first;
	}
	if (!x->n_cap_dirs)
		add_dir(&x->cap_dirs, &x->n_cap_dirs, x->dir, ".");
	yaml_document_delete(&r.doc);
	return d->n_errors > before ? -1 : 0;
}

static void expectations_free(struct expectations *x)
{
	for (size_t i = 0; i < x->n; i++) {
		struct expectation *e = &x->e[i];
		free(e->profile);
		free(e->want);
		free(e->capture);
		for (size_t j = 0; j < e->n_blocked; j++)
			free(e->blocked[j]);
		free(e->blocked);
		free(e->got);
		free(e->got_blocked);
		free(e->detail);
	}
	free(x->e);
	for (size_t i = 0; i < x->n_cap_dirs; i++)
		free(x->cap_dirs[i]);
	free(x->cap_dirs);
	for (size_t i = 0; i < x->n_names; i++)
		free(x->names[i]);
	free(x->names);
	free(x->file);
	free(x->dir);
	free(x->text);
}

/* ---- asking ---------------------------------------------------------------------------- */

static char *first_line(const char *text)
{
	const char *nl = strchr(text, '\n');
	return nl ? xstrndup(text, (size_t)(nl - text)) : xstrdup(text);
}

struct check_answer {
	char *verdict;              /* NULL: could not be asked (detail says why) */
	char **blocked;
	size_t n_blocked;
	char *detail;
};

static void answer_free(struct check_answer *a)
{
	free(a->verdict);
	for (size_t i = 0; i < a->n_blocked; i++)
		free(a->blocked[i]);
	free(a->blocked);
	free(a->detail);
}

/* `kvmprof check --format json -I DIR PROFILE --against CAPTURE`. */
static void ask_check(const char *dir, const char *profile, const char *capture, struct check_answer *a)
{
	const char *argv[] = { spawn_self_path(), "check", "--format", "json", "-I", dir, profile,
			       "--against", capture, NULL };
	char *out = NULL, *err = NULL;
	FILE *null = fopen("/dev/null", "w");
	struct diag d;
	struct json_value *root;
	const struct json_value *v, *entries, *missing;

	memset(a, 0, sizeof(*a));
	spawn_capture(argv, NULL, &out, &err);
	diag_init(&d, null ? null : stderr);
	root = json_parse("check", out, strlen(out), &d);
	v = json_member(root, "verdict");
	if (v && v->type == JSON_STRING) {
		a->verdict = xstrdup(v->text);
		entries = json_member(root, "entries");
		for (size_t i = 0; entries && entries->type == JSON_ARRAY && i < entries->n; i++) {
			const struct json_value *b = json_member(&entries->items[i], "blocks");
			const struct json_value *name = json_member(&entries->items[i], "name");
			if (b && b->type == JSON_TRUE && name && name->type == JSON_STRING) {
				a->blocked = xrealloc(a->blocked, (a->n_blocked + 1) * sizeof(*a->blocked));
				a->blocked[a->n_blocked++] = xstrdup(name->text);
			}
		}
		/* required registers the host lacks block as one item: the register set */
		missing = json_member(json_member(root, "drift"), "missing");
		if (missing && missing->type == JSON_ARRAY && missing->n) {
			a->blocked = xrealloc(a->blocked, (a->n_blocked + 1) * sizeof(*a->blocked));
			a->blocked[a->n_blocked++] = xstrdup("register-set");
		}
		if (a->n_blocked)
			qsort(a->blocked, a->n_blocked, sizeof(*a->blocked), str_cmp);
	} else {
		a->detail = first_line(err[0] ? err : out[0] ? out : "kvmprof check gave no answer");
	}
	json_free(root);
	diag_fini(&d);
	if (null)
		fclose(null);
	free(out);
	free(err);
}

static char *list_text(char **items, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		abort();
	fputc('[', mem);
	for (size_t i = 0; i < n; i++)
		fprintf(mem, "%s%s", i ? ", " : "", items[i]);
	fputc(']', mem);
	fclose(mem);
	return text;
}

static int same_list(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return 1;
}

/* The capture NAME.yaml in the first captures folder that has it; NULL if none does. */
static char *find_capture(const struct expectations *x, const char *name)
{
	for (size_t i = 0; i < x->n_cap_dirs; i++) {
		char *path = xasprintf("%s/%s.yaml", x->cap_dirs[i], name);
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

static void ask(struct expectations *x, struct expectation *e)
{
	char *path = xasprintf("%s/%s.yaml", x->dir, e->profile);

	if (access(path, R_OK) != 0) {
		e->detail = xasprintf("no profile %s: %s", path, strerror(errno));
	} else if (e->kind == E_HASH) {
		char *msgs = NULL, hash[32];
		size_t len = 0;
		FILE *mem = open_memstream(&msgs, &len);
		const char *search[] = { x->dir, NULL };
		struct diag d;
		struct profile *p;

		if (!mem)
			abort();
		diag_init(&d, mem);
		d.quiet_source = 1;
		p = profile_load_resolved(path, search, &d);
		if (p)
			profile_check(p, &d);
		diag_fini(&d);
		fclose(mem);
		if (p && !d.n_errors) {
			profile_hash(p, hash);
			e->got = xstrdup(hash);
			e->met = !strcmp(hash, e->want);
		} else {
			e->detail = xasprintf("does not load: %s", msgs);
			e->detail[strcspn(e->detail, "\n")] = '\0';
		}
		profile_free(p);
		free(msgs);
	} else if (e->kind == E_LINT) {
		const char *argv[] = { spawn_self_path(), "lint", "-Werror", "-I", x->dir, path, NULL };
		char *out = NULL, *err = NULL;
		int rc = spawn_capture(argv, NULL, &out, &err);

		e->met = rc == 0 && !out[0] && !err[0];
		if (!e->met) {
			e->got = xstrdup("not clean");
			e->detail = first_line(err[0] ? err : out);
		}
		free(out);
		free(err);
	} else {
		char *cap = find_capture(x, e->capture);
		struct check_answer a;

		if (!cap) {
			e->detail = xasprintf("no capture %s.yaml in the captures folders", e->capture);
		} else {
			ask_check(x->dir, path, cap, &a);
			if (a.verdict) {
				e->got = xstrdup(a.verdict);
				e->got_blocked = list_text(a.blocked, a.n_blocked);
				e->met = !strcmp(a.verdict, e->want) &&
					 (!e->has_blocked || same_list(a.blocked, a.n_blocked, e->blocked, e->n_blocked));
			} else {
				e->detail = xstrdup(a.detail);
			}
			answer_free(&a);
		}
		free(cap);
	}
	free(path);
}

/* ---- reporting and --update ------------------------------------------------------------ */

static void describe(const struct expectation *e, char *buf, size_t len)
{
	switch (e->kind) {
	case E_HASH: snprintf(buf, len, "%s: hash", e->profile); break;
	case E_LINT: snprintf(buf, len, "%s: lint", e->profile); break;
	default: snprintf(buf, len, "%s: check against %s", e->profile, e->capture); break;
	}
}

static void report(const struct expectation *e, int verbose, struct diag *d)
{
	char what[512];

	describe(e, what, sizeof(what));
	if (e->met) {
		if (verbose)
			printf("ok    %s: %s%s%s\n", what, e->want, e->has_blocked ? ", blocked by " : "",
			       e->has_blocked ? e->got_blocked : "");
		fflush(stdout); /* in order with the errors on stderr */
		return;
	}
	if (e->detail && !e->got)
		diag_error(d, e->pos, "expectation", "%s: cannot tell: %s", what, e->detail);
	else if (e->kind == E_CHECK && !strcmp(e->got, e->want)) {
		char *want = list_text(e->blocked, e->n_blocked);
		diag_error(d, e->pos, "expectation", "%s: %s as expected, but blocked by %s, not %s", what, e->got,
			   e->got_blocked, want);
		free(want);
	}
	else if (e->kind == E_CHECK)
		diag_error(d, e->pos, "expectation", "%s: expected %s, got %s%s%s", what, e->want, e->got,
			   strcmp(e->got, "yes") ? ", blocked by " : "", strcmp(e->got, "yes") ? e->got_blocked : "");
	else if (e->kind == E_LINT)
		diag_error(d, e->pos, "expectation", "%s: expected clean, got: %s", what, e->detail);
	else
		diag_error(d, e->pos, "expectation", "%s: expected %s, got %s", what, e->want, e->got);
}

struct edit {
	size_t start, end;
	const char *text;
};

static int edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

struct rewrite {
	const struct expectations *x;
	struct edit *edits;
	size_t n;
	const char *append;         /* NULL, or text added at the end */
};

static int emit_rewrite(void *ctx, FILE *out, struct diag *d)
{
	const struct rewrite *w = ctx;
	size_t at = 0;

	(void)d;
	for (size_t i = 0; i < w->n; i++) {
		fwrite(w->x->text + at, 1, w->edits[i].start - at, out);
		fputs(w->edits[i].text, out);
		at = w->edits[i].end;
	}
	fwrite(w->x->text + at, 1, w->x->len - at, out);
	if (w->append)
		fputs(w->append, out);
	return 0;
}

/* Rewrites the values that changed; returns how many, or -1 on an I/O error. */
static int update_file(struct expectations *x, const char *append, struct diag *d)
{
	struct rewrite w = { x, xcalloc(2 * x->n + 1, sizeof(struct edit)), 0, append };
	int rc;

	for (size_t i = 0; i < x->n; i++) {
		struct expectation *e = &x->e[i];
		if (e->met || !e->got || e->end <= e->start)
			continue;
		if (e->kind != E_LINT && strcmp(e->got, e->want))
			w.edits[w.n++] = (struct edit){ e->start, e->end, e->got };
		if (e->kind == E_CHECK && e->has_blocked && e->bend > e->bstart)
			w.edits[w.n++] = (struct edit){ e->bstart, e->bend, e->got_blocked };
	}
	if (w.n)
		qsort(w.edits, w.n, sizeof(*w.edits), edit_cmp);
	if (w.n || append)
		input_forget(x->file); /* rewritten in place on purpose */
	rc = w.n || append ? cli_write_atomic(x->file, emit_rewrite, &w, d) : 0; /* d: a fresh diag, see run_file */
	free(w.edits);
	return rc ? -1 : (int)w.n;
}

/* ---- --record -------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}


struct recorded {
	char *name, *path, hash[32];
	int arch, is_capture, lint_clean, loads;
};

struct record_ctx {
	const char *dir;
	struct recorded *r;
	size_t n;
};

/* What one profile keeps now: its hash, lint clean (with_lint), and the verdict against each
 * capture of caps of its architecture. */
static void emit_profile_record(FILE *out, const char *dir, const struct recorded *p, const struct record_ctx *caps,
				int with_lint)
{
	int header = 0;

	fprintf(out, "  %s:\n", p->name);
	if (!p->loads) {
		fputs("    # does not load: no expectations recorded\n", out);
		return;
	}
	fprintf(out, "    hash: %s\n", p->hash);
	if (with_lint && p->lint_clean)
		fputs("    lint: clean\n", out);
	for (size_t j = 0; j < caps->n; j++) {
		const struct recorded *c = &caps->r[j];
		struct check_answer a;
		char *list;

		if (!c->is_capture || c->arch != p->arch || !c->loads)
			continue;
		ask_check(dir, p->path, c->path, &a);
		if (!a.verdict) {
			fprintf(out, "    # check against %s: %s\n", c->name, a.detail);
			answer_free(&a);
			continue;
		}
		if (!header)
			fputs("    check:\n", out);
		header = 1;
		list = list_text(a.blocked, a.n_blocked);
		/* A short list is what a reviewer follows; a long one says "another machine". */
		if (a.n_blocked && a.n_blocked <= RECORD_MAX_BLOCKED)
			fprintf(out, "      %s: {verdict: %s, blocked-by: %s}\n", c->name, a.verdict, list);
		else
			fprintf(out, "      %s: %s\n", c->name, a.verdict);
		free(list);
		answer_free(&a);
	}
}

static int emit_record(void *ctx, FILE *out, struct diag *d)
{
	const struct record_ctx *rc = ctx;
	int all_clean = 1;

	(void)d;
	for (size_t i = 0; i < rc->n; i++)
		all_clean &= rc->r[i].lint_clean;
	fprintf(out, "# What must stay true of the profiles in this folder; `kvmprof test FILE` checks it\n"
		     "# (docs/cli.md, \"kvmprof test\"), `kvmprof test --update FILE` takes a change that is meant.\n"
		     "kvmprof-expectations: %d\n"
		     "every-profile: true        # a profile added without expectations fails\n",
		EXPECT_FORMAT);
	if (all_clean)
		fputs("defaults:\n  lint: clean               # every profile lints clean with -Werror\n", out);
	fputs("profiles:\n", out);
	for (size_t i = 0; i < rc->n; i++)
		emit_profile_record(out, rc->dir, &rc->r[i], rc, !all_clean);
	return 0;
}

/* Loads every *.yaml of dir (hash, arch, lint, is it a capture) into ctx. 0, or -1 if dir is unreadable. */
static int scan_folder(const char *dir, struct record_ctx *ctx, int captures_only)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *f = names[i]->d_name;
		char *path = xasprintf("%s/%s", dir, f);
		if (f[0] != '.' && ends_with(f, ".yaml") && (!captures_only || cli_has_host_facts(path))) {
			struct recorded *p;
			char *msgs = NULL;
			size_t len = 0;
			FILE *mem = open_memstream(&msgs, &len);
			const char *search[] = { dir, NULL };
			struct profile *prof;
			struct diag q;

			if (!mem)
				abort();
			ctx->r = xrealloc(ctx->r, (ctx->n + 1) * sizeof(*ctx->r));
			p = &ctx->r[ctx->n++];
			memset(p, 0, sizeof(*p));
			p->name = xstrndup(f, strlen(f) - 5);
			p->path = xstrdup(path);
			p->is_capture = cli_has_host_facts(p->path);
			diag_init(&q, mem);
			prof = profile_load_resolved(p->path, search, &q);
			if (prof)
				profile_check(prof, &q);
			p->loads = prof && !q.n_errors;
			if (p->loads) {
				const char *argv[] = { spawn_self_path(), "lint", "-Werror", "-I", dir, p->path, NULL };
				char *out = NULL, *err = NULL;
				profile_hash(prof, p->hash);
				p->arch = prof->arch;
				p->lint_clean = spawn_capture(argv, NULL, &out, &err) == 0 && !out[0] && !err[0];
				free(out);
				free(err);
			}
			profile_free(prof);
			diag_fini(&q);
			fclose(mem);
			free(msgs);
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return 0;
}

static void record_ctx_free(struct record_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n; i++) {
		free(ctx->r[i].name);
		free(ctx->r[i].path);
	}
	free(ctx->r);
}

static int record(const char *dir, const char *output)
{
	struct record_ctx ctx = { dir, NULL, 0 };
	struct diag d;
	int rc = 0;

	if (scan_folder(dir, &ctx, 0)) {
		fprintf(stderr, "kvmprof test: cannot read %s: %s\n", dir, strerror(errno));
		return 2;
	}
	diag_init(&d, stderr);
	if (output)
		rc = cli_write_atomic(output, emit_record, &ctx, &d) ? 2 : 0;
	else
		emit_record(&ctx, stdout, &d);
	diag_fini(&d);
	record_ctx_free(&ctx);
	return rc;
}

/* --update with every-profile: the expectations of the profiles not listed, as --record would
 * state them, appended to the profiles: mapping (the file's last key). Returns the text or NULL. */
static char *records_for_unlisted(const struct expectations *x, char **unlisted, size_t n)
{
	struct record_ctx all = { x->dir, NULL, 0 }, caps = { x->dir, NULL, 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (!n || !x->profiles_last || scan_folder(x->dir, &all, 0))
		return NULL;
	for (size_t i = 0; i < x->n_cap_dirs; i++)
		scan_folder(x->cap_dirs[i], &caps, 1);
	out = open_memstream(&text, &len);
	if (!out)
		abort();
	if (x->len && x->text[x->len - 1] != '\n')
		fputc('\n', out);
	for (size_t i = 0; i < all.n; i++)
		for (size_t j = 0; j < n; j++)
			if (!strcmp(all.r[i].name, unlisted[j]))
				emit_profile_record(out, x->dir, &all.r[i], &caps, !x->default_lint);
	fclose(out);
	record_ctx_free(&all);
	record_ctx_free(&caps);
	return text;
}

/* ---- the verb -------------------------------------------------------------------------- */

static int run_file(const char *path, int verbose, int update, int *n_met, int *n_failed, int *n_left)
{
	struct expectations x;
	struct diag d;
	int rc = 0;
	char **unlisted = NULL;
	size_t n_unlisted = 0;

	diag_init(&d, stderr);
	if (read_expectations(path, &x, &d)) {
		fprintf(stderr, "%s: not read (%d error%s)\n", path, d.n_errors, d.n_errors == 1 ? "" : "s");
		expectations_free(&x);
		diag_fini(&d);
		return 2;
	}
	for (size_t i = 0; i < x.n; i++) {
		ask(&x, &x.e[i]);
		report(&x.e[i], verbose, &d);
		*n_met += x.e[i].met;
		*n_failed += !x.e[i].met;
	}
	if (x.every_profile) {
		struct dirent **names;
		int n = scandir(x.dir, &names, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			const char *f = names[i]->d_name;
			if (f[0] != '.' && ends_with(f, ".yaml")) {
				int listed = 0;
				for (size_t j = 0; j < x.n_names && !listed; j++)
					listed = strlen(x.names[j]) == strlen(f) - 5 && !strncmp(x.names[j], f, strlen(f) - 5);
				if (!listed) {
					diag_error(&d, x.every_pos, "expectation", "%.*s: every profile needs expectations, and %s/%s has none",
						   (int)(strlen(f) - 5), f, x.dir, f);
					++*n_failed;
					unlisted = xrealloc(unlisted, (n_unlisted + 1) * sizeof(*unlisted));
					unlisted[n_unlisted++] = xstrndup(f, strlen(f) - 5);
				} else {
					++*n_met;
				}
			}
			free(names[i]);
		}
		if (n >= 0)
			free(names);
	}
	if (update) {
		struct diag wd; /* the unmet expectations above are errors of d; writing starts clean */
		char *append = records_for_unlisted(&x, unlisted, n_unlisted);
		int n, left = 0;

		diag_init(&wd, stderr);
		n = update_file(&x, append, &wd);
		diag_fini(&wd);
		for (size_t i = 0; i < x.n; i++)
			left += !x.e[i].met && (x.e[i].kind == E_LINT || !x.e[i].got || x.e[i].end <= x.e[i].start);
		if (!append)
			left += (int)n_unlisted; /* profiles: is not the last key: add them by hand */
		if (n < 0)
			rc = 2;
		else
			printf("%s: %d value%s updated, %zu profile%s added, %d not met that --update cannot change\n",
			       path, n, n == 1 ? "" : "s", append ? n_unlisted : 0, append && n_unlisted == 1 ? "" : "s",
			       left);
		*n_left += left;
		free(append);
	}
	for (size_t i = 0; i < n_unlisted; i++)
		free(unlisted[i]);
	free(unlisted);
	expectations_free(&x);
	diag_fini(&d);
	return rc;
}

int cmd_test(int argc, char **argv);

int cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "update", no_argument, NULL, 'u' }, { "record", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *record_dir = NULL, *output = NULL;
	int verbose = 0, update = 0, c, n_met = 0, n_failed = 0, n_left = 0, worst = 0;

	while ((c = getopt_long(argc, argv, "o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'u': update = 1; break;
		case 'r': record_dir = optarg; break;
		case 'o': output = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': usage_test(stdout); return 0;
		default: usage_test(stderr); return 2;
		}
	}
	if (record_dir) {
		if (optind != argc || update) {
			usage_test(stderr);
			return 2;
		}
		return record(record_dir, output);
	}
	if (optind >= argc || output) {
		usage_test(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		int rc = run_file(argv[i], verbose, update, &n_met, &n_failed, &n_left);
		if (rc > worst)
			worst = rc;
	}
	printf("%d expectation%s: %d met, %d not met\n", n_met + n_failed, n_met + n_failed == 1 ? "" : "s", n_met,
	       n_failed);
	if (n_failed && !update)
		fputs("a change that is meant: kvmprof test --update FILE rewrites the hashes and verdicts\n", stdout);
	if (worst)
		return worst;
	return (update ? n_left : n_failed) ? 1 : 0;
}
