#!/usr/bin/env bash
# tests/qemu/mkinitramfs.sh OUT.cpio.gz --init BINARY [--lib FILE]... [--file SRC:DEST]...
#
# Packs a minimal initramfs: /init (BINARY), /dev/console (char 5:1),
# empty /proc /sys /dev /tmp, each --lib FILE as /lib/<its name> (shared
# libraries and the dynamic loader of a non-static init), each --file SRC as
# DEST. cpio newc, gzip. Needs no root: /dev/console is written as a
# separate hand-made cpio archive in front of the files (the kernel accepts
# concatenated archives, Documentation/driver-api/early-userspace/
# buffer-format.rst), so mknod is never called. Timestamps are zero and
# owners root, so the same inputs give the same archive.
set -eu
out= init= libs=() files=()
[ $# -ge 1 ] && { out=$1; shift; }
while [ $# -gt 0 ]; do
	case "$1" in
	--init) init=${2:?}; shift ;;
	--lib) libs+=("${2:?}"); shift ;;
	--file) files+=("${2:?}"); shift ;;
	*) echo "mkinitramfs: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$out" ] && [ -n "$init" ] || { echo "usage: mkinitramfs.sh OUT.cpio.gz --init BINARY [--lib FILE]... [--file SRC:DEST]..." >&2; exit 2; }
[ -f "$init" ] || { echo "mkinitramfs: no such file: $init" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{dev,proc,sys,tmp,lib}
install -m 755 "$init" "$root/init"
for l in "${libs[@]+"${libs[@]}"}"; do
	cp -L "$l" "$root/lib/${l##*/}" # -L: a symlink such as libcmocka.so.0 becomes the file
done
for f in "${files[@]+"${files[@]}"}"; do
	mkdir -p "$root/$(dirname "${f#*:}")"
	cp -L "${f%%:*}" "$root/${f#*:}"
done

# One newc entry: 110-byte ASCII header, name + NUL padded to 4 bytes, no
# data (newc format: cpio(5), "New ASCII Format").
newc_entry() { # $1 name, $2 mode (octal), $3 rdev major, $4 rdev minor, $5 ino
	local name=$1 namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$5" "$((8#$2))" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
	printf '%s\0' "$name"
	local pad=$(((4 - (110 + namesize) % 4) % 4))
	[ $pad -eq 0 ] || head -c $pad /dev/zero
}
{
	newc_entry dev 040755 0 0 1
	newc_entry dev/console 020600 5 1 2
	newc_entry 'TRAILER!!!' 0 0 0 0
	(cd "$root" && find . -mindepth 1 -exec touch -h -d @0 {} + &&
		find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc --owner=0:0 --reproducible --quiet)
} | gzip -n -6 >"$out"
