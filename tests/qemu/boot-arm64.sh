#!/usr/bin/env bash
# tests/qemu/boot-arm64.sh --kernel VMLINUZ --init BINARY [options]
#
# Boots a Debian arm64 kernel in qemu-system-aarch64 (TCG, EL2 on, GICv3),
# so the guest kernel runs a real KVM/arm64, with BINARY as /init of a
# fresh initramfs; prints what /init printed between its markers
#
#   KVMPROF-BEGIN
#   ... (stdout: only these lines)
#   KVMPROF-END rc=N
#
# and one summary line on stderr (always the last line the script prints):
#
#   boot-arm64: result=ok|guest-failed|no-marker|timeout rc=N seconds=S.SS kernel=VMLINUZ cpu=MODEL
#
# Options:
#   --kernel FILE     arm64 Image (boot/vmlinuz-* of a linux-image .deb)
#   --init FILE       /init: static, or dynamic with its libraries via --lib
#   --lib FILE        copy FILE to /lib/ (repeatable; loader, libc, libcmocka)
#   --file SRC:DEST   copy SRC to DEST in the initramfs (repeatable)
#   --cpu MODEL       QEMU -cpu (default max; "max" gets pauth-impdef=on,
#                     which halves boot time); neoverse-n1, cortex-a72, ...
#   --machine-opts O  appended to -M virt,virtualization=on,gic-version=G
#                     (e.g. mte=on)
#   --gic 2|3         GIC version (default 3)
#   --smp N           vCPUs of the outer machine (default 1)
#   --mem MB          memory (default 512)
#   --timeout S       wall-clock bound for the whole boot (default 120)
#   --append "..."    more kernel command line words (KEY=value words reach
#                     /init as environment variables, others as argv;
#                     KVMPROF_CPU=MODEL is always added, so /init knows
#                     which host ID values to expect)
#   --qemu-arg ARG    extra QEMU argument (repeatable)
#   --log FILE        keep the whole serial log (kernel messages included)
#   --raw             print the whole serial log, not only the marked part
#   --keep-going      exit 0 when the guest reported rc != 0 (result and rc
#                     stay in the summary line)
#
# Exit: the guest's rc (0 = passed; clamped to 1..99) when the end marker
# was seen; 100 no end marker (crash, panic: the log tail is printed on
# stderr); 101 timeout; 2 usage or missing file; 3 QEMU failed to start.
set -u
here=$(cd "$(dirname "$0")" && pwd)

kernel= init= cpu=max mopts= gic=3 smp=1 mem=512 timeout_s=120 append= log_keep= raw=0 keep_going=0
libs=() files=() qemu_extra=()
usage() { sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?}; shift ;;
	--init) init=${2:?}; shift ;;
	--lib) libs+=(--lib "${2:?}"); shift ;;
	--file) files+=(--file "${2:?}"); shift ;;
	--cpu) cpu=${2:?}; shift ;;
	--machine-opts) mopts=${2:?}; shift ;;
	--gic) gic=${2:?}; shift ;;
	--smp) smp=${2:?}; shift ;;
	--mem) mem=${2:?}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	--append) append="$append ${2:?}"; shift ;;
	--qemu-arg) qemu_extra+=("${2:?}"); shift ;;
	--log) log_keep=${2:?}; shift ;;
	--raw) raw=1 ;;
	--keep-going) keep_going=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "boot-arm64: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kernel" ] && [ -n "$init" ] || { echo "boot-arm64: --kernel and --init are required" >&2; exit 2; }
[ -f "$kernel" ] || { echo "boot-arm64: no such kernel: $kernel" >&2; exit 2; }
[ -f "$init" ] || { echo "boot-arm64: no such init: $init" >&2; exit 2; }
command -v qemu-system-aarch64 >/dev/null || { echo "boot-arm64: qemu-system-aarch64 missing (scripts/deps.sh arm64)" >&2; exit 3; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/mkinitramfs.sh" "$work/initramfs.cpio.gz" --init "$init" \
	"${libs[@]+"${libs[@]}"}" "${files[@]+"${files[@]}"}" || exit 2

cpu_arg=$cpu
[ "$cpu" = max ] && cpu_arg=max,pauth-impdef=on
machine=virt,virtualization=on,gic-version=$gic${mopts:+,$mopts}
log=$work/serial.log

t0=$(date +%s.%N)
# QEMU exits 0 whatever the guest did; the guest powers off (or panics with
# panic=-1 and -no-reboot) and only the markers tell the result.
timeout -k 5 "$timeout_s" qemu-system-aarch64 -M "$machine" -cpu "$cpu_arg" \
	-smp "$smp" -m "$mem" -nographic -no-reboot -monitor none -serial stdio -nodefaults \
	-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 loglevel=4 KVMPROF_CPU=$cpu$append" \
	"${qemu_extra[@]+"${qemu_extra[@]}"}" </dev/null >"$log" 2>"$work/qemu.err"
qemu_rc=$?
t1=$(date +%s.%N)
seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
sed -i 's/\r$//' "$log"
[ -n "$log_keep" ] && cp "$log" "$log_keep"

summary() { # $1 result, $2 rc
	echo "boot-arm64: result=$1 rc=$2 seconds=$seconds kernel=$kernel cpu=$cpu" >&2
}
tail_log() {
	echo "boot-arm64: $1; last lines of the serial log:" >&2
	tail -n 40 "$log" | sed 's/^/  | /' >&2
	[ -s "$work/qemu.err" ] && sed 's/^/  qemu: /' "$work/qemu.err" >&2
}

if [ $raw -eq 1 ]; then
	cat "$log"
else
	# The lines after the last BEGIN, up to and without END.
	awk '/^KVMPROF-BEGIN/ { n = 0; on = 1; next }
	     /^KVMPROF-END/ { on = 0 }
	     on { buf[n++] = $0 }
	     END { for (i = 0; i < n; i++) print buf[i] }' "$log"
fi

end=$(grep -a '^KVMPROF-END rc=' "$log" | tail -n1)
if [ -z "$end" ]; then
	if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
		tail_log "timeout after ${timeout_s}s"
		summary timeout -1
		exit 101
	fi
	if [ $qemu_rc -ne 0 ] && [ ! -s "$log" ]; then
		tail_log "qemu-system-aarch64 exited $qemu_rc"
		summary no-marker -1
		exit 3
	fi
	tail_log "no KVMPROF-END marker (guest crashed or panicked?)"
	summary no-marker -1
	exit 100
fi
rc=${end#KVMPROF-END rc=}
rc=${rc%% *}
case "$rc" in '' | *[!0-9]*) rc=99 ;; esac
if [ "$rc" -eq 0 ]; then
	summary ok 0
	exit 0
fi
summary guest-failed "$rc"
[ $keep_going -eq 1 ] && exit 0
[ "$rc" -gt 99 ] && exit 99
exit "$rc"
