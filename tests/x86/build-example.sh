#!/usr/bin/env bash
# tests/x86/build-example.sh OUT_DIR [BUILD]
#
# Builds examples/vmm.c as documented in its header, once per profile: the
# profile compiled by BUILD/kvmprof (default build/) with
# --symbol kvmprof_example_profile, linked static with BUILD/libkvmprof.a,
# into OUT_DIR/<profile name>. The binaries run inside the amd64 guest of
# tests/qemu/boot-x86.sh (upstream kvm_amd). Also builds the raw facts test
# OUT_DIR/test_x86_kvm_facts (dynamic: Debian has no static libcmocka;
# boot-x86.sh packs its libraries). Profiles:
#   profiles/linux-6.18-x86_64-pvm.yaml
#   tests/x86/profiles/example-x86-hidden-features.yaml
#   tests/x86/profiles/example-x86-outcomes.yaml
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=${1:?usage: build-example.sh OUT_DIR [BUILD]}
build=${2:-build}
CC=${CC:-gcc}
# The project's flags (Makefile WARN/CSTD).
CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -O2 -g)
mkdir -p "$out"

for f in "$build/kvmprof" "$build/libkvmprof.a"; do
	[ -f "$f" ] || { echo "build-example: $f missing (make all)" >&2; exit 1; }
done

for yaml in profiles/linux-6.18-x86_64-pvm.yaml tests/x86/profiles/example-x86-hidden-features.yaml \
	tests/x86/profiles/example-x86-outcomes.yaml; do
	name=$(basename "$yaml" .yaml)
	"$build/kvmprof" compile "$yaml" -o "$out/$name.c" --symbol kvmprof_example_profile
	"$CC" "${CFLAGS[@]}" -static -Iruntime -o "$out/$name" examples/vmm.c "$out/$name.c" \
		"$build/libkvmprof.a" -lpthread
done
"$CC" "${CFLAGS[@]}" -o "$out/test_x86_kvm_facts" tests/x86/test_x86_kvm_facts.c -lcmocka
echo "build-example: $out built" >&2
