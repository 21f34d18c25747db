/* SPDX-License-Identifier: MIT */
/* explain.c - `kvmprof explain NAME`: what the register database knows of a name. */
#include <errno.h>
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "diag.h"
#include "host.h"
#include "kvm_compat.h"
#include "regdb.h"

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
	       (f->flags & REGDB_F_PER_VCPU) ? ", per vCPU (the VMM's; a whole value leaves it out)" :
	       (f->flags & REGDB_F_VMM_OWNED) ? ", the VMM's (a whole value leaves it out)" : "",
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
		       (f->flags & REGDB_F_SIGNED) ? "  signed" : "", (f->flags & REGDB_F_PER_VCPU) ? "  per-vcpu" : (f->flags & REGDB_F_VMM_OWNED) ? "  vmm-owned" : "",
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

/* ---- measured history: the captures of profiles/ (make captures) ---- */

struct measured {
	char platform[64]; /* "arm64-neoverse-n1": the capture's name without linux-SERIES- */
	unsigned major, minor;
	int have;          /* the capture records a value */
	uint64_t value;
	int have_mask;     /* arm64: the capture has writable masks */
	uint64_t mask;
	int listed;        /* in KVM_GET_REG_LIST (arm64 ONE_REG registers) */
};

static void measure(const struct host_facts *h, const struct regdb_reg *r, struct measured *m)
{
	const struct host_reg_value *v, *mk;

	switch (r->space) {
	case REGDB_ARM64_SYSREG:
	case REGDB_ARM64_FW:
	case REGDB_ARM64_DEMUX:
		v = host_reg_value(h, r->id);
		m->have = v != NULL;
		m->value = v ? v->value : 0;
		m->have_mask = h->n_masks > 0;
		mk = host_reg_mask(h, r->id);
		m->mask = mk ? mk->value : 0;
		m->listed = host_reg_listed(h, r->id);
		break;
	case REGDB_VGIC_V3_DIST:
	case REGDB_VGIC_V3_REDIST:
	case REGDB_VGIC_V2_DIST:
		for (size_t i = 0; i < h->n_attrs; i++)
			if (h->attrs[i].attr == r->id && (h->attrs[i].device == 5) == (r->space == REGDB_VGIC_V2_DIST) &&
			    (h->attrs[i].group == 5) == (r->space == REGDB_VGIC_V3_REDIST)) {
				m->have = 1;
				m->value = h->attrs[i].value;
			}
		break;
	case REGDB_X86_CPUID:
		for (size_t i = 0; i < h->n_cpuid; i++)
			if (h->cpuid[i].function == (uint32_t)(r->id >> 32) && h->cpuid[i].index == (uint32_t)r->id) {
				m->have = 1;
				m->value = h->cpuid[i].regs[r->cpuid_reg];
			}
		break;
	case REGDB_X86_MSR:
		for (size_t i = 0; i < h->n_feature_msrs; i++)
			if (h->feature_msrs[i].index == r->id) {
				m->have = 1;
				m->value = h->feature_msrs[i].value;
			}
		for (size_t i = 0; !m->have && i < h->n_vcpu_msrs; i++)
			if (h->vcpu_msrs[i].index == r->id) {
				m->have = 1;
				m->value = h->vcpu_msrs[i].value;
			}
		break;
	}
}

static int measured_cmp(const void *a, const void *b)
{
	const struct measured *x = a, *y = b;
	int c = strcmp(x->platform, y->platform);

	if (c)
		return c;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

/* The fields of r (or f alone) whose value differs between a and b, as "F a → b, ...". */
static void changed_fields(const struct regdb_reg *r, const struct regdb_field *only, uint64_t a, uint64_t b, char *buf,
			   size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (uint32_t i = 0; i < r->n_fields && n < len; i++) {
		const struct regdb_field *f = &r->fields[i];
		uint64_t m = f->width >= 64 ? UINT64_MAX : ((UINT64_C(1) << f->width) - 1);
		uint64_t fa = (a >> f->shift) & m, fb = (b >> f->shift) & m;

		if ((only && f != only) || fa == fb)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %" PRIu64 " → %" PRIu64, n ? ", " : "", f->name, fa, fb);
	}
}

/* Does the database's history text cite a series in (a, b]? */
static int history_cites(const char *history, unsigned amaj, unsigned amin, unsigned bmaj, unsigned bmin)
{
	for (const char *p = history; p && *p; p++) {
		unsigned maj, min;
		int n;

		if ((p != history && (isdigit((unsigned char)p[-1]) || p[-1] == '.')) ||
		    sscanf(p, "%u.%u%n", &maj, &min, &n) != 2)
			continue;
		if ((maj > amaj || (maj == amaj && min > amin)) && (maj < bmaj || (maj == bmaj && min <= bmin)))
			return 1;
	}
	return 0;
}

/*
 * `kvmprof explain NAME`: what the captures in dir (one per Debian kernel
 * series and platform, made by make captures) measured of register r (or
 * its field f): the value on the first kernel and every change after it,
 * writable-mask changes and KVM_GET_REG_LIST membership; then where that
 * measured history and the database's cited history disagree.
 */
static void explain_measured(const struct regdb_reg *r, const struct regdb_field *f, const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	struct measured *ms = NULL;
	size_t n = 0, cap = 0, n_disagree = 0;
	const char *arch = regdb_arch_name(r->arch);
	char disagree[4096] = "";

	if (!dp)
		return;
	while ((e = readdir(dp))) {
		struct measured m = { 0 };
		struct host_facts h;
		struct diag d;
		char path[4096], rest[256];
		int len = 0;

		if (sscanf(e->d_name, "linux-%u.%u-%255s%n", &m.major, &m.minor, rest, &len) != 3 ||
		    strncmp(rest, arch, strlen(arch)) || rest[strlen(arch)] != '-' || strlen(rest) < 6 ||
		    strcmp(rest + strlen(rest) - 5, ".yaml"))
			continue;
		snprintf(m.platform, sizeof(m.platform), "%.*s", (int)(strlen(rest) - 5), rest);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		memset(&h, 0, sizeof(h));
		diag_init(&d, NULL);
		if (host_facts_load(path, r->arch, &h, &d) == 0 && h.present && !d.n_errors) {
			measure(&h, r, &m);
			if (n == cap) {
				cap = cap ? 2 * cap : 32;
				ms = xrealloc(ms, cap * sizeof(*ms));
			}
			ms[n++] = m;
		}
		host_facts_free(&h);
		diag_fini(&d);
	}
	closedir(dp);
	if (!n)
		return;
	qsort(ms, n, sizeof(*ms), measured_cmp);
	fprintf(out_f, "  measured (kvmprof capture in each Debian kernel, %s/linux-SERIES-PLATFORM.yaml):\n", dir);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		const struct measured *first = NULL, *prev = NULL;

		while (j < n && !strcmp(ms[j].platform, ms[i].platform))
			j++;
		fprintf(out_f, "    %s, %u.%u ... %u.%u:", ms[i].platform, ms[i].major, ms[i].minor, ms[j - 1].major, ms[j - 1].minor);
		for (size_t k = i; k < j; k++) {
			const struct measured *m = &ms[k];
			uint64_t fm = f ? (f->width >= 64 ? UINT64_MAX : ((UINT64_C(1) << f->width) - 1)) << f->shift : UINT64_MAX;
			char fields[512];

			if (!m->have && !m->listed)
				continue;
			if (!first) {
				first = m;
				fprintf(out_f, " %#" PRIx64 " on %u.%u\n", f ? (m->value & fm) >> f->shift : m->value, m->major, m->minor);
			} else if (prev && prev->have && m->have && ((prev->value ^ m->value) & fm)) {
				changed_fields(r, f, prev->value, m->value, fields, sizeof(fields));
				fprintf(out_f, "      %u.%u → %u.%u: %#" PRIx64 " → %#" PRIx64 "%s%s%s\n", prev->major, prev->minor, m->major,
				       m->minor, f ? (prev->value & fm) >> f->shift : prev->value,
				       f ? (m->value & fm) >> f->shift : m->value, fields[0] ? " (" : "", fields, fields[0] ? ")" : "");
				if (r->history && !history_cites(r->history, prev->major, prev->minor, m->major, m->minor) &&
				    !strstr(disagree, fields[0] ? fields : "value")) {
					size_t dl = strlen(disagree);
					snprintf(disagree + dl, sizeof(disagree) - dl, "    %s: %u.%u → %u.%u changed %s; the database's history cites no version in between\n",
						 m->platform, prev->major, prev->minor, m->major, m->minor, fields[0] ? fields : "the value");
					n_disagree++;
				}
			} else if (prev && prev->have != m->have) {
				fprintf(out_f, "      %u.%u → %u.%u: %s\n", prev->major, prev->minor, m->major, m->minor,
				       m->have ? "now read" : "no longer read");
			}
			if (prev && m->have_mask && ((prev->have_mask ? prev->mask : 0) ^ m->mask) & fm)
				fprintf(out_f, "      %u.%u → %u.%u: writable mask %#" PRIx64 " → %#" PRIx64 "\n", prev->major, prev->minor,
				       m->major, m->minor, (prev->have_mask ? prev->mask : 0) & fm, m->mask & fm);
			if (prev && prev->listed != m->listed && r->space != REGDB_VGIC_V3_DIST &&
			    r->space != REGDB_VGIC_V3_REDIST && r->space != REGDB_VGIC_V2_DIST && r->arch == KVMPROF_ARCH_ARM64)
				fprintf(out_f, "      %u.%u → %u.%u: %s KVM_GET_REG_LIST\n", prev->major, prev->minor, m->major, m->minor,
				       m->listed ? "appears in" : "leaves");
			prev = m;
		}
		if (!first)
			fprintf(out_f, " not read on any of them\n");
		i = j;
	}
	if (!r->history || !*r->history)
		fprintf(out_f, "  measured vs the database: the database states no history for %s; the measured changes above are the only record\n",
		       r->name);
	else if (disagree[0])
		fprintf(out_f, "  measured vs the database's history, where they disagree:\n%s", disagree);
	else
		fprintf(out_f, "  measured vs the database's history: every measured change falls in a version the history cites\n");
	free(ms);
}

/* A kfact's `set` rule as the .db file writes it ("set refuse 0 5"); "" for none. */
static const char *set_rule_text(const struct regdb_kfact *k, char *buf, size_t len)
{
	switch (k->set) {
	case REGDB_SET_AS:
		snprintf(buf, len, "set as 0x%" PRIx64 " 0x%" PRIx64 " (a written value taken as another)", k->set_a, k->set_b);
		break;
	case REGDB_SET_REFUSE:
		snprintf(buf, len, "set refuse 0x%" PRIx64 " 0x%" PRIx64 " (EINVAL)", k->set_a, k->set_b);
		break;
	case REGDB_SET_HOST_AS_ZERO:
		snprintf(buf, len, "set host-as-zero (the host hardware's own value taken as 0)");
		break;
	case REGDB_SET_BY_FLAG:
		snprintf(buf, len, "set by-flag (without writable masks, the field changes as its safety flag allows)");
		break;
	case REGDB_SET_KEEP:
		snprintf(buf, len, "set keep (without writable masks, any change is EINVAL)");
		break;
	case REGDB_SET_TAKEN:
		snprintf(buf, len, "set taken 0x%" PRIx64 " (a host write is stored as written while the VM keeps quirks 0x%" PRIx64 ")",
			 k->set_a, k->set_a);
		break;
	default:
		buf[0] = '\0';
	}
	return buf;
}

/*
 * The register database's kernel-keyed facts about r (kfact records): about
 * r or the field f, and, for a feature ID register (the range of
 * KVM_ARM_GET_REG_WRITABLE_MASKS), those about FEATURE_ID_REGISTERS.
 */
static void explain_kfacts(const struct regdb_reg *r, const struct regdb_field *f)
{
	int feature_id = r->arch == KVMPROF_ARCH_ARM64 && r->space == REGDB_ARM64_SYSREG && kvmprof_id_range_index(r->id) >= 0;

	for (size_t i = 0; i < regdb_n_kfacts; i++) {
		const struct regdb_kfact *k = &regdb_kfacts[i];
		size_t n = strlen(r->name);
		char rule[160];

		if (!(feature_id && !strcmp(k->reg, "FEATURE_ID_REGISTERS")) &&
		    (strncmp(k->reg, r->name, n) || (k->reg[n] && k->reg[n] != '.') ||
		     (f && k->reg[n] == '.' && strcmp(k->reg + n + 1, f->name))))
			continue;
		fprintf(out_f, "  kernel fact %s (%s): %s\n", k->name, k->reg, k->doc);
		if (set_rule_text(k, rule, sizeof(rule))[0])
			fprintf(out_f, "    rule where yes: %s\n", rule);
		for (uint32_t j = 0; j < k->n_ranges; j++) {
			const struct regdb_kfact_range *g = &k->ranges[j];
			char to[24];

			if (g->to % 1000 == 999)
				snprintf(to, sizeof(to), "%u.%u.*", g->to / 1000000, g->to / 1000 % 1000);
			else
				snprintf(to, sizeof(to), "%u.%u.%u", g->to / 1000000, g->to / 1000 % 1000, g->to % 1000);
			fprintf(out_f, "    %u.%u.%u .. %s: %s (%s)\n", g->from / 1000000, g->from / 1000 % 1000, g->from % 1000, to,
			       g->state == REGDB_KFACT_YES ? "yes" : g->state == REGDB_KFACT_NO ? "no" : "unknown", g->source);
		}
	}
}

/* Where explain finds the captures of its measured history (--captures). */
static const char *explain_captures = "profiles";

/* After a register or field: its kernel-keyed facts and measured history. */
static void explain_history(const struct regdb_reg *r, const struct regdb_field *f)
{
	explain_kfacts(r, f);
	explain_measured(r, f, explain_captures);
}

static void usage_explain(FILE *f)
{
	fputs("usage: kvmprof explain [--captures DIR] NAME | REGISTER.FIELD | --list\n"
	      "What the register database knows: encoding, fields, meaning, the kernels that changed it,\n"
	      "and the public source of each fact; for a register or field also its kernel-keyed facts, the\n"
	      "history measured by the captures in DIR (default profiles/, when it exists: one\n"
	      "linux-SERIES-PLATFORM.yaml with a host: section per kernel series), and where the measured\n"
	      "and the cited history disagree. NAME is spelt as profiles spell it, case ignored:\n"
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
			explain_history(r, f);
			return 1;
		}
		r = NULL;
	}
	if (r) {
		explain_reg(r);
		explain_history(r, NULL);
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
			explain_history(r, f);
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
		{ "list", no_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ "captures", required_argument, NULL, 'c' }, { 0 }
	};
	int c, list = 0;

	out_f = out_stream;
	err_f = err_stream;
	explain_captures = "profiles"; /* the verb may run more than once in one process */
	while ((c = getopt_long(argc, argv, "lhc:", opts, NULL)) != -1) {
		switch (c) {
		case 'l': list = 1; break;
		case 'c': explain_captures = optarg; break;
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
