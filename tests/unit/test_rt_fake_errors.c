/* SPDX-License-Identifier: MIT */
/*
 * test_rt_fake_errors.c - error paths of libkvmprof through a FAKE ioctl
 * backend (the seam kvmprof_sys_install()). Nothing here touches /dev/kvm: the
 * fake models a few registers, MSRs and one vGIC-like attribute, and injects
 * EINTR, EINVAL in the middle of a sequence, short KVM_SET_MSRS counts,
 * read-back differences and EBUSY. Real-KVM behaviour is tested in
 * test_rt_x86_kvm.c (and on arm64 by the QEMU suite).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kvmprof.h"
#include "rt_fake.h"
#include "rt_fixtures.h"

#define REG_A 0x6030000000100000ull
#define REG_B 0x6030000000100002ull
#define REG_C 0x6030000000100004ull
#define REG_D 0x6030000000100006ull /* fields X 7:4, Y 3:0 */
#define MSR_X 0x174
#define MSR_Y 0x175
#define MSR_Z 0x176
#define IIDR_ATTR 0x8 /* GICD_IIDR offset */
#define FEATURE_MSR(i) (0x10000u + (uint32_t)(i))

struct fake {
	uint64_t regs[4];      /* REG_A, REG_B, REG_C, REG_D */
	uint64_t msrs[3];      /* MSR_X, MSR_Y, MSR_Z */
	uint32_t iidr;         /* Revision in bits 15:12 */
	int eintr_left;        /* EINTRs to return before the next call works */
	unsigned long eintr_req;
	int fail_set_reg_b;    /* SET_ONE_REG of REG_B: EINVAL */
	int msrs_accept;       /* KVM_SET_MSRS sets at most this many */
	int stale_reg_c;       /* SET_ONE_REG of REG_C is ignored */
	int dev_busy;          /* device not initialised: EBUSY */
	int d_x_max;           /* REG_D: X above this is EINVAL (0: no limit) */
	int d_cross;           /* REG_D: Y == 0 with X >= 2 is EINVAL (like set_clidr) */
	int n_set_msrs;        /* KVM_SET_MSRS calls seen */
	int n_feature_msrs;    /* /dev/kvm lists this many feature MSRs, FEATURE_MSR(i) = i + 1 */
	int feature_unreadable; /* index+1 of one KVM_GET_MSRS on /dev/kvm cannot read (0: none) */
	int msr_unreadable;    /* slot+1 of the MSR the vCPU cannot read (0: none) */
	int n_get_msrs;        /* KVM_GET_MSRS calls on the vCPU seen */
};
static struct fake fk;

static int reg_slot(uint64_t id)
{
	return id == REG_A ? 0 : id == REG_B ? 1 : id == REG_C ? 2 : id == REG_D ? 3 : -1;
}

static int msr_slot(uint32_t msr)
{
	return msr == MSR_X ? 0 : msr == MSR_Y ? 1 : msr == MSR_Z ? 2 : -1;
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	if (fk.eintr_left && req == fk.eintr_req) {
		fk.eintr_left--;
		return -EINTR;
	}
	switch (req) {
	case KVM_CHECK_EXTENSION:
		return 0;
	case KVM_GET_MSR_FEATURE_INDEX_LIST: {
		struct kvm_msr_list *l = arg;

		if (l->nmsrs < (uint32_t)fk.n_feature_msrs) {
			l->nmsrs = (uint32_t)fk.n_feature_msrs;
			return -E2BIG;
		}
		l->nmsrs = (uint32_t)fk.n_feature_msrs;
		for (int i = 0; i < fk.n_feature_msrs; i++)
			l->indices[i] = FEATURE_MSR(i);
		return 0;
	}
	case KVM_GET_MSR_INDEX_LIST: {
		struct kvm_msr_list *l = arg;

		l->nmsrs = 3;
		l->indices[0] = MSR_X;
		l->indices[1] = MSR_Y;
		l->indices[2] = MSR_Z;
		return 0;
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
		if (s == 1 && fk.fail_set_reg_b)
			return -EINVAL;
		if (s == 2 && fk.stale_reg_c)
			return 0;
		if (s == 3 && fk.d_x_max && ((*val >> 4) & 0xf) > (uint64_t)fk.d_x_max)
			return -EINVAL;
		if (s == 3 && fk.d_cross && (*val & 0xf) == 0 && ((*val >> 4) & 0xf) >= 2)
			return -EINVAL;
		fk.regs[s] = *val;
		return 0;
	}
	case KVM_GET_MSRS:
	case KVM_SET_MSRS: {
		struct kvm_msrs *m = arg;
		uint32_t i;

		if (fd == FAKE_KVM) { /* feature MSR values; stops at an unreadable one */
			for (i = 0; i < m->nmsrs; i++) {
				uint32_t f = m->entries[i].index - FEATURE_MSR(0);
				if (f >= (uint32_t)fk.n_feature_msrs || (int)f + 1 == fk.feature_unreadable)
					break;
				m->entries[i].data = f + 1;
			}
			return (int)i;
		}
		if (req == KVM_SET_MSRS)
			fk.n_set_msrs++;
		else
			fk.n_get_msrs++;
		for (i = 0; i < m->nmsrs; i++) {
			int s = msr_slot(m->entries[i].index);

			if (s < 0 || (req == KVM_GET_MSRS && s + 1 == fk.msr_unreadable))
				break;
			if (req == KVM_GET_MSRS) {
				m->entries[i].data = fk.msrs[s];
			} else {
				if ((int)i >= fk.msrs_accept)
					break;
				fk.msrs[s] = m->entries[i].data;
			}
		}
		return (int)i;
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
		if (fk.dev_busy)
			return -EBUSY;
		if (req == KVM_GET_DEVICE_ATTR) {
			*val = fk.iidr;
			return 0;
		}
		/* like vGICv3: only revisions 2..3 are accepted */
		if (((*val >> 12) & 0xf) < 2 || ((*val >> 12) & 0xf) > 3)
			return -EINVAL;
		fk.iidr = *val;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static const struct kvmprof_sys fake_sys = { .ioctl = fake_ioctl, .uname_release = rt_fake_uname };

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.regs[0] = 0x1111;
	fk.regs[1] = 0x2222;
	fk.regs[2] = 0x3333;
	fk.regs[3] = 0x11;
	fk.iidr = 0x4b00343b; /* vGICv3 default: revision 3 */
	fk.msrs_accept = 64;
	kvmprof_sys_install(&fake_sys);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kvmprof_sys_install(NULL);
	return 0;
}

struct ctx {
	struct kvmprof_vm vm;
	struct kvmprof_result res[16];
	struct kvmprof_report rep;
};

static struct ctx *start(const struct kvmprof_profile *p, uint32_t flags)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct kvmprof_opts o = { .sz = sizeof(o), .flags = flags };

	assert_non_null(c);
	c->rep.results = c->res;
	c->rep.capacity = 16;
	assert_int_equal(kvmprof_vm_init(&c->vm, p, FAKE_KVM, FAKE_VM, &o), 0);
	assert_int_equal(kvmprof_apply_vm(&c->vm, &c->rep), 0);
	return c;
}

static void stop(struct ctx *c)
{
	kvmprof_vm_fini(&c->vm);
	free(c);
}

static const char *why(const struct kvmprof_result *r)
{
	static char buf[256];

	kvmprof_result_reason(r, buf, sizeof(buf));
	return buf;
}

#ifdef __x86_64__
/* arm64 needs kvmprof_apply_vcpu_init first; the fake tests run on x86. */
static const struct kvmprof_entry regs3[] = {
	{ .name = "REG_A", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_A,
	  .value = 0xa, .mask = 0xff },
	{ .name = "REG_B", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_B,
	  .value = 0xb, .mask = 0xff },
	{ .name = "REG_C", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_C,
	  .value = 0xc, .mask = 0xff },
};
static const struct kvmprof_profile regs3_profile = RT_PROFILE(RT_HOST_ARCH, regs3, 0, 0, 3, 0);

static void test_fake_einval_mid_sequence_strict(void **state)
{
	struct ctx *c = start(&regs3_profile, 0);

	(void)state;
	fk.fail_set_reg_b = 1;
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), KVMPROF_ERR_REJECTED);
	rt_print_report(&c->rep);
	assert_int_equal(c->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_true(c->res[0].written);
	assert_int_equal(c->res[1].outcome, KVMPROF_OUT_REJECTED);
	assert_int_equal(c->res[1].err, -EINVAL);
	assert_false(c->res[1].written);
	assert_string_equal(why(&c->res[1]), "REG_B: KVM refused 0x220b: invalid argument");
	assert_int_equal(c->res[2].outcome, KVMPROF_OUT_NOT_ATTEMPTED);
	assert_int_equal(fk.regs[2], 0x3333); /* untouched, as the report says */
	assert_int_equal(c->rep.n_written, 1);
	stop(c);
}

static void test_fake_einval_mid_sequence_lenient(void **state)
{
	struct ctx *c = start(&regs3_profile, KVMPROF_LENIENT);

	(void)state;
	fk.fail_set_reg_b = 1;
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	assert_int_equal(c->res[1].outcome, KVMPROF_OUT_REJECTED);
	assert_int_equal(c->res[2].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(fk.regs[2], 0x330c);
	assert_int_equal(c->rep.n_written, 2);
	stop(c);
}

static void test_fake_readback_differs(void **state)
{
	struct ctx *c = start(&regs3_profile, 0);

	(void)state;
	fk.stale_reg_c = 1;
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), KVMPROF_ERR_READBACK);
	assert_int_equal(c->res[2].outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_true(c->res[2].written);
	assert_string_equal(why(&c->res[2]), "REG_C: wrote 0x330c, kernel reads back 0x3333");
	stop(c);
}

static const struct kvmprof_entry msrs3[] = {
	{ .name = "MSR_X", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_X,
	  .value = 1, .mask = ~0ull },
	{ .name = "MSR_Y", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_Y,
	  .value = 2, .mask = ~0ull },
	{ .name = "MSR_Z", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_Z,
	  .value = 3, .mask = ~0ull },
};
static const struct kvmprof_profile msrs3_profile = RT_PROFILE(RT_HOST_ARCH, msrs3, 0, 0, 3, 0);

static void test_fake_short_set_msrs(void **state)
{
	struct ctx *c = start(&msrs3_profile, KVMPROF_LENIENT);

	(void)state;
	fk.msrs_accept = 1; /* every KVM_SET_MSRS stops after its first MSR */
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	rt_print_report(&c->rep);
	assert_int_equal(c->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(c->res[1].outcome, KVMPROF_OUT_REJECTED);
	assert_int_equal(c->res[2].outcome, KVMPROF_OUT_APPLIED); /* retried after the refused one */
	assert_int_equal(fk.n_set_msrs, 2);
	assert_int_equal(fk.msrs[2], 3);
	stop(c);
}

/* More feature MSRs than one KVM_GET_MSRS batch (64), one of them unreadable:
 * all are known as feature MSRs, the unreadable one offering nothing. */
static const struct kvmprof_entry feature_msrs[] = {
	{ .name = "FEATURE_68", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = FEATURE_MSR(68),
	  .value = 0x40, .mask = 0x40 }, /* 68 + 1 = 0x45 offers bit 6 */
	{ .name = "FEATURE_66", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = FEATURE_MSR(66),
	  .value = 0x1, .mask = 0x1 },   /* unreadable: offers nothing */
	{ .name = "FEATURE_67", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = FEATURE_MSR(67),
	  .value = 0x8, .mask = 0x8 },   /* 67 + 1 = 0x44 lacks bit 3 */
};
static const struct kvmprof_profile feature_msrs_profile = RT_PROFILE(RT_HOST_ARCH, feature_msrs, 0, 0, 3, 0);

static void test_fake_many_feature_msrs(void **state)
{
	struct ctx *c;

	(void)state;
	fk.n_feature_msrs = 70;
	fk.feature_unreadable = 66 + 1;
	c = start(&feature_msrs_profile, KVMPROF_LENIENT);
	assert_int_equal(kvmprof_check(&c->vm, KVMPROF_PHASE_VCPU_REGS, FAKE_VCPU, &c->rep), KVMPROF_ERR_UNSUPPORTED);
	rt_print_report(&c->rep);
	/* found past the first batch, its bit offered (the fake vCPU cannot read it: ENOENT, not EOPNOTSUPP) */
	assert_int_not_equal(c->res[0].err, -EOPNOTSUPP);
	assert_int_equal(c->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(c->res[1].err, -EOPNOTSUPP);                      /* a feature MSR offering 0 */
	assert_int_equal(c->res[2].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(c->res[2].before, 68);
	stop(c);
}

/* KVM_GET_MSRS stops at an MSR the vCPU cannot read: the one after it is
 * still read (alone), on validation and on verification alike. */
static const struct kvmprof_entry msrs3_bits[] = {
	{ .name = "MSR_X", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_X,
	  .value = 0x10, .mask = 0x10 },
	{ .name = "MSR_Y", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_Y,
	  .value = 0x20, .mask = 0x20, .flags = KVMPROF_ENTRY_OPTIONAL },
	{ .name = "MSR_Z", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = MSR_Z,
	  .value = 0x40, .mask = 0x40 },
};
static const struct kvmprof_profile msrs3_bits_profile = RT_PROFILE(RT_HOST_ARCH, msrs3_bits, 0, 0, 3, 0);

static void test_fake_msr_unreadable_mid_batch(void **state)
{
	struct ctx *c = start(&msrs3_bits_profile, 0);

	(void)state;
	fk.msrs[0] = 0x1;
	fk.msrs[2] = 0x2;
	fk.msr_unreadable = 2; /* MSR_Y */
	assert_int_equal(kvmprof_check(&c->vm, KVMPROF_PHASE_VCPU_REGS, FAKE_VCPU, &c->rep), 0);
	rt_print_report(&c->rep);
	assert_int_equal(fk.n_get_msrs, 3); /* the batch (stops at MSR_Y), MSR_Y alone, MSR_Z alone */
	assert_int_equal(c->res[0].before, 0x1);
	assert_int_equal(c->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(c->res[1].err, -ENOENT);
	assert_int_equal(c->res[2].before, 0x2);
	assert_int_equal(c->res[2].wanted, 0x42);

	fk.n_get_msrs = 0;
	fk.msrs[0] = 0x10;
	fk.msrs[2] = 0x2; /* MSR_Z lacks its bit */
	kvmprof_report_reset(&c->rep);
	assert_int_equal(kvmprof_verify_vcpu(&c->vm, FAKE_VCPU, 0, &c->rep), KVMPROF_ERR_READBACK);
	rt_print_report(&c->rep);
	assert_int_equal(fk.n_get_msrs, 3);
	assert_int_equal(c->res[0].outcome, KVMPROF_OUT_VERIFIED);
	assert_int_equal(c->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(c->res[1].err, -ENOENT);
	assert_int_equal(c->res[2].outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(c->res[2].after, 0x2);
	stop(c);
}

static void test_fake_one_batch(void **state)
{
	struct ctx *c = start(&msrs3_profile, 0);

	(void)state;
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	assert_int_equal(fk.n_set_msrs, 1); /* all three in one KVM_SET_MSRS */
	assert_int_equal(c->rep.n_written, 3);
	stop(c);
}

static void test_fake_eintr(void **state)
{
	struct ctx *c = start(&msrs3_profile, 0);

	(void)state;
	fk.eintr_req = KVM_SET_MSRS;
	fk.eintr_left = 3; /* retried: the call succeeds */
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	assert_int_equal(c->rep.n_written, 3);
	stop(c);

	setup(state);
	c = start(&msrs3_profile, 0);
	fk.eintr_req = KVM_SET_MSRS;
	fk.eintr_left = 1000; /* a signal storm: bounded retries, -EINTR */
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), -EINTR);
	assert_int_equal(c->rep.n_written, 0);
	stop(c);
}
/* A refusal across fields: the probe of one field must not claim a range
 * that does not explain it (seen: "CLIDR_EL1.ICB=2: this kernel accepts
 * 0..7 only" when set_clidr() refused LoC against CTR_EL0.IDC). */
static const struct kvmprof_field d_fields[] = {
	{ .name = "X", .shift = 4, .width = 4, .policy = KVMPROF_POLICY_EXACT },
	{ .name = "Y", .shift = 0, .width = 4, .policy = KVMPROF_POLICY_EXACT },
};
static const struct kvmprof_entry d20_entries[] = { /* X 1 -> 2, Y 1 -> 0 */
	{ .name = "REG_D", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_D,
	  .value = 0x20, .mask = 0xff, .fields = d_fields, .n_fields = 2 },
};
static const struct kvmprof_profile d20_profile = RT_PROFILE(RT_HOST_ARCH, d20_entries, 0, 0, 1, 0);
static const struct kvmprof_entry d50_entries[] = { /* X 1 -> 5, Y 1 -> 0 */
	{ .name = "REG_D", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_D,
	  .value = 0x50, .mask = 0xff, .fields = d_fields, .n_fields = 2 },
};
static const struct kvmprof_profile d50_profile = RT_PROFILE(RT_HOST_ARCH, d50_entries, 0, 0, 1, 0);

static void test_fake_probe_cross_field(void **state)
{
	struct ctx *c;

	(void)state;
	/* only the rule across X and Y: every X alone is accepted */
	fk.d_cross = 1;
	c = start(&d20_profile, KVMPROF_LENIENT);
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	rt_print_report(&c->rep);
	assert_int_equal(c->res[0].outcome, KVMPROF_OUT_REJECTED);
	assert_int_equal(c->res[0].field, 0);
	assert_true(c->res[0].accepted_lo > c->res[0].accepted_hi);
	assert_string_equal(why(&c->res[0]), "REG_D: KVM refused 0x20 (invalid argument), a combination of the fields "
					     "the profile changed (X=2, Y=0): no single field's accepted range explains it");
	assert_int_equal(fk.regs[3], 0x11); /* probing restored the default */
	stop(c);

	/* only X's own limit: the range is honest, X=3 with Y=0 is accepted */
	setup(state);
	fk.d_x_max = 3;
	c = start(&d50_profile, KVMPROF_LENIENT);
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	assert_int_equal(c->res[0].field, 1);
	assert_int_equal(c->res[0].accepted_lo, 0);
	assert_int_equal(c->res[0].accepted_hi, 3);
	assert_string_equal(why(&c->res[0]), "REG_D.X=5: this kernel accepts 0..3 only");
	assert_int_equal(fk.regs[3], 0x11);
	stop(c);

	/* both: X=3 alone is accepted, but not with Y=0: no range claimed */
	setup(state);
	fk.d_x_max = 3;
	fk.d_cross = 1;
	c = start(&d50_profile, KVMPROF_LENIENT);
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	assert_int_equal(c->res[0].field, 0);
	assert_null(strstr(why(&c->res[0]), "accepts"));
	assert_non_null(strstr(why(&c->res[0]), "(X=5, Y=0)"));
	assert_int_equal(fk.regs[3], 0x11);
	stop(c);
}
#endif

/* ---- devices: narrow-field probing, EBUSY before init ---- */

static const struct kvmprof_field iidr_fields[] = {
	{ .name = "Revision", .shift = 12, .width = 4, .policy = KVMPROF_POLICY_EXACT },
};
static const struct kvmprof_entry dev_entries[] = {
	{ .name = "GICD_IIDR", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = 3, .width = 32,
	  .group = 1 /* KVM_DEV_ARM_VGIC_GRP_DIST_REGS */, .aux = 7 /* KVM_DEV_TYPE_ARM_VGIC_V3 */,
	  .id = IIDR_ATTR, .value = 1u << 12, .mask = 0xf000, .fields = iidr_fields, .n_fields = 1 },
};
static const struct kvmprof_profile dev_profile = RT_PROFILE(RT_HOST_ARCH, dev_entries, 0, 0, 0, 1);
static const struct kvmprof_entry dev2_entries[] = {
	{ .name = "GICD_IIDR", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = 3, .width = 32,
	  .group = 1, .aux = 7, .id = IIDR_ATTR, .value = 2u << 12, .mask = 0xf000,
	  .fields = iidr_fields, .n_fields = 1 },
};
static const struct kvmprof_profile dev2_profile = RT_PROFILE(RT_HOST_ARCH, dev2_entries, 0, 0, 0, 1);

static void test_fake_device_probe_range(void **state)
{
	struct ctx *c = start(&dev_profile, 0);

	(void)state;
	assert_int_equal(kvmprof_apply_devices(&c->vm, FAKE_DEV, &c->rep), KVMPROF_ERR_REJECTED);
	rt_print_report(&c->rep);
	assert_int_equal(c->res[0].outcome, KVMPROF_OUT_REJECTED);
	assert_int_equal(c->res[0].accepted_lo, 2);
	assert_int_equal(c->res[0].accepted_hi, 3);
	assert_int_equal(c->res[0].field, 1);
	assert_false(c->res[0].written);
	assert_string_equal(why(&c->res[0]), "GICD_IIDR.Revision=1: this kernel accepts 2..3 only");
	assert_int_equal(fk.iidr, 0x4b00343b); /* probing restored the default */
	stop(c);

	setup(state);
	c = start(&dev2_profile, 0);
	assert_int_equal(kvmprof_apply_devices(&c->vm, FAKE_DEV, &c->rep), 0);
	assert_int_equal(c->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(fk.iidr, 0x4b00243b);
	stop(c);
}

static void test_fake_device_before_init(void **state)
{
	struct ctx *c = start(&dev2_profile, 0);

	(void)state;
	fk.dev_busy = 1;
	assert_int_equal(kvmprof_apply_devices(&c->vm, FAKE_DEV, &c->rep), KVMPROF_ERR_PHASE);
	assert_int_equal(c->res[0].err, -EBUSY);
	assert_int_equal(c->rep.n_written, 0);
	{
		char reason[256];
		kvmprof_result_reason(&c->res[0], reason, sizeof(reason));
		/* says what to do, and never claims a value was refused */
		assert_non_null(strstr(reason, "after KVM_DEV_ARM_VGIC_CTRL_INIT; nothing written"));
		assert_null(strstr(reason, "refused 0x0"));
	}
	stop(c);
}

/* ---- policies ---- */

static const struct kvmprof_field signed_field[] = {
	{ .name = "FP", .shift = 16, .width = 4, .policy = KVMPROF_POLICY_AT_MOST,
	  .flags = KVMPROF_FIELD_SIGNED },
	{ .name = "AES", .shift = 4, .width = 4, .policy = KVMPROF_POLICY_AT_MOST },
};
static const struct kvmprof_entry at_most_entries[] = {
	/* REG_A default 0x1111: FP (signed) 1 -> at most 0xf (-1): lowered to 0xf;
	 * AES 1 -> at most 2: stays 1 */
	{ .name = "ID_REG", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = REG_A,
	  .policy = KVMPROF_POLICY_AT_MOST, .value = 0xf0020, .mask = 0xf00f0,
	  .fields = signed_field, .n_fields = 2 },
};
static const struct kvmprof_profile at_most_profile =
	RT_PROFILE(RT_HOST_ARCH, at_most_entries, 0, 0, 1, 0);

static void test_fake_at_most_signed(void **state)
{
#ifdef __x86_64__
	struct ctx *c;

	(void)state;
	fk.regs[0] = 0x11111;
	c = start(&at_most_profile, 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&c->vm, FAKE_VCPU, &c->rep), 0);
	rt_print_report(&c->rep);
	assert_int_equal(c->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(fk.regs[0], 0xf1111);
	stop(c);
#else
	(void)state;
	printf("SKIP: the fake ONE_REG at-most test is written for x86_64 builds\n");
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef __x86_64__
		cmocka_unit_test_setup_teardown(test_fake_einval_mid_sequence_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_einval_mid_sequence_lenient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_readback_differs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_short_set_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_one_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_msr_unreadable_mid_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_many_feature_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_probe_cross_field, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_fake_device_probe_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_device_before_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_at_most_signed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
