#!/usr/bin/env bash
# tests/suites/kvmtool.sh - kvmtool with kvmprof's patches booting real Linux
# guests, in `make check`.
#
# integrations/kvmtool/build.sh builds a static lkvm per architecture with
# the profiles of tests/kvmtool/profiles/ linked in. This machine's PVM
# /dev/kvm cannot boot stock guest kernels, so lkvm runs nested: inside a
# Debian 6.12 kernel booted under QEMU TCG that serves /dev/kvm (kvm_amd
# under qemu-system-x86_64 -cpu max, tests/qemu/boot-x86.sh; KVM/arm64 under
# qemu-system-aarch64 with EL2, tests/qemu/boot-arm64.sh). There
# tests/kvmtool/runner.c runs lkvm three times, each booting a Debian 6.12
# kernel (x86: the generic amd64 flavour, whose MPPARSE lets a kvmtool
# guest see both vCPUs) with 2 vCPUs and tests/kvmtool/probe.c as /init,
# which prints what the guest sees (/proc/cpuinfo, raw CPUID per vCPU, arm64
# ID registers through MRS):
#   hide              --profile kvmtool-ARCH-hide, strict: boots; the
#                     features it hides are gone from the guest; kvmtool's
#                     own per-vCPU values survive (x86: APIC ids 0 and 1 in
#                     CPUID.1.EBX[31:24], the hypervisor bit)
#   strict            --profile kvmtool-ARCH-unsupported: lkvm stops before
#                     any KVM_RUN (the guest kernel prints nothing) naming
#                     the entry
#   lenient           the same with --profile-lenient: boots, the entry is
#                     reported unsupported, and the guest has the features
#                     the hiding profile removes (so their absence above is
#                     the profile's doing). On x86 that profile is the real
#                     capture of this very kernel and CPU
#                     (linux-6.12-x86_64-kvm-amd-tcg) plus AVX512F, and the
#                     vCPUs must keep kvmtool's APIC ids and its hypervisor
#                     bit under it (a capture states every field of CPUID.1
#                     but the VMM's: the per-vCPU ids and HYPERVISOR, which
#                     the register database marks vmm-owned, as 6.12's
#                     supported table has it 0 and every VMM sets it)
#   unknown           --profile no-such-profile: refused, the linked-in
#                     profiles listed
# and the patches must add fewer than 100 lines to kvmtool.
#
# kvmtool's source is third-party: KVMTOOL_SRC (a checkout or a tarball),
# by default ../shared/kvmtool/kvmtool-b48735e.tar.gz beside this tree when
# present. Without it, or without the packages (scripts/deps.sh x86-tcg,
# arm64) as non-root, the suite (or that architecture) is a visible SKIP.
# Builds are cached in build-kvmtool/ (a rerun only relinks what changed).
# Environment: KVMTOOL_SRC, KVMPROF_KVMTOOL_ARCHES="x86_64 arm64",
#              KVMPROF_KVMTOOL_TIMEOUT=300 (s per outer boot).
set -u
cd "$(dirname "$0")/../.."
arches=${KVMPROF_KVMTOOL_ARCHES:-x86_64 arm64}
timeout_s=${KVMPROF_KVMTOOL_TIMEOUT:-300}
out=build-kvmtool/suite
. tests/suites/lib/report.bash
suite_init kvmtool "kvmtool suite"

src=${KVMTOOL_SRC:-}
if [ -z "$src" ]; then
	for d in .. ../..; do
		f=$d/shared/kvmtool/kvmtool-b48735e.tar.gz
		if [ -f "$f" ]; then src=$(cd "$(dirname "$f")" && pwd)/$(basename "$f"); break; fi
	done
fi
[ -n "$src" ] || suite_skip "kvmtool's source is absent: set KVMTOOL_SRC to a kvmtool checkout or tarball (the patches are made against b48735e)"
for api in kvmprof_x86_cpuid_merge kvmprof_arm64_vcpu_init_merge kvmprof_verify_vcpu kvmprof_index_find; do
	grep -q "^[a-z].*[ *]$api(" runtime/kvmprof.h ||
		suite_skip "runtime/kvmprof.h has no $api yet (the VMM-owned API of issue 10, which the patches call)"
done
suite_lock "$out"
rm -rf "$out/index-probe" && mkdir -p "$out/index-probe"
if ! "${BUILD:-build}/kvmprof" compile tests/kvmtool/profiles/kvmtool-x86_64-hide.yaml -d "$out/index-probe" >/dev/null 2>&1 ||
	[ ! -f "$out/index-probe/kvmprof_index.c" ]; then
	suite_skip "${BUILD:-build}/kvmprof compile -d writes no kvmprof_index.c yet (issue 10 item 1), and lkvm --profile NAME looks profiles up in it"
fi
echo "[==========] Running lkvm --profile nested in QEMU-booted KVM (kvmtool from $src)."

# ---- the patch stays small --------------------------------------------------
echo "[ RUN      ] kvmtool_patch_under_100_lines"
count=$(integrations/kvmtool/build.sh --count)
echo "$count"
lines=$(printf '%s\n' "$count" | sed -n 's/^build: the patches add \([0-9]*\) lines.*/\1/p')
if [ -n "$lines" ] && [ "$lines" -lt 100 ]; then report_pass kvmtool_patch_under_100_lines
else report_fail kvmtool_patch_under_100_lines "the patches add ${lines:-?} lines (aim: under 100)"; fi

# ---- helpers -------------------------------------------------------------------
# section NAME FILE: what the runner printed for command NAME, its exit line included.
# Carriage returns go: the inner serial line's and the outer one's add up.
section() { tr -d '\r' <"$2" | awk -v n="$1" '$0 == "run: " n { on = 1 } on { print } on && index($0, "run: " n " exit ") == 1 { exit }'; }
exit_of() { printf '%s\n' "$1" | sed -n 's/^run: .* exit \([0-9]*\) seconds .*/\1/p' | tail -n1; }
# check NAME CONDITION-TEXT COMMAND...: a test that passes when COMMAND does.
check() {
	local name=$1 why=$2
	shift 2
	echo "[ RUN      ] $name"
	if "$@"; then report_pass "$name"; else report_fail "$name" "$why"; fi
}
has_line() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
# cpuinfo_has TEXT WORD: the guest's feature list (flags / Features) has WORD.
cpuinfo_has() { printf '%s\n' "$1" | grep -E '^probe: cpuinfo-' | grep -Eq -- " $2( |\$)"; }
none_of() { # TEXT WORD...: the guest lists none of the words
	local t=$1 w
	shift
	for w in "$@"; do cpuinfo_has "$t" "$w" && { echo "    the guest still lists $w"; return 1; }; done
	return 0
}
all_of() {
	local t=$1 w
	shift
	for w in "$@"; do cpuinfo_has "$t" "$w" || { echo "    the guest does not list $w"; return 1; }; done
	return 0
}
# reg TEXT CPU LEAF REG: the guest's raw CPUID (x86) or ID register (arm64) value.
cpuid_of() { printf '%s\n' "$1" | sed -n "s/^probe: cpuid cpu=$2 leaf=$3 .*$4=\(0x[0-9a-f]*\).*/\1/p" | head -n1; }
idreg_of() { printf '%s\n' "$1" | sed -n "s/^probe: idreg cpu=$2 $3=\(0x[0-9a-f]*\)/\1/p" | head -n1; }
bits_all_cpus() { # clear|set TEXT FN LEAF REG MASK: on both vCPUs every bit of MASK is clear (set)
	local v cpu want
	for cpu in 0 1; do
		v=$("$3" "$2" $cpu "$4" "$5")
		[ -n "$v" ] || { echo "    no value for cpu $cpu $4 $5"; return 1; }
		want=0
		[ "$1" = clear ] || want=$(($6))
		[ $((v & $6)) -eq $want ] || { echo "    cpu $cpu $4 $5 = $v: not all bits of $6 $1"; return 1; }
	done
}
hypervisor_bit_set() { # TEXT: CPUID.1.ECX[31] on both vCPUs, and Linux saw it
	local v0 v1
	v0=$(cpuid_of "$1" 0 0x1.0x0 ecx)
	v1=$(cpuid_of "$1" 1 0x1.0x0 ecx)
	[ -n "$v0" ] && [ -n "$v1" ] && [ $((v0 >> 31)) -eq 1 ] && [ $((v1 >> 31)) -eq 1 ] && cpuinfo_has "$1" hypervisor
}
booted() { has_line "$1" '^probe: end$' && [ "$(exit_of "$1")" = 0 ] && has_line "$1" '^probe: cpus 2$'; }
never_ran() { ! has_line "$1" 'Linux version|Booting Linux|^probe: '; }

# inner_cmds ARCH FILE: the runner's commands (see tests/kvmtool/runner.c).
inner_cmds() {
	local arch=$1 console
	# quiet: every character crosses two emulated UARTs, nested under TCG
	# (x86: 27 s a boot with loglevel=4, 16 s quiet).
	console="console=ttyS0 quiet"
	{
		for run in hide strict lenient unknown; do
			case $run in
			hide) prof=(--profile "kvmtool-$arch-hide") ;;
			strict) prof=(--profile "kvmtool-$arch-unsupported") ;;
			lenient) prof=(--profile "kvmtool-$arch-unsupported" --profile-lenient) ;;
			unknown) prof=(--profile no-such-profile) ;;
			esac
			printf '%s\n' "$run" 120 /kvmtool/lkvm run -k /kvmtool/vmlinuz -i /kvmtool/initrd.gz \
				-c 2 -m 192 --console serial -p "$console" "${prof[@]}" ""
		done
	} >"$2"
}

static_cc() { # ARCH: the compiler that builds the static runner and probe
	if [ "$1" = arm64 ]; then echo aarch64-linux-gnu-gcc; else echo gcc; fi
}

run_arch() {
	local arch=$1 group qemu dir lkvm guest_kernel outer_kernel t
	case $arch in
	x86_64) group=x86-tcg qemu=qemu-system-x86_64 ;;
	arm64) group=arm64 qemu=qemu-system-aarch64 ;;
	esac
	if ! scripts/deps.sh --check --quiet "$group" >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ] || ! scripts/deps.sh "$group" >&2; then
			report_skip "kvmtool_$arch" "kvmtool $arch: packages missing (scripts/deps.sh $group installs them as root)"
			return
		fi
	fi
	command -v $qemu >/dev/null || { report_skip "kvmtool_$arch" "kvmtool $arch: $qemu missing"; return; }
	dir=$out/$arch
	mkdir -p "$dir"

	echo "[ RUN      ] kvmtool_${arch}_build"
	t=$(date +%s.%N)
	if ! lkvm=$(KVMTOOL_SRC="$src" integrations/kvmtool/build.sh --arch "$arch" --static --out "build-kvmtool/$arch" \
		tests/kvmtool/profiles/kvmtool-"$arch"-*.yaml 2>"$dir/build.err"); then
		sed 's/^/  | /' "$dir/build.err"
		report_fail "kvmtool_${arch}_build" "integrations/kvmtool/build.sh --arch $arch failed"
		return
	fi
	local cc
	cc=$(static_cc "$arch")
	for prog in probe runner; do
		if [ ! -x "$dir/$prog" ] || [ "tests/kvmtool/$prog.c" -nt "$dir/$prog" ]; then
			"$cc" -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
				-O2 -static -o "$dir/$prog" "tests/kvmtool/$prog.c" 2>>"$dir/build.err" ||
				{ sed 's/^/  | /' "$dir/build.err"; report_fail "kvmtool_${arch}_build" "$cc tests/kvmtool/$prog.c"; return; }
		fi
	done
	awk -v a="$t" -v b="$(date +%s.%N)" -v n="$arch" 'BEGIN { printf "kvmtool: %s build took %.1f s\n", n, b - a }'
	report_pass "kvmtool_${arch}_build"

	# The guest kernel lkvm boots, and the kernel QEMU boots around it.
	if [ "$arch" = x86_64 ]; then
		guest_kernel=$(tests/qemu/get-kernel.sh --flavour amd64 amd64 6.12 2>"$dir/get-kernel.log") &&
			outer_kernel=$(tests/qemu/get-kernel.sh --modules --flavour cloud-amd64 amd64 6.12 2>>"$dir/get-kernel.log")
	else
		guest_kernel=$(tests/qemu/get-kernel.sh arm64 6.12 2>"$dir/get-kernel.log") && outer_kernel=$guest_kernel
	fi || {
		sed 's/^/  | /' "$dir/get-kernel.log"
		report_skip "kvmtool_$arch" "kvmtool $arch: no Debian 6.12 kernel (tests/qemu/get-kernel.sh failed)"
		return
	}
	grep '^get-kernel: ' "$dir/get-kernel.log"
	tests/qemu/mkinitramfs.sh "$dir/guest-initrd.gz" --init "$dir/probe" || { report_fail "kvmtool_${arch}_build" "mkinitramfs"; return; }
	inner_cmds "$arch" "$dir/cmds"
	local files=(--file "$lkvm:/kvmtool/lkvm" --file "$guest_kernel:/kvmtool/vmlinuz"
		--file "$dir/guest-initrd.gz:/kvmtool/initrd.gz" --file "$dir/cmds:/kvmtool/cmds")
	echo "kvmtool: booting linux 6.12 under $qemu; inside it lkvm runs $(grep -c '^/kvmtool/lkvm$' "$dir/cmds") times (two must refuse to start, the others boot linux 6.12)"
	if [ "$arch" = x86_64 ]; then
		nice -n 10 tests/qemu/boot-x86.sh --kernel "$outer_kernel" --run "$dir/runner" "${files[@]}" \
			--mem 768 --timeout "$timeout_s" --log "$dir/serial.log" >"$dir/run.txt" 2>"$dir/boot.err"
	else
		nice -n 10 tests/qemu/boot-arm64.sh --kernel "$outer_kernel" --init "$dir/runner" "${files[@]}" \
			--mem 768 --timeout "$timeout_s" --log "$dir/serial.log" >"$dir/run.txt" 2>"$dir/boot.err"
	fi
	local boot_rc=$?
	grep -E '^(boot-x86|boot-arm64): result=' "$dir/boot.err"
	if [ $boot_rc -ne 0 ]; then
		sed 's/^/  | /' "$dir/boot.err" | tail -n 30
		report_fail "kvmtool_${arch}_boot" "the outer boot gave no result (exit $boot_rc; log: $dir/serial.log)"
		return
	fi
	grep -E '^run: .* exit ' "$dir/run.txt" | grep -v '^run: runner exit' | sed 's/^/  /'

	local hide strict lenient unknown
	hide=$(section hide "$dir/run.txt")
	strict=$(section strict "$dir/run.txt")
	lenient=$(section lenient "$dir/run.txt")
	unknown=$(section unknown "$dir/run.txt")
	printf '%s\n' "$hide" | grep -E 'kvmprof: |^probe: cpuinfo' | sed 's/^/  hide | /'
	printf '%s\n' "$strict" | grep -E 'kvmprof|Fatal|Error' | sed 's/^/  strict | /'

	check "kvmtool_${arch}_hide_boots_strict" "lkvm --profile kvmtool-$arch-hide did not boot the guest to its end" \
		booted "$hide"
	check "kvmtool_${arch}_hide_reports_profile" "lkvm printed no 'kvmprof: profile kvmtool-$arch-hide' line" \
		has_line "$hide" "kvmprof: profile kvmtool-$arch-hide \\(fnv1a64:"
	check "kvmtool_${arch}_strict_stops_before_kvm_run" \
		"strict: lkvm must fail naming the entry before the guest runs" \
		eval '[ "$(exit_of "$strict")" != 0 ] && never_ran "$strict" && has_line "$strict" "stopping before KVM_RUN"'
	check "kvmtool_${arch}_lenient_boots" "--profile-lenient did not boot the guest" booted "$lenient"
	check "kvmtool_${arch}_unknown_profile_refused" "--profile no-such-profile: no refusal listing the profiles" \
		eval '[ "$(exit_of "$unknown")" != 0 ] && never_ran "$unknown" && has_line "$unknown" "linked in: kvmtool-$arch-hide" && has_line "$unknown" "no profile named no-such-profile"'

	if [ "$arch" = x86_64 ]; then
		check "kvmtool_x86_64_strict_names_entry" "the refusal does not name CPUID.0x7.0x0.EBX" \
			has_line "$strict" 'unsupported: CPUID\.0x7\.0x0\.EBX'
		# AVX2 and BMI2: CPUID.7.0.EBX bits 5 and 8; MOVBE and RDRAND: CPUID.1.ECX bits 22 and 30.
		check "kvmtool_x86_64_hidden_features_gone" "/proc/cpuinfo still lists a hidden feature" \
			none_of "$hide" bmi2 rdrand movbe
		check "kvmtool_x86_64_hidden_cpuid_bits_clear" "a vCPU's raw CPUID still has a hidden bit" \
			eval 'bits_all_cpus clear "$hide" cpuid_of 0x7.0x0 ebx 0x120 && bits_all_cpus clear "$hide" cpuid_of 0x1.0x0 ecx 0x40400000'
		check "kvmtool_x86_64_baseline_has_them" "without the hiding profile the guest lacks bmi2, rdrand or movbe, or AVX2 in CPUID" \
			eval 'all_of "$lenient" bmi2 rdrand movbe && bits_all_cpus set "$lenient" cpuid_of 0x7.0x0 ebx 0x120 && bits_all_cpus set "$lenient" cpuid_of 0x1.0x0 ecx 0x40400000'
		check "kvmtool_x86_64_apic_ids_kept" "the vCPUs' initial APIC ids are not kvmtool's 0 and 1" \
			eval 'has_line "$hide" "^probe: apicid cpu=0 initial=0$" && has_line "$hide" "^probe: apicid cpu=1 initial=1$"'
		check "kvmtool_x86_64_hypervisor_bit_kept" "CPUID.1.ECX[31] (kvmtool's hypervisor bit) is clear on a vCPU" \
			hypervisor_bit_set "$hide"
		check "kvmtool_x86_64_lenient_reports_entry" "--profile-lenient did not report CPUID.0x7.0x0.EBX unsupported" \
			has_line "$lenient" 'unsupported: CPUID\.0x7\.0x0\.EBX'
		check "kvmtool_x86_64_capture_keeps_apic_ids" "under the real capture the vCPUs' initial APIC ids are not kvmtool's 0 and 1" \
			eval 'has_line "$lenient" "^probe: apicid cpu=0 initial=0$" && has_line "$lenient" "^probe: apicid cpu=1 initial=1$"'
		check "kvmtool_x86_64_capture_keeps_hypervisor_bit" "under the real capture CPUID.1.ECX[31] (kvmtool's hypervisor bit) is clear on a vCPU, or Linux does not list hypervisor" \
			hypervisor_bit_set "$lenient"
	else
		check "kvmtool_arm64_strict_names_entry" "the refusal does not name MIDR_EL1" \
			has_line "$strict" 'unsupported: MIDR_EL1'
		check "kvmtool_arm64_lenient_reports_entry" "--profile-lenient did not report MIDR_EL1 unsupported" \
			has_line "$lenient" 'unsupported: MIDR_EL1'
		check "kvmtool_arm64_hidden_features_gone" "/proc/cpuinfo still lists a hidden feature" \
			none_of "$hide" sha3 sm3 sm4 rng
		# ID_AA64ISAR0_EL1: SHA3 [35:32], SM3 [39:36], SM4 [43:40], RNDR [63:60].
		check "kvmtool_arm64_hidden_id_fields_zero" "a vCPU's ID_AA64ISAR0_EL1 still has SHA3, SM3, SM4 or RNDR" \
			bits_all_cpus clear "$hide" idreg_of ID_AA64ISAR0_EL1 "" 0xf0000fff00000000
		check "kvmtool_arm64_baseline_has_them" "without the hiding profile the guest lacks sha3, sm3, sm4 or rng" \
			eval 'all_of "$lenient" sha3 sm3 sm4 rng && [ $(( $(idreg_of "$lenient" 0 ID_AA64ISAR0_EL1) & 0xf0000fff00000000 )) -ne 0 ]'
		check "kvmtool_arm64_vgic_iidr_applied" "no 'kvmprof: vgic' result for GICD_IIDR that was applied or already equal" \
			has_line "$hide" 'kvmprof: vgic 0: (applied|already-equal): GICD_IIDR'
	fi
}

for arch in $arches; do
	t0=$(date +%s.%N)
	run_arch "$arch"
	awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$arch" 'BEGIN { printf "kvmtool: %s took %.1f s\n", n, b - a }'
done
report_finish
