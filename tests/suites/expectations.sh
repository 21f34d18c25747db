#!/usr/bin/env bash
# The shipped profiles keep what profiles/expectations.yml states (their
# hashes, lint clean, the verdict of each offline check against the captures
# in profiles/), checked by `kvmprof test` as a user's CI would. A change that
# is meant: `build/kvmprof test --update profiles/expectations.yml`, and
# review the rewritten lines. Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
. tests/suites/lib/report.bash

echo "[==========] Running 1 test(s)."
out=$("$build/kvmprof" test profiles/expectations.yml 2>&1)
rc=$?
printf '%s\n' "$out" | tail -40
if [ $rc -eq 0 ]; then
	report_pass shipped_profiles_keep_their_expectations
else
	report_fail shipped_profiles_keep_their_expectations "kvmprof test exit $rc: $(printf '%s\n' "$out" | grep -c 'error:') expectations not met"
fi
report_summary
