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
doc_is_current kernel_changes_doc_is_current docs/kernel-changes.md "$build/kernel-changes.md" \
	"make captures runs it" scripts/gen-kernel-changes.sh "$build/kernel-changes.md"
report_summary
