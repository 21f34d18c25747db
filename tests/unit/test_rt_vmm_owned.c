/* SPDX-License-Identifier: MIT */
/*
 * test_rt_vmm_owned.c - the VMM-owned path of libkvmprof (issue 10) on this
 * machine's real /dev/kvm: the VMM builds and sets each vCPU's CPUID itself
 * (kvmprof_x86_cpuid_merge + one KVM_SET_CPUID2), MSRs apply without
 * kvmprof setting CPUID, and kvmprof_verify_vcpu() judges what the vCPU
 * presents now, whoever set it. Real backend only. Also the arch-neutral
 * parts (options by size, the profile index), which need no kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kvmprof.h"
#include "rt_fixtures.h"

#define CPUID_ID(fn, idx) (((uint64_t)(fn) << 32) | (idx))
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_CR_PAT 0x277
#define CPUID_CAP 256

static const char *reason(const struct kvmprof_result *r)
{
	static char buf[256];

	kvmprof_result_reason(r, buf, sizeof(buf));
	return buf;
}

static const struct kvmprof_result *find(const struct kvmprof_report *rep, const char *name)
{
	for (uint32_t i = 0; i < rep->count; i++)
		if (strcmp(rep->results[i].entry->name, name) == 0)
			return &rep->results[i];
	fail_msg("no result for %s", name);
	return NULL;
}

/* ---- arch-neutral: options, index ---- */

static const struct kvmprof_entry no_entries[1];
static const struct kvmprof_profile empty_profile = RT_PROFILE(RT_HOST_ARCH, no_entries, 0, 0, 0, 0);

static void test_opts_validated_by_size(void **state)
{
	struct {
		struct kvmprof_opts o;
		uint64_t newer[2]; /* a caller built against a newer header */
	} big;
	struct kvmprof_vm *ctx = calloc(1, sizeof(*ctx));
	int kvm = -1, vm = -1;

	(void)state;
	assert_non_null(ctx);
	if (rt_open_vm(&kvm, &vm) < 0) {
		free(ctx);
		skip();
	}
	/* too small: not even flags */
	memset(&big, 0, sizeof(big));
	big.o.sz = offsetof(struct kvmprof_opts, flags);
	assert_int_equal(kvmprof_vm_init(ctx, &empty_profile, kvm, vm, &big.o), KVMPROF_ERR_INVAL);
	/* larger, unknown tail all zero: accepted */
	big.o.sz = sizeof(big);
	big.o.flags = KVMPROF_LENIENT;
	assert_int_equal(kvmprof_vm_init(ctx, &empty_profile, kvm, vm, &big.o), 0);
	kvmprof_vm_fini(ctx);
	/* an option this library does not know: refused, never ignored */
	big.newer[1] = 1;
	assert_int_equal(kvmprof_vm_init(ctx, &empty_profile, kvm, vm, &big.o), KVMPROF_ERR_INVAL);
	big.newer[1] = 0;
	/* an unknown flag: refused */
	big.o.flags = 0x80000000u;
	assert_int_equal(kvmprof_vm_init(ctx, &empty_profile, kvm, vm, &big.o), KVMPROF_ERR_INVAL);
	/* NULL: strict defaults */
	assert_int_equal(kvmprof_vm_init(ctx, &empty_profile, kvm, vm, NULL), 0);
	kvmprof_vm_fini(ctx);
	close(vm);
	close(kvm);
	free(ctx);
}

static const struct kvmprof_profile idx_a = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI, .name = "alpha",
};
static const struct kvmprof_profile idx_b = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI, .name = "linux-6.12-arm64-neoverse-n1",
};
static const struct kvmprof_profile *const idx_list[] = { &idx_a, &idx_b };
static const struct kvmprof_index test_index = {
	.magic = KVMPROF_INDEX_MAGIC, .abi = KVMPROF_TABLE_ABI, .n_profiles = 2, .profiles = idx_list,
};

static void test_index_lookup(void **state)
{
	struct kvmprof_index other = test_index;

	(void)state;
	assert_ptr_equal(kvmprof_index_find(&test_index, "linux-6.12-arm64-neoverse-n1"), &idx_b);
	assert_ptr_equal(kvmprof_index_find(&test_index, "alpha"), &idx_a);
	assert_null(kvmprof_index_find(&test_index, "alph"));
	assert_null(kvmprof_index_find(&test_index, NULL));
	assert_null(kvmprof_index_find(NULL, "alpha"));
	assert_ptr_equal(kvmprof_index_at(&test_index, 1), &idx_b);
	assert_null(kvmprof_index_at(&test_index, 2));
	other.abi = KVMPROF_TABLE_ABI + 1;
	assert_null(kvmprof_index_find(&other, "alpha"));
}

#ifndef __x86_64__
static void test_x86_only(void **state)
{
	(void)state;
	printf("SKIP: the VMM-owned x86 tests need an x86_64 /dev/kvm\n");
	skip();
}
#else

/* ---- x86: the VMM owns CPUID ---- */

struct vmm {
	int kvm, vm;
	struct kvmprof_vm *ctx;
	struct kvmprof_result res[64];
	struct kvmprof_report rep;
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} supported;
};

static struct vmm *vmm_open(const struct kvmprof_profile *p, uint32_t flags)
{
	struct vmm *m = calloc(1, sizeof(*m));
	struct kvmprof_opts o = { .sz = sizeof(o), .flags = flags };

	assert_non_null(m);
	m->ctx = calloc(1, sizeof(*m->ctx));
	assert_non_null(m->ctx);
	if (rt_open_vm(&m->kvm, &m->vm) < 0) {
		free(m->ctx);
		free(m);
		return NULL;
	}
	m->rep.results = m->res;
	m->rep.capacity = 64;
	m->supported.h.nent = CPUID_CAP;
	assert_int_equal(ioctl(m->kvm, KVM_GET_SUPPORTED_CPUID, &m->supported), 0);
	assert_int_equal(kvmprof_vm_init(m->ctx, p, m->kvm, m->vm, &o), 0);
	assert_int_equal(kvmprof_apply_vm(m->ctx, &m->rep), 0);
	return m;
}

static void vmm_close(struct vmm *m)
{
	kvmprof_vm_fini(m->ctx);
	close(m->vm);
	close(m->kvm);
	free(m->ctx);
	free(m);
}

static struct kvm_cpuid_entry2 *leaf_of(struct kvm_cpuid2 *t, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->entries[i].function == fn &&
		    (!(t->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || t->entries[i].index == idx))
			return &t->entries[i];
	return NULL;
}

/* As a VMM builds vCPU i's CPUID: the supported table, its APIC id in
 * 1.EBX[31:24], the hypervisor bit, and (its own filtering) leaf 0xA
 * dropped. */
static void vmm_cpuid(const struct vmm *m, int i, struct kvm_cpuid2 *t)
{
	struct kvm_cpuid_entry2 *l;

	t->nent = 0;
	for (uint32_t k = 0; k < m->supported.h.nent; k++)
		if (m->supported.h.entries[k].function != 0xa)
			t->entries[t->nent++] = m->supported.h.entries[k];
	l = leaf_of(t, 1, 0);
	assert_non_null(l);
	l->ebx = (l->ebx & 0x00ffffffu) | ((uint32_t)i << 24);
	l->ecx |= 1u << 31;
}

static uint32_t vcpu_cpuid(int vcpu, uint32_t fn, uint32_t idx, int reg)
{
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} got = { .h.nent = CPUID_CAP };
	struct kvm_cpuid_entry2 *l;

	assert_int_equal(ioctl(vcpu, KVM_GET_CPUID2, &got), 0);
	l = leaf_of(&got.h, fn, idx);
	assert_non_null(l);
	return reg == 0 ? l->eax : reg == 1 ? l->ebx : reg == 2 ? l->ecx : l->edx;
}

static const struct kvmprof_entry owned_entries[] = {
	/* CX16 (1.ECX bit 13) hidden */
	{ .name = "CPUID.0x1.0x0.ECX.CX16", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 0, .mask = 1u << 13 },
	/* 1.EBX stated only outside the APIC id field (CLFLUSH line size) */
	{ .name = "CPUID.0x1.0x0.EBX.CLFLUSH", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EBX, .id = CPUID_ID(1, 0), .value = 8u << 8, .mask = 0xffu << 8 },
	{ .name = "SYSENTER_CS", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_SYSENTER_CS, .value = 0x10, .mask = ~0ull },
};
static const struct kvmprof_profile owned_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, owned_entries, 0, 0, 3, 0);

/* The documented path: the VMM sets CPUID itself; the profile is kept,
 * and so are the VMM's per-vCPU APIC ids and hypervisor bit. */
static void test_vmm_sets_cpuid_profile_kept(void **state)
{
	struct vmm *m = vmm_open(&owned_profile, KVMPROF_VMM_SETS_CPUID);
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} t;
	int vcpu[2];

	(void)state;
	if (!m)
		skip();
	/* the table kvmprof_vm_init() read, for the VMM to build on */
	{
		const struct kvm_cpuid2 *sup = kvmprof_x86_supported_cpuid(m->ctx);

		assert_non_null(sup);
		assert_int_equal(sup->nent, m->supported.h.nent);
		assert_memory_equal(sup->entries, m->supported.h.entries, sup->nent * sizeof(struct kvm_cpuid_entry2));
	}
	for (int i = 0; i < 2; i++) {
		vcpu[i] = ioctl(m->vm, KVM_CREATE_VCPU, i);
		assert_true(vcpu[i] >= 0);
		vmm_cpuid(m, i, &t.h);
		kvmprof_report_reset(&m->rep);
		assert_int_equal(kvmprof_x86_cpuid_merge(m->ctx, i, &t.h, CPUID_CAP, &m->rep), 0);
		rt_print_report(&m->rep);
		assert_int_equal(m->rep.count, 2); /* CPUID entries only */
		assert_int_equal(m->res[0].outcome, KVMPROF_OUT_MERGED);
		assert_int_equal(m->res[0].vcpu_index, i);
		assert_int_equal(m->res[0].vcpu_fd, -1);
		assert_int_equal(leaf_of(&t.h, 1, 0)->ecx & (1u << 13), 0);
		assert_int_equal(leaf_of(&t.h, 1, 0)->ebx >> 24, (uint32_t)i); /* APIC id kept */
		assert_true(leaf_of(&t.h, 1, 0)->ecx & (1u << 31));           /* hypervisor kept */
		assert_null(leaf_of(&t.h, 0xa, 0));                            /* filtering kept */
		assert_int_equal(ioctl(vcpu[i], KVM_SET_CPUID2, &t), 0);       /* the VMM, once */

		kvmprof_report_reset(&m->rep);
		assert_int_equal(kvmprof_apply_vcpu(m->ctx, vcpu[i], i, &m->rep), 0);
		rt_print_report(&m->rep);
		assert_int_equal(m->rep.count, 1); /* CPUID is the VMM's: verification judges it */
		assert_int_equal(find(&m->rep, "SYSENTER_CS")->outcome, KVMPROF_OUT_APPLIED);
		assert_int_equal(find(&m->rep, "SYSENTER_CS")->vcpu_index, i);
		assert_int_equal(find(&m->rep, "SYSENTER_CS")->vcpu_fd, vcpu[i]);
		assert_int_equal(m->rep.n_written, 1); /* the MSR only: no KVM_SET_CPUID2 */
	}
	for (int i = 0; i < 2; i++) {
		kvmprof_report_reset(&m->rep);
		assert_int_equal(kvmprof_verify_vcpu(m->ctx, vcpu[i], i, &m->rep), 0);
		rt_print_report(&m->rep);
		assert_int_equal(m->rep.count, 3);
		for (uint32_t k = 0; k < m->rep.count; k++)
			assert_int_equal(m->res[k].outcome, KVMPROF_OUT_VERIFIED);
		/* judged on what the vCPU presents, the VMM's APIC id included */
		assert_int_equal(find(&m->rep, "CPUID.0x1.0x0.ECX.CX16")->after & (1u << 13), 0);
		assert_int_equal(find(&m->rep, "CPUID.0x1.0x0.EBX.CLFLUSH")->after >> 24, (uint32_t)i);
		assert_int_equal(vcpu_cpuid(vcpu[i], 1, 0, 1) >> 24, (uint32_t)i);
		assert_true(vcpu_cpuid(vcpu[i], 1, 0, 2) & (1u << 31));
	}
	kvmprof_report_reset(&m->rep);
	assert_int_equal(kvmprof_verify_vm(m->ctx, &m->rep), 0);
	for (int i = 0; i < 2; i++)
		close(vcpu[i]);
	vmm_close(m);
}

/* The VMM sets its own table again afterwards (the advice of old):
 * verification catches the undone entry and names it. */
static void test_verify_catches_vmm_undoing(void **state)
{
	struct vmm *m = vmm_open(&owned_profile, KVMPROF_VMM_SETS_CPUID);
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} t;
	const struct kvmprof_result *r;
	int vcpu;

	(void)state;
	if (!m)
		skip();
	vcpu = ioctl(m->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	if (!(leaf_of(&m->supported.h, 1, 0)->ecx & (1u << 13))) {
		printf("SKIP: this KVM does not offer CX16, so nothing can undo hiding it\n");
		close(vcpu);
		vmm_close(m);
		skip();
	}
	vmm_cpuid(m, 0, &t.h);
	assert_int_equal(kvmprof_x86_cpuid_merge(m->ctx, 0, &t.h, CPUID_CAP, &m->rep), 0);
	assert_int_equal(ioctl(vcpu, KVM_SET_CPUID2, &t), 0);
	assert_int_equal(kvmprof_apply_vcpu(m->ctx, vcpu, 0, &m->rep), 0);
	/* the VMM's own table once more: CX16 back */
	vmm_cpuid(m, 0, &t.h);
	assert_int_equal(ioctl(vcpu, KVM_SET_CPUID2, &t), 0);
	/* and its own MSR value */
	{
		union { /* not a struct: nothing may follow a flexible array (clang) */
			struct kvm_msrs h;
			unsigned char bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
		} msr = { .h.nmsrs = 1 };
		msr.h.entries[0] = (struct kvm_msr_entry){ .index = MSR_IA32_SYSENTER_CS, .data = 0x33 };
		assert_int_equal(ioctl(vcpu, KVM_SET_MSRS, &msr), 1);
	}
	kvmprof_report_reset(&m->rep);
	assert_int_equal(kvmprof_verify_vcpu(m->ctx, vcpu, 0, &m->rep), KVMPROF_ERR_READBACK);
	rt_print_report(&m->rep);
	r = find(&m->rep, "CPUID.0x1.0x0.ECX.CX16");
	assert_int_equal(r->outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(r->vcpu_fd, vcpu);
	assert_true(r->after & (1u << 13));
	assert_non_null(strstr(reason(r), "CPUID.0x1.0x0.ECX.CX16"));
	assert_int_equal(find(&m->rep, "CPUID.0x1.0x0.EBX.CLFLUSH")->outcome, KVMPROF_OUT_VERIFIED);
	r = find(&m->rep, "SYSENTER_CS");
	assert_int_equal(r->outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(r->after, 0x33);
	assert_int_equal(m->rep.n_failed, 2);
	close(vcpu);
	vmm_close(m);
}

/* Without KVMPROF_VMM_SETS_CPUID the library's own table replaces the
 * VMM's; a VMM table set afterwards is caught the same way. And a vCPU
 * whose CPUID nobody set presents none of the profile's leaves. */
static void test_verify_without_cpuid(void **state)
{
	struct vmm *m = vmm_open(&owned_profile, 0);
	int vcpu;

	(void)state;
	if (!m)
		skip();
	vcpu = ioctl(m->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_verify_vcpu(m->ctx, vcpu, 0, &m->rep), KVMPROF_ERR_READBACK);
	rt_print_report(&m->rep);
	assert_int_equal(find(&m->rep, "CPUID.0x1.0x0.EBX.CLFLUSH")->outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_string_equal(reason(find(&m->rep, "CPUID.0x1.0x0.EBX.CLFLUSH")),
			    "CPUID.0x1.0x0.EBX.CLFLUSH: the vCPU presents no leaf 0x1.0x0");
	kvmprof_report_reset(&m->rep);
	assert_int_equal(kvmprof_apply_vcpu(m->ctx, vcpu, 0, &m->rep), 0);
	kvmprof_report_reset(&m->rep);
	assert_int_equal(kvmprof_verify_vcpu(m->ctx, vcpu, 0, &m->rep), 0);
	close(vcpu);
	vmm_close(m);
}

/* MSRs apply on their own: no CPUID entry, no KVM_SET_CPUID2 by anyone. */
/* Named fields, all judged exactly, as a capture states them: the value
 * still does not depend on the vCPU's. */
static const struct kvmprof_field pat_fields[] = {
	{ .name = "PA1", .shift = 8, .width = 3, .policy = KVMPROF_POLICY_EXACT },
	{ .name = "PA0", .shift = 0, .width = 3, .policy = KVMPROF_POLICY_EXACT },
};
static const struct kvmprof_entry msr_entries[] = {
	{ .name = "SYSENTER_CS", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_SYSENTER_CS, .value = 0x10, .mask = ~0ull },
	{ .name = "PAT", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = MSR_IA32_CR_PAT, .value = 0x0007040600070404ull, .mask = ~0ull,
	  .fields = pat_fields, .n_fields = 2 },
};
static const struct kvmprof_profile msr_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, msr_entries, 0, 0, 2, 0);

static void test_msrs_on_their_own(void **state)
{
	struct vmm *m = vmm_open(&msr_profile, KVMPROF_VMM_SETS_CPUID);
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} got = { .h.nent = CPUID_CAP };
	int vcpu;

	(void)state;
	if (!m)
		skip();
	assert_null(kvmprof_x86_supported_cpuid(m->ctx)); /* no CPUID entry: not read */
	vcpu = ioctl(m->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(kvmprof_apply_vcpu(m->ctx, vcpu, 7, &m->rep), 0);
	rt_print_report(&m->rep);
	assert_int_equal(m->res[0].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(m->res[1].outcome, KVMPROF_OUT_APPLIED);
	assert_int_equal(m->res[1].vcpu_index, 7);
	/* nobody set CPUID: the vCPU still has KVM's empty one */
	assert_int_equal(ioctl(vcpu, KVM_GET_CPUID2, &got), 0);
	assert_int_equal(got.h.nent, 0);
	close(vcpu);
	vmm_close(m);
}

/* KVMPROF_VERIFY_FOLLOWS: the apply writes, the verification reads, once.
 * Counted through the seam, wrapping the real backend (every ioctl reaches
 * this host's /dev/kvm). */
static int n_get_msrs, n_set_msrs, n_get_cpuid;

static int counting_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	n_get_msrs += req == KVM_GET_MSRS;
	n_set_msrs += req == KVM_SET_MSRS;
	n_get_cpuid += req == KVM_GET_CPUID2;
	return kvmprof_sys_real.ioctl(ctx, fd, req, arg);
}

static const struct kvmprof_sys counting_sys = {
	.ioctl = counting_ioctl, .uname_release = NULL, .ctx = NULL,
};

static int counting_uname(void *ctx, char *buf, size_t len)
{
	return kvmprof_sys_real.uname_release(ctx, buf, len);
}

static void test_verify_follows_reads_once(void **state)
{
	struct kvmprof_sys sys = counting_sys;
	struct vmm *m;
	int vcpu;

	(void)state;
	sys.uname_release = counting_uname;
	kvmprof_sys_install(&sys);
	m = vmm_open(&msr_profile, KVMPROF_VMM_SETS_CPUID | KVMPROF_VERIFY_FOLLOWS);
	if (!m) {
		kvmprof_sys_install(NULL);
		skip();
	}
	vcpu = ioctl(m->vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	n_get_msrs = n_set_msrs = n_get_cpuid = 0;
	assert_int_equal(kvmprof_apply_vcpu(m->ctx, vcpu, 0, &m->rep), 0);
	rt_print_report(&m->rep);
	assert_int_equal(n_set_msrs, 1);
	assert_int_equal(n_get_msrs, 0); /* both MSRs stated in full: not read first, not read back */
	assert_int_equal(n_get_cpuid, 0);
	assert_int_equal(m->res[0].outcome, KVMPROF_OUT_WRITTEN);
	assert_int_equal(m->res[0].written, 1);
	assert_int_equal(m->rep.n_ok, 2);
	kvmprof_report_reset(&m->rep);
	assert_int_equal(kvmprof_verify_vcpu(m->ctx, vcpu, 0, &m->rep), 0);
	assert_int_equal(n_get_msrs, 1);
	assert_int_equal(m->res[0].outcome, KVMPROF_OUT_VERIFIED);
	assert_int_equal(m->res[1].outcome, KVMPROF_OUT_VERIFIED);
	kvmprof_sys_install(NULL);
	close(vcpu);
	vmm_close(m);
}

/* /dev/kvm's value of a feature MSR is read only for an entry that states
 * a set bit (one stating zeros cannot claim more than KVM offers): a
 * capture's zero IA32_ARCH_CAPABILITIES costs vm_init no KVM_GET_MSRS. */
static const struct kvmprof_entry arch_cap_zero[] = {
	{ .name = "IA32_ARCH_CAPABILITIES", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x10a, .value = 0, .mask = ~0ull },
};
static const struct kvmprof_entry arch_cap_bit[] = {
	{ .name = "IA32_ARCH_CAPABILITIES.RDCL_NO", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x10a, .value = 1, .mask = 1 },
};
static const struct kvmprof_profile arch_cap_zero_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, arch_cap_zero, 0, 0, 1, 0);
static const struct kvmprof_profile arch_cap_bit_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, arch_cap_bit, 0, 0, 1, 0);

static void test_feature_msr_values_read_when_needed(void **state)
{
	struct kvmprof_sys sys = counting_sys;
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_msr_list h;
		unsigned char bytes[sizeof(struct kvm_msr_list) + 256 * sizeof(uint32_t)];
	} list = { .h.nmsrs = 256 };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), listed = 0;
	struct vmm *m;

	(void)state;
	if (kvm < 0)
		skip();
	if (ioctl(kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, &list) == 0)
		for (uint32_t i = 0; i < list.h.nmsrs; i++)
			listed |= list.h.indices[i] == 0x10a;
	close(kvm);
	if (!listed) {
		printf("SKIP: this KVM lists no IA32_ARCH_CAPABILITIES feature MSR\n");
		skip();
	}
	sys.uname_release = counting_uname;
	kvmprof_sys_install(&sys);
	n_get_msrs = 0;
	m = vmm_open(&arch_cap_zero_profile, KVMPROF_VMM_SETS_CPUID | KVMPROF_VERIFY_FOLLOWS);
	assert_non_null(m);
	assert_int_equal(n_get_msrs, 0);
	vmm_close(m);
	n_get_msrs = 0;
	m = vmm_open(&arch_cap_bit_profile, KVMPROF_VMM_SETS_CPUID | KVMPROF_VERIFY_FOLLOWS);
	assert_non_null(m);
	assert_int_equal(n_get_msrs, 1);
	vmm_close(m);
	kvmprof_sys_install(NULL);
}

/* Strict: an entry KVM cannot honour leaves the VMM's table untouched. */
static const struct kvmprof_entry bad_entries[] = {
	{ .name = "CPUID.0x1.0x0.ECX.CX16", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 0, .mask = 1u << 13 },
	/* 1.ECX bit 16 is reserved: KVM never offers it */
	{ .name = "CPUID.0x1.0x0.ECX.bit16", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 1u << 16, .mask = 1u << 16 },
};
static const struct kvmprof_profile bad_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, bad_entries, 0, 0, 2, 0);

static void test_merge_strict_leaves_table(void **state)
{
	struct vmm *m = vmm_open(&bad_profile, KVMPROF_VMM_SETS_CPUID);
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} t, before;

	(void)state;
	if (!m)
		skip();
	vmm_cpuid(m, 0, &t.h);
	before = t;
	assert_int_equal(kvmprof_x86_cpuid_merge(m->ctx, 0, &t.h, CPUID_CAP, &m->rep), KVMPROF_ERR_UNSUPPORTED);
	rt_print_report(&m->rep);
	assert_int_equal(m->res[0].outcome, KVMPROF_OUT_NOT_ATTEMPTED);
	assert_int_equal(m->res[1].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_memory_equal(&t, &before, sizeof(t));
	vmm_close(m);
}

/* A leaf the VMM filtered out is added when the profile states it; with
 * no room it is named, never written past the caller's capacity. */
static const struct kvmprof_entry leafa_entries[] = {
	{ .name = "CPUID.0xa.0x0.EAX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EAX, .id = CPUID_ID(0xa, 0), .value = 0, .mask = 0xff },
};
static const struct kvmprof_profile leafa_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, leafa_entries, 0, 0, 1, 0);

static void test_merge_missing_leaf(void **state)
{
	struct vmm *m = vmm_open(&leafa_profile, KVMPROF_VMM_SETS_CPUID | KVMPROF_LENIENT);
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} t;
	uint32_t n;

	(void)state;
	if (!m)
		skip();
	if (!leaf_of(&m->supported.h, 0xa, 0)) {
		printf("SKIP: this KVM has no CPUID leaf 0xA\n");
		vmm_close(m);
		skip();
	}
	vmm_cpuid(m, 0, &t.h);
	n = t.h.nent;
	assert_int_equal(kvmprof_x86_cpuid_merge(m->ctx, 0, &t.h, n, &m->rep), 0);
	rt_print_report(&m->rep);
	assert_int_equal(m->res[0].outcome, KVMPROF_OUT_UNSUPPORTED);
	assert_int_equal(m->res[0].err, -ENOSPC);
	assert_int_equal(t.h.nent, n);
	kvmprof_report_reset(&m->rep);
	assert_int_equal(kvmprof_x86_cpuid_merge(m->ctx, 0, &t.h, n + 1, &m->rep), 0);
	assert_int_equal(m->res[0].outcome, KVMPROF_OUT_MERGED);
	assert_int_equal(t.h.nent, n + 1);
	assert_int_equal(leaf_of(&t.h, 0xa, 0)->eax & 0xff, 0);
	assert_int_equal(leaf_of(&t.h, 0xa, 0)->ebx, leaf_of(&m->supported.h, 0xa, 0)->ebx);
	vmm_close(m);
}

/* The merge finds each leaf where KVM would, whatever the order of the
 * VMM's table: KVM's own order, rotated, reversed (the same outcomes), and
 * with a copy of leaf 1 placed first (KVM reads the first copy). */
static const struct kvmprof_entry order_entries[] = {
	{ .name = "CPUID.0x1.0x0.ECX.CX16", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 0, .mask = 1u << 13 },
	{ .name = "CPUID.0xd.0x1.EAX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EAX, .id = CPUID_ID(0xd, 1), .value = 0, .mask = 1 },
	{ .name = "CPUID.0x80000001.0x0.ECX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(0x80000001, 0), .value = 0, .mask = 1 },
	{ .name = "CPUID.0x40000001.0x0.EAX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EAX, .id = CPUID_ID(0x40000001, 0), .value = 0, .mask = 1 },
};
static const struct kvmprof_profile order_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, order_entries, 0, 0, 4, 0);

static uint32_t cpuid_reg_of(const struct kvm_cpuid_entry2 *l, int reg)
{
	return reg == KVMPROF_CPUID_EAX ? l->eax : reg == KVMPROF_CPUID_EBX ? l->ebx
	       : reg == KVMPROF_CPUID_ECX ? l->ecx : l->edx;
}

static void test_merge_any_table_order(void **state)
{
	struct vmm *m = vmm_open(&order_profile, KVMPROF_VMM_SETS_CPUID | KVMPROF_LENIENT);
	union { /* not a struct: nothing may follow a flexible array (clang) */
		struct kvm_cpuid2 h;
		unsigned char bytes[sizeof(struct kvm_cpuid2) + CPUID_CAP * sizeof(struct kvm_cpuid_entry2)];
	} t, kvm_order;
	uint8_t outcome[4];

	(void)state;
	if (!m)
		skip();
	vmm_cpuid(m, 0, &kvm_order.h);
	for (int order = 0; order < 5; order++) {
		uint32_t n = kvm_order.h.nent;

		t = kvm_order;
		if (order == 1) /* rotated: the first five leaves last */
			for (uint32_t i = 0; i < n; i++)
				t.h.entries[i] = kvm_order.h.entries[(i + 5) % n];
		if (order == 2) /* reversed */
			for (uint32_t i = 0; i < n; i++)
				t.h.entries[i] = kvm_order.h.entries[n - 1 - i];
		if (order == 3) { /* a copy of leaf 1 first, CX16 set in it */
			memmove(&t.h.entries[1], &t.h.entries[0], n * sizeof(t.h.entries[0]));
			t.h.entries[0] = *leaf_of(&kvm_order.h, 1, 0);
			t.h.entries[0].ecx |= 1u << 13;
			t.h.nent = ++n;
		}
		if (order == 4) { /* KVM's order, a copy of leaf 1 appended, CX16 set */
			t.h.entries[n] = *leaf_of(&kvm_order.h, 1, 0);
			t.h.entries[n].ecx |= 1u << 13;
			t.h.nent = ++n;
		}
		kvmprof_report_reset(&m->rep);
		assert_int_equal(kvmprof_x86_cpuid_merge(m->ctx, 0, &t.h, CPUID_CAP, &m->rep), 0);
		assert_int_equal(m->rep.count, 4);
		for (int k = 0; k < 4; k++) {
			const struct kvmprof_entry *e = &order_entries[k];
			const struct kvm_cpuid_entry2 *l = leaf_of(&t.h, (uint32_t)(e->id >> 32), (uint32_t)e->id);

			if (order == 0)
				outcome[k] = m->res[k].outcome;
			if (order != 3)
				assert_int_equal(m->res[k].outcome, outcome[k]);
			if (l && m->res[k].outcome == KVMPROF_OUT_MERGED)
				assert_int_equal(cpuid_reg_of(l, e->reg) & e->mask, e->value);
		}
		if (order == 3) { /* merged into the first copy; the later one KVM ignores */
			assert_int_equal(m->res[0].outcome, KVMPROF_OUT_MERGED);
			assert_int_equal(t.h.entries[0].ecx & (1u << 13), 0);
		}
		if (order == 4) /* the appended copy is the one KVM ignores */
			assert_int_equal(t.h.entries[n - 1].ecx & (1u << 13), 1u << 13);
	}
	vmm_close(m);
}

/* The VM phase cannot be read back: verified only by this context's apply. */
static const struct kvmprof_entry vm_entries[] = {
	{ .name = "KVM_CAP_MAX_VCPU_ID", .kind = KVMPROF_KIND_ENABLE_CAP, .phase = 0,
	  .id = KVM_CAP_MAX_VCPU_ID, .args = { 128 } },
};
static const struct kvmprof_profile vm_profile = RT_PROFILE(KVMPROF_ARCH_X86_64, vm_entries, 1, 0, 0, 0);

static void test_verify_vm(void **state)
{
	struct kvmprof_vm *ctx = calloc(1, sizeof(*ctx));
	struct kvmprof_result res[4];
	struct kvmprof_report rep = { .results = res, .capacity = 4 };
	int kvm = -1, vm = -1;

	(void)state;
	assert_non_null(ctx);
	if (rt_open_vm(&kvm, &vm) < 0) {
		free(ctx);
		skip();
	}
	assert_int_equal(kvmprof_vm_init(ctx, &vm_profile, kvm, vm, NULL), 0);
	assert_int_equal(kvmprof_verify_vm(ctx, &rep), KVMPROF_ERR_READBACK);
	assert_int_equal(res[0].outcome, KVMPROF_OUT_UNVERIFIABLE);
	assert_int_equal(rep.n_failed, 1);
	kvmprof_report_reset(&rep);
	assert_int_equal(kvmprof_apply_vm(ctx, &rep), 0);
	kvmprof_report_reset(&rep);
	assert_int_equal(kvmprof_verify_vm(ctx, &rep), 0);
	assert_int_equal(res[0].outcome, KVMPROF_OUT_VERIFIED);
	kvmprof_vm_fini(ctx);
	close(vm);
	close(kvm);
	free(ctx);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_validated_by_size),
		cmocka_unit_test(test_index_lookup),
#ifdef __x86_64__
		cmocka_unit_test(test_vmm_sets_cpuid_profile_kept),
		cmocka_unit_test(test_verify_catches_vmm_undoing),
		cmocka_unit_test(test_verify_without_cpuid),
		cmocka_unit_test(test_msrs_on_their_own),
		cmocka_unit_test(test_verify_follows_reads_once),
		cmocka_unit_test(test_feature_msr_values_read_when_needed),
		cmocka_unit_test(test_merge_strict_leaves_table),
		cmocka_unit_test(test_merge_missing_leaf),
		cmocka_unit_test(test_merge_any_table_order),
		cmocka_unit_test(test_verify_vm),
#else
		cmocka_unit_test(test_x86_only),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
