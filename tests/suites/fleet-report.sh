#!/usr/bin/env bash
# docs/fleet-report.md is what scripts/gen-fleet-report.sh makes now of the
# shipped fleet profiles and the Firecracker fingerprints: a change to the
# profiles, the checker or the register database's kernel facts that moves a
# verdict, without the report, fails here. Fix: make fleet-report. Needs the
# fingerprints (KVMPROF_FIRECRACKER_DIR, default ../shared/firecracker);
# without them a visible SKIP. Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
fc=${KVMPROF_FIRECRACKER_DIR:-../shared/firecracker}
. tests/suites/lib/report.bash

echo "[==========] Running 1 test(s)."
mkdir -p "$build"
echo "[ RUN      ] fleet_report_is_current"
if [ ! -d "$fc" ]; then
	report_skip fleet_report_is_current "no Firecracker fingerprints at $fc (set KVMPROF_FIRECRACKER_DIR)"
elif ! scripts/gen-fleet-report.sh "$build/kvmprof" "$build/fleet-report.md" "$fc" >"$build/fleet-report.log" 2>&1; then
	tail -n 20 "$build/fleet-report.log"
	report_fail fleet_report_is_current "scripts/gen-fleet-report.sh failed"
elif ! diff -u docs/fleet-report.md "$build/fleet-report.md" >"$build/fleet-report.diff"; then
	head -n 30 "$build/fleet-report.diff"
	report_fail fleet_report_is_current "docs/fleet-report.md differs from what the profiles give now (make fleet-report rewrites it)"
else
	report_pass fleet_report_is_current
fi
report_summary
