// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU processes and their VM files, from /proc (qemus.h).
 */
#define _GNU_SOURCE

#include "qemus.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of option @opt in a NUL-separated command line, or NULL. */
static const char *option(const char *cmdline, size_t len, const char *opt)
{
	for (const char *p = cmdline; p < cmdline + len; p += strlen(p) + 1) {
		const char *next = p + strlen(p) + 1;

		if (!strcmp(p, opt) && next < cmdline + len)
			return next;
	}
	return NULL;
}

/* Copies the part of @value after @prefix up to the next ',' into @dst. */
static void copy_field(char *dst, size_t len, const char *value,
		       const char *prefix)
{
	const char *s = strstr(value, prefix);

	if (!s || (s != value && s[-1] != ','))
		return;
	s += strlen(prefix);
	snprintf(dst, len, "%.*s", (int)strcspn(s, ","), s);
}

static void parse(struct qemu_info *q, const char *cmdline, size_t len)
{
	const char *name = option(cmdline, len, "-name");
	const char *qmp = option(cmdline, len, "-qmp");

	if (name && strstr(name, "guest="))
		copy_field(q->name, sizeof(q->name), name, "guest=");
	else if (name)
		snprintf(q->name, sizeof(q->name), "%.*s",
			 (int)strcspn(name, ","), name);
	if (qmp)
		copy_field(q->qmp, sizeof(q->qmp), qmp, "unix:");
}

/* Reads /proc/@pid's command line; 0 unless the program is a qemu. */
static size_t qemu_cmdline(const char *pid, char *cmdline, size_t size)
{
	char path[300];
	const char *prog;
	ssize_t len, n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* libvirt's command lines run to kilobytes; read them whole. */
	for (len = 0; (size_t)len < size - 1; len += n) {
		n = read(fd, cmdline + len, size - 1 - len);
		if (n <= 0)
			break;
	}
	close(fd);
	if (len <= 0)
		return 0;
	cmdline[len] = '\0';
	prog = strrchr(cmdline, '/') ? strrchr(cmdline, '/') : cmdline;
	return strstr(prog, "qemu") ? (size_t)len : 0;
}

void qemus_scan(void (*fn)(const struct qemu_info *q, const struct stat *file,
			   void *arg), void *arg)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	if (!proc)
		return;
	while ((p = readdir(proc))) {
		static char cmdline[65536];
		char path[300];
		struct qemu_info q = { 0 };
		struct stat st;
		struct dirent *d;
		size_t len;
		DIR *fds;

		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		len = qemu_cmdline(p->d_name, cmdline, sizeof(cmdline));
		snprintf(path, sizeof(path), "/proc/%s", p->d_name);
		if (!len || stat(path, &st))
			continue;
		q.pid = atoi(p->d_name);
		q.uid = st.st_uid;
		parse(&q, cmdline, len);
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((d = readdir(fds))) {
			char fdpath[600];

			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
			if (d->d_name[0] != '.' && !stat(fdpath, &st))
				fn(&q, &st, arg);
		}
		closedir(fds);
	}
	closedir(proc);
}
