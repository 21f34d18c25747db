# tests/suites/lib/report.bash - sourced by the suites in tests/suites/ (from
# the top of the tree, after their `cd`): cmocka's output format, which
# tests/run-tests.sh tallies ("[==========] N test(s) run.", "[  PASSED  ] N",
# "[  FAILED  ] N", "[  SKIPPED ] N"), and the steps every suite takes before
# its tests (packages, the lock, kernels, the build). Not executable and not
# named *.sh, so tests/run-tests.sh does not run it as a suite.
#
# The tally: passed, failed, skipped; failures and skips, the names.
# A suite that calls suite_skip, report_took or suite_kernel first calls
# suite_init NAME LABEL; run_test, suite_kernel and suite_build write into
# the suite's $out.

passed=0 failed=0 skipped=0 failures=() skips=()
suite=${suite:-} suite_label=${suite_label:-} suite_t0=$(date +%s.%N)

# suite_init NAME LABEL: NAME is the one test a skipped suite reports, LABEL
# names the suite in its SKIP line (e.g. arm64-kvm "arm64 real-KVM suite").
suite_init() {
	suite=$1 suite_label=$2 suite_t0=$(date +%s.%N)
}

# ---- one test -----------------------------------------------------------------
report_pass() { # NAME
	echo "[       OK ] $1"
	passed=$((passed + 1))
}
report_fail() { # NAME [REASON]
	[ $# -lt 2 ] || echo "[  ERROR   ] --- $2"
	echo "[  FAILED  ] $1"
	failed=$((failed + 1)) failures+=("$1")
}
report_skip() { # NAME [REASON]: never silent, the reason comes first
	[ $# -lt 2 ] || echo "SKIP: $2"
	echo "[  SKIPPED ] $1"
	skipped=$((skipped + 1)) skips+=("$1")
}

# report_ok NAME, report_bad NAME REASON: a test with no output of its own
# (matrix, migrate): its RUN line, then its verdict.
report_ok() {
	echo "[ RUN      ] $1"
	report_pass "$1"
}
report_bad() {
	echo "[ RUN      ] $1"
	report_fail "$1" "$2"
}

# report_now: the time, in seconds; report_since T: seconds since T (a
# report_now), two decimals.
report_now() { date +%s.%N; }
report_since() { awk -v a="$1" -v b="$(report_now)" 'BEGIN { printf "%.2f", b - a }'; }

# doc_is_current NAME DOC MADE FIX GENERATOR...: a generated document is what
# its generator makes now: GENERATOR... writes MADE, which must equal DOC; FIX
# says how to rewrite DOC when they differ.
doc_is_current() {
	local name=$1 doc=$2 made=$3 fix=$4
	shift 4
	if ! "$@" >"$made.log" 2>&1; then
		tail -n 20 "$made.log"
		report_fail "$name" "$1 failed"
	elif ! diff -u "$doc" "$made" >"$made.diff"; then
		head -n 30 "$made.diff"
		report_fail "$name" "$doc differs from what $1 makes now ($fix)"
	else
		report_pass "$name"
	fi
}

# run_test NAME COMMAND...: passes when COMMAND exits 0; its output goes to
# $out/NAME.log, the last 20 lines of it shown when it fails.
run_test() {
	local name=$1
	shift
	echo "[ RUN      ] $name"
	if "$@" >"$out/$name.log" 2>&1; then
		report_pass "$name"
	else
		sed 's/^/    | /' "$out/$name.log" | tail -n 20
		report_fail "$name"
	fi
}

# expect NAME TEXT REGEX...: passes when every REGEX matches a line of TEXT,
# else fails naming the first that does not.
expect() {
	local name=$1 text=$2 re
	shift 2
	echo "[ RUN      ] $name"
	for re in "$@"; do
		if ! printf '%s\n' "$text" | grep -Eq -- "$re"; then
			report_fail "$name" "no line matches /$re/"
			return 1
		fi
	done
	report_pass "$name"
}

# ---- the end --------------------------------------------------------------------
# report_summary: cmocka's summary lines; returns 1 when a test failed.
report_summary() {
	echo "[==========] $((passed + failed + skipped)) test(s) run."
	echo "[  PASSED  ] $passed test(s)."
	if [ $skipped -gt 0 ]; then
		echo "[  SKIPPED ] $skipped test(s), listed below:"
		[ ${#skips[@]} -eq 0 ] || printf '[  SKIPPED ] %s\n' "${skips[@]}"
	fi
	if [ $failed -gt 0 ]; then
		echo "[  FAILED  ] $failed test(s), listed below:"
		printf '[  FAILED  ] %s\n' "${failures[@]}"
		return 1
	fi
	return 0
}
report_took() {
	awk -v n="$suite" -v a="$suite_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%s: suite took %.1f s\n", n, b - a }'
}
# report_finish: the summary, the time taken, and exit 1 when a test failed.
report_finish() {
	local rc=0
	report_summary || rc=1
	report_took
	exit $rc
}

# suite_skip REASON: the suite cannot run here; it is one skipped test, never
# a pass.
suite_skip() {
	echo "SKIP: $suite_label: $1"
	echo "[==========] 1 test(s) run."
	echo "[  SKIPPED ] 1 test(s), listed below:"
	echo "[  SKIPPED ] $suite"
	exit 0
}
# suite_fail_alone NAME REASON: one failed test with its own summary (a step
# without which the suite's tests cannot run, or a boot that gave no result).
suite_fail_alone() {
	echo "[ RUN      ] $1"
	echo "[  ERROR   ] --- $2"
	echo "[  FAILED  ] $1"
	echo "[==========] 1 test(s) run."
	echo "[  PASSED  ] 0 test(s)."
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] $1"
}

# ---- before the tests -------------------------------------------------------------
# suite_deps GROUP COMMAND...: the packages of scripts/deps.sh GROUP are
# installed (as root they are installed now) and every COMMAND is on PATH;
# else the suite is skipped, saying what is missing and how to install it.
suite_deps() {
	local group=$1 deps_out missing how cmd
	shift
	if ! deps_out=$(scripts/deps.sh --check --quiet "$group"); then
		if [ "$(id -u)" -ne 0 ]; then
			missing=$(printf '%s\n' "$deps_out" | sed -n 's/^deps: missing: //p')
			how=$(printf '%s\n' "$deps_out" | sed -n 's/^deps: as root: //p' |
				awk 'NR > 1 { printf " && " } { printf "%s", $0 }')
			suite_skip "packages missing: ${missing:-none, the arm64 architecture is not added} (install as root with: $how, or scripts/deps.sh $group)"
		fi
		scripts/deps.sh "$group" >&2 || suite_skip "scripts/deps.sh $group could not install the packages"
	fi
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null || suite_skip "$cmd missing from PATH (scripts/deps.sh $group installs it)"
	done
}

# suite_deps_ready GROUP LABEL TEST: for a part of a suite (matrix, migrate):
# 0 when the packages of scripts/deps.sh GROUP are installed (as root they
# are installed now); else TEST is skipped, its reason "LABEL: " and what is
# missing, and it returns 1.
suite_deps_ready() {
	local deps_out
	deps_out=$(scripts/deps.sh --check --quiet "$1" 2>&1) && return 0
	if [ "$(id -u)" -ne 0 ]; then
		report_skip "$3" "$2: packages missing ($(printf '%s\n' "$deps_out" | sed -n 's/^deps: missing: //p')); scripts/deps.sh $1 as root"
		return 1
	fi
	scripts/deps.sh "$1" >&2 && return 0
	report_skip "$3" "$2: scripts/deps.sh $1 could not install the packages"
	return 1
}

# suite_prov KEY FILE: the value of KEY in the provenance block of a profile
# or capture FILE (its first line `  "KEY": "VALUE"`).
suite_prov() { sed -n "s/^  \"$1\": \"\(.*\)\"$/\1/p" "$2" | head -n 1; }

# suite_lock DIR: creates DIR and holds its lock until the suite ends, so
# that several `make check` runs sharing this tree take turns.
suite_lock() {
	mkdir -p "$1"
	exec 8>"$1/.suite.lock"
	flock 8
}

# suite_kernel [OPTION...] ARCH SERIES: kernel= the vmlinuz that
# tests/qemu/get-kernel.sh chose (its "get-kernel:" line is shown); when there
# is none, the suite is skipped.
suite_kernel() {
	local arch=${*: -2:1} series=${*: -1}
	if ! kernel=$(tests/qemu/get-kernel.sh "$@" 2>"$out/get-kernel.log"); then
		sed 's/^/  | /' "$out/get-kernel.log"
		suite_skip "no $arch $series kernel (tests/qemu/get-kernel.sh $* failed)"
	fi
	grep '^get-kernel: ' "$out/get-kernel.log"
}

# suite_build NAME COMMAND...: the test NAME passes when COMMAND builds what
# the suite runs; when it fails, its stderr is shown and the suite ends.
suite_build() {
	local name=$1
	shift
	echo "[ RUN      ] $name"
	if "$@" 2>"$out/build.log"; then
		report_pass "$name"
	else
		sed 's/^/  | /' "$out/build.log"
		report_fail "$name" "$1 failed"
		report_finish
	fi
}
