/* SPDX-License-Identifier: MIT */
/*
 * input.h - how kvmprof reads a file it did not write: a profile, a base, a
 * capture, a Firecracker JSON. Inputs come from strangers (pull requests,
 * fleet hosts), so every reader goes through here and every limit below is
 * enforced with a clear error (docs/profile-format.md, "Limits").
 */
#ifndef KVMPROF_INPUT_H
#define KVMPROF_INPUT_H

#include <stddef.h>
#include <sys/types.h>
#include <yaml.h>

#include "diag.h"

#define KVMPROF_MAX_INPUT_BYTES (16u << 20) /* one input file */
#define KVMPROF_YAML_MAX_DEPTH 64           /* nested lists and mappings, aliases followed */
#define KVMPROF_YAML_MAX_ALIAS_NODES 10000  /* nodes all aliases of a document expand to */
#define KVMPROF_MAX_PROFILE_ENTRIES 4096    /* entries read from one profile and its base chain
					     (compile then applies the runtime's KVMPROF_MAX_ENTRIES) */
#define KVMPROF_MAX_HOST_LIST 16384         /* items of one list or mapping in a capture's host: */

/*
 * Reads the whole of path, which must be a regular file of at most
 * KVMPROF_MAX_INPUT_BYTES (no FIFO, device or directory: they could block or
 * never end). *text is NUL-terminated (caller frees); the text is also given
 * to d for quoting source lines. Returns 0, or -1 with an error in d.
 */
int input_read(const char *path, struct diag *d, char **text, size_t *len);

/* 1 when (dev, ino) is a file this process has read through input_read():
 * an output must never replace it. */
int input_was_read(dev_t dev, ino_t ino);

/* A verb that rewrites an input in place on purpose (kvmprof test --update)
 * says so first; every other output refuses to replace an input. */
void input_forget(const char *path);

/*
 * Parses text (read from file, interned in d) as exactly one YAML document
 * within the limits: nesting depth, alias expansion (no alias to a node it
 * is part of), no NUL in a scalar, no second document. Duplicate keys of a
 * mapping are reported here once, with a note on the first; the readers
 * skip them with input_yaml_is_duplicate_key(). Returns 0 with *doc loaded
 * (yaml_document_delete() it), or -1 with errors in d and nothing to free.
 */
struct input_yaml;
/* How many documents input_yaml_load() has parsed in this process: the
 * tests hold kvmprof to one parse per file. */
extern unsigned long input_yaml_documents;
int input_yaml_load(const char *file, const char *text, size_t len, struct diag *d, yaml_document_t *doc,
		    struct input_yaml **dups);
/* Whether the key node k of a mapping is a repeated key (already reported). */
int input_yaml_is_duplicate_key(const struct input_yaml *dups, const yaml_node_t *k);
/* Whether the document had any repeated key (each an error reported by input_yaml_load()). */
int input_yaml_has_duplicates(const struct input_yaml *dups);
void input_yaml_free(struct input_yaml *dups);

#endif /* KVMPROF_INPUT_H */
