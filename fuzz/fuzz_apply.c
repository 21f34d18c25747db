/* SPDX-License-Identifier: MIT */
/*
 * fuzz_apply.c - the runtime's apply path behind a FAKE ioctl backend whose
 * every answer comes from the input: success or an errno, short counts,
 * list lengths (also larger than the buffer), register, MSR, CPUID and
 * attribute values. The profile touches every kind an x86 VMM applies, in
 * strict or lenient mode. Besides the sanitizers, each run checks what the
 * report claims: an applied entry was written, and the counters agree with
 * the results (abort() otherwise, so libFuzzer keeps the input).
 */
#include <errno.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "fuzz_common.h"
#include "kvmprof.h"

#ifndef __x86_64__
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data, (void)size;
	return 0;
}
#else

#include "rt_fake.h"

static const uint8_t *in;
static size_t in_left;

static uint64_t take(unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8 | (in_left ? *in : 0);
		if (in_left) {
			in++;
			in_left--;
		}
	}
	return v;
}

/* An errno KVM could answer, or 0 (success) most of the time. */
static int answer(void)
{
	static const int errs[] = { EINVAL, EFAULT, EINTR, ENOENT, E2BIG, EBUSY, ENXIO, EPERM, ENOTTY, EOPNOTSUPP };
	uint8_t b = (uint8_t)take(1);

	return b < 200 ? 0 : -errs[b % (sizeof(errs) / sizeof(errs[0]))];
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int r = answer();

	(void)ctx, (void)fd;
	if (r)
		return r;
	switch (req) {
	case KVM_CHECK_EXTENSION:
		return (int)(take(2) & 0x7fff) - 8;
	case KVM_GET_SUPPORTED_CPUID:
	case KVM_GET_CPUID2: {
		struct kvm_cpuid2 *c = arg;
		uint32_t n = (uint32_t)take(1) % 8, cap = c->nent;

		if (n > cap) {
			c->nent = n;
			return -E2BIG;
		}
		c->nent = n;
		for (uint32_t i = 0; i < n; i++) {
			c->entries[i].function = (uint32_t)take(1) % 3;
			c->entries[i].index = (uint32_t)take(1) % 2;
			c->entries[i].flags = (uint32_t)take(1) & 1;
			c->entries[i].eax = (uint32_t)take(4);
			c->entries[i].ebx = (uint32_t)take(4);
			c->entries[i].ecx = (uint32_t)take(4);
			c->entries[i].edx = (uint32_t)take(4);
		}
		return 0;
	}
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
	case KVM_GET_MSR_INDEX_LIST: {
		struct kvm_msr_list *l = arg;
		uint32_t n = (uint32_t)take(1), cap = l->nmsrs;

		if (n > cap) {
			l->nmsrs = n;
			return -E2BIG;
		}
		l->nmsrs = n;
		for (uint32_t i = 0; i < n; i++)
			l->indices[i] = 0x10a + (uint32_t)take(1) % 4;
		return 0;
	}
	case KVM_GET_MSRS:
	case KVM_SET_MSRS: {
		struct kvm_msrs *m = arg;
		uint32_t n = (uint32_t)take(1);

		if (n > m->nmsrs)
			n = m->nmsrs;
		for (uint32_t i = 0; i < n && req == KVM_GET_MSRS; i++)
			m->entries[i].data = take(8);
		return (int)n;
	}
	case KVM_GET_ONE_REG: {
		struct kvm_one_reg *one = arg;
		*(uint64_t *)(uintptr_t)one->addr = take(8);
		return 0;
	}
	case KVM_GET_DEVICE_ATTR: {
		struct kvm_device_attr *a = arg;
		*(uint32_t *)(uintptr_t)a->addr = (uint32_t)take(4);
		return 0;
	}
	case KVM_GET_REG_LIST:
		return -ENOTTY;
	default: /* KVM_SET_ONE_REG, KVM_SET_CPUID2, KVM_ENABLE_CAP, KVM_*_DEVICE_ATTR */
		return 0;
	}
}

static int fake_uname(void *ctx, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "6.%u.0-fake", (unsigned)(take(1) % 20));
	return 0;
}

static const struct kvmprof_sys fake_sys = { .ioctl = fake_ioctl, .uname_release = fake_uname };

static const struct kvmprof_insn has_cap[] = {
	{ .op = KVMPROF_OP_CAP, .arg = 200 }, { .op = KVMPROF_OP_END },
};
static const struct kvmprof_cond cond_cap = { .text = "cap(200)", .origin = "fuzz", .code = has_cap, .n_code = 2 };
static const struct kvmprof_field fields[] = {
	{ .name = "LO", .shift = 0, .width = 4 }, { .name = "HI", .shift = 12, .width = 4 },
};
static const struct kvmprof_entry every_kind[] = {
	{ .name = "CAP", .kind = KVMPROF_KIND_ENABLE_CAP, .phase = 0, .width = 64, .id = 200, .value = 1,
	  .mask = ~0ull, .args = { 1 } },
	{ .name = "QUIRKS", .kind = KVMPROF_KIND_QUIRKS, .phase = 0, .width = 64, .id = KVM_CAP_DISABLE_QUIRKS2,
	  .value = 0x5, .mask = 0xf },
	{ .name = "X2APIC", .kind = KVMPROF_KIND_X2APIC_API, .phase = 0, .width = 64, .id = KVM_CAP_X2APIC_API,
	  .value = 0x3, .mask = 0x3, .requires = &cond_cap },
	{ .name = "REG_A", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = 0x2030000200000174ull,
	  .value = 0x3001, .mask = 0xf00f, .fields = fields, .n_fields = 2 },
	{ .name = "REG_B", .kind = KVMPROF_KIND_ONE_REG, .phase = 2, .width = 64, .id = 0x2030000200000175ull,
	  .value = 0x2, .mask = 0xf, .policy = KVMPROF_POLICY_AT_MOST, .fields = fields, .n_fields = 1 },
	{ .name = "MSR_X", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = 0x10a, .value = 1, .mask = ~0ull },
	{ .name = "MSR_Y", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = 0x10b, .value = 2, .mask = 0xff },
	{ .name = "MSR_Z", .kind = KVMPROF_KIND_MSR, .phase = 2, .width = 64, .id = 0x10c, .value = 0, .mask = 1,
	  .flags = KVMPROF_ENTRY_OPTIONAL },
	{ .name = "CPUID.1.0.ECX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32, .reg = KVMPROF_CPUID_ECX,
	  .id = 1ull << 32, .value = 0, .mask = 1 },
	{ .name = "CPUID.2.1.EAX", .kind = KVMPROF_KIND_CPUID, .phase = 2, .width = 32, .reg = KVMPROF_CPUID_EAX,
	  .id = 2ull << 32 | 1, .value = 0x10, .mask = 0xf0, .aux = 1 },
	{ .name = "IIDR", .kind = KVMPROF_KIND_DEVICE_ATTR, .phase = 3, .width = 32, .group = 1, .aux = 7, .id = 8,
	  .value = 3u << 12, .mask = 0xf000, .fields = &fields[1], .n_fields = 1 },
};
static const struct kvmprof_profile profile = {
	.magic = KVMPROF_TABLE_MAGIC, .abi = KVMPROF_TABLE_ABI, .sizeof_profile = sizeof(struct kvmprof_profile),
	.sizeof_entry = sizeof(struct kvmprof_entry), .format_version = KVMPROF_FORMAT_VERSION,
	.arch = KVMPROF_ARCH_X86_64, .name = "fuzz", .entries = every_kind, .n_entries = 11,
	.phase_start = { 0, 3, 3, 10, 11 },
};

static void check_report(const struct kvmprof_report *rep)
{
	uint32_t written = 0;
	char buf[512];

	for (uint32_t i = 0; i < rep->count; i++) {
		const struct kvmprof_result *r = &rep->results[i];

		written += r->written;
		if (r->outcome == KVMPROF_OUT_APPLIED && !r->written)
			abort(); /* applied, yet never written */
		if (r->outcome == KVMPROF_OUT_NOT_ATTEMPTED && r->written)
			abort(); /* written, yet "not attempted" */
		kvmprof_result_reason(r, buf, sizeof(buf));
	}
	if (written != rep->n_written || rep->count > rep->capacity)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kvmprof_vm vm;
	struct kvmprof_result res[3][12];
	struct kvmprof_report rep[3];
	struct kvmprof_opts o = { .sz = sizeof(o) };

	in = data;
	in_left = size;
	kvmprof_sys_install(&fake_sys);
	o.flags = take(1) & 1 ? KVMPROF_LENIENT : 0;
	for (int p = 0; p < 3; p++)
		rep[p] = (struct kvmprof_report){ .results = res[p], .capacity = 12 };
	if (kvmprof_vm_init(&vm, &profile, FAKE_KVM, FAKE_VM, &o) == 0) {
		if (kvmprof_apply_vm(&vm, &rep[0]) >= 0 || (o.flags & KVMPROF_LENIENT)) {
			kvmprof_apply_vcpu_regs(&vm, FAKE_VCPU, &rep[1]);
			kvmprof_apply_devices(&vm, FAKE_DEV, &rep[2]);
		}
		for (int p = 0; p < 3; p++)
			check_report(&rep[p]);
		kvmprof_vm_fini(&vm);
	}
	kvmprof_sys_install(NULL);
	return 0;
}
#endif
