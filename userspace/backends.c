// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmemctl's view of the VMs: backend counters from sysfs, and VM files
 * found by name under the kvmmem mounts (backends.h).
 */
#define _GNU_SOURCE

#include "backends.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvmmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

const char *sysfs_dir(void)
{
	const char *dir = getenv("KVMMEM_SYSFS");

	return dir ? dir : SYSFS_DIR;
}

int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[4096];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	n = (ssize_t)strcspn(buf, "\n");
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return 0;
}

/* A number attribute of a backend; -1 if unreadable. */
static long long number(const char *dir, const char *name)
{
	char buf[64];

	if (read_attr(dir, name, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/* Returns 0, or the error of reading its size (EACCES: not root). */
static int read_one(const char *dir, unsigned long ino, struct backend *b)
{
	char size[64];
	int err = read_attr(dir, "size", size, sizeof(size));

	memset(b, 0, sizeof(*b));
	if (err)
		return err;
	b->ino = ino;
	b->size = strtoull(size, NULL, 10);
	if (read_attr(dir, "path", b->path, sizeof(b->path)))
		snprintf(b->path, sizeof(b->path), "(ino %lu)", ino);
	b->resident = number(dir, "resident");
	b->sharing = number(dir, "sharing");
	b->zero = number(dir, "zero");
	b->swapped_out = number(dir, "swapped_out");
	b->swap_cached = number(dir, "swap_cached_pages");
	b->ballooned = number(dir, "ballooned");
	b->free_reported = number(dir, "free_reported");
	b->min = number(dir, "min");
	b->max = number(dir, "max");
	b->target = number(dir, "target");
	b->balloon_target = number(dir, "balloon_target");
	b->shares = number(dir, "shares");
	b->active = number(dir, "active_estimate");
	b->uncooperative = number(dir, "uncooperative");
	b->hot_io = number(dir, "hot_io_pages");
	b->domain = number(dir, "domain");
	return 0;
}

static int by_path(const void *a, const void *b)
{
	const struct backend *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->ino > y->ino) - (x->ino < y->ino);
}

int backends_read(struct backend **out)
{
	char dir[4096], one[4096 + 300];
	struct backend *vms = NULL;
	struct dirent *d;
	size_t n = 0, cap = 0;
	int err;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/backends", sysfs_dir());
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		char *end;
		unsigned long ino = strtoul(d->d_name, &end, 10);

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || *end)
			continue;
		if (n == cap) {
			struct backend *more;

			cap = cap ? 2 * cap : 16;
			more = realloc(vms, cap * sizeof(*vms));
			if (!more) {
				free(vms);
				closedir(dp);
				return -ENOMEM;
			}
			vms = more;
		}
		snprintf(one, sizeof(one), "%s/%s", dir, d->d_name);
		err = read_one(one, ino, &vms[n]);
		if (err == -EACCES || err == -EPERM) {
			free(vms);
			closedir(dp);
			return err;
		}
		n += !err;	/* -ENOENT: the file went meanwhile */
	}
	closedir(dp);
	if (n)
		qsort(vms, n, sizeof(*vms), by_path);
	*out = vms;
	return (int)n;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* Opens @path if it is a file of a kvmmem mount. */
static int open_kvmmem(const char *path, int flags)
{
	struct statfs sfs;
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) || sfs.f_type != KVMMEM_SUPER_MAGIC) {
		close(fd);
		return -EMEDIUMTYPE;
	}
	return fd;
}

int kvmmem_mounts(void (*fn)(const char *mnt, void *arg), void *arg)
{
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - "), *mnt = line;
		char fstype[64];

		if (!dash || sscanf(dash, " - %63s", fstype) != 1 ||
		    strcmp(fstype, "kvmmem"))
			continue;
		/* id parent major:minor root mountpoint ... */
		for (int field = 0; field < 4 && mnt; field++) {
			mnt = strchr(mnt, ' ');
			if (mnt)
				mnt++;
		}
		if (!mnt)
			continue;
		mnt[strcspn(mnt, " ")] = '\0';
		unescape(mnt);
		fn(mnt, arg);
	}
	fclose(f);
	return 0;
}

struct lookup {
	const char *vm;		/* a path inside a mount */
	char found[8192];
	int matches;
};

static void look_in(const char *mnt, void *arg)
{
	struct lookup *l = arg;
	char path[8192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", mnt, l->vm[0] == '/' ? l->vm + 1 : l->vm);
	if (!stat(path, &st) && S_ISREG(st.st_mode) && strcmp(path, l->found)) {
		l->matches++;
		snprintf(l->found, sizeof(l->found), "%s", path);
	}
}

int vm_open(const char *vm, int flags)
{
	struct lookup l = { .vm = vm };
	struct stat st;
	int err;

	if (!stat(vm, &st))
		return open_kvmmem(vm, flags);
	err = kvmmem_mounts(look_in, &l);
	if (err)
		return err;
	if (!l.matches)
		return -ENOENT;
	if (l.matches > 1)
		return -ENOTUNIQ;
	return open_kvmmem(l.found, flags);
}
