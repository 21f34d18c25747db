/* SPDX-License-Identifier: MIT */
/*
 * fuzz_capture.c - a capture (a profile with host:) through what `kvmprof
 * check PROFILE --against CAPTURE` does with it: the capture's loader, its
 * host: and register-set: reader, the offline checker and both report
 * formats. The profiles are two small ones of the corpus (arm64 with a base,
 * and x86 with every kind), loaded once: reloading them for every input
 * took three quarters of an execution (fuzz_profile fuzzes that path).
 * Run with -close_fd_mask=3: the checker prints its report and diagnostics.
 */
#include "fuzz_common.h"
#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct check_profile *arm64, *x86;
	const char *capture = fuzz_write_file(0, "capture", data, size);

	if (!arm64) {
		cli_add_include(KVMPROF_SRCDIR "/profiles");
		arm64 = check_profile_load(KVMPROF_SRCDIR "/tests/corpus/ok/child-arm64.yaml");
		x86 = check_profile_load(KVMPROF_SRCDIR "/tests/corpus/ok/x86-all.yaml");
		if (!arm64 || !x86)
			abort();
	}
	check_against_capture(size % 3 ? arm64 : x86, capture, size % 2, stdout);
	fflush(stdout);
	return 0;
}
