#!/usr/bin/env bash
# integrations/kvmtool/build.sh [--arch x86_64|arm64] [--out DIR] [--static] [PROFILE.yaml...]
#
# Builds kvmtool's lkvm with `--profile NAME`: copies the kvmtool source
# named by KVMTOOL_SRC (a checkout, or a tarball of one such as `git archive`
# makes) into DIR/kvmtool, applies this folder's patches/*.patch (made
# against kvmtool b48735e; GPL-2.0, see README.md), builds libkvmprof for
# the target (the project's Makefile, BUILD=DIR/kvmprof/build), compiles the
# profiles with `kvmprof compile -d` into DIR/kvmprof/libkvmprof-profiles.a
# (default: every profile in profiles/ of that architecture), and runs
# kvmtool's make with KVMPROF_DIR=DIR/kvmprof. Prints the path of the lkvm
# binary on stdout; on stderr, one line counting the lines the patches add
# to kvmtool.
#
#   --arch A     x86_64 (default on an x86_64 machine) or arm64 (cross-built
#                with ${CROSS_COMPILE:-aarch64-linux-gnu-}gcc, always static:
#                lkvm-static)
#   --out DIR    where to build (default build-kvmtool/ARCH at the top of
#                this tree). Reruns reuse it: the source is copied again only
#                when KVMTOOL_SRC or the patches changed
#   --static     x86_64: build lkvm-static instead of lkvm
#   --kvmprof F  the kvmprof CLI that compiles the profiles (default
#                build/kvmprof, made when missing)
#   --count      only print the count of lines the patches add, and exit
#
# Environment: KVMTOOL_SRC (required), LIBFDT_DIR (arm64: a folder with
# libfdt.a and its headers; default: DIR/libfdt, made from Debian's
# libfdt-dev:arm64 with apt-get download, which needs
# `dpkg --add-architecture arm64`), CROSS_COMPILE, JOBS.
#
# Exit: 0 built; 1 a step failed (it says which); 2 usage, or KVMTOOL_SRC
# unset or missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
arch= out= static=0 kvmprof= count_only=0 profiles=()
case "$(uname -m)" in aarch64) arch=arm64 ;; *) arch=x86_64 ;; esac

usage() { sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	--static) static=1 ;;
	--kvmprof) kvmprof=${2:?}; shift ;;
	--count) count_only=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "build: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) profiles+=("$1") ;;
	esac
	shift
done
case "$arch" in x86_64 | arm64) ;; *) echo "build: --arch x86_64 or arm64, not $arch" >&2; exit 2 ;; esac

# The lines the patches add to kvmtool (blank lines and comments included),
# per file: the measure of how well libkvmprof's API fits a real VMM.
count_lines() {
	awk '/^diff --git/ { f = $4; sub(/^b\//, "", f) }
	     /^\+/ && !/^\+\+\+ / { n[f]++; total++ }
	     END {
		glue = n["kvmprof.c"] + 0; files = 0
		for (f in n) if (f != "kvmprof.c") files++
		printf "build: the patches add %d lines to kvmtool: kvmprof.c %d, hooks %d in %d files\n",
			total, glue, total - glue, files
	     }' "$here"/patches/*.patch
}
if [ $count_only -eq 1 ]; then
	count_lines
	exit 0
fi

src_in=${KVMTOOL_SRC:-}
[ -n "$src_in" ] || { echo "build: KVMTOOL_SRC is not set (a kvmtool checkout, or a tarball of one)" >&2; exit 2; }
[ -e "$src_in" ] || { echo "build: KVMTOOL_SRC=$src_in does not exist" >&2; exit 2; }
src_in=$(cd "$(dirname "$src_in")" && pwd)/$(basename "$src_in")
out=${out:-$top/build-kvmtool/$arch}
mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
log=$out/build.log
: >"$log"

fail() { # STEP: shows the log's tail
	echo "build: $1 failed; last lines of $log:" >&2
	tail -n 25 "$log" | sed 's/^/  | /' >&2
	exit 1
}

if [ "$arch" = arm64 ]; then
	cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
	cc=${cross}gcc
	target=lkvm-static
	make_arch=(ARCH=arm64 "CROSS_COMPILE=$cross")
else
	cross=${CROSS_COMPILE:-}
	cc=${cross}${CC:-gcc}
	target=lkvm
	[ $static -eq 0 ] || target=lkvm-static
	make_arch=()
	[ -z "$cross" ] || make_arch=("CROSS_COMPILE=$cross")
fi
command -v "$cc" >/dev/null || { echo "build: $cc missing (scripts/deps.sh arm64 installs the cross compiler)" >&2; exit 1; }

# ---- the source: copied and patched once per (KVMTOOL_SRC, patches) -------
src=$out/kvmtool
if [ -d "$src_in" ]; then
	ident="dir $src_in $(git -C "$src_in" rev-parse HEAD 2>/dev/null || echo no-git)"
	ident="$ident $(git -C "$src_in" status --porcelain 2>/dev/null | md5sum | cut -c1-12)"
else
	ident="file $src_in $(stat -c '%s %Y' "$src_in")"
fi
ident="$ident patches $(cat "$here"/patches/*.patch | md5sum | cut -c1-12)"
if [ ! -f "$src/.kvmprof-source" ] || [ "$(cat "$src/.kvmprof-source")" != "$ident" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	if [ -d "$src_in" ]; then
		tar -C "$src_in" --exclude=.git -cf - . | tar -C "$src" -xf - || fail "copying $src_in"
	else
		# git archive --prefix=kvmtool/ or a GitHub tarball: one top folder.
		tar -C "$src" --strip-components=1 -xf "$src_in" >>"$log" 2>&1 || fail "unpacking $src_in"
	fi
	[ -f "$src/kvm-cpu.c" ] && [ -f "$src/builtin-run.c" ] ||
		{ echo "build: $src_in does not look like kvmtool (no kvm-cpu.c, builtin-run.c)" >&2; exit 2; }
	for p in "$here"/patches/*.patch; do
		echo "build: applying $(basename "$p")" >>"$log"
		patch -d "$src" -p1 -s --no-backup-if-mismatch <"$p" >>"$log" 2>&1 ||
			fail "applying $(basename "$p") (made against kvmtool b48735e)"
	done
	echo "$ident" >"$src/.kvmprof-source"
fi

# ---- libkvmprof and the profiles, for the target ---------------------------
kdir=$out/kvmprof
mkdir -p "$kdir/profiles"
make -C "$top" --no-print-directory "BUILD=$kdir/build" "CC=$cc" "AR=${cross}ar" \
	"$kdir/build/libkvmprof.a" >>"$log" 2>&1 || fail "libkvmprof for $arch"
cp -p "$kdir/build/libkvmprof.a" "$kdir/libkvmprof.a"
cp -p "$top/runtime/kvmprof.h" "$kdir/kvmprof.h"

kvmprof=${kvmprof:-$top/build/kvmprof}
if [ ! -x "$kvmprof" ]; then
	make -C "$top" --no-print-directory build/kvmprof >>"$log" 2>&1 || fail "build/kvmprof"
fi
if [ ${#profiles[@]} -eq 0 ]; then
	for y in "$top"/profiles/*.yaml; do
		grep -q "^arch: *\"\{0,1\}$( [ "$arch" = arm64 ] && echo arm64 || echo x86_64)\"\{0,1\} *$" "$y" &&
			profiles+=("$y")
	done
fi
rm -rf "$kdir/profiles.new" && mkdir -p "$kdir/profiles.new"
# A profile's base: is looked up beside it, then in this tree's profiles/.
"$kvmprof" compile "${profiles[@]}" -d "$kdir/profiles.new" -I "$top/profiles" >>"$log" 2>&1 || fail "kvmprof compile -d"
[ -f "$kdir/profiles.new/kvmprof_index.c" ] || {
	echo "build: kvmprof compile -d wrote no kvmprof_index.c (this kvmprof is older than the profile index)" >&2
	exit 1
}
# Recompile only what changed, so that a rerun relinks nothing.
if ! diff -rq "$kdir/profiles.new" "$kdir/profiles" >/dev/null 2>&1; then
	rm -rf "$kdir/profiles" "$kdir/profiles.obj"
	mv "$kdir/profiles.new" "$kdir/profiles"
	mkdir -p "$kdir/profiles.obj"
	pids=()
	for c in "$kdir"/profiles/*.c; do
		"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -I"$top/runtime" -c -o "$kdir/profiles.obj/$(basename "${c%.c}").o" "$c" >>"$log" 2>&1 &
		pids+=($!)
		if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}" || fail "compiling the profiles"; pids=("${pids[@]:1}"); fi
	done
	for p in "${pids[@]}"; do wait "$p" || fail "compiling the profiles"; done
	rm -f "$kdir/libkvmprof-profiles.a"
	"${cross}ar" rcs "$kdir/libkvmprof-profiles.a" "$kdir"/profiles.obj/*.o
else
	rm -rf "$kdir/profiles.new"
fi

# ---- arm64: libfdt ------------------------------------------------------------
libfdt=()
if [ "$arch" = arm64 ]; then
	fdt=${LIBFDT_DIR:-$out/libfdt}
	if [ ! -f "$fdt/libfdt.a" ]; then
		[ -z "${LIBFDT_DIR:-}" ] || { echo "build: LIBFDT_DIR=$fdt has no libfdt.a" >&2; exit 1; }
		rm -rf "$out/libfdt.tmp" && mkdir -p "$out/libfdt.tmp"
		(cd "$out/libfdt.tmp" && apt-get download libfdt-dev:arm64 libfdt1:arm64) >>"$log" 2>&1 ||
			fail "apt-get download libfdt-dev:arm64 (needs dpkg --add-architecture arm64 && apt-get update; or set LIBFDT_DIR)"
		for d in "$out"/libfdt.tmp/*.deb; do dpkg-deb -x "$d" "$out/libfdt.tmp/root"; done
		mkdir -p "$fdt"
		cp "$out"/libfdt.tmp/root/usr/include/*.h "$out"/libfdt.tmp/root/usr/lib/aarch64-linux-gnu/libfdt.a "$fdt/"
		rm -rf "$out/libfdt.tmp"
	fi
	libfdt=("LIBFDT_DIR=$fdt")
fi

# ---- kvmtool --------------------------------------------------------------------
# kvmtool's make does not know the archives: relink when they changed.
for a in "$kdir/libkvmprof.a" "$kdir/libkvmprof-profiles.a"; do
	[ ! "$a" -nt "$src/$target" ] || rm -f "$src/$target"
done
make -C "$src" -j"$jobs" "${make_arch[@]+"${make_arch[@]}"}" "${libfdt[@]+"${libfdt[@]}"}" \
	"KVMPROF_DIR=$kdir" "$target" >>"$log" 2>&1 || fail "kvmtool's make $target"
count_lines >&2
echo "$src/$target"
