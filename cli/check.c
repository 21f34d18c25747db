/* SPDX-License-Identifier: MIT */
/*
 * check.c - `kvmprof check PROFILE [--against CAPTURE]`: can this host (or
 * the host a capture describes) present the profile?
 *
 * The answer comes from libkvmprof itself: the profile's tables are built
 * in memory (tables.c) and handed to the runtime.
 *  - live: a scratch VM on /dev/kvm and the runtime's dry run (every entry
 *    validated against the kernel, nothing written);
 *  - offline (--against): the replay backend (replay.c), an emulation of
 *    the captured kernel, with the runtime applying the profile leniently:
 *    the emulation refuses what the capture says the kernel refuses, and
 *    the runtime then probes and reports the accepted range
 *    (GICD_IIDR.Revision 2..3), which a dry run cannot see. Nothing real
 *    is written either way.
 *
 * Exit status: 0 yes, 1 no (or unknown), 2 usage or input error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "cli.h"
#include "host.h"
#include "json.h"
#include "kvm_compat.h"
#include "kvm_ioctl.h"
#include "replay.h"
#include "tables.h"

#if defined(__x86_64__)
#define BUILD_ARCH KVMPROF_ARCH_X86_64
#elif defined(__aarch64__)
#define BUILD_ARCH KVMPROF_ARCH_ARM64
#else
#define BUILD_ARCH KVMPROF_ARCH_NONE
#endif

enum { OUT_TEXT, OUT_JSON };
enum { V_YES, V_NO, V_UNKNOWN };

/* Outcome words of a check (the runtime's names speak of applying). */
#define OUTCOME_UNKNOWN 100

struct row {
	const struct kvmprof_result *r; /* NULL for a phase-level line */
	int outcome;                    /* enum kvmprof_outcome or OUTCOME_UNKNOWN */
	char name[128];
	int phase;
	char reason[512];
};

struct checker {
	const char *profile_path, *capture_path;
	int format;
	int offline;
	struct profile *p;
	struct tables t;
	struct host_facts want;    /* the profile's register-set */
	struct host_facts cap;     /* offline: the capture's facts */
	struct replay replay;
	const struct kvmprof_sys *old_sys;
	struct kvmprof_vm vm;
	struct kvmprof_result *results;
	struct kvmprof_report report;
	struct row *rows;
	size_t n_rows;
	char host[256];
	char note[512];            /* a line about the whole run (offline, init failure) */
	uint64_t *reg_list;        /* the kernel's register list (live) or the capture's */
	size_t n_reg_list;
	int have_reg_list;
	char **drift_new, **drift_missing;
	size_t n_new, n_missing;
	int fatal;                 /* the question could not be asked (exit 2) */
	int unknown_init;          /* vm_init failed for want of a captured fact */
};

static void usage_check(FILE *f)
{
	fputs("usage: kvmprof check PROFILE.yaml [--against CAPTURE.yaml] [--format text|json] [-I DIR]...\n"
	      "Can this host (or the host CAPTURE describes) present PROFILE? Runs libkvmprof's dry run on\n"
	      "a scratch VM of /dev/kvm, or applies the profile to an emulation of the captured kernel\n"
	      "(offline), and names every entry that blocks, with the reason, and the register-list drift.\n"
	      "  --against FILE  answer offline for the host of a `kvmprof capture`\n"
	      "  --format FMT    text (default) or json\n"
	      "  -I DIR          where base profiles are looked up (default: profiles)\n"
	      "Exit status: 0 yes, 1 no or unknown, 2 usage or input error.\n", f);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static struct row *add_row(struct checker *c)
{
	c->rows = xrealloc(c->rows, (c->n_rows + 1) * sizeof(*c->rows));
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
	const struct kvmprof_profile *p = &c->t.profile;
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT };
	int r;

	/* The runtime serves every architecture: it follows the arch the
	 * replayed capture reports, whatever this build's is. */
	replay_init(&c->replay, &c->cap);
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
	c->have_reg_list = c->cap.have_reg_list;
	c->reg_list = xcalloc(c->cap.n_reg_list + 1, sizeof(uint64_t));
	if (c->cap.n_reg_list)
		memcpy(c->reg_list, c->cap.reg_list, c->cap.n_reg_list * sizeof(uint64_t));
	c->n_reg_list = c->cap.n_reg_list;
	return 0;
}

static void live_reg_list(struct checker *c, int vcpu_fd)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	int r = xioctl(vcpu_fd, KVM_GET_REG_LIST, &probe);

	if ((r < 0 && r != -E2BIG) || probe.n > 65536)
		return;
	c->have_reg_list = 1;
	if (!probe.n)
		return;
	list = xcalloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	list->n = probe.n;
	if (xioctl(vcpu_fd, KVM_GET_REG_LIST, list) == 0) {
		c->reg_list = xcalloc(list->n, sizeof(uint64_t));
		memcpy(c->reg_list, list->reg, list->n * sizeof(uint64_t));
		c->n_reg_list = list->n;
	} else {
		c->have_reg_list = 0;
	}
	free(list);
}

static int run_live(struct checker *c)
{
	const struct kvmprof_profile *p = &c->t.profile;
	/* The runtime's dry run: validates every entry against this kernel,
	 * writes nothing (KVMPROF_DRY_RUN makes each apply call a check). */
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT | KVMPROF_DRY_RUN };
	int kvm_fd, vm_fd, vcpu_fd = -1, r;

	if (p->arch != BUILD_ARCH) {
		fprintf(stderr, "kvmprof check: %s is a profile for another architecture than this host's; "
				"check it against a capture (--against)\n", c->profile_path);
		c->fatal = 1;
		return -1;
	}
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		fprintf(stderr, "kvmprof check: /dev/kvm: %s (check offline with --against CAPTURE)\n", strerror(errno));
		c->fatal = 1;
		return -1;
	}
	vm_fd = xioctl(kvm_fd, KVM_CREATE_VM, (void *)0);
	if (vm_fd < 0) {
		fprintf(stderr, "kvmprof check: KVM_CREATE_VM: %s\n", strerror(-vm_fd));
		close(kvm_fd);
		c->fatal = 1;
		return -1;
	}
#if defined(__x86_64__)
	/* As a VMM would, and as capture did: capabilities such as
	 * X2APIC_API and APIC_BUS_CYCLES_NS depend on the irqchip. */
	xioctl(vm_fd, KVM_CREATE_IRQCHIP, NULL);
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
	vcpu_fd = xioctl(vm_fd, KVM_CREATE_VCPU, (void *)0);
	if (vcpu_fd < 0) {
		phase_error(c, KVMPROF_PHASE_VCPU_INIT, vcpu_fd);
		goto fini;
	}
#if defined(__aarch64__)
	{
		struct kvm_vcpu_init init;
		memset(&init, 0, sizeof(init));
		xioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init);
		uint32_t first = c->report.count;
		r = kvmprof_apply_vcpu_init(&c->vm, vcpu_fd, &init, &c->report);
		if (!answer_err(r))
			phase_error(c, KVMPROF_PHASE_VCPU_INIT, r);
		/* The dry run leaves the vCPU uninitialised; registers need it
		 * initialised with the features the profile asks for. */
		for (uint32_t i = first; i < c->report.count; i++) {
			const struct kvmprof_result *res = &c->results[i];
			uint64_t bit = res->entry->id;
			if ((res->outcome == KVMPROF_OUT_CHECK_OK || res->outcome == KVMPROF_OUT_ALREADY_EQUAL) &&
			    res->wanted && bit < 32 * 7)
				init.features[bit / 32] |= 1u << (bit % 32);
		}
		r = xioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init);
		if (r < 0)
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

		r = xioctl(vm_fd, KVM_CREATE_DEVICE, &cd);
		if (r == 0 && (r = xioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a1)) == 0 &&
		    (r = xioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a2)) == 0 && (r = xioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a3)) == 0)
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

static void rows_from_report(struct checker *c)
{
	for (uint32_t i = 0; i < c->report.count; i++) {
		const struct kvmprof_result *r = &c->results[i];
		const struct replay_unknown *u = NULL;
		struct row *w = add_row(c);
		char base[400];

		w->r = r;
		w->outcome = r->outcome;
		w->phase = r->entry->phase;
		snprintf(w->name, sizeof(w->name), "%s", r->entry->name);
		if (c->offline && (r->outcome == KVMPROF_OUT_REJECTED || r->outcome == KVMPROF_OUT_UNSUPPORTED ||
				   r->outcome == KVMPROF_OUT_READBACK_DIFFERS)) {
			u = replay_unknown_of(&c->replay, r->entry->kind, r->entry->id);
		}
		if (u) {
			w->outcome = OUTCOME_UNKNOWN;
			snprintf(w->reason, sizeof(w->reason), "%s: wanted 0x%" PRIx64 " (default 0x%" PRIx64 "): %s",
				 r->entry->name, r->wanted, r->before, u->what);
			continue;
		}
		kvmprof_result_reason(r, base, sizeof(base));
		if (r->outcome == KVMPROF_OUT_APPLIED && r->entry->kind != KVMPROF_KIND_ENABLE_CAP &&
		    r->entry->kind != KVMPROF_KIND_QUIRKS && r->entry->kind != KVMPROF_KIND_X2APIC_API &&
		    r->entry->kind != KVMPROF_KIND_VCPU_FEATURE)
			snprintf(w->reason, sizeof(w->reason), "%s: accepted 0x%" PRIx64 " (default 0x%" PRIx64 ")",
				 r->entry->name, r->wanted, r->before);
		else if (r->outcome == KVMPROF_OUT_REJECTED && !(r->field && r->accepted_lo <= r->accepted_hi))
			snprintf(w->reason, sizeof(w->reason), "%s (default 0x%" PRIx64 ", changed bits 0x%" PRIx64 ")",
				 base, r->before, r->wanted ^ r->before);
		else
			snprintf(w->reason, sizeof(w->reason), "%s", base);
	}
}

static int listed(const uint64_t *ids, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static void drift(struct checker *c)
{
	const struct host_facts *w = &c->want;

	if (!w->have_regset || !c->have_reg_list)
		return;
	for (size_t i = 0; i < c->n_reg_list; i++) {
		int known = 0;
		char name[64];

		for (size_t k = 0; k < w->n_regset && !known; k++)
			known = w->regset[k].id == c->reg_list[i];
		if (known)
			continue;
		host_reg_name(c->p->arch, c->reg_list[i], name, sizeof(name));
		c->drift_new = xrealloc(c->drift_new, (c->n_new + 1) * sizeof(char *));
		c->drift_new[c->n_new++] = xstrdup(name);
	}
	for (size_t k = 0; k < w->n_regset; k++) {
		char name[64];

		if (w->regset[k].policy != HOST_REG_REQUIRED || listed(c->reg_list, c->n_reg_list, w->regset[k].id))
			continue;
		host_reg_name(c->p->arch, w->regset[k].id, name, sizeof(name));
		c->drift_missing = xrealloc(c->drift_missing, (c->n_missing + 1) * sizeof(char *));
		c->drift_missing[c->n_missing++] = xstrdup(name);
	}
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
	return v == V_YES ? "yes" : v == V_NO ? "no" : "unknown";
}

static const char *phase_word(int phase)
{
	return phase < 0 ? "profile" : kvmprof_phase_name(phase);
}

static void print_json(const struct checker *c, int v, FILE *out)
{
	fputs("{\"profile\": ", out);
	json_put_string(out, c->p->name);
	fputs(", \"host\": ", out);
	json_put_string(out, c->host);
	fprintf(out, ", \"offline\": %s, \"verdict\": \"%s\",\n \"entries\": [", c->offline ? "true" : "false",
		verdict_word(v));
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct row *w = &c->rows[i];
		fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", out);
		json_put_string(out, w->name);
		fprintf(out, ", \"phase\": \"%s\", \"outcome\": \"%s\", \"blocks\": %s, \"reason\": ", phase_word(w->phase),
			outcome_word(w->outcome), blocks(w) ? "true" : "false");
		json_put_string(out, w->reason);
		fputc('}', out);
	}
	fputs("],\n \"drift\": {\"new\": [", out);
	for (size_t i = 0; i < c->n_new; i++) {
		fputs(i ? ", " : "", out);
		json_put_string(out, c->drift_new[i]);
	}
	fputs("], \"missing\": [", out);
	for (size_t i = 0; i < c->n_missing; i++) {
		fputs(i ? ", " : "", out);
		json_put_string(out, c->drift_missing[i]);
	}
	fputs("]}}\n", out);
}

static void print_text(const struct checker *c, int v, FILE *out)
{
	size_t n_block = 0, n_unknown = 0;

	fprintf(out, "kvmprof check: can %s present %s?\n", c->host, c->p->name);
	if (c->offline)
		fputs("  offline: the answer comes from an emulation of the captured kernel (its recorded facts), "
		      "not from a live kernel\n", out);
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct row *w = &c->rows[i];
		fprintf(out, "  %-9s %-26s %-12s %s\n", phase_word(w->phase), w->name, outcome_word(w->outcome), w->reason);
		n_block += blocks(w);
		n_unknown += w->outcome == OUTCOME_UNKNOWN;
	}
	if (c->want.have_regset && !c->have_reg_list)
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
	(void)n_block;
}

static void checker_free(struct checker *c)
{
	if (c->old_sys)
		kvmprof_sys_install(c->old_sys == &kvmprof_sys_real ? NULL : c->old_sys);
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
	tables_free(&c->t);
	host_facts_free(&c->want);
	host_facts_free(&c->cap);
	profile_free(c->p);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' }, { "format", required_argument, NULL, 'f' },
		{ "include", required_argument, NULL, 'I' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	static struct checker c; /* holds a 128 KiB struct kvmprof_vm */
	struct profile *capture_profile = NULL;
	struct diag d;
	int ch, v, rc;

	memset(&c, 0, sizeof(c));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "a:f:I:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': c.capture_path = optarg; break;
		case 'f':
			if (!strcmp(optarg, "text"))
				c.format = OUT_TEXT;
			else if (!strcmp(optarg, "json"))
				c.format = OUT_JSON;
			else {
				fprintf(stderr, "kvmprof check: unknown format '%s' (text or json)\n", optarg);
				usage_check(stderr);
				return 2;
			}
			break;
		case 'I': cli_add_include(optarg); break;
		case 'h': usage_check(stdout); return 0;
		default: usage_check(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, argc - optind ? "kvmprof check: one profile at a time\n" : "kvmprof check: no profile given\n");
		usage_check(stderr);
		return 2;
	}
	cli_default_includes();
	c.profile_path = argv[optind];
	c.offline = c.capture_path != NULL;
	diag_init(&d, stderr);
	c.p = cli_load_checked(c.profile_path, &d);
	/* the register set, inherited through the base chain as the runtime's */
	if (!c.p || d.n_errors || host_regset_of_profile(c.p, &c.want, &d) < 0) {
		rc = 2;
		goto out;
	}
	if (c.offline) {
		capture_profile = cli_load_checked(c.capture_path, &d);
		if (!capture_profile || d.n_errors || host_facts_load(c.capture_path, capture_profile->arch, &c.cap, &d) < 0) {
			rc = 2;
			goto out;
		}
		if (!c.cap.present) {
			fprintf(stderr, "kvmprof check: %s has no host: section; make one with `kvmprof capture`\n",
				c.capture_path);
			rc = 2;
			goto out;
		}
		if (capture_profile->arch != c.p->arch) {
			fprintf(stderr, "kvmprof check: %s is an %s profile but %s describes an %s host\n", c.profile_path,
				regdb_arch_name(c.p->arch), c.capture_path, regdb_arch_name(capture_profile->arch));
			rc = 2;
			goto out;
		}
		snprintf(c.host, sizeof(c.host), "%s (captured: Linux %s)", capture_profile->name,
			 c.cap.kernel ? c.cap.kernel : "unknown kernel");
	} else {
		struct utsname u;
		uname(&u);
		snprintf(c.host, sizeof(c.host), "this host (Linux %s)", u.release);
	}
	if (tables_build(c.p, &c.t, &d) < 0) {
		rc = 2;
		goto out;
	}
	c.results = xcalloc(c.t.profile.n_entries + 1, sizeof(*c.results));
	c.report.results = c.results;
	c.report.capacity = c.t.profile.n_entries;
	if ((c.offline ? run_offline(&c) : run_live(&c)) < 0) {
		rc = 2;
		goto out;
	}
	rows_from_report(&c); /* after any phase-level rows run_*() added */
	drift(&c);
	v = verdict(&c);
	if (c.format == OUT_JSON)
		print_json(&c, v, stdout);
	else
		print_text(&c, v, stdout);
	rc = v == V_YES ? 0 : 1;
out:
	profile_free(capture_profile);
	checker_free(&c);
	diag_fini(&d);
	return rc;
}
