#!/usr/bin/env bash
# fuzz/run.sh smoke|long [BUILD]   (see fuzz/README.md)
#
#   smoke  each target over its seeds and regressions, then a few seconds of
#          fuzzing (FUZZ_SMOKE_SECONDS, default 4); prints cmocka-style
#          summary lines, one test per target (part of ./run check)
#   long   each target in turn for FUZZ_SECONDS (default 600) or FUZZ_RUNS
#          executions (both: whichever comes first); the grown corpus is kept in BUILD/corpus/
#          (never in the project). FUZZ_TARGETS="fuzz_profile ..." picks targets,
#          FUZZ_JOBS=N runs N targets at once (one core each). Each run is
#          appended to BUILD/fuzz-long.ledger (the campaign's record: date,
#          target, executions, seconds, result); the totals per target close the run.
#
# Any crash, leak, sanitizer report or timeout fails the target; libFuzzer
# writes the input to BUILD/artifacts/ (add it to fuzz/regressions/TARGET/
# once fixed). Prints executions and seconds per target.
set -u
cd "$(dirname "$0")/.."
mode=${1:-smoke}
build=${2:-build-fuzz}
targets=${FUZZ_TARGETS:-$(cd "$build/fuzz" 2>/dev/null && ls fuzz_* | grep -v '\.[od]$')}
work=$(mktemp -d /tmp/kvmprof-fuzz-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
ledger=$build/fuzz-long.ledger
# the code a run fuzzed, so that runs on different commits are never summed blindly
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- . ':!build*' 2>/dev/null)" ] || commit=$commit-dirty
# Long runs: ASan keeps no allocation stacks (a report still names the access
# and the input is saved; replay it with the defaults for the stacks) and a
# 16 MB quarantine (an execution frees ~0.2 MB, so a use after free within
# one input is still caught): 1.4x the executions per second of the
# defaults on fuzz_capture (fuzz/README.md). A caller's ASAN_OPTIONS wins.
if [ "$mode" = long ]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0:quarantine_size_mb=16}
fi
passed=0 failed=0

# Seeds generated from the project's own files, where the target reads something else.
make_seeds() {
	local t=$1 d=$work/seeds-$1
	mkdir -p "$d"
	case "$t" in
	fuzz_expr)
		# every expression of tests/expr/cases.txt and every requires: of the profiles
		awk -v d="$d" '!/^#/ && / => / { sub(/ => [^=]*$/, ""); f = sprintf("%s/case-%05d", d, NR); printf "%s", $0 > f; close(f) }' \
			tests/expr/cases.txt
		grep -rhoE 'requires: *"[^"]*"' profiles tests/corpus | sed -E 's/requires: *"(.*)"/\1/' | sort -u |
			awk -v d="$d" '{ f = sprintf("%s/req-%05d", d, NR); printf "%s", $0 > f; close(f) }'
		;;
	fuzz_apply)
		# kernel answers: all success, then each call in turn answering an error
		head -c 4096 /dev/zero >"$d/all-ok"
		for i in 0 3 9 17 30 60; do
			{ head -c "$i" /dev/zero; printf '\377'; head -c 4000 /dev/zero; } >"$d/error-at-$i"
		done
		;;
	fuzz_firecracker)
		# the shipped profiles exported as Firecracker templates
		for p in profiles/linux-6.1-arm64-graviton3.yaml profiles/linux-6.1-x86_64-icelake.yaml \
			profiles/linux-6.12-arm64-neoverse-n1.yaml profiles/linux-6.1-x86_64-milan.yaml; do
			"$build/kvmprof" export --to firecracker -I profiles "$p" -o "$d/$(basename "$p" .yaml).json" >/dev/null 2>&1 || true
		done
		;;
	esac
	echo "$d"
}

seed_dirs() {
	local t=$1 short=${1#fuzz_}
	case "$t" in
	fuzz_profile) echo profiles tests/corpus/ok tests/corpus/errors tests/corpus/captures ;;
	fuzz_capture) echo tests/corpus/captures tests/matrix/profiles ;;
	fuzz_expr | fuzz_firecracker) make_seeds "$t" ;;
	fuzz_apply) make_seeds "$t" ;;
	esac
	[ -d "fuzz/corpus/$short" ] && echo "fuzz/corpus/$short"
	[ -d "fuzz/regressions/$short" ] && echo "fuzz/regressions/$short"
}

run_one() { # $1 target, $2.. libFuzzer options
	local t=$1 out=$work/$1.log corpus start end runs rc
	shift
	if [ "$mode" = long ]; then
		# kept, so a run in progress can be watched (libFuzzer's "#N" lines)
		corpus=$build/corpus/$t out=$build/logs/$t.log
		mkdir -p "$build/logs"
	else corpus=$work/corpus-$t; fi
	mkdir -p "$corpus" "$build/artifacts"
	start=$(date +%s)
	# shellcheck disable=SC2046
	"$build/fuzz/$t" -close_fd_mask=3 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t-" "$@" "$corpus" $(seed_dirs "$t") >"$out" 2>&1
	rc=$?
	end=$(date +%s)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
	# libFuzzer's own count when a run was stopped before its final stats
	[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$out" | tail -1)
	if [ $rc -eq 72 ] && grep -q 'libFuzzer: run interrupted' "$out" &&
		! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$out"; then
		# Ctrl-C (SIGINT, libFuzzer's exit status 72): what ran is recorded,
		# so that a campaign can go on in another run on the same commit
		echo "[ INTERRUPTED ] $t: ${runs:-?} executions in $((end - start)) s, no failure"
		[ "$mode" = long ] && echo "$(date -u +%FT%TZ) $t ${runs:-0} $((end - start)) interrupted $commit" >>"$ledger"
		echo interrupted >"$work/$t.status"
	elif [ $rc -eq 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$out"; then
		echo "[       OK ] $t: ${runs:-?} executions in $((end - start)) s"
		[ "$mode" = long ] && echo "$(date -u +%FT%TZ) $t ${runs:-0} $((end - start)) ok $commit" >>"$ledger"
		echo ok >"$work/$t.status"
	else
		tail -60 "$out"
		echo "[  FAILED  ] $t: exit $rc after ${runs:-?} executions in $((end - start)) s (log above; input in $build/artifacts/)"
		[ "$mode" = long ] && echo "$(date -u +%FT%TZ) $t ${runs:-0} $((end - start)) FAILED $commit" >>"$ledger"
		echo failed >"$work/$t.status"
	fi
}

run_target() {
	local t=$1
	case "$mode" in
	smoke) run_one "$t" -max_total_time="${FUZZ_SMOKE_SECONDS:-4}" ;;
	long) # FUZZ_RUNS and FUZZ_SECONDS together: whichever comes first
		if [ -n "${FUZZ_RUNS:-}" ] && [ -n "${FUZZ_SECONDS:-}" ]; then
			run_one "$t" -max_len="${FUZZ_MAX_LEN:-8192}" -runs="$FUZZ_RUNS" -max_total_time="$FUZZ_SECONDS"
		elif [ -n "${FUZZ_RUNS:-}" ]; then run_one "$t" -max_len="${FUZZ_MAX_LEN:-8192}" -runs="$FUZZ_RUNS"
		else run_one "$t" -max_len="${FUZZ_MAX_LEN:-8192}" -max_total_time="${FUZZ_SECONDS:-600}"; fi
		;;
	esac
}

case "$mode" in smoke | long) ;; *) echo "usage: fuzz/run.sh smoke|long [BUILD]" >&2; exit 2 ;; esac
jobs_at_once=1
[ "$mode" = long ] && jobs_at_once=${FUZZ_JOBS:-1}
n=$(echo "$targets" | wc -w)
echo "[==========] Running $n test(s)."
for t in $targets; do
	if [ "$jobs_at_once" -le 1 ]; then
		echo "[ RUN      ] $t"
		run_target "$t"
	else
		while [ "$(jobs -pr | wc -l)" -ge "$jobs_at_once" ]; do wait -n; done
		echo "[ RUN      ] $t"
		run_target "$t" &
	fi
done
wait
for t in $targets; do
	if [ "$(cat "$work/$t.status" 2>/dev/null)" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
if [ "$mode" = long ] && [ -f "$ledger" ]; then
	echo "campaign so far ($ledger): executions and seconds per target and commit, failures"
	awk '{ k = $2 " " ($6 == "" ? "?" : $6); r[k] += $3; s[k] += $4; if ($5 != "ok" && $5 != "interrupted") f[k]++ } END { for (k in r) { split(k, a, " "); printf "  %-18s %-14s %12d executions %8d s %d failed runs\n", a[1], a[2], r[k], s[k], f[k] } }' "$ledger" | sort
fi
echo "[==========] $n test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ $failed -eq 0 ] || echo "[  FAILED  ] $failed test(s)."
[ $failed -eq 0 ]
