/* SPDX-License-Identifier: MIT */
/*
 * check.c - `kvmprof check PROFILE... [--against CAPTURE]...`: can this host
 * (or the hosts the captures describe) present each profile?
 *
 * The answer comes from libkvmprof itself: each profile's tables are built
 * in memory once (tables.c) and handed to the runtime.
 *  - live: a scratch VM on /dev/kvm and the runtime's apply, as a VMM does
 *    it (validate, write, read back): a kernel that rewrites or ignores a
 *    write is seen. Only the scratch VM is written; it is closed after.
 *  - offline (--against): the replay backend (replay.c), an emulation of
 *    the captured kernel, with the runtime applying the profile leniently:
 *    the emulation refuses what the capture says the kernel refuses, and
 *    the runtime then probes and reports the accepted range
 *    (GICD_IIDR.Revision 2..3).
 * Many profiles and captures (files or folders) make the fleet matrix in one
 * process: every input is loaded once, captures with the same host: facts
 * (by hash) are decided once.
 *
 * Exit status: 0 yes, 1 no, 2 usage or input error, 3 unknown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "capture.h"
#include "cli.h"
#include "host.h"
#include "json.h"
#include "kvm_compat.h"
#include "replay.h"
#include "tables.h"

enum { OUT_TEXT, OUT_JSON, OUT_MARKDOWN };
enum { V_YES, V_NO, V_UNKNOWN };

/* Outcome words of a check (the runtime's names speak of applying). */
#define OUTCOME_UNKNOWN 100

struct row {
	const struct kvmprof_result *r; /* NULL for a phase-level line */
	int outcome;                    /* enum kvmprof_outcome or OUTCOME_UNKNOWN */
	char name[128];
	int phase;
	char reason[512];
	/* What a CI job needs of a blocking entry: the field(s) at fault ("" if
	 * the whole value), what the profile wants, what the host has (its
	 * value) and the values it accepts ("lo..hi", "" if unknown). */
	char field[160];
	char wanted[24], host_value[24], accepted[48];
};

/* A profile, loaded once for every host it is checked on. */
struct check_input {
	const char *path;
	struct profile *p;
	struct tables t;
	struct host_facts want;    /* its register-set */
};

/* A captured host, loaded once; identical captures (same host: facts) share one answer. */
struct check_host {
	const char *path;
	char *name;                /* the capture's profile name */
	int arch;
	struct host_facts cap;
	char hash[32];             /* of the host: facts */
	size_t same_as;            /* index of the first host with this hash (itself if none) */
	char label[256];           /* "NAME (captured: Linux RELEASE)" */
};

/* One profile on one host: the state of a single check. */
struct checker {
	const struct check_input *in;
	const struct check_host *host; /* NULL: live, this host */
	int offline;
	struct replay replay;
	const struct kvmprof_sys *old_sys;
	struct kvmprof_vm vm;
	struct kvmprof_result *results;
	struct kvmprof_report report;
	struct row *rows;
	size_t n_rows;
	char where[256];           /* the host as the output names it */
	uint64_t *reg_list;        /* the kernel's register list (live) or the capture's */
	size_t n_reg_list;
	int have_reg_list;
	char **drift_new, **drift_missing;
	size_t n_new, n_missing;
	int fatal;                 /* the question could not be asked (exit 2) */
	int lean;                  /* fleet: text only for rows that block or are undecided */
};

static void usage_check(FILE *f)
{
	fputs("usage: kvmprof check PROFILE.yaml... [--against CAPTURE.yaml]... [--format text|markdown|json] [-I DIR]...\n"
	      "Can this host (or the hosts the captures describe) present each PROFILE? Live: applies the\n"
	      "profile to a scratch VM of /dev/kvm and reads it back, as a VMM's apply does. Offline\n"
	      "(--against): applies it to an emulation of each captured kernel. Names every entry that\n"
	      "blocks, with the reason, and the register-list drift.\n"
	      "PROFILE and CAPTURE may be folders (their *.yaml; files without host: in a --against folder\n"
	      "are left out). One profile and at most one capture: the detailed answer; more: the fleet\n"
	      "matrix (text grid, markdown or json, every cell with its blocking entries), identical\n"
	      "captures decided once.\n"
	      "  --against FILE|DIR  answer offline for the hosts of `kvmprof capture` files (repeatable)\n"
	      "  --format FMT        text (default), markdown, or json\n"
	      "  -I DIR              where base profiles are looked up after the profile's folder (default: profiles)\n"
	      "Exit status: 0 yes (every cell), 1 no (some cell), 2 usage or input error, 3 unknown (no cell\n"
	      "no, some cell undecided).\n", f);
}

static struct row *add_row(struct checker *c)
{
	c->rows = xgrow(c->rows, c->n_rows, sizeof(*c->rows));
	memset(&c->rows[c->n_rows], 0, sizeof(*c->rows));
	return &c->rows[c->n_rows++];
}

static const char *outcome_word(int o)
{
	switch (o) {
	case KVMPROF_OUT_APPLIED:
	case KVMPROF_OUT_CHECK_OK: return "presentable";
	case KVMPROF_OUT_ALREADY_EQUAL: return "default";
	case KVMPROF_OUT_SKIPPED_REQUIRES: return "skipped";
	case KVMPROF_OUT_UNSUPPORTED: return "unsupported";
	case KVMPROF_OUT_REJECTED: return "rejected";
	case KVMPROF_OUT_READBACK_DIFFERS: return "differs";
	case KVMPROF_OUT_NOT_ATTEMPTED: return "not-attempted";
	default: return "unknown";
	}
}

static int blocks(const struct row *w)
{
	if (w->outcome == KVMPROF_OUT_UNSUPPORTED)
		return !(w->r && (w->r->entry->flags & KVMPROF_ENTRY_OPTIONAL));
	return w->outcome == KVMPROF_OUT_REJECTED || w->outcome == KVMPROF_OUT_READBACK_DIFFERS ||
	       w->outcome == KVMPROF_OUT_NOT_ATTEMPTED;
}

/* ---- running the profile ---- */

static void phase_error(struct checker *c, int phase, int err)
{
	struct row *w = add_row(c);

	w->outcome = err == KVMPROF_ERR_FACTS || err == -ENODATA ? OUTCOME_UNKNOWN : KVMPROF_OUT_REJECTED;
	w->phase = phase;
	snprintf(w->name, sizeof(w->name), "(%s phase)", kvmprof_phase_name(phase));
	snprintf(w->reason, sizeof(w->reason), "the %s phase failed: %s", kvmprof_phase_name(phase),
		 kvmprof_strerror(err));
}

/* Errors that are part of the answer (the report names the entries). */
static int answer_err(int r)
{
	return r == 0 || r == KVMPROF_ERR_UNSUPPORTED || r == KVMPROF_ERR_REJECTED || r == KVMPROF_ERR_READBACK;
}

static int run_offline(struct checker *c)
{
	const struct kvmprof_profile *p = &c->in->t.profile;
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT };
	int r;

	/* The runtime serves every architecture: it follows the arch the
	 * replayed capture reports, whatever this build's is. */
	replay_init(&c->replay, &c->host->cap);
	c->old_sys = kvmprof_sys_install(&c->replay.sys);
	r = kvmprof_vm_init(&c->vm, p, REPLAY_KVM_FD, REPLAY_VM_FD, &opts);
	if (r < 0) {
		struct row *w = add_row(c);
		w->phase = -1;
		snprintf(w->name, sizeof(w->name), "(profile)");
		if (r == KVMPROF_ERR_REQUIRES) {
			w->outcome = KVMPROF_OUT_UNSUPPORTED;
			snprintf(w->reason, sizeof(w->reason), "the profile's requires `%s` is false on this kernel",
				 p->requires && p->requires->text ? p->requires->text : "?");
		} else {
			w->outcome = OUTCOME_UNKNOWN;
			snprintf(w->reason, sizeof(w->reason), "cannot bind the profile: %s%s%s", kvmprof_strerror(r),
				 c->replay.n_unknown ? "; " : "", c->replay.n_unknown ? c->replay.unknown[0].what : "");
		}
		return 0;
	}
	r = kvmprof_apply_vm(&c->vm, &c->report);
	if (!answer_err(r))
		phase_error(c, KVMPROF_PHASE_VM, r);
	if (p->arch == KVMPROF_ARCH_ARM64) {
		struct kvmprof_vcpu_init init; /* struct kvm_vcpu_init, on any build */

		memset(&init, 0, sizeof(init));
		r = kvmprof_apply_vcpu_init(&c->vm, REPLAY_VCPU_FD, (struct kvm_vcpu_init *)(void *)&init,
					    &c->report);
		if (!answer_err(r))
			phase_error(c, KVMPROF_PHASE_VCPU_INIT, r);
	}
	r = kvmprof_apply_vcpu_regs(&c->vm, REPLAY_VCPU_FD, &c->report);
	if (!answer_err(r))
		phase_error(c, KVMPROF_PHASE_VCPU_REGS, r);
	if (kvmprof_profile_phase_count(p, KVMPROF_PHASE_DEVICE)) {
		r = kvmprof_apply_devices(&c->vm, REPLAY_DEV_FD, &c->report);
		if (!answer_err(r))
			phase_error(c, KVMPROF_PHASE_DEVICE, r);
	}
	kvmprof_vm_fini(&c->vm);
	c->have_reg_list = c->host->cap.have_reg_list;
	c->reg_list = xcalloc(c->host->cap.n_reg_list + 1, sizeof(uint64_t));
	if (c->host->cap.n_reg_list)
		memcpy(c->reg_list, c->host->cap.reg_list, c->host->cap.n_reg_list * sizeof(uint64_t));
	c->n_reg_list = c->host->cap.n_reg_list;
	return 0;
}

static void live_reg_list(struct checker *c, int vcpu_fd)
{
	c->have_reg_list = host_reg_list(vcpu_fd, &c->reg_list, &c->n_reg_list) == 1;
}

static int run_live(struct checker *c)
{
	const struct kvmprof_profile *p = &c->in->t.profile;
	/* What a VMM's apply does, on a scratch VM of its own: validate, write,
	 * read back. A dry run would miss a kernel that rewrites or ignores a
	 * write (PVM rewrites CPUID: real-kvm.md); nothing outside this VM is
	 * touched, and it is closed at the end. */
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT };
	int kvm_fd, vm_fd, vcpu_fd = -1, r;

	if (p->arch != (uint32_t)regdb_host_arch()) {
		fprintf(stderr, "kvmprof check: %s is a profile for another architecture than this host's; "
				"check it against a capture (--against)\n", c->in->path);
		c->fatal = 1;
		return -1;
	}
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		fprintf(stderr, "kvmprof check: /dev/kvm: %s (check offline with --against CAPTURE)\n", strerror(errno));
		c->fatal = 1;
		return -1;
	}
	vm_fd = host_ioctl(kvm_fd, KVM_CREATE_VM, (void *)0);
	if (vm_fd < 0) {
		fprintf(stderr, "kvmprof check: KVM_CREATE_VM: %s\n", strerror(-vm_fd));
		close(kvm_fd);
		c->fatal = 1;
		return -1;
	}
#if defined(__x86_64__)
	/* As a VMM would, and as capture did: capabilities such as
	 * X2APIC_API and APIC_BUS_CYCLES_NS depend on the irqchip. */
	host_ioctl(vm_fd, KVM_CREATE_IRQCHIP, NULL);
#endif
	r = kvmprof_vm_init(&c->vm, p, kvm_fd, vm_fd, &opts);
	if (r < 0) {
		struct row *w = add_row(c);
		w->phase = -1;
		w->outcome = r == KVMPROF_ERR_REQUIRES ? KVMPROF_OUT_UNSUPPORTED : KVMPROF_OUT_REJECTED;
		snprintf(w->name, sizeof(w->name), "(profile)");
		snprintf(w->reason, sizeof(w->reason), "cannot bind the profile: %s", kvmprof_strerror(r));
		goto out;
	}
	r = kvmprof_apply_vm(&c->vm, &c->report);
	if (!answer_err(r))
		phase_error(c, KVMPROF_PHASE_VM, r);
	vcpu_fd = host_ioctl(vm_fd, KVM_CREATE_VCPU, (void *)0);
	if (vcpu_fd < 0) {
		phase_error(c, KVMPROF_PHASE_VCPU_INIT, vcpu_fd);
		goto fini;
	}
#if defined(__aarch64__)
	{
		struct kvm_vcpu_init init;
		memset(&init, 0, sizeof(init));
		host_ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init);
		/* sets the profile's features and issues KVM_ARM_VCPU_INIT */
		r = kvmprof_apply_vcpu_init(&c->vm, vcpu_fd, &init, &c->report);
		if (!answer_err(r))
			phase_error(c, KVMPROF_PHASE_VCPU_INIT, r);
	}
#endif
	r = kvmprof_apply_vcpu_regs(&c->vm, vcpu_fd, &c->report);
	if (!answer_err(r))
		phase_error(c, KVMPROF_PHASE_VCPU_REGS, r);
	live_reg_list(c, vcpu_fd);
#if defined(__aarch64__)
	if (kvmprof_profile_phase_count(p, KVMPROF_PHASE_DEVICE)) {
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
		uint64_t dist = 0x08000000ull, redist = 0x080a0000ull; /* QEMU virt (hw/arm/virt.c) */
		struct kvm_device_attr a1 = { .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
					      .addr = (uintptr_t)&dist };
		struct kvm_device_attr a2 = { .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_REDIST,
					      .addr = (uintptr_t)&redist };
		struct kvm_device_attr a3 = { .group = KVM_DEV_ARM_VGIC_GRP_CTRL, .attr = KVM_DEV_ARM_VGIC_CTRL_INIT };

		r = host_ioctl(vm_fd, KVM_CREATE_DEVICE, &cd);
		if (r == 0 && (r = host_ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a1)) == 0 &&
		    (r = host_ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a2)) == 0 && (r = host_ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a3)) == 0)
			r = kvmprof_apply_devices(&c->vm, (int)cd.fd, &c->report);
		if (!answer_err(r))
			phase_error(c, KVMPROF_PHASE_DEVICE, r);
		if (cd.fd)
			close((int)cd.fd);
	}
#endif
fini:
	kvmprof_vm_fini(&c->vm);
out:
	if (vcpu_fd >= 0)
		close(vcpu_fd);
	close(vm_fd);
	close(kvm_fd);
	return 0;
}

/* ---- the answer ---- */

static void hex_text(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "0x%" PRIx64, v);
}

static uint64_t field_bits(uint64_t v, unsigned shift, unsigned width)
{
	return (v >> shift) & (width >= 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1);
}

static const struct regdb_reg *entry_reg(const struct kvmprof_entry *e, int arch)
{
	return regdb_reg_by_name(e->name, arch);
}

/*
 * CPUID bits a kernel does not offer, by the database's feature names:
 * "AVX512F, AVX512DQ" (and "bit N" for a bit without a name) into names.
 */
static void cpuid_feature_names(const struct kvmprof_entry *e, uint64_t missing, char *names, size_t len)
{
	const struct regdb_reg *reg = entry_reg(e, KVMPROF_ARCH_X86_64);
	size_t used = 0;

	names[0] = '\0';
	for (int bit = 31; bit >= 0 && used < len; bit--) {
		const char *name = NULL;
		char num[16];

		if (!(missing >> bit & 1))
			continue;
		for (uint32_t f = 0; reg && f < reg->n_fields && !name; f++)
			if (reg->fields[f].width == 1 && reg->fields[f].shift == bit)
				name = reg->fields[f].name;
		if (!name) {
			snprintf(num, sizeof(num), "bit %d", bit);
			name = num;
		}
		used += (size_t)snprintf(names + used, len - used, "%s%s", used ? ", " : "", name);
	}
}

/* The field, wanted, host value and accepted range of a row, for CI. */
static void row_values(struct row *w, const struct kvmprof_result *r)
{
	const struct kvmprof_entry *e = r->entry;
	const struct kvmprof_field *f = r->field && r->field <= e->n_fields ? &e->fields[r->field - 1] : NULL;

	if (f) {
		snprintf(w->field, sizeof(w->field), "%s", f->name);
		hex_text(w->wanted, sizeof(w->wanted), field_bits(r->wanted, f->shift, f->width));
		hex_text(w->host_value, sizeof(w->host_value), field_bits(r->before, f->shift, f->width));
	} else {
		hex_text(w->wanted, sizeof(w->wanted), r->wanted);
		hex_text(w->host_value, sizeof(w->host_value), r->before);
	}
	if (r->field && r->accepted_lo <= r->accepted_hi)
		snprintf(w->accepted, sizeof(w->accepted), "0x%" PRIx64 "..0x%" PRIx64, r->accepted_lo, r->accepted_hi);
	if (r->outcome == KVMPROF_OUT_READBACK_DIFFERS)
		hex_text(w->host_value, sizeof(w->host_value), f ? field_bits(r->after, f->shift, f->width) : r->after);
}

static void rows_from_report(struct checker *c)
{
	int arch = c->in->p->arch;

	for (uint32_t i = 0; i < c->report.count; i++) {
		const struct kvmprof_result *r = &c->results[i];
		const struct kvmprof_entry *e = r->entry;
		const struct replay_unknown *u = NULL;
		struct row *w = add_row(c);
		char base[400];

		w->r = r;
		w->outcome = r->outcome;
		w->phase = e->phase;
		snprintf(w->name, sizeof(w->name), "%s", e->name);
		if (!c->lean || (r->outcome != KVMPROF_OUT_ALREADY_EQUAL && r->outcome != KVMPROF_OUT_APPLIED &&
				 r->outcome != KVMPROF_OUT_CHECK_OK && r->outcome != KVMPROF_OUT_SKIPPED_REQUIRES))
			row_values(w, r);
		if (c->offline && (r->outcome == KVMPROF_OUT_REJECTED || r->outcome == KVMPROF_OUT_UNSUPPORTED ||
				   r->outcome == KVMPROF_OUT_READBACK_DIFFERS)) {
			u = replay_unknown_of(&c->replay, e->kind, e->id);
		}
		if (u && r->outcome == KVMPROF_OUT_UNSUPPORTED && r->err == -ENOENT) {
			/* the default was never read: wanted and before are not values */
			w->outcome = OUTCOME_UNKNOWN;
			snprintf(w->reason, sizeof(w->reason), "%s: wanted 0x%" PRIx64 " in bits 0x%" PRIx64 " (default not read): %s",
				 e->name, e->value, e->mask, u->what);
			continue;
		}
		if (u) {
			w->outcome = OUTCOME_UNKNOWN;
			snprintf(w->reason, sizeof(w->reason), "%s: wanted 0x%" PRIx64 " (default 0x%" PRIx64 "): %s",
				 e->name, r->wanted, r->before, u->what);
			continue;
		}
		if (e->kind == KVMPROF_KIND_CPUID && r->outcome == KVMPROF_OUT_UNSUPPORTED && r->err == -EOPNOTSUPP) {
			cpuid_feature_names(e, r->wanted & ~r->before, w->field, sizeof(w->field));
			snprintf(w->reason, sizeof(w->reason), "%s: %s not offered by this kernel", e->name, w->field);
			continue;
		}
		if (c->offline && r->outcome == KVMPROF_OUT_REJECTED && c->host->cap.kernel_version) {
			const struct regdb_reg *reg = entry_reg(e, arch);
			if (reg && reg->writable_since && c->host->cap.kernel_version < reg->writable_since) {
				snprintf(w->reason, sizeof(w->reason), "%s: wanted 0x%" PRIx64 ", but this kernel keeps "
					 "0x%" PRIx64 " (KVM lets a VMM change it from %u.%u)", e->name, r->wanted,
					 r->before, reg->writable_since >> 16, (reg->writable_since >> 8) & 0xff);
				w->field[0] = '\0';
				w->accepted[0] = '\0';
				hex_text(w->wanted, sizeof(w->wanted), r->wanted);
				hex_text(w->host_value, sizeof(w->host_value), r->before);
				continue;
			}
		}
		if (c->lean && !blocks(w))
			continue; /* the fleet reports blockers only */
		kvmprof_result_reason(r, base, sizeof(base));
		if (r->outcome == KVMPROF_OUT_APPLIED && e->kind != KVMPROF_KIND_ENABLE_CAP &&
		    e->kind != KVMPROF_KIND_QUIRKS && e->kind != KVMPROF_KIND_X2APIC_API &&
		    e->kind != KVMPROF_KIND_VCPU_FEATURE)
			snprintf(w->reason, sizeof(w->reason), "%s: accepted 0x%" PRIx64 " (default 0x%" PRIx64 ")",
				 e->name, r->wanted, r->before);
		else if (r->outcome == KVMPROF_OUT_REJECTED && !(r->field && r->accepted_lo <= r->accepted_hi))
			snprintf(w->reason, sizeof(w->reason), "%s (default 0x%" PRIx64 ", changed bits 0x%" PRIx64 ")",
				 base, r->before, r->wanted ^ r->before);
		else
			snprintf(w->reason, sizeof(w->reason), "%s", base);
	}
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether sorted ids hold id. */
static int listed(const uint64_t *ids, size_t n, uint64_t id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), by_u64) != NULL;
}

/* Whether register set w (host_regset_of_profile's: sorted by id) names id. */
static int in_regset(const struct host_facts *w, uint64_t id)
{
	size_t lo = 0, hi = w->n_regset;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->regset[mid].id == id)
			return 1;
		if (w->regset[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void drift(struct checker *c)
{
	const struct host_facts *w = &c->in->want;
	uint64_t *sorted;

	if (!w->have_regset || !c->have_reg_list)
		return;
	for (size_t i = 0; i < c->n_reg_list; i++) {
		char name[64];

		if (in_regset(w, c->reg_list[i]))
			continue;
		host_reg_name(c->in->p->arch, c->reg_list[i], name, sizeof(name));
		c->drift_new = xgrow(c->drift_new, c->n_new, sizeof(char *));
		c->drift_new[c->n_new++] = xstrdup(name);
	}
	sorted = xcalloc(c->n_reg_list + 1, sizeof(*sorted));
	if (c->n_reg_list)
		memcpy(sorted, c->reg_list, c->n_reg_list * sizeof(*sorted));
	qsort(sorted, c->n_reg_list, sizeof(*sorted), by_u64);
	for (size_t k = 0; k < w->n_regset; k++) {
		char name[64];

		if (w->regset[k].policy != HOST_REG_REQUIRED || listed(sorted, c->n_reg_list, w->regset[k].id))
			continue;
		host_reg_name(c->in->p->arch, w->regset[k].id, name, sizeof(name));
		c->drift_missing = xgrow(c->drift_missing, c->n_missing, sizeof(char *));
		c->drift_missing[c->n_missing++] = xstrdup(name);
	}
	free(sorted);
}

static int verdict(const struct checker *c)
{
	int unknown = 0;

	for (size_t i = 0; i < c->n_rows; i++) {
		if (blocks(&c->rows[i]))
			return V_NO;
		unknown |= c->rows[i].outcome == OUTCOME_UNKNOWN;
	}
	if (c->n_missing)
		return V_NO;
	return unknown ? V_UNKNOWN : V_YES;
}

static const char *verdict_word(int v)
{
	return v == V_YES ? "yes" : v == V_NO ? "no" : v == V_UNKNOWN ? "unknown" : "-";
}

/* A string, or NULL (JSON null) when empty. */
static const char *or_null(const char *s)
{
	return s[0] ? s : NULL;
}

static const char *phase_word(int phase)
{
	return phase < 0 ? "profile" : kvmprof_phase_name(phase);
}

/* {"register": ..., "field": ..., "wanted": ..., "host": ..., "accepted": ..., "reason": ...} */
static void json_blocker_fields(FILE *out, const struct row *w)
{
	fputs("\"register\": ", out);
	json_put_string(out, w->name);
	json_put_member(out, "field", or_null(w->field));
	json_put_member(out, "wanted", or_null(w->wanted));
	json_put_member(out, "host", or_null(w->host_value));
	json_put_member(out, "accepted", or_null(w->accepted));
	json_put_member(out, "reason", w->reason);
}

static void json_drift(FILE *out, char *const *names, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		json_put_string(out, names[i]);
	}
	fputc(']', out);
}

static void print_json(const struct checker *c, int v, FILE *out)
{
	fputs("{\"profile\": ", out);
	json_put_string(out, c->in->p->name);
	json_put_member(out, "host", c->where);
	fprintf(out, ", \"offline\": %s, \"verdict\": \"%s\",\n \"entries\": [", c->offline ? "true" : "false",
		verdict_word(v));
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct row *w = &c->rows[i];
		fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", out);
		json_put_string(out, w->name);
		fprintf(out, ", \"phase\": \"%s\", \"outcome\": \"%s\", \"blocks\": %s, ", phase_word(w->phase),
			outcome_word(w->outcome), blocks(w) ? "true" : "false");
		json_blocker_fields(out, w);
		fputc('}', out);
	}
	fputs("],\n \"drift\": {\"new\": ", out);
	json_drift(out, c->drift_new, c->n_new);
	fputs(", \"missing\": ", out);
	json_drift(out, c->drift_missing, c->n_missing);
	fputs("}}\n", out);
}

static void print_text(const struct checker *c, int v, FILE *out)
{
	size_t n_unknown = 0;

	fprintf(out, "kvmprof check: can %s present %s?\n", c->where, c->in->p->name);
	if (c->offline)
		fputs("  offline: the answer comes from an emulation of the captured kernel (its recorded facts), "
		      "not from a live kernel\n", out);
	else
		fputs("  live: applied to a scratch VM of this kernel and read back, as a VMM's apply would\n", out);
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct row *w = &c->rows[i];
		fprintf(out, "  %-9s %-26s %-12s %s\n", phase_word(w->phase), w->name, outcome_word(w->outcome), w->reason);
		n_unknown += w->outcome == OUTCOME_UNKNOWN;
	}
	if (c->in->want.have_regset && !c->have_reg_list)
		fputs("  register set: the kernel's register list is unknown; drift not checked\n", out);
	if (c->n_new) {
		fprintf(out, "  warning: %zu register%s this kernel lists that the profile does not know (new in this kernel):",
			c->n_new, c->n_new == 1 ? "" : "s");
		for (size_t i = 0; i < c->n_new; i++)
			fprintf(out, " %s", c->drift_new[i]);
		fputc('\n', out);
	}
	if (c->n_missing) {
		fprintf(out, "  error: %zu register%s the profile requires that this kernel lacks "
			     "(a migration would fail, as QEMU's cpreg_vmstate_array_len check does):",
			c->n_missing, c->n_missing == 1 ? "" : "s");
		for (size_t i = 0; i < c->n_missing; i++)
			fprintf(out, " %s", c->drift_missing[i]);
		fputc('\n', out);
	}
	fprintf(out, "verdict: %s", verdict_word(v));
	if (v == V_NO) {
		const char *sep = " - blocked by ";
		fputs(sep, out);
		sep = "";
		for (size_t i = 0; i < c->n_rows; i++)
			if (blocks(&c->rows[i])) {
				fprintf(out, "%s%s", sep, c->rows[i].name);
				sep = ", ";
			}
		if (c->n_missing)
			fprintf(out, "%smissing registers", sep);
	} else if (v == V_UNKNOWN) {
		fprintf(out, " - %zu entr%s the capture cannot decide", n_unknown, n_unknown == 1 ? "y" : "ies");
	}
	fputc('\n', out);
}

/* Frees what one check made; the inputs stay. */
static void checker_reset(struct checker *c)
{
	if (c->old_sys)
		kvmprof_sys_install(c->old_sys == &kvmprof_sys_real ? NULL : c->old_sys);
	c->old_sys = NULL;
	if (c->offline)
		replay_fini(&c->replay);
	for (size_t i = 0; i < c->n_new; i++)
		free(c->drift_new[i]);
	for (size_t i = 0; i < c->n_missing; i++)
		free(c->drift_missing[i]);
	free(c->drift_new);
	free(c->drift_missing);
	free(c->reg_list);
	free(c->rows);
	free(c->results);
	c->drift_new = c->drift_missing = NULL;
	c->n_new = c->n_missing = c->n_rows = c->n_reg_list = 0;
	c->reg_list = NULL;
	c->rows = NULL;
	c->results = NULL;
}

/* Runs one profile on one host (NULL: live) into c. 0, or -1 when the
 * question cannot be asked here (c->fatal; the reason is on stderr). */
static int check_one(struct checker *c, const struct check_input *in, const struct check_host *host)
{
	c->in = in;
	c->host = host;
	c->offline = host != NULL;
	c->fatal = 0;
	c->have_reg_list = 0;
	memset(&c->report, 0, sizeof(c->report));
	if (host) {
		snprintf(c->where, sizeof(c->where), "%s", host->label);
	} else {
		struct utsname u;
		uname(&u);
		snprintf(c->where, sizeof(c->where), "this host (Linux %s)", u.release);
	}
	c->results = xcalloc(in->t.profile.n_entries + 1, sizeof(*c->results));
	c->report.results = c->results;
	c->report.capacity = in->t.profile.n_entries;
	if ((c->offline ? run_offline(c) : run_live(c)) < 0)
		return -1;
	rows_from_report(c); /* after any phase-level rows run_*() added */
	drift(c);
	return 0;
}

/* ---- inputs ---- */

static void free_input(struct check_input *in)
{
	tables_free(&in->t);
	host_facts_free(&in->want);
	profile_free(in->p);
}

static void free_host(struct check_host *h)
{
	host_facts_free(&h->cap);
	free(h->name);
}

/* A profile with its tables and register set; -1 with the errors on d. */
static int load_input(struct check_input *in, const char *path, struct diag *d)
{
	int before = d->n_errors;

	memset(in, 0, sizeof(*in));
	in->path = path;
	in->p = cli_load_checked(path, d);
	/* the register set, inherited through the base chain as the runtime's */
	if (!in->p || d->n_errors > before || host_regset_of_profile(in->p, &in->want, d) < 0 ||
	    tables_build(in->p, &in->t, d) < 0)
		return -1;
	return 0;
}

/* A capture's host: facts; -1 (errors on d or stderr), 1 when it has none. */
static int load_host(struct check_host *h, const char *path, struct diag *d)
{
	int before = d->n_errors;
	struct profile *p;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	memset(h, 0, sizeof(*h));
	h->path = path;
	p = cli_load_checked(path, d);
	if (!p || d->n_errors > before || host_facts_of_profile(p, &h->cap, d) < 0) {
		profile_free(p);
		return -1;
	}
	h->name = xstrdup(p->name);
	h->arch = p->arch;
	profile_free(p);
	if (!h->cap.present)
		return 1;
	snprintf(h->label, sizeof(h->label), "%s (captured: Linux %s)", h->name,
		 h->cap.kernel ? h->cap.kernel : "unknown kernel");
	/* Identity: what the emulation answers from, the whole host: section. */
	mem = open_memstream(&text, &len);
	if (!mem)
		abort();
	host_facts_write_yaml(&h->cap, mem);
	fclose(mem);
	hash_text_fnv1a64(text, len, h->hash);
	free(text);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* path, or the *.yaml files of a directory (sorted), appended to *list.
 * A file found in a directory is marked by a leading '\1' (see path_of). */
static int expand_path(const char *path, char ***list, size_t *n)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	size_t first = *n;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		*list = xrealloc(*list, (*n + 1) * sizeof(char *));
		(*list)[(*n)++] = xstrdup(path);
		return 0;
	}
	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "kvmprof check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
			continue;
		*list = xrealloc(*list, (*n + 1) * sizeof(char *));
		(*list)[(*n)++] = xasprintf("\1%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
	}
	closedir(dir);
	qsort(*list + first, *n - first, sizeof(char *), by_name);
	return 0;
}

/* The path of an expand_path() item, and whether it came from a directory. */
static const char *path_of(const char *item, int *from_dir)
{
	if (from_dir)
		*from_dir = item[0] == '\1';
	return item[0] == '\1' ? item + 1 : item;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the fleet: many profiles x many hosts ---- */

/* One cell's answer, kept for the report. */
struct cell {
	int verdict;      /* V_YES, V_NO, V_UNKNOWN, or V_NA (other architecture / not checkable here) */
	struct row *blockers;
	size_t n_blockers;
	size_t n_missing; /* required registers the host lacks */
	char *missing;    /* their names, space-separated */
};

#define V_NA 3

static void cell_take(struct cell *cell, const struct checker *c, int v)
{
	cell->verdict = v;
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct row *w = &c->rows[i];
		if (!blocks(w) && !(v == V_UNKNOWN && w->outcome == OUTCOME_UNKNOWN))
			continue;
		cell->blockers = xrealloc(cell->blockers, (cell->n_blockers + 1) * sizeof(*cell->blockers));
		cell->blockers[cell->n_blockers] = *w;
		cell->blockers[cell->n_blockers++].r = NULL;
	}
	cell->n_missing = c->n_missing;
	for (size_t i = 0; i < c->n_missing; i++) {
		char *old = cell->missing;
		cell->missing = xasprintf("%s%s%s", old ? old : "", old ? " " : "", c->drift_missing[i]);
		free(old);
	}
}

static void cell_copy(struct cell *dst, const struct cell *src)
{
	*dst = *src;
	dst->blockers = NULL;
	if (src->n_blockers) {
		dst->blockers = xcalloc(src->n_blockers, sizeof(*dst->blockers));
		memcpy(dst->blockers, src->blockers, src->n_blockers * sizeof(*dst->blockers));
	}
	dst->missing = src->missing ? xstrdup(src->missing) : NULL;
}

struct fleet {
	struct check_input *in;
	size_t n_in;
	struct check_host *hosts; /* NULL with n_hosts 1: live, this host */
	size_t n_hosts;
	struct cell *cells;       /* n_in x n_hosts, row-major */
	size_t n_decided, n_shared; /* cells decided, cells answered from an identical capture */
	char live_label[256];
};

static const char *host_label(const struct fleet *f, size_t j)
{
	return f->hosts ? f->hosts[j].label : f->live_label;
}

static void fleet_run(struct fleet *f, struct checker *c)
{
	f->cells = xcalloc(f->n_in * f->n_hosts + 1, sizeof(*f->cells));
	c->lean = 1;
	for (size_t i = 0; i < f->n_in; i++)
		for (size_t j = 0; j < f->n_hosts; j++) {
			struct cell *cell = &f->cells[i * f->n_hosts + j];
			const struct check_host *h = f->hosts ? &f->hosts[j] : NULL;
			int v;

			if (h && h->same_as != j) {
				cell_copy(cell, &f->cells[i * f->n_hosts + h->same_as]);
				f->n_shared++;
				continue;
			}
			if ((h && h->arch != f->in[i].p->arch) || (!h && f->in[i].p->arch != regdb_host_arch())) {
				cell->verdict = V_NA;
				continue;
			}
			if (check_one(c, &f->in[i], h) < 0) {
				cell->verdict = V_NA;
			} else {
				v = verdict(c);
				cell_take(cell, c, v);
				f->n_decided++;
			}
			checker_reset(c);
		}
}

static void fleet_free(struct fleet *f)
{
	for (size_t k = 0; f->cells && k < f->n_in * f->n_hosts; k++) {
		free(f->cells[k].blockers);
		free(f->cells[k].missing);
	}
	free(f->cells);
}

static int fleet_exit(const struct fleet *f, size_t counts[4])
{
	memset(counts, 0, 4 * sizeof(size_t));
	for (size_t k = 0; k < f->n_in * f->n_hosts; k++)
		counts[f->cells[k].verdict]++;
	if (counts[V_NO])
		return 1;
	if (counts[V_UNKNOWN])
		return 3;
	return 0;
}

/* "CPUID.0x7.0x0.EBX (AVX512F, AVX512DQ)", "GICD_IIDR.Revision" */
static void blocker_label(FILE *out, const struct row *w)
{
	if (w->field[0] && strchr(w->field, ','))
		fprintf(out, "%s (%s)", w->name, w->field);
	else if (w->field[0])
		fprintf(out, "%s.%s", w->name, w->field);
	else
		fputs(w->name, out);
}

static void fleet_cell_blockers(FILE *out, const struct cell *cell)
{
	const char *sep = "";

	for (size_t b = 0; b < cell->n_blockers; b++) {
		fputs(sep, out);
		blocker_label(out, &cell->blockers[b]);
		sep = ", ";
	}
	if (cell->n_missing)
		fprintf(out, "%s%zu required register%s missing (%s)", sep, cell->n_missing, cell->n_missing == 1 ? "" : "s",
			cell->missing);
}

static void fleet_text(const struct fleet *f, FILE *out, int markdown)
{
	size_t width = 7, counts[4];

	fleet_exit(f, counts);
	for (size_t i = 0; i < f->n_in; i++)
		if (strlen(f->in[i].p->name) > width)
			width = strlen(f->in[i].p->name);
	if (markdown) {
		fprintf(out, "#### kvmprof check: %zu profile%s x %zu host%s\n\n", f->n_in, f->n_in == 1 ? "" : "s",
			f->n_hosts, f->n_hosts == 1 ? "" : "s");
		fputs("| profile |", out);
		for (size_t j = 0; j < f->n_hosts; j++)
			fprintf(out, " H%zu |", j + 1);
		fputs("\n| --- |", out);
		for (size_t j = 0; j < f->n_hosts; j++)
			fputs(" --- |", out);
		fputc('\n', out);
	} else {
		fprintf(out, "kvmprof check: %zu profile%s x %zu host%s (%s)\n", f->n_in, f->n_in == 1 ? "" : "s",
			f->n_hosts, f->n_hosts == 1 ? "" : "s",
			f->hosts ? "offline: emulations of the captured kernels" : "live: this kernel, applied and read back");
		fprintf(out, "%-*s", (int)width, "profile");
		for (size_t j = 0; j < f->n_hosts; j++)
			fprintf(out, "  H%-6zu", j + 1);
		fputc('\n', out);
	}
	for (size_t i = 0; i < f->n_in; i++) {
		if (markdown)
			fprintf(out, "| `%s` |", f->in[i].p->name);
		else
			fprintf(out, "%-*s", (int)width, f->in[i].p->name);
		for (size_t j = 0; j < f->n_hosts; j++) {
			const char *v = verdict_word(f->cells[i * f->n_hosts + j].verdict);
			if (markdown)
				fprintf(out, " %s |", !strcmp(v, "no") ? "**no**" : v);
			else
				fprintf(out, "  %-7s", v);
		}
		fputc('\n', out);
	}
	fputs(markdown ? "\n**Hosts**\n\n" : "\nhosts:\n", out);
	for (size_t j = 0; j < f->n_hosts; j++) {
		const struct check_host *h = f->hosts ? &f->hosts[j] : NULL;
		fprintf(out, markdown ? "- H%zu: `%s`" : "  H%-3zu %s", j + 1, host_label(f, j));
		if (h)
			fprintf(out, markdown ? " (`%s`, %s)" : "  %s %s", h->path, h->hash);
		if (h && h->same_as != j)
			fprintf(out, "; identical to H%zu, decided once", h->same_as + 1);
		fputc('\n', out);
	}
	fputs(markdown ? "\n**Blocked and undecided cells**\n\n" : "\nblocked and undecided cells:\n", out);
	for (size_t i = 0; i < f->n_in; i++)
		for (size_t j = 0; j < f->n_hosts; j++) {
			const struct cell *cell = &f->cells[i * f->n_hosts + j];
			if (cell->verdict != V_NO && cell->verdict != V_UNKNOWN)
				continue;
			fprintf(out, markdown ? "- `%s` on H%zu: %s by " : "  %s on H%zu: %s by ", f->in[i].p->name, j + 1,
				cell->verdict == V_NO ? "blocked" : "undecided");
			fleet_cell_blockers(out, cell);
			fputc('\n', out);
		}
	fprintf(out, "%ssummary: %zu yes, %zu no, %zu unknown, %zu not comparable (another architecture); "
		     "%zu checks run, %zu answered from an identical capture\n", markdown ? "\n" : "\n",
		counts[V_YES], counts[V_NO], counts[V_UNKNOWN], counts[V_NA], f->n_decided, f->n_shared);
}

static void fleet_json(const struct fleet *f, FILE *out)
{
	size_t counts[4];

	fleet_exit(f, counts);
	fprintf(out, "{\"offline\": %s,\n \"profiles\": [", f->hosts ? "true" : "false");
	for (size_t i = 0; i < f->n_in; i++) {
		char hash[32];
		profile_hash(f->in[i].p, hash);
		fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", out);
		json_put_string(out, f->in[i].p->name);
		fputs(", \"file\": ", out);
		json_put_string(out, f->in[i].path);
		fprintf(out, ", \"hash\": \"%s\"}", hash);
	}
	fputs("],\n \"hosts\": [", out);
	for (size_t j = 0; j < f->n_hosts; j++) {
		const struct check_host *h = f->hosts ? &f->hosts[j] : NULL;
		fprintf(out, "%s{\"id\": \"H%zu\", \"name\": ", j ? ",\n  " : "\n  ", j + 1);
		json_put_string(out, host_label(f, j));
		if (h) {
			fputs(", \"file\": ", out);
			json_put_string(out, h->path);
			fprintf(out, ", \"kernel\": ");
			json_put_string(out, h->cap.kernel ? h->cap.kernel : "");
			fprintf(out, ", \"facts_hash\": \"%s\", \"same_as\": ", h->hash);
			if (h->same_as != j)
				fprintf(out, "\"H%zu\"", h->same_as + 1);
			else
				fputs("null", out);
		}
		fputc('}', out);
	}
	fputs("],\n \"cells\": [", out);
	for (size_t i = 0, k = 0; i < f->n_in; i++)
		for (size_t j = 0; j < f->n_hosts; j++, k++) {
			const struct cell *cell = &f->cells[i * f->n_hosts + j];
			fputs(k ? ",\n  {\"profile\": " : "\n  {\"profile\": ", out);
			json_put_string(out, f->in[i].p->name);
			fprintf(out, ", \"host\": \"H%zu\", \"verdict\": \"%s\", \"blocking\": [", j + 1,
				cell->verdict == V_NA ? "not-comparable" : verdict_word(cell->verdict));
			for (size_t b = 0; b < cell->n_blockers; b++) {
				const struct row *w = &cell->blockers[b];
				fprintf(out, "%s{\"outcome\": \"%s\", ", b ? ", " : "", outcome_word(w->outcome));
				json_blocker_fields(out, w);
				fputc('}', out);
			}
			fputs("], \"missing_registers\": [", out);
			if (cell->missing) {
				char *names = xstrdup(cell->missing), *save = NULL;
				const char *sep = "";
				for (char *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
					fputs(sep, out);
					json_put_string(out, t);
					sep = ", ";
				}
				free(names);
			}
			fputs("]}", out);
		}
	fprintf(out, "],\n \"summary\": {\"yes\": %zu, \"no\": %zu, \"unknown\": %zu, \"not_comparable\": %zu, "
		     "\"checks_run\": %zu, \"shared\": %zu}}\n",
		counts[V_YES], counts[V_NO], counts[V_UNKNOWN], counts[V_NA], f->n_decided, f->n_shared);
}

/* ---- the verb ---- */

static const char *arch_word(int arch)
{
	return regdb_arch(arch) ? regdb_arch_name(arch) : "unknown-arch";
}

/* One question, the detailed answer: profile in on host h (NULL: live),
 * printed to out; the verb's exit status. */
static int answer_one(struct checker *c, const struct check_input *in, const struct check_host *h, int format,
		      FILE *out)
{
	int v;

	if (h && h->arch != in->p->arch) {
		fprintf(stderr, "kvmprof check: %s is an %s profile but %s describes an %s host\n", in->path,
			arch_word(in->p->arch), h->path, arch_word(h->arch));
		return 2;
	}
	if (check_one(c, in, h) < 0) {
		checker_reset(c);
		return 2;
	}
	v = verdict(c);
	if (format == OUT_JSON)
		print_json(c, v, out);
	else
		print_text(c, v, out);
	checker_reset(c);
	return v == V_YES ? 0 : v == V_NO ? 1 : 3;
}

struct check_profile {
	struct check_input in;
	char *path;
};

struct check_profile *check_profile_load(const char *path)
{
	struct check_profile *cp = xcalloc(1, sizeof(*cp));
	struct diag d;
	int r;

	cli_default_includes();
	cp->path = xstrdup(path);
	diag_init(&d, stderr);
	r = load_input(&cp->in, cp->path, &d);
	diag_fini(&d);
	if (r < 0) {
		check_profile_free(cp);
		return NULL;
	}
	return cp;
}

void check_profile_free(struct check_profile *cp)
{
	if (!cp)
		return;
	free_input(&cp->in);
	free(cp->path);
	free(cp);
}

int check_against_capture(const struct check_profile *cp, const char *capture, int json, FILE *out)
{
	static struct checker c; /* as the verb's: holds a 128 KiB struct kvmprof_vm */
	struct check_host h;
	struct diag d;
	int rc;

	memset(&c, 0, sizeof(c));
	diag_init(&d, stderr);
	rc = load_host(&h, capture, &d);
	if (rc == 1)
		fprintf(stderr, "kvmprof check: %s has no host: section; make one with `kvmprof capture`\n", capture);
	rc = rc ? 2 : answer_one(&c, &cp->in, &h, json ? OUT_JSON : OUT_TEXT, out);
	free_host(&h);
	diag_fini(&d);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' }, { "format", required_argument, NULL, 'f' },
		{ "include", required_argument, NULL, 'I' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	static struct checker c; /* holds a 128 KiB struct kvmprof_vm */
	char **profile_paths = NULL, **host_paths = NULL;
	size_t n_profiles = 0, n_host_paths = 0, n_skipped = 0;
	int ch, rc = 0, format = OUT_TEXT, folders = 0;
	struct fleet f;
	struct diag d;

	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "a:f:I:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			folders |= is_dir(optarg);
			if (expand_path(optarg, &host_paths, &n_host_paths) < 0)
				return 2;
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				format = OUT_TEXT;
			else if (!strcmp(optarg, "json"))
				format = OUT_JSON;
			else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md"))
				format = OUT_MARKDOWN;
			else {
				fprintf(stderr, "kvmprof check: unknown format '%s' (text, markdown or json)\n", optarg);
				usage_check(stderr);
				return 2;
			}
			break;
		case 'I': cli_add_include(optarg); break;
		case 'h': usage_check(stdout); return 0;
		default: usage_check(stderr); return 2;
		}
	}
	if (argc - optind < 1) {
		fprintf(stderr, "kvmprof check: no profile given\n");
		usage_check(stderr);
		return 2;
	}
	cli_default_includes();
	for (int i = optind; i < argc; i++) {
		folders |= is_dir(argv[i]);
		if (expand_path(argv[i], &profile_paths, &n_profiles) < 0) {
			rc = 2;
			goto out_paths;
		}
	}
	diag_init(&d, stderr);
	f.in = xcalloc(n_profiles + 1, sizeof(*f.in));
	for (size_t i = 0; i < n_profiles; i++)
		if (load_input(&f.in[f.n_in++], path_of(profile_paths[i], NULL), &d) < 0)
			rc = 2;
	if (n_host_paths) {
		f.hosts = xcalloc(n_host_paths, sizeof(*f.hosts));
		for (size_t j = 0; j < n_host_paths; j++) {
			struct check_host *h = &f.hosts[f.n_hosts];
			int from_dir, r = load_host(h, path_of(host_paths[j], &from_dir), &d);
			if (r == 1 && from_dir) {
				/* a profile without host: in a folder of captures: not a host */
				free_host(h);
				n_skipped++;
				continue;
			}
			if (r == 1)
				fprintf(stderr, "kvmprof check: %s has no host: section; make one with `kvmprof capture`\n",
					path_of(host_paths[j], NULL));
			if (r != 0) {
				free_host(h);
				rc = 2;
				continue;
			}
			h->same_as = f.n_hosts;
			for (size_t k = 0; k < f.n_hosts; k++)
				if (!strcmp(f.hosts[k].hash, h->hash)) {
					h->same_as = k;
					break;
				}
			f.n_hosts++;
		}
		if (rc == 0 && f.n_hosts == 0) {
			fprintf(stderr, "kvmprof check: no capture with a host: section among the --against inputs\n");
			rc = 2;
		}
	} else {
		struct utsname u;
		uname(&u);
		snprintf(f.live_label, sizeof(f.live_label), "this host (Linux %s)", u.release);
		f.n_hosts = 1;
	}
	if (rc)
		goto out;
	if (n_profiles == 1 && f.n_hosts == 1 && !folders && format != OUT_MARKDOWN) {
		rc = answer_one(&c, &f.in[0], f.hosts, format, stdout);
		goto out;
	}
	{
		size_t counts[4];
		fleet_run(&f, &c);
		if (format == OUT_JSON)
			fleet_json(&f, stdout);
		else
			fleet_text(&f, stdout, format == OUT_MARKDOWN);
		if (n_skipped)
			fprintf(stderr, "kvmprof check: %zu file%s without a host: section in the --against folders left out\n",
				n_skipped, n_skipped == 1 ? "" : "s");
		rc = fleet_exit(&f, counts);
		if (counts[V_YES] + counts[V_NO] + counts[V_UNKNOWN] == 0) {
			fprintf(stderr, "kvmprof check: no profile and host of one architecture to compare\n");
			rc = 2;
		}
	}
out:
	fleet_free(&f);
	for (size_t i = 0; i < f.n_in; i++)
		free_input(&f.in[i]);
	for (size_t j = 0; f.hosts && j < f.n_hosts; j++)
		free_host(&f.hosts[j]);
	free(f.in);
	free(f.hosts);
	diag_fini(&d);
out_paths:
	for (size_t i = 0; i < n_profiles; i++)
		free(profile_paths[i]);
	for (size_t j = 0; j < n_host_paths; j++)
		free(host_paths[j]);
	free(profile_paths);
	free(host_paths);
	return rc;
}
