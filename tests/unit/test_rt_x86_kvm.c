/* SPDX-License-Identifier: MIT */
/*
 * test_rt_x86_kvm.c - libkvmprof against this machine's real /dev/kvm
 * (x86_64; PVM here, see /work/shared/real-kvm.md). Real backend only.
 * Profiles are hand-built tables (later they come from `kvmprof compile`).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <cmocka.h>

#include "rt_fixtures.h"

#ifndef __x86_64__
int main(void)
{
	printf("SKIP: x86_64 only\n");
	return 0;
}
#else

#define X86_ONE_REG_MSR(msr) (0x2030000200000000ull | (msr)) /* KVM_REG_X86 | U64 | MSR type 2 */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_ADJUST 0x3b
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_PLATFORM_INFO 0xce
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_CR_PAT 0x277

#define CPUID_ID(fn, idx) (((uint64_t)(fn) << 32) | (idx))

struct vmfix {
	int kvm, vm;
	struct kvmprof_vm ctx;
	struct kvmprof_result res[64];
	struct kvmprof_report rep;
};

/* A maximum basic leaf that this host's KVM_GET_SUPPORTED_CPUID does not
 * report, so that stating it is a write: 0xd, or 0xb where the host offers
 * 0xd (hosts differ; one of this project's PVM hosts offers 0xd). */
static uint32_t max_leaf_unlike_host(int kvm)
{
	union {
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + 256 * sizeof(struct kvm_cpuid_entry2)];
	} c;

	memset(&c, 0, sizeof(c));
	c.h.nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &c) < 0)
		return 0xd;
	for (uint32_t i = 0; i < c.h.nent; i++)
		if (c.h.entries[i].function == 0)
			return c.h.entries[i].eax == 0xd ? 0xb : 0xd;
	return 0xd;
}

static struct vmfix *fix_open(void)
{
	struct vmfix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	if (rt_open_vm(&f->kvm, &f->vm) < 0) {
		free(f);
		return NULL;
	}
	f->rep.results = f->res;
	f->rep.capacity = 64;
	return f;
}

static void fix_close(struct vmfix *f)
{
	kvmprof_vm_fini(&f->ctx);
	close(f->vm);
	close(f->kvm);
	free(f);
}

static int fix_init(struct vmfix *f, const struct kvmprof_profile *p, uint32_t flags)
{
	struct kvmprof_opts o = { .sz = sizeof(o), .flags = flags };

	return kvmprof_vm_init(&f->ctx, p, f->kvm, f->vm, &o);
}

static uint64_t msr_get(int vcpu, uint32_t msr)
{
	union { /* not a struct: no member may follow a flexible array in ISO C (clang) */
		struct kvm_msrs h;
		unsigned char bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.h.entries[0].index = msr;
	assert_int_equal(ioctl(vcpu, KVM_GET_MSRS, &m), 1);
	return m.h.entries[0].data;
}

static const char *reason(const struct kvmprof_result *r)
{
	static char buf[256];

	kvmprof_result_reason(r, buf, sizeof(buf));
	return buf;
}

#define SKIP_IF_NO_KVM(f) \
	do {              \
		if (!(f)) \
			skip(); \
	} while (0)

/* ---- VM phase ---- */

static const struct kvmprof_entry vm_entries[] = {
	{ .name = "quirk LINT0_REENABLED off", .kind = KVMPROF_KIND_QUIRKS, .phase = 0,
	  .value = 0x1, .mask = 0x1 },
	{ .name = "x2apic 32-bit ids", .kind = KVMPROF_KIND_X2APIC_API, .phase = 0,
	  .value = 0x3, .mask = 0x3 },
	{ .name = "KVM_CAP_MAX_VCPU_ID", .kind = KVMPROF_KIND_ENABLE_CAP, .phase = 0,
	  .id = KVM_CAP_MAX_VCPU_ID, .args = { 128 } },
	{ .name = "never here", .kind = KVMPROF_KIND_ENABLE_CAP, .phase = 0, .id = 99999,
	  .requires = &rt_false },
	{ .name = "no quirks to disable", .kind = KVMPROF_KIND_QUIRKS, .phase = 0,
	  .value = 0, .mask = 0x2 },
};
static const struct kvmprof_profile vm_profile = RT_PROFILE(RT_HOST_ARCH, vm_entries, 5, 0, 0, 0);

static void test_vm_phase_applied(void **state)
{
	struct vmfix *f = fix_open();

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &vm_profile, 0), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	rt_print_report(&f->rep);
	assert_int_equal(f->rep.count, 5);
	assert_int_equal(f->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_true(f->res[0].written);
	assert_non_null(strstr(reason(&f->res[0]), "cannot read quirks back"));
	assert_int_equal(f->res[1].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(f->res[2].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(f->res[3].outcome, KVMPROF_OUT_SKIPPED_REQUIRES);
	assert_string_equal(reason(&f->res[3]), "never here: skipped, requires `false` is false on this kernel");
	assert_int_equal(f->res[4].outcome, KVMPROF_OUT_ALREADY_EQUAL);
	assert_int_equal(f->rep.n_ok, 5);
	assert_int_equal(f->rep.n_written, 3);
	/* once per VM */
	kvmprof_report_reset(&f->rep);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), KVMPROF_ERR_PHASE);
	fix_close(f);
}

/* PVM: KVM_CAP_X2APIC_API is 0xf on /dev/kvm but 0xb on a VM fd without a
 * split irqchip; bit 2 is then unsupported. Unknown caps are unsupported. */
static const struct kvmprof_entry vm_bad_entries[] = {
	{ .name = "quirk LINT0_REENABLED off", .kind = KVMPROF_KIND_QUIRKS, .phase = 0,
	  .value = 0x1, .mask = 0x1 },
	{ .name = "x2apic suppress-EOI", .kind = KVMPROF_KIND_X2APIC_API, .phase = 0,
	  .value = 0x4, .mask = 0x4 },
	{ .name = "cap 99999", .kind = KVMPROF_KIND_ENABLE_CAP, .phase = 0, .id = 99999 },
	{ .name = "quirk 1<<40", .kind = KVMPROF_KIND_QUIRKS, .phase = 0,
	  .value = 1ull << 40, .mask = 1ull << 40 },
	{ .name = "x2apic 32-bit ids", .kind = KVMPROF_KIND_X2APIC_API, .phase = 0,
	  .value = 0x1, .mask = 0x1 },
};
static const struct kvmprof_profile vm_bad_profile =
	RT_PROFILE(RT_HOST_ARCH, vm_bad_entries, 5, 0, 0, 0);

static void test_vm_phase_strict_unsupported(void **state)
{
	struct vmfix *f = fix_open();

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &vm_bad_profile, 0), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), KVMPROF_ERR_UNSUPPORTED);
	rt_print_report(&f->rep);
	/* validated before anything was written: nothing written */
	assert_int_equal(f->rep.n_written, 0);
	assert_int_equal(f->res[0].outcome, KVMPROF_OUT_NOT_ATTEMPTED);
	assert_int_equal(f->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[1].err, -EOPNOTSUPP);
	assert_int_equal(f->res[2].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[2].err, -ENOENT);
	assert_string_equal(reason(&f->res[2]),
			    "cap 99999: KVM_CAP 99999 is not offered by this kernel (KVM_CHECK_EXTENSION = 0)");
	assert_int_equal(f->res[3].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_non_null(strstr(reason(&f->res[3]), "bits 0x10000000000 are not offered"));
	assert_int_equal(f->res[4].outcome, KVMPROF_OUT_NOT_ATTEMPTED);
	assert_int_equal(f->rep.n_failed, 3);
	fix_close(f);
}

static void test_vm_phase_lenient(void **state)
{
	struct vmfix *f = fix_open();

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &vm_bad_profile, KVMPROF_LENIENT), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	rt_print_report(&f->rep);
	assert_int_equal(f->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(f->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[2].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[3].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[4].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(f->rep.n_written, 2);
	assert_int_equal(f->rep.n_failed, 3);
	fix_close(f);
}

/* real-kvm.md: the VM fd offers x2APIC flag bit 2 once a split irqchip
 * exists (0xb -> 0xf on PVM). Validation must ask the VM fd, at apply time. */
static const struct kvmprof_entry x2apic_entries[] = {
	{ .name = "x2apic suppress-EOI", .kind = KVMPROF_KIND_X2APIC_API, .phase = 0,
	  .value = 0x4, .mask = 0x4 },
};
static const struct kvmprof_profile x2apic_profile =
	RT_PROFILE(RT_HOST_ARCH, x2apic_entries, 1, 0, 0, 0);

static void test_x2apic_after_split_irqchip(void **state)
{
	struct vmfix *f = fix_open();
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	int offered;

	(void)state;
	SKIP_IF_NO_KVM(f);
	if (ioctl(f->vm, KVM_ENABLE_CAP, &split) < 0) {
		printf("SKIP: KVM_CAP_SPLIT_IRQCHIP: %s\n", strerror(errno));
		fix_close(f);
		skip();
	}
	offered = ioctl(f->vm, KVM_CHECK_EXTENSION, KVM_CAP_X2APIC_API);
	assert_int_equal(fix_init(f, &x2apic_profile, 0), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), (offered & 4) ? 0 : KVMPROF_ERR_UNSUPPORTED);
	rt_print_report(&f->rep);
	assert_int_equal(f->res[0].before, (uint64_t)offered);
	assert_int_equal(f->res[0].outcome, (offered & 4) ? KVMPROF_OUT_APPLIED : KVMPROF_OUT_UNSUPPORTED);
	fix_close(f);
}

/* ---- vCPU registers: CPUID, MSRs, ONE_REG ---- */

/* Not const: entry MAX_LEAF's value is chosen at run time (main()). */
static struct kvmprof_entry vcpu_entries[] = {
	/* CPUID.1.ECX bit 13 (CX16) cleared: applied */
	{ .name = "CPUID.0x1.0x0.ECX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 0, .mask = 1u << 13 },
	/* CPUID.1.ECX bit 31 (hypervisor) is 1 in KVM's table: already equal */
	{ .name = "CPUID.0x1.0x0.ECX.hypervisor", .kind = KVMPROF_KIND_CPUID, .phase = 2,
	  .width = 32, .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 1u << 31,
	  .mask = 1u << 31 },
	/* CPUID.0.EAX (max basic leaf) is not a feature register: as stated,
	 * a value unlike the host's (max_leaf_unlike_host()) */
	{ .name = "CPUID.0x0.0x0.EAX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EAX, .id = CPUID_ID(0, 0), .value = 0xd, .mask = 0xffffffff },
	{ .name = "SYSENTER_CS", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_SYSENTER_CS, .value = 0x10, .mask = ~0ull },
	{ .name = "PLATFORM_INFO", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_PLATFORM_INFO, .value = 0x80000000, .mask = 0x80000000 },
	{ .name = "PAT", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = X86_ONE_REG_MSR(MSR_IA32_CR_PAT), .value = 0x0007040600070404ull, .mask = ~0ull },
	{ .name = "skipped MSR", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x12345678, .value = 1, .mask = 1, .requires = &rt_false },
};
static const struct kvmprof_profile vcpu_profile =
	RT_PROFILE(RT_HOST_ARCH, vcpu_entries, 0, 0, 7, 0);
#define MAX_LEAF 2 /* vcpu_entries[MAX_LEAF]: CPUID.0x0.0x0.EAX */

static void test_vcpu_regs_applied(void **state)
{
	struct vmfix *f = fix_open();
	int vcpu;

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &vcpu_profile, 0), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	assert_int_equal(f->rep.count, 0);
	vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep), 0);
	rt_print_report(&f->rep);
	assert_int_equal(f->rep.count, 7);
	assert_int_equal(f->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(f->res[0].after & (1u << 13), 0);
	assert_int_equal(f->res[1].outcome, KVMPROF_OUT_ALREADY_EQUAL);
	assert_int_equal(f->res[2].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(f->res[2].after, vcpu_entries[MAX_LEAF].value);
	assert_int_equal(f->res[3].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(msr_get(vcpu, MSR_IA32_SYSENTER_CS), 0x10);
	assert_int_equal(f->res[4].outcome, KVMPROF_OUT_ALREADY_EQUAL);
	assert_int_equal(f->res[4].written, 0);
	assert_int_equal(f->res[5].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(msr_get(vcpu, MSR_IA32_CR_PAT), 0x0007040600070404ull);
	assert_string_equal(reason(&f->res[5]),
			    "PAT: set to 0x7040600070404 (was 0x7040600070406), read back 0x7040600070404");
	assert_int_equal(f->res[6].outcome, KVMPROF_OUT_SKIPPED_REQUIRES);
	assert_int_equal(f->rep.n_written, 4);
	/* After a vCPU phase, the VM phase is over. */
	kvmprof_report_reset(&f->rep);
	close(vcpu);
	fix_close(f);
}

static const struct kvmprof_entry unsupported_entries[] = {
	/* CPUID.1.ECX bit 16 is reserved: KVM never offers it */
	{ .name = "CPUID.0x1.0x0.ECX.bit16", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 1u << 16, .mask = 1u << 16 },
	{ .name = "CPUID.0x4fffffff", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EAX, .id = CPUID_ID(0x4fffffff, 0), .value = 1, .mask = 1 },
	{ .name = "MSR 0x12345678", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x12345678, .value = 1, .mask = 1 },
	{ .name = "ONE_REG MSR 0x999", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = X86_ONE_REG_MSR(0x999), .value = 1, .mask = 1 },
	{ .name = "SYSENTER_ESP", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_SYSENTER_ESP, .value = 0x20, .mask = ~0ull },
	{ .name = "MSR 0x777 (optional)", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x777, .value = 1, .mask = 1, .flags = KVMPROF_ENTRY_OPTIONAL },
};
static const struct kvmprof_profile unsupported_profile =
	RT_PROFILE(RT_HOST_ARCH, unsupported_entries, 0, 0, 6, 0);

static void test_vcpu_unsupported_strict_and_check(void **state)
{
	struct vmfix *f = fix_open();
	int vcpu;

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &unsupported_profile, 0), 0);
	vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	/* dry run first: changes nothing */
	assert_int_equal(kvmprof_check(&f->ctx, KVMPROF_PHASE_VCPU_REGS, vcpu, &f->rep),
			 KVMPROF_ERR_UNSUPPORTED);
	rt_print_report(&f->rep);
	assert_int_equal(f->res[4].outcome, KVMPROF_OUT_CHECK_OK);
	assert_int_equal(msr_get(vcpu, MSR_IA32_SYSENTER_ESP), 0);
	assert_int_equal(f->rep.n_written, 0);
	kvmprof_report_reset(&f->rep);

	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep), KVMPROF_ERR_UNSUPPORTED);
	rt_print_report(&f->rep);
	assert_int_equal(f->res[0].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[0].err, -EOPNOTSUPP);
	assert_int_equal(f->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_string_equal(reason(&f->res[1]),
			    "CPUID.0x4fffffff: leaf 0x4fffffff.0x0 is not in KVM_GET_SUPPORTED_CPUID");
	assert_int_equal(f->res[2].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[3].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->res[4].outcome, KVMPROF_OUT_NOT_ATTEMPTED);
	assert_int_equal(f->res[5].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->rep.n_written, 0);
	assert_int_equal(msr_get(vcpu, MSR_IA32_SYSENTER_ESP), 0);
	close(vcpu);
	fix_close(f);
}

static void test_vcpu_unsupported_lenient(void **state)
{
	struct vmfix *f = fix_open();
	int vcpu;

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &unsupported_profile, KVMPROF_LENIENT), 0);
	vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep), 0);
	rt_print_report(&f->rep);
	assert_int_equal(f->res[4].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(msr_get(vcpu, MSR_IA32_SYSENTER_ESP), 0x20);
	assert_int_equal(f->rep.n_written, 1);
	/* res[5] is optional: reported unsupported, but no failure */
	assert_int_equal(f->res[5].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(f->rep.n_failed, 4);
	close(vcpu);
	fix_close(f);
}

/* A profile whose only CPUID entry cannot be honoured, in lenient mode: the
 * guest must still get the supported table, not KVM's empty default. */
static const struct kvmprof_entry cpuid_only_bad_entries[] = {
	{ .name = "CPUID.0x7.0x0.EBX", .kind = KVMPROF_KIND_CPUID, .phase = KVMPROF_PHASE_VCPU_REGS,
	  .width = 32, .reg = KVMPROF_CPUID_EBX, .id = CPUID_ID(7, 0),
	  .value = 0x80000000u, .mask = 0x80000000u }, /* bit 31 set: unsupported if the host lacks it */
	{ .name = "CPUID.0x40000000.0x0.EAX", .kind = KVMPROF_KIND_CPUID, .phase = KVMPROF_PHASE_VCPU_REGS,
	  .width = 32, .reg = KVMPROF_CPUID_EAX, .id = CPUID_ID(0x4fffffffu, 0),
	  .value = 1, .mask = 0xffffffffu }, /* a leaf no kernel offers */
};
static const struct kvmprof_profile cpuid_only_bad_profile =
	RT_PROFILE(RT_HOST_ARCH, cpuid_only_bad_entries, 0, 0, 2, 0);

static void test_cpuid_table_set_even_if_nothing_applies(void **state)
{
	struct vmfix *f = fix_open();
	union {
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + KVMPROF_MAX_CPUID * sizeof(struct kvm_cpuid_entry2)];
	} got = { .h.nent = KVMPROF_MAX_CPUID };
	int vcpu;

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &cpuid_only_bad_profile, KVMPROF_LENIENT), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep), 0);
	rt_print_report(&f->rep);
	assert_int_equal(f->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(ioctl(vcpu, KVM_GET_CPUID2, &got), 0);
	assert_true(got.h.nent > 1); /* the supported table, not an empty one */
	close(vcpu);
	fix_close(f);
}

/* PVM refuses every non-zero bit of IA32_ARCH_CAPABILITIES although
 * /dev/kvm offers them: one KVM_SET_MSRS stops at it (short count). */
static const struct kvmprof_entry msr_mid_entries[] = {
	{ .name = "SYSENTER_CS", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_SYSENTER_CS, .value = 0x10, .mask = ~0ull },
	{ .name = "ARCH_CAPABILITIES.RDCL_NO", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_ARCH_CAPABILITIES, .value = 1, .mask = 1 },
	{ .name = "SYSENTER_ESP", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_SYSENTER_ESP, .value = 0x20, .mask = ~0ull },
};
static const struct kvmprof_profile msr_mid_profile =
	RT_PROFILE(RT_HOST_ARCH, msr_mid_entries, 0, 0, 3, 0);

static void test_msr_rejected_mid_batch(void **state)
{
	uint32_t modes[2] = { 0, KVMPROF_LENIENT };

	(void)state;
	for (int m = 0; m < 2; m++) {
		struct vmfix *f = fix_open();
		int vcpu, ret;

		SKIP_IF_NO_KVM(f);
		assert_int_equal(fix_init(f, &msr_mid_profile, modes[m]), 0);
		vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
		assert_true(vcpu >= 0);
		assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
		ret = kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep);
		printf("mode %s: %s\n", m ? "lenient" : "strict", kvmprof_strerror(ret));
		rt_print_report(&f->rep);
		assert_int_equal(ret, m ? 0 : KVMPROF_ERR_REJECTED);
		assert_int_equal(f->res[0].outcome, KVMPROF_OUT_APPLIED);
		assert_true(f->res[0].written);
		assert_int_equal(f->res[1].outcome, KVMPROF_OUT_REJECTED);
		assert_false(f->res[1].written);
		assert_string_equal(reason(&f->res[1]),
				    "ARCH_CAPABILITIES.RDCL_NO: KVM_SET_MSRS stopped at MSR 0x10a, refusing 0x1 (kernel keeps 0x0)");
		assert_int_equal(msr_get(vcpu, MSR_IA32_ARCH_CAPABILITIES), 0);
		if (m) {
			assert_int_equal(f->res[2].outcome, KVMPROF_OUT_APPLIED);
			assert_int_equal(msr_get(vcpu, MSR_IA32_SYSENTER_ESP), 0x20);
			assert_int_equal(f->rep.n_written, 2);
		} else {
			/* the report says exactly what was written */
			assert_int_equal(f->res[2].outcome, KVMPROF_OUT_NOT_ATTEMPTED);
			assert_false(f->res[2].written);
			assert_int_equal(msr_get(vcpu, MSR_IA32_SYSENTER_ESP), 0);
			assert_int_equal(f->rep.n_written, 1);
		}
		close(vcpu);
		fix_close(f);
	}
}

/* Real read-back differences: TSC_ADJUST written by the host reads back 0
 * on PVM; the TSC keeps counting after a write. */
static const struct kvmprof_entry readback_entries[] = {
	{ .name = "TSC_ADJUST", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_TSC_ADJUST, .value = 0x10, .mask = ~0ull },
	{ .name = "TSC", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = X86_ONE_REG_MSR(MSR_IA32_TSC), .value = 1000, .mask = ~0ull },
};
static const struct kvmprof_profile readback_profile =
	RT_PROFILE(RT_HOST_ARCH, readback_entries, 0, 0, 2, 0);

static void test_readback_differs_real(void **state)
{
	struct vmfix *f = fix_open();
	int vcpu, ret;

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &readback_profile, KVMPROF_LENIENT), 0);
	vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	ret = kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep);
	rt_print_report(&f->rep);
	assert_int_equal(ret, 0);
	assert_int_equal(f->res[1].outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_true(f->res[1].written);
	assert_true(f->res[1].after != 1000);
	/* TSC_ADJUST: PVM-specific; report what happened either way */
	assert_true(f->res[0].outcome == KVMPROF_OUT_READBACK_DIFFERS ||
		    f->res[0].outcome == KVMPROF_OUT_APPLIED);
	close(vcpu);
	fix_close(f);
}

/* PVM rewrites CPUID (real-kvm.md): after KVM_SET_CPUID2, KVM_GET_CPUID2
 * already shows bits such as CPUID.1.ECX[0] (SSE3) that the table set to 0.
 * The report must say what the kernel really presents: judged here
 * against the test's own KVM_GET_CPUID2. */
static const struct kvmprof_entry cpuid_rb_entries[] = {
	{ .name = "CPUID.0x1.0x0.ECX.SSE3", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 0, .mask = 1 },
};
static const struct kvmprof_profile cpuid_rb_profile =
	RT_PROFILE(RT_HOST_ARCH, cpuid_rb_entries, 0, 0, 1, 0);

static void test_cpuid_readback_truth(void **state)
{
	struct vmfix *f = fix_open();
	union {
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + 256 * sizeof(struct kvm_cpuid_entry2)];
	} got;
	uint32_t ecx = 0;
	int vcpu, ret;

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &cpuid_rb_profile, 0), 0);
	vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	ret = kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep);
	rt_print_report(&f->rep);
	got.h.nent = 256;
	assert_int_equal(ioctl(vcpu, KVM_GET_CPUID2, &got), 0);
	for (uint32_t i = 0; i < got.h.nent && i < 256; i++)
		if (got.h.entries[i].function == 1)
			ecx = got.h.entries[i].ecx;
	assert_int_equal(f->res[0].after, ecx);
	if (ecx & 1) {
		printf("this kernel rewrote CPUID.1.ECX to 0x%x (PVM)\n", ecx);
		assert_int_equal(ret, KVMPROF_ERR_READBACK);
		assert_int_equal(f->res[0].outcome, KVMPROF_OUT_READBACK_DIFFERS);
	} else {
		assert_int_equal(ret, 0);
		assert_true(f->res[0].outcome == KVMPROF_OUT_ALREADY_EQUAL ||
			    f->res[0].outcome == KVMPROF_OUT_APPLIED);
	}
	close(vcpu);
	fix_close(f);
}

/* ---- phase order and table checks ---- */

static void test_wrong_phase(void **state)
{
	struct vmfix *f = fix_open();
	int vcpu;
	struct kvm_vcpu_init *no_init = (struct kvm_vcpu_init *)(void *)&f;

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &vcpu_profile, 0), 0);
	vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep), KVMPROF_ERR_PHASE);
	assert_int_equal(kvmprof_apply_devices(&f->ctx, vcpu, &f->rep), KVMPROF_ERR_PHASE);
	assert_int_equal(f->rep.count, 0); /* nothing touched */
	assert_int_equal(kvmprof_apply_vcpu_init(&f->ctx, vcpu, no_init, &f->rep), KVMPROF_ERR_ARCH);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), KVMPROF_ERR_PHASE);
	assert_string_equal(kvmprof_strerror(KVMPROF_ERR_PHASE), "call out of phase order");
	close(vcpu);
	fix_close(f);
}

static void test_abi_arch_requires(void **state)
{
	struct vmfix *f = fix_open();
	struct kvmprof_profile p = vcpu_profile;

	(void)state;
	SKIP_IF_NO_KVM(f);
	p.magic ^= 1;
	assert_int_equal(fix_init(f, &p, 0), KVMPROF_ERR_ABI);
	p = vcpu_profile;
	p.abi = KVMPROF_TABLE_ABI + 1;
	assert_int_equal(fix_init(f, &p, 0), KVMPROF_ERR_ABI);
	p = vcpu_profile;
	p.sizeof_entry -= 8;
	assert_int_equal(fix_init(f, &p, 0), KVMPROF_ERR_ABI);
	p = vcpu_profile;
	p.arch = KVMPROF_ARCH_ARM64;
	assert_int_equal(fix_init(f, &p, 0), KVMPROF_ERR_ARCH);
	p = vcpu_profile;
	p.requires = &rt_false;
	assert_int_equal(fix_init(f, &p, 0), KVMPROF_ERR_REQUIRES);
	p = vcpu_profile;
	p.phase_start[1] = 3; /* VM phase claims CPUID entries */
	assert_int_equal(fix_init(f, &p, 0), KVMPROF_ERR_INVAL);
	assert_int_equal(fix_init(f, &vcpu_profile, 0), 0);
	f->rep.capacity = 3;
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	{
		int vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);

		assert_int_equal(kvmprof_apply_vcpu_regs(&f->ctx, vcpu, &f->rep),
				 KVMPROF_ERR_REPORT_FULL);
		close(vcpu);
	}
	fix_close(f);
}

/* ---- 64 vCPUs from 8 threads ---- */

#define N_VCPUS 64
#define N_THREADS 8

struct worker {
	struct vmfix *f;
	int *vcpus;
	int first;
	int fails;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct kvmprof_result res[8];

	for (int i = w->first; i < N_VCPUS; i += N_THREADS) {
		struct kvmprof_report rep = { .results = res, .capacity = 8 };

		if (kvmprof_apply_vcpu_regs(&w->f->ctx, w->vcpus[i], &rep) != 0 ||
		    rep.count != 7 || rep.n_failed != 0 || rep.n_written != 4)
			w->fails++;
	}
	return NULL;
}

static void test_concurrent_64_vcpus(void **state)
{
	struct vmfix *f = fix_open();
	int vcpus[N_VCPUS];
	pthread_t th[N_THREADS];
	struct worker w[N_THREADS];

	(void)state;
	SKIP_IF_NO_KVM(f);
	assert_int_equal(fix_init(f, &vcpu_profile, 0), 0);
	assert_int_equal(kvmprof_apply_vm(&f->ctx, &f->rep), 0);
	for (int i = 0; i < N_VCPUS; i++) {
		vcpus[i] = ioctl(f->vm, KVM_CREATE_VCPU, i);
		assert_true(vcpus[i] >= 0);
	}
	for (int t = 0; t < N_THREADS; t++) {
		w[t] = (struct worker){ .f = f, .vcpus = vcpus, .first = t };
		assert_int_equal(pthread_create(&th[t], NULL, worker_run, &w[t]), 0);
	}
	for (int t = 0; t < N_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(w[t].fails, 0);
	}
	for (int i = 0; i < N_VCPUS; i++) {
		assert_int_equal(msr_get(vcpus[i], MSR_IA32_SYSENTER_CS), 0x10);
		assert_int_equal(msr_get(vcpus[i], MSR_IA32_CR_PAT), 0x0007040600070404ull);
		close(vcpus[i]);
	}
	fix_close(f);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_phase_applied),
		cmocka_unit_test(test_vm_phase_strict_unsupported),
		cmocka_unit_test(test_vm_phase_lenient),
		cmocka_unit_test(test_x2apic_after_split_irqchip),
		cmocka_unit_test(test_vcpu_regs_applied),
		cmocka_unit_test(test_vcpu_unsupported_strict_and_check),
		cmocka_unit_test(test_vcpu_unsupported_lenient),
		cmocka_unit_test(test_cpuid_table_set_even_if_nothing_applies),
		cmocka_unit_test(test_msr_rejected_mid_batch),
		cmocka_unit_test(test_readback_differs_real),
		cmocka_unit_test(test_cpuid_readback_truth),
		cmocka_unit_test(test_wrong_phase),
		cmocka_unit_test(test_abi_arch_requires),
		cmocka_unit_test(test_concurrent_64_vcpus),
	};

	if (kvm >= 0) { /* without /dev/kvm every test says SKIP */
		vcpu_entries[MAX_LEAF].value = max_leaf_unlike_host(kvm);
		close(kvm);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
