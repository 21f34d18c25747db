/* SPDX-License-Identifier: MIT */
/* phase_regs.c - per-vCPU registers (ONE_REG; CPUID and MSRs via x86.c) and
 * device attributes, plus the vCPU facts shared by all vCPUs of a VM. */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "internal.h"
#include "kvm_ioctl.h"

static uint64_t bits_of_width(unsigned width)
{
	return width >= 64 || width == 0 ? ~0ull : (1ull << width) - 1;
}

/* ---- facts needing a vCPU: register list, writable masks, the plan ---- */

static int compute_vcpu_facts(struct kvmprof_vm_priv *v, int vcpu_fd)
{
	const struct kvmprof_profile *p = v->p;
	uint32_t start = p->phase_start[KVMPROF_PHASE_VCPU_REGS];
	uint32_t end = p->phase_start[KVMPROF_PHASE_VCPU_REGS + 1];
	int need_regs = 0, r, ok;

	for (uint32_t i = start; i < end; i++) {
		struct kvmprof_plan *pl = &v->plan[i];

		need_regs |= p->entries[i].kind == KVMPROF_KIND_ONE_REG;
		pl->exact = kvmprof__all_exact(&p->entries[i]) & 1;
		pl->in_full = kvmprof__stated_in_full(&p->entries[i]) & 1;
		r = kvmprof__requires(v, p->entries[i].requires, &ok);
		if (r < 0)
			return r;
		pl->outcome = ok ? KVMPROF_OUT_CHECK_OK : KVMPROF_OUT_SKIPPED_REQUIRES;
	}
	/* A merge has no vCPU yet: ONE_REG membership is then decided by
	 * KVM_GET_ONE_REG alone. */
	if (need_regs && vcpu_fd >= 0) {
		v->reg_list[0] = KVMPROF_MAX_REGS;
		r = kvmprof_sys_ioctl(vcpu_fd, KVM_GET_REG_LIST, v->reg_list);
		if (r == -ENOEXEC) /* arm64: this vCPU is not initialised yet */
			return KVMPROF_ERR_PHASE;
		/* x86 (PVM) answers n = 0 yet serves ONE_REG for MSRs; a list
		 * larger than ours (E2BIG) is unknown too: then membership is
		 * decided by KVM_GET_ONE_REG alone. */
		if (r == 0 && v->reg_list[0] > 0 && v->reg_list[0] <= KVMPROF_MAX_REGS) {
			kvmprof__sort_ids(&v->reg_list[1], (uint32_t)v->reg_list[0]);
			v->reg_list_state = 1;
		} else {
			v->reg_list[0] = 0;
		}
	}
	return v->ops->vcpu_facts ? v->ops->vcpu_facts(v, vcpu_fd) : 0;
}

/*
 * From kvmprof_vm_init(): the vCPU facts now, when they need no vCPU, while
 * what they are made of (the supported CPUID just read) is still in the
 * cache. Measured on this host's PVM: the first CPUID merge of a VM went
 * from 6.7 to 2.2 us. An error waits for the first vCPU call, as before.
 */
static int is_vm_scope(const struct kvmprof_vm_priv *v, const struct kvmprof_entry *e);

void kvmprof__vcpu_facts_early(struct kvmprof_vm_priv *v)
{
	const struct kvmprof_profile *p = v->p;

	for (uint32_t i = p->phase_start[KVMPROF_PHASE_VCPU_REGS]; i < p->phase_start[KVMPROF_PHASE_VCPU_REGS + 1]; i++)
		v->any_vm_scope |= is_vm_scope(v, &p->entries[i]);
	if (!v->ops->facts_without_vcpu)
		return;
	/* ONE_REG membership wants the first vCPU's register list */
	for (uint32_t i = p->phase_start[KVMPROF_PHASE_VCPU_REGS]; i < p->phase_start[KVMPROF_PHASE_VCPU_REGS + 1]; i++)
		if (p->entries[i].kind == KVMPROF_KIND_ONE_REG)
			return;
	(void)kvmprof__vcpu_facts(v, -1);
}

int kvmprof__vcpu_facts(struct kvmprof_vm_priv *v, int vcpu_fd)
{
	int r;

	if (__atomic_load_n(&v->vcpu_facts_ready, __ATOMIC_ACQUIRE))
		return v->vcpu_facts_err;
	pthread_mutex_lock(&v->lock);
	if (!v->vcpu_facts_ready) {
		r = compute_vcpu_facts(v, vcpu_fd);
		/* Too early (no vCPU init) is the caller's to fix: try again
		 * next time rather than keep the error. */
		if (r != KVMPROF_ERR_PHASE) {
			v->vcpu_facts_err = r;
			__atomic_store_n(&v->vcpu_facts_ready, 1, __ATOMIC_RELEASE);
		}
	} else {
		r = v->vcpu_facts_err;
	}
	pthread_mutex_unlock(&v->lock);
	return r;
}

/* ---- ONE_REG ---- */

static unsigned reg_bytes(uint64_t id)
{
	return 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

int kvmprof__get_reg(int fd, uint64_t id, uint64_t *val)
{
	uint64_t buf = 0;
	struct kvm_one_reg one = { .id = id, .addr = (uintptr_t)&buf };
	int r = kvmprof_sys_ioctl(fd, KVM_GET_ONE_REG, &one);

	/* Little-endian hosts: a narrower register fills the low bytes. */
	*val = buf & bits_of_width(reg_bytes(id) * 8);
	return r;
}

static int set_reg(const struct kvmprof__target *t, const struct kvmprof_entry *e, uint64_t val)
{
	uint64_t buf = val;
	struct kvm_one_reg one = { .id = e->id, .addr = (uintptr_t)&buf };

	return kvmprof_sys_ioctl(t->fd, KVM_SET_ONE_REG, &one);
}

/* Reads r's register into *val: 1, or 0 when KVM has no such register (r is
 * then UNSUPPORTED), or an error (KVMPROF_ERR_PHASE before the vCPU's init). */
static int read_one_reg(int fd, struct kvmprof_result *r, uint64_t *val)
{
	int ret = kvmprof__get_reg(fd, r->entry->id, val);

	if (ret == -ENOEXEC) /* arm64: vCPU not initialised */
		return KVMPROF_ERR_PHASE;
	if (ret == -ENOENT || ret == -EINVAL) {
		r->outcome = KVMPROF_OUT_UNSUPPORTED;
		r->err = -ENOENT;
		return 0;
	}
	return ret < 0 ? ret : 1;
}

static int validate_one_reg(struct kvmprof_vm_priv *v, int fd, struct kvmprof_result *r)
{
	const struct kvmprof_entry *e = r->entry;
	int ret;

	if (reg_bytes(e->id) > 8) {
		r->outcome = KVMPROF_OUT_UNSUPPORTED;
		r->err = -ERANGE;
		return 0;
	}
	if (v->reg_list_state == 1 && !kvmprof__has_id(&v->reg_list[1], (uint32_t)v->reg_list[0], e->id)) {
		r->outcome = KVMPROF_OUT_UNSUPPORTED;
		r->err = -ENOENT;
		return 0;
	}
	ret = read_one_reg(fd, r, &r->before);
	if (ret <= 0)
		return ret;
	r->after = r->before;
	r->wanted = kvmprof__wanted_planned(v, e, r->before) & bits_of_width(reg_bytes(e->id) * 8);
	if (v->ops->locked_bits) {
		uint64_t locked = v->ops->locked_bits(v, e->id, r->before, r->wanted);

		if (locked) {
			r->outcome = KVMPROF_OUT_UNSUPPORTED;
			r->err = -EPERM;
			r->field = kvmprof__field_of(e, locked);
			return 0;
		}
	}
	r->outcome = r->wanted == r->before ? KVMPROF_OUT_ALREADY_EQUAL : KVMPROF_OUT_CHECK_OK;
	return 0;
}

/*
 * After KVM refused r->wanted with EINVAL: which values of the first field
 * the profile changed would it accept? Each value is written with every
 * other field at its default, so the range only explains the refusal if
 * the wanted value with just this field moved into it is accepted too; KVM
 * has rules across fields (arm64 set_clidr(): CLIDR_EL1's LoC, LoUU and
 * LoUIS against CTR_EL0.IDC), where one field's range says nothing. Then
 * the result names no field and keeps no range: the reason lists the
 * fields the profile changed (kvmprof_result_reason()).
 */
void kvmprof__probe_field(const struct kvmprof__target *fd, kvmprof__writer wr, struct kvmprof_result *r)
{
	const struct kvmprof_entry *e = r->entry;
	uint16_t fi = kvmprof__field_of(e, r->wanted ^ r->before);
	const struct kvmprof_field *f;
	uint64_t bits, want, nearest;
	int any = 0, honest;

	if (!fi)
		return;
	f = &e->fields[fi - 1];
	if (f->width == 0 || f->width > 4)
		return;
	bits = ((1ull << f->width) - 1) << f->shift;
	r->field = fi;
	for (uint64_t val = 0; val < (1ull << f->width); val++) {
		uint64_t test = (r->before & ~bits) | (val << f->shift);

		if (wr(fd, e, test) < 0)
			continue;
		if (!any || val < r->accepted_lo)
			r->accepted_lo = val;
		if (!any || val > r->accepted_hi)
			r->accepted_hi = val;
		any = 1;
	}
	if (!any) {
		r->accepted_lo = 1;
		r->accepted_hi = 0;
	}
	want = (r->wanted & bits) >> f->shift;
	if (any && (r->wanted & ~bits) != (r->before & ~bits)) {
		/* Other fields changed too: is this field's range the reason? */
		nearest = want < r->accepted_lo ? r->accepted_lo : r->accepted_hi;
		honest = (want < r->accepted_lo || want > r->accepted_hi) &&
			 wr(fd, e, (r->wanted & ~bits) | (nearest << f->shift)) == 0;
		if (!honest) {
			r->field = 0;
			r->accepted_lo = 1;
			r->accepted_hi = 0;
		}
	}
	/* Put the default back; if even that fails the register may have
	 * changed, and the report must not claim otherwise. */
	if (wr(fd, e, r->before) < 0)
		r->written = 1;
}

/* Write, read back, judge. Returns 0 or the strict error. */
static int write_and_judge(struct kvmprof_vm_priv *v, const struct kvmprof__target *fd,
			   struct kvmprof_result *r, kvmprof__writer wr,
			   int (*rd)(const struct kvmprof__target *, const struct kvmprof_entry *, uint64_t *))
{
	int ret = wr(fd, r->entry, r->wanted);

	if (ret < 0) {
		r->outcome = KVMPROF_OUT_REJECTED;
		r->err = ret;
		if (ret == -EINVAL)
			kvmprof__probe_field(fd, wr, r);
		return KVMPROF_ERR_REJECTED;
	}
	r->written = 1;
	/* vCPU registers: kvmprof_verify_vcpu() reads them, once. */
	if ((v->flags & KVMPROF_VERIFY_FOLLOWS) && r->entry->kind == KVMPROF_KIND_ONE_REG) {
		r->outcome = KVMPROF_OUT_WRITTEN;
		r->after = r->wanted;
		return 0;
	}
	ret = rd(fd, r->entry, &r->after);
	if (ret < 0) { /* written, but unconfirmed: never "not attempted" */
		r->outcome = KVMPROF_OUT_READBACK_DIFFERS;
		r->err = ret;
		r->after = r->before;
		return ret;
	}
	if (!kvmprof__judge(r->entry, r->after, &r->field)) {
		r->outcome = KVMPROF_OUT_READBACK_DIFFERS;
		return KVMPROF_ERR_READBACK;
	}
	r->outcome = KVMPROF_OUT_APPLIED;
	return 0;
}

static int read_reg(const struct kvmprof__target *t, const struct kvmprof_entry *e, uint64_t *val)
{
	return kvmprof__get_reg(t->fd, e->id, val);
}

/* A failure: strict mode stops (the rest NOT_ATTEMPTED) and returns it;
 * lenient mode carries on unless a system call failed unexpectedly. */
static int settle(struct kvmprof_vm_priv *v, int ret, struct kvmprof_result *res, uint32_t n)
{
	if (ret == 0)
		return 0;
	if (ret > -4096 || !(v->flags & KVMPROF_LENIENT)) {
		kvmprof__stop_after(res, 0, n);
		return ret;
	}
	return 0;
}

/* The plan of r's entry, or NULL when it was skipped for its requires:
 * (r is then SKIPPED_REQUIRES too). */
static const struct kvmprof_plan *planned(struct kvmprof_vm_priv *v, struct kvmprof_result *r)
{
	const struct kvmprof_plan *pl = &v->plan[r->entry - v->p->entries];

	if (pl->outcome != KVMPROF_OUT_SKIPPED_REQUIRES)
		return pl;
	r->outcome = KVMPROF_OUT_SKIPPED_REQUIRES;
	return NULL;
}

/* How this vCPU judges entry r before an apply: a ONE_REG by reading it, a
 * CPUID or MSR entry from the plan made once per VM. */
static int validate_entry(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *r,
			  const struct kvmprof_plan *pl)
{
	if (r->entry->kind == KVMPROF_KIND_ONE_REG)
		return validate_one_reg(v, vcpu_fd, r);
	r->outcome = pl->outcome;
	r->err = pl->err;
	r->field = pl->field;
	r->before = r->after = pl->before;
	r->wanted = pl->wanted;
	return 0;
}

/* How this vCPU judges entry r in a verification: a ONE_REG by what it holds
 * now; the arch's regs_verify judges the rest. */
static int verify_entry(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *r,
			const struct kvmprof_plan *pl)
{
	int ret;

	(void)pl;
	if (r->entry->kind != KVMPROF_KIND_ONE_REG) {
		r->outcome = KVMPROF_OUT_CHECK_OK; /* the arch judges it below */
		return 0;
	}
	ret = read_one_reg(vcpu_fd, r, &r->after);
	if (ret <= 0)
		return ret;
	r->before = r->after;
	r->wanted = kvmprof__wanted_planned(v, r->entry, r->after);
	r->outcome = kvmprof__judge(r->entry, r->after, &r->field) ? KVMPROF_OUT_VERIFIED :
								     KVMPROF_OUT_READBACK_DIFFERS;
	return 0;
}

/* The vCPU facts, then judge() on each entry this vCPU judges itself: not
 * copied[] from another vCPU (NULL: none), not skipped for its requires:. */
static int judge_entries(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n,
			 const uint8_t *copied,
			 int (*judge)(struct kvmprof_vm_priv *, int, struct kvmprof_result *,
				      const struct kvmprof_plan *))
{
	int ret = kvmprof__vcpu_facts(v, vcpu_fd);

	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		const struct kvmprof_plan *pl;

		if (copied && copied[i])
			continue;
		pl = planned(v, &res[i]);
		if (!pl)
			continue;
		ret = judge(v, vcpu_fd, &res[i], pl);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int phase_vcpu_regs(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n,
			   int dry, const uint8_t *copied)
{
	struct kvmprof__target t = { .fd = vcpu_fd };
	int ret = judge_entries(v, vcpu_fd, res, n, copied, validate_entry);

	if (ret < 0)
		return ret;
	ret = v->ops->regs_validate ? v->ops->regs_validate(v, vcpu_fd, res, n) : 0;
	if (ret < 0)
		return ret;
	ret = kvmprof__gate(v, res, n, dry);
	if (ret < 0 || dry)
		return ret;
	/* What KVM refused for the VM on another vCPU is refused here too. */
	for (uint32_t i = 0; copied && !(v->flags & KVMPROF_LENIENT) && i < n; i++) {
		if (!copied[i] || (res[i].outcome != KVMPROF_OUT_REJECTED &&
				   res[i].outcome != KVMPROF_OUT_READBACK_DIFFERS))
			continue;
		kvmprof__stop_after(res, 0, n);
		return res[i].outcome == KVMPROF_OUT_REJECTED ? KVMPROF_ERR_REJECTED : KVMPROF_ERR_READBACK;
	}

	/* x86: CPUID first, KVM gates many MSRs on the guest's CPUID. */
	if (v->ops->regs_apply_first) {
		ret = settle(v, v->ops->regs_apply_first(v, vcpu_fd, res, n), res, n);
		if (ret < 0)
			return ret;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (res[i].entry->kind != KVMPROF_KIND_ONE_REG || res[i].outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		ret = settle(v, write_and_judge(v, &t, &res[i], set_reg, read_reg), res, n);
		if (ret < 0)
			return ret;
	}
	if (!v->ops->regs_apply_last)
		return 0;
	return settle(v, v->ops->regs_apply_last(v, vcpu_fd, res, n), res, n);
}

static int verify_vcpu_regs(struct kvmprof_vm_priv *v, int vcpu_fd, struct kvmprof_result *res, uint32_t n,
			    const uint8_t *copied)
{
	int ret = judge_entries(v, vcpu_fd, res, n, copied, verify_entry);

	if (ret < 0)
		return ret;
	return v->ops->regs_verify ? v->ops->regs_verify(v, vcpu_fd, res, n) : 0;
}

/* ---- VM-scope registers: one vCPU per VM judges them ---- */

/* KVM keeps one value of e per VM on this kernel (the register database's
 * vm-scope-since, compiled into the entry). */
static int is_vm_scope(const struct kvmprof_vm_priv *v, const struct kvmprof_entry *e)
{
	return e->kind == KVMPROF_KIND_ONE_REG && e->vm_scope_since && v->kernel >= e->vm_scope_since;
}

/*
 * Before a per-vCPU apply or verification: returns -1 when no entry of res
 * is VM-scope; 1 when this vCPU judges them itself (the first of the VM, the
 * one that did before, or a verification after only applies), holding
 * scope_lock until scope_end(); 0 when it takes them from the vCPU that did:
 * they are filled in and marked in copied[].
 */
static int scope_begin(struct kvmprof_vm_priv *v, int vcpu_fd, int mode, struct kvmprof_result *res,
		       uint32_t n, uint8_t *copied)
{
	if (!v->any_vm_scope)
		return -1;
	pthread_mutex_lock(&v->scope_lock);
	if (v->scope_state == SCOPE_NONE || v->scope_fd == vcpu_fd ||
	    (mode == MODE_VERIFY && v->scope_state != SCOPE_VERIFIED))
		return 1;
	memset(copied, 0, n);
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_shared *sh = &v->shared[r->entry - v->p->entries];

		if (!is_vm_scope(v, r->entry))
			continue;
		copied[i] = 1;
		r->before = r->after = sh->after;
		r->wanted = sh->wanted;
		r->outcome = sh->outcome;
		r->field = sh->field;
		r->err = sh->err;
		/* An apply finds the VM's value already there: nothing to write. */
		if (mode == MODE_APPLY &&
		    (sh->outcome == KVMPROF_OUT_APPLIED || sh->outcome == KVMPROF_OUT_WRITTEN ||
		     sh->outcome == KVMPROF_OUT_VERIFIED))
			r->outcome = KVMPROF_OUT_ALREADY_EQUAL;
	}
	pthread_mutex_unlock(&v->scope_lock);
	return 0;
}

/* After the call scope_begin() gave to this vCPU (own 1): keeps its
 * VM-scope results for the other vCPUs, when every one got a verdict. */
static void scope_end(struct kvmprof_vm_priv *v, int vcpu_fd, int mode, const struct kvmprof_result *res,
		      uint32_t n, int own)
{
	int complete = 1;

	if (own != 1)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (is_vm_scope(v, res[i].entry))
			complete &= res[i].outcome != KVMPROF_OUT_NOT_ATTEMPTED && res[i].outcome != KVMPROF_OUT_CHECK_OK;
	if (complete) {
		for (uint32_t i = 0; i < n; i++) {
			const struct kvmprof_result *r = &res[i];

			if (is_vm_scope(v, r->entry))
				v->shared[r->entry - v->p->entries] = (struct kvmprof_shared){
					.after = r->after, .wanted = r->wanted, .outcome = r->outcome,
					.field = r->field, .err = r->err,
				};
		}
		v->scope_state = mode == MODE_VERIFY ? SCOPE_VERIFIED : SCOPE_APPLIED;
		v->scope_fd = vcpu_fd;
	}
	pthread_mutex_unlock(&v->scope_lock);
}

/* mode: MODE_APPLY, MODE_DRY or MODE_VERIFY. */
int kvmprof__phase_vcpu_regs(struct kvmprof_vm_priv *v, int vcpu_fd,
			     struct kvmprof_result *res, uint32_t n, int mode)
{
	uint8_t copied[KVMPROF_MAX_ENTRIES];
	int own = mode == MODE_DRY ? -1 : scope_begin(v, vcpu_fd, mode, res, n, copied);
	const uint8_t *c = own == 0 ? copied : NULL;
	int ret = mode == MODE_VERIFY ? verify_vcpu_regs(v, vcpu_fd, res, n, c) :
					phase_vcpu_regs(v, vcpu_fd, res, n, mode == MODE_DRY, c);

	scope_end(v, vcpu_fd, mode, res, n, own);
	return ret;
}

/* ---- device attributes ---- */

int kvmprof__attr_per_vcpu(uint32_t device_type, uint32_t group)
{
	if (device_type == KVMPROF_DEV_TYPE_ARM_VGIC_V3)
		return group == KVMPROF_VGIC_GRP_REDIST_REGS || group == KVMPROF_VGIC_GRP_CPU_SYSREGS;
	if (device_type == KVMPROF_DEV_TYPE_ARM_VGIC_V2)
		return group == KVMPROF_VGIC_GRP_CPU_REGS;
	return 0;
}

static int attr_io(const struct kvmprof__target *t, unsigned long req, const struct kvmprof_entry *e,
		   void *val)
{
	struct kvm_device_attr attr = {
		.group = e->group, .attr = (e->id & 0xffffffffull) | (t->attr_hi << 32),
		.addr = (uintptr_t)val,
	};

	/* The profile states the register; which vCPU's is the call's. */
	if (!kvmprof__attr_per_vcpu(e->aux, e->group))
		attr.attr = e->id;
	return kvmprof_sys_ioctl(t->fd, req, &attr);
}

/* vGIC registers are 32-bit behind a u32 pointer (Documentation/virt/kvm/
 * devices/arm-vgic-v3.rst); wider attributes use a u64. */
static int get_attr(const struct kvmprof__target *t, const struct kvmprof_entry *e, uint64_t *val)
{
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	int r;

	if (e->width && e->width <= 32) {
		r = attr_io(t, KVM_GET_DEVICE_ATTR, e, &v32);
		*val = v32;
	} else {
		r = attr_io(t, KVM_GET_DEVICE_ATTR, e, &v64);
		*val = v64;
	}
	return r;
}

static int set_attr(const struct kvmprof__target *t, const struct kvmprof_entry *e, uint64_t val)
{
	uint32_t v32 = (uint32_t)val;
	uint64_t v64 = val;

	if (e->width && e->width <= 32)
		return attr_io(t, KVM_SET_DEVICE_ATTR, e, &v32);
	return attr_io(t, KVM_SET_DEVICE_ATTR, e, &v64);
}

/* The target of result r: the device, and for a per-vCPU register the
 * vCPU's id in bits 63:32 (arm64: its MPIDR affinity, read now). */
static int target_of(const struct kvmprof_vm_priv *v, const struct kvmprof_call *call,
		     const struct kvmprof_result *r, struct kvmprof__target *t)
{
	const struct kvmprof_entry *e = r->entry;

	t->fd = call->fd;
	t->attr_hi = 0;
	if (!kvmprof__attr_per_vcpu(e->aux, e->group))
		return 0;
	if (!v->ops->vcpu_attr_hi)
		return KVMPROF_ERR_ARCH;
	return v->ops->vcpu_attr_hi(v, e->aux, r->vcpu_fd, (uint32_t)r->vcpu_index, &t->attr_hi);
}

int kvmprof__phase_device(struct kvmprof_vm_priv *v, const struct kvmprof_call *call,
			  struct kvmprof_result *res, uint32_t n)
{
	int dry = call->mode == MODE_DRY, verify = call->mode == MODE_VERIFY;
	struct kvmprof__target t;
	int ret;

	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;

		ret = kvmprof__entry_applies(v, r);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		ret = target_of(v, call, r, &t);
		if (ret < 0) {
			kvmprof__stop_after(res, 0, n);
			return ret;
		}
		if (attr_io(&t, KVM_HAS_DEVICE_ATTR, e, NULL) < 0) {
			r->outcome = KVMPROF_OUT_UNSUPPORTED;
			r->err = -ENOENT;
			continue;
		}
		ret = get_attr(&t, e, &r->before);
		if (ret < 0) {
			/* vGIC registers answer EBUSY before
			 * KVM_DEV_ARM_VGIC_CTRL_INIT: the caller is early. */
			r->outcome = KVMPROF_OUT_REJECTED;
			r->err = ret;
			r->wanted = e->value & e->mask; /* what the profile asks; nothing was written */
			kvmprof__stop_after(res, 0, n);
			return ret == -EBUSY ? KVMPROF_ERR_PHASE : ret;
		}
		r->after = r->before;
		r->wanted = kvmprof__wanted(e, r->before) & bits_of_width(e->width);
		if (verify)
			r->outcome = kvmprof__judge(e, r->after, &r->field) ? KVMPROF_OUT_VERIFIED :
									   KVMPROF_OUT_READBACK_DIFFERS;
		else
			r->outcome = r->wanted == r->before ? KVMPROF_OUT_ALREADY_EQUAL : KVMPROF_OUT_CHECK_OK;
	}
	if (verify)
		return 0;
	ret = kvmprof__gate(v, res, n, dry);
	if (ret < 0 || dry)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		if (res[i].outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		ret = target_of(v, call, &res[i], &t);
		if (ret < 0)
			return settle(v, ret, res, n);
		ret = settle(v, write_and_judge(v, &t, &res[i], set_attr, get_attr), res, n);
		if (ret < 0)
			return ret;
	}
	return 0;
}
