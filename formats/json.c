/* SPDX-License-Identifier: MIT */
/*
 * json.c - strict JSON reader with a path and position for every value
 * (grammar: RFC 8259; see json.h for what "strict" means here).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "json.h"
#include "profile.h" /* xcalloc & co */

struct reader {
	const char *file;  /* interned */
	const char *s, *end;
	const char *p;
	int line;
	const char *line_start;
	struct diag *d;
	int failed;
};

static struct srcpos here(const struct reader *R)
{
	struct srcpos pos = { R->file, R->line, (int)(R->p - R->line_start) + 1 };
	return pos;
}

/* Reports the first error only: after it the rest of the input means little. */
static void fail(struct reader *R, struct srcpos pos, const char *path, const char *fmt, const char *what)
{
	char msg[512];

	if (R->failed)
		return;
	R->failed = 1;
	snprintf(msg, sizeof(msg), fmt, what);
	diag_error(R->d, pos, "json", "%s: %s", path, msg);
}

static void skip_ws(struct reader *R)
{
	while (R->p < R->end) {
		char c = *R->p;
		if (c == '\n') {
			R->line++;
			R->line_start = R->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		R->p++;
	}
}

static char *path_join_key(const char *parent, const char *key)
{
	size_t n = strlen(parent) + strlen(key) * 2 + 8;
	char *out = xcalloc(n, 1);
	int plain = *key != '\0' && !isdigit((unsigned char)*key);

	for (const char *k = key; *k && plain; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
			plain = 0;
	if (plain) {
		snprintf(out, n, "%s.%s", parent, key);
	} else {
		/* ["key"] with " and \ escaped; control bytes were rejected by the reader */
		char *o = out + snprintf(out, n, "%s[\"", parent);
		for (const char *k = key; *k; k++) {
			if (*k == '"' || *k == '\\')
				*o++ = '\\';
			*o++ = *k;
		}
		strcpy(o, "\"]");
	}
	return out;
}

static char *path_join_index(const char *parent, size_t i)
{
	size_t n = strlen(parent) + 24;
	char *out = xcalloc(n, 1);

	snprintf(out, n, "%s[%zu]", parent, i);
	return out;
}

static int parse_value(struct reader *R, struct json_value *v, char *path, int depth);

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string starting at the opening quote; the decoded text goes to *out. */
static int parse_string(struct reader *R, const char *path, char **out, size_t *out_len)
{
	struct srcpos start = here(R);
	const char *p = R->p + 1;
	/* decoded text is never longer than the source */
	char *buf = xcalloc((size_t)(R->end - p) + 1, 1), *o = buf;

	for (;;) {
		if (p >= R->end) {
			fail(R, start, path, "%s", "unterminated string (the file ends inside it)");
			goto bad;
		}
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20) {
			R->p = p;
			fail(R, here(R), path, "%s", c == '\n' ? "unterminated string (a newline inside it)"
							  : "a control character inside a string (escape it)");
			goto bad;
		}
		if (c != '\\') {
			*o++ = (char)c;
			p++;
			continue;
		}
		if (p + 1 >= R->end) {
			fail(R, start, path, "%s", "unterminated string (the file ends inside it)");
			goto bad;
		}
		p++;
		switch (*p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (R->end - p < 5 || hex4(p + 1, &cp)) {
				R->p = p - 1;
				fail(R, here(R), path, "%s", "\\u needs four hex digits");
				goto bad;
			}
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (R->end - p < 7 || p[1] != '\\' || p[2] != 'u' || hex4(p + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff) {
					R->p = p - 5;
					fail(R, here(R), path, "%s", "a UTF-16 high surrogate without its low half");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				R->p = p - 5;
				fail(R, here(R), path, "%s", "a lone UTF-16 low surrogate");
				goto bad;
			}
			if (cp == 0) {
				R->p = p - 5;
				fail(R, here(R), path, "%s", "\\u0000 is not accepted (strings are C strings here)");
				goto bad;
			}
			o += put_utf8(o, cp);
			break;
		}
		default:
			R->p = p - 1;
			fail(R, here(R), path, "%s", "unknown escape in a string");
			goto bad;
		}
		p++;
	}
	*o = '\0';
	*out_len = (size_t)(o - buf);
	*out = buf;
	R->p = p + 1;
	return 0;
bad:
	free(buf);
	return -1;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(struct reader *R, struct json_value *v)
{
	const char *p = R->p, *start = p;

#define DIGIT(q) ((q) < R->end && *(q) >= '0' && *(q) <= '9')
	if (p < R->end && *p == '-')
		p++;
	if (!DIGIT(p))
		goto bad;
	if (*p == '0') {
		p++;
		if (DIGIT(p)) {
			R->p = p - 1;
			fail(R, here(R), v->path, "%s", "a number with a leading zero (write hex ids as strings)");
			return -1;
		}
	} else {
		while (DIGIT(p))
			p++;
	}
	if (p < R->end && *p == '.') {
		p++;
		if (!DIGIT(p))
			goto bad;
		while (DIGIT(p))
			p++;
	}
	if (p < R->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < R->end && (*p == '+' || *p == '-'))
			p++;
		if (!DIGIT(p))
			goto bad;
		while (DIGIT(p))
			p++;
	}
#undef DIGIT
	v->type = JSON_NUMBER;
	v->text = xstrndup(start, (size_t)(p - start));
	v->len = (size_t)(p - start);
	R->p = p;
	return 0;
bad:
	fail(R, here(R), v->path, "%s", "a malformed number");
	return -1;
}

static int literal(struct reader *R, struct json_value *v, const char *word, int type)
{
	size_t n = strlen(word);

	if ((size_t)(R->end - R->p) < n || memcmp(R->p, word, n) != 0 ||
	    (R->p + n < R->end && isalnum((unsigned char)R->p[n]))) {
		fail(R, here(R), v->path, "%s", "expected a value (a string, number, object, array, true, false or null)");
		return -1;
	}
	v->type = type;
	R->p += n;
	return 0;
}

static void push_member(struct json_value *v, size_t *cap, char *key)
{
	if (v->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		v->items = xrealloc(v->items, *cap * sizeof(*v->items));
		if (v->type == JSON_OBJECT)
			v->keys = xrealloc(v->keys, *cap * sizeof(*v->keys));
	}
	memset(&v->items[v->n], 0, sizeof(v->items[0]));
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = key;
	v->n++;
}

static int parse_array(struct reader *R, struct json_value *v, int depth)
{
	size_t cap = 0;

	v->type = JSON_ARRAY;
	R->p++; /* [ */
	skip_ws(R);
	if (R->p < R->end && *R->p == ']') {
		R->p++;
		return 0;
	}
	for (;;) {
		char *path = path_join_index(v->path, v->n);
		push_member(v, &cap, NULL);
		if (parse_value(R, &v->items[v->n - 1], path, depth + 1))
			return -1;
		skip_ws(R);
		if (R->p >= R->end) {
			fail(R, here(R), v->path, "%s", "unexpected end of input: the array is not closed (expected ',' or ']')");
			return -1;
		}
		if (*R->p == ']') {
			R->p++;
			return 0;
		}
		if (*R->p != ',') {
			fail(R, here(R), v->path, "%s", "expected ',' or ']' after an array element");
			return -1;
		}
		R->p++;
		skip_ws(R);
		if (R->p < R->end && *R->p == ']') {
			fail(R, here(R), v->path, "%s", "a trailing comma before ']'");
			return -1;
		}
	}
}

static int parse_object(struct reader *R, struct json_value *v, int depth)
{
	size_t cap = 0;

	v->type = JSON_OBJECT;
	R->p++; /* { */
	skip_ws(R);
	if (R->p < R->end && *R->p == '}') {
		R->p++;
		return 0;
	}
	for (;;) {
		char *key;
		size_t key_len;
		struct srcpos key_pos;

		skip_ws(R);
		if (R->p >= R->end) {
			fail(R, here(R), v->path, "%s", "unexpected end of input: the object is not closed (expected a member name or '}')");
			return -1;
		}
		if (*R->p != '"') {
			fail(R, here(R), v->path, "%s", *R->p == '}' ? "a trailing comma before '}'"
								: "expected a member name in double quotes");
			return -1;
		}
		key_pos = here(R);
		if (parse_string(R, v->path, &key, &key_len))
			return -1;
		if (strlen(key) != key_len) {
			free(key);
			fail(R, key_pos, v->path, "%s", "a member name containing a NUL byte");
			return -1;
		}
		for (size_t i = 0; i < v->n; i++)
			if (!strcmp(v->keys[i], key)) {
				char *p = path_join_key(v->path, key);
				fail(R, key_pos, p, "%s", "this member is stated twice in the object");
				free(p);
				free(key);
				return -1;
			}
		char *path = path_join_key(v->path, key);
		push_member(v, &cap, key);
		skip_ws(R);
		if (R->p >= R->end || *R->p != ':') {
			fail(R, here(R), path, "%s", R->p >= R->end ? "unexpected end of input (expected ':')"
								 : "expected ':' after the member name");
			free(path);
			return -1;
		}
		R->p++;
		if (parse_value(R, &v->items[v->n - 1], path, depth + 1))
			return -1;
		skip_ws(R);
		if (R->p >= R->end) {
			fail(R, here(R), v->path, "%s", "unexpected end of input: the object is not closed (expected ',' or '}')");
			return -1;
		}
		if (*R->p == '}') {
			R->p++;
			return 0;
		}
		if (*R->p != ',') {
			fail(R, here(R), v->path, "%s", "expected ',' or '}' after an object member");
			return -1;
		}
		R->p++;
	}
}

/* Parses one value into v, which takes ownership of path. */
static int parse_value(struct reader *R, struct json_value *v, char *path, int depth)
{
	v->path = path;
	skip_ws(R);
	v->pos = here(R);
	if (depth > JSON_MAX_DEPTH) {
		fail(R, v->pos, path, "nested deeper than %s levels", "64");
		return -1;
	}
	if (R->p >= R->end) {
		fail(R, v->pos, path, "%s", "unexpected end of input (expected a value)");
		return -1;
	}
	switch (*R->p) {
	case '{':
		return parse_object(R, v, depth);
	case '[':
		return parse_array(R, v, depth);
	case '"':
		v->type = JSON_STRING;
		return parse_string(R, path, &v->text, &v->len);
	case 't':
		return literal(R, v, "true", JSON_TRUE);
	case 'f':
		return literal(R, v, "false", JSON_FALSE);
	case 'n':
		return literal(R, v, "null", JSON_NULL);
	default:
		if (*R->p == '-' || (*R->p >= '0' && *R->p <= '9'))
			return parse_number(R, v);
		fail(R, v->pos, path, "%s", "expected a value (a string, number, object, array, true, false or null)");
		return -1;
	}
}

static void free_members(struct json_value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free_members(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->path);
	free(v->text);
}

void json_free(struct json_value *v)
{
	free_members(v);
	free(v);
}

struct json_value *json_parse(const char *file, const char *text, size_t len, struct diag *d)
{
	struct reader R = { 0 };
	struct json_value *root = xcalloc(1, sizeof(*root));

	R.file = diag_intern(d, file);
	R.s = R.p = R.line_start = text;
	R.end = text + len;
	R.line = 1;
	R.d = d;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) /* a UTF-8 byte order mark is tolerated */
		R.p = R.line_start = text + 3;
	if (parse_value(&R, root, xstrdup("$"), 0) == 0) {
		skip_ws(&R);
		if (R.p < R.end)
			fail(&R, here(&R), "$", "%s", "something follows the document's value");
	}
	if (R.failed) {
		json_free(root);
		return NULL;
	}
	return root;
}

struct json_value *json_load_file(const char *path, struct diag *d)
{
	struct srcpos pos = { diag_intern(d, path), 0, 0 };
	struct json_value *v;
	char *buf;
	size_t n;

	if (input_read(path, d, &buf, &n))
		return NULL;
	if (memchr(buf, '\0', n)) {
		diag_error(d, pos, "json", "$: the file contains a NUL byte (not a JSON text)");
		free(buf);
		return NULL;
	}
	v = json_parse(path, buf, n, d);
	free(buf);
	return v;
}

const struct json_value *json_member(const struct json_value *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const char *json_type_name(int type)
{
	switch (type) {
	case JSON_NULL: return "null";
	case JSON_FALSE:
	case JSON_TRUE: return "a boolean";
	case JSON_NUMBER: return "a number";
	case JSON_STRING: return "a string";
	case JSON_ARRAY: return "an array";
	case JSON_OBJECT: return "an object";
	default: return "nothing";
	}
}

int json_u64(const struct json_value *v, uint64_t *out)
{
	const char *s;
	char *end;
	unsigned long long x;
	int base = 10;

	if (!v || (v->type != JSON_NUMBER && v->type != JSON_STRING))
		return -1;
	s = v->text;
	if (!isdigit((unsigned char)*s))
		return -1; /* no sign, no space, no empty string */
	if (v->type == JSON_STRING && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (v->type == JSON_STRING && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	}
	if (!isxdigit((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || end == s || *end)
		return -1;
	*out = x;
	return 0;
}

void json_put_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out); /* UTF-8 passes through */
	}
	fputc('"', out);
}

void json_put_member(FILE *out, const char *key, const char *s)
{
	fprintf(out, ", \"%s\": ", key);
	json_put_string(out, s);
}
