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

boot_name=boot-arm64
. "$here/lib/boot.bash"
init= mopts= gic=3
libs=()
boot_own_option() {
	case "$1" in
	--init) init=${2:?}; return 2 ;;
	--lib) libs+=(--lib "${2:?}"); return 2 ;;
	--machine-opts) mopts=${2:?}; return 2 ;;
	--gic) gic=${2:?}; return 2 ;;
	*) return 0 ;;
	esac
}
boot_parse_args "$@"
[ -n "$kernel" ] && [ -n "$init" ] || { echo "boot-arm64: --kernel and --init are required" >&2; exit 2; }
[ -f "$kernel" ] || { echo "boot-arm64: no such kernel: $kernel" >&2; exit 2; }
[ -f "$init" ] || { echo "boot-arm64: no such init: $init" >&2; exit 2; }
command -v qemu-system-aarch64 >/dev/null || { echo "boot-arm64: qemu-system-aarch64 missing (scripts/deps.sh arm64)" >&2; exit 3; }

boot_workdir
"$here/mkinitramfs.sh" "$work/initramfs.cpio.gz" --init "$init" \
	"${libs[@]+"${libs[@]}"}" "${files[@]+"${files[@]}"}" || exit 2

cpu_arg=$cpu
[ "$cpu" = max ] && cpu_arg=max,pauth-impdef=on
machine=virt,virtualization=on,gic-version=$gic${mopts:+,$mopts}

boot_run qemu-system-aarch64 ttyAMA0 -M "$machine" -cpu "$cpu_arg"
# The lines after the last BEGIN, up to and without END.
boot_finish '^KVMPROF-BEGIN'
