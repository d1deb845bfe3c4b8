// SPDX-License-Identifier: GPL-2.0
/*
 * nonzero_pages FILE: prints how many 4 KiB pages of FILE hold anything
 * but zeros, read with pread (on kvmmem that takes no frame).  A helper
 * of qemu_migrate_test.sh, not a test.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PG 4096

int main(int argc, char **argv)
{
	static const char zeros[PG];
	char buf[PG];
	long n = 0;
	ssize_t got;
	off_t pos = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: nonzero_pages FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	while ((got = pread(fd, buf, PG, pos)) > 0) {
		n += memcmp(buf, zeros, got) != 0;
		pos += got;
	}
	if (got < 0) {
		perror("pread");
		return 1;
	}
	printf("%ld\n", n);
	return 0;
}
