/* SPDX-License-Identifier: MIT */
/* kvmprof.c - the program: kvmprof_main() (main.c) on the standard streams. */
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv)
{
	return kvmprof_main(argc, argv, stdout, stderr);
}
