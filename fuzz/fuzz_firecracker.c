/* SPDX-License-Identifier: MIT */
/*
 * fuzz_firecracker.c - a Firecracker fingerprint or CPU template (JSON)
 * through `kvmprof import --from firecracker` (the JSON reader and the
 * importer), then the imported profile through the exporter and YAML writer.
 */
#include "fuzz_common.h"
#include "firecracker.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_file(0, "tmpl_FUZZ.json", data, size);
	struct fc_import_opts o = { .name = "fuzz", .arch = 0 };
	struct fc_import_stats st = { 0 };
	struct profile *p;
	struct diag d;
	size_t n_lost = 0;

	diag_init(&d, fuzz_null());
	if (size && (data[0] & 1))
		o.arch = data[0] & 2 ? KVMPROF_ARCH_ARM64 : KVMPROF_ARCH_X86_64;
	p = fc_import(path, &o, &st, &d);
	if (p && !d.n_errors) {
		profile_write_yaml_file(p, 1, NULL, fuzz_null());
		fc_export(p, fuzz_null(), fuzz_null(), &n_lost, &d);
	}
	profile_free(p);
	fc_import_stats_free(&st);
	diag_fini(&d);
	return 0;
}
