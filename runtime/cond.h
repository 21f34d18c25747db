/* SPDX-License-Identifier: MIT */
/*
 * cond.h - evaluator of compiled `requires:` programs (internal to kvmprof,
 * shared by the runtime, the compiler's tests and offline checks).
 */
#ifndef KVMPROF_COND_H
#define KVMPROF_COND_H

#include <stdint.h>

#include "kvmprof.h"

/* The facts a condition may ask about. */
struct kvmprof_cond_env {
	uint64_t kernel; /* KVMPROF_KERNEL_VERSION of the running kernel */
	uint32_t arch;   /* enum kvmprof_arch */
	/* KVM_CHECK_EXTENSION(cap) on the VM fd, or a captured value; return
	 * 0 when the kernel does not know the capability. */
	int64_t (*cap_value)(void *ctx, uint64_t cap);
	void *ctx;
};

/* Returns 0 and *result, or KVMPROF_ERR_INVAL for a malformed program
 * (stack underflow/overflow, unknown op, missing END). */
int kvmprof_cond_eval(const struct kvmprof_insn *code, uint32_t n_code,
		      const struct kvmprof_cond_env *env, uint64_t *result);

#endif /* KVMPROF_COND_H */
