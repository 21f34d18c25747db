#!/usr/bin/env bash
# tests/suites/migrate.sh - the migration matrix on real kernels, in
# `make check` (and `make migrate-matrix`, which also writes its section of
# docs/compatibility.md).
#
# A running guest carried from kernel A to kernel B (upgrade, rollback, and
# the same kernel as a control), for every ordered pair of kernels of an
# architecture and every profile of that architecture's rows:
#   arm64   Debian 6.1 and 6.12 under qemu-system-aarch64 TCG (EL2), per CPU
#           model (KVMPROF_MIGRATE_CPUS): the captures of that model
#           (profiles/linux-S-arm64-CPU.yaml) and, per pair of kernels, the
#           common ground `kvmprof baseline` makes of their captures, where
#           it exists
#   x86_64  Debian 6.1 and 6.12 cloud-amd64 with kvm_amd under
#           qemu-system-x86_64 TCG -cpu max: the captures
#           (linux-S-x86_64-kvm-amd-tcg.yaml), their baseline where it
#           exists, and the authored common ground
#           tests/migrate/profiles/migrate-x86-kvm-amd-common.yaml
# Kernels: the series of tests/qemu/kernel-series when that file exists (one
# series per line, "#" comments), else 6.1 and 6.12; the exact kernel is the
# package named in each capture's provenance.
#
# One boot per kernel saves every profile's guest (tests/migrate/migrate_vmm.c,
# KVMPROF_MIGRATE=save; the states leave on the serial console), one boot per
# kernel restores every state saved on every kernel (--file into /migrate).
# Per cell (A, B, profile) the VMM says: same (migrated, the guest noticed
# nothing), noticed (migrated, the guest saw values change: which), refused
# (kvmprof_migration_check() refused before restore: which registers, which
# policy), failed (a restore ioctl failed half-way: a test failure, since the
# library should have refused first).
#
# Tests: builds, boots, and per cell migrate_<A>_to_<B>_<profile>: restored
# or refused before anything was written, and the live verdict agrees with
# `kvmprof check PROFILE --against CAPTURE_B` on the register list (the
# registers the profile requires that B does not list, among those the state
# carries, are exactly those refused for not being listed; a refusal for a
# value B cannot take is the live check's alone: the offline check does not
# know the saved values). Writes build/migrate/migration.md and results.tsv; with
# KVMPROF_MIGRATE_DOC=FILE replaces FILE's section between
# "<!-- migration-matrix:begin -->" and "<!-- migration-matrix:end -->".
# Environment: BUILD=build, KVMPROF_MIGRATE_TIMEOUT=120 (s per boot),
# KVMPROF_MIGRATE_CPUS (arm64 CPU models; default cortex-a72, to keep
# `make check` short: 4 boots per model; `make migrate-matrix`, which writes
# the document, runs "neoverse-n1 cortex-a72").
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
out=$build/migrate
timeout_s=${KVMPROF_MIGRATE_TIMEOUT:-120}
kvmprof=$build/kvmprof
. tests/suites/lib/report.bash

t_start=$(report_now)
echo "[==========] The migration matrix on real kernels."
[ -x "$kvmprof" ] || { suite_fail_alone migrate_kvmprof_built "$kvmprof missing (make)"; exit 1; }
suite_lock "$out"
rm -rf "${out:?}"/arm64-* "${out:?}"/x86_64-* "$out/cells.tsv"
: >"$out/cells.tsv"

series=()
if [ -f tests/qemu/kernel-series ]; then
	while read -r s _; do case $s in '' | '#'*) ;; *) series+=("$s") ;; esac; done <tests/qemu/kernel-series
else
	series=(6.1 6.12)
fi

# extract_states LOG DIR PREFIX: the states the save boot printed, one file each
extract_states() {
	awk -v d="$2" -v pre="$3" '{ sub(/\r$/, "") }
		/^migrate: state-begin / { f = d "/" pre "--" $3 ".state"; next }
		/^migrate: state-end / { f = ""; next }
		f != "" && /^(kvmprof-state|profile|kernel|reg|msr|unreadable-msr|blob|cpuid|mem|gicd|gicr|icc|gic-nr-irqs|level|end)( |$)/ { print > f }' "$1"
}

# group ARCH CPU SUFFIX HOST...: one group of kernels sharing a CPU model;
# HOST = the captures' names (linux-S-ARCH-SUFFIX).
group() {
	local arch=$1 cpu=$2 suffix=$3 g
	shift 3
	local hosts=("$@") rows=() h a b base t rc kernel pkg boot init_opt get_args files
	g=$arch-$cpu
	mkdir -p "$out/$g/states"
	case $arch in
	arm64) boot=boot-arm64 init_opt=--init get_args=(arm64) ;;
	x86_64) boot=boot-x86 init_opt=--run get_args=(--modules amd64) ;;
	esac
	for h in "${hosts[@]}"; do rows+=("profiles/$h.yaml"); done
	rows+=("${group_extra[@]+"${group_extra[@]}"}") # authored rows of this group
	# The common ground of each pair, where kvmprof baseline finds one.
	for ((i = 0; i < ${#hosts[@]}; i++)); do
		for ((j = i + 1; j < ${#hosts[@]}; j++)); do
			a=${hosts[i]} b=${hosts[j]}
			base=common-$(echo "$a" | sed 's/^linux-\([^-]*\)-.*/\1/')-$(echo "$b" | sed 's/^linux-\([^-]*\)-.*/\1/')-$arch-$suffix
			if "$kvmprof" baseline -o "$out/$g/$base.yaml" --name "$base" "profiles/$a.yaml" "profiles/$b.yaml" \
				>"$out/$g/$base.log" 2>&1; then
				rows+=("$out/$g/$base.yaml")
				printf 'B\t%s\t%s\t%s\t%s\tyes\t%s\n' "$g" "$base" "$a" "$b" \
					"$(sed -n 's/^  "left-out\[[0-9]*\]": "\([^:]*\):.*/\1/p' "$out/$g/$base.yaml" | tr '\n' ' ')" >>"$out/cells.tsv"
			else
				printf 'B\t%s\t%s\t%s\t%s\tno\t%s\n' "$g" "$base" "$a" "$b" \
					"$(grep -o 'no safe common value for [^:]*' "$out/$g/$base.log" | sed 's/no safe common value for //' | sed 's/\.[A-Za-z0-9]*$//' | sort -u | tr '\n' ' ')" >>"$out/cells.tsv"
			fi
		done
	done
	t=$(report_now)
	if ! tests/migrate/build.sh "$out/$g" "$arch" "$build" "${rows[@]}" >"$out/$g/build.log" 2>&1; then
		cat "$out/$g/build.log"
		report_bad "migrate_build_$g" "tests/migrate/build.sh $arch failed"
		return
	fi
	report_ok "migrate_build_$g"
	echo "migrate: $g build $(report_since "$t") s, ${#rows[@]} profiles"
	# Kernels: the package each capture names.
	declare -A kern=()
	for h in "${hosts[@]}"; do
		pkg=$(suite_prov kernel-package "profiles/$h.yaml")
		if ! kern[$h]=$(tests/qemu/get-kernel.sh "${get_args[@]}" "$pkg" 2>"$out/$g/get-kernel-$h.log"); then
			report_skip "migrate_boot_$h" "migrate: no kernel $pkg ($(tail -n 1 "$out/$g/get-kernel-$h.log"))"
			unset "kern[$h]"
		fi
	done
	# One save boot per kernel.
	for h in "${hosts[@]}"; do
		[ -n "${kern[$h]:-}" ] || continue
		t=$(report_now)
		nice -n 10 "tests/qemu/$boot.sh" --kernel "${kern[$h]}" "$init_opt" "$out/$g/migrate_vmm" --cpu "$cpu" \
			--append "KVMPROF_MIGRATE=save" --timeout "$timeout_s" --log "$out/$g/serial-save-$h.log" \
			>"$out/$g/save-$h.txt" 2>"$out/$g/save-$h.err"
		rc=$?
		echo "migrate: save on $h: $(report_since "$t") s, $(tail -n 1 "$out/$g/save-$h.err")"
		if [ $rc -ne 0 ]; then
			tail -n 20 "$out/$g/save-$h.txt"
			report_bad "migrate_save_on_$h" "$boot.sh exit $rc"
			unset "kern[$h]"
			continue
		fi
		extract_states "$out/$g/save-$h.txt" "$out/$g/states" "$h"
		printf 'K\t%s\t%s\t%s\t%s\n' "$g" "$h" \
			"$(sed -n 's/^migrate: kernel \([^ ]*\).*/\1/p' "$out/$g/save-$h.txt" | tr -d '\r' | head -n 1)" \
			"$(sed -n 's/.* -> \([^ ]* [^ ]*\) (release.*/\1/p' "$out/$g/get-kernel-$h.log" | head -n 1)" >>"$out/cells.tsv"
		report_ok "migrate_save_on_$h"
	done
	# One restore boot per kernel, carrying every state.
	for b in "${hosts[@]}"; do
		[ -n "${kern[$b]:-}" ] || continue
		files=()
		for f in "$out/$g/states"/*.state; do [ -f "$f" ] && files+=(--file "$f:/migrate/$(basename "$f")"); done
		t=$(report_now)
		nice -n 10 "tests/qemu/$boot.sh" --kernel "${kern[$b]}" "$init_opt" "$out/$g/migrate_vmm" --cpu "$cpu" \
			"${files[@]}" --append "KVMPROF_MIGRATE=restore" --timeout "$timeout_s" \
			--log "$out/$g/serial-restore-$b.log" >"$out/$g/restore-$b.txt" 2>"$out/$g/restore-$b.err"
		rc=$?
		echo "migrate: restore on $b: $(report_since "$t") s, $(tail -n 1 "$out/$g/restore-$b.err")"
		if [ $rc -ne 0 ]; then
			tail -n 20 "$out/$g/restore-$b.txt"
			report_bad "migrate_restore_on_$b" "$boot.sh exit $rc"
			continue
		fi
		report_ok "migrate_restore_on_$b"
		cells "$arch" "$g" "$b" "$out/$g/restore-$b.txt"
	done
}

# cells ARCH GROUP B OUTPUT: one test per state restored on B
cells() {
	local arch=$1 g=$2 b=$3 txt=$4 a prof verdict text file row cap offline live expected ok_agree name absent
	# (fields apart by \037: a tab is IFS white space, and empty fields would merge)
	while IFS=$'\037' read -r file verdict text live absent; do
		a=${file%%--*} prof=${file#*--} prof=${prof%.state}
		name="migrate_${a#linux-}_to_${b#linux-}_$prof"
		row=profiles/$prof.yaml
		[ -f "$row" ] || row=tests/migrate/profiles/$prof.yaml
		[ -f "$row" ] || row=$out/$g/$prof.yaml
		cap=profiles/$b.yaml
		# Offline: what kvmprof check says B lacks of the profile's required registers.
		"$kvmprof" check "$row" --against "$cap" --format json >"$out/$g/check-$prof--$b.json" 2>/dev/null
		offline=$(sed -n 's/.*"missing": \[\([^]]*\)\].*/\1/p' "$out/$g/check-$prof--$b.json" | tr -d '",' )
		# ... among the registers the state carries
		expected=$(for r in $offline; do case " $absent " in *" $r "*) ;; *) echo "$r" ;; esac; done | sort | tr '\n' ' ')
		live=$(echo "$live" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
		ok_agree=1
		[ "$expected" = "$live" ] || ok_agree=0
		printf 'C\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$g" "$a" "$b" "$prof" "$verdict" "$text" "$ok_agree" \
			"$(echo "$live" | wc -w)" >>"$out/cells.tsv"
		case $verdict in
		same | noticed | refused)
			if [ $ok_agree = 1 ]; then
				report_ok "$name"
			else
				report_bad "$name" "live refused [${live}] but kvmprof check --against $b says the state's registers missing are [${expected}]"
			fi
			;;
		*) report_bad "$name" "$verdict: $text" ;;
		esac
		done < <(awk '{ sub(/\r$/, "") }
		/^migrate: state / { if (file != "") print file "\037" verdict "\037" text "\037" items "\037" absent
			file = $3; verdict = ""; text = ""; items = ""; absent = ""; next }
		/^migrate: item refuse required lacked / { items = items " " $6; next }
		/^migrate: not-in-state / { absent = absent " " $3; next }
		/^migrate: verdict / { verdict = $4; text = $0; sub(/^migrate: verdict [^ ]* [^ ]* /, "", text) }
		END { if (file != "") print file "\037" verdict "\037" text "\037" items "\037" absent }' "$txt")
}

# ---- arm64 ----------------------------------------------------------------------
if suite_deps_ready arm64 "migrate: arm64" migrate-arm64; then
	for cpu in ${KVMPROF_MIGRATE_CPUS:-cortex-a72}; do
		hosts=()
		for s in "${series[@]}"; do [ -f "profiles/linux-$s-arm64-$cpu.yaml" ] && hosts+=("linux-$s-arm64-$cpu"); done
		if [ ${#hosts[@]} -lt 2 ]; then
			report_skip "migrate-arm64-$cpu" "migrate: fewer than two captures of -cpu $cpu (make captures)"
			continue
		fi
		group_extra=()
		group arm64 "$cpu" "$cpu" "${hosts[@]}"
	done
fi

# ---- x86_64 ---------------------------------------------------------------------
if suite_deps_ready x86-tcg "migrate: x86 TCG" migrate-x86-tcg; then
	hosts=()
	for s in "${series[@]}"; do [ -f "profiles/linux-$s-x86_64-kvm-amd-tcg.yaml" ] && hosts+=("linux-$s-x86_64-kvm-amd-tcg"); done
	if [ ${#hosts[@]} -lt 2 ]; then
		report_skip migrate-x86_64 "migrate: fewer than two kvm_amd captures (make captures)"
	else
		group_extra=(tests/migrate/profiles/migrate-x86-kvm-amd-common.yaml)
		group x86_64 max kvm-amd-tcg "${hosts[@]}"
	fi
fi

# ---- the report -----------------------------------------------------------------
if awk -v date="$(date -u +%Y-%m-%dT%H:%MZ)" -v secs="$(report_since "$t_start")" -f tests/migrate/report.awk \
	"$out/cells.tsv" >"$out/migration.md" && grep -q '^<!-- migration-matrix:end -->$' "$out/migration.md"; then
	report_ok migrate_report
else
	report_bad migrate_report "tests/migrate/report.awk failed"
	KVMPROF_MIGRATE_DOC=
fi
if [ -n "${KVMPROF_MIGRATE_DOC:-}" ]; then
	tests/migrate/splice.sh "$KVMPROF_MIGRATE_DOC" "$out/migration.md" && echo "migrate: wrote $KVMPROF_MIGRATE_DOC"
fi
echo "migrate: report $out/migration.md; took $(report_since "$t_start") s"
report_summary
