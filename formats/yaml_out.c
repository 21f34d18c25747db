/* SPDX-License-Identifier: MIT */
/*
 * yaml_out.c - writes a profile back as format-1 YAML: the canonical,
 * resolved form `kvmprof show` prints and that capture/import/baseline write.
 * Reading the output back gives the same entries (tested).
 */
#include <inttypes.h>
#include <string.h>

#include "host.h"
#include "profile.h"

/* A double-quoted YAML scalar: every byte outside printable ASCII escaped. */
void yaml_put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void put_hex(FILE *out, uint64_t v)
{
	if (v < 10)
		fprintf(out, "%" PRIu64, v);
	else
		fprintf(out, "0x%" PRIx64, v);
}


/* A value with don't-care bits becomes a binary literal with x digits. */
static void put_masked(FILE *out, uint64_t value, uint64_t mask, int width)
{
	if ((mask & width_mask(width)) == width_mask(width)) {
		put_hex(out, value);
		return;
	}
	if (width > 32) {
		/* 64 binary digits are unreadable: a value and its don't-care mask */
		fputs("{value: ", out);
		put_hex(out, value & mask);
		fputs(", dont-care: ", out);
		put_hex(out, ~mask & width_mask(width));
		fputc('}', out);
		return;
	}
	fputs("0b", out);
	for (int bit = width - 1; bit >= 0; bit--) {
		uint64_t b = UINT64_C(1) << bit;
		fputc(!(mask & b) ? 'x' : (value & b) ? '1' : '0', out);
		if (bit && bit % 4 == 0)
			fputc('_', out);
	}
}

static const char *policy_name(int policy)
{
	return policy == KVMPROF_POLICY_AT_MOST ? "at-most" : "exact";
}

/* Bits of the entry not covered by its stated fields. */
static uint64_t bits_outside_fields(const struct pentry *e)
{
	uint64_t m = e->mask;

	for (size_t i = 0; i < e->n_fields; i++)
		m &= ~(width_mask(e->fields[i].width) << e->fields[i].shift);
	return m;
}

static void put_entry_tail(FILE *out, const struct pentry *e, int first)
{
	if (e->policy != KVMPROF_POLICY_EXACT) {
		fprintf(out, "%spolicy: %s", first ? "" : ", ", policy_name(e->policy));
		first = 0;
	}
	if (e->requires_text) {
		fprintf(out, "%srequires: ", first ? "" : ", ");
		yaml_put_string(out, e->requires_text);
		first = 0;
	}
	if (e->flags & KVMPROF_ENTRY_OPTIONAL) {
		fprintf(out, "%soptional: true", first ? "" : ", ");
		first = 0;
	}
	if (e->kind == KVMPROF_KIND_CPUID && (e->aux & 1)) {
		/* KVM_CPUID_FLAG_SIGNIFCANT_INDEX: the leaf has subleaves */
		fprintf(out, "%ssignificant-index: true", first ? "" : ", ");
		first = 0;
	}
	if (e->note) {
		fprintf(out, "%snote: ", first ? "" : ", ");
		yaml_put_string(out, e->note);
	}
}

static void put_register(FILE *out, const struct pentry *e, const char *indent)
{
	int simple = e->n_fields == 0 && e->policy == KVMPROF_POLICY_EXACT && !e->requires_text &&
		     !(e->flags & KVMPROF_ENTRY_OPTIONAL) && !e->note &&
		     !(e->kind == KVMPROF_KIND_CPUID && (e->aux & 1));

	fprintf(out, "%s%s: ", indent, e->name);
	if (simple) {
		put_masked(out, e->value, e->mask, e->width);
		fputc('\n', out);
		return;
	}
	fputc('{', out);
	int first = 1;
	uint64_t rest = bits_outside_fields(e);
	if (e->n_fields == 0 || rest) {
		/* bits beyond the fields: state them as a value (fields must agree with it) */
		uint64_t wm = width_mask(e->width);
		fputs("value: ", out);
		if ((e->mask & wm) == wm || e->width <= 32) {
			put_masked(out, e->value, e->mask, e->width);
		} else {
			put_hex(out, e->value & e->mask);
			fputs(", dont-care: ", out);
			put_hex(out, ~e->mask & wm);
		}
		first = 0;
	}
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct pfield *f = &e->fields[i];
		fprintf(out, "%s%s: ", first ? "" : ", ", f->name);
		if (f->policy != e->policy) {
			fputs("{value: ", out);
			put_hex(out, f->value);
			fprintf(out, ", policy: %s}", policy_name(f->policy));
		} else {
			put_hex(out, f->value);
		}
		first = 0;
	}
	put_entry_tail(out, e, first);
	fputs("}\n", out);
}

static int any_of(const struct profile *p, int kind)
{
	for (size_t i = 0; i < p->n_entries; i++)
		if (p->entries[i].kind == kind)
			return 1;
	return 0;
}

void profile_write_yaml(const struct profile *p, FILE *out)
{
	profile_write_yaml_file(p, 0, NULL, out);
}

void profile_write_yaml_file(const struct profile *p, int with_base, const struct host_facts *host, FILE *out)
{
	int regset = host && host->have_regset, vcpu = 0;

	fputs("kvmprof: 1\nname: ", out);
	yaml_put_string(out, p->name ? p->name : "");
	fprintf(out, "\narch: %s\n", regdb_arch_name(p->arch));
	if (with_base && p->base) {
		fputs("base: ", out);
		yaml_put_string(out, p->base);
		fputc('\n', out);
	}
	if (p->description) {
		fputs("description: ", out);
		yaml_put_string(out, p->description);
		fputc('\n', out);
	}
	if (p->n_provenance) {
		/* provenance keys were flattened ("sources[0]"); write them back flat and quoted */
		fputs("provenance:\n", out);
		for (size_t i = 0; i < p->n_provenance; i++) {
			fputs("  ", out);
			yaml_put_string(out, p->provenance[i].key);
			fputs(": ", out);
			yaml_put_string(out, p->provenance[i].value);
			fputc('\n', out);
		}
	}
	if (p->requires_text) {
		fputs("requires: ", out);
		yaml_put_string(out, p->requires_text);
		fputc('\n', out);
	}
	if (any_of(p, KVMPROF_KIND_ENABLE_CAP) || any_of(p, KVMPROF_KIND_QUIRKS) || any_of(p, KVMPROF_KIND_X2APIC_API)) {
		fputs("vm:\n", out);
		if (any_of(p, KVMPROF_KIND_ENABLE_CAP)) {
			fputs("  capabilities:\n", out);
			for (size_t i = 0; i < p->n_entries; i++) {
				const struct pentry *e = &p->entries[i];
				if (e->kind != KVMPROF_KIND_ENABLE_CAP)
					continue;
				fprintf(out, "    %s: {args: [", e->name);
				for (int a = 0; a < 4; a++) {
					fputs(a ? ", " : "", out);
					put_hex(out, e->args[a]);
				}
				fputs("]", out);
				put_entry_tail(out, e, 0);
				fputs("}\n", out);
			}
		}
		for (size_t i = 0; i < p->n_entries; i++) {
			const struct pentry *e = &p->entries[i];
			if (e->kind != KVMPROF_KIND_QUIRKS && e->kind != KVMPROF_KIND_X2APIC_API)
				continue;
			fputs(e->kind == KVMPROF_KIND_QUIRKS ? "  quirks:\n" : "  x2apic-api:\n", out);
			for (size_t f = 0; f < e->n_fields; f++)
				fprintf(out, "    %s: %s\n", e->fields[f].name,
					e->kind == KVMPROF_KIND_QUIRKS ? (e->fields[f].value ? "disable" : "keep")
								       : (e->fields[f].value ? "on" : "off"));
		}
	}
	if (any_of(p, KVMPROF_KIND_VCPU_FEATURE) || any_of(p, KVMPROF_KIND_ONE_REG) ||
	    any_of(p, KVMPROF_KIND_CPUID) || any_of(p, KVMPROF_KIND_MSR) || p->n_regset) {
		fputs("vcpu:\n", out);
		vcpu = 1;
		if (p->n_regset) { /* the model's own (a baseline's) */
			struct host_facts h = { .arch = p->arch, .have_regset = 1, .regset = p->regset,
						.n_regset = p->n_regset };
			host_regset_write_yaml(&h, out);
		} else if (regset) {
			host_regset_write_yaml(host, out);
		}
		if (any_of(p, KVMPROF_KIND_VCPU_FEATURE)) {
			fputs("  features:\n", out);
			for (size_t i = 0; i < p->n_entries; i++)
				if (p->entries[i].kind == KVMPROF_KIND_VCPU_FEATURE)
					fprintf(out, "    %s: %s\n", p->entries[i].name,
						p->entries[i].value ? "on" : "off");
		}
		if (any_of(p, KVMPROF_KIND_ONE_REG) || any_of(p, KVMPROF_KIND_CPUID) || any_of(p, KVMPROF_KIND_MSR))
			fputs("  registers:\n", out);
		for (size_t i = 0; i < p->n_entries; i++) {
			int k = p->entries[i].kind;
			if (k == KVMPROF_KIND_ONE_REG || k == KVMPROF_KIND_CPUID || k == KVMPROF_KIND_MSR)
				put_register(out, &p->entries[i], "    ");
		}
	}
	if (any_of(p, KVMPROF_KIND_DEVICE_ATTR)) {
		fputs("devices:\n", out);
		for (int v3 = 1; v3 >= 0; v3--) {
			int printed = 0;
			for (size_t i = 0; i < p->n_entries; i++) {
				const struct pentry *e = &p->entries[i];
				if (e->kind != KVMPROF_KIND_DEVICE_ATTR || (e->aux == 7) != v3)
					continue;
				if (!printed++)
					fputs(v3 ? "  vgic-v3:\n" : "  vgic-v2:\n", out);
				put_register(out, e, "    ");
			}
		}
	}
	if (regset && !vcpu) {
		fputs("vcpu:\n", out);
		host_regset_write_yaml(host, out);
	}
	if (host)
		host_facts_write_yaml(host, out);
}
