/* SPDX-License-Identifier: MIT */
/*
 * x86_init.c - /init of the initramfs tests/qemu/boot-x86.sh packs for a
 * Debian amd64 kernel booted under qemu-system-x86_64 TCG (-cpu max gives the
 * guest SVM, so upstream kvm_amd serves /dev/kvm inside it).
 *
 * It mounts /dev (devtmpfs: Debian kernels do not mount it themselves),
 * /proc and /sys; loads every module in /modules in name order with
 * finit_module(2) (boot-x86.sh names them 1-irqbypass.ko, 2-kvm.ko,
 * 3-kvm-amd.ko: the .deb has no modules.dep, so the order is ours); then
 * runs every program in /tests in name order, each framed by
 *
 *   run: NAME
 *   ... what the program printed ...
 *   run: NAME exit N
 *
 * and powers off. All of it sits between the markers the harness reads:
 *
 *   KVMPROF-BEGIN
 *   ...
 *   KVMPROF-END rc=N      N = the largest exit status of the programs;
 *                         90 when a module did not load or /dev/kvm is
 *                         missing (no program is run then)
 *
 * Programs inherit the environment, which holds the unknown KEY=value words
 * of the kernel command line (Documentation/admin-guide/kernel-parameters.rst:
 * "Everything after -- ... and unknown parameters with '=' are passed to init
 * as environment").
 * Needs no busybox: static, talks to the kernel directly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RC_NO_KVM 90

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void mount_or_warn(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) != 0 && errno != EBUSY)
		printf("guest: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "?");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		snprintf(buf, len, "?");
	buf[strcspn(buf, " \n")] = '\0';
	fclose(f);
}

/* scandir() filter: not ".", "..", nor hidden files. */
static int skip_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Loads one module file. finit_module(2) needs the file's fd; the kernel
 * resolves symbols against modules already loaded, hence the order. */
static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = (int)syscall(SYS_finit_module, fd, "", 0);
	rc = rc < 0 ? -errno : 0;
	close(fd);
	return rc == -EEXIST ? 0 : rc; /* built in or loaded already */
}

static int load_modules(void)
{
	struct dirent **names;
	int n = scandir("/modules", &names, skip_dots, alphasort), failed = 0;

	if (n < 0)
		return 0; /* nothing to load: KVM built in, or loaded by hand */
	for (int i = 0; i < n; i++) {
		char path[512];
		double t0 = now_ms();
		int rc;

		snprintf(path, sizeof(path), "/modules/%s", names[i]->d_name);
		rc = load_module(path);
		if (rc) {
			printf("guest: ERROR loading %s: %s\n", names[i]->d_name, strerror(-rc));
			failed = 1;
		} else {
			printf("guest: loaded %s (%.0f ms)\n", names[i]->d_name, now_ms() - t0);
		}
		free(names[i]);
	}
	free(names);
	return failed ? -1 : 0;
}

/* Runs one program, its output framed; returns its exit status (128+signal
 * when killed). */
static int run_program(const char *dir, const char *file)
{
	char path[512];
	const char *name = file;
	pid_t pid;
	int status = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	while (*name >= '0' && *name <= '9') /* "2-test_x" is shown as "test_x" */
		name++;
	if (*name == '-' && name != file)
		name++;
	printf("run: %s\n", name);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { path, NULL };

		execve(path, argv, environ);
		printf("guest: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		printf("guest: fork: %s\n", strerror(errno));
		status = 127 << 8;
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("run: %s exit %d\n", name, status);
	return status;
}

static int run_programs(void)
{
	struct dirent **names;
	int n = scandir("/tests", &names, skip_dots, alphasort), worst = 0;

	if (n <= 0) {
		printf("guest: nothing in /tests to run\n");
		return RC_NO_KVM;
	}
	for (int i = 0; i < n; i++) {
		int rc = run_program("/tests", names[i]->d_name);

		if (rc > worst)
			worst = rc;
		free(names[i]);
	}
	free(names);
	return worst;
}

int main(void)
{
	char uptime[32], nested[8], npt[8];
	struct utsname u;
	struct stat st;
	int rc;

	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_line("/proc/uptime", uptime, sizeof(uptime));
	printf("\nKVMPROF-BEGIN\n"); /* after the firmware's escapes */
	if (uname(&u) == 0)
		printf("guest: kernel %s %s %s, up %s s\n", u.sysname, u.release, u.machine, uptime);
	if (load_modules() < 0 || stat("/dev/kvm", &st) != 0) {
		printf("guest: ERROR no /dev/kvm (%s)\n", strerror(errno));
		rc = RC_NO_KVM;
	} else {
		read_line("/sys/module/kvm_amd/parameters/nested", nested, sizeof(nested));
		read_line("/sys/module/kvm_amd/parameters/npt", npt, sizeof(npt));
		read_line("/proc/uptime", uptime, sizeof(uptime));
		printf("guest: /dev/kvm ready, kvm_amd nested=%s npt=%s, up %s s\n", nested, npt, uptime);
		rc = run_programs();
	}
	printf("KVMPROF-END rc=%d\n", rc);
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
		for (;;)
			pause(); /* init must not exit: the kernel would panic */
	}
	return rc;
}
