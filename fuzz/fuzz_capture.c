/* SPDX-License-Identifier: MIT */
/*
 * fuzz_capture.c - a capture (a profile with host:) through `kvmprof check
 * PROFILE --against CAPTURE`, the verb itself: the capture's loader, its
 * host: and register-set: reader, the offline checker and both report
 * formats. The profile is a small one of the corpus (arm64 with a base, or
 * x86 with every kind), so an execution costs little besides the capture.
 * Run with -close_fd_mask=3: the verb prints its report and diagnostics.
 */
#include "fuzz_common.h"
#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *capture = fuzz_write_file(0, "capture", data, size);
	char *argv[] = { "check", "--format", size % 2 ? "json" : "text", "--against", (char *)capture,
			 size % 3 ? KVMPROF_SRCDIR "/tests/corpus/ok/child-arm64.yaml"
				  : KVMPROF_SRCDIR "/tests/corpus/ok/x86-all.yaml",
			 NULL };
	static int once;

	if (!once) {
		cli_add_include(KVMPROF_SRCDIR "/profiles");
		once = 1;
	}
	cmd_check(6, argv);
	fflush(stdout);
	return 0;
}
