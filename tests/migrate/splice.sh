#!/usr/bin/env bash
# tests/migrate/splice.sh DOC SECTION: replaces DOC's lines from
# "<!-- migration-matrix:begin -->" to "<!-- migration-matrix:end -->" with
# SECTION (which carries both markers), or appends SECTION when DOC has none.
# The rest of DOC (the fresh-VM matrix, written by tests/suites/matrix.sh)
# is kept byte for byte. Written atomically.
set -eu
doc=${1:?usage: splice.sh DOC SECTION} section=${2:?section}
tmp=$(mktemp "$doc.XXXXXX")
trap 'rm -f "$tmp"' EXIT
if grep -q '^<!-- migration-matrix:begin -->$' "$doc" 2>/dev/null; then
	awk -v sec="$section" '
		/^<!-- migration-matrix:begin -->$/ { while ((getline l < sec) > 0) print l; skip = 1; next }
		/^<!-- migration-matrix:end -->$/ { skip = 0; next }
		!skip' "$doc" >"$tmp"
else
	{ [ -f "$doc" ] && cat "$doc" && echo; cat "$section"; } >"$tmp"
fi
chmod 0644 "$tmp"
mv "$tmp" "$doc"
trap - EXIT
