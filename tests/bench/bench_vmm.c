/* SPDX-License-Identifier: MIT */
/*
 * bench_vmm.c - what a real captured profile costs a whole VM, with kvmprof
 * and without it (`make bench`; issue 10 item 5).
 *
 * For VMs of 1, 8 and 64 vCPUs, configured by 8 threads (vCPU i on thread
 * i % 8), three ways of giving every vCPU the profile, interleaved (each
 * repetition starting with the next method) and repeated on fresh VMs
 * (VM and vCPU creation is not timed; everything from the first VM-wide
 * call to the last vCPU's last ioctl is):
 *
 *   kvmprof  the VMM-owned path, verified: kvmprof_vm_init (VMM sets CPUID),
 *            kvmprof_apply_vm; per vCPU the VMM's own table (KVM_GET_SUPPORTED_CPUID
 *            once per VM, its APIC id and hypervisor bit), kvmprof_x86_cpuid_merge
 *            / kvmprof_arm64_vcpu_init_merge, the VMM's KVM_SET_CPUID2 /
 *            KVM_ARM_VCPU_INIT, kvmprof_apply_vcpu, kvmprof_verify_vcpu;
 *            arm64: kvmprof_apply_vgic after the vGIC's CTRL_INIT
 *   naive    a VMM's unverified loop: one KVM_ENABLE_CAP per VM entry, CPUID
 *            as one table (KVM_GET_SUPPORTED_CPUID once, the profile's values
 *            overlaid), per vCPU one KVM_SET_CPUID2, one KVM_SET_MSRS per MSR,
 *            one KVM_SET_ONE_REG per register, one KVM_SET_DEVICE_ATTR per vGIC
 *            register; nothing read back
 *   qemu     (x86) QEMU 7.2's per-vCPU sequence as strace shows it: two
 *            KVM_GET_SUPPORTED_CPUID, one KVM_SET_CPUID2, six KVM_SET_MSRS,
 *            three KVM_GET_MSRS; the MSRs are the profile's and the
 *            architectural ones QEMU writes at reset (kvm_put_msrs)
 *   replay   (x86) not a floor but a measure of the kernel's share: the
 *            ioctls of one kvmprof VM, recorded, issued again with their
 *            inputs and nothing judged (record() and replay() below)
 *
 * Every ioctl goes through __wrap_ioctl (linked with -Wl,--wrap=ioctl), which
 * counts them per method, and counts arm64 ID-register writes (KVM_SET_ONE_REG
 * of Op0=3 Op1=0 CRn=0) on vCPUs after the first: KVM keeps ID registers per
 * VM, so those should cost nothing. Prints medians and the ratios against
 * the targets (kvmprof <= 1.0x naive, <= 0.5x qemu); with --count (arm64
 * under QEMU TCG, where time means nothing) only the ioctl counts.
 *
 * Usage: bench_vmm [--count] [--reps N] [--vcpus 1,8,64] [--threads 8] [--lenient]
 * The profile is the one compiled into the binary as `bench_profile`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
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

extern const struct kvmprof_profile bench_profile;

#define MAX_VCPUS 64
#define MAX_THREADS 8
#define MAX_FDS 4096
#define CPUID_ROOM 256

enum method { M_KVMPROF, M_NAIVE, M_QEMU, M_REPLAY, M_COUNT };
static const char *const method_name[M_COUNT] = { "kvmprof", "naive", "qemu", "replay" };

/* ---- counting every ioctl ---------------------------------------------------- */
int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

static atomic_ulong n_ioctls, n_idreg_writes_later;

/* --ioctls: calls and time per request, per method (what each costs). */
#define N_REQ_SLOTS 32
static int show_ioctls, count_only;
static unsigned long req_code[N_REQ_SLOTS];
static atomic_ulong req_calls[M_COUNT][N_REQ_SLOTS], req_ns[M_COUNT][N_REQ_SLOTS];
static atomic_int tally_method = -1; /* the method run_vm() is running, -1 outside */

static int req_slot(unsigned long req)
{
	for (int i = 0; i < N_REQ_SLOTS; i++) {
		if (req_code[i] == req)
			return i;
		if (!req_code[i]) {
			/* racy first insert: a duplicate slot only splits a line */
			req_code[i] = req;
			return i;
		}
	}
	return N_REQ_SLOTS - 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static int fd_vcpu_index[MAX_FDS]; /* vCPU fd -> index + 1 (0: not a vCPU) */

#if defined(__aarch64__)
/* arm64 system registers in ONE_REG ids: KVM_REG_ARM64_SYSREG, then
 * Op0 [15:14], Op1 [13:11], CRn [10:7] (arch/arm64/include/uapi/asm/kvm.h). */
static int is_id_register(uint64_t id)
{
	return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM64_SYSREG &&
	       ((id >> 14) & 3) == 3 && ((id >> 11) & 7) == 0 && ((id >> 7) & 0xf) == 0;
}
#endif

static void record(int fd, unsigned long req, void *arg);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	atomic_fetch_add_explicit(&n_ioctls, 1, memory_order_relaxed);
	record(fd, req, arg);
#if defined(__aarch64__)
	if (req == KVM_SET_ONE_REG && fd >= 0 && fd < MAX_FDS && fd_vcpu_index[fd] > 1 &&
	    is_id_register(((const struct kvm_one_reg *)arg)->id))
		atomic_fetch_add_explicit(&n_idreg_writes_later, 1, memory_order_relaxed);
#endif
	if (show_ioctls && atomic_load(&tally_method) >= 0) {
		int slot = req_slot(req), rc, m = atomic_load(&tally_method);
		uint64_t t0 = now_ns();

		rc = __real_ioctl(fd, req, arg);
		atomic_fetch_add_explicit(&req_calls[m][slot], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&req_ns[m][slot], now_ns() - t0, memory_order_relaxed);
		return rc;
	}
	return __real_ioctl(fd, req, arg);
}

static const char *req_name(unsigned long req)
{
	static const struct {
		unsigned long req;
		const char *name;
	} names[] = {
		{ KVM_CHECK_EXTENSION, "CHECK_EXTENSION" }, { KVM_ENABLE_CAP, "ENABLE_CAP" },
		{ KVM_SET_ONE_REG, "SET_ONE_REG" }, { KVM_GET_ONE_REG, "GET_ONE_REG" },
		{ KVM_GET_REG_LIST, "GET_REG_LIST" }, { KVM_SET_DEVICE_ATTR, "SET_DEVICE_ATTR" },
		{ KVM_GET_DEVICE_ATTR, "GET_DEVICE_ATTR" }, { KVM_HAS_DEVICE_ATTR, "HAS_DEVICE_ATTR" },
		{ KVM_CREATE_DEVICE, "CREATE_DEVICE" },
#if defined(__x86_64__)
		{ KVM_GET_SUPPORTED_CPUID, "GET_SUPPORTED_CPUID" }, { KVM_SET_CPUID2, "SET_CPUID2" },
		{ KVM_GET_CPUID2, "GET_CPUID2" }, { KVM_SET_MSRS, "SET_MSRS" }, { KVM_GET_MSRS, "GET_MSRS" },
		{ KVM_GET_MSR_INDEX_LIST, "GET_MSR_INDEX_LIST" },
		{ KVM_GET_MSR_FEATURE_INDEX_LIST, "GET_MSR_FEATURE_INDEX_LIST" },
#else
		{ KVM_ARM_VCPU_INIT, "ARM_VCPU_INIT" }, { KVM_ARM_PREFERRED_TARGET, "ARM_PREFERRED_TARGET" },
		{ KVM_ARM_VCPU_FINALIZE, "ARM_VCPU_FINALIZE" }, { KVM_GET_MP_STATE, "GET_MP_STATE" },
#endif
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].req == req)
			return names[i].name;
	return "other";
}

/* Prints and clears method m's per-request tally: calls per VM, mean time. */
static void print_ioctls(int m, int runs)
{
	printf("      %-8s", method_name[m]);
	for (int i = 0; i < N_REQ_SLOTS && req_code[i]; i++) {
		unsigned long c = atomic_exchange(&req_calls[m][i], 0), ns = atomic_exchange(&req_ns[m][i], 0);

		if (c && count_only)
			printf(" %s %g", req_name(req_code[i]), (double)c / runs);
		else if (c)
			printf(" %s %gx%.1fus", req_name(req_code[i]), (double)c / runs, ns / 1e3 / (double)c);
	}
	printf("\n");
}

/* ---- one VM ------------------------------------------------------------------- */
struct vm {
	int kvm, fd, vgic, n_vcpus, vcpu[MAX_VCPUS];
	enum method method;
	struct kvmprof_vm *ctx;
	int failed; /* a call that should have succeeded did not */
#if defined(__x86_64__)
	union {
		struct kvm_cpuid2 h;
		char room[sizeof(struct kvm_cpuid2) + CPUID_ROOM * sizeof(struct kvm_cpuid_entry2)];
	} cpuid; /* the VMM's table, from KVM_GET_SUPPORTED_CPUID once per VM */
#else
	struct kvm_vcpu_init init; /* the VMM's: KVM_ARM_PREFERRED_TARGET, PSCI 0.2 */
#endif
};

/* ---- replay: kvmprof's ioctls alone ------------------------------------------
 * x86: every ioctl of one verified kvmprof VM (the VM-wide ones and vCPU 0's,
 * the VMM's own KVM_SET_CPUID2 among them) is recorded here with its input,
 * and the replay method issues them again on each of its VMs, vCPU 0's on
 * every vCPU, with nothing judged: what the kernel alone charges for
 * kvmprof's sequence, under any library code. */
enum fd_role { ON_KVM, ON_VM, ON_VCPU };
struct recorded {
	int role;
	unsigned long req;
	size_t len;          /* bytes at arg; 0: arg is a value (KVM_CHECK_EXTENSION) */
	unsigned long value;
	unsigned char *arg;
};
#define MAX_RECORDED 64
#define MAX_ARG 16384
static struct recorded rec[2][MAX_RECORDED]; /* [0] VM-wide, [1] vCPU 0's */
static int n_rec[2], rec_unusable;
static const struct vm *_Atomic recording; /* the VM recorded now, NULL otherwise */

/* The input bytes of one x86 request; SIZE_MAX: one the replay cannot
 * copy (its struct points to more memory). */
static size_t arg_len(unsigned long req, const void *arg)
{
#if defined(__x86_64__)
	if (req == KVM_SET_CPUID2 || req == KVM_GET_CPUID2 || req == KVM_GET_SUPPORTED_CPUID)
		return sizeof(struct kvm_cpuid2) + ((const struct kvm_cpuid2 *)arg)->nent * sizeof(struct kvm_cpuid_entry2);
	if (req == KVM_SET_MSRS || req == KVM_GET_MSRS)
		return sizeof(struct kvm_msrs) + ((const struct kvm_msrs *)arg)->nmsrs * sizeof(struct kvm_msr_entry);
	if (req == KVM_GET_MSR_INDEX_LIST || req == KVM_GET_MSR_FEATURE_INDEX_LIST)
		return sizeof(struct kvm_msr_list) + ((const struct kvm_msr_list *)arg)->nmsrs * sizeof(uint32_t);
	if (req == KVM_CHECK_EXTENSION)
		return 0;
	if (req == KVM_ENABLE_CAP)
		return sizeof(struct kvm_enable_cap);
#endif
	(void)req;
	(void)arg;
	return SIZE_MAX;
}

static void record(int fd, unsigned long req, void *arg)
{
	const struct vm *vm = atomic_load(&recording);
	int role, set;
	struct recorded *r;
	size_t len;

	if (!vm)
		return;
	role = fd == vm->kvm ? ON_KVM : fd == vm->fd ? ON_VM : fd == vm->vcpu[0] ? ON_VCPU : -1;
	if (role < 0)
		return; /* another vCPU's: vCPU 0's stand for them */
	set = role == ON_VCPU;
	len = arg_len(req, arg);
	if (len == SIZE_MAX || len > MAX_ARG || n_rec[set] == MAX_RECORDED) {
		rec_unusable = 1;
		return;
	}
	r = &rec[set][n_rec[set]++];
	*r = (struct recorded){ .role = role, .req = req, .len = len, .value = (unsigned long)arg };
	if (len && (r->arg = malloc(len)))
		memcpy(r->arg, arg, len);
	else if (len)
		rec_unusable = 1;
}

/* Issues recorded set `set` on vm (vCPU ioctls on vcpu_fd). */
static void replay(const struct vm *vm, int set, int vcpu_fd)
{
	static __thread unsigned char buf[MAX_ARG];

	for (int i = 0; i < n_rec[set]; i++) {
		const struct recorded *r = &rec[set][i];
		int fd = r->role == ON_KVM ? vm->kvm : r->role == ON_VM ? vm->fd : vcpu_fd;

		if (!r->len) {
			ioctl(fd, r->req, r->value);
			continue;
		}
		memcpy(buf, r->arg, r->len);
		ioctl(fd, r->req, buf);
	}
}

static const struct kvmprof_profile *profile = &bench_profile;
static uint32_t flags;

static void fail(struct vm *vm, const char *what, int rc)
{
	if (!vm->failed)
		fprintf(stderr, "bench_vmm: %s: %s: %s\n", method_name[vm->method], what, kvmprof_strerror(rc));
	vm->failed = 1;
}

/* fail(), naming the first failing entry of the call's report. */
static void fail_report(struct vm *vm, const char *what, int rc, const struct kvmprof_report *r)
{
	char why[256] = "";

	for (uint32_t i = 0; i < r->count; i++)
		if (kvmprof_result_failed(&r->results[i])) {
			kvmprof_result_reason(&r->results[i], why, sizeof(why));
			break;
		}
	if (!vm->failed && why[0])
		fprintf(stderr, "bench_vmm: %s: %s: %s\n", method_name[vm->method], what, why);
	fail(vm, what, rc);
}

/* A report for one call, on the caller's stack. */
#define REPORT(r)                                                             \
	struct kvmprof_result r##_res[KVMPROF_MAX_ENTRIES];                   \
	struct kvmprof_report r = { .results = r##_res, .capacity = KVMPROF_MAX_ENTRIES }

#if defined(__x86_64__)
/* What every VMM puts in vCPU index's own table: its APIC ids, the
 * hypervisor bit. */
static void vmm_per_vcpu(struct kvm_cpuid2 *c, int index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | ((uint32_t)index << 24);
			e->ecx |= 1u << 31;
		}
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = (uint32_t)index; /* x2APIC id */
	}
}

/* The VMM's table for vCPU index: the VM's, then its per-vCPU values. */
static void vmm_cpuid_for(const struct vm *vm, int index, struct kvm_cpuid2 *c)
{
	memcpy(c, &vm->cpuid, sizeof(vm->cpuid.h) + vm->cpuid.h.nent * sizeof(vm->cpuid.h.entries[0]));
	vmm_per_vcpu(c, index);
}

static void get_supported_cpuid(struct vm *vm, struct kvm_cpuid2 *c)
{
	c->nent = CPUID_ROOM;
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, c) < 0)
		fail(vm, "KVM_GET_SUPPORTED_CPUID", -errno);
}

/* The naive VMM's "CPUID as one table": the profile's values overlaid. */
static void overlay_profile(struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < profile->n_entries; i++) {
		const struct kvmprof_entry *e = &profile->entries[i];

		if (e->kind != KVMPROF_KIND_CPUID)
			continue;
		for (uint32_t j = 0; j < c->nent; j++) {
			struct kvm_cpuid_entry2 *l = &c->entries[j];
			uint32_t *reg = e->reg == KVMPROF_CPUID_EAX ? &l->eax : e->reg == KVMPROF_CPUID_EBX ? &l->ebx
					: e->reg == KVMPROF_CPUID_ECX ? &l->ecx : &l->edx;

			if (l->function == (uint32_t)(e->id >> 32) && l->index == (uint32_t)e->id)
				*reg = (uint32_t)((*reg & ~e->mask) | (e->value & e->mask));
		}
	}
}

/* QEMU 7.2 at reset (kvm_put_msrs and friends) writes these besides the
 * feature MSRs: SYSENTER_CS/ESP/EIP, PAT, STAR, LSTAR, CSTAR, FMASK,
 * KERNEL_GS_BASE, TSC_AUX, MISC_ENABLE, TSC, TSC_ADJUST, TSC_DEADLINE,
 * MCG_STATUS, MCG_CTL (Intel SDM vol. 4 numbers). */
static const uint32_t qemu_msrs[] = { 0x174, 0x175, 0x176, 0x277, 0xc0000081, 0xc0000082, 0xc0000083,
				      0xc0000084, 0xc0000102, 0xc0000103, 0x1a0, 0x10, 0x3b, 0x6e0, 0x17a,
				      0x17b };
#define N_QEMU_MSRS (sizeof(qemu_msrs) / sizeof(qemu_msrs[0]))

#define MAX_MSRS (KVMPROF_MAX_FEATURE_MSRS + N_QEMU_MSRS)
union msrs {
	struct kvm_msrs h;
	char room[sizeof(struct kvm_msrs) + MAX_MSRS * sizeof(struct kvm_msr_entry)];
};

static void msr_call(struct vm *vm, int vcpu, unsigned long req, union msrs *m)
{
	if (m->h.nmsrs && ioctl(vcpu, req, m) < 0)
		fail(vm, req == KVM_SET_MSRS ? "KVM_SET_MSRS" : "KVM_GET_MSRS", -errno);
}

static void qemu_vcpu(struct vm *vm, int i)
{
	static __thread struct kvm_cpuid2 *c;
	static __thread union msrs feat, arch, one;
	int fd = vm->vcpu[i];

	if (!c)
		c = calloc(1, sizeof(vm->cpuid));
	get_supported_cpuid(vm, c); /* kvm_arch_get_supported_cpuid... */
	get_supported_cpuid(vm, c); /* ...and again for the host's cache info */
	overlay_profile(c);         /* the CPU model's values */
	vmm_per_vcpu(c, i);         /* its own table, set whole */
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0)
		fail(vm, "KVM_SET_CPUID2", -errno);
	feat.h.nmsrs = arch.h.nmsrs = 0;
	for (uint32_t j = 0; j < profile->n_entries; j++)
		if (profile->entries[j].kind == KVMPROF_KIND_MSR && feat.h.nmsrs < KVMPROF_MAX_FEATURE_MSRS)
			feat.h.entries[feat.h.nmsrs++] = (struct kvm_msr_entry){ .index = (uint32_t)profile->entries[j].id,
									 .data = profile->entries[j].value };
	for (size_t j = 0; j < N_QEMU_MSRS; j++)
		arch.h.entries[arch.h.nmsrs++] = (struct kvm_msr_entry){ .index = qemu_msrs[j] };
	msr_call(vm, fd, KVM_GET_MSRS, &arch);   /* 1: kvm_get_msrs at init */
	msr_call(vm, fd, KVM_SET_MSRS, &feat);   /* 1: kvm_init_msrs: feature MSRs */
	msr_call(vm, fd, KVM_SET_MSRS, &arch);   /* 2: kvm_put_msrs at reset */
	one.h.nmsrs = 1;
	one.h.entries[0] = (struct kvm_msr_entry){ .index = 0x10 };
	msr_call(vm, fd, KVM_GET_MSRS, &one);    /* 2: the TSC */
	msr_call(vm, fd, KVM_SET_MSRS, &one);    /* 3: the TSC, level full */
	one.h.entries[0] = (struct kvm_msr_entry){ .index = 0x6e0 };
	msr_call(vm, fd, KVM_SET_MSRS, &one);    /* 4: TSC_DEADLINE */
	one.h.entries[0] = (struct kvm_msr_entry){ .index = 0x17a };
	msr_call(vm, fd, KVM_SET_MSRS, &one);    /* 5: MCG_STATUS */
	msr_call(vm, fd, KVM_GET_MSRS, &arch);   /* 3: kvm_get_msrs after reset */
	msr_call(vm, fd, KVM_SET_MSRS, &arch);   /* 6: and back (post-reset sync) */
}
#endif

static void naive_vm(struct vm *vm)
{
	for (uint32_t i = 0; i < profile->n_entries; i++) {
		const struct kvmprof_entry *e = &profile->entries[i];
		struct kvm_enable_cap cap = { 0 };

		if (e->phase != KVMPROF_PHASE_VM)
			continue;
		if (e->kind == KVMPROF_KIND_ENABLE_CAP) {
			cap.cap = (uint32_t)e->id;
			memcpy(cap.args, e->args, sizeof(cap.args));
		} else if (e->kind == KVMPROF_KIND_QUIRKS || e->kind == KVMPROF_KIND_X2APIC_API) {
#if defined(__x86_64__)
			cap.cap = e->kind == KVMPROF_KIND_QUIRKS ? KVM_CAP_DISABLE_QUIRKS2 : KVM_CAP_X2APIC_API;
			cap.args[0] = e->value & e->mask;
#endif
		}
		ioctl(vm->fd, KVM_ENABLE_CAP, &cap); /* unverified: the result is not looked at */
	}
#if defined(__x86_64__)
	get_supported_cpuid(vm, &vm->cpuid.h);
	overlay_profile(&vm->cpuid.h);
#endif
}

static void naive_vcpu(struct vm *vm, int i)
{
	int fd = vm->vcpu[i];

#if defined(__x86_64__)
	static __thread struct kvm_cpuid2 *c;

	if (!c)
		c = calloc(1, sizeof(vm->cpuid));
	vmm_cpuid_for(vm, i, c);
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0)
		fail(vm, "KVM_SET_CPUID2", -errno);
#else
	struct kvm_vcpu_init init = vm->init;

	for (uint32_t j = 0; j < profile->n_entries; j++) {
		const struct kvmprof_entry *e = &profile->entries[j];

		if (e->kind == KVMPROF_KIND_VCPU_FEATURE && e->id < 32 * 7) {
			init.features[e->id / 32] &= ~(1u << (e->id % 32));
			init.features[e->id / 32] |= (uint32_t)(e->value & 1) << (e->id % 32);
		}
	}
	if (i > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(fd, KVM_ARM_VCPU_INIT, &init) < 0)
		fail(vm, "KVM_ARM_VCPU_INIT", -errno);
#endif
	for (uint32_t j = 0; j < profile->n_entries; j++) {
		const struct kvmprof_entry *e = &profile->entries[j];

		if (e->kind == KVMPROF_KIND_ONE_REG) {
			uint64_t v = e->value;
			struct kvm_one_reg r = { .id = e->id, .addr = (uintptr_t)&v };

			ioctl(fd, KVM_SET_ONE_REG, &r);
		}
#if defined(__x86_64__)
		if (e->kind == KVMPROF_KIND_MSR) {
			union msrs m = { .h.nmsrs = 1 };

			m.h.entries[0] = (struct kvm_msr_entry){ .index = (uint32_t)e->id, .data = e->value };
			ioctl(fd, KVM_SET_MSRS, &m);
		}
#endif
	}
}

/* --ioctls: the wall time of kvmprof's three calls per vCPU (its merge,
 * apply and verification, ioctls included), summed over a size's VMs.
 * --warm: each call made a second time at once, timed apart: the same work
 * with the library's code and data still in the caches. */
enum { CALL_MERGE, CALL_APPLY, CALL_VERIFY, N_TIMED_CALLS, N_CALLS = 2 * N_TIMED_CALLS };
static const char *const call_name[N_CALLS] = { "merge", "apply", "verify",
						"merge-again", "apply-again", "verify-again" };
static int warm;
static _Atomic double call_us[N_CALLS];
static atomic_ulong call_vcpus;

static void add_call_us(int call, double t0)
{
	double t = now_us() - t0, old = atomic_load(&call_us[call]);

	while (!atomic_compare_exchange_weak(&call_us[call], &old, old + t))
		;
}

/* --warm: call (apply or verification) made again at once, timed apart */
static void again(int call, int (*fn)(struct kvmprof_vm *, int, int, struct kvmprof_report *), struct vm *vm,
		  int fd, int i, struct kvmprof_report *rep)
{
	double t0;

	if (!warm)
		return;
	kvmprof_report_reset(rep);
	t0 = now_us();
	fn(vm->ctx, fd, i, rep);
	add_call_us(N_TIMED_CALLS + call, t0);
}

static void kvmprof_vcpu(struct vm *vm, int i)
{
	REPORT(rep);
	int fd = vm->vcpu[i], rc;
	double t0 = now_us();

#if defined(__x86_64__)
	static __thread struct kvm_cpuid2 *c;

	if (!c)
		c = calloc(1, sizeof(vm->cpuid));
	vmm_cpuid_for(vm, i, c);
	t0 = now_us();
	if ((rc = kvmprof_x86_cpuid_merge(vm->ctx, i, c, CPUID_ROOM, &rep)))
		fail_report(vm, "kvmprof_x86_cpuid_merge", rc, &rep);
	add_call_us(CALL_MERGE, t0);
	if (warm) { /* the merge of an already merged table changes nothing */
		kvmprof_report_reset(&rep);
		t0 = now_us();
		kvmprof_x86_cpuid_merge(vm->ctx, i, c, CPUID_ROOM, &rep);
		add_call_us(N_TIMED_CALLS + CALL_MERGE, t0);
	}
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0)
		fail(vm, "KVM_SET_CPUID2", -errno);
#else
	struct kvm_vcpu_init init = vm->init;

	if (i > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if ((rc = kvmprof_arm64_vcpu_init_merge(vm->ctx, i, &init, &rep)))
		fail_report(vm, "kvmprof_arm64_vcpu_init_merge", rc, &rep);
	add_call_us(CALL_MERGE, t0);
	if (ioctl(fd, KVM_ARM_VCPU_INIT, &init) < 0)
		fail(vm, "KVM_ARM_VCPU_INIT", -errno);
#endif
	kvmprof_report_reset(&rep);
	t0 = now_us();
	if ((rc = kvmprof_apply_vcpu(vm->ctx, fd, i, &rep)))
		fail_report(vm, "kvmprof_apply_vcpu", rc, &rep);
	add_call_us(CALL_APPLY, t0);
	again(CALL_APPLY, kvmprof_apply_vcpu, vm, fd, i, &rep);
	kvmprof_report_reset(&rep);
	t0 = now_us();
	if ((rc = kvmprof_verify_vcpu(vm->ctx, fd, i, &rep)))
		fail_report(vm, "kvmprof_verify_vcpu", rc, &rep);
	add_call_us(CALL_VERIFY, t0);
	again(CALL_VERIFY, kvmprof_verify_vcpu, vm, fd, i, &rep);
	atomic_fetch_add(&call_vcpus, 1);
}

/* ---- the threads --------------------------------------------------------------- */
static pthread_barrier_t start, done;
static struct vm *job;
static int n_threads = MAX_THREADS;

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&start);
		if (!job)
			return NULL;
		for (int i = t; i < job->n_vcpus; i += n_threads) {
			if (job->method == M_KVMPROF)
				kvmprof_vcpu(job, i);
			else if (job->method == M_NAIVE)
				naive_vcpu(job, i);
			else if (job->method == M_REPLAY)
				replay(job, 1, job->vcpu[i]);
#if defined(__x86_64__)
			else
				qemu_vcpu(job, i);
#endif
		}
		pthread_barrier_wait(&done);
	}
}

static int create_vm(struct vm *vm, int kvm, int n, enum method m)
{
	memset(vm, 0, offsetof(struct vm, ctx));
	vm->failed = 0;
	vm->kvm = kvm;
	vm->n_vcpus = n;
	vm->method = m;
	vm->vgic = -1;
	vm->fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return -errno;
#if defined(__x86_64__)
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return -errno;
#endif
	for (int i = 0; i < n; i++) {
		vm->vcpu[i] = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (vm->vcpu[i] < 0 || vm->vcpu[i] >= MAX_FDS)
			return vm->vcpu[i] < 0 ? -errno : -EMFILE;
		fd_vcpu_index[vm->vcpu[i]] = i + 1;
	}
#if defined(__aarch64__)
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &vm->init) < 0)
		return -errno;
	vm->init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
#endif
	return 0;
}

static void destroy_vm(struct vm *vm)
{
	for (int i = 0; i < vm->n_vcpus; i++) {
		if (vm->vcpu[i] >= 0 && vm->vcpu[i] < MAX_FDS)
			fd_vcpu_index[vm->vcpu[i]] = 0;
		close(vm->vcpu[i]);
	}
	if (vm->vgic >= 0)
		close(vm->vgic);
	close(vm->fd);
}

#if defined(__aarch64__)
/* The VMM's vGICv3, as kvmtool makes it: distributor and redistributors at
 * its addresses, then CTRL_INIT. Not what is measured: both methods do it. */
static void create_vgic(struct vm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = 0x3fff0000, redist = dist - (uint64_t)vm->n_vcpus * 0x20000;
	struct kvm_device_attr a_dist = { .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
					  .addr = (uintptr_t)&dist };
	struct kvm_device_attr a_redist = { .group = KVM_DEV_ARM_VGIC_GRP_ADDR,
					    .attr = KVM_VGIC_V3_ADDR_TYPE_REDIST, .addr = (uintptr_t)&redist };
	struct kvm_device_attr init = { .group = KVM_DEV_ARM_VGIC_GRP_CTRL, .attr = KVM_DEV_ARM_VGIC_CTRL_INIT };

	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &dev) < 0) {
		fail(vm, "KVM_CREATE_DEVICE vGICv3", -errno);
		return;
	}
	vm->vgic = (int)dev.fd;
	if (ioctl(vm->vgic, KVM_SET_DEVICE_ATTR, &a_dist) < 0 || ioctl(vm->vgic, KVM_SET_DEVICE_ATTR, &a_redist) < 0 ||
	    ioctl(vm->vgic, KVM_SET_DEVICE_ATTR, &init) < 0)
		fail(vm, "vGICv3 set-up", -errno);
}

static int profile_has_devices(void)
{
	return kvmprof_profile_phase_count(profile, KVMPROF_PHASE_DEVICE) > 0;
}
#endif

/* Configures vm with its method; returns the microseconds it took and
 * adds its ioctls to *ioctls (and ID-register writes on later vCPUs). */
static double run_vm(struct vm *vm, unsigned long *ioctls, unsigned long *idreg_later)
{
	static struct kvmprof_vm ctx;
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = flags | KVMPROF_VMM_SETS_CPUID | KVMPROF_VERIFY_FOLLOWS };
	double t0;
	unsigned long c0, w0;
	int rc;

	vm->ctx = &ctx;
	atomic_store(&tally_method, (int)vm->method);
	c0 = atomic_load(&n_ioctls);
	w0 = atomic_load(&n_idreg_writes_later);
	t0 = now_us();
	if (vm->method == M_KVMPROF) {
		REPORT(rep);

		if ((rc = kvmprof_vm_init(&ctx, profile, vm->kvm, vm->fd, &opts)))
			fail(vm, "kvmprof_vm_init", rc);
		else if ((rc = kvmprof_apply_vm(&ctx, &rep)))
			fail_report(vm, "kvmprof_apply_vm", rc, &rep);
#if defined(__x86_64__)
		/* the VMM's own table, from the one kvmprof_vm_init() read */
		const struct kvm_cpuid2 *sup = kvmprof_x86_supported_cpuid(&ctx);

		if (sup && sup->nent <= CPUID_ROOM)
			memcpy(&vm->cpuid, sup, sizeof(*sup) + sup->nent * sizeof(sup->entries[0]));
		else
			get_supported_cpuid(vm, &vm->cpuid.h);
#endif
	} else if (vm->method == M_REPLAY) {
		replay(vm, 0, -1);
	} else {
		naive_vm(vm); /* qemu: the same VM-wide calls */
	}
	job = vm;
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&done);
#if defined(__aarch64__)
	if (profile_has_devices()) {
		int fds[MAX_VCPUS];
		REPORT(rep);

		create_vgic(vm);
		for (int i = 0; i < vm->n_vcpus; i++)
			fds[i] = vm->vcpu[i];
		if (vm->method == M_KVMPROF) {
			if ((rc = kvmprof_apply_vgic(&ctx, vm->vgic, fds, (uint32_t)vm->n_vcpus, &rep)))
				fail_report(vm, "kvmprof_apply_vgic", rc, &rep);
		} else {
			for (uint32_t i = 0; i < profile->n_entries; i++) {
				const struct kvmprof_entry *e = &profile->entries[i];
				uint32_t v = (uint32_t)e->value;
				struct kvm_device_attr a = { .group = e->group, .attr = e->id, .addr = (uintptr_t)&v };

				if (e->kind == KVMPROF_KIND_DEVICE_ATTR)
					ioctl(vm->vgic, KVM_SET_DEVICE_ATTR, &a);
			}
		}
	}
#endif
	t0 = now_us() - t0;
	if (vm->method == M_KVMPROF)
		kvmprof_vm_fini(&ctx);
	atomic_store(&tally_method, -1);
	*ioctls += atomic_load(&n_ioctls) - c0;
	*idreg_later += atomic_load(&n_idreg_writes_later) - w0;
	return t0;
}

int main(int argc, char **argv)
{
	int sizes[8] = { 1, 8, 64 }, n_sizes = 3, reps = 0, kvm, bad = 0;
	int n_methods = 3;
	pthread_t th[MAX_THREADS];
	static struct vm vm;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count"))
			count_only = 1;
		else if (!strcmp(argv[i], "--ioctls"))
			show_ioctls = 1;
		else if (!strcmp(argv[i], "--warm"))
			warm = show_ioctls = 1;
		else if (!strcmp(argv[i], "--lenient"))
			flags |= KVMPROF_LENIENT;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			n_threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--vcpus") && i + 1 < argc) {
			char *s = argv[++i];

			for (n_sizes = 0; s && *s && n_sizes < 8; n_sizes++) {
				sizes[n_sizes] = atoi(s);
				s = strchr(s, ',');
				s = s ? s + 1 : NULL;
			}
		} else {
			fprintf(stderr, "usage: bench_vmm [--count] [--ioctls] [--warm] [--lenient] [--reps N] [--threads N] [--vcpus 1,8,64]\n");
			return 2;
		}
	}
	if (n_threads < 1 || n_threads > MAX_THREADS)
		n_threads = MAX_THREADS;
#if defined(__aarch64__)
	n_methods = 2; /* no QEMU sequence on arm64 */
#endif
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: bench_vmm: cannot open /dev/kvm: %s\n", strerror(errno));
		return 0;
	}
	pthread_barrier_init(&start, NULL, (unsigned)n_threads + 1);
	pthread_barrier_init(&done, NULL, (unsigned)n_threads + 1);
	for (int t = 0; t < n_threads; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);

	/* Strict first: a host that cannot present the profile (PVM rewrites
	 * CPUID) makes a strict apply stop early, so it is measured lenient,
	 * where every entry is still applied and judged. */
	if (!(flags & KVMPROF_LENIENT)) {
		unsigned long c = 0, w = 0;

		if (create_vm(&vm, kvm, 2, M_KVMPROF) != 0)
			return 1;
		run_vm(&vm, &c, &w);
		destroy_vm(&vm);
		if (vm.failed) {
			printf("bench_vmm: this host cannot present the profile strictly (above): measuring lenient\n");
			flags |= KVMPROF_LENIENT;
		}
		for (int i = 0; i < N_REQ_SLOTS; i++)
			atomic_store(&req_calls[M_KVMPROF][i], 0), atomic_store(&req_ns[M_KVMPROF][i], 0);
	}
#if defined(__x86_64__)
	/* What replay issues: one verified kvmprof VM's ioctls, recorded. */
	{
		unsigned long c = 0, w = 0;
		int warm_asked = warm;

		if (create_vm(&vm, kvm, 1, M_KVMPROF) != 0)
			return 1;
		warm = 0; /* the calls once, as the kvmprof method makes them */
		atomic_store(&recording, &vm);
		run_vm(&vm, &c, &w);
		atomic_store(&recording, NULL);
		warm = warm_asked;
		destroy_vm(&vm);
		for (int i = 0; i < N_REQ_SLOTS; i++)
			atomic_store(&req_calls[M_KVMPROF][i], 0), atomic_store(&req_ns[M_KVMPROF][i], 0);
		atomic_store(&call_vcpus, 0);
		for (int k = 0; k < N_CALLS; k++)
			atomic_store(&call_us[k], 0.0);
		if (!rec_unusable && n_rec[1] > 0 && !count_only)
			n_methods = M_COUNT;
		else if (!count_only)
			printf("bench_vmm: no replay: kvmprof's ioctls could not all be recorded\n");
	}
#endif
	printf("bench_vmm: profile %s (%u entries: %u VM-wide, %u per vCPU, %u vGIC), %d threads%s\n",
	       profile->name, profile->n_entries, kvmprof_profile_phase_count(profile, KVMPROF_PHASE_VM),
	       kvmprof_profile_phase_count(profile, KVMPROF_PHASE_VCPU_INIT) +
		       kvmprof_profile_phase_count(profile, KVMPROF_PHASE_VCPU_REGS),
	       kvmprof_profile_phase_count(profile, KVMPROF_PHASE_DEVICE), n_threads,
	       flags & KVMPROF_LENIENT ? ", lenient" : "");
	for (int s = 0; s < n_sizes; s++) {
		int n = sizes[s] < 1 ? 1 : sizes[s] > MAX_VCPUS ? MAX_VCPUS : sizes[s];
		int r = reps ? reps : count_only ? 1 : n == 1 ? 300 : n <= 8 ? 100 : 20;
		double *us[M_COUNT];
		unsigned long ioctls[M_COUNT] = { 0 }, idreg[M_COUNT] = { 0 };

		for (int m = 0; m < n_methods; m++)
			us[m] = calloc((size_t)r, sizeof(double));
		for (int k = 0; k < r; k++) {
			/* Each repetition starts with the next method: a VM's
			 * set-up shares the CPUs with the kernel's deferred
			 * teardown of the VM before it (64 vCPUs: the first
			 * KVM_GET_SUPPORTED_CPUID took 2.2 ms, the others 0.8),
			 * which a fixed order charged to kvmprof alone. */
			for (int j = 0; j < n_methods; j++) {
				int m = (j + k) % n_methods;
				int rc = create_vm(&vm, kvm, n, (enum method)m);

				if (rc) {
					fprintf(stderr, "bench_vmm: creating a VM of %d vCPUs: %s\n", n, strerror(-rc));
					return 1;
				}
				us[m][k] = run_vm(&vm, &ioctls[m], &idreg[m]);
				bad |= vm.failed;
				destroy_vm(&vm);
			}
		}
		printf("  %2d vCPU%s:", n, n == 1 ? " " : "s");
		for (int m = 0; m < n_methods; m++) {
			if (count_only)
				printf("  %s %lu ioctls", method_name[m], ioctls[m] / (unsigned long)r);
			else
				printf("  %s %8.1f us (%lu ioctls)", method_name[m], median(us[m], r),
				       ioctls[m] / (unsigned long)r);
		}
		printf("\n");
#if defined(__aarch64__)
		printf("  %2d vCPU%s:  ID-register writes on vCPUs after the first: kvmprof %lu, naive %lu (target: kvmprof 0)\n",
		       n, n == 1 ? " " : "s", idreg[M_KVMPROF] / (unsigned long)r, idreg[M_NAIVE] / (unsigned long)r);
		if (n == 8)
			printf("  %2d vCPUs:  ioctls kvmprof/naive %.3f (target <= 1)\n", n,
			       (double)ioctls[M_KVMPROF] / (double)ioctls[M_NAIVE]);
#endif
		if (!count_only) {
			double k = median(us[M_KVMPROF], r);

			printf("  %2d vCPU%s:  ratio kvmprof/naive %.3fx (target <= 1.0x)", n, n == 1 ? " " : "s",
			       k / median(us[M_NAIVE], r));
			if (n_methods > M_QEMU)
				printf("  kvmprof/qemu %.3fx (target <= 0.5x)", k / median(us[M_QEMU], r));
			printf("  [%d VMs each]%s\n", r, warm ? " (--warm: the times include the repeated calls)" : "");
			/* The replay is kvmprof's ioctls with none of the library's
			 * work: the best either ratio could be with this sequence. */
			if (n_methods > M_REPLAY)
				printf("  %2d vCPU%s:  replay, kvmprof's ioctls alone: %.1f us (%lu ioctls), replay/naive %.3fx, replay/qemu %.3fx, kvmprof/replay %.3fx\n",
				       n, n == 1 ? " " : "s", median(us[M_REPLAY], r), ioctls[M_REPLAY] / (unsigned long)r,
				       median(us[M_REPLAY], r) / median(us[M_NAIVE], r),
				       median(us[M_REPLAY], r) / median(us[M_QEMU], r), k / median(us[M_REPLAY], r));
		}
		for (int m = 0; m < n_methods && show_ioctls; m++)
			print_ioctls(m, r);
		if (show_ioctls && !count_only) {
			unsigned long nv = atomic_exchange(&call_vcpus, 0);

			printf("      kvmprof calls per vCPU, ioctls included:");
			for (int k = 0; k < (warm ? N_CALLS : N_TIMED_CALLS); k++)
				printf(" %s %.1fus", call_name[k], nv ? atomic_exchange(&call_us[k], 0.0) / (double)nv : 0.0);
			printf("\n");
		}
		for (int m = 0; m < n_methods; m++)
			free(us[m]);
	}
	job = NULL;
	pthread_barrier_wait(&start);
	for (int t = 0; t < n_threads; t++)
		pthread_join(th[t], NULL);
	close(kvm);
	if (bad)
		printf("bench_vmm: WARNING: some calls failed (above): the numbers measure a failing apply\n");
	return bad ? 1 : 0;
}
