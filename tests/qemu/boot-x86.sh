#!/usr/bin/env bash
# tests/qemu/boot-x86.sh --kernel VMLINUZ --run BINARY [options]
#
# Boots a Debian amd64 kernel in qemu-system-x86_64 under TCG with -cpu max,
# which gives the guest AMD SVM, so upstream kvm_amd serves /dev/kvm inside
# it. The initramfs holds tests/x86/x86_init.c as /init (static, built here
# into build-x86/ when missing or older than its source), the KVM modules in
# /modules, and each --run BINARY in /tests. /init loads the modules in order
# (irqbypass, kvm, kvm-amd) with finit_module(2), runs the programs one after
# the other, and powers off. Prints what the guest printed between
#
#   KVMPROF-BEGIN
#   ... (stdout: only these lines; each program framed by
#        "run: NAME" and "run: NAME exit N")
#   KVMPROF-END rc=N      (the largest exit status; 90: no /dev/kvm)
#
# and one summary line on stderr (always the last line the script prints):
#
#   boot-x86: result=ok|guest-failed|no-marker|timeout rc=N seconds=S.SS kernel=VMLINUZ cpu=MODEL
#
# Options:
#   --kernel FILE     bzImage (boot/vmlinuz-* of a linux-image .deb, e.g. from
#                     tests/qemu/get-kernel.sh --modules --flavour cloud-amd64 amd64 6.12)
#   --module FILE     a module to load, in the order given (repeatable).
#                     Default: the modules get-kernel.sh --modules extracted
#                     beside the kernel (DIR/.modules for DIR/boot/vmlinuz-*)
#   --no-modules      load none (a kernel with KVM built in)
#   --run FILE        a program to run in the guest (repeatable, in order);
#                     dynamic programs get their libraries (ldd) at the same
#                     paths as on this host
#   --file SRC:DEST   copy SRC to DEST in the initramfs (repeatable)
#   --init FILE       replace tests/x86/x86_init.c by your own /init
#   --cpu MODEL       QEMU -cpu (default max); it must offer svm (qemu64,+svm,
#                     EPYC, ...)
#   --smp N           vCPUs of the outer machine (default 1)
#   --mem MB          memory (default 512)
#   --timeout S       wall-clock bound for the whole boot (default 120)
#   --append "..."    more kernel command line words; unknown KEY=value words
#                     reach the programs as environment variables.
#                     KVMPROF_CPU=MODEL is always added
#   --qemu-arg ARG    extra QEMU argument (repeatable)
#   --log FILE        keep the whole serial log (kernel messages included)
#   --raw             print the whole serial log, not only the marked part
#   --keep-going      exit 0 when the guest reported rc != 0 (result and rc
#                     stay in the summary line)
#
# Exit: the guest's rc (0 = passed; clamped to 1..99) when the end marker
# was seen; 100 no end marker (crash, panic: the log tail is printed on
# stderr); 101 timeout; 2 usage or missing file; 3 QEMU failed to start
# (or /init could not be built).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

kernel= init= cpu=max smp=1 mem=512 timeout_s=120 append= log_keep= raw=0 keep_going=0 no_modules=0
modules=() runs=() files=() qemu_extra=()
usage() { sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?}; shift ;;
	--module) modules+=("${2:?}"); shift ;;
	--no-modules) no_modules=1 ;;
	--run) runs+=("${2:?}"); shift ;;
	--file) files+=(--file "${2:?}"); shift ;;
	--init) init=${2:?}; shift ;;
	--cpu) cpu=${2:?}; shift ;;
	--smp) smp=${2:?}; shift ;;
	--mem) mem=${2:?}; shift ;;
	--timeout) timeout_s=${2:?}; shift ;;
	--append) append="$append ${2:?}"; shift ;;
	--qemu-arg) qemu_extra+=("${2:?}"); shift ;;
	--log) log_keep=${2:?}; shift ;;
	--raw) raw=1 ;;
	--keep-going) keep_going=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "boot-x86: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kernel" ] || { echo "boot-x86: --kernel is required" >&2; exit 2; }
[ ${#runs[@]} -gt 0 ] || [ -n "$init" ] || { echo "boot-x86: nothing to run (--run BINARY)" >&2; exit 2; }
[ -f "$kernel" ] || { echo "boot-x86: no such kernel: $kernel" >&2; exit 2; }
for f in "${runs[@]+"${runs[@]}"}" ${init:+"$init"}; do
	[ -f "$f" ] || { echo "boot-x86: no such file: $f" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "boot-x86: qemu-system-x86_64 missing (scripts/deps.sh x86-tcg)" >&2; exit 3; }

# The modules get-kernel.sh --modules left beside the kernel, in load order.
if [ $no_modules -eq 0 ] && [ ${#modules[@]} -eq 0 ]; then
	kdir=$(cd "$(dirname "$kernel")/.." && pwd)
	if [ ! -f "$kdir/.modules" ]; then
		echo "boot-x86: no module list $kdir/.modules (fetch the kernel with get-kernel.sh --modules, or pass --module / --no-modules)" >&2
		exit 2
	fi
	while read -r m; do [ -n "$m" ] && modules+=("$kdir/$m"); done <"$kdir/.modules"
fi
for m in "${modules[@]+"${modules[@]}"}"; do
	[ -f "$m" ] || { echo "boot-x86: no such module: $m" >&2; exit 2; }
done

# /init: tests/x86/x86_init.c, rebuilt when older than its source. Built in
# a temporary file and renamed, so parallel callers never see half a binary.
if [ -z "$init" ]; then
	init=$top/build-x86/x86_init
	src=$top/tests/x86/x86_init.c
	if [ ! -x "$init" ] || [ "$src" -nt "$init" ]; then
		mkdir -p "$top/build-x86"
		tmp_init=$(mktemp "$top/build-x86/.x86_init.XXXXXX")
		if ! ${CC:-gcc} -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
			-Wmissing-prototypes -O2 -static -o "$tmp_init" "$src"; then
			rm -f "$tmp_init"
			echo "boot-x86: cannot build $src (static: needs libc6-dev)" >&2
			exit 3
		fi
		mv -f "$tmp_init" "$init"
	fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pack=()
i=0
for m in "${modules[@]+"${modules[@]}"}"; do
	i=$((i + 1))
	pack+=(--file "$m:/modules/$i-$(basename "$m")")
done
i=0
declare -A libs_seen=()
for r in "${runs[@]+"${runs[@]}"}"; do
	i=$((i + 1))
	pack+=(--file "$r:/tests/$(printf '%02d' $i)-$(basename "$r")")
	# A dynamic program: its loader and libraries at their host paths.
	# ldd prints "name => /path (addr)" and "/lib64/ld-linux-x86-64.so.2 (addr)".
	for lib in $(ldd "$r" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -n "${libs_seen[$lib]+x}" ] && continue
		libs_seen[$lib]=1
		pack+=(--file "$lib:$lib")
	done
done
"$here/mkinitramfs.sh" "$work/initramfs.cpio.gz" --init "$init" \
	"${pack[@]+"${pack[@]}"}" "${files[@]+"${files[@]}"}" || exit 2

log=$work/serial.log
t0=$(date +%s.%N)
# QEMU exits 0 whatever the guest did; the guest powers off (or panics with
# panic=-1 and -no-reboot) and only the markers tell the result.
timeout -k 5 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu "$cpu" \
	-smp "$smp" -m "$mem" -nographic -no-reboot -monitor none -serial stdio -nodefaults \
	-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 rdinit=/init panic=-1 loglevel=4 KVMPROF_CPU=$cpu$append" \
	"${qemu_extra[@]+"${qemu_extra[@]}"}" </dev/null >"$log" 2>"$work/qemu.err"
qemu_rc=$?
t1=$(date +%s.%N)
seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
sed -i 's/\r$//' "$log"
[ -n "$log_keep" ] && cp "$log" "$log_keep"

summary() { # $1 result, $2 rc
	echo "boot-x86: result=$1 rc=$2 seconds=$seconds kernel=$kernel cpu=$cpu" >&2
}
tail_log() {
	echo "boot-x86: $1; last lines of the serial log:" >&2
	tail -n 40 "$log" | sed 's/^/  | /' >&2
	[ -s "$work/qemu.err" ] && sed 's/^/  qemu: /' "$work/qemu.err" >&2
}

if [ $raw -eq 1 ]; then
	cat "$log"
else
	# The lines after the last BEGIN, up to and without END. BEGIN may follow
	# SeaBIOS's terminal escapes on the same line.
	awk '/KVMPROF-BEGIN$/ { n = 0; on = 1; next }
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
		tail_log "qemu-system-x86_64 exited $qemu_rc"
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
