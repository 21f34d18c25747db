/* SPDX-License-Identifier: MIT */
/* test_rt_report.c - names, error texts, reasons and policies of libkvmprof,
 * without a kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rt_fixtures.h"

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(kvmprof_outcome_name(KVMPROF_OUT_APPLIED), "applied");
	assert_string_equal(kvmprof_outcome_name(KVMPROF_OUT_READBACK_DIFFERS), "readback-differs");
	assert_string_equal(kvmprof_outcome_name(99), "unknown");
	assert_string_equal(kvmprof_outcome_name(-1), "unknown");
	assert_string_equal(kvmprof_phase_name(KVMPROF_PHASE_VCPU_INIT), "vcpu-init");
	assert_string_equal(kvmprof_phase_name(7), "unknown");
	for (int e = KVMPROF_ERR_FACTS; e <= KVMPROF_ERR_ABI; e++)
		assert_string_not_equal(kvmprof_strerror(e), "unknown kvmprof error");
	assert_string_equal(kvmprof_strerror(-EBUSY), "device or resource busy");
	assert_string_equal(kvmprof_strerror(-5000), "unknown kvmprof error");
}

static const struct kvmprof_field rev[] = {
	{ .name = "Revision", .shift = 12, .width = 4 },
};
static const struct kvmprof_entry e_iidr = {
	.name = "GICD_IIDR", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = 3, .width = 32,
	.fields = rev, .n_fields = 1, .value = 0x1000, .mask = 0xf000,
};

static void test_reason_truncation(void **state)
{
	struct kvmprof_result r = {
		.entry = &e_iidr, .outcome = KVMPROF_OUT_REJECTED, .field = 1, .err = -EINVAL,
		.wanted = 0x4b00143b, .before = 0x4b00343b, .accepted_lo = 2, .accepted_hi = 3,
	};
	const char *full = "GICD_IIDR.Revision=1: this kernel accepts 2..3 only";
	char small[10], big[128];

	(void)state;
	assert_int_equal(kvmprof_result_reason(&r, big, sizeof(big)), (int)strlen(full));
	assert_string_equal(big, full);
	assert_int_equal(kvmprof_result_reason(&r, small, sizeof(small)), (int)strlen(full));
	assert_string_equal(small, "GICD_IIDR"); /* 9 chars and the NUL */
	assert_int_equal(kvmprof_result_reason(&r, NULL, 0), (int)strlen(full));
	r.accepted_lo = 1; /* unknown range: errno text instead */
	r.accepted_hi = 0;
	kvmprof_result_reason(&r, big, sizeof(big));
	assert_string_equal(big, "GICD_IIDR: KVM refused 0x4b00143b: invalid argument");
	r.outcome = KVMPROF_OUT_UNSUPPORTED;
	r.err = -EPERM;
	kvmprof_result_reason(&r, big, sizeof(big));
	assert_non_null(strstr(big, "GICD_IIDR.Revision: not writable on this kernel"));
}

static const struct kvmprof_entry two[] = {
	{ .name = "a", .kind = KVMPROF_KIND_ENABLE_CAP, .phase = 0 },
	{ .name = "b", .kind = KVMPROF_KIND_MSR, .phase = 2 },
};
static const struct kvmprof_profile two_profile = RT_PROFILE(RT_HOST_ARCH, two, 1, 0, 1, 0);

static void test_phase_count_and_reset(void **state)
{
	struct kvmprof_result res[2];
	struct kvmprof_report rep = { .results = res, .capacity = 2, .count = 2, .n_ok = 1,
				      .n_failed = 1, .n_written = 1 };

	(void)state;
	assert_int_equal(kvmprof_profile_phase_count(&two_profile, -1), 2);
	assert_int_equal(kvmprof_profile_phase_count(&two_profile, KVMPROF_PHASE_VM), 1);
	assert_int_equal(kvmprof_profile_phase_count(&two_profile, KVMPROF_PHASE_VCPU_INIT), 0);
	assert_int_equal(kvmprof_profile_phase_count(&two_profile, KVMPROF_PHASE_VCPU_REGS), 1);
	assert_int_equal(kvmprof_profile_phase_count(&two_profile, 9), 0);
	assert_int_equal(kvmprof_profile_phase_count(NULL, 0), 0);
	kvmprof_report_reset(&rep);
	assert_int_equal(rep.count + rep.n_ok + rep.n_failed + rep.n_written, 0);
	assert_ptr_equal(rep.results, res);
}

static void test_result_failed(void **state)
{
	static const struct kvmprof_entry plain = { .name = "R", .kind = KVMPROF_KIND_ONE_REG };
	static const struct kvmprof_entry optional = { .name = "O", .kind = KVMPROF_KIND_ONE_REG,
						       .flags = KVMPROF_ENTRY_OPTIONAL };
	struct kvmprof_result r = { .entry = &plain };

	(void)state;
	for (int o = KVMPROF_OUT_NOT_ATTEMPTED; o <= KVMPROF_OUT_CHECK_OK; o++) {
		r.outcome = (uint8_t)o;
		r.entry = &plain;
		assert_int_equal(kvmprof_result_failed(&r), o == KVMPROF_OUT_UNSUPPORTED ||
							     o == KVMPROF_OUT_REJECTED ||
							     o == KVMPROF_OUT_READBACK_DIFFERS);
		r.entry = &optional; /* an optional entry the kernel lacks does not fail */
		assert_int_equal(kvmprof_result_failed(&r), o == KVMPROF_OUT_REJECTED ||
							     o == KVMPROF_OUT_READBACK_DIFFERS);
	}
	assert_int_equal(kvmprof_result_failed(NULL), 0);
}

static void test_bad_arguments(void **state)
{
	static struct kvmprof_vm vm;
	struct kvmprof_report rep = { 0 };

	(void)state;
	assert_int_equal(kvmprof_vm_init(NULL, &two_profile, -1, 3, NULL), KVMPROF_ERR_INVAL);
	assert_int_equal(kvmprof_vm_init(&vm, NULL, -1, 3, NULL), KVMPROF_ERR_INVAL);
	/* an uninitialised context is refused, not used */
	assert_int_equal(kvmprof_apply_vm(&vm, &rep), KVMPROF_ERR_INVAL);
	assert_int_equal(kvmprof_check(&vm, 0, 3, &rep), KVMPROF_ERR_INVAL);
	kvmprof_vm_fini(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_reason_truncation),
		cmocka_unit_test(test_phase_count_and_reset),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_result_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
