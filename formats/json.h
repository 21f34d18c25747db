/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small strict JSON reader (RFC 8259) for the importers.
 *
 * Every value remembers where it was written (file:line:col) and its JSON
 * path ("$.guest_cpu_config.reg_modifiers[3].bitmap"), so a caller can say
 * exactly which element is wrong:
 *
 *   fp.json:12:7: error: $.guest_cpu_config.reg_modifiers[3].bitmap: expected a string of 0/1/x digits
 *
 * Strict: no comments, no trailing commas, no duplicate object keys, no
 * leading zeros, no control characters inside strings, nothing after the
 * top-level value. Numbers are kept as written; json_u64() converts integers.
 */
#ifndef KVMPROF_JSON_H
#define KVMPROF_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

enum json_type {
	JSON_NULL = 1,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	int type;               /* enum json_type */
	struct srcpos pos;      /* first character of the value (file interned in the diag) */
	char *path;             /* "$", "$.a", "$.a[3]", "$.a[3][\"odd key\"]" */
	char *text;             /* STRING: the decoded bytes, NUL-terminated; NUMBER: as written */
	size_t len;             /* bytes in text */
	struct json_value *items; /* ARRAY elements, OBJECT member values, in order */
	char **keys;            /* OBJECT: the member names, parallel to items */
	size_t n;               /* ARRAY/OBJECT: members */
};

/* Depth beyond which the reader refuses input (it recurses once per level). */
#define JSON_MAX_DEPTH 64

/*
 * Parses text[0..len) as one JSON document; file names it in diagnostics.
 * Returns the root, or NULL after reporting the first error into d.
 */
struct json_value *json_parse(const char *file, const char *text, size_t len, struct diag *d);
/* Reads and parses a file; a missing or unreadable file is an error in d. */
struct json_value *json_load_file(const char *path, struct diag *d);
void json_free(struct json_value *v);

/* Writes s as a JSON string ("null" for NULL): quote, backslash, newline and
 * control bytes escaped, UTF-8 passed through. The one JSON string writer. */
void json_put_string(FILE *out, const char *s);
/* Writes `, "key": ` and then s as json_put_string() does: the next member
 * of an object (key is the writer's own, written as it is). */
void json_put_member(FILE *out, const char *key, const char *s);

/* The member `key` of an object, or NULL (also when v is not an object). */
const struct json_value *json_member(const struct json_value *v, const char *key);
/* "a string", "an array", ... for messages. */
const char *json_type_name(int type);
/*
 * The value of a non-negative integer number, or of a string holding one
 * in C syntax ("0x1f", "42"), as Firecracker writes ids. 0, or -1 if v is
 * neither or does not fit 64 bits.
 */
int json_u64(const struct json_value *v, uint64_t *out);

#endif /* KVMPROF_JSON_H */
