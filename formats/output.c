/* SPDX-License-Identifier: MIT */
/*
 * output.c - outputs never clobber (output.h): what an output may replace,
 * and temporaries removed when a fatal signal arrives during a write.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "output.h"
#include "profile.h"

#define MAX_PENDING 4
static char pending[MAX_PENDING][PATH_MAX]; /* temporaries being written */
static volatile sig_atomic_t pending_used[MAX_PENDING];

static void remove_pending_and_die(int sig)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending_used[i])
			unlink(pending[i]); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

int output_pending_add(const char *tmp)
{
	static int installed;

	if (!installed) {
		static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGXFSZ, SIGXCPU };
		struct sigaction sa = { .sa_handler = remove_pending_and_die };

		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaddset(&sa.sa_mask, sigs[i]);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct sigaction old;
			/* a signal the caller ignores (nohup) stays ignored */
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
				sigaction(sigs[i], &sa, NULL);
		}
		installed = 1;
	}
	for (int i = 0; i < MAX_PENDING; i++)
		if (!pending_used[i] && strlen(tmp) < PATH_MAX) {
			strcpy(pending[i], tmp);
			pending_used[i] = 1;
			return i;
		}
	return -1;
}

void output_pending_done(int slot)
{
	if (slot >= 0)
		pending_used[slot] = 0;
}

static const char *file_type_name(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
	       : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ? "a symbolic link" : "not a file";
}

int output_follow_symlinks;

char *output_path(const char *path)
{
	struct stat st;
	char *real;

	if (output_follow_symlinks && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && (real = realpath(path, NULL))) {
		char *copy = xstrdup(real);
		free(real);
		return copy;
	}
	return xstrdup(path);
}

int output_may_replace(const char *path, struct diag *d)
{
	struct srcpos pos = { diag_intern(d, path), 0, 0 };
	struct stat st;

	if (lstat(path, &st) != 0)
		return 0; /* missing (or unreachable: creating the temporary says why) */
	if (S_ISLNK(st.st_mode) && !output_follow_symlinks) {
		diag_error(d, pos, "io", "is a symbolic link; kvmprof replaces only regular files "
			   "(name the file it points to, or give --follow-symlinks)");
		return -1;
	}
	if (S_ISLNK(st.st_mode) && stat(path, &st) != 0) {
		diag_error(d, pos, "io", "is a symbolic link to nothing (%s)", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, pos, "io", "is %s, not a regular file; kvmprof replaces only regular files",
			   file_type_name(st.st_mode));
		return -1;
	}
	if (input_was_read(st.st_dev, st.st_ino)) {
		diag_error(d, pos, "io", "is the input; kvmprof does not write over a file it reads");
		return -1;
	}
	return 0;
}

int output_same_file(const char *a, const char *b)
{
	char da[PATH_MAX], db[PATH_MAX], *ra, *rb;
	const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
	struct stat sa, sb;
	int same;

	if (!strcmp(a, b))
		return 1;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	/* not both there yet: the same folder and name */
	snprintf(da, sizeof(da), "%.*s", ba ? (int)(ba - a) + 1 : 1, ba ? a : ".");
	snprintf(db, sizeof(db), "%.*s", bb ? (int)(bb - b) + 1 : 1, bb ? b : ".");
	ra = realpath(da, NULL);
	rb = realpath(db, NULL);
	same = ra && rb && !strcmp(ra, rb) && !strcmp(ba ? ba + 1 : a, bb ? bb + 1 : b);
	free(ra);
	free(rb);
	return same;
}

/* mkstemp() makes the file 0600; the output gets the mode fopen() would give it. */
void output_set_mode(int fd)
{
	mode_t mask = umask(0);

	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
}

int output_write_buffer(const char *named, const char *buf, size_t len, struct diag *d)
{
	struct srcpos pos = { diag_intern(d, named), 0, 0 };
	char *tmp, *path;
	size_t n, done = 0;
	int fd, slot, rc = 0;

	if (!strcmp(named, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
			diag_error(d, pos, "io", "cannot write to stdout: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (output_may_replace(named, d))
		return -1;
	path = output_path(named);
	n = strlen(path) + 16;
	tmp = xcalloc(n, 1);
	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		diag_error(d, pos, "io", "cannot create a temporary file next to it: %s", strerror(errno));
		free(tmp);
		free(path);
		return -1;
	}
	slot = output_pending_add(tmp);
	output_set_mode(fd);
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		done += (size_t)w;
	}
	if (close(fd) != 0)
		rc = -1;
	if (rc)
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
	if (rc == 0 && (rc = output_may_replace(path, d)) == 0 && rename(tmp, path) != 0) {
		diag_error(d, pos, "io", "cannot write: %s", strerror(errno));
		rc = -1;
	}
	if (rc)
		unlink(tmp);
	output_pending_done(slot);
	free(tmp);
	free(path);
	return rc;
}
