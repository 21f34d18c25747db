/* SPDX-License-Identifier: MIT */
/*
 * output.h - outputs never clobber. Every file kvmprof writes is made as a
 * temporary beside it and renamed over it, and only when the path is
 * missing or a regular file that this run did not read: a device node, a
 * directory, a symbolic link (unless --follow-symlinks), a FIFO or an input
 * (the profile being compiled, its base) is refused with an error. A fatal signal (SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ, SIGXCPU) during a write removes
 * the temporary. "-" names stdout.
 */
#ifndef KVMPROF_OUTPUT_H
#define KVMPROF_OUTPUT_H

#include <stddef.h>

#include "diag.h"

/* Set by `kvmprof --follow-symlinks` (any verb): an output naming a
 * symbolic link replaces the file it points to, the link stays. */
extern int output_follow_symlinks;

/* The file an output named path replaces: path, or with
 * output_follow_symlinks the file its link chain ends at. Caller frees. */
char *output_path(const char *path);

/* 0 when path may be replaced (see above), else -1 with an error in d. */
int output_may_replace(const char *path, struct diag *d);

/* 1 when a and b name the same file (also before either exists). */
int output_same_file(const char *a, const char *b);

/* A temporary being written: removed if a fatal signal arrives before
 * output_pending_done(slot). Returns the slot (-1: not tracked). */
int output_pending_add(const char *tmp);
void output_pending_done(int slot);

/* Gives fd the mode fopen() would have (0666 & ~umask), not mkstemp()'s 0600. */
void output_set_mode(int fd);

/* Writes buf to path atomically ("-": stdout). 0, or -1 with an error in d. */
int output_write_buffer(const char *path, const char *buf, size_t len, struct diag *d);

#endif /* KVMPROF_OUTPUT_H */
