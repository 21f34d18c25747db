#!/usr/bin/env bash
# tests/suites/matrix.sh - the upgrade/rollback matrix on real kernels, in
# `make check` (and `make matrix`, which also writes docs/compatibility.md).
#
# For every ordered pair (A, B) of kernels of one architecture: a VM on
# kernel B with A's captured profile (profiles/linux-*-arm64-<cpu>.yaml,
# linux-*-x86_64-kvm-amd-tcg.yaml, linux-*-x86_64-pvm-host.yaml, made by
# `make captures`), applied by examples/vmm.c in lenient mode so that every
# entry is reported, then a real guest reads what it sees (arm64: MRS, HVC
# PSCI_VERSION, GICD MMIO; x86: CPUID) and the VMM compares; and offline,
# `kvmprof check A --against B's capture`. The two verdicts are compared
# entry by entry.
#
# One run of tests/matrix/matrix_init.c per kernel B carries every profile
# of its architecture (one VM each), so the matrix is one boot per kernel:
#   arm64   Debian 6.1 and 6.12 under qemu-system-aarch64 TCG (EL2), -cpu
#           neoverse-n1 and cortex-a72 (4 boots); rows also carry
#           tests/matrix/profiles/matrix-gicd-iidr-rev1.yaml (GICD_IIDR
#           revision 1, which no KVM accepts)
#   x86_64  Debian 6.1 and 6.12 cloud-amd64 with kvm_amd under
#           qemu-system-x86_64 TCG -cpu max (2 boots), and this machine's own
#           /dev/kvm (PVM; no boot); rows also carry the authored
#           profiles/linux-6.18-x86_64-pvm.yaml
# Each kernel is the exact package named in its capture's provenance.
#
# Writes build/matrix/results.tsv (records described in tests/matrix/report.awk)
# and build/matrix/compatibility.md; with KVMPROF_MATRIX_DOC=FILE also FILE.
# Tests, in cmocka's output format: builds, one boot per kernel, one per cell
# (live and offline verdicts agree, or the difference is one the capture
# cannot know, said so), own_<profile> (a capture on its own kernel: applied
# and seen by the guest), gicd_iidr_rev1_<kernel>. Missing QEMU/cross
# compiler as non-root or kernels that cannot be downloaded: that
# architecture is one skipped test with the reason, never a pass.
# Environment: BUILD=build, KVMPROF_MATRIX_TIMEOUT=120 (s per boot),
#              KVMPROF_MATRIX_DOC=docs/compatibility.md (make matrix).
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
out=$build/matrix
timeout_s=${KVMPROF_MATRIX_TIMEOUT:-120}
kvmprof=$build/kvmprof
passed=0 failed=0 skipped=0 failures=() skips=()

ok() { echo "[ RUN      ] $1"; echo "[       OK ] $1"; passed=$((passed + 1)); }
bad() { echo "[ RUN      ] $1"; echo "[  ERROR   ] --- $2"; echo "[  FAILED  ] $1"; failed=$((failed + 1)); failures+=("$1"); }
skip_one() { echo "SKIP: matrix: $2"; echo "[  SKIPPED ] $1"; skipped=$((skipped + 1)); skips+=("$1"); }
summary() {
	echo "[==========] $((passed + failed + skipped)) test(s) run."
	echo "[  PASSED  ] $passed test(s)."
	if [ $skipped -gt 0 ]; then
		echo "[  SKIPPED ] $skipped test(s), listed below:"
		printf '[  SKIPPED ] %s\n' "${skips[@]}"
	fi
	if [ $failed -gt 0 ]; then
		echo "[  FAILED  ] $failed test(s), listed below:"
		printf '[  FAILED  ] %s\n' "${failures[@]}"
	fi
	[ $failed -eq 0 ]
	exit
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
prov() { sed -n "s/^  \"$1\": \"\(.*\)\"$/\1/p" "$2" | head -n 1; } # KEY FILE: a provenance value

t_start=$(now)
echo "[==========] The upgrade/rollback matrix on real kernels."
[ -x "$kvmprof" ] || { bad matrix_kvmprof_built "$kvmprof missing (make)"; summary; }
mkdir -p "$out"
exec 8>"$out/.suite.lock" # several `make check` runs may share this tree
flock 8
raw=$out/raw.tsv
: >"$raw"

# The matrix. Hosts: "arch name kind series cpu"; the name is its capture's.
arm64_hosts=()
for series in 6.1 6.12; do
	for cpu in neoverse-n1 cortex-a72; do arm64_hosts+=("linux-$series-arm64-$cpu"); done
done
arm64_extra=(tests/matrix/profiles/matrix-gicd-iidr-rev1.yaml)
x86_hosts=(linux-6.1-x86_64-kvm-amd-tcg linux-6.12-x86_64-kvm-amd-tcg)
host_release=$(uname -r)
pvm_host=linux-$(echo "$host_release" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')-x86_64-pvm-host
x86_extra=(profiles/linux-6.18-x86_64-pvm.yaml)

# rows ARCH HOSTS... -- EXTRA...: the R records and the list of profile files
declare -A row_files
add_rows() {
	local arch=$1 f
	shift
	row_files[$arch]=""
	for f in "$@"; do
		[ -f "$f" ] || continue
		local name kind
		name=$(basename "$f" .yaml)
		kind=$(sed -n 's/^  "*kind"*: "*\([a-z]*\)"*$/\1/p' "$f" | head -n 1)
		case $f in tests/*) kind="test ($kind)" ;; esac
		printf 'R\t%s\t%s\t%s\t%s\n' "$arch" "$name" "$kind" "$f" >>"$raw"
		row_files[$arch]+="$f "
	done
}

# column ARCH NAME OUTPUT SECONDS RESULT PACKAGE VERSION QEMU CPU: parse one run
column() {
	local arch=$1 name=$2 run=$3
	printf 'H\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$arch" "$name" "$6" "$7" "$8" "$9" "$4" "$5" >>"$raw"
	awk -v arch="$arch" -v col="$name" -f tests/matrix/parse-live.awk "$run" >>"$raw"
}

# offline ARCH COL: kvmprof check of every row against COL's capture
offline() {
	local arch=$1 col=$2 f row
	for f in ${row_files[$arch]}; do
		row=$(basename "$f" .yaml)
		"$kvmprof" check "$f" --against "profiles/$col.yaml" --format json >"$out/check-$row--$col.json" 2>"$out/check-$row--$col.err"
		awk -v arch="$arch" -v row="$row" -v col="$col" -f tests/matrix/parse-check.awk "$out/check-$row--$col.json" >>"$raw"
	done
}

# ---- arm64 ------------------------------------------------------------------
arm64_ok=1
if ! deps_out=$(scripts/deps.sh --check --quiet arm64 2>&1); then
	if [ "$(id -u)" -ne 0 ]; then
		skip_one matrix-arm64 "arm64: packages missing ($(printf '%s\n' "$deps_out" | sed -n 's/^deps: missing: //p')); scripts/deps.sh arm64 as root"
		arm64_ok=0
	elif ! scripts/deps.sh arm64 >&2; then
		skip_one matrix-arm64 "arm64: scripts/deps.sh arm64 could not install the packages"
		arm64_ok=0
	fi
fi
if [ $arm64_ok -eq 1 ]; then
	add_rows arm64 $(for h in "${arm64_hosts[@]}"; do echo "profiles/$h.yaml"; done) "${arm64_extra[@]}"
	t=$(now)
	# shellcheck disable=SC2086
	if tests/matrix/build.sh "$out/arm64" arm64 "$build" ${row_files[arm64]} >"$out/build-arm64.log" 2>&1; then
		ok matrix_build_arm64
		echo "matrix: arm64 build $(elapsed "$t") s"
	else
		cat "$out/build-arm64.log"
		bad matrix_build_arm64 "tests/matrix/build.sh arm64 failed"
		arm64_ok=0
	fi
fi
if [ $arm64_ok -eq 1 ]; then
	qemu=$(qemu-system-aarch64 --version | sed -n '1s/^QEMU emulator version //p')
	for host in "${arm64_hosts[@]}"; do
		cap=profiles/$host.yaml
		pkg=$(prov kernel-package "$cap") ver=$(prov kernel-package-version "$cap") cpu=$(prov qemu-cpu "$cap")
		if ! kernel=$(tests/qemu/get-kernel.sh arm64 "$pkg" 2>"$out/get-kernel-$host.log"); then
			skip_one "boot_$host" "no kernel $pkg ($(tail -n 1 "$out/get-kernel-$host.log"))"
			continue
		fi
		got=$(sed -n 's/.* -> [^ ]* \([^ ]*\) (release.*/\1/p' "$out/get-kernel-$host.log")
		t=$(now)
		tests/qemu/boot-arm64.sh --kernel "$kernel" --init "$out/arm64/matrix_init" --cpu "$cpu" \
			--timeout "$timeout_s" --log "$out/serial-$host.log" >"$out/run-$host.txt" 2>"$out/boot-$host.err"
		rc=$? secs=$(elapsed "$t")
		res=$(sed -n 's/^boot-arm64: result=\([a-z-]*\).*/\1/p' "$out/boot-$host.err")
		echo "matrix: $host: kernel $pkg $got, -cpu $cpu, boot ${secs} s, ${res:-no result line}"
		if [ $rc -ne 0 ]; then
			tail -n 5 "$out/boot-$host.err"
			bad "boot_$host" "boot-arm64.sh exit $rc (log: $out/serial-$host.log)"
			continue
		fi
		ok "boot_$host"
		column arm64 "$host" "$out/run-$host.txt" "$secs" "$res" "$pkg" "$got" "qemu-system-aarch64 $qemu" "$cpu"
		offline arm64 "$host"
	done
fi

# ---- x86_64 -----------------------------------------------------------------
x86_ok=1
x86_rows=()
for h in "${x86_hosts[@]}" "$pvm_host"; do [ -f "profiles/$h.yaml" ] && x86_rows+=("profiles/$h.yaml"); done
add_rows x86_64 "${x86_rows[@]}" "${x86_extra[@]}"
t=$(now)
# shellcheck disable=SC2086
if tests/matrix/build.sh "$out/x86_64" x86_64 "$build" ${row_files[x86_64]} >"$out/build-x86_64.log" 2>&1; then
	ok matrix_build_x86_64
	echo "matrix: x86_64 build $(elapsed "$t") s"
else
	cat "$out/build-x86_64.log"
	bad matrix_build_x86_64 "tests/matrix/build.sh x86_64 failed"
	x86_ok=0
fi
tcg_ok=$x86_ok
if [ $x86_ok -eq 1 ] && ! deps_out=$(scripts/deps.sh --check --quiet x86-tcg 2>&1); then
	if [ "$(id -u)" -ne 0 ]; then
		skip_one matrix-x86-tcg "x86 TCG: packages missing ($(printf '%s\n' "$deps_out" | sed -n 's/^deps: missing: //p')); scripts/deps.sh x86-tcg as root"
		tcg_ok=0
	elif ! scripts/deps.sh x86-tcg >&2; then
		skip_one matrix-x86-tcg "x86 TCG: scripts/deps.sh x86-tcg could not install the packages"
		tcg_ok=0
	fi
fi
if [ $tcg_ok -eq 1 ]; then
	qemu=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version //p')
	for host in "${x86_hosts[@]}"; do
		cap=profiles/$host.yaml
		pkg=$(prov kernel-package "$cap") cpu=$(prov qemu-cpu "$cap")
		if ! kernel=$(tests/qemu/get-kernel.sh --modules amd64 "$pkg" 2>"$out/get-kernel-$host.log"); then
			skip_one "boot_$host" "no kernel $pkg ($(tail -n 1 "$out/get-kernel-$host.log"))"
			continue
		fi
		got=$(sed -n 's/.* -> [^ ]* \([^ ]*\) (release.*/\1/p' "$out/get-kernel-$host.log")
		t=$(now)
		tests/qemu/boot-x86.sh --kernel "$kernel" --run "$out/x86_64/matrix_init" --cpu "$cpu" \
			--timeout "$timeout_s" --log "$out/serial-$host.log" >"$out/run-$host.txt" 2>"$out/boot-$host.err"
		rc=$? secs=$(elapsed "$t")
		res=$(sed -n 's/^boot-x86: result=\([a-z-]*\).*/\1/p' "$out/boot-$host.err")
		echo "matrix: $host: kernel $pkg $got, -cpu $cpu, boot ${secs} s, ${res:-no result line}"
		# matrix_init exits 0 when every profile ran to its verdict
		if [ $rc -ne 0 ]; then
			tail -n 5 "$out/boot-$host.err"
			bad "boot_$host" "boot-x86.sh exit $rc (log: $out/serial-$host.log)"
			continue
		fi
		ok "boot_$host"
		column x86_64 "$host" "$out/run-$host.txt" "$secs" "$res" "$pkg" "$got" "qemu-system-x86_64 $qemu" "$cpu"
		offline x86_64 "$host"
	done
fi
if [ $x86_ok -eq 1 ]; then
	if [ "$(uname -m)" != x86_64 ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		skip_one "run_$pvm_host" "this machine's /dev/kvm is not usable (or not x86_64): no host column"
	elif ! [ -f "profiles/$pvm_host.yaml" ]; then
		skip_one "run_$pvm_host" "no capture profiles/$pvm_host.yaml of this host's kernel $host_release (make captures)"
	else
		t=$(now)
		"$out/x86_64/matrix_init" >"$out/run-$pvm_host.txt" 2>&1
		rc=$? secs=$(elapsed "$t")
		echo "matrix: $pvm_host: this machine's /dev/kvm, Linux $host_release, run ${secs} s, exit $rc"
		if [ $rc -ne 0 ]; then
			tail -n 5 "$out/run-$pvm_host.txt"
			bad "run_$pvm_host" "matrix_init exit $rc on this host"
		else
			ok "run_$pvm_host"
			column x86_64 "$pvm_host" "$out/run-$pvm_host.txt" "$secs" ok "(this host)" "$host_release" \
				"none (the host's /dev/kvm)" "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
			offline x86_64 "$pvm_host"
		fi
	fi
fi

# ---- verdicts, tests and the report -------------------------------------------
printf 'D\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(elapsed "$t_start")" >>"$raw"
awk -v results="$out/results.tsv" -v known_file=tests/matrix/known-disagreements.tsv -f tests/matrix/report.awk "$raw" >"$out/compatibility.md"
while IFS=$'\t' read -r kind name verdict message; do
	[ "$kind" = T ] || continue
	if [ "$verdict" = pass ]; then ok "$name"; else bad "$name" "$message"; fi
done <"$out/results.tsv"
if [ -n "${KVMPROF_MATRIX_DOC:-}" ]; then
	cp "$out/compatibility.md" "$KVMPROF_MATRIX_DOC"
	echo "matrix: wrote $KVMPROF_MATRIX_DOC"
fi
echo "matrix: results in $out/results.tsv, report $out/compatibility.md; took $(elapsed "$t_start") s"
summary
