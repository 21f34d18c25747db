/* SPDX-License-Identifier: MIT */
/*
 * arch/x86/x86.c - what only x86 profiles need: CPUID (one KVMPROF_KVM_SET_CPUID2
 * per vCPU, or merged into the VMM's own table), MSRs (batched
 * KVMPROF_KVM_SET_MSRS). Built on every architecture: its uAPI is kvm_compat.h's.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <linux/kvm.h>

#include "cpuid_features.h"
#include "internal.h"
#include "kvm_ioctl.h"

#define MSR_BATCH 64 /* entries per KVM_{GET,SET}_MSRS on the stack */

struct msr_batch {
	struct kvmprof_msrs_fixed hdr;
	struct kvmprof_msr_entry e[MSR_BATCH];
};

_Static_assert(offsetof(struct kvmprof_cpuid_table, entries) == offsetof(struct kvmprof_cpuid_head, entries),
	       "kvmprof_cpuid_table is a kvm_cpuid2");

static int profile_has(const struct kvmprof_profile *p, int kind)
{
	for (uint32_t i = 0; i < p->n_entries; i++)
		if (p->entries[i].kind == kind)
			return 1;
	return 0;
}

/* Whether the profile has MSR entries for msr (*named), and the bits they
 * state as set. */
static uint64_t profile_msr_bits(const struct kvmprof_profile *p, uint32_t msr, int *named)
{
	uint64_t bits = 0;

	*named = 0;
	for (uint32_t i = 0; i < p->n_entries; i++)
		if (p->entries[i].kind == KVMPROF_KIND_MSR && p->entries[i].id == msr) {
			*named = 1;
			bits |= p->entries[i].value & p->entries[i].mask;
		}
	return bits;
}

static int vm_facts(struct kvmprof_vm_priv *v)
{
	struct {
		struct kvmprof_msr_list_fixed hdr;
		uint32_t idx[KVMPROF_MAX_MSRS];
	} list;
	struct msr_batch b;
	uint32_t n_msr_entries = 0, n_named = 0;
	int r;

	if (profile_has(v->p, KVMPROF_KIND_CPUID)) {
		if (v->kvm_fd < 0)
			return KVMPROF_ERR_INVAL;
		v->supported.nent = KVMPROF_MAX_CPUID;
		r = kvmprof_sys_ioctl(v->kvm_fd, KVMPROF_KVM_GET_SUPPORTED_CPUID, &v->supported);
		if (r < 0)
			return r == -E2BIG ? KVMPROF_ERR_FACTS : r;
		v->have_cpuid = 1;
	}
	for (uint32_t i = 0; i < v->p->n_entries; i++)
		n_msr_entries += v->p->entries[i].kind == KVMPROF_KIND_MSR;
	if (!n_msr_entries)
		return 0;
	if (v->kvm_fd < 0)
		return KVMPROF_ERR_INVAL;
	/* Feature MSRs (KVM_CAP_GET_MSR_FEATURES, v4.17): the list, and the
	 * values on /dev/kvm. A value matters only to an entry stating a set bit
	 * (it may not claim one /dev/kvm's has 0), so only those are read: each
	 * read costs (KVM may read the host's MSR). */
	list.hdr.nmsrs = KVMPROF_MAX_FEATURE_MSRS;
	r = kvmprof_sys_ioctl(v->kvm_fd, KVMPROF_KVM_GET_MSR_FEATURE_INDEX_LIST, &list);
	if (r == 0 && list.hdr.nmsrs <= KVMPROF_MAX_FEATURE_MSRS) {
		uint32_t to_read[KVMPROF_MAX_FEATURE_MSRS], n_read = 0, done = 0;

		for (uint32_t i = 0; i < list.hdr.nmsrs; i++) {
			int named;
			uint64_t set = profile_msr_bits(v->p, list.idx[i], &named);

			if (!named)
				continue;
			v->feature_msrs[n_named] = list.idx[i];
			v->feature_msr_values[n_named] = 0;
			if (set)
				to_read[n_read++] = n_named;
			n_named++;
		}
		v->n_feature_msrs = n_named;
		/* In batches of MSR_BATCH. KVMPROF_KVM_GET_MSRS returns how many it
		 * read; one it cannot read keeps value 0 (offering nothing), still
		 * a feature MSR, never mistaken for an ordinary one. */
		while (done < n_read) {
			uint32_t n = n_read - done < MSR_BATCH ? n_read - done : MSR_BATCH;

			memset(&b, 0, sizeof(b));
			b.hdr.nmsrs = n;
			for (uint32_t i = 0; i < n; i++)
				b.e[i].index = v->feature_msrs[to_read[done + i]];
			r = kvmprof_sys_ioctl(v->kvm_fd, KVMPROF_KVM_GET_MSRS, &b);
			if (r < 0)
				return r;
			for (uint32_t i = 0; i < (uint32_t)r && i < n; i++)
				v->feature_msr_values[to_read[done + i]] = b.e[i].data;
			done += (uint32_t)r < n ? (uint32_t)r + 1 : n;
		}
	} else if (r == 0 || r == -E2BIG) {
		return KVMPROF_ERR_FACTS;
	}
	/* Every MSR entry a feature MSR (a capture's usually are): the list of
	 * the others would answer nothing. */
	if (n_named == n_msr_entries)
		return 0;
	list.hdr.nmsrs = KVMPROF_MAX_MSRS;
	r = kvmprof_sys_ioctl(v->kvm_fd, KVMPROF_KVM_GET_MSR_INDEX_LIST, &list);
	if (r < 0)
		return r == -E2BIG ? KVMPROF_ERR_FACTS : r;
	v->n_msrs = list.hdr.nmsrs;
	memcpy(v->msrs, list.idx, v->n_msrs * sizeof(uint32_t));
	return 0;
}

static struct kvmprof_cpuid_leaf *find_leaf_n(struct kvmprof_cpuid_leaf *entries, uint32_t nent,
					       uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < nent; i++) {
		struct kvmprof_cpuid_leaf *l = &entries[i];

		if (l->function == fn &&
		    (!(l->flags & KVMPROF_CPUID_FLAG_SIGNIFICANT_INDEX) || l->index == idx))
			return l;
	}
	return NULL;
}

static struct kvmprof_cpuid_leaf *find_leaf(struct kvmprof_cpuid_table *t, uint32_t fn, uint32_t idx)
{
	return find_leaf_n(t->entries, t->nent < KVMPROF_MAX_CPUID ? t->nent : KVMPROF_MAX_CPUID, fn, idx);
}

/*
 * Finds the leaves of one table the way KVM does (its first match). A VMM
 * builds its table from KVM_GET_SUPPORTED_CPUID's, so it usually has the
 * same function, index and flags at each position, and maybe leaves
 * appended: in such a table a leaf the supported table has is at the
 * plan's position (no scan), and one it lacks can only be an appended one.
 */
struct leaf_finder {
	struct kvmprof_cpuid_leaf *entries;
	uint32_t nent;
	uint32_t scan_from; /* shaped like supported: where appended leaves start */
	int shaped;
	uint64_t memo_id; /* the last leaf scanned for: a profile states a */
	struct kvmprof_cpuid_leaf *memo; /* leaf's registers one after another */
	int memo_valid;
};

static void finder_init(struct leaf_finder *f, const struct kvmprof_vm_priv *v,
			struct kvmprof_cpuid_leaf *entries, uint32_t nent)
{
	const struct kvmprof_cpuid_leaf *sup = v->supported.entries;
	uint32_t n_sup = v->supported.nent, i = 0;

	f->entries = entries;
	f->nent = nent;
	f->memo_valid = 0;
	if (v->have_cpuid && nent >= n_sup) /* function, index and flags lead each leaf */
		while (i < n_sup && !memcmp(&entries[i], &sup[i], offsetof(struct kvmprof_cpuid_leaf, regs)))
			i++;
	f->shaped = v->have_cpuid && nent >= n_sup && i == n_sup;
	f->scan_from = f->shaped ? n_sup : 0;
}

/* Table f's leaf for entry e (planned pl), NULL when it has none. */
static struct kvmprof_cpuid_leaf *finder_leaf(struct leaf_finder *f, const struct kvmprof_entry *e,
					      const struct kvmprof_plan *pl)
{
	if (f->shaped && pl->leaf_pos >= 0)
		return &f->entries[pl->leaf_pos];
	if (!f->memo_valid || f->memo_id != e->id) {
		f->memo = find_leaf_n(f->entries + f->scan_from, f->nent - f->scan_from, (uint32_t)(e->id >> 32),
				      (uint32_t)e->id);
		f->memo_id = e->id;
		f->memo_valid = 1;
	}
	return f->memo;
}

/* The register a CPUID entry states as table f presents it (0 when it has
 * no such leaf: the guest reads 0); returns whether it has the leaf. */
static int presented(struct leaf_finder *f, const struct kvmprof_vm_priv *v, const struct kvmprof_entry *e,
		     uint64_t *val)
{
	const struct kvmprof_cpuid_leaf *leaf = finder_leaf(f, e, &v->plan[e - v->p->entries]);

	*val = leaf ? leaf->regs[e->reg] : 0;
	return leaf != NULL;
}

/* Whether CPUID register (fn, idx, reg) is one whose bits are features (the
 * register database's `features` records, cpuid_features.h). */
static int cpuid_is_feature_reg(uint32_t fn, uint32_t idx, unsigned reg)
{
	for (size_t i = 0; i < sizeof(kvmprof_cpuid_feature_regs) / sizeof(kvmprof_cpuid_feature_regs[0]); i++) {
		const struct kvmprof_cpuid_feature_reg *f = &kvmprof_cpuid_feature_regs[i];

		if (f->function == fn && f->index == idx && f->reg == reg)
			return 1;
	}
	return 0;
}

static int msr_listed(const uint32_t *list, uint32_t n, uint64_t msr)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == msr)
			return (int)i + 1;
	return 0;
}

static int plan(struct kvmprof_vm_priv *v, int vcpu_fd)
{
	const struct kvmprof_profile *p = v->p;
	uint32_t start = p->phase_start[KVMPROF_PHASE_VCPU_REGS];
	uint32_t end = p->phase_start[KVMPROF_PHASE_VCPU_REGS + 1];

	/* The template is the table this library sets; a VMM that sets its
	 * own CPUID needs none. */
	int want_tmpl = v->have_cpuid && !(v->flags & KVMPROF_VMM_SETS_CPUID);

	struct kvmprof_cpuid_leaf *memo_leaf = NULL;
	uint64_t memo_id = 0;

	(void)vcpu_fd;
	if (want_tmpl)
		v->tmpl = v->supported;
	for (uint32_t i = start; i < end; i++) {
		const struct kvmprof_entry *e = &p->entries[i];
		struct kvmprof_plan *pl = &v->plan[i];
		struct kvmprof_cpuid_leaf *leaf, *tl;
		uint32_t fn = (uint32_t)(e->id >> 32), idx = (uint32_t)e->id;
		int f;

		pl->leaf_pos = -1;
		if (pl->outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		if (e->kind == KVMPROF_KIND_CPUID) {
			if (!memo_leaf || memo_id != e->id) /* a leaf's registers come together */
				memo_leaf = find_leaf(&v->supported, fn, idx);
			memo_id = e->id;
			leaf = memo_leaf;
			if (leaf)
				pl->leaf_pos = (int16_t)(leaf - v->supported.entries);
			pl->wanted = e->value & e->mask & 0xffffffffu;
			/* A leaf the kernel does not list reads as 0 in the guest
			 * (KVM's CPUID emulation): stating 0 there asks for nothing. */
			if (!leaf && pl->wanted == 0 && e->reg <= KVMPROF_CPUID_EDX) {
				pl->outcome = KVMPROF_OUT_ALREADY_EQUAL;
				pl->before = 0;
				continue;
			}
			if (!leaf || e->reg > KVMPROF_CPUID_EDX) {
				pl->outcome = KVMPROF_OUT_UNSUPPORTED;
				pl->err = -ENOENT;
				continue;
			}
			pl->before = leaf->regs[e->reg];
			pl->wanted = kvmprof__wanted_planned(v, e, pl->before) & 0xffffffffu;
			if (cpuid_is_feature_reg(fn, idx, e->reg) && (pl->wanted & ~pl->before)) {
				pl->outcome = KVMPROF_OUT_UNSUPPORTED;
				pl->err = -EOPNOTSUPP;
				pl->field = kvmprof__field_of(e, pl->wanted & ~pl->before);
				continue;
			}
			if (want_tmpl) { /* a copy of supported: the same position */
				tl = &v->tmpl.entries[pl->leaf_pos];
				tl->regs[e->reg] = (uint32_t)((tl->regs[e->reg] & ~e->mask) | (pl->wanted & e->mask));
			}
			if (pl->wanted == pl->before)
				pl->outcome = KVMPROF_OUT_ALREADY_EQUAL;
		} else if (e->kind == KVMPROF_KIND_MSR) {
			f = msr_listed(v->feature_msrs, v->n_feature_msrs, e->id);
			if (!f && !msr_listed(v->msrs, v->n_msrs, e->id)) {
				pl->outcome = KVMPROF_OUT_UNSUPPORTED;
				pl->err = -ENOENT;
				pl->wanted = e->value & e->mask;
				continue;
			}
			/* A feature MSR may not claim more than /dev/kvm offers. */
			if (f && (e->value & e->mask & ~v->feature_msr_values[f - 1])) {
				pl->outcome = KVMPROF_OUT_UNSUPPORTED;
				pl->err = -EOPNOTSUPP;
				pl->before = v->feature_msr_values[f - 1];
				pl->wanted = e->value & e->mask;
				pl->field = kvmprof__field_of(e, pl->wanted & ~pl->before);
			}
		}
	}
	return 0;
}

static int cpuid_judge(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n,
		       int verify);

/* Reads the vCPU's CPUID table now (KVM_GET_CPUID2); hint: the entries expected (0: unknown). */
static int get_cpuid(int vcpu_fd, struct kvmprof_cpuid_table *got, uint32_t hint)
{
	int ret;

	/* Ask for exactly as many entries as expected first: 6.1 leaves nent
	 * unchanged when the buffer is larger (real-kvm.md). */
	got->nent = hint && hint <= KVMPROF_MAX_CPUID ? hint : KVMPROF_MAX_CPUID;
	ret = kvmprof_sys_ioctl(vcpu_fd, KVMPROF_KVM_GET_CPUID2, got);
	if (ret == -E2BIG && got->nent != KVMPROF_MAX_CPUID) {
		got->nent = KVMPROF_MAX_CPUID;
		ret = kvmprof_sys_ioctl(vcpu_fd, KVMPROF_KVM_GET_CPUID2, got);
	}
	if (ret == -E2BIG)
		return KVMPROF_ERR_FACTS;
	if (ret >= 0 && got->nent > KVMPROF_MAX_CPUID)
		got->nent = KVMPROF_MAX_CPUID;
	return ret;
}

/* A CPUID result still to judge: validated, or found already equal. */
static int cpuid_to_judge(const struct kvmprof_result *r)
{
	return r->entry->kind == KVMPROF_KIND_CPUID &&
	       (r->outcome == KVMPROF_OUT_CHECK_OK || r->outcome == KVMPROF_OUT_ALREADY_EQUAL);
}

static int cpuid_apply(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n)
{
	struct kvmprof_cpuid_table got;
	int any = 0, ret, differs = 0;

	/* The VMM owns CPUID: judge what it set, write nothing. */
	if (v->flags & KVMPROF_VMM_SETS_CPUID)
		return cpuid_judge(v, vcpu_fd, res, n, 0);
	/* A profile with CPUID entries owns the guest's CPUID: set the table even
	 * when lenient mode left every entry unsupported or skipped, or the
	 * guest would start with no CPUID at all (KVM's default is empty). */
	for (uint32_t i = 0; i < n; i++)
		any |= res[i].entry->kind == KVMPROF_KIND_CPUID &&
		       res[i].outcome != KVMPROF_OUT_NOT_ATTEMPTED;
	if (!any)
		return 0;
	/* The template is shared by all vCPUs: KVMPROF_KVM_SET_CPUID2 only reads it. */
	ret = kvmprof_sys_ioctl(vcpu_fd, KVMPROF_KVM_SET_CPUID2, &v->tmpl);
	if (ret < 0) {
		for (uint32_t i = 0; i < n; i++) {
			if (!cpuid_to_judge(&res[i]))
				continue;
			res[i].outcome = KVMPROF_OUT_REJECTED;
			res[i].err = ret;
		}
		return KVMPROF_ERR_REJECTED;
	}
	for (uint32_t i = 0; i < n; i++)
		if (res[i].entry->kind == KVMPROF_KIND_CPUID && res[i].outcome == KVMPROF_OUT_CHECK_OK)
			res[i].written = 1;
	if (v->flags & KVMPROF_VERIFY_FOLLOWS) { /* it reads CPUID, once */
		for (uint32_t i = 0; i < n; i++)
			if (res[i].entry->kind == KVMPROF_KIND_CPUID && res[i].outcome == KVMPROF_OUT_CHECK_OK) {
				res[i].outcome = KVMPROF_OUT_WRITTEN;
				res[i].after = res[i].wanted;
			}
		return 0;
	}
	ret = get_cpuid(vcpu_fd, &got, v->tmpl.nent);
	if (ret < 0) { /* the table was set, the read-back never came */
		for (uint32_t i = 0; i < n; i++)
			if (res[i].entry->kind == KVMPROF_KIND_CPUID && res[i].written &&
			    res[i].outcome == KVMPROF_OUT_CHECK_OK) {
				res[i].outcome = KVMPROF_OUT_READBACK_DIFFERS;
				res[i].err = ret;
			}
		return ret;
	}
	struct leaf_finder f;

	finder_init(&f, v, got.entries, got.nent);
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];

		if (!cpuid_to_judge(r))
			continue;
		presented(&f, v, r->entry, &r->after);
		if (!kvmprof__judge_planned(v, r->entry, r->after, &r->field)) {
			r->outcome = KVMPROF_OUT_READBACK_DIFFERS;
			differs = 1;
		} else if (r->outcome == KVMPROF_OUT_CHECK_OK) {
			r->outcome = KVMPROF_OUT_APPLIED;
		}
	}
	return differs ? KVMPROF_ERR_READBACK : 0;
}

/* One KVMPROF_KVM_GET_MSRS of up to MSR_BATCH results; returns how many were read. */
static int get_msrs(int fd, struct kvmprof_result *const *rs, uint32_t n, uint64_t *vals)
{
	struct msr_batch b;
	int r;

	b.hdr.nmsrs = n;
	b.hdr.pad = 0;
	for (uint32_t i = 0; i < n; i++) {
		b.e[i].index = (uint32_t)rs[i]->entry->id;
		b.e[i].reserved = 0;
		b.e[i].data = 0;
	}
	r = kvmprof_sys_ioctl(fd, KVMPROF_KVM_GET_MSRS, &b);
	for (int i = 0; i < r && i < (int)n; i++)
		vals[i] = b.e[i].data;
	return r;
}

/*
 * Reads n MSRs (n <= MSR_BATCH) into each result's `after`, in one
 * KVMPROF_KVM_GET_MSRS; KVM stops at the first one the vCPU cannot read, so
 * each from there is asked for alone. One that cannot be read gets outcome
 * `unreadable` and error `err`. Returns 0, or the batch ioctl's error.
 */
static int read_msr_batch(int fd, struct kvmprof_result *const *rs, uint32_t n, int unreadable, int err)
{
	uint64_t vals[MSR_BATCH];
	int got = get_msrs(fd, rs, n, vals);

	if (got < 0)
		return got;
	for (uint32_t i = 0; i < n; i++) {
		if ((int)i < got || get_msrs(fd, &rs[i], 1, &vals[i]) == 1) {
			rs[i]->after = vals[i];
		} else {
			rs[i]->outcome = unreadable;
			rs[i]->err = err;
		}
	}
	return 0;
}

/* read_msr_batch() of MSRs as they are now (before = after) and what each
 * entry wants of its value; one the vCPU cannot read is UNSUPPORTED. */
static int read_msrs_now(const struct kvmprof_vm_priv *v, int fd, struct kvmprof_result *const *rs, uint32_t n)
{
	int ret = read_msr_batch(fd, rs, n, KVMPROF_OUT_UNSUPPORTED, -ENOENT);

	for (uint32_t i = 0; ret == 0 && i < n; i++)
		if (rs[i]->outcome == KVMPROF_OUT_CHECK_OK) {
			rs[i]->before = rs[i]->after;
			rs[i]->wanted = kvmprof__wanted_planned(v, rs[i]->entry, rs[i]->before);
		}
	return ret;
}

static uint32_t collect(struct kvmprof_result *res, uint32_t n, int outcome, int written,
			struct kvmprof_result **out, uint32_t *from)
{
	uint32_t k = 0;

	for (; *from < n && k < MSR_BATCH; (*from)++) {
		struct kvmprof_result *r = &res[*from];

		if (r->entry->kind == KVMPROF_KIND_MSR && r->outcome == outcome &&
		    (written < 0 || r->written == written))
			out[k++] = r;
	}
	return k;
}

/* collect() of the MSRs still to validate that need their value read. */
static uint32_t collect_to_read(const struct kvmprof_vm_priv *v, struct kvmprof_result *res, uint32_t n,
				int follows, struct kvmprof_result **out, uint32_t *from)
{
	uint32_t k = 0;

	for (; *from < n && k < MSR_BATCH; (*from)++) {
		struct kvmprof_result *r = &res[*from];

		if (r->entry->kind == KVMPROF_KIND_MSR && r->outcome == KVMPROF_OUT_CHECK_OK && !r->written &&
		    !(follows && v->plan[r->entry - v->p->entries].in_full))
			out[k++] = r;
	}
	return k;
}

static int msr_validate(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n)
{
	struct kvmprof_result *rs[MSR_BATCH];
	uint32_t from = 0, k;

	/* With kvmprof_verify_vcpu() to follow, an MSR stated in full needs
	 * no read first: its value does not depend on the vCPU's. */
	int follows = !!(v->flags & KVMPROF_VERIFY_FOLLOWS);

	for (uint32_t i = 0; follows && i < n; i++)
		if (res[i].entry->kind == KVMPROF_KIND_MSR && res[i].outcome == KVMPROF_OUT_CHECK_OK &&
		    v->plan[res[i].entry - v->p->entries].in_full)
			res[i].wanted = res[i].entry->value;
	while ((k = collect_to_read(v, res, n, follows, rs, &from)) > 0) {
		int ret = read_msrs_now(v, vcpu_fd, rs, k);

		if (ret < 0)
			return ret;
		for (uint32_t i = 0; i < k; i++)
			if (rs[i]->outcome == KVMPROF_OUT_CHECK_OK && rs[i]->wanted == rs[i]->before)
				rs[i]->outcome = KVMPROF_OUT_ALREADY_EQUAL;
	}
	return 0;
}

static int msr_apply(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n)
{
	struct kvmprof_result *rs[MSR_BATCH];
	struct msr_batch b;
	uint32_t from = 0, k;
	int failed = 0, strict = !(v->flags & KVMPROF_LENIENT);

	while (!(strict && failed) && (k = collect(res, n, KVMPROF_OUT_CHECK_OK, 0, rs, &from)) > 0) {
		uint32_t pos = 0;

		while (pos < k) {
			int set;

			b.hdr.nmsrs = k - pos;
			b.hdr.pad = 0;
			for (uint32_t i = pos; i < k; i++) {
				b.e[i - pos].index = (uint32_t)rs[i]->entry->id;
				b.e[i - pos].reserved = 0;
				b.e[i - pos].data = rs[i]->wanted;
			}
			set = kvmprof_sys_ioctl(vcpu_fd, KVMPROF_KVM_SET_MSRS, &b);
			if (set < 0)
				return set;
			for (int i = 0; i < set && pos + (uint32_t)i < k; i++)
				rs[pos + i]->written = 1;
			pos += (uint32_t)set;
			if (pos >= k)
				break;
			/* KVM stops at the first MSR it refuses and returns
			 * how many it set before it. */
			rs[pos]->outcome = KVMPROF_OUT_REJECTED;
			rs[pos]->err = -EINVAL;
			failed = 1;
			pos++;
			if (strict)
				break;
		}
	}
	/* kvmprof_verify_vcpu() follows: it reads them, once. */
	if (v->flags & KVMPROF_VERIFY_FOLLOWS) {
		for (uint32_t i = 0; i < n; i++)
			if (res[i].entry->kind == KVMPROF_KIND_MSR && res[i].outcome == KVMPROF_OUT_CHECK_OK &&
			    res[i].written) {
				res[i].outcome = KVMPROF_OUT_WRITTEN;
				res[i].after = res[i].wanted;
			}
		return failed ? KVMPROF_ERR_REJECTED : 0;
	}
	/* Read back everything written, in batches. */
	from = 0;
	while ((k = collect(res, n, KVMPROF_OUT_CHECK_OK, 1, rs, &from)) > 0) {
		int ret = read_msr_batch(vcpu_fd, rs, k, KVMPROF_OUT_READBACK_DIFFERS, -EIO);

		if (ret < 0) { /* written, unconfirmed */
			for (uint32_t i = 0; i < k; i++) {
				rs[i]->outcome = KVMPROF_OUT_READBACK_DIFFERS;
				rs[i]->err = ret;
			}
			return ret;
		}
		for (uint32_t i = 0; i < k; i++) {
			struct kvmprof_result *r = rs[i];

			if (r->outcome != KVMPROF_OUT_CHECK_OK) {
				failed |= 2;
				continue;
			}
			if (kvmprof__judge_planned(v, r->entry, r->after, &r->field)) {
				r->outcome = KVMPROF_OUT_APPLIED;
			} else {
				r->outcome = KVMPROF_OUT_READBACK_DIFFERS;
				failed |= 2;
			}
		}
	}
	if (failed & 1)
		return KVMPROF_ERR_REJECTED;
	return failed ? KVMPROF_ERR_READBACK : 0;
}


/*
 * Judges every CPUID entry of res (with outcome CHECK_OK or ALREADY_EQUAL)
 * against what the vCPU presents now. verify: VERIFIED, else ALREADY_EQUAL
 * (the VMM set it; nothing written). A leaf the vCPU does not have reads as 0: it differs unless the entry states 0.
 */
static int cpuid_judge(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n,
		       int verify)
{
	struct kvmprof_cpuid_table got;
	int any = 0, ret, differs = 0;

	for (uint32_t i = 0; i < n; i++)
		any |= cpuid_to_judge(&res[i]);
	if (!any)
		return 0;
	struct leaf_finder f;

	ret = get_cpuid(vcpu_fd, &got, v->have_cpuid ? v->supported.nent : 0);
	if (ret == -E2BIG || ret == -EINVAL) /* 6.1 with no CPUID set yet */
		got.nent = 0;
	else if (ret < 0)
		return ret;
	finder_init(&f, v, got.entries, got.nent);
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		int leaf;

		if (!cpuid_to_judge(r))
			continue;
		leaf = presented(&f, v, e, &r->after);
		r->before = r->after; /* nothing is written here: what the vCPU presents is both */
		if (!leaf && (e->value & e->mask) != 0) { /* absent reads as 0: only 0 is presented */
			r->outcome = KVMPROF_OUT_READBACK_DIFFERS;
			r->err = -ENOENT;
			differs = 1;
		} else if (leaf && !kvmprof__judge_planned(v, e, r->after, &r->field)) {
			r->outcome = KVMPROF_OUT_READBACK_DIFFERS;
			differs = 1;
		} else {
			r->outcome = verify ? KVMPROF_OUT_VERIFIED : KVMPROF_OUT_ALREADY_EQUAL;
		}
	}
	return differs ? KVMPROF_ERR_READBACK : 0;
}

/* Judges every MSR entry (outcome CHECK_OK) on what the vCPU reads now. */
static int msr_verify(const struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n)
{
	struct kvmprof_result *rs[MSR_BATCH];
	uint32_t from = 0, k;

	while ((k = collect(res, n, KVMPROF_OUT_CHECK_OK, -1, rs, &from)) > 0) {
		int ret = read_msrs_now(v, vcpu_fd, rs, k);

		if (ret < 0)
			return ret;
		for (uint32_t i = 0; i < k; i++) {
			struct kvmprof_result *r = rs[i];

			if (r->outcome == KVMPROF_OUT_CHECK_OK)
				r->outcome = kvmprof__judge_planned(v, r->entry, r->after, &r->field) ?
						     KVMPROF_OUT_VERIFIED : KVMPROF_OUT_READBACK_DIFFERS;
		}
	}
	return 0;
}

static int regs_verify(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n)
{
	int ret;

	/* What KVM_GET_SUPPORTED_CPUID cannot offer stays unsupported. */
	for (uint32_t i = 0; i < n; i++) {
		const struct kvmprof_plan *pl = &v->plan[res[i].entry - v->p->entries];

		if (res[i].entry->kind != KVMPROF_KIND_CPUID || res[i].outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		if (pl->outcome == KVMPROF_OUT_UNSUPPORTED) {
			res[i].outcome = KVMPROF_OUT_UNSUPPORTED;
			res[i].err = pl->err;
			res[i].field = pl->field;
		}
		res[i].before = pl->before;
		res[i].wanted = pl->wanted;
	}
	ret = cpuid_judge(v, vcpu_fd, res, n, 1);
	if (ret < 0 && ret != KVMPROF_ERR_READBACK)
		return ret;
	return msr_verify(v, vcpu_fd, res, n);
}

/*
 * Overlays the CPUID entries (res holds only those) onto the VMM's table.
 * Pass 1 decides every outcome and how many leaves must be appended; in
 * strict mode an entry that cannot be honoured leaves the table untouched.
 */
static int cpuid_merge(struct kvmprof_vm_priv *v, const struct kvmprof_call *call,
		       struct kvmprof_result *res, uint32_t n)
{
	struct kvmprof_cpuid_head *t = call->arg;
	uint32_t nent = t->nent, room = call->capacity - t->nent;
	struct leaf_finder f;
	int ret = kvmprof__vcpu_facts(v, -1);

	if (ret < 0)
		return ret;
	finder_init(&f, v, t->entries, nent);
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		const struct kvmprof_plan *pl = &v->plan[e - v->p->entries];
		uint32_t fn = (uint32_t)(e->id >> 32), idx = (uint32_t)e->id;
		struct kvmprof_cpuid_leaf *leaf;
		uint64_t vmm;

		r->outcome = pl->outcome == KVMPROF_OUT_ALREADY_EQUAL ? KVMPROF_OUT_CHECK_OK : pl->outcome;
		r->err = pl->err;
		r->field = pl->field;
		r->before = r->after = pl->before;
		r->wanted = pl->wanted;
		if (r->outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		leaf = finder_leaf(&f, e, pl);
		if (!leaf && pl->outcome == KVMPROF_OUT_ALREADY_EQUAL && pl->leaf_pos < 0) {
			r->outcome = KVMPROF_OUT_ALREADY_EQUAL; /* 0 in a leaf nobody lists: a guest reads 0 */
			continue;
		}
		if (!leaf) {
			/* Appended in pass 2 from the supported leaf; count it once. */
			int seen = 0;

			/* (fn, idx) is missing for every entry naming it */
			for (uint32_t j = 0; j < i; j++)
				seen |= res[j].outcome == KVMPROF_OUT_CHECK_OK &&
					(uint32_t)(res[j].entry->id >> 32) == fn &&
					(uint32_t)res[j].entry->id == idx;
			if (!seen) {
				if (!room) {
					r->outcome = KVMPROF_OUT_UNSUPPORTED;
					r->err = -ENOSPC;
					continue;
				}
				room--;
			}
			vmm = pl->before;
		} else {
			vmm = leaf->regs[e->reg];
		}
		r->before = r->after = vmm;
		r->wanted = kvmprof__wanted_planned(v, e, vmm) & 0xffffffffu;
		/* A feature bit KVM does not offer stays unsupported, whatever
		 * the VMM's table holds (the plan judged the profile's value). */
		if (r->wanted == vmm && leaf)
			r->outcome = KVMPROF_OUT_ALREADY_EQUAL;
	}
	ret = kvmprof__gate(v, res, n, 0);
	if (ret < 0)
		return ret;
	f.memo_valid = 0; /* pass 2 appends leaves */
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		const struct kvmprof_plan *pl = &v->plan[e - v->p->entries];
		struct kvmprof_cpuid_leaf *leaf;

		if (r->outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		f.nent = t->nent;
		leaf = finder_leaf(&f, e, pl);
		if (!leaf) {
			leaf = &t->entries[t->nent++];
			memset(leaf, 0, sizeof(*leaf));
			if (pl->leaf_pos >= 0)
				*leaf = v->supported.entries[pl->leaf_pos];
			leaf->function = (uint32_t)(e->id >> 32);
			leaf->index = (uint32_t)e->id;
			f.memo = leaf; /* the id looked up last is this one */
		}
		leaf->regs[e->reg] = (uint32_t)((leaf->regs[e->reg] & ~e->mask) | (r->wanted & e->mask));
		r->after = leaf->regs[e->reg];
		r->outcome = KVMPROF_OUT_MERGED;
	}
	return 0;
}

const struct kvmprof_arch_ops kvmprof__arch_x86 = {
	.arch = KVMPROF_ARCH_X86_64,
	.vm_facts = vm_facts,
	.vcpu_facts = plan,
	.facts_without_vcpu = 1,
	.regs_validate = msr_validate,
	.regs_apply_first = cpuid_apply,
	.regs_apply_last = msr_apply,
	.regs_verify = regs_verify,
	.cpuid_merge = cpuid_merge,
};
