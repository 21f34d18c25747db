#!/usr/bin/env bash
# Rules of the source tree, checked by reading it:
#  - every check an error or warning names is in check_table (model/checks.c)
#    at the level of its call (diag_error: error, diag_warning: warning).
# Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/report.bash
suite_init sources "source rules"

srcs=$(ls regdb/*.c model/*.c model/*.y model/*.l formats/*.c ops/*.c cli/*.c)
echo "[==========] Running 1 test(s)."

# check_table rows: NAME LEVEL
table=$(perl -ne 'print "$1 $2\n" if /^\s*\{ "([a-z0-9-]+)", CHECK_(ERROR|WARNING),/' model/checks.c)
# call sites: LEVEL NAME FILE. The check is the first string literal of the
# call (the format comes after it); a call naming none shows as "(none)".
calls=$(perl -0777 -ne 'while (/\bdiag_(error|warning)\(([^;]*?)\);/gs) { my ($l, $c) = ($1, $2); my $n = $c =~ /"([^"]*)"/ ? $1 : ""; $n = "(none)" unless $n =~ /^[a-z0-9-]+$/; print uc($l), " $n $ARGV\n" }' $srcs)
bad=$(printf '%s\n' "$calls" | while read -r level name file; do
	[ -n "$level" ] || continue
	if ! printf '%s\n' "$table" | grep -qx "$name $level"; then
		echo "$file: $name as $level"
	fi
done | sort -u)
if [ -z "$table" ] || [ -z "$calls" ]; then
	report_fail checks_in_table "no check table or no call sites found (the patterns are stale)"
elif [ -z "$bad" ]; then
	report_pass checks_in_table
else
	report_fail checks_in_table "not in check_table at that level: $(echo $bad)"
fi
report_finish
