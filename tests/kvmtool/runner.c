/* SPDX-License-Identifier: MIT */
/*
 * runner.c - runs the kvmtool suite's lkvm commands inside a QEMU-booted
 * kernel that serves /dev/kvm (tests/suites/kvmtool.sh). Static, x86_64 and
 * aarch64. On arm64 it is /init itself (tests/qemu/boot-arm64.sh --init:
 * mounts, markers and power-off from tests/arm64/guest_init.h); on x86 it is
 * one program that tests/x86/x86_init.c runs after loading kvm_amd.
 *
 * /kvmtool/cmds holds the commands: per command a name line, a timeout line
 * (seconds), then one argument per line (so kernel command lines with
 * spaces need no quoting), ended by an empty line. Each runs with stdin
 * from /dev/null (kvmtool then leaves the console's tty alone) and its
 * output framed as
 *
 *   run: NAME
 *   ... what lkvm and its guest printed ...
 *   run: NAME exit N seconds S
 *
 * N is the exit status, 128+signal when killed, 124 on timeout. The suite
 * on the host judges the output; the runner itself fails only when it
 * cannot run a command at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "../arm64/guest_init.h"

#define MAX_ARGS 64
#define CMDS "/kvmtool/cmds"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits for pid at most timeout_s seconds; kills it after. */
static int wait_bounded(pid_t pid, int timeout_s)
{
	double end = now_s() + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return 127;
		if (now_s() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 124;
		}
		usleep(20000);
	}
}

static int run_command(const char *name, int timeout_s, char **argv)
{
	double t0 = now_s();
	pid_t pid;
	int rc;

	printf("run: %s\n", name);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		execv(argv[0], argv);
		printf("runner: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	rc = pid < 0 ? 127 : wait_bounded(pid, timeout_s);
	printf("\nrun: %s exit %d seconds %.1f\n", name, rc, now_s() - t0);
	fflush(stdout);
	return rc;
}

static char *chomp(char *s)
{
	s[strcspn(s, "\n")] = 0;
	return s;
}

int main(void)
{
	static char lines[MAX_ARGS + 2][1024];
	char *argv[MAX_ARGS + 1];
	int pid1 = getpid() == 1, n = 0, bad = 0;
	FILE *f;

	if (pid1)
		guest_begin();
	setvbuf(stdout, NULL, _IOLBF, 0);
	f = fopen(CMDS, "r");
	if (!f) {
		printf("runner: cannot open %s: %s\n", CMDS, strerror(errno));
		return pid1 ? guest_end(2) : 2;
	}
	for (;;) {
		char *got = fgets(lines[n], sizeof(lines[n]), f);

		if (got && chomp(lines[n])[0] != 0) {
			if (++n == MAX_ARGS + 2) {
				printf("runner: a command of more than %d arguments\n", MAX_ARGS);
				bad = 1;
				break;
			}
			continue;
		}
		if (n >= 3) { /* name, timeout, program */
			for (int i = 2; i < n; i++)
				argv[i - 2] = lines[i];
			argv[n - 2] = NULL;
			if (run_command(lines[0], atoi(lines[1]), argv) == 127)
				bad = 1;
		} else if (n > 0) {
			printf("runner: command '%s' has no program\n", lines[0]);
			bad = 1;
		}
		n = 0;
		if (!got)
			break;
	}
	fclose(f);
	return pid1 ? guest_end(bad) : bad;
}
