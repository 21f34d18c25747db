#!/usr/bin/env bash
# tests/qemu/get-kernel.sh [options] ARCH SERIES
#
# Finds the newest Debian linux-image package of a kernel series in the apt
# lists (apt-cache), downloads it (apt-get download) into .cache/kernels/ at
# the top of the repository, extracts its boot/ folder, and prints the path of
# boot/vmlinuz-* on stdout. Cached: a package already extracted is reused, and
# when apt cannot download, the newest cached kernel of the series is used.
# x86's KVM is modular (kvm_amd): --modules also extracts the KVM modules.
#
#   ARCH     arm64 | amd64 (Debian architecture; arm64 needs
#            `dpkg --add-architecture arm64 && apt-get update`, see scripts/deps.sh)
#   SERIES   6.1        newest linux-image-6.1.0-NN-FLAVOUR
#            6.12       newest linux-image-6.12.NNN+deb12-FLAVOUR
#            6.1.0-44 | 6.12.100+deb12   that exact ABI
#            linux-image-...             that exact package
#
# Options:
#   --flavour F     image flavour (default: ARCH; e.g. cloud-arm64, arm64-16k,
#                   cloud-amd64)
#   --modules       also extract the KVM modules, and only those, into
#                   lib/modules/RELEASE/kernel/ (virt/lib/irqbypass.ko,
#                   arch/x86/kvm/kvm.ko, kvm-amd.ko, kvm-intel.ko), .ko.xz and
#                   .ko.zst decompressed (the .deb has no modules.dep; an
#                   initramfs loads them with finit_module in the order
#                   irqbypass, kvm, kvm-amd); --info then prints
#                   modules=PATH... in that load order (none on arm64, where
#                   KVM is built in)
#   --list          print every package of the series the mirror has, oldest
#                   first, as "PACKAGE VERSION", and exit
#   --info          print KEY=VALUE lines instead of the bare path:
#                   package= version= release= vmlinuz= dir= cached=0|1
#                   (and modules= with --modules)
# What it chose and from where goes to stderr as one "get-kernel: ..." line.
# Exit: 0 ok, 1 nothing found / download failed, 2 usage.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cache="${KVMPROF_KERNEL_CACHE:-$top/.cache/kernels}"

flavour= modules=0 list=0 info=0 args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour) flavour=${2:?--flavour needs a value}; shift ;;
	--flavour=*) flavour=${1#*=} ;;
	--modules) modules=1 ;;
	--list) list=1 ;;
	--info) info=1 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "get-kernel: unknown option $1" >&2; exit 2 ;;
	*) args+=("$1") ;;
	esac
	shift
done
[ ${#args[@]} -eq 2 ] || { echo "usage: get-kernel.sh [--flavour F] [--modules] [--list] [--info] ARCH SERIES" >&2; exit 2; }
arch=${args[0]} series=${args[1]}
[ -n "$flavour" ] || flavour=$arch
case "$arch" in arm64 | amd64) ;; *) echo "get-kernel: unsupported ARCH '$arch'" >&2; exit 2 ;; esac

# The package-name pattern of the series (an extended regex, anchored).
esc() { printf '%s' "$1" | sed 's/[.+]/\\&/g'; }
case "$series" in
6.1) pattern="^linux-image-6\.1\.0-[0-9]+-$(esc "$flavour")\$" ;;
6.12) pattern="^linux-image-6\.12\.[0-9]+\+deb12-$(esc "$flavour")\$" ;;
linux-image-*) pattern="^$(esc "$series")\$" ;;
[0-9]*) pattern="^linux-image-$(esc "$series")-$(esc "$flavour")\$" ;;
*) echo "get-kernel: unknown SERIES '$series'" >&2; exit 2 ;;
esac

# "PACKAGE VERSION" of every candidate in the apt lists, oldest first
# (sort -V orders 6.1.0-9 before 6.1.0-44 and 6.12.99 before 6.12.100).
candidates() {
	local names
	names=$(apt-cache pkgnames linux-image-6 2>/dev/null | grep -E "$pattern" | sort -uV)
	[ -n "$names" ] || return 0
	# One apt-cache call for all of them: each call loads the whole cache.
	apt-cache show --no-all-versions $(printf "%s:$arch " $names) 2>/dev/null |
		awk '/^Package: / { p = $2 } /^Version: / && p != "" { print p, $2; p = "" }' | sort -V
}

if [ $list -eq 1 ]; then
	out=$(candidates)
	[ -n "$out" ] || { echo "get-kernel: no package matches $pattern for $arch in the apt lists" >&2; exit 1; }
	printf '%s\n' "$out"
	exit 0
fi

report() { # $1 package, $2 version, $3 dir, $4 cached
	local vmlinuz release
	vmlinuz=$(ls "$3"/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$vmlinuz" ] || { echo "get-kernel: no boot/vmlinuz-* in $3" >&2; exit 1; }
	release=${vmlinuz##*/vmlinuz-}
	echo "get-kernel: $arch $series -> $1 $2 (release $release, $([ "$4" = 1 ] && echo cached || echo downloaded))" >&2
	if [ $info -eq 1 ]; then
		printf 'package=%s\nversion=%s\nrelease=%s\nvmlinuz=%s\ndir=%s\ncached=%s\n' \
			"$1" "$2" "$release" "$vmlinuz" "$3" "$4"
		# .modules: the KVM modules relative to dir, in load order.
		[ $modules -eq 1 ] && printf 'modules=%s\n' "$(sed "s|^|$3/|" "$3/.modules" | paste -sd' ')"
	else
		printf '%s\n' "$vmlinuz"
	fi
	exit 0
}

# Newest cached kernel of the series: the fallback when apt cannot help.
cached_fallback() {
	local d best=
	for d in "$cache"/*/; do
		[ -f "$d/.complete" ] || continue
		d=${d%/}
		printf '%s\n' "${d##*/}" | cut -d_ -f1 | grep -qE "$pattern" || continue
		[ $modules -eq 1 ] && [ ! -f "$d/.modules" ] && continue
		best="$best${d##*/}"$'\n'
	done
	best=$(printf '%s' "$best" | sort -V | tail -n1)
	[ -n "$best" ] || return 1
	echo "get-kernel: warning: $1; using the newest cached kernel" >&2
	report "${best%%_*}" "${best#*_}" "$cache/$best" 1
}

chosen=$(candidates | tail -n1)
if [ -z "$chosen" ]; then
	cached_fallback "no package matches $pattern for $arch in the apt lists" ||
		{ echo "get-kernel: no package matches $pattern for $arch (is the $arch architecture added? see scripts/deps.sh arm64)" >&2; exit 1; }
fi
pkg=${chosen% *} ver=${chosen#* }
dir="$cache/${pkg}_${ver}"
have_all() { [ -f "$dir/.complete" ] && { [ $modules -eq 0 ] || [ -f "$dir/.modules" ]; }; }
if have_all; then
	report "$pkg" "$ver" "$dir" 1
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one download at a time; a second caller then finds it cached
if have_all; then
	report "$pkg" "$ver" "$dir" 1
fi
tmp=$(mktemp -d "$cache/.dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# As root, apt would drop to its _apt user, which may not reach this folder
# (it then warns and downloads as root anyway): say so up front.
sandbox=()
[ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
echo "get-kernel: downloading $pkg=$ver ($arch)" >&2
if ! (cd "$tmp" && apt-get "${sandbox[@]}" download -q "$pkg:$arch=$ver" >&2); then
	cached_fallback "apt-get download $pkg:$arch=$ver failed" || exit 1
fi
deb=$(ls "$tmp"/*.deb | head -n1)
mkdir -p "$tmp/x"
members=(./boot)
# Only KVM's modules: the whole tree is 100+ MB and nothing else is loaded.
kvm_modules=(kernel/virt/lib/irqbypass.ko kernel/arch/x86/kvm/kvm.ko kernel/arch/x86/kvm/kvm-amd.ko
	kernel/arch/x86/kvm/kvm-intel.ko)
if [ $modules -eq 1 ]; then
	for m in "${kvm_modules[@]}"; do
		members+=("./lib/modules/*/$m*" "./usr/lib/modules/*/$m*")
	done
fi
# tar exits non-zero when one of the members is absent (lib/ vs usr/lib/,
# .ko vs .ko.xz, no modules on arm64).
dpkg-deb --fsys-tarfile "$deb" | tar -x --wildcards -C "$tmp/x" "${members[@]}" 2>/dev/null
ls "$tmp"/x/boot/vmlinuz-* >/dev/null 2>&1 || { echo "get-kernel: $deb has no boot/vmlinuz-*" >&2; exit 1; }
[ -d "$tmp/x/usr/lib/modules" ] && mkdir -p "$tmp/x/lib" && mv "$tmp/x/usr/lib/modules" "$tmp/x/lib/"
if [ $modules -eq 1 ]; then
	# finit_module() takes compressed modules only when the kernel has
	# CONFIG_MODULE_DECOMPRESS and the caller passes MODULE_INIT_COMPRESSED_FILE:
	# decompress here so any loader works.
	find "$tmp/x/lib/modules" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null
	if find "$tmp/x/lib/modules" -name '*.ko.zst' 2>/dev/null | grep -q .; then
		command -v zstd >/dev/null || { echo "get-kernel: $deb has .ko.zst modules: install zstd" >&2; exit 1; }
		find "$tmp/x/lib/modules" -name '*.ko.zst' -exec zstd -q -d --rm {} +
	fi
	: >"$tmp/x/.modules"
	if [ "$arch" = amd64 ]; then # the AMD load order; kvm-intel.ko stays beside them
		for m in "${kvm_modules[@]:0:3}"; do
			f=$(cd "$tmp/x" && ls lib/modules/*/"$m" 2>/dev/null | head -n1)
			[ -n "$f" ] || { echo "get-kernel: $deb has no $m" >&2; exit 1; }
			echo "$f" >>"$tmp/x/.modules"
		done
	fi
fi
rm -rf "$dir" && mv "$tmp/x" "$dir"
touch "$dir/.complete"
report "$pkg" "$ver" "$dir" 0
