/* SPDX-License-Identifier: MIT */
/* rt_fake.h - what the FAKE ioctl backends of the error-path tests (and
 * fuzz/fuzz_apply.c) share: the file descriptors they answer for, and
 * KVM_GET_ONE_REG / KVM_SET_ONE_REG over an array of register slots. A
 * fake backend is for error paths only; real KVM behaviour is tested on
 * real KVM. */
#ifndef KVMPROF_RT_FAKE_H
#define KVMPROF_RT_FAKE_H

#include <errno.h>
#include <stdint.h>
#include <linux/kvm.h>

#define FAKE_KVM 90
#define FAKE_VM 91
#define FAKE_VCPU 92
#define FAKE_DEV 93

/*
 * KVM_GET_ONE_REG or KVM_SET_ONE_REG (req) of `one` on fd, where slot is the
 * register's index in regs (-1: the fake has no such register). A read is
 * answered from regs; a write returns 1 with *val pointing at the written
 * value, for the caller to refuse or store in regs[slot]. Else 0 or -errno
 * as KVM would: EBADF off the vCPU, ENOENT for a register it does not have.
 */
static inline int fake_one_reg(int fd, unsigned long req, const struct kvm_one_reg *one, int slot,
			       const uint64_t *regs, uint64_t **val)
{
	*val = (uint64_t *)(uintptr_t)one->addr;
	if (fd != FAKE_VCPU)
		return -EBADF;
	if (slot < 0)
		return -ENOENT;
	if (req == KVM_GET_ONE_REG) {
		**val = regs[slot];
		return 0;
	}
	return 1;
}

#endif /* KVMPROF_RT_FAKE_H */
