/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - shared by the libFuzzer targets in fuzz/ (see fuzz/README.md).
 *
 * The readers under test take paths, as the CLI gives them: each input is
 * written to a file in a private temporary folder first, so the fuzzed path
 * is the one a user's file takes (open, size and type checks, the parser).
 */
#ifndef KVMPROF_FUZZ_COMMON_H
#define KVMPROF_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The folder of this process's input files (made once, removed at exit):
 * in /dev/shm where there is one, since a write to tmpfs costs a fraction of
 * ext4's truncate and journal (measured: the file system was 18% of
 * fuzz_capture's profile on /tmp). */
static char fuzz_dir[64];
static char fuzz_path_buf[4][128];

static void fuzz_cleanup(void)
{
	for (int i = 0; i < 4; i++)
		if (fuzz_path_buf[i][0])
			unlink(fuzz_path_buf[i]);
	if (fuzz_dir[0])
		rmdir(fuzz_dir);
}

/* Writes data to <dir>/<name> (slot: 0..3, one file per slot) and returns its path. */
static inline const char *fuzz_write_file(int slot, const char *name, const uint8_t *data, size_t size)
{
	FILE *f;

	if (!fuzz_dir[0]) {
		/* Diagnostics go to stderr (/dev/null under -close_fd_mask=3),
		 * unbuffered: 460 write()s an execution of fuzz_capture, each
		 * a system call. Buffered, they are a few; libFuzzer and the
		 * sanitizers report on their own descriptor. A replay at a
		 * terminal keeps them unbuffered, shown before any crash. */
		static char errbuf[1 << 16];
		if (!isatty(2))
			setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/dev/shm/kvmprof-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_dir)) {
			snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/kvmprof-fuzz.XXXXXX");
			if (!mkdtemp(fuzz_dir))
				abort();
		}
		atexit(fuzz_cleanup);
	}
	snprintf(fuzz_path_buf[slot], sizeof(fuzz_path_buf[slot]), "%s/%s", fuzz_dir, name);
	f = fopen(fuzz_path_buf[slot], "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
	return fuzz_path_buf[slot];
}

/* Where diagnostics and outputs go: /dev/null (they are exercised, not kept). */
static inline FILE *fuzz_null(void)
{
	static FILE *null;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	return null;
}

#endif /* KVMPROF_FUZZ_COMMON_H */
