#!/usr/bin/env bash
# tests/arm64/build-capture.sh [BUILD_DIR] [HOST_BUILD_DIR]
#
# Cross-builds tests/arm64/capture_init.c into BUILD_DIR/capture_init
# (default build-arm64/): a static aarch64 /init that runs `kvmprof capture`
# without libyaml (capture.c, host_out.c, yaml_out.c, the register database,
# the expression code that profile_free() needs). The generated sources
# (regdb_data.c, expr-*.c) come from the host build HOST_BUILD_DIR (default
# build/, made with `make` first if missing).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/arm64/lib/cross.bash
cross_init build-capture "$@"
host_generated "$host_build"
mkdir -p "$out/capture"
srcs=(tests/arm64/capture_init.c ops/capture.c formats/host_out.c formats/yaml_out.c regdb/regdb.c
	model/profile.c model/expr.c)
objs=()
for src in "${srcs[@]}"; do
	obj=$out/capture/$(basename "${src%.c}").o
	"$CC" "${CFLAGS[@]}" -Iruntime -Iregdb -Imodel -Iformats -Iops -Icli -Itests/arm64 -I"$host_build" -c -o "$obj" "$src"
	objs+=("$obj")
done
for src in "${gen[@]}"; do
	obj=$out/capture/$(basename "${src%.c}").o
	"$CC" "${CFLAGS[@]}" "${GEN_CFLAGS[@]}" -Iruntime -Iregdb -Imodel -Iformats -Iops -I"$host_build" -c -o "$obj" "$src"
	objs+=("$obj")
done
"$CC" -static -o "$out/capture_init" "${objs[@]}"
echo "build-capture: $out/capture_init built" >&2
