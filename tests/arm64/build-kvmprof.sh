#!/usr/bin/env bash
# tests/arm64/build-kvmprof.sh [BUILD_DIR] [HOST_BUILD_DIR]
#
# Cross-builds the whole kvmprof command for aarch64 into BUILD_DIR/kvmprof
# (default build-arm64/), static, with Debian's libyaml for arm64 (apt-get
# download libyaml-dev:arm64, extracted into .cache/libyaml-arm64/). The
# generated sources (regdb_data.c, expr-*.c) come from the host build
# HOST_BUILD_DIR (default build/, made with `make` first if missing). The
# arm64 suite runs it inside the QEMU-booted guest: one build of kvmprof
# checks x86 profiles against x86 captures on an aarch64 machine (issue 10).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=${1:-build-arm64}
host_build=${2:-build}
CC="${CROSS:-aarch64-linux-gnu-}gcc"
CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wno-unused-parameter -O2 -g)
yaml_dir=$top/.cache/libyaml-arm64
command -v "$CC" >/dev/null || { echo "build-kvmprof: $CC missing (scripts/deps.sh arm64)" >&2; exit 1; }
if [ ! -f "$yaml_dir/.complete" ]; then
	tmp=$(mktemp -d)
	sandbox=()
	[ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
	if ! (cd "$tmp" && apt-get "${sandbox[@]}" download -q libyaml-dev:arm64 libyaml-0-2:arm64 >&2); then
		echo "build-kvmprof: apt-get download libyaml-dev:arm64 libyaml-0-2:arm64 failed (arm64 architecture added? scripts/deps.sh arm64)" >&2
		rm -rf "$tmp"
		exit 1
	fi
	rm -rf "$yaml_dir" && mkdir -p "$yaml_dir"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$yaml_dir"; done
	rm -rf "$tmp"
	touch "$yaml_dir/.complete"
fi
[ -f "$host_build/regdb_data.c" ] && [ -f "$host_build/expr-parser.c" ] ||
	make --no-print-directory BUILD="$host_build" "$host_build/regdb_data.c" "$host_build/expr-parser.c" \
		"$host_build/expr-lexer.c" >&2
mkdir -p "$out/kvmprof-obj"
inc=(-Iruntime -Iregdb -Imodel -Iformats -Iops -Icli -I"$host_build" -I"$yaml_dir/usr/include")
objs=() pids=() rc=0
for src in runtime/*.c runtime/arch/*/*.c regdb/*.c model/*.c formats/*.c ops/*.c cli/*.c; do
	obj=$out/kvmprof-obj/$(echo "${src%.c}" | tr / _).o
	"$CC" "${CFLAGS[@]}" "${inc[@]}" -c -o "$obj" "$src" &
	pids+=($!)
	objs+=("$obj")
done
for src in "$host_build/regdb_data.c" "$host_build/expr-parser.c" "$host_build/expr-lexer.c"; do
	obj=$out/kvmprof-obj/gen_$(basename "${src%.c}").o
	"$CC" "${CFLAGS[@]}" -Wno-sign-compare -Wno-missing-prototypes -Wno-unused-function "${inc[@]}" \
		-c -o "$obj" "$src" &
	pids+=($!)
	objs+=("$obj")
done
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
[ $rc -eq 0 ] || { echo "build-kvmprof: a source did not compile for aarch64" >&2; exit 1; }
"$CC" -static -o "$out/kvmprof" "${objs[@]}" "$yaml_dir/usr/lib/aarch64-linux-gnu/libyaml.a" -lpthread
echo "build-kvmprof: $out/kvmprof built" >&2
