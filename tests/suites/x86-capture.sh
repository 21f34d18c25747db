#!/usr/bin/env bash
# tests/suites/x86-capture.sh - `kvmprof capture` on upstream kvm_amd 6.1 and
# 6.12 (QEMU TCG -cpu max gives the guest SVM; tests/qemu/boot-x86.sh loads
# the modules), then `kvmprof compile`, `lint` and offline `check` on this host.
#
# Builds tests/arm64/capture_init.c natively as a static program
# (-DCAPTURE_AS_PROGRAM, no libyaml), runs it in each guest, cuts the YAML out
# of the console between KVMPROF-CAPTURE-BEGIN/END, and checks: each capture
# compiles and lints clean; each passes `check --against` itself; the quirk
# masks differ as in real-kvm.md (0x7f vs 0x7ff) and a profile disabling
# quirk bit 8 is refused against the 6.1 capture with the bit named.
# Prints cmocka-style summary lines for tests/run-tests.sh. Missing packages
# or kernels make it one skipped test, never a pass.
#
# Environment: KVMPROF_X86_TIMEOUT=120 (s per boot), BUILD=build (host build
# with the kvmprof binary).
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
out=build-x86-capture
timeout_s=${KVMPROF_X86_TIMEOUT:-120}
kvmprof=$build/kvmprof
. tests/suites/lib/report.bash
. tests/suites/lib/capture.bash
suite_init x86-capture "x86 capture suite"

suite_deps x86-tcg qemu-system-x86_64
[ -x "$kvmprof" ] || suite_skip "$kvmprof not built (make)"
suite_lock "$out"
if ! gcc -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	-Wno-sign-compare -Wno-unused-function -O2 -static -DCAPTURE_AS_PROGRAM -Iruntime -Iregdb -Imodel -Iformats -Iops -Icli \
	-Itests/arm64 -I"$build" -o "$out/capture_run" tests/arm64/capture_init.c ops/capture.c formats/host_out.c \
	formats/yaml_out.c regdb/regdb.c model/profile.c model/expr.c "$build/regdb_data.c" \
	"$build/expr-parser.c" "$build/expr-lexer.c" >"$out/build.log" 2>&1; then
	cat "$out/build.log"
	suite_fail_alone x86_capture_build "the static capture program does not build"
	exit 1
fi

for series in 6.1 6.12; do
	suite_kernel --modules --flavour cloud-amd64 amd64 "$series"
	name=kvm-amd-$series-capture
	tests/qemu/boot-x86.sh --kernel "$kernel" --run "$out/capture_run" --timeout "$timeout_s" \
		--append "KVMPROF_CAPTURE_NAME=$name" >"$out/guest-$series.txt" 2>"$out/boot-$series.err"
	grep '^boot-x86: ' "$out/boot-$series.err"
	capture_tests "$series" "$name" "$out/guest-$series.txt"
done
run_test quirk_masks_0x7f_0x7ff sh -c "grep -qx '  quirks: 0x7f' '$out/kvm-amd-6.1-capture.yaml' && grep -qx '  quirks: 0x7ff' '$out/kvm-amd-6.12-capture.yaml'"
quirk_refused() { # $1 profile, $2 capture: exit 1 and quirk bit 8 named with 6.1's mask
	"$kvmprof" check "$1" --against "$2" >"$out/quirk.txt"
	[ $? -eq 1 ] && grep -q 'bits 0x100 are not offered by this kernel (it offers 0x7f)' "$out/quirk.txt"
}
run_test quirk_bit8_refused_by_6.1_named quirk_refused tests/corpus/captures/x86-quirks-6.12.yaml "$out/kvm-amd-6.1-capture.yaml"
run_test quirk_bit8_accepted_by_6.12 "$kvmprof" check tests/corpus/captures/x86-quirks-6.12.yaml --against "$out/kvm-amd-6.12-capture.yaml"

report_took
report_summary # the exit status: 1 when a test failed
