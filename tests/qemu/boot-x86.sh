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

boot_name=boot-x86
. "$here/lib/boot.bash"
init= no_modules=0
modules=() runs=()
boot_own_option() {
	case "$1" in
	--module) modules+=("${2:?}"); return 2 ;;
	--no-modules) no_modules=1; return 1 ;;
	--run) runs+=("${2:?}"); return 2 ;;
	--init) init=${2:?}; return 2 ;;
	*) return 0 ;;
	esac
}
boot_parse_args "$@"
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

boot_workdir
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

# no_timer_check: under TCG on a loaded machine the kernel's IO-APIC timer
# check can miss its ticks and panic ("IO-APIC + timer doesn't work!"; seen
# with 6.1 and 6.12 while other boots ran); the check only guards broken
# hardware timers, which QEMU's are not.
append="$append no_timer_check"
boot_run qemu-system-x86_64 ttyS0 -accel tcg -cpu "$cpu"
# The lines after the last BEGIN, up to and without END. BEGIN may follow
# SeaBIOS's terminal escapes on the same line.
boot_finish 'KVMPROF-BEGIN$'
