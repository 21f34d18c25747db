/* SPDX-License-Identifier: MIT */
/* explain.c - `kvmprof explain NAME`: what the register database knows of a name. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char *arch_name(int arch)
{
	return arch == KVMPROF_ARCH_ARM64 ? "arm64" : arch == KVMPROF_ARCH_X86_64 ? "x86_64" : "any";
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

	printf("%s.%s: bits %u:%u of %s%s%s%s\n", r->name, f->name, f->shift + f->width - 1, f->shift, r->name,
	       (f->flags & REGDB_F_SIGNED) ? ", signed" : "", rule ? ", " : "", rule ? rule : "");
	if (f->doc && *f->doc)
		printf("  %s\n", f->doc);
}

static void explain_reg(const struct regdb_reg *r)
{
	printf("%s: %s, %s, %u bits, id 0x%" PRIx64 "\n", r->name, space_name(r->space), arch_name(r->arch),
	       r->width, r->id);
	if (r->doc && *r->doc)
		printf("  %s\n", r->doc);
	for (uint32_t i = 0; i < r->n_fields; i++) {
		const struct regdb_field *f = &r->fields[i];
		char buf[48];
		const char *rule = write_rule(f->flags, buf, sizeof(buf));
		printf("  %-24s %2u:%-2u%s%s%s\n", f->name, f->shift + f->width - 1, f->shift,
		       (f->flags & REGDB_F_SIGNED) ? "  signed" : "", rule ? "  " : "", rule ? rule : "");
	}
	if (r->history && *r->history)
		printf("  history: %s\n", r->history);
	if (r->source && *r->source)
		printf("  source: %s\n", r->source);
}

static void explain_sym(const struct regdb_sym *s)
{
	printf("%s: %s %" PRIu64 " (%s)\n", s->name, sym_kind_name(s->kind), s->value, arch_name(s->arch));
	if (s->doc && *s->doc)
		printf("  %s\n", s->doc);
	if (s->history && *s->history)
		printf("  history: %s\n", s->history);
	if (s->source && *s->source)
		printf("  source: %s\n", s->source);
}

static void usage_explain(FILE *f)
{
	fputs("usage: kvmprof explain NAME | REGISTER.FIELD | --list\n"
	      "What the register database knows: encoding, fields, meaning, the kernels that changed it,\n"
	      "and the public source of each fact.\n", f);
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c, list = 0, found = 0;

	while ((c = getopt_long(argc, argv, "lh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': list = 1; break;
		case 'h': usage_explain(stdout); return 0;
		default: usage_explain(stderr); return 2;
		}
	}
	if (list) {
		for (size_t i = 0; i < regdb_n_regs; i++)
			printf("%-8s %s\n", arch_name(regdb_regs[i].arch), regdb_regs[i].name);
		for (size_t i = 0; i < regdb_n_syms; i++)
			printf("%-8s %s\n", arch_name(regdb_syms[i].arch), regdb_syms[i].name);
		return 0;
	}
	if (optind != argc - 1) {
		usage_explain(stderr);
		return 2;
	}
	const char *name = argv[optind];
	const struct regdb_reg *r = regdb_reg_by_name(name, 0);
	if (r) {
		explain_reg(r);
		found = 1;
	}
	for (int kind = REGDB_SYM_CAP; kind <= REGDB_SYM_VCPU_FEATURE; kind++) {
		const struct regdb_sym *s = regdb_sym_by_name(kind, name, 0);
		if (s) {
			explain_sym(s);
			found = 1;
		}
	}
	if (!found) {
		const char *dot = strrchr(name, '.');
		if (dot) {
			char reg[256];
			snprintf(reg, sizeof(reg), "%.*s", (int)(dot - name), name);
			r = regdb_reg_by_name(reg, 0);
			const struct regdb_field *f = r ? regdb_field_by_name(r, dot + 1) : NULL;
			if (f) {
				explain_field(r, f);
				if (r->history && *r->history)
					printf("  history of %s: %s\n", r->name, r->history);
				return 0;
			}
		}
		fprintf(stderr, "kvmprof: explain: '%s' is not in the register database (try --list)\n", name);
		return 1;
	}
	return 0;
}
