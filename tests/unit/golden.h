/* SPDX-License-Identifier: MIT */
/*
 * golden.h - golden files for the cmocka tests (header only: every test
 * binary that includes it gets its own copy; nothing is linked into others).
 *
 * golden_check(path, text, len) compares text with the file at path. With
 * KVMPROF_UPDATE_GOLDEN=1 in the environment it rewrites the file instead. On
 * a difference it writes what it got under /tmp (never into the source
 * tree) and fails the test naming both files.
 */
#ifndef KVMPROF_TEST_GOLDEN_H
#define KVMPROF_TEST_GOLDEN_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, NUL-terminated (*len without the NUL); NULL if unreadable. */
static inline char *golden_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *bigger = realloc(buf, cap = (cap ? cap * 2 : 8192) + 4096);
			if (!bigger) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = bigger;
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static inline int golden_write(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static inline void golden_check(const char *path, const char *text, size_t len)
{
	const char *update = getenv("KVMPROF_UPDATE_GOLDEN");
	char got_path[1024];
	size_t want_len = 0;
	char *want;

	if (update && strcmp(update, "1") == 0 && golden_write(path, text, len))
		fail_msg("%s: cannot write: %s", path, strerror(errno));
	want = golden_slurp(path, &want_len);
	if (!want)
		fail_msg("%s: cannot read (%s); run with KVMPROF_UPDATE_GOLDEN=1 to create it", path,
			 strerror(errno));
	int differs = want_len != len || memcmp(want, text, len) != 0;

	free(want);
	if (differs) {
		int n = snprintf(got_path, sizeof(got_path), "/tmp/kvmprof-got-%s", path);
		for (char *c = got_path + 17; n > 0 && *c; c++)
			if (*c == '/')
				*c = '_';
		golden_write(got_path, text, len);
		fail_msg("%s differs from this output (written to %s); if the change is intended, run with "
			 "KVMPROF_UPDATE_GOLDEN=1", path, got_path);
	}
}

#endif /* KVMPROF_TEST_GOLDEN_H */
