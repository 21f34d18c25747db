/* SPDX-License-Identifier: MIT */
/*
 * expr-parser.y - grammar of the expression language (see expr.h).
 *
 * Precedence is C's, from loosest to tightest:
 *   ||  &&  |  ^  &  == !=  < <= > >=  << >>  + -  unary ! ~ -
 * There is no * / % level. Parentheses do not make nodes, so "(0b1x)" is
 * still a whole value.
 */
%define api.pure full
%locations
%define api.location.type {struct expr_span}
%define parse.error custom
%define parse.lac full  /* exact "expected ..." lists despite default reductions */
%expect 0
%param {yyscan_t scanner}
%parse-param {struct expr_parse_state *st}

%code requires {
#include <setjmp.h>
#include <stdint.h>
#include "expr.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* A token's or rule's byte range [off, end) in the text. */
struct expr_span {
	int off;
	int end;
};

/* The scanner's allocations, chained so a fatal error can free them all. */
struct expr_alloc {
	struct expr_alloc *prev, *next;
};

/* Shared by expr.c (the driver), the scanner and the parser actions. */
struct expr_parse_state {
	const char *text;
	int len;
	int pos;                 /* scanner position: byte offset of the next token */
	struct expr *result;
	struct expr_error *err;
	int failed;              /* err is filled: report only the first error */
	jmp_buf *fatal;          /* flex's fatal errors (out of memory) land here */
	struct expr_alloc allocs; /* list head; set up by expr_scanner_init() */
};

/* yylex_init_extra + yy_scan_bytes; 0, or -1 with st->err set. Frees all on
 * failure. */
int expr_scanner_init(struct expr_parse_state *st, yyscan_t *scanner);

struct expr_literal {
	uint64_t value;
	uint64_t mask;
};

/* Fills st->err (first error wins). */
void expr_parse_fail(struct expr_parse_state *st, int off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
}

%code provides {
#define YYLLOC_DEFAULT(cur, rhs, n)                                        \
	do {                                                               \
		if (n) {                                                   \
			(cur).off = YYRHSLOC(rhs, 1).off;                  \
			(cur).end = YYRHSLOC(rhs, n).end;                  \
		} else {                                                   \
			(cur).off = (cur).end = YYRHSLOC(rhs, 0).end;      \
		}                                                          \
	} while (0)
}

%code {
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr-lexer.h"

static void yyerror(struct expr_span *loc, yyscan_t scanner,
		    struct expr_parse_state *st, const char *msg)
{
	/* Only reached for bison's own failures (the stack limit). */
	if (strstr(msg, "exhausted"))
		expr_parse_fail(st, loc->off, "expression is nested too deeply");
	else
		expr_parse_fail(st, loc->off, "%s", msg);
}

static struct expr *new_node(int kind, struct expr_span loc)
{
	struct expr *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->kind = kind;
	e->off = loc.off;
	e->len = loc.end - loc.off;
	e->mask = ~(uint64_t)0;
	return e;
}

static struct expr *new_value(int kind, uint64_t value, struct expr_span loc)
{
	struct expr *e = new_node(kind, loc);

	if (e)
		e->value = value;
	return e;
}

/* Takes ownership of l and r, also on failure. */
static struct expr *new_op(int kind, int op, struct expr *l, struct expr *r,
			   struct expr_span loc)
{
	struct expr *e = new_node(kind, loc);

	if (!e) {
		expr_free(l);
		expr_free(r);
		return NULL;
	}
	e->op = op;
	e->l = l;
	e->r = r;
	return e;
}

/* Takes ownership of name, also on failure. */
static struct expr *new_named(int kind, char *name, struct expr_span loc)
{
	struct expr *e = new_node(kind, loc);

	if (!e) {
		free(name);
		return NULL;
	}
	e->name = name;
	return e;
}
}

%union {
	struct expr_literal lit;
	char *name;
	struct expr *node;
}

%token <lit> NUM "number"
%token <lit> VERSION "version"
%token <name> NAME "name"
%token <lit> ARCH_NAME "architecture name"
%token KERNEL "kernel" ARCH "arch"
%token TRUE "true" FALSE "false" CAP "cap"
%token SHL "<<" SHR ">>" LE "<=" GE ">=" EQ "==" NE "!=" LAND "&&" LOR "||"

%type <node> expr primary

%destructor { free($$); } <name>
%destructor { expr_free($$); } <node>

%left LOR
%left LAND
%left '|'
%left '^'
%left '&'
%left EQ NE
%left '<' '>' LE GE
%left SHL SHR
%left '+' '-'
%precedence UNARY

%%

input:
	expr { st->result = $1; }
	;

expr:
	primary
	| '!' expr %prec UNARY { if (!($$ = new_op(EXPR_UNARY, '!', $2, NULL, @$))) YYNOMEM; }
	| '~' expr %prec UNARY { if (!($$ = new_op(EXPR_UNARY, '~', $2, NULL, @$))) YYNOMEM; }
	| '-' expr %prec UNARY { if (!($$ = new_op(EXPR_UNARY, '-', $2, NULL, @$))) YYNOMEM; }
	| expr LOR expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_LOR, $1, $3, @$))) YYNOMEM; }
	| expr LAND expr { if (!($$ = new_op(EXPR_BINARY, EXPR_LAND, $1, $3, @$))) YYNOMEM; }
	| expr '|' expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_OR, $1, $3, @$))) YYNOMEM; }
	| expr '^' expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_XOR, $1, $3, @$))) YYNOMEM; }
	| expr '&' expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_AND, $1, $3, @$))) YYNOMEM; }
	| expr EQ expr   { if (!($$ = new_op(EXPR_BINARY, EXPR_EQ, $1, $3, @$))) YYNOMEM; }
	| expr NE expr   { if (!($$ = new_op(EXPR_BINARY, EXPR_NE, $1, $3, @$))) YYNOMEM; }
	| expr '<' expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_LT, $1, $3, @$))) YYNOMEM; }
	| expr LE expr   { if (!($$ = new_op(EXPR_BINARY, EXPR_LE, $1, $3, @$))) YYNOMEM; }
	| expr '>' expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_GT, $1, $3, @$))) YYNOMEM; }
	| expr GE expr   { if (!($$ = new_op(EXPR_BINARY, EXPR_GE, $1, $3, @$))) YYNOMEM; }
	| expr SHL expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_SHL, $1, $3, @$))) YYNOMEM; }
	| expr SHR expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_SHR, $1, $3, @$))) YYNOMEM; }
	| expr '+' expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_ADD, $1, $3, @$))) YYNOMEM; }
	| expr '-' expr  { if (!($$ = new_op(EXPR_BINARY, EXPR_SUB, $1, $3, @$))) YYNOMEM; }
	;

primary:
	NUM {
		if (!($$ = new_value(EXPR_NUM, $1.value, @$)))
			YYNOMEM;
		$$->mask = $1.mask;
	}
	| VERSION { if (!($$ = new_value(EXPR_VERSION, $1.value, @$))) YYNOMEM; }
	| NAME    { if (!($$ = new_named(EXPR_NAME, $1, @$))) YYNOMEM; }
	| CAP '(' NAME ')' { if (!($$ = new_named(EXPR_CAP, $3, @$))) YYNOMEM; }
	| KERNEL  { if (!($$ = new_node(EXPR_KERNEL, @$))) YYNOMEM; }
	| ARCH    { if (!($$ = new_node(EXPR_ARCH, @$))) YYNOMEM; }
	| ARCH_NAME { if (!($$ = new_value(EXPR_ARCH_NAME, $1.value, @$))) YYNOMEM; }
	| TRUE    { if (!($$ = new_value(EXPR_BOOL, 1, @$))) YYNOMEM; }
	| FALSE   { if (!($$ = new_value(EXPR_BOOL, 0, @$))) YYNOMEM; }
	| '(' expr ')' { $$ = $2; }
	;

%%

/* What the parser wanted, in words: "a value", "an operator or ')'". */
static void describe_expected(const yypcontext_t *ctx, char *buf, size_t size)
{
	yysymbol_kind_t expected[YYNTOKENS];
	int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
	int want_value = 0, want_operator = 0, want_close = 0, want_open = 0;
	int want_name = 0, want_end = 0;
	size_t used = 0;

	for (int i = 0; i < n; i++) {
		const char *name = yysymbol_name(expected[i]);

		if (expected[i] == YYSYMBOL_NUM)
			want_value = 1;
		else if (expected[i] == YYSYMBOL_LOR)
			want_operator = 1;
		else if (expected[i] == YYSYMBOL_NAME)
			want_name = 1;
		else if (expected[i] == YYSYMBOL_YYEOF)
			want_end = 1;
		else if (!strcmp(name, "')'"))
			want_close = 1;
		else if (!strcmp(name, "'('"))
			want_open = 1;
	}
	buf[0] = '\0';
#define ADD(cond, words)                                                        \
	do {                                                                    \
		if ((cond) && used < size)                                      \
			used += snprintf(buf + used, size - used, "%s%s",       \
					 used ? " or " : "", words);            \
	} while (0)
	ADD(want_value, "a value");
	ADD(want_name && !want_value, "a capability name");
	ADD(want_open && !want_value, "'('");
	ADD(want_operator, "an operator");
	ADD(want_close, "')'");
	ADD(want_end, "end of expression");
#undef ADD
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner,
				 struct expr_parse_state *st)
{
	const struct expr_span *loc = yypcontext_location(ctx);
	yysymbol_kind_t token = yypcontext_token(ctx);
	char expected[120];
	const char *what = "";
	int len = loc->end - loc->off;

	describe_expected(ctx, expected, sizeof(expected));
	if (token == YYSYMBOL_YYEOF) {
		expr_parse_fail(st, loc->off, "unexpected end of expression%s%s",
				expected[0] ? "; expected " : "", expected);
		return 0;
	}
	if (token == YYSYMBOL_NUM)
		what = "number ";
	else if (token == YYSYMBOL_VERSION)
		what = "version ";
	else if (token == YYSYMBOL_NAME)
		what = "name ";
	if (len > 40)
		len = 40;
	expr_parse_fail(st, loc->off, "unexpected %s'%.*s'%s%s", what, len,
			st->text + loc->off, expected[0] ? "; expected " : "",
			expected);
	return 0;
}
