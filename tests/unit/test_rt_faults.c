/* SPDX-License-Identifier: MIT */
/*
 * test_rt_faults.c - fault injection into every ioctl of an apply, through
 * the FAKE ioctl backend (the seam kvmprof_sys_install()) and the public API only.
 * Nothing here touches /dev/kvm; real-KVM behaviour is test_rt_x86_kvm.c's.
 *
 * The fake kernel models every kind an x86 VMM applies (a capability,
 * quirks, x2APIC API flags, ONE_REG registers, MSRs, a CPUID table, a device
 * attribute) and logs each write it accepts. A clean run counts the ioctls;
 * then, for each ioctl in turn and each fault (EINVAL, EFAULT, EINTR once,
 * EINTR on every retry, a short KVM_SET_MSRS count), a fresh VM is applied
 * in strict and lenient mode, and the reports must name exactly what the
 * fake logged as written: nothing claimed applied that was not written,
 * nothing written that the report does not claim.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kvmprof.h"
#include "rt_fixtures.h"

#ifndef __x86_64__
int main(void)
{
	printf("SKIP: the FAKE backend here models x86 (CPUID, MSRs); this is not x86_64\n");
	return 0;
}
#else

#include "rt_fake.h"

#define CAP_TEST 200u /* a capability the fake offers */
#define REG_A 0x2030000200000174ull
#define REG_B 0x2030000200000175ull
#define MSR_X 0x10au
#define MSR_Y 0x10bu
#define MSR_Z 0x10cu
#define IIDR_ATTR 0x8u

enum fault { F_NONE, F_EINVAL, F_EFAULT, F_EINTR_ONCE, F_EINTR_ALWAYS, F_SHORT_MSRS, F_COUNT };
static const char *const fault_name[] = { "none", "EINVAL", "EFAULT", "EINTR once", "EINTR always",
					  "short KVM_SET_MSRS" };

enum target { T_CAP, T_ONE_REG, T_MSR, T_CPUID, T_ATTR };

struct fake {
	uint64_t regs[2];
	uint64_t msrs[3];
	struct kvm_cpuid_entry2 cpuid[4];
	uint32_t n_cpuid;
	uint32_t iidr;
	long calls;            /* backend calls so far (retries included) */
	long fault_at;         /* the call that faults (-1: none) */
	enum fault fault;
	int faulted;           /* the fault was injected */
	void *eintr_arg;       /* F_EINTR_ALWAYS: the argument being retried */
	struct { enum target t; uint64_t id; } log[64];
	int n_log;
};
static struct fake fk;

static void logged(enum target t, uint64_t id)
{
	assert_true(fk.n_log < 64);
	fk.log[fk.n_log].t = t;
	fk.log[fk.n_log].id = id;
	fk.n_log++;
}

static int was_written(enum target t, uint64_t id)
{
	for (int i = 0; i < fk.n_log; i++)
		if (fk.log[i].t == t && (t == T_CPUID || fk.log[i].id == id))
			return 1;
	return 0;
}

#define REG_A_DEFAULT 0x1100
#define REG_B_DEFAULT 0x2200
#define IIDR_DEFAULT 0x4b00243b /* revision 2 */

/* Whether the kernel now presents something else than before the apply (for
 * capabilities and the CPUID table, which cannot be read back: whether one
 * was set). */
static int modified(enum target t, uint64_t id)
{
	switch (t) {
	case T_ONE_REG: return fk.regs[id == REG_A ? 0 : 1] != (id == REG_A ? REG_A_DEFAULT : REG_B_DEFAULT);
	case T_MSR: return fk.msrs[id == MSR_X ? 0 : id == MSR_Y ? 1 : 2] != 0;
	case T_ATTR: return fk.iidr != IIDR_DEFAULT;
	default: return was_written(t, id);
	}
}

static int reg_slot(uint64_t id)
{
	return id == REG_A ? 0 : id == REG_B ? 1 : -1;
}

static int msr_slot(uint32_t msr)
{
	return msr == MSR_X ? 0 : msr == MSR_Y ? 1 : msr == MSR_Z ? 2 : -1;
}

static const struct kvm_cpuid_entry2 supported_cpuid[2] = {
	{ .function = 0, .eax = 0xd, .ebx = 0x68747541 },
	{ .function = 1, .eax = 0x00a00f11, .ecx = 0xfef83203, .edx = 0x178bfbff },
};

static int model(int fd, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_CHECK_EXTENSION:
		switch ((uintptr_t)arg) {
		case CAP_TEST: return 1;
		case KVM_CAP_DISABLE_QUIRKS2: return 0x1f;
		case KVM_CAP_X2APIC_API: return 0x3;
		default: return 0;
		}
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap *c = arg;
		logged(T_CAP, c->cap);
		return 0;
	}
	case KVM_GET_SUPPORTED_CPUID: {
		struct kvm_cpuid2 *c = arg;
		if (c->nent < 2)
			return -E2BIG;
		c->nent = 2;
		memcpy(c->entries, supported_cpuid, sizeof(supported_cpuid));
		return 0;
	}
	case KVM_SET_CPUID2: {
		struct kvm_cpuid2 *c = arg;
		if (c->nent > 4)
			return -E2BIG;
		memcpy(fk.cpuid, c->entries, c->nent * sizeof(*c->entries));
		fk.n_cpuid = c->nent;
		logged(T_CPUID, 0);
		return 0;
	}
	case KVM_GET_CPUID2: {
		struct kvm_cpuid2 *c = arg;
		if (c->nent < fk.n_cpuid) {
			c->nent = fk.n_cpuid;
			return -E2BIG;
		}
		c->nent = fk.n_cpuid;
		memcpy(c->entries, fk.cpuid, fk.n_cpuid * sizeof(*c->entries));
		return 0;
	}
	case KVM_GET_MSR_FEATURE_INDEX_LIST: {
		struct kvm_msr_list *l = arg;
		l->nmsrs = 0;
		return 0;
	}
	case KVM_GET_MSR_INDEX_LIST: {
		struct kvm_msr_list *l = arg;
		if (l->nmsrs < 3) {
			l->nmsrs = 3;
			return -E2BIG;
		}
		l->nmsrs = 3;
		l->indices[0] = MSR_X;
		l->indices[1] = MSR_Y;
		l->indices[2] = MSR_Z;
		return 0;
	}
	case KVM_GET_MSRS:
	case KVM_SET_MSRS: {
		struct kvm_msrs *m = arg;
		uint32_t i, n = m->nmsrs;

		if (fd != FAKE_VCPU)
			return fd == FAKE_KVM ? 0 : -EBADF;
		if (req == KVM_SET_MSRS && fk.fault == F_SHORT_MSRS && fk.calls == fk.fault_at && n > 0) {
			n--; /* KVM stops before the last one */
			fk.faulted = 1;
		}
		for (i = 0; i < n; i++) {
			int s = msr_slot(m->entries[i].index);
			if (s < 0)
				break;
			if (req == KVM_GET_MSRS) {
				m->entries[i].data = fk.msrs[s];
			} else {
				fk.msrs[s] = m->entries[i].data;
				logged(T_MSR, m->entries[i].index);
			}
		}
		return (int)i;
	}
	case KVM_GET_REG_LIST:
		return -ENOTTY;
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG: {
		struct kvm_one_reg *one = arg;
		uint64_t *val;
		int s = reg_slot(one->id), r = fake_one_reg(fd, req, one, s, fk.regs, &val);

		if (r <= 0)
			return r;
		fk.regs[s] = *val;
		logged(T_ONE_REG, one->id);
		return 0;
	}
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR: {
		struct kvm_device_attr *a = arg;
		uint32_t *val = (uint32_t *)(uintptr_t)a->addr;

		if (fd != FAKE_DEV || a->attr != IIDR_ATTR)
			return -ENXIO;
		if (req == KVM_HAS_DEVICE_ATTR)
			return 0;
		if (req == KVM_GET_DEVICE_ATTR) {
			*val = fk.iidr;
			return 0;
		}
		fk.iidr = *val;
		logged(T_ATTR, a->attr);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

/* FAKE backend: the model above, with one fault injected at call fault_at. */
static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	long call = fk.calls;
	int r;

	(void)ctx;
	if (fk.fault == F_EINTR_ALWAYS && fk.eintr_arg && arg == fk.eintr_arg) {
		fk.calls++;
		return -EINTR; /* every retry of the interrupted call */
	}
	fk.eintr_arg = NULL;
	if (call == fk.fault_at) {
		switch (fk.fault) {
		case F_EINVAL:
		case F_EFAULT:
			fk.calls++;
			fk.faulted = 1;
			return fk.fault == F_EINVAL ? -EINVAL : -EFAULT;
		case F_EINTR_ONCE:
		case F_EINTR_ALWAYS:
			fk.calls++;
			fk.faulted = 1;
			fk.eintr_arg = fk.fault == F_EINTR_ALWAYS ? arg : NULL;
			return -EINTR;
		default:
			break; /* F_SHORT_MSRS: in the model */
		}
	}
	r = model(fd, req, arg);
	fk.calls++;
	return r;
}

static const struct kvmprof_sys fake_sys = { .ioctl = fake_ioctl, .uname_release = rt_fake_uname };

/* A profile with every kind an x86 VMM applies: 3 in the VM phase, 6 per vCPU, 1 device. */
static const struct kvmprof_field iidr_rev[] = { { .name = "Revision", .shift = 12, .width = 4 } };
static const struct kvmprof_entry every_kind[] = {
	{ .name = "CAP_TEST", .kind = KVMPROF_KIND_ENABLE_CAP, .phase = 0, .width = 64, .id = CAP_TEST,
	  .value = 1, .mask = ~0ull, .args = { 1 } },
	{ .name = "KVM_CAP_DISABLE_QUIRKS2", .kind = KVMPROF_KIND_QUIRKS, .phase = 0, .width = 64,
	  .id = KVM_CAP_DISABLE_QUIRKS2, .value = 0x1, .mask = 0x3 },
	{ .name = "KVM_CAP_X2APIC_API", .kind = KVMPROF_KIND_X2APIC_API, .phase = 0, .width = 64,
	  .id = KVM_CAP_X2APIC_API, .value = 0x3, .mask = 0x3 },
	{ .name = "REG_A", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_A,
	  .value = 0xa, .mask = 0xff },
	{ .name = "REG_B", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_B,
	  .value = 0xb, .mask = 0xff },
	{ .name = "MSR_X", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_X, .value = 1, .mask = ~0ull },
	{ .name = "MSR_Y", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_Y, .value = 2, .mask = ~0ull },
	{ .name = "MSR_Z", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_Z, .value = 3, .mask = ~0ull },
	{ .name = "CPUID.0x1.0x0.ECX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32, .reg = KVMPROF_CPUID_ECX,
	  .id = 1ull << 32, .value = 0, .mask = 0x00000001 }, /* clears a bit the kernel offers */
	{ .name = "GICD_IIDR", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = 3, .width = 32, .group = 1, .aux = 7,
	  .id = IIDR_ATTR, .value = 3u << 12, .mask = 0xf000, .fields = iidr_rev, .n_fields = 1 },
};
static const struct kvmprof_profile every_kind_profile = RT_PROFILE(RT_HOST_ARCH, every_kind, 3, 0, 6, 1);

static enum target target_of(const struct kvmprof_entry *e, uint64_t *id)
{
	*id = e->id;
	switch (e->kind) {
	case KVMPROF_KIND_ONE_REG: return T_ONE_REG;
	case KVMPROF_KIND_MSR: return T_MSR;
	case KVMPROF_KIND_CPUID: return T_CPUID;
	case KVMPROF_KIND_DEVICE_ATTR: return T_ATTR;
	default: return T_CAP; /* ENABLE_CAP, QUIRKS, X2APIC_API: id is the capability */
	}
}

struct run {
	int init_rc, rc[3];
	struct kvmprof_result res[3][8];
	struct kvmprof_report rep[3];
	uint8_t outcome[16];
	int n;
};

static void apply_all(struct run *r, enum fault f, long at, uint32_t flags)
{
	static struct kvmprof_vm vm;
	struct kvmprof_opts o = { .sz = sizeof(o), .flags = flags };

	memset(&fk, 0, sizeof(fk));
	fk.regs[0] = REG_A_DEFAULT;
	fk.regs[1] = REG_B_DEFAULT;
	fk.iidr = IIDR_DEFAULT;
	fk.fault = f;
	fk.fault_at = at;
	memset(r, 0, sizeof(*r));
	for (int p = 0; p < 3; p++) {
		r->rep[p].results = r->res[p];
		r->rep[p].capacity = 8;
	}
	r->init_rc = kvmprof_vm_init(&vm, &every_kind_profile, FAKE_KVM, FAKE_VM, &o);
	if (r->init_rc < 0)
		return;
	r->rc[0] = kvmprof_apply_vm(&vm, &r->rep[0]);
	if (r->rc[0] >= 0) {
		r->rc[1] = kvmprof_apply_vcpu_regs(&vm, FAKE_VCPU, &r->rep[1]);
		r->rc[2] = kvmprof_apply_devices(&vm, FAKE_DEV, &r->rep[2]);
	}
	for (int p = 0; p < 3; p++)
		for (uint32_t i = 0; i < r->rep[p].count; i++)
			r->outcome[r->n++] = r->res[p][i].outcome;
	kvmprof_vm_fini(&vm);
}

/*
 * The reports name exactly what reached the kernel: an entry reported written
 * had a write ioctl, an applied one was written, a not-attempted one had
 * none, and whatever the kernel now presents differently was reported
 * written. (A refused write's probe of the accepted range writes and puts
 * the default back: the kernel is unchanged, and the entry is not written.)
 */
static void assert_report_matches_writes(const struct run *r, const char *what)
{
	if (r->init_rc < 0) {
		if (fk.n_log)
			fail_msg("%s: vm_init failed (%d) yet %d writes reached the kernel", what, r->init_rc, fk.n_log);
		return;
	}
	for (int p = 0; p < 3; p++) {
		uint32_t n_written = 0;

		for (uint32_t i = 0; i < r->rep[p].count; i++) {
			const struct kvmprof_result *res = &r->res[p][i];
			uint64_t id;
			enum target t = target_of(res->entry, &id);
			int tried = was_written(t, id), changed = modified(t, id);

			n_written += res->written;
			if (res->written && !tried)
				fail_msg("%s: %s reported written, never written", what, res->entry->name);
			if (res->outcome == KVMPROF_OUT_APPLIED && !res->written)
				fail_msg("%s: %s reported applied, not written", what, res->entry->name);
			if (res->outcome == KVMPROF_OUT_NOT_ATTEMPTED && tried)
				fail_msg("%s: %s written, reported not attempted", what, res->entry->name);
			if (t != T_CPUID && changed && !res->written)
				fail_msg("%s: %s changed in the kernel, the report does not say written (%s)", what,
					 res->entry->name, kvmprof_outcome_name(res->outcome));
			/* the CPUID table is one write: each changed leaf register it carried */
			if (t == T_CPUID && changed && res->outcome != KVMPROF_OUT_ALREADY_EQUAL &&
			    res->outcome != KVMPROF_OUT_SKIPPED_REQUIRES && res->outcome != KVMPROF_OUT_UNSUPPORTED &&
			    !res->written)
				fail_msg("%s: the CPUID table with %s was set, report does not say so (%s)", what,
					 res->entry->name, kvmprof_outcome_name(res->outcome));
		}
		if (n_written != r->rep[p].n_written)
			fail_msg("%s: phase %d counts %u written, results say %u", what, p, r->rep[p].n_written, n_written);
	}
}

static void test_clean_apply(void **state)
{
	struct run r;

	(void)state;
	apply_all(&r, F_NONE, -1, 0);
	assert_int_equal(r.init_rc, 0);
	for (int p = 0; p < 3; p++) {
		rt_print_report(&r.rep[p]);
		assert_int_equal(r.rc[p], 0);
	}
	assert_int_equal(r.n, 10);
	for (int i = 0; i < r.n; i++)
		assert_int_equal(r.outcome[i], KVMPROF_OUT_APPLIED);
	assert_report_matches_writes(&r, "clean");
	assert_int_equal(fk.n_log, 10); /* 3 capabilities, 2 registers, 3 MSRs, the CPUID table, the attribute */
}

static void test_each_ioctl_faults_in_turn(void **state)
{
	static struct run clean, r;
	long n_calls;
	int n_runs = 0, n_short = 0;
	long n_faulted = 0;
	char what[128];

	(void)state;
	apply_all(&clean, F_NONE, -1, 0);
	n_calls = fk.calls;
	printf("  a clean apply makes %ld ioctls\n", n_calls);
	assert_true(n_calls > 15);
	for (int f = F_EINVAL; f < F_COUNT; f++) {
		for (int lenient = 0; lenient < 2; lenient++) {
			for (long at = 0; at < n_calls; at++) {
				snprintf(what, sizeof(what), "%s at ioctl %ld, %s", fault_name[f], at,
					 lenient ? "lenient" : "strict");
				apply_all(&r, (enum fault)f, at, lenient ? KVMPROF_LENIENT : 0);
				n_runs++;
				n_faulted += fk.faulted;
				n_short += f == F_SHORT_MSRS && fk.faulted;
				assert_report_matches_writes(&r, what);
				if (f == F_EINTR_ONCE) { /* retried: as if nothing happened */
					assert_int_equal(r.init_rc, 0);
					assert_int_equal(r.n, clean.n);
					assert_memory_equal(r.outcome, clean.outcome, (size_t)r.n);
				}
				if (fk.faulted && f != F_EINTR_ONCE && !lenient && r.init_rc == 0) {
					/* strict: a refused write fails its phase call */
					int any_rejected = 0, any_err = 0;
					for (int p = 0; p < 3; p++) {
						any_err |= r.rc[p] < 0;
						for (uint32_t i = 0; i < r.rep[p].count; i++)
							any_rejected |= r.res[p][i].outcome == KVMPROF_OUT_REJECTED;
					}
					if (any_rejected && !any_err)
						fail_msg("%s: a write was rejected, yet every phase returned 0", what);
				}
			}
		}
	}
	printf("  %ld faulted applies (%d with a short KVM_SET_MSRS), %d runs\n", n_faulted, n_short, n_runs);
	assert_true(n_short >= 2); /* the MSR batch was hit in both modes */
	assert_true(n_faulted >= 2 * n_calls); /* EINTR once lands on every call, in both modes */
}

static int setup(void **state)
{
	(void)state;
	kvmprof_sys_install(&fake_sys);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kvmprof_sys_install(NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_apply),
		cmocka_unit_test(test_each_ioctl_faults_in_turn),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
#endif
