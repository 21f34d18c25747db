#!/usr/bin/env bash
# tests/arm64/build-example.sh OUT_DIR [KVMPROF]
#
# Builds examples/vmm.c for aarch64 as a static /init carrying compiled
# profiles (tests/arm64/example_init.c): the profiles are compiled on this
# host by KVMPROF (default build/kvmprof), the generated C and the runtime
# are cross-compiled with ${CROSS}gcc. Writes OUT_DIR/example_init.
# Carried profiles (symbol <- file):
#   example_linux_6_1  <- profiles/linux-6.1-arm64-qemu-max.yaml
#   example_linux_6_12 <- profiles/linux-6.12-arm64-qemu-max.yaml
#   example_iidr_rev2  <- tests/arm64/profiles/example-arm64-iidr-rev2.yaml
#   example_iidr_rev1  <- tests/arm64/profiles/example-arm64-iidr-rev1.yaml
#   example_outcomes   <- tests/arm64/profiles/example-arm64-outcomes.yaml
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=${1:?usage: build-example.sh OUT_DIR [KVMPROF]}
kvmprof=${2:-build/kvmprof}
. tests/arm64/lib/cross.bash
mkdir -p "$out"

[ -x "$kvmprof" ] || { echo "build-example: $kvmprof missing (make all)" >&2; exit 1; }
cross_cc build-example

srcs=()
while read -r sym yaml; do
	"$kvmprof" compile "$yaml" -o "$out/$sym.c" --symbol "$sym"
	srcs+=("$out/$sym.c")
done <<'LIST'
example_linux_6_1 profiles/linux-6.1-arm64-qemu-max.yaml
example_linux_6_12 profiles/linux-6.12-arm64-qemu-max.yaml
example_iidr_rev2 tests/arm64/profiles/example-arm64-iidr-rev2.yaml
example_iidr_rev1 tests/arm64/profiles/example-arm64-iidr-rev1.yaml
example_outcomes tests/arm64/profiles/example-arm64-outcomes.yaml
LIST

cross_runtime "$CC" "$out/runtime" || { echo "build-example: the runtime does not build for aarch64" >&2; exit 1; }
"$CC" "${CFLAGS[@]}" -static -Iruntime -Itests/arm64 -o "$out/example_init" \
	tests/arm64/example_init.c "${srcs[@]}" "${runtime_objs[@]}" -lpthread
echo "build-example: $out/example_init built" >&2
