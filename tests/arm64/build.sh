#!/usr/bin/env bash
# tests/arm64/build.sh [BUILD_DIR]
#
# Cross-compiles for aarch64 into BUILD_DIR (default build-arm64/):
#   runtime/*.o, libkvmprof.a   the runtime (and its arch/ folders), same warnings as the native build
#   test_arm64_kvm              the real-KVM test, an /init for boot-arm64.sh
#   hello_init                  static smoke /init of the harness
#   test_arm64_kvm.libs         the shared libraries test_arm64_kvm needs in
#                               the initramfs, one path a line (--lib FILE)
# cmocka for aarch64 comes from Debian (apt-get download libcmocka-dev:arm64
# libcmocka0:arm64, extracted into .cache/cmocka-arm64/). Debian ships no
# static libcmocka, so test_arm64_kvm is linked dynamically and carries its
# loader, libc and libcmocka into the initramfs.
# If the runtime does not build, the test is built without it (its runtime
# group then fails with one test that says so); the compiler errors are in
# BUILD_DIR/runtime-build.log. Exit 0 when test_arm64_kvm was built.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/arm64/lib/cross.bash
cross_init build-arm64 "$@"
sysroot=/usr/aarch64-linux-gnu
cmocka_dir=$top/.cache/cmocka-arm64
mkdir -p "$out"
debian_arm64 build-arm64 "$cmocka_dir" libcmocka-dev:arm64 libcmocka0:arm64
cmocka_inc=$cmocka_dir/usr/include
cmocka_lib=$cmocka_dir/usr/lib/aarch64-linux-gnu

# --- runtime ------------------------------------------------------------------
runtime_ok=1
cross_runtime "$CC" "$out/runtime" >"$out/runtime-build.log" 2>&1 || runtime_ok=0
if [ $runtime_ok -eq 1 ]; then
	rm -f "$out/libkvmprof.a"
	"${CROSS}ar" rcs "$out/libkvmprof.a" "${runtime_objs[@]}" >>"$out/runtime-build.log" 2>&1 || runtime_ok=0
fi

# --- the tests ------------------------------------------------------------------
"$CC" "${CFLAGS[@]}" -static -o "$out/hello_init" tests/arm64/hello_init.c || exit 1

test_cc=("$CC" "${CFLAGS[@]}" -Iruntime -Itests/arm64 -I"$cmocka_inc" -o "$out/test_arm64_kvm"
	tests/arm64/test_arm64_kvm.c)
test_ld=(-L"$cmocka_lib" -lcmocka)
built=0
if [ $runtime_ok -eq 1 ]; then
	if "${test_cc[@]}" "$out/libkvmprof.a" "${test_ld[@]}" >>"$out/runtime-build.log" 2>&1; then
		built=1
	else
		echo "build-arm64: linking test_arm64_kvm with the runtime failed" >>"$out/runtime-build.log"
	fi
fi
if [ $built -eq 0 ]; then
	echo "build-arm64: runtime unusable for aarch64, building the facts-only test; log:" >&2
	tail -n 30 "$out/runtime-build.log" | sed 's/^/  | /' >&2
	"${test_cc[@]}" -DGUEST_WITHOUT_RUNTIME "${test_ld[@]}" || exit 1
fi

# The libraries the dynamic test needs: loader, libc and libcmocka (the
# loader finds them in /lib of the initramfs).
{
	echo "$sysroot/lib/ld-linux-aarch64.so.1"
	"${CROSS}readelf" -d "$out/test_arm64_kvm" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
		while read -r lib; do
			if [ -e "$cmocka_lib/$lib" ]; then echo "$cmocka_lib/$lib"
			elif [ -e "$sysroot/lib/$lib" ]; then echo "$sysroot/lib/$lib"
			else echo "build-arm64: cannot find $lib" >&2; fi
		done
} >"$out/test_arm64_kvm.libs"
echo "build-arm64: $out/test_arm64_kvm built ($([ $built -eq 1 ] && echo with || echo WITHOUT) the runtime)" >&2
