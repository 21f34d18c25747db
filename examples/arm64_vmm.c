/* SPDX-License-Identifier: MIT */
/*
 * arm64_vmm.c - the start-up sequence of a minimal arm64 VMM with
 * libkvmprof, in lenient mode so that every outcome is reported.
 *
 *   aarch64-linux-gnu-gcc -static -Iruntime examples/arm64_vmm.c libkvmprof.a -lpthread
 *
 * Run inside real KVM/arm64 (tests/qemu/boot-arm64.sh --init needs the
 * begin/end markers of tests/arm64/guest_init.h around main). Seen on
 * Debian 6.12.117 / 6.1.192 under qemu -cpu max:
 *   ID_AA64DFR0_EL1.WRPs at most 1   applied          | rejected, "accepts 3..3 only"
 *   ID_AA64DFR0_EL1.BRPs at most 1   unsupported (not in the writable mask) | rejected, "5..5 only"
 *   ID_AA64PFR0_EL1.CSV2 at most 0   applied          | applied
 *   MIDR_EL1.PartNum = 0xd0c         unsupported      | rejected (EINVAL)
 *   GICD_IIDR.Revision = 2 / = 1     applied / rejected "accepts 2..3 only" on both
 *
 * The profile is hand-written here; a real VMM links the tables that
 * `kvmprof compile` generates. It pins firmware and vGIC values every
 * kernel accepts, lowers ID fields (applied where KVM's writable masks allow,
 * unsupported/rejected elsewhere), and asks for a few things a kernel may
 * refuse, to show how each is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kvmprof.h"

#ifdef __aarch64__
/* System register ids: KVM_REG_ARM64 | U64 | SYSREG | op0:op1:CRn:CRm:op2
 * (arch/arm64/include/uapi/asm/kvm.h); firmware registers: KVM_REG_ARM_FW. */
#define SYSREG(op0, op1, crn, crm, op2)                                                 \
	(0x6030000000130000ull | ((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | \
	 (op2))
#define MIDR_EL1 SYSREG(3, 0, 0, 0, 0)
#define ID_AA64PFR0_EL1 SYSREG(3, 0, 0, 4, 0)
#define ID_AA64DFR0_EL1 SYSREG(3, 0, 0, 5, 0)
#define FW_PSCI_VERSION 0x6030000000140000ull /* KVM_REG_ARM_PSCI_VERSION */
#define GICD_IIDR 0x8                      /* distributor register offset */

/* Field positions: Arm ARM D19.2 (ID_AA64PFR0_EL1.CSV2 [59:56],
 * ID_AA64DFR0_EL1.BRPs [15:12], WRPs [23:20]). */
static const struct kvmprof_field pfr0_csv2[] = {
	{ .name = "CSV2", .shift = 56, .width = 4, .policy = KVMPROF_POLICY_AT_MOST },
};
static const struct kvmprof_field dfr0_fields[] = {
	{ .name = "WRPs", .shift = 20, .width = 4, .policy = KVMPROF_POLICY_AT_MOST },
	{ .name = "BRPs", .shift = 12, .width = 4, .policy = KVMPROF_POLICY_AT_MOST },
};
static const struct kvmprof_field midr_part[] = {
	{ .name = "PartNum", .shift = 4, .width = 12, .policy = KVMPROF_POLICY_EXACT },
};
static const struct kvmprof_field iidr_rev[] = {
	{ .name = "Revision", .shift = 12, .width = 4, .policy = KVMPROF_POLICY_EXACT },
};

static const struct kvmprof_entry entries[] = {
	/* vcpu-init */
	{ .name = "KVM_ARM_VCPU_PSCI_0_2", .kind = KVMPROF_KIND_VCPU_FEATURE, .phase = 1,
	  .id = KVM_ARM_VCPU_PSCI_0_2, .value = 1, .mask = 1 },
	{ .name = "feature 29 (unknown)", .kind = KVMPROF_KIND_VCPU_FEATURE, .phase = 1,
	  .id = 29, .value = 1, .mask = 1, .flags = KVMPROF_ENTRY_OPTIONAL },
	/* vcpu-regs */
	{ .name = "PSCI_VERSION", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = FW_PSCI_VERSION, .value = 0x10000, .mask = ~0ull },
	{ .name = "ID_AA64DFR0_EL1", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = ID_AA64DFR0_EL1, .policy = KVMPROF_POLICY_AT_MOST, .value = 1ull << 20,
	  .mask = 0xfull << 20, .fields = dfr0_fields, .n_fields = 1 },
	{ .name = "ID_AA64DFR0_EL1 BRPs", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = ID_AA64DFR0_EL1, .policy = KVMPROF_POLICY_AT_MOST, .value = 1ull << 12,
	  .mask = 0xfull << 12, .fields = dfr0_fields + 1, .n_fields = 1 },
	{ .name = "ID_AA64PFR0_EL1", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = ID_AA64PFR0_EL1, .policy = KVMPROF_POLICY_AT_MOST, .value = 0,
	  .mask = 0xfull << 56, .fields = pfr0_csv2, .n_fields = 1 },
	{ .name = "MIDR_EL1", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64,
	  .id = MIDR_EL1, .value = 0xd0c0, .mask = 0xfff0, .fields = midr_part, .n_fields = 1 },
	/* device */
	{ .name = "GICD_IIDR", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = 3, .width = 32,
	  .group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS, .aux = KVM_DEV_TYPE_ARM_VGIC_V3,
	  .id = GICD_IIDR, .value = 2u << 12, .mask = 0xf000, .fields = iidr_rev, .n_fields = 1 },
	{ .name = "GICD_IIDR (rev 1)", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = 3, .width = 32,
	  .group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS, .aux = KVM_DEV_TYPE_ARM_VGIC_V3,
	  .id = GICD_IIDR, .value = 1u << 12, .mask = 0xf000, .fields = iidr_rev, .n_fields = 1 },
};

static const struct kvmprof_profile profile = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI,
	.sizeof_profile = sizeof(struct kvmprof_profile),
	.sizeof_entry = sizeof(struct kvmprof_entry),
	.format_version = KVMPROF_FORMAT_VERSION, .arch = KVMPROF_ARCH_ARM64,
	.name = "example-arm64", .entries = entries, .n_entries = 9,
	.phase_start = { 0, 0, 2, 7, 9 },
};

static void show(const char *call, int rc, const struct kvmprof_report *rep)
{
	char why[256];

	printf("%s: %s\n", call, rc ? kvmprof_strerror(rc) : "ok");
	for (uint32_t i = 0; i < rep->count; i++) {
		const struct kvmprof_result *r = &rep->results[i];

		kvmprof_result_reason(r, why, sizeof(why));
		printf("  %-16s %-17s %s\n", r->entry->name, kvmprof_outcome_name(r->outcome), why);
	}
}

static int vgic_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

int main(void)
{
	static struct kvmprof_vm ctx; /* 128 KiB: not on the stack */
	struct kvmprof_result res[9];
	struct kvmprof_report rep = { .results = res, .capacity = 9 };
	struct kvmprof_opts opts = { .sz = sizeof(opts), .flags = KVMPROF_LENIENT };
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = 0x08000000, redist = 0x080a0000;
	struct kvm_vcpu_init init;
	int kvm, vm, vcpu, rc;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: /dev/kvm: %s\n", strerror(errno));
		return 0;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || (rc = kvmprof_vm_init(&ctx, &profile, kvm, vm, &opts)) != 0) {
		printf("vm: %s\n", vm < 0 ? strerror(errno) : kvmprof_strerror(rc));
		return 1;
	}
	rc = kvmprof_apply_vm(&ctx, &rep);
	show("kvmprof_apply_vm", rc, &rep);

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	kvmprof_report_reset(&rep);
	rc = kvmprof_apply_vcpu_init(&ctx, vcpu, &init, &rep);
	show("kvmprof_apply_vcpu_init", rc, &rep);

	kvmprof_report_reset(&rep);
	rc = kvmprof_apply_vcpu_regs(&ctx, vcpu, &rep);
	show("kvmprof_apply_vcpu_regs", rc, &rep);

	if (ioctl(vm, KVM_CREATE_DEVICE, &gic) < 0 ||
	    vgic_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) < 0 ||
	    vgic_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist) < 0) {
		printf("vGICv3: %s\n", strerror(errno));
		return 1;
	}
	/* Too early: the vGIC is not initialised yet. */
	kvmprof_report_reset(&rep);
	rc = kvmprof_apply_devices(&ctx, gic.fd, &rep);
	printf("kvmprof_apply_devices before KVM_DEV_ARM_VGIC_CTRL_INIT: %s\n", kvmprof_strerror(rc));
	vgic_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	kvmprof_report_reset(&rep);
	rc = kvmprof_apply_devices(&ctx, gic.fd, &rep);
	show("kvmprof_apply_devices", rc, &rep);

	kvmprof_vm_fini(&ctx);
	close(gic.fd);
	close(vcpu);
	close(vm);
	close(kvm);
	return 0;
}
#else
int main(void)
{
	printf("SKIP: examples/arm64_vmm.c runs on arm64 only\n");
	return 0;
}
#endif
