/* SPDX-License-Identifier: MIT */
/*
 * guest_init.h - what every /init of tests/arm64/ does around its tests:
 * mount /dev, /proc, /sys, print the begin marker, and at the end print the
 * end marker and power the machine off. tests/qemu/boot-arm64.sh reads the
 * lines between the markers and the rc.
 */
#ifndef KVMPROF_GUEST_INIT_H
#define KVMPROF_GUEST_INIT_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

#define GUEST_BEGIN_MARKER "KVMPROF-BEGIN"
#define GUEST_END_MARKER "KVMPROF-END"

/* Debian kernels do not mount devtmpfs themselves (see
 * /work/shared/real-kvm.md); EBUSY means it is already there. */
static inline void guest_mount(const char *src, const char *dst, const char *type)
{
	if (mount(src, dst, type, 0, NULL) != 0 && errno != EBUSY)
		fprintf(stderr, "guest: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static inline void guest_begin(void)
{
	struct utsname u;
	char uptime[64] = "?";
	FILE *f;

	guest_mount("devtmpfs", "/dev", "devtmpfs");
	guest_mount("proc", "/proc", "proc");
	guest_mount("sysfs", "/sys", "sysfs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	f = fopen("/proc/uptime", "r");
	if (f) {
		if (!fgets(uptime, sizeof(uptime), f))
			strcpy(uptime, "?");
		uptime[strcspn(uptime, " \n")] = '\0';
		fclose(f);
	}
	printf("%s\n", GUEST_BEGIN_MARKER);
	if (uname(&u) == 0)
		printf("guest: kernel %s %s %s, up %s s\n", u.sysname, u.release, u.machine, uptime);
}

/* Never returns when running as PID 1: powers off (the kernel panics if
 * init exits). Elsewhere (a test run by hand) it returns rc. */
static inline int guest_end(int rc)
{
	printf("%s rc=%d\n", GUEST_END_MARKER, rc);
	fflush(stdout);
	fflush(stderr);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return rc;
}

#endif
