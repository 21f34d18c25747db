#!/usr/bin/env bash
# tests/matrix/build.sh OUT_DIR ARCH BUILD PROFILE.yaml...
#
# Builds tests/matrix/matrix_init.c (examples/vmm.c carrying every PROFILE,
# one VM each, lenient) for ARCH:
#   arm64   a static aarch64 /init for tests/qemu/boot-arm64.sh, runtime
#           cross-compiled with ${CROSS}gcc (default aarch64-linux-gnu-)
#   x86_64  a static program (-DMATRIX_AS_PROGRAM) linked with
#           BUILD/libkvmprof.a, for tests/qemu/boot-x86.sh --run and this
#           machine's own /dev/kvm
# The profiles are compiled by BUILD/kvmprof (symbols matrix_p0, matrix_p1,
# ...); OUT_DIR/matrix_profiles.h lists them in the order given. Writes
# OUT_DIR/matrix_init.
# (tests/lib/build-profile-vmm.sh builds it.)
exec "$(dirname "$0")/../lib/build-profile-vmm.sh" matrix tests/matrix/matrix_init.c "$@"
