/* SPDX-License-Identifier: MIT */
/* context.c - binding a profile to a VM, phase order, shared policy helpers. */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "cond.h"
#include "internal.h"
#include "kvm_ioctl.h"

#if defined(__x86_64__)
#define HOST_ARCH KVMPROF_ARCH_X86_64
#elif defined(__aarch64__)
#define HOST_ARCH KVMPROF_ARCH_ARM64
#else
#define HOST_ARCH KVMPROF_ARCH_NONE
#endif

int kvmprof__check_ext(int fd, uint64_t cap)
{
	return kvmprof_sys_ioctl(fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)cap);
}

static int64_t cond_cap(void *ctx, uint64_t cap)
{
	int r = kvmprof__check_ext(*(int *)ctx, cap);

	return r < 0 ? 0 : r;
}

int kvmprof__requires(struct kvmprof_vm_priv *v, const struct kvmprof_cond *c, int *ok)
{
	struct kvmprof_cond_env env = {
		.kernel = v->kernel, .arch = HOST_ARCH, .cap_value = cond_cap, .ctx = &v->vm_fd,
	};
	uint64_t result = 0;
	int r;

	*ok = 1;
	if (!c)
		return 0;
	r = kvmprof_cond_eval(c->code, c->n_code, &env, &result);
	if (r < 0)
		return r;
	*ok = result != 0;
	return 0;
}

/* ---- fields and policies ---- */

static uint64_t width_mask(unsigned width)
{
	return width >= 64 ? ~0ull : (1ull << width) - 1;
}

uint64_t kvmprof__field_get(uint64_t v, const struct kvmprof_field *f)
{
	return (v >> f->shift) & width_mask(f->width);
}

static uint64_t field_bits(const struct kvmprof_field *f)
{
	return width_mask(f->width) << f->shift;
}

static int64_t sign_extend(uint64_t v, unsigned width)
{
	if (width >= 64)
		return (int64_t)v;
	if (v & (1ull << (width - 1)))
		return (int64_t)(v | ~width_mask(width));
	return (int64_t)v;
}

/* a <= b for one field's values */
static int field_le(uint64_t a, uint64_t b, unsigned width, int is_signed)
{
	if (is_signed)
		return sign_extend(a, width) <= sign_extend(b, width);
	return a <= b;
}

/*
 * The AT_MOST fields of an entry: its named fields whose policy is AT_MOST,
 * or, for an AT_MOST entry without named fields, every 4-bit field (the
 * arm64 ID register layout) fully under the mask, unsigned.
 */
static unsigned at_most_fields(const struct kvmprof_entry *e, struct kvmprof_field *out,
			       unsigned cap)
{
	unsigned n = 0;

	if (e->fields && e->n_fields) {
		for (uint32_t i = 0; i < e->n_fields && n < cap; i++)
			if (e->fields[i].policy == KVMPROF_POLICY_AT_MOST && e->fields[i].width)
				out[n++] = e->fields[i];
		return n;
	}
	if (e->policy != KVMPROF_POLICY_AT_MOST)
		return 0;
	for (unsigned shift = 0; shift < 64 && n < cap; shift += 4) {
		if (((e->mask >> shift) & 0xf) == 0xf)
			out[n++] = (struct kvmprof_field){ .shift = (uint8_t)shift, .width = 4,
							   .policy = KVMPROF_POLICY_AT_MOST };
	}
	return n;
}

uint64_t kvmprof__wanted(const struct kvmprof_entry *e, uint64_t before)
{
	struct kvmprof_field f[64];
	unsigned n = at_most_fields(e, f, 64);
	uint64_t wanted = (before & ~e->mask) | (e->value & e->mask);

	for (unsigned i = 0; i < n; i++) {
		uint64_t def = kvmprof__field_get(before, &f[i]);
		uint64_t stated = kvmprof__field_get(e->value, &f[i]);
		uint64_t w = field_le(def, stated, f[i].width, f[i].flags & KVMPROF_FIELD_SIGNED) ?
			def : stated;

		wanted = (wanted & ~field_bits(&f[i])) | (w << f[i].shift);
	}
	return wanted;
}

uint16_t kvmprof__field_of(const struct kvmprof_entry *e, uint64_t bits)
{
	if (!e->fields)
		return 0;
	for (uint32_t i = 0; i < e->n_fields; i++)
		if (field_bits(&e->fields[i]) & bits)
			return (uint16_t)(i + 1);
	return 0;
}

int kvmprof__judge(const struct kvmprof_entry *e, uint64_t got, uint16_t *field)
{
	struct kvmprof_field f[64];
	unsigned n = at_most_fields(e, f, 64);
	uint64_t exact = e->mask;

	*field = 0;
	for (unsigned i = 0; i < n; i++) {
		exact &= ~field_bits(&f[i]);
		if (!field_le(kvmprof__field_get(got, &f[i]), kvmprof__field_get(e->value, &f[i]),
			      f[i].width, f[i].flags & KVMPROF_FIELD_SIGNED)) {
			*field = kvmprof__field_of(e, field_bits(&f[i]));
			return 0;
		}
	}
	if ((got ^ e->value) & exact) {
		*field = kvmprof__field_of(e, (got ^ e->value) & exact);
		return 0;
	}
	return 1;
}

int kvmprof_result_failed(const struct kvmprof_result *r)
{
	if (!r || !r->entry)
		return 0;
	switch (r->outcome) {
	case KVMPROF_OUT_UNSUPPORTED:
		return !(r->entry->flags & KVMPROF_ENTRY_OPTIONAL);
	case KVMPROF_OUT_REJECTED:
	case KVMPROF_OUT_READBACK_DIFFERS:
		return 1;
	default:
		return 0;
	}
}

int kvmprof__gate(struct kvmprof_vm_priv *v, struct kvmprof_result *res, uint32_t n, int dry)
{
	int bad = 0;

	for (uint32_t i = 0; i < n; i++)
		bad |= res[i].outcome == KVMPROF_OUT_UNSUPPORTED &&
		       !(res[i].entry->flags & KVMPROF_ENTRY_OPTIONAL);
	if (!bad)
		return 0;
	if (dry)
		return KVMPROF_ERR_UNSUPPORTED;
	if (v->flags & KVMPROF_LENIENT)
		return 0;
	kvmprof__stop_after(res, 0, n);
	return KVMPROF_ERR_UNSUPPORTED;
}

void kvmprof__stop_after(struct kvmprof_result *res, uint32_t from, uint32_t n)
{
	for (uint32_t i = from; i < n; i++)
		if (res[i].outcome == KVMPROF_OUT_CHECK_OK)
			res[i].outcome = KVMPROF_OUT_NOT_ATTEMPTED;
}

/* ---- binding ---- */

static int check_table(const struct kvmprof_profile *p)
{
	if (p->magic != KVMPROF_TABLE_MAGIC || p->abi != KVMPROF_TABLE_ABI ||
	    p->sizeof_profile != sizeof(struct kvmprof_profile) ||
	    p->sizeof_entry != sizeof(struct kvmprof_entry))
		return KVMPROF_ERR_ABI;
	if (p->arch != HOST_ARCH)
		return KVMPROF_ERR_ARCH;
	if (p->n_entries > KVMPROF_MAX_ENTRIES || (p->n_entries && !p->entries))
		return KVMPROF_ERR_INVAL;
	if (p->phase_start[0] != 0 || p->phase_start[KVMPROF_PHASE_COUNT] != p->n_entries)
		return KVMPROF_ERR_INVAL;
	for (int ph = 0; ph < KVMPROF_PHASE_COUNT; ph++) {
		if (p->phase_start[ph] > p->phase_start[ph + 1])
			return KVMPROF_ERR_INVAL;
		for (uint32_t i = p->phase_start[ph]; i < p->phase_start[ph + 1]; i++) {
			const struct kvmprof_entry *e = &p->entries[i];
			int want;

			switch (e->kind) {
			case KVMPROF_KIND_ENABLE_CAP:
			case KVMPROF_KIND_QUIRKS:
			case KVMPROF_KIND_X2APIC_API:
				want = KVMPROF_PHASE_VM;
				break;
			case KVMPROF_KIND_VCPU_FEATURE:
				want = KVMPROF_PHASE_VCPU_INIT;
				break;
			case KVMPROF_KIND_ONE_REG:
			case KVMPROF_KIND_CPUID:
			case KVMPROF_KIND_MSR:
				want = KVMPROF_PHASE_VCPU_REGS;
				break;
			case KVMPROF_KIND_DEVICE_ATTR:
				want = KVMPROF_PHASE_DEVICE;
				break;
			default:
				return KVMPROF_ERR_INVAL;
			}
			if (e->phase != ph || want != ph)
				return KVMPROF_ERR_INVAL;
		}
	}
	return 0;
}

int kvmprof_vm_init(struct kvmprof_vm *vm, const struct kvmprof_profile *p,
		    int kvm_fd, int vm_fd, const struct kvmprof_opts *opts)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	int ok, r;

	if (!vm || !p || vm_fd < 0)
		return KVMPROF_ERR_INVAL;
	r = check_table(p);
	if (r < 0)
		return r;
	memset(v, 0, sizeof(*v));
	v->p = p;
	v->kvm_fd = kvm_fd;
	v->vm_fd = vm_fd;
	if (opts && opts->sz >= offsetof(struct kvmprof_opts, flags) + sizeof(opts->flags))
		v->flags = opts->flags;
	v->kernel = kvmprof_sys_kernel_version();
	v->n_plan = p->n_entries;
	r = kvmprof__requires(v, p->requires, &ok);
	if (r < 0)
		return r;
	if (!ok)
		return KVMPROF_ERR_REQUIRES;
	r = kvmprof__x86_vm_facts(v);
	if (r < 0)
		return r;
	if (pthread_mutex_init(&v->lock, NULL) != 0)
		return KVMPROF_ERR_FACTS;
	v->magic = KVMPROF_VM_MAGIC;
	return 0;
}

void kvmprof_vm_fini(struct kvmprof_vm *vm)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);

	if (!vm || v->magic != KVMPROF_VM_MAGIC)
		return;
	pthread_mutex_destroy(&v->lock);
	v->magic = 0;
}

/* ---- phases ---- */

static int run_phase(struct kvmprof_vm_priv *v, int phase, int fd, void *init,
		     struct kvmprof_report *report, int dry)
{
	const struct kvmprof_profile *p = v->p;
	uint32_t start = p->phase_start[phase];
	uint32_t n = p->phase_start[phase + 1] - start;
	struct kvmprof_result *res;
	int r;

	if (report->count > report->capacity || report->capacity - report->count < n)
		return KVMPROF_ERR_REPORT_FULL;
	res = report->results + report->count;
	for (uint32_t i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].entry = &p->entries[start + i];
		res[i].accepted_lo = 1; /* lo > hi: unknown */
	}
	switch (phase) {
	case KVMPROF_PHASE_VM:
		r = kvmprof__phase_vm(v, res, n, dry);
		break;
	case KVMPROF_PHASE_VCPU_INIT:
		r = kvmprof__phase_vcpu_init(v, fd, init, res, n, dry);
		break;
	case KVMPROF_PHASE_VCPU_REGS:
		r = n ? kvmprof__phase_vcpu_regs(v, fd, res, n, dry) : 0;
		break;
	default:
		r = kvmprof__phase_device(v, fd, res, n, dry);
		break;
	}
	report->count += n;
	for (uint32_t i = 0; i < n; i++) {
		switch (res[i].outcome) {
		case KVMPROF_OUT_APPLIED:
		case KVMPROF_OUT_ALREADY_EQUAL:
		case KVMPROF_OUT_SKIPPED_REQUIRES:
		case KVMPROF_OUT_CHECK_OK:
			report->n_ok++;
			break;
		default:
			/* the rule kvmprof.h documents: optional unsupported is no failure */
			report->n_failed += (uint32_t)kvmprof_result_failed(&res[i]);
			break;
		}
		report->n_written += res[i].written;
	}
	return r;
}

static int valid(struct kvmprof_vm *vm, struct kvmprof_report *report)
{
	if (!vm || vm_priv(vm)->magic != KVMPROF_VM_MAGIC || !report ||
	    (!report->results && report->capacity))
		return 0;
	return 1;
}

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

int kvmprof_apply_vm(struct kvmprof_vm *vm, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	int dry;

	if (!valid(vm, report))
		return KVMPROF_ERR_INVAL;
	dry = !!(v->flags & KVMPROF_DRY_RUN);
	if (load(&v->vcpu_started))
		return KVMPROF_ERR_PHASE;
	if (!dry && __atomic_exchange_n(&v->vm_done, 1, __ATOMIC_ACQ_REL))
		return KVMPROF_ERR_PHASE;
	return run_phase(v, KVMPROF_PHASE_VM, v->vm_fd, NULL, report, dry);
}

int kvmprof_apply_vcpu_init(struct kvmprof_vm *vm, int vcpu_fd,
			    struct kvm_vcpu_init *init, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	int dry, r;

	if (!valid(vm, report) || !init || vcpu_fd < 0)
		return KVMPROF_ERR_INVAL;
	if (HOST_ARCH != KVMPROF_ARCH_ARM64)
		return KVMPROF_ERR_ARCH;
	dry = !!(v->flags & KVMPROF_DRY_RUN);
	if (!dry && !load(&v->vm_done))
		return KVMPROF_ERR_PHASE;
	if (!dry)
		__atomic_store_n(&v->vcpu_started, 1, __ATOMIC_RELEASE);
	r = run_phase(v, KVMPROF_PHASE_VCPU_INIT, vcpu_fd, init, report, dry);
	if (!dry && r == 0)
		__atomic_add_fetch(&v->vcpu_inits, 1, __ATOMIC_ACQ_REL);
	return r;
}

int kvmprof_apply_vcpu_regs(struct kvmprof_vm *vm, int vcpu_fd, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	int dry;

	if (!valid(vm, report) || vcpu_fd < 0)
		return KVMPROF_ERR_INVAL;
	dry = !!(v->flags & KVMPROF_DRY_RUN);
	if (!dry) {
		if (!load(&v->vm_done))
			return KVMPROF_ERR_PHASE;
		/* arm64: KVM refuses registers of a vCPU before KVM_ARM_VCPU_INIT. */
		if (HOST_ARCH == KVMPROF_ARCH_ARM64 && !load(&v->vcpu_inits))
			return KVMPROF_ERR_PHASE;
		__atomic_store_n(&v->vcpu_started, 1, __ATOMIC_RELEASE);
	}
	return run_phase(v, KVMPROF_PHASE_VCPU_REGS, vcpu_fd, NULL, report, dry);
}

int kvmprof_apply_devices(struct kvmprof_vm *vm, int dev_fd, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	int dry;

	if (!valid(vm, report) || dev_fd < 0)
		return KVMPROF_ERR_INVAL;
	dry = !!(v->flags & KVMPROF_DRY_RUN);
	if (!dry && !load(&v->vm_done))
		return KVMPROF_ERR_PHASE;
	return run_phase(v, KVMPROF_PHASE_DEVICE, dev_fd, NULL, report, dry);
}

int kvmprof_check(struct kvmprof_vm *vm, int phase, int fd, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);

	if (!valid(vm, report) || phase < 0 || phase >= KVMPROF_PHASE_COUNT)
		return KVMPROF_ERR_INVAL;
	if (phase == KVMPROF_PHASE_VM)
		fd = v->vm_fd;
	if (fd < 0)
		return KVMPROF_ERR_INVAL;
	return run_phase(v, phase, fd, NULL, report, 1);
}
