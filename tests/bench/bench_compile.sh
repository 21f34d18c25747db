#!/usr/bin/env bash
# make bench: how long `kvmprof compile` takes, for the largest shipped
# profile (median of 21 runs of the whole command) and for 1,000 profiles
# compiled in one run (-d). Target: well under 10 ms per profile.
set -eu
build=${1:-build}
cd "$(dirname "$0")/../.."
kvmprof=$build/kvmprof
now() { date +%s%N; }

# The largest profile by resolved entries (kvmprof show prints one line per entry or field set).
largest="" best=0
for p in profiles/*.yaml; do
	n=$("$kvmprof" show "$p" | grep -c '^    ' || true)
	if [ "$n" -gt "$best" ]; then best=$n largest=$p; fi
done
work=$(mktemp -d /tmp/kvmprof-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

times=()
for _ in $(seq 21); do
	t0=$(now)
	"$kvmprof" compile "$largest" -o "$work/one.c"
	t1=$(now)
	times+=($(((t1 - t0) / 1000)))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 11p)
printf 'compile %-45s %4d stated lines: median %6.2f ms per run (21 runs, whole process)\n' \
	"$largest" "$best" "$(awk -v m="$median" 'BEGIN{print m/1000}')"

# 1,000 profiles in one run: copies of the largest profile under other names,
# base profiles copied beside them.
mkdir -p "$work/in" "$work/out"
cp profiles/*.yaml "$work/in/"
name=$(basename "$largest" .yaml)
for i in $(seq -w 1 1000); do
	sed "s/^name: .*/name: bench-$i/" "$largest" > "$work/in/bench-$i.yaml"
done
t0=$(now)
"$kvmprof" compile -I "$work/in" "$work"/in/bench-*.yaml -d "$work/out"
t1=$(now)
total_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print (b-a)/1e6}')
n=$(ls "$work/out" | wc -l)
printf 'compile 1000 x %s in one run: %d outputs, %.1f ms total, %.3f ms per profile (target < 10 ms)\n' \
	"$name" "$n" "$total_ms" "$(awk -v t="$total_ms" 'BEGIN{print t/1000}')"
