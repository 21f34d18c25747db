#!/usr/bin/env bash
# scripts/gen-captures.sh [BUILD] - `make captures`: regenerates the captured
# profiles of profiles/ by running `kvmprof capture` inside real kernels, one
# per series pinned in tests/qemu/kernels.pin (6.1 ... 7.3):
#
#   linux-<series>-arm64-<cpu>          KVM/arm64 of the pinned Debian arm64
#                                       kernel under qemu-system-aarch64 TCG
#                                       (EL2), -cpu neoverse-n1 and cortex-a72
#                                       (tests/arm64/capture_init.c as /init)
#   linux-<series>-x86_64-kvm-amd-tcg   upstream kvm_amd of the pinned Debian
#                                       cloud-amd64 kernel under
#                                       qemu-system-x86_64 TCG -cpu max (SVM)
#                                       (capture_init.c built as a program)
#   linux-<major.minor>-x86_64-pvm-host this machine's own /dev/kvm (PVM), by
#                                       BUILD/kvmprof capture directly
#   tests/corpus/captures/vcpu-features/linux-<series>-arm64-max-vcpu-features
#                                       KVM/arm64 under -cpu max, the vCPU made
#                                       with the sve, ptrauth-address,
#                                       ptrauth-generic and has-el2 features
#                                       where the kernel offers them (the
#                                       registers they add: test_regdb checks
#                                       each has a name); not profiles/ rows
#                                       of the matrix (libkvmprof does not
#                                       finalize SVE)
#
# Each capture gets its exact provenance added (Debian kernel package and
# version, the packages the kernel came from, QEMU binary, version and CPU
# model, how it was made) and a description saying where it comes from; then
# it must compile and lint clean, or the file is not replaced. Not part of
# `make check` (the matrix, tests/suites/matrix.sh, uses the committed files).
# Boots run under `nice`, one at a time.
# Environment: CAPTURE_ARM64_CPUS="neoverse-n1 cortex-a72", CAPTURE_SERIES="6.1 ... 7.3"
#              (default: every series of tests/qemu/kernels.pin), CAPTURE_ARCHES="arm64 x86_64",
#              CAPTURE_VCPU_FEATURES="sve,ptrauth-address,ptrauth-generic,has-el2" (empty: no
#              feature captures),
#              CAPTURE_TIMEOUT=120 (s per boot), CAPTURE_SKIP_PVM=1 to leave the host out.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kvmprof=$build/kvmprof
out=build-captures
cpus=${CAPTURE_ARM64_CPUS:-neoverse-n1 cortex-a72}
pinned_series() { tests/qemu/get-kernel.sh --pinned "$1" | cut -d' ' -f1 | paste -sd' '; } # ARCH
arches=${CAPTURE_ARCHES:-arm64 x86_64}
timeout_s=${CAPTURE_TIMEOUT:-120}
vcpu_features=${CAPTURE_VCPU_FEATURES-sve,ptrauth-address,ptrauth-generic,has-el2}
[ -x "$kvmprof" ] || { echo "gen-captures: $kvmprof missing (make)" >&2; exit 1; }
mkdir -p "$out"

# finish NAME RAW_YAML DESCRIPTION KEY=VALUE...: the capture with its description
# replaced and the extra provenance keys (and made-by) added after the "tool"
# key; compiled and linted -Werror before it replaces $dest/NAME.yaml
# (dest: profiles/ unless the caller says otherwise).
dest=profiles
finish() {
	local name=$1 raw=$2 desc=$3 kv extra=""
	shift 3
	for kv in "$@" "made-by=make captures (scripts/gen-captures.sh)"; do
		extra+="  \"${kv%%=*}\": \"${kv#*=}\""$'\n'
	done
	awk -v desc="$desc" -v extra="$extra" '
		/^description: / { print "description: \"" desc "\""; next }
		{ print }
		/^  "tool": / && !done { printf "%s", extra; done = 1 }' "$raw" >"$out/$name.yaml"
	"$kvmprof" compile "$out/$name.yaml" -o "$out/$name.c"
	if "$kvmprof" lint -Werror "$out/$name.yaml" 2>&1 | grep .; then
		echo "gen-captures: $name does not lint clean; $dest/$name.yaml left as it was" >&2
		return 1
	fi
	cp "$out/$name.yaml" "$dest/$name.yaml"
	echo "gen-captures: $dest/$name.yaml ($(grep -c . "$dest/$name.yaml") lines)" >&2
}
info() { sed -n "s/^$1=//p" "$2"; } # KEY FILE: a get-kernel.sh --info value
qemu_version() { "$1" --version | sed -n '1s/^QEMU emulator version //p'; }

# get_kernel INFO_FILE GET_KERNEL_ARG...: kernel=, pkg=, ver= of the kernel
# that tests/qemu/get-kernel.sh chooses (and downloads when not cached); its
# --info lines are kept in INFO_FILE.
get_kernel() {
	local file=$1
	shift
	tests/qemu/get-kernel.sh --info "$@" >"$file"
	kernel=$(info vmlinuz "$file") pkg=$(info package "$file") ver=$(info version "$file")
	debs=$(info packages "$file") release=$(info release "$file")
	kernel_prov=("kernel-package=$pkg" "kernel-package-version=$ver" "kernel-release=$release"
		"kernel-image-sha256=$(sha256sum "$kernel" | cut -d' ' -f1)")
	[ -z "$debs" ] || kernel_prov+=("kernel-debs=$debs")
}

# boot_capture NAME BOOT OPTION...: boots $kernel with tests/qemu/BOOT.sh
# OPTION... (the capture program, the CPU), the guest told its capture's
# NAME; the YAML the guest printed between KVMPROF-CAPTURE-BEGIN and
# KVMPROF-CAPTURE-END is cut out into $out/NAME.raw.
boot_capture() {
	local name=$1 boot=$2
	shift 2
	nice -n 10 "tests/qemu/$boot.sh" --kernel "$kernel" "$@" --timeout "$timeout_s" --append "KVMPROF_CAPTURE_NAME=$name" \
		>"$out/$name.guest" 2>"$out/$name.boot"
	grep "^$boot: " "$out/$name.boot" >&2
	sed -n '/^KVMPROF-CAPTURE-BEGIN/,/^KVMPROF-CAPTURE-END/p' "$out/$name.guest" | tr -d '\r' |
		sed '1d;$d' >"$out/$name.raw"
	[ -s "$out/$name.raw" ] || { echo "gen-captures: no capture from $name" >&2; exit 1; }
}

if [[ " $arches " == *" arm64 "* ]]; then
qemu_a64=$(qemu_version qemu-system-aarch64)
tests/arm64/build-capture.sh "$out/arm64" "$build" 2>&1 | tail -n 1
for series in ${CAPTURE_SERIES:-$(pinned_series arm64)}; do
	get_kernel "$out/kernel-arm64-$series.info" arm64 "$series"
	for cpu in $cpus; do
		name=linux-$series-arm64-$cpu
		boot_capture "$name" boot-arm64 --init "$out/arm64/capture_init" --cpu "$cpu"
		finish "$name" "$out/$name.raw" \
			"What KVM/arm64 of Debian $pkg $ver presented to a fresh VM, captured by kvmprof capture (tests/arm64/capture_init.c as /init) in a qemu-system-aarch64 $qemu_a64 TCG guest, -M virt,virtualization=on,gic-version=3 -cpu $cpu; make captures regenerates it." \
			"${kernel_prov[@]}" "qemu=qemu-system-aarch64 $qemu_a64" \
			"qemu-machine=virt,virtualization=on,gic-version=3" "qemu-cpu=$cpu"
	done
	# The registers of optional vCPU features: -cpu max has SVE and pointer
	# authentication; has-el2 needs KVM_CAP_ARM_EL2 (FEAT_NV2 in the CPU model
	# and kvm-arm.mode=nested), else the capture names it not offered.
	if [ -n "$vcpu_features" ]; then
		name=linux-$series-arm64-max-vcpu-features
		boot_capture "$name" boot-arm64 --init "$out/arm64/capture_init" --cpu max \
			--append "KVMPROF_CAPTURE_FEATURES=$vcpu_features kvm-arm.mode=nested"
		dest=tests/corpus/captures/vcpu-features
		mkdir -p "$dest"
		finish "$name" "$out/$name.raw" \
			"What KVM/arm64 of Debian $pkg $ver presented to a fresh VM whose vCPU asked for the features $vcpu_features (those offered are the vcpu features below), captured by kvmprof capture (tests/arm64/capture_init.c as /init, KVMPROF_CAPTURE_FEATURES) in a qemu-system-aarch64 $qemu_a64 TCG guest, -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on, kernel command line kvm-arm.mode=nested; make captures regenerates it." \
			"${kernel_prov[@]}" "qemu=qemu-system-aarch64 $qemu_a64" \
			"qemu-machine=virt,virtualization=on,gic-version=3" "qemu-cpu=max,pauth-impdef=on" \
			"kernel-cmdline=kvm-arm.mode=nested" "vcpu-features-requested=$vcpu_features"
		dest=profiles
	fi
done
fi

if [[ " $arches " == *" x86_64 "* ]]; then
qemu_x86=$(qemu_version qemu-system-x86_64)
gcc -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	-Wno-sign-compare -Wno-unused-function -O2 -static -DCAPTURE_AS_PROGRAM -Iruntime -Iregdb -Imodel -Iformats -Iops -Icli \
	-Itests/arm64 -I"$build" -o "$out/capture_run" tests/arm64/capture_init.c ops/capture.c formats/host_out.c \
	formats/yaml_out.c regdb/regdb.c model/profile.c model/expr.c "$build/regdb_data.c" \
	"$build/expr-parser.c" "$build/expr-lexer.c"
for series in ${CAPTURE_SERIES:-$(pinned_series amd64)}; do
	get_kernel "$out/kernel-amd64-$series.info" --modules --flavour cloud-amd64 amd64 "$series"
	name=linux-$series-x86_64-kvm-amd-tcg
	boot_capture "$name" boot-x86 --run "$out/capture_run" --cpu max
	finish "$name" "$out/$name.raw" \
		"What upstream kvm_amd of Debian $pkg $ver presented to a fresh VM, captured by kvmprof capture (tests/arm64/capture_init.c built as a program, run by tests/qemu/boot-x86.sh) in a qemu-system-x86_64 $qemu_x86 TCG guest, -cpu max (AMD SVM); make captures regenerates it." \
		"${kernel_prov[@]}" "kernel-modules=irqbypass kvm kvm-amd (npt=Y nested=1 defaults)" \
		"qemu=qemu-system-x86_64 $qemu_x86" "qemu-cpu=max"
done
fi

if [ -z "${CAPTURE_SKIP_PVM:-}" ]; then
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		release=$(uname -r)
		series=$(echo "$release" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
		name=linux-$series-x86_64-pvm-host
		mkdir -p "$out/host"
		"$kvmprof" capture -o "$out/host/$name.yaml"
		mv "$out/host/$name.yaml" "$out/$name.raw"
		finish "$name" "$out/$name.raw" \
			"What this build machine's own /dev/kvm (PVM, Linux $release, $(uname -v | tr -d '"')) presented to a fresh VM, captured by kvmprof capture run directly on the host; make captures regenerates it. PVM rewrites CPUID on the way to the guest (see docs/compatibility.md)." \
			"kernel-release=$release" "kernel-version=$(uname -v | tr -d '"')" "qemu=none (the host's /dev/kvm)"
	else
		echo "gen-captures: SKIP the host capture: /dev/kvm is not usable here" >&2
	fi
fi
