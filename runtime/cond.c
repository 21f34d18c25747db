/* SPDX-License-Identifier: MIT */
/*
 * cond.c - evaluator of compiled `requires:` programs (contract in kvmprof.h).
 * No allocation, no printing: a program that is not well formed is refused
 * with KVMPROF_ERR_INVAL instead of being trusted.
 */
#include <stddef.h>
#include <stdint.h>

#include "kvmprof.h"

static uint64_t shift_left(uint64_t v, uint64_t count)
{
	return count >= 64 ? 0 : v << count;
}

static uint64_t shift_right(uint64_t v, uint64_t count)
{
	return count >= 64 ? 0 : v >> count;
}

int kvmprof_cond_eval(const struct kvmprof_insn *code, uint32_t n_code,
		      const struct kvmprof_cond_env *env, uint64_t *result)
{
	uint64_t stack[KVMPROF_COND_MAX_STACK];
	uint32_t sp = 0; /* number of values on the stack */

	if (!code || !result)
		return KVMPROF_ERR_INVAL;

	for (uint32_t pc = 0; pc < n_code; pc++) {
		const struct kvmprof_insn *insn = &code[pc];
		uint64_t a, b;
		int64_t cap;

		switch (insn->op) {
		case KVMPROF_OP_END:
			/* A well-formed program leaves exactly its result. */
			if (sp != 1)
				return KVMPROF_ERR_INVAL;
			*result = stack[0];
			return 0;

		case KVMPROF_OP_CONST:
		case KVMPROF_OP_CAP:
		case KVMPROF_OP_KERNEL:
		case KVMPROF_OP_ARCH:
			if (sp >= KVMPROF_COND_MAX_STACK)
				return KVMPROF_ERR_INVAL;
			if (insn->op == KVMPROF_OP_CONST) {
				a = insn->arg;
			} else if (!env) {
				return KVMPROF_ERR_INVAL;
			} else if (insn->op == KVMPROF_OP_KERNEL) {
				a = env->kernel;
			} else if (insn->op == KVMPROF_OP_ARCH) {
				a = env->arch;
			} else {
				if (!env->cap_value)
					return KVMPROF_ERR_INVAL;
				cap = env->cap_value(env->ctx, insn->arg);
				a = cap < 0 ? 0 : (uint64_t)cap;
			}
			stack[sp++] = a;
			break;

		case KVMPROF_OP_NOT:
		case KVMPROF_OP_BNOT:
		case KVMPROF_OP_NEG:
			if (sp < 1)
				return KVMPROF_ERR_INVAL;
			a = stack[sp - 1];
			stack[sp - 1] = insn->op == KVMPROF_OP_NOT ? !a :
					insn->op == KVMPROF_OP_BNOT ? ~a : (uint64_t)0 - a;
			break;

		case KVMPROF_OP_OR:
		case KVMPROF_OP_AND:
		case KVMPROF_OP_XOR:
		case KVMPROF_OP_SHL:
		case KVMPROF_OP_SHR:
		case KVMPROF_OP_ADD:
		case KVMPROF_OP_SUB:
		case KVMPROF_OP_EQ:
		case KVMPROF_OP_NE:
		case KVMPROF_OP_LT:
		case KVMPROF_OP_LE:
		case KVMPROF_OP_GT:
		case KVMPROF_OP_GE:
		case KVMPROF_OP_LAND:
		case KVMPROF_OP_LOR:
			if (sp < 2)
				return KVMPROF_ERR_INVAL;
			a = stack[sp - 2];
			b = stack[sp - 1];
			switch (insn->op) {
			case KVMPROF_OP_OR:   a |= b; break;
			case KVMPROF_OP_AND:  a &= b; break;
			case KVMPROF_OP_XOR:  a ^= b; break;
			case KVMPROF_OP_SHL:  a = shift_left(a, b); break;
			case KVMPROF_OP_SHR:  a = shift_right(a, b); break;
			case KVMPROF_OP_ADD:  a += b; break;
			case KVMPROF_OP_SUB:  a -= b; break;
			case KVMPROF_OP_EQ:   a = a == b; break;
			case KVMPROF_OP_NE:   a = a != b; break;
			case KVMPROF_OP_LT:   a = a < b; break;
			case KVMPROF_OP_LE:   a = a <= b; break;
			case KVMPROF_OP_GT:   a = a > b; break;
			case KVMPROF_OP_GE:   a = a >= b; break;
			case KVMPROF_OP_LAND: a = a && b; break;
			default:              a = a || b; break; /* LOR */
			}
			stack[sp - 2] = a;
			sp--;
			break;

		default:
			return KVMPROF_ERR_INVAL;
		}
	}
	return KVMPROF_ERR_INVAL; /* no END */
}
