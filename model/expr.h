/* SPDX-License-Identifier: MIT */
/*
 * expr.h - the small expression language inside profile values and
 * `requires:` conditions (flex: expr-lexer.l, bison: expr-parser.y).
 *
 *   literals     42  0x2a  0b1010  0b10xx_01 (x: don't-care bit, only as a
 *                whole value)  '_' separators allowed in all bases
 *   versions     kernel >= 6.7   kernel < 6.12.5   (VERSION only next to kernel)
 *   names        ID_AA64PFR0_EL1.CSV2   CPUID.0x7.0x0.EBX.AVX512F   GICD_IIDR
 *   calls        cap(KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES)
 *   keywords     kernel  arch  arm64  x86_64  true  false
 *   operators    ! ~ unary-   * none *   << >>  + -  &  ^  |
 *                < <= > >= == !=   &&   ||     (C precedence, parentheses)
 *
 * Offsets are byte offsets into the parsed text, so the YAML loader can turn
 * them into the column inside the YAML scalar.
 */
#ifndef KVMPROF_EXPR_H
#define KVMPROF_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "kvmprof.h"

enum expr_kind {
	EXPR_NUM = 1,   /* value, mask (mask != ~0 only for 0b..x.. literals) */
	EXPR_VERSION,   /* value = KVMPROF_KERNEL_VERSION(a,b,c) */
	EXPR_NAME,      /* name: a register field reference or a bare symbol */
	EXPR_CAP,       /* name: the capability in cap(NAME) */
	EXPR_KERNEL,    /* the running kernel's version */
	EXPR_ARCH,      /* the running host's arch */
	EXPR_ARCH_NAME, /* arm64 / x86_64 literal: value = enum kvmprof_arch */
	EXPR_BOOL,      /* true/false: value 1/0 */
	EXPR_UNARY,     /* op: '!', '~', '-' ; l */
	EXPR_BINARY,    /* op: one of enum expr_binop ; l, r */
};

enum expr_binop {
	EXPR_OR = 1, EXPR_AND, EXPR_XOR, EXPR_SHL, EXPR_SHR, EXPR_ADD, EXPR_SUB,
	EXPR_EQ, EXPR_NE, EXPR_LT, EXPR_LE, EXPR_GT, EXPR_GE, EXPR_LAND, EXPR_LOR,
};

struct expr {
	int kind;          /* enum expr_kind */
	int op;            /* EXPR_UNARY: '!', '~', '-'; EXPR_BINARY: enum expr_binop */
	int off;           /* byte offset of the node's first character in the text */
	int len;           /* bytes the node spans */
	uint64_t value;
	uint64_t mask;     /* EXPR_NUM: bits given (~0 unless an x-literal) */
	char *name;        /* EXPR_NAME, EXPR_CAP (owned) */
	struct expr *l, *r;
};

struct expr_error {
	int off;           /* byte offset of the fault in the text */
	char msg[200];
};

/* Parses one expression. Returns the tree, or NULL and fills *err. */
struct expr *expr_parse(const char *text, struct expr_error *err);
void expr_free(struct expr *e);

/*
 * Resolves a name while evaluating a constant expression: returns 0 and sets
 * *value, or -1 and writes a message into err->msg (err->off is set by the
 * evaluator to the name's offset).
 */
typedef int (*expr_name_fn)(void *ctx, const char *name, uint64_t *value,
			    struct expr_error *err);

/*
 * Evaluates e as a compile-time constant (a value). An x-literal is allowed
 * only as the whole expression; its don't-care bits come back in *mask
 * cleared (else *mask = ~0). Names resolve through lookup (NULL: any name is
 * an error). kernel, arch and cap() are not constants here: error.
 * Returns 0, or -1 with *err filled.
 */
int expr_eval_const(const struct expr *e, expr_name_fn lookup, void *ctx,
		    uint64_t *value, uint64_t *mask, struct expr_error *err);

/* Resolves a capability name to its number: 0 or -1 with err->msg set. */
typedef int (*expr_cap_fn)(void *ctx, const char *name, uint64_t *number,
			   struct expr_error *err);

/*
 * Compiles a condition to the runtime's stack program (kvmprof_insn, ending
 * with KVMPROF_OP_END). Names are not allowed (they have no value before the
 * guest exists): error. x-literals are an error. Fails if the program would
 * need more than `cap` instructions or KVMPROF_COND_MAX_STACK stack slots.
 * Returns the number of instructions written (including END), or -1 and *err.
 */
int expr_compile_cond(const struct expr *e, expr_cap_fn cap_lookup, void *ctx,
		      struct kvmprof_insn *out, size_t cap, struct expr_error *err);

/* A compiled program is evaluated by the runtime's kvmprof_cond_eval()
 * (public in kvmprof.h), so compile-time tests and offline checks use the same
 * evaluator as a VMM does. */

#endif /* KVMPROF_EXPR_H */
