#!/usr/bin/env bash
# tests/suites/matrix.sh - the upgrade/rollback matrix on real kernels, in
# `make check` (and `make matrix`, which also writes docs/compatibility.md).
#
# For every ordered pair (A, B) of kernels of one architecture: a VM on
# kernel B with A's captured profile (profiles/linux-*-arm64-<cpu>.yaml,
# linux-*-x86_64-kvm-amd-tcg.yaml, made by `make captures`), and with every
# other shipped profile of that architecture (authored ones such as
# linux-6.12-arm64-qemu-max and the Graviton and x86 fleet profiles),
# applied by examples/vmm.c in lenient mode so that every entry is reported,
# then a real guest reads what it sees (arm64: MRS, HVC PSCI_VERSION, GICD
# MMIO; x86: CPUID) and the VMM compares; and offline, `kvmprof check A
# --against B's capture`. The two verdicts are compared entry by entry.
#
# One run of tests/matrix/matrix_init.c per kernel B carries every profile
# of its architecture (one VM each), so the matrix is one boot per kernel,
# for each series pinned in tests/qemu/kernels.pin (6.1 ... 7.3):
#   arm64   Debian's arm64 kernel under qemu-system-aarch64 TCG (EL2), -cpu
#           neoverse-n1 and cortex-a72 (two boots per series); rows also
#           carry tests/matrix/profiles/matrix-gicd-iidr-rev1.yaml
#           (GICD_IIDR revision 1: refused with EINVAL, or, from v5.19 until
#           the fix a0e6ae45af17, accepted with revision 3 kept)
#   x86_64  Debian's cloud-amd64 kernel with kvm_amd under
#           qemu-system-x86_64 TCG -cpu max (one boot per series), and this
#           machine's own /dev/kvm (PVM; no boot; its column is a capture
#           made by this run, also a row)
# Each kernel is the exact package named in its capture's provenance.
#
# Writes build/matrix/results.tsv (records described in tests/matrix/report.awk)
# and build/matrix/compatibility.md; with KVMPROF_MATRIX_DOC=FILE also the
# part of FILE between its fresh-VM markers (other generators own the rest).
# Tests, in cmocka's output format: builds, one boot per kernel, one per cell
# (live and offline verdicts agree, or the difference is one the capture
# cannot know, said so), own_<profile> (a capture on its own kernel: applied
# and seen by the guest), gicd_iidr_rev1_<kernel> (refused or kept, and the
# offline check says the same). Missing QEMU/cross compiler as non-root or
# kernels that cannot be downloaded: that architecture is one skipped test
# with the reason, never a pass.
# Environment: BUILD=build, KVMPROF_MATRIX_TIMEOUT=300 (s per boot; a loaded 2-CPU
#              machine took 120 s for one boot),
#              KVMPROF_MATRIX_DOC=docs/compatibility.md (make matrix),
#              KVMPROF_MATRIX_SERIES="6.1 7.3" (only those columns).
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
out=$build/matrix
timeout_s=${KVMPROF_MATRIX_TIMEOUT:-300}
kvmprof=$build/kvmprof
. tests/suites/lib/report.bash

# The matrix's tests have no output of their own to show: each is one
# report_ok or report_bad (lib/report.bash), its RUN line with its verdict.
qemu_version() { "$1" --version | sed -n '1s/^QEMU emulator version //p'; }

t_start=$(report_now)
echo "[==========] The upgrade/rollback matrix on real kernels."
[ -x "$kvmprof" ] || { suite_fail_alone matrix_kvmprof_built "$kvmprof missing (make)"; exit 1; }
suite_lock "$out" # several `make check` runs may share this tree
raw=$out/raw.tsv
: >"$raw"

# The matrix. Columns: the capture of each series pinned in
# tests/qemu/kernels.pin (KVMPROF_MATRIX_SERIES="6.1 7.3" narrows them), one
# per arm64 CPU model; rows: every shipped profile of the architecture
# (captured and authored) and the test profiles.
pinned() { tests/qemu/get-kernel.sh --pinned "$1" | cut -d' ' -f1; } # ARCH
wanted_series() { # ARCH: the pinned series, narrowed by KVMPROF_MATRIX_SERIES
	local s
	for s in $(pinned "$1"); do
		[ -z "${KVMPROF_MATRIX_SERIES:-}" ] || [[ " $KVMPROF_MATRIX_SERIES " == *" $s "* ]] && echo "$s"
	done
}
arch_profiles() { grep -l "^arch: $1\$" profiles/*.yaml | sort -V; } # ARCH: profiles/ of that arch
arm64_hosts=()
for cpu in neoverse-n1 cortex-a72; do
	for series in $(wanted_series arm64); do arm64_hosts+=("linux-$series-arm64-$cpu"); done
done
arm64_extra=(tests/matrix/profiles/matrix-gicd-iidr-rev1.yaml)
x86_hosts=()
for series in $(wanted_series amd64); do x86_hosts+=("linux-$series-x86_64-kvm-amd-tcg"); done
host_release=$(uname -r)
pvm_host=linux-$(echo "$host_release" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')-x86_64-pvm-host
# The host column is this machine as it is now: the checked-in capture of
# $pvm_host was made on whatever machine ran `make captures` (another CPU
# model gives other CPUID), so the column, and the row judged on its own
# kernel, is a capture made by this run; the checked-in one stays a row.
this_host=linux-$(echo "$host_release" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')-x86_64-pvm-this-host
this_host_cap=$out/x86_64/$this_host.yaml

# add_rows ARCH PROFILE.yaml...: the R records of the profiles that exist,
# and row_files[ARCH], the list of their files
declare -A row_files col_capture
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

# build_arch ARCH: the test matrix_build_ARCH, tests/matrix/build.sh of
# $out/ARCH/matrix_init carrying ARCH's rows; returns 1 when it fails.
build_arch() {
	local arch=$1 t
	t=$(report_now)
	# shellcheck disable=SC2086
	if tests/matrix/build.sh "$out/$arch" "$arch" "$build" ${row_files[$arch]} >"$out/build-$arch.log" 2>&1; then
		report_ok "matrix_build_$arch"
		echo "matrix: $arch build $(report_since "$t") s"
		return 0
	fi
	cat "$out/build-$arch.log"
	report_bad "matrix_build_$arch" "tests/matrix/build.sh $arch failed"
	return 1
}

# ran TEST RC LOG WHY: TEST passes when matrix_init's run exited 0 (every
# profile ran to its verdict); else it fails with WHY after LOG's last lines.
# Returns whether it passed.
ran() {
	if [ "$2" -ne 0 ]; then
		tail -n 5 "$3"
		report_bad "$1" "$4"
		return 1
	fi
	report_ok "$1"
}

# column ARCH NAME OUTPUT SECONDS RESULT PACKAGE VERSION QEMU CPU: one column,
# the live verdicts of the run on NAME (its OUTPUT parsed) and the offline
# ones, kvmprof check of every row against NAME's capture
column() {
	local arch=$1 col=$2 f row
	printf 'H\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$arch" "$col" "$6" "$7" "$8" "$9" "$4" "$5" >>"$raw"
	awk -v arch="$arch" -v col="$col" -f tests/matrix/parse-live.awk "$3" >>"$raw"
	for f in ${row_files[$arch]}; do
		row=$(basename "$f" .yaml)
		"$kvmprof" check "$f" --against "${col_capture[$col]:-profiles/$col.yaml}" --format json >"$out/check-$row--$col.json" 2>"$out/check-$row--$col.err"
		awk -v arch="$arch" -v row="$row" -v col="$col" -f tests/matrix/parse-check.awk "$out/check-$row--$col.json" >>"$raw"
	done
}

# boot_columns ARCH HOST...: for each HOST, the test boot_HOST: its kernel
# (the package its capture names) boots under QEMU with $out/ARCH/matrix_init
# on the capture's CPU model; then its column.
boot_columns() {
	local arch=$1 get_args boot init_opt qemu_bin qemu host cap pkg cpu kernel got t rc secs res
	shift
	case $arch in
	arm64) get_args=(arm64) boot=boot-arm64 init_opt=--init qemu_bin=qemu-system-aarch64 ;;
	x86_64) get_args=(--modules amd64) boot=boot-x86 init_opt=--run qemu_bin=qemu-system-x86_64 ;;
	esac
	qemu=$(qemu_version "$qemu_bin")
	for host in "$@"; do
		cap=profiles/$host.yaml
		pkg=$(suite_prov kernel-package "$cap") cpu=$(suite_prov qemu-cpu "$cap")
		if ! kernel=$(tests/qemu/get-kernel.sh "${get_args[@]}" "$pkg" 2>"$out/get-kernel-$host.log"); then
			report_skip "boot_$host" "matrix: no kernel $pkg ($(tail -n 1 "$out/get-kernel-$host.log"))"
			continue
		fi
		got=$(sed -n 's/.* -> [^ ]* \([^ ]*\) (release.*/\1/p' "$out/get-kernel-$host.log")
		t=$(report_now)
		"tests/qemu/$boot.sh" --kernel "$kernel" "$init_opt" "$out/$arch/matrix_init" --cpu "$cpu" \
			--timeout "$timeout_s" --log "$out/serial-$host.log" >"$out/run-$host.txt" 2>"$out/boot-$host.err"
		rc=$? secs=$(report_since "$t")
		res=$(sed -n "s/^$boot: result=\([a-z-]*\).*/\1/p" "$out/boot-$host.err")
		echo "matrix: $host: kernel $pkg $got, -cpu $cpu, boot ${secs} s, ${res:-no result line}"
		ran "boot_$host" $rc "$out/boot-$host.err" "$boot.sh exit $rc (log: $out/serial-$host.log)" || continue
		column "$arch" "$host" "$out/run-$host.txt" "$secs" "$res" "$pkg" "$got" "$qemu_bin $qemu" "$cpu"
	done
}

# ---- arm64 ------------------------------------------------------------------
if suite_deps_ready arm64 "matrix: arm64" matrix-arm64; then
	# shellcheck disable=SC2046 # (file names without spaces)
	add_rows arm64 $(arch_profiles arm64) "${arm64_extra[@]}"
	build_arch arm64 && boot_columns arm64 "${arm64_hosts[@]}"
fi

# ---- x86_64 -----------------------------------------------------------------
host_usable=0
if [ "$(uname -m)" != x86_64 ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	report_skip "run_$this_host" "matrix: this machine's /dev/kvm is not usable (or not x86_64): no host column"
else
	mkdir -p "$out/x86_64"
	if "$kvmprof" capture --name "$this_host" -o "$this_host_cap" 2>"$out/capture-this-host.err"; then
		host_usable=1 col_capture[$this_host]=$this_host_cap
	else
		cat "$out/capture-this-host.err"
		report_bad "capture_$this_host" "kvmprof capture on this host failed"
	fi
fi
this_host_row=()
[ "$host_usable" = 1 ] && this_host_row=("$this_host_cap")
# shellcheck disable=SC2046
add_rows x86_64 $(arch_profiles x86_64) "${this_host_row[@]}"
if build_arch x86_64; then
	suite_deps_ready x86-tcg "matrix: x86 TCG" matrix-x86-tcg && boot_columns x86_64 "${x86_hosts[@]}"
	if [ "$host_usable" = 1 ]; then
		t=$(report_now)
		"$out/x86_64/matrix_init" >"$out/run-$this_host.txt" 2>&1
		rc=$? secs=$(report_since "$t")
		echo "matrix: $this_host: this machine's /dev/kvm, Linux $host_release, run ${secs} s, exit $rc"
		ran "run_$this_host" $rc "$out/run-$this_host.txt" "matrix_init exit $rc on this host" &&
			column x86_64 "$this_host" "$out/run-$this_host.txt" "$secs" ok "(this host)" "$host_release" \
				"none (the host's /dev/kvm)" "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
	fi
fi

# ---- verdicts, tests and the report -------------------------------------------
printf 'D\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(report_since "$t_start")" >>"$raw"
awk -v results="$out/results.tsv" -v known_file=tests/matrix/known-disagreements.tsv -f tests/matrix/report.awk "$raw" >"$out/compatibility.md"
while IFS=$'\t' read -r kind name verdict message; do
	[ "$kind" = T ] || continue
	if [ "$verdict" = pass ]; then report_ok "$name"; else report_bad "$name" "$message"; fi
done <"$out/results.tsv"
if [ -n "${KVMPROF_MATRIX_DOC:-}" ]; then
	# The fresh-VM matrix owns only the part of the document between its two
	# markers; other generators own theirs (tests/suites/migrate.sh: the
	# migration matrix, between <!-- migration-matrix:begin/end -->). A
	# document without these markers gets a title and them, and keeps every
	# other generator's marked section.
	begin='<!-- fresh-vm matrix: begin (generated by tests/suites/matrix.sh; do not edit) -->'
	end='<!-- fresh-vm matrix: end -->'
	doc=$KVMPROF_MATRIX_DOC
	if ! grep -qxF "$begin" "$doc" 2>/dev/null || ! grep -qxF "$end" "$doc"; then
		{
			printf '# Kernel compatibility\n\n%s\n%s\n' "$begin" "$end"
			[ -f "$doc" ] && awk '/^<!-- [a-z-]+:begin -->$/ { on = 1; print "" } on { print } /^<!-- [a-z-]+:end -->$/ { on = 0 }' "$doc"
		} >"$doc.new"
		mv "$doc.new" "$doc"
	fi
	awk -v begin="$begin" -v end="$end" -v part="$out/compatibility.md" '
		$0 == begin { print; while ((getline l < part) > 0) if (!(n++ == 0 && l ~ /^# /)) print l; skip = 1; next }
		$0 == end { skip = 0 }
		!skip' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
	echo "matrix: wrote the fresh-VM part of $KVMPROF_MATRIX_DOC"
fi
echo "matrix: results in $out/results.tsv, report $out/compatibility.md; took $(report_since "$t_start") s"
report_summary # the exit status: 1 when a test failed
