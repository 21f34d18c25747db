/* SPDX-License-Identifier: MIT */
/*
 * hello_init.c - the smallest /init for tests/qemu/boot-arm64.sh: proves the
 * harness boots, sees its markers and finds /dev/kvm. rc 0 if /dev/kvm opens.
 */
#include <fcntl.h>

#include "guest_init.h"

int main(void)
{
	int fd, rc;

	guest_begin();
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("hello: open /dev/kvm: %s\n", strerror(errno));
		rc = 1;
	} else {
		printf("hello: /dev/kvm is open\n");
		close(fd);
		rc = 0;
	}
	return guest_end(rc);
}
