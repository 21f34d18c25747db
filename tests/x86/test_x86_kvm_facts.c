/* SPDX-License-Identifier: MIT */
/*
 * test_x86_kvm_facts.c - raw facts of upstream kvm_amd, asserted per kernel
 * series, straight through ioctl(2) (no kvmprof code): what the profiles
 * and the runtime rely on. Run inside a Debian amd64 guest under
 * qemu-system-x86_64 TCG -cpu max by tests/suites/x86-kvm-amd.sh
 * (tests/qemu/boot-x86.sh). The series to expect comes from the kernel
 * command line as KVMPROF_EXPECT_SERIES=6.1|6.12; without it (e.g. run
 * on another host's /dev/kvm) the tests print their facts and skip, saying
 * so.
 *
 * Expected values: /work/shared/real-kvm.md ("x86_64: upstream kvm_amd 6.1
 * and 6.12, inside a TCG guest"), measured on 6.1.192 and 6.12.117.
 * Every fact is also printed as "fact: NAME VALUE" for the suite's log.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <cmocka.h>

/* Capabilities newer than the installed 6.1 headers
 * (include/uapi/linux/kvm.h of v6.12). */
#ifndef KVM_CAP_X86_APIC_BUS_CYCLES_NS
#define KVM_CAP_X86_APIC_BUS_CYCLES_NS 237 /* v6.11 */
#endif

/* MSR indices: Intel SDM vol. 4 (0x8b IA32_BIOS_SIGN_ID = microcode
 * revision, 0x10a IA32_ARCH_CAPABILITIES, 0x345 IA32_PERF_CAPABILITIES);
 * AMD APM vol. 2 (0xc0011029 DE_CFG). */
#define MSR_IA32_UCODE_REV 0x8bu
#define MSR_IA32_ARCH_CAPABILITIES 0x10au
#define MSR_IA32_PERF_CAPABILITIES 0x345u
#define MSR_AMD64_DE_CFG 0xc0011029u

struct series_facts {
	const char *series;
	int quirks2;       /* KVM_CHECK_EXTENSION(KVM_CAP_DISABLE_QUIRKS2) */
	int x2apic_api;    /* KVM_CHECK_EXTENSION(KVM_CAP_X2APIC_API) */
	int apic_bus_ns;   /* KVM_CAP_X86_APIC_BUS_CYCLES_NS */
	int max_vcpus;     /* KVM_CAP_MAX_VCPUS */
	int supported_cpuid;
	int msr_index_list;
};

/* real-kvm.md, table "Seen (guest-visible defaults and capabilities)". */
static const struct series_facts expected_facts[] = {
	{ "6.1", 0x7f, 0x3, 0, 1024, 30, 97 },
	{ "6.12", 0x7ff, 0x3, 1, 4096, 30, 73 },
};

static const struct series_facts *expected(void)
{
	const char *s = getenv("KVMPROF_EXPECT_SERIES");

	for (size_t i = 0; s && i < sizeof(expected_facts) / sizeof(expected_facts[0]); i++)
		if (strcmp(s, expected_facts[i].series) == 0)
			return &expected_facts[i];
	return NULL;
}

struct kvm_fixture {
	int kvm, vm;
};

static int setup(void **state)
{
	static struct kvm_fixture f;

	f.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (f.kvm < 0) {
		printf("cannot open /dev/kvm: %s\n", strerror(errno));
		return -1;
	}
	f.vm = ioctl(f.kvm, KVM_CREATE_VM, 0);
	if (f.vm < 0) {
		printf("KVM_CREATE_VM: %s\n", strerror(errno));
		close(f.kvm);
		return -1;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct kvm_fixture *f = *state;

	close(f->vm);
	close(f->kvm);
	return 0;
}

/* Skips the calling test when the series is unknown, after saying why. */
#define EXPECTED_OR_SKIP(e)                                                                   \
	do {                                                                                  \
		(e) = expected();                                                             \
		if (!(e)) {                                                                   \
			printf("SKIP: KVMPROF_EXPECT_SERIES is not 6.1 or 6.12: no expectation\n"); \
			skip();                                                               \
		}                                                                             \
	} while (0)

static void test_api_version(void **state)
{
	struct kvm_fixture *f = *state;

	/* KVM_API_VERSION has been 12 since Linux 2.6.22 (api.rst 4.1). */
	assert_int_equal(ioctl(f->kvm, KVM_GET_API_VERSION, 0), 12);
}

static void test_disable_quirks2(void **state)
{
	struct kvm_fixture *f = *state;
	const struct series_facts *e;
	int sys = ioctl(f->kvm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	int vm = ioctl(f->vm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);

	printf("fact: KVM_CAP_DISABLE_QUIRKS2 system 0x%x vm 0x%x\n", sys, vm);
	EXPECTED_OR_SKIP(e);
	assert_int_equal(sys, e->quirks2);
	assert_int_equal(vm, e->quirks2);
}

static void test_x2apic_api(void **state)
{
	struct kvm_fixture *f = *state;
	const struct series_facts *e;
	int sys = ioctl(f->kvm, KVM_CHECK_EXTENSION, KVM_CAP_X2APIC_API);
	int vm = ioctl(f->vm, KVM_CHECK_EXTENSION, KVM_CAP_X2APIC_API);

	printf("fact: KVM_CAP_X2APIC_API system 0x%x vm 0x%x\n", sys, vm);
	EXPECTED_OR_SKIP(e);
	/* Upstream, unlike PVM, answers the same on both fds. */
	assert_int_equal(sys, e->x2apic_api);
	assert_int_equal(vm, e->x2apic_api);
}

static void test_other_caps(void **state)
{
	struct kvm_fixture *f = *state;
	const struct series_facts *e;
	int one_reg = ioctl(f->vm, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG);
	int bus_ns = ioctl(f->vm, KVM_CHECK_EXTENSION, KVM_CAP_X86_APIC_BUS_CYCLES_NS);
	int max_vcpus = ioctl(f->vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	int features = ioctl(f->kvm, KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES);

	printf("fact: KVM_CAP_ONE_REG %d KVM_CAP_X86_APIC_BUS_CYCLES_NS %d KVM_CAP_MAX_VCPUS %d "
	       "KVM_CAP_GET_MSR_FEATURES %d\n",
	       one_reg, bus_ns, max_vcpus, features);
	EXPECTED_OR_SKIP(e);
	assert_int_equal(one_reg, 0); /* x86 ONE_REG came after 6.12 */
	assert_int_equal(bus_ns, e->apic_bus_ns);
	assert_int_equal(max_vcpus, e->max_vcpus);
	assert_int_equal(features, 1);
}

/* KVM_GET_MSR_FEATURE_INDEX_LIST on /dev/kvm, then each value with
 * KVM_GET_MSRS on /dev/kvm (api.rst 4.3: system ioctl for feature MSRs). */
static void test_feature_msrs(void **state)
{
	struct kvm_fixture *f = *state;
	const struct series_facts *e;
	struct {
		struct kvm_msr_list h;
		uint32_t idx[64];
	} list = { .h.nmsrs = 64 };
	const uint32_t wanted[] = { MSR_AMD64_DE_CFG, MSR_IA32_UCODE_REV, MSR_IA32_ARCH_CAPABILITIES,
				    MSR_IA32_PERF_CAPABILITIES };

	assert_int_equal(ioctl(f->kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, &list), 0);
	printf("fact: feature MSRs (%u):", list.h.nmsrs);
	for (uint32_t i = 0; i < list.h.nmsrs; i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e;
		} m = { .h.nmsrs = 1, .e.index = list.idx[i] };
		int n = ioctl(f->kvm, KVM_GET_MSRS, &m);

		if (n == 1)
			printf(" 0x%x=0x%llx", list.idx[i], (unsigned long long)m.e.data);
		else
			printf(" 0x%x=(unreadable)", list.idx[i]);
	}
	printf("\n");
	EXPECTED_OR_SKIP(e);
	/* Both series: c0011029 8b 10a 345, in that order (real-kvm.md). */
	assert_int_equal(list.h.nmsrs, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(list.idx[i], wanted[i]);
}

static void test_msr_index_list(void **state)
{
	struct kvm_fixture *f = *state;
	const struct series_facts *e;
	struct kvm_msr_list probe = { .nmsrs = 0 };

	/* nmsrs = 0 gets E2BIG and the count (api.rst 4.3). */
	assert_int_equal(ioctl(f->kvm, KVM_GET_MSR_INDEX_LIST, &probe), -1);
	assert_int_equal(errno, E2BIG);
	printf("fact: KVM_GET_MSR_INDEX_LIST %u entries\n", probe.nmsrs);
	EXPECTED_OR_SKIP(e);
	assert_int_equal(probe.nmsrs, e->msr_index_list);
}

static struct {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[256];
} cpuid;

static const struct kvm_cpuid_entry2 *find_leaf(uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < cpuid.h.nent; i++)
		if (cpuid.e[i].function == fn && cpuid.e[i].index == idx)
			return &cpuid.e[i];
	return NULL;
}

static void test_supported_cpuid(void **state)
{
	struct kvm_fixture *f = *state;
	const struct series_facts *e;
	const struct kvm_cpuid_entry2 *l1, *l7;

	cpuid.h.nent = 256;
	assert_int_equal(ioctl(f->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid), 0);
	l1 = find_leaf(1, 0);
	l7 = find_leaf(7, 0);
	assert_non_null(l1);
	assert_non_null(l7);
	printf("fact: KVM_GET_SUPPORTED_CPUID %u entries; 1.ECX 0x%08x 1.EDX 0x%08x 7.0.EBX 0x%08x 7.0.ECX 0x%08x\n",
	       cpuid.h.nent, l1->ecx, l1->edx, l7->ebx, l7->ecx);
	/* What tests/x86/profiles rely on: X2APIC (1.ECX[21]) is offered (KVM
	 * emulates it), AVX512F (7.0.EBX[16]) is not (QEMU's TCG has no
	 * AVX-512). Intel SDM vol. 2A, CPUID Table 3-8 / 3-10. */
	assert_true(l1->ecx & (1u << 21));
	assert_false(l7->ebx & (1u << 16));
	EXPECTED_OR_SKIP(e);
	assert_int_equal(cpuid.h.nent, e->supported_cpuid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_version),
		cmocka_unit_test(test_disable_quirks2),
		cmocka_unit_test(test_x2apic_api),
		cmocka_unit_test(test_other_caps),
		cmocka_unit_test(test_feature_msrs),
		cmocka_unit_test(test_msr_index_list),
		cmocka_unit_test(test_supported_cpuid),
	};
	const char *s = getenv("KVMPROF_EXPECT_SERIES");

	printf("x86 kvm facts: expecting series %s\n", s ? s : "(none)");
	return cmocka_run_group_tests_name("x86_kvm_amd_facts", tests, setup, teardown);
}
