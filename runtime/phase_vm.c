/* SPDX-License-Identifier: MIT */
/* phase_vm.c - the VM-wide phase (caps, quirks, x2APIC API). */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "internal.h"
#include "kvm_ioctl.h"

/* A flag capability (quirks, x2APIC API): the flags wanted must be a subset
 * of what KVM_CHECK_EXTENSION reports on the VM fd. */
static void validate_flags_cap(struct kvmprof_vm_priv *v, struct kvmprof_result *r, uint64_t cap)
{
	const struct kvmprof_entry *e = r->entry;
	int offered = kvmprof__check_ext(v->vm_fd, cap);

	r->before = offered < 0 ? 0 : (uint64_t)offered;
	r->wanted = e->value & e->mask;
	r->after = r->before;
	if (offered <= 0) {
		r->outcome = KVMPROF_OUT_UNSUPPORTED;
		r->err = -ENOENT;
	} else if (r->wanted & ~r->before) {
		r->outcome = KVMPROF_OUT_UNSUPPORTED;
		r->err = -EOPNOTSUPP;
	} else if (r->wanted == 0) {
		r->outcome = KVMPROF_OUT_ALREADY_EQUAL; /* nothing to disable/enable */
	} else {
		r->outcome = KVMPROF_OUT_CHECK_OK;
	}
}

static void record(struct kvmprof_vm_priv *v, const struct kvmprof_result *res, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		v->vm_outcome[res[i].entry - v->p->entries] = res[i].outcome;
}

int kvmprof__phase_vm(struct kvmprof_vm_priv *v, struct kvmprof_result *res,
		      uint32_t n, int dry)
{
	int ret;

	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		int offered;

		ret = kvmprof__entry_applies(v, r);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		switch (e->kind) {
		case KVMPROF_KIND_ENABLE_CAP:
			offered = kvmprof__check_ext(v->vm_fd, e->id);
			r->before = r->after = offered < 0 ? 0 : (uint64_t)offered;
			r->wanted = e->args[0];
			if (offered <= 0) {
				r->outcome = KVMPROF_OUT_UNSUPPORTED;
				r->err = -ENOENT;
			} else {
				r->outcome = KVMPROF_OUT_CHECK_OK;
			}
			break;
		case KVMPROF_KIND_QUIRKS:
			validate_flags_cap(v, r, KVM_CAP_DISABLE_QUIRKS2);
			break;
		default: /* KVMPROF_KIND_X2APIC_API (vm_init checked kinds) */
			validate_flags_cap(v, r, KVM_CAP_X2APIC_API);
			break;
		}
	}
	ret = kvmprof__gate(v, res, n, dry);
	if (!dry)
		record(v, res, n);
	if (ret < 0 || dry)
		return ret;

	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		const struct kvmprof_entry *e = r->entry;
		struct kvm_enable_cap cap;

		if (r->outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (e->kind == KVMPROF_KIND_ENABLE_CAP) {
			cap.cap = (uint32_t)e->id;
			for (int a = 0; a < 4; a++)
				cap.args[a] = e->args[a];
		} else {
			cap.cap = e->kind == KVMPROF_KIND_QUIRKS ? KVM_CAP_DISABLE_QUIRKS2 :
								  KVM_CAP_X2APIC_API;
			cap.args[0] = r->wanted;
		}
		ret = kvmprof_sys_ioctl(v->vm_fd, KVM_ENABLE_CAP, &cap);
		if (ret < 0) {
			r->outcome = KVMPROF_OUT_REJECTED;
			r->err = ret;
			if (!(v->flags & KVMPROF_LENIENT)) {
				kvmprof__stop_after(res, i + 1, n);
				record(v, res, n);
				return KVMPROF_ERR_REJECTED;
			}
			continue;
		}
		/* KVM has no read-back for these: the successful ioctl is the
		 * evidence, and the reason text says so. */
		r->outcome = KVMPROF_OUT_APPLIED;
		r->written = 1;
		r->after = r->wanted;
	}
	record(v, res, n);
	return 0;
}

/*
 * KVM cannot read capabilities, quirks or x2APIC flags back: what this
 * context's kvmprof_apply_vm() achieved is the only evidence.
 */
int kvmprof__verify_vm(struct kvmprof_vm_priv *v, struct kvmprof_result *res, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct kvmprof_result *r = &res[i];
		uint32_t idx = (uint32_t)(r->entry - v->p->entries);
		int was = v->vm_outcome[idx];

		r->wanted = r->entry->kind == KVMPROF_KIND_ENABLE_CAP ? r->entry->args[0] :
									r->entry->value & r->entry->mask;
		switch (was) {
		case KVMPROF_OUT_APPLIED:
		case KVMPROF_OUT_ALREADY_EQUAL:
			r->outcome = KVMPROF_OUT_VERIFIED;
			r->after = r->wanted;
			break;
		case KVMPROF_OUT_SKIPPED_REQUIRES:
			r->outcome = KVMPROF_OUT_SKIPPED_REQUIRES;
			break;
		case KVMPROF_OUT_UNSUPPORTED:
			if (r->entry->flags & KVMPROF_ENTRY_OPTIONAL) {
				r->outcome = KVMPROF_OUT_UNSUPPORTED;
				r->err = -ENOENT;
				break;
			}
			/* fall through */
		default:
			r->outcome = KVMPROF_OUT_UNVERIFIABLE;
			break;
		}
	}
	return 0;
}

