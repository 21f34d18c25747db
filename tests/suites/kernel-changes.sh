#!/usr/bin/env bash
# docs/kernel-changes.md is what scripts/gen-kernel-changes.sh makes of the
# captures in profiles/ now: a capture changed without the record (or the
# record edited by hand) fails here. Fix: scripts/gen-kernel-changes.sh (make
# captures runs it). Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
. tests/suites/lib/report.bash

echo "[==========] Running 1 test(s)."
mkdir -p "$build"
echo "[ RUN      ] kernel_changes_doc_is_current"
if ! scripts/gen-kernel-changes.sh "$build/kernel-changes.md" 2>"$build/kernel-changes.err"; then
	cat "$build/kernel-changes.err"
	report_fail kernel_changes_doc_is_current "scripts/gen-kernel-changes.sh failed"
elif ! diff -u docs/kernel-changes.md "$build/kernel-changes.md" >"$build/kernel-changes.diff"; then
	head -n 30 "$build/kernel-changes.diff"
	report_fail kernel_changes_doc_is_current "docs/kernel-changes.md differs from what the captures give (scripts/gen-kernel-changes.sh rewrites it)"
else
	report_pass kernel_changes_doc_is_current
fi
report_summary
