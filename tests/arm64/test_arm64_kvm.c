/* SPDX-License-Identifier: MIT */
/*
 * test_arm64_kvm.c - /init of a Debian arm64 kernel booted under
 * qemu-system-aarch64 (TCG, EL2) by tests/qemu/boot-arm64.sh: real KVM/arm64.
 *
 * Two cmocka groups:
 *  - "facts": raw ioctls, no libkvmprof. They pin down what the kernel does
 *    (defaults, accepted and refused writes) so that the harness is proven
 *    on its own and a runtime failure cannot be blamed on the machine.
 *  - "runtime": hand-written profile tables (later replaced by compiled
 *    profiles) applied through libkvmprof, checked with raw reads.
 *
 * Expected defaults come from /work/shared/real-kvm.md (measured with
 * -cpu max on 6.12.117 and 6.1.192). They are asserted only when the boot
 * says which CPU model it used (KVMPROF_CPU=max on the kernel command line,
 * which the kernel passes to /init as an environment variable); other
 * models only print the values. KVMPROF_EXPECT_SERIES=6.12 makes the test
 * fail when another kernel was booted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include "guest_init.h"

#ifndef GUEST_WITHOUT_RUNTIME
#include "kvmprof.h"
#endif

/* ---- register ids and constants (sources cited) ------------------------ */

/* arm64 system register ids for KVM_{GET,SET}_ONE_REG: KVM_REG_ARM64 |
 * KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | op0<<14 | op1<<11 | CRn<<7 |
 * CRm<<3 | op2 (Documentation/virt/kvm/api.rst, "ARM64 system registers");
 * encodings from the Arm ARM (DDI 0487), register descriptions. */
#define SYSREG_ID(op0, op1, crn, crm, op2)                                         \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG |                  \
	 ((uint64_t)(op0) << 14) | ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) | \
	 ((uint64_t)(crm) << 3) | (uint64_t)(op2))
#define REG_MIDR_EL1 SYSREG_ID(3, 0, 0, 0, 0)        /* 0x603000000013c000 */
#define REG_ID_AA64PFR0_EL1 SYSREG_ID(3, 0, 0, 4, 0) /* 0x603000000013c020 */
#define REG_ID_AA64DFR0_EL1 SYSREG_ID(3, 0, 0, 5, 0) /* 0x603000000013c028 */
#define REG_CLIDR_EL1 SYSREG_ID(3, 1, 0, 0, 1)       /* 0x603000000013c801 */
#define REG_ID_AA64ISAR0_EL1 SYSREG_ID(3, 0, 0, 6, 0) /* 0x603000000013c030 */

/* KVM_REG_ARM_FW_REG(0), arch/arm64/include/uapi/asm/kvm.h. */
#define REG_PSCI_VERSION 0x6030000000140000ull
#define PSCI_VER(major, minor) (((uint32_t)(major) << 16) | (minor)) /* PSCI spec DEN0022 */

/* ID_AA64PFR0_EL1.CSV2 is bits [59:56], ID_AA64DFR0_EL1.WRPs bits [23:20]
 * (Arm ARM DDI 0487, D19.2). */
#define PFR0_CSV2_SHIFT 56
#define DFR0_WRPS_SHIFT 20
#define FIELD4(v, shift) (((v) >> (shift)) & 0xf)

/* GICD_IIDR is at distributor offset 0x8, Revision is bits [15:12] (GICv3
 * architecture spec IHI 0069, 12.9.16). KVM's default 0x4b00343b: ProductID
 * 0x4b, Revision 3, Implementer 0x43b (virt/kvm/arm/vgic/vgic-mmio-v3.c,
 * measured in /work/shared/real-kvm.md). */
#define GICD_IIDR_OFFSET 0x8
#define GICD_IIDR_REVISION_SHIFT 12
#define GICD_IIDR_REVISION_MASK (0xfu << GICD_IIDR_REVISION_SHIFT)
#define GICD_IIDR_KVM_DEFAULT 0x4b00343bu

/* Where the vGICv3 frames go in guest physical space: QEMU virt's layout
 * (hw/arm/virt.c: VIRT_GIC_DIST 0x08000000, VIRT_GIC_REDIST 0x080A0000).
 * Any aligned, non-overlapping addresses would do: no guest runs. */
#define VGIC_DIST_BASE 0x08000000ull
#define VGIC_REDIST_BASE 0x080a0000ull

/* Capability 230, v6.8 (include/uapi/linux/kvm.h); the 6.1 headers lack it. */
#ifndef KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES
#define KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES 230
#endif

/* ---- a VM with a vCPU and a vGICv3, by raw ioctls ---------------------- */

struct guest_vm {
	int kvm_fd, vm_fd, vcpu_fd, gic_fd;
	struct kvm_vcpu_init init;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);
	return r < 0 ? -errno : r;
}

static int get_reg(int vcpu_fd, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };
	return xioctl(vcpu_fd, KVM_GET_ONE_REG, &r);
}

static int set_reg(int vcpu_fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };
	return xioctl(vcpu_fd, KVM_SET_ONE_REG, &r);
}

static int dev_attr(int fd, unsigned long req, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };
	return xioctl(fd, req, &a);
}

static int get_iidr(int gic_fd, uint32_t *val)
{
	return dev_attr(gic_fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
			GICD_IIDR_OFFSET, val);
}

static int set_iidr(int gic_fd, uint32_t val)
{
	return dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
			GICD_IIDR_OFFSET, &val);
}

static void guest_vm_close(struct guest_vm *g)
{
	int *fds[] = { &g->gic_fd, &g->vcpu_fd, &g->vm_fd, &g->kvm_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* /dev/kvm and an empty VM. */
static int guest_vm_open(struct guest_vm *g)
{
	memset(g, 0, sizeof(*g));
	g->kvm_fd = g->vm_fd = g->vcpu_fd = g->gic_fd = -1;
	g->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm_fd < 0) {
		print_error("open /dev/kvm: %s\n", strerror(errno));
		return -1;
	}
	g->vm_fd = xioctl(g->kvm_fd, KVM_CREATE_VM, 0);
	if (g->vm_fd < 0) {
		print_error("KVM_CREATE_VM: %s\n", strerror(-g->vm_fd));
		return -1;
	}
	return 0;
}

static int guest_vcpu_create(struct guest_vm *g)
{
	g->vcpu_fd = xioctl(g->vm_fd, KVM_CREATE_VCPU, 0);
	if (g->vcpu_fd < 0) {
		print_error("KVM_CREATE_VCPU: %s\n", strerror(-g->vcpu_fd));
		return -1;
	}
	int r = xioctl(g->vm_fd, KVM_ARM_PREFERRED_TARGET, &g->init);
	if (r < 0) {
		print_error("KVM_ARM_PREFERRED_TARGET: %s\n", strerror(-r));
		return -1;
	}
	return 0;
}

/* With the PSCI 0.2 feature, as every VMM asks for: without it the vCPU
 * speaks PSCI 0.1 and PSCI_VERSION reads 0x1 (measured, see
 * test_fact_psci_needs_feature). KVM_ARM_VCPU_PSCI_0_2 is feature bit 2
 * (arch/arm64/include/uapi/asm/kvm.h). */
static int guest_vcpu_init(struct guest_vm *g)
{
	g->init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	int r = xioctl(g->vcpu_fd, KVM_ARM_VCPU_INIT, &g->init);
	if (r < 0)
		print_error("KVM_ARM_VCPU_INIT: %s\n", strerror(-r));
	return r;
}

/* Creates the vGICv3 and places its frames; CTRL_INIT is separate so a test
 * can look at the device before it. */
static int guest_vgic_create(struct guest_vm *g)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = VGIC_DIST_BASE, redist = VGIC_REDIST_BASE;
	int r = xioctl(g->vm_fd, KVM_CREATE_DEVICE, &cd);
	if (r < 0) {
		print_error("KVM_CREATE_DEVICE(VGIC_V3): %s\n", strerror(-r));
		return r;
	}
	g->gic_fd = (int)cd.fd;
	r = dev_attr(g->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
		     KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	if (r == 0)
		r = dev_attr(g->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
			     KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	if (r < 0)
		print_error("vGIC address: %s\n", strerror(-r));
	return r;
}

static int guest_vgic_init(struct guest_vm *g)
{
	int r = dev_attr(g->gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
			 KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (r < 0)
		print_error("KVM_DEV_ARM_VGIC_CTRL_INIT: %s\n", strerror(-r));
	return r;
}

/* ---- what this boot expects -------------------------------------------- */

static struct utsname guest_uname;

/* "6.12" from "6.12.117+deb12-arm64", "6.1" from "6.1.0-56-arm64". */
static int release_is_series(const char *series)
{
	size_t n = strlen(series);
	return strncmp(guest_uname.release, series, n) == 0 && guest_uname.release[n] == '.';
}

/* The measured -cpu max defaults of real-kvm.md, or 0 when unknown. */
static uint64_t expected_clidr(void)
{
	const char *cpu = getenv("KVMPROF_CPU");
	if (!cpu || strcmp(cpu, "max") != 0)
		return 0;
	if (release_is_series("6.12"))
		return 0x2000021;
	if (release_is_series("6.1"))
		return 0x2000023;
	return 0;
}

/* ---- facts: raw ioctls --------------------------------------------------- */

static int facts_setup(void **state)
{
	struct guest_vm *g = calloc(1, sizeof(*g));
	if (!g || guest_vm_open(g) != 0 || guest_vcpu_create(g) != 0 || guest_vcpu_init(g) != 0) {
		if (g)
			guest_vm_close(g);
		free(g);
		return -1;
	}
	*state = g;
	return 0;
}

static int facts_teardown(void **state)
{
	struct guest_vm *g = *state;
	guest_vm_close(g);
	free(g);
	return 0;
}

static void test_fact_kernel_release(void **state)
{
	const char *want = getenv("KVMPROF_EXPECT_SERIES");
	(void)state;
	print_message("kernel release %s, machine %s, cpu model %s\n", guest_uname.release,
		      guest_uname.machine, getenv("KVMPROF_CPU") ? getenv("KVMPROF_CPU") : "?");
	assert_string_equal(guest_uname.machine, "aarch64");
	if (want)
		assert_true(release_is_series(want));
}

static void test_fact_api_version(void **state)
{
	struct guest_vm *g = *state;
	/* KVM_API_VERSION has been 12 since Linux 2.6.22 (include/uapi/linux/kvm.h). */
	assert_int_equal(xioctl(g->kvm_fd, KVM_GET_API_VERSION, 0), 12);
}

static void test_fact_clidr_default(void **state)
{
	struct guest_vm *g = *state;
	uint64_t clidr = 0, want = expected_clidr();
	assert_int_equal(get_reg(g->vcpu_fd, REG_CLIDR_EL1, &clidr), 0);
	print_message("CLIDR_EL1 default 0x%" PRIx64 " (expected %s0x%" PRIx64 ")\n", clidr,
		      want ? "" : "unknown, not checked: ", want);
	assert_int_not_equal(clidr, 0);
	if (want)
		assert_int_equal(clidr, want);
}

static void test_fact_writable_masks_cap(void **state)
{
	struct guest_vm *g = *state;
	int cap = xioctl(g->vm_fd, KVM_CHECK_EXTENSION,
			 (void *)(uintptr_t)KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES);
	print_message("KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES = %d\n", cap);
	/* real-kvm.md: 1 on 6.12, 0 on 6.1 (added in v6.8). */
	if (release_is_series("6.12"))
		assert_int_equal(cap, 1);
	else if (release_is_series("6.1"))
		assert_int_equal(cap, 0);
	else
		assert_true(cap >= 0);
}

static void test_fact_psci_version(void **state)
{
	struct guest_vm *g = *state;
	uint64_t v = 0;
	assert_int_equal(get_reg(g->vcpu_fd, REG_PSCI_VERSION, &v), 0);
	print_message("PSCI_VERSION default 0x%" PRIx64 "\n", v);
	assert_int_equal(v, PSCI_VER(1, 1));
	/* 1.0 and 0.2 accepted, 0.1 refused (real-kvm.md; the 0.1 interface is
	 * chosen by vCPU feature, not by this register). */
	assert_int_equal(set_reg(g->vcpu_fd, REG_PSCI_VERSION, PSCI_VER(1, 0)), 0);
	assert_int_equal(get_reg(g->vcpu_fd, REG_PSCI_VERSION, &v), 0);
	assert_int_equal(v, PSCI_VER(1, 0));
	assert_int_equal(set_reg(g->vcpu_fd, REG_PSCI_VERSION, PSCI_VER(0, 2)), 0);
	assert_int_equal(set_reg(g->vcpu_fd, REG_PSCI_VERSION, PSCI_VER(0, 1)), -EINVAL);
}

static void test_fact_psci_needs_feature(void **state)
{
	struct guest_vm g;
	uint64_t v = 0;
	(void)state;
	assert_int_equal(guest_vm_open(&g), 0);
	assert_int_equal(guest_vcpu_create(&g), 0);
	/* KVM_ARM_PREFERRED_TARGET leaves every feature off: no PSCI 0.2. */
	assert_int_equal(g.init.features[0] & (1u << KVM_ARM_VCPU_PSCI_0_2), 0);
	assert_int_equal(xioctl(g.vcpu_fd, KVM_ARM_VCPU_INIT, &g.init), 0);
	assert_int_equal(get_reg(g.vcpu_fd, REG_PSCI_VERSION, &v), 0);
	int r = set_reg(g.vcpu_fd, REG_PSCI_VERSION, PSCI_VER(1, 0));
	print_message("without KVM_ARM_VCPU_PSCI_0_2: PSCI_VERSION 0x%" PRIx64
		      ", writing 1.0: %s\n", v, r ? strerror(-r) : "accepted");
	guest_vm_close(&g);
	assert_int_equal(v, PSCI_VER(0, 1));
}

static void test_fact_pfr0_csv2_lower(void **state)
{
	struct guest_vm *g = *state;
	uint64_t pfr0 = 0, back = 0;
	assert_int_equal(get_reg(g->vcpu_fd, REG_ID_AA64PFR0_EL1, &pfr0), 0);
	print_message("ID_AA64PFR0_EL1 default 0x%016" PRIx64 " (CSV2=%u)\n", pfr0,
		      (unsigned)FIELD4(pfr0, PFR0_CSV2_SHIFT));
	/* Lowering CSV2 to 0 is safe and writable on 6.1 and 6.12. */
	uint64_t lowered = pfr0 & ~(0xfull << PFR0_CSV2_SHIFT);
	assert_int_equal(set_reg(g->vcpu_fd, REG_ID_AA64PFR0_EL1, lowered), 0);
	assert_int_equal(get_reg(g->vcpu_fd, REG_ID_AA64PFR0_EL1, &back), 0);
	assert_int_equal(back, lowered);
	/* Raising above the default is refused (EINVAL on both). */
	uint64_t raised = (pfr0 & ~(0xfull << PFR0_CSV2_SHIFT)) | (0xfull << PFR0_CSV2_SHIFT);
	assert_int_equal(set_reg(g->vcpu_fd, REG_ID_AA64PFR0_EL1, raised), -EINVAL);
}

static void test_fact_dfr0_wrps(void **state)
{
	struct guest_vm *g = *state;
	uint64_t dfr0 = 0, back = 0;
	assert_int_equal(get_reg(g->vcpu_fd, REG_ID_AA64DFR0_EL1, &dfr0), 0);
	uint64_t lowered = dfr0 & ~(0xfull << DFR0_WRPS_SHIFT); /* WRPs=0: 1 watchpoint */
	int r = set_reg(g->vcpu_fd, REG_ID_AA64DFR0_EL1, lowered);
	assert_int_equal(get_reg(g->vcpu_fd, REG_ID_AA64DFR0_EL1, &back), 0);
	print_message("ID_AA64DFR0_EL1 default 0x%016" PRIx64 " (WRPs=%u); WRPs=0 write: %s, "
		      "reads back 0x%016" PRIx64 "\n", dfr0, (unsigned)FIELD4(dfr0, DFR0_WRPS_SHIFT),
		      r ? strerror(-r) : "accepted", back);
	/* Writable since the v6.7 writable-ID-register work; 6.1 refuses any
	 * change of this register but accepts its own value. */
	if (release_is_series("6.1")) {
		assert_int_equal(r, -EINVAL);
		assert_int_equal(set_reg(g->vcpu_fd, REG_ID_AA64DFR0_EL1, dfr0), 0);
	} else if (release_is_series("6.12")) {
		assert_int_equal(r, 0);
		assert_int_equal(back, lowered);
	}
}

static void test_fact_midr_write_refused(void **state)
{
	struct guest_vm *g = *state;
	uint64_t midr = 0;
	assert_int_equal(get_reg(g->vcpu_fd, REG_MIDR_EL1, &midr), 0);
	print_message("MIDR_EL1 0x%" PRIx64 "\n", midr);
	assert_int_equal(set_reg(g->vcpu_fd, REG_MIDR_EL1, midr ^ 0x10), -EINVAL);
}

static void test_fact_gicd_iidr_before_init(void **state)
{
	struct guest_vm *g = *state;
	uint32_t iidr = 0;
	assert_int_equal(guest_vgic_create(g), 0);
	assert_int_equal(get_iidr(g->gic_fd, &iidr), -EBUSY);
	assert_int_equal(set_iidr(g->gic_fd, GICD_IIDR_KVM_DEFAULT), -EBUSY);
}

static void test_fact_gicd_iidr(void **state)
{
	struct guest_vm *g = *state;
	uint32_t iidr = 0;
	assert_int_equal(guest_vgic_create(g), 0);
	assert_int_equal(guest_vgic_init(g), 0);
	assert_int_equal(get_iidr(g->gic_fd, &iidr), 0);
	print_message("GICD_IIDR default 0x%08x (Revision %u)\n", iidr,
		      (iidr & GICD_IIDR_REVISION_MASK) >> GICD_IIDR_REVISION_SHIFT);
	assert_int_equal(iidr, GICD_IIDR_KVM_DEFAULT);

	uint32_t other = iidr & ~GICD_IIDR_REVISION_MASK;
	assert_int_equal(set_iidr(g->gic_fd, other | (1u << GICD_IIDR_REVISION_SHIFT)), -EINVAL);
	assert_int_equal(set_iidr(g->gic_fd, other | (2u << GICD_IIDR_REVISION_SHIFT)), 0);
	assert_int_equal(get_iidr(g->gic_fd, &iidr), 0);
	assert_int_equal(iidr, other | (2u << GICD_IIDR_REVISION_SHIFT));
	assert_int_equal(set_iidr(g->gic_fd, other | (3u << GICD_IIDR_REVISION_SHIFT)), 0);
}

/* ---- runtime: libkvmprof on hand-written tables -------------------------- */

#ifndef GUEST_WITHOUT_RUNTIME

/* requires: cap(KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) - a kernel with
 * writable ID registers beyond CSV2/CSV3. */
static const struct kvmprof_insn cond_writable_id_regs_code[] = {
	{ .op = KVMPROF_OP_CAP, .arg = KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES },
	{ .op = KVMPROF_OP_CONST, .arg = 0 },
	{ .op = KVMPROF_OP_NE },
	{ .op = KVMPROF_OP_END },
};
static const struct kvmprof_cond cond_writable_id_regs = {
	.text = "cap(KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) != 0",
	.origin = "tests/arm64/test_arm64_kvm.c",
	.code = cond_writable_id_regs_code,
	.n_code = 4,
};

static const struct kvmprof_field f_csv2[] = {
	{ .name = "CSV2", .shift = PFR0_CSV2_SHIFT, .width = 4, .policy = KVMPROF_POLICY_AT_MOST },
};
static const struct kvmprof_field f_wrps[] = {
	{ .name = "WRPs", .shift = DFR0_WRPS_SHIFT, .width = 4, .policy = KVMPROF_POLICY_AT_MOST },
};
static const struct kvmprof_field f_revision[] = {
	{ .name = "Revision", .shift = GICD_IIDR_REVISION_SHIFT, .width = 4,
	  .policy = KVMPROF_POLICY_EXACT },
};

#define ENTRY_ID_AA64PFR0_CSV2_AT_MOST_1                                             \
	{ .name = "ID_AA64PFR0_EL1", .origin = "test_arm64_kvm.c:pfr0",                 \
	  .kind = KVMPROF_KIND_ONE_REG, .phase = KVMPROF_PHASE_VCPU_REGS,                \
	  .policy = KVMPROF_POLICY_AT_MOST, .width = 64, .id = REG_ID_AA64PFR0_EL1,      \
	  .value = 1ull << PFR0_CSV2_SHIFT, .mask = 0xfull << PFR0_CSV2_SHIFT,           \
	  .fields = f_csv2, .n_fields = 1 }
#define ENTRY_ID_AA64DFR0_WRPS_AT_MOST_1                                             \
	{ .name = "ID_AA64DFR0_EL1", .origin = "test_arm64_kvm.c:dfr0",                 \
	  .kind = KVMPROF_KIND_ONE_REG, .phase = KVMPROF_PHASE_VCPU_REGS,                \
	  .policy = KVMPROF_POLICY_AT_MOST, .width = 64, .id = REG_ID_AA64DFR0_EL1,      \
	  .value = 1ull << DFR0_WRPS_SHIFT, .mask = 0xfull << DFR0_WRPS_SHIFT,           \
	  .fields = f_wrps, .n_fields = 1, .requires = &cond_writable_id_regs }
#define ENTRY_PSCI_VERSION_1_0                                                       \
	{ .name = "PSCI_VERSION", .origin = "test_arm64_kvm.c:psci",                    \
	  .kind = KVMPROF_KIND_ONE_REG, .phase = KVMPROF_PHASE_VCPU_REGS,                \
	  .policy = KVMPROF_POLICY_EXACT, .width = 64, .id = REG_PSCI_VERSION,           \
	  .value = PSCI_VER(1, 0), .mask = ~0ull }
#define ENTRY_GICD_IIDR_REVISION(rev)                                                \
	{ .name = "GICD_IIDR", .origin = "test_arm64_kvm.c:iidr",                       \
	  .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = KVMPROF_PHASE_DEVICE,               \
	  .policy = KVMPROF_POLICY_EXACT, .width = 32, .group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS, \
	  .aux = KVM_DEV_TYPE_ARM_VGIC_V3, .id = GICD_IIDR_OFFSET,                        \
	  .value = (uint64_t)(rev) << GICD_IIDR_REVISION_SHIFT,                           \
	  .mask = GICD_IIDR_REVISION_MASK, .fields = f_revision, .n_fields = 1 }

/* PSCI_VERSION 1.0 needs the vCPU to speak PSCI 0.2+ at all. */
#define ENTRY_FEATURE_PSCI_0_2                                                       \
	{ .name = "KVM_ARM_VCPU_PSCI_0_2", .origin = "test_arm64_kvm.c:psci-feature",   \
	  .kind = KVMPROF_KIND_VCPU_FEATURE, .phase = KVMPROF_PHASE_VCPU_INIT,           \
	  .policy = KVMPROF_POLICY_EXACT, .width = 1, .id = KVM_ARM_VCPU_PSCI_0_2,       \
	  .value = 1, .mask = 1 }

static const struct kvmprof_entry accepted_entries[] = {
	ENTRY_FEATURE_PSCI_0_2,
	ENTRY_ID_AA64PFR0_CSV2_AT_MOST_1,
	ENTRY_ID_AA64DFR0_WRPS_AT_MOST_1,
	ENTRY_PSCI_VERSION_1_0,
	ENTRY_GICD_IIDR_REVISION(2),
};
static const struct kvmprof_profile profile_accepted = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI,
	.sizeof_profile = sizeof(struct kvmprof_profile),
	.sizeof_entry = sizeof(struct kvmprof_entry),
	.format_version = KVMPROF_FORMAT_VERSION, .arch = KVMPROF_ARCH_ARM64,
	.name = "test-arm64-accepted",
	.description = "CSV2<=1, WRPs<=1 where writable, PSCI 1.0, GICD_IIDR Revision 2",
	.provenance = "hand-written in tests/arm64/test_arm64_kvm.c",
	.source_hash = "fnv1a64:0000000000000000",
	.entries = accepted_entries, .n_entries = 5,
	/* vm: none; vcpu-init: 0; vcpu-regs: 1..3; device: 4 */
	.phase_start = { 0, 0, 1, 4, 5 },
};

static const struct kvmprof_entry rejected_entries[] = {
	ENTRY_FEATURE_PSCI_0_2,
	ENTRY_GICD_IIDR_REVISION(1),
};
static const struct kvmprof_profile profile_rejected = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI,
	.sizeof_profile = sizeof(struct kvmprof_profile),
	.sizeof_entry = sizeof(struct kvmprof_entry),
	.format_version = KVMPROF_FORMAT_VERSION, .arch = KVMPROF_ARCH_ARM64,
	.name = "test-arm64-rejected",
	.description = "GICD_IIDR Revision 1, which KVM refuses",
	.provenance = "hand-written in tests/arm64/test_arm64_kvm.c",
	.source_hash = "fnv1a64:0000000000000000",
	.entries = rejected_entries, .n_entries = 2,
	.phase_start = { 0, 0, 1, 1, 2 },
};

#define MAX_RESULTS 16

struct rt_state {
	struct guest_vm g;
	struct kvmprof_vm ctx; /* large: lives on the heap with the rest */
	struct kvmprof_result results[MAX_RESULTS];
	struct kvmprof_report report;
};

static int rt_setup(void **state)
{
	struct rt_state *s = calloc(1, sizeof(*s));
	if (!s || guest_vm_open(&s->g) != 0) {
		if (s)
			guest_vm_close(&s->g);
		free(s);
		return -1;
	}
	s->report.results = s->results;
	s->report.capacity = MAX_RESULTS;
	*state = s;
	return 0;
}

static int rt_teardown(void **state)
{
	struct rt_state *s = *state;
	kvmprof_sys_install(NULL); /* a test's counting backend, if it failed early */
	guest_vm_close(&s->g);
	free(s);
	return 0;
}

/* Prints a report the way a VMM would log it, with the runtime's reasons. */
static void print_report(const char *what, int rc, const struct kvmprof_report *rep)
{
	char reason[256];
	print_message("%s: %d (%s), %u result(s), %u ok, %u failed, %u written\n", what, rc,
		      rc ? kvmprof_strerror(rc) : "ok", rep->count, rep->n_ok, rep->n_failed,
		      rep->n_written);
	for (uint32_t i = 0; i < rep->count && i < rep->capacity; i++) {
		const struct kvmprof_result *r = &rep->results[i];
		kvmprof_result_reason(r, reason, sizeof(reason));
		print_message("  %-16s %-18s err=%d before=0x%" PRIx64 " wanted=0x%" PRIx64
			      " after=0x%" PRIx64 ": %s\n",
			      r->entry && r->entry->name ? r->entry->name : "?",
			      kvmprof_outcome_name(r->outcome), r->err, r->before, r->wanted, r->after,
			      reason);
	}
}

static int outcome_is_ok(int outcome)
{
	return outcome == KVMPROF_OUT_APPLIED || outcome == KVMPROF_OUT_ALREADY_EQUAL ||
	       outcome == KVMPROF_OUT_SKIPPED_REQUIRES;
}

static const struct kvmprof_result *find_result(const struct kvmprof_report *rep, const char *name)
{
	for (uint32_t i = 0; i < rep->count && i < rep->capacity; i++)
		if (rep->results[i].entry && strcmp(rep->results[i].entry->name, name) == 0)
			return &rep->results[i];
	return NULL;
}

/* vm_init, apply_vm, vCPU, apply_vcpu_init, apply_vcpu_regs: the start-up
 * sequence every runtime test shares. Fails the test on any error. */
static void rt_start(struct rt_state *s, const struct kvmprof_profile *p)
{
	struct kvmprof_opts opts = { .sz = sizeof(opts) };
	int rc = kvmprof_vm_init(&s->ctx, p, s->g.kvm_fd, s->g.vm_fd, &opts);
	print_message("kvmprof_vm_init(%s): %d (%s)\n", p->name, rc, rc ? kvmprof_strerror(rc) : "ok");
	assert_int_equal(rc, 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_apply_vm(&s->ctx, &s->report);
	print_report("kvmprof_apply_vm", rc, &s->report);
	assert_int_equal(rc, 0);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_apply_vcpu_init(&s->ctx, s->g.vcpu_fd, &s->g.init, &s->report);
	print_report("kvmprof_apply_vcpu_init", rc, &s->report);
	assert_int_equal(rc, 0);
	assert_int_equal(s->report.count, p->phase_start[2] - p->phase_start[1]);
	/* The runtime set the profile's feature in the caller's init. */
	assert_int_not_equal(s->g.init.features[0] & (1u << KVM_ARM_VCPU_PSCI_0_2), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_apply_vcpu_regs(&s->ctx, s->g.vcpu_fd, &s->report);
	print_report("kvmprof_apply_vcpu_regs", rc, &s->report);
	assert_int_equal(rc, 0);
	assert_int_equal(s->report.count, p->phase_start[3] - p->phase_start[2]);
	for (uint32_t i = 0; i < s->report.count; i++)
		assert_true(outcome_is_ok(s->report.results[i].outcome));
	assert_int_equal(guest_vgic_create(&s->g), 0);
	assert_int_equal(guest_vgic_init(&s->g), 0);
}

static void test_rt_apply_accepted_profile(void **state)
{
	struct rt_state *s = *state;
	uint64_t v = 0;
	uint32_t iidr = 0;

	rt_start(s, &profile_accepted);
	const struct kvmprof_result *dfr0 = find_result(&s->report, "ID_AA64DFR0_EL1");
	assert_non_null(dfr0);
	/* The requires: holds exactly where the writable-mask capability exists. */
	if (release_is_series("6.1"))
		assert_int_equal(dfr0->outcome, KVMPROF_OUT_SKIPPED_REQUIRES);
	else if (release_is_series("6.12"))
		assert_int_not_equal(dfr0->outcome, KVMPROF_OUT_SKIPPED_REQUIRES);

	kvmprof_report_reset(&s->report);
	int rc = kvmprof_apply_devices(&s->ctx, s->g.gic_fd, &s->report);
	print_report("kvmprof_apply_devices", rc, &s->report);
	assert_int_equal(rc, 0);
	assert_int_equal(s->report.count, 1);
	assert_int_equal(s->report.results[0].outcome, KVMPROF_OUT_APPLIED);

	/* What the kernel now presents, read without the runtime. */
	assert_int_equal(get_reg(s->g.vcpu_fd, REG_ID_AA64PFR0_EL1, &v), 0);
	assert_true(FIELD4(v, PFR0_CSV2_SHIFT) <= 1);
	if (release_is_series("6.12")) {
		assert_int_equal(get_reg(s->g.vcpu_fd, REG_ID_AA64DFR0_EL1, &v), 0);
		assert_true(FIELD4(v, DFR0_WRPS_SHIFT) <= 1);
	}
	assert_int_equal(get_reg(s->g.vcpu_fd, REG_PSCI_VERSION, &v), 0);
	assert_int_equal(v, PSCI_VER(1, 0));
	assert_int_equal(get_iidr(s->g.gic_fd, &iidr), 0);
	assert_int_equal(iidr, (GICD_IIDR_KVM_DEFAULT & ~GICD_IIDR_REVISION_MASK) |
				       (2u << GICD_IIDR_REVISION_SHIFT));
	kvmprof_vm_fini(&s->ctx);
}

/* Revision 1: strict apply fails, the report says why and what is
 * accepted, and the kernel keeps its default. */
static void test_rt_reject_iidr_revision_1(void **state)
{
	struct rt_state *s = *state;
	char reason[256];
	uint32_t iidr = 0;

	rt_start(s, &profile_rejected);
	kvmprof_report_reset(&s->report);
	int rc = kvmprof_apply_devices(&s->ctx, s->g.gic_fd, &s->report);
	print_report("kvmprof_apply_devices", rc, &s->report);
	assert_int_equal(rc, KVMPROF_ERR_REJECTED);
	assert_int_equal(s->report.count, 1);
	const struct kvmprof_result *r = &s->report.results[0];
	assert_int_equal(r->outcome, KVMPROF_OUT_REJECTED);
	assert_int_equal(r->err, -EINVAL);
	assert_int_equal(r->written, 0);
	int n = kvmprof_result_reason(r, reason, sizeof(reason));
	print_message("verdict: %s\n", reason);
	assert_true(n > 0);
	assert_non_null(strstr(reason, "Revision"));
	/* Real KVM takes revisions 2 and 3 (vgic-mmio-v3.c, real-kvm.md): the
	 * runtime is expected to find and name that range. */
	print_message("accepted range reported: %" PRIu64 "..%" PRIu64 "\n", r->accepted_lo,
		      r->accepted_hi);
	assert_int_equal(r->accepted_lo, 2);
	assert_int_equal(r->accepted_hi, 3);
	assert_int_equal(get_iidr(s->g.gic_fd, &iidr), 0);
	assert_int_equal(iidr, GICD_IIDR_KVM_DEFAULT);
	kvmprof_vm_fini(&s->ctx);
}

/* A dry run writes nothing. */
static void test_rt_check_changes_nothing(void **state)
{
	struct rt_state *s = *state;
	struct kvmprof_opts opts = { .sz = sizeof(opts) };
	uint64_t psci = 0;

	assert_int_equal(kvmprof_vm_init(&s->ctx, &profile_accepted, s->g.kvm_fd, s->g.vm_fd, &opts), 0);
	kvmprof_report_reset(&s->report);
	assert_int_equal(kvmprof_apply_vm(&s->ctx, &s->report), 0);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	kvmprof_report_reset(&s->report);
	assert_int_equal(kvmprof_apply_vcpu_init(&s->ctx, s->g.vcpu_fd, &s->g.init, &s->report), 0);
	kvmprof_report_reset(&s->report);
	int rc = kvmprof_check(&s->ctx, KVMPROF_PHASE_VCPU_REGS, s->g.vcpu_fd, &s->report);
	print_report("kvmprof_check(vcpu-regs)", rc, &s->report);
	assert_int_equal(rc, 0);
	assert_int_equal(s->report.count, 3);
	assert_int_equal(s->report.n_written, 0);
	const struct kvmprof_result *r = find_result(&s->report, "PSCI_VERSION");
	assert_non_null(r);
	assert_int_equal(r->outcome, KVMPROF_OUT_CHECK_OK);
	assert_int_equal(get_reg(s->g.vcpu_fd, REG_PSCI_VERSION, &psci), 0);
	assert_int_equal(psci, PSCI_VER(1, 1));
	kvmprof_vm_fini(&s->ctx);
}

/* Phases out of order are refused before any ioctl. */
static void test_rt_phase_order(void **state)
{
	struct rt_state *s = *state;
	struct kvmprof_opts opts = { .sz = sizeof(opts) };

	assert_int_equal(kvmprof_vm_init(&s->ctx, &profile_accepted, s->g.kvm_fd, s->g.vm_fd, &opts), 0);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	kvmprof_report_reset(&s->report);
	assert_int_equal(kvmprof_apply_vcpu_regs(&s->ctx, s->g.vcpu_fd, &s->report), KVMPROF_ERR_PHASE);
	kvmprof_vm_fini(&s->ctx);
}

/* Device registers before KVM_DEV_ARM_VGIC_CTRL_INIT: the vGIC answers EBUSY
 * and the runtime says it was called out of phase; after it, they apply.
 * (Was examples/arm64_vmm.c's demonstration.) */
static void test_rt_devices_before_vgic_init(void **state)
{
	struct rt_state *s = *state;
	struct kvmprof_opts opts = { .sz = sizeof(opts) };
	int rc;

	assert_int_equal(kvmprof_vm_init(&s->ctx, &profile_accepted, s->g.kvm_fd, s->g.vm_fd, &opts), 0);
	assert_int_equal(kvmprof_apply_vm(&s->ctx, &s->report), 0);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	kvmprof_report_reset(&s->report);
	assert_int_equal(kvmprof_apply_vcpu_init(&s->ctx, s->g.vcpu_fd, &s->g.init, &s->report), 0);
	kvmprof_report_reset(&s->report);
	assert_int_equal(kvmprof_apply_vcpu_regs(&s->ctx, s->g.vcpu_fd, &s->report), 0);
	assert_int_equal(guest_vgic_create(&s->g), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_apply_devices(&s->ctx, s->g.gic_fd, &s->report);
	print_report("kvmprof_apply_devices before CTRL_INIT", rc, &s->report);
	assert_int_equal(rc, KVMPROF_ERR_PHASE);
	assert_int_equal(s->report.n_written, 0);
	assert_int_equal(guest_vgic_init(&s->g), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_apply_devices(&s->ctx, s->g.gic_fd, &s->report);
	print_report("kvmprof_apply_devices after CTRL_INIT", rc, &s->report);
	assert_int_equal(rc, 0);
	kvmprof_vm_fini(&s->ctx);
}

/* ---- redistributor registers: one per vCPU (issue 10, item 6) ---- */

/* GICR_IPRIORITYR0 (SGIs 0-3) in the SGI frame, 64 KiB after RD_base
 * (IHI 0069, 12.10.17); KVM keeps the top 5 bits of each priority byte
 * (VGIC_PRI_BITS in vgic.h), so 0xa0 reads back as written. */
#define GICR_IPRIORITYR0_OFFSET (0x10000 + 0x400)
#define PRIO_A0 0xa0a0a0a0u

#define ENTRY_GICR_IPRIORITYR0                                                       \
	{ .name = "GICR_IPRIORITYR0", .origin = "test_arm64_kvm.c:gicr-prio",           \
	  .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = KVMPROF_PHASE_DEVICE,               \
	  .policy = KVMPROF_POLICY_EXACT, .width = 32, .group = KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, \
	  .aux = KVM_DEV_TYPE_ARM_VGIC_V3, .id = GICR_IPRIORITYR0_OFFSET,                 \
	  .value = PRIO_A0, .mask = 0xffffffffu }

static const struct kvmprof_entry redist_entries[] = {
	ENTRY_FEATURE_PSCI_0_2,
	ENTRY_GICD_IIDR_REVISION(2),
	ENTRY_GICR_IPRIORITYR0,
};
static const struct kvmprof_profile profile_redist = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI,
	.sizeof_profile = sizeof(struct kvmprof_profile),
	.sizeof_entry = sizeof(struct kvmprof_entry),
	.format_version = KVMPROF_FORMAT_VERSION, .arch = KVMPROF_ARCH_ARM64,
	.name = "test-arm64-redist",
	.description = "a distributor and a redistributor register",
	.provenance = "hand-written in tests/arm64/test_arm64_kvm.c",
	.source_hash = "fnv1a64:0000000000000000",
	.entries = redist_entries, .n_entries = 3,
	.phase_start = { 0, 0, 1, 1, 3 },
};

/* A vCPU's redistributor register, addressed as the uAPI says: bits 63:32
 * of the attribute are the vCPU's MPIDR affinity; KVM gives vCPU id i the
 * affinity Aff0 = i for i < 16 (reset_mpidr() in arch/arm64/kvm/sys_regs.c). */
static uint32_t redist_read(int gic_fd, uint32_t vcpu_id, uint32_t offset)
{
	uint32_t v = 0;

	assert_int_equal(dev_attr(gic_fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				  ((uint64_t)vcpu_id << 32) | offset, &v), 0);
	return v;
}

static void redist_write(int gic_fd, uint32_t vcpu_id, uint32_t offset, uint32_t v)
{
	assert_int_equal(dev_attr(gic_fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				  ((uint64_t)vcpu_id << 32) | offset, &v), 0);
}

/* Two vCPUs through the convenience calls, then kvmprof_apply_devices():
 * the redistributor entry must reach both vCPUs, not only affinity 0. */
static void test_rt_redist_every_vcpu(void **state)
{
	struct rt_state *s = *state;
	struct kvmprof_opts opts = { .sz = sizeof(opts) };
	struct kvm_vcpu_init init1;
	int vcpu1, rc;

	assert_int_equal(kvmprof_vm_init(&s->ctx, &profile_redist, s->g.kvm_fd, s->g.vm_fd, &opts), 0);
	assert_int_equal(kvmprof_apply_vm(&s->ctx, &s->report), 0);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	vcpu1 = xioctl(s->g.vm_fd, KVM_CREATE_VCPU, (void *)1);
	assert_true(vcpu1 >= 0);
	init1 = s->g.init;
	assert_int_equal(kvmprof_apply_vcpu_init(&s->ctx, s->g.vcpu_fd, &s->g.init, &s->report), 0);
	assert_int_equal(kvmprof_apply_vcpu_init(&s->ctx, vcpu1, &init1, &s->report), 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&s->ctx, s->g.vcpu_fd, &s->report), 0);
	assert_int_equal(kvmprof_apply_vcpu_regs(&s->ctx, vcpu1, &s->report), 0);
	assert_int_equal(guest_vgic_create(&s->g), 0);
	assert_int_equal(guest_vgic_init(&s->g), 0);
	assert_int_equal(redist_read(s->g.gic_fd, 1, GICR_IPRIORITYR0_OFFSET), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_apply_devices(&s->ctx, s->g.gic_fd, &s->report);
	print_report("kvmprof_apply_devices (2 vCPUs)", rc, &s->report);
	assert_int_equal(rc, 0);
	assert_int_equal(s->report.count, 3); /* GICD_IIDR, GICR_IPRIORITYR0 on 2 vCPUs */
	print_message("GICR_IPRIORITYR0: vCPU 0 0x%x, vCPU 1 0x%x\n",
		      redist_read(s->g.gic_fd, 0, GICR_IPRIORITYR0_OFFSET),
		      redist_read(s->g.gic_fd, 1, GICR_IPRIORITYR0_OFFSET));
	assert_int_equal(redist_read(s->g.gic_fd, 0, GICR_IPRIORITYR0_OFFSET), PRIO_A0);
	assert_int_equal(redist_read(s->g.gic_fd, 1, GICR_IPRIORITYR0_OFFSET), PRIO_A0);
	close(vcpu1);
	kvmprof_vm_fini(&s->ctx);
}

/* POWER_OFF stated off: the vCPU must start runnable (KVM_GET_MP_STATE). */
#define ENTRY_FEATURE_POWER_OFF_OFF                                                  \
	{ .name = "KVM_ARM_VCPU_POWER_OFF", .origin = "test_arm64_kvm.c:power-off",     \
	  .kind = KVMPROF_KIND_VCPU_FEATURE, .phase = KVMPROF_PHASE_VCPU_INIT,           \
	  .policy = KVMPROF_POLICY_EXACT, .width = 1, .id = KVM_ARM_VCPU_POWER_OFF,      \
	  .value = 0, .mask = 1 }

static const struct kvmprof_entry owned_entries[] = {
	ENTRY_FEATURE_PSCI_0_2,
	ENTRY_FEATURE_POWER_OFF_OFF,
	ENTRY_PSCI_VERSION_1_0,
	ENTRY_GICD_IIDR_REVISION(2),
	ENTRY_GICR_IPRIORITYR0,
};
static const struct kvmprof_profile profile_owned = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI,
	.sizeof_profile = sizeof(struct kvmprof_profile),
	.sizeof_entry = sizeof(struct kvmprof_entry),
	.format_version = KVMPROF_FORMAT_VERSION, .arch = KVMPROF_ARCH_ARM64,
	.name = "test-arm64-vmm-owned",
	.description = "features, a firmware register, a distributor and a redistributor register",
	.provenance = "hand-written in tests/arm64/test_arm64_kvm.c",
	.source_hash = "fnv1a64:0000000000000000",
	.entries = owned_entries, .n_entries = 5,
	.phase_start = { 0, 0, 2, 3, 5 },
};

/* The VMM-owned path: the VMM keeps KVM_ARM_VCPU_INIT (kvmprof merges the
 * features into its kvm_vcpu_init), names its vCPUs for the vGIC, and the
 * verification calls judge what each vCPU and the vGIC present, catching
 * a redistributor register the VMM put back on vCPU 1 only. */
static void test_rt_vmm_owned_path(void **state)
{
	struct rt_state *s = *state;
	struct kvmprof_opts opts = { .sz = sizeof(opts) };
	struct kvm_vcpu_init init[2];
	int fds[2], rc;

	assert_int_equal(kvmprof_vm_init(&s->ctx, &profile_owned, s->g.kvm_fd, s->g.vm_fd, &opts), 0);
	assert_int_equal(kvmprof_apply_vm(&s->ctx, &s->report), 0);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	fds[0] = s->g.vcpu_fd;
	fds[1] = xioctl(s->g.vm_fd, KVM_CREATE_VCPU, (void *)1);
	assert_true(fds[1] >= 0);
	for (int i = 0; i < 2; i++) {
		init[i] = s->g.init; /* the VMM's target, none of its own features */
		memset(init[i].features, 0, sizeof(init[i].features));
		kvmprof_report_reset(&s->report);
		rc = kvmprof_arm64_vcpu_init_merge(&s->ctx, i, &init[i], &s->report);
		print_report("kvmprof_arm64_vcpu_init_merge", rc, &s->report);
		assert_int_equal(rc, 0);
		assert_int_equal(s->report.results[0].outcome, KVMPROF_OUT_MERGED);
		assert_int_equal(s->report.results[0].vcpu_index, i);
		assert_int_equal(s->report.n_written, 0);
		assert_int_not_equal(init[i].features[0] & (1u << KVM_ARM_VCPU_PSCI_0_2), 0);
		assert_int_equal(xioctl(fds[i], KVM_ARM_VCPU_INIT, &init[i]), 0); /* the VMM */
		kvmprof_report_reset(&s->report);
		rc = kvmprof_apply_vcpu(&s->ctx, fds[i], i, &s->report);
		print_report("kvmprof_apply_vcpu", rc, &s->report);
		assert_int_equal(rc, 0);
		assert_int_equal(s->report.results[0].vcpu_fd, fds[i]);
	}
	assert_int_equal(guest_vgic_create(&s->g), 0);
	assert_int_equal(guest_vgic_init(&s->g), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_apply_vgic(&s->ctx, s->g.gic_fd, fds, 2, &s->report);
	print_report("kvmprof_apply_vgic", rc, &s->report);
	assert_int_equal(rc, 0);
	assert_int_equal(s->report.count, 3); /* GICD_IIDR once, GICR_IPRIORITYR0 per vCPU */
	assert_int_equal(s->report.results[0].vcpu_fd, -1);
	assert_int_equal(s->report.results[1].vcpu_index, 0);
	assert_int_equal(s->report.results[2].vcpu_index, 1);
	assert_int_equal(s->report.results[2].vcpu_fd, fds[1]);
	assert_int_equal(redist_read(s->g.gic_fd, 1, GICR_IPRIORITYR0_OFFSET), PRIO_A0);

	for (int i = 0; i < 2; i++) {
		kvmprof_report_reset(&s->report);
		rc = kvmprof_verify_vcpu(&s->ctx, fds[i], i, &s->report);
		print_report("kvmprof_verify_vcpu", rc, &s->report);
		assert_int_equal(rc, 0);
		assert_int_equal(s->report.count, 3);
		for (uint32_t k = 0; k < s->report.count; k++)
			assert_int_equal(s->report.results[k].outcome, KVMPROF_OUT_VERIFIED);
	}
	kvmprof_report_reset(&s->report);
	assert_int_equal(kvmprof_verify_vgic(&s->ctx, s->g.gic_fd, fds, 2, &s->report), 0);

	/* The VMM undoes the profile on vCPU 1 only. */
	redist_write(s->g.gic_fd, 1, GICR_IPRIORITYR0_OFFSET, 0);
	assert_int_equal(set_reg(fds[1], REG_PSCI_VERSION, PSCI_VER(1, 1)), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_verify_vgic(&s->ctx, s->g.gic_fd, fds, 2, &s->report);
	print_report("kvmprof_verify_vgic after the VMM's write", rc, &s->report);
	assert_int_equal(rc, KVMPROF_ERR_READBACK);
	assert_int_equal(s->report.results[1].outcome, KVMPROF_OUT_VERIFIED);
	assert_int_equal(s->report.results[2].outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(s->report.results[2].vcpu_index, 1);
	assert_int_equal(s->report.n_failed, 1);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_verify_vcpu(&s->ctx, fds[1], 1, &s->report);
	print_report("kvmprof_verify_vcpu after the VMM's write", rc, &s->report);
	assert_int_equal(rc, KVMPROF_ERR_READBACK);
	const struct kvmprof_result *r = find_result(&s->report, "PSCI_VERSION");
	assert_non_null(r);
	assert_int_equal(r->outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(r->after, PSCI_VER(1, 1));
	close(fds[1]);
	kvmprof_vm_fini(&s->ctx);
}

/* Features judged by what they make a vCPU show: a vCPU initialised with
 * POWER_OFF (which the profile states off) and without PSCI 0.2. */
static void test_rt_verify_features_undone(void **state)
{
	struct rt_state *s = *state;
	struct kvmprof_opts opts = { .sz = sizeof(opts) };
	int rc;

	assert_int_equal(kvmprof_vm_init(&s->ctx, &profile_owned, s->g.kvm_fd, s->g.vm_fd, &opts), 0);
	assert_int_equal(kvmprof_apply_vm(&s->ctx, &s->report), 0);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	s->g.init.features[0] = 1u << KVM_ARM_VCPU_POWER_OFF;
	assert_int_equal(xioctl(s->g.vcpu_fd, KVM_ARM_VCPU_INIT, &s->g.init), 0);
	kvmprof_report_reset(&s->report);
	rc = kvmprof_verify_vcpu(&s->ctx, s->g.vcpu_fd, 0, &s->report);
	print_report("kvmprof_verify_vcpu (VMM ignored the profile)", rc, &s->report);
	assert_int_equal(rc, KVMPROF_ERR_READBACK);
	assert_int_equal(find_result(&s->report, "KVM_ARM_VCPU_PSCI_0_2")->outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(find_result(&s->report, "KVM_ARM_VCPU_POWER_OFF")->outcome, KVMPROF_OUT_READBACK_DIFFERS);
	assert_int_equal(find_result(&s->report, "KVM_ARM_VCPU_POWER_OFF")->after, 1);
	kvmprof_vm_fini(&s->ctx);
}

/*
 * VM-scope registers (kvmprof_entry.vm_scope_since, the register database's
 * vm-scope-since): from 6.7 KVM keeps the feature ID registers per VM, so the
 * runtime reads them on one vCPU and repeats its verdict on the others; before
 * 6.7 every vCPU is read. Two vCPUs on the VMM-owned path, KVM_GET_ONE_REG of
 * ID_AA64ISAR0_EL1 counted per vCPU through the seam; CLIDR_EL1 is per vCPU
 * and read on both. Then the VMM lowers a field of ID_AA64ISAR0_EL1 through
 * vCPU 1's fd (6.12 lets it): the first vCPU's verification sees the VM's
 * value and vCPU 1's repeats that verdict.
 */
static int count_fd = -1, n_isar0_reads, n_clidr_reads;

static int counting_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	if (req == KVM_GET_ONE_REG && fd == count_fd) {
		n_isar0_reads += ((struct kvm_one_reg *)arg)->id == REG_ID_AA64ISAR0_EL1;
		n_clidr_reads += ((struct kvm_one_reg *)arg)->id == REG_CLIDR_EL1;
	}
	return kvmprof_sys_real.ioctl(ctx, fd, req, arg);
}

static void test_rt_vm_scope_id_regs(void **state)
{
	struct rt_state *s = *state;
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_VERIFY_FOLLOWS };
	static struct kvmprof_sys sys; /* installed: outlives a failed assertion until rt_teardown */
	struct kvmprof_entry entries[2];
	struct kvmprof_profile prof;
	struct kvm_vcpu_init init;
	unsigned maj = 0, min = 0;
	uint64_t isar0 = 0, clidr = 0, lowered;
	int fds[2], rc, vm_scope;

	sscanf(guest_uname.release, "%u.%u", &maj, &min);
	vm_scope = maj > 6 || (maj == 6 && min >= 7);
	assert_int_equal(guest_vcpu_create(&s->g), 0);
	fds[0] = s->g.vcpu_fd;
	fds[1] = xioctl(s->g.vm_fd, KVM_CREATE_VCPU, (void *)1);
	assert_true(fds[1] >= 0);
	init = s->g.init;
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	/* The profile states both registers as this kernel presents them,
	 * read from a scratch VM's vCPU (this VM's are the VMM's to init). */
	{
		struct guest_vm scratch;

		assert_int_equal(guest_vm_open(&scratch), 0);
		assert_int_equal(guest_vcpu_create(&scratch), 0);
		assert_int_equal(guest_vcpu_init(&scratch), 0);
		assert_int_equal(get_reg(scratch.vcpu_fd, REG_ID_AA64ISAR0_EL1, &isar0), 0);
		assert_int_equal(get_reg(scratch.vcpu_fd, REG_CLIDR_EL1, &clidr), 0);
		guest_vm_close(&scratch);
	}
	memset(entries, 0, sizeof(entries));
	entries[0] = (struct kvmprof_entry){ .name = "ID_AA64ISAR0_EL1", .origin = "test_arm64_kvm.c:isar0",
		.kind = KVMPROF_KIND_ONE_REG, .phase = KVMPROF_PHASE_VCPU_REGS, .policy = KVMPROF_POLICY_AT_MOST,
		.width = 64, .id = REG_ID_AA64ISAR0_EL1, .value = isar0, .mask = ~0ull,
		.vm_scope_since = KVMPROF_KERNEL_VERSION(6, 7, 0) };
	entries[1] = (struct kvmprof_entry){ .name = "CLIDR_EL1", .origin = "test_arm64_kvm.c:clidr",
		.kind = KVMPROF_KIND_ONE_REG, .phase = KVMPROF_PHASE_VCPU_REGS, .policy = KVMPROF_POLICY_EXACT,
		.width = 64, .id = REG_CLIDR_EL1, .value = clidr, .mask = ~0ull };
	prof = (struct kvmprof_profile){ .magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI,
		.sizeof_profile = sizeof(struct kvmprof_profile), .sizeof_entry = sizeof(struct kvmprof_entry),
		.format_version = KVMPROF_FORMAT_VERSION, .arch = KVMPROF_ARCH_ARM64, .name = "test-arm64-vm-scope",
		.description = "a VM-scope ID register and a per-vCPU register", .provenance = "test_arm64_kvm.c",
		.source_hash = "fnv1a64:0000000000000000", .entries = entries, .n_entries = 2,
		.phase_start = { 0, 0, 0, 2, 2 } };
	sys = (struct kvmprof_sys){ .ioctl = counting_ioctl, .uname_release = kvmprof_sys_real.uname_release };
	kvmprof_sys_install(&sys);
	rc = kvmprof_vm_init(&s->ctx, &prof, s->g.kvm_fd, s->g.vm_fd, &opts);
	if (rc == 0)
		rc = kvmprof_apply_vm(&s->ctx, &s->report);
	assert_int_equal(rc, 0);
	for (int i = 0; i < 2; i++) {
		struct kvm_vcpu_init mine = init;

		/* The VMM-owned order: merge (no features stated), then its init. */
		assert_int_equal(kvmprof_arm64_vcpu_init_merge(&s->ctx, i, &mine, &s->report), 0);
		assert_int_equal(xioctl(fds[i], KVM_ARM_VCPU_INIT, &mine), 0);
	}
	for (int i = 0; i < 2; i++) {
		count_fd = fds[i];
		n_isar0_reads = n_clidr_reads = 0;
		kvmprof_report_reset(&s->report);
		rc = kvmprof_apply_vcpu(&s->ctx, fds[i], i, &s->report);
		print_report("kvmprof_apply_vcpu", rc, &s->report);
		assert_int_equal(rc, 0);
		assert_int_equal(s->report.count, 2);
		assert_int_equal(s->report.results[0].vcpu_index, i);
		assert_int_equal(s->report.results[0].vcpu_fd, fds[i]);
		assert_int_equal(s->report.results[0].outcome, KVMPROF_OUT_ALREADY_EQUAL);
		assert_int_equal(s->report.results[0].after, isar0);
		rc = kvmprof_verify_vcpu(&s->ctx, fds[i], i, &s->report);
		print_report("kvmprof_verify_vcpu", rc, &s->report);
		assert_int_equal(rc, 0);
		assert_int_equal(s->report.results[2].outcome, KVMPROF_OUT_VERIFIED);
		assert_int_equal(s->report.results[2].vcpu_index, i);
		assert_int_equal(s->report.results[3].outcome, KVMPROF_OUT_VERIFIED);
		print_message("vCPU %d: ID_AA64ISAR0_EL1 read %d times, CLIDR_EL1 %d times (kernel %u.%u: %s)\n", i,
			      n_isar0_reads, n_clidr_reads, maj, min, vm_scope ? "one value per VM" : "per vCPU");
		assert_int_equal(n_clidr_reads, 2); /* apply and verification, on each vCPU */
		assert_int_equal(n_isar0_reads, i > 0 && vm_scope ? 0 : 2);
	}
	count_fd = -1;
	kvmprof_sys_install(NULL);
	if (!vm_scope) {
		print_message("kernel %u.%u keeps ID registers per vCPU: no VM-wide write to check\n", maj, min);
		close(fds[1]);
		kvmprof_vm_fini(&s->ctx);
		return;
	}
	/* The VMM lowers the first nonzero one of AES, SHA1, SHA2, CRC32. */
	lowered = isar0;
	for (unsigned shift = 4; shift <= 16 && lowered == isar0; shift += 4)
		if ((isar0 >> shift) & 0xf)
			lowered = isar0 & ~(0xfull << shift);
	if (lowered == isar0 || set_reg(fds[1], REG_ID_AA64ISAR0_EL1, lowered) != 0) {
		print_message("ID_AA64ISAR0_EL1 0x%" PRIx64 " has no field this KVM lets the VMM lower\n", isar0);
		close(fds[1]);
		kvmprof_vm_fini(&s->ctx);
		return;
	}
	/* An AT_MOST profile takes a lowered value: state the original exactly. */
	entries[0].policy = KVMPROF_POLICY_EXACT;
	for (int i = 0; i < 2; i++) {
		kvmprof_report_reset(&s->report);
		rc = kvmprof_verify_vcpu(&s->ctx, fds[i], i, &s->report);
		print_report("kvmprof_verify_vcpu after the VMM's write through vCPU 1", rc, &s->report);
		assert_int_equal(rc, KVMPROF_ERR_READBACK);
		assert_int_equal(s->report.results[0].outcome, KVMPROF_OUT_READBACK_DIFFERS);
		assert_int_equal(s->report.results[0].after, lowered);
		assert_int_equal(s->report.results[0].vcpu_index, i);
		assert_int_equal(s->report.results[1].outcome, KVMPROF_OUT_VERIFIED);
	}
	close(fds[1]);
	kvmprof_vm_fini(&s->ctx);
}

static const struct CMUnitTest runtime_tests[] = {
	cmocka_unit_test_setup_teardown(test_rt_redist_every_vcpu, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_vmm_owned_path, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_verify_features_undone, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_vm_scope_id_regs, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_apply_accepted_profile, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_reject_iidr_revision_1, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_check_changes_nothing, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_phase_order, rt_setup, rt_teardown),
	cmocka_unit_test_setup_teardown(test_rt_devices_before_vgic_init, rt_setup, rt_teardown),
};

#else /* GUEST_WITHOUT_RUNTIME: the runtime did not build for aarch64 */

static void test_rt_runtime_built(void **state)
{
	(void)state;
	fail_msg("libkvmprof did not build for aarch64 (see build-arm64/runtime-build.log): "
		 "runtime tests not run");
}

static const struct CMUnitTest runtime_tests[] = {
	cmocka_unit_test(test_rt_runtime_built),
};
#endif

/* ---- one build, both architectures: an x86 offline check on aarch64 ---- */

/*
 * tests/suites/arm64-kvm.sh puts an aarch64 build of kvmprof at /kvmprof
 * and, under /check, the inputs of each case N (caseN.args: one argument
 * a line, paths relative to /check) with what the x86_64 build printed
 * (caseN.expected) and its exit status (caseN.rc). Each must match here,
 * byte for byte: the offline verdict does not depend on the build's arch.
 */
#define OFFLINE_DIR "/check"
#define OFFLINE_MAX_OUT (1 << 20)

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(OFFLINE_MAX_OUT + 1);
	assert_non_null(buf);
	n = fread(buf, 1, OFFLINE_MAX_OUT, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Runs /kvmprof with argv in OFFLINE_DIR; its stdout in *out, exit status returned. */
static int run_kvmprof(char *const argv[], char **out, size_t *len)
{
	int pipefd[2], status = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		if (chdir(OFFLINE_DIR) == 0)
			execv("/kvmprof", argv);
		_exit(127);
	}
	close(pipefd[1]);
	*out = malloc(OFFLINE_MAX_OUT + 1);
	assert_non_null(*out);
	while (n < OFFLINE_MAX_OUT && (r = read(pipefd[0], *out + n, OFFLINE_MAX_OUT - n)) > 0)
		n += (size_t)r;
	close(pipefd[0]);
	(*out)[n] = '\0';
	*len = n;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_offline_check_any_arch(void **state)
{
	char path[256], *skip_reason, *args, *expected, *got, *rc_text;
	size_t exp_len, got_len;
	int cases = 0;

	(void)state;
	skip_reason = slurp(OFFLINE_DIR "/SKIP", NULL);
	if (skip_reason) {
		print_message("SKIP: %s", skip_reason);
		free(skip_reason);
		skip();
	}
	if (access("/kvmprof", X_OK) != 0)
		fail_msg("no /kvmprof in the initramfs: the suite did not pass the aarch64 build");
	for (int i = 1;; i++) {
		char *argv[32], *line;
		int argc = 0, rc;

		snprintf(path, sizeof(path), OFFLINE_DIR "/case%d.args", i);
		args = slurp(path, NULL);
		if (!args)
			break;
		argv[argc++] = "kvmprof";
		for (line = strtok(args, "\n"); line && argc < 31; line = strtok(NULL, "\n"))
			argv[argc++] = line;
		argv[argc] = NULL;
		snprintf(path, sizeof(path), OFFLINE_DIR "/case%d.expected", i);
		expected = slurp(path, &exp_len);
		snprintf(path, sizeof(path), OFFLINE_DIR "/case%d.rc", i);
		rc_text = slurp(path, NULL);
		assert_non_null(expected);
		assert_non_null(rc_text);
		rc = run_kvmprof(argv, &got, &got_len);
		print_message("case %d: kvmprof %s %s %s ...: exit %d (x86_64 build: %d), %zu bytes (x86_64 build: %zu)\n",
			      i, argv[1], argv[2], argc > 3 ? argv[3] : "", rc, atoi(rc_text), got_len, exp_len);
		if (got_len != exp_len || memcmp(got, expected, exp_len) != 0) {
			print_message("aarch64 build printed:\n%s\nx86_64 build printed:\n%s\n", got, expected);
			fail_msg("case %d: the aarch64 build's verdict differs from the x86_64 build's", i);
		}
		assert_int_equal(rc, atoi(rc_text));
		cases++;
		free(args);
		free(expected);
		free(rc_text);
		free(got);
	}
	assert_true(cases > 0);
}

static const struct CMUnitTest offline_tests[] = {
	cmocka_unit_test(test_offline_check_any_arch),
};

static const struct CMUnitTest fact_tests[] = {
	cmocka_unit_test_setup_teardown(test_fact_kernel_release, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_api_version, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_clidr_default, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_writable_masks_cap, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_psci_version, facts_setup, facts_teardown),
	cmocka_unit_test(test_fact_psci_needs_feature),
	cmocka_unit_test_setup_teardown(test_fact_pfr0_csv2_lower, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_dfr0_wrps, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_midr_write_refused, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_gicd_iidr_before_init, facts_setup, facts_teardown),
	cmocka_unit_test_setup_teardown(test_fact_gicd_iidr, facts_setup, facts_teardown),
};

int main(void)
{
	int failed = 0;

	guest_begin();
	uname(&guest_uname);
	/* cmocka prints results on stdout and failures on stderr: keep them in
	 * order on the one serial console. */
	dup2(STDOUT_FILENO, STDERR_FILENO);
	setvbuf(stderr, NULL, _IOLBF, 0);
	failed += cmocka_run_group_tests_name("arm64_kvm_facts", fact_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("arm64_kvm_runtime", runtime_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("arm64_offline_check", offline_tests, NULL, NULL);
	return guest_end(failed ? 1 : 0);
}
