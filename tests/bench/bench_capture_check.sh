#!/usr/bin/env bash
# tests/bench/bench_capture_check.sh BUILD - `make bench`: how long
# `kvmprof capture` takes on this host's /dev/kvm, and `kvmprof check` for the
# largest profiles (the real arm64 captures, about 120 entries and 259
# registers each, checked offline; this host's capture checked live and
# offline). Median of N runs of the whole command (process start, YAML load,
# tables, runtime), in milliseconds.
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
kvmprof=$build/kvmprof
caps=tests/corpus/captures
n=${KVMPROF_BENCH_RUNS:-21}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_ms() { # command...; prints the median wall time of n runs
	local i t0 t1
	for ((i = 0; i < n; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f ms\n", a[int((NR + 1) / 2)] / 1000 }'
}

echo "kvmprof capture/check (median of $n runs, whole command):"
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	printf '  %-58s %s\n' "capture (this host, $(uname -r))" "$(median_ms "$kvmprof" capture -o "$tmp/host.yaml")"
	"$kvmprof" capture -o "$tmp/host.yaml"
	printf '  %-58s %s\n' "check live: this host's capture ($(grep -c '' "$tmp/host.yaml") lines)" \
		"$(median_ms "$kvmprof" check "$tmp/host.yaml")"
	printf '  %-58s %s\n' "check offline: this host's capture against itself" \
		"$(median_ms "$kvmprof" check "$tmp/host.yaml" --against "$tmp/host.yaml")"
else
	echo "  SKIP: capture and live check: no usable /dev/kvm"
fi
printf '  %-58s %s\n' "check offline: arm64 6.12 capture against itself" \
	"$(median_ms "$kvmprof" check $caps/linux-6.12-arm64-capture.yaml --against $caps/linux-6.12-arm64-capture.yaml)"
printf '  %-58s %s\n' "check offline: arm64 6.1 capture against the 6.12 capture" \
	"$(median_ms "$kvmprof" check $caps/linux-6.1-arm64-capture.yaml --against $caps/linux-6.12-arm64-capture.yaml)"
printf '  %-58s %s\n' "check offline, json: arm64 6.12 against 6.1" \
	"$(median_ms "$kvmprof" check $caps/linux-6.12-arm64-capture.yaml --against $caps/linux-6.1-arm64-capture.yaml --format json)"
printf '  %-58s %s\n' "for scale: lint of the arm64 6.12 capture" \
	"$(median_ms "$kvmprof" lint $caps/linux-6.12-arm64-capture.yaml)"
