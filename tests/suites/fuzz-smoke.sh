#!/usr/bin/env bash
# The libFuzzer targets of fuzz/ (make fuzz): each over its seeds and every
# regression input of fuzz/regressions/, then a few seconds of fuzzing
# (FUZZ_SMOKE_SECONDS). `make fuzz-long` runs them for as long as asked.
# Prints cmocka's summary lines (fuzz/run.sh), one test per target.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/report.bash
suite_init fuzz_smoke "fuzz smoke run"
suite_deps clang clang
out=$(mktemp -d /tmp/kvmprof-fuzz-smoke-XXXXXX)
trap 'rm -rf "$out"' EXIT
if ! make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" fuzz >"$out/build.log" 2>&1; then
	sed 's/^/  | /' "$out/build.log" | tail -n 30
	suite_fail_alone fuzz_build "make fuzz failed"
	exit 1
fi
exec fuzz/run.sh smoke build-fuzz
