/* SPDX-License-Identifier: MIT */
/*
 * firecracker_out.c - `kvmprof export --to firecracker`: a resolved
 * profile as a Firecracker custom CPU template (JSON; the schema of
 * firecracker-microvm/firecracker docs/cpu_templates/cpu-templates.md).
 *
 * A template can say: register values (x for bits left alone), vCPU
 * features, and capabilities Firecracker must find (KVM_CHECK_EXTENSION).
 * Everything else a profile can state (vGIC registers, KVM_ENABLE_CAP,
 * quirks, x2APIC flags, conditions, at-most policies) is listed on the
 * `lost` stream, one line per entry: never dropped silently.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "firecracker.h"
#include "output.h"

/* KVM_CPUID_FLAG_SIGNIFCANT_INDEX (sic), Linux arch/x86/include/uapi/asm/kvm.h; pentry.aux bit 0 */
#define CPUID_FLAG_SIGNIFICANT_INDEX 1u

struct exporter {
	const struct profile *p;
	FILE *out, *lost;
	size_t n_lost;
};

static void lost(struct exporter *X, const struct pentry *e, const char *why)
{
	X->n_lost++;
	if (X->lost)
		fprintf(X->lost, "%s: not carried to the Firecracker template: %s: %s\n", X->p->name,
			e ? e->name : "requires", why);
}

/* "0b" + width digits, most significant first, x where the mask is clear. */
static void put_bitmap(FILE *out, uint64_t value, uint64_t mask, int width)
{
	fputs("\"0b", out);
	for (int bit = width - 1; bit >= 0; bit--) {
		if (bit >= 64) {
			/* the profile's value is 64-bit; a whole value states the bits above as 0 */
			fputc(mask == UINT64_MAX ? '0' : 'x', out);
			continue;
		}
		uint64_t b = UINT64_C(1) << bit;
		fputc(!(mask & b) ? 'x' : (value & b) ? '1' : '0', out);
	}
	fputc('"', out);
}

/* Per-entry reasons to leave an entry out, or to warn that its meaning narrows. */
static int exportable(struct exporter *X, const struct pentry *e)
{
	if (e->requires_text) {
		char why[512];
		snprintf(why, sizeof(why), "its condition 'requires: %s' (a template applies unconditionally)",
			 e->requires_text);
		lost(X, e, why);
		return 0;
	}
	int at_most = e->policy == KVMPROF_POLICY_AT_MOST;
	for (size_t i = 0; i < e->n_fields; i++)
		at_most |= e->fields[i].policy == KVMPROF_POLICY_AT_MOST;
	if (at_most)
		lost(X, e, "policy at-most (exported as the exact value: Firecracker writes values, it has no "
			   "'lower is safe' rule)");
	if (e->flags & KVMPROF_ENTRY_OPTIONAL)
		lost(X, e, "optional: true (exported as a register Firecracker must be able to set)");
	return 1;
}

static void not_expressible(struct exporter *X, const struct pentry *e)
{
	switch (e->kind) {
	case KVMPROF_KIND_ENABLE_CAP:
		lost(X, e, "KVM_ENABLE_CAP (a template's kvm_capabilities only checks for a capability)");
		break;
	case KVMPROF_KIND_QUIRKS:
		for (size_t i = 0; i < e->n_fields; i++) {
			char why[160];
			snprintf(why, sizeof(why), "quirk %s: %s (templates have no KVM_CAP_DISABLE_QUIRKS2)",
				 e->fields[i].name, e->fields[i].value ? "disable" : "keep");
			lost(X, e, why);
		}
		break;
	case KVMPROF_KIND_X2APIC_API:
		for (size_t i = 0; i < e->n_fields; i++) {
			char why[160];
			snprintf(why, sizeof(why), "x2APIC API flag %s: %s (templates have no KVM_CAP_X2APIC_API)",
				 e->fields[i].name, e->fields[i].value ? "on" : "off");
			lost(X, e, why);
		}
		break;
	case KVMPROF_KIND_DEVICE_ATTR:
		lost(X, e, "a device register (templates have no KVM_SET_DEVICE_ATTR)");
		break;
	default:
		lost(X, e, "not a kind of setting a template for this architecture holds");
		break;
	}
}

/*
 * The profile's own `requires:` becomes kvm_capabilities when it is a
 * conjunction of cap(NAME) terms, the one kind of condition a template has.
 */
static void put_capabilities(struct exporter *X)
{
	const char *s = X->p->requires_text;
	uint64_t nums[64];
	size_t n = 0;
	int ok = s != NULL;

	while (ok && *s) {
		char name[128];
		int used = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (sscanf(s, "cap ( %127[A-Za-z0-9_] )%n", name, &used) < 1 || used == 0) {
			ok = 0;
			break;
		}
		const struct regdb_sym *sym = regdb_sym_by_name(REGDB_SYM_CAP, name, X->p->arch);
		if (!sym)
			sym = regdb_sym_by_name(REGDB_SYM_CAP, name, 0);
		if (!sym || n == 64) {
			ok = 0;
			break;
		}
		nums[n++] = sym->value;
		s += used;
		while (isspace((unsigned char)*s))
			s++;
		if (!strncmp(s, "&&", 2))
			s += 2;
		else if (*s)
			ok = 0;
	}
	if (X->p->requires_text && !ok) {
		char why[512];
		snprintf(why, sizeof(why), "the profile's condition '%s' (a template can only require "
			 "capabilities: cap(A) && cap(B))", X->p->requires_text);
		lost(X, NULL, why);
		n = 0;
	}
	fputs("  \"kvm_capabilities\": [", X->out);
	for (size_t i = 0; i < n; i++)
		fprintf(X->out, "%s\"%" PRIu64 "\"", i ? ", " : "", nums[i]);
	fputs("]", X->out);
}

static void export_arm64(struct exporter *X)
{
	const struct profile *p = X->p;
	uint64_t fvalue[7] = { 0 }, fmask[7] = { 0 };
	int first = 1;

	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];
		if (e->kind != KVMPROF_KIND_VCPU_FEATURE)
			continue;
		if (!exportable(X, e))
			continue;
		if (e->id >= 7 * 32) {
			lost(X, e, "a feature bit beyond features[6]");
			continue;
		}
		fmask[e->id / 32] |= UINT64_C(1) << (e->id % 32);
		if (e->value & e->mask)
			fvalue[e->id / 32] |= UINT64_C(1) << (e->id % 32);
	}
	fputs(",\n  \"vcpu_features\": [", X->out);
	for (int idx = 0; idx < 7; idx++) {
		if (!fmask[idx])
			continue;
		int top = 31;
		while (!(fmask[idx] >> top & 1))
			top--;
		fprintf(X->out, "%s\n    {\"index\": %d, \"bitmap\": ", first ? "" : ",", idx);
		put_bitmap(X->out, fvalue[idx], fmask[idx], top + 1);
		fputs("}", X->out);
		first = 0;
	}
	fputs(first ? "]" : "\n  ]", X->out);

	fputs(",\n  \"reg_modifiers\": [", X->out);
	first = 1;
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];
		if (e->kind == KVMPROF_KIND_VCPU_FEATURE)
			continue;
		if (e->kind != KVMPROF_KIND_ONE_REG) {
			not_expressible(X, e);
			continue;
		}
		if (!exportable(X, e))
			continue;
		fprintf(X->out, "%s\n    {\"addr\": \"0x%016" PRIx64 "\", \"bitmap\": ", first ? "" : ",", e->id);
		put_bitmap(X->out, e->value, e->mask, e->width);
		fputs("}", X->out);
		first = 0;
	}
	fputs(first ? "]" : "\n  ]", X->out);
}

static const char *const export_cpuid_reg_names[] = { "eax", "ebx", "ecx", "edx" };

static void export_x86(struct exporter *X)
{
	const struct profile *p = X->p;
	size_t n = p->n_entries;
	char *done = calloc(n ? n : 1, 1);
	int first = 1;

	if (!done)
		abort();
	/* one cpuid_modifiers element per (leaf, subleaf), in the order the profile states them */
	fputs(",\n  \"cpuid_modifiers\": [", X->out);
	for (size_t i = 0; i < n; i++) {
		const struct pentry *e = &p->entries[i];
		if (e->kind != KVMPROF_KIND_CPUID || done[i])
			continue;
		uint32_t leaf = (uint32_t)(e->id >> 32), subleaf = (uint32_t)e->id;
		uint32_t flags = 0;
		int any = 0;
		/* the profile's `significant-index` (aux bit 0) on any register of this leaf and subleaf */
		for (size_t j = i; j < n; j++)
			if (p->entries[j].kind == KVMPROF_KIND_CPUID && p->entries[j].id == e->id && !done[j])
				flags |= p->entries[j].aux & CPUID_FLAG_SIGNIFICANT_INDEX;
		if (subleaf != 0 && !flags && X->lost)
			/* KVM answers every subleaf of such a leaf with this entry: worth a look, nothing lost */
			fprintf(X->lost, "%s: warning: %s states subleaf 0x%" PRIx32 " of leaf 0x%" PRIx32 " without "
				"significant-index; KVM ignores the subleaf of such a leaf (exported with flags 0)\n",
				p->name, e->name, subleaf, leaf);
		for (size_t j = i; j < n; j++) {
			const struct pentry *r = &p->entries[j];
			if (r->kind != KVMPROF_KIND_CPUID || r->id != e->id || done[j])
				continue;
			done[j] = 1;
			if (!exportable(X, r))
				continue;
			if (!any)
				fprintf(X->out, "%s\n    {\"leaf\": \"0x%" PRIx32 "\", \"subleaf\": \"0x%" PRIx32
					"\", \"flags\": %" PRIu32 ", \"modifiers\": [", first ? "" : ",", leaf, subleaf, flags);
			fprintf(X->out, "%s\n      {\"register\": \"%s\", \"bitmap\": ", any ? "," : "",
				export_cpuid_reg_names[r->cpuid_reg & 3]);
			put_bitmap(X->out, r->value, r->mask, 32);
			fputs("}", X->out);
			any = 1;
		}
		if (any) {
			fputs("\n    ]}", X->out);
			first = 0;
		}
	}
	fputs(first ? "]" : "\n  ]", X->out);

	fputs(",\n  \"msr_modifiers\": [", X->out);
	first = 1;
	for (size_t i = 0; i < n; i++) {
		const struct pentry *e = &p->entries[i];
		if (e->kind == KVMPROF_KIND_CPUID)
			continue;
		if (e->kind != KVMPROF_KIND_MSR) {
			not_expressible(X, e);
			continue;
		}
		if (!exportable(X, e))
			continue;
		fprintf(X->out, "%s\n    {\"addr\": \"0x%" PRIx64 "\", \"bitmap\": ", first ? "" : ",", e->id);
		put_bitmap(X->out, e->value, e->mask, 64);
		fputs("}", X->out);
		first = 0;
	}
	fputs(first ? "]" : "\n  ]", X->out);
	free(done);
}

int fc_export(const struct profile *p, FILE *out, FILE *lost_out, size_t *n_lost, struct diag *d)
{
	struct exporter X = { p, out, lost_out, 0 };

	if (p->arch != KVMPROF_ARCH_ARM64 && p->arch != KVMPROF_ARCH_X86_64) {
		diag_error(d, p->pos, "export", "profile %s has no architecture", p->name ? p->name : "?");
		return -1;
	}
	fputs("{\n", out);
	put_capabilities(&X);
	if (p->arch == KVMPROF_ARCH_ARM64)
		export_arm64(&X);
	else
		export_x86(&X);
	fputs("\n}\n", out);
	if (n_lost)
		*n_lost = X.n_lost;
	return 0;
}

/* ---- the verb ---------------------------------------------------------------------- */

static void usage_export(FILE *f)
{
	fputs("usage: kvmprof export --to firecracker PROFILE.yaml [-o TEMPLATE.json] [-I DIR]... [--strict]\n"
	      "Writes the resolved profile as a Firecracker custom CPU template (reg_modifiers, vcpu_features,\n"
	      "kvm_capabilities on arm64; cpuid_modifiers, msr_modifiers, kvm_capabilities on x86_64).\n"
	      "What a template cannot express (vGIC registers, KVM_ENABLE_CAP, quirks, x2APIC flags,\n"
	      "conditions, at-most policies) is listed on stderr.\n"
	      "  -o FILE    write the template there (default: stdout)\n"
	      "  -I DIR     where base profiles are looked up (default: profiles)\n"
	      "  --strict   exit 1 when anything was not carried\n", f);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' }, { "output", required_argument, NULL, 'o' },
		{ "include", required_argument, NULL, 'I' }, { "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *to = NULL, *out = NULL, *search[34];
	int n_search = 0, strict = 0, c, rc = 1;
	struct diag d;

	while ((c = getopt_long(argc, argv, "t:o:I:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'o': out = optarg; break;
		case 'I':
			if (n_search < 32)
				search[n_search++] = optarg;
			break;
		case 's': strict = 1; break;
		case 'h': usage_export(stdout); return 0;
		default: usage_export(stderr); return 2;
		}
	}
	if (!to || strcmp(to, "firecracker")) {
		fprintf(stderr, "kvmprof export: --to firecracker is the only target format\n");
		usage_export(stderr);
		return 2;
	}
	if (optind != argc - 1) {
		usage_export(stderr);
		return 2;
	}
	if (n_search == 0)
		search[n_search++] = "profiles";
	search[n_search] = NULL;
	diag_init(&d, stderr);
	struct profile *p = profile_load_resolved(argv[optind], search, &d);
	if (p && d.n_errors == 0)
		profile_check(p, &d);
	if (p && d.n_errors == 0) {
		char *buf = NULL;
		size_t len = 0, n_lost = 0;
		FILE *mem = open_memstream(&buf, &len);
		if (!mem)
			abort();
		int erc = fc_export(p, mem, stderr, &n_lost, &d);
		fclose(mem);
		if (erc == 0)
			output_write_buffer(out ? out : "-", buf, len, &d); /* atomic; never over an input */
		free(buf);
		if (n_lost)
			fprintf(stderr, "%s: %zu entr%s not carried to the Firecracker template (listed above)\n",
				argv[optind], n_lost, n_lost == 1 ? "y" : "ies");
		rc = d.n_errors || (strict && n_lost) ? 1 : 0;
	}
	if (d.n_errors)
		fprintf(stderr, "%d error%s\n", d.n_errors, d.n_errors == 1 ? "" : "s");
	profile_free(p);
	diag_fini(&d);
	return rc;
}
