/* SPDX-License-Identifier: MIT */
/* context.c - binding a profile to a VM, phase order, shared policy helpers. */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "internal.h"
#include "kvm_ioctl.h"

const struct kvmprof_arch_ops *kvmprof__arch_ops(const struct kvmprof_vm_priv *v)
{
	return v->ops;
}

static const struct kvmprof_arch_ops *ops_for(uint32_t arch)
{
	switch (arch) {
	case KVMPROF_ARCH_X86_64: return &kvmprof__arch_x86;
	case KVMPROF_ARCH_ARM64: return &kvmprof__arch_arm64;
	default: return NULL;
	}
}

void kvmprof__sort_ids(uint64_t *a, uint32_t n)
{
	/* Shell sort: no allocation; a register list of a few hundred ids. */
	for (uint32_t gap = n / 2; gap > 0; gap /= 2)
		for (uint32_t i = gap; i < n; i++) {
			uint64_t t = a[i];
			uint32_t j = i;

			for (; j >= gap && a[j - gap] > t; j -= gap)
				a[j] = a[j - gap];
			a[j] = t;
		}
}

int kvmprof__has_id(const uint64_t *a, uint32_t n, uint64_t id)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (a[mid] == id)
			return 1;
		if (a[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

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
		.kernel = v->kernel, .arch = v->p->arch, .cap_value = cond_cap, .ctx = &v->vm_fd,
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

int kvmprof__entry_applies(struct kvmprof_vm_priv *v, struct kvmprof_result *r)
{
	int ok, ret = kvmprof__requires(v, r->entry->requires, &ok);

	if (ret < 0)
		return ret;
	if (!ok)
		r->outcome = KVMPROF_OUT_SKIPPED_REQUIRES;
	return ok;
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

/* No field of e is judged "at most": it is judged and applied exactly
 * (the common case, checked without building the field list). */
int kvmprof__all_exact(const struct kvmprof_entry *e)
{
	if (!e->fields || !e->n_fields)
		return e->policy != KVMPROF_POLICY_AT_MOST;
	for (uint32_t i = 0; i < e->n_fields; i++)
		if (e->fields[i].policy == KVMPROF_POLICY_AT_MOST && e->fields[i].width)
			return 0;
	return 1;
}

int kvmprof__stated_in_full(const struct kvmprof_entry *e)
{
	if (e->mask != ~0ull || e->policy != KVMPROF_POLICY_EXACT)
		return 0;
	for (uint32_t i = 0; e->fields && i < e->n_fields; i++)
		if (e->fields[i].policy != KVMPROF_POLICY_EXACT)
			return 0;
	return 1;
}

uint64_t kvmprof__wanted(const struct kvmprof_entry *e, uint64_t before)
{
	struct kvmprof_field f[64];
	uint64_t wanted = (before & ~e->mask) | (e->value & e->mask);
	unsigned n;

	if (kvmprof__all_exact(e))
		return wanted;
	n = at_most_fields(e, f, 64);

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
	uint64_t exact = e->mask;
	unsigned n;

	*field = 0;
	/* The stated value itself satisfies every policy. */
	if (((got ^ e->value) & e->mask) == 0)
		return 1;
	n = at_most_fields(e, f, 64);
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
	case KVMPROF_OUT_UNVERIFIABLE:
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
	for (uint32_t i = from; i < n; i++) {
		if (res[i].outcome != KVMPROF_OUT_CHECK_OK)
			continue;
		if (res[i].written) { /* written, the read-back never came: say so */
			res[i].outcome = KVMPROF_OUT_READBACK_DIFFERS;
			if (!res[i].err)
				res[i].err = -EIO;
		} else {
			res[i].outcome = KVMPROF_OUT_NOT_ATTEMPTED;
		}
	}
}

/* ---- binding ---- */

static int check_table(const struct kvmprof_profile *p)
{
	if (p->magic != KVMPROF_TABLE_MAGIC || p->abi != KVMPROF_TABLE_ABI ||
	    p->sizeof_profile != sizeof(struct kvmprof_profile) ||
	    p->sizeof_entry != sizeof(struct kvmprof_entry))
		return KVMPROF_ERR_ABI;
	/* A profile of another arch than the kernel behind the seam (the real
	 * host, or a replayed capture): nothing could apply. */
	if (!ops_for(p->arch) || p->arch != kvmprof_sys_host_arch())
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

/* libbpf's OPTS_VALID: the first version's fields must be there, and a
 * newer caller's fields this library does not know must be zero. */
static int check_opts(const struct kvmprof_opts *opts)
{
	const unsigned char *tail = (const unsigned char *)opts;

	if (opts->sz < offsetof(struct kvmprof_opts, flags) + sizeof(opts->flags))
		return KVMPROF_ERR_INVAL;
	for (size_t i = sizeof(*opts); i < opts->sz; i++)
		if (tail[i])
			return KVMPROF_ERR_INVAL;
	if (opts->flags & ~KVMPROF_OPTS_FLAGS_ALL)
		return KVMPROF_ERR_INVAL;
	return 0;
}

static void count_phase_results(struct kvmprof_vm_priv *v);

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
	memset(v, 0, offsetof(struct kvmprof_vm_priv, feature_msrs));
	memset(v->plan, 0, p->n_entries * sizeof(v->plan[0]));
	memset(v->vm_outcome, 0, p->n_entries * sizeof(v->vm_outcome[0]));
	v->supported.nent = v->tmpl.nent = 0;
	v->reg_list[0] = 0;
	v->p = p;
	v->ops = ops_for(p->arch);
	v->kvm_fd = kvm_fd;
	v->vm_fd = vm_fd;
	if (opts) {
		r = check_opts(opts);
		if (r < 0)
			return r;
		v->flags = opts->flags;
	}
	v->kernel = kvmprof_sys_kernel_version();
	v->n_plan = p->n_entries;
	r = kvmprof__requires(v, p->requires, &ok);
	if (r < 0)
		return r;
	if (!ok)
		return KVMPROF_ERR_REQUIRES;
	r = v->ops->vm_facts ? v->ops->vm_facts(v) : 0;
	if (r < 0)
		return r;
	if (pthread_mutex_init(&v->lock, NULL) != 0)
		return KVMPROF_ERR_FACTS;
	if (pthread_mutex_init(&v->scope_lock, NULL) != 0) {
		pthread_mutex_destroy(&v->lock);
		return KVMPROF_ERR_FACTS;
	}
	count_phase_results(v);
	v->magic = KVMPROF_VM_MAGIC;
	kvmprof__vcpu_facts_early(v);
	return 0;
}

void kvmprof_vm_fini(struct kvmprof_vm *vm)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);

	if (!vm || v->magic != KVMPROF_VM_MAGIC)
		return;
	pthread_mutex_destroy(&v->lock);
	pthread_mutex_destroy(&v->scope_lock);
	v->magic = 0;
}

/* ---- phases ---- */

static int is_per_vcpu_attr(const struct kvmprof_entry *e)
{
	return e->kind == KVMPROF_KIND_DEVICE_ATTR && kvmprof__attr_per_vcpu(e->aux, e->group);
}

/* Results a call produces for an entry: one, none for the kinds a merge
 * does not handle (a CPUID merge: only CPUID entries), one per vCPU for a
 * redistributor entry. */
static uint32_t copies_of(const struct kvmprof_vm_priv *v, const struct kvmprof_entry *e, int mode,
			  uint32_t n_vcpus)
{
	if (is_per_vcpu_attr(e))
		return n_vcpus;
	if (mode == MODE_MERGE && e->phase == KVMPROF_PHASE_VCPU_REGS && e->kind != KVMPROF_KIND_CPUID)
		return 0;
	/* The VMM set CPUID from the merge: kvmprof_verify_vcpu() judges it,
	 * the apply need not read it too. */
	if (mode == MODE_APPLY && e->kind == KVMPROF_KIND_CPUID && (v->flags & KVMPROF_VMM_SETS_CPUID))
		return 0;
	return 1;
}

static uint32_t count_results(const struct kvmprof_vm_priv *v, int phase, int mode, uint32_t n_vcpus)
{
	const struct kvmprof_profile *p = v->p;
	uint32_t n = 0;

	for (uint32_t i = p->phase_start[phase]; i < p->phase_start[phase + 1]; i++)
		n += copies_of(v, &p->entries[i], mode, n_vcpus);
	return n;
}

/* Counted once per VM (count_phase_results()) but for the device phase. */
static uint32_t phase_results(const struct kvmprof_vm_priv *v, int phase, int mode, uint32_t n_vcpus)
{
	if (phase == KVMPROF_PHASE_DEVICE)
		return count_results(v, phase, mode, n_vcpus);
	return v->n_results[phase][mode];
}

/* Outside the device phase an entry makes one result or none. */
static void count_phase_results(struct kvmprof_vm_priv *v)
{
	const struct kvmprof_profile *p = v->p;

	memset(v->n_results, 0, sizeof(v->n_results));
	for (int phase = 0; phase < KVMPROF_PHASE_DEVICE; phase++)
		for (uint32_t i = p->phase_start[phase]; i < p->phase_start[phase + 1]; i++) {
			v->in_mode[i] = 0;
			for (int mode = MODE_APPLY; mode <= MODE_MERGE; mode++)
				if (copies_of(v, &p->entries[i], mode, 0)) {
					v->in_mode[i] |= (uint8_t)(1u << mode);
					v->n_results[phase][mode]++;
				}
		}
}

static void remember_vcpu(struct kvmprof_vm_priv *v, int fd)
{
	uint32_t n;

	if (fd < 0)
		return;
	pthread_mutex_lock(&v->lock);
	n = v->n_vcpus;
	for (uint32_t i = 0; i < n; i++)
		if (v->vcpu_fds[i] == fd)
			goto out;
	if (n < KVMPROF_MAX_VCPUS)
		v->vcpu_fds[v->n_vcpus++] = fd;
out:
	pthread_mutex_unlock(&v->lock);
}

static void result_init(struct kvmprof_result *r, const struct kvmprof_entry *e, int32_t vcpu_index,
			int32_t vcpu_fd)
{
	*r = (struct kvmprof_result){
		.entry = e, .vcpu_index = vcpu_index, .vcpu_fd = vcpu_fd,
		.accepted_lo = 1, /* lo > hi: unknown */
	};
}

static int run_phase(struct kvmprof_vm_priv *v, int phase, const struct kvmprof_call *call,
		     struct kvmprof_report *report)
{
	const struct kvmprof_profile *p = v->p;
	uint32_t start = p->phase_start[phase];
	uint32_t n_entries = p->phase_start[phase + 1] - start;
	uint32_t n_vcpus = phase == KVMPROF_PHASE_DEVICE ? call->n_vcpus : 0;
	uint32_t n = phase_results(v, phase, call->mode, n_vcpus);
	struct kvmprof_result *res;
	int dry = call->mode == MODE_DRY, r;

	if (phase == KVMPROF_PHASE_DEVICE && n_vcpus == 0 && n != n_entries)
		return KVMPROF_ERR_INVAL; /* redistributor entries need the vCPUs */
	if (report->count > report->capacity || report->capacity - report->count < n)
		return KVMPROF_ERR_REPORT_FULL;
	res = report->results + report->count;
	if (phase != KVMPROF_PHASE_DEVICE) {
		int32_t fd = phase == KVMPROF_PHASE_VM || call->mode == MODE_MERGE ? -1 : call->fd;
		uint8_t bit = (uint8_t)(1u << call->mode);

		for (uint32_t i = start, k = 0; i < start + n_entries; i++)
			if (v->in_mode[i] & bit)
				result_init(&res[k++], &p->entries[i], call->vcpu_index, fd);
	} else {
		for (uint32_t i = 0, k = 0; i < n_entries; i++) {
			const struct kvmprof_entry *e = &p->entries[start + i];
			int per_vcpu = is_per_vcpu_attr(e);

			for (uint32_t c = 0; c < (per_vcpu ? n_vcpus : 1); c++, k++)
				result_init(&res[k], e, per_vcpu ? (int32_t)c : call->vcpu_index,
					    per_vcpu ? call->vcpu_fds[c] : -1);
		}
	}
	switch (phase) {
	case KVMPROF_PHASE_VM:
		r = call->mode == MODE_VERIFY ? kvmprof__verify_vm(v, res, n) :
						kvmprof__phase_vm(v, res, n, dry);
		break;
	case KVMPROF_PHASE_VCPU_INIT:
		r = !n ? 0 : v->ops->vcpu_init ? v->ops->vcpu_init(v, call, res, n) : KVMPROF_ERR_ARCH;
		break;
	case KVMPROF_PHASE_VCPU_REGS:
		if (!n)
			r = 0;
		else if (call->mode == MODE_MERGE)
			r = v->ops->cpuid_merge ? v->ops->cpuid_merge(v, call, res, n) : KVMPROF_ERR_ARCH;
		else
			r = kvmprof__phase_vcpu_regs(v, call->fd, res, n, call->mode);
		break;
	default:
		r = kvmprof__phase_device(v, call, res, n);
		break;
	}
	report->count += n;
	for (uint32_t i = 0; i < n; i++) {
		switch (res[i].outcome) {
		case KVMPROF_OUT_APPLIED:
		case KVMPROF_OUT_ALREADY_EQUAL:
		case KVMPROF_OUT_SKIPPED_REQUIRES:
		case KVMPROF_OUT_CHECK_OK:
		case KVMPROF_OUT_MERGED:
		case KVMPROF_OUT_VERIFIED:
		case KVMPROF_OUT_WRITTEN:
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

static struct kvmprof_call call_of(int fd, int vcpu_index, int mode)
{
	struct kvmprof_call c;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.vcpu_index = vcpu_index;
	c.mode = mode;
	return c;
}

static int mode_of(const struct kvmprof_vm_priv *v)
{
	return (v->flags & KVMPROF_DRY_RUN) ? MODE_DRY : MODE_APPLY;
}

int kvmprof_apply_vm(struct kvmprof_vm *vm, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;

	if (!valid(vm, report))
		return KVMPROF_ERR_INVAL;
	c = call_of(v->vm_fd, KVMPROF_VCPU_INDEX_NONE, mode_of(v));
	if (load(&v->vcpu_started))
		return KVMPROF_ERR_PHASE;
	if (c.mode != MODE_DRY && __atomic_exchange_n(&v->vm_done, 1, __ATOMIC_ACQ_REL))
		return KVMPROF_ERR_PHASE;
	return run_phase(v, KVMPROF_PHASE_VM, &c, report);
}

int kvmprof_apply_vcpu_init(struct kvmprof_vm *vm, int vcpu_fd,
			    struct kvm_vcpu_init *init, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;
	int r;

	if (!valid(vm, report) || !init || vcpu_fd < 0)
		return KVMPROF_ERR_INVAL;
	if (v->p->arch != KVMPROF_ARCH_ARM64)
		return KVMPROF_ERR_ARCH;
	c = call_of(vcpu_fd, KVMPROF_VCPU_INDEX_NONE, mode_of(v));
	c.arg = init;
	if (c.mode != MODE_DRY && !load(&v->vm_done))
		return KVMPROF_ERR_PHASE;
	if (c.mode != MODE_DRY)
		__atomic_store_n(&v->vcpu_started, 1, __ATOMIC_RELEASE);
	remember_vcpu(v, vcpu_fd);
	r = run_phase(v, KVMPROF_PHASE_VCPU_INIT, &c, report);
	if (c.mode != MODE_DRY && r == 0)
		__atomic_add_fetch(&v->vcpu_inits, 1, __ATOMIC_ACQ_REL);
	return r;
}

int kvmprof_arm64_vcpu_init_merge(struct kvmprof_vm *vm, int vcpu_index,
				  struct kvm_vcpu_init *init, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;
	int r;

	if (!valid(vm, report) || !init)
		return KVMPROF_ERR_INVAL;
	if (v->p->arch != KVMPROF_ARCH_ARM64)
		return KVMPROF_ERR_ARCH;
	if (!load(&v->vm_done))
		return KVMPROF_ERR_PHASE;
	c = call_of(-1, vcpu_index, MODE_MERGE);
	c.arg = init;
	__atomic_store_n(&v->vcpu_started, 1, __ATOMIC_RELEASE);
	r = run_phase(v, KVMPROF_PHASE_VCPU_INIT, &c, report);
	/* The VMM issues KVM_ARM_VCPU_INIT next: registers may follow. */
	if (r == 0)
		__atomic_add_fetch(&v->vcpu_inits, 1, __ATOMIC_ACQ_REL);
	return r;
}

int kvmprof_x86_cpuid_merge(struct kvmprof_vm *vm, int vcpu_index, struct kvm_cpuid2 *cpuid,
			    uint32_t capacity, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;

	if (!valid(vm, report) || !cpuid || ((struct kvmprof_cpuid_head *)(void *)cpuid)->nent > capacity)
		return KVMPROF_ERR_INVAL;
	if (v->p->arch != KVMPROF_ARCH_X86_64)
		return KVMPROF_ERR_ARCH;
	if (!load(&v->vm_done))
		return KVMPROF_ERR_PHASE;
	c = call_of(-1, vcpu_index, MODE_MERGE);
	c.arg = cpuid;
	c.capacity = capacity;
	__atomic_store_n(&v->vcpu_started, 1, __ATOMIC_RELEASE);
	return run_phase(v, KVMPROF_PHASE_VCPU_REGS, &c, report);
}

static int vcpu_regs(struct kvmprof_vm *vm, int vcpu_fd, int vcpu_index, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;

	if (!valid(vm, report) || vcpu_fd < 0)
		return KVMPROF_ERR_INVAL;
	c = call_of(vcpu_fd, vcpu_index, mode_of(v));
	if (c.mode != MODE_DRY) {
		if (!load(&v->vm_done))
			return KVMPROF_ERR_PHASE;
		/* arm64: KVM refuses registers of a vCPU before KVM_ARM_VCPU_INIT. */
		if (v->p->arch == KVMPROF_ARCH_ARM64 && !load(&v->vcpu_inits))
			return KVMPROF_ERR_PHASE;
		__atomic_store_n(&v->vcpu_started, 1, __ATOMIC_RELEASE);
	}
	remember_vcpu(v, vcpu_fd);
	return run_phase(v, KVMPROF_PHASE_VCPU_REGS, &c, report);
}

int kvmprof_apply_vcpu_regs(struct kvmprof_vm *vm, int vcpu_fd, struct kvmprof_report *report)
{
	return vcpu_regs(vm, vcpu_fd, KVMPROF_VCPU_INDEX_NONE, report);
}

int kvmprof_apply_vcpu(struct kvmprof_vm *vm, int vcpu_fd, int vcpu_index,
		       struct kvmprof_report *report)
{
	return vcpu_regs(vm, vcpu_fd, vcpu_index, report);
}

/* A verification's verdict as a return value. */
static int verdict(const struct kvmprof_vm_priv *v, int r, const struct kvmprof_report *report,
		   uint32_t from)
{
	int differs = 0, missing = 0;

	if (r < 0)
		return r;
	for (uint32_t i = from; i < report->count; i++) {
		const struct kvmprof_result *res = &report->results[i];

		if (!kvmprof_result_failed(res))
			continue;
		if (res->outcome == KVMPROF_OUT_UNSUPPORTED)
			missing = 1;
		else
			differs = 1;
	}
	if (v->flags & KVMPROF_LENIENT)
		return 0;
	return differs ? KVMPROF_ERR_READBACK : missing ? KVMPROF_ERR_UNSUPPORTED : 0;
}

int kvmprof_verify_vcpu(struct kvmprof_vm *vm, int vcpu_fd, int vcpu_index,
			struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;
	uint32_t from;
	int r;

	if (!valid(vm, report) || vcpu_fd < 0)
		return KVMPROF_ERR_INVAL;
	from = report->count;
	if (phase_results(v, KVMPROF_PHASE_VCPU_INIT, MODE_VERIFY, 0) +
	    phase_results(v, KVMPROF_PHASE_VCPU_REGS, MODE_VERIFY, 0) >
	    report->capacity - (report->count < report->capacity ? report->count : report->capacity))
		return KVMPROF_ERR_REPORT_FULL;
	c = call_of(vcpu_fd, vcpu_index, MODE_VERIFY);
	remember_vcpu(v, vcpu_fd);
	r = run_phase(v, KVMPROF_PHASE_VCPU_INIT, &c, report);
	if (r >= 0)
		r = run_phase(v, KVMPROF_PHASE_VCPU_REGS, &c, report);
	return verdict(v, r, report, from);
}

int kvmprof_verify_vm(struct kvmprof_vm *vm, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;
	uint32_t from;

	if (!valid(vm, report))
		return KVMPROF_ERR_INVAL;
	from = report->count;
	c = call_of(v->vm_fd, KVMPROF_VCPU_INDEX_NONE, MODE_VERIFY);
	return verdict(v, run_phase(v, KVMPROF_PHASE_VM, &c, report), report, from);
}

static int devices(struct kvmprof_vm *vm, int dev_fd, const int *vcpu_fds, uint32_t n_vcpus,
		   struct kvmprof_report *report, int mode)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;
	uint32_t from;
	int r;

	if (!valid(vm, report) || dev_fd < 0 || (n_vcpus && !vcpu_fds))
		return KVMPROF_ERR_INVAL;
	for (uint32_t i = 0; i < n_vcpus; i++)
		if (vcpu_fds[i] < 0)
			return KVMPROF_ERR_INVAL;
	if (mode == MODE_APPLY && !load(&v->vm_done))
		return KVMPROF_ERR_PHASE;
	c = call_of(dev_fd, KVMPROF_VCPU_INDEX_NONE, mode);
	c.vcpu_fds = vcpu_fds;
	c.n_vcpus = n_vcpus;
	from = report->count;
	r = run_phase(v, KVMPROF_PHASE_DEVICE, &c, report);
	return mode == MODE_VERIFY ? verdict(v, r, report, from) : r;
}

int kvmprof_apply_devices(struct kvmprof_vm *vm, int dev_fd, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	int fds[KVMPROF_MAX_VCPUS];
	uint32_t n;

	if (!valid(vm, report))
		return KVMPROF_ERR_INVAL;
	/* The vCPUs this context has seen stand for "every vCPU". */
	pthread_mutex_lock(&v->lock);
	n = v->n_vcpus;
	memcpy(fds, v->vcpu_fds, n * sizeof(int));
	pthread_mutex_unlock(&v->lock);
	return devices(vm, dev_fd, fds, n, report, mode_of(v));
}

int kvmprof_apply_vgic(struct kvmprof_vm *vm, int vgic_fd, const int *vcpu_fds,
		       uint32_t n_vcpus, struct kvmprof_report *report)
{
	if (!valid(vm, report))
		return KVMPROF_ERR_INVAL;
	return devices(vm, vgic_fd, vcpu_fds, n_vcpus, report, mode_of(vm_priv(vm)));
}

int kvmprof_verify_vgic(struct kvmprof_vm *vm, int vgic_fd, const int *vcpu_fds,
			uint32_t n_vcpus, struct kvmprof_report *report)
{
	return devices(vm, vgic_fd, vcpu_fds, n_vcpus, report, MODE_VERIFY);
}

int kvmprof_check(struct kvmprof_vm *vm, int phase, int fd, struct kvmprof_report *report)
{
	struct kvmprof_vm_priv *v = vm_priv(vm);
	struct kvmprof_call c;

	if (!valid(vm, report) || phase < 0 || phase >= KVMPROF_PHASE_COUNT)
		return KVMPROF_ERR_INVAL;
	if (phase == KVMPROF_PHASE_VM)
		fd = v->vm_fd;
	if (fd < 0)
		return KVMPROF_ERR_INVAL;
	if (phase == KVMPROF_PHASE_DEVICE) {
		int fds[KVMPROF_MAX_VCPUS];
		uint32_t n;

		pthread_mutex_lock(&v->lock);
		n = v->n_vcpus;
		memcpy(fds, v->vcpu_fds, n * sizeof(int));
		pthread_mutex_unlock(&v->lock);
		return devices(vm, fd, fds, n, report, MODE_DRY);
	}
	c = call_of(fd, KVMPROF_VCPU_INDEX_NONE, MODE_DRY);
	return run_phase(v, phase, &c, report);
}

/* ---- profile index ---- */

const struct kvmprof_profile *kvmprof_index_at(const struct kvmprof_index *idx, uint32_t i)
{
	if (!idx || idx->magic != KVMPROF_INDEX_MAGIC || idx->abi != KVMPROF_TABLE_ABI ||
	    i >= idx->n_profiles || !idx->profiles)
		return NULL;
	return idx->profiles[i];
}

const struct kvmprof_profile *kvmprof_index_find(const struct kvmprof_index *idx, const char *name)
{
	const struct kvmprof_profile *p;

	if (!name)
		return NULL;
	for (uint32_t i = 0; (p = kvmprof_index_at(idx, i)) != NULL; i++)
		if (p->name && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

const struct kvm_cpuid2 *kvmprof_x86_supported_cpuid(const struct kvmprof_vm *vm)
{
	const struct kvmprof_vm_priv *v = (const struct kvmprof_vm_priv *)(const void *)vm;

	if (!vm || v->magic != KVMPROF_VM_MAGIC || !v->have_cpuid)
		return NULL;
	return (const struct kvm_cpuid2 *)(const void *)&v->supported;
}
