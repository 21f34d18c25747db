/* SPDX-License-Identifier: MIT */
/* rt_fixtures.h - header-only helpers of the runtime tests and the other
 * real-KVM tests (hand-built profiles, opening the real /dev/kvm). */
#ifndef KVMPROF_RT_FIXTURES_H
#define KVMPROF_RT_FIXTURES_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kvmprof.h"

/* A profile over one entry array: n0..n3 entries per phase, in order. */
#define RT_PROFILE(arch_, entries_, n0, n1, n2, n3)                                   \
	{                                                                             \
		.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI,               \
		.sizeof_profile = sizeof(struct kvmprof_profile),                     \
		.sizeof_entry = sizeof(struct kvmprof_entry),                         \
		.format_version = KVMPROF_FORMAT_VERSION, .arch = (arch_),            \
		.name = "test:" #entries_, .entries = (entries_),                     \
		.n_entries = (n0) + (n1) + (n2) + (n3),                               \
		.phase_start = { 0, (n0), (n0) + (n1), (n0) + (n1) + (n2),            \
				 (n0) + (n1) + (n2) + (n3) },                         \
	}

#if defined(__x86_64__)
#define RT_HOST_ARCH KVMPROF_ARCH_X86_64
#else
#define RT_HOST_ARCH KVMPROF_ARCH_ARM64
#endif

/* Conditions: always false / always true. */
static const struct kvmprof_insn rt_false_code[] = {
	{ .op = KVMPROF_OP_CONST, .arg = 0 }, { .op = KVMPROF_OP_END },
};
static const struct kvmprof_cond rt_false = {
	.text = "false", .origin = "test", .code = rt_false_code, .n_code = 2,
};

/* The kernel release the fake ioctl backends' tests run on (kvmprof_sys). */
static inline int rt_fake_uname(void *ctx, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "6.12.117-fake");
	return 0;
}

/* 1 when this machine's /dev/kvm opens. */
static inline int rt_have_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* In a cmocka test: without a usable /dev/kvm, SKIP (saying so). */
#define RT_NEED_KVM()                                                        \
	do {                                                                 \
		if (!rt_have_kvm()) {                                        \
			printf("SKIP: no usable /dev/kvm on this machine\n"); \
			skip();                                              \
		}                                                            \
	} while (0)

/* Opens /dev/kvm and creates a VM; on failure prints the SKIP reason and
 * returns -1 (the caller then calls cmocka's skip()). */
static inline int rt_open_vm(int *kvm_fd, int *vm_fd)
{
	*kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (*kvm_fd < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return -1;
	}
	*vm_fd = ioctl(*kvm_fd, KVM_CREATE_VM, 0);
	if (*vm_fd < 0) {
		printf("SKIP: KVM_CREATE_VM: %s\n", strerror(errno));
		close(*kvm_fd);
		return -1;
	}
	return 0;
}

static inline void rt_print_report(const struct kvmprof_report *rep)
{
	char buf[256];

	for (uint32_t i = 0; i < rep->count; i++) {
		const struct kvmprof_result *r = &rep->results[i];

		kvmprof_result_reason(r, buf, sizeof(buf));
		printf("  [%s] %-16s %s\n", kvmprof_phase_name(r->entry->phase),
		       kvmprof_outcome_name(r->outcome), buf);
	}
}

#endif
