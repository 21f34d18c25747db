#!/usr/bin/env bash
# scripts/deps.sh [core|arm64|x86-tcg|clang|all]...
#
# Checks which Debian packages a group of kvmprof's build and tests needs are
# missing (dpkg-query) and installs them when run as root (one apt-get update,
# then apt-get install --no-install-recommends). Without root it prints the
# exact apt-get line and exits 1. Only Debian's own package mirror is used.
#
#   core     build the compiler, runtime and unit tests
#   arm64    cross-build and run the real-KVM/arm64 suite under QEMU TCG
#            (arm64 kernels are fetched later by tests/qemu/get-kernel.sh,
#            which needs the arm64 foreign architecture added here)
#   x86-tcg  upstream kvm_amd in a qemu-system-x86_64 TCG guest
#   clang    the clang -Werror build and the libFuzzer targets (make fuzz)
#
# Options: --check  only report, never install (exit 1 if anything is missing)
#          --quiet  print nothing when everything is present
# Exit: 0 all present (or installed), 1 missing and not installed, 2 usage.
set -u

core_pkgs=(make gcc libc6-dev pkg-config libyaml-dev flex bison libcmocka-dev)
# libcmocka-dev:arm64 is not installed: tests/qemu/cmocka-arm64.sh downloads
# it with apt-get download (needs the arm64 architecture, nothing else).
arm64_pkgs=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	linux-libc-dev-arm64-cross cpio gzip)
x86_tcg_pkgs=(qemu-system-x86 busybox-static cpio xz-utils)
# libclang-rt-dev: libFuzzer and the sanitizer runtimes for clang
clang_pkgs=(clang libclang-rt-dev)

check_only=0 quiet=0 groups=()
for arg in "$@"; do
	case "$arg" in
	--check) check_only=1 ;;
	--quiet) quiet=1 ;;
	core | arm64 | x86-tcg | clang | all) groups+=("$arg") ;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "deps.sh: unknown argument '$arg' (want core|arm64|x86-tcg|clang|all)" >&2
		exit 2
		;;
	esac
done
[ ${#groups[@]} -eq 0 ] && groups=(core)

wanted=() need_arm64_arch=0
for g in "${groups[@]}"; do
	case "$g" in
	core) wanted+=("${core_pkgs[@]}") ;;
	arm64) wanted+=("${arm64_pkgs[@]}"); need_arm64_arch=1 ;;
	x86-tcg) wanted+=("${x86_tcg_pkgs[@]}") ;;
	clang) wanted+=("${clang_pkgs[@]}") ;;
	all) wanted+=("${core_pkgs[@]}" "${arm64_pkgs[@]}" "${x86_tcg_pkgs[@]}" "${clang_pkgs[@]}"); need_arm64_arch=1 ;;
	esac
done

# Installed = dpkg-query reports "install ok installed".
missing=()
for p in $(printf '%s\n' "${wanted[@]}" | awk '!seen[$0]++'); do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
arch_missing=0
if [ $need_arm64_arch -eq 1 ] && [ "$(dpkg --print-architecture)" != arm64 ] &&
	! dpkg --print-foreign-architectures | grep -qx arm64; then
	arch_missing=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $arch_missing -eq 0 ]; then
	[ $quiet -eq 1 ] || echo "deps: ${groups[*]}: all packages present"
	exit 0
fi

install_line="apt-get install -y --no-install-recommends ${missing[*]}"
arch_line="dpkg --add-architecture arm64 && apt-get update"
if [ "$(id -u)" -ne 0 ] || [ $check_only -eq 1 ]; then
	[ ${#missing[@]} -gt 0 ] && echo "deps: missing: ${missing[*]}"
	[ $arch_missing -eq 1 ] && echo "deps: as root: $arch_line"
	[ ${#missing[@]} -gt 0 ] && echo "deps: as root: $install_line"
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
set -e
[ $arch_missing -eq 1 ] && dpkg --add-architecture arm64
echo "deps: apt-get update"
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: $install_line"
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "deps: ${groups[*]}: installed"
