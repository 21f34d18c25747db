#!/usr/bin/env bash
# tests/suites/arm64-example.sh - examples/vmm.c on real KVM/arm64, in `make check`.
#
# Compiles five profiles with the host's build/kvmprof (profiles/linux-6.1- and
# linux-6.12-arm64-qemu-max.yaml, tests/arm64/profiles/example-arm64-iidr-rev2,
# -rev1 and -outcomes.yaml), cross-compiles them with examples/vmm.c into one static
# /init (tests/arm64/build-example.sh), and boots the newest Debian 6.12 and
# 6.1 kernels under qemu-system-aarch64 TCG -cpu max (tests/qemu/). In each
# boot the example VMM runs every profile in its own VM: it applies the
# profile phase by phase, then a guest reads each stated register for itself
# (MRS, HVC PSCI_VERSION, GICD_IIDR through the distributor's MMIO) and the
# VMM compares. Asserted per kernel, in cmocka's output format:
#   rev2_guest_saw_profile  ID fields (at-most), PSCI 1.0 and GICD_IIDR
#                           revision 2 applied, and the guest saw them
#   rev1_refused            the runtime's verdict "GICD_IIDR.Revision=1: this
#                           kernel accepts 2..3 only"; the guest sees revision 3
#   own_profile             linux-<series>-arm64-qemu-max on its own kernel:
#                           the guest sees what the profile states
#   other_kernels_clidr     the other series' profile (CLIDR_EL1 differs):
#                           6.12 accepts 6.1's CLIDR_EL1 0x2000023 and the guest
#                           sees it; 6.1 refuses 6.12's 0x2000021 ("Ctype1=1:
#                           this kernel accepts 3..3 only") and the guest keeps
#                           0x2000023
#   outcomes                tests/arm64/profiles/example-arm64-outcomes.yaml:
#                           ID_AA64ISAR0_EL1.AES at most 1 applied on 6.12,
#                           refused on 6.1 ("accepts 2..2 only"); MIDR_EL1
#                           PartNum 0xd0c unsupported on 6.12 (outside the
#                           writable mask), refused on 6.1; what the guest sees
# Missing packages as non-root or kernels that cannot be downloaded make the
# suite one skipped test, never a pass.
# Environment: BUILD=build (host build with kvmprof), KVMPROF_ARM64_SERIES="6.12 6.1",
#              KVMPROF_ARM64_TIMEOUT=120 (s per boot).
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
series_list=${KVMPROF_ARM64_SERIES:-6.12 6.1}
timeout_s=${KVMPROF_ARM64_TIMEOUT:-120}
out=build-arm64/example
profiles=example-arm64-iidr-rev2,example-arm64-iidr-rev1,example-arm64-outcomes,linux-6.12-arm64-qemu-max,linux-6.1-arm64-qemu-max
. tests/suites/lib/report.bash
suite_init arm64-example "arm64 example suite"

suite_deps arm64 qemu-system-aarch64
suite_lock "$out"

echo "[==========] Running the example VMM on real KVM/arm64."
suite_build example_builds tests/arm64/build-example.sh "$out" "$build/kvmprof"

# section NAME FILE: what vmm.c printed for profile NAME, its exit line included.
section() { awk -v n="$1" '$0 == "example: profile " n { on = 1 } on { print } on && $0 ~ "^example: profile " n " exit" { exit }' "$2"; }

for series in $series_list; do
	suite_kernel arm64 "$series"
	echo "arm64-example: booting linux $series with -cpu max, KVMPROF_PROFILE=$profiles"
	tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/example_init" --cpu max \
		--timeout "$timeout_s" --log "$out/serial-$series.log" --append "KVMPROF_PROFILE=$profiles" \
		>"$out/run-$series.txt" 2>"$out/boot-$series.err"
	boot_rc=$?
	sed 's/^/  | /' "$out/run-$series.txt"
	cat "$out/boot-$series.err"
	echo "[ RUN      ] boot_linux_$series"
	if [ $boot_rc -ne 0 ]; then
		report_fail "boot_linux_$series" "the example did not run to its end (boot-arm64.sh exit $boot_rc; log: $out/serial-$series.log)"
		continue
	fi
	report_pass "boot_linux_$series"
	run=$out/run-$series.txt

	expect "rev2_guest_saw_profile_$series" "$(section example-arm64-iidr-rev2 "$run")" \
		'^  vcpu-regs  ID_AA64PFR0_EL1 +applied ' '^  vcpu-regs  PSCI_VERSION +applied ' \
		'^  device     GICD_IIDR +applied ' \
		'^  MRS   ID_AA64PFR0_EL1 .* ok \(runtime: applied\)$' \
		'^  MRS   ID_AA64ISAR0_EL1 .* ok \(runtime: ' \
		'^  HVC   PSCI_VERSION .* guest saw 0x00010000  ok ' \
		'^  MMIO  GICD_IIDR .* guest saw 0x[0-9a-f]{4}2[0-9a-f]{3}  ok \(runtime: applied\)$' \
		'^the guest saw what the profile states$' '^example: profile example-arm64-iidr-rev2 exit 0$'
	expect "rev1_refused_$series" "$(section example-arm64-iidr-rev1 "$run")" \
		'^  device     GICD_IIDR +rejected +GICD_IIDR\.Revision=1: this kernel accepts 2\.\.3 only$' \
		'^  MMIO  GICD_IIDR .* guest saw 0x[0-9a-f]{4}3[0-9a-f]{3}  DIFFERENT \(runtime: rejected\)$' \
		'^example: profile example-arm64-iidr-rev1 exit 1$'
	outcomes=$(section example-arm64-outcomes "$run")
	case $series in
	6.12) expect "outcomes_$series" "$outcomes" \
		'^  vcpu-regs  ID_AA64ISAR0_EL1 +applied ' '^  MRS   ID_AA64ISAR0_EL1 .* ok \(runtime: applied\)$' \
		'^  vcpu-regs  ID_AA64PFR0_EL1 +applied ' '^  MRS   ID_AA64PFR0_EL1 .* ok \(runtime: applied\)$' \
		'^  vcpu-regs  MIDR_EL1 +unsupported +MIDR_EL1\.PartNum: not writable on this kernel' \
		'^  MRS   MIDR_EL1 .* DIFFERENT \(runtime: unsupported\)$' '^example: profile example-arm64-outcomes exit 1$' ;;
	6.1) expect "outcomes_$series" "$outcomes" \
		'^  vcpu-regs  ID_AA64ISAR0_EL1 +rejected +ID_AA64ISAR0_EL1\.AES=1: this kernel accepts 2\.\.2 only$' \
		'^  MRS   ID_AA64ISAR0_EL1 .* DIFFERENT \(runtime: rejected\)$' \
		'^  vcpu-regs  ID_AA64PFR0_EL1 +applied ' '^  MRS   ID_AA64PFR0_EL1 .* ok \(runtime: applied\)$' \
		'^  vcpu-regs  MIDR_EL1 +rejected ' '^  MRS   MIDR_EL1 .* DIFFERENT \(runtime: rejected\)$' \
		'^example: profile example-arm64-outcomes exit 1$' ;;
	esac
	case $series in
	6.12) other=6.1 ;;
	6.1) other=6.12 ;;
	*) other= ;;
	esac
	if [ -z "$other" ]; then
		echo "[ RUN      ] own_profile_$series"
		report_skip "own_profile_$series" "no profiles/linux-$series-arm64-qemu-max.yaml expectations for series $series"
		continue
	fi
	expect "own_profile_$series" "$(section "linux-$series-arm64-qemu-max" "$run")" \
		'^  MRS   CLIDR_EL1 .* ok \(runtime: already-equal\)$' \
		'^  HVC   PSCI_VERSION .* guest saw 0x00010001  ok ' \
		'^  MMIO  GICD_IIDR .* guest saw 0x4b00343b  ok ' \
		"^example: profile linux-$series-arm64-qemu-max exit 0\$"
	if [ "$series" = 6.12 ]; then # CLIDR_EL1 is writable since 6.3
		expect "other_kernels_clidr_$series" "$(section "linux-$other-arm64-qemu-max" "$run")" \
			'^  vcpu-regs  CLIDR_EL1 +applied +CLIDR_EL1: set to 0x2000023 \(was 0x2000021\)' \
			'^  MRS   CLIDR_EL1 .* guest saw 0x02000023  ok \(runtime: applied\)$' \
			"^example: profile linux-$other-arm64-qemu-max exit 0\$"
	else # 6.1: CLIDR_EL1 is the host's, a write of another value is EINVAL
		expect "other_kernels_clidr_$series" "$(section "linux-$other-arm64-qemu-max" "$run")" \
			'^  vcpu-regs  CLIDR_EL1 +rejected +CLIDR_EL1\.Ctype1=1: this kernel accepts 3\.\.3 only$' \
			'^  MRS   CLIDR_EL1 .* guest saw 0x02000023  DIFFERENT \(runtime: rejected\)$' \
			"^example: profile linux-$other-arm64-qemu-max exit 1\$"
	fi
done
report_finish
