#!/usr/bin/env bash
# tests/qemu/get-kernel.sh [options] ARCH SERIES
#
# Finds a Debian kernel of a series, downloads it through a private apt
# configuration (the system's apt sources are never touched), extracts what a
# boot needs into the kernel cache, and prints the path of boot/vmlinuz-* on
# stdout. A kernel already extracted is reused without asking apt anything, so
# a fresh clone on the same machine downloads nothing again.
#
#   ARCH     arm64 | amd64 (Debian architecture)
#   SERIES   6.1 6.12 6.16 6.17 6.18 6.19 7.0 7.1 7.2 7.3 (any X.Y)
#                        the point release pinned in tests/qemu/kernels.pin
#                        for ARCH (with --flavour, the pin of that flavour);
#                        the newest of the series when none is pinned
#            6.1.0-44 | 6.12.100+deb12 | 7.3.4+deb13   that exact ABI
#            linux-image-...[=VERSION]                 that exact package
#
# Options:
#   --flavour F     image flavour (default: the pinned one, else ARCH; e.g.
#                   cloud-amd64, cloud-arm64, arm64-16k)
#   --newest        ignore the pin: the newest package of the series in the
#                   mirror (what a bump of kernels.pin would name)
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
#   --pinned        print the pinned "SERIES PACKAGE VERSION" lines of ARCH
#                   (SERIES is then optional: all series), and exit
#   --info          print KEY=VALUE lines instead of the bare path:
#                   package= version= release= vmlinuz= dir= cached=0|1
#                   pinned=0|1, packages= (the .debs it came from, when
#                   known) and modules= with --modules
#   --update        refresh the private apt lists first
#
# Newer packaging: from 6.19 linux-image-* is empty and depends on
# linux-binary-* (usr/lib/modules/RELEASE/vmlinuz) and linux-modules-*; those
# are downloaded instead (linux-modules only with --modules), and the kernel
# lands in boot/vmlinuz-RELEASE all the same.
#
# Folders (outside the clone):
#   KVMPROF_KERNEL_CACHE  extracted kernels, PACKAGE_VERSION/{boot,lib}
#                         (default ${XDG_CACHE_HOME:-$HOME/.cache}/kvmprof/kernels)
#   KVMPROF_APT_CACHE     the private apt configuration: sources.list, lists,
#                         apt's caches (default .../kvmprof/apt). Its source
#                         lines are the system's Debian sources (the URIs of
#                         /etc/apt/sources.list.d/*.sources and sources.list)
#                         plus trixie-backports and sid of the same mirror.
# What it chose and from where goes to stderr as one "get-kernel: ..." line.
# Exit: 0 ok, 1 nothing found / download failed, 2 usage.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pins=$here/kernels.pin
base=${XDG_CACHE_HOME:-$HOME/.cache}/kvmprof
cache=${KVMPROF_KERNEL_CACHE:-$base/kernels}
aptdir=${KVMPROF_APT_CACHE:-$base/apt}

flavour= modules=0 list=0 info=0 newest=0 pinned_only=0 update=0 args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour) flavour=${2:?--flavour needs a value}; shift ;;
	--flavour=*) flavour=${1#*=} ;;
	--modules) modules=1 ;;
	--list) list=1 ;;
	--info) info=1 ;;
	--newest) newest=1 ;;
	--pinned) pinned_only=1 ;;
	--update) update=1 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "get-kernel: unknown option $1" >&2; exit 2 ;;
	*) args+=("$1") ;;
	esac
	shift
done
usage() { echo "usage: get-kernel.sh [--flavour F] [--newest] [--modules] [--list] [--pinned] [--info] [--update] ARCH SERIES" >&2; exit 2; }
if [ $pinned_only -eq 1 ]; then
	[ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || usage
	awk -v arch="${args[0]}" -v series="${args[1]:-}" '
		!/^#/ && NF >= 4 && $2 == arch && (series == "" || $1 == series) && !seen[$1]++ { print $1, $3, $4 }' "$pins"
	exit 0
fi
[ ${#args[@]} -eq 2 ] || usage
arch=${args[0]} series=${args[1]}
case "$arch" in arm64 | amd64) ;; *) echo "get-kernel: unsupported ARCH '$arch'" >&2; exit 2 ;; esac

# ---- the private apt configuration ------------------------------------------
# system_sources: "URI SUITE SIGNED-BY" of each Debian source the system uses
# (deb822 .sources stanzas and one-line sources.list entries; deb only).
system_sources() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			function flush(   i, n, u, s) {
				if (types ~ /(^| )deb( |$)/ && uris != "") {
					n = split(uris, u, " "); split(suites, s, " ")
					for (i = 1; i <= n; i++) for (j in s) print u[i], s[j], (signed == "" ? "-" : signed)
				}
				types = uris = suites = signed = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "uris:" { $1 = ""; uris = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "signed-by:" && NF == 2 { signed = $2 }
			END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3, "-" }'
	done
}

# apt_setup: writes $aptdir/sources.list (the system's Debian sources plus
# trixie-backports and sid of its main mirror, for amd64 and arm64).
apt_setup() {
	local sys mirror key=/usr/share/keyrings/debian-archive-keyring.gpg
	sys=$(system_sources | awk '$1 ~ /^(https?|file):/' | sort -u)
	# The main mirror: the URI of a suite that is not -security/-updates.
	mirror=$(printf '%s\n' "$sys" | awk '$2 !~ /-(security|updates)$/ { print $1; exit }')
	[ -n "$mirror" ] || { echo "get-kernel: no Debian mirror in the system's apt sources (/etc/apt/sources.list.d/*.sources, sources.list)" >&2; return 1; }
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/preferences.d"
	{
		echo "# written by tests/qemu/get-kernel.sh from the system's apt sources; rewritten on each use"
		printf '%s\n' "$sys" | while read -r uri suite signed; do
			[ "$signed" = - ] && signed=$key
			echo "deb [arch=amd64,arm64 signed-by=$signed] $uri $suite main"
		done
		echo "deb [arch=amd64,arm64 signed-by=$key] $mirror trixie-backports main"
		echo "deb [arch=amd64,arm64 signed-by=$key] $mirror sid main"
	} >"$aptdir/sources.list.new"
	mirror_uri=${mirror%/}
	if cmp -s "$aptdir/sources.list.new" "$aptdir/sources.list"; then
		rm -f "$aptdir/sources.list.new"
	else
		mv "$aptdir/sources.list.new" "$aptdir/sources.list"
		rm -f "$aptdir/.updated"
	fi
}

apt_opts=(-o "Dir::Etc::sourcelist=$aptdir/sources.list" -o Dir::Etc::sourceparts=-
	-o "Dir::Etc::preferences=$aptdir/preferences" -o "Dir::Etc::preferencesparts=$aptdir/preferences.d"
	-o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
	-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o Acquire::Languages=none)
# As root, apt would drop to its _apt user, which may not reach these folders.
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
updated_now=0
apt_update() {
	echo "get-kernel: apt-get update of the private lists ($aptdir)" >&2
	apt-get "${apt_opts[@]}" -q update >"$aptdir/update.log" 2>&1 ||
		{ echo "get-kernel: apt-get update failed:" >&2; tail -n 3 "$aptdir/update.log" >&2; return 1; }
	touch "$aptdir/.updated"
	updated_now=1
}
apt_ready=0
# apt_ready: the private lists exist (updated once when they do not).
apt_prepare() {
	[ $apt_ready -eq 1 ] && return 0
	apt_setup || return 1
	if [ $update -eq 1 ] || [ ! -f "$aptdir/.updated" ]; then apt_update || return 1; fi
	apt_ready=1
}
acache() { apt-cache "${apt_opts[@]}" "$@" 2>/dev/null; }

# ---- which package ------------------------------------------------------------
esc() { printf '%s' "$1" | sed 's/[.+]/\\&/g'; }
pin_pkg= pin_ver=
case "$series" in
linux-image-*=*) pattern="^$(esc "${series%%=*}")\$" pin_pkg=${series%%=*} pin_ver=${series#*=} ;;
linux-image-*) pattern="^$(esc "$series")\$" ;;
6.1) pattern="^linux-image-6\.1\.0-[0-9]+-$(esc "${flavour:-$arch}")\$" ;;
[0-9]*.[0-9]*.*) pattern="^linux-image-$(esc "$series")-$(esc "${flavour:-$arch}")\$" ;;
[0-9]*.[0-9]*) pattern="^linux-image-$(esc "$series")\.[0-9]+\+deb[0-9]+-$(esc "${flavour:-$arch}")\$" ;;
*) echo "get-kernel: unknown SERIES '$series'" >&2; exit 2 ;;
esac
# The pin: of the series (and flavour: exactly it, so amd64 is not cloud-amd64),
# or of the exact package named.
if [ -z "$pin_pkg" ] && [ $newest -eq 0 ]; then
	read -r pin_pkg pin_ver < <(awk -v arch="$arch" -v series="$series" -v fl="$flavour" '
		!/^#/ && NF >= 4 && $2 == arch && ($1 == series || $3 == series) &&
		(fl == "" || $3 ~ ("[0-9]-" fl "$") || $3 == series) { print $3, $4; exit }' "$pins")
fi

# "PACKAGE VERSION" of every candidate in the private lists, oldest first
# (sort -V orders 6.1.0-9 before 6.1.0-44 and 6.12.99 before 6.12.100).
candidates() {
	local names
	names=$(acache pkgnames linux-image- | grep -E "$pattern" | sort -uV)
	[ -n "$names" ] || return 0
	# One apt-cache call for all of them: each call loads the whole cache.
	acache show --no-all-versions $(printf "%s:$arch " $names) |
		awk '/^Package: / { p = $2 } /^Version: / && p != "" { print p, $2; p = "" }' | sort -V
}

if [ $list -eq 1 ]; then
	apt_prepare || exit 1
	out=$(candidates)
	[ -n "$out" ] || [ $updated_now -eq 1 ] || { apt_update && out=$(candidates); }
	[ -n "$out" ] || { echo "get-kernel: no package matches $pattern for $arch in the lists" >&2; exit 1; }
	printf '%s\n' "$out"
	exit 0
fi

report() { # $1 package, $2 version, $3 dir, $4 cached
	local vmlinuz release is_pin=0
	vmlinuz=$(ls "$3"/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$vmlinuz" ] || { echo "get-kernel: no boot/vmlinuz-* in $3" >&2; exit 1; }
	release=${vmlinuz##*/vmlinuz-}
	[ "$1" = "$pin_pkg" ] && [ "$2" = "$pin_ver" ] && is_pin=1
	echo "get-kernel: $arch $series -> $1 $2 (release $release, $([ "$4" = 1 ] && echo cached || echo downloaded)$([ $is_pin = 1 ] && echo ", pinned"))" >&2
	if [ $info -eq 1 ]; then
		printf 'package=%s\nversion=%s\nrelease=%s\nvmlinuz=%s\ndir=%s\ncached=%s\npinned=%s\n' \
			"$1" "$2" "$release" "$vmlinuz" "$3" "$4" "$is_pin"
		# (a folder extracted before .packages existed came from the image alone)
		printf 'packages=%s\n' "$( (cat "$3/.packages" 2>/dev/null || echo "$1=$2") | paste -sd' ')"
		# .modules: the KVM modules relative to dir, in load order.
		[ $modules -eq 1 ] && printf 'modules=%s\n' "$(sed "s|^|$3/|" "$3/.modules" | paste -sd' ')"
	else
		printf '%s\n' "$vmlinuz"
	fi
	exit 0
}
have_all() { [ -f "$1/.complete" ] && { [ $modules -eq 0 ] || [ -f "$1/.modules" ]; }; }

# Newest cached kernel of the series: the fallback when apt cannot help
# (never for a pinned kernel: a pin means exactly that one).
cached_fallback() {
	local d best=
	[ -n "$pin_pkg" ] && return 1
	for d in "$cache"/*/; do
		d=${d%/}
		have_all "$d" || continue
		printf '%s\n' "${d##*/}" | cut -d_ -f1 | grep -qE "$pattern" || continue
		best="$best${d##*/}"$'\n'
	done
	best=$(printf '%s' "$best" | sort -V | tail -n1)
	[ -n "$best" ] || return 1
	echo "get-kernel: warning: $1; using the newest cached kernel" >&2
	report "${best%%_*}" "${best#*_}" "$cache/$best" 1
}

if [ -n "$pin_pkg" ]; then
	pkg=$pin_pkg ver=$pin_ver
	have_all "$cache/${pkg}_${ver}" && report "$pkg" "$ver" "$cache/${pkg}_${ver}" 1 # no apt at all
	apt_prepare || exit 1
	if [ -z "$ver" ]; then
		ver=$(candidates | awk -v p="$pkg" '$1 == p { print $2 }' | tail -n 1)
	fi
else
	apt_prepare || cached_fallback "the private apt lists are unusable" || exit 1
	chosen=$(candidates | tail -n1)
	if [ -z "$chosen" ] && [ $updated_now -eq 0 ]; then
		apt_update && chosen=$(candidates | tail -n1)
	fi
	if [ -z "$chosen" ]; then
		cached_fallback "no package matches $pattern for $arch in the lists" ||
			{ echo "get-kernel: no package matches $pattern for $arch" >&2; exit 1; }
	fi
	pkg=${chosen% *} ver=${chosen#* }
fi
dir="$cache/${pkg}_${ver}"
have_all "$dir" && report "$pkg" "$ver" "$dir" 1

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one download at a time; a second caller then finds it cached
have_all "$dir" && report "$pkg" "$ver" "$dir" 1

# What to download: the image, or (newer packaging) the linux-binary and, for
# --modules, the linux-modules package it depends on.
depends() { acache show "$pkg:$arch=$ver" | sed -n 's/^Depends: //p' | head -n 1; }
deps=$(depends)
if [ -z "$deps" ] && [ $updated_now -eq 0 ]; then
	apt_update && deps=$(depends)
fi
[ -n "$deps" ] || { echo "get-kernel: $pkg=$ver ($arch) is not in the lists of $aptdir/sources.list" >&2; exit 1; }
want=("$pkg:$arch=$ver")
bin=$(printf '%s\n' "$deps" | grep -o 'linux-binary-[^ ,(]*' | head -n 1)
if [ -n "$bin" ]; then
	want=("$bin:$arch=$ver")
	mods=${bin/linux-binary-/linux-modules-}
	[ $modules -eq 1 ] && want+=("$mods:$arch=$ver")
fi

tmp=$(mktemp -d "$cache/.dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# A dependency the lists no longer announce comes from the pool by the exact
# path and SHA-256 of its "pool" line in kernels.pin.
from_lists=() from_pool=()
for w in "${want[@]}"; do
	if acache show "$w" | grep -q '^Package: '; then from_lists+=("$w"); continue; fi
	name=${w%%:*} v=${w##*=}
	line=$(awk -v f="/${name}_${v}_$arch.deb" '
		$1 == "pool" && substr($2, length($2) - length(f) + 1) == f { print $2, $3 }' "$pins")
	[ -n "$line" ] || { echo "get-kernel: $w is not in the lists and kernels.pin has no pool line for it" >&2; exit 1; }
	from_pool+=("$line")
done
echo "get-kernel: downloading ${want[*]}" >&2
if [ ${#from_lists[@]} -gt 0 ]; then
	(cd "$tmp" && apt-get "${apt_opts[@]}" download -q "${from_lists[@]}" >&2) ||
		{ echo "get-kernel: apt-get download ${from_lists[*]} failed" >&2; exit 1; }
fi
for line in "${from_pool[@]}"; do
	path=${line% *} sum=${line#* }
	/usr/lib/apt/apt-helper "${apt_opts[@]}" download-file "$mirror_uri/$path" "$tmp/${path##*/}" "SHA256:$sum" >&2 ||
		{ echo "get-kernel: $mirror_uri/$path: download failed or its SHA-256 is not $sum" >&2; exit 1; }
done
mkdir -p "$tmp/x"
members=(./boot ./usr/lib/modules/*/vmlinuz)
# Only KVM's modules: the whole tree is 100+ MB and nothing else is loaded.
kvm_modules=(kernel/virt/lib/irqbypass.ko kernel/arch/x86/kvm/kvm.ko kernel/arch/x86/kvm/kvm-amd.ko
	kernel/arch/x86/kvm/kvm-intel.ko)
if [ $modules -eq 1 ]; then
	for m in "${kvm_modules[@]}"; do
		members+=("./lib/modules/*/$m*" "./usr/lib/modules/*/$m*")
	done
fi
# tar exits non-zero when one of the members is absent (lib/ vs usr/lib/,
# .ko vs .ko.xz, no modules on arm64, boot/ vs usr/lib/modules/*/vmlinuz).
for deb in "$tmp"/*.deb; do
	dpkg-deb --fsys-tarfile "$deb" | tar -x --wildcards -C "$tmp/x" "${members[@]}" 2>/dev/null
done
[ -d "$tmp/x/usr/lib/modules" ] && mkdir -p "$tmp/x/lib/modules" && cp -a "$tmp/x/usr/lib/modules/." "$tmp/x/lib/modules/" && rm -rf "$tmp/x/usr"
# linux-binary: the kernel is lib/modules/RELEASE/vmlinuz; boots look in boot/.
for v in "$tmp"/x/lib/modules/*/vmlinuz; do
	[ -f "$v" ] || continue
	rel=${v%/vmlinuz}
	mkdir -p "$tmp/x/boot" && mv "$v" "$tmp/x/boot/vmlinuz-${rel##*/}"
done
ls "$tmp"/x/boot/vmlinuz-* >/dev/null 2>&1 || { echo "get-kernel: ${want[*]} hold no kernel (boot/vmlinuz-* or usr/lib/modules/*/vmlinuz)" >&2; exit 1; }
if [ $modules -eq 1 ]; then
	# finit_module() takes compressed modules only when the kernel has
	# CONFIG_MODULE_DECOMPRESS and the caller passes MODULE_INIT_COMPRESSED_FILE:
	# decompress here so any loader works.
	find "$tmp/x/lib/modules" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null
	if find "$tmp/x/lib/modules" -name '*.ko.zst' 2>/dev/null | grep -q .; then
		command -v zstd >/dev/null || { echo "get-kernel: the modules are .ko.zst: install zstd" >&2; exit 1; }
		find "$tmp/x/lib/modules" -name '*.ko.zst' -exec zstd -q -d --rm {} +
	fi
	: >"$tmp/x/.modules"
	if [ "$arch" = amd64 ]; then # the AMD load order; kvm-intel.ko stays beside them
		for m in "${kvm_modules[@]:0:3}"; do
			f=$(cd "$tmp/x" && ls lib/modules/*/"$m" 2>/dev/null | head -n1)
			[ -n "$f" ] || { echo "get-kernel: ${want[*]} hold no $m" >&2; exit 1; }
			echo "$f" >>"$tmp/x/.modules"
		done
	fi
fi
# .packages: the .debs the kernel came from, "PACKAGE=VERSION" (provenance).
for deb in "$tmp"/*.deb; do dpkg-deb -f "$deb" Package Version | awk '{ v[NR] = $2 } END { print v[1] "=" v[2] }'; done >"$tmp/x/.packages"
rm -rf "$dir" && mv "$tmp/x" "$dir"
touch "$dir/.complete"
report "$pkg" "$ver" "$dir" 0
