# tests/arm64/lib/cross.bash - sourced, from the top of the tree, by the
# scripts that cross-build for aarch64 (tests/arm64/build*.sh,
# tests/lib/build-profile-vmm.sh, tests/bench/bench_vmm.sh): the project's
# flags, the compiler, Debian's arm64 libraries, the runtime's objects.
# Not executable and not named *.sh.

# The project's flags (Makefile WARN/CSTD), -O2 -g.
CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wno-unused-parameter -O2 -g)
# What the Makefile lets the generated scanner and parser (and regdb_data.c) off.
GEN_CFLAGS=(-Wno-sign-compare -Wno-missing-prototypes -Wno-unused-function)

# cross_cc TOOL: CC= ${CROSS}gcc (CROSS defaults to aarch64-linux-gnu-); exits,
# naming TOOL, when it is not installed.
cross_cc() {
	CROSS=${CROSS:-aarch64-linux-gnu-}
	CC=${CROSS}gcc
	command -v "$CC" >/dev/null || { echo "$1: $CC missing (scripts/deps.sh arm64)" >&2; exit 1; }
}

# cross_init TOOL [BUILD_DIR [HOST_BUILD_DIR]]: the arguments of
# tests/arm64/build*.sh: out= BUILD_DIR (default build-arm64), host_build=
# HOST_BUILD_DIR (default build); then cross_cc TOOL.
cross_init() {
	out=${2:-build-arm64}
	host_build=${3:-build}
	cross_cc "$1"
}

# debian_arm64 TOOL DIR PACKAGE...: Debian's arm64 PACKAGEs extracted into DIR
# (apt-get download, dpkg-deb -x) unless DIR/.complete says that was done;
# exits, naming TOOL, when the download fails.
debian_arm64() {
	local tool=$1 dir=$2 tmp d sandbox=()
	shift 2
	[ ! -f "$dir/.complete" ] || return 0
	tmp=$(mktemp -d)
	if [ "$(id -u)" -eq 0 ]; then sandbox=(-o APT::Sandbox::User=root); fi
	if ! (cd "$tmp" && apt-get "${sandbox[@]}" download -q "$@" >&2); then
		echo "$tool: apt-get download $* failed (arm64 architecture added? scripts/deps.sh arm64)" >&2
		rm -rf "$tmp"
		exit 1
	fi
	rm -rf "$dir" && mkdir -p "$dir"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$dir"; done
	rm -rf "$tmp"
	touch "$dir/.complete"
}

# host_generated BUILD: the generated sources of the host build BUILD
# (regdb_data.c, expr-*.c), made with `make` if missing; gen= their paths.
host_generated() {
	gen=("$1/regdb_data.c" "$1/expr-parser.c" "$1/expr-lexer.c")
	[ -f "${gen[0]}" ] && [ -f "${gen[1]}" ] ||
		make --no-print-directory BUILD="$1" "${gen[@]}" >&2
}

# cross_runtime CC OUT_DIR: compiles runtime/*.c and runtime/arch/*/*.c with CC into OUT_DIR/*.o, all
# at once; runtime_objs= the objects. Returns 1 when one does not compile
# (the compiler has said why).
cross_runtime() {
	local cc=$1 dir=$2 src obj pid pids=() rc=0
	runtime_objs=()
	mkdir -p "$dir"
	for src in runtime/*.c runtime/arch/*/*.c; do
		obj=$dir/$(basename "${src%.c}").o
		"$cc" "${CFLAGS[@]}" -Iruntime -c -o "$obj" "$src" &
		pids+=($!)
		runtime_objs+=("$obj")
	done
	for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
	return $rc
}
