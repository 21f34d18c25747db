# tests/qemu/lib/boot.bash - sourced by tests/qemu/boot-arm64.sh and
# boot-x86.sh: the options both take, the QEMU run, and reading the result
# off the serial console (the markers, the exit status, the summary line).
# The caller sets boot_name (boot-arm64, boot-x86: how its messages start)
# and its own options' defaults, and defines boot_own_option.

kernel= cpu=max smp=1 mem=512 timeout_s=120 append= log_keep= raw=0 keep_going=0
files=() qemu_extra=()

boot_usage() { sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# boot_parse_args ARG...: the options both scripts take; any other goes to
# the script's boot_own_option ARG..., which returns how many arguments it
# took (1 a flag, 2 an option with its value), 0 when it knows none.
boot_parse_args() {
	local took
	while [ $# -gt 0 ]; do
		took=1
		case "$1" in
		--kernel) kernel=${2:?}; took=2 ;;
		--file) files+=(--file "${2:?}"); took=2 ;;
		--cpu) cpu=${2:?}; took=2 ;;
		--smp) smp=${2:?}; took=2 ;;
		--mem) mem=${2:?}; took=2 ;;
		--timeout) timeout_s=${2:?}; took=2 ;;
		--append) append="$append ${2:?}"; took=2 ;;
		--qemu-arg) qemu_extra+=("${2:?}"); took=2 ;;
		--log) log_keep=${2:?}; took=2 ;;
		--raw) raw=1 ;;
		--keep-going) keep_going=1 ;;
		-h | --help) boot_usage; exit 0 ;;
		*)
			boot_own_option "$@"
			took=$?
			[ $took -gt 0 ] || { echo "$boot_name: unknown argument $1" >&2; boot_usage >&2; exit 2; }
			;;
		esac
		shift $took
	done
}

# boot_workdir: work= a temporary folder, removed when the script exits.
boot_workdir() {
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
}

# boot_run QEMU CONSOLE MACHINE_ARG...: boots $kernel with
# $work/initramfs.cpio.gz under QEMU, bounded by $timeout_s; the serial log,
# carriage returns removed, is $log (and a copy in $log_keep); sets qemu_rc
# and seconds.
boot_run() {
	local qemu=$1 console=$2 t0
	shift 2
	boot_qemu=$qemu
	log=$work/serial.log
	t0=$(date +%s.%N)
	# QEMU exits 0 whatever the guest did; the guest powers off (or panics with
	# panic=-1 and -no-reboot) and only the markers tell the result.
	timeout -k 5 "$timeout_s" "$qemu" "$@" \
		-smp "$smp" -m "$mem" -nographic -no-reboot -monitor none -serial stdio -nodefaults \
		-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
		-append "console=$console rdinit=/init panic=-1 loglevel=4 KVMPROF_CPU=$cpu$append" \
		"${qemu_extra[@]+"${qemu_extra[@]}"}" </dev/null >"$log" 2>"$work/qemu.err"
	qemu_rc=$?
	seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	sed -i 's/\r$//' "$log"
	[ -z "$log_keep" ] || cp "$log" "$log_keep"
}

boot_summary() { # $1 result, $2 rc
	echo "$boot_name: result=$1 rc=$2 seconds=$seconds kernel=$kernel cpu=$cpu" >&2
}
boot_tail_log() { # $1 what went wrong
	echo "$boot_name: $1; last lines of the serial log:" >&2
	tail -n 40 "$log" | sed 's/^/  | /' >&2
	[ -s "$work/qemu.err" ] && sed 's/^/  qemu: /' "$work/qemu.err" >&2
}

# boot_finish BEGIN_REGEX: prints what the guest printed after the last line
# matching BEGIN_REGEX (an awk regex) up to its KVMPROF-END (everything with
# --raw), then the summary line, and exits: the guest's rc (clamped to
# 1..99; 0 with --keep-going), 100 no end marker, 101 timeout, 3 QEMU did
# not start.
boot_finish() {
	local end rc
	if [ $raw -eq 1 ]; then
		cat "$log"
	else
		awk -v begin="$1" '$0 ~ begin { n = 0; on = 1; next }
		     /^KVMPROF-END/ { on = 0 }
		     on { buf[n++] = $0 }
		     END { for (i = 0; i < n; i++) print buf[i] }' "$log"
	fi

	end=$(grep -a '^KVMPROF-END rc=' "$log" | tail -n1)
	if [ -z "$end" ]; then
		if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
			boot_tail_log "timeout after ${timeout_s}s"
			boot_summary timeout -1
			exit 101
		fi
		if [ $qemu_rc -ne 0 ] && [ ! -s "$log" ]; then
			boot_tail_log "$boot_qemu exited $qemu_rc"
			boot_summary no-marker -1
			exit 3
		fi
		boot_tail_log "no KVMPROF-END marker (guest crashed or panicked?)"
		boot_summary no-marker -1
		exit 100
	fi
	rc=${end#KVMPROF-END rc=}
	rc=${rc%% *}
	case "$rc" in '' | *[!0-9]*) rc=99 ;; esac
	if [ "$rc" -eq 0 ]; then
		boot_summary ok 0
		exit 0
	fi
	boot_summary guest-failed "$rc"
	[ $keep_going -eq 1 ] && exit 0
	[ "$rc" -gt 99 ] && exit 99
	exit "$rc"
}
