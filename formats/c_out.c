/* SPDX-License-Identifier: MIT */
/*
 * c_out.c - emits a resolved profile as the C tables of runtime/kvmprof.h.
 *
 * The output is meant to be boring and reviewable: designated initializers,
 * numbers with their symbolic names in comments, byte-identical for the same
 * input (no timestamps, no absolute paths). Every byte that comes from the
 * profile goes either into a string literal, escaped so that it cannot end
 * the literal, or into a one-line comment, sanitised so that it cannot end
 * the comment. Everything is validated before the first byte is written, so
 * a failed run leaves no half-written table behind.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "profile.h"

#define SYMBOL_PREFIX "kvmprof_profile_"
#define COND_MAX_INSNS 256
/* C11 5.2.4.1 only promises string literals of 4095 bytes; `-pedantic`
 * warns beyond that, so longer strings become char arrays. */
#define STRING_LITERAL_MAX 4095
#define COMMENT_MAX 160 /* comments are for reading, the data is in the strings */

/* Facts for the comments. KVM_DEV_TYPE_*: include/uapi/linux/kvm.h,
 * enum kvm_device_type. KVM_DEV_ARM_VGIC_GRP_*: arch/arm64/include/uapi/
 * asm/kvm.h. KVM_CPUID_FLAG_*: arch/x86/include/uapi/asm/kvm.h. */
static const char *const kind_names[] = {
	[KVMPROF_KIND_ENABLE_CAP] = "KVMPROF_KIND_ENABLE_CAP",
	[KVMPROF_KIND_QUIRKS] = "KVMPROF_KIND_QUIRKS",
	[KVMPROF_KIND_X2APIC_API] = "KVMPROF_KIND_X2APIC_API",
	[KVMPROF_KIND_VCPU_FEATURE] = "KVMPROF_KIND_VCPU_FEATURE",
	[KVMPROF_KIND_ONE_REG] = "KVMPROF_KIND_ONE_REG",
	[KVMPROF_KIND_CPUID] = "KVMPROF_KIND_CPUID",
	[KVMPROF_KIND_MSR] = "KVMPROF_KIND_MSR",
	[KVMPROF_KIND_DEVICE_ATTR] = "KVMPROF_KIND_DEVICE_ATTR",
};

static const char *const phase_names[KVMPROF_PHASE_COUNT] = {
	[KVMPROF_PHASE_VM] = "KVMPROF_PHASE_VM",
	[KVMPROF_PHASE_VCPU_INIT] = "KVMPROF_PHASE_VCPU_INIT",
	[KVMPROF_PHASE_VCPU_REGS] = "KVMPROF_PHASE_VCPU_REGS",
	[KVMPROF_PHASE_DEVICE] = "KVMPROF_PHASE_DEVICE",
};

static const char *const policy_names[] = {
	[KVMPROF_POLICY_EXACT] = "KVMPROF_POLICY_EXACT",
	[KVMPROF_POLICY_AT_MOST] = "KVMPROF_POLICY_AT_MOST",
};

/* The enumerator of an architecture (regdb's table); NULL if none. */
static const char *arch_c_name(uint64_t arch)
{
	const struct regdb_arch *a = arch <= INT32_MAX ? regdb_arch((int)arch) : NULL;
	return a ? a->c_name : NULL;
}

static const char *const cpuid_reg_names[] = {
	[KVMPROF_CPUID_EAX] = "KVMPROF_CPUID_EAX",
	[KVMPROF_CPUID_EBX] = "KVMPROF_CPUID_EBX",
	[KVMPROF_CPUID_ECX] = "KVMPROF_CPUID_ECX",
	[KVMPROF_CPUID_EDX] = "KVMPROF_CPUID_EDX",
};

static const char *const op_names[] = {
	[KVMPROF_OP_END] = "KVMPROF_OP_END",
	[KVMPROF_OP_CONST] = "KVMPROF_OP_CONST",
	[KVMPROF_OP_CAP] = "KVMPROF_OP_CAP",
	[KVMPROF_OP_KERNEL] = "KVMPROF_OP_KERNEL",
	[KVMPROF_OP_ARCH] = "KVMPROF_OP_ARCH",
	[KVMPROF_OP_NOT] = "KVMPROF_OP_NOT",
	[KVMPROF_OP_BNOT] = "KVMPROF_OP_BNOT",
	[KVMPROF_OP_NEG] = "KVMPROF_OP_NEG",
	[KVMPROF_OP_OR] = "KVMPROF_OP_OR",
	[KVMPROF_OP_AND] = "KVMPROF_OP_AND",
	[KVMPROF_OP_XOR] = "KVMPROF_OP_XOR",
	[KVMPROF_OP_SHL] = "KVMPROF_OP_SHL",
	[KVMPROF_OP_SHR] = "KVMPROF_OP_SHR",
	[KVMPROF_OP_ADD] = "KVMPROF_OP_ADD",
	[KVMPROF_OP_SUB] = "KVMPROF_OP_SUB",
	[KVMPROF_OP_EQ] = "KVMPROF_OP_EQ",
	[KVMPROF_OP_NE] = "KVMPROF_OP_NE",
	[KVMPROF_OP_LT] = "KVMPROF_OP_LT",
	[KVMPROF_OP_LE] = "KVMPROF_OP_LE",
	[KVMPROF_OP_GT] = "KVMPROF_OP_GT",
	[KVMPROF_OP_GE] = "KVMPROF_OP_GE",
	[KVMPROF_OP_LAND] = "KVMPROF_OP_LAND",
	[KVMPROF_OP_LOR] = "KVMPROF_OP_LOR",
};

#define NAME_OF(table, v) \
	((v) >= 0 && (size_t)(v) < sizeof(table) / sizeof((table)[0]) ? (table)[v] : NULL)

static const char *device_type_name(uint32_t type)
{
	switch (type) {
	case 5: return "KVM_DEV_TYPE_ARM_VGIC_V2";
	case 7: return "KVM_DEV_TYPE_ARM_VGIC_V3";
	case 8: return "KVM_DEV_TYPE_ARM_VGIC_ITS";
	default: return NULL;
	}
}

static const char *vgic_group_name(uint32_t group)
{
	switch (group) {
	case 1: return "KVM_DEV_ARM_VGIC_GRP_DIST_REGS";
	case 2: return "KVM_DEV_ARM_VGIC_GRP_CPU_REGS";
	case 5: return "KVM_DEV_ARM_VGIC_GRP_REDIST_REGS";
	case 6: return "KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS";
	default: return NULL;
	}
}

/* A compiled requires: program, made before anything is written. */
struct cond_code {
	struct kvmprof_insn code[COND_MAX_INSNS];
	int n; /* 0: no condition */
};

struct cgen {
	FILE *out;
	const struct profile *p;
	char *sym;
	const char *header_name; /* NULL: none */
	struct cond_code profile_cond;
	struct cond_code *entry_conds;
	uint32_t phase_start[KVMPROF_PHASE_COUNT + 1];
	struct diag *d;
};

/* ---- small string helpers --------------------------------------------- */

__attribute__((format(printf, 1, 2)))
static char *fmt_alloc(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s = xcalloc(1, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Absolute paths name one machine; keep only the file name so the output
 * is the same wherever it is built. */
static const char *portable_path(const char *path)
{
	const char *slash;

	if (!path || path[0] != '/')
		return path;
	slash = strrchr(path, '/');
	return slash + 1; /* may be empty ("/dir/"), never absolute */
}

static char *origin_of(struct srcpos pos)
{
	const char *file = portable_path(pos.file);

	if (!file)
		return xstrdup("");
	if (pos.line <= 0)
		return xstrdup(file);
	return fmt_alloc("%s:%d:%d", file, pos.line, pos.col);
}

static char *flatten_provenance(const struct profile *p)
{
	size_t len = 0, off = 0;
	char *s;

	for (size_t i = 0; i < p->n_provenance; i++)
		len += strlen(p->provenance[i].key ? p->provenance[i].key : "") + 2 +
		       strlen(p->provenance[i].value ? p->provenance[i].value : "") + 1;
	s = xcalloc(1, len + 1);
	for (size_t i = 0; i < p->n_provenance; i++) {
		const char *k = p->provenance[i].key ? p->provenance[i].key : "";
		const char *v = p->provenance[i].value ? p->provenance[i].value : "";

		memcpy(s + off, k, strlen(k));
		off += strlen(k);
		memcpy(s + off, ": ", 2);
		off += 2;
		memcpy(s + off, v, strlen(v));
		off += strlen(v);
		s[off++] = '\n';
	}
	s[off] = '\0';
	return s;
}

static int is_identifier(const char *s)
{
	if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* #include "..." takes no escapes, and a quote, a backslash or a comment
 * opener inside it is undefined (C11 6.4.7p3): accept plain file names. */
static int is_plain_header_name(const char *s)
{
	if (!*s)
		return 0;
	for (const char *c = s; *c; c++) {
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || strchr("_-+./", *c)))
			return 0;
		if (c[0] == '/' && c[1] == '/')
			return 0;
	}
	return 1;
}

void cgen_symbol_name(const char *profile_name, char *out, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	for (const char *c = SYMBOL_PREFIX; *c && n + 1 < len; c++)
		out[n++] = *c;
	for (const unsigned char *c = (const unsigned char *)(profile_name ? profile_name : "");
	     *c && n + 1 < len; c++) {
		int alnum = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
			    (*c >= '0' && *c <= '9');
		out[n++] = alnum ? (char)*c : '_';
	}
	out[n] = '\0';
}

/* ---- writing C ---------------------------------------------------------- */

/*
 * Comment text: one line, printable ASCII only (control bytes become a
 * space or vanish, other bytes vanish, a backslash becomes "/"), and never
 * a pair that could end or
 * nest a comment or form a trigraph: a space goes between "*" "/", "/" "*",
 * "/" "/" and "?" "?". The caller writes "/" "* " before and " *" "/" after,
 * so the text cannot touch the delimiters either.
 */
static void put_comment_text(FILE *out, const char *s, size_t max)
{
	char prev = ' ';
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
		char ch;

		if (*c == '\n' || *c == '\t' || *c == '\r')
			ch = ' ';
		else if (*c < 0x20 || *c >= 0x7f)
			continue;
		else if (*c == '\\')
			ch = '/'; /* a backslash could splice the next line in */
		else
			ch = (char)*c;
		if (ch == ' ' && prev == ' ')
			continue;
		if (n >= max) {
			fputs("...", out);
			return;
		}
		if ((prev == '*' && ch == '/') || (prev == '/' && (ch == '*' || ch == '/')) ||
		    (prev == '?' && ch == '?')) {
			fputc(' ', out);
			n++;
		}
		fputc(ch, out);
		prev = ch;
		n++;
	}
}

/* " /" "* text *" "/", or nothing when the text has nothing printable. */
static void put_comment(FILE *out, const char *s)
{
	int printable = 0;

	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++)
		if (*c > 0x20 && *c < 0x7f)
			printable = 1;
	if (!printable)
		return;
	fputs(" /* ", out);
	put_comment_text(out, s, COMMENT_MAX);
	fputs(" */", out);
}

/*
 * A string literal. Escaped: backslash, quote, "?" (so "??/" can never be a
 * trigraph), newline and tab by name, every other byte below 0x20 or from
 * 0x7f up as a three-digit octal escape, so a following digit cannot extend
 * it. After an embedded newline the literal is continued on the next line
 * (indent tabs), which keeps multi-line text readable.
 */
static void put_literal(FILE *out, const char *s, int indent)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '\\': fputs("\\\\", out); break;
		case '"': fputs("\\\"", out); break;
		case '?': fputs("\\?", out); break;
		case '\t': fputs("\\t", out); break;
		case '\n':
			fputs("\\n", out);
			if (c[1]) {
				fputs("\"\n", out);
				for (int i = 0; i < indent; i++)
					fputc('\t', out);
				fputc('"', out);
			}
			break;
		default:
			if (*c < 0x20 || *c >= 0x7f)
				fprintf(out, "\\%03o", (unsigned)*c);
			else
				fputc(*c, out);
		}
	}
	fputc('"', out);
}

static int is_long(const char *s)
{
	return s && strlen(s) > STRING_LITERAL_MAX;
}

/* Strings too long for a literal are declared first as char arrays of
 * <sym>_<label>; put_string() then names the array. */
static void declare_long_string(struct cgen *g, const char *label, const char *s)
{
	size_t len;

	if (!is_long(s))
		return;
	len = strlen(s);
	fprintf(g->out, "static const char %s_%s[%zu] = {", g->sym, label, len + 1);
	for (size_t i = 0; i <= len; i++)
		fprintf(g->out, "%s'\\%03o',", i % 12 ? " " : "\n\t",
			(unsigned)(unsigned char)s[i]);
	fputs("\n};\n\n", g->out);
}

static void put_string(struct cgen *g, const char *label, const char *s, int indent)
{
	if (is_long(s))
		fprintf(g->out, "%s_%s", g->sym, label);
	else
		put_literal(g->out, s ? s : "", indent);
}

static void put_named(FILE *out, uint64_t v, const char *name)
{
	fprintf(out, "%" PRIu64, v);
	if (name)
		fprintf(out, " /* %s */", name);
}

/* ---- validation --------------------------------------------------------- */

static int cap_number(void *ctx, const char *name, uint64_t *number, struct expr_error *err)
{
	const struct profile *p = ctx;
	const struct regdb_sym *s = regdb_sym_by_name(REGDB_SYM_CAP, name, p->arch);

	if (!s) {
		snprintf(err->msg, sizeof(err->msg), "unknown capability '%s'", name);
		return -1;
	}
	*number = s->value;
	return 0;
}

static int compile_cond(struct cgen *g, const char *text, const struct expr *tree,
			struct srcpos pos, struct cond_code *out)
{
	struct expr_error err = { 0 };
	struct expr *parsed = NULL;
	int n;

	out->n = 0;
	if (!text && !tree)
		return 0;
	if (!tree) {
		tree = parsed = expr_parse(text, &err);
		if (!parsed) {
			diag_error(g->d, srcpos_offset(pos, err.off), "expr", "%s", err.msg);
			return -1;
		}
	}
	n = expr_compile_cond(tree, cap_number, (void *)g->p, out->code, COND_MAX_INSNS, &err);
	expr_free(parsed);
	if (n <= 0) {
		diag_error(g->d, srcpos_offset(pos, err.off), "expr", "%s",
			   n < 0 ? err.msg : "empty condition");
		return -1;
	}
	out->n = n;
	return 0;
}

static int check_entry(struct cgen *g, const struct pentry *e)
{
	int before = g->d->n_errors;
	const char *name = e->name ? e->name : "";

	if (!e->name)
		diag_error(g->d, e->pos, "cgen", "entry without a name");
	if (!NAME_OF(kind_names, e->kind) || e->kind == 0)
		diag_error(g->d, e->pos, "cgen", "entry '%s': unknown kind %d", name, e->kind);
	if (e->policy < 0 || !NAME_OF(policy_names, e->policy))
		diag_error(g->d, e->pos, "cgen", "entry '%s': unknown policy %d", name, e->policy);
	if (e->width < 0 || e->width > 64)
		diag_error(g->d, e->pos, "cgen", "entry '%s': width %d", name, e->width);
	if (e->cpuid_reg < 0 || e->cpuid_reg > KVMPROF_CPUID_EDX)
		diag_error(g->d, e->pos, "cgen", "entry '%s': CPUID register %d", name, e->cpuid_reg);
	if (e->flags > 0xffffu)
		diag_error(g->d, e->pos, "cgen", "entry '%s': flags 0x%x", name, e->flags);
	if (e->n_fields > UINT32_MAX || (e->n_fields && !e->fields))
		diag_error(g->d, e->pos, "cgen", "entry '%s': bad field list", name);
	for (size_t i = 0; i < e->n_fields && e->fields; i++) {
		const struct pfield *f = &e->fields[i];

		if (!f->name || f->width < 1 || f->shift + f->width > 64 ||
		    !NAME_OF(policy_names, (int)f->policy))
			diag_error(g->d, f->pos, "cgen", "entry '%s': malformed field '%s'",
				   name, f->name ? f->name : "");
	}
	return g->d->n_errors == before ? 0 : -1;
}

static int prepare(struct cgen *g, const struct profile *p, const struct cgen_opts *o)
{
	int ok = 1;
	int phase = 0;

	if (o && o->symbol) {
		if (!is_identifier(o->symbol)) {
			diag_error(g->d, p->pos, "cgen", "symbol '%s' is not a C identifier", o->symbol);
			ok = 0;
		}
		g->sym = xstrdup(o->symbol);
	} else {
		size_t len = strlen(SYMBOL_PREFIX) + strlen(p->name ? p->name : "") + 1;

		g->sym = xcalloc(1, len);
		cgen_symbol_name(p->name, g->sym, len);
	}
	g->header_name = o ? portable_path(o->header_name) : NULL;
	if (g->header_name && !is_plain_header_name(g->header_name)) {
		diag_error(g->d, p->pos, "cgen",
			   "header name '%s' must be a plain file name ([A-Za-z0-9_+-./])",
			   g->header_name);
		ok = 0;
	}
	if (!p->name) {
		diag_error(g->d, p->pos, "cgen", "profile without a name");
		ok = 0;
	}
	if (!arch_c_name((uint64_t)p->arch)) {
		diag_error(g->d, p->pos, "cgen", "unknown arch %d", p->arch);
		ok = 0;
	}
#ifdef KVMPROF_MAX_ENTRIES
	if (p->n_entries > KVMPROF_MAX_ENTRIES) {
		diag_error(g->d, p->pos, "cgen", "%zu entries; the runtime accepts at most %d",
			   p->n_entries, KVMPROF_MAX_ENTRIES);
		return -1;
	}
#endif
	if (p->n_entries > UINT32_MAX) {
		diag_error(g->d, p->pos, "cgen", "too many entries");
		return -1;
	}
	if (compile_cond(g, p->requires_text, p->requires, p->requires_pos, &g->profile_cond))
		ok = 0;
	g->entry_conds = xcalloc(p->n_entries ? p->n_entries : 1, sizeof(*g->entry_conds));
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];

		if (check_entry(g, e))
			ok = 0;
		if (e->phase < 0 || e->phase >= KVMPROF_PHASE_COUNT) {
			diag_error(g->d, e->pos, "cgen", "entry '%s': unknown phase %d",
				   e->name ? e->name : "", e->phase);
			ok = 0;
		} else if (e->phase < phase) {
			diag_error(g->d, e->pos, "cgen",
				   "entry '%s' is out of phase order (entries must be sorted by phase)",
				   e->name ? e->name : "");
			ok = 0;
		} else {
			while (phase < e->phase)
				g->phase_start[++phase] = (uint32_t)i;
		}
		if (compile_cond(g, e->requires_text, e->requires, e->requires_pos,
				 &g->entry_conds[i]))
			ok = 0;
	}
	while (phase < KVMPROF_PHASE_COUNT)
		g->phase_start[++phase] = (uint32_t)p->n_entries;
	return ok ? 0 : -1;
}

/* ---- emission ----------------------------------------------------------- */

static void emit_banner(struct cgen *g, const struct cgen_opts *o, const char *hash)
{
	const char *label = o && o->source_label ? o->source_label : g->p->file;

	label = portable_path(label);
	fputs("/*\n * Generated by kvmprof " KVMPROF_VERSION_STRING " from ", g->out);
	put_comment_text(g->out, label ? label : "<input>", COMMENT_MAX);
	fputs("; do not edit.\n *\n * profile: ", g->out);
	put_comment_text(g->out, g->p->name, COMMENT_MAX);
	fprintf(g->out, "\n * hash:    %s\n */\n", hash);
}

static void emit_fields(struct cgen *g, size_t idx, const struct pentry *e)
{
	FILE *out = g->out;

	for (size_t i = 0; i < e->n_fields; i++) {
		char label[64];

		snprintf(label, sizeof(label), "fields_%zu_%zu_name", idx, i);
		declare_long_string(g, label, e->fields[i].name);
	}
	fprintf(out, "/* %zu: ", idx);
	put_comment_text(out, e->name, COMMENT_MAX);
	fprintf(out, " */\nstatic const struct kvmprof_field %s_fields_%zu[] = {\n", g->sym, idx);
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct pfield *f = &e->fields[i];
		char label[64];

		snprintf(label, sizeof(label), "fields_%zu_%zu_name", idx, i);
		fputs("\t{ .name = ", out);
		put_string(g, label, f->name, 2);
		fprintf(out, ", .shift = %u, .width = %u, .policy = ", (unsigned)f->shift,
			(unsigned)f->width);
		put_named(out, f->policy, NAME_OF(policy_names, (int)f->policy));
		fprintf(out, ", .flags = 0x%xu", (unsigned)f->flags);
		if (f->flags & KVMPROF_FIELD_SIGNED)
			fputs(" /* KVMPROF_FIELD_SIGNED */", out);
		fprintf(out, " }, /* = 0x%" PRIx64 " */\n", f->value);
	}
	fputs("};\n\n", out);
}

/* Kernel versions and arch numbers next to what they are compared with. */
static void put_const_meaning(FILE *out, const struct cond_code *c, int i)
{
	uint64_t v = c->code[i].arg;
	int next_to_kernel = (i > 0 && c->code[i - 1].op == KVMPROF_OP_KERNEL) ||
			     (i + 1 < c->n && c->code[i + 1].op == KVMPROF_OP_KERNEL);
	int next_to_arch = (i > 0 && c->code[i - 1].op == KVMPROF_OP_ARCH) ||
			   (i + 1 < c->n && c->code[i + 1].op == KVMPROF_OP_ARCH);

	if (next_to_kernel)
		fprintf(out, " /* %" PRIu64 ".%" PRIu64 ".%" PRIu64 " */", v >> 16,
			(v >> 8) & 0xff, v & 0xff);
	else if (next_to_arch && arch_c_name(v))
		fprintf(out, " /* %s */", arch_c_name(v));
}

static void emit_cond(struct cgen *g, const char *name, const struct cond_code *c,
		      const char *text, struct srcpos pos)
{
	FILE *out = g->out;
	char *origin = origin_of(pos);
	char label[64];

	snprintf(label, sizeof(label), "%s_text", name);
	declare_long_string(g, label, text);
	snprintf(label, sizeof(label), "%s_origin", name);
	declare_long_string(g, label, origin);

	fputs("/* requires: ", out);
	put_comment_text(out, text, COMMENT_MAX);
	fprintf(out, " */\nstatic const struct kvmprof_insn %s_%s_code[] = {\n", g->sym, name);
	for (int i = 0; i < c->n; i++) {
		const struct kvmprof_insn *in = &c->code[i];

		fputs("\t{ .op = ", out);
		put_named(out, in->op, NAME_OF(op_names, (int)in->op));
		fputs(", .arg = ", out);
		if (in->op == KVMPROF_OP_CAP) {
			const struct regdb_sym *s =
				regdb_sym_by_value(REGDB_SYM_CAP, in->arg, g->p->arch);

			put_named(out, in->arg, s ? s->name : NULL);
		} else {
			fprintf(out, "0x%" PRIx64 "ull", in->arg);
			if (in->op == KVMPROF_OP_CONST)
				put_const_meaning(out, c, i);
		}
		fputs(" },\n", out);
	}
	fputs("};\n", out);
	fprintf(out, "static const struct kvmprof_cond %s_%s = {\n\t.text = ", g->sym, name);
	snprintf(label, sizeof(label), "%s_text", name);
	put_string(g, label, text, 2);
	fputs(",\n\t.origin = ", out);
	snprintf(label, sizeof(label), "%s_origin", name);
	put_string(g, label, origin, 2);
	fprintf(out, ",\n\t.code = %s_%s_code,\n\t.n_code = %d,\n};\n\n", g->sym, name, c->n);
	free(origin);
}

/* Quirk and x2APIC flag entries are bit sets: name the bits. */
static void put_bit_names(struct cgen *g, const struct pentry *e, uint64_t bits)
{
	int kind = e->kind == KVMPROF_KIND_QUIRKS ? REGDB_SYM_QUIRK :
		   e->kind == KVMPROF_KIND_X2APIC_API ? REGDB_SYM_X2APIC_FLAG : 0;
	const char *sep = " /* ";

	if (!kind || !bits || e->mask == ~0ull)
		return;
	for (unsigned bit = 0; bit < 64; bit++) {
		const struct regdb_sym *s;

		if (!(bits >> bit & 1))
			continue;
		s = regdb_sym_by_value(kind, bit, g->p->arch);
		fputs(sep, g->out);
		if (s)
			put_comment_text(g->out, s->name, COMMENT_MAX);
		else
			fprintf(g->out, "bit %u", bit);
		sep = " | ";
	}
	fputs(" */", g->out);
}

static void emit_entry(struct cgen *g, size_t idx, const struct pentry *e)
{
	FILE *out = g->out;
	char *origin = origin_of(e->pos);
	char label[64];

	fprintf(out, "\t[%zu] = {", idx);
	put_comment(out, e->note);
	fputs("\n\t\t.name = ", out);
	snprintf(label, sizeof(label), "entry_%zu_name", idx);
	put_string(g, label, e->name, 3);
	fputs(",\n\t\t.origin = ", out);
	snprintf(label, sizeof(label), "entry_%zu_origin", idx);
	put_string(g, label, origin, 3);
	fputs(",\n\t\t.kind = ", out);
	put_named(out, (uint64_t)e->kind, NAME_OF(kind_names, e->kind));
	fputs(",\n\t\t.phase = ", out);
	put_named(out, (uint64_t)e->phase, NAME_OF(phase_names, e->phase));
	fputs(",\n\t\t.policy = ", out);
	put_named(out, (uint64_t)e->policy, NAME_OF(policy_names, e->policy));
	fprintf(out, ",\n\t\t.width = %d,\n", e->width);
	if (e->kind == KVMPROF_KIND_CPUID || e->cpuid_reg) {
		fputs("\t\t.reg = ", out);
		put_named(out, (uint64_t)e->cpuid_reg, NAME_OF(cpuid_reg_names, e->cpuid_reg));
		fputs(",\n", out);
	}
	fprintf(out, "\t\t.flags = 0x%xu", e->flags);
	if (e->flags & KVMPROF_ENTRY_OPTIONAL)
		fputs(" /* KVMPROF_ENTRY_OPTIONAL */", out);
	fputs(",\n", out);
	if (e->kind == KVMPROF_KIND_DEVICE_ATTR || e->group) {
		fprintf(out, "\t\t.group = 0x%" PRIx32 "u", e->group);
		if (e->kind == KVMPROF_KIND_DEVICE_ATTR && vgic_group_name(e->group))
			fprintf(out, " /* %s */", vgic_group_name(e->group));
		fputs(",\n", out);
	}
	if (e->kind == KVMPROF_KIND_DEVICE_ATTR || e->kind == KVMPROF_KIND_CPUID || e->aux) {
		fprintf(out, "\t\t.aux = 0x%" PRIx32 "u", e->aux);
		if (e->kind == KVMPROF_KIND_DEVICE_ATTR && device_type_name(e->aux))
			fprintf(out, " /* %s */", device_type_name(e->aux));
		if (e->kind == KVMPROF_KIND_CPUID && e->aux == 1)
			fputs(" /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX */", out);
		fputs(",\n", out);
	}
	fputs("\t\t.id = ", out);
	if (e->kind == KVMPROF_KIND_ENABLE_CAP || e->kind == KVMPROF_KIND_QUIRKS ||
	    e->kind == KVMPROF_KIND_X2APIC_API || e->kind == KVMPROF_KIND_VCPU_FEATURE)
		fprintf(out, "%" PRIu64, e->id); /* KVM's headers number caps in decimal */
	else
		fprintf(out, "0x%" PRIx64 "ull", e->id);
	put_comment(out, e->name);
	fprintf(out, ",\n\t\t.value = 0x%" PRIx64 "ull", e->value);
	put_bit_names(g, e, e->value & e->mask);
	fprintf(out, ",\n\t\t.mask = 0x%" PRIx64 "ull", e->mask);
	put_bit_names(g, e, e->mask);
	fputs(",\n", out);
	if (e->kind == KVMPROF_KIND_ENABLE_CAP || e->args[0] || e->args[1] || e->args[2] ||
	    e->args[3])
		fprintf(out, "\t\t.args = { 0x%" PRIx64 "ull, 0x%" PRIx64 "ull, 0x%" PRIx64
			"ull, 0x%" PRIx64 "ull },\n",
			e->args[0], e->args[1], e->args[2], e->args[3]);
	if (e->n_fields)
		fprintf(out, "\t\t.fields = %s_fields_%zu,\n\t\t.n_fields = %zu,\n", g->sym, idx,
			e->n_fields);
	if (g->entry_conds[idx].n) {
		fprintf(out, "\t\t.requires = &%s_cond_%zu,", g->sym, idx);
		put_comment(out, e->requires_text);
		fputc('\n', out);
	}
	fputs("\t},\n", out);
	free(origin);
}

static void emit_profile(struct cgen *g, const char *hash, size_t n_regset)
{
	const struct profile *p = g->p;
	FILE *out = g->out;
	char *provenance = flatten_provenance(p);

	declare_long_string(g, "name", p->name);
	declare_long_string(g, "description", p->description);
	declare_long_string(g, "provenance", provenance);

	fprintf(out, "const struct kvmprof_profile %s = {\n", g->sym);
	fprintf(out, "\t.magic = 0x%xu /* KVMPROF_TABLE_MAGIC */,\n", KVMPROF_TABLE_MAGIC);
	fprintf(out, "\t.abi = %u /* KVMPROF_TABLE_ABI */,\n", KVMPROF_TABLE_ABI);
	fputs("\t.sizeof_profile = sizeof(struct kvmprof_profile),\n", out);
	fputs("\t.sizeof_entry = sizeof(struct kvmprof_entry),\n", out);
	fprintf(out, "\t.format_version = %d,\n\t.arch = ", p->format_version);
	put_named(out, (uint64_t)p->arch, arch_c_name((uint64_t)p->arch));
	fputs(",\n\t.name = ", out);
	put_string(g, "name", p->name, 2);
	fputs(",\n\t.description = ", out);
	put_string(g, "description", p->description, 2);
	fputs(",\n\t.provenance = ", out);
	put_string(g, "provenance", provenance, 2);
	fprintf(out, ",\n\t.source_hash = \"%s\",\n", hash);
	if (g->profile_cond.n) {
		fprintf(out, "\t.requires = &%s_cond_profile,", g->sym);
		put_comment(out, p->requires_text);
		fputc('\n', out);
	} else {
		fputs("\t.requires = NULL,\n", out);
	}
	if (p->n_entries)
		fprintf(out, "\t.entries = %s_entries,\n", g->sym);
	else
		fputs("\t.entries = NULL,\n", out);
	fprintf(out, "\t.n_entries = %zu,\n\t.phase_start = {", p->n_entries);
	for (int i = 0; i <= KVMPROF_PHASE_COUNT; i++)
		fprintf(out, "%s%" PRIu32, i ? ", " : " ", g->phase_start[i]);
	fputs(" }, /* vm, vcpu-init, vcpu-regs, device, end */\n", out);
	if (n_regset)
		fprintf(out, "\t.register_set = %s_register_set,\n\t.n_register_set = %zu,\n", g->sym, n_regset);
	fputs("};\n", out);
	free(provenance);
}

/* vcpu: register-set:, sorted by id, for kvmprof_migration_check(). */
static void emit_regset(struct cgen *g, const struct host_facts *h)
{
	static const char *const regset_policy_names[] = { "unstated", "required", "tolerated", "hidden" };

	fprintf(g->out, "static const struct kvmprof_regset_entry %s_register_set[] = {\n", g->sym);
	for (size_t i = 0; i < h->n_regset; i++) {
		const struct host_regset_entry *e = &h->regset[i];

		fprintf(g->out, "\t{ 0x%" PRIx64 "ull, ", e->id);
		put_literal(g->out, e->name, 2);
		fprintf(g->out, ", %d /* %s */, 0 },\n", e->policy, regset_policy_names[e->policy & 3]);
	}
	fputs("};\n\n", g->out);
}

static void cgen_fini(struct cgen *g)
{
	free(g->sym);
	free(g->entry_conds);
}

int cgen_emit_c(const struct profile *p, const struct cgen_opts *o, FILE *out, struct diag *d)
{
	struct cgen g = { .out = out, .p = p, .d = d };
	struct host_facts regset;
	char hash[32];

	if (prepare(&g, p, o)) {
		cgen_fini(&g);
		return -1;
	}
	profile_hash(p, hash);
	emit_banner(&g, o, hash);
	fputs("#include \"kvmprof.h\"\n", out);
	if (g.header_name)
		fprintf(out, "#include \"%s\"\n", g.header_name);
	fprintf(out, "\n#if KVMPROF_TABLE_ABI != %u\n"
		"#error \"generated for kvmprof table ABI %u: regenerate with a matching kvmprof\"\n"
		"#endif\n\n", KVMPROF_TABLE_ABI, KVMPROF_TABLE_ABI);

	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];
		char name[32];

		if (e->n_fields)
			emit_fields(&g, i, e);
		if (g.entry_conds[i].n) {
			snprintf(name, sizeof(name), "cond_%zu", i);
			emit_cond(&g, name, &g.entry_conds[i], e->requires_text, e->requires_pos);
		}
	}
	if (g.profile_cond.n)
		emit_cond(&g, "cond_profile", &g.profile_cond, p->requires_text, p->requires_pos);

	if (p->n_entries) {
		for (size_t i = 0; i < p->n_entries; i++) {
			char label[64], *origin = origin_of(p->entries[i].pos);

			snprintf(label, sizeof(label), "entry_%zu_name", i);
			declare_long_string(&g, label, p->entries[i].name);
			snprintf(label, sizeof(label), "entry_%zu_origin", i);
			declare_long_string(&g, label, origin);
			free(origin);
		}
		fprintf(out, "static const struct kvmprof_entry %s_entries[] = {\n", g.sym);
		for (size_t i = 0; i < p->n_entries; i++)
			emit_entry(&g, i, &p->entries[i]);
		fputs("};\n\n", out);
	}
	if (host_regset_of_profile(p, &regset, d)) {
		host_facts_free(&regset);
		cgen_fini(&g);
		return -1;
	}
	if (regset.n_regset)
		emit_regset(&g, &regset);
	emit_profile(&g, hash, regset.n_regset);
	host_facts_free(&regset);
	cgen_fini(&g);
	if (ferror(out)) {
		diag_error(d, p->pos, "cgen", "write error");
		return -1;
	}
	return 0;
}

int cgen_emit_h(const struct profile *p, const struct cgen_opts *o, FILE *out, struct diag *d)
{
	struct cgen g = { .out = out, .p = p, .d = d };
	char hash[32];

	if (prepare(&g, p, o)) {
		cgen_fini(&g);
		return -1;
	}
	profile_hash(p, hash);
	emit_banner(&g, o, hash);
	fputs("#ifndef KVMPROF_GEN_", out);
	for (const char *c = g.sym; *c; c++)
		fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, out);
	fputs("_H\n#define KVMPROF_GEN_", out);
	for (const char *c = g.sym; *c; c++)
		fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, out);
	fprintf(out, "_H\n\n#include \"kvmprof.h\"\n\n"
		"#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
		"extern const struct kvmprof_profile %s;\n\n"
		"#ifdef __cplusplus\n}\n#endif\n\n#endif /* KVMPROF_GEN_", g.sym);
	for (const char *c = g.sym; *c; c++)
		fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, out);
	fputs("_H */\n", out);
	cgen_fini(&g);
	if (ferror(out)) {
		diag_error(d, p->pos, "cgen", "write error");
		return -1;
	}
	return 0;
}
