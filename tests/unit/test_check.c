/* SPDX-License-Identifier: MIT */
/*
 * test_check.c - `kvmprof check --against` offline, on the capture fixtures
 * of tests/corpus/captures/: real captures of KVM/arm64 6.1.192 and
 * 6.12.117 (QEMU -cpu max) and hand-written ones modelled on
 * /work/shared/real-kvm.md (kvm_amd 6.1 vs 6.12 quirk masks, a reduced 6.1
 * register list), and real captures of kvm_amd 6.1.192 and 6.12.117 (QEMU
 * TCG). Whole outputs are case folders, tests/golden/check/ (test_cases.c);
 * here what they must name, and every usage error must exit 2.
 * Also the pieces under the verb: host_facts_load (values, errors with
 * file:line:col) and tables_build.
 */
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shell.h"

#include "golden.h"

#include "replay.c" /* the emulation itself, for its KVM_SET_ONE_REG rule */

#include "host.h"
#include "profile.h"
#include "tables.h"

#define CAPS "tests/corpus/captures"

static char kvmprof[PATH_MAX];



/* ---- across the real differences of real-kvm.md ---- */

/* The quirk bit 6.1 lacks is named with both masks. */
static void x86_quirk_named(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(shell_run(&out, 0, "%s check %s/x86-quirks-6.12.yaml --against %s/kvm-amd-6.1.yaml", kvmprof,
			     CAPS, CAPS), 1);
	assert_non_null(strstr(out, "KVM_CAP_DISABLE_QUIRKS2: bits 0x100 are not offered by this kernel (it offers 0x7f)"));
	assert_non_null(strstr(out, "verdict: no - blocked by KVM_CAP_X86_APIC_BUS_CYCLES_NS, KVM_CAP_DISABLE_QUIRKS2"));
	assert_non_null(strstr(out, "offline"));
	free(out);
	/* the same against the real capture of kvm_amd 6.1.192 (QEMU TCG) */
	assert_int_equal(shell_run(&out, 0, "%s check %s/x86-quirks-6.12.yaml --against %s/kvm-amd-6.1-capture.yaml", kvmprof,
			     CAPS, CAPS), 1);
	assert_non_null(strstr(out, "KVM_CAP_DISABLE_QUIRKS2: bits 0x100 are not offered by this kernel (it offers 0x7f)"));
	free(out);
	assert_int_equal(shell_run(&out, 0, "%s check %s/x86-quirks-6.12.yaml --against %s/kvm-amd-6.12-capture.yaml", kvmprof,
			     CAPS, CAPS), 0);
	free(out);
}

/* The MSRs no feature list covers (IA32_MISC_ENABLE, MSR_K7_HWCR, ...) are
 * decided from the fresh vCPU's values a capture records (host:
 * msr-values:) and, for a changed IA32_MISC_ENABLE, the register database's
 * write rule; a capture without the values leaves them unknown, naming why. */
static void msr_values_decide(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(shell_run(&out, 0, "%s check %s/x86-msrs-common.yaml --against %s/kvm-amd-6.12-msr-values.yaml",
				   kvmprof, CAPS, CAPS), 0);
	assert_non_null(strstr(out, "IA32_MISC_ENABLE: accepted 0x1 (default 0x1800)"));
	assert_non_null(strstr(out, "MSR_K7_HWCR: this kernel already presents 0x0, nothing to write"));
	assert_non_null(strstr(out, "IA32_FEAT_CTL: this kernel already presents 0x0, nothing to write"));
	assert_non_null(strstr(out, "MSR_PLATFORM_INFO: this kernel already presents 0x80000000, nothing to write"));
	assert_null(strstr(out, "unknown"));
	assert_non_null(strstr(out, "verdict: yes"));
	free(out);
	/* the same capture as one made before the values were recorded */
	assert_int_equal(shell_run(&out, 0, "d=$(mktemp -d) && f=$d/kvm-amd-6.12-msr-values.yaml && "
				   "sed '/msr-values:/d' %s/kvm-amd-6.12-msr-values.yaml >$f && "
				   "%s check %s/x86-msrs-common.yaml --against $f; rc=$?; rm -rf $d; exit $rc",
				   CAPS, kvmprof, CAPS), 3);
	/* the default was never read: the reason says so, and the value the profile wants */
	assert_non_null(strstr(out, "IA32_MISC_ENABLE: wanted 0x1 in bits 0xffffffffffffffff (default not read): "
				    "the capture does not record this MSR's vCPU value"));
	free(out);
}

/* The write rule of IA32_MISC_ENABLE (kfact ia32-misc-enable-host-write-taken)
 * holds on the kernels it covers and while the VM keeps quirk
 * MISC_ENABLE_NO_MWAIT; elsewhere the write is unknown, naming the fact. */
static void msr_write_rule(void **state)
{
	struct host_msr values[] = { { 0x1a0, 0x1800 }, { 0xc0010015, 0 } };
	uint32_t list[] = { 0x1a0, 0xc0010015 };
	struct host_facts h = { 0 };
	union {
		struct kvmprof_msrs_head hdr;
		unsigned char bytes[sizeof(struct kvmprof_msrs_head) + sizeof(struct kvmprof_msr_entry)];
	} m;
	struct kvm_enable_cap quirks = { .cap = KVM_CAP_DISABLE_QUIRKS2, .args = { 0x10 } };
	struct replay r;

	(void)state;
	h.present = 1;
	h.arch = KVMPROF_ARCH_X86_64;
	h.vcpu_msrs = values;
	h.n_vcpu_msrs = 2;
	h.have_msr_list = 1;
	h.msr_list = list;
	h.n_msr_list = 2;
	h.have_quirks = 1;
	h.quirks = 0x7ff;
#define SET_MSR(idx, val)                                                                   \
	(memset(&m, 0, sizeof(m)), m.hdr.nmsrs = 1, m.hdr.entries[0].index = (idx),          \
	 m.hdr.entries[0].data = (val), replay_ioctl(&r, REPLAY_VCPU_FD, KVMPROF_KVM_SET_MSRS, &m))
	h.kernel = "6.12.117+deb12-cloud-amd64";
	replay_init(&r, &h);
	assert_int_equal(SET_MSR(0x1a0, 1), 1);
	assert_int_equal(r.msr_values[0], 1);
	assert_int_equal(SET_MSR(0xc0010015, 0), 1);           /* unchanged */
	assert_int_equal(SET_MSR(0xc0010015, 1u << 24), 0);    /* no rule says KVM takes it */
	assert_non_null(strstr(replay_unknown_of(&r, KVMPROF_KIND_MSR, 0xc0010015)->what,
			       "does not record whether the vCPU accepts"));
	assert_int_equal(SET_MSR(0x3a, 0), 0);                 /* not listed, no value */
	assert_non_null(strstr(replay_unknown_of(&r, KVMPROF_KIND_MSR, 0x3a)->what,
			       "KVM_GET_MSR_INDEX_LIST of this kernel does not list this MSR"));
	replay_fini(&r);
	/* the quirk disabled: KVM then checks MWAIT against the guest's CPUID */
	replay_init(&r, &h);
	assert_int_equal(replay_ioctl(&r, REPLAY_VM_FD, KVM_ENABLE_CAP, &quirks), 0);
	assert_int_equal(SET_MSR(0x1a0, 1), 0);
	assert_non_null(strstr(replay_unknown_of(&r, KVMPROF_KIND_MSR, 0x1a0)->what,
			       "ia32-misc-enable-host-write-taken holds while quirks 0x10 are kept"));
	replay_fini(&r);
	/* a kernel the fact does not cover */
	h.kernel = "5.10.0";
	replay_init(&r, &h);
	assert_int_equal(SET_MSR(0x1a0, 1), 0);
	assert_non_null(strstr(replay_unknown_of(&r, KVMPROF_KIND_MSR, 0x1a0)->what,
			       "fact ia32-misc-enable-host-write-taken does not decide kernel 5.10.0"));
	replay_fini(&r);
#undef SET_MSR
}

/* CLIDR_EL1 is named both ways, with both values. */
static void clidr_named(void **state)
{
	char *out;

	(void)state;
	shell_run(&out, 0, "%s check %s/linux-6.1-arm64-capture.yaml --against %s/linux-6.12-arm64-capture.yaml", kvmprof,
	    CAPS, CAPS);
	assert_non_null(strstr(out, "CLIDR_EL1: accepted 0x2000023 (default 0x2000021)"));
	free(out);
	shell_run(&out, 0, "%s check %s/linux-6.12-arm64-capture.yaml --against %s/linux-6.1-arm64-capture.yaml", kvmprof,
	    CAPS, CAPS);
	/* 6.1 keeps CLIDR_EL1 invariant (writable from 6.3): no, not unknown */
	assert_non_null(strstr(out, "rejected     CLIDR_EL1: wanted 0x2000021, but this kernel keeps 0x2000023 "
				    "(KVM lets a VMM change it from 6.3)"));
	assert_non_null(strstr(out, "verdict: no"));
	free(out);
}

static void gicd_rev1_text(void **state)
{
	char *out;

	(void)state;
	shell_run(&out, 0, "%s check %s/gicd-rev1.yaml --against %s/linux-6.1-arm64-capture.yaml", kvmprof, CAPS, CAPS);
	assert_non_null(strstr(out, "rejected     GICD_IIDR.Revision=1: this kernel accepts 2..3 only"));
	free(out);
}

/*
 * GICD_IIDR revision writes on kernels whose capture records no accepted
 * range (6.16 ... 6.19 keep revision 3 and return 0): the replay follows the
 * register database's kernel-keyed fact gicd-iidr-revision-write-ignored,
 * and where the fact does not cover the kernel it says so instead of
 * guessing EINVAL.
 */
static void gicd_rev1_kernel_facts(void **state)
{
	char *out;

	(void)state;
	shell_run(&out, 0, "%s check %s/gicd-rev1.yaml --against profiles/linux-6.16-arm64-neoverse-n1.yaml", kvmprof, CAPS);
	assert_non_null(strstr(out, "differs      GICD_IIDR.Revision: wrote 0x4b00143b, kernel reads back 0x4b00343b"));
	assert_null(strstr(out, "rejected"));
	free(out);
	/* the same capture claiming a 6.18 point release no range covers */
	shell_run(&out, 1, "f=$(mktemp) && sed 's/^  kernel: \"6.18.15+deb13-arm64\"/  kernel: \"6.18.40+deb13-arm64\"/' "
		  "profiles/linux-6.18-arm64-neoverse-n1.yaml >$f && %s check %s/gicd-rev1.yaml --against $f; rm -f $f",
		  kvmprof, CAPS);
	assert_non_null(strstr(out, "unknown"));
	assert_non_null(strstr(out, "fact gicd-iidr-revision-write-ignored does not decide kernel 6.18.40+deb13-arm64"));
	free(out);
}

/*
 * Per-kernel write rules of the offline check: PSCI_VERSION takes any version
 * the kernel implements (0.2 ... its default), and KVM_SET_CPUID2 refuses a
 * whole table enabling AMX tile data (EPERM: libkvmprof does not ask for the
 * XSAVE permission) as the live kvm_amd 7.3 run did.
 */
static void per_kernel_write_rules(void **state)
{
	static const struct {
		const char *want, *capture, *expect;
	} cases[] = {
		{ "0x10000", "linux-6.12-arm64-cortex-a72", "presentable  PSCI_VERSION: accepted 0x10000" },
		{ "0x10000", "linux-7.3-arm64-cortex-a72", "presentable  PSCI_VERSION: accepted 0x10000" },
		{ "0x10003", "linux-7.3-arm64-cortex-a72", "default      PSCI_VERSION" },
		{ "0x10003", "linux-6.12-arm64-cortex-a72", "rejected     PSCI_VERSION: KVM refused 0x10003" },
		{ "0x1", "linux-7.3-arm64-cortex-a72", "rejected     PSCI_VERSION: KVM refused 0x1" },
	};
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		shell_run(&out, 1, "d=$(mktemp -d) && printf 'kvmprof: 1\\nname: psci\\narch: arm64\\ndescription: t\\n"
			  "provenance:\\n  kind: authored\\nvcpu:\\n  features:\\n    psci-0.2: on\\n  registers:\\n"
			  "    PSCI_VERSION: %s\\n' >$d/psci.yaml && %s check $d/psci.yaml --against profiles/%s.yaml; rm -rf $d",
			  cases[i].want, kvmprof, cases[i].capture);
		if (!strstr(out, cases[i].expect))
			printf("PSCI_VERSION %s on %s:\n%s", cases[i].want, cases[i].capture, out);
		assert_non_null(strstr(out, cases[i].expect));
		free(out);
	}
	/* XCR0 components the capture does not offer are refused first (0xd.0x0
	 * EAX is a feature register); offered, AMX tile data still needs the
	 * permission libkvmprof does not ask for */
	shell_run(&out, 0, "%s check profiles/linux-6.1-x86_64-sapphire-rapids.yaml --against profiles/linux-7.3-x86_64-kvm-amd-tcg.yaml",
		  kvmprof);
	assert_non_null(strstr(out, "unsupported  CPUID.0xd.0x0.EAX: XTILEDATA, XTILECFG, Hi16_ZMM, ZMM_Hi256, OPMASK not offered by this kernel"));
	free(out);
	shell_run(&out, 0, "d=$(mktemp -d) && sed 's/- \\[0xd, 0x0, 0x1, 0x207,/- [0xd, 0x0, 0x1, 0x602e7,/' "
		  "profiles/linux-7.3-x86_64-kvm-amd-tcg.yaml >$d/linux-7.3-x86_64-kvm-amd-tcg.yaml && "
		  "%s check profiles/linux-6.1-x86_64-sapphire-rapids.yaml --against $d/linux-7.3-x86_64-kvm-amd-tcg.yaml; rm -rf $d",
		  kvmprof);
	assert_non_null(strstr(out, "rejected     CPUID.0x0.0x0.EAX: KVM refused 0x1f: operation not permitted"));
	free(out);
	shell_run(&out, 0, "%s check profiles/linux-6.1-x86_64-genoa.yaml --against profiles/linux-7.3-x86_64-kvm-amd-tcg.yaml",
		  kvmprof);
	assert_null(strstr(out, "operation not permitted"));
	free(out);
}

static void regset_drift_json(void **state)
{
	char *out;

	(void)state;
	shell_run(&out, 0, "%s check %s/regset-6.12.yaml --against %s/tiny-arm64-6.1.yaml --format json", kvmprof, CAPS, CAPS);
	/* new: listed but unknown to the profile; missing: required but unlisted;
	 * MIDR_EL1 is hidden (no remark), S3_0_C10_C2_2 tolerated. */
	assert_non_null(strstr(out, "\"drift\": {\"new\": [\"ID_AA64PFR0_EL1\"], \"missing\": [\"TCR2_EL1\"]}"));
	assert_null(strstr(out, "MIDR_EL1"));
	free(out);
}

/* The JSON report passes UTF-8 through (a host whose kernel release has an
 * é): it was escaped byte by byte as \u00c3\u00a9, two other characters. */
static void json_utf8_passes(void **state)
{
	char dir[] = "/tmp/kvmprof-test-check-XXXXXX", path[96], *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tiny-arm64-6.1.yaml", dir);
	assert_int_equal(shell_run(&out, 0, "sed 's/6.1.0-56-arm64/6.1.0-\xc3\xa9/' %s/tiny-arm64-6.1.yaml > %s", CAPS, path), 0);
	free(out);
	shell_run(&out, 0, "%s check %s/tiny-arm64-6.1.yaml --against %s --format json", kvmprof, CAPS, path);
	assert_non_null(strstr(out, "\"host\": \"tiny-arm64-6.1 (captured: Linux 6.1.0-\xc3\xa9)\""));
	free(out);
	unlink(path);
	rmdir(dir);
}

/* Every capture can present itself. */
static void self_checks_pass(void **state)
{
	static const char *const caps[] = { "linux-6.1-arm64-capture", "linux-6.12-arm64-capture", "kvm-amd-6.1",
					    "kvm-amd-6.12", "tiny-arm64-6.1", "kvm-amd-6.1-capture",
					    "kvm-amd-6.12-capture" };
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int rc = shell_run(&out, 1, "%s check %s/%s.yaml --against %s/%s.yaml", kvmprof, CAPS, caps[i], CAPS, caps[i]);
		if (rc != 0)
			fail_msg("%s against itself: exit %d\n%s", caps[i], rc, out);
		assert_non_null(strstr(out, "verdict: yes"));
		free(out);
	}
}

/* has-el2-e2h0 (KVM_ARM_VCPU_HAS_EL2_E2H0, bit 8) is judged by its capability,
 * KVM_CAP_ARM_EL2_E2H0 (0 in the 6.12 capture): off is the default, on cannot be
 * presented. It used to be unsupported either way (missing from the table). */
static void e2h0_feature_judged_by_cap(void **state)
{
	char path[64], *out;
	FILE *f;
	int rc;

	(void)state;
	for (int on = 0; on < 2; on++) {
		snprintf(path, sizeof(path), "/tmp/kvmprof-e2h0-%d", (int)getpid());
		mkdir(path, 0700);
		strcat(path, "/e2h0.yaml");
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "kvmprof: 1\nname: e2h0\narch: arm64\nvcpu:\n  features:\n    has-el2-e2h0: %s\n",
			on ? "on" : "off");
		fclose(f);
		rc = shell_run(&out, 1, "%s check %s --against %s/linux-6.12-arm64-capture.yaml", kvmprof, path, CAPS);
		unlink(path);
		*strrchr(path, '/') = '\0';
		rmdir(path);
		if (on) {
			assert_int_equal(rc, 1);
			assert_non_null(strstr(out, "has-el2-e2h0: vCPU feature 8 is not offered"));
		} else if (rc != 0 || !strstr(out, "verdict: yes")) {
			fail_msg("has-el2-e2h0: off, exit %d:\n%s", rc, out);
		}
		free(out);
	}
}

/* ---- usage and input errors: exit 2 and a message ---- */

static void usage_errors(void **state)
{
	static const struct {
		const char *args, *message;
	} cases[] = {
		{ "check", "no profile given" },
		{ "check " CAPS "/gicd-rev1.yaml " CAPS "/regset-6.12.yaml --against " CAPS "/kvm-amd-6.1.yaml",
		  "no profile and host of one architecture" },
		{ "check " CAPS "/gicd-rev1.yaml --format xml", "unknown format 'xml'" },
		{ "check " CAPS "/gicd-rev1.yaml --frobnicate", "usage: kvmprof check" },
		{ "check " CAPS "/gicd-rev1.yaml --against", "usage: kvmprof check" },
		{ "check " CAPS "/no-such.yaml", "no-such.yaml" },
		{ "check " CAPS "/gicd-rev1.yaml --against " CAPS "/no-such.yaml", "no-such.yaml" },
		{ "check " CAPS "/gicd-rev1.yaml --against " CAPS "/regset-6.12.yaml", "has no host: section" },
		{ "check " CAPS "/gicd-rev1.yaml --against " CAPS "/kvm-amd-6.1.yaml", "describes an x86_64 host" },
		{ "check " CAPS "/gicd-rev1.yaml --against tests/corpus/errors/unknown-keys.yaml", "unknown-key" },
		{ "check tests/corpus/errors/conflict.yaml", "conflict" },
#if defined(__x86_64__)
		{ "check " CAPS "/gicd-rev1.yaml", "profile for another architecture" },
#endif
		{ "capture extra-argument", "unexpected argument 'extra-argument'" },
		{ "capture --name other -o somewhere/mine.yaml", "does not match the file name" },
		{ "capture --name ''", "--name must not be empty" },
		{ "capture --bogus", "usage: kvmprof capture" },
	};
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = shell_run(&out, 1, "%s %s", kvmprof, cases[i].args);
		if (rc != 2 || !strstr(out, cases[i].message))
			fail_msg("kvmprof %s: exit %d (want 2), output lacks '%s':\n%s", cases[i].args, rc,
				 cases[i].message, out);
		free(out);
	}
	/* --help is not an error */
	assert_int_equal(shell_run(&out, 1, "%s check --help", kvmprof), 0);
	assert_non_null(strstr(out, "Exit status: 0 yes (every cell), 1 no (some cell), 2 usage or input error, 3 unknown"));
	free(out);
	assert_int_equal(shell_run(&out, 1, "%s capture --help", kvmprof), 0);
	free(out);
}

/* A malformed host: section is an input error with file:line:col. */
static void host_section_errors(void **state)
{
	char dir[] = "/tmp/kvmprof-test-check-XXXXXX", path[64], *out;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.yaml", dir); /* name: x, as the loader insists */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kvmprof: 1\nname: x\narch: x86_64\nhost:\n  quirks: lots\n  reg-list: {a: 1}\n  colour: blue\n"
	      "  capabilities: {KVM_CAP_NONESUCH: 1}\n  cpuid:\n    - [1, 2, 3]\n", f);
	fclose(f);
	assert_int_equal(shell_run(&out, 1, "%s check %s/x86-quirks-6.12.yaml --against %s", kvmprof, CAPS, path), 2);
	assert_non_null(strstr(out, ":5:11: error: quirks must be a number [host]"));
	assert_non_null(strstr(out, ":6:13: error: host: reg-list: must be a list of register ids [host]"));
	assert_non_null(strstr(out, ":7:3: error: unknown key 'colour' in host:"));
	assert_non_null(strstr(out, ":8:18: error: unknown capability 'KVM_CAP_NONESUCH'"));
	assert_non_null(strstr(out, ":10:7: error: a CPUID leaf must be [function, index, flags, eax, ebx, ecx, edx]"));
	free(out);
	unlink(path);
	rmdir(dir);
}

/* A key stated twice in a capture's host: is one error: the capture was
 * parsed once for its profile and again for its host facts, and each parse
 * reported it. */
static void host_duplicate_key_once(void **state)
{
	char dir[] = "/tmp/kvmprof-test-check-XXXXXX", path[96], *out, *at;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tiny-arm64-6.1.yaml", dir);
	assert_int_equal(shell_run(&out, 0, "sed 's/^  kernel: .*/&\\n  kernel: \"x\"/' %s/tiny-arm64-6.1.yaml > %s", CAPS, path), 0);
	free(out);
	assert_int_equal(shell_run(&out, 1, "%s check %s/tiny-arm64-6.1.yaml --against %s", kvmprof, CAPS, path), 2);
	for (at = out; (at = strstr(at, "error: key 'kernel' is stated twice")) != NULL; at++)
		n++;
	assert_int_equal(n, 1);
	free(out);
	unlink(path);
	rmdir(dir);
}

/* ---- the pieces: host_facts_load, tables_build ---- */

static void host_facts_values(void **state)
{
	struct host_facts h;
	struct diag d;
	FILE *null = fopen("/dev/null", "w");
	const struct host_cap *c;

	(void)state;
	diag_init(&d, null);
	assert_int_equal(host_facts_load(CAPS "/linux-6.12-arm64-capture.yaml", KVMPROF_ARCH_ARM64, &h, &d), 0);
	assert_true(h.present);
	assert_string_equal(h.kernel, "6.12.117+deb12-arm64");
	assert_int_equal(h.kernel_version, KVMPROF_KERNEL_VERSION(6, 12, 117));
	assert_int_equal(h.n_reg_list, 259); /* real-kvm.md: 259 registers on 6.12 */
	assert_true(h.have_masks);
	assert_int_equal(host_reg_value(&h, 0x603000000013c801ull)->value, 0x2000021); /* CLIDR_EL1 */
	assert_int_equal(host_attr_find(&h, 1, 0x8)->value, 0x4b00343b);             /* GICD_IIDR */
	assert_int_equal(host_range_find(&h, "GICD_IIDR", "Revision")->lo, 2);
	assert_int_equal(host_range_find(&h, "GICD_IIDR", "Revision")->hi, 3);
	c = host_cap_by_number(&h, 230);
	assert_non_null(c);
	assert_int_equal(c->value, 1);
	assert_true(h.have_regset);
	assert_int_equal(h.n_regset, 259);
	host_facts_free(&h);

	assert_int_equal(host_facts_load(CAPS "/linux-6.1-arm64-capture.yaml", KVMPROF_ARCH_ARM64, &h, &d), 0);
	assert_int_equal(h.n_reg_list, 242); /* real-kvm.md: 242 on 6.1 */
	assert_false(h.have_masks);
	assert_int_equal(host_reg_value(&h, 0x603000000013c801ull)->value, 0x2000023);
	host_facts_free(&h);

	assert_int_equal(host_facts_load(CAPS "/kvm-amd-6.12.yaml", KVMPROF_ARCH_X86_64, &h, &d), 0);
	assert_true(h.have_quirks);
	assert_int_equal(h.quirks, 0x7ff);
	assert_int_equal(h.n_cpuid, 2);
	assert_int_equal(h.cpuid[1].regs[1], 0x219c07ab);
	assert_int_equal(h.n_feature_msrs, 4);
	assert_false(h.have_regset);
	host_facts_free(&h);
	assert_int_equal(d.n_errors, 0);
	diag_fini(&d);
	fclose(null);
}

/* host_facts_write_yaml writes what host_facts_load reads back. */
static void host_facts_round_trip(void **state)
{
	static const char *const files[] = { CAPS "/linux-6.12-arm64-capture.yaml", CAPS "/kvm-amd-6.1.yaml" };
	char dir[] = "/tmp/kvmprof-test-check-XXXXXX", path[64];
	FILE *null = fopen("/dev/null", "w"), *f;
	struct host_facts a, b;
	struct diag d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rt.yaml", dir);
	diag_init(&d, null);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int arch = i == 0 ? KVMPROF_ARCH_ARM64 : KVMPROF_ARCH_X86_64;

		assert_int_equal(host_facts_load(files[i], arch, &a, &d), 0);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("kvmprof: 1\nname: rt\n", f);
		fprintf(f, "arch: %s\nvcpu:\n", arch == KVMPROF_ARCH_ARM64 ? "arm64" : "x86_64");
		if (a.have_regset)
			host_regset_write_yaml(&a, f);
		host_facts_write_yaml(&a, f);
		fclose(f);
		assert_int_equal(host_facts_load(path, arch, &b, &d), 0);
		assert_string_equal(a.kernel, b.kernel);
		assert_int_equal(a.n_caps, b.n_caps);
		for (size_t k = 0; k < a.n_caps; k++)
			assert_int_equal(a.caps[k].value, b.caps[k].value);
		assert_int_equal(a.have_quirks, b.have_quirks);
		assert_int_equal(a.quirks, b.quirks);
		assert_int_equal(a.n_reg_list, b.n_reg_list);
		assert_int_equal(a.n_reg_values, b.n_reg_values);
		for (size_t k = 0; k < a.n_reg_values; k++)
			assert_int_equal(a.reg_values[k].value, b.reg_values[k].value);
		assert_int_equal(a.have_masks, b.have_masks);
		assert_int_equal(a.n_masks, b.n_masks);
		assert_int_equal(a.n_attrs, b.n_attrs);
		assert_int_equal(a.n_ranges, b.n_ranges);
		assert_int_equal(a.n_cpuid, b.n_cpuid);
		assert_int_equal(a.n_feature_msrs, b.n_feature_msrs);
		assert_int_equal(a.n_vcpu_msrs, b.n_vcpu_msrs);
		assert_int_equal(a.n_msr_list, b.n_msr_list);
		assert_int_equal(a.n_regset, b.n_regset);
		host_facts_free(&a);
		host_facts_free(&b);
	}
	assert_int_equal(d.n_errors, 0);
	diag_fini(&d);
	fclose(null);
	unlink(path);
	rmdir(dir);
}

static void tables_from_profile(void **state)
{
	const char *search[] = { "profiles", NULL };
	struct diag d;
	FILE *null = fopen("/dev/null", "w");
	struct profile *p;
	struct tables t;

	(void)state;
	diag_init(&d, null);
	p = profile_load_resolved("profiles/linux-6.12-arm64-qemu-max.yaml", search, &d);
	assert_non_null(p);
	assert_int_equal(tables_build(p, &t, &d), 0);
	assert_int_equal(t.profile.magic, KVMPROF_TABLE_MAGIC);
	assert_int_equal(t.profile.n_entries, p->n_entries);
	assert_int_equal(t.profile.phase_start[KVMPROF_PHASE_COUNT], p->n_entries);
	for (int ph = 0; ph < KVMPROF_PHASE_COUNT; ph++)
		for (uint32_t i = t.profile.phase_start[ph]; i < t.profile.phase_start[ph + 1]; i++)
			assert_int_equal(t.profile.entries[i].phase, ph);
	for (size_t i = 0; i < p->n_entries; i++) {
		assert_string_equal(t.profile.entries[i].name, p->entries[i].name);
		assert_int_equal(t.profile.entries[i].n_fields, p->entries[i].n_fields);
		assert_int_equal(t.profile.entries[i].requires != NULL, p->entries[i].requires != NULL);
		if (t.profile.entries[i].requires)
			assert_int_equal(t.profile.entries[i].requires->code[t.profile.entries[i].requires->n_code - 1].op,
					 KVMPROF_OP_END);
	}
	assert_non_null(strstr(t.profile.source_hash, "fnv1a64:"));
	tables_free(&t);
	profile_free(p);
	diag_fini(&d);
	fclose(null);
}

/* ---- the replay's KVM_SET_ONE_REG rule (KVM's arm64_check_features and set_clidr) ---- */

#define R_ID_DFR0 0x603000000013c00aull
#define R_ID_MMFR3 0x603000000013c00full
#define R_ID_ISAR4 0x603000000013c014ull
#define R_ID_MMFR4 0x603000000013c016ull
#define R_AA64DFR0 0x603000000013c028ull
#define R_AA64PFR1 0x603000000013c021ull
#define R_CTR 0x603000000013d801ull
#define R_CLIDR 0x603000000013c801ull

static int replay_set(struct replay *r, uint64_t id, uint64_t val)
{
	struct kvm_one_reg one = { .id = id, .addr = (uintptr_t)&val };

	return r->sys.ioctl(r->sys.ctx, REPLAY_VCPU_FD, KVM_SET_ONE_REG, &one);
}

#define R_AA64PFR0 0x603000000013c020ull
#define R_AA64ISAR0 0x603000000013c030ull
#define R_AA64MMFR2 0x603000000013c03aull
#define R_WA1 0x6030000000140001ull
#define R_WA2 0x6030000000140002ull

static uint64_t replay_value(const struct replay *r, uint64_t id)
{
	long i = reg_index(r, id);

	assert_true(i >= 0);
	return r->values[i];
}

/* A capture without writable masks, of kernel `release`: the database's
 * per-kernel write rules (kfacts with `set by-flag` / `set keep`) decide, or
 * name what is missing. */
static void replay_without_masks(struct replay *r, struct host_facts *h, struct host_reg_value *values, size_t n,
				 const char *release)
{
	memset(h, 0, sizeof(*h));
	h->present = 1;
	h->arch = KVMPROF_ARCH_ARM64;
	h->kernel = (char *)release;
	h->reg_values = values;
	h->n_reg_values = n;
	h->have_reg_list = 1;
	replay_init(r, h);
}

static void write_rules_without_masks(void **state)
{
	struct host_reg_value values[] = {
		{ R_AA64PFR0, 0x1100000011111112ull }, /* CSV3 1, CSV2 1, GIC 1, EL0-3 ... */
		{ R_AA64DFR0, 0x10305006ull },         /* PMUVer 0, DebugVer 6 */
		{ R_AA64ISAR0, 0x100010211120ull },
		{ R_AA64MMFR2, 0x1011ull },            /* NV 0 */
		{ R_WA1, 2 },                          /* NOT_REQUIRED */
		{ R_WA2, 0 },                          /* NOT_AVAIL */
	};
	struct host_facts h;
	struct replay r;
	const struct replay_unknown *u;

	(void)state;
	/* 6.1 (Debian's ABI name hides the point release; the facts cover the series) */
	replay_without_masks(&r, &h, values, sizeof(values) / sizeof(values[0]), "6.1.0-57-arm64");
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x0100000011111112ull), 0);       /* CSV3 lowered: set_id_aa64pfr0_el1 */
	assert_int_equal(replay_value(&r, R_AA64PFR0), 0x0100000011111112ull);
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x1200000011111112ull), -EINVAL); /* CSV2 raised */
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x1100000011111111ull), -EINVAL); /* EL0: invariant */
	assert_int_equal(replay_set(&r, R_AA64DFR0, 0x10305106ull), -EINVAL);         /* PMUVer: invariant on 6.1 */
	assert_int_equal(replay_set(&r, R_AA64ISAR0, 0x100010211110ull), -EINVAL);    /* AES lowered: invariant */
	assert_int_equal(replay_set(&r, R_AA64MMFR2, 0x2001011ull), -EINVAL);         /* NV */
	assert_int_equal(r.n_unknown, 0);
	/* the SMCCC workaround levels: up to the host's returns 0 and KVM keeps its own */
	assert_int_equal(replay_set(&r, R_WA1, 1), 0);
	assert_int_equal(replay_value(&r, R_WA1), 2);
	assert_int_equal(replay_set(&r, R_WA1, 3), -EINVAL);
	assert_int_equal(replay_set(&r, R_WA1, 0x12), -EINVAL);
	assert_int_equal(replay_set(&r, R_WA2, 1), 0);      /* UNKNOWN counts as NOT_AVAIL */
	assert_int_equal(replay_value(&r, R_WA2), 0);
	assert_int_equal(replay_set(&r, R_WA2, 3), -EINVAL); /* NOT_REQUIRED above NOT_AVAIL */
	assert_int_equal(replay_set(&r, R_WA2, 0x10), -EINVAL); /* ENABLED without AVAIL */
	replay_fini(&r);

	/* 6.5: PMUVer became writable in 6.2 by a rule a PMU-less capture cannot decide */
	replay_without_masks(&r, &h, values, sizeof(values) / sizeof(values[0]), "6.5.13-arm64");
	assert_int_equal(replay_set(&r, R_AA64DFR0, 0x10305106ull), -ENODATA);
	u = replay_unknown_of(&r, KVMPROF_KIND_ONE_REG, R_AA64DFR0);
	assert_non_null(u);
	assert_non_null(strstr(u->what, "id-aa64dfr0-pmuver-writable"));
	assert_int_equal(replay_set(&r, R_AA64ISAR0, 0x100010211110ull), -EINVAL); /* still invariant before 6.7 */
	replay_fini(&r);

	/* 6.12 without masks in the capture: NV is decided (never writable), other fields are not */
	replay_without_masks(&r, &h, values, sizeof(values) / sizeof(values[0]), "6.12.117+deb12-arm64");
	assert_int_equal(replay_set(&r, R_AA64MMFR2, 0x2001011ull), -EINVAL);
	assert_int_equal(replay_set(&r, R_AA64MMFR2, 0x1010ull), -ENODATA); /* CnP lowered: the masks decide */
	u = replay_unknown_of(&r, KVMPROF_KIND_ONE_REG, R_AA64MMFR2);
	assert_non_null(u);
	assert_non_null(strstr(u->what, "feature-id-registers-invariant"));
	replay_fini(&r);

	/* 6.9: no range of the NV fact covers it */
	replay_without_masks(&r, &h, values, sizeof(values) / sizeof(values[0]), "6.9.7-arm64");
	assert_int_equal(replay_set(&r, R_AA64MMFR2, 0x2001011ull), -ENODATA);
	u = replay_unknown_of(&r, KVMPROF_KIND_ONE_REG, R_AA64MMFR2);
	assert_non_null(u);
	assert_non_null(strstr(u->what, "id-aa64mmfr2-nv-invariant"));
	replay_fini(&r);
}

/* A synthetic 6.12-like host: every register fully writable except where noted. */
static void replay_rule(void **state)
{
	struct host_reg_value values[] = {
		{ R_ID_DFR0, 0x10006 },        /* MMapTrc 1, CopDbg 6 */
		{ R_ID_MMFR3, 0x2102211 },     /* PAN 0 */
		{ R_ID_ISAR4, 0x10142 },       /* SMC 0 */
		{ R_ID_MMFR4, 0x1111 },        /* CnP 1, XNX 1, AC2 1, SpecSEI 1 */
		{ R_AA64DFR0, 0xf010305006ull }, /* DoubleLock 0xf, WRPs 3, BRPs 5, PMUVer 0, DebugVer 6 */
		{ R_AA64PFR1, 0x20 },          /* SSBS 2 */
		{ R_CTR, 0x8444c004 },         /* IDC 0, DIC 0, CWG 4, ERG 4 */
		{ R_CLIDR, 0xa200023 },        /* LoUU 1, LoC 2, LoUIS 1 */
	};
	struct host_reg_value masks[] = {
		{ R_ID_DFR0, 0xffffffff }, { R_ID_MMFR3, 0xffffffff }, { R_ID_ISAR4, 0xffffffff },
		{ R_ID_MMFR4, 0xffffffff },
		{ R_AA64DFR0, 0xf000f00f0full }, /* DoubleLock, WRPs, PMUVer, DebugVer */
		{ R_AA64PFR1, ~0ull },
		{ R_CTR, 0x300f000f },       /* DIC, IDC, DminLine, IminLine */
		{ R_CLIDR, 0x7fffffffffffull },
	};
	struct host_facts h = { 0 };
	struct replay r;

	(void)state;
	h.present = 1;
	h.arch = KVMPROF_ARCH_ARM64;
	h.reg_values = values;
	h.n_reg_values = sizeof(values) / sizeof(values[0]);
	h.have_masks = 1;
	h.masks = masks;
	h.n_masks = sizeof(masks) / sizeof(masks[0]);
	h.have_reg_list = 1;
	h.kernel = "6.12.117+deb12-arm64"; /* the database's set_user rules hold on it */
	replay_init(&r, &h);

	/* ftr_id_dfr0: CopDbg lower-safe, and set_id_dfr0_el1() wants it >= 6 */
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0x10008), -EINVAL);  /* raised 6 -> 8 */
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0x10005), -EINVAL);  /* below Armv8 */
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0x00006), 0);        /* MMapTrc lowered */
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0x10000006), -EINVAL); /* TraceFilt: not in the table */
	/* ftr_generic_32bits: every nibble lower-safe */
	assert_int_equal(replay_set(&r, R_ID_MMFR3, 0x2122211), -EINVAL); /* PAN 0 -> 2 */
	assert_int_equal(replay_set(&r, R_ID_MMFR3, 0x2102210), 0);
	/* ftr_id_isar4: SMC lower-safe */
	assert_int_equal(replay_set(&r, R_ID_ISAR4, 0x11142), -EINVAL);
	assert_int_equal(replay_set(&r, R_ID_ISAR4, 0x10042), 0);
	/* ftr_id_mmfr4: SpecSEI higher-safe, AC2 lower-safe */
	assert_int_equal(replay_set(&r, R_ID_MMFR4, 0x1112), 0);      /* SpecSEI raised */
	assert_int_equal(replay_set(&r, R_ID_MMFR4, 0x1110), -EINVAL); /* SpecSEI lowered */
	assert_int_equal(replay_set(&r, R_ID_MMFR4, 0x1101), 0);      /* AC2 lowered */
	assert_int_equal(replay_set(&r, R_ID_MMFR4, 0x1121), -EINVAL); /* AC2 raised */
	/* AA64DFR0: DebugVer lower-safe for KVM but >= 6; DoubleLock signed (0xf = -1 is the lowest) */
	assert_int_equal(replay_set(&r, R_AA64DFR0, 0xf010305005), -EINVAL);
	assert_int_equal(replay_set(&r, R_AA64DFR0, 0x0010305006), -EINVAL); /* DoubleLock -1 -> 0 raises */
	assert_int_equal(replay_set(&r, R_AA64DFR0, 0xf010305f06), 0);       /* PMUVer IMPDEF reads as 0 */
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0x1010006), -EINVAL);     /* PerfMon 1: not PMUv3 */
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0xf000006), 0);           /* PerfMon IMPDEF reads as 0 */
	assert_int_equal(replay_set(&r, R_AA64DFR0, 0xf010306006), -EINVAL); /* BRPs: outside the mask */
	/* AA64PFR1: SSBS lower-safe; GCS (47:44) not in 6.12's table */
	assert_int_equal(replay_set(&r, R_AA64PFR1, 0x10), 0);
	assert_int_equal(replay_set(&r, R_AA64PFR1, 0x30), -EINVAL);
	assert_int_equal(replay_set(&r, R_AA64PFR1, 0x100000000020ull), -EINVAL);
	/* CTR_EL0: CWG/ERG higher-or-zero-safe but not writable here; IminLine lower-safe */
	assert_int_equal(replay_set(&r, R_CTR, 0x8444c003), 0);
	assert_int_equal(replay_set(&r, R_CTR, 0x8544c004), -EINVAL);

	/* set_clidr(): host CTR_EL0.IDC is 0, so a CLIDR saying "no clean to PoU" is refused */
	assert_int_equal(replay_set(&r, R_CLIDR, 0x9200003), 0);         /* LoUU 1, LoC 1, LoUIS 1 */
	assert_int_equal(replay_set(&r, R_CLIDR, 0x2000023), -EINVAL);   /* LoUU 0, LoUIS 0, LoC 2 */
	assert_int_equal(replay_set(&r, R_CLIDR, 0x8000023), -EINVAL);   /* LoC 0 */
	assert_int_equal(replay_set(&r, R_CLIDR, 0x8a200023), 0);        /* ICB 2: any other field is free */
	assert_int_equal(replay_set(&r, R_CLIDR, 0x800000000000ull | 0xa200023), -EINVAL); /* RES0 */
	replay_fini(&r);

	/* with CTR_EL0.IDC 1 the same CLIDR is accepted */
	values[6].value |= 1u << 28;
	replay_init(&r, &h);
	assert_int_equal(replay_set(&r, R_CLIDR, 0x2000023), 0);
	replay_fini(&r);

	/* a kernel the set_user rules do not cover: a write they would decide is
	 * unknown, naming the fact; one no rule touches is still decided */
	h.kernel = "6.8.0";
	replay_init(&r, &h);
	assert_int_equal(replay_set(&r, R_AA64DFR0, 0xf010305005), -ENODATA);
	assert_non_null(strstr(replay_unknown_of(&r, KVMPROF_KIND_ONE_REG, R_AA64DFR0)->what,
			       "fact id-aa64dfr0-debugver-below-v8-refused does not decide kernel 6.8.0"));
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0x00006), 0);
	replay_fini(&r);
	h.kernel = NULL;
	replay_init(&r, &h);
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0xf010006), -ENODATA); /* PerfMon IMPDEF: which rule holds? */
	replay_fini(&r);
	h.kernel = "6.12.117+deb12-arm64";

	/* no writable masks (6.1): unknown, never guessed */
	h.have_masks = 0;
	replay_init(&r, &h);
	assert_int_equal(replay_set(&r, R_ID_DFR0, 0x10008), -ENODATA);
	assert_non_null(replay_unknown_of(&r, KVMPROF_KIND_ONE_REG, R_ID_DFR0));
	replay_fini(&r);
}

/*
 * What a set_id_*() handler does comes before the writable mask, as in KVM:
 * a field outside the mask that the handler drops (MPAM, the host's own
 * value) is not refused for being outside it; and the rules later kernels
 * added (EL0/EL1 of 0 and CTR_EL0.L1Ip 0 or 1 refused, 6.16 on).
 */
static void replay_rule_before_mask(void **state)
{
	struct host_reg_value values[] = {
		{ R_AA64PFR0, 0x11111111ull },  /* EL0 ... EL3 1, FP, AdvSIMD, GIC 1, RAS 1 */
		{ R_CTR, 0x8444c004 },          /* L1Ip 3 (PIPT), IminLine 4 */
	};
	struct host_reg_value masks[] = {
		{ R_AA64PFR0, 0xffff00f00f00ffffull }, /* 6.12's: MPAM (43:40) outside */
		{ R_CTR, 0x300fc00f },                 /* DIC, IDC, DminLine, L1Ip (6.16 on), IminLine */
	};
	struct host_facts h = { 0 };
	struct replay r;

	(void)state;
	h.present = 1;
	h.arch = KVMPROF_ARCH_ARM64;
	h.reg_values = values;
	h.n_reg_values = sizeof(values) / sizeof(values[0]);
	h.have_masks = 1;
	h.masks = masks;
	h.n_masks = sizeof(masks) / sizeof(masks[0]);
	h.have_reg_list = 1;
	h.kernel = "6.12.117+deb12-arm64";
	replay_init(&r, &h);
	/* MPAM 1: accepted if it is the host's (dropped), else refused: unknown */
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x10011111111ull), -ENODATA);
	assert_non_null(strstr(replay_unknown_of(&r, KVMPROF_KIND_ONE_REG, R_AA64PFR0)->what,
			       "id-aa64pfr0-mpam-host-value-ignored"));
	/* ... but with AMU (47:44, outside the mask too) changed, refused either way */
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x110011111111ull), -EINVAL);
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x11111110ull), 0); /* EL0 0: lower-safe on 6.12 */
	replay_fini(&r);

	h.kernel = "7.3.4+deb13-arm64";
	replay_init(&r, &h);
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x11111110ull), -EINVAL); /* EL0 0 */
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x11111101ull), -EINVAL); /* EL1 0 */
	assert_int_equal(replay_set(&r, R_AA64PFR0, 0x11111011ull), 0);      /* EL2 0: not an NV vCPU */
	assert_int_equal(replay_set(&r, R_CTR, 0x84448004), 0);               /* L1Ip 2 (VIPT) */
	assert_int_equal(replay_set(&r, R_CTR, 0x84444004), -EINVAL);         /* L1Ip 1 (AIVIVT) */
	replay_fini(&r);
}

/* The three fields and the CLIDR_EL1 the 6.12 matrix once had to allow-list: offline refuses them now. */
static void matrix_disagreements_gone(void **state)
{
	char *out = NULL;

	(void)state;
	shell_run(&out, 0, "%s check profiles/linux-6.1-arm64-neoverse-n1.yaml --against profiles/linux-6.12-arm64-cortex-a72.yaml",
	    kvmprof);
	assert_non_null(strstr(out, "ID_DFR0_EL1.CopDbg=8: this kernel accepts 6..6 only"));
	assert_non_null(strstr(out, "ID_MMFR3_EL1.PAN=2: this kernel accepts 0..0 only"));
	assert_non_null(strstr(out, "vcpu-regs CLIDR_EL1                  rejected"));
	free(out);
	shell_run(&out, 0, "%s check profiles/linux-6.1-arm64-cortex-a72.yaml --against profiles/linux-6.12-arm64-neoverse-n1.yaml",
	    kvmprof);
	assert_non_null(strstr(out, "ID_ISAR4_EL1.SMC=1: this kernel accepts 0..0 only"));
	free(out);
}

/* ---- the fleet in one command (issue 11) ---- */

/* A second --against used to be dropped silently: both hosts are answered now. */
static void repeated_against(void **state)
{
	char *out;
	int rc;

	(void)state;
	rc = shell_run(&out, 0, "%s check %s/gicd-rev1.yaml --against %s/linux-6.12-arm64-capture.yaml --against "
			   "%s/linux-6.1-arm64-capture.yaml", kvmprof, CAPS, CAPS, CAPS);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "kvmprof check: 1 profile x 2 hosts"));
	assert_non_null(strstr(out, "H1   linux-6.12-arm64-capture (captured: Linux 6.12.117+deb12-arm64)"));
	assert_non_null(strstr(out, "H2   linux-6.1-arm64-capture (captured: Linux 6.1.0-56-arm64)"));
	assert_non_null(strstr(out, "gicd-rev1 on H1: blocked by GICD_IIDR.Revision"));
	assert_non_null(strstr(out, "gicd-rev1 on H2: blocked by GICD_IIDR.Revision"));
	free(out);
}

/*
 * Every profile in profiles/ against every capture there and in the test
 * corpus, as one command (the 444 runs of a shell loop): the matrix
 * must give each cell the verdict a single `kvmprof check` gives it, and
 * decide identical captures once.
 */
static void fleet_matrix_equals_single_checks(void **state)
{
	char *json, *single, *save = NULL;
	size_t cells = 0, compared = 0;
	int rc;

	(void)state;
	rc = shell_run(&json, 0, "%s check profiles/ --against profiles/ --against %s --format json", kvmprof, CAPS);
	assert_int_equal(rc, 1); /* some cell says no */
	/* identical captures (the kvm_amd ones in profiles/ and in the corpus) are decided once */
	assert_non_null(strstr(json, "\"same_as\": \"H3\""));
	assert_null(strstr(json, "\"shared\": 0}"));
	/*
	 * The single checks, one process each: "profile host exit" per line.
	 * Every sixth cell along the diagonals (profile i, host j with
	 * (i + j) % 6 == 0): each profile meets ~6 hosts and each host ~10
	 * profiles, both arches and every kernel, at a sixth of the 2,000+
	 * processes the whole grid costs (minutes under ASan).
	 */
	rc = shell_run(&single, 0,
		       "hosts=$(grep -l '^host:' profiles/*.yaml %s/*.yaml); i=0; for p in profiles/*.yaml; do "
		       "i=$((i + 1)); j=0; for h in $hosts; do j=$((j + 1)); [ $(((i + j) %% 6)) -eq 0 ] || continue; "
		       "%s check $p --against $h >/dev/null 2>&1; echo \"$p $h $?\"; done; done",
		       CAPS, kvmprof);
	assert_int_equal(rc, 0);
	for (char *line = strtok_r(single, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char p[256], h[256], needle[700], *cell;
		int exit_status;
		const char *want;

		assert_int_equal(sscanf(line, "%255s %255s %d", p, h, &exit_status), 3);
		cells++;
		want = exit_status == 0 ? "yes" : exit_status == 1 ? "no" : exit_status == 3 ? "unknown" : "not-comparable";
		/* the host's id in the json, by its file */
		snprintf(needle, sizeof(needle), "\"file\": \"%s\"", h);
		cell = strstr(json, "\"hosts\": [");
		assert_non_null(cell);
		cell = strstr(cell, needle);
		assert_non_null(cell);
		while (cell > json && strncmp(cell, "{\"id\": \"H", 9))
			cell--;
		char id[16];
		assert_int_equal(sscanf(cell, "{\"id\": \"%15[^\"]\"", id), 1);
		const char *base = strrchr(p, '/') + 1;
		snprintf(needle, sizeof(needle), "{\"profile\": \"%.*s\", \"host\": \"%s\", \"verdict\": \"%s\"",
			 (int)(strlen(base) - 5), base, id, want);
		if (!strstr(json, needle))
			fail_msg("fleet cell differs from `kvmprof check %s --against %s` (exit %d): %s not found", p, h,
				 exit_status, needle);
		compared++;
	}
	assert_int_equal(cells, compared);
	assert_true(cells >= 300);
	free(single);
	free(json);
}

/* The text grid, markdown and json of a small fleet; exit 3 when nothing says no but something is undecided. */
static void fleet_formats(void **state)
{
	char *out;
	int rc;

	(void)state;
	rc = shell_run(&out, 0, "%s check profiles/linux-6.1-arm64-qemu-max.yaml profiles/linux-6.12-arm64-qemu-max.yaml "
			   "--against %s/linux-6.12-arm64-capture.yaml --against %s/tiny-arm64-6.1.yaml --format markdown",
		       kvmprof, CAPS, CAPS);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "| profile | H1 | H2 |\n| --- | --- | --- |\n"));
	assert_non_null(strstr(out, "| `linux-6.1-arm64-qemu-max` | yes | unknown |\n"));
	assert_non_null(strstr(out, "| `linux-6.12-arm64-qemu-max` | yes | **no** |\n"));
	assert_non_null(strstr(out, "- `linux-6.1-arm64-qemu-max` on H2: undecided by GICD_IIDR"));
	free(out);
	rc = shell_run(&out, 0, "%s check profiles/linux-6.1-arm64-qemu-max.yaml --against %s/linux-6.12-arm64-capture.yaml "
			   "--against %s/tiny-arm64-6.1.yaml", kvmprof, CAPS, CAPS);
	assert_int_equal(rc, 3); /* unknown: no cell says no */
	assert_non_null(strstr(out, "summary: 1 yes, 0 no, 1 unknown, 0 not comparable"));
	free(out);
	rc = shell_run(&out, 0, "%s check profiles/linux-6.1-arm64-qemu-max.yaml --against %s/tiny-arm64-6.1.yaml", kvmprof,
		       CAPS);
	assert_int_equal(rc, 3); /* the single answer, unknown */
	assert_non_null(strstr(out, "verdict: unknown"));
	free(out);
	/* json: per cell, per blocking entry: register, field, wanted, host value or accepted range, reason */
	rc = shell_run(&out, 0, "%s check %s/gicd-rev1.yaml profiles/linux-6.1-x86_64-genoa.yaml --against "
			   "%s/linux-6.12-arm64-capture.yaml --against profiles/linux-6.1-x86_64-kvm-amd-tcg.yaml --format json",
		       kvmprof, CAPS, CAPS);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "{\"profile\": \"gicd-rev1\", \"host\": \"H1\", \"verdict\": \"no\", \"blocking\": "
				    "[{\"outcome\": \"rejected\", \"register\": \"GICD_IIDR\", \"field\": \"Revision\", "
				    "\"wanted\": \"0x1\", \"host\": \"0x3\", \"accepted\": \"0x2..0x3\", \"reason\": "
				    "\"GICD_IIDR.Revision=1: this kernel accepts 2..3 only\"}]"));
	assert_non_null(strstr(out, "{\"profile\": \"gicd-rev1\", \"host\": \"H2\", \"verdict\": \"not-comparable\""));
#if defined(__x86_64__)
	/* CPUID blockers by feature name; all-zero leaves the host lacks are no blockers */
	assert_non_null(strstr(out, "\"register\": \"CPUID.0x7.0x0.EBX\", \"field\": \"AVX512VL, AVX512BW, SHA_NI, "
				    "AVX512CD, AVX512IFMA, RDSEED, AVX512DQ, AVX512F, INVPCID\""));
	assert_null(strstr(out, "\"register\": \"CPUID.0x7.0x1.EDX\""));
	assert_null(strstr(out, "bits 0x"));
#endif
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x86_quirk_named),
		cmocka_unit_test(msr_values_decide),
		cmocka_unit_test(msr_write_rule),
		cmocka_unit_test(clidr_named),
		cmocka_unit_test(gicd_rev1_text),
		cmocka_unit_test(regset_drift_json),
		cmocka_unit_test(json_utf8_passes),
		cmocka_unit_test(host_duplicate_key_once),
		cmocka_unit_test(repeated_against),
		cmocka_unit_test(fleet_matrix_equals_single_checks),
		cmocka_unit_test(gicd_rev1_kernel_facts),
		cmocka_unit_test(per_kernel_write_rules),
		cmocka_unit_test(fleet_formats),
		cmocka_unit_test(self_checks_pass),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(host_section_errors),
		cmocka_unit_test(host_facts_values),
		cmocka_unit_test(host_facts_round_trip),
		cmocka_unit_test(e2h0_feature_judged_by_cap),
		cmocka_unit_test(tables_from_profile),
		cmocka_unit_test(replay_rule),
		cmocka_unit_test(replay_rule_before_mask),
		cmocka_unit_test(write_rules_without_masks),
		cmocka_unit_test(matrix_disagreements_gone),
	};
	if (shell_kvmprof(kvmprof, sizeof(kvmprof)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
