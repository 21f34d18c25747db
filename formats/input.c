/* SPDX-License-Identifier: MIT */
/*
 * input.c - reading untrusted files within stated limits (input.h).
 *
 * YAML is checked in a first pass over libyaml's events, before libyaml
 * builds the document: libyaml shares an aliased node rather than copying
 * it, so a walk over the document would follow `x: &a [*a]` forever and
 * expand a 400-byte "billion laughs" into gigabytes. The pass counts what
 * aliases expand to, refuses an alias inside the node it names, bounds the
 * depth (aliases followed), and finds repeated keys with a hash table, so
 * no input costs more than linear time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "profile.h"

/* ---- regular files only --------------------------------------------------- */

static struct read_file {
	dev_t dev;
	ino_t ino;
} *files_read;
static size_t n_files_read;

int input_was_read(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n_files_read; i++)
		if (files_read[i].dev == dev && files_read[i].ino == ino)
			return 1;
	return 0;
}

void input_forget(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return;
	for (size_t i = 0; i < n_files_read; i++)
		if (files_read[i].dev == st.st_dev && files_read[i].ino == st.st_ino)
			files_read[i] = files_read[--n_files_read];
}

static const char *file_type_name(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
	       : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : "not a file";
}

int input_read(const char *path, struct diag *d, char **text, size_t *len)
{
	struct srcpos pos = { diag_intern(d, path), 0, 0 };
	struct stat st;
	size_t n = 0, cap;
	char *buf;
	int fd;

	*text = NULL;
	*len = 0;
	/* stat first: opening a FIFO blocks, opening some devices acts */
	if (stat(path, &st) != 0) {
		diag_error(d, pos, "io", "cannot open: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, pos, "io", "is %s, not a regular file", file_type_name(st.st_mode));
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		diag_error(d, pos, "io", "cannot open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) { /* replaced between stat and open */
		diag_error(d, pos, "io", "is %s, not a regular file", file_type_name(st.st_mode));
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > KVMPROF_MAX_INPUT_BYTES) {
		diag_error(d, pos, "io", "is larger than the %u MiB limit of an input (%lld bytes)",
			   KVMPROF_MAX_INPUT_BYTES >> 20, (long long)st.st_size);
		close(fd);
		return -1;
	}
	cap = (size_t)st.st_size + 1;
	buf = xcalloc(cap + 1, 1);
	for (;;) {
		ssize_t got;

		if (n == cap) { /* the file grew while being read */
			if (cap > KVMPROF_MAX_INPUT_BYTES) {
				diag_error(d, pos, "io", "is larger than the %u MiB limit of an input",
					   KVMPROF_MAX_INPUT_BYTES >> 20);
				free(buf);
				close(fd);
				return -1;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			diag_error(d, pos, "io", "cannot read: %s", strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	files_read = xgrow(files_read, n_files_read, sizeof(*files_read));
	files_read[n_files_read++] = (struct read_file){ st.st_dev, st.st_ino };
	diag_set_text(d, path, buf, n);
	*text = buf;
	*len = n;
	return 0;
}

/* ---- the YAML pass ---------------------------------------------------------- */

/* Hash table of (mapping, key) and of anchor names (mapping 0). */
struct slot {
	size_t map;       /* 0: an anchor; else the mapping's number */
	uint64_t hash;
	char *key;        /* NULL: empty slot */
	size_t len;
	size_t value;     /* anchor: index in anchors; key: index of its mark in marks */
};

struct anchor {
	int open;         /* its node is not complete yet */
	size_t nodes;     /* nodes it expands to, its own aliases included */
	size_t height;    /* levels below it */
};

struct frame {
	int is_map;
	size_t map;       /* mapping number */
	size_t children;
	size_t nodes;
	size_t height;
	long anchor;      /* -1: none */
};

struct input_yaml {
	size_t *dup_marks; /* start_mark.index of each repeated key, in document order */
	size_t n_dups;
};

struct pass {
	struct diag *d;
	const char *file;
	struct slot *slots;
	size_t n_slots, used;
	struct anchor *anchors;
	size_t n_anchors;
	yaml_mark_t *marks; /* first statement of each key, for the note */
	size_t n_marks;
	struct frame *stack;
	size_t depth, cap_stack;
	size_t n_maps;
	size_t alias_nodes;
	struct input_yaml *dups;
	int failed;
};

static struct srcpos mark_pos(struct pass *P, yaml_mark_t m)
{
	struct srcpos pos = { P->file, (int)m.line + 1, (int)m.column + 1 };
	return pos;
}

static uint64_t hash_of(size_t map, const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ map;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The slot of (map, key): found, or the empty one where it goes. */
static struct slot *lookup(struct pass *P, size_t map, const char *key, size_t len)
{
	uint64_t h = hash_of(map, key, len);
	size_t i;

	if (2 * (P->used + 1) > P->n_slots) {
		struct slot *old = P->slots;
		size_t n_old = P->n_slots;

		P->n_slots = n_old ? 2 * n_old : 256;
		P->slots = xcalloc(P->n_slots, sizeof(*P->slots));
		for (size_t j = 0; j < n_old; j++) {
			if (!old[j].key)
				continue;
			for (i = old[j].hash & (P->n_slots - 1); P->slots[i].key; i = (i + 1) & (P->n_slots - 1))
				;
			P->slots[i] = old[j];
		}
		free(old);
	}
	for (i = h & (P->n_slots - 1); P->slots[i].key; i = (i + 1) & (P->n_slots - 1))
		if (P->slots[i].hash == h && P->slots[i].map == map && P->slots[i].len == len &&
		    !memcmp(P->slots[i].key, key, len))
			return &P->slots[i];
	P->slots[i].map = map;
	P->slots[i].hash = h;
	P->slots[i].len = len;
	return &P->slots[i];
}

static void insert(struct pass *P, struct slot *s, const char *key, size_t len, size_t value)
{
	s->key = xstrndup(key, len);
	s->len = len;
	s->value = value;
	P->used++;
}

static void fail(struct pass *P, yaml_mark_t m, const char *fmt, const char *arg)
{
	diag_error(P->d, mark_pos(P, m), "yaml", fmt, arg);
	P->failed = 1;
}

/* A complete child (nodes, height levels below it) of the innermost collection. */
static void add_child(struct pass *P, size_t nodes, size_t height)
{
	struct frame *f;

	if (!P->depth)
		return;
	f = &P->stack[P->depth - 1];
	f->children++;
	f->nodes += nodes;
	if (height + 1 > f->height)
		f->height = height + 1;
}

/* A scalar key of the innermost mapping: a repeat is reported and recorded. */
static void check_key(struct pass *P, const yaml_event_t *ev)
{
	struct frame *f = P->depth ? &P->stack[P->depth - 1] : NULL;
	const char *key = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct slot *s;

	if (!f || !f->is_map || f->children % 2)
		return;
	s = lookup(P, f->map, key, len);
	if (s->key) {
		struct input_yaml *D = P->dups;
		char shown[128];

		snprintf(shown, sizeof(shown), "%.*s", (int)(len < 100 ? len : 100), key);
		diag_error(P->d, mark_pos(P, ev->start_mark), "conflict", "key '%s' is stated twice", shown);
		diag_note(P->d, mark_pos(P, P->marks[s->value]), "first stated here");
		D->dup_marks = xgrow(D->dup_marks, D->n_dups, sizeof(*D->dup_marks));
		D->dup_marks[D->n_dups++] = ev->start_mark.index;
		return;
	}
	P->marks = xgrow(P->marks, P->n_marks, sizeof(*P->marks));
	P->marks[P->n_marks] = ev->start_mark;
	insert(P, s, key, len, P->n_marks++);
}

static long new_anchor(struct pass *P, const yaml_char_t *name)
{
	struct slot *s;

	if (!name)
		return -1;
	P->anchors = xgrow(P->anchors, P->n_anchors, sizeof(*P->anchors));
	P->anchors[P->n_anchors] = (struct anchor){ 1, 1, 0 };
	s = lookup(P, 0, (const char *)name, strlen((const char *)name));
	if (s->key)
		s->value = P->n_anchors; /* a later anchor of the same name wins (libyaml refuses it anyway) */
	else
		insert(P, s, (const char *)name, strlen((const char *)name), P->n_anchors);
	return (long)P->n_anchors++;
}

static void event(struct pass *P, const yaml_event_t *ev, int *docs)
{
	struct frame *f;
	long a;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			fail(P, ev->start_mark, "more than one YAML document (%s is one document: remove what follows '---')",
			     "a profile");
		break;
	case YAML_SCALAR_EVENT:
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
			fail(P, ev->start_mark, "a NUL character in a string (%s) is not allowed", "\\0");
			break;
		}
		check_key(P, ev);
		a = new_anchor(P, ev->data.scalar.anchor);
		if (a >= 0)
			P->anchors[a].open = 0;
		add_child(P, 1, 0);
		break;
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		struct slot *s = lookup(P, 0, name, strlen(name));
		struct anchor *an;
		char shown[128];

		snprintf(shown, sizeof(shown), "%.100s", name);
		if (!s->key) {
			fail(P, ev->start_mark, "alias '*%s' names no anchor stated before it", shown);
			break;
		}
		an = &P->anchors[s->value];
		if (an->open) {
			fail(P, ev->start_mark, "alias '*%s' refers to the node it is part of (a cycle)", shown);
			break;
		}
		if (P->depth + an->height > KVMPROF_YAML_MAX_DEPTH) {
			diag_error(P->d, mark_pos(P, ev->start_mark), "yaml",
				   "lists and mappings are nested more than %d levels deep (aliases followed)",
				   KVMPROF_YAML_MAX_DEPTH);
			P->failed = 1;
			break;
		}
		P->alias_nodes += an->nodes;
		if (P->alias_nodes > KVMPROF_YAML_MAX_ALIAS_NODES) {
			diag_error(P->d, mark_pos(P, ev->start_mark), "yaml",
				   "aliases expand to more than %d nodes (a document that multiplies itself)",
				   KVMPROF_YAML_MAX_ALIAS_NODES);
			P->failed = 1;
			break;
		}
		add_child(P, an->nodes, an->height);
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (P->depth >= KVMPROF_YAML_MAX_DEPTH) {
			diag_error(P->d, mark_pos(P, ev->start_mark), "yaml",
				   "lists and mappings are nested more than %d levels deep", KVMPROF_YAML_MAX_DEPTH);
			P->failed = 1;
			break;
		}
		if (P->depth == P->cap_stack) {
			P->cap_stack = P->cap_stack ? 2 * P->cap_stack : 16;
			P->stack = xrealloc(P->stack, P->cap_stack * sizeof(*P->stack));
		}
		f = &P->stack[P->depth++];
		memset(f, 0, sizeof(*f));
		f->is_map = ev->type == YAML_MAPPING_START_EVENT;
		f->map = f->is_map ? ++P->n_maps : 0;
		f->nodes = 1;
		f->anchor = new_anchor(P, ev->type == YAML_MAPPING_START_EVENT ? ev->data.mapping_start.anchor
									: ev->data.sequence_start.anchor);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame done;

		if (!P->depth)
			break;
		done = P->stack[--P->depth];
		if (done.anchor >= 0)
			P->anchors[done.anchor] = (struct anchor){ 0, done.nodes, done.height };
		add_child(P, done.nodes, done.height);
		break;
	}
	default:
		break;
	}
}

static void parse_error(struct diag *d, const char *file, const yaml_parser_t *parser)
{
	struct srcpos pos = { file, (int)parser->problem_mark.line + 1, (int)parser->problem_mark.column + 1 };

	diag_error(d, pos, "yaml", "%s%s%s", parser->problem ? parser->problem : "invalid YAML",
		   parser->context ? " " : "", parser->context ? parser->context : "");
	if (parser->context) {
		struct srcpos cpos = { file, (int)parser->context_mark.line + 1, (int)parser->context_mark.column + 1 };
		diag_note(d, cpos, "%s started here",
			  parser->context + (strncmp(parser->context, "while parsing ", 14) ? 0 : 14));
	}
}

static void pass_free(struct pass *P)
{
	for (size_t i = 0; i < P->n_slots; i++)
		free(P->slots[i].key);
	free(P->slots);
	free(P->anchors);
	free(P->marks);
	free(P->stack);
}

unsigned long input_yaml_documents;

int input_yaml_load(const char *file, const char *text, size_t len, struct diag *d, yaml_document_t *doc,
		    struct input_yaml **dups)
{
	struct pass P = { .d = d, .file = file };
	yaml_parser_t parser;
	yaml_event_t ev;
	int docs = 0, done = 0;

	input_yaml_documents++;
	P.dups = xcalloc(1, sizeof(*P.dups));
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !P.failed) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parse_error(d, file, &parser);
			P.failed = 1;
			break;
		}
		event(&P, &ev, &docs);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	pass_free(&P);
	if (P.failed) {
		input_yaml_free(P.dups);
		return -1;
	}
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, doc)) { /* the first pass saw the same text: not expected */
		parse_error(d, file, &parser);
		yaml_parser_delete(&parser);
		input_yaml_free(P.dups);
		return -1;
	}
	yaml_parser_delete(&parser);
	if (dups)
		*dups = P.dups;
	else
		input_yaml_free(P.dups);
	return 0;
}

int input_yaml_is_duplicate_key(const struct input_yaml *D, const yaml_node_t *k)
{
	size_t lo = 0, hi = D ? D->n_dups : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (D->dup_marks[mid] == k->start_mark.index)
			return 1;
		if (D->dup_marks[mid] < k->start_mark.index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int input_yaml_has_duplicates(const struct input_yaml *D)
{
	return D && D->n_dups > 0;
}

void input_yaml_free(struct input_yaml *D)
{
	if (D) {
		free(D->dup_marks);
		free(D);
	}
}
