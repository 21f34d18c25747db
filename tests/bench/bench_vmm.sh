#!/usr/bin/env bash
# tests/bench/bench_vmm.sh BUILD - `make bench`: whole VMs of 1, 8 and 64
# vCPUs (8 threads) given a real captured profile three ways, in one run
# (tests/bench/bench_vmm.c): kvmprof's verified VMM-owned apply, a naive
# VMM's unverified loop, and QEMU 7.2's per-vCPU sequence; on x86 also
# kvmprof's ioctls replayed with nothing judged (the kernel's share).
#
# x86_64, timed on this host's /dev/kvm: the profile is a capture of this
# host made now (BUILD/kvmprof capture), so that it is this machine's and
# real; when capture fails, profiles/linux-6.18-x86_64-pvm-host.yaml. When
# a strict apply fails on this host (PVM rewrites CPUID on the way to the
# guest, docs/compatibility.md), bench_vmm says so and measures lenient:
# every entry is still applied and judged, the same work.
# arm64, counted (QEMU TCG gives no meaningful time): bench_vmm --count runs
# inside Debian 6.12 booted under qemu-system-aarch64 -cpu neoverse-n1 with
# profiles/linux-6.12-arm64-neoverse-n1.yaml, the capture of that kernel on
# that CPU, and prints the ioctls of each method and the ID-register writes
# on vCPUs after the first.
#
# Environment: KVMPROF_BENCH_VMM_ARCHES="x86_64 arm64", KVMPROF_BENCH_VMM_REPS
# (VMs per size and method; default 300 / 100 / 20 for 1 / 8 / 64 vCPUs).
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
out=$build/bench/vmm
arches=${KVMPROF_BENCH_VMM_ARCHES:-x86_64 arm64}
reps=()
[ -z "${KVMPROF_BENCH_VMM_REPS:-}" ] || reps=(--reps "$KVMPROF_BENCH_VMM_REPS")
mkdir -p "$out"
flags=(-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Iruntime)

echo "bench_vmm: a real captured profile on whole VMs (tests/bench/bench_vmm.c)"
for arch in $arches; do
	case $arch in
	x86_64)
		if [ "$(uname -m)" != x86_64 ] || [ ! -w /dev/kvm ]; then
			echo "SKIP: bench_vmm x86_64: needs an x86_64 host with /dev/kvm"
			continue
		fi
		profile=$out/this-host.yaml
		if "$build/kvmprof" capture -o "$profile" 2>"$out/capture.err"; then
			echo "  profile: this host's capture, made now ($(uname -r))"
		else
			sed 's/^/  | /' "$out/capture.err"
			profile=profiles/linux-6.18-x86_64-pvm-host.yaml
			echo "  profile: $profile (capture failed)"
		fi
		"$build/kvmprof" compile "$profile" -o "$out/profile-x86_64.c" --symbol bench_profile ||
			{ echo "bench_vmm: kvmprof compile $profile failed"; continue; }
		${CC:-cc} "${flags[@]}" -o "$out/bench_vmm" tests/bench/bench_vmm.c "$out/profile-x86_64.c" \
			"$build/libkvmprof.a" -lpthread -Wl,--wrap=ioctl || { echo "bench_vmm: build failed"; continue; }
		"$out/bench_vmm" --ioctls "${reps[@]+"${reps[@]}"}"
		;;
	arm64)
		cc=${CROSS:-aarch64-linux-gnu-}gcc
		if ! command -v "$cc" >/dev/null || ! command -v qemu-system-aarch64 >/dev/null; then
			echo "SKIP: bench_vmm arm64: needs $cc and qemu-system-aarch64 (scripts/deps.sh arm64)"
			continue
		fi
		if ! kernel=$(tests/qemu/get-kernel.sh arm64 6.12 2>"$out/get-kernel.log"); then
			echo "SKIP: bench_vmm arm64: no Debian arm64 6.12 kernel (tests/qemu/get-kernel.sh failed)"
			continue
		fi
		. tests/arm64/lib/cross.bash
		profile=profiles/linux-6.12-arm64-neoverse-n1.yaml
		"$build/kvmprof" compile "$profile" -o "$out/profile-arm64.c" --symbol bench_profile &&
			make --no-print-directory "BUILD=$out/arm64-build" "CC=$cc" "AR=${cc%gcc}ar" \
				"$out/arm64-build/libkvmprof.a" >"$out/arm64-build.log" 2>&1 &&
			"$cc" "${CFLAGS[@]}" -Iruntime -static -o "$out/bench_vmm-arm64" tests/bench/bench_vmm.c \
				"$out/profile-arm64.c" "$out/arm64-build/libkvmprof.a" -lpthread -Wl,--wrap=ioctl &&
			"$cc" "${CFLAGS[@]}" -static -o "$out/runner-arm64" tests/kvmtool/runner.c ||
			{ echo "bench_vmm arm64: build failed (see $out/arm64-build.log)"; continue; }
		printf '%s\n' bench 600 /kvmtool/bench_vmm --count --ioctls >"$out/cmds"
		echo "  profile: $profile, counted under qemu-system-aarch64 -cpu neoverse-n1 (TCG: no timing)"
		tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/runner-arm64" --cpu neoverse-n1 --mem 1024 \
			--file "$out/bench_vmm-arm64:/kvmtool/bench_vmm" --file "$out/cmds:/kvmtool/cmds" --timeout 900 \
			--log "$out/serial-arm64.log" 2>"$out/boot-arm64.err" |
			grep -E '^(bench_vmm|  )' | sed 's/^/  /'
		grep '^boot-arm64: result=' "$out/boot-arm64.err" | sed 's/^/  /'
		;;
	esac
done
