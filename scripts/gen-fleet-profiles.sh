#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# gen-fleet-profiles.sh - regenerates the shipped AWS fleet profiles from
# Firecracker's CPU fingerprints (real captures; see docs/firecracker.md):
#
#   profiles/linux-common-<arch>-<platform>.yaml   what both kernels present alike
#   profiles/linux-5.10-<arch>-<platform>.yaml     base: the common one, plus what 5.10 differs in
#   profiles/linux-6.1-<arch>-<platform>.yaml      likewise for 6.1
#
#   scripts/gen-fleet-profiles.sh [KVMPROF [FIRECRACKER_DIR [OUT_DIR]]]
#
# Defaults: build/kvmprof, ../shared/firecracker, profiles. The JSON is read in
# place and never copied into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
kvmprof=${1:-build/kvmprof}
fc=${2:-${KVMPROF_FIRECRACKER_DIR:-../shared/firecracker}}
out=${3:-profiles}

[ -x "$kvmprof" ] || { echo "gen-fleet-profiles: $kvmprof not built (make)" >&2; exit 1; }
[ -d "$fc" ] || { echo "gen-fleet-profiles: no Firecracker data at $fc" >&2; exit 1; }

# Firecracker's CPU tag -> the profile's <arch>-<platform>
platforms="
ARM_NEOVERSE_N1       arm64-graviton2
ARM_NEOVERSE_V1       arm64-graviton3
ARM_NEOVERSE_V2       arm64-graviton4
AMD_MILAN             x86_64-milan
AMD_GENOA             x86_64-genoa
INTEL_CASCADELAKE     x86_64-cascadelake
INTEL_ICELAKE         x86_64-icelake
INTEL_SAPPHIRE_RAPIDS x86_64-sapphire-rapids
INTEL_GRANITE_RAPIDS  x86_64-granite-rapids
"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
while read -r tag name; do
	[ -n "$tag" ] || continue
	# vCPU state registers (core, FP/SIMD, timers, PMU, debug, EL1 context,
	# MPIDR_EL1) are left out of the profiles and counted in provenance
	# (docs/firecracker.md); a failed import fails the run.
	if ! "$kvmprof" import --from firecracker --common "linux-common-$name" -d "$out" \
		"$fc/fingerprint_${tag}_5.10host.json" "$fc/fingerprint_${tag}_6.1host.json" 2>"$log"; then
		cat "$log" >&2
		exit 1
	fi
	grep -E '^[^ ].*(entries|error|left out)' "$log" | sed "s|^$fc/||" || true
done <<< "$platforms"
"$kvmprof" lint -Werror -I "$out" "$out"/linux-{common,5.10,6.1}-{arm64-graviton?,x86_64-*}.yaml
echo "fleet profiles written to $out/ and lint clean"
