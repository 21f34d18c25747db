#!/usr/bin/env bash
# tests/suites/arm64-kvm.sh - the real-KVM/arm64 suite of `make check`.
#
# Cross-builds libkvmprof and tests/arm64/test_arm64_kvm.c for aarch64
# (tests/arm64/build.sh, into build-arm64/), then boots each Debian arm64
# kernel series (newest of 6.12 and 6.1, tests/qemu/get-kernel.sh) under
# qemu-system-aarch64 TCG with EL2 and -cpu max (tests/qemu/boot-arm64.sh),
# with the test as /init (and an aarch64 build of kvmprof, tests/arm64/
# build-kvmprof.sh, with x86 offline-check cases whose output must equal
# this build's), and prints the guest's cmocka output for
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

. tests/suites/lib/report.bash
suite_init arm64-kvm "arm64 real-KVM suite"

suite_deps arm64 qemu-system-aarch64
suite_lock "$out"

if ! tests/arm64/build.sh "$out" 2>"$out/build.log"; then
	cat "$out/build.log"
	if grep -q 'apt-get download' "$out/build.log"; then
		rm -f "$out/build.log"
		suite_skip "libcmocka for arm64 could not be downloaded"
	fi
	rm -f "$out/build.log"
	suite_fail_alone arm64_build "tests/arm64/build.sh failed"
	exit 1
fi
grep -v '^Get:\|^Fetched' "$out/build.log"
rm -f "$out/build.log"

libs=()
while read -r lib; do libs+=(--lib "$lib"); done <"$out/test_arm64_kvm.libs"

# One build, both architectures (issue 10): an aarch64 build of kvmprof
# checks x86 profiles against x86 captures inside the guest and must print
# what this (x86_64) build prints. The cases' files go under /check.
offline=$out/offline
rm -rf "$offline" && mkdir -p "$offline"
files=()
if tests/arm64/build-kvmprof.sh "$out" "${BUILD:-build}" 2>"$out/kvmprof-build.log"; then
	files+=(--file "$out/kvmprof:/kvmprof")
	n=0
	while read -r -a args; do
		n=$((n + 1))
		"${BUILD:-build}/kvmprof" "${args[@]}" >"$offline/case$n.expected" 2>/dev/null
		echo $? >"$offline/case$n.rc"
		printf '%s\n' "${args[@]}" >"$offline/case$n.args"
		for a in "${args[@]}"; do
			case $a in *.yaml) files+=(--file "$a:/check/$a") ;; esac
		done
		for f in expected rc args; do files+=(--file "$offline/case$n.$f:/check/case$n.$f"); done
	done <<-'CASES'
		check profiles/linux-6.12-x86_64-kvm-amd-tcg.yaml --against tests/corpus/captures/kvm-amd-6.1-capture.yaml
		check profiles/linux-6.18-x86_64-pvm.yaml --against tests/corpus/captures/kvm-amd-6.12-capture.yaml --format json
		check profiles/linux-6.1-x86_64-kvm-amd-tcg.yaml --against tests/corpus/captures/kvm-amd-6.12-capture.yaml --format json
	CASES
elif grep -q 'apt-get download' "$out/kvmprof-build.log"; then
	cat "$out/kvmprof-build.log"
	echo "libyaml for arm64 could not be downloaded: no aarch64 build of kvmprof" >"$offline/SKIP"
	files+=(--file "$offline/SKIP:/check/SKIP")
else
	cat "$out/kvmprof-build.log" # the guest's test then fails: no /kvmprof
fi

rc=0
for series in $series_list; do
	suite_kernel arm64 "$series"
	echo "arm64-kvm: booting linux $series ($kernel) with -cpu $cpu"
	tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/test_arm64_kvm" "${libs[@]}" "${files[@]}" \
		--cpu "$cpu" --timeout "$timeout_s" --log "$out/serial-$series.log" \
		--append "KVMPROF_EXPECT_SERIES=$series" 2>"$out/boot-$series.err"
	boot_rc=$?
	cat "$out/boot-$series.err"
	case $boot_rc in
	0) ;;
	[1-9] | [1-9][0-9]) rc=1 ;; # the guest's cmocka output above says what failed
	*)
		rc=1
		suite_fail_alone "boot_linux_$series" "no result from the guest (boot-arm64.sh exit $boot_rc; log: $out/serial-$series.log)"
		;;
	esac
done
report_took
exit $rc
