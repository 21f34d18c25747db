/* SPDX-License-Identifier: MIT */
/*
 * test_regdb.c - the register database: known encodings, table invariants,
 * coverage of Firecracker's arm64 fingerprints, generator error reports.
 * Runs from the repository root (tests/run-tests.sh does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include "kvmprof.h"
#include "diag.h"
#include "host.h"
#include "regdb.h"

/* Firecracker fingerprints live beside the repository (see /work/shared/firecracker/README.md). */
static const char *fc_dir(void)
{
	const char *d = getenv("KVMPROF_FIRECRACKER_DIR");

	return d ? d : "../shared/firecracker";
}

static void test_known_encodings(void **state)
{
	const struct regdb_reg *r;
	const struct regdb_field *f;

	(void)state;
	assert_int_equal(regdb_arm64_sysreg_id(3, 0, 0, 4, 0), 0x603000000013c020ULL);
	assert_int_equal(regdb_arm64_sysreg_id(3, 0, 0, 0, 0), 0x603000000013c000ULL);

	r = regdb_reg_by_name("ID_AA64PFR0_EL1", KVMPROF_ARCH_ARM64);
	assert_non_null(r);
	assert_int_equal(r->id, 0x603000000013c020ULL);
	assert_int_equal(r->space, REGDB_ARM64_SYSREG);
	assert_true(r->flags & REGDB_R_ID_REG);
	f = regdb_field_by_name(r, "FP");
	assert_non_null(f);
	assert_int_equal(f->shift, 16);
	assert_int_equal(f->width, 4);
	assert_true(f->flags & REGDB_F_SIGNED);
	f = regdb_field_by_name(r, "CSV3");
	assert_non_null(f);
	assert_int_equal(f->shift, 60);
	assert_true(f->flags & REGDB_F_LOWER_SAFE);
	assert_false(f->flags & REGDB_F_SIGNED);
	assert_non_null(r->history);
	assert_ptr_equal(regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, 0x603000000013c020ULL, 0), r);

	r = regdb_reg_by_name("MIDR_EL1", 0);
	assert_non_null(r);
	assert_int_equal(r->id, 0x603000000013c000ULL);

	/* TGRAN16 is unsigned, TGRAN4/TGRAN64 signed (Linux sysreg). */
	r = regdb_reg_by_name("ID_AA64MMFR0_EL1", KVMPROF_ARCH_ARM64);
	assert_non_null(r);
	assert_true(regdb_field_by_name(r, "TGRAN4")->flags & REGDB_F_SIGNED);
	assert_false(regdb_field_by_name(r, "TGRAN16")->flags & REGDB_F_SIGNED);

	r = regdb_reg_by_name("PSCI_VERSION", KVMPROF_ARCH_ARM64);
	assert_non_null(r);
	assert_int_equal(r->space, REGDB_ARM64_FW);
	assert_int_equal(r->id, 0x6030000000140000ULL);
	assert_int_equal(r->width, 64);

	r = regdb_reg_by_name("VENDOR_HYP_BMAP_2", KVMPROF_ARCH_ARM64);
	assert_non_null(r);
	assert_int_equal(r->id, 0x6030000000160003ULL);

	r = regdb_reg_by_name("CCSIDR_EL1.L1D", KVMPROF_ARCH_ARM64);
	assert_non_null(r);
	assert_int_equal(r->space, REGDB_ARM64_DEMUX);
	assert_int_equal(r->id, 0x6020000000110000ULL);
	assert_int_equal(r->width, 32);

	r = regdb_reg_by_name("GICD_IIDR", KVMPROF_ARCH_ARM64);
	assert_non_null(r);
	assert_int_equal(r->space, REGDB_VGIC_V3_DIST);
	assert_int_equal(r->id, 8);
	f = regdb_field_by_name(r, "Revision");
	assert_non_null(f);
	assert_int_equal(f->shift, 12);
	assert_int_equal(f->width, 4);
	assert_non_null(regdb_reg_by_name("GICv2_GICD_IIDR", KVMPROF_ARCH_ARM64));

	r = regdb_reg_by_name("CPUID.0x7.0x0.EBX", KVMPROF_ARCH_X86_64);
	assert_non_null(r);
	assert_int_equal(r->space, REGDB_X86_CPUID);
	assert_int_equal(r->id, (0x7ULL << 32) | 0);
	assert_int_equal(r->cpuid_reg, KVMPROF_CPUID_EBX);
	f = regdb_field_by_name(r, "AVX512F");
	assert_non_null(f);
	assert_int_equal(f->shift, 16);
	assert_int_equal(f->width, 1);
	assert_ptr_equal(regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_CPUID, 0x7ULL << 32,
					 KVMPROF_CPUID_EBX), r);
	assert_ptr_not_equal(regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_CPUID, 0x7ULL << 32,
					     KVMPROF_CPUID_ECX), r);

	r = regdb_reg_by_name("IA32_ARCH_CAPABILITIES", KVMPROF_ARCH_X86_64);
	assert_non_null(r);
	assert_int_equal(r->id, 0x10a);
	assert_int_equal(regdb_field_by_name(r, "RDCL_NO")->shift, 0);

	/* Unknown names and wrong arch. */
	assert_null(regdb_reg_by_name("NO_SUCH_REG", 0));
	assert_null(regdb_reg_by_name("ID_AA64PFR0_EL1", KVMPROF_ARCH_X86_64));
	assert_null(regdb_field_by_name(r, "NO_SUCH_FIELD"));
}

/* Kernel-keyed facts: versions from uname releases, ranges, Debian ABI names. */
static void test_kernel_facts(void **state)
{
	const struct regdb_kfact *f = regdb_kfact_by_name("gicd-iidr-revision-write-ignored");
	const struct regdb_kfact_range *range;
	uint32_t v;
	int known;

	(void)state;
	assert_non_null(f);
	assert_string_equal(f->reg, "GICD_IIDR.Revision");
	assert_int_equal(regdb_kernel_version("6.12.117+deb12-arm64", &v, &known), 0);
	assert_int_equal(v, REGDB_KVER(6, 12, 117));
	assert_int_equal(known, 1);
	assert_int_equal(regdb_kernel_version("6.1.0-57-arm64", &v, &known), 0);
	assert_int_equal(v, REGDB_KVER(6, 1, 0));
	assert_int_equal(known, 0);
	assert_int_equal(regdb_kernel_version("6.18.44-fc-v657", &v, &known), 0);
	assert_int_equal(known, 1);
	assert_int_equal(regdb_kernel_version("linux", &v, &known), -1);
	/* each pinned series as measured */
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 12, 117), 1, &range), REGDB_KFACT_NO);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 16, 12), 1, &range), REGDB_KFACT_YES);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 19, 14), 1, &range), REGDB_KFACT_YES);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(7, 0, 13), 1, &range), REGDB_KFACT_NO);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(7, 3, 4), 1, &range), REGDB_KFACT_NO);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 1, 174), 1, &range), REGDB_KFACT_YES);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 1, 175), 1, &range), REGDB_KFACT_NO);
	/* stated unknown, and not covered at all */
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 12, 87), 1, &range), REGDB_KFACT_UNKNOWN);
	assert_non_null(range);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 18, 40), 1, &range), REGDB_KFACT_UNKNOWN);
	assert_null(range);
	/* a hidden point release decides only when one range covers the series */
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 1, 0), 0, &range), REGDB_KFACT_UNKNOWN);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(7, 2, 0), 0, &range), REGDB_KFACT_NO);
	for (size_t i = 0; i < regdb_n_kfacts; i++) {
		assert_non_null(regdb_kfacts[i].doc);
		assert_non_null(regdb_kfacts[i].source);
		for (uint32_t k = 0; k < regdb_kfacts[i].n_ranges; k++)
			assert_non_null(regdb_kfacts[i].ranges[k].source);
	}
}

/* x86 feature registers (`features`): flagged in the database, and their
 * one-bit fields are what a VMM may lower. */
static void test_feature_registers(void **state)
{
	const struct regdb_reg *ebx = regdb_reg_by_name("CPUID.0x7.0x0.EBX", KVMPROF_ARCH_X86_64);
	const struct regdb_reg *eax = regdb_reg_by_name("CPUID.0x7.0x0.EAX", KVMPROF_ARCH_X86_64);
	const struct regdb_reg *xcr0 = regdb_reg_by_name("CPUID.0xd.0x0.EAX", KVMPROF_ARCH_X86_64);
	const struct regdb_reg *pv = regdb_reg_by_name("CPUID.0x40000001.0x0.EAX", KVMPROF_ARCH_X86_64);
	const struct regdb_reg *fms = regdb_reg_by_name("CPUID.0x1.0x0.EAX", KVMPROF_ARCH_X86_64);

	(void)state;
	assert_non_null(ebx);
	assert_non_null(eax);
	assert_non_null(xcr0);
	assert_non_null(pv);
	assert_non_null(fms);
	assert_true(ebx->flags & REGDB_R_FEATURES);
	assert_true(xcr0->flags & REGDB_R_FEATURES);
	assert_true(pv->flags & REGDB_R_FEATURES);
	assert_false(eax->flags & REGDB_R_FEATURES); /* the highest subleaf */
	assert_false(fms->flags & REGDB_R_FEATURES); /* family, model, stepping */
	assert_int_equal(regdb_write_rule(ebx, regdb_field_by_name(ebx, "AVX2")), REGDB_RULE_LOWER);
	assert_int_equal(regdb_write_rule(xcr0, regdb_field_by_name(xcr0, "OPMASK")), REGDB_RULE_LOWER);
	for (size_t i = 0; i < regdb_n_regs; i++)
		if (regdb_regs[i].flags & REGDB_R_FEATURES)
			assert_int_equal(regdb_regs[i].space, REGDB_X86_CPUID);
}

/* KVM's set_user rules (kfacts with `set`): each names a field the database
 * knows, with values that fit it; the ones the offline check applies. */
static void test_set_rules(void **state)
{
	const struct regdb_kfact *f;
	const struct regdb_kfact_range *range;
	int n = 0;

	(void)state;
	for (size_t i = 0; i < regdb_n_kfacts; i++) {
		const struct regdb_kfact *k = &regdb_kfacts[i];
		const char *dot = strchr(k->reg, '.');
		char name[64];
		const struct regdb_reg *r;
		const struct regdb_field *fld;

		if (k->set == REGDB_SET_NONE)
			continue;
		n++;
		if (!dot && k->set == REGDB_SET_TAKEN) { /* an x86 MSR, taken whole */
			r = regdb_reg_by_name(k->reg, k->arch);
			assert_non_null(r);
			assert_int_equal(r->space, REGDB_X86_MSR);
			continue;
		}
		if (!dot) { /* only `keep` may name a class of registers */
			assert_int_equal(k->set, REGDB_SET_KEEP);
			assert_string_equal(k->reg, "FEATURE_ID_REGISTERS");
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(dot - k->reg), k->reg);
		r = regdb_reg_by_name(name, k->arch);
		assert_non_null(r);
		fld = regdb_field_by_name(r, dot + 1);
		if (!fld)
			fail_msg("kfact %s: %s has no field %s", k->name, name, dot + 1);
		assert_true(k->set_a >> fld->width == 0 && k->set_b >> fld->width == 0);
		assert_true(k->set != REGDB_SET_REFUSE || k->set_a <= k->set_b);
	}
	assert_int_equal(n, 11 + 6 + 1); /* set_user rules, the write rules of captures without masks, x86 MSR rules */
	f = regdb_kfact_by_name("ia32-misc-enable-host-write-taken");
	assert_non_null(f);
	assert_int_equal(f->set, REGDB_SET_TAKEN);
	assert_int_equal(f->set_a, 1u << regdb_sym_by_name(REGDB_SYM_QUIRK, "KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT",
							    KVMPROF_ARCH_X86_64)->value);
	f = regdb_kfact_by_name("id-aa64dfr0-debugver-below-v8-refused");
	assert_non_null(f);
	assert_int_equal(f->set, REGDB_SET_REFUSE);
	assert_int_equal(f->set_a, 0);
	assert_int_equal(f->set_b, 5);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 12, 117), 1, &range), REGDB_KFACT_YES);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(7, 3, 0), 0, &range), REGDB_KFACT_YES);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 1, 0), 0, &range), REGDB_KFACT_NO);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 8, 0), 1, &range), REGDB_KFACT_UNKNOWN);
	f = regdb_kfact_by_name("id-dfr0-perfmon-impdef-as-none");
	assert_non_null(f);
	assert_int_equal(f->set, REGDB_SET_AS);
	assert_int_equal(f->set_a, 0xf);
	assert_int_equal(f->set_b, 0);
	assert_int_equal(regdb_kfact_by_name("id-aa64pfr1-mpam-frac-host-value-ignored")->set, REGDB_SET_HOST_AS_ZERO);
	/* a rule from 6.16: 6.12 read without it, 6.13 ... 6.15 not read */
	f = regdb_kfact_by_name("ctr-el0-l1ip-reserved-refused");
	assert_non_null(f);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 12, 117), 1, &range), REGDB_KFACT_NO);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 14, 0), 1, &range), REGDB_KFACT_UNKNOWN);
	assert_int_equal(regdb_kfact_state(f, REGDB_KVER(6, 16, 12), 1, &range), REGDB_KFACT_YES);
}

/*
 * Every id a capture on any of the ten kernel series lists has a name in the
 * database: arm64 KVM_GET_REG_LIST ids (ONE_REG system, firmware, demux and
 * core registers), x86 feature MSRs and the MSRs a fresh vCPU read. The
 * captures are profiles/linux-SERIES-{arm64-*,x86_64-kvm-amd-tcg}.yaml
 * (make captures).
 */
static const struct regdb_reg *any_arm64_reg(uint64_t id)
{
	static const int spaces[] = { REGDB_ARM64_SYSREG, REGDB_ARM64_FW, REGDB_ARM64_DEMUX };
	const struct regdb_reg *r = NULL;

	for (size_t i = 0; !r && i < sizeof(spaces) / sizeof(spaces[0]); i++)
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, spaces[i], id, 0);
	return r;
}

/* The ids of one capture's lists the database does not name (printed); -1 if it has no host: section. */
static int unnamed_ids(const char *path, int arch, struct host_facts *h)
{
	struct diag d;
	int n_missing = 0;

	memset(h, 0, sizeof(*h));
	diag_init(&d, stderr);
	if (host_facts_load(path, arch, h, &d) != 0 || !h->present) {
		diag_fini(&d);
		return -1;
	}
	diag_fini(&d);
	for (size_t i = 0; i < h->n_reg_list; i++)
		if (!any_arm64_reg(h->reg_list[i])) {
			printf("%s: KVM_GET_REG_LIST id 0x%llx has no name\n", path, (unsigned long long)h->reg_list[i]);
			n_missing++;
		}
	for (size_t i = 0; i < h->n_feature_msrs; i++)
		if (!regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_MSR, h->feature_msrs[i].index, 0)) {
			printf("%s: feature MSR 0x%x has no name\n", path, h->feature_msrs[i].index);
			n_missing++;
		}
	for (size_t i = 0; i < h->n_vcpu_msrs; i++)
		if (!regdb_reg_by_id(KVMPROF_ARCH_X86_64, REGDB_X86_MSR, h->vcpu_msrs[i].index, 0)) {
			printf("%s: vCPU MSR 0x%x has no name\n", path, h->vcpu_msrs[i].index);
			n_missing++;
		}
	return n_missing;
}

static int listed(const struct host_facts *h, const char *name)
{
	const struct regdb_reg *r = regdb_reg_by_name(name, KVMPROF_ARCH_ARM64);

	for (size_t i = 0; r && i < h->n_reg_list; i++)
		if (h->reg_list[i] == r->id)
			return 1;
	return 0;
}

/* tests/corpus/captures/vcpu-features/: captures whose vCPU asked for sve,
 * ptrauth-* and has-el2 (make captures, -cpu max). */
#define FEATURE_CAPTURES "tests/corpus/captures/vcpu-features"

static void test_captured_ids_named(void **state)
{
	DIR *dp = opendir("profiles");
	struct dirent *e;
	int n_files = 0, n_missing = 0, n_feature_files = 0, n_sve = 0, n_ptrauth = 0;

	(void)state;
	if (!dp) {
		printf("SKIP: run from the repository root (profiles/ not found)\n");
		skip();
	}
	while ((e = readdir(dp))) {
		unsigned major, minor;
		char rest[256], path[512];
		struct host_facts h;
		int arm = strstr(e->d_name, "-arm64-") != NULL, m;

		if (sscanf(e->d_name, "linux-%u.%u-%255s", &major, &minor, rest) != 3 || strstr(rest, "qemu-max") ||
		    (!arm && !strstr(rest, "x86_64-kvm-amd-tcg")))
			continue;
		snprintf(path, sizeof(path), "profiles/%s", e->d_name);
		m = unnamed_ids(path, arm ? KVMPROF_ARCH_ARM64 : KVMPROF_ARCH_X86_64, &h);
		if (m >= 0) {
			n_files++;
			n_missing += m;
		}
		host_facts_free(&h);
	}
	closedir(dp);
	/* The same on the captures made with the optional vCPU features: the
	 * SVE and pointer-authentication registers they add must be named too. */
	dp = opendir(FEATURE_CAPTURES);
	assert_non_null(dp);
	while ((e = readdir(dp))) {
		char path[512];
		struct host_facts h;
		int m;

		if (strncmp(e->d_name, "linux-", 6) || !strstr(e->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), FEATURE_CAPTURES "/%s", e->d_name);
		m = unnamed_ids(path, KVMPROF_ARCH_ARM64, &h);
		if (m >= 0) {
			n_feature_files++;
			n_missing += m;
			n_sve += listed(&h, "SVE.Z31") && listed(&h, "SVE.FFR") && listed(&h, "KVM_REG_ARM64_SVE_VLS");
			n_ptrauth += listed(&h, "APIAKEYLO_EL1") && listed(&h, "APGAKEYHI_EL1");
		}
		host_facts_free(&h);
	}
	closedir(dp);
	assert_true(n_files >= 30); /* ten series: two arm64 CPU models and x86 each */
	assert_int_equal(n_feature_files, 10); /* one -cpu max capture per series */
	assert_int_equal(n_sve, n_feature_files); /* -cpu max has SVE on every series */
	assert_int_equal(n_ptrauth, n_feature_files);
	assert_int_equal(n_missing, 0);
}

/*
 * The EL2 registers of has-el2: named from the get-reg-list selftest, and
 * checked against a capture when one has the feature (KVM_CAP_ARM_EL2 needs
 * FEAT_NV2 in the CPU model; QEMU 7.2's -cpu max has none, so none has yet).
 */
static void test_captured_el2_ids_named(void **state)
{
	DIR *dp = opendir(FEATURE_CAPTURES);
	struct dirent *e;
	int n_el2 = 0, n_missing = 0;

	(void)state;
	assert_non_null(dp);
	while ((e = readdir(dp))) {
		char path[512];
		struct host_facts h;
		int m;

		if (strncmp(e->d_name, "linux-", 6) || !strstr(e->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), FEATURE_CAPTURES "/%s", e->d_name);
		m = unnamed_ids(path, KVMPROF_ARCH_ARM64, &h);
		if (m >= 0 && listed(&h, "HCR_EL2")) {
			n_el2++;
			n_missing += m;
		}
		host_facts_free(&h);
	}
	closedir(dp);
	if (!n_el2) {
		printf("SKIP: no capture of " FEATURE_CAPTURES " has the has-el2 vCPU feature (KVM_CAP_ARM_EL2 0: "
		       "the CPU model lacks FEAT_NV2); the EL2 names are checked against the selftest's list only\n");
		skip();
	}
	assert_int_equal(n_missing, 0);
}

/*
 * The registers KVM lists only with an optional vCPU feature (Linux 7.3.4
 * tools/testing/selftests/kvm/arm64/get-reg-list.c: sve_regs[],
 * pauth_addr_regs[], pauth_generic_regs[], el2_regs[]): each id has its name,
 * the uAPI's width (the SVE ids are wider than 128 bits) and is vCPU state,
 * but the vector-length pseudo-register, which configures the vCPU.
 */
static void test_vcpu_feature_regs(void **state)
{
	static const struct { const char *name; unsigned op0, op1, crn, crm, op2; } el2[] = {
		{ "VPIDR_EL2", 3, 4, 0, 0, 0 }, { "VMPIDR_EL2", 3, 4, 0, 0, 5 }, { "SCTLR_EL2", 3, 4, 1, 0, 0 },
		{ "ACTLR_EL2", 3, 4, 1, 0, 1 }, { "SCTLR2_EL2", 3, 4, 1, 0, 3 }, { "HCR_EL2", 3, 4, 1, 1, 0 },
		{ "MDCR_EL2", 3, 4, 1, 1, 1 }, { "CPTR_EL2", 3, 4, 1, 1, 2 }, { "HSTR_EL2", 3, 4, 1, 1, 3 },
		{ "HFGRTR_EL2", 3, 4, 1, 1, 4 }, { "HFGWTR_EL2", 3, 4, 1, 1, 5 }, { "HFGITR_EL2", 3, 4, 1, 1, 6 },
		{ "HACR_EL2", 3, 4, 1, 1, 7 }, { "ZCR_EL2", 3, 4, 1, 2, 0 }, { "HCRX_EL2", 3, 4, 1, 2, 2 },
		{ "TTBR0_EL2", 3, 4, 2, 0, 0 }, { "TTBR1_EL2", 3, 4, 2, 0, 1 }, { "TCR_EL2", 3, 4, 2, 0, 2 },
		{ "TCR2_EL2", 3, 4, 2, 0, 3 }, { "VTTBR_EL2", 3, 4, 2, 1, 0 }, { "VTCR_EL2", 3, 4, 2, 1, 2 },
		{ "VNCR_EL2", 3, 4, 2, 2, 0 }, { "HDFGRTR2_EL2", 3, 4, 3, 1, 0 }, { "HDFGWTR2_EL2", 3, 4, 3, 1, 1 },
		{ "HFGRTR2_EL2", 3, 4, 3, 1, 2 }, { "HFGWTR2_EL2", 3, 4, 3, 1, 3 }, { "HDFGRTR_EL2", 3, 4, 3, 1, 4 },
		{ "HDFGWTR_EL2", 3, 4, 3, 1, 5 }, { "HAFGRTR_EL2", 3, 4, 3, 1, 6 }, { "HFGITR2_EL2", 3, 4, 3, 1, 7 },
		{ "SPSR_EL2", 3, 4, 4, 0, 0 }, { "ELR_EL2", 3, 4, 4, 0, 1 }, { "AFSR0_EL2", 3, 4, 5, 1, 0 },
		{ "AFSR1_EL2", 3, 4, 5, 1, 1 }, { "ESR_EL2", 3, 4, 5, 2, 0 }, { "FAR_EL2", 3, 4, 6, 0, 0 },
		{ "HPFAR_EL2", 3, 4, 6, 0, 4 }, { "MAIR_EL2", 3, 4, 10, 2, 0 }, { "PIRE0_EL2", 3, 4, 10, 2, 2 },
		{ "PIR_EL2", 3, 4, 10, 2, 3 }, { "POR_EL2", 3, 4, 10, 2, 4 }, { "AMAIR_EL2", 3, 4, 10, 3, 0 },
		{ "VBAR_EL2", 3, 4, 12, 0, 0 }, { "CONTEXTIDR_EL2", 3, 4, 13, 0, 1 }, { "TPIDR_EL2", 3, 4, 13, 0, 2 },
		{ "CNTVOFF_EL2", 3, 4, 14, 0, 3 }, { "CNTHCTL_EL2", 3, 4, 14, 1, 0 }, { "CNTHP_CTL_EL2", 3, 4, 14, 2, 1 },
		{ "CNTHP_CVAL_EL2", 3, 4, 14, 2, 2 }, { "CNTHV_CTL_EL2", 3, 4, 14, 3, 1 },
		{ "CNTHV_CVAL_EL2", 3, 4, 14, 3, 2 }, { "SP_EL2", 3, 6, 4, 1, 0 }, { "VDISR_EL2", 3, 4, 12, 1, 1 },
		{ "VSESR_EL2", 3, 4, 5, 2, 3 }, { "NVHCR_EL2", 3, 4, 1, 5, 0 },
	};
	static const char *const pauth[] = { "APIAKEYLO_EL1", "APIAKEYHI_EL1", "APIBKEYLO_EL1", "APIBKEYHI_EL1",
					     "APDAKEYLO_EL1", "APDAKEYHI_EL1", "APDBKEYLO_EL1", "APDBKEYHI_EL1",
					     "APGAKEYLO_EL1", "APGAKEYHI_EL1", "ZCR_EL1" };
	const struct regdb_reg *r;
	char name[32];
	unsigned n_sve = 0;

	(void)state;
	for (unsigned n = 0; n < 32; n++) { /* KVM_REG_ARM64_SVE_ZREG(n, 0): U2048, (n << 5) */
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, 0x6080000000150000ULL | (uint64_t)n << 5, 0);
		snprintf(name, sizeof(name), "SVE.Z%u", n);
		assert_non_null(r);
		assert_string_equal(r->name, name);
		assert_int_equal(r->width, 2048);
		assert_true(r->flags & REGDB_R_STATE);
	}
	for (unsigned n = 0; n < 16; n++) { /* KVM_REG_ARM64_SVE_PREG(n, 0): U256, base 0x400 */
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, 0x6050000000150400ULL | (uint64_t)n << 5, 0);
		snprintf(name, sizeof(name), "SVE.P%u", n);
		assert_non_null(r);
		assert_string_equal(r->name, name);
		assert_int_equal(r->width, 256);
		assert_true(r->flags & REGDB_R_STATE);
	}
	r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, 0x6050000000150600ULL, 0); /* FFR(0) */
	assert_non_null(r);
	assert_string_equal(r->name, "SVE.FFR");
	assert_int_equal(r->width, 256);
	r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, 0x606000000015ffffULL, 0); /* VLS: U512 | 0xffff */
	assert_non_null(r);
	assert_string_equal(r->name, "KVM_REG_ARM64_SVE_VLS");
	assert_int_equal(r->width, 512);
	assert_false(r->flags & REGDB_R_STATE); /* the vCPU's vector lengths: configuration, set before finalizing */
	for (size_t i = 0; i < regdb_n_regs; i++)
		if (regdb_regs[i].arch == KVMPROF_ARCH_ARM64 && (regdb_regs[i].id >> 16 & 0xffff) == 0x15 &&
		    regdb_regs[i].id >> 60 == 6 && regdb_regs[i].space == REGDB_ARM64_SYSREG)
			n_sve++;
	assert_int_equal(n_sve, 32 + 16 + 1 + 1);
	for (size_t i = 0; i < sizeof(el2) / sizeof(el2[0]); i++) {
		r = regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG,
				    regdb_arm64_sysreg_id(el2[i].op0, el2[i].op1, el2[i].crn, el2[i].crm, el2[i].op2), 0);
		if (!r || strcmp(r->name, el2[i].name))
			fail_msg("%s: %s", el2[i].name, r ? r->name : "no record");
		assert_true(r->flags & REGDB_R_STATE);
	}
	for (size_t i = 0; i < sizeof(pauth) / sizeof(pauth[0]); i++) {
		r = regdb_reg_by_name(pauth[i], KVMPROF_ARCH_ARM64);
		assert_non_null(r);
		assert_true(r->flags & REGDB_R_STATE);
	}
}

static void test_generic_sysreg(void **state)
{
	uint64_t id = 0;

	(void)state;
	assert_int_equal(regdb_parse_generic_sysreg("S3_0_C0_C4_0", &id), 0);
	assert_int_equal(id, 0x603000000013c020ULL);
	assert_int_equal(regdb_parse_generic_sysreg("S2_0_C1_C1_4", &id), 0);
	assert_ptr_equal(regdb_reg_by_id(KVMPROF_ARCH_ARM64, REGDB_ARM64_SYSREG, id, 0),
			 regdb_reg_by_name("OSLSR_EL1", KVMPROF_ARCH_ARM64));
	assert_int_equal(regdb_parse_generic_sysreg("S3_3_C14_C15_7", &id), 0);
	assert_int_equal(id, regdb_arm64_sysreg_id(3, 3, 14, 15, 7));
	assert_int_equal(regdb_parse_generic_sysreg("S4_0_C0_C0_0", &id), -1);
	assert_int_equal(regdb_parse_generic_sysreg("S3_8_C0_C0_0", &id), -1);
	assert_int_equal(regdb_parse_generic_sysreg("S3_0_C16_C0_0", &id), -1);
	assert_int_equal(regdb_parse_generic_sysreg("S3_0_C0_C0_8", &id), -1);
	assert_int_equal(regdb_parse_generic_sysreg("S3_0_C0_C0", &id), -1);
	assert_int_equal(regdb_parse_generic_sysreg("S3_0_C0_C0_0x", &id), -1);
	assert_int_equal(regdb_parse_generic_sysreg("ID_AA64PFR0_EL1", &id), -1);
	assert_int_equal(regdb_parse_generic_sysreg("", &id), -1);
}

static void test_syms(void **state)
{
	const struct regdb_sym *s;

	(void)state;
	s = regdb_sym_by_name(REGDB_SYM_CAP, "KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES", 0);
	assert_non_null(s);
	assert_int_equal(s->value, 230);
	s = regdb_sym_by_name(REGDB_SYM_CAP, "KVM_CAP_X2APIC_API", KVMPROF_ARCH_X86_64);
	assert_non_null(s);
	assert_int_equal(s->value, 129);
	assert_int_equal(regdb_sym_by_name(REGDB_SYM_CAP, "KVM_CAP_ARM_WRITABLE_IMP_ID_REGS", 0)->value, 239);
	assert_int_equal(regdb_sym_by_name(REGDB_SYM_CAP, "KVM_CAP_X86_APIC_BUS_CYCLES_NS", 0)->value, 237);
	assert_string_equal(regdb_sym_by_value(REGDB_SYM_CAP, 213, 0)->name, "KVM_CAP_DISABLE_QUIRKS2");

	/* Quirks 0..10 exist, as the 6.12.117 mask 0x7ff says (real-kvm.md). */
	for (uint64_t bit = 0; bit <= 10; bit++)
		assert_non_null(regdb_sym_by_value(REGDB_SYM_QUIRK, bit, KVMPROF_ARCH_X86_64));
	assert_int_equal(regdb_sym_by_name(REGDB_SYM_QUIRK, "KVM_X86_QUIRK_LINT0_REENABLED", 0)->value, 0);
	assert_null(regdb_sym_by_value(REGDB_SYM_QUIRK, 0, KVMPROF_ARCH_ARM64));

	assert_int_equal(regdb_sym_by_name(REGDB_SYM_X2APIC_FLAG, "USE_32BIT_IDS", 0)->value, 0);
	assert_int_equal(regdb_sym_by_name(REGDB_SYM_X2APIC_FLAG, "DISABLE_BROADCAST_QUIRK", 0)->value, 1);
	assert_non_null(regdb_sym_by_value(REGDB_SYM_X2APIC_FLAG, 2, 0));
	assert_non_null(regdb_sym_by_value(REGDB_SYM_X2APIC_FLAG, 3, 0));

	s = regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, "psci-0.2", KVMPROF_ARCH_ARM64);
	assert_non_null(s);
	assert_int_equal(s->value, 2);
	assert_int_equal(regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, "pmu-v3", 0)->value, 3);
	assert_int_equal(regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, "has-el2", 0)->value, 7);
	assert_null(regdb_sym_by_name(REGDB_SYM_VCPU_FEATURE, "psci-0.2", KVMPROF_ARCH_X86_64));
	assert_null(regdb_sym_by_name(REGDB_SYM_CAP, "KVM_CAP_NO_SUCH", 0));
}

static void test_reg_invariants(void **state)
{
	(void)state;
	assert_true(regdb_n_regs > 700);
	for (size_t i = 0; i < regdb_n_regs; i++) {
		const struct regdb_reg *r = &regdb_regs[i];
		uint64_t used = 0;

		assert_non_null(r->name);
		assert_non_null(r->source);
		assert_true(r->arch == KVMPROF_ARCH_ARM64 || r->arch == KVMPROF_ARCH_X86_64);
		assert_true(r->space >= REGDB_ARM64_SYSREG && r->space <= REGDB_X86_MSR);
		assert_true(r->width == 32 || r->width == 64 || r->width == 128 || r->width == 256 || r->width == 512 ||
			    r->width == 2048);
		/* an arm64 one-reg id states its own size (KVM_REG_SIZE, bits 55:52: bytes = 1 << size) */
		if (r->arch == KVMPROF_ARCH_ARM64 && r->space <= REGDB_ARM64_DEMUX)
			assert_int_equal(r->width, 8u << ((r->id >> 52) & 0xf));
		if (i > 0) {
			const struct regdb_reg *p = &regdb_regs[i - 1];

			/* sorted by (arch, name), names unique */
			assert_true(p->arch < r->arch || (p->arch == r->arch && strcmp(p->name, r->name) < 0));
		}
		assert_ptr_equal(regdb_reg_by_name(r->name, 0), r);
		assert_ptr_equal(regdb_reg_by_id(r->arch, r->space, r->id, r->cpuid_reg), r);
		if (r->space == REGDB_ARM64_SYSREG || r->space == REGDB_ARM64_FW || r->space == REGDB_ARM64_DEMUX)
			assert_int_equal(r->id >> 60, 6); /* KVM_REG_ARM64 */
		for (uint32_t k = 0; k < r->n_fields; k++) {
			const struct regdb_field *f = &r->fields[k];
			uint64_t mask;

			assert_true(f->width >= 1 && f->shift + f->width <= r->width);
			if (k > 0)
				assert_true(f->shift < r->fields[k - 1].shift); /* descending */
			for (uint32_t j = 0; j < k; j++)
				assert_string_not_equal(f->name, r->fields[j].name);
			if (r->width <= 64) {
				mask = (f->width == 64 ? ~0ULL : ((1ULL << f->width) - 1)) << f->shift;
				assert_true((used & mask) == 0); /* no overlap */
				used |= mask;
			}
			assert_ptr_equal(regdb_field_by_name(r, f->name), f);
		}
	}
}

/* REGDB_R_STATE: vCPU run-time state, never an ID register; the platform's identity is not state. */
static void test_state_flag(void **state)
{
	static const char *const st[] = { "CORE.X0", "CORE.PC", "CORE.PSTATE", "CORE.V31", "CORE.FPCR",
					  "SCTLR_EL1", "TTBR0_EL1", "TPIDR_EL0", "CONTEXTIDR_EL1",
					  "KVM_REG_ARM_TIMER_CNT", "CNTP_CVAL_EL0", "PMEVCNTR0_EL0", "PMCR_EL0",
					  "DBGBVR0_EL1", "OSLSR_EL1", "MPIDR_EL1", "CSSELR_EL1" };
	static const char *const env[] = { "MIDR_EL1", "REVIDR_EL1", "AIDR_EL1", "CTR_EL0", "CLIDR_EL1",
					   "DCZID_EL0", "ID_AA64PFR0_EL1", "ID_AA64DFR0_EL1", "CCSIDR_EL1.L1D",
					   "PSCI_VERSION", "SMCCC_ARCH_WORKAROUND_1", "STD_BMAP" };
	size_t n_state = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		const struct regdb_reg *r = regdb_reg_by_name(st[i], KVMPROF_ARCH_ARM64);
		assert_non_null(r);
		if (!(r->flags & REGDB_R_STATE))
			fail_msg("%s is not marked state", st[i]);
	}
	{	/* x86: syscall entry points and PAT are state, feature MSRs are environment */
		const struct regdb_reg *lstar = regdb_reg_by_name("MSR_LSTAR", KVMPROF_ARCH_X86_64);
		const struct regdb_reg *arch = regdb_reg_by_name("IA32_ARCH_CAPABILITIES", KVMPROF_ARCH_X86_64);
		assert_non_null(lstar);
		assert_non_null(arch);
		assert_true(lstar->flags & REGDB_R_STATE);
		assert_false(arch->flags & REGDB_R_STATE);
	}
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		const struct regdb_reg *r = regdb_reg_by_name(env[i], KVMPROF_ARCH_ARM64);
		assert_non_null(r);
		if (r->flags & REGDB_R_STATE)
			fail_msg("%s is marked state", env[i]);
	}
	for (size_t i = 0; i < regdb_n_regs; i++) {
		const struct regdb_reg *r = &regdb_regs[i];
		if (!(r->flags & REGDB_R_STATE))
			continue;
		n_state++;
		assert_false(r->flags & REGDB_R_ID_REG);
		/* firmware, demux, vGIC and CPUID are environment; state is system registers or MSRs */
		assert_true(r->space == REGDB_ARM64_SYSREG || r->space == REGDB_X86_MSR);
	}
	/* arm64-state.db (18 for newer kernels and optional features, 55 EL2 registers of has-el2),
	 * arm64-sve.db's Z0..Z31, P0..P15 and FFR, MPIDR_EL1, CSSELR_EL1, 33 state MSRs, 20 newer ones */
	assert_int_equal(n_state, 246 + 18 + 55 + 49 + 2 + 33 + 20);
}

static void test_sym_invariants(void **state)
{
	(void)state;
	assert_true(regdb_n_syms > 200);
	for (size_t i = 0; i < regdb_n_syms; i++) {
		const struct regdb_sym *s = &regdb_syms[i];

		assert_non_null(s->name);
		assert_non_null(s->source);
		assert_true(s->kind >= REGDB_SYM_CAP && s->kind <= REGDB_SYM_MIDR_PART);
		if (i > 0) {
			const struct regdb_sym *p = &regdb_syms[i - 1];

			assert_true(p->kind < s->kind || (p->kind == s->kind && strcmp(p->name, s->name) < 0));
		}
		assert_ptr_equal(regdb_sym_by_name(s->kind, s->name, s->arch), s);
		assert_ptr_equal(regdb_sym_by_value(s->kind, s->value, s->arch), s);
	}
}

/* Every "addr": "0x..." of Firecracker's arm64 fingerprints is a known register. */
static void test_firecracker_arm64_ids_known(void **state)
{
	DIR *d = opendir(fc_dir());
	struct dirent *de;
	int files = 0, ids = 0, unknown = 0;

	(void)state;
	if (!d) {
		printf("SKIP: %s not found (set KVMPROF_FIRECRACKER_DIR)\n", fc_dir());
		skip();
	}
	while ((de = readdir(d)) != NULL) {
		char path[1024], buf[256];
		FILE *fp;
		int c, n = 0;
		static const char key[] = "\"addr\"";

		if (strncmp(de->d_name, "fingerprint_ARM_", 16) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fc_dir(), de->d_name);
		fp = fopen(path, "r");
		assert_non_null(fp);
		files++;
		/* Scan for "addr" then the next quoted string. */
		while ((c = fgetc(fp)) != EOF) {
			n = (c == key[n]) ? n + 1 : (c == key[0]);
			if (key[n] != '\0')
				continue;
			n = 0;
			while ((c = fgetc(fp)) != EOF && c != '"')
				;
			size_t len = 0;
			while ((c = fgetc(fp)) != EOF && c != '"' && len + 1 < sizeof(buf))
				buf[len++] = (char)c;
			buf[len] = '\0';
			uint64_t id = strtoull(buf, NULL, 16);
			int space = ((id >> 16) & 0xffff) == 0x14 || ((id >> 16) & 0xffff) == 0x16 ? REGDB_ARM64_FW
				    : ((id >> 16) & 0xffff) == 0x11 ? REGDB_ARM64_DEMUX
				    : REGDB_ARM64_SYSREG;
			ids++;
			if (!regdb_reg_by_id(KVMPROF_ARCH_ARM64, space, id, 0)) {
				printf("unknown arm64 id %s in %s\n", buf, de->d_name);
				unknown++;
			}
		}
		fclose(fp);
	}
	closedir(d);
	if (files == 0) {
		printf("SKIP: no fingerprint_ARM_*.json in %s\n", fc_dir());
		skip();
	}
	assert_true(ids > 300 * files / 2);
	assert_int_equal(unknown, 0);
}

static unsigned safety_of(const char *reg, const char *field)
{
	const struct regdb_reg *r = regdb_reg_by_name(reg, KVMPROF_ARCH_ARM64);
	const struct regdb_field *f;

	assert_non_null(r);
	f = regdb_field_by_name(r, field);
	if (!f)
		printf("no field %s.%s\n", reg, field);
	assert_non_null(f);
	return f->flags;
}

/* The write rule on a kernel: the feature ID registers are invariant on 5.10
 * and 6.1 ... 6.6 but for CSV2 (and CSV3 from 6.1), by
 * feature-id-registers-invariant and its field facts; a kernel the facts do
 * not cover is unknown; no kernel, the flags' rule. */
static void test_write_rule_on_kernel(void **state)
{
	const struct regdb_reg *dfr0 = regdb_reg_by_name("ID_AA64DFR0_EL1", KVMPROF_ARCH_ARM64);
	const struct regdb_reg *pfr0 = regdb_reg_by_name("ID_AA64PFR0_EL1", KVMPROF_ARCH_ARM64);
	const struct regdb_field *debugver = regdb_field_by_name(dfr0, "DebugVer");
	const struct regdb_field *csv2 = regdb_field_by_name(pfr0, "CSV2");
	const struct regdb_kfact *fact;

	(void)state;
	assert_int_equal(regdb_write_rule(dfr0, debugver), REGDB_RULE_LOWER);
	assert_int_equal(regdb_write_rule_on(dfr0, debugver, "6.1.172-216.329.amzn2023.aarch64", &fact), REGDB_RULE_EXACT);
	assert_string_equal(fact->name, "feature-id-registers-invariant");
	assert_int_equal(regdb_write_rule_on(dfr0, debugver, "6.1.0-57-arm64", NULL), REGDB_RULE_EXACT);
	assert_int_equal(regdb_write_rule_on(pfr0, csv2, "6.1.192", &fact), REGDB_RULE_LOWER);
	assert_string_equal(fact->name, "id-aa64pfr0-csv2-writable");
	assert_int_equal(regdb_write_rule_on(dfr0, debugver, "6.12.117+deb12-arm64", &fact), REGDB_RULE_LOWER);
	assert_null(fact);
	assert_int_equal(regdb_write_rule_on(dfr0, debugver, "5.10.255-253.1008.amzn2.aarch64", &fact), REGDB_RULE_EXACT);
	assert_string_equal(fact->name, "feature-id-registers-invariant");
	assert_int_equal(regdb_write_rule_on(pfr0, csv2, "5.10.223", NULL), REGDB_RULE_LOWER);
	assert_int_equal(regdb_write_rule_on(pfr0, regdb_field_by_name(pfr0, "CSV3"), "5.10.223", NULL), REGDB_RULE_EXACT);
	/* PMUVer on 6.2 ... 6.6 needs the host's PMU limit; 5.4 no fact covers */
	assert_int_equal(regdb_write_rule_on(dfr0, regdb_field_by_name(dfr0, "PMUVer"), "6.5.7", &fact), REGDB_RULE_UNKNOWN);
	assert_string_equal(fact->name, "id-aa64dfr0-pmuver-writable");
	assert_int_equal(regdb_write_rule_on(dfr0, debugver, "5.4.0-1-arm64", NULL), REGDB_RULE_UNKNOWN);
	assert_int_equal(regdb_write_rule_on(dfr0, debugver, NULL, NULL), REGDB_RULE_LOWER);
	assert_string_equal(regdb_rule_name(REGDB_RULE_UNKNOWN), "unknown");
	assert_int_equal(regdb_rule_keeps(REGDB_RULE_UNKNOWN, debugver, 4, 8, 6), -1);
	assert_int_equal(regdb_rule_keeps(REGDB_RULE_UNKNOWN, debugver, 4, 6, 6), 1);
}

/* KVM's write rule (Linux v6.12.117 cpufeature.c tables via arm64_check_features()). */
static void test_kvm_safety_flags(void **state)
{
	const struct regdb_reg *r;
	size_t id_regs = 0;

	(void)state;
	/* the three fields the 6.12 matrix saw refused when raised */
	assert_int_equal(safety_of("ID_DFR0_EL1", "CopDbg") & REGDB_F_SAFE_MASK, REGDB_F_LOWER_SAFE);
	assert_int_equal(safety_of("ID_MMFR3_EL1", "PAN") & REGDB_F_SAFE_MASK, REGDB_F_LOWER_SAFE);
	assert_int_equal(safety_of("ID_ISAR4_EL1", "SMC") & REGDB_F_SAFE_MASK, REGDB_F_LOWER_SAFE);
	/* FTR_HIGHER_SAFE and FTR_HIGHER_OR_ZERO_SAFE */
	assert_int_equal(safety_of("ID_MMFR4_EL1", "SpecSEI") & REGDB_F_SAFE_MASK, REGDB_F_HIGHER_SAFE);
	assert_int_equal(safety_of("ID_AA64MMFR1_EL1", "SpecSEI") & REGDB_F_SAFE_MASK, REGDB_F_HIGHER_SAFE);
	assert_int_equal(safety_of("CTR_EL0", "CWG") & REGDB_F_SAFE_MASK, REGDB_F_HIGHER_OR_ZERO_SAFE);
	assert_int_equal(safety_of("CTR_EL0", "ERG") & REGDB_F_SAFE_MASK, REGDB_F_HIGHER_OR_ZERO_SAFE);
	/* FTR_EXACT with its safe value */
	assert_int_equal(safety_of("CTR_EL0", "L1Ip") & REGDB_F_SAFE_MASK, REGDB_F_EXACT);
	assert_int_equal(REGDB_F_EXACT_SAFE(safety_of("CTR_EL0", "L1Ip")), 2); /* VIPT */
	assert_int_equal(REGDB_F_EXACT_SAFE(safety_of("ID_AA64MMFR0_EL1", "TGRAN4_2")), 1);
	assert_int_equal(safety_of("ID_AA64ISAR1_EL1", "APA"), REGDB_F_EXACT);
	/* KVM's overrides of the table: lower-safe, not exact */
	assert_int_equal(safety_of("ID_AA64DFR0_EL1", "DebugVer") & REGDB_F_SAFE_MASK, REGDB_F_LOWER_SAFE);
	assert_int_equal(safety_of("ID_DFR0_EL1", "PerfMon") & REGDB_F_SAFE_MASK, REGDB_F_LOWER_SAFE);
	/* signed in the table */
	assert_int_equal(safety_of("ID_AA64DFR0_EL1", "DoubleLock"), REGDB_F_SIGNED | REGDB_F_LOWER_SAFE);
	assert_int_equal(safety_of("ID_MMFR0_EL1", "InnerShr"), REGDB_F_SIGNED | REGDB_F_LOWER_SAFE);
	/* not in 6.12's table: must keep KVM's value */
	assert_int_equal(safety_of("ID_AA64PFR1_EL1", "GCS") & REGDB_F_SAFE_MASK, 0);
	assert_int_equal(safety_of("ID_AA64ISAR0_EL1", "TME") & REGDB_F_SAFE_MASK, 0);
	assert_int_equal(safety_of("ID_DFR0_EL1", "TraceFilt") & REGDB_F_SAFE_MASK, 0);
	/* CLIDR_EL1 is not checked field by field (set_clidr()) */
	assert_int_equal(safety_of("CLIDR_EL1", "LoC") & REGDB_F_SAFE_MASK, 0);

	/* at most one rule per field; exact's safe value fits; every ID register cites the table */
	for (size_t i = 0; i < regdb_n_regs; i++) {
		r = &regdb_regs[i];
		for (uint32_t k = 0; k < r->n_fields; k++) {
			unsigned fl = r->fields[k].flags & REGDB_F_SAFE_MASK;

			assert_true(fl == 0 || (fl & (fl - 1)) == 0);
			if (r->fields[k].flags & REGDB_F_EXACT)
				assert_true(r->fields[k].width >= 3 ||
					    REGDB_F_EXACT_SAFE(r->fields[k].flags) < (1u << r->fields[k].width));
			else
				assert_int_equal(REGDB_F_EXACT_SAFE(r->fields[k].flags), 0);
		}
		if (r->arch == KVMPROF_ARCH_ARM64 && (r->flags & REGDB_R_ID_REG) && r->n_fields) {
			if (!strstr(r->source, "v6.12.117"))
				printf("%s: source does not cite the kernel table: %s\n", r->name, r->source);
			assert_non_null(strstr(r->source, "v6.12.117"));
			id_regs++;
		}
	}
	assert_true(id_regs >= 40);
}

/* Runs the generator with `awk_cmd` on tests/regdb/<fixture>; returns its exit status, stderr in err. */
static int run_gen(const char *awk_cmd, const char *fixture, char *err, size_t errsz)
{
	char cmd[1024], errfile[] = "/tmp/kvmprof-regdb-test-XXXXXX";
	int fd = mkstemp(errfile);
	FILE *fp;
	size_t n;
	int rc;

	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s -f regdb/gen-regdb.awk tests/regdb/%s >/dev/null 2>%s",
		 awk_cmd, fixture, errfile);
	rc = system(cmd);
	fp = fopen(errfile, "r");
	n = fp ? fread(err, 1, errsz - 1, fp) : 0;
	err[n] = '\0';
	if (fp)
		fclose(fp);
	remove(errfile);
	return rc;
}

static int is_bad_fixture(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return !strncmp(e->d_name, "bad-", 4) && n > 3 && !strcmp(e->d_name + n - 3, ".db");
}

/* Every tests/regdb/bad-*.db states on its first line what the generator
 * must say: "# expect LINE: TEXT (why)". Adding a case is adding a file. */
static void test_generator_failures(void **state)
{
	static const char *awks[] = { "awk", "mawk", "gawk", "busybox awk" };
	struct dirent **names;
	char err[4096];
	int tried = 0, n;

	(void)state;
	n = scandir("tests/regdb", &names, is_bad_fixture, alphasort);
	if (n < 0) {
		printf("SKIP: run from the repository root (tests/regdb/ not found)\n");
		skip();
	}
	assert_true(n >= 9);
	for (size_t a = 0; a < sizeof(awks) / sizeof(awks[0]); a++) {
		char probe[256];

		snprintf(probe, sizeof(probe), "%s 'BEGIN { exit 0 }' >/dev/null 2>&1", awks[a]);
		if (system(probe) != 0)
			continue; /* this awk is not installed */
		tried++;
		assert_int_equal(run_gen(awks[a], "good.db", err, sizeof(err)), 0);
		for (int i = 0; i < n; i++) {
			char path[512], first[512] = "", where[600], what[512];
			unsigned line = 0;
			FILE *f;
			int rc;

			snprintf(path, sizeof(path), "tests/regdb/%s", names[i]->d_name);
			f = fopen(path, "r");
			assert_non_null(f);
			if (!fgets(first, sizeof(first), f))
				first[0] = '\0';
			fclose(f);
			if (sscanf(first, "# expect %u: %511[^(\n]", &line, what) != 2)
				fail_msg("%s: the first line must be '# expect LINE: TEXT (why)'", path);
			for (size_t k = strlen(what); k > 0 && what[k - 1] == ' '; k--)
				what[k - 1] = '\0';
			snprintf(where, sizeof(where), "%s:%u: error:", names[i]->d_name, line);
			rc = run_gen(awks[a], names[i]->d_name, err, sizeof(err));
			if (rc == 0 || !strstr(err, where) || !strstr(err, what))
				printf("%s on %s: status %d, stderr: %s\n", awks[a], names[i]->d_name, rc, err);
			assert_int_not_equal(rc, 0);
			assert_non_null(strstr(err, where));
			assert_non_null(strstr(err, what));
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_true(tried > 0);
}

static int collect_span(void *ctx, const struct regdb_field *f, const char *label, unsigned shift,
			unsigned width)
{
	char *out = ctx;
	char one[64];

	snprintf(one, sizeof(one), "%s%s@%u+%u;", f ? "" : "gap:", label, shift, width);
	strcat(out, one);
	return 0;
}

static int stop_at_second(void *ctx, const struct regdb_field *f, const char *label, unsigned shift,
			  unsigned width)
{
	int *n = ctx;

	(void)f, (void)label, (void)shift, (void)width;
	return ++*n == 2 ? 42 : 0;
}

/* Fields and the gaps between them, top bit first (diff and baseline walk registers so). */
static void test_spans(void **state)
{
	char out[512] = "";
	int n = 0;

	(void)state;
	assert_int_equal(regdb_for_each_span(regdb_reg_by_name("GICD_IIDR", KVMPROF_ARCH_ARM64), 32,
					     collect_span, out), 0);
	assert_string_equal(out, "ProductID@24+8;gap:bits 23:20@20+4;Variant@16+4;Revision@12+4;Implementer@0+12;");
	out[0] = '\0';
	assert_int_equal(regdb_for_each_span(NULL, 32, collect_span, out), 0);
	assert_string_equal(out, "gap:bits 31:0@0+32;");
	assert_int_equal(regdb_for_each_span(regdb_reg_by_name("GICD_IIDR", KVMPROF_ARCH_ARM64), 32,
					     stop_at_second, &n), 42);
	assert_int_equal(n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_encodings),
		cmocka_unit_test(test_generic_sysreg),
		cmocka_unit_test(test_syms),
		cmocka_unit_test(test_reg_invariants),
		cmocka_unit_test(test_state_flag),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_kvm_safety_flags),
		cmocka_unit_test(test_write_rule_on_kernel),
		cmocka_unit_test(test_sym_invariants),
		cmocka_unit_test(test_firecracker_arm64_ids_known),
		cmocka_unit_test(test_generator_failures),
		cmocka_unit_test(test_kernel_facts),
		cmocka_unit_test(test_set_rules),
		cmocka_unit_test(test_feature_registers),
		cmocka_unit_test(test_captured_ids_named),
		cmocka_unit_test(test_captured_el2_ids_named),
		cmocka_unit_test(test_vcpu_feature_regs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
