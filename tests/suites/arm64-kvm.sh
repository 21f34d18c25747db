#!/usr/bin/env bash
# tests/suites/arm64-kvm.sh - the real-KVM/arm64 suite of `make check`.
#
# Cross-builds libkvmprof and tests/arm64/test_arm64_kvm.c for aarch64
# (tests/arm64/build.sh, into build-arm64/), then boots each Debian arm64
# kernel series (newest of 6.12 and 6.1, tests/qemu/get-kernel.sh) under
# qemu-system-aarch64 TCG with EL2 and -cpu max (tests/qemu/boot-arm64.sh),
# with the test as /init, and prints the guest's cmocka output for
# tests/run-tests.sh to tally. A boot that ends without the guest's end
# marker counts as one failed test. Missing packages as non-root, or kernels
# that cannot be downloaded, make the suite one skipped test, never a pass.
#
# Environment: KVMPROF_ARM64_SERIES="6.12 6.1" (series to boot),
#              KVMPROF_ARM64_CPU=max, KVMPROF_ARM64_TIMEOUT=120 (s per boot).
set -u
cd "$(dirname "$0")/../.."
series_list=${KVMPROF_ARM64_SERIES:-6.12 6.1}
cpu=${KVMPROF_ARM64_CPU:-max}
timeout_s=${KVMPROF_ARM64_TIMEOUT:-120}
out=build-arm64

skip() { # $1 reason
	echo "SKIP: arm64 real-KVM suite: $1"
	echo "[==========] 1 test(s) run."
	echo "[  SKIPPED ] 1 test(s), listed below:"
	echo "[  SKIPPED ] arm64-kvm"
	exit 0
}
fail_one() { # $1 test name, $2 reason
	echo "[ RUN      ] $1"
	echo "[  ERROR   ] --- $2"
	echo "[  FAILED  ] $1"
	echo "[==========] 1 test(s) run."
	echo "[  PASSED  ] 0 test(s)."
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] $1"
}

t_start=$(date +%s.%N)
if ! deps_out=$(scripts/deps.sh --check --quiet arm64); then
	if [ "$(id -u)" -ne 0 ]; then
		missing=$(printf '%s\n' "$deps_out" | sed -n 's/^deps: missing: //p')
		how=$(printf '%s\n' "$deps_out" | sed -n 's/^deps: as root: //p' | paste -sd'&' | sed 's/&/ \&\& /g')
		skip "packages missing: ${missing:-none, the arm64 architecture is not added} (install with: $how)"
	fi
	scripts/deps.sh arm64 >&2 || skip "scripts/deps.sh arm64 could not install the packages"
fi

# Several `make check` runs may share this tree: one suite at a time.
mkdir -p "$out"
exec 8>"$out/.suite.lock"
flock 8

if ! tests/arm64/build.sh "$out" 2>"$out/build.log"; then
	cat "$out/build.log"
	if grep -q 'apt-get download' "$out/build.log"; then
		rm -f "$out/build.log"
		skip "libcmocka for arm64 could not be downloaded"
	fi
	rm -f "$out/build.log"
	fail_one arm64_build "tests/arm64/build.sh failed"
	exit 1
fi
grep -v '^Get:\|^Fetched' "$out/build.log"
rm -f "$out/build.log"

libs=()
while read -r lib; do libs+=(--lib "$lib"); done <"$out/test_arm64_kvm.libs"

rc=0
for series in $series_list; do
	if ! kernel=$(tests/qemu/get-kernel.sh arm64 "$series" 2>"$out/get-kernel.log"); then
		cat "$out/get-kernel.log"
		skip "no arm64 $series kernel (tests/qemu/get-kernel.sh arm64 $series failed)"
	fi
	grep '^get-kernel: ' "$out/get-kernel.log"
	echo "arm64-kvm: booting linux $series ($kernel) with -cpu $cpu"
	tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/test_arm64_kvm" "${libs[@]}" \
		--cpu "$cpu" --timeout "$timeout_s" --log "$out/serial-$series.log" \
		--append "KVMPROF_EXPECT_SERIES=$series" 2>"$out/boot-$series.err"
	boot_rc=$?
	cat "$out/boot-$series.err"
	case $boot_rc in
	0) ;;
	[1-9] | [1-9][0-9]) rc=1 ;; # the guest's cmocka output above says what failed
	*)
		rc=1
		fail_one "boot_linux_$series" "no result from the guest (boot-arm64.sh exit $boot_rc; log: $out/serial-$series.log)"
		;;
	esac
done
awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "arm64-kvm: suite took %.1f s\n", b - a }'
exit $rc
