/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cond_eval.c - the runtime's condition evaluator on programs it did not
 * get from the compiler (a corrupted or hostile table): it must answer
 * KVMPROF_ERR_INVAL, never read outside the program or its stack.
 */
#include "fuzz_common.h"
#include "kvmprof.h"

static int64_t cap_value(void *ctx, uint64_t cap)
{
	(void)ctx;
	return (int64_t)(cap & 7) - 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size / sizeof(struct kvmprof_insn);
	struct kvmprof_insn *code = malloc(n ? n * sizeof(*code) : 1);
	struct kvmprof_cond_env env = { .kernel = KVMPROF_KERNEL_VERSION(6, 12, 0), .arch = KVMPROF_ARCH_ARM64,
					 .cap_value = cap_value };
	uint64_t result;

	if (!code)
		return 0;
	memcpy(code, data, n * sizeof(*code));
	kvmprof_cond_eval(code, (uint32_t)n, &env, &result);
	free(code);
	return 0;
}
