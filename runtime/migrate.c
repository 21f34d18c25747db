/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - kvmprof_migration_check(): can this kernel take a vCPU state
 * saved on another kernel, judged register by register against the
 * profile's register set before anything is restored (kvmprof.h,
 * "Migration"). Reads the destination's register list (arm64
 * KVM_GET_REG_LIST on the vCPU) or MSR index list (x86
 * KVM_GET_MSR_INDEX_LIST on /dev/kvm) through the ioctl seam; writes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>

#include "internal.h"
#include "kvm_compat.h"
#include "kvm_ioctl.h"
#include "kvmprof.h"

#define MIGRATE_MAX_MSRS 1024

/* What the destination lists, sorted for bsearch. */
struct dest_list {
	uint64_t ids[1 + KVMPROF_MAX_REGS]; /* [0] = n on arm64 (struct kvm_reg_list) */
	uint32_t n;
};

/* The destination's list, by the profile's architecture (the runtime is one
 * build for both): x86 KVM_GET_MSR_INDEX_LIST, arm64 KVM_GET_REG_LIST. */
static int read_dest_list(struct dest_list *d, uint32_t arch, int kvm_fd, int vcpu_fd)
{
	int rc;

	if (arch == KVMPROF_ARCH_X86_64) {
		struct {
			struct kvmprof_msr_list_fixed head;
			uint32_t indices[MIGRATE_MAX_MSRS];
		} list = { .head.nmsrs = MIGRATE_MAX_MSRS };

		rc = kvmprof_sys_ioctl(kvm_fd, KVMPROF_KVM_GET_MSR_INDEX_LIST, &list);
		if (rc < 0)
			return rc;
		d->n = list.head.nmsrs > MIGRATE_MAX_MSRS ? MIGRATE_MAX_MSRS : list.head.nmsrs;
		for (uint32_t i = 0; i < d->n; i++)
			d->ids[i] = list.indices[i];
	} else {
		d->ids[0] = KVMPROF_MAX_REGS;
		rc = kvmprof_sys_ioctl(vcpu_fd, KVM_GET_REG_LIST, d->ids);
		if (rc < 0)
			return rc == -E2BIG ? KVMPROF_ERR_FACTS : rc;
		d->n = (uint32_t)d->ids[0];
		memmove(d->ids, d->ids + 1, d->n * sizeof(uint64_t));
	}
	kvmprof__sort_ids(d->ids, d->n);
	return 0;
}

static const struct kvmprof_regset_entry *regset_find(const struct kvmprof_profile *p, uint64_t id)
{
	uint32_t lo = 0, hi = p->n_register_set;

	if (!p->register_set)
		return NULL;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->register_set[mid].id == id)
			return &p->register_set[mid];
		if (p->register_set[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int kvmprof_regset_policy(const struct kvmprof_profile *p, uint64_t id)
{
	const struct kvmprof_regset_entry *e = p ? regset_find(p, id) : NULL;

	return e ? (int)e->policy : KVMPROF_REGSET_UNSTATED;
}

const char *kvmprof_regset_policy_name(int policy)
{
	switch (policy) {
	case KVMPROF_REGSET_REQUIRED: return "required";
	case KVMPROF_REGSET_TOLERATED: return "tolerated";
	case KVMPROF_REGSET_HIDDEN: return "hidden";
	case KVMPROF_REGSET_UNSTATED: return "unstated";
	default: return "?";
	}
}

const char *kvmprof_incoming_verdict_name(int verdict)
{
	switch (verdict) {
	case KVMPROF_INCOMING_TAKE: return "take";
	case KVMPROF_INCOMING_DROP: return "drop";
	case KVMPROF_INCOMING_HIDDEN: return "hidden";
	case KVMPROF_INCOMING_REFUSE: return "refuse";
	default: return "?";
	}
}

static int strings_equal(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* arm64: the writable masks of the feature ID range (KVM_ARM_GET_REG_WRITABLE_MASKS). */
struct id_masks {
	int have;
	uint64_t words[KVMPROF_ID_RANGE_WORDS];
};

static void read_masks(struct id_masks *m, int vm_fd)
{
	m->have = 0;
	if (kvmprof_sys_ioctl(vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) > 0) {
		struct kvmprof_reg_mask_range range = { .addr = (uintptr_t)m->words, .range = KVMPROF_ARM_FEATURE_ID_RANGE };

		m->have = kvmprof_sys_ioctl(vm_fd, KVMPROF_KVM_ARM_GET_REG_WRITABLE_MASKS, &range) == 0;
	}
}

/* An arm64 system register of the feature ID range (Op0 3, Op1 0/1/3,
 * CRn 0, CRm 0..7): KVM takes a saved value there only within what it lets
 * userspace change. Sets *word to its index as KVM_ARM_FEATURE_ID_RANGE_IDX. */
static int is_feature_id_reg(uint64_t id, unsigned *word)
{
	unsigned op0 = (id >> 14) & 3, op1 = (id >> 11) & 7, crn = (id >> 7) & 15, crm = (id >> 3) & 15, op2 = id & 7;

	if ((id >> 56) != 0x60 || ((id >> 16) & 0xffff) != 0x0013 || ((id >> 52) & 0xf) != 3) /* ARM64, SYSREG, U64 */
		return 0;
	if (op0 != 3 || crn != 0 || crm > 7 || (op1 != 0 && op1 != 1 && op1 != 3))
		return 0;
	*word = ((op1 == 3 ? 2u : op1) << 6) | (crm << 3) | op2;
	return 1;
}

/* 1 if this kernel cannot take `saved` for register id (it filled the
 * item's saved/here/writable), 0 if it can or it is not judged by value. */
static int value_refused(int vcpu_fd, const struct id_masks *m, uint64_t id, uint64_t saved,
			 struct kvmprof_incoming_item *it)
{
	uint64_t here = 0, writable;
	unsigned word;
	struct kvm_one_reg one = { .id = id, .addr = (uintptr_t)&here };

	if (!is_feature_id_reg(id, &word) || kvmprof_sys_ioctl(vcpu_fd, KVM_GET_ONE_REG, &one) < 0 || here == saved)
		return 0;
	writable = m->have ? m->words[word] : 0;
	if (((here ^ saved) & ~writable) == 0)
		return 0;
	it->saved = saved;
	it->here = here;
	it->writable = writable;
	return 1;
}

static void judge_one(const struct kvmprof_profile *p, const struct dest_list *d, uint64_t id, int is_msr,
		      const uint64_t *saved, int vcpu_fd, const struct id_masks *m,
		      struct kvmprof_migration_report *r)
{
	const struct kvmprof_regset_entry *e = regset_find(p, id);
	int policy = e ? (int)e->policy : KVMPROF_REGSET_UNSTATED, verdict;
	struct kvmprof_incoming_item it = { .id = id, .name = e ? e->name : NULL, .is_msr = (uint8_t)is_msr,
					    .policy = (uint8_t)policy, .why = KVMPROF_INCOMING_LACKED };

	if (policy == KVMPROF_REGSET_HIDDEN) {
		verdict = KVMPROF_INCOMING_HIDDEN;
		it.why = KVMPROF_INCOMING_POLICY;
	} else if (kvmprof__has_id(d->ids, d->n, id) &&
		   !(saved && !is_msr && value_refused(vcpu_fd, m, id, *saved, &it) &&
		     (it.why = KVMPROF_INCOMING_VALUE))) {
		verdict = KVMPROF_INCOMING_TAKE;
	} else if (policy == KVMPROF_REGSET_TOLERATED || (policy == KVMPROF_REGSET_UNSTATED && p->n_register_set)) {
		verdict = KVMPROF_INCOMING_DROP;
	} else {
		verdict = KVMPROF_INCOMING_REFUSE;
	}
	switch (verdict) {
	case KVMPROF_INCOMING_TAKE: r->n_taken++; return;
	case KVMPROF_INCOMING_DROP: r->n_dropped++; break;
	case KVMPROF_INCOMING_HIDDEN: r->n_hidden++; break;
	default: r->n_refused++; break;
	}
	it.verdict = (uint8_t)verdict;
	if (r->count < r->capacity)
		r->items[r->count++] = it;
}

int kvmprof_migration_check(const struct kvmprof_profile *p, int kvm_fd, int vm_fd, int vcpu_fd,
			    const struct kvmprof_incoming *in, struct kvmprof_migration_report *report)
{
	struct dest_list dest;
	struct id_masks masks;
	uint32_t not_taken;
	int rc;

	if (!p || !in || !report || in->sz < sizeof(*in) || (report->capacity && !report->items) ||
	    (in->n_reg_ids && !in->reg_ids) || (in->n_msrs && !in->msrs))
		return KVMPROF_ERR_INVAL;
	if (p->magic != KVMPROF_TABLE_MAGIC || p->abi != KVMPROF_TABLE_ABI ||
	    p->sizeof_profile != sizeof(struct kvmprof_profile))
		return KVMPROF_ERR_ABI;
	if (p->arch != kvmprof_sys_host_arch() ||
	    (p->arch != KVMPROF_ARCH_X86_64 && p->arch != KVMPROF_ARCH_ARM64))
		return KVMPROF_ERR_ARCH;
	memset(&report->count, 0, sizeof(*report) - offsetof(struct kvmprof_migration_report, count));
	if (!strings_equal(in->profile_name, p->name)) {
		report->profile_mismatch = 1;
		return KVMPROF_ERR_PROFILE;
	}
	if (!strings_equal(in->profile_hash, p->source_hash)) {
		report->profile_mismatch = 2;
		return KVMPROF_ERR_PROFILE;
	}
	rc = read_dest_list(&dest, p->arch, kvm_fd, vcpu_fd);
	if (rc)
		return rc;
	if (in->reg_values && p->arch == KVMPROF_ARCH_ARM64)
		read_masks(&masks, vm_fd);
	else
		masks.have = 0;
	for (uint32_t i = 0; i < in->n_reg_ids; i++)
		judge_one(p, &dest, in->reg_ids[i], 0, in->reg_values ? &in->reg_values[i] : NULL, vcpu_fd, &masks,
			  report);
	for (uint32_t i = 0; i < in->n_msrs; i++)
		judge_one(p, &dest, in->msrs[i], 1, NULL, vcpu_fd, &masks, report);
	/* What this kernel lists beyond the state keeps its own value. */
	for (uint32_t i = 0; i < dest.n; i++) {
		int found = 0;

		for (uint32_t k = 0; k < in->n_reg_ids && !found; k++)
			found = in->reg_ids[k] == dest.ids[i];
		for (uint32_t k = 0; k < in->n_msrs && !found; k++)
			found = in->msrs[k] == dest.ids[i];
		report->n_dest_only += !found;
	}
	not_taken = report->n_dropped + report->n_hidden + report->n_refused;
	if (report->n_refused)
		return KVMPROF_ERR_MIGRATION;
	return not_taken > report->count ? KVMPROF_ERR_REPORT_FULL : 0;
}

/* ---- the one-line reason ---- */
/* A value refused reads "ID_AA64PFR0_EL1 (S3_0_C0_C4_0) saved 0x.., here 0x.., writable 0x..". */

struct out {
	char *buf;
	size_t len, used; /* used: what the full text needs */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->used < o->len ? o->len - o->used : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

/* S<op0>_<op1>_C<crn>_C<crm>_<op2> for arm64 system registers, else hex. */
static void put_id(struct out *o, const struct kvmprof_incoming_item *item)
{
	struct kvmprof_incoming_item copy = *item, *it = &copy;
	uint64_t id = it->id;

	if (it->name && it->name[0] == '0' && (it->name[1] == 'x' || it->name[1] == 'X'))
		it->name = NULL; /* named by its number: say it once */

	if (it->is_msr) {
		put(o, "%s%sMSR 0x%llx", it->name ? it->name : "", it->name ? " " : "", (unsigned long long)id);
		return;
	}
	if (it->name)
		put(o, "%s ", it->name);
	if ((id >> 56) == 0x60 && ((id >> 16) & 0xffff) == 0x0013) /* arm64, U64, KVM_REG_ARM64_SYSREG */
		put(o, "%sS%u_%u_C%u_C%u_%u", it->name ? "(" : "", (unsigned)(id >> 14) & 3, (unsigned)(id >> 11) & 7,
		    (unsigned)(id >> 7) & 15, (unsigned)(id >> 3) & 15, (unsigned)id & 7);
	else
		put(o, "%s0x%llx", it->name ? "(" : "", (unsigned long long)id);
	if (it->name)
		put(o, ")");
}

static void put_items(struct out *o, const struct kvmprof_migration_report *r, int verdict)
{
	const char *sep = "";

	for (uint32_t i = 0; i < r->count; i++) {
		if (r->items[i].verdict != verdict)
			continue;
		put(o, "%s", sep);
		put_id(o, &r->items[i]);
		if (r->items[i].why == KVMPROF_INCOMING_VALUE)
			put(o, " saved 0x%llx, here 0x%llx, writable 0x%llx", (unsigned long long)r->items[i].saved,
			    (unsigned long long)r->items[i].here, (unsigned long long)r->items[i].writable);
		if (verdict == KVMPROF_INCOMING_REFUSE)
			put(o, " [%s]", kvmprof_regset_policy_name(r->items[i].policy));
		sep = ", ";
	}
}

int kvmprof_migration_reason(const struct kvmprof_profile *p, const struct kvmprof_incoming *in,
			     const struct kvmprof_migration_report *r, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	if (!p || !in || !r)
		return 0;
	if (r->profile_mismatch) {
		put(&o, "the state was saved under profile %s (%s); this VM runs %s (%s)",
		    in->profile_name ? in->profile_name : "(none)", in->profile_hash ? in->profile_hash : "no hash",
		    p->name, p->source_hash);
		return (int)o.used;
	}
	if (r->n_refused) {
		put(&o, "refused: %u register%s this kernel does not list or cannot take %s not tolerated by profile %s: ",
		    r->n_refused, r->n_refused == 1 ? "" : "s", r->n_refused == 1 ? "is" : "are", p->name);
		put_items(&o, r, KVMPROF_INCOMING_REFUSE);
	} else {
		put(&o, "taken: %u register%s restored", r->n_taken, r->n_taken == 1 ? "" : "s");
	}
	if (r->n_dropped) {
		put(&o, "; %u dropped (tolerated, or outside the register set): ", r->n_dropped);
		put_items(&o, r, KVMPROF_INCOMING_DROP);
	}
	if (r->n_hidden)
		put(&o, "; %u hidden, not restored", r->n_hidden);
	if (r->n_dest_only)
		put(&o, "; %u listed only here keep this kernel's values", r->n_dest_only);
	if (r->count < r->n_dropped + r->n_hidden + r->n_refused)
		put(&o, " (report full: %u of %u named)", r->count, r->n_dropped + r->n_hidden + r->n_refused);
	return (int)o.used;
}
