/* SPDX-License-Identifier: MIT */
/*
 * expr.c - parse driver, constant evaluation and condition compiler of the
 * expression language (contract in expr.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "expr-parser.h"
#include "expr-lexer.h"

/* Bounds the tree depth, so the recursive walks below cannot run out of
 * stack; a profile's scalar is never near this. */
#define EXPR_MAX_TEXT 4096

#define ALL_BITS (~(uint64_t)0)

static const char xliteral_msg[] = "0b literal with 'x' digits can only be a whole value";

static int fail(struct expr_error *err, int off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct expr_error *err, int off, const char *fmt, ...)
{
	va_list ap;

	err->off = off;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_free(e->l);
	expr_free(e->r);
	free(e->name);
	free(e);
}

/* An x-literal is a pattern, not a number: no operator may take one. */
static const struct expr *find_inner_xliteral(const struct expr *e)
{
	const struct expr *found;

	if (!e)
		return NULL;
	if (e->kind == EXPR_NUM && e->mask != ALL_BITS)
		return e;
	found = find_inner_xliteral(e->l);
	return found ? found : find_inner_xliteral(e->r);
}

struct expr *expr_parse(const char *text, struct expr_error *err)
{
	struct expr_parse_state st = { .text = text, .err = err };
	const struct expr *xlit;
	yyscan_t scanner;
	size_t len = strlen(text);
	int rc;

	err->off = 0;
	err->msg[0] = '\0';
	if (len > EXPR_MAX_TEXT) {
		fail(err, EXPR_MAX_TEXT, "expression is longer than %d bytes", EXPR_MAX_TEXT);
		return NULL;
	}
	st.len = (int)len;
	if (expr_scanner_init(&st, &scanner))
		return NULL;
	rc = yyparse(scanner, &st);
	yylex_destroy(scanner);

	if (rc != 0 || !st.result) {
		expr_free(st.result);
		if (!st.failed)
			fail(err, 0, rc == 2 ? "out of memory" : "syntax error");
		return NULL;
	}
	if (st.result->kind != EXPR_NUM && (xlit = find_inner_xliteral(st.result))) {
		fail(err, xlit->off, "%s", xliteral_msg);
		expr_free(st.result);
		return NULL;
	}
	return st.result;
}

static uint64_t shift_left(uint64_t v, uint64_t count)
{
	return count >= 64 ? 0 : v << count;
}

static uint64_t shift_right(uint64_t v, uint64_t count)
{
	return count >= 64 ? 0 : v >> count;
}

static uint64_t apply_unary(int op, uint64_t v)
{
	switch (op) {
	case '!': return !v;
	case '~': return ~v;
	default:  return (uint64_t)0 - v; /* '-': wraps, like the runtime */
	}
}

static uint64_t apply_binary(int op, uint64_t a, uint64_t b)
{
	switch (op) {
	case EXPR_OR:   return a | b;
	case EXPR_AND:  return a & b;
	case EXPR_XOR:  return a ^ b;
	case EXPR_SHL:  return shift_left(a, b);
	case EXPR_SHR:  return shift_right(a, b);
	case EXPR_ADD:  return a + b;
	case EXPR_SUB:  return a - b;
	case EXPR_EQ:   return a == b;
	case EXPR_NE:   return a != b;
	case EXPR_LT:   return a < b;
	case EXPR_LE:   return a <= b;
	case EXPR_GT:   return a > b;
	case EXPR_GE:   return a >= b;
	case EXPR_LAND: return a && b;
	default:        return a || b; /* EXPR_LOR */
	}
}

static int valid_unary(int op)
{
	return op == '!' || op == '~' || op == '-';
}

static int valid_binary(int op)
{
	return op >= EXPR_OR && op <= EXPR_LOR;
}

static int eval_node(const struct expr *e, expr_name_fn lookup, void *ctx,
		     uint64_t *value, struct expr_error *err)
{
	uint64_t l, r;

	switch (e->kind) {
	case EXPR_NUM:
		if (e->mask != ALL_BITS)
			return fail(err, e->off, "%s", xliteral_msg);
		*value = e->value;
		return 0;
	case EXPR_VERSION:
	case EXPR_ARCH_NAME:
	case EXPR_BOOL:
		*value = e->value;
		return 0;
	case EXPR_NAME:
		if (!lookup)
			return fail(err, e->off, "'%s' is not a constant: names are not allowed here",
				    e->name);
		err->msg[0] = '\0';
		if (lookup(ctx, e->name, value, err)) {
			err->off = e->off;
			if (!err->msg[0])
				fail(err, e->off, "unknown name '%s'", e->name);
			return -1;
		}
		return 0;
	case EXPR_CAP:
		return fail(err, e->off, "cap(%s) is not a constant: it can only be used in a condition",
			    e->name);
	case EXPR_KERNEL:
		return fail(err, e->off, "'kernel' is not a constant: it can only be used in a condition");
	case EXPR_ARCH:
		return fail(err, e->off, "'arch' is not a constant: it can only be used in a condition");
	case EXPR_UNARY:
		if (!valid_unary(e->op) || !e->l)
			return fail(err, e->off, "malformed expression tree");
		if (eval_node(e->l, lookup, ctx, &l, err))
			return -1;
		*value = apply_unary(e->op, l);
		return 0;
	case EXPR_BINARY:
		if (!valid_binary(e->op) || !e->l || !e->r)
			return fail(err, e->off, "malformed expression tree");
		if (eval_node(e->l, lookup, ctx, &l, err) ||
		    eval_node(e->r, lookup, ctx, &r, err))
			return -1;
		*value = apply_binary(e->op, l, r);
		return 0;
	default:
		return fail(err, e->off, "malformed expression tree");
	}
}

int expr_eval_const(const struct expr *e, expr_name_fn lookup, void *ctx,
		    uint64_t *value, uint64_t *mask, struct expr_error *err)
{
	if (e->kind == EXPR_NUM) {
		*value = e->value & e->mask;
		*mask = e->mask;
		return 0;
	}
	*mask = ALL_BITS;
	return eval_node(e, lookup, ctx, value, err);
}

/* ---- conditions ------------------------------------------------------- */

static int is_comparison(int op)
{
	return op >= EXPR_EQ && op <= EXPR_GE;
}

static int kernel_against_version(const struct expr *e)
{
	return e->kind == EXPR_BINARY && is_comparison(e->op) &&
	       ((e->l->kind == EXPR_KERNEL && e->r->kind == EXPR_VERSION) ||
		(e->l->kind == EXPR_VERSION && e->r->kind == EXPR_KERNEL));
}

/*
 * Checks what only conditions forbid, and counts what the program needs.
 * A version is only meaningful compared with kernel (and kernel only with a
 * version): "kernel >= 6" would silently mean 0.0.6.
 */
static int check_cond(const struct expr *e, int *n_insn, int *stack,
		      struct expr_error *err)
{
	int ln, ls, rn, rs;

	switch (e->kind) {
	case EXPR_NUM:
		if (e->mask != ALL_BITS)
			return fail(err, e->off, "0b literal with 'x' digits cannot be used in a condition");
		break;
	case EXPR_VERSION:
		return fail(err, e->off, "a kernel version can only be compared with kernel (kernel >= 6.7)");
	case EXPR_KERNEL:
		return fail(err, e->off, "kernel can only be compared with a version (kernel >= 6.7)");
	case EXPR_NAME:
		return fail(err, e->off, "'%s' cannot be used in a condition: it has no value before the guest exists",
			    e->name);
	case EXPR_CAP:
	case EXPR_ARCH:
	case EXPR_ARCH_NAME:
	case EXPR_BOOL:
		break;
	case EXPR_UNARY:
		if (!valid_unary(e->op) || !e->l)
			return fail(err, e->off, "malformed expression tree");
		if (check_cond(e->l, n_insn, stack, err))
			return -1;
		*n_insn += 1;
		return 0;
	case EXPR_BINARY:
		if (!valid_binary(e->op) || !e->l || !e->r)
			return fail(err, e->off, "malformed expression tree");
		if (kernel_against_version(e)) {
			*n_insn = 3;
			*stack = 2;
			return 0;
		}
		if (check_cond(e->l, &ln, &ls, err) || check_cond(e->r, &rn, &rs, err))
			return -1;
		*n_insn = ln + rn + 1;
		/* The left result waits on the stack while the right one is built. */
		*stack = ls > rs + 1 ? ls : rs + 1;
		return 0;
	default:
		return fail(err, e->off, "malformed expression tree");
	}
	*n_insn = 1;
	*stack = 1;
	return 0;
}

static const uint32_t binary_opcode[] = {
	[EXPR_OR] = KVMPROF_OP_OR,   [EXPR_AND] = KVMPROF_OP_AND,
	[EXPR_XOR] = KVMPROF_OP_XOR, [EXPR_SHL] = KVMPROF_OP_SHL,
	[EXPR_SHR] = KVMPROF_OP_SHR, [EXPR_ADD] = KVMPROF_OP_ADD,
	[EXPR_SUB] = KVMPROF_OP_SUB, [EXPR_EQ] = KVMPROF_OP_EQ,
	[EXPR_NE] = KVMPROF_OP_NE,   [EXPR_LT] = KVMPROF_OP_LT,
	[EXPR_LE] = KVMPROF_OP_LE,   [EXPR_GT] = KVMPROF_OP_GT,
	[EXPR_GE] = KVMPROF_OP_GE,   [EXPR_LAND] = KVMPROF_OP_LAND,
	[EXPR_LOR] = KVMPROF_OP_LOR,
};

static void put(struct kvmprof_insn *out, int *pc, uint32_t op, uint64_t arg)
{
	out[*pc] = (struct kvmprof_insn){ .op = op, .arg = arg };
	(*pc)++;
}

/* Emits postfix code; check_cond has validated the tree and the room. */
static int emit(const struct expr *e, expr_cap_fn cap_lookup, void *ctx,
		struct kvmprof_insn *out, int *pc, struct expr_error *err)
{
	uint64_t number;

	switch (e->kind) {
	case EXPR_NUM:
	case EXPR_VERSION:
	case EXPR_ARCH_NAME:
	case EXPR_BOOL:
		put(out, pc, KVMPROF_OP_CONST, e->value);
		return 0;
	case EXPR_KERNEL:
		put(out, pc, KVMPROF_OP_KERNEL, 0);
		return 0;
	case EXPR_ARCH:
		put(out, pc, KVMPROF_OP_ARCH, 0);
		return 0;
	case EXPR_CAP:
		if (!cap_lookup)
			return fail(err, e->off, "cap(%s) cannot be resolved here (no capability table)",
				    e->name);
		err->msg[0] = '\0';
		if (cap_lookup(ctx, e->name, &number, err)) {
			err->off = e->off;
			if (!err->msg[0])
				fail(err, e->off, "unknown capability '%s'", e->name);
			return -1;
		}
		put(out, pc, KVMPROF_OP_CAP, number);
		return 0;
	case EXPR_UNARY:
		if (emit(e->l, cap_lookup, ctx, out, pc, err))
			return -1;
		put(out, pc, e->op == '!' ? KVMPROF_OP_NOT :
			     e->op == '~' ? KVMPROF_OP_BNOT : KVMPROF_OP_NEG, 0);
		return 0;
	default: /* EXPR_BINARY */
		if (emit(e->l, cap_lookup, ctx, out, pc, err) ||
		    emit(e->r, cap_lookup, ctx, out, pc, err))
			return -1;
		put(out, pc, binary_opcode[e->op], 0);
		return 0;
	}
}

int expr_compile_cond(const struct expr *e, expr_cap_fn cap_lookup, void *ctx,
		      struct kvmprof_insn *out, size_t cap, struct expr_error *err)
{
	int n_insn = 0, stack = 0, pc = 0;

	if (check_cond(e, &n_insn, &stack, err))
		return -1;
	if (stack > KVMPROF_COND_MAX_STACK)
		return fail(err, e->off, "condition needs %d stack slots, more than the runtime's %d; split it or use fewer parentheses on the right",
			    stack, KVMPROF_COND_MAX_STACK);
	if ((size_t)n_insn + 1 > cap)
		return fail(err, e->off, "condition compiles to %d instructions, more than the %zu available",
			    n_insn + 1, cap);
	if (emit(e, cap_lookup, ctx, out, &pc, err))
		return -1;
	put(out, &pc, KVMPROF_OP_END, 0);
	return pc;
}
