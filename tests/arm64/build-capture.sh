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
out=${1:-build-arm64}
host_build=${2:-build}
CC="${CROSS:-aarch64-linux-gnu-}gcc"
CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wno-unused-parameter -O2 -g)
command -v "$CC" >/dev/null || { echo "build-capture: $CC missing (scripts/deps.sh arm64)" >&2; exit 1; }
[ -f "$host_build/regdb_data.c" ] && [ -f "$host_build/expr-parser.c" ] ||
	make --no-print-directory BUILD="$host_build" "$host_build/regdb_data.c" "$host_build/expr-parser.c" \
		"$host_build/expr-lexer.c" >&2
mkdir -p "$out/capture"
srcs=(tests/arm64/capture_init.c ops/capture.c formats/host_out.c formats/yaml_out.c regdb/regdb.c
	model/profile.c model/expr.c)
gen=("$host_build/regdb_data.c" "$host_build/expr-parser.c" "$host_build/expr-lexer.c")
objs=()
for src in "${srcs[@]}"; do
	obj=$out/capture/$(basename "${src%.c}").o
	"$CC" "${CFLAGS[@]}" -Iruntime -Iregdb -Imodel -Iformats -Iops -Icli -Itests/arm64 -I"$host_build" -c -o "$obj" "$src"
	objs+=("$obj")
done
for src in "${gen[@]}"; do
	obj=$out/capture/$(basename "${src%.c}").o
	"$CC" "${CFLAGS[@]}" -Wno-sign-compare -Wno-missing-prototypes -Wno-unused-function \
		-Iruntime -Iregdb -Imodel -Iformats -Iops -I"$host_build" -c -o "$obj" "$src"
	objs+=("$obj")
done
"$CC" -static -o "$out/capture_init" "${objs[@]}"
echo "build-capture: $out/capture_init built" >&2
