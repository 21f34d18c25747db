/* SPDX-License-Identifier: MIT */
/*
 * host_out.c - the `host:` and `register-set:` writers and the lookups of
 * struct host_facts. No libyaml here: the static capture program links it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "kvm_compat.h"
#include "kvmprof.h"
#include "profile.h"
#include "regdb.h"

void host_reg_name(int arch, uint64_t id, char *buf, size_t len)
{
	static const int spaces[] = { REGDB_ARM64_SYSREG, REGDB_ARM64_FW, REGDB_ARM64_DEMUX, REGDB_X86_MSR };
	const struct regdb_reg *r = NULL;

	for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]) && !r; i++)
		r = regdb_reg_by_id(arch, spaces[i], id, 0);
	if (r) {
		snprintf(buf, len, "%s", r->name);
		return;
	}
	if (arch == KVMPROF_ARCH_ARM64 && KVMPROF_ARM64_IS_SYSREG(id)) {
		snprintf(buf, len, "S%u_%u_C%u_C%u_%u", KVMPROF_ARM64_SYSREG_OP0(id), KVMPROF_ARM64_SYSREG_OP1(id),
			 KVMPROF_ARM64_SYSREG_CRN(id), KVMPROF_ARM64_SYSREG_CRM(id), KVMPROF_ARM64_SYSREG_OP2(id));
		return;
	}
	snprintf(buf, len, "0x%" PRIx64, id);
}

int host_reg_parse(int arch, const char *name, uint64_t *id)
{
	const struct regdb_reg *r = regdb_reg_by_name(name, arch);
	char *end;

	if (r && r->space != REGDB_X86_CPUID && r->space != REGDB_VGIC_V3_DIST &&
	    r->space != REGDB_VGIC_V3_REDIST && r->space != REGDB_VGIC_V2_DIST) {
		*id = r->id;
		return 0;
	}
	if (arch == KVMPROF_ARCH_ARM64 && regdb_parse_generic_sysreg(name, id) == 0)
		return 0;
	if (name[0] == '0' && (name[1] == 'x' || name[1] == 'X')) {
		*id = strtoull(name, &end, 16);
		return *end == '\0' && end != name + 2 ? 0 : -1;
	}
	return -1;
}

static void put_num(FILE *out, uint64_t v)
{
	if (v < 10)
		fprintf(out, "%" PRIu64, v);
	else
		fprintf(out, "0x%" PRIx64, v);
}

static void put_comment_name(FILE *out, int arch, uint64_t id)
{
	char name[64];

	host_reg_name(arch, id, name, sizeof(name));
	if (name[0] != '0')
		fprintf(out, "  # %s", name);
}

void host_facts_write_yaml(const struct host_facts *h, FILE *out)
{
	fputs("host:\n", out);
	if (h->kernel) {
		fputs("  kernel: ", out);
		yaml_put_string(out, h->kernel);
		fputc('\n', out);
	}
	if (h->machine) {
		fputs("  machine: ", out);
		yaml_put_string(out, h->machine);
		fputc('\n', out);
	}
	if (h->n_caps) {
		fputs("  capabilities:\n", out);
		for (size_t i = 0; i < h->n_caps; i++)
			fprintf(out, "    %s: %" PRId64 "\n", h->caps[i].name, h->caps[i].value);
	}
	if (h->have_quirks) {
		fputs("  quirks: ", out);
		put_num(out, h->quirks);
		fputc('\n', out);
	}
	if (h->have_x2apic) {
		fputs("  x2apic-api: ", out);
		put_num(out, h->x2apic);
		fputc('\n', out);
	}
	if (h->have_reg_list) {
		fprintf(out, "  reg-list:%s  # KVM_GET_REG_LIST, %zu registers\n", h->n_reg_list ? "" : " []",
			h->n_reg_list);
		for (size_t i = 0; i < h->n_reg_list; i++) {
			fprintf(out, "    - 0x%" PRIx64, h->reg_list[i]);
			put_comment_name(out, h->arch, h->reg_list[i]);
			fputc('\n', out);
		}
	}
	if (h->n_reg_values) {
		fputs("  reg-values:  # defaults of a fresh vCPU\n", out);
		for (size_t i = 0; i < h->n_reg_values; i++) {
			fprintf(out, "    0x%" PRIx64 ": ", h->reg_values[i].id);
			put_num(out, h->reg_values[i].value);
			put_comment_name(out, h->arch, h->reg_values[i].id);
			fputc('\n', out);
		}
	}
	if (h->have_masks) {
		fprintf(out, "  writable-masks:%s  # KVM_ARM_GET_REG_WRITABLE_MASKS, non-zero masks\n",
			h->n_masks ? "" : " {}");
		for (size_t i = 0; i < h->n_masks; i++) {
			fprintf(out, "    0x%" PRIx64 ": ", h->masks[i].id);
			put_num(out, h->masks[i].value);
			put_comment_name(out, h->arch, h->masks[i].id);
			fputc('\n', out);
		}
	}
	if (h->n_attrs) {
		fputs("  device-attrs:  # after KVM_DEV_ARM_VGIC_CTRL_INIT\n", out);
		for (size_t i = 0; i < h->n_attrs; i++) {
			const struct host_attr *a = &h->attrs[i];
			fprintf(out, "    - {device: %" PRIu32 ", group: %" PRIu32 ", attr: 0x%" PRIx64 ", value: 0x%" PRIx64 "}\n",
				a->device, a->group, a->attr, a->value);
		}
	}
	if (h->n_ranges) {
		fputs("  accepted:  # field values the kernel accepted when probed\n", out);
		for (size_t i = 0; i < h->n_ranges; i++)
			fprintf(out, "    - {register: %s, field: %s, lo: %" PRIu64 ", hi: %" PRIu64 "}\n",
				h->ranges[i].reg, h->ranges[i].field, h->ranges[i].lo, h->ranges[i].hi);
	}
	if (h->have_cpuid) {
		fprintf(out, "  cpuid:%s  # KVM_GET_SUPPORTED_CPUID: [function, index, flags, eax, ebx, ecx, edx]\n",
			h->n_cpuid ? "" : " []");
		for (size_t i = 0; i < h->n_cpuid; i++) {
			const struct host_cpuid_leaf *l = &h->cpuid[i];
			fprintf(out, "    - [0x%" PRIx32 ", 0x%" PRIx32 ", 0x%" PRIx32 ", 0x%" PRIx32 ", 0x%" PRIx32
				", 0x%" PRIx32 ", 0x%" PRIx32 "]\n",
				l->function, l->index, l->flags, l->regs[0], l->regs[1], l->regs[2], l->regs[3]);
		}
	}
	if (h->have_feature_msrs) {
		fprintf(out, "  feature-msrs:%s  # /dev/kvm KVM_GET_MSRS of KVM_GET_MSR_FEATURE_INDEX_LIST\n",
			h->n_feature_msrs ? "" : " {}");
		for (size_t i = 0; i < h->n_feature_msrs; i++)
			fprintf(out, "    0x%" PRIx32 ": 0x%" PRIx64 "\n", h->feature_msrs[i].index,
				h->feature_msrs[i].value);
	}
	if (h->n_vcpu_msrs) {
		fputs("  msr-values:  # a fresh vCPU's KVM_GET_MSRS\n", out);
		for (size_t i = 0; i < h->n_vcpu_msrs; i++)
			fprintf(out, "    0x%" PRIx32 ": 0x%" PRIx64 "\n", h->vcpu_msrs[i].index, h->vcpu_msrs[i].value);
	}
	if (h->have_msr_list) {
		fprintf(out, "  msr-list: [");
		for (size_t i = 0; i < h->n_msr_list; i++)
			fprintf(out, "%s0x%" PRIx32, i ? ", " : "", h->msr_list[i]);
		fputs("]\n", out);
	}
}

void host_regset_write_yaml(const struct host_facts *h, FILE *out)
{
	static const char *const names[] = { "", "required", "tolerated", "hidden" };

	fputs("  register-set:\n", out);
	for (size_t i = 0; i < h->n_regset; i++) {
		const struct host_regset_entry *e = &h->regset[i];
		char name[64];

		if (e->name)
			snprintf(name, sizeof(name), "%s", e->name);
		else
			host_reg_name(h->arch, e->id, name, sizeof(name));
		fprintf(out, "    %s: %s\n", name, names[e->policy >= 1 && e->policy <= 3 ? e->policy : 1]);
	}
}

const struct host_cap *host_cap_by_number(const struct host_facts *h, uint64_t number)
{
	for (size_t i = 0; i < h->n_caps; i++)
		if (h->caps[i].number == number)
			return &h->caps[i];
	return NULL;
}

static const struct host_reg_value *find_value(const struct host_reg_value *v, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

const struct host_reg_value *host_reg_value(const struct host_facts *h, uint64_t id)
{
	return find_value(h->reg_values, h->n_reg_values, id);
}

const struct host_reg_value *host_reg_mask(const struct host_facts *h, uint64_t id)
{
	return find_value(h->masks, h->n_masks, id);
}

int host_reg_listed(const struct host_facts *h, uint64_t id)
{
	for (size_t i = 0; i < h->n_reg_list; i++)
		if (h->reg_list[i] == id)
			return 1;
	return 0;
}

const struct host_attr *host_attr_find(const struct host_facts *h, uint32_t group, uint64_t attr)
{
	for (size_t i = 0; i < h->n_attrs; i++)
		if (h->attrs[i].group == group && h->attrs[i].attr == attr)
			return &h->attrs[i];
	return NULL;
}

const struct host_range *host_range_find(const struct host_facts *h, const char *reg, const char *field)
{
	for (size_t i = 0; i < h->n_ranges; i++)
		if (!strcmp(h->ranges[i].reg, reg) && !strcmp(h->ranges[i].field, field))
			return &h->ranges[i];
	return NULL;
}

void host_facts_free(struct host_facts *h)
{
	if (!h)
		return;
	free(h->kernel);
	free(h->machine);
	for (size_t i = 0; i < h->n_caps; i++)
		free(h->caps[i].name);
	free(h->caps);
	free(h->reg_list);
	free(h->reg_values);
	free(h->masks);
	free(h->attrs);
	for (size_t i = 0; i < h->n_ranges; i++) {
		free(h->ranges[i].reg);
		free(h->ranges[i].field);
	}
	free(h->ranges);
	free(h->cpuid);
	free(h->feature_msrs);
	free(h->msr_list);
	free(h->vcpu_msrs);
	for (size_t i = 0; i < h->n_regset; i++)
		free(h->regset[i].name);
	free(h->regset);
	memset(h, 0, sizeof(*h));
}
