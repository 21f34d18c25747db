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
. tests/arm64/lib/cross.bash
cross_init build-kvmprof "$@"
yaml_dir=$top/.cache/libyaml-arm64
debian_arm64 build-kvmprof "$yaml_dir" libyaml-dev:arm64 libyaml-0-2:arm64
host_generated "$host_build"
mkdir -p "$out/kvmprof-obj"
inc=(-Iruntime -Iregdb -Imodel -Iformats -Iops -Icli -I"$host_build" -I"$yaml_dir/usr/include")
objs=() pids=() rc=0
for src in runtime/*.c runtime/arch/*/*.c regdb/*.c model/*.c formats/*.c ops/*.c cli/*.c; do
	obj=$out/kvmprof-obj/$(echo "${src%.c}" | tr / _).o
	"$CC" "${CFLAGS[@]}" "${inc[@]}" -c -o "$obj" "$src" &
	pids+=($!)
	objs+=("$obj")
done
for src in "${gen[@]}"; do
	obj=$out/kvmprof-obj/gen_$(basename "${src%.c}").o
	"$CC" "${CFLAGS[@]}" "${GEN_CFLAGS[@]}" "${inc[@]}" -c -o "$obj" "$src" &
	pids+=($!)
	objs+=("$obj")
done
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
[ $rc -eq 0 ] || { echo "build-kvmprof: a source did not compile for aarch64" >&2; exit 1; }
"$CC" -static -o "$out/kvmprof" "${objs[@]}" "$yaml_dir/usr/lib/aarch64-linux-gnu/libyaml.a" -lpthread
echo "build-kvmprof: $out/kvmprof built" >&2
