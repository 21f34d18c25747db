/* SPDX-License-Identifier: MIT */
/*
 * bench_apply.c - cost of libkvmprof on the real /dev/kvm (x86_64).
 *
 * Per vCPU: kvmprof_apply_vcpu_regs() against a floor made of the very same
 * ioctls issued directly (same count, same buffers, no validation or
 * report), measured in the same run on fresh vCPUs, interleaved, with the
 * thread pinned. Prints medians and the ratio (target <= 1.2x), and the
 * one-off kvmprof_vm_init() cost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kvmprof.h"
#include "bench.h"
#include "rt_fixtures.h"

#ifndef __x86_64__
int main(void)
{
	printf("SKIP: bench_apply is x86_64 only (arm64 runs under QEMU TCG: no timing)\n");
	return 0;
}
#else

#define CPUID_ID(fn, idx) (((uint64_t)(fn) << 32) | (idx))
#define N_VCPUS 240 /* per VM: half library, half floor */
#define N_VMS 3

/* A typical profile: a handful of CPUID registers, three MSRs, one ONE_REG.
 * The CPUID bits are ones PVM does not rewrite in KVM_GET_CPUID2 (it does
 * rewrite e.g. CPUID.1.EDX[28] and leaf 7: see test_rt_x86_kvm). */
static const struct kvmprof_entry entries[] = {
	{ .name = "CPUID.0x0.0x0.EAX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EAX, .id = CPUID_ID(0, 0), .value = 0xd, .mask = ~0u },
	{ .name = "CPUID.0x1.0x0.ECX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(1, 0), .value = 0, .mask = 1u << 13 },
	{ .name = "CPUID.0x80000001.0x0.EDX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EDX, .id = CPUID_ID(0x80000001, 0), .value = 0, .mask = 1u << 25 },
	{ .name = "CPUID.0x80000007.0x0.EDX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_EDX, .id = CPUID_ID(0x80000007, 0), .value = 0, .mask = 1u << 8 },
	{ .name = "CPUID.0x80000001.0x0.ECX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32,
	  .reg = KVMPROF_CPUID_ECX, .id = CPUID_ID(0x80000001, 0), .value = 0, .mask = 1u << 0 },
	{ .name = "SYSENTER_CS", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x174, .value = 0x10, .mask = ~0ull },
	{ .name = "SYSENTER_ESP", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x175, .value = 0x20, .mask = ~0ull },
	{ .name = "SYSENTER_EIP", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64,
	  .id = 0x176, .value = 0x30, .mask = ~0ull },
	{ .name = "PAT", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = 0x2030000200000277ull, .value = 0x0007040600070404ull, .mask = ~0ull },
};
static const struct kvmprof_profile profile = RT_PROFILE(KVMPROF_ARCH_X86_64, entries, 0, 0, 9, 0);

/* Unions, not structs with the header first: ISO C has no member after a
 * flexible array (clang -Wgnu-variable-sized-type-not-at-end). */
union cpuid_buf {
	struct kvm_cpuid2 h;
	unsigned char bytes[sizeof(struct kvm_cpuid2) + 256 * sizeof(struct kvm_cpuid_entry2)];
};
union msr_buf {
	struct kvm_msrs h;
	unsigned char bytes[sizeof(struct kvm_msrs) + 3 * sizeof(struct kvm_msr_entry)];
};

/* The floor: what a hand-written VMM would issue for the same result,
 * including the same reads (before, after) the library does. */
static void floor_apply(int vcpu, const union cpuid_buf *tmpl, union cpuid_buf *got)
{
	static const uint32_t idx[3] = { 0x174, 0x175, 0x176 };
	static const uint64_t val[3] = { 0x10, 0x20, 0x30 };
	union msr_buf m = { .h.nmsrs = 3 };
	uint64_t pat = 0, want = 0x0007040600070404ull;
	struct kvm_one_reg one = { .id = 0x2030000200000277ull, .addr = (uintptr_t)&pat };

	ioctl(vcpu, KVM_SET_CPUID2, tmpl);
	got->h.nent = tmpl->h.nent;
	ioctl(vcpu, KVM_GET_CPUID2, got);
	ioctl(vcpu, KVM_GET_ONE_REG, &one);
	one.addr = (uintptr_t)&want;
	ioctl(vcpu, KVM_SET_ONE_REG, &one);
	one.addr = (uintptr_t)&pat;
	ioctl(vcpu, KVM_GET_ONE_REG, &one);
	for (int i = 0; i < 3; i++)
		m.h.entries[i].index = idx[i];
	ioctl(vcpu, KVM_GET_MSRS, &m);
	for (int i = 0; i < 3; i++)
		m.h.entries[i].data = val[i];
	ioctl(vcpu, KVM_SET_MSRS, &m);
	ioctl(vcpu, KVM_GET_MSRS, &m);
}

static void build_template(int kvm, union cpuid_buf *t)
{
	t->h.nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, t) < 0) {
		perror("KVM_GET_SUPPORTED_CPUID");
		exit(1);
	}
	for (uint32_t i = 0; i < t->h.nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->h.entries[i];

		if (e->function == 0)
			e->eax = 0xd;
		if (e->function == 1)
			e->ecx &= ~(1u << 13);
		if (e->function == 0x80000007)
			e->edx &= ~(1u << 8);
		if (e->function == 0x80000001) {
			e->ecx &= ~1u;
			e->edx &= ~(1u << 25);
		}
	}
}

int main(void)
{
	static struct kvmprof_vm ctx;
	static union cpuid_buf tmpl, got;
	static double lib[N_VMS * N_VCPUS / 2], flo[N_VMS * N_VCPUS / 2], init_us[32];
	struct kvmprof_result res[16];
	struct kvmprof_opts opts = { .sz = sizeof(opts) };
	int kvm, nl = 0, nf = 0, bad = 0;
	cpu_set_t set;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return 0;
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	build_template(kvm, &tmpl);

	/* One-off cost: kvmprof_vm_init (reads KVM_GET_SUPPORTED_CPUID, MSR
	 * lists) on fresh VMs. */
	for (int i = 0; i < 32; i++) {
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		double t0 = now_us();

		if (kvmprof_vm_init(&ctx, &profile, kvm, vm, &opts) != 0)
			bad++;
		init_us[i] = now_us() - t0;
		kvmprof_vm_fini(&ctx);
		close(vm);
	}

	for (int v = 0; v < N_VMS; v++) {
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		int vcpus[N_VCPUS + 1];
		struct kvmprof_report rep = { .results = res, .capacity = 16 };

		if (vm < 0 || kvmprof_vm_init(&ctx, &profile, kvm, vm, &opts) != 0 ||
		    kvmprof_apply_vm(&ctx, &rep) != 0) {
			fprintf(stderr, "setup failed\n");
			return 1;
		}
		for (int i = 0; i <= N_VCPUS; i++)
			vcpus[i] = ioctl(vm, KVM_CREATE_VCPU, i);
		/* warm-up: the first vCPU also computes the shared vCPU facts */
		kvmprof_report_reset(&rep);
		if (kvmprof_apply_vcpu_regs(&ctx, vcpus[N_VCPUS], &rep) != 0)
			bad++;
		for (int i = 0; i < N_VCPUS; i += 2) {
			double t0, t1, t2;

			kvmprof_report_reset(&rep);
			t0 = now_us();
			if (kvmprof_apply_vcpu_regs(&ctx, vcpus[i], &rep) != 0 || rep.n_failed)
				bad++;
			t1 = now_us();
			floor_apply(vcpus[i + 1], &tmpl, &got);
			t2 = now_us();
			lib[nl++] = t1 - t0;
			flo[nf++] = t2 - t1;
		}
		kvmprof_vm_fini(&ctx);
		for (int i = 0; i <= N_VCPUS; i++)
			close(vcpus[i]);
		close(vm);
	}
	{
		double ml = median(lib, nl), mf = median(flo, nf), mi = median(init_us, 32);

		printf("bench_apply: %d vCPUs each, profile of %u entries (5 CPUID, 3 MSR, 1 ONE_REG)\n",
		       nl, profile.n_entries);
		printf("  kvmprof_apply_vcpu_regs  median %8.1f us/vCPU (8 ioctls)\n", ml);
		printf("  same ioctls, direct      median %8.1f us/vCPU (floor)\n", mf);
		printf("  ratio                    %8.3fx (target <= 1.2x)\n", ml / mf);
		printf("  kvmprof_vm_init          median %8.1f us (one-off per VM)\n", mi);
		if (bad)
			printf("  WARNING: %d calls did not apply cleanly\n", bad);
	}
	close(kvm);
	return bad ? 1 : 0;
}
#endif
