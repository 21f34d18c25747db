#!/usr/bin/env bash
# Runs every cmocka test binary of each build directory given (normal build,
# sanitizer build), then the suites in tests/suites/ (scripts that print
# cmocka's summary lines themselves, e.g. the arm64 run under QEMU), and ends
# with one line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0 broken=()

tally() { # $1 = label, stdin = the cmocka output
	local out p f s
	out=$(cat)
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	if ! printf '%s\n' "$out" | grep -q '^\[==========\] .* run\.'; then
		broken+=("$1")
		f=$((f + 1))
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

for dir in "$@"; do
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "=== $t"
		tally "$t" < <("$t" 2>&1; echo "[exit status $?]")
	done
done
for s in tests/suites/*.sh; do
	[ -x "$s" ] || continue
	echo "=== $s"
	tally "$s" < <("$s" 2>&1; echo "[exit status $?]")
done

for b in "${broken[@]+"${broken[@]}"}"; do
	echo "BROKEN: $b ended without a cmocka summary (crash or abort)"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
