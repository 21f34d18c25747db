/* SPDX-License-Identifier: MIT */
/*
 * test_expr.c - the expression language: every case of tests/expr/cases.txt,
 * tree shapes, the condition compiler's output and limits, and a random
 * round trip (generator's own value == expr_eval_const == compiled program
 * run by kvmprof_cond_eval).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kvmprof.h"
#include "expr.h"

#define CASES_FILE "tests/expr/cases.txt"
#define MAX_CODE 4096

/* ---- the test's world: names, capabilities, the running kernel -------- */

static const struct {
	const char *name;
	uint64_t value;
} known_names[] = {
	{ "ID_AA64PFR0_EL1.CSV2", 2 },
	{ "CPUID.0x7.0x0.EBX.AVX512F", 1 },
	{ "CPUID.7.0.EBX", 0x1234 },
	{ "GICD_IIDR", 0x43b },
};

static const struct {
	const char *name;
	uint64_t number;
	int64_t value; /* what the fake kernel answers */
} known_caps[] = {
	{ "KVM_CAP_ONE_REG", 70, 1 },
	{ "KVM_CAP_ARM_SVE", 106, 0 },
	{ "KVM_CAP_NEGATIVE", 9999, -22 },
};

static int lookup_name(void *ctx, const char *name, uint64_t *value,
		       struct expr_error *err)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(known_names) / sizeof(known_names[0]); i++) {
		if (!strcmp(known_names[i].name, name)) {
			*value = known_names[i].value;
			return 0;
		}
	}
	snprintf(err->msg, sizeof(err->msg), "unknown register '%s'", name);
	return -1;
}

static int lookup_cap(void *ctx, const char *name, uint64_t *number,
		      struct expr_error *err)
{
	(void)ctx;
	(void)err; /* leaves msg empty: the compiler must word the error */
	for (size_t i = 0; i < sizeof(known_caps) / sizeof(known_caps[0]); i++) {
		if (!strcmp(known_caps[i].name, name)) {
			*number = known_caps[i].number;
			return 0;
		}
	}
	return -1;
}

static int64_t fake_cap_value(void *ctx, uint64_t cap)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(known_caps) / sizeof(known_caps[0]); i++)
		if (known_caps[i].number == cap)
			return known_caps[i].value;
	return 0;
}

static const struct kvmprof_cond_env test_env = {
	.kernel = KVMPROF_KERNEL_VERSION(6, 8, 0),
	.arch = KVMPROF_ARCH_ARM64,
	.cap_value = fake_cap_value,
};

/* Compiles and runs e; returns 0 and *result, or -1 with *err. */
static int run_cond(const struct expr *e, uint64_t *result, struct expr_error *err)
{
	static struct kvmprof_insn code[MAX_CODE];
	int n = expr_compile_cond(e, lookup_cap, NULL, code, MAX_CODE, err);

	if (n < 0)
		return -1;
	assert_int_equal(code[n - 1].op, KVMPROF_OP_END);
	assert_int_equal(kvmprof_cond_eval(code, (uint32_t)n, &test_env, result), 0);
	return 0;
}

/* ---- the case file ---------------------------------------------------- */

static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	while (*s == ' ')
		s++;
	return s;
}

static char *find_last(char *s, const char *needle)
{
	char *last = NULL, *p = s;

	while ((p = strstr(p, needle))) {
		last = p;
		p++;
	}
	return last;
}

/* Returns 1 when the case holds; else prints why and returns 0. */
static int run_case(int line, const char *text, char *expect)
{
	struct expr_error err = { 0 };
	uint64_t want = 0, want_mask = ~(uint64_t)0, value = 0, mask = 0, cond_value;
	int want_off = -1, is_error, is_cond, is_cond_error, ok = 1;
	char *fragment = NULL, *end;
	struct expr *e;

	is_error = !strncmp(expect, "error ", 6);
	is_cond_error = !strncmp(expect, "cond-error ", 11);
	is_cond = !is_cond_error && !strncmp(expect, "cond ", 5);
	if (is_error || is_cond_error) {
		char *p = expect + (is_error ? 6 : 11);

		want_off = (int)strtol(p, &end, 10);
		fragment = trim(end);
	} else {
		want = strtoull(is_cond ? expect + 5 : expect, &end, 0);
		end = trim(end);
		if (!strncmp(end, "mask ", 5))
			want_mask = strtoull(end + 5, NULL, 0);
	}

	e = expr_parse(text, &err);
	if (!e) {
		if (is_error && err.off == want_off && strstr(err.msg, fragment))
			return 1;
		print_message("%s:%d: '%s': parse failed at %d: %s\n", CASES_FILE,
			      line, text, err.off, err.msg);
		return 0;
	}

	if (is_cond || is_cond_error) {
		if (run_cond(e, &cond_value, &err)) {
			if (!is_cond_error || err.off != want_off || !strstr(err.msg, fragment)) {
				print_message("%s:%d: '%s': compile failed at %d: %s\n",
					      CASES_FILE, line, text, err.off, err.msg);
				ok = 0;
			}
		} else if (is_cond_error || cond_value != want) {
			print_message("%s:%d: '%s': condition gave %#llx\n", CASES_FILE,
				      line, text, (unsigned long long)cond_value);
			ok = 0;
		}
		expr_free(e);
		return ok;
	}

	if (expr_eval_const(e, lookup_name, NULL, &value, &mask, &err)) {
		if (!is_error || err.off != want_off || !strstr(err.msg, fragment)) {
			print_message("%s:%d: '%s': eval failed at %d: %s\n", CASES_FILE,
				      line, text, err.off, err.msg);
			ok = 0;
		}
	} else if (is_error || value != want || mask != want_mask) {
		print_message("%s:%d: '%s': gave %#llx mask %#llx\n", CASES_FILE, line,
			      text, (unsigned long long)value, (unsigned long long)mask);
		ok = 0;
	} else if (run_cond(e, &cond_value, &err) == 0 && cond_value != value) {
		/* Whatever also compiles as a condition must agree. */
		print_message("%s:%d: '%s': condition gave %#llx, constant %#llx\n",
			      CASES_FILE, line, text, (unsigned long long)cond_value,
			      (unsigned long long)value);
		ok = 0;
	}
	expr_free(e);
	return ok;
}

static void test_case_file(void **state)
{
	FILE *f = fopen(CASES_FILE, "r");
	char buf[1024];
	int line = 0, cases = 0, failed = 0;

	(void)state;
	if (!f) {
		print_error("cannot open %s (run the tests from the repo root)\n", CASES_FILE);
		fail();
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *sep, *text, *expect;

		line++;
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		sep = find_last(buf, "=> ");
		assert_non_null(sep);
		/* The expression keeps its leading blanks (offsets count them). */
		*sep = '\0';
		if (sep > buf && sep[-1] == ' ')
			sep[-1] = '\0';
		text = buf;
		expect = trim(sep + 3);
		cases++;
		failed += !run_case(line, text, expect);
	}
	fclose(f);
	print_message("%d cases, %d failed\n", cases, failed);
	assert_true(cases > 200);
	assert_int_equal(failed, 0);
}

/* ---- tree shapes ------------------------------------------------------ */

static void test_tree_shape(void **state)
{
	struct expr_error err;
	struct expr *e;

	(void)state;
	e = expr_parse(" ID_AA64PFR0_EL1.CSV2 + (0x10 << 2)", &err);
	assert_non_null(e);
	assert_int_equal(e->kind, EXPR_BINARY);
	assert_int_equal(e->op, EXPR_ADD);
	assert_int_equal(e->off, 1);
	assert_int_equal(e->len, 34);
	assert_int_equal(e->l->kind, EXPR_NAME);
	assert_string_equal(e->l->name, "ID_AA64PFR0_EL1.CSV2");
	assert_int_equal(e->l->off, 1);
	assert_int_equal(e->l->len, 20);
	assert_int_equal(e->r->kind, EXPR_BINARY);
	assert_int_equal(e->r->op, EXPR_SHL);
	assert_int_equal(e->r->off, 25); /* parentheses make no node */
	assert_int_equal(e->r->len, 9);
	assert_int_equal(e->r->l->kind, EXPR_NUM);
	assert_int_equal(e->r->l->value, 0x10);
	assert_true(e->r->l->mask == ~(uint64_t)0);
	expr_free(e);

	e = expr_parse("!cap( KVM_CAP_ONE_REG )", &err);
	assert_non_null(e);
	assert_int_equal(e->kind, EXPR_UNARY);
	assert_int_equal(e->op, '!');
	assert_int_equal(e->off, 0);
	assert_int_equal(e->l->kind, EXPR_CAP);
	assert_string_equal(e->l->name, "KVM_CAP_ONE_REG");
	assert_int_equal(e->l->off, 1);
	assert_int_equal(e->l->len, 22);
	expr_free(e);

	e = expr_parse("kernel >= 6.12.117 || arch == x86_64", &err);
	assert_non_null(e);
	assert_int_equal(e->op, EXPR_LOR);
	assert_int_equal(e->l->op, EXPR_GE);
	assert_int_equal(e->l->l->kind, EXPR_KERNEL);
	assert_int_equal(e->l->r->kind, EXPR_VERSION);
	assert_int_equal(e->l->r->value, 0x060c75);
	assert_int_equal(e->l->r->off, 10);
	assert_int_equal(e->l->r->len, 8);
	assert_int_equal(e->r->l->kind, EXPR_ARCH);
	assert_int_equal(e->r->r->kind, EXPR_ARCH_NAME);
	assert_int_equal(e->r->r->value, KVMPROF_ARCH_X86_64);
	expr_free(e);

	e = expr_parse("0b1_0x", &err);
	assert_non_null(e);
	assert_int_equal(e->kind, EXPR_NUM);
	assert_int_equal(e->value, 4);
	assert_true(e->mask == ~(uint64_t)1);
	expr_free(e);

	e = expr_parse("true", &err);
	assert_non_null(e);
	assert_int_equal(e->kind, EXPR_BOOL);
	assert_int_equal(e->value, 1);
	expr_free(e);

	expr_free(NULL);
}

/* ---- constant evaluation details -------------------------------------- */

static int lookup_silent_failure(void *ctx, const char *name, uint64_t *value,
				 struct expr_error *err)
{
	(void)ctx; (void)name; (void)value; (void)err;
	return -1;
}

static void test_eval_const_names(void **state)
{
	struct expr_error err;
	uint64_t value, mask;
	struct expr *e = expr_parse("1 + GICD_IIDR", &err);

	(void)state;
	assert_non_null(e);
	assert_int_equal(expr_eval_const(e, NULL, NULL, &value, &mask, &err), -1);
	assert_int_equal(err.off, 4);
	assert_non_null(strstr(err.msg, "'GICD_IIDR' is not a constant"));

	assert_int_equal(expr_eval_const(e, lookup_silent_failure, NULL, &value, &mask, &err), -1);
	assert_int_equal(err.off, 4);
	assert_string_equal(err.msg, "unknown name 'GICD_IIDR'");

	assert_int_equal(expr_eval_const(e, lookup_name, NULL, &value, &mask, &err), 0);
	assert_int_equal(value, 0x43c);
	assert_true(mask == ~(uint64_t)0);
	expr_free(e);
}

/* A hand-made tree with an x-literal under an operator (the parser refuses
 * to build one) is still refused by the evaluators. */
static void test_hand_built_trees(void **state)
{
	struct expr xlit = { .kind = EXPR_NUM, .off = 5, .value = 2, .mask = ~(uint64_t)1 };
	struct expr one = { .kind = EXPR_NUM, .off = 0, .value = 1, .mask = ~(uint64_t)0 };
	struct expr sum = { .kind = EXPR_BINARY, .op = EXPR_ADD, .l = &one, .r = &xlit };
	struct expr bad_op = { .kind = EXPR_BINARY, .op = 99, .off = 3, .l = &one, .r = &one };
	struct expr bad_kind = { .kind = 77, .off = 7 };
	struct kvmprof_insn code[8];
	struct expr_error err;
	uint64_t value, mask;

	(void)state;
	assert_int_equal(expr_eval_const(&sum, NULL, NULL, &value, &mask, &err), -1);
	assert_int_equal(err.off, 5);
	assert_non_null(strstr(err.msg, "can only be a whole value"));
	assert_int_equal(expr_compile_cond(&sum, NULL, NULL, code, 8, &err), -1);
	assert_int_equal(err.off, 5);

	assert_int_equal(expr_eval_const(&bad_op, NULL, NULL, &value, &mask, &err), -1);
	assert_int_equal(err.off, 3);
	assert_int_equal(expr_compile_cond(&bad_op, NULL, NULL, code, 8, &err), -1);
	assert_int_equal(expr_eval_const(&bad_kind, NULL, NULL, &value, &mask, &err), -1);
	assert_int_equal(err.off, 7);
	assert_int_equal(expr_compile_cond(&bad_kind, NULL, NULL, code, 8, &err), -1);
}

/* ---- condition compiler ----------------------------------------------- */

static void test_compile_code(void **state)
{
	struct kvmprof_insn code[16];
	struct expr_error err;
	struct expr *e;
	int n;

	(void)state;
	e = expr_parse("kernel >= 6.7 && !cap(KVM_CAP_ONE_REG) || arch == arm64", &err);
	assert_non_null(e);
	n = expr_compile_cond(e, lookup_cap, NULL, code, 16, &err);
	static const struct kvmprof_insn want[] = {
		{ KVMPROF_OP_KERNEL, 0, 0 }, { KVMPROF_OP_CONST, 0, 0x060700 },
		{ KVMPROF_OP_GE, 0, 0 },     { KVMPROF_OP_CAP, 0, 70 },
		{ KVMPROF_OP_NOT, 0, 0 },    { KVMPROF_OP_LAND, 0, 0 },
		{ KVMPROF_OP_ARCH, 0, 0 },   { KVMPROF_OP_CONST, 0, KVMPROF_ARCH_ARM64 },
		{ KVMPROF_OP_EQ, 0, 0 },     { KVMPROF_OP_LOR, 0, 0 },
		{ KVMPROF_OP_END, 0, 0 },
	};
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < n; i++) {
		assert_int_equal(code[i].op, want[i].op);
		assert_int_equal(code[i].pad, 0);
		assert_int_equal(code[i].arg, want[i].arg);
	}
	expr_free(e);
}

static void test_compile_limits(void **state)
{
	struct kvmprof_insn code[MAX_CODE];
	struct expr_error err;
	char text[512];
	struct expr *e;
	size_t used;
	uint64_t result;

	(void)state;
	/* Output capacity: "1 + 2" needs CONST CONST ADD END. */
	e = expr_parse("1 + 2", &err);
	assert_non_null(e);
	assert_int_equal(expr_compile_cond(e, NULL, NULL, code, 3, &err), -1);
	assert_int_equal(err.off, 0);
	assert_non_null(strstr(err.msg, "more than the 3 available"));
	assert_int_equal(expr_compile_cond(e, NULL, NULL, code, 4, &err), 4);
	assert_int_equal(expr_compile_cond(e, NULL, NULL, NULL, 0, &err), -1);
	expr_free(e);

	/* cap() without a capability table. */
	e = expr_parse("true && cap(KVM_CAP_ONE_REG)", &err);
	assert_non_null(e);
	assert_int_equal(expr_compile_cond(e, NULL, NULL, code, MAX_CODE, &err), -1);
	assert_int_equal(err.off, 8);
	assert_non_null(strstr(err.msg, "cannot be resolved"));
	expr_free(e);

	/* Stack depth: "1+(1+(...(1+1)))" with k operators needs k+1 slots. */
	for (int k = KVMPROF_COND_MAX_STACK - 1; k <= KVMPROF_COND_MAX_STACK; k++) {
		used = 0;
		for (int i = 0; i < k; i++)
			used += (size_t)snprintf(text + used, sizeof(text) - used, "1+(");
		used += (size_t)snprintf(text + used, sizeof(text) - used, "1");
		for (int i = 0; i < k; i++)
			used += (size_t)snprintf(text + used, sizeof(text) - used, ")");
		e = expr_parse(text, &err);
		assert_non_null(e);
		int n = expr_compile_cond(e, NULL, NULL, code, MAX_CODE, &err);

		if (k + 1 <= KVMPROF_COND_MAX_STACK) {
			assert_int_equal(n, 2 * k + 2);
			assert_int_equal(kvmprof_cond_eval(code, (uint32_t)n, NULL, &result), 0);
			assert_int_equal(result, (uint64_t)k + 1);
		} else {
			assert_int_equal(n, -1);
			assert_non_null(strstr(err.msg, "stack slots"));
		}
		expr_free(e);
	}

	/* The same count of operators left-nested needs 2 slots only. */
	used = 0;
	for (int i = 0; i < 100; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "1+");
	snprintf(text + used, sizeof(text) - used, "1");
	e = expr_parse(text, &err);
	assert_non_null(e);
	assert_int_equal(expr_compile_cond(e, NULL, NULL, code, MAX_CODE, &err), 202);
	assert_int_equal(kvmprof_cond_eval(code, 202, NULL, &result), 0);
	assert_int_equal(result, 101);
	expr_free(e);
}

/* ---- size limits ------------------------------------------------------ */

static void test_text_limits(void **state)
{
	size_t depth = 2000, n = 0;
	char *text = malloc(2 * depth + 16);
	struct expr_error err;
	uint64_t value, mask;
	struct expr *e;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < depth; i++)
		text[n++] = i % 2 ? '(' : '-';
	text[n++] = '7';
	for (size_t i = 0; i < depth / 2; i++)
		text[n++] = ')';
	text[n] = '\0';
	e = expr_parse(text, &err);
	assert_non_null(e);
	assert_int_equal(expr_eval_const(e, NULL, NULL, &value, &mask, &err), 0);
	assert_int_equal(value, 7); /* an even count of minus signs */
	expr_free(e);
	free(text);

	text = malloc(5000);
	assert_non_null(text);
	memset(text, ' ', 4999);
	text[0] = '1';
	text[4999] = '\0';
	assert_null(expr_parse(text, &err));
	assert_int_equal(err.off, 4096);
	assert_non_null(strstr(err.msg, "longer than 4096 bytes"));
	free(text);
}

/* ---- random round trip ------------------------------------------------ */

struct gen {
	uint64_t rng;
	char *buf;
	size_t used, size;
};

static uint64_t next_random(struct gen *g)
{
	/* xorshift64: deterministic, good enough to vary the shapes. */
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

static void emit_text(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g->used += (size_t)vsnprintf(g->buf + g->used, g->size - g->used, fmt, ap);
	va_end(ap);
	assert_true(g->used < g->size);
}

/* Writes a fully parenthesised random expression; returns its value
 * computed here, independently of expr.c and cond.c. */
static uint64_t gen_expr(struct gen *g, int depth)
{
	static const char *const binops[] = {
		"|", "&", "^", "<<", ">>", "+", "-", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
	};
	uint64_t r = next_random(g), a, b;

	if (depth == 0 || r % 4 == 0) {
		switch (r >> 8 & 3) {
		case 0: a = r >> 20 & 0xff; emit_text(g, "%llu", (unsigned long long)a); return a;
		case 1: a = next_random(g); emit_text(g, "0x%llx", (unsigned long long)a); return a;
		case 2: a = r >> 30 & 0x7f; emit_text(g, "%llu", (unsigned long long)a); return a;
		default: a = r >> 40 & 1; emit_text(g, a ? "true" : "false"); return a;
		}
	}
	if (r % 4 == 1) {
		const char op = "!~-"[r >> 8 & 1 ? 2 : (r >> 9 & 1)];

		emit_text(g, "%c(", op);
		a = gen_expr(g, depth - 1);
		emit_text(g, ")");
		return op == '!' ? !a : op == '~' ? ~a : 0 - a;
	}
	unsigned int op = (unsigned int)(r >> 8) % 15;

	emit_text(g, "(");
	a = gen_expr(g, depth - 1);
	emit_text(g, " %s ", binops[op]);
	b = gen_expr(g, depth - 1);
	emit_text(g, ")");
	switch (op) {
	case 0: return a | b;
	case 1: return a & b;
	case 2: return a ^ b;
	case 3: return b >= 64 ? 0 : a << b;
	case 4: return b >= 64 ? 0 : a >> b;
	case 5: return a + b;
	case 6: return a - b;
	case 7: return a == b;
	case 8: return a != b;
	case 9: return a < b;
	case 10: return a <= b;
	case 11: return a > b;
	case 12: return a >= b;
	case 13: return a && b;
	default: return a || b;
	}
}

static void test_random_round_trip(void **state)
{
	char buf[4096];
	struct gen g = { .rng = 0x9e3779b97f4a7c15ull, .buf = buf, .size = sizeof(buf) };
	struct expr_error err;
	int compiled = 0;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		uint64_t want, value, mask, cond_value;
		struct expr *e;

		g.used = 0;
		want = gen_expr(&g, 1 + i % 6);
		e = expr_parse(buf, &err);
		if (!e)
			print_error("'%s': %d: %s\n", buf, err.off, err.msg);
		assert_non_null(e);
		assert_int_equal(expr_eval_const(e, NULL, NULL, &value, &mask, &err), 0);
		if (value != want)
			print_error("'%s': eval %#llx, generator %#llx\n", buf,
				    (unsigned long long)value, (unsigned long long)want);
		assert_true(value == want);
		if (run_cond(e, &cond_value, &err) == 0) {
			compiled++;
			assert_true(cond_value == want);
		} else {
			/* Only a too-deep program may fail here. */
			assert_non_null(strstr(err.msg, "stack slots"));
		}
		expr_free(e);
	}
	assert_true(compiled > 2900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_file),
		cmocka_unit_test(test_tree_shape),
		cmocka_unit_test(test_eval_const_names),
		cmocka_unit_test(test_hand_built_trees),
		cmocka_unit_test(test_compile_code),
		cmocka_unit_test(test_compile_limits),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_random_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
