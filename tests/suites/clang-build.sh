#!/usr/bin/env bash
# The CLI, the libraries and the unit tests build with clang as with gcc,
# every warning an error (-Wall -Wextra -Werror and the project's list), into
# build-clang/; so does `make bench`'s bench_apply (built, not run: it needs
# /dev/kvm). Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/report.bash
suite_init clang_werror_build "clang -Werror build"
suite_deps clang clang
out=$(mktemp -d /tmp/kvmprof-clang-XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "[==========] Running 2 test(s)."
run_test clang_werror_build make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" BUILD=build-clang CC=clang all tests
run_test clang_werror_bench make --no-print-directory -f tests/bench/Makefile.bench BUILD=build-clang CC=clang \
	build-clang/bench/bench_apply
report_finish
