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
 * arm64: the VMM writes a straight-line guest program into guest RAM: for
 * each system register the profile states an MRS, for PSCI_VERSION an HVC
 * PSCI_VERSION call, for each vGIC distributor register a 32-bit load from
 * the distributor (emulated by KVM); every value is stored to an MMIO slot
 * the VMM watches (KVM_EXIT_MMIO). The guest runs at EL1, MMU off.
 *
 * Exit status: 0 the guest saw every stated value, 1 it did not (or the
 * profile could not be applied), 2 setup failure.
 * tests/arm64/example_init.c builds this file into an /init with several
 * profiles (VMM_NO_MAIN, vmm_run_profile()) for real KVM/arm64 under QEMU.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kvmprof.h>

#define GUEST_MEM_SIZE 0x10000
#define GUEST_CODE 0x1000 /* offset of the guest's code in its RAM */

static struct kvmprof_vm vm_ctx; /* large: keep it off the stack */
static struct kvmprof_result results[512];
/* The runtime's verdict (enum kvmprof_outcome) per entry index, to print
 * beside what the guest saw. */
static uint8_t verdicts[KVMPROF_MAX_ENTRIES];

static void print_report(const char *what, const struct kvmprof_profile *p,
			 const struct kvmprof_report *r)
{
	char reason[256];

	for (uint32_t i = 0; i < r->count; i++) {
		const struct kvmprof_result *res = &r->results[i];
		size_t index = (size_t)(res->entry - p->entries);

		if (index < KVMPROF_MAX_ENTRIES)
			verdicts[index] = res->outcome;
		kvmprof_result_reason(res, reason, sizeof(reason));
		printf("  %-10s %-28s %-18s %s\n", kvmprof_phase_name(res->entry->phase), res->entry->name,
		       kvmprof_outcome_name(res->outcome), reason);
	}
	printf("%s: %u ok, %u failed, %u written\n", what, r->n_ok, r->n_failed, r->n_written);
}

static int64_t sign_extend(uint64_t v, unsigned width)
{
	if (width >= 64)
		return (int64_t)v;
	if (v & (UINT64_C(1) << (width - 1)))
		v |= ~((UINT64_C(1) << width) - 1);
	return (int64_t)v;
}

/* What the guest saw against what the entry states, under the entry's
 * policy: at-most fields may read back lower (signed fields compare
 * signed), every other stated bit must be equal. */
static int seen_matches(const struct kvmprof_entry *e, uint64_t seen)
{
	uint64_t exact_mask = e->mask;

	if (e->n_fields == 0 && e->policy == KVMPROF_POLICY_AT_MOST)
		return (seen & e->mask) <= (e->value & e->mask);
	for (uint32_t f = 0; f < e->n_fields; f++) {
		const struct kvmprof_field *fd = &e->fields[f];
		uint64_t ones = fd->width >= 64 ? UINT64_MAX : (UINT64_C(1) << fd->width) - 1;
		uint64_t got = (seen >> fd->shift) & ones, want = (e->value >> fd->shift) & ones;

		if (fd->policy != KVMPROF_POLICY_AT_MOST)
			continue;
		exact_mask &= ~(ones << fd->shift);
		if (fd->flags & KVMPROF_FIELD_SIGNED ? sign_extend(got, fd->width) > sign_extend(want, fd->width)
						     : got > want)
			return 0;
	}
	return (seen & exact_mask) == (e->value & exact_mask);
}

/* One line per value the guest reported; returns 1 if it differs. */
static int judge(const struct kvmprof_profile *p, const struct kvmprof_entry *e, const char *how,
		 uint64_t seen)
{
	int outcome = verdicts[e - p->entries];
	int ok;

	if (outcome == KVMPROF_OUT_SKIPPED_REQUIRES) {
		printf("  %-5s %-24s not stated on this kernel (requires: is false)\n", how, e->name);
		return 0;
	}
	ok = seen_matches(e, seen);
	printf("  %-5s %-24s wanted 0x%08" PRIx64 " mask 0x%08" PRIx64 " guest saw 0x%08" PRIx64
	       "  %s (runtime: %s)\n",
	       how, e->name, e->value, e->mask, seen, ok ? "ok" : "DIFFERENT", kvmprof_outcome_name(outcome));
	return !ok;
}

/* Prints the report of one phase; 0 to go on, -1 if the call failed. */
static int phase_done(int rc, const char *what, const struct kvmprof_profile *p,
		      struct kvmprof_report *report)
{
	print_report(what, p, report);
	kvmprof_report_reset(report);
	if (rc) {
		fprintf(stderr, "vmm: %s: %s\n", what, kvmprof_strerror(rc));
		return -1;
	}
	return 0;
}

#if defined(__x86_64__)
#define GUEST_RAM_BASE 0x0ull

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

static int run_guest_and_compare(const struct kvmprof_profile *p, int kvm_fd, int vcpu_fd, uint8_t *mem)
{
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
	printf("guest executed CPUID for %u stated register(s):\n", n_asked);
	for (uint32_t i = 0; i < n_asked; i++)
		mismatches += judge(p, asked[i], "CPUID", outs[4 * i + asked[i]->reg]);
	return (int)mismatches;
}
#elif defined(__aarch64__)
/*
 * Guest physical layout, QEMU virt's (hw/arm/virt.c: VIRT_GIC_DIST
 * 0x08000000, VIRT_GIC_REDIST 0x080A0000, RAM at 0x40000000). The MMIO
 * window is any IPA outside RAM and the vGIC: KVM has no memslot there, so
 * a guest store exits to the VMM as KVM_EXIT_MMIO.
 */
#define GUEST_RAM_BASE 0x40000000ull
#define GUEST_VECTORS 0x800 /* VBAR_EL1 needs 2 KiB alignment (Arm ARM D19.2, VBAR_EL1) */
#define VGIC_DIST_BASE 0x08000000ull
#define VGIC_REDIST_BASE 0x080a0000ull
#define MMIO_BASE 0x10000000ull
/* MMIO slots of 8 bytes: check i reports at slot i; then fixed slots. */
#define SLOT_EXCEPTION 4094 /* ESR_EL1 of an exception taken by the guest */
#define SLOT_DONE 4095      /* the guest finished */
#define MAX_CHECKS 4000     /* STR's scaled 12-bit offset reaches slot 4095 */

/* PSCI_0_2_FN_PSCI_VERSION (0x84000000, <linux/psci.h>, which <linux/kvm.h>
 * includes on arm64) is the SMCCC function id of PSCI_VERSION; the version
 * comes back in w0 (Arm DEN0022 PSCI, 5.1.1). */

/*
 * A64 encodings (Arm ARM DDI 0487, chapter C6):
 *  MRS  Xt, <sysreg>  1101010100 1 1 o0 op1 CRn CRm op2 Rt   (op0 = 2 + o0)
 *  MSR  <sysreg>, Xt  1101010100 0 1 o0 op1 CRn CRm op2 Rt
 *  STR  Xt, [Xn, #imm]  11 111 0 01 00 imm12 Rn Rt   (unsigned offset, imm = imm12 * 8)
 *  LDR  Wt, [Xn, #imm]  10 111 0 01 01 imm12 Rn Rt   (unsigned offset, imm = imm12 * 4)
 *  MOVZ Wd, #imm16, LSL #16   0 10 100101 01 imm16 Rd
 *  ADD  Xd, Xn, #imm12  1 0 0 100010 0 imm12 Rn Rd
 *  HVC  #0  0xd4000002, ERET 0xd69f03e0, B . 0x14000000
 * Loads and stores without writeback give a valid syndrome (ESR_ELx.ISV),
 * which KVM needs to turn an access into KVM_EXIT_MMIO.
 */
static uint32_t a64_sysreg(uint32_t base, unsigned rt, unsigned op0, unsigned op1, unsigned crn,
			   unsigned crm, unsigned op2)
{
	return base | ((op0 & 1u) << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt;
}
#define A64_MRS(rt, op0, op1, crn, crm, op2) a64_sysreg(0xd5300000u, rt, op0, op1, crn, crm, op2)
#define A64_MSR(rt, op0, op1, crn, crm, op2) a64_sysreg(0xd5100000u, rt, op0, op1, crn, crm, op2)
/* MRS of the register a ONE_REG id names (op0/op1/CRn/CRm/op2 by asm/kvm.h's masks). */
#define A64_MRS_ID(rt, id)                                                                             \
	A64_MRS(rt, (unsigned)(((id) & KVM_REG_ARM64_SYSREG_OP0_MASK) >> KVM_REG_ARM64_SYSREG_OP0_SHIFT), \
		(unsigned)(((id) & KVM_REG_ARM64_SYSREG_OP1_MASK) >> KVM_REG_ARM64_SYSREG_OP1_SHIFT),     \
		(unsigned)(((id) & KVM_REG_ARM64_SYSREG_CRN_MASK) >> KVM_REG_ARM64_SYSREG_CRN_SHIFT),     \
		(unsigned)(((id) & KVM_REG_ARM64_SYSREG_CRM_MASK) >> KVM_REG_ARM64_SYSREG_CRM_SHIFT),     \
		(unsigned)(((id) & KVM_REG_ARM64_SYSREG_OP2_MASK) >> KVM_REG_ARM64_SYSREG_OP2_SHIFT))
#define A64_STR_X(rt, rn, off) (0xf9000000u | ((uint32_t)(off) / 8u) << 10 | (rn) << 5 | (rt))
#define A64_LDR_W(rt, rn, off) (0xb9400000u | ((uint32_t)(off) / 4u) << 10 | (rn) << 5 | (rt))
#define A64_MOVZ_W_LSL16(rd, imm) (0x52a00000u | ((uint32_t)(imm) << 5) | (rd))
#define A64_ADD_X_IMM(rd, rn, imm) (0x91000000u | ((uint32_t)(imm) << 10) | (rn) << 5 | (rd))
#define A64_HVC0 0xd4000002u
#define A64_ERET 0xd69f03e0u
#define A64_B_SELF 0x14000000u
#define XZR 31u
#define X_MMIO 19u /* x19/x20: callee-saved under SMCCC, so the HVC keeps them */
#define X_DIST 20u

/* Core register ids for KVM_SET_ONE_REG: KVM_REG_ARM64 | U64 | KVM_REG_ARM_CORE |
 * the index of the field in struct kvm_regs in 32-bit words
 * (Documentation/virt/kvm/api.rst, "ARM64 core/FP-SIMD registers";
 * KVM_REG_ARM_CORE_REG in arch/arm64/include/uapi/asm/kvm.h):
 * x19 = 0x6030000000100026, x20 = ...0028, pc = ...0040. */
#define CORE_REG(field) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))
#define REG_VBAR_EL1 ARM64_SYS_REG(3, 0, 12, 0, 0)

enum check_how { CHECK_MRS, CHECK_HVC, CHECK_MMIO };
static const char *const how_names[] = { "MRS", "HVC", "MMIO" };

struct guest_check {
	const struct kvmprof_entry *entry;
	enum check_how how;
	int reported, trapped;
	uint64_t seen;
};
static struct guest_check checks[MAX_CHECKS];

static int set_one_reg(int vcpu_fd, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&value };

	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &reg);
}

static int device_attr(int fd, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)value };

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

/* A vGICv3 for one vCPU, initialised: KVM accepts distributor registers
 * (GICD_IIDR ...) only after KVM_DEV_ARM_VGIC_CTRL_INIT, which needs every
 * vCPU created first (Documentation/virt/kvm/devices/arm-vgic-v3.rst). */
static int create_vgic_v3(int vm_fd)
{
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = VGIC_DIST_BASE, redist = VGIC_REDIST_BASE;

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &gic) < 0 ||
	    device_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) < 0 ||
	    device_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist) < 0 ||
	    device_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL) < 0) {
		perror("vmm: vGICv3");
		return -1;
	}
	return (int)gic.fd;
}

/* Which entries a guest can read for itself, and how. */
static int plan_checks(const struct kvmprof_profile *p)
{
	int n = 0;

	for (uint32_t i = 0; i < p->n_entries && n < MAX_CHECKS; i++) {
		const struct kvmprof_entry *e = &p->entries[i];
		enum check_how how;

		if (e->kind == KVMPROF_KIND_ONE_REG &&
		    (e->id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM64_SYSREG)
			how = CHECK_MRS;
		else if (e->kind == KVMPROF_KIND_ONE_REG && e->id == KVM_REG_ARM_PSCI_VERSION)
			how = CHECK_HVC;
		else if (e->kind == KVMPROF_KIND_DEVICE_ATTR && e->aux == KVM_DEV_TYPE_ARM_VGIC_V3 &&
			 e->group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS && e->width <= 32 && e->id % 4 == 0 &&
			 e->id < 4096 * 4)
			how = CHECK_MMIO;
		else
			continue; /* vCPU features, other firmware registers: not guest-readable here */
		checks[n++] = (struct guest_check){ .entry = e, .how = how };
	}
	return n;
}

/* The guest program, straight-line: one read and one STR per check, then
 * a store to SLOT_DONE. Position-independent: addresses live in x19/x20. */
static void write_guest(uint32_t *code, int n)
{
	uint32_t pc = 0;

	for (int i = 0; i < n; i++) {
		uint64_t id = checks[i].entry->id;

		switch (checks[i].how) {
		case CHECK_MRS:
			code[pc++] = A64_MRS_ID(0, id);
			break;
		case CHECK_HVC:
			code[pc++] = A64_MOVZ_W_LSL16(0, PSCI_0_2_FN_PSCI_VERSION >> 16);
			code[pc++] = A64_HVC0;
			break;
		case CHECK_MMIO:
			code[pc++] = A64_LDR_W(0, X_DIST, id);
			break;
		}
		code[pc++] = A64_STR_X(0, X_MMIO, 8 * i);
	}
	code[pc++] = A64_STR_X(XZR, X_MMIO, 8 * SLOT_DONE);
	code[pc++] = A64_B_SELF;
}

/* Every exception vector (16 of 0x80 bytes): report ESR_EL1, skip the
 * faulting instruction, return. A register the guest may not read (UNDEF)
 * is then reported, not a hang. */
static void write_vectors(uint32_t *vectors)
{
	for (uint32_t v = 0; v < 16; v++) {
		uint32_t *h = vectors + v * 0x80 / 4;

		h[0] = A64_MRS(0, 3, 0, 5, 2, 0); /* ESR_EL1 (Arm ARM D19.2) */
		h[1] = A64_STR_X(0, X_MMIO, 8 * SLOT_EXCEPTION);
		h[2] = A64_MRS(0, 3, 0, 4, 0, 1); /* ELR_EL1 */
		h[3] = A64_ADD_X_IMM(0, 0, 4);
		h[4] = A64_MSR(0, 3, 0, 4, 0, 1);
		h[5] = A64_ERET;
	}
}

static int run_guest_and_compare(const struct kvmprof_profile *p, int kvm_fd, int vcpu_fd, uint8_t *mem)
{
	int n = plan_checks(p), size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0), pending_trap = 0;
	uint32_t reported = 0, mismatches = 0, exits = 0;
	struct kvm_run *run;

	write_vectors((uint32_t *)(mem + GUEST_VECTORS));
	write_guest((uint32_t *)(mem + GUEST_CODE), n);
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (run == MAP_FAILED)
		return -1;
	if (set_one_reg(vcpu_fd, CORE_REG(regs.regs[X_MMIO]), MMIO_BASE) < 0 ||
	    set_one_reg(vcpu_fd, CORE_REG(regs.regs[X_DIST]), VGIC_DIST_BASE) < 0 ||
	    set_one_reg(vcpu_fd, REG_VBAR_EL1, GUEST_RAM_BASE + GUEST_VECTORS) < 0 ||
	    set_one_reg(vcpu_fd, CORE_REG(regs.pc), GUEST_RAM_BASE + GUEST_CODE) < 0) {
		perror("vmm: KVM_SET_ONE_REG (x19, x20, VBAR_EL1, pc)");
		return -1;
	}
	for (;;) {
		uint64_t slot, value = 0;

		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("KVM_RUN");
			return -1;
		}
		if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write || run->mmio.len != 8 ||
		    run->mmio.phys_addr < MMIO_BASE || ++exits > 2u * MAX_CHECKS) {
			fprintf(stderr, "vmm: unexpected exit %u (mmio 0x%llx)\n", run->exit_reason,
				(unsigned long long)run->mmio.phys_addr);
			return -1;
		}
		memcpy(&value, run->mmio.data, 8);
		slot = (run->mmio.phys_addr - MMIO_BASE) / 8;
		if (slot == SLOT_DONE)
			break;
		if (slot == SLOT_EXCEPTION) {
			printf("  guest took an exception, ESR_EL1 0x%" PRIx64 "\n", value);
			pending_trap = 1;
		} else if (slot < (uint64_t)n) {
			checks[slot].reported = 1;
			checks[slot].trapped = pending_trap;
			checks[slot].seen = value;
			pending_trap = 0;
			reported++;
		}
	}
	munmap(run, (size_t)size);
	printf("guest read %u stated register(s) (MRS, HVC PSCI_VERSION, vGIC distributor MMIO):\n", reported);
	for (int i = 0; i < n; i++) {
		const struct kvmprof_entry *e = checks[i].entry;

		if (!checks[i].reported || checks[i].trapped) {
			printf("  %-5s %-24s the guest could not read it (%s)  DIFFERENT\n", how_names[checks[i].how],
			       e->name, checks[i].trapped ? "exception" : "no report");
			mismatches++;
			continue;
		}
		/* PSCI_VERSION returns a 32-bit value in w0; GICD registers are 32-bit loads. */
		mismatches += judge(p, e, how_names[checks[i].how],
				    checks[i].how == CHECK_MRS ? checks[i].seen : (uint32_t)checks[i].seen);
	}
	return (int)mismatches;
}
#else
#error "examples/vmm.c: x86_64 or aarch64 only"
#endif

/*
 * One VM, start to finish, with profile p. The order of the calls is the
 * integration guide: VM, (arm64: vCPU init), vCPU registers, (arm64: vGIC),
 * then the guest runs.
 */
static int vmm_run_profile(const struct kvmprof_profile *p)
{
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT };
	struct kvmprof_report report = { .results = results, .capacity = 512 };
	struct kvm_userspace_memory_region region = { 0 };
	int kvm_fd, vm_fd, vcpu_fd, rc, seen, status = 2;
	uint8_t *mem;

	memset(verdicts, KVMPROF_OUT_NOT_ATTEMPTED, sizeof(verdicts));
	printf("profile %s (%s), %u entries\n", p->name, p->source_hash, p->n_entries);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return 2;
	}
	/* 1. The VM, and before any vCPU: capabilities, quirks, x2APIC API. */
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0) {
		perror("KVM_CREATE_VM");
		close(kvm_fd);
		return 2;
	}
	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	region.guest_phys_addr = GUEST_RAM_BASE;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (mem == MAP_FAILED) {
		perror("guest memory");
		goto out_vm;
	}
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		perror("KVM_SET_USER_MEMORY_REGION");
		goto out_mem;
	}
	status = 1;
	rc = kvmprof_vm_init(&vm_ctx, p, kvm_fd, vm_fd, &opts);
	if (rc) {
		fprintf(stderr, "vmm: kvmprof_vm_init: %s\n", kvmprof_strerror(rc));
		goto out_mem;
	}
	if (phase_done(kvmprof_apply_vm(&vm_ctx, &report), "vm phase", p, &report))
		goto out_ctx;
	/* 2. Each vCPU: (arm64: KVM_ARM_VCPU_INIT features), then registers before the first KVM_RUN. */
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0) {
		perror("KVM_CREATE_VCPU");
		status = 2;
		goto out_ctx;
	}
#if defined(__aarch64__)
	{
		/* The target KVM prefers for this host; the profile then adds or
		 * clears its features (psci-0.2, pmu-v3, sve ...). */
		struct kvm_vcpu_init init;

		if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
			perror("KVM_ARM_PREFERRED_TARGET");
			status = 2;
			goto out_vcpu;
		}
		if (phase_done(kvmprof_apply_vcpu_init(&vm_ctx, vcpu_fd, &init, &report), "vcpu-init phase", p,
			       &report))
			goto out_vcpu;
	}
#endif
	if (phase_done(kvmprof_apply_vcpu_regs(&vm_ctx, vcpu_fd, &report), "vcpu-regs phase", p, &report))
		goto out_vcpu;
#if defined(__aarch64__)
	{
		/* 3. arm64: the vGIC, after every vCPU exists; its registers after CTRL_INIT. */
		int vgic_fd = create_vgic_v3(vm_fd);

		if (vgic_fd < 0) {
			status = 2;
			goto out_vcpu;
		}
		rc = phase_done(kvmprof_apply_devices(&vm_ctx, vgic_fd, &report), "device phase", p, &report);
		close(vgic_fd); /* the vGIC lives on with the VM */
		if (rc)
			goto out_vcpu;
	}
#endif
	/* 4. Run the guest and compare what it saw with the profile. */
	seen = run_guest_and_compare(p, kvm_fd, vcpu_fd, mem);
	if (seen < 0) {
		status = 2;
	} else {
		printf("%s\n", seen == 0 ? "the guest saw what the profile states"
					 : "the guest saw something else than the profile states (see DIFFERENT above)");
		status = seen == 0 ? 0 : 1;
	}
out_vcpu:
	close(vcpu_fd);
out_ctx:
	kvmprof_vm_fini(&vm_ctx);
out_mem:
	munmap(mem, GUEST_MEM_SIZE);
out_vm:
	close(vm_fd);
	close(kvm_fd);
	return status;
}

#ifndef VMM_NO_MAIN
extern const struct kvmprof_profile kvmprof_example_profile;

int main(void)
{
	return vmm_run_profile(&kvmprof_example_profile);
}
#endif
