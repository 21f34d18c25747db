#!/usr/bin/env bash
# tests/migrate/build.sh OUT_DIR ARCH BUILD PROFILE.yaml...
#
# Builds tests/migrate/migrate_vmm.c (the save/restore VMM built on
# examples/vmm.c) carrying every PROFILE, for ARCH:
#   arm64   a static aarch64 /init for tests/qemu/boot-arm64.sh, runtime
#           cross-compiled with ${CROSS}gcc (default aarch64-linux-gnu-)
#   x86_64  a static program (-DMIGRATE_AS_PROGRAM) linked with
#           BUILD/libkvmprof.a, for tests/qemu/boot-x86.sh --run and this
#           machine's own /dev/kvm
# The profiles are compiled by BUILD/kvmprof (symbols migrate_p0, migrate_p1,
# ...); OUT_DIR/migrate_profiles.h lists them in the order given. Writes
# OUT_DIR/migrate_vmm.
# (tests/lib/build-profile-vmm.sh builds it.)
exec "$(dirname "$0")/../lib/build-profile-vmm.sh" migrate tests/migrate/migrate_vmm.c "$@"
