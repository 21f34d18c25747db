/* SPDX-License-Identifier: MIT */
/* explain.c - `kvmprof explain NAME`: what the register database knows of a name. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* Where the verb writes (cmd_explain's streams). */
static FILE *out_f, *err_f;

static const char *arch_name(int arch)
{
	return arch ? regdb_arch_name(arch) : "any";
}

static const char *space_name(int space)
{
	switch (space) {
	case REGDB_ARM64_SYSREG: return "arm64 system register (KVM_SET_ONE_REG)";
	case REGDB_ARM64_FW: return "arm64 firmware pseudo-register (KVM_SET_ONE_REG)";
	case REGDB_ARM64_DEMUX: return "arm64 demultiplexed register (KVM_SET_ONE_REG)";
	case REGDB_VGIC_V3_DIST: return "vGICv3 distributor register (KVM_SET_DEVICE_ATTR, group DIST_REGS)";
	case REGDB_VGIC_V3_REDIST: return "vGICv3 redistributor register (KVM_SET_DEVICE_ATTR, group REDIST_REGS)";
	case REGDB_VGIC_V2_DIST: return "vGICv2 distributor register (KVM_SET_DEVICE_ATTR, group DIST_REGS)";
	case REGDB_X86_CPUID: return "x86 CPUID register (KVM_SET_CPUID2)";
	case REGDB_X86_MSR: return "x86 MSR (KVM_SET_MSRS)";
	default: return "?";
	}
}

static const char *sym_kind_name(int kind)
{
	switch (kind) {
	case REGDB_SYM_CAP: return "KVM capability";
	case REGDB_SYM_QUIRK: return "x86 quirk (KVM_CAP_DISABLE_QUIRKS2 bit)";
	case REGDB_SYM_X2APIC_FLAG: return "KVM_CAP_X2APIC_API flag bit";
	case REGDB_SYM_VCPU_FEATURE: return "arm64 vCPU feature (KVM_ARM_VCPU_INIT bit)";
	case REGDB_SYM_MIDR_PART: return "arm64 core, (MIDR_EL1.Implementer << 12) | PartNum";
	default: return "?";
	}
}

/* KVM's rule for writing an arm64 ID field (the database's reading of cpufeature.c). */
static const char *write_rule(unsigned flags, char *buf, size_t len)
{
	if (flags & REGDB_F_LOWER_SAFE)
		return "lower is safe";
	if (flags & REGDB_F_HIGHER_SAFE)
		return "higher is safe";
	if (flags & REGDB_F_HIGHER_OR_ZERO_SAFE)
		return "higher or 0 is safe";
	if (flags & REGDB_F_EXACT) {
		snprintf(buf, len, "exact (KVM's value or %u)", REGDB_F_EXACT_SAFE(flags));
		return buf;
	}
	return NULL;
}

static void explain_field(const struct regdb_reg *r, const struct regdb_field *f)
{
	char buf[48];
	const char *rule = write_rule(f->flags, buf, sizeof(buf));

	fprintf(out_f, "%s.%s: bits %u:%u of %s%s%s%s%s\n", r->name, f->name, f->shift + f->width - 1, f->shift, r->name,
	       (f->flags & REGDB_F_SIGNED) ? ", signed" : "",
	       (f->flags & REGDB_F_PER_VCPU) ? ", per vCPU (the VMM's; a whole value leaves it out)" : "",
	       rule ? ", " : "", rule ? rule : "");
	if (f->doc && *f->doc)
		fprintf(out_f, "  %s\n", f->doc);
}

static void explain_reg(const struct regdb_reg *r)
{
	fprintf(out_f, "%s: %s, %s, %u bits, id 0x%" PRIx64 "\n", r->name, space_name(r->space), arch_name(r->arch),
	       r->width, r->id);
	if (r->doc && *r->doc)
		fprintf(out_f, "  %s\n", r->doc);
	for (uint32_t i = 0; i < r->n_fields; i++) {
		const struct regdb_field *f = &r->fields[i];
		char buf[48];
		const char *rule = write_rule(f->flags, buf, sizeof(buf));
		fprintf(out_f, "  %-24s %2u:%-2u%s%s%s%s\n", f->name, f->shift + f->width - 1, f->shift,
		       (f->flags & REGDB_F_SIGNED) ? "  signed" : "", (f->flags & REGDB_F_PER_VCPU) ? "  per-vcpu" : "",
		       rule ? "  " : "", rule ? rule : "");
	}
	if (r->history && *r->history)
		fprintf(out_f, "  history: %s\n", r->history);
	if (r->source && *r->source)
		fprintf(out_f, "  source: %s\n", r->source);
}

static void explain_sym(const struct regdb_sym *s)
{
	if (s->kind == REGDB_SYM_MIDR_PART)
		fprintf(out_f, "%s: %s 0x%05" PRIx64 " (%s)\n", s->name, sym_kind_name(s->kind), s->value, arch_name(s->arch));
	else
		fprintf(out_f, "%s: %s %" PRIu64 " (%s)\n", s->name, sym_kind_name(s->kind), s->value, arch_name(s->arch));
	if (s->doc && *s->doc)
		fprintf(out_f, "  %s\n", s->doc);
	if (s->history && *s->history)
		fprintf(out_f, "  history: %s\n", s->history);
	if (s->source && *s->source)
		fprintf(out_f, "  source: %s\n", s->source);
}

static void usage_explain(FILE *f)
{
	fputs("usage: kvmprof explain NAME | REGISTER.FIELD | --list\n"
	      "What the register database knows: encoding, fields, meaning, the kernels that changed it,\n"
	      "and the public source of each fact. NAME is spelt as profiles spell it, case ignored:\n"
	      "  ID_AA64PFR0_EL1, ID_AA64PFR0_EL1.CSV2, CPUID.7.0.EBX, CPUID.0x7.0x0.EBX.AVX512F, MSR.0x10a,\n"
	      "  a field alone (AVX512F, CSV2), KVM_CAP_..., a quirk, an x2APIC flag, a vCPU feature,\n"
	      "  an arm64 core's MIDR_EL1 part number (0xd84) or whole MIDR_EL1 value (0x410fd4f1).\n"
	      "Exit status: 0 found, 1 not in the database, 2 usage.\n", f);
}

/* ---- names as profiles spell them ----------------------------------------------------- */

static const struct regdb_reg *reg_by_name_nocase(const char *name)
{
	const struct regdb_reg *r = regdb_reg_by_name(name, 0);

	for (size_t i = 0; !r && i < regdb_n_regs; i++)
		if (!strcasecmp(regdb_regs[i].name, name))
			r = &regdb_regs[i];
	return r;
}

static const struct regdb_field *field_by_name_nocase(const struct regdb_reg *r, const char *name)
{
	for (uint32_t i = 0; r && i < r->n_fields; i++)
		if (!strcasecmp(r->fields[i].name, name))
			return &r->fields[i];
	return NULL;
}

static int parse_number(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* CPUID.<leaf>.<subleaf>.<REG>[.<FIELD>] and MSR.<index>[.<FIELD>], numbers in any base. */
static const struct regdb_reg *reg_by_encoding(const char *name, const char **field)
{
	char buf[128], *parts[6];
	int n = 0;
	uint64_t a, b;

	*field = NULL;
	if (strlen(name) >= sizeof(buf))
		return NULL;
	strcpy(buf, name);
	for (char *tok = strtok(buf, "."); tok && n < 6; tok = strtok(NULL, "."))
		parts[n++] = tok;
	if (n >= 4 && n <= 5 && !strcasecmp(parts[0], "CPUID") && !parse_number(parts[1], &a) &&
	    !parse_number(parts[2], &b) && a <= UINT32_MAX && b <= UINT32_MAX) {
		static const char *const regs[] = { "EAX", "EBX", "ECX", "EDX" };
		for (int i = 0; i < 4; i++) {
			if (strcasecmp(parts[3], regs[i]))
				continue;
			const struct regdb_reg *r = regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_CPUID, (a << 32) | b, i);
			if (r && n == 5)
				*field = name + (parts[4] - buf);
			return r;
		}
	}
	if (n >= 2 && n <= 3 && !strcasecmp(parts[0], "MSR") && !parse_number(parts[1], &a)) {
		const struct regdb_reg *r = regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_MSR, a, 0);
		if (r && n == 3)
			*field = name + (parts[2] - buf);
		return r;
	}
	return NULL;
}

/* 0xd84 (a part number) or 0x410fd4f1 (a whole MIDR_EL1): the core from the database. */
static int explain_midr(const char *name)
{
	uint64_t v;
	int found = 0;

	if (strncasecmp(name, "0x", 2) || parse_number(name, &v) || v > UINT32_MAX)
		return 0;
	if (v <= 0xfff) {
		for (size_t i = 0; i < regdb_n_syms; i++) {
			const struct regdb_sym *s = &regdb_syms[i];
			if (s->kind == REGDB_SYM_MIDR_PART && (s->value & 0xfff) == v) {
				fprintf(out_f, "MIDR_EL1.PartNum 0x%03" PRIx64 " (Implementer 0x%02" PRIx64 "): ", v, s->value >> 12);
				explain_sym(s);
				found = 1;
			}
		}
		return found;
	}
	const struct regdb_sym *s = regdb_sym_by_value(REGDB_SYM_MIDR_PART, ((v >> 24) & 0xff) << 12 | ((v >> 4) & 0xfff),
						       KVMPROF_ARCH_ARM64);
	if (!s)
		return 0;
	fprintf(out_f, "MIDR_EL1 0x%08" PRIx64 ": Implementer 0x%02" PRIx64 ", Variant %" PRIu64 ", PartNum 0x%03" PRIx64
	       ", Revision %" PRIu64 " (r%" PRIu64 "p%" PRIu64 "): ",
	       v, (v >> 24) & 0xff, (v >> 20) & 0xf, (v >> 4) & 0xfff, v & 0xf, (v >> 20) & 0xf, v & 0xf);
	explain_sym(s);
	return 1;
}

/* Explains every meaning of name; 0 when it has none (after saying so, with a suggestion). */
static int explain_name(const char *name)
{
	const struct regdb_reg *r = reg_by_name_nocase(name);
	const char *field = NULL;
	int found = 0;

	if (!r)
		r = reg_by_encoding(name, &field);
	if (r && field) {
		const struct regdb_field *f = field_by_name_nocase(r, field);
		if (f) {
			explain_field(r, f);
			return 1;
		}
		r = NULL;
	}
	if (r) {
		explain_reg(r);
		found = 1;
	}
	for (size_t i = 0; i < regdb_n_syms; i++)
		if (!strcasecmp(regdb_syms[i].name, name)) {
			explain_sym(&regdb_syms[i]);
			found = 1;
		}
	if (found)
		return 1;
	/* REGISTER.FIELD */
	const char *dot = strrchr(name, '.');
	if (dot) {
		char reg[256];
		snprintf(reg, sizeof(reg), "%.*s", (int)(dot - name), name);
		r = reg_by_name_nocase(reg);
		const struct regdb_field *f = field_by_name_nocase(r, dot + 1);
		if (f) {
			explain_field(r, f);
			if (r->history && *r->history)
				fprintf(out_f, "  history of %s: %s\n", r->name, r->history);
			return 1;
		}
	}
	if (explain_midr(name))
		return 1;
	/* a field alone (AVX512F): every register that has it */
	for (size_t i = 0; i < regdb_n_regs; i++) {
		const struct regdb_field *f = field_by_name_nocase(&regdb_regs[i], name);
		if (f) {
			explain_field(&regdb_regs[i], f);
			found = 1;
		}
	}
	if (found)
		return 1;
	const char *near = regdb_suggest_reg(name, 0);
	for (int kind = REGDB_SYM_CAP; !near && kind <= REGDB_SYM_MIDR_PART; kind++)
		near = regdb_suggest_sym(kind, name, 0);
	if (near)
		fprintf(err_f, "kvmprof: explain: '%s' is not in the register database (did you mean %s? try --list)\n",
			name, near);
	else
		fprintf(err_f, "kvmprof: explain: '%s' is not in the register database (try --list)\n", name);
	return 0;
}

int cmd_explain(int argc, char **argv, FILE *out_stream, FILE *err_stream)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c, list = 0;

	out_f = out_stream;
	err_f = err_stream;
	while ((c = getopt_long(argc, argv, "lh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': list = 1; break;
		case 'h': usage_explain(out_f); return 0;
		default: usage_explain(err_f); return 2;
		}
	}
	if (list) {
		for (size_t i = 0; i < regdb_n_regs; i++)
			fprintf(out_f, "%-8s %s\n", arch_name(regdb_regs[i].arch), regdb_regs[i].name);
		for (size_t i = 0; i < regdb_n_syms; i++)
			fprintf(out_f, "%-8s %s\n", arch_name(regdb_syms[i].arch), regdb_syms[i].name);
		return 0;
	}
	if (optind != argc - 1) {
		usage_explain(err_f);
		return 2;
	}
	return explain_name(argv[optind]) ? 0 : 1;
}
