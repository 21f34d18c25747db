/* SPDX-License-Identifier: MIT */
/*
 * c_out.c - emits a resolved profile as the C tables of runtime/kvmprof.h.
 *
 * The output is meant to be boring and reviewable: designated initializers,
 * numbers with their symbolic names in comments, byte-identical for the same
 * input (no timestamps, no absolute paths). Every byte that comes from the
 * profile goes either into a string literal, escaped so that it cannot end
 * the literal, or into a one-line comment, sanitised so that it cannot end
 * the comment. It prints what model/tables.c lowers (tables_build_portable):
 * the model is lowered once, for the C writer and for check alike; the model
 * itself only adds comments (notes, field values). Everything is lowered and
 * validated before the first byte is written, so a failed run leaves no
 * half-written table behind.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_compat.h"
#include "profile.h"
#include "tables.h"

#define SYMBOL_PREFIX "kvmprof_profile_"
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
	case KVMPROF_DEV_TYPE_ARM_VGIC_V2: return "KVM_DEV_TYPE_ARM_VGIC_V2";
	case KVMPROF_DEV_TYPE_ARM_VGIC_V3: return "KVM_DEV_TYPE_ARM_VGIC_V3";
	case KVMPROF_DEV_TYPE_ARM_VGIC_ITS: return "KVM_DEV_TYPE_ARM_VGIC_ITS";
	default: return NULL;
	}
}

static const char *vgic_group_name(uint32_t group)
{
	switch (group) {
	case KVMPROF_VGIC_GRP_DIST_REGS: return "KVM_DEV_ARM_VGIC_GRP_DIST_REGS";
	case KVMPROF_VGIC_GRP_CPU_REGS: return "KVM_DEV_ARM_VGIC_GRP_CPU_REGS";
	case KVMPROF_VGIC_GRP_REDIST_REGS: return "KVM_DEV_ARM_VGIC_GRP_REDIST_REGS";
	case KVMPROF_VGIC_GRP_CPU_SYSREGS: return "KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS";
	default: return NULL;
	}
}

struct cgen {
	FILE *out;
	const struct profile *p;
	struct tables t; /* p lowered, with portable origins */
	char *sym;
	const char *header_name; /* NULL: none */
	struct diag *d;
};

/* ---- small string helpers --------------------------------------------- */

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

/* ---- options ------------------------------------------------------------ */

/* The symbol and header name, then the lowering (tables.c reports what it rejects). */
static int prepare(struct cgen *g, const struct profile *p, const struct cgen_opts *o, int lower)
{
	int ok = 1;

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
	g->header_name = o ? tables_portable_path(o->header_name) : NULL;
	if (g->header_name && !is_plain_header_name(g->header_name)) {
		diag_error(g->d, p->pos, "cgen",
			   "header name '%s' must be a plain file name ([A-Za-z0-9_+-./])",
			   g->header_name);
		ok = 0;
	}
	if (ok && lower && tables_build_portable(p, 1, &g->t, g->d))
		ok = 0;
	return ok ? 0 : -1;
}

/* ---- emission ----------------------------------------------------------- */

static void emit_banner(struct cgen *g, const struct cgen_opts *o, const char *hash)
{
	const char *label = o && o->source_label ? o->source_label : g->p->file;

	label = tables_portable_path(label);
	fputs("/*\n * Generated by kvmprof " KVMPROF_VERSION_STRING " from ", g->out);
	put_comment_text(g->out, label ? label : "<input>", COMMENT_MAX);
	fputs("; do not edit.\n *\n * profile: ", g->out);
	put_comment_text(g->out, g->p->name, COMMENT_MAX);
	fprintf(g->out, "\n * hash:    %s\n */\n", hash);
}

/* Entry idx's fields; e (the model) gives each field's value for a comment. */
static void emit_fields(struct cgen *g, size_t idx, const struct kvmprof_entry *k, const struct pentry *e)
{
	FILE *out = g->out;

	for (uint32_t i = 0; i < k->n_fields; i++) {
		char label[64];

		snprintf(label, sizeof(label), "fields_%zu_%u_name", idx, i);
		declare_long_string(g, label, k->fields[i].name);
	}
	fprintf(out, "/* %zu: ", idx);
	put_comment_text(out, k->name, COMMENT_MAX);
	fprintf(out, " */\nstatic const struct kvmprof_field %s_fields_%zu[] = {\n", g->sym, idx);
	for (uint32_t i = 0; i < k->n_fields; i++) {
		const struct kvmprof_field *f = &k->fields[i];
		char label[64];

		snprintf(label, sizeof(label), "fields_%zu_%u_name", idx, i);
		fputs("\t{ .name = ", out);
		put_string(g, label, f->name, 2);
		fprintf(out, ", .shift = %u, .width = %u, .policy = ", (unsigned)f->shift,
			(unsigned)f->width);
		put_named(out, f->policy, NAME_OF(policy_names, (int)f->policy));
		fprintf(out, ", .flags = 0x%xu", (unsigned)f->flags);
		if (f->flags & KVMPROF_FIELD_SIGNED)
			fputs(" /* KVMPROF_FIELD_SIGNED */", out);
		fprintf(out, " }, /* = 0x%" PRIx64 " */\n", e->fields[i].value);
	}
	fputs("};\n\n", out);
}

/* Kernel versions and arch numbers next to what they are compared with. */
static void put_const_meaning(FILE *out, const struct kvmprof_insn *code, uint32_t n, uint32_t i)
{
	uint64_t v = code[i].arg;
	int next_to_kernel = (i > 0 && code[i - 1].op == KVMPROF_OP_KERNEL) ||
			     (i + 1 < n && code[i + 1].op == KVMPROF_OP_KERNEL);
	int next_to_arch = (i > 0 && code[i - 1].op == KVMPROF_OP_ARCH) ||
			   (i + 1 < n && code[i + 1].op == KVMPROF_OP_ARCH);

	if (next_to_kernel)
		fprintf(out, " /* %" PRIu64 ".%" PRIu64 ".%" PRIu64 " */", v >> 16,
			(v >> 8) & 0xff, v & 0xff);
	else if (next_to_arch && arch_c_name(v))
		fprintf(out, " /* %s */", arch_c_name(v));
}

static void emit_cond(struct cgen *g, const char *name, const struct kvmprof_cond *c)
{
	FILE *out = g->out;
	char label[64];

	snprintf(label, sizeof(label), "%s_text", name);
	declare_long_string(g, label, c->text);
	snprintf(label, sizeof(label), "%s_origin", name);
	declare_long_string(g, label, c->origin);

	fputs("/* requires: ", out);
	put_comment_text(out, c->text, COMMENT_MAX);
	fprintf(out, " */\nstatic const struct kvmprof_insn %s_%s_code[] = {\n", g->sym, name);
	for (uint32_t i = 0; i < c->n_code; i++) {
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
				put_const_meaning(out, c->code, c->n_code, i);
		}
		fputs(" },\n", out);
	}
	fputs("};\n", out);
	fprintf(out, "static const struct kvmprof_cond %s_%s = {\n\t.text = ", g->sym, name);
	snprintf(label, sizeof(label), "%s_text", name);
	put_string(g, label, c->text, 2);
	fputs(",\n\t.origin = ", out);
	snprintf(label, sizeof(label), "%s_origin", name);
	put_string(g, label, c->origin, 2);
	fprintf(out, ",\n\t.code = %s_%s_code,\n\t.n_code = %u,\n};\n\n", g->sym, name, c->n_code);
}

/* Quirk and x2APIC flag entries are bit sets: name the bits. */
static void put_bit_names(struct cgen *g, const struct kvmprof_entry *k, uint64_t bits)
{
	int kind = k->kind == KVMPROF_KIND_QUIRKS ? REGDB_SYM_QUIRK :
		   k->kind == KVMPROF_KIND_X2APIC_API ? REGDB_SYM_X2APIC_FLAG : 0;
	const char *sep = " /* ";

	if (!kind || !bits || k->mask == ~0ull)
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

/* Entry idx; the model (e) adds its note as a comment. */
static void emit_entry(struct cgen *g, size_t idx, const struct kvmprof_entry *k, const struct pentry *e)
{
	FILE *out = g->out;
	char label[64];

	fprintf(out, "\t[%zu] = {", idx);
	put_comment(out, e->note);
	fputs("\n\t\t.name = ", out);
	snprintf(label, sizeof(label), "entry_%zu_name", idx);
	put_string(g, label, k->name, 3);
	fputs(",\n\t\t.origin = ", out);
	snprintf(label, sizeof(label), "entry_%zu_origin", idx);
	put_string(g, label, k->origin, 3);
	fputs(",\n\t\t.kind = ", out);
	put_named(out, (uint64_t)k->kind, NAME_OF(kind_names, (int)k->kind));
	fputs(",\n\t\t.phase = ", out);
	put_named(out, (uint64_t)k->phase, NAME_OF(phase_names, (int)k->phase));
	fputs(",\n\t\t.policy = ", out);
	put_named(out, (uint64_t)k->policy, NAME_OF(policy_names, (int)k->policy));
	fprintf(out, ",\n\t\t.width = %u,\n", (unsigned)k->width);
	if (k->kind == KVMPROF_KIND_CPUID || k->reg) {
		fputs("\t\t.reg = ", out);
		put_named(out, (uint64_t)k->reg, NAME_OF(cpuid_reg_names, (int)k->reg));
		fputs(",\n", out);
	}
	fprintf(out, "\t\t.flags = 0x%xu", (unsigned)k->flags);
	if (k->flags & KVMPROF_ENTRY_OPTIONAL)
		fputs(" /* KVMPROF_ENTRY_OPTIONAL */", out);
	fputs(",\n", out);
	if (k->kind == KVMPROF_KIND_DEVICE_ATTR || k->group) {
		fprintf(out, "\t\t.group = 0x%" PRIx32 "u", k->group);
		if (k->kind == KVMPROF_KIND_DEVICE_ATTR && vgic_group_name(k->group))
			fprintf(out, " /* %s */", vgic_group_name(k->group));
		fputs(",\n", out);
	}
	if (k->kind == KVMPROF_KIND_DEVICE_ATTR || k->kind == KVMPROF_KIND_CPUID || k->aux) {
		fprintf(out, "\t\t.aux = 0x%" PRIx32 "u", k->aux);
		if (k->kind == KVMPROF_KIND_DEVICE_ATTR && device_type_name(k->aux))
			fprintf(out, " /* %s */", device_type_name(k->aux));
		if (k->kind == KVMPROF_KIND_CPUID && k->aux == KVMPROF_CPUID_FLAG_SIGNIFICANT_INDEX)
			fputs(" /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX */", out);
		fputs(",\n", out);
	}
	fputs("\t\t.id = ", out);
	if (k->kind == KVMPROF_KIND_ENABLE_CAP || k->kind == KVMPROF_KIND_QUIRKS ||
	    k->kind == KVMPROF_KIND_X2APIC_API || k->kind == KVMPROF_KIND_VCPU_FEATURE)
		fprintf(out, "%" PRIu64, k->id); /* KVM's headers number caps in decimal */
	else
		fprintf(out, "0x%" PRIx64 "ull", k->id);
	put_comment(out, k->name);
	fprintf(out, ",\n\t\t.value = 0x%" PRIx64 "ull", k->value);
	put_bit_names(g, k, k->value & k->mask);
	fprintf(out, ",\n\t\t.mask = 0x%" PRIx64 "ull", k->mask);
	put_bit_names(g, k, k->mask);
	fputs(",\n", out);
	if (k->kind == KVMPROF_KIND_ENABLE_CAP || k->args[0] || k->args[1] || k->args[2] ||
	    k->args[3])
		fprintf(out, "\t\t.args = { 0x%" PRIx64 "ull, 0x%" PRIx64 "ull, 0x%" PRIx64
			"ull, 0x%" PRIx64 "ull },\n",
			k->args[0], k->args[1], k->args[2], k->args[3]);
	if (k->n_fields)
		fprintf(out, "\t\t.fields = %s_fields_%zu,\n\t\t.n_fields = %u,\n", g->sym, idx,
			k->n_fields);
	if (k->vm_scope_since)
		fprintf(out, "\t\t.vm_scope_since = 0x%" PRIx32 "u, /* %u.%u: one value per VM in KVM */\n",
			k->vm_scope_since, (unsigned)(k->vm_scope_since >> 16), (unsigned)((k->vm_scope_since >> 8) & 0xff));
	if (k->requires) {
		fprintf(out, "\t\t.requires = &%s_cond_%zu,", g->sym, idx);
		put_comment(out, k->requires->text);
		fputc('\n', out);
	}
	fputs("\t},\n", out);
}

static void emit_profile(struct cgen *g)
{
	const struct kvmprof_profile *kp = &g->t.profile;
	FILE *out = g->out;

	declare_long_string(g, "name", kp->name);
	declare_long_string(g, "description", kp->description);
	declare_long_string(g, "provenance", kp->provenance);

	fprintf(out, "const struct kvmprof_profile %s = {\n", g->sym);
	fprintf(out, "\t.magic = 0x%xu /* KVMPROF_TABLE_MAGIC */,\n", KVMPROF_TABLE_MAGIC);
	fprintf(out, "\t.abi = %u /* KVMPROF_TABLE_ABI */,\n", KVMPROF_TABLE_ABI);
	fputs("\t.sizeof_profile = sizeof(struct kvmprof_profile),\n", out);
	fputs("\t.sizeof_entry = sizeof(struct kvmprof_entry),\n", out);
	fprintf(out, "\t.format_version = %u,\n\t.arch = ", kp->format_version);
	put_named(out, (uint64_t)kp->arch, arch_c_name((uint64_t)kp->arch));
	fputs(",\n\t.name = ", out);
	put_string(g, "name", kp->name, 2);
	fputs(",\n\t.description = ", out);
	put_string(g, "description", kp->description, 2);
	fputs(",\n\t.provenance = ", out);
	put_string(g, "provenance", kp->provenance, 2);
	fprintf(out, ",\n\t.source_hash = \"%s\",\n", kp->source_hash);
	if (kp->requires) {
		fprintf(out, "\t.requires = &%s_cond_profile,", g->sym);
		put_comment(out, kp->requires->text);
		fputc('\n', out);
	} else {
		fputs("\t.requires = NULL,\n", out);
	}
	if (kp->n_entries)
		fprintf(out, "\t.entries = %s_entries,\n", g->sym);
	else
		fputs("\t.entries = NULL,\n", out);
	fprintf(out, "\t.n_entries = %u,\n\t.phase_start = {", kp->n_entries);
	for (int i = 0; i <= KVMPROF_PHASE_COUNT; i++)
		fprintf(out, "%s%" PRIu32, i ? ", " : " ", kp->phase_start[i]);
	fputs(" }, /* vm, vcpu-init, vcpu-regs, device, end */\n", out);
	if (kp->n_register_set)
		fprintf(out, "\t.register_set = %s_register_set,\n\t.n_register_set = %u,\n", g->sym,
			kp->n_register_set);
	fputs("};\n", out);
}

/* vcpu: register-set:, sorted by id, for kvmprof_migration_check(). */
static void emit_regset(struct cgen *g)
{
	static const char *const regset_policy_names[] = { "unstated", "required", "tolerated", "hidden" };
	const struct kvmprof_profile *kp = &g->t.profile;

	fprintf(g->out, "static const struct kvmprof_regset_entry %s_register_set[] = {\n", g->sym);
	for (uint32_t i = 0; i < kp->n_register_set; i++) {
		const struct kvmprof_regset_entry *e = &kp->register_set[i];

		fprintf(g->out, "\t{ 0x%" PRIx64 "ull, ", e->id);
		put_literal(g->out, e->name, 2);
		fprintf(g->out, ", %u /* %s */, 0 },\n", e->policy, regset_policy_names[e->policy & 3]);
	}
	fputs("};\n\n", g->out);
}

static void cgen_fini(struct cgen *g)
{
	free(g->sym);
	tables_free(&g->t);
}

int cgen_emit_c(const struct profile *p, const struct cgen_opts *o, FILE *out, struct diag *d)
{
	struct cgen g = { .out = out, .p = p, .d = d };
	const struct kvmprof_profile *kp = &g.t.profile;

	if (prepare(&g, p, o, 1)) {
		cgen_fini(&g);
		return -1;
	}
	emit_banner(&g, o, kp->source_hash);
	fputs("#include \"kvmprof.h\"\n", out);
	if (g.header_name)
		fprintf(out, "#include \"%s\"\n", g.header_name);
	fprintf(out, "\n#if KVMPROF_TABLE_ABI != %u\n"
		"#error \"generated for kvmprof table ABI %u: regenerate with a matching kvmprof\"\n"
		"#endif\n\n", KVMPROF_TABLE_ABI, KVMPROF_TABLE_ABI);

	for (size_t i = 0; i < kp->n_entries; i++) {
		const struct kvmprof_entry *k = &kp->entries[i];
		char name[32];

		if (k->n_fields)
			emit_fields(&g, i, k, &p->entries[i]);
		if (k->requires) {
			snprintf(name, sizeof(name), "cond_%zu", i);
			emit_cond(&g, name, k->requires);
		}
	}
	if (kp->requires)
		emit_cond(&g, "cond_profile", kp->requires);

	if (kp->n_entries) {
		for (size_t i = 0; i < kp->n_entries; i++) {
			char label[64];

			snprintf(label, sizeof(label), "entry_%zu_name", i);
			declare_long_string(&g, label, kp->entries[i].name);
			snprintf(label, sizeof(label), "entry_%zu_origin", i);
			declare_long_string(&g, label, kp->entries[i].origin);
		}
		fprintf(out, "static const struct kvmprof_entry %s_entries[] = {\n", g.sym);
		for (size_t i = 0; i < kp->n_entries; i++)
			emit_entry(&g, i, &kp->entries[i], &p->entries[i]);
		fputs("};\n\n", out);
	}
	if (kp->n_register_set)
		emit_regset(&g);
	emit_profile(&g);
	cgen_fini(&g);
	if (ferror(out)) {
		diag_error(d, p->pos, "io", "write error");
		return -1;
	}
	return 0;
}

int cgen_emit_h(const struct profile *p, const struct cgen_opts *o, FILE *out, struct diag *d)
{
	struct cgen g = { .out = out, .p = p, .d = d };
	char hash[32];

	if (prepare(&g, p, o, 0)) {
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
		diag_error(d, p->pos, "io", "write error");
		return -1;
	}
	return 0;
}
