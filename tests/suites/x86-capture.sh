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
n_run=0 n_pass=0 failed=()

skip() {
	echo "SKIP: x86 capture suite: $1"
	echo "[==========] 1 test(s) run."
	echo "[  SKIPPED ] 1 test(s), listed below:"
	echo "[  SKIPPED ] x86-capture"
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
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
[ -x "$kvmprof" ] || skip "$kvmprof not built (make)"
mkdir -p "$out"
exec 8>"$out/.suite.lock"
flock 8
if ! gcc -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	-Wno-sign-compare -Wno-unused-function -O2 -static -DCAPTURE_AS_PROGRAM -Iruntime -Icompiler -Icli \
	-Itests/arm64 -I"$build" -o "$out/capture_run" tests/arm64/capture_init.c cli/capture.c compiler/host_out.c \
	compiler/yaml_out.c compiler/regdb.c compiler/profile.c compiler/expr.c "$build/regdb_data.c" \
	"$build/expr-parser.c" "$build/expr-lexer.c" >"$out/build.log" 2>&1; then
	cat "$out/build.log"
	echo "[==========] 1 test(s) run."
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] x86_capture_build"
	exit 1
fi

for series in 6.1 6.12; do
	kernel=$(tests/qemu/get-kernel.sh --modules --flavour cloud-amd64 amd64 "$series" 2>"$out/get-kernel.log") ||
		skip "no amd64 $series kernel ($(tail -n 1 "$out/get-kernel.log"))"
	name=kvm-amd-$series-capture
	tests/qemu/boot-x86.sh --kernel "$kernel" --run "$out/capture_run" --timeout "$timeout_s" \
		--append "KVMPROF_CAPTURE_NAME=$name" >"$out/guest-$series.txt" 2>"$out/boot-$series.err"
	grep '^boot-x86: ' "$out/boot-$series.err"
	sed -n '/^KVMPROF-CAPTURE-BEGIN/,/^KVMPROF-CAPTURE-END/p' "$out/guest-$series.txt" | tr -d '\r' |
		sed '1d;$d' >"$out/$name.yaml"
	t "capture_$series" test -s "$out/$name.yaml"
	t "compile_$series" "$kvmprof" compile "$out/$name.yaml" -o "$out/$name.c"
	t "lint_clean_$series" sh -c "'$kvmprof' lint -Werror '$out/$name.yaml' 2>&1 | tee /dev/stderr | grep -q . && exit 1 || exit 0"
	t "check_self_$series" "$kvmprof" check "$out/$name.yaml" --against "$out/$name.yaml"
done
t quirk_masks_0x7f_0x7ff sh -c "grep -qx '  quirks: 0x7f' '$out/kvm-amd-6.1-capture.yaml' && grep -qx '  quirks: 0x7ff' '$out/kvm-amd-6.12-capture.yaml'"
quirk_refused() { # $1 profile, $2 capture: exit 1 and quirk bit 8 named with 6.1's mask
	"$kvmprof" check "$1" --against "$2" >"$out/quirk.txt"
	[ $? -eq 1 ] && grep -q 'bits 0x100 are not offered by this kernel (it offers 0x7f)' "$out/quirk.txt"
}
t quirk_bit8_refused_by_6.1_named quirk_refused tests/corpus/captures/x86-quirks-6.12.yaml "$out/kvm-amd-6.1-capture.yaml"
t quirk_bit8_accepted_by_6.12 "$kvmprof" check tests/corpus/captures/x86-quirks-6.12.yaml --against "$out/kvm-amd-6.12-capture.yaml"

awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "x86-capture: suite took %.1f s\n", b - a }'
echo "[==========] $n_run test(s) run."
echo "[  PASSED  ] $n_pass test(s)."
if [ ${#failed[@]} -gt 0 ]; then
	echo "[  FAILED  ] ${#failed[@]} test(s), listed below:"
	for f in "${failed[@]}"; do echo "[  FAILED  ] $f"; done
	exit 1
fi
exit 0
