/* SPDX-License-Identifier: MIT */
/*
 * fuzz_profile.c - a profile YAML file through everything `kvmprof compile`
 * and `lint` do: load with its base chain (bases from the project's
 * profiles/), the checks, the review rules, the hash, the C tables, the
 * header and the canonical YAML.
 */
#include "fuzz_common.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Not NAME.yaml: the name check would stop most inputs before the generator. */
	const char *path = fuzz_write_file(0, "input", data, size);
	const char *search[] = { KVMPROF_SRCDIR "/profiles", NULL };
	struct cgen_opts o = { .source_label = "input" };
	struct profile *p;
	struct diag d;
	char hash[32];

	diag_init(&d, fuzz_null());
	p = profile_load_resolved(path, search, &d);
	if (p) {
		profile_check(p, &d);
		profile_lint(p, NULL, &d);
		profile_hash(p, hash);
		if (!d.n_errors) {
			cgen_emit_c(p, &o, fuzz_null(), &d);
			cgen_emit_h(p, &o, fuzz_null(), &d);
			profile_write_yaml(p, fuzz_null());
		}
	}
	profile_free(p);
	diag_fini(&d);
	return 0;
}
