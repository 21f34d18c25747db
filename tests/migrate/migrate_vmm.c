/* SPDX-License-Identifier: MIT */
/*
 * migrate_vmm.c - a running guest carried from one kernel to another.
 *
 * examples/vmm.c (its phases, vGIC and A64 helpers) grown into a VMM that
 * saves and restores a guest the way a real VMM does:
 *
 *   save     (kernel A) per profile P: a VM with P applied (lenient, as
 *            vmm.c), a small guest reads what it sees into its own RAM
 *            (record 1) and stops at a checkpoint; the VMM completes the
 *            pending exit (KVM_RUN with immediate_exit) and writes the whole
 *            state as text (migrate_write_state):
 *              arm64  every register of KVM_GET_REG_LIST, MP state, vCPU
 *                     events, the vGICv3 (distributor, redistributor, CPU
 *                     interface system registers, line levels), guest RAM
 *              x86    regs, sregs, FPU, XSAVE, XCRs, LAPIC, MP state, vCPU
 *                     events, debug registers, every readable MSR of
 *                     KVM_GET_MSR_INDEX_LIST, CPUID, guest RAM
 *   restore  (kernel B) per saved state: a VM with the profile named in the
 *            state applied, kvmprof_migration_check() BEFORE anything is
 *            restored (refuse, naming registers and policy), then the state,
 *            then the guest resumes, reads everything again (record 2) and
 *            the VMM reports, field by field, what changed.
 *
 * What the guest reads:
 *   arm64  MRS of the ID registers (Op0=3, Op1=0, CRn=0), CCSIDR_EL1 of
 *          L1D, L1I and L2 (through CSSELR_EL1), CLIDR, CTR, DCZID, AIDR, CNTFRQ; HVC
 *          PSCI_VERSION; GICD_CTLR, TYPER, IIDR, TYPER2, PIDR2 by MMIO.
 *   x86    CPUID leaves, RDMSR of feature MSRs (a #GP is recorded as
 *          0xffffffffffffffff).
 *
 * Verdict lines (stdout), one per state, for tests/suites/migrate.sh:
 *   migrate: verdict PROFILE same|noticed|refused|failed TEXT
 */
#include <dirent.h>
#include <stdarg.h>
#include <sys/utsname.h>

#define VMM_NO_MAIN
#include "../../examples/vmm.c"

#define REC1 0x8000      /* record of the first look (8-byte slots) */
#define REC2 0xa000      /* record after the restore */
#define REC_SLOTS 1024
#define RESUME_FLAG 0xf000 /* the destination VMM writes 1: go on */
#define STATE_MAX_LINES 8192

/* The state of one vCPU and its VM, as text lines "key a b ...". */
struct state {
	char *lines[STATE_MAX_LINES];
	int n;
};

static void st_add(struct state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void st_add(struct state *s, const char *fmt, ...)
{
	va_list ap;
	char buf[16384];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (s->n < STATE_MAX_LINES)
		s->lines[s->n++] = strdup(buf);
}

static void st_free(struct state *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->lines[i]);
	s->n = 0;
}

static void hex_of(char *out, const void *data, size_t len)
{
	const uint8_t *b = data;

	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * len] = '\0';
}

static int bytes_of(const char *hex, void *data, size_t len)
{
	uint8_t *b = data;

	if (strlen(hex) != 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (uint8_t)v;
	}
	return 0;
}

static void st_blob(struct state *s, const char *name, const void *data, size_t len)
{
	char *hex = malloc(2 * len + 1);

	hex_of(hex, data, len);
	st_add(s, "blob %s %s", name, hex);
	free(hex);
}

/* The line "key name ..." (the first whose first two words match), or NULL. */
static const char *st_find(const struct state *s, const char *key, const char *name)
{
	size_t kl = strlen(key), nl = name ? strlen(name) : 0;

	for (int i = 0; i < s->n; i++) {
		const char *l = s->lines[i];

		if (strncmp(l, key, kl) || l[kl] != ' ')
			continue;
		if (!name)
			return l + kl + 1;
		if (!strncmp(l + kl + 1, name, nl) && l[kl + 1 + nl] == ' ')
			return l + kl + 1 + nl + 1;
	}
	return NULL;
}

static int st_get_blob(const struct state *s, const char *name, void *data, size_t len)
{
	const char *hex = st_find(s, "blob", name);

	return hex ? bytes_of(hex, data, len) : -1;
}

static void st_mem(struct state *s, const uint8_t *mem)
{
	char hex[2 * 256 + 1];

	for (size_t off = 0; off < GUEST_MEM_SIZE; off += 256) {
		size_t i = 0;

		while (i < 256 && !mem[off + i])
			i++;
		if (i == 256)
			continue;
		hex_of(hex, mem + off, 256);
		st_add(s, "mem %zx %s", off, hex);
	}
}

static int st_get_mem(const struct state *s, uint8_t *mem)
{
	memset(mem, 0, GUEST_MEM_SIZE);
	for (int i = 0; i < s->n; i++) {
		size_t off;
		char hex[2 * 256 + 2];

		if (sscanf(s->lines[i], "mem %zx %513s", &off, hex) != 2)
			continue;
		if (off > GUEST_MEM_SIZE - 256 || bytes_of(hex, mem + off, 256))
			return -1;
	}
	return 0;
}

/* ---- what the guest reads (both arches: name, and how, per slot) ---- */

struct look {
	char name[40];
	uint64_t id;  /* arm64: one-reg id (MRS), GICD offset (MMIO); x86: leaf<<32|subleaf or MSR */
	int how;      /* per arch */
	int csselr;   /* arm64 CCSIDR: the CSSELR_EL1 value, else -1 */
};
static struct look looks[REC_SLOTS];
static int n_looks;

static void add_look(const char *name, uint64_t id, int how, int csselr)
{
	if (n_looks >= REC_SLOTS)
		return;
	snprintf(looks[n_looks].name, sizeof(looks[n_looks].name), "%s", name);
	looks[n_looks].id = id;
	looks[n_looks].how = how;
	looks[n_looks].csselr = csselr;
	n_looks++;
}

/* The profile's entry for what look l read, to name its fields. */
static const struct kvmprof_entry *entry_of(const struct kvmprof_profile *p, const struct look *l);

/* Prints, field by field, what changed between record 1 and record 2;
 * returns how many looks changed. */
static int compare_records(const struct kvmprof_profile *p, const uint8_t *mem, char *summary, size_t len)
{
	const uint64_t *r1 = (const uint64_t *)(mem + REC1), *r2 = (const uint64_t *)(mem + REC2);
	int changed = 0;
	size_t used = 0;

	summary[0] = '\0';
	for (int i = 0; i < n_looks; i++) {
		const struct kvmprof_entry *e;
		char what[512];
		size_t w = 0;

		if (r1[i] == r2[i])
			continue;
		changed++;
		e = entry_of(p, &looks[i]);
		w += (size_t)snprintf(what + w, sizeof(what) - w, "%.39s 0x%" PRIx64 "->0x%" PRIx64, looks[i].name, r1[i], r2[i]);
		for (uint32_t f = 0; e && f < e->n_fields && w < sizeof(what); f++) {
			const struct kvmprof_field *fd = &e->fields[f];
			uint64_t ones = fd->width >= 64 ? UINT64_MAX : (UINT64_C(1) << fd->width) - 1;
			uint64_t a = (r1[i] >> fd->shift) & ones, b = (r2[i] >> fd->shift) & ones;

			if (a != b)
				w += (size_t)snprintf(what + w, sizeof(what) - w, " %s %" PRIu64 "->%" PRIu64, fd->name, a, b);
		}
		printf("  changed: %s\n", what);
		if (used < len)
			used += (size_t)snprintf(summary + used, len - used, "%s%s", used ? "; " : "", what);
	}
	return changed;
}

/* ---- the resume: completing the exit that stopped the guest ---- */

/* KVM finishes an MMIO or port I/O exit (advancing the PC) only when the
 * vCPU next enters KVM_RUN; immediate_exit makes that entry return at once
 * with EINTR, the state now consistent (Documentation/virt/kvm/api.rst,
 * KVM_RUN, immediate_exit). */
static int complete_pending_exit(int vcpu_fd, struct kvm_run *run)
{
	int rc;

	run->immediate_exit = 1;
	rc = ioctl(vcpu_fd, KVM_RUN, 0);
	run->immediate_exit = 0;
	if (rc == 0 || errno != EINTR) {
		fprintf(stderr, "migrate: KVM_RUN with immediate_exit: %s\n", rc == 0 ? "returned 0" : strerror(errno));
		return -1;
	}
	return 0;
}

/* Whether the migration check told the restore to leave register id (an MSR
 * index if is_msr) out. */
static int skipped(const struct kvmprof_migration_report *r, uint64_t id, int is_msr)
{
	for (uint32_t i = 0; i < r->count; i++)
		if (r->items[i].id == id && r->items[i].is_msr == is_msr &&
		    r->items[i].verdict != KVMPROF_INCOMING_TAKE)
			return 1;
	return 0;
}

#if defined(__x86_64__)
/* ======================================================================= */
/* x86_64                                                                  */
/* ======================================================================= */
#define LOOK_CPUID 1
#define LOOK_MSR 2
#define QUERIES 0x3000 /* {type, a, b} u32 triples, type 0 ends */
#define PORT_CHECKPOINT 0x13
#define PORT_DONE 0x14
#define GUEST_STACK 0xe000
#define MSR_TRAPPED UINT64_MAX

/*
 * The guest, 16-bit real mode, CS = DS = SS = 0. sweep: for each query, CPUID
 * (type 1: leaf a, subleaf b) or RDMSR (type 2: index a) into the record at
 * DI (16 bytes per query; the VMM reads 8: eax|ebx<<32 ... see below).
 * RDMSR that faults (#GP, vector 13, real-mode IVT at 13*4) resumes after
 * the instruction with EDX:EAX all ones.
 */
__asm__(".pushsection .rodata\n"
	".globl migrate_x86_guest, migrate_x86_guest_end, migrate_x86_gp\n"
	".code16\n"
	"migrate_x86_guest:\n"
	"	mov $0xe000, %sp\n"
	"	mov $0x8000, %di\n"
	"	call 1f\n"
	"	mov $0x13, %dx\n"
	"	out %al, %dx\n"
	"2:	movw 0xf000, %ax\n"
	"	test %ax, %ax\n"
	"	jz 2b\n"
	"	mov $0xa000, %di\n"
	"	call 1f\n"
	"	mov $0x14, %dx\n"
	"	out %al, %dx\n"
	"	hlt\n"
	"1:	mov $0x3000, %si\n"
	"3:	movl (%si), %eax\n"
	"	test %eax, %eax\n"
	"	jz 6f\n"
	"	cmpl $1, %eax\n"
	"	jne 4f\n"
	"	movl 4(%si), %eax\n"
	"	movl 8(%si), %ecx\n"
	"	cpuid\n"
	"	movl %eax, (%di)\n"
	"	movl %ebx, 4(%di)\n"
	"	movl %ecx, 8(%di)\n"
	"	movl %edx, 12(%di)\n"
	"	jmp 5f\n"
	"4:	movl 4(%si), %ecx\n"
	"	rdmsr\n"
	"	movl %eax, (%di)\n"
	"	movl %edx, 4(%di)\n"
	"	movl $0, 8(%di)\n"
	"	movl $0, 12(%di)\n"
	"5:	add $12, %si\n"
	"	add $16, %di\n"
	"	jmp 3b\n"
	"6:	ret\n"
	"migrate_x86_gp:\n"
	"	push %bp\n"
	"	mov %sp, %bp\n"
	"	addw $2, 2(%bp)\n"
	"	pop %bp\n"
	"	movl $0xffffffff, %eax\n"
	"	movl %eax, %edx\n"
	"	iret\n"
	"migrate_x86_guest_end:\n"
	".code64\n"
	".popsection\n");
extern const uint8_t migrate_x86_guest[], migrate_x86_guest_end[], migrate_x86_gp[];

/* Records are 16 bytes per query on x86: the VMM compares both halves. */
#define X86_REC_STRIDE 16

static const uint32_t cpuid_looks[][2] = {
	{ 0x0, 0 }, { 0x1, 0 }, { 0x6, 0 }, { 0x7, 0 }, { 0x7, 1 }, { 0xd, 0 }, { 0xd, 1 },
	{ 0x40000000, 0 }, { 0x40000001, 0 }, { 0x80000000, 0 }, { 0x80000001, 0 }, { 0x80000007, 0 },
	{ 0x80000008, 0 }, { 0x8000000a, 0 }, { 0x80000021, 0 },
};
static const uint32_t msr_looks[] = { 0x8b, 0x10a, 0x345, 0xce, 0x1a0, 0xc0011029 };

static void plan_looks(void)
{
	static const char *const regs[4] = { "EAX", "EBX", "ECX", "EDX" };
	char name[40];

	n_looks = 0;
	for (size_t i = 0; i < sizeof(cpuid_looks) / sizeof(cpuid_looks[0]); i++)
		for (int r = 0; r < 4; r++) {
			snprintf(name, sizeof(name), "CPUID.0x%x.0x%x.%s", cpuid_looks[i][0], cpuid_looks[i][1], regs[r]);
			add_look(name, (uint64_t)cpuid_looks[i][0] << 32 | cpuid_looks[i][1], LOOK_CPUID, r);
		}
	for (size_t i = 0; i < sizeof(msr_looks) / sizeof(msr_looks[0]); i++) {
		snprintf(name, sizeof(name), "MSR 0x%x", msr_looks[i]);
		add_look(name, msr_looks[i], LOOK_MSR, -1);
	}
}

static const struct kvmprof_entry *entry_of(const struct kvmprof_profile *p, const struct look *l)
{
	for (uint32_t i = 0; i < p->n_entries; i++) {
		const struct kvmprof_entry *e = &p->entries[i];

		if (l->how == LOOK_CPUID && e->kind == KVMPROF_KIND_CPUID && e->id == l->id && e->reg == l->csselr)
			return e;
		if (l->how == LOOK_MSR && e->kind == KVMPROF_KIND_MSR && e->id == l->id)
			return e;
	}
	return NULL;
}

static void write_guest_program(uint8_t *mem)
{
	uint32_t *q = (uint32_t *)(mem + QUERIES);
	uint16_t *ivt = (uint16_t *)mem;

	memcpy(mem + GUEST_CODE, migrate_x86_guest, (size_t)(migrate_x86_guest_end - migrate_x86_guest));
	ivt[13 * 2] = (uint16_t)(GUEST_CODE + (migrate_x86_gp - migrate_x86_guest)); /* #GP: offset */
	ivt[13 * 2 + 1] = 0;                                                        /* segment */
	for (size_t i = 0; i < sizeof(cpuid_looks) / sizeof(cpuid_looks[0]); i++, q += 3)
		q[0] = LOOK_CPUID, q[1] = cpuid_looks[i][0], q[2] = cpuid_looks[i][1];
	for (size_t i = 0; i < sizeof(msr_looks) / sizeof(msr_looks[0]); i++, q += 3)
		q[0] = LOOK_MSR, q[1] = msr_looks[i], q[2] = 0;
	q[0] = 0;
}

/* The record as one value per look (CPUID: the register; MSR: EDX:EAX). */
static void flatten_record(const uint8_t *mem, uint32_t rec, uint64_t *out)
{
	int k = 0;

	for (size_t i = 0; i < sizeof(cpuid_looks) / sizeof(cpuid_looks[0]); i++)
		for (int r = 0; r < 4; r++) {
			uint32_t v;

			memcpy(&v, mem + rec + i * X86_REC_STRIDE + 4 * (size_t)r, 4);
			out[k++] = v;
		}
	for (size_t i = 0; i < sizeof(msr_looks) / sizeof(msr_looks[0]); i++) {
		uint64_t v;

		memcpy(&v, mem + rec + (sizeof(cpuid_looks) / sizeof(cpuid_looks[0]) + i) * X86_REC_STRIDE, 8);
		out[k++] = v;
	}
}

/* Unions, not structs: ISO C has nothing after a flexible array (clang -Werror). */
union x86_msrs {
	struct kvm_msrs hdr;
	unsigned char bytes[sizeof(struct kvm_msrs) + 1024 * sizeof(struct kvm_msr_entry)];
};

static int arch_vm_setup(int vm_fd)
{
	/* An in-kernel LAPIC, so that its state is the kernel's to save. */
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("migrate: KVM_CREATE_IRQCHIP");
		return -1;
	}
	return 0;
}

static int arch_guest_start(int vcpu_fd)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 2 };

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	return ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0 ? -1 : 0;
}

/* Runs until the guest reports `port`; 0, or -1 on another exit. */
static int run_until(int vcpu_fd, struct kvm_run *run, int want)
{
	for (;;) {
		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("migrate: KVM_RUN");
			return -1;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == want)
			return 0;
		fprintf(stderr, "migrate: unexpected exit %u (port 0x%x)\n", run->exit_reason,
			run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
		return -1;
	}
}
#define CHECKPOINT_EXIT PORT_CHECKPOINT
#define DONE_EXIT PORT_DONE

static int save_vcpu(struct state *s, int kvm_fd, int vm_fd, int vcpu_fd)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	static struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	static struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dbg;
	static union { struct kvm_msr_list hdr; unsigned char bytes[sizeof(struct kvm_msr_list) + 1024 * sizeof(uint32_t)]; } list;
	static union { struct kvm_cpuid2 hdr; unsigned char bytes[sizeof(struct kvm_cpuid2) + 256 * sizeof(struct kvm_cpuid_entry2)]; } cpuid;
	union x86_msrs one;
	int n_msrs = 0;

	(void)vm_fd;
	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_FPU, &fpu) < 0 || ioctl(vcpu_fd, KVM_GET_XSAVE, &xsave) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_XCRS, &xcrs) < 0 || ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp) < 0 || ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_DEBUGREGS, &dbg) < 0) {
		perror("migrate: saving regs/sregs/fpu/xsave/xcrs/lapic/mp/events/debugregs");
		return -1;
	}
	st_blob(s, "regs", &regs, sizeof(regs));
	st_blob(s, "sregs", &sregs, sizeof(sregs));
	st_blob(s, "fpu", &fpu, sizeof(fpu));
	st_blob(s, "xsave", &xsave, sizeof(xsave));
	st_blob(s, "xcrs", &xcrs, sizeof(xcrs));
	st_blob(s, "lapic", &lapic, sizeof(lapic));
	st_blob(s, "mp", &mp, sizeof(mp));
	st_blob(s, "events", &ev, sizeof(ev));
	st_blob(s, "debugregs", &dbg, sizeof(dbg));
	cpuid.hdr.nent = 256;
	if (ioctl(vcpu_fd, KVM_GET_CPUID2, &cpuid) < 0) {
		perror("migrate: KVM_GET_CPUID2");
		return -1;
	}
	for (uint32_t i = 0; i < cpuid.hdr.nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid.hdr.entries[i];

		st_add(s, "cpuid %x %x %x %x %x %x %x", e->function, e->index, e->flags, e->eax, e->ebx, e->ecx, e->edx);
	}
	/* Every MSR of the index list that this vCPU can read. */
	list.hdr.nmsrs = 1024;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &list) < 0) {
		perror("migrate: KVM_GET_MSR_INDEX_LIST");
		return -1;
	}
	for (uint32_t i = 0; i < list.hdr.nmsrs; i++) {
		one.hdr.nmsrs = 1;
		one.hdr.entries[0] = (struct kvm_msr_entry){ .index = list.hdr.indices[i] };
		if (ioctl(vcpu_fd, KVM_GET_MSRS, &one) != 1) {
			st_add(s, "unreadable-msr %x", list.hdr.indices[i]);
			continue;
		}
		st_add(s, "msr %x %" PRIx64, list.hdr.indices[i], (uint64_t)one.hdr.entries[0].data);
		n_msrs++;
	}
	printf("migrate: saved regs, sregs, fpu, xsave, xcrs, lapic, mp state, events, debugregs, %u CPUID entries, %d MSRs\n",
	       cpuid.hdr.nent, n_msrs);
	return 0;
}

/* The incoming MSR indices, for kvmprof_migration_check(). */
static uint32_t incoming_msrs[1024];
static uint64_t incoming_regs[1];

static int incoming_ids(const struct state *s, struct kvmprof_incoming *in)
{
	uint32_t n = 0;

	for (int i = 0; i < s->n && n < 1024; i++) {
		unsigned idx;
		uint64_t v;

		if (sscanf(s->lines[i], "msr %x %" SCNx64, &idx, &v) == 2)
			incoming_msrs[n++] = idx;
	}
	in->msrs = incoming_msrs;
	in->n_msrs = n;
	in->reg_ids = incoming_regs;
	in->n_reg_ids = 0;
	return 0;
}

/* Restores what save_vcpu saved (the vCPU exists, the profile is applied).
 * 0, or -1 with the failing step in why. */
static int restore_vcpu(const struct state *s, int vm_fd, int vcpu_fd, const struct kvmprof_migration_report *r,
			char *why, size_t len)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	static struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	static struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dbg;
	static union { struct kvm_cpuid2 hdr; unsigned char bytes[sizeof(struct kvm_cpuid2) + 256 * sizeof(struct kvm_cpuid_entry2)]; } cpuid;
	union x86_msrs one;
	uint32_t n = 0;

	(void)vm_fd;
	for (int i = 0; i < s->n && n < 256; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid.hdr.entries[n];

		if (sscanf(s->lines[i], "cpuid %x %x %x %x %x %x %x", &e->function, &e->index, &e->flags, &e->eax,
			   &e->ebx, &e->ecx, &e->edx) == 7)
			n++;
	}
	cpuid.hdr.nent = n;
	if (st_get_blob(s, "regs", &regs, sizeof(regs)) || st_get_blob(s, "sregs", &sregs, sizeof(sregs)) ||
	    st_get_blob(s, "fpu", &fpu, sizeof(fpu)) || st_get_blob(s, "xsave", &xsave, sizeof(xsave)) ||
	    st_get_blob(s, "xcrs", &xcrs, sizeof(xcrs)) || st_get_blob(s, "lapic", &lapic, sizeof(lapic)) ||
	    st_get_blob(s, "mp", &mp, sizeof(mp)) || st_get_blob(s, "events", &ev, sizeof(ev)) ||
	    st_get_blob(s, "debugregs", &dbg, sizeof(dbg))) {
		snprintf(why, len, "the state lacks a part (regs ... debugregs)");
		return -1;
	}
	/* CPUID first (KVM gates MSRs and XSAVE on it), as QEMU does. */
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, &cpuid) < 0) {
		snprintf(why, len, "KVM_SET_CPUID2 (%u entries): %s", n, strerror(errno));
		return -1;
	}
#define SET(req, arg, name)                                                             \
	if (ioctl(vcpu_fd, req, arg) < 0) {                                             \
		snprintf(why, len, "%s: %s", name, strerror(errno));                    \
		return -1;                                                              \
	}
	SET(KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
	SET(KVM_SET_REGS, &regs, "KVM_SET_REGS");
	SET(KVM_SET_FPU, &fpu, "KVM_SET_FPU");
	SET(KVM_SET_XSAVE, &xsave, "KVM_SET_XSAVE");
	SET(KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS");
	for (int i = 0; i < s->n; i++) {
		unsigned idx;
		uint64_t v;

		if (sscanf(s->lines[i], "msr %x %" SCNx64, &idx, &v) != 2 || skipped(r, idx, 1))
			continue;
		one.hdr.nmsrs = 1;
		one.hdr.entries[0] = (struct kvm_msr_entry){ .index = idx, .data = v };
		if (ioctl(vcpu_fd, KVM_SET_MSRS, &one) != 1) {
			snprintf(why, len, "KVM_SET_MSRS refused MSR 0x%x = 0x%" PRIx64, idx, v);
			return -1;
		}
	}
	SET(KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC");
	SET(KVM_SET_VCPU_EVENTS, &ev, "KVM_SET_VCPU_EVENTS");
	SET(KVM_SET_DEBUGREGS, &dbg, "KVM_SET_DEBUGREGS");
	SET(KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE");
#undef SET
	return 0;
}

static int compare_x86(const struct kvmprof_profile *p, const uint8_t *mem, char *summary, size_t len)
{
	static uint8_t flat[GUEST_MEM_SIZE];

	/* One 8-byte slot per look in flat's REC1/REC2, for compare_records. */
	memset(flat, 0, sizeof(flat));
	flatten_record(mem, REC1, (uint64_t *)(flat + REC1));
	flatten_record(mem, REC2, (uint64_t *)(flat + REC2));
	return compare_records(p, flat, summary, len);
}
#define COMPARE compare_x86

static int arch_vcpu_init(struct kvmprof_vm *vm, int vm_fd, int vcpu_fd, struct kvmprof_report *report,
			  const struct kvmprof_profile *p)
{
	(void)vm, (void)vm_fd, (void)vcpu_fd, (void)report, (void)p;
	return 0;
}

static int arch_devices(struct kvmprof_vm *vm, int vm_fd, struct kvmprof_report *report,
			const struct kvmprof_profile *p, int *dev_fd)
{
	(void)vm, (void)vm_fd, (void)report, (void)p;
	*dev_fd = -1;
	return 0;
}

static int save_devices(struct state *s, int dev_fd)
{
	(void)s, (void)dev_fd;
	return 0;
}

static int restore_devices(const struct state *s, int dev_fd, char *why, size_t len)
{
	(void)s, (void)dev_fd, (void)why, (void)len;
	return 0;
}

#elif defined(__aarch64__)
/* ======================================================================= */
/* arm64                                                                   */
/* ======================================================================= */
#define LOOK_MRS 1
#define LOOK_HVC 2
#define LOOK_MMIO 3
#define SLOT_CHECKPOINT 4092
#define SLOT_RESUMED 4093
#define X_REC 24u  /* the record being written */
#define X_FLAG 23u /* address of RESUME_FLAG */
#define A64_SYSREG_ID(op0, op1, crn, crm, op2) ARM64_SYS_REG(op0, op1, crn, crm, op2)
#define A64_ISB 0xd5033fdfu
#define A64_RET 0xd65f03c0u
#define A64_MOV_X(rd, rm) (0xaa0003e0u | (rm) << 16 | (rd))

static void plan_looks(void)
{
	static const struct { const char *name; unsigned op1, crn, crm, op2; } named[] = {
		{ "MIDR_EL1", 0, 0, 0, 0 }, { "REVIDR_EL1", 0, 0, 0, 6 }, { "CLIDR_EL1", 1, 0, 0, 1 },
		{ "AIDR_EL1", 1, 0, 0, 7 }, { "CTR_EL0", 3, 0, 0, 1 }, { "DCZID_EL0", 3, 0, 0, 7 },
		{ "CNTFRQ_EL0", 3, 14, 0, 0 },
	};
	static const struct { const char *name; int csselr; } caches[] = {
		{ "CCSIDR_EL1.L1D", 0 }, { "CCSIDR_EL1.L1I", 1 }, { "CCSIDR_EL1.L2D", 2 },
	}; /* the levels CLIDR_EL1 reports under -cpu neoverse-n1 and cortex-a72; for a level it does
	    * not report, CCSIDR_EL1 is UNKNOWN (Arm ARM D19.2, CCSIDR_EL1), nothing a guest may rely on */
	static const struct { const char *name; unsigned off; } gicd[] = {
		{ "GICD_CTLR", 0x0 }, { "GICD_TYPER", 0x4 }, { "GICD_IIDR", 0x8 }, { "GICD_TYPER2", 0xc },
		{ "GICD_PIDR2", 0xffe8 },
	};
	char name[40];

	n_looks = 0;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		add_look(named[i].name, A64_SYSREG_ID(3, named[i].op1, named[i].crn, named[i].crm, named[i].op2), LOOK_MRS, -1);
	/* The feature ID space, Op0=3 Op1=0 CRn=0 CRm=1..7 (RAZ where unallocated). */
	for (unsigned crm = 1; crm < 8; crm++)
		for (unsigned op2 = 0; op2 < 8; op2++) {
			snprintf(name, sizeof(name), "S3_0_C0_C%u_%u", crm, op2);
			add_look(name, A64_SYSREG_ID(3, 0, 0, crm, op2), LOOK_MRS, -1);
		}
	for (size_t i = 0; i < sizeof(caches) / sizeof(caches[0]); i++)
		add_look(caches[i].name, A64_SYSREG_ID(3, 1, 0, 0, 0), LOOK_MRS, caches[i].csselr);
	add_look("PSCI_VERSION", KVM_REG_ARM_PSCI_VERSION, LOOK_HVC, -1);
	for (size_t i = 0; i < sizeof(gicd) / sizeof(gicd[0]); i++)
		add_look(gicd[i].name, gicd[i].off, LOOK_MMIO, -1);
}

static const struct kvmprof_entry *entry_of(const struct kvmprof_profile *p, const struct look *l)
{
	for (uint32_t i = 0; i < p->n_entries; i++) {
		const struct kvmprof_entry *e = &p->entries[i];

		if (l->how == LOOK_MMIO ? (e->kind == KVMPROF_KIND_DEVICE_ATTR && e->id == l->id &&
					   e->group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS)
					: (e->kind == KVMPROF_KIND_ONE_REG && !strcmp(e->name, l->name)))
			return e;
		if (l->how == LOOK_MRS && l->csselr < 0 && e->kind == KVMPROF_KIND_ONE_REG && e->id == l->id)
			return e;
	}
	return NULL;
}

/* main: sweep into REC1; checkpoint; spin until RESUME_FLAG; sweep into
 * REC2; report done. sweep: one read and one STR per look. */
static void write_guest_program(uint8_t *mem)
{
	uint32_t *code = (uint32_t *)(mem + GUEST_CODE), pc = 0, sweep_at, spin_at;

	write_vectors((uint32_t *)(mem + GUEST_VECTORS));
	/* x24 = REC1 (set by the VMM); bl sweep */
	code[pc] = 0x94000000u; /* BL, patched below */
	pc++;
	code[pc++] = A64_STR_X(XZR, X_MMIO, 8 * SLOT_CHECKPOINT);
	spin_at = pc;
	code[pc++] = 0xf9400000u | X_FLAG << 5; /* LDR x0, [x23] */
	code[pc] = 0xb4000000u | ((uint32_t)(spin_at - pc) & 0x7ffff) << 5; /* CBZ x0, spin */
	pc++;
	code[pc++] = 0x91400000u | ((REC2 - REC1) >> 12) << 10 | X_REC << 5 | X_REC; /* ADD x24, x24, #(REC2-REC1), LSL #12 */
	code[pc] = 0x94000000u;
	pc++;
	code[pc++] = A64_STR_X(XZR, X_MMIO, 8 * SLOT_DONE);
	code[pc++] = A64_B_SELF;
	sweep_at = pc;
	code[0] = 0x94000000u | (sweep_at - 0);
	code[spin_at + 3] = 0x94000000u | (sweep_at - (spin_at + 3));
	code[pc++] = A64_MOV_X(25, 30); /* x25 = lr (the HVC keeps x19-x30) */
	for (int i = 0; i < n_looks; i++) {
		uint64_t id = looks[i].id;

		switch (looks[i].how) {
		case LOOK_MRS:
			if (looks[i].csselr >= 0) {
				code[pc++] = 0xd2800000u | (uint32_t)looks[i].csselr << 5; /* MOVZ x0, #level */
				code[pc++] = A64_MSR(0, 3, 2, 0, 0, 0);                      /* CSSELR_EL1 */
				code[pc++] = A64_ISB;
			}
			code[pc++] = A64_MRS_ID(0, id);
			break;
		case LOOK_HVC:
			code[pc++] = A64_MOVZ_W_LSL16(0, PSCI_0_2_FN_PSCI_VERSION >> 16);
			code[pc++] = A64_HVC0;
			code[pc++] = 0x2a0003e0u; /* MOV w0, w0: the version is 32 bits */
			break;
		case LOOK_MMIO:
			if (id < 0x4000) {
				code[pc++] = A64_LDR_W(0, X_DIST, id);
			} else { /* beyond LDR's scaled offset: x1 = dist + id */
				code[pc++] = 0xd2800001u | (uint32_t)(id & 0xffff) << 5; /* MOVZ x1, #id */
				code[pc++] = 0xb8616800u | X_DIST << 5;                   /* LDR w0, [x20, x1] */
			}
			break;
		}
		code[pc++] = A64_STR_X(0, X_REC, 8 * i);
	}
	code[pc++] = A64_MOV_X(30, 25);
	code[pc++] = A64_RET;
}

static int arch_vm_setup(int vm_fd)
{
	(void)vm_fd;
	return 0;
}

static int arch_guest_start(int vcpu_fd)
{
	if (set_one_reg(vcpu_fd, CORE_REG(regs.regs[X_MMIO]), MMIO_BASE) < 0 ||
	    set_one_reg(vcpu_fd, CORE_REG(regs.regs[X_DIST]), VGIC_DIST_BASE) < 0 ||
	    set_one_reg(vcpu_fd, CORE_REG(regs.regs[X_REC]), GUEST_RAM_BASE + REC1) < 0 ||
	    set_one_reg(vcpu_fd, CORE_REG(regs.regs[X_FLAG]), GUEST_RAM_BASE + RESUME_FLAG) < 0 ||
	    set_one_reg(vcpu_fd, REG_VBAR_EL1, GUEST_RAM_BASE + GUEST_VECTORS) < 0 ||
	    set_one_reg(vcpu_fd, CORE_REG(regs.pc), GUEST_RAM_BASE + GUEST_CODE) < 0)
		return -1;
	return 0;
}

static int guest_exceptions;

/* Runs until the guest stores to MMIO slot `want`; exception reports are
 * counted and the guest goes on. */
static int run_until(int vcpu_fd, struct kvm_run *run, int want)
{
	for (;;) {
		uint64_t slot, value = 0;

		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("migrate: KVM_RUN");
			return -1;
		}
		if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write || run->mmio.phys_addr < MMIO_BASE) {
			fprintf(stderr, "migrate: unexpected exit %u (mmio 0x%llx)\n", run->exit_reason,
				(unsigned long long)run->mmio.phys_addr);
			return -1;
		}
		memcpy(&value, run->mmio.data, 8);
		slot = (run->mmio.phys_addr - MMIO_BASE) / 8;
		if (slot == (uint64_t)want)
			return 0;
		if (slot == SLOT_EXCEPTION) {
			guest_exceptions++;
			continue;
		}
		fprintf(stderr, "migrate: guest wrote MMIO slot %llu\n", (unsigned long long)slot);
		return -1;
	}
}
#define CHECKPOINT_EXIT SLOT_CHECKPOINT
#define DONE_EXIT SLOT_DONE

static uint64_t reg_size(uint64_t id)
{
	return UINT64_C(1) << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static int save_vcpu(struct state *s, int kvm_fd, int vm_fd, int vcpu_fd)
{
	static uint64_t list[1 + 4096];
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	int saved = 0;

	(void)kvm_fd, (void)vm_fd;
	list[0] = 4096;
	if (ioctl(vcpu_fd, KVM_GET_REG_LIST, list) < 0) {
		perror("migrate: KVM_GET_REG_LIST");
		return -1;
	}
	for (uint64_t i = 1; i <= list[0]; i++) {
		uint8_t value[256];
		char hex[2 * 256 + 1];
		struct kvm_one_reg r = { .id = list[i], .addr = (uintptr_t)value };
		uint64_t size = reg_size(list[i]);

		if (size > sizeof(value) || ioctl(vcpu_fd, KVM_GET_ONE_REG, &r) < 0) {
			fprintf(stderr, "migrate: KVM_GET_ONE_REG 0x%" PRIx64 ": %s\n", list[i], strerror(errno));
			return -1;
		}
		hex_of(hex, value, size);
		st_add(s, "reg %" PRIx64 " %s", list[i], hex);
		saved++;
	}
	if (ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp) < 0 || ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0) {
		perror("migrate: KVM_GET_MP_STATE / KVM_GET_VCPU_EVENTS");
		return -1;
	}
	st_blob(s, "mp", &mp, sizeof(mp));
	st_blob(s, "events", &ev, sizeof(ev));
	printf("migrate: saved %d registers of KVM_GET_REG_LIST, mp state, events\n", saved);
	return 0;
}

static uint64_t incoming_regs[4096], incoming_values[4096];

/* The saved registers and, for those of 64 bits, their values. */
static int incoming_ids(const struct state *s, struct kvmprof_incoming *in)
{
	uint32_t n = 0;

	for (int i = 0; i < s->n && n < 4096; i++) {
		uint64_t id, v = 0;
		char hex[2 * 256 + 2];

		if (sscanf(s->lines[i], "reg %" SCNx64 " %513s", &id, hex) != 2)
			continue;
		if (reg_size(id) == 8)
			bytes_of(hex, &v, 8);
		incoming_regs[n] = id;
		incoming_values[n++] = v;
	}
	in->reg_ids = incoming_regs;
	in->reg_values = incoming_values;
	in->n_reg_ids = n;
	in->msrs = NULL;
	in->n_msrs = 0;
	return 0;
}

static int restore_vcpu(const struct state *s, int vm_fd, int vcpu_fd, const struct kvmprof_migration_report *r,
			char *why, size_t len)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;

	(void)vm_fd;
	for (int i = 0; i < s->n; i++) {
		uint64_t id;
		char hex[2 * 256 + 2];
		uint8_t value[256];
		struct kvm_one_reg one = { .addr = (uintptr_t)value };

		if (sscanf(s->lines[i], "reg %" SCNx64 " %513s", &id, hex) != 2 || skipped(r, id, 0))
			continue;
		if (reg_size(id) > sizeof(value) || bytes_of(hex, value, reg_size(id))) {
			snprintf(why, len, "register 0x%" PRIx64 ": malformed value in the state", id);
			return -1;
		}
		one.id = id;
		if (ioctl(vcpu_fd, KVM_SET_ONE_REG, &one) < 0) {
			uint8_t cur[256];
			struct kvm_one_reg get = { .id = id, .addr = (uintptr_t)cur };
			char now[2 * 256 + 1] = "?";

			if (ioctl(vcpu_fd, KVM_GET_ONE_REG, &get) == 0)
				hex_of(now, cur, reg_size(id));
			snprintf(why, len, "KVM_SET_ONE_REG 0x%" PRIx64 " (S%u_%u_C%u_C%u_%u) = %s: %s (this kernel has %s)", id,
				 (unsigned)(id >> 14) & 3, (unsigned)(id >> 11) & 7, (unsigned)(id >> 7) & 15,
				 (unsigned)(id >> 3) & 15, (unsigned)id & 7, hex, strerror(errno), now);
			return -1;
		}
	}
	if (st_get_blob(s, "mp", &mp, sizeof(mp)) || st_get_blob(s, "events", &ev, sizeof(ev))) {
		snprintf(why, len, "the state lacks mp state or events");
		return -1;
	}
	if (ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &ev) < 0 || ioctl(vcpu_fd, KVM_SET_MP_STATE, &mp) < 0) {
		snprintf(why, len, "KVM_SET_VCPU_EVENTS / KVM_SET_MP_STATE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int compare_arm64(const struct kvmprof_profile *p, const uint8_t *mem, char *summary, size_t len)
{
	return compare_records(p, mem, summary, len);
}
#define COMPARE compare_arm64

static int arch_vcpu_init(struct kvmprof_vm *vm, int vm_fd, int vcpu_fd, struct kvmprof_report *report,
			  const struct kvmprof_profile *p)
{
	struct kvm_vcpu_init init;

	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		perror("KVM_ARM_PREFERRED_TARGET");
		return -1;
	}
	return phase_done(kvmprof_apply_vcpu_init(vm, vcpu_fd, &init, report), "vcpu-init phase", p, report);
}

static int arch_devices(struct kvmprof_vm *vm, int vm_fd, struct kvmprof_report *report,
			const struct kvmprof_profile *p, int *dev_fd)
{
	*dev_fd = create_vgic_v3(vm_fd);
	if (*dev_fd < 0)
		return -1;
	return phase_done(kvmprof_apply_devices(vm, *dev_fd, report), "device phase", p, report);
}

/* The vGICv3 state a VMM saves (QEMU hw/intc/arm_gicv3_kvm.c saves the
 * same groups): distributor, vCPU 0's redistributor (MPIDR 0), its CPU
 * interface system registers, and the level of each level-triggered line.
 * Register offsets: Arm IHI 0069 (GICv3), 12.9 and 12.10. */
struct gic_range { uint32_t off, end, step; };
static const struct gic_range gicd_ranges[] = {
	{ 0x0, 0x4, 4 },         /* GICD_CTLR */
	{ 0x8, 0xc, 4 },         /* GICD_IIDR */
	{ 0x80, 0x100, 4 },      /* GICD_IGROUPR<n> */
	{ 0x100, 0x180, 4 },     /* GICD_ISENABLER<n> */
	{ 0x200, 0x280, 4 },     /* GICD_ISPENDR<n> */
	{ 0x300, 0x380, 4 },     /* GICD_ISACTIVER<n> */
	{ 0x400, 0x800, 4 },     /* GICD_IPRIORITYR<n> */
	{ 0xc00, 0xd00, 4 },     /* GICD_ICFGR<n> */
	{ 0xd00, 0xd80, 4 },     /* GICD_IGRPMODR<n> */
	{ 0x6100, 0x7fe0, 8 },   /* GICD_IROUTER<n>, n >= 32 */
};
static const struct gic_range gicr_ranges[] = {
	{ 0x0, 0x4, 4 },         /* GICR_CTLR */
	{ 0x70, 0x80, 8 },       /* GICR_PROPBASER, GICR_PENDBASER */
	{ 0x10080, 0x10084, 4 }, /* GICR_IGROUPR0 */
	{ 0x10100, 0x10104, 4 }, /* GICR_ISENABLER0 */
	{ 0x10200, 0x10204, 4 }, /* GICR_ISPENDR0 */
	{ 0x10300, 0x10304, 4 }, /* GICR_ISACTIVER0 */
	{ 0x10400, 0x10420, 4 }, /* GICR_IPRIORITYR<n> */
	{ 0x10c00, 0x10c08, 4 }, /* GICR_ICFGR0, 1 */
	{ 0x10d00, 0x10d04, 4 }, /* GICR_IGRPMODR0 */
};
/* ICC_* encodings (op0, op1, CRn, CRm, op2) as KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS attributes. */
static const uint16_t icc_regs[] = {
	0xc230, /* ICC_PMR_EL1     3,0,4,6,0 */
	0xc643, /* ICC_BPR0_EL1    3,0,12,8,3 */
	0xc644, /* ICC_AP0R0_EL1   3,0,12,8,4 */
	0xc648, /* ICC_AP1R0_EL1   3,0,12,9,0 */
	0xc663, /* ICC_BPR1_EL1    3,0,12,12,3 */
	0xc664, /* ICC_CTLR_EL1    3,0,12,12,4 */
	0xc665, /* ICC_SRE_EL1     3,0,12,12,5 */
	0xc666, /* ICC_IGRPEN0_EL1 3,0,12,12,6 */
	0xc667, /* ICC_IGRPEN1_EL1 3,0,12,12,7 */
};

static int dev_get(int fd, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)value };

	return ioctl(fd, KVM_GET_DEVICE_ATTR, &a);
}

static int n_irqs(int dev_fd)
{
	uint32_t n = 0;

	return dev_get(dev_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n) < 0 ? 64 : (int)n;
}

static int save_devices(struct state *s, int dev_fd)
{
	int irqs = n_irqs(dev_fd), saved = 0;

	st_add(s, "gic-nr-irqs %d", irqs);
	for (size_t r = 0; r < sizeof(gicr_ranges) / sizeof(gicr_ranges[0]); r++)
		for (uint32_t off = gicr_ranges[r].off; off < gicr_ranges[r].end; off += gicr_ranges[r].step) {
			uint32_t v32 = 0;
			uint64_t v64 = 0;
			int is64 = gicr_ranges[r].step == 8;

			if (dev_get(dev_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, off, is64 ? (void *)&v64 : (void *)&v32) < 0)
				continue;
			st_add(s, "gicr %x %" PRIx64, off, is64 ? v64 : v32);
			saved++;
		}
	for (size_t r = 0; r < sizeof(gicd_ranges) / sizeof(gicd_ranges[0]); r++)
		for (uint32_t off = gicd_ranges[r].off; off < gicd_ranges[r].end; off += gicd_ranges[r].step) {
			uint32_t v32 = 0;
			uint64_t v64 = 0;
			int is64 = gicd_ranges[r].step == 8;
			/* only the registers of lines that exist (1 bit .. 8 bytes per line) */
			uint32_t first_line = off >= 0x6100 ? (off - 0x6000) / 8 :
					      off >= 0xc00 && off < 0xd00 ? (off - 0xc00) * 4 :
					      off >= 0x400 && off < 0x800 ? off - 0x400 :
					      off >= 0x80 ? (off & 0x7f) * 8 : 0;

			if (off >= 0x80 && (int)first_line >= irqs)
				continue;
			if (dev_get(dev_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, is64 ? (void *)&v64 : (void *)&v32) < 0)
				continue;
			st_add(s, "gicd %x %" PRIx64, off, is64 ? v64 : v32);
			saved++;
		}
	for (size_t i = 0; i < sizeof(icc_regs) / sizeof(icc_regs[0]); i++) {
		uint64_t v = 0;

		if (dev_get(dev_fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, icc_regs[i], &v) < 0)
			continue;
		st_add(s, "icc %x %" PRIx64, icc_regs[i], v);
		saved++;
	}
	for (int line = 32; line < irqs; line += 32) {
		uint32_t v = 0;
		uint64_t attr = (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT |
				(uint64_t)line;

		if (dev_get(dev_fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr, &v) < 0)
			continue;
		st_add(s, "level %" PRIx64 " %x", attr, v);
		saved++;
	}
	printf("migrate: saved %d vGIC registers (%d interrupts)\n", saved, irqs);
	return 0;
}

static int restore_devices(const struct state *s, int dev_fd, char *why, size_t len)
{
	static const struct { const char *key; uint32_t group; } groups[] = {
		{ "gicr", KVM_DEV_ARM_VGIC_GRP_REDIST_REGS }, { "gicd", KVM_DEV_ARM_VGIC_GRP_DIST_REGS },
		{ "icc", KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS }, { "level", KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO },
	};

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (int i = 0; i < s->n; i++) {
			uint64_t attr, v;
			uint32_t v32;
			char key[8];
			int is64;
			struct kvm_device_attr a;

			if (sscanf(s->lines[i], "%7s %" SCNx64 " %" SCNx64, key, &attr, &v) != 3 || strcmp(key, groups[g].key))
				continue;
			is64 = groups[g].group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS ||
			       (groups[g].group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS && attr >= 0x6100) ||
			       (groups[g].group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS && (attr == 0x70 || attr == 0x78));
			v32 = (uint32_t)v;
			a = (struct kvm_device_attr){ .group = groups[g].group, .attr = attr,
						      .addr = is64 ? (uintptr_t)&v : (uintptr_t)&v32 };
			if (ioctl(dev_fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
				snprintf(why, len, "KVM_SET_DEVICE_ATTR %s 0x%" PRIx64 " = 0x%" PRIx64 ": %s", key, attr, v,
					 strerror(errno));
				return -1;
			}
		}
	return 0;
}
#endif

/* ======================================================================= */
/* Both arches: one VM, saved or restored                                  */
/* ======================================================================= */

struct vm {
	int kvm_fd, vm_fd, vcpu_fd, dev_fd, run_size;
	uint8_t *mem;
	struct kvm_run *run;
};

static void vm_close(struct vm *v)
{
	if (v->run && v->run != MAP_FAILED)
		munmap(v->run, (size_t)v->run_size);
	if (v->dev_fd >= 0)
		close(v->dev_fd);
	if (v->vcpu_fd >= 0)
		close(v->vcpu_fd);
	kvmprof_vm_fini(&vm_ctx);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, GUEST_MEM_SIZE);
	if (v->vm_fd >= 0)
		close(v->vm_fd);
	if (v->kvm_fd >= 0)
		close(v->kvm_fd);
}

/* A VM with p applied (lenient, as examples/vmm.c), up to the vCPU's
 * registers; the devices (arm64 vGIC) are created by vm_devices(). */
static int vm_open(struct vm *v, const struct kvmprof_profile *p)
{
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT };
	struct kvmprof_report report = { .results = results, .capacity = 512 };
	struct kvm_userspace_memory_region region = { 0 };
	int rc;

	*v = (struct vm){ .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .dev_fd = -1 };
	memset(verdicts, KVMPROF_OUT_NOT_ATTEMPTED, sizeof(verdicts));
	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return -1;
	}
	v->vm_fd = ioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	v->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->vm_fd < 0 || v->mem == MAP_FAILED) {
		perror("migrate: KVM_CREATE_VM / guest memory");
		return -1;
	}
	region.guest_phys_addr = GUEST_RAM_BASE;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 || arch_vm_setup(v->vm_fd)) {
		perror("migrate: KVM_SET_USER_MEMORY_REGION");
		return -1;
	}
	rc = kvmprof_vm_init(&vm_ctx, p, v->kvm_fd, v->vm_fd, &opts);
	if (rc) {
		fprintf(stderr, "migrate: kvmprof_vm_init: %s\n", kvmprof_strerror(rc));
		return -1;
	}
	if (phase_done(kvmprof_apply_vm(&vm_ctx, &report), "vm phase", p, &report))
		return -1;
	v->vcpu_fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, 0);
	v->run_size = ioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (v->vcpu_fd < 0 || v->run_size <= 0) {
		perror("migrate: KVM_CREATE_VCPU");
		return -1;
	}
	v->run = mmap(NULL, (size_t)v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu_fd, 0);
	if (v->run == MAP_FAILED)
		return -1;
	if (arch_vcpu_init(&vm_ctx, v->vm_fd, v->vcpu_fd, &report, p))
		return -1;
	return phase_done(kvmprof_apply_vcpu_regs(&vm_ctx, v->vcpu_fd, &report), "vcpu-regs phase", p, &report);
}

static int vm_devices(struct vm *v, const struct kvmprof_profile *p)
{
	struct kvmprof_report report = { .results = results, .capacity = 512 };

	return arch_devices(&vm_ctx, v->vm_fd, &report, p, &v->dev_fd);
}

/* What the guest recorded before the checkpoint, in short. */
static void print_first_look(const uint8_t *mem)
{
	static uint64_t flat[REC_SLOTS];
	int nonzero = 0;

#if defined(__x86_64__)
	flatten_record(mem, REC1, flat);
#else
	memcpy(flat, mem + REC1, sizeof(uint64_t) * (size_t)n_looks);
#endif
	for (int i = 0; i < n_looks; i++)
		nonzero += flat[i] != 0;
	printf("migrate: the guest's first look: %d values, %d non-zero; %s = 0x%" PRIx64 ", %s = 0x%" PRIx64 "\n",
	       n_looks, nonzero, looks[0].name, flat[0], looks[n_looks - 1].name, flat[n_looks - 1]);
}

/*
 * Kernel A: runs the guest with p to its checkpoint and writes the state
 * to out. 0, or -1.
 */
static int migrate_save(const struct kvmprof_profile *p, FILE *out)
{
	struct vm v;
	struct state s = { .n = 0 };
	struct utsname u;
	int rc = -1;

	plan_looks();
	printf("migrate: save %s (%s), %d looks\n", p->name, p->source_hash, n_looks);
	if (vm_open(&v, p) || vm_devices(&v, p))
		goto out;
	write_guest_program(v.mem);
	if (arch_guest_start(v.vcpu_fd) || run_until(v.vcpu_fd, v.run, CHECKPOINT_EXIT) ||
	    complete_pending_exit(v.vcpu_fd, v.run))
		goto out;
	print_first_look(v.mem);
	uname(&u);
	st_add(&s, "kvmprof-state 1");
	st_add(&s, "profile %s %s", p->name, p->source_hash);
	st_add(&s, "kernel %s %s", u.release, u.machine);
	if (save_vcpu(&s, v.kvm_fd, v.vm_fd, v.vcpu_fd) || save_devices(&s, v.dev_fd))
		goto out;
	st_mem(&s, v.mem);
	st_add(&s, "end");
	for (int i = 0; i < s.n; i++)
		fprintf(out, "%s\n", s.lines[i]);
	fflush(out);
	rc = ferror(out) ? -1 : 0;
out:
	st_free(&s);
	vm_close(&v);
	return rc;
}

static int state_read(FILE *in, struct state *s)
{
	static char line[1 << 16];

	s->n = 0;
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "end"))
			return s->n > 0 && !strncmp(s->lines[0], "kvmprof-state 1", 15) ? 0 : -1;
		if (line[0])
			st_add(s, "%s", line);
	}
	return -1; /* no "end": the state was cut */
}

enum migrate_verdict { MIGRATE_SAME, MIGRATE_NOTICED, MIGRATE_REFUSED, MIGRATE_FAILED };
static const char *const migrate_verdict_names[] = { "same", "noticed", "refused", "failed" };

/* For tests/suites/migrate.sh: each register not simply restored, and each
 * register the profile requires that the state does not carry (the guest
 * never had it), as "migrate: item VERDICT POLICY lacked|value|policy NAME" and
 * "migrate: not-in-state NAME" lines. */
static void print_items(const struct kvmprof_profile *p, const struct kvmprof_incoming *in,
			const struct kvmprof_migration_report *r)
{
	for (uint32_t i = 0; i < r->count; i++) {
		const struct kvmprof_incoming_item *it = &r->items[i];

		const char *why = it->why == KVMPROF_INCOMING_VALUE ? "value" : it->why == KVMPROF_INCOMING_POLICY ? "policy" : "lacked";

		if (it->name)
			printf("migrate: item %s %s %s %s\n", kvmprof_incoming_verdict_name(it->verdict),
			       kvmprof_regset_policy_name(it->policy), why, it->name);
		else
			printf("migrate: item %s %s %s 0x%" PRIx64 "\n", kvmprof_incoming_verdict_name(it->verdict),
			       kvmprof_regset_policy_name(it->policy), why, it->id);
	}
	for (uint32_t k = 0; k < p->n_register_set; k++) {
		const struct kvmprof_regset_entry *e = &p->register_set[k];
		int carried = 0;

		if (e->policy != KVMPROF_REGSET_REQUIRED)
			continue;
		for (uint32_t i = 0; i < in->n_reg_ids && !carried; i++)
			carried = in->reg_ids[i] == e->id;
		for (uint32_t i = 0; i < in->n_msrs && !carried; i++)
			carried = in->msrs[i] == e->id;
		if (!carried)
			printf("migrate: not-in-state %s\n", e->name);
	}
}

/*
 * Kernel B: restores the state read from `in` into a VM with profile p (the
 * caller found p by the state's profile name), after asking
 * kvmprof_migration_check(); runs the guest's second look and compares.
 * Prints "migrate: verdict NAME same|noticed|refused|failed TEXT" and
 * returns the verdict (enum migrate_verdict).
 */
static int migrate_restore(const struct kvmprof_profile *p, const struct state *s, char *text, size_t len)
{
	static struct kvmprof_incoming_item items[4096];
	struct kvmprof_migration_report mr = { .items = items, .capacity = 4096 };
	struct kvmprof_incoming in = { .sz = sizeof(in) };
	char name[256] = "", hash[64] = "";
	const char *prof = st_find(s, "profile", NULL), *from = st_find(s, "kernel", NULL);
	struct vm v;
	int verdict = MIGRATE_FAILED, rc, changed;

	plan_looks();
	if (prof)
		sscanf(prof, "%255s %63s", name, hash);
	in.profile_name = name;
	in.profile_hash = hash;
	incoming_ids(s, &in);
	printf("migrate: restore %s saved on %s, %u registers, %u MSRs\n", name, from ? from : "?", in.n_reg_ids,
	       in.n_msrs);
	snprintf(text, len, "setup failed");
	if (vm_open(&v, p))
		goto out;
	/* The question, before anything of the state is written. */
	rc = kvmprof_migration_check(p, v.kvm_fd, v.vm_fd, v.vcpu_fd, &in, &mr);
	kvmprof_migration_reason(p, &in, &mr, text, len);
	printf("migrate: kvmprof_migration_check: %s: %s\n", kvmprof_strerror(rc), text);
	print_items(p, &in, &mr);
	if (rc == KVMPROF_ERR_MIGRATION || rc == KVMPROF_ERR_PROFILE) {
		verdict = MIGRATE_REFUSED;
		goto out;
	}
	if (rc) {
		snprintf(text, len, "kvmprof_migration_check: %s", kvmprof_strerror(rc));
		goto out;
	}
	if (st_get_mem(s, v.mem)) {
		snprintf(text, len, "guest memory in the state is malformed");
		goto out;
	}
	if (restore_vcpu(s, v.vm_fd, v.vcpu_fd, &mr, text, len) || vm_devices(&v, p) ||
	    restore_devices(s, v.dev_fd, text, len)) {
		printf("migrate: restore failed: %s\n", text);
		goto out;
	}
	/* Resume: the guest goes on from its checkpoint and looks again. */
	v.mem[RESUME_FLAG] = 1;
	if (run_until(v.vcpu_fd, v.run, DONE_EXIT)) {
		snprintf(text, len, "the resumed guest did not finish its second look");
		goto out;
	}
	changed = COMPARE(p, v.mem, text, len);
	if (changed == 0) {
		snprintf(text, len, "the guest read %d values again: none changed", n_looks);
		verdict = MIGRATE_SAME;
	} else {
		char detail[1024];

		snprintf(detail, sizeof(detail), "%s", text);
		snprintf(text, len, "%d of %d values changed: %s", changed, n_looks, detail);
		verdict = MIGRATE_NOTICED;
	}
out:
	printf("migrate: verdict %s %s %s\n", name, migrate_verdict_names[verdict], text);
	vm_close(&v);
	return verdict;
}

/* The restore of a state file: finds its profile among ps[]. */
static int migrate_restore_file(const struct kvmprof_profile *const *ps, size_t n, const char *path)
{
	struct state s = { .n = 0 };
	char name[256] = "", text[4096];
	const char *prof;
	FILE *f = fopen(path, "r");
	int verdict = MIGRATE_FAILED;

	if (!f || state_read(f, &s)) {
		printf("migrate: verdict ? failed cannot read a whole state from %s\n", path);
		if (f)
			fclose(f);
		st_free(&s);
		return MIGRATE_FAILED;
	}
	fclose(f);
	prof = st_find(&s, "profile", NULL);
	if (prof)
		sscanf(prof, "%255s", name);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ps[i]->name, name)) {
			verdict = migrate_restore(ps[i], &s, text, sizeof(text));
			st_free(&s);
			return verdict;
		}
	printf("migrate: verdict %s failed this VMM does not carry the profile\n", name);
	st_free(&s);
	return MIGRATE_FAILED;
}

#ifndef MIGRATE_NO_MAIN
#include "migrate_profiles.h"

#ifndef MIGRATE_AS_PROGRAM
#include "../arm64/guest_init.h"
#else
static void guest_begin(void)
{
}
static int guest_end(int rc)
{
	return rc;
}
#endif

/* Environment (kernel command line under QEMU): KVMPROF_MIGRATE=save|restore,
 * KVMPROF_MIGRATE_DIR (restore: the *.state files; default /migrate). save
 * prints each state between "migrate: state-begin NAME" and
 * "migrate: state-end NAME". Exit: 0 every state saved / judged, 2 setup. */
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : getenv("KVMPROF_MIGRATE");
	const char *dir = argc > 2 ? argv[2] : getenv("KVMPROF_MIGRATE_DIR");
	int worst = 0;
	struct utsname u;

	guest_begin();
	if (uname(&u) == 0)
		printf("migrate: kernel %s %s\n", u.release, u.machine);
	(void)vmm_run_profile;
	if (mode && !strcmp(mode, "save")) {
		for (size_t i = 0; i < migrate_n_profiles; i++) {
			printf("migrate: state-begin %s\n", migrate_profiles[i]->name);
			if (migrate_save(migrate_profiles[i], stdout))
				worst = 2;
			printf("migrate: state-end %s\n", migrate_profiles[i]->name);
		}
	} else if (mode && !strcmp(mode, "restore")) {
		DIR *d = opendir(dir ? dir : "/migrate");
		struct dirent *de;
		char path[512];

		if (!d) {
			printf("migrate: no state directory %s\n", dir ? dir : "/migrate");
			return guest_end(2);
		}
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);

			if (l < 7 || strcmp(de->d_name + l - 6, ".state"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/migrate", de->d_name);
			printf("migrate: state %s\n", de->d_name);
			migrate_restore_file(migrate_profiles, migrate_n_profiles, path);
			fflush(stdout);
		}
		closedir(d);
	} else {
		printf("migrate: KVMPROF_MIGRATE must be save or restore\n");
		worst = 2;
	}
	return guest_end(worst);
}
#endif
