/* SPDX-License-Identifier: MIT */
/*
 * fuzz_expr.c - the expression language: parse, evaluate as a constant
 * (names resolve to values derived from their text), compile as a
 * `requires:` condition, and run the program on the runtime's evaluator,
 * the one a VMM uses.
 */
#include "fuzz_common.h"
#include "kvmprof.h"
#include "expr.h"
#include "profile.h"

static uint64_t text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int name_value(void *ctx, const char *name, uint64_t *value, struct expr_error *err)
{
	(void)ctx;
	if (text_hash(name) % 5 == 0) {
		snprintf(err->msg, sizeof(err->msg), "'%s' is not stated", name);
		return -1;
	}
	*value = text_hash(name) >> (text_hash(name) % 64);
	return 0;
}

static int64_t cap_value(void *ctx, uint64_t cap)
{
	(void)ctx;
	return (int64_t)(cap * 0x9e3779b97f4a7c15ull) >> 60;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile prof = { .arch = size % 2 ? KVMPROF_ARCH_ARM64 : KVMPROF_ARCH_X86_64 };
	struct kvmprof_insn code[64];
	struct expr_error err = { 0 };
	struct kvmprof_cond_env env = { .kernel = KVMPROF_KERNEL_VERSION(6, 1, 0), .arch = prof.arch,
					 .cap_value = cap_value };
	char *text = malloc(size + 1);
	struct expr *e;
	uint64_t value, mask, result;
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e = expr_parse(text, &err);
	if (e) {
		expr_eval_const(e, name_value, NULL, &value, &mask, &err);
		expr_eval_const(e, NULL, NULL, &value, &mask, &err);
		n = expr_compile_cond(e, profile_cap_lookup, &prof, code, sizeof(code) / sizeof(code[0]), &err);
		if (n > 0)
			kvmprof_cond_eval(code, (uint32_t)n, &env, &result);
		expr_free(e);
	}
	free(text);
	return 0;
}
