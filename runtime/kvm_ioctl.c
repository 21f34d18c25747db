/* SPDX-License-Identifier: MIT */
/* kvm_ioctl.c - the only file of libkvmprof that issues system calls. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "kvm_ioctl.h"
#include "kvmprof.h"

/* A signal may interrupt a slow ioctl; none of ours has side effects
 * before it can return EINTR, so retrying is safe. Bounded so that a
 * broken backend cannot hang the caller. */
#define KVMPROF_EINTR_RETRIES 16

static int real_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	int ret = ioctl(fd, req, arg);
	return ret < 0 ? -errno : ret;
}

/* The running kernel's release and machine cannot change under a process:
 * read once (uname costs a system call per VM otherwise). */
static pthread_once_t real_uname_once = PTHREAD_ONCE_INIT;
static struct utsname real_uname;
static int real_uname_err;

static void read_real_uname(void)
{
	if (uname(&real_uname) < 0)
		real_uname_err = -errno;
}

static int real_uname_release(void *ctx, char *buf, size_t len)
{
	(void)ctx;
	pthread_once(&real_uname_once, read_real_uname);
	if (real_uname_err)
		return real_uname_err;
	if (len == 0)
		return KVMPROF_ERR_INVAL;
	strncpy(buf, real_uname.release, len - 1);
	buf[len - 1] = '\0';
	return 0;
}

static uint32_t real_host_arch(void *ctx)
{
	(void)ctx;
	pthread_once(&real_uname_once, read_real_uname);
	if (real_uname_err)
		return KVMPROF_ARCH_NONE;
	if (strcmp(real_uname.machine, "x86_64") == 0)
		return KVMPROF_ARCH_X86_64;
	if (strcmp(real_uname.machine, "aarch64") == 0)
		return KVMPROF_ARCH_ARM64;
	return KVMPROF_ARCH_NONE;
}

const struct kvmprof_sys kvmprof_sys_real = {
	.ioctl = real_ioctl,
	.uname_release = real_uname_release,
	.ctx = NULL,
	.host_arch = real_host_arch,
};

static const struct kvmprof_sys *sys_ops = &kvmprof_sys_real;

const struct kvmprof_sys *kvmprof_sys_install(const struct kvmprof_sys *ops)
{
	const struct kvmprof_sys *old = sys_ops;

	sys_ops = ops ? ops : &kvmprof_sys_real;
	return old;
}

int kvmprof_sys_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = -EINTR;

	for (int i = 0; i < KVMPROF_EINTR_RETRIES && ret == -EINTR; i++)
		ret = sys_ops->ioctl(sys_ops->ctx, fd, req, arg);
	return ret;
}

static unsigned parse_uint(const char **s)
{
	unsigned v = 0;

	while (**s >= '0' && **s <= '9')
		v = v * 10 + (unsigned)(*(*s)++ - '0');
	return v;
}

unsigned long long kvmprof_sys_kernel_version(void)
{
	char rel[65];
	const char *s = rel;
	unsigned a, b = 0, c = 0;

	if (sys_ops->uname_release(sys_ops->ctx, rel, sizeof(rel)) < 0)
		return 0;
	a = parse_uint(&s);
	if (*s == '.') {
		s++;
		b = parse_uint(&s);
		if (*s == '.') {
			s++;
			c = parse_uint(&s);
		}
	}
	return KVMPROF_KERNEL_VERSION(a, b, c);
}

uint32_t kvmprof_sys_host_arch(void)
{
	/* A backend written before host_arch existed stands for this host. */
	return sys_ops->host_arch ? sys_ops->host_arch(sys_ops->ctx) : real_host_arch(NULL);
}
