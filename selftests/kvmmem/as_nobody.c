// SPDX-License-Identifier: GPL-2.0
/*
 * as_nobody PROG [ARGS]: runs PROG as uid and gid 65534 with no
 * supplementary groups (the test VM has no passwd file for su, and its
 * busybox setpriv cannot change ids).  A helper of the shell tests, not a
 * test.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: as_nobody PROG [ARGS]\n");
		return 2;
	}
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		perror("as_nobody");
		return 127;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
