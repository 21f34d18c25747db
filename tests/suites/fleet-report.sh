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
else
	doc_is_current fleet_report_is_current docs/fleet-report.md "$build/fleet-report.md" \
		"make fleet-report rewrites it" scripts/gen-fleet-report.sh "$build/kvmprof" "$build/fleet-report.md" "$fc"
fi
report_summary
