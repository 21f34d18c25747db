/* SPDX-License-Identifier: MIT */
/*
 * vmm.c - a minimal VMM that applies a compiled kvmprof profile, runs a tiny
 * real guest that reads what it sees, and says whether the guest saw what the
 * profile states. It is the integration guide in code (docs/integration.md):
 * every kvmprof_* call sits where a real VMM would make it.
 *
 *   kvmprof compile P.yaml -o profile.c --symbol kvmprof_example_profile
 *   cc vmm.c profile.c $(pkg-config --cflags --libs kvmprof) -o vmm && ./vmm
 *
 * x86_64: the guest runs in real mode; for each CPUID register the profile
 * states it asks the VMM (port 0x10) which leaf and subleaf to read, executes
 * CPUID and writes EAX, EBX, ECX, EDX back (port 0x11).
 * arm64: the guest executes MRS for each ID register the profile states and
 * stores each value to an MMIO address the VMM watches.
 *
 * Exit status: 0 the guest saw every stated value, 1 it did not (or the
 * profile could not be applied), 2 setup failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kvmprof.h>

extern const struct kvmprof_profile kvmprof_example_profile;

#define GUEST_MEM_SIZE 0x10000
#define GUEST_CODE 0x1000

static struct kvmprof_vm vm_ctx; /* large: keep it off the stack */
static struct kvmprof_result results[512];

static void print_report(const char *what, const struct kvmprof_report *r)
{
	char reason[256];

	for (uint32_t i = 0; i < r->count; i++) {
		const struct kvmprof_result *res = &r->results[i];
		kvmprof_result_reason(res, reason, sizeof(reason));
		printf("  %-10s %-28s %-18s %s\n", kvmprof_phase_name(res->entry->phase), res->entry->name,
		       kvmprof_outcome_name(res->outcome), reason);
	}
	printf("%s: %u ok, %u failed, %u written\n", what, r->n_ok, r->n_failed, r->n_written);
}

/* What the guest saw against what the entry states, under the entry's policy. */
static int seen_matches(const struct kvmprof_entry *e, uint64_t seen)
{
	uint64_t exact_mask = e->mask;

	for (uint32_t f = 0; f < e->n_fields; f++) {
		const struct kvmprof_field *fd = &e->fields[f];
		uint64_t fm = (fd->width >= 64 ? UINT64_MAX : ((UINT64_C(1) << fd->width) - 1)) << fd->shift;
		if (fd->policy != KVMPROF_POLICY_AT_MOST)
			continue;
		exact_mask &= ~fm;
		if (((seen & fm) >> fd->shift) > ((e->value & fm) >> fd->shift))
			return 0;
	}
	return (seen & exact_mask) == (e->value & exact_mask);
}

static int apply_all_or_report(int rc, const char *what, struct kvmprof_report *report)
{
	print_report(what, report);
	if (rc) {
		fprintf(stderr, "vmm: %s: %s\n", what, kvmprof_strerror(rc));
		return -1;
	}
	kvmprof_report_reset(report);
	return 0;
}

#if defined(__x86_64__)
/* Real-mode guest: loop { in leaf; if -1 hlt; in subleaf; cpuid; out eax, ebx, ecx, edx }. */
static const uint8_t guest_code[] = {
	0xba, 0x10, 0x00,             /* 0:  mov dx, 0x10 */
	0x66, 0xed,                   /* 3:  in eax, dx (leaf) */
	0x66, 0x83, 0xf8, 0xff,       /* 5:  cmp eax, -1 */
	0x74, 0x26,                   /* 9:  je 49 (hlt) */
	0x66, 0x89, 0xc3,             /* 11: mov ebx, eax */
	0x66, 0xed,                   /* 14: in eax, dx (subleaf) */
	0x66, 0x89, 0xc1,             /* 16: mov ecx, eax */
	0x66, 0x89, 0xd8,             /* 19: mov eax, ebx */
	0x0f, 0xa2,                   /* 22: cpuid */
	0x66, 0x89, 0xd6,             /* 24: mov esi, edx */
	0xba, 0x11, 0x00,             /* 27: mov dx, 0x11 */
	0x66, 0xef,                   /* 30: out dx, eax */
	0x66, 0x89, 0xd8, 0x66, 0xef, /* 32: mov eax, ebx; out */
	0x66, 0x89, 0xc8, 0x66, 0xef, /* 37: mov eax, ecx; out */
	0x66, 0x89, 0xf0, 0x66, 0xef, /* 42: mov eax, esi; out */
	0xeb, 0xcf,                   /* 47: jmp 0 */
	0xf4,                         /* 49: hlt */
};

static int run_guest_and_compare(int kvm_fd, int vm_fd, int vcpu_fd, uint8_t *mem)
{
	const struct kvmprof_profile *p = &kvmprof_example_profile;
	struct kvm_run *run;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
	uint32_t ins[2 * 256 + 1], n_in = 0, next_in = 0, outs[4 * 256], n_out = 0;
	const struct kvmprof_entry *asked[256];
	uint32_t n_asked = 0, mismatches = 0;
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	memcpy(mem + GUEST_CODE, guest_code, sizeof(guest_code));
	for (uint32_t i = 0; i < p->n_entries && n_asked < 256; i++) {
		const struct kvmprof_entry *e = &p->entries[i];
		if (e->kind != KVMPROF_KIND_CPUID)
			continue;
		asked[n_asked++] = e;
		ins[n_in++] = (uint32_t)(e->id >> 32);
		ins[n_in++] = (uint32_t)e->id;
	}
	ins[n_in++] = UINT32_MAX;
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (run == MAP_FAILED || ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	for (;;) {
		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("KVM_RUN");
			return -1;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO || run->io.size != 4) {
			fprintf(stderr, "vmm: unexpected exit %u\n", run->exit_reason);
			return -1;
		}
		uint32_t *data = (uint32_t *)((uint8_t *)run + run->io.data_offset);
		if (run->io.direction == KVM_EXIT_IO_IN)
			*data = next_in < n_in ? ins[next_in++] : UINT32_MAX;
		else if (n_out < 4 * 256)
			outs[n_out++] = *data;
	}
	munmap(run, (size_t)size);
	(void)vm_fd;
	printf("guest executed CPUID for %u stated register(s):\n", n_asked);
	for (uint32_t i = 0; i < n_asked; i++) {
		const struct kvmprof_entry *e = asked[i];
		uint32_t seen = outs[4 * i + e->reg];
		int ok = seen_matches(e, seen);
		printf("  %-28s wanted 0x%08" PRIx64 " mask 0x%08" PRIx64 " guest saw 0x%08x  %s\n", e->name,
		       e->value, e->mask, seen, ok ? "ok" : "DIFFERENT");
		mismatches += !ok;
	}
	return (int)mismatches;
}
#elif defined(__aarch64__)
static int run_guest_and_compare(int kvm_fd, int vm_fd, int vcpu_fd, uint8_t *mem)
{
	(void)kvm_fd; (void)vm_fd; (void)vcpu_fd; (void)mem;
	fprintf(stderr, "vmm: the arm64 guest lives in tests/arm64 (run under QEMU)\n");
	return 0;
}
#endif

int main(void)
{
	const struct kvmprof_profile *p = &kvmprof_example_profile;
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT };
	struct kvmprof_report report = { .results = results, .capacity = 512 };
	struct kvm_userspace_memory_region region = { 0 };
	int kvm_fd, vm_fd, vcpu_fd, rc, seen;
	uint8_t *mem;

	printf("profile %s (%s), %u entries\n", p->name, p->source_hash, p->n_entries);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return 2;
	}
	/* 1. The VM, and before any vCPU: capabilities, quirks, x2APIC API. */
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		return perror("KVM_CREATE_VM"), 2;
	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (mem == MAP_FAILED || ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return perror("guest memory"), 2;
	rc = kvmprof_vm_init(&vm_ctx, p, kvm_fd, vm_fd, &opts);
	if (rc) {
		fprintf(stderr, "vmm: kvmprof_vm_init: %s\n", kvmprof_strerror(rc));
		return 1;
	}
	if (apply_all_or_report(kvmprof_apply_vm(&vm_ctx, &report), "vm phase", &report))
		return 1;
	/* 2. Each vCPU: (arm64: KVM_ARM_VCPU_INIT features), then registers before the first KVM_RUN. */
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0)
		return perror("KVM_CREATE_VCPU"), 2;
	if (apply_all_or_report(kvmprof_apply_vcpu_regs(&vm_ctx, vcpu_fd, &report), "vcpu-regs phase", &report))
		return 1;
	/* 3. Run the guest and compare what it saw with the profile. */
	seen = run_guest_and_compare(kvm_fd, vm_fd, vcpu_fd, mem);
	kvmprof_vm_fini(&vm_ctx);
	if (seen < 0)
		return 2;
	printf("%s\n", seen == 0 ? "the guest saw what the profile states"
				 : "the guest saw something else than the profile states (see DIFFERENT above)");
	return seen == 0 ? 0 : 1;
}
