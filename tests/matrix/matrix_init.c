/* SPDX-License-Identifier: MIT */
/*
 * matrix_init.c - examples/vmm.c carrying every profile of one architecture
 * of the upgrade/rollback matrix (tests/suites/matrix.sh), run in lenient
 * mode so that every entry is reported. One run of this program is one
 * column of the matrix: the kernel it runs on (B) hosts, one VM each, the
 * profiles captured on every kernel (A).
 *
 * aarch64: the /init of a Debian arm64 kernel booted by
 * tests/qemu/boot-arm64.sh (real KVM/arm64 under QEMU TCG, EL2).
 * x86_64 (-DMATRIX_AS_PROGRAM): a program, run by tests/qemu/boot-x86.sh
 * --run in a kvm_amd guest, or directly on this machine's /dev/kvm (PVM).
 *
 * The profiles come from tests/matrix/build.sh, which compiles them and
 * writes matrix_profiles[] (generated). KVMPROF_MATRIX_ONLY=a,b (kernel
 * command line / environment) runs only those.
 *
 * Besides what vmm.c prints (its per-phase report and what the guest saw,
 * "  MRS   NAME wanted ... guest saw 0x...  ok (runtime: applied)"), every
 * result of the runtime is printed once more as one tab-separated line for
 * the harness:
 *
 *   M<TAB>phase<TAB>entry<TAB>outcome<TAB>blocks<TAB>field<TAB>wanted<TAB>
 *     before<TAB>after<TAB>accepted<TAB>mask<TAB>register-after<TAB>reason
 *
 * blocks is 1 for unsupported (unless the entry is optional), rejected and
 * read back differs; field is the first field at fault ("-" if none), wanted,
 * before and after are that field's values when a field is at fault (else
 * the whole register), accepted "lo..hi" or "-", register-after the whole
 * register as read back (for comparing with what the guest saw). A profile is framed by
 * "matrix: profile NAME" and "matrix: profile NAME exit N" (vmm.c's status:
 * 0 the guest saw every stated value, 1 it did not, 2 setup failure); the
 * first line is "matrix: kernel RELEASE MACHINE".
 */
#define VMM_NO_MAIN
/* Every phase report passes through kvmprof_report_reset() after vmm.c has
 * printed it: intercept it there to print the raw results (test-only). */
#define kvmprof_report_reset matrix_report_reset
#include "../../examples/vmm.c"
#undef kvmprof_report_reset
void kvmprof_report_reset(struct kvmprof_report *report); /* hidden by the #define above */

#include <inttypes.h>
#include <sys/utsname.h>

#ifndef MATRIX_AS_PROGRAM
#include "../arm64/guest_init.h"
#else
static void guest_begin(void)
{
}
static int guest_end(int rc)
{
	return rc;
}
#endif

#include "matrix_profiles.h"

static uint64_t field_bits(const struct kvmprof_field *f, uint64_t v)
{
	uint64_t ones = f->width >= 64 ? UINT64_MAX : (UINT64_C(1) << f->width) - 1;

	return (v >> f->shift) & ones;
}


void matrix_report_reset(struct kvmprof_report *report)
{
	char reason[256], accepted[48] = "-";

	for (uint32_t i = 0; i < report->count; i++) {
		const struct kvmprof_result *r = &report->results[i];
		const struct kvmprof_entry *e = r->entry;
		const struct kvmprof_field *f =
			r->field && e->fields && r->field <= e->n_fields ? &e->fields[r->field - 1] : NULL;

		kvmprof_result_reason(r, reason, sizeof(reason));
		if (r->accepted_lo <= r->accepted_hi)
			snprintf(accepted, sizeof(accepted), "0x%" PRIx64 "..0x%" PRIx64, r->accepted_lo,
				 r->accepted_hi);
		else
			strcpy(accepted, "-");
		printf("M\t%s\t%s\t%s\t%d\t%s\t0x%" PRIx64 "\t0x%" PRIx64 "\t0x%" PRIx64 "\t%s\t0x%" PRIx64 "\t0x%" PRIx64 "\t%s\n",
		       kvmprof_phase_name(e->phase), e->name, kvmprof_outcome_name(r->outcome), kvmprof_result_failed(r),
		       f ? f->name : "-", f ? field_bits(f, r->wanted) : r->wanted,
		       f ? field_bits(f, r->before) : r->before, f ? field_bits(f, r->after) : r->after, accepted,
		       e->mask, r->after, reason);
	}
	kvmprof_report_reset(report);
}

static int selected(const char *only, const char *name)
{
	size_t n = strlen(name);

	if (!only || !*only)
		return 1;
	for (const char *s = only; *s;) {
		size_t len = strcspn(s, ",");

		if (len == n && memcmp(s, name, n) == 0)
			return 1;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

int main(void)
{
	const char *only = getenv("KVMPROF_MATRIX_ONLY");
	int worst = 0;
	struct utsname u;

	guest_begin();
	if (uname(&u) == 0)
		printf("matrix: kernel %s %s\n", u.release, u.machine);
	for (size_t i = 0; i < matrix_n_profiles; i++) {
		const struct kvmprof_profile *p = matrix_profiles[i];
		int rc;

		if (!selected(only, p->name))
			continue;
		printf("matrix: profile %s\n", p->name);
		rc = vmm_run_profile(p);
		fflush(stdout);
		fflush(stderr);
		printf("matrix: profile %s exit %d\n", p->name, rc);
		if (rc > 1)
			worst = 2;
	}
	return guest_end(worst);
}
