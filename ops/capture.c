/* SPDX-License-Identifier: MIT */
/*
 * capture.c - what the running kernel presents to a fresh VM, as a profile
 * plus its `host:` facts (see capture.h and docs/cli.md, "capture").
 *
 * The VM is a scratch VM: created, read (and on arm64 its vGIC fields
 * probed by writing each value and restoring the default), and closed.
 * Facts a kernel does not offer are left out (unknown), never written as 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "capture.h"
#include "kvm_compat.h"
#include "regdb.h"


#define MAX_REG_LIST 8192
#define MAX_CPUID 256
#define MAX_MSRS 1024

struct cap_state {
	const struct capture_opts *o;
	char not_offered[256]; /* requested vCPU features the kernel does not offer */
	int kvm_fd, vm_fd, vcpu_fd, gic_fd;
	struct profile *p;
	struct host_facts *h;
	char *err;
	size_t errlen;
};

int host_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int capture_fail(struct cap_state *s, int err, const char *what)
{
	snprintf(s->err, s->errlen, "%s: %s", what, strerror(-err));
	return err;
}


static struct pentry *add_entry(struct profile *p, const char *name, int kind, int phase)
{
	struct pentry *e = profile_add_entry(p);

	e->name = xstrdup(name);
	e->kind = kind;
	e->phase = phase;
	e->policy = KVMPROF_POLICY_EXACT;
	e->has_value = 1;
	e->profile = xstrdup(p->name);
	return e;
}

/* A register entry stating every field the database names, plus the whole
 * value (bits outside the fields included), but for per-vCPU fields. */
static void add_register(struct profile *p, const struct regdb_reg *r, int kind, int phase, uint64_t value)
{
	struct pentry *e;

	/* x2APIC ids and the like: one vCPU's value, each VMM's to set. */
	if ((width_mask(r->width) & ~regdb_vmm_owned_bits(r)) == 0)
		return;
	e = add_entry(p, r->name, kind, phase);

	e->reg = r;
	e->id = r->id;
	e->width = r->width;
	e->cpuid_reg = r->cpuid_reg;
	pentry_set_value_with_fields(e, value, width_mask(r->width));
}

static void add_provenance(struct profile *p, const char *key, const char *value)
{
	p->provenance = xrealloc(p->provenance, (p->n_provenance + 1) * sizeof(*p->provenance));
	memset(&p->provenance[p->n_provenance], 0, sizeof(*p->provenance));
	p->provenance[p->n_provenance].key = xstrdup(key);
	p->provenance[p->n_provenance].value = xstrdup(value);
	p->n_provenance++;
}

/* First "model name" (x86) or "CPU part"/"CPU implementer" (arm64) of /proc/cpuinfo. */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512], impl[64] = "", part[64] = "";

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		colon++;
		colon += strspn(colon, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		if (!strncmp(line, "model name", 10) && !buf[0])
			snprintf(buf, len, "%s", colon);
		else if (!strncmp(line, "CPU implementer", 15) && !impl[0])
			snprintf(impl, sizeof(impl), "%s", colon);
		else if (!strncmp(line, "CPU part", 8) && !part[0])
			snprintf(part, sizeof(part), "%s", colon);
	}
	fclose(f);
	if (!buf[0] && part[0])
		snprintf(buf, len, "implementer %s part %s", impl, part);
}

static void slug(const char *in, char *out, size_t len)
{
	size_t n = 0;
	int dash = 0;

	for (; *in && n + 1 < len; in++) {
		char c = *in;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.') {
			out[n++] = c;
			dash = 0;
		} else if (!dash && n) {
			out[n++] = '-';
			dash = 1;
		}
	}
	while (n && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

void capture_default_name(char *buf, size_t len)
{
	struct utsname u;
	unsigned a = 0, b = 0;
	char host[128] = "", where[128];

	if (uname(&u) == 0) {
		sscanf(u.release, "%u.%u", &a, &b);
		slug(u.nodename, host, sizeof(host));
	}
	if (!host[0] || !strcmp(host, "localhost") || !strcmp(host, "none")) {
		char cpu[128];
		cpu_model(cpu, sizeof(cpu));
		slug(cpu, host, sizeof(host));
	}
	snprintf(where, sizeof(where), "%s", host[0] ? host : "unknown");
	snprintf(buf, len, "linux-%u.%u-%s-%s", a, b,
		 regdb_arch_name(regdb_host_arch()), where);
}

/* ---- facts common to both architectures ---- */

static void capture_caps(struct cap_state *s)
{
	struct host_facts *h = s->h;

	for (size_t i = 0; i < regdb_n_syms; i++) {
		const struct regdb_sym *sym = &regdb_syms[i];
		int v;

		if (sym->kind != REGDB_SYM_CAP || (sym->arch && sym->arch != h->arch))
			continue;
		v = host_ioctl(s->vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)sym->value);
		if (v < 0)
			continue; /* not even answerable: unknown */
		h->caps = xrealloc(h->caps, (h->n_caps + 1) * sizeof(*h->caps));
		h->caps[h->n_caps++] = (struct host_cap){ xstrdup(sym->name), sym->value, v };
	}
}

int host_reg_list(int vcpu_fd, uint64_t **ids, size_t *n)
{
	struct kvm_reg_list probe = { .n = 0 };
	struct kvm_reg_list *list;
	int r = host_ioctl(vcpu_fd, KVM_GET_REG_LIST, &probe);

	*ids = NULL;
	*n = 0;
	if (r < 0 && r != -E2BIG)
		return 0; /* no register list on this kernel: unknown */
	if (probe.n > MAX_REG_LIST)
		return -E2BIG;
	if (probe.n == 0)
		return 1;
	list = xcalloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	list->n = probe.n;
	r = host_ioctl(vcpu_fd, KVM_GET_REG_LIST, list);
	if (r >= 0) {
		*ids = xcalloc(list->n, sizeof(uint64_t));
		memcpy(*ids, list->reg, list->n * sizeof(uint64_t));
		*n = list->n;
	}
	free(list);
	return r < 0 ? r : 1;
}

static int reg_list(struct cap_state *s)
{
	struct host_facts *h = s->h;
	int r = host_reg_list(s->vcpu_fd, &h->reg_list, &h->n_reg_list);

	if (r < 0)
		return capture_fail(s, r, "KVM_GET_REG_LIST");
	h->have_reg_list = r;
	return 0;
}

/* Defaults of the listed registers up to 64 bits wide. */
static void reg_values(struct cap_state *s)
{
	struct host_facts *h = s->h;

	h->reg_values = xcalloc(h->n_reg_list, sizeof(*h->reg_values));
	for (size_t i = 0; i < h->n_reg_list; i++) {
		uint64_t id = h->reg_list[i], val = 0;
		unsigned bytes = 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
		struct kvm_one_reg one = { .id = id, .addr = (uintptr_t)&val };

		const struct regdb_reg *r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, id, 0);

		/* Run-time state (timer counters tick between boots) is not a
		 * default any profile states: recording it would only make two
		 * captures of the same kernel differ. */
		if (r && (r->flags & REGDB_R_STATE))
			continue;
		if (bytes > 8 || host_ioctl(s->vcpu_fd, KVM_GET_ONE_REG, &one) < 0)
			continue;
		h->reg_values[h->n_reg_values++] = (struct host_reg_value){ id, val & width_mask(bytes * 8) };
	}
}

static void regset_from_list(struct host_facts *h)
{
	h->have_regset = h->n_reg_list > 0;
	h->regset = xcalloc(h->n_reg_list, sizeof(*h->regset));
	for (size_t i = 0; i < h->n_reg_list; i++)
		h->regset[h->n_regset++] = (struct host_regset_entry){ h->reg_list[i], NULL, HOST_REG_REQUIRED, { 0 } };
}

#if defined(__aarch64__)
/* ---- arm64 ---- */

/* Guest physical addresses of QEMU's virt machine (hw/arm/virt.c:
 * VIRT_GIC_DIST 0x08000000, VIRT_GIC_REDIST 0x080A0000). */
#define GIC_DIST_BASE 0x08000000ull
#define GIC_REDIST_BASE 0x080a0000ull

static int dev_attr(int fd, unsigned long req, uint32_t group, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)addr };
	return host_ioctl(fd, req, &a);
}

/* Registers of the profile: ID, identification, cache and firmware
 * registers (what a guest reads to learn its machine). vCPU run-time state
 * (REGDB_R_STATE in the database: core registers, timers, MPIDR_EL1, which
 * differs per vCPU, CSSELR_EL1 ...) is the VMM's business, as in the
 * Firecracker importer. */
static int guest_visible(const struct regdb_reg *r)
{
	if (r->flags & REGDB_R_STATE)
		return 0;
	return r->space == REGDB_ARM64_FW || r->space == REGDB_ARM64_DEMUX ||
	       (r->flags & REGDB_R_ID_REG) || r->n_fields > 0;
}

static const struct regdb_reg *arm64_reg(uint64_t id)
{
	const struct regdb_reg *r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, id, 0);

	if (!r)
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_FW, id, 0);
	if (!r)
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_DEMUX, id, 0);
	return r;
}

static void writable_masks(struct cap_state *s)
{
	uint64_t masks[KVMPROF_ID_RANGE_WORDS];
	struct kvmprof_reg_mask_range range = { .addr = (uintptr_t)masks, .range = KVMPROF_ARM_FEATURE_ID_RANGE };
	struct host_facts *h = s->h;

	if (host_ioctl(s->vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) <= 0)
		return;
	memset(masks, 0, sizeof(masks));
	if (host_ioctl(s->vm_fd, KVMPROF_KVM_ARM_GET_REG_WRITABLE_MASKS, &range) < 0)
		return;
	h->have_masks = 1;
	h->masks = xcalloc(KVMPROF_ID_RANGE_WORDS, sizeof(*h->masks));
	for (unsigned i = 0; i < KVMPROF_ID_RANGE_WORDS; i++)
		if (masks[i])
			h->masks[h->n_masks++] = (struct host_reg_value){ kvmprof_id_range_reg(i), masks[i] };
}

static void vgic(struct cap_state *s)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GIC_DIST_BASE, redist = GIC_REDIST_BASE;
	struct host_facts *h = s->h;
	struct profile *p = s->p;

	if (host_ioctl(s->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return; /* no vGICv3 here: nothing recorded */
	s->gic_fd = (int)cd.fd;
	if (dev_attr(s->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) < 0 ||
	    dev_attr(s->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist) < 0 ||
	    dev_attr(s->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL) < 0)
		return;
	for (size_t i = 0; i < regdb_n_regs; i++) {
		const struct regdb_reg *r = &regdb_regs[i];
		uint32_t val = 0;

		if (r->arch != KVMPROF_ARCH_ARM64 || r->space != REGDB_VGIC_V3_DIST)
			continue;
		if (dev_attr(s->gic_fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, r->id, &val) < 0)
			continue;
		h->attrs = xrealloc(h->attrs, (h->n_attrs + 1) * sizeof(*h->attrs));
		h->attrs[h->n_attrs++] = (struct host_attr){ KVM_DEV_TYPE_ARM_VGIC_V3, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
							     r->id, val };
		add_register(p, r, KVMPROF_KIND_DEVICE_ATTR, KVMPROF_PHASE_DEVICE, val);
		p->entries[p->n_entries - 1].aux = KVM_DEV_TYPE_ARM_VGIC_V3;
		p->entries[p->n_entries - 1].group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
		/* Which values of each narrow field does this kernel accept?
		 * Write each, restore the default; keep contiguous answers. */
		for (uint32_t f = 0; f < r->n_fields; f++) {
			const struct regdb_field *rf = &r->fields[f];
			uint32_t fm = (uint32_t)width_mask(rf->width) << rf->shift;
			int lo = -1, hi = -1, gaps = 0;

			if (rf->width > 4)
				continue;
			for (uint32_t v = 0; v < (1u << rf->width); v++) {
				uint32_t test = (val & ~fm) | (v << rf->shift);

				if (dev_attr(s->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, r->id, &test) < 0)
					continue;
				if (hi >= 0 && (int)v != hi + 1)
					gaps = 1;
				if (lo < 0)
					lo = (int)v;
				hi = (int)v;
			}
			dev_attr(s->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, r->id, &val);
			if (lo < 0 || gaps || (lo == 0 && hi == (int)width_mask(rf->width)))
				continue; /* nothing, a gap (not a range) or everything: no limit worth recording */
			h->ranges = xrealloc(h->ranges, (h->n_ranges + 1) * sizeof(*h->ranges));
			h->ranges[h->n_ranges++] = (struct host_range){ xstrdup(r->name), xstrdup(rf->name),
									(uint64_t)lo, (uint64_t)hi };
		}
	}
}

/* A vCPU feature entry (on) of the capture. */
static void add_feature(struct profile *p, const struct regdb_sym *f)
{
	struct pentry *e = add_entry(p, f->name, KVMPROF_KIND_VCPU_FEATURE, KVMPROF_PHASE_VCPU_INIT);

	e->id = f->value;
	e->width = 1;
	e->value = 1;
	e->mask = 1;
}

/* Does the kernel offer vCPU feature f (its capability, regdb `needs`)? */
static int feature_offered(struct cap_state *s, const struct regdb_sym *f)
{
	const struct regdb_sym *cap = f->needs ? regdb_sym_by_name(REGDB_SYM_CAP, f->needs, KVMPROF_ARCH_ARM64) : NULL;

	return !cap || host_ioctl(s->vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)cap->value) > 0;
}

/*
 * The features of capture_opts.vcpu_features the kernel offers, into init
 * (and the profile); the names of those it does not, into not_offered.
 * 0, or -EINVAL for a name the database does not know.
 */
static int requested_features(struct cap_state *s, struct kvm_vcpu_init *init)
{
	const char *list = s->o->vcpu_features;
	char *not_offered = s->not_offered;
	size_t len = sizeof(s->not_offered);

	while (list && *list) {
		size_t n = strcspn(list, ", ");
		char name[64];
		const struct regdb_sym *f;

		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), list);
		list += n + strspn(list + n, ", ");
		if (!name[0])
			continue;
		f = regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, name, KVMPROF_ARCH_ARM64);
		if (!f || f->value >= 32 * sizeof(init->features) / sizeof(init->features[0])) {
			snprintf(s->err, s->errlen, "unknown vCPU feature '%s' (see `kvmprof explain --list`)", name);
			return -EINVAL;
		}
		if (init->features[f->value / 32] & (1u << (f->value % 32)))
			continue;
		if (!feature_offered(s, f)) {
			size_t used = strlen(not_offered);
			snprintf(not_offered + used, len - used, "%s%s", used ? " " : "", f->name);
			continue;
		}
		init->features[f->value / 32] |= 1u << (f->value % 32);
		add_feature(s->p, f);
	}
	return 0;
}

static int capture_arch(struct cap_state *s)
{
	struct kvm_vcpu_init init;
	struct profile *p = s->p;
	struct host_facts *h = s->h;
	const struct regdb_sym *psci = regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, "psci-0.2", KVMPROF_ARCH_ARM64);
	const struct regdb_sym *sve = regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, "sve", KVMPROF_ARCH_ARM64);
	int r;

	memset(&init, 0, sizeof(init));
	r = host_ioctl(s->vm_fd, KVM_ARM_PREFERRED_TARGET, &init);
	if (r < 0)
		return capture_fail(s, r, "KVM_ARM_PREFERRED_TARGET");
	s->vcpu_fd = host_ioctl(s->vm_fd, KVM_CREATE_VCPU, (void *)0);
	if (s->vcpu_fd < 0)
		return capture_fail(s, s->vcpu_fd, "KVM_CREATE_VCPU");
	/* PSCI 0.2 as every VMM asks for it (QEMU, kvmtool, Firecracker). */
	if (psci && psci->value < 32 && feature_offered(s, psci)) {
		init.features[0] |= 1u << psci->value;
		add_feature(p, psci);
	}
	r = requested_features(s, &init);
	if (r < 0)
		return r;
	r = host_ioctl(s->vcpu_fd, KVM_ARM_VCPU_INIT, &init);
	if (r < 0)
		return capture_fail(s, r, "KVM_ARM_VCPU_INIT");
	/* SVE's registers exist once the vector lengths are final (api.rst,
	 * KVM_ARM_VCPU_FINALIZE); until then KVM_GET_REG_LIST is EPERM. */
	if (sve && sve->value < 32 && (init.features[0] & (1u << sve->value))) {
		int what = (int)sve->value;

		r = host_ioctl(s->vcpu_fd, KVM_ARM_VCPU_FINALIZE, &what);
		if (r < 0)
			return capture_fail(s, r, "KVM_ARM_VCPU_FINALIZE (sve)");
	}
	r = reg_list(s);
	if (r < 0)
		return r;
	reg_values(s);
	writable_masks(s);
	for (size_t i = 0; i < h->n_reg_values; i++) {
		const struct regdb_reg *rr = arm64_reg(h->reg_values[i].id);

		if (rr && guest_visible(rr))
			add_register(p, rr, KVMPROF_KIND_ONE_REG, KVMPROF_PHASE_VCPU_REGS, h->reg_values[i].value);
	}
	vgic(s);
	return 0;
}

#elif defined(__x86_64__)
/* ---- x86_64 ---- */

static const struct host_cpuid_leaf *leaf_of(const struct host_facts *h, uint32_t fn, uint32_t idx)
{
	for (size_t i = 0; i < h->n_cpuid; i++)
		if (h->cpuid[i].function == fn &&
		    (!(h->cpuid[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || h->cpuid[i].index == idx))
			return &h->cpuid[i];
	return NULL;
}

static int msr_read(int fd, uint32_t index, uint64_t *value)
{
	/* A union, not a struct with the header first: ISO C has no struct
	 * member after a flexible array (clang -Wgnu-variable-sized-type-not-at-end). */
	union {
		struct kvm_msrs hdr;
		unsigned char bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} b;

	memset(&b, 0, sizeof(b));
	b.hdr.nmsrs = 1;
	b.hdr.entries[0].index = index;
	if (host_ioctl(fd, KVM_GET_MSRS, &b) != 1)
		return -1;
	*value = b.hdr.entries[0].data;
	return 0;
}

static void msr_lists(struct cap_state *s)
{
	union {
		struct kvm_msr_list hdr;
		unsigned char bytes[sizeof(struct kvm_msr_list) + MAX_MSRS * sizeof(uint32_t)];
	} list;
	struct host_facts *h = s->h;

	list.hdr.nmsrs = MAX_MSRS;
	if (host_ioctl(s->kvm_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &list) == 0) {
		h->have_feature_msrs = 1;
		h->feature_msrs = xcalloc(list.hdr.nmsrs, sizeof(*h->feature_msrs));
		for (uint32_t i = 0; i < list.hdr.nmsrs; i++) {
			uint64_t v;
			if (msr_read(s->kvm_fd, list.hdr.indices[i], &v) == 0)
				h->feature_msrs[h->n_feature_msrs++] = (struct host_msr){ list.hdr.indices[i], v };
		}
	}
	list.hdr.nmsrs = MAX_MSRS;
	if (host_ioctl(s->kvm_fd, KVM_GET_MSR_INDEX_LIST, &list) == 0) {
		h->have_msr_list = 1;
		h->msr_list = xcalloc(list.hdr.nmsrs, sizeof(uint32_t));
		memcpy(h->msr_list, list.hdr.indices, list.hdr.nmsrs * sizeof(uint32_t));
		h->n_msr_list = list.hdr.nmsrs;
	}
}

static int vcpu_msr_recorded(const struct host_facts *h, uint32_t index)
{
	for (size_t i = 0; i < h->n_vcpu_msrs; i++)
		if (h->vcpu_msrs[i].index == index)
			return 1;
	return 0;
}

static void add_vcpu_msr(struct host_facts *h, uint32_t index, uint64_t value)
{
	h->vcpu_msrs = xrealloc(h->vcpu_msrs, (h->n_vcpu_msrs + 1) * sizeof(*h->vcpu_msrs));
	h->vcpu_msrs[h->n_vcpu_msrs++] = (struct host_msr){ index, value };
}

/* A flag set the kernel offers, every flag the database names at 0 (keep / off). */
static void add_flags(struct profile *p, const char *name, int kind, uint64_t cap, int sym_kind, uint64_t offered)
{
	struct pentry *e = NULL;

	for (unsigned bit = 0; bit < 64; bit++) {
		const struct regdb_sym *sym;

		if (!(offered >> bit & 1) || !(sym = regdb_sym_by_value(sym_kind, bit, KVMPROF_ARCH_X86_64)))
			continue;
		if (!e) {
			e = add_entry(p, name, kind, KVMPROF_PHASE_VM);
			e->id = cap;
			e->width = 64;
			e->has_value = 0;
		}
		pentry_add_field(e, sym->name, bit, 1, 0);
		e->mask |= UINT64_C(1) << bit;
	}
}

static int capture_arch(struct cap_state *s)
{
	union {
		struct kvm_cpuid2 hdr;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + MAX_CPUID * sizeof(struct kvm_cpuid_entry2)];
	} cpuid;
	struct host_facts *h = s->h;
	struct profile *p = s->p;
	const struct host_cap *c;
	int r;

	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.hdr.nent = MAX_CPUID;
	r = host_ioctl(s->kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid);
	if (r == 0) {
		h->have_cpuid = 1;
		h->cpuid = xcalloc(cpuid.hdr.nent, sizeof(*h->cpuid));
		for (uint32_t i = 0; i < cpuid.hdr.nent; i++) {
			const struct kvm_cpuid_entry2 *e = &cpuid.hdr.entries[i];
			h->cpuid[h->n_cpuid++] = (struct host_cpuid_leaf){ e->function, e->index, e->flags,
									    { e->eax, e->ebx, e->ecx, e->edx } };
		}
	}
	msr_lists(s);
	if ((c = host_cap_by_number(h, KVM_CAP_DISABLE_QUIRKS2)) != NULL) {
		h->have_quirks = 1;
		h->quirks = (uint64_t)c->value;
	}
	if ((c = host_cap_by_number(h, KVM_CAP_X2APIC_API)) != NULL) {
		h->have_x2apic = 1;
		h->x2apic = (uint64_t)c->value;
	}
	/* The defaults: every quirk offered kept, every x2APIC flag off. */
	if (h->have_quirks && h->quirks)
		add_flags(p, "KVM_CAP_DISABLE_QUIRKS2", KVMPROF_KIND_QUIRKS, KVM_CAP_DISABLE_QUIRKS2, REGDB_SYM_QUIRK, h->quirks);
	if (h->have_x2apic && h->x2apic)
		add_flags(p, "KVM_CAP_X2APIC_API", KVMPROF_KIND_X2APIC_API, KVM_CAP_X2APIC_API, REGDB_SYM_X2APIC_FLAG, h->x2apic);
	s->vcpu_fd = host_ioctl(s->vm_fd, KVM_CREATE_VCPU, (void *)0);
	if (s->vcpu_fd < 0)
		return capture_fail(s, s->vcpu_fd, "KVM_CREATE_VCPU");
	r = reg_list(s);
	if (r < 0)
		return r;
	reg_values(s);
	/* CPUID registers the database names, as KVM_GET_SUPPORTED_CPUID offers them. */
	for (size_t i = 0; i < regdb_n_regs; i++) {
		const struct regdb_reg *rr = &regdb_regs[i];
		const struct host_cpuid_leaf *l;

		if (rr->arch != KVMPROF_ARCH_X86_64 || rr->space != REGDB_X86_CPUID || !rr->n_fields)
			continue;
		l = leaf_of(h, (uint32_t)(rr->id >> 32), (uint32_t)rr->id);
		if (l)
			add_register(p, rr, KVMPROF_KIND_CPUID, KVMPROF_PHASE_VCPU_REGS, l->regs[rr->cpuid_reg]);
	}
	/* Feature MSRs the database names: a fresh vCPU's value, stated in the profile. */
	for (size_t i = 0; i < h->n_feature_msrs; i++) {
		const struct regdb_reg *rr = regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_MSR, h->feature_msrs[i].index, 0);
		uint64_t v;

		if (!rr || msr_read(s->vcpu_fd, h->feature_msrs[i].index, &v) < 0)
			continue;
		add_vcpu_msr(h, h->feature_msrs[i].index, v);
		add_register(p, rr, KVMPROF_KIND_MSR, KVMPROF_PHASE_VCPU_REGS, v);
	}
	/* The other MSRs the database names and KVM_GET_MSR_INDEX_LIST lists:
	 * their fresh vCPU values are host facts only (not profile entries),
	 * so the offline check can tell whether a profile's value is already
	 * there (IA32_MISC_ENABLE, MSR_K7_HWCR ...). */
	for (size_t i = 0; i < h->n_msr_list; i++) {
		uint32_t index = h->msr_list[i];
		uint64_t v;

		if (!regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_MSR, index, 0) || vcpu_msr_recorded(h, index) ||
		    msr_read(s->vcpu_fd, index, &v) < 0)
			continue;
		add_vcpu_msr(h, index, v);
	}
	return 0;
}
#else
static int capture_arch(struct cap_state *s)
{
	return capture_fail(s, -EOPNOTSUPP, "capture on this architecture");
}
#endif

int capture_run(const struct capture_opts *o, struct profile **pp, struct host_facts *h, char *err, size_t errlen)
{
	struct cap_state s = { .o = o, .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .gic_fd = -1, .h = h, .err = err,
			       .errlen = errlen };
	struct profile *p = xcalloc(1, sizeof(*p));
	char name[256], buf[512], cpu[256];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	int r;

	memset(h, 0, sizeof(*h));
	h->arch = regdb_host_arch();
	h->present = 1;
	if (o->name)
		snprintf(name, sizeof(name), "%s", o->name);
	else
		capture_default_name(name, sizeof(name));
	p->name = xstrdup(name);
	p->arch = regdb_host_arch();
	p->format_version = 1;
	s.p = p;
	*pp = p;

	s.kvm_fd = open(o->kvm_path ? o->kvm_path : "/dev/kvm", O_RDWR | O_CLOEXEC);
	if (s.kvm_fd < 0) {
		r = capture_fail(&s, -errno, o->kvm_path ? o->kvm_path : "/dev/kvm");
		goto out;
	}
	s.vm_fd = host_ioctl(s.kvm_fd, KVM_CREATE_VM, (void *)0);
	if (s.vm_fd < 0) {
		r = capture_fail(&s, s.vm_fd, "KVM_CREATE_VM");
		goto out;
	}
#if defined(__x86_64__)
	/* Capabilities are answered on the VM fd after the irqchip exists
	 * (real-kvm.md: X2APIC_API and APIC_BUS_CYCLES_NS depend on it). */
	host_ioctl(s.vm_fd, KVM_CREATE_IRQCHIP, NULL);
#endif
	capture_caps(&s);
	if (o->vcpu_features && o->vcpu_features[strspn(o->vcpu_features, ", ")] && h->arch != KVMPROF_ARCH_ARM64) {
		r = capture_fail(&s, -EINVAL, "vCPU features (KVM_ARM_VCPU_INIT) are arm64's");
		goto out;
	}
	r = capture_arch(&s);
	if (r < 0)
		goto out;
	regset_from_list(h);

	uname(&u);
	h->kernel = xstrdup(u.release);
	h->machine = xstrdup(u.machine);
	{
		unsigned a = 0, b = 0, c = 0;
		if (sscanf(u.release, "%u.%u.%u", &a, &b, &c) >= 2)
			h->kernel_version = KVMPROF_KERNEL_VERSION(a, b, c);
	}
	cpu_model(cpu, sizeof(cpu));
	gmtime_r(&now, &tm);
	snprintf(buf, sizeof(buf), "What KVM presented to a fresh VM on %s (Linux %s, %s), captured by kvmprof capture.",
		 u.nodename, u.release, u.machine);
	p->description = xstrdup(buf);
	add_provenance(p, "kind", "captured");
	add_provenance(p, "kernel", u.release);
	add_provenance(p, "machine", u.machine);
	if (cpu[0])
		add_provenance(p, "cpu", cpu);
	add_provenance(p, "host", u.nodename);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	add_provenance(p, "date", buf);
	add_provenance(p, "tool", "kvmprof capture " KVMPROF_VERSION_STRING);
	if (s.not_offered[0])
		add_provenance(p, "vcpu-features-not-offered", s.not_offered);
	r = 0;
out:
	if (s.gic_fd >= 0)
		close(s.gic_fd);
	if (s.vcpu_fd >= 0)
		close(s.vcpu_fd);
	if (s.vm_fd >= 0)
		close(s.vm_fd);
	if (s.kvm_fd >= 0)
		close(s.kvm_fd);
	return r;
}

int capture_write(FILE *out, const struct profile *p, const struct host_facts *h)
{
	profile_write_yaml_file(p, 0, h, out);
	return ferror(out) ? -1 : 0;
}
