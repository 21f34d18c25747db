/* SPDX-License-Identifier: MIT */
/* spawn.h - running git and kvmprof itself from the verbs that orchestrate (review, test). */
#ifndef KVMPROF_SPAWN_H
#define KVMPROF_SPAWN_H

/*
 * Runs argv (argv[0] looked up in PATH) in dir (NULL: the current one) with
 * standard input from /dev/null; its standard output goes to *out and its
 * standard error to *err (each NUL-terminated, caller frees; NULL: dropped).
 * Returns the exit status, 127 when it could not be started, 128+N when
 * killed by signal N.
 */
int spawn_capture(const char *const *argv, const char *dir, char **out, char **err);

/* The running kvmprof binary (/proc/self/exe), so a verb runs its own build. */
const char *spawn_self_path(void);

#endif /* KVMPROF_SPAWN_H */
