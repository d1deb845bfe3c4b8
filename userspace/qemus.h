/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the QEMU processes that hold kvmmem files, and what their
 * command lines say of the VM (kvmmemd, and kvmmemctl balloon VM).
 */
#ifndef KVMMEM_QEMUS_H
#define KVMMEM_QEMUS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What a QEMU command line says of its VM; "" where it says nothing. */
struct qemu_info {
	pid_t pid;
	uid_t uid;		/* who runs it */
	char name[64];		/* -name NAME or -name guest=NAME,... */
	char qmp[256];		/* -qmp unix:PATH,... */
};

/*
 * Calls @fn for every open file of every process whose program name
 * contains "qemu", with the file's stat and what the command line says.
 */
void qemus_scan(void (*fn)(const struct qemu_info *q, const struct stat *file,
			   void *arg), void *arg);

#endif /* KVMMEM_QEMUS_H */
