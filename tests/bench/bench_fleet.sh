#!/usr/bin/env bash
# tests/bench/bench_fleet.sh BUILD - `make bench`: the fleet question, "which
# of these profiles can which of these hosts present?", answered two ways on
# the same inputs in the same run:
#   floor  the shell loop a user writes without the fleet check: one
#          `kvmprof check PROFILE --against CAPTURE` per profile x host pair
#          of one architecture;
#   fleet  one `kvmprof check profiles/ --against ...` for the whole matrix.
# Inputs: every profile in profiles/ against every capture (a file with a
# host: section) in profiles/ and tests/corpus/captures/; then a larger fleet
# of 8 variants of each capture (the kernel release suffixed, so no two are
# identical and none is decided from another). A check is one profile x host
# cell of one architecture. Wall time (what a user waits; this machine is
# shared, so it includes waiting for a CPU) and CPU time (user + sys) are
# both shown, as checks per minute.
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
kvmprof=$build/kvmprof
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TIMEFORMAT='%R %U %S'

arch_of() { sed -n 's/^arch: *//p' "$1" | head -n 1; }
mapfile -t hosts < <(grep -l '^host:' profiles/*.yaml tests/corpus/captures/*.yaml)
against=()
for h in "${hosts[@]}"; do against+=(--against "$h"); done
for p in profiles/*.yaml; do
	for h in "${hosts[@]}"; do
		[ "$(arch_of "$p")" = "$(arch_of "$h")" ] && echo "$p $h"
	done
done >"$tmp/pairs"
n_pairs=$(grep -c '' "$tmp/pairs")
n_profiles=$(ls profiles/*.yaml | wc -l)

# rate N "WALL USER SYS" -> "N checks in W s wall (C s CPU): X/min wall, Y/min CPU"
rate() {
	awk -v n="$1" -v t="$2" 'BEGIN { split(t, a, " "); cpu = a[2] + a[3]
		w = a[1] > 0 ? n * 60 / a[1] : 0; c = cpu > 0 ? n * 60 / cpu : 0
		printf "%d checks in %.2f s wall (%.2f s CPU): %d checks/min wall, %d/min CPU", n, a[1], cpu, w, c }'
}
# cells of one architecture in a fleet json (summary yes + no + unknown)
decided() { sed -n 's/.*"summary": {"yes": \([0-9]*\), "no": \([0-9]*\), "unknown": \([0-9]*\),.*/\1 \2 \3/p' "$1" |
	awk '{ print $1 + $2 + $3 }'; }

echo "kvmprof check, the fleet ($n_profiles profiles x ${#hosts[@]} captures, $n_pairs pairs of one architecture; load $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs):"
floor=$({ time while read -r p h; do "$kvmprof" check "$p" --against "$h" >/dev/null 2>&1; done <"$tmp/pairs"; } 2>&1)
printf '  %-44s %s\n' "floor: shell loop of single checks" "$(rate "$n_pairs" "$floor")"
fleet=$({ time "$kvmprof" check profiles/ "${against[@]}" --format json >"$tmp/fleet.json" 2>/dev/null; } 2>&1)
got=$(decided "$tmp/fleet.json")
[ "$got" = "$n_pairs" ] || echo "  WARNING: the fleet check decided $got cells, the loop ran $n_pairs"
printf '  %-44s %s\n' "one kvmprof check for the matrix" "$(rate "$n_pairs" "$fleet")"

mkdir -p "$tmp/caps"
for h in "${hosts[@]}"; do
	b=$(basename "$h" .yaml)
	for i in 1 2 3 4 5 6 7 8; do
		sed -e "s/^name: .*/name: $b-v$i/" -e "s/^\(  kernel: \"\{0,1\}[^\"]*\)/\1.v$i/" "$h" >"$tmp/caps/$b-v$i.yaml"
	done
done
big=$({ time "$kvmprof" check profiles/ --against "$tmp/caps" --format json >"$tmp/big.json" 2>/dev/null; } 2>&1)
n_big=$(decided "$tmp/big.json")
shared=$(sed -n 's/.*"shared": \([0-9]*\)}}/\1/p' "$tmp/big.json")
printf '  %-44s %s\n' "one kvmprof check, $n_profiles x $((${#hosts[@]} * 8)) captures" "$(rate "$n_big" "$big")"
echo "    ($shared of the cells answered from an identical capture: the kvm_amd captures in profiles/ and in the test corpus record the same facts)"
echo "  target: >= 100000 checks/min"
