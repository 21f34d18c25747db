#!/usr/bin/env bash
# scripts/gen-captures.sh [BUILD] - `make captures`: regenerates the captured
# profiles of profiles/ by running `kvmprof capture` inside real kernels:
#
#   linux-<series>-arm64-<cpu>          KVM/arm64 of Debian's newest 6.1 and 6.12
#                                       arm64 kernels under qemu-system-aarch64
#                                       TCG (EL2), -cpu neoverse-n1 and cortex-a72
#                                       (tests/arm64/capture_init.c as /init)
#   linux-<series>-x86_64-kvm-amd-tcg   upstream kvm_amd of Debian's newest 6.1
#                                       and 6.12 cloud-amd64 kernels under
#                                       qemu-system-x86_64 TCG -cpu max (SVM)
#                                       (capture_init.c built as a program)
#   linux-<major.minor>-x86_64-pvm-host this machine's own /dev/kvm (PVM), by
#                                       BUILD/kvmprof capture directly
#
# Each capture gets its exact provenance added (Debian kernel package and
# version, QEMU binary, version and CPU model, how it was made) and a
# description saying where it comes from; then it must compile and lint
# clean, or the file is not replaced. Not part of `make check` (the matrix,
# tests/suites/matrix.sh, uses the committed files).
# Environment: CAPTURE_ARM64_CPUS="neoverse-n1 cortex-a72", CAPTURE_SERIES="6.1 6.12",
#              CAPTURE_TIMEOUT=120 (s per boot), CAPTURE_SKIP_PVM=1 to leave the host out.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kvmprof=$build/kvmprof
out=build-captures
cpus=${CAPTURE_ARM64_CPUS:-neoverse-n1 cortex-a72}
series_list=${CAPTURE_SERIES:-6.1 6.12}
timeout_s=${CAPTURE_TIMEOUT:-120}
[ -x "$kvmprof" ] || { echo "gen-captures: $kvmprof missing (make)" >&2; exit 1; }
mkdir -p "$out"

# finish NAME RAW_YAML DESCRIPTION KEY=VALUE...: the capture with its description
# replaced and the extra provenance keys added after the "tool" key; compiled
# and linted -Werror before it replaces profiles/NAME.yaml.
finish() {
	local name=$1 raw=$2 desc=$3 kv extra=""
	shift 3
	for kv in "$@"; do extra+="  \"${kv%%=*}\": \"${kv#*=}\""$'\n'; done
	awk -v desc="$desc" -v extra="$extra" '
		/^description: / { print "description: \"" desc "\""; next }
		{ print }
		/^  "tool": / && !done { printf "%s", extra; done = 1 }' "$raw" >"$out/$name.yaml"
	"$kvmprof" compile "$out/$name.yaml" -o "$out/$name.c"
	if "$kvmprof" lint -Werror "$out/$name.yaml" 2>&1 | grep .; then
		echo "gen-captures: $name does not lint clean; profiles/$name.yaml left as it was" >&2
		return 1
	fi
	cp "$out/$name.yaml" "profiles/$name.yaml"
	echo "gen-captures: profiles/$name.yaml ($(grep -c . "profiles/$name.yaml") lines)" >&2
}
info() { sed -n "s/^$1=//p" "$2"; } # KEY FILE: a get-kernel.sh --info value

qemu_a64=$(qemu-system-aarch64 --version | sed -n '1s/^QEMU emulator version //p')
tests/arm64/build-capture.sh "$out/arm64" "$build" 2>&1 | tail -n 1
for series in $series_list; do
	tests/qemu/get-kernel.sh --info arm64 "$series" >"$out/kernel-arm64-$series.info"
	kernel=$(info vmlinuz "$out/kernel-arm64-$series.info")
	[ -f "$kernel" ] || kernel=$(tests/qemu/get-kernel.sh arm64 "$series")
	pkg=$(info package "$out/kernel-arm64-$series.info") ver=$(info version "$out/kernel-arm64-$series.info")
	for cpu in $cpus; do
		name=linux-$series-arm64-$cpu
		tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/arm64/capture_init" --cpu "$cpu" \
			--timeout "$timeout_s" --append "KVMPROF_CAPTURE_NAME=$name" >"$out/$name.guest" 2>"$out/$name.boot"
		grep '^boot-arm64: ' "$out/$name.boot" >&2
		sed -n '/^KVMPROF-CAPTURE-BEGIN/,/^KVMPROF-CAPTURE-END/p' "$out/$name.guest" | tr -d '\r' |
			sed '1d;$d' >"$out/$name.raw"
		[ -s "$out/$name.raw" ] || { echo "gen-captures: no capture from $name" >&2; exit 1; }
		finish "$name" "$out/$name.raw" \
			"What KVM/arm64 of Debian $pkg $ver presented to a fresh VM, captured by kvmprof capture (tests/arm64/capture_init.c as /init) in a qemu-system-aarch64 $qemu_a64 TCG guest, -M virt,virtualization=on,gic-version=3 -cpu $cpu; make captures regenerates it." \
			"kernel-package=$pkg" "kernel-package-version=$ver" "qemu=qemu-system-aarch64 $qemu_a64" \
			"qemu-machine=virt,virtualization=on,gic-version=3" "qemu-cpu=$cpu" "made-by=make captures (scripts/gen-captures.sh)"
	done
done

qemu_x86=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version //p')
gcc -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	-Wno-sign-compare -Wno-unused-function -O2 -static -DCAPTURE_AS_PROGRAM -Iruntime -Icompiler -Icli \
	-Itests/arm64 -I"$build" -o "$out/capture_run" tests/arm64/capture_init.c cli/capture.c compiler/host_out.c \
	compiler/yaml_out.c compiler/regdb.c compiler/profile.c compiler/expr.c "$build/regdb_data.c" \
	"$build/expr-parser.c" "$build/expr-lexer.c"
for series in $series_list; do
	kernel=$(tests/qemu/get-kernel.sh --modules --flavour cloud-amd64 amd64 "$series")
	tests/qemu/get-kernel.sh --info --modules --flavour cloud-amd64 amd64 "$series" >"$out/kernel-amd64-$series.info"
	pkg=$(info package "$out/kernel-amd64-$series.info") ver=$(info version "$out/kernel-amd64-$series.info")
	name=linux-$series-x86_64-kvm-amd-tcg
	tests/qemu/boot-x86.sh --kernel "$kernel" --run "$out/capture_run" --cpu max --timeout "$timeout_s" \
		--append "KVMPROF_CAPTURE_NAME=$name" >"$out/$name.guest" 2>"$out/$name.boot"
	grep '^boot-x86: ' "$out/$name.boot" >&2
	sed -n '/^KVMPROF-CAPTURE-BEGIN/,/^KVMPROF-CAPTURE-END/p' "$out/$name.guest" | tr -d '\r' |
		sed '1d;$d' >"$out/$name.raw"
	[ -s "$out/$name.raw" ] || { echo "gen-captures: no capture from $name" >&2; exit 1; }
	finish "$name" "$out/$name.raw" \
		"What upstream kvm_amd of Debian $pkg $ver presented to a fresh VM, captured by kvmprof capture (tests/arm64/capture_init.c built as a program, run by tests/qemu/boot-x86.sh) in a qemu-system-x86_64 $qemu_x86 TCG guest, -cpu max (AMD SVM); make captures regenerates it." \
		"kernel-package=$pkg" "kernel-package-version=$ver" "kernel-modules=irqbypass kvm kvm-amd (npt=Y nested=1 defaults)" \
		"qemu=qemu-system-x86_64 $qemu_x86" "qemu-cpu=max" "made-by=make captures (scripts/gen-captures.sh)"
done

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
			"kernel-release=$release" "kernel-version=$(uname -v | tr -d '"')" "qemu=none (the host's /dev/kvm)" \
			"made-by=make captures (scripts/gen-captures.sh)"
	else
		echo "gen-captures: SKIP the host capture: /dev/kvm is not usable here" >&2
	fi
fi
