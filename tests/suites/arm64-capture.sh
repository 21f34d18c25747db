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
n_run=0 n_pass=0 failed=()

skip() {
	echo "SKIP: arm64 capture suite: $1"
	echo "[==========] 1 test(s) run."
	echo "[  SKIPPED ] 1 test(s), listed below:"
	echo "[  SKIPPED ] arm64-capture"
	exit 0
}
t() { # $1 name, rest: command; passes when the command exits 0
	local name=$1
	shift
	n_run=$((n_run + 1))
	echo "[ RUN      ] $name"
	if "$@" >"$out/$name.log" 2>&1; then
		n_pass=$((n_pass + 1))
		echo "[       OK ] $name"
	else
		sed 's/^/    | /' "$out/$name.log" | tail -n 20
		echo "[  FAILED  ] $name"
		failed+=("$name")
	fi
}

t_start=$(date +%s.%N)
scripts/deps.sh --check --quiet arm64 >/dev/null 2>&1 || skip "arm64 packages missing (scripts/deps.sh arm64)"
[ -x "$kvmprof" ] || skip "$kvmprof not built (make)"
mkdir -p "$out"
exec 8>"$out/.suite.lock"
flock 8
if ! tests/arm64/build-capture.sh "$out" "$build" >"$out/build.log" 2>&1; then
	cat "$out/build.log"
	echo "[==========] 1 test(s) run."
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] arm64_capture_build"
	exit 1
fi

for series in 6.1 6.12; do
	kernel=$(tests/qemu/get-kernel.sh arm64 "$series" 2>"$out/get-kernel.log") ||
		skip "no arm64 $series kernel ($(tail -n 1 "$out/get-kernel.log"))"
	name=linux-$series-arm64-capture
	tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/capture_init" --cpu max --timeout "$timeout_s" \
		--log "$out/serial-$series.log" --append "KVMPROF_CAPTURE_NAME=$name" >"$out/guest-$series.txt" \
		2>"$out/boot-$series.err"
	grep '^boot-arm64: ' "$out/boot-$series.err"
	sed -n '/^KVMPROF-CAPTURE-BEGIN/,/^KVMPROF-CAPTURE-END/p' "$out/guest-$series.txt" | tr -d '\r' |
		sed '1d;$d' >"$out/$name.yaml"
	t "capture_$series" test -s "$out/$name.yaml"
	t "compile_$series" "$kvmprof" compile "$out/$name.yaml" -o "$out/$name.c"
	t "lint_clean_$series" sh -c "'$kvmprof' lint -Werror '$out/$name.yaml' 2>&1 | tee /dev/stderr | grep -q . && exit 1 || exit 0"
	t "check_self_$series" "$kvmprof" check "$out/$name.yaml" --against "$out/$name.yaml"
done
names_clidr() { # $1 profile, $2 capture: the check answers no... or yes, but names CLIDR_EL1 with both values
	"$kvmprof" check "$1" --against "$2" | tee /dev/stderr | grep -Eq "CLIDR_EL1: .*0x2000023.*0x2000021|CLIDR_EL1: .*0x2000021.*0x2000023"
}
t check_6.1_against_6.12_names_CLIDR_EL1 names_clidr "$out/linux-6.1-arm64-capture.yaml" "$out/linux-6.12-arm64-capture.yaml"
t check_6.12_against_6.1_names_CLIDR_EL1 names_clidr "$out/linux-6.12-arm64-capture.yaml" "$out/linux-6.1-arm64-capture.yaml"
t check_6.12_against_6.1_says_no sh -c "! '$kvmprof' check '$out/linux-6.12-arm64-capture.yaml' --against '$out/linux-6.1-arm64-capture.yaml' >/dev/null"

awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "arm64-capture: suite took %.1f s\n", b - a }'
echo "[==========] $n_run test(s) run."
echo "[  PASSED  ] $n_pass test(s)."
if [ ${#failed[@]} -gt 0 ]; then
	echo "[  FAILED  ] ${#failed[@]} test(s), listed below:"
	for f in "${failed[@]}"; do echo "[  FAILED  ] $f"; done
	exit 1
fi
exit 0
