#!/usr/bin/env bash
# What a newcomer meets. `./run demo` (scripts/demo.sh): its exit status is
# its verdict (0 the guest saw what the profile states, 1 the report names
# what the kernel presented instead, 2 no verdict: no usable /dev/kvm, or the
# example VMM failed), as its verdict line says. The demo's `make install`
# installs the man pages and the docs with their relative links intact.
# Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
. tests/suites/lib/report.bash

echo "[==========] Running 3 test(s)."
out=$(scripts/demo.sh "$build" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -12
last=$(printf '%s\n' "$out" | grep '^demo: ' | head -1)
case "$rc:$last" in
"0:demo: the guest saw what the profile states"*) report_pass demo_exit_status_is_its_verdict ;;
"1:demo: the kernel did not present everything"*) report_pass demo_exit_status_is_its_verdict ;;
"2:demo: "*) report_pass demo_exit_status_is_its_verdict ;;
*) report_fail demo_exit_status_is_its_verdict "scripts/demo.sh exit $rc with verdict line '$last'" ;;
esac
# the install the demo made (PREFIX=$build/demo/prefix)
doc="$build/demo/prefix/share/doc/kvmprof"
missing=""
for f in "$build/demo/prefix/share/man/man1/kvmprof.1" "$build/demo/prefix/share/man/man5/kvmprof-profile.5" \
	"$doc/README.md" "$doc/docs/cli.md" "$doc/docs/profile-format.md" "$doc/examples/vmm.c" \
	"$doc/examples/firecracker/tmpl_hide_avx512.json" "$doc/contrib/github/kvmprof-review.yml"; do
	[ -f "$f" ] || missing="$missing $f"
done
# every relative link of the installed README resolves inside the installed docs
for l in $(grep -o '](\(docs\|examples\|contrib\)/[^)#]*' "$doc/README.md" 2>/dev/null | sed 's/^](//'); do
	[ -e "$doc/$l" ] || missing="$missing $doc/$l (linked from README.md)"
done
if [ -z "$missing" ] && [ -f "$doc/README.md" ]; then
	report_pass make_install_installs_the_docs
else
	report_fail make_install_installs_the_docs "not installed:$missing"
fi
# every command of kvmprof(1)'s EXAMPLES runs as printed (in a scratch copy of
# profiles/ and examples/): exit 0, or 1 where that is the answer (diff:
# different, check: no); never a usage or input error. review needs a git
# repository with an origin (tests/unit/test_review.c runs it); capture needs
# /dev/kvm.
ex=$(mktemp -d /tmp/kvmprof-man-examples.XXXXXX)
cp -r profiles examples "$ex"/
awk '/^\.SH EXAMPLES/ {s = 1; next} /^\.SH/ {s = 0} s' man/kvmprof.1 |
	awk '/^\.nf/ {n = 1; next} /^\.fi/ {n = 0} n' | sed -e 's/\\-/-/g' -e 's/\\\\$/\\/' > "$ex/examples.sh"
bad="" ran=0
kvm_ok=0
[ -r /dev/kvm ] && [ -w /dev/kvm ] && kvm_ok=1
while IFS= read -r line; do
	while [ "${line%\\}" != "$line" ] && IFS= read -r more; do line="${line%\\} $more"; done
	case "$line" in
	*"kvmprof review"*) continue ;;
	*capture*|*myhost*) [ $kvm_ok -eq 1 ] || { echo "SKIP: '$line' needs /dev/kvm"; continue; } ;;
	esac
	(cd "$ex" && PATH="$OLDPWD/$build:$PATH" bash -c "$line" >"$ex/out.log" 2>&1)
	rc=$?
	ran=$((ran + 1))
	if [ $rc -gt 1 ]; then
		bad="$bad [$line: exit $rc: $(grep -m1 -i 'error\|usage' "$ex/out.log")]"
	fi
done < "$ex/examples.sh"
rm -rf "$ex"
if [ -z "$bad" ] && [ $ran -ge 10 ]; then
	report_pass man_page_examples_run
else
	report_fail man_page_examples_run "ran $ran:$bad"
fi
report_summary
