// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmemctl's commands on VMs and knobs: status, watch, show, set, knobs
 * (usage in kvmmemctl.c).  Counters come from sysfs, which is root's;
 * show and set use the ioctls of uapi/linux/kvmmem.h on the VM's file,
 * with the caller's own rights on it.
 */
#define _GNU_SOURCE

#include "backends.h"
#include "ctl.h"
#include "units.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvmmem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MiB	(1024.0 * 1024.0)

struct knob_doc {
	const char *name, *unit, *dflt, *meaning;
};

static const struct knob_doc knob_docs[] = {
#include "build/knobs.h"
};

static bool want_json(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--json"))
			continue;
		memmove(argv + i, argv + i + 1, (size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
		return true;
	}
	return false;
}

/* Prints @s as a JSON string. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* ---- status -------------------------------------------------------------- */

static const char *vm_state(const struct backend *b)
{
	return b->uncooperative > 0 ? "uncooperative" : "ok";
}

static void status_table(const char *free_state, struct backend *vms, int n)
{
	double pg = (double)page_size() / MiB;
	int width = 20;

	/* libvirt's files are long (/libvirt/qemu/1-web1/pc.ram): widen. */
	for (int i = 0; i < n; i++)
		if ((int)strlen(vms[i].path) > width)
			width = strlen(vms[i].path);
	printf("free_state %s\n", free_state);
	printf("%-*s %9s %9s %9s %9s %9s %9s %9s %6s %7s %9s %9s %9s %s\n",
	       width, "NAME", "SIZE", "RESIDENT", "SHARED", "ZERO", "SWAPPED",
	       "COMPRESS", "BALLOON", "ACTIVE", "SHARES", "MIN", "MAX",
	       "TARGET", "STATE");
	for (int i = 0; i < n; i++) {
		struct backend *b = &vms[i];

		printf("%-*s %8.1fM %8.1fM %8.1fM %8.1fM %8.1fM %8.1fM %8.1fM %5ld%% %7ld %8.1fM %8.1fM %8.1fM %s\n",
		       width, b->path, b->size / MiB, b->resident * pg,
		       b->sharing * pg, b->zero * pg, b->swapped_out * pg, 0.0,
		       (b->ballooned + b->free_reported) * pg, b->active,
		       b->shares, b->min * pg, b->max * pg, b->target * pg,
		       vm_state(b));
	}
}

static void status_json(const char *free_state, struct backend *vms, int n)
{
	long long pg = page_size();

	printf("{\"free_state\":");
	json_string(free_state);
	printf(",\"vms\":[");
	for (int i = 0; i < n; i++) {
		struct backend *b = &vms[i];

		printf("%s{\"name\":", i ? "," : "");
		json_string(b->path);
		printf(",\"ino\":%lu,\"size\":%llu,\"resident\":%lld,\"shared\":%lld,"
		       "\"zero\":%lld,\"swapped\":%lld,\"swap_cached\":%lld,"
		       "\"compressed\":0,\"ballooned\":%lld,\"free_reported\":%lld,"
		       "\"active_percent\":%ld,\"shares\":%ld,\"min\":%lld,"
		       "\"max\":%lld,\"target\":%lld,\"balloon_target\":%lld,"
		       "\"hot_io\":%lld,\"domain\":%ld,\"state\":\"%s\"}",
		       b->ino, b->size, b->resident * pg, b->sharing * pg,
		       b->zero * pg, b->swapped_out * pg, b->swap_cached * pg,
		       b->ballooned * pg, b->free_reported * pg, b->active,
		       b->shares, b->min * pg, b->max * pg, b->target * pg,
		       b->balloon_target * pg, b->hot_io * pg, b->domain,
		       vm_state(b));
	}
	printf("]}\n");
}

static int show_status(bool json)
{
	char free_state[32];
	struct backend *vms;
	int n = read_attr(sysfs_dir(), "free_state", free_state, sizeof(free_state));

	if (n == -ENOENT) {
		fprintf(stderr, "%s: %s: no such directory (is kvmmem.ko loaded?)\n",
			prog, sysfs_dir());
		return 1;
	}
	if (n)
		return fail(sysfs_dir(), -n);
	n = backends_read(&vms);
	if (n < 0)
		return fail("backends", -n);
	if (json)
		status_json(free_state, vms, n);
	else
		status_table(free_state, vms, n);
	free(vms);
	fflush(stdout);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	bool json = want_json(&argc, argv);

	if (argc != 1) {
		fprintf(stderr, "usage: %s status [--json]\n", prog);
		return 2;
	}
	return show_status(json);
}

int cmd_watch(int argc, char **argv)
{
	unsigned long long seconds = 2, count = 0;
	bool tty = isatty(STDOUT_FILENO);
	int opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		if ((opt != 'n' && opt != 'c') ||
		    parse_count(optarg, 3600 * 24, opt == 'n' ? &seconds : &count)) {
			fprintf(stderr, "usage: %s watch [-n SECONDS] [-c COUNT]\n", prog);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: %s watch [-n SECONDS] [-c COUNT]\n", prog);
		return 2;
	}
	for (unsigned long long i = 0; !count || i < count; i++) {
		struct timespec ts = { (time_t)seconds, 0 };

		if (i)
			nanosleep(&ts, NULL);
		if (tty)
			printf("\033[H\033[J");
		if (show_status(false))
			return 1;
	}
	return 0;
}

/* ---- knobs --------------------------------------------------------------- */

static const struct knob_doc *knob_doc(const char *name)
{
	for (size_t i = 0; i < sizeof(knob_docs) / sizeof(knob_docs[0]); i++)
		if (!strcmp(knob_docs[i].name, name))
			return &knob_docs[i];
	return NULL;
}

/*
 * Every writable file of the sysfs directory, its value and what the admin
 * guide says of it; a knob the guide does not describe fails the command.
 */
int cmd_knobs(int argc, char **argv)
{
	bool json = want_json(&argc, argv);
	const char *dir = sysfs_dir();
	struct dirent **names;
	int n, undocumented = 0, shown = 0;

	if (argc != 1) {
		fprintf(stderr, "usage: %s knobs [--json]\n", prog);
		return 2;
	}
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return fail(dir, errno);
	if (json)
		printf("[");
	for (int i = 0; i < n; i++) {
		char path[4096], value[256];
		const struct knob_doc *doc;
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & 0222) ||
		    read_attr(dir, names[i]->d_name, value, sizeof(value))) {
			free(names[i]);
			continue;
		}
		doc = knob_doc(names[i]->d_name);
		undocumented += !doc;
		if (json) {
			printf("%s{\"name\":", shown ? "," : "");
			json_string(names[i]->d_name);
			printf(",\"value\":");
			json_string(value);
			printf(",\"unit\":");
			json_string(doc ? doc->unit : "");
			printf(",\"default\":");
			json_string(doc ? doc->dflt : "");
			printf(",\"meaning\":");
			json_string(doc ? doc->meaning : "");
			printf("}");
		} else {
			printf("%-24s %-8s %-6s (default %s) %s\n", names[i]->d_name,
			       value, doc ? doc->unit : "?", doc ? doc->dflt : "?",
			       doc ? doc->meaning : "(not in the admin guide)");
		}
		shown++;
		free(names[i]);
	}
	free(names);
	if (json)
		printf("]\n");
	if (undocumented)
		fprintf(stderr, "%s: %d knobs are not in the admin guide\n", prog,
			undocumented);
	return undocumented ? 1 : 0;
}

/* ---- show and set -------------------------------------------------------- */

static int open_vm(const char *vm, int flags)
{
	int fd = vm_open(vm, flags);

	if (fd == -ENOTUNIQ)
		fprintf(stderr, "%s: %s: in more than one kvmmem mount; give its full path\n",
			prog, vm);
	else if (fd == -EMEDIUMTYPE)
		fprintf(stderr, "%s: %s: not a file of a kvmmem mount\n", prog, vm);
	else if (fd < 0)
		fail(vm, -fd);
	return fd;
}

static const char *state_name(unsigned int state)
{
	static const char *const names[] = { "high", "soft", "hard", "low" };

	return state < 4 ? names[state] : "?";
}

/* Every GET ioctl of the VM's file. */
int cmd_show(int argc, char **argv)
{
	bool json = want_json(&argc, argv);
	struct kvmmem_domain dom = { .size = sizeof(dom) };
	struct kvmmem_alloc alloc = { .size = sizeof(alloc) };
	struct kvmmem_target tgt = { .size = sizeof(tgt) };
	struct kvmmem_balloon bal = { .size = sizeof(bal) };
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s show VM [--json]\n", prog);
		return 2;
	}
	fd = open_vm(argv[1], O_RDONLY);
	if (fd < 0)
		return 1;
	if (ioctl(fd, KVMMEM_IOC_GET_DOMAIN, &dom) ||
	    ioctl(fd, KVMMEM_IOC_GET_ALLOC, &alloc) ||
	    ioctl(fd, KVMMEM_IOC_GET_TARGET, &tgt) ||
	    ioctl(fd, KVMMEM_IOC_GET_BALLOON, &bal)) {
		close(fd);
		return fail(argv[1], errno);
	}
	close(fd);
	printf(json ? "{\"domain\":%u,\"shares\":%u,\"min\":%llu,\"max\":%llu,"
		      "\"active_per_65536\":%u,\"target\":%llu,\"resident\":%llu,"
		      "\"free_state\":\"%s\",\"balloon_target\":%llu,"
		      "\"ballooned\":%llu,\"free_reported\":%llu,\"swapped_out\":%llu,"
		      "\"compressed\":%llu,\"balloon_seq\":%llu,\"file_size\":%llu}\n" :
		      "domain %u\nshares %u\nmin %llu\nmax %llu\n"
		      "active_per_65536 %u\ntarget %llu\nresident %llu\n"
		      "free_state %s\nballoon_target %llu\nballooned %llu\n"
		      "free_reported %llu\nswapped_out %llu\ncompressed %llu\n"
		      "balloon_seq %llu\nfile_size %llu\n",
	       dom.domain, alloc.shares, (unsigned long long)alloc.min,
	       (unsigned long long)alloc.max, tgt.active,
	       (unsigned long long)tgt.target, (unsigned long long)tgt.resident,
	       state_name(bal.free_state), (unsigned long long)bal.balloon_target,
	       (unsigned long long)bal.ballooned,
	       (unsigned long long)bal.free_reported,
	       (unsigned long long)bal.swapped_out,
	       (unsigned long long)bal.compressed, (unsigned long long)bal.seq,
	       (unsigned long long)bal.file_size);
	return 0;
}

/* shares=N, min=SIZE, max=SIZE, domain=N, into the structs set reads. */
static int parse_setting(const char *arg, struct kvmmem_alloc *alloc,
			 struct kvmmem_domain *dom, bool *alloc_set, bool *dom_set)
{
	const char *eq = strchr(arg, '=');
	unsigned long long v;
	size_t klen;
	int err;

	if (!eq)
		return -EINVAL;
	klen = (size_t)(eq - arg);
	if (klen == 6 && !strncmp(arg, "shares", 6)) {
		err = parse_count(eq + 1, 0xffffffffULL, &v);
		alloc->shares = (__u32)v;
		*alloc_set = true;
	} else if ((klen == 3 && !strncmp(arg, "min", 3)) ||
		   (klen == 3 && !strncmp(arg, "max", 3))) {
		err = parse_bytes(eq + 1, ~0ULL, &v);
		if (arg[1] == 'i')
			alloc->min = v;
		else
			alloc->max = v;
		*alloc_set = true;
	} else if (klen == 6 && !strncmp(arg, "domain", 6)) {
		/* parse_count() takes no 0, the default domain */
		v = 0;
		err = strcmp(eq + 1, "0") ?
		      parse_count(eq + 1, KVMMEM_DOMAIN_MAX, &v) : 0;
		dom->domain = (__u32)v;
		*dom_set = true;
	} else {
		return -ENOENT;
	}
	return err;
}

/* Sets shares, min, max (SET_ALLOC) and the domain (SET_DOMAIN). */
int cmd_set(int argc, char **argv)
{
	struct kvmmem_domain dom = { .size = sizeof(dom) };
	struct kvmmem_alloc alloc = { .size = sizeof(alloc) };
	bool alloc_set = false, dom_set = false;
	int fd, err;

	if (argc < 3) {
		fprintf(stderr, "usage: %s set VM shares=N|min=SIZE|max=SIZE|domain=N...\n",
			prog);
		return 2;
	}
	fd = open_vm(argv[1], O_RDWR);
	if (fd < 0)
		return 1;
	if (ioctl(fd, KVMMEM_IOC_GET_ALLOC, &alloc)) {
		close(fd);
		return fail(argv[1], errno);
	}
	for (int i = 2; i < argc; i++) {
		err = parse_setting(argv[i], &alloc, &dom, &alloc_set, &dom_set);
		if (err) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[i],
				err == -ENOENT ? "unknown setting (shares, min, max, domain)" :
				"bad value");
			close(fd);
			return 2;
		}
	}
	err = 0;
	if (alloc_set && ioctl(fd, KVMMEM_IOC_SET_ALLOC, &alloc))
		err = fail("SET_ALLOC", errno);
	if (!err && dom_set && ioctl(fd, KVMMEM_IOC_SET_DOMAIN, &dom))
		err = fail("SET_DOMAIN", errno);
	close(fd);
	return err;
}
