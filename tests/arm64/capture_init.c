/* SPDX-License-Identifier: MIT */
/*
 * capture_init.c - `kvmprof capture` as a static aarch64 /init: boots in a
 * QEMU guest with real KVM/arm64 (tests/qemu/boot-arm64.sh), captures what
 * that kernel presents and prints the YAML between the guest markers, so
 * the host can compile, lint and check it (tests/suites/arm64-capture.sh).
 * Built without libyaml (capture only writes YAML).
 * Environment (kernel command line): KVMPROF_CAPTURE_NAME=NAME,
 * KVMPROF_CAPTURE_FEATURES=sve,ptrauth-address,... (vCPU features to enable
 * where offered, capture_opts.vcpu_features).
 *
 * Built with -DCAPTURE_AS_PROGRAM (natively, for x86_64) it is a plain
 * program for tests/qemu/boot-x86.sh --run, whose own /init mounts, loads
 * kvm_amd and powers off: then it prints only the capture and its markers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "capture.h"
#ifndef CAPTURE_AS_PROGRAM
#include "guest_init.h"
#else
static void guest_begin(void)
{
}
static int guest_end(int rc)
{
	return rc;
}
#endif

int main(void)
{
	struct capture_opts o = { .name = getenv("KVMPROF_CAPTURE_NAME"),
				  .vcpu_features = getenv("KVMPROF_CAPTURE_FEATURES") };
	struct profile *p = NULL;
	struct host_facts h;
	char err[512] = "";
	int rc;

	guest_begin();
	/* The YAML alone between its own markers: the harness's other lines stay out. */
	if (capture_run(&o, &p, &h, err, sizeof(err)) < 0) {
		printf("capture: %s\n", err);
		rc = 1;
	} else {
		fflush(stdout);
		puts("KVMPROF-CAPTURE-BEGIN");
		rc = capture_write(stdout, p, &h) ? 1 : 0;
		puts("KVMPROF-CAPTURE-END");
	}
	profile_free(p);
	host_facts_free(&h);
	return guest_end(rc);
}
