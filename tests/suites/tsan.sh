#!/usr/bin/env bash
# The runtime under ThreadSanitizer: tests/unit/test_rt_x86_kvm.c built with
# -fsanitize=thread (build-tsan/) and run on this host's /dev/kvm, above all
# its 64 vCPUs applied from 8 threads at once. Any TSan report fails.
# Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/report.bash
suite_init tsan_runtime "ThreadSanitizer run of the runtime"
[ "$(uname -m)" = x86_64 ] || suite_skip "the real-KVM runtime test is x86_64; this is $(uname -m)"
out=$(mktemp -d /tmp/kvmprof-tsan-XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "[==========] Running 2 test(s)."
suite_build tsan_build make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" BUILD=build-tsan TSAN=1 \
	build-tsan/tests/test_rt_x86_kvm
echo "[ RUN      ] tsan_concurrent_64_vcpus"
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" build-tsan/tests/test_rt_x86_kvm >"$out/run.log" 2>&1
rc=$?
if grep -q "ThreadSanitizer" "$out/run.log" || [ $rc -ne 0 ]; then
	sed 's/^/    | /' "$out/run.log" | tail -n 40
	report_fail tsan_concurrent_64_vcpus "exit $rc; ThreadSanitizer report or test failure above"
elif grep -A1 '^\[ RUN      \] test_concurrent_64_vcpus' "$out/run.log" | grep -q SKIP; then
	report_skip tsan_concurrent_64_vcpus "$(grep -m1 '^SKIP' "$out/run.log")"
elif grep -q '^\[       OK \] test_concurrent_64_vcpus' "$out/run.log"; then
	grep -E '^\[  (PASSED|SKIPPED) \]' "$out/run.log" | sed 's/^/    | /'
	report_pass tsan_concurrent_64_vcpus
else
	sed 's/^/    | /' "$out/run.log" | tail -n 20
	report_fail tsan_concurrent_64_vcpus "test_concurrent_64_vcpus did not run"
fi
report_finish
