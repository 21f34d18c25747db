# tests/arm64/lib/cross.bash - sourced by the scripts that cross-build an
# aarch64 /init with the runtime in it (tests/arm64/build-example.sh; made to
# serve tests/matrix/build.sh too): the project's flags and the runtime's
# objects.

# The project's flags (Makefile WARN/CSTD), -O2 -g.
CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -O2 -g)

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
