/* SPDX-License-Identifier: MIT */
/*
 * example_init.c - examples/vmm.c as the /init of a Debian arm64 kernel
 * booted under qemu-system-aarch64 (real KVM/arm64), carrying several
 * compiled profiles. tests/suites/arm64-example.sh builds it (static) with
 * the tables `kvmprof compile` generated and names the profiles to run, in
 * order, on the kernel command line: KVMPROF_PROFILE=a,b,c (unknown
 * KEY=value words reach /init as environment variables). Each profile gets
 * its own VM; the output of vmm.c is framed by
 *
 *   example: profile NAME
 *   ... what vmm.c printed ...
 *   example: profile NAME exit N
 *
 * for the suite to assert on. The end marker's rc is 0 when every profile
 * ran to its verdict (exit 0 or 1); 2 when the VMM could not set up.
 */
#define VMM_NO_MAIN
#include "../../examples/vmm.c"

#include "guest_init.h"

extern const struct kvmprof_profile example_linux_6_1, example_linux_6_12, example_iidr_rev2,
	example_iidr_rev1, example_outcomes;

static const struct kvmprof_profile *const carried[] = {
	&example_linux_6_1,
	&example_linux_6_12,
	&example_iidr_rev2,
	&example_iidr_rev1,
	&example_outcomes,
};

static const struct kvmprof_profile *find_profile(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++)
		if (strlen(carried[i]->name) == len && memcmp(carried[i]->name, name, len) == 0)
			return carried[i];
	return NULL;
}

int main(void)
{
	const char *list = getenv("KVMPROF_PROFILE");
	int worst = 0;

	guest_begin();
	if (!list || !*list) {
		printf("example: no KVMPROF_PROFILE=name[,name...] on the kernel command line\n");
		return guest_end(2);
	}
	while (*list) {
		size_t len = strcspn(list, ",");
		const struct kvmprof_profile *p = find_profile(list, len);
		int rc;

		if (!p) {
			printf("example: no profile named %.*s in this /init\n", (int)len, list);
			worst = 2;
		} else {
			printf("example: profile %s\n", p->name);
			rc = vmm_run_profile(p);
			fflush(stderr);
			printf("example: profile %s exit %d\n", p->name, rc);
			if (rc > 1)
				worst = 2;
		}
		list += len;
		if (*list == ',')
			list++;
	}
	return guest_end(worst);
}
