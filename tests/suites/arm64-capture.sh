#!/usr/bin/env bash
# tests/suites/arm64-capture.sh - `kvmprof capture` on real KVM/arm64 6.1 and
# 6.12 (QEMU TCG, -cpu max), then `kvmprof compile`, `lint` and offline
# `check` of the captures on this host.
#
# Builds the static aarch64 /init tests/arm64/capture_init.c (no libyaml;
# tests/arm64/build-capture.sh), boots each kernel with it
# (tests/qemu/boot-arm64.sh), cuts the YAML out of the serial console between
# KVMPROF-CAPTURE-BEGIN/END, and checks: each capture compiles and lints
# clean; each passes `check --against` itself; 6.1 against the 6.12 capture
# and back both name CLIDR_EL1 (real-kvm.md: 0x2000023 vs 0x2000021).
# Prints cmocka-style summary lines for tests/run-tests.sh. Missing packages
# or kernels make it one skipped test, never a pass.
#
# Environment: KVMPROF_ARM64_TIMEOUT=120 (s per boot), BUILD=build (host build
# with the kvmprof binary).
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
out=build-arm64-capture
timeout_s=${KVMPROF_ARM64_TIMEOUT:-120}
kvmprof=$build/kvmprof
. tests/suites/lib/report.bash
. tests/suites/lib/capture.bash
suite_init arm64-capture "arm64 capture suite"

suite_deps arm64 qemu-system-aarch64
[ -x "$kvmprof" ] || suite_skip "$kvmprof not built (make)"
suite_lock "$out"
if ! tests/arm64/build-capture.sh "$out" "$build" >"$out/build.log" 2>&1; then
	cat "$out/build.log"
	suite_fail_alone arm64_capture_build "tests/arm64/build-capture.sh failed"
	exit 1
fi

for series in 6.1 6.12; do
	suite_kernel arm64 "$series"
	name=linux-$series-arm64-capture
	tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/capture_init" --cpu max --timeout "$timeout_s" \
		--log "$out/serial-$series.log" --append "KVMPROF_CAPTURE_NAME=$name" >"$out/guest-$series.txt" \
		2>"$out/boot-$series.err"
	grep '^boot-arm64: ' "$out/boot-$series.err"
	capture_tests "$series" "$name" "$out/guest-$series.txt"
done
# $1 profile, $2 capture: the check answers no... or yes, but names CLIDR_EL1 with both values
# (6.1's invariant CLIDR: the field at fault, Ctype1, wanted 1 where 6.1 keeps 3)
names_clidr() {
	"$kvmprof" check "$1" --against "$2" | tee /dev/stderr |
		grep -Eq "CLIDR_EL1: .*0x2000023.*0x2000021|CLIDR_EL1: .*0x2000021.*0x2000023|CLIDR_EL1\.Ctype1=1: this kernel accepts 3\.\.3 only"
}
run_test check_6.1_against_6.12_names_CLIDR_EL1 names_clidr "$out/linux-6.1-arm64-capture.yaml" "$out/linux-6.12-arm64-capture.yaml"
run_test check_6.12_against_6.1_names_CLIDR_EL1 names_clidr "$out/linux-6.12-arm64-capture.yaml" "$out/linux-6.1-arm64-capture.yaml"
run_test check_6.12_against_6.1_says_no sh -c "! '$kvmprof' check '$out/linux-6.12-arm64-capture.yaml' --against '$out/linux-6.1-arm64-capture.yaml' >/dev/null"

report_took
report_summary # the exit status: 1 when a test failed
