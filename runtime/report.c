/* SPDX-License-Identifier: MIT */
/* report.c - names, error texts and one-line reasons. No allocation. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *errno_text(int e)
{
	switch (e) {
	case EPERM: return "operation not permitted";
	case ENOENT: return "no such entry";
	case EINTR: return "interrupted";
	case EIO: return "I/O error";
	case ENXIO: return "no such device or address";
	case E2BIG: return "argument list too long";
	case ENOEXEC: return "vCPU not initialised (ENOEXEC)";
	case EBADF: return "bad file descriptor";
	case ENOMEM: return "out of memory";
	case EACCES: return "permission denied";
	case EFAULT: return "bad address";
	case EBUSY: return "device or resource busy";
	case EEXIST: return "already exists";
	case ENODEV: return "no such device";
	case EINVAL: return "invalid argument";
	case ENOTTY: return "inappropriate ioctl for device";
	case ERANGE: return "out of range";
	case EOPNOTSUPP: return "operation not supported";
	default: return "unknown error";
	}
}

const char *kvmprof_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case KVMPROF_ERR_ABI: return "profile table built for another kvmprof ABI";
	case KVMPROF_ERR_ARCH: return "profile is for another architecture";
	case KVMPROF_ERR_PHASE: return "call out of phase order";
	case KVMPROF_ERR_REQUIRES: return "the profile's requires: is false on this kernel";
	case KVMPROF_ERR_UNSUPPORTED: return "an entry is not supported by this kernel";
	case KVMPROF_ERR_REJECTED: return "KVM rejected an entry";
	case KVMPROF_ERR_READBACK: return "an entry reads back differently from the profile";
	case KVMPROF_ERR_REPORT_FULL: return "report capacity too small";
	case KVMPROF_ERR_INVAL: return "invalid argument";
	case KVMPROF_ERR_FACTS: return "could not read the kernel's facts";
	case KVMPROF_ERR_PROFILE: return "the saved state belongs to another profile";
	case KVMPROF_ERR_MIGRATION: return "this kernel cannot take the saved state";
	default: break;
	}
	if (err < 0 && err > -4096)
		return errno_text(-err);
	return "unknown kvmprof error";
}

const char *kvmprof_outcome_name(int outcome)
{
	static const char *const names[] = {
		[KVMPROF_OUT_NOT_ATTEMPTED] = "not-attempted",
		[KVMPROF_OUT_APPLIED] = "applied",
		[KVMPROF_OUT_ALREADY_EQUAL] = "already-equal",
		[KVMPROF_OUT_SKIPPED_REQUIRES] = "skipped-requires",
		[KVMPROF_OUT_UNSUPPORTED] = "unsupported",
		[KVMPROF_OUT_REJECTED] = "rejected",
		[KVMPROF_OUT_READBACK_DIFFERS] = "readback-differs",
		[KVMPROF_OUT_CHECK_OK] = "check-ok",
		[KVMPROF_OUT_MERGED] = "merged",
		[KVMPROF_OUT_VERIFIED] = "verified",
		[KVMPROF_OUT_UNVERIFIABLE] = "unverifiable",
		[KVMPROF_OUT_WRITTEN] = "written",
	};

	if (outcome < 0 || outcome >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[outcome];
}

const char *kvmprof_phase_name(int phase)
{
	switch (phase) {
	case KVMPROF_PHASE_VM: return "vm";
	case KVMPROF_PHASE_VCPU_INIT: return "vcpu-init";
	case KVMPROF_PHASE_VCPU_REGS: return "vcpu-regs";
	case KVMPROF_PHASE_DEVICE: return "device";
	default: return "unknown";
	}
}

void kvmprof_report_reset(struct kvmprof_report *report)
{
	if (!report)
		return;
	report->count = 0;
	report->n_ok = 0;
	report->n_failed = 0;
	report->n_written = 0;
}

uint32_t kvmprof_profile_phase_count(const struct kvmprof_profile *p, int phase)
{
	if (!p)
		return 0;
	if (phase < 0)
		return p->n_entries;
	if (phase >= KVMPROF_PHASE_COUNT || p->phase_start[phase + 1] < p->phase_start[phase])
		return 0;
	return p->phase_start[phase + 1] - p->phase_start[phase];
}

typedef unsigned long long ull;

static int unsupported_reason(const struct kvmprof_result *r, const char *name,
			      const char *fname, char *buf, size_t len)
{
	const struct kvmprof_entry *e = r->entry;

	switch (r->err) {
	case -ENOENT:
		switch (e->kind) {
		case KVMPROF_KIND_ENABLE_CAP:
			return snprintf(buf, len, "%s: KVM_CAP %llu is not offered by this kernel (KVM_CHECK_EXTENSION = %lld)",
					name, (ull)e->id, (long long)r->before);
		case KVMPROF_KIND_QUIRKS:
			return snprintf(buf, len, "%s: this kernel has no KVM_CAP_DISABLE_QUIRKS2", name);
		case KVMPROF_KIND_X2APIC_API:
			return snprintf(buf, len, "%s: this kernel has no KVM_CAP_X2APIC_API", name);
		case KVMPROF_KIND_VCPU_FEATURE:
			return snprintf(buf, len, "%s: vCPU feature %llu is not offered by this kernel (its capability is 0 or unknown)",
					name, (ull)e->id);
		case KVMPROF_KIND_ONE_REG:
			return snprintf(buf, len, "%s: register 0x%llx is not present on this kernel's vCPUs",
					name, (ull)e->id);
		case KVMPROF_KIND_CPUID:
			return snprintf(buf, len, "%s: leaf 0x%llx.0x%llx is not in KVM_GET_SUPPORTED_CPUID",
					name, (ull)(e->id >> 32), (ull)(e->id & 0xffffffffu));
		case KVMPROF_KIND_MSR:
			return snprintf(buf, len, "%s: MSR 0x%llx is in neither of KVM's MSR lists (or a vCPU cannot read it)",
					name, (ull)e->id);
		case KVMPROF_KIND_DEVICE_ATTR:
			return snprintf(buf, len, "%s: device attribute group %u attr 0x%llx is not offered (KVM_HAS_DEVICE_ATTR)",
					name, e->group, (ull)e->id);
		default:
			break;
		}
		break;
	case -EOPNOTSUPP:
		return snprintf(buf, len, "%s: bits 0x%llx are not offered by this kernel (it offers 0x%llx)",
				name, (ull)(r->wanted & ~r->before), (ull)r->before);
	case -EPERM:
		return snprintf(buf, len, "%s%s%s: not writable on this kernel (default 0x%llx, wanted 0x%llx: changed bits 0x%llx are outside KVM's writable mask)",
				name, fname ? "." : "", fname ? fname : "", (ull)r->before,
				(ull)r->wanted, (ull)(r->wanted ^ r->before));
	case -ERANGE:
		return snprintf(buf, len, "%s: registers wider than 64 bits are not supported by kvmprof", name);
	default:
		break;
	}
	return snprintf(buf, len, "%s: not supported by this kernel", name);
}

/* Appends to buf at *at, never past len (snprintf semantics); *at counts
 * what a large enough buffer would hold. */
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

/*
 * KVM refused a value that changes several fields and no single field's
 * accepted range explains it (kvmprof__probe_field found none, or the
 * field was too wide to probe): a rule across fields. Names the fields the
 * profile changed with their wanted values; 0 when fewer than two changed.
 */
static int combination_reason(const struct kvmprof_result *r, const char *name, char *buf, size_t len)
{
	const struct kvmprof_entry *e = r->entry;
	uint64_t changed = r->wanted ^ r->before, in_fields = 0;
	size_t at = 0;
	uint32_t n = 0;

	for (uint32_t i = 0; e->fields && i < e->n_fields; i++) {
		const struct kvmprof_field *f = &e->fields[i];

		n += (kvmprof__field_get(changed, f) != 0);
		in_fields |= (f->width >= 64 ? ~0ull : ((1ull << f->width) - 1)) << f->shift;
	}
	if (n < 2)
		return 0;
	append(buf, len, &at, "%s: KVM refused 0x%llx (%s), a combination of the fields the profile changed (",
	       name, (ull)r->wanted, kvmprof_strerror(r->err));
	n = 0;
	for (uint32_t i = 0; i < e->n_fields; i++) {
		const struct kvmprof_field *f = &e->fields[i];

		if (!kvmprof__field_get(changed, f))
			continue;
		append(buf, len, &at, "%s%s=%llu", n++ ? ", " : "", f->name,
		       (ull)kvmprof__field_get(r->wanted, f));
	}
	append(buf, len, &at, "%s): no single field's accepted range explains it",
	       (changed & ~in_fields) ? ", other bits" : "");
	return (int)at;
}

int kvmprof_result_reason(const struct kvmprof_result *r, char *buf, size_t len)
{
	char empty[1];
	const struct kvmprof_entry *e;
	const struct kvmprof_field *f = NULL;
	const char *name;

	if (!buf || !len) {
		buf = empty;
		len = 1;
	}
	if (!r || !r->entry)
		return snprintf(buf, len, "(no entry)");
	e = r->entry;
	name = e->name ? e->name : "(unnamed)";
	if (r->field && e->fields && r->field <= e->n_fields)
		f = &e->fields[r->field - 1];

	switch (r->outcome) {
	case KVMPROF_OUT_NOT_ATTEMPTED:
		return snprintf(buf, len, "%s: not attempted (an earlier entry failed, nothing written)", name);
	case KVMPROF_OUT_APPLIED:
		switch (e->kind) {
		case KVMPROF_KIND_ENABLE_CAP:
			return snprintf(buf, len, "%s: KVM_ENABLE_CAP(%llu, 0x%llx) succeeded (capabilities cannot be read back)",
					name, (ull)e->id, (ull)r->wanted);
		case KVMPROF_KIND_QUIRKS:
			return snprintf(buf, len, "%s: disabled quirks 0x%llx (KVM cannot read quirks back)",
					name, (ull)r->wanted);
		case KVMPROF_KIND_X2APIC_API:
			return snprintf(buf, len, "%s: enabled x2APIC API flags 0x%llx (KVM cannot read them back)",
					name, (ull)r->wanted);
		case KVMPROF_KIND_VCPU_FEATURE:
			return snprintf(buf, len, "%s: feature %llu %s in KVM_ARM_VCPU_INIT, which succeeded",
					name, (ull)e->id, r->wanted ? "requested" : "cleared");
		default:
			return snprintf(buf, len, "%s: set to 0x%llx (was 0x%llx), read back 0x%llx",
					name, (ull)r->wanted, (ull)r->before, (ull)r->after);
		}
	case KVMPROF_OUT_ALREADY_EQUAL:
		if (e->kind == KVMPROF_KIND_QUIRKS || e->kind == KVMPROF_KIND_X2APIC_API)
			return snprintf(buf, len, "%s: no flag stated as set, nothing to write (kernel offers 0x%llx)",
					name, (ull)r->before);
		if (r->vcpu_fd < 0 && (e->kind == KVMPROF_KIND_CPUID || e->kind == KVMPROF_KIND_VCPU_FEATURE) &&
		    e->phase != KVMPROF_PHASE_DEVICE && r->vcpu_index != KVMPROF_VCPU_INDEX_NONE)
			return snprintf(buf, len, "%s: the VMM's own value 0x%llx already satisfies the profile",
					name, (ull)r->before);
		return snprintf(buf, len, "%s: this kernel already presents 0x%llx, nothing to write",
				name, (ull)r->before);
	case KVMPROF_OUT_SKIPPED_REQUIRES:
		return snprintf(buf, len, "%s: skipped, requires `%s` is false on this kernel",
				name, e->requires && e->requires->text ? e->requires->text : "?");
	case KVMPROF_OUT_UNSUPPORTED:
		if (r->err == -ENOSPC)
			return snprintf(buf, len, "%s: no room in the VMM's kvm_cpuid2 for leaf 0x%llx.0x%llx",
					name, (ull)(e->id >> 32), (ull)(e->id & 0xffffffffu));
		return unsupported_reason(r, name, f ? f->name : NULL, buf, len);
	case KVMPROF_OUT_REJECTED:
		if (f && r->accepted_lo <= r->accepted_hi)
			return snprintf(buf, len, "%s.%s=%llu: this kernel accepts %llu..%llu only",
					name, f->name, (ull)kvmprof__field_get(r->wanted, f),
					(ull)r->accepted_lo, (ull)r->accepted_hi);
		if (e->kind == KVMPROF_KIND_DEVICE_ATTR && r->err == -EBUSY && !r->written)
			return snprintf(buf, len, "%s: KVM cannot read or write it yet (device or resource busy): "
					"apply devices after KVM_DEV_ARM_VGIC_CTRL_INIT; nothing written", name);
		if ((e->kind == KVMPROF_KIND_ONE_REG || e->kind == KVMPROF_KIND_DEVICE_ATTR) &&
		    r->err == -EINVAL && !f) {
			int n = combination_reason(r, name, buf, len);

			if (n > 0)
				return n;
		}
		if (e->kind == KVMPROF_KIND_MSR && r->err == -EINVAL)
			return snprintf(buf, len, "%s: KVM_SET_MSRS stopped at MSR 0x%llx, refusing 0x%llx (kernel keeps 0x%llx)",
					name, (ull)e->id, (ull)r->wanted, (ull)r->before);
		return snprintf(buf, len, "%s: KVM refused 0x%llx: %s", name, (ull)r->wanted,
				kvmprof_strerror(r->err));
	case KVMPROF_OUT_READBACK_DIFFERS:
		if (!r->written && e->kind == KVMPROF_KIND_CPUID && r->err == -ENOENT)
			return snprintf(buf, len, "%s: the vCPU presents no leaf 0x%llx.0x%llx", name,
					(ull)(e->id >> 32), (ull)(e->id & 0xffffffffu));
		if (!r->written && e->kind == KVMPROF_KIND_VCPU_FEATURE)
			return snprintf(buf, len, "%s: the vCPU shows feature %llu %s, the profile wants it %s", name,
					(ull)e->id, r->after ? "on" : "off", r->wanted ? "on" : "off");
		if (!r->written)
			return snprintf(buf, len, "%s%s%s: the kernel presents 0x%llx, the profile wants 0x%llx",
					name, f ? "." : "", f ? f->name : "", (ull)r->after,
					(ull)((r->after & ~e->mask) | (e->value & e->mask)));
		if (r->written && r->err)
			return snprintf(buf, len, "%s: wrote 0x%llx, reading it back failed: %s", name,
					(ull)r->wanted, kvmprof_strerror(r->err));
		return snprintf(buf, len, "%s%s%s: wrote 0x%llx, kernel reads back 0x%llx",
				name, f ? "." : "", f ? f->name : "", (ull)r->wanted, (ull)r->after);
	case KVMPROF_OUT_CHECK_OK:
		return snprintf(buf, len, "%s: would set 0x%llx (kernel has 0x%llx)",
				name, (ull)r->wanted, (ull)r->before);
	case KVMPROF_OUT_MERGED:
		if (e->kind == KVMPROF_KIND_VCPU_FEATURE)
			return snprintf(buf, len, "%s: feature %llu %s in the VMM's kvm_vcpu_init (the VMM issues KVM_ARM_VCPU_INIT)",
					name, (ull)e->id, r->wanted ? "set" : "cleared");
		return snprintf(buf, len, "%s: 0x%llx merged into the VMM's table (it had 0x%llx; the VMM issues the ioctl)",
				name, (ull)r->after, (ull)r->before);
	case KVMPROF_OUT_VERIFIED:
		switch (e->kind) {
		case KVMPROF_KIND_ENABLE_CAP:
		case KVMPROF_KIND_QUIRKS:
		case KVMPROF_KIND_X2APIC_API:
			return snprintf(buf, len, "%s: applied by this context (KVM cannot read it back)", name);
		case KVMPROF_KIND_VCPU_FEATURE:
			return snprintf(buf, len, "%s: the vCPU shows feature %llu %s", name, (ull)e->id,
					r->after ? "on" : "off");
		default:
			return snprintf(buf, len, "%s: the kernel presents 0x%llx", name, (ull)r->after);
		}
	case KVMPROF_OUT_WRITTEN:
		return snprintf(buf, len, "%s: wrote 0x%llx; kvmprof_verify_vcpu() reads it back", name,
				(ull)r->wanted);
	case KVMPROF_OUT_UNVERIFIABLE:
		if (e->kind == KVMPROF_KIND_VCPU_FEATURE)
			return snprintf(buf, len, "%s: nothing a vCPU shows tells whether feature %llu is on", name,
					(ull)e->id);
		return snprintf(buf, len, "%s: KVM cannot read it back and this context did not apply it", name);
	default:
		return snprintf(buf, len, "%s: unknown outcome %u", name, r->outcome);
	}
}
