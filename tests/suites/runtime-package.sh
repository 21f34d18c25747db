#!/usr/bin/env bash
# The runtime as a VMM gets it: no allocation, printing or exiting inside
# libkvmprof (checked on its undefined symbols), only kvmprof_* exported from
# the .so, a SONAME, and a program built with nothing but
# `pkg-config --cflags --libs kvmprof` from an installed copy that applies a
# compiled profile on /dev/kvm. Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
. tests/suites/lib/report.bash

echo "[==========] Running 4 test(s)."
# 1. libkvmprof never allocates, prints or exits (STYLE.md: the runtime's promise).
forbidden='^(malloc|calloc|realloc|free|strdup|printf|fprintf|puts|fputs|putchar|perror|exit|_exit|abort|syslog)$'
bad_syms=$(nm -u "$build/libkvmprof.a" | awk '{print $NF}' | sed 's/@.*//' | grep -E "$forbidden" | sort -u | tr '\n' ' ')
if [ -z "$bad_syms" ]; then report_pass runtime_no_malloc_printf_exit; else report_fail runtime_no_malloc_printf_exit "libkvmprof.a uses $bad_syms"; fi

# 2. The shared library exports kvmprof_* only and carries its SONAME.
so="$build/libkvmprof.so.0"
exports=$(nm -D --defined-only "$so" | awk '{print $NF}' | grep -v '^KVMPROF_0$' | grep -v '^kvmprof_' | tr '\n' ' ')
soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
if [ -z "$exports" ] && [ "$soname" = libkvmprof.so.0 ]; then report_pass shared_library_abi
else report_fail shared_library_abi "exports '$exports' soname '$soname'"; fi

# 3./4. make install, then build the example VMM from the installed files only.
stage=$(mktemp -d /tmp/kvmprof-pkg-XXXXXX)
trap 'rm -rf "$stage"' EXIT
if make --no-print-directory -s install BUILD="$build" PREFIX=/usr DESTDIR="$stage/root" >"$stage/install.log" 2>&1 &&
	"$build"/kvmprof compile profiles/linux-6.18-x86_64-pvm.yaml -o "$stage/profile.c" --symbol kvmprof_example_profile &&
	cflags=$(PKG_CONFIG_SYSROOT_DIR="$stage/root" PKG_CONFIG_LIBDIR="$stage/root/usr/lib/pkgconfig" pkg-config --cflags kvmprof) &&
	libs=$(PKG_CONFIG_SYSROOT_DIR="$stage/root" PKG_CONFIG_LIBDIR="$stage/root/usr/lib/pkgconfig" pkg-config --libs kvmprof) &&
	cc -std=gnu11 -Wall -Wextra -Werror -o "$stage/vmm" examples/vmm.c "$stage/profile.c" $cflags $libs \
		-Wl,-rpath,"$stage/root/usr/lib" >"$stage/cc.log" 2>&1; then
	report_pass example_builds_with_pkg_config_only
	if [ "$(uname -m)" != x86_64 ]; then
		report_skip example_applies_on_dev_kvm "the example's guest is x86 real mode; this is $(uname -m)"
	elif ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		report_skip example_applies_on_dev_kvm "/dev/kvm is not usable here"
	else
		"$stage/vmm" >"$stage/run.log" 2>&1
		rc=$?
		cat "$stage/run.log"
		# 0: the guest saw everything; 1: the report names what differed (PVM rewrites CPUID)
		if { [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && grep -q '^vm phase: ' "$stage/run.log" &&
			grep -q '^vcpu-regs phase: ' "$stage/run.log" && grep -q 'guest executed CPUID' "$stage/run.log"; then
			report_pass example_applies_on_dev_kvm
		else
			report_fail example_applies_on_dev_kvm "exit $rc"
		fi
	fi
else
	cat "$stage"/*.log 2>/dev/null | tail -20
	report_fail example_builds_with_pkg_config_only "install or build failed"
	report_skip example_applies_on_dev_kvm "nothing to run"
fi

report_summary # the exit status: 1 when a test failed
