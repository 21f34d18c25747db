/* SPDX-License-Identifier: MIT */
/*
 * test_rt_cond.c - kvmprof_cond_eval on hand-written programs: every
 * operator, the environment, and every kind of malformed program.
 * Runtime only (no compiler), as a VMM links it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kvmprof.h"

#define C(v) { KVMPROF_OP_CONST, 0, (v) }
#define OP(o) { (o), 0, 0 }
#define END OP(KVMPROF_OP_END)
#define N(code) ((uint32_t)(sizeof(code) / sizeof((code)[0])))
#define ALL ~(uint64_t)0

static uint64_t last_cap_asked;

static int64_t fake_cap(void *ctx, uint64_t cap)
{
	last_cap_asked = cap;
	if (cap == 70)
		return *(int64_t *)ctx;
	return cap == 5 ? -1 : 0;
}

static int64_t answer70 = 3;

static const struct kvmprof_cond_env env = {
	.kernel = KVMPROF_KERNEL_VERSION(6, 12, 117),
	.arch = KVMPROF_ARCH_X86_64,
	.cap_value = fake_cap,
	.ctx = &answer70,
};

static uint64_t eval_ok(const struct kvmprof_insn *code, uint32_t n)
{
	uint64_t result = 0xbad;

	assert_int_equal(kvmprof_cond_eval(code, n, &env, &result), 0);
	return result;
}

/* a OP b, for each binary operator */
static uint64_t binary(uint32_t op, uint64_t a, uint64_t b)
{
	const struct kvmprof_insn code[] = { C(a), C(b), OP(op), END };

	return eval_ok(code, N(code));
}

static uint64_t unary(uint32_t op, uint64_t a)
{
	const struct kvmprof_insn code[] = { C(a), OP(op), END };

	return eval_ok(code, N(code));
}

static void test_operators(void **state)
{
	(void)state;
	assert_true(unary(KVMPROF_OP_NOT, 0) == 1);
	assert_true(unary(KVMPROF_OP_NOT, 1ull << 40) == 0);
	assert_true(unary(KVMPROF_OP_BNOT, 0xf0) == ~(uint64_t)0xf0);
	assert_true(unary(KVMPROF_OP_NEG, 1) == ALL);
	assert_true(unary(KVMPROF_OP_NEG, 0) == 0);
	assert_true(unary(KVMPROF_OP_NEG, 1ull << 63) == 1ull << 63);

	assert_true(binary(KVMPROF_OP_OR, 12, 10) == 14);
	assert_true(binary(KVMPROF_OP_AND, 12, 10) == 8);
	assert_true(binary(KVMPROF_OP_XOR, 12, 10) == 6);
	assert_true(binary(KVMPROF_OP_SHL, 1, 63) == 1ull << 63);
	assert_true(binary(KVMPROF_OP_SHL, 1, 64) == 0);
	assert_true(binary(KVMPROF_OP_SHL, 1, ALL) == 0);
	assert_true(binary(KVMPROF_OP_SHR, 1ull << 63, 63) == 1);
	assert_true(binary(KVMPROF_OP_SHR, ALL, 64) == 0);
	assert_true(binary(KVMPROF_OP_SHR, ALL, 1000) == 0);
	assert_true(binary(KVMPROF_OP_ADD, ALL, 2) == 1);
	assert_true(binary(KVMPROF_OP_SUB, 1, 2) == ALL);
	assert_true(binary(KVMPROF_OP_SUB, 7, 2) == 5); /* order: a - b */
	assert_true(binary(KVMPROF_OP_EQ, 5, 5) == 1);
	assert_true(binary(KVMPROF_OP_EQ, 5, 6) == 0);
	assert_true(binary(KVMPROF_OP_NE, 5, 6) == 1);
	assert_true(binary(KVMPROF_OP_NE, 5, 5) == 0);
	assert_true(binary(KVMPROF_OP_LT, 1, 2) == 1);
	assert_true(binary(KVMPROF_OP_LT, 2, 1) == 0);
	assert_true(binary(KVMPROF_OP_LT, 1, ALL) == 1); /* unsigned */
	assert_true(binary(KVMPROF_OP_LE, 2, 2) == 1);
	assert_true(binary(KVMPROF_OP_LE, 3, 2) == 0);
	assert_true(binary(KVMPROF_OP_GT, 3, 2) == 1);
	assert_true(binary(KVMPROF_OP_GT, 2, 2) == 0);
	assert_true(binary(KVMPROF_OP_GE, 2, 2) == 1);
	assert_true(binary(KVMPROF_OP_GE, 1, 2) == 0);
	assert_true(binary(KVMPROF_OP_LAND, 2, 1ull << 50) == 1);
	assert_true(binary(KVMPROF_OP_LAND, 2, 0) == 0);
	assert_true(binary(KVMPROF_OP_LOR, 0, 0) == 0);
	assert_true(binary(KVMPROF_OP_LOR, 0, 9) == 1);
}

static void test_environment(void **state)
{
	const struct kvmprof_insn kernel_ge[] = {
		OP(KVMPROF_OP_KERNEL), C(KVMPROF_KERNEL_VERSION(6, 12, 0)),
		OP(KVMPROF_OP_GE), END,
	};
	const struct kvmprof_insn kernel[] = { OP(KVMPROF_OP_KERNEL), END };
	const struct kvmprof_insn arch[] = { OP(KVMPROF_OP_ARCH), END };
	const struct kvmprof_insn cap70[] = { { KVMPROF_OP_CAP, 0, 70 }, END };
	const struct kvmprof_insn cap5[] = { { KVMPROF_OP_CAP, 0, 5 }, END };
	const struct kvmprof_insn consts[] = { C(1), C(2), OP(KVMPROF_OP_ADD), END };
	struct kvmprof_cond_env no_caps = env;
	uint64_t result;

	(void)state;
	assert_true(eval_ok(kernel, N(kernel)) == 0x060c75);
	assert_true(eval_ok(kernel_ge, N(kernel_ge)) == 1);
	assert_true(eval_ok(arch, N(arch)) == KVMPROF_ARCH_X86_64);
	assert_true(eval_ok(cap70, N(cap70)) == 3);
	assert_true(last_cap_asked == 70);
	assert_true(eval_ok(cap5, N(cap5)) == 0); /* an error from the kernel reads as 0 */
	assert_true(last_cap_asked == 5);

	/* Without an environment only constant programs can run. */
	assert_int_equal(kvmprof_cond_eval(consts, N(consts), NULL, &result), 0);
	assert_true(result == 3);
	assert_int_equal(kvmprof_cond_eval(kernel, N(kernel), NULL, &result), KVMPROF_ERR_INVAL);
	assert_int_equal(kvmprof_cond_eval(arch, N(arch), NULL, &result), KVMPROF_ERR_INVAL);
	assert_int_equal(kvmprof_cond_eval(cap70, N(cap70), NULL, &result), KVMPROF_ERR_INVAL);
	no_caps.cap_value = NULL;
	assert_int_equal(kvmprof_cond_eval(cap70, N(cap70), &no_caps, &result), KVMPROF_ERR_INVAL);
	assert_int_equal(kvmprof_cond_eval(kernel, N(kernel), &no_caps, &result), 0);
}

static void expect_inval(const struct kvmprof_insn *code, uint32_t n)
{
	uint64_t result = 0x1234;

	assert_int_equal(kvmprof_cond_eval(code, n, &env, &result), KVMPROF_ERR_INVAL);
	assert_true(result == 0x1234); /* untouched on failure */
}

static void test_malformed(void **state)
{
	const struct kvmprof_insn end_only[] = { END };
	const struct kvmprof_insn no_end[] = { C(1), C(2), OP(KVMPROF_OP_ADD) };
	const struct kvmprof_insn unary_empty[] = { OP(KVMPROF_OP_NOT), END };
	const struct kvmprof_insn binary_one[] = { C(1), OP(KVMPROF_OP_LOR), END };
	const struct kvmprof_insn two_left[] = { C(1), C(2), END };
	const struct kvmprof_insn unknown_op[] = { C(1), OP(KVMPROF_OP_LOR + 1), END };
	const struct kvmprof_insn huge_op[] = { C(1), OP(0xffffffffu), END };
	const struct kvmprof_insn end_later[] = { C(1), END, C(2) };
	uint64_t result;

	(void)state;
	expect_inval(end_only, N(end_only));
	expect_inval(no_end, N(no_end));
	expect_inval(end_only, 0);               /* empty program: no END */
	expect_inval(two_left, 2);               /* END beyond n_code */
	expect_inval(unary_empty, N(unary_empty));
	expect_inval(binary_one, N(binary_one));
	expect_inval(two_left, N(two_left));
	expect_inval(unknown_op, N(unknown_op));
	expect_inval(huge_op, N(huge_op));
	assert_int_equal(kvmprof_cond_eval(NULL, 1, &env, &result), KVMPROF_ERR_INVAL);
	assert_int_equal(kvmprof_cond_eval(end_only, 1, &env, NULL), KVMPROF_ERR_INVAL);
	/* What follows the first END is never looked at. */
	assert_true(eval_ok(end_later, N(end_later)) == 1);
}

/* KVMPROF_COND_MAX_STACK values fit; one more is an overflow. */
static void test_stack_limit(void **state)
{
	struct kvmprof_insn code[2 * KVMPROF_COND_MAX_STACK + 2];
	uint32_t n = 0;

	(void)state;
	for (int i = 0; i < KVMPROF_COND_MAX_STACK; i++)
		code[n++] = (struct kvmprof_insn)C(1);
	for (int i = 0; i < KVMPROF_COND_MAX_STACK - 1; i++)
		code[n++] = (struct kvmprof_insn)OP(KVMPROF_OP_ADD);
	code[n++] = (struct kvmprof_insn)END;
	assert_true(eval_ok(code, n) == KVMPROF_COND_MAX_STACK);

	n = 0;
	for (int i = 0; i < KVMPROF_COND_MAX_STACK + 1; i++)
		code[n++] = (struct kvmprof_insn)C(1);
	code[n++] = (struct kvmprof_insn)END;
	expect_inval(code, n);

	/* An environment push overflows the same way. */
	n = 0;
	for (int i = 0; i < KVMPROF_COND_MAX_STACK; i++)
		code[n++] = (struct kvmprof_insn)C(1);
	code[n++] = (struct kvmprof_insn)OP(KVMPROF_OP_KERNEL);
	code[n++] = (struct kvmprof_insn)END;
	expect_inval(code, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_stack_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
