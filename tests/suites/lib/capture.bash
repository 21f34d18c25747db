# tests/suites/lib/capture.bash - sourced by tests/suites/arm64-capture.sh and
# x86-capture.sh after lib/report.bash: what each capture must pass.

# capture_tests SERIES NAME GUEST_OUTPUT: cuts the YAML that `kvmprof capture`
# printed between KVMPROF-CAPTURE-BEGIN and KVMPROF-CAPTURE-END out of
# GUEST_OUTPUT into $out/NAME.yaml, then tests that it is there, compiles,
# lints clean and passes `check --against` itself.
capture_tests() {
	local series=$1 name=$2
	sed -n '/^KVMPROF-CAPTURE-BEGIN/,/^KVMPROF-CAPTURE-END/p' "$3" | tr -d '\r' | sed '1d;$d' >"$out/$name.yaml"
	run_test "capture_$series" test -s "$out/$name.yaml"
	run_test "compile_$series" "$kvmprof" compile "$out/$name.yaml" -o "$out/$name.c"
	run_test "lint_clean_$series" sh -c "'$kvmprof' lint -Werror '$out/$name.yaml' 2>&1 | tee /dev/stderr | grep -q . && exit 1 || exit 0"
	run_test "check_self_$series" "$kvmprof" check "$out/$name.yaml" --against "$out/$name.yaml"
}
