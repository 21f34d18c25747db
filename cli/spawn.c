/* SPDX-License-Identifier: MIT */
/* spawn.c - running git and kvmprof itself from the verbs that orchestrate (review, test). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "profile.h"

/* Reads fd to its end into a NUL-terminated buffer. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = xcalloc(cap, 1);
	ssize_t n;

	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

int spawn_capture(const char *const *argv, const char *dir, char **out, char **err)
{
	int pipefd[2], status;
	FILE *errf = tmpfile();
	pid_t pid;
	char *text;

	if (!errf || pipe(pipefd) != 0) {
		if (errf)
			fclose(errf);
		if (out)
			*out = xstrdup("");
		if (err)
			*err = xasprintf("cannot run %s: %s\n", argv[0], strerror(errno));
		return 127;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pipefd[1], 1);
		dup2(fileno(errf), 2);
		close(pipefd[0]);
		close(pipefd[1]);
		if (dir && chdir(dir) != 0) {
			fprintf(stderr, "cannot enter %s: %s\n", dir, strerror(errno));
			_exit(127);
		}
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	text = read_all(pipefd[0]);
	close(pipefd[0]);
	status = 127;
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	if (out)
		*out = text;
	else
		free(text);
	if (err) {
		fflush(errf);
		rewind(errf);
		*err = read_all(fileno(errf));
	}
	fclose(errf);
	return status;
}

const char *spawn_self_path(void)
{
	static char self[PATH_MAX];

	if (!self[0]) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			snprintf(self, sizeof(self), "kvmprof");
		else
			self[n] = '\0';
	}
	return self;
}
