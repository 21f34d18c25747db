/* SPDX-License-Identifier: MIT */
/*
 * test_rt_fake_vgic.c - how libkvmprof addresses per-vCPU vGIC registers,
 * through a FAKE ioctl backend that stands for an arm64 kernel (the seam's
 * host_arch), so every build runs it. The fake picks the vCPU of a
 * redistributor attribute from bits 63:32 as KVM does (vgic_v3_parse_attr():
 * Aff3.Aff2.Aff1.Aff0 matched against each vCPU's MPIDR affinity, EINVAL when
 * none matches). The real behaviour is tested on KVM/arm64 under QEMU
 * (tests/arm64/test_arm64_kvm.c, test_rt_redist_every_vcpu).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kvmprof.h"
#include "rt_fixtures.h"

#define FAKE_KVM 300
#define FAKE_VM 301
#define FAKE_GIC 302
#define FAKE_VCPU0 310
#define N_VCPUS 3

#define MPIDR_EL1 0x603000000013c005ull /* ARM64_SYS_REG(3, 0, 0, 0, 5) */
#define GRP_DIST 1
#define GRP_REDIST 5
#define GICD_IIDR 0x8
#define GICR_IPRIORITYR0 0x10400

struct fake {
	uint64_t mpidr[N_VCPUS];
	uint32_t iidr;
	uint32_t prio[N_VCPUS];
	int refuse_vcpu;  /* index+1 of a vCPU whose redistributor refuses writes */
	int n_bad_attr;   /* attributes that named no vCPU */
};
static struct fake fk;

/* The vCPU an attribute's bits 63:32 name, or -1 (KVM: EINVAL). */
static int vcpu_of_attr(uint64_t attr)
{
	uint64_t aff = attr >> 32;
	uint64_t mpidr_aff = ((aff >> 24) & 0xff) << 32 | (aff & 0xffffff);

	for (int i = 0; i < N_VCPUS; i++)
		if ((fk.mpidr[i] & 0xff00ffffffull) == mpidr_aff)
			return i;
	return -1;
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	switch (req) {
	case KVM_CHECK_EXTENSION:
		return 0;
	case KVM_GET_ONE_REG: {
		struct kvm_one_reg *one = arg;
		int i = fd - FAKE_VCPU0;

		if (i < 0 || i >= N_VCPUS || one->id != MPIDR_EL1)
			return -ENOENT;
		*(uint64_t *)(uintptr_t)one->addr = fk.mpidr[i];
		return 0;
	}
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR: {
		struct kvm_device_attr *a = arg;
		uint32_t *val = (uint32_t *)(uintptr_t)a->addr, *reg;
		int v;

		if (fd != FAKE_GIC)
			return -ENOTTY;
		if (a->group == GRP_DIST && a->attr == GICD_IIDR) {
			reg = &fk.iidr;
		} else if (a->group == GRP_REDIST && (a->attr & 0xffffffffu) == GICR_IPRIORITYR0) {
			v = vcpu_of_attr(a->attr);
			if (v < 0) {
				fk.n_bad_attr++;
				return -EINVAL;
			}
			if (req == KVM_SET_DEVICE_ATTR && fk.refuse_vcpu == v + 1)
				return -EINVAL;
			reg = &fk.prio[v];
		} else {
			return -ENXIO;
		}
		if (req == KVM_GET_DEVICE_ATTR)
			*val = *reg;
		else if (req == KVM_SET_DEVICE_ATTR)
			*reg = *val;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static uint32_t fake_arch(void *ctx)
{
	(void)ctx;
	return KVMPROF_ARCH_ARM64;
}

static const struct kvmprof_sys fake_sys = {
	.ioctl = fake_ioctl, .uname_release = rt_fake_uname, .host_arch = fake_arch,
};

static const struct kvmprof_entry vgic_entries[] = {
	{ .name = "GICD_IIDR", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = KVMPROF_PHASE_DEVICE, .width = 32,
	  .group = GRP_DIST, .aux = 7 /* KVM_DEV_TYPE_ARM_VGIC_V3 */, .id = GICD_IIDR,
	  .value = 2u << 12, .mask = 0xfu << 12 },
	{ .name = "GICR_IPRIORITYR0", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = KVMPROF_PHASE_DEVICE,
	  .width = 32, .group = GRP_REDIST, .aux = 7, .id = GICR_IPRIORITYR0, .value = 0xa0a0a0a0u,
	  .mask = 0xffffffffu },
};
static const struct kvmprof_profile vgic_profile =
	RT_PROFILE(KVMPROF_ARCH_ARM64, vgic_entries, 0, 0, 0, 2);

struct state {
	struct kvmprof_vm ctx;
	struct kvmprof_result res[16];
	struct kvmprof_report rep;
	int fds[N_VCPUS];
};

static int setup(void **st)
{
	struct state *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	memset(&fk, 0, sizeof(fk));
	fk.iidr = 0x4b00343b;
	fk.mpidr[0] = 1ull << 31;                     /* Aff 0.0.0.0 */
	fk.mpidr[1] = 1ull << 31 | 1;                 /* Aff 0.0.0.1 */
	fk.mpidr[2] = 1ull << 31 | 1ull << 32 | 0x020304; /* Aff 1.2.3.4 */
	for (int i = 0; i < N_VCPUS; i++)
		s->fds[i] = FAKE_VCPU0 + i;
	s->rep.results = s->res;
	s->rep.capacity = 16;
	kvmprof_sys_install(&fake_sys);
	if (kvmprof_vm_init(&s->ctx, &vgic_profile, FAKE_KVM, FAKE_VM, NULL) != 0 ||
	    kvmprof_apply_vm(&s->ctx, &s->rep) != 0) {
		kvmprof_sys_install(NULL);
		free(s);
		return -1;
	}
	*st = s;
	return 0;
}

static int teardown(void **st)
{
	struct state *s = *st;

	kvmprof_vm_fini(&s->ctx);
	kvmprof_sys_install(NULL);
	free(s);
	return 0;
}

/* Every redistributor gets the entry, addressed by its own affinity. */
static void test_fake_redist_every_vcpu(void **st)
{
	struct state *s = *st;

	assert_int_equal(kvmprof_apply_vgic(&s->ctx, FAKE_GIC, s->fds, N_VCPUS, &s->rep), 0);
	rt_print_report(&s->rep);
	assert_int_equal(s->rep.count, 1 + N_VCPUS);
	assert_int_equal(s->res[0].vcpu_fd, -1);
	for (int i = 0; i < N_VCPUS; i++) {
		assert_int_equal(s->res[1 + i].outcome, KVMPROF_OUT_APPLIED);
		assert_int_equal(s->res[1 + i].vcpu_index, i);
		assert_int_equal(s->res[1 + i].vcpu_fd, s->fds[i]);
		assert_int_equal(fk.prio[i], 0xa0a0a0a0u);
	}
	assert_int_equal(fk.iidr, 0x4b00243b);
	assert_int_equal(fk.n_bad_attr, 0);

	/* the VMM undoes vCPU 2's register: verification names it */
	fk.prio[2] = 0;
	kvmprof_report_reset(&s->rep);
	assert_int_equal(kvmprof_verify_vgic(&s->ctx, FAKE_GIC, s->fds, N_VCPUS, &s->rep), KVMPROF_ERR_READBACK);
	rt_print_report(&s->rep);
	assert_int_equal(s->res[0].outcome, KVMPROF_OUT_VERIFIED);
	assert_int_equal(s->res[1].outcome, KVMPROF_OUT_VERIFIED);
	assert_int_equal(s->res[2].outcome, KVMPROF_OUT_VERIFIED);
	assert_int_equal(s->res[3].outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(s->res[3].vcpu_index, 2);
	assert_int_equal(s->rep.n_failed, 1);
}

/* Strict: the vCPU whose write fails stops the call; the report says
 * which vCPUs got the register and which were not attempted. */
static void test_fake_redist_strict_stop(void **st)
{
	struct state *s = *st;

	fk.refuse_vcpu = 2; /* vCPU 1 */
	assert_int_equal(kvmprof_apply_vgic(&s->ctx, FAKE_GIC, s->fds, N_VCPUS, &s->rep), KVMPROF_ERR_REJECTED);
	rt_print_report(&s->rep);
	assert_int_equal(s->res[1].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(s->res[1].written, 1);
	assert_int_equal(s->res[2].outcome, KVMPROF_OUT_REJECTED);
	assert_int_equal(s->res[2].vcpu_index, 1);
	assert_int_equal(s->res[3].outcome, KVMPROF_OUT_NOT_ATTEMPTED);
	assert_int_equal(fk.prio[0], 0xa0a0a0a0u);
	assert_int_equal(fk.prio[2], 0);
}

/* The convenience call walks the vCPUs the context has seen; with none,
 * a profile with redistributor entries cannot be applied, and says so. */
static void test_fake_redist_needs_vcpus(void **st)
{
	struct state *s = *st;

	assert_int_equal(kvmprof_apply_devices(&s->ctx, FAKE_GIC, &s->rep), KVMPROF_ERR_INVAL);
	assert_int_equal(s->rep.count, 0);
	assert_int_equal(kvmprof_apply_vgic(&s->ctx, FAKE_GIC, NULL, 0, &s->rep), KVMPROF_ERR_INVAL);
	/* seen through verification (any per-vCPU call remembers the fd) */
	for (int i = 0; i < N_VCPUS; i++)
		assert_int_equal(kvmprof_verify_vcpu(&s->ctx, s->fds[i], i, &s->rep), 0);
	kvmprof_report_reset(&s->rep);
	assert_int_equal(kvmprof_apply_devices(&s->ctx, FAKE_GIC, &s->rep), 0);
	assert_int_equal(s->rep.count, 1 + N_VCPUS);
	for (int i = 0; i < N_VCPUS; i++)
		assert_int_equal(fk.prio[i], 0xa0a0a0a0u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fake_redist_every_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_redist_strict_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_redist_needs_vcpus, setup, teardown),
	};

	printf("FAKE backend: an arm64 vGIC modelled in the test, not a kernel\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
