// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmemctl: command-line tool for kvmmem (usage() lists the commands;
 * those on VMs and knobs are in vmctl.c).
 *
 * Exit status: 0 on success, 1 on failure, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L

#include "backends.h"
#include "ctl.h"
#include "qemus.h"
#include "qmp.h"
#include "units.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MiB		(1024ULL * 1024)
#define POLL_MS		250

const char *prog = "kvmmemctl";

static _Noreturn void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s COMMAND [ARGS]\n"
		"  status [--json]                one line per VM: size, resident, shared,\n"
		"                                 zero, swapped, compressed, ballooned,\n"
		"                                 active estimate, shares, min, max,\n"
		"                                 target, state (MiB; bytes in JSON)\n"
		"  watch [-n SECONDS] [-c COUNT]  status again every SECONDS (2)\n"
		"  show VM [--json]               what the VM file's ioctls return\n"
		"  set VM KEY=VALUE...            shares=N, min=SIZE, max=SIZE (K, M, G,\n"
		"                                 T suffixes), domain=N; VM is a file of a\n"
		"                                 kvmmem mount or its path as status shows\n"
		"  knobs [--json]                 every global knob: value, unit, default\n"
		"                                 and meaning (from the admin guide)\n"
		"  stats                          print kvmmem's global counters and knobs\n"
		"                                 (from %s, or $KVMMEM_SYSFS)\n"
		"  qmp SOCKET JSON                send one QMP command to QEMU's QMP unix\n"
		"                                 socket and print the reply; fails on an\n"
		"                                 error reply\n"
		"  balloon [-t SECONDS] SOCKET|VM SIZE\n"
		"                                 set the guest's memory to SIZE (MiB, or\n"
		"                                 with a K, M, G or T suffix) via its\n"
		"                                 virtio-balloon and wait until it gets\n"
		"                                 there (default timeout 120 s); VM: the\n"
		"                                 QMP socket of the QEMU holding its file\n",
		prog, SYSFS_DIR);
	exit(status);
}

int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	return 1;
}

int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end || !*out)
		return -EINVAL;
	return *out > max ? -ERANGE : 0;
}

/* ---- stats --------------------------------------------------------------- */

/* Prints "name value" for one sysfs file; silently skips unreadable ones. */
static void print_attr(const char *dir, const char *name)
{
	char path[4096], value[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, value, sizeof(value) - 1);
	close(fd);
	if (n < 0)
		return;
	while (n > 0 && (value[n - 1] == '\n' || value[n - 1] == ' '))
		n--;
	value[n] = '\0';
	for (char *p = value; *p; p++)
		if (*p == '\n')
			*p = ' ';
	printf("%s %s\n", name, value);
}

static int cmd_stats(int argc, char **argv)
{
	const char *dir = sysfs_dir();
	struct dirent **names;
	int n;

	(void)argv;
	if (argc != 1)
		usage(2);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s (is kvmmem.ko loaded?)\n",
			prog, dir, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			print_attr(dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* ---- qmp ----------------------------------------------------------------- */

static int connect_qmp(struct qmp *q, const char *path)
{
	int ret = qmp_connect(q, path);

	if (ret == -EPROTO)
		fprintf(stderr, "%s: %s: not a QMP socket\n", prog, path);
	else if (ret)
		fail(path, -ret);
	return ret;
}

/* Runs one command; prints QEMU's error to stderr.  Returns 0 or 1. */
static int execute(struct qmp *q, const char *json, const char **reply)
{
	int ret = qmp_execute(q, json, reply);

	if (ret == QMP_ERROR_REPLY) {
		fprintf(stderr, "%s: QEMU refused %s: %s\n", prog, json, *reply);
		return 1;
	}
	if (ret == -EPROTO) {
		fprintf(stderr, "%s: unexpected QMP reply: %s\n", prog, *reply);
		return 1;
	}
	return ret ? fail("QMP", -ret) : 0;
}

static int cmd_qmp(int argc, char **argv)
{
	const char *reply = NULL;
	struct qmp q;
	int ret;

	if (argc != 3)
		usage(2);
	if (!json_is_object(argv[2])) {
		fprintf(stderr, "%s: not a JSON object: %s\n", prog, argv[2]);
		return 2;
	}
	if (connect_qmp(&q, argv[1]))
		return 1;
	ret = qmp_execute(&q, argv[2], &reply);
	if (ret >= 0)
		printf("%s\n", reply);
	else
		fail("QMP", -ret);
	qmp_close(&q);
	return ret ? 1 : 0;
}

/* ---- balloon ------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Runs the query @cmd and reads the integer member @key of the object it
 * returns into *@out, or @dflt if the member is absent (@dflt < 0: error).
 */
static int query_ll(struct qmp *q, const char *cmd, const char *key,
		    long long dflt, long long *out)
{
	const char *reply, *value;
	char json[64];
	int ret;

	snprintf(json, sizeof(json), "{\"execute\":\"%s\"}", cmd);
	ret = execute(q, json, &reply);
	if (ret)
		return ret;
	value = json_member(json_member(reply, "return"), key);
	if (!value && dflt >= 0) {
		*out = dflt;
		return 0;
	}
	if (json_to_ll(value, out)) {
		fprintf(stderr, "%s: no %s in %s\n", prog, key, reply);
		return 1;
	}
	return 0;
}

/* QEMU clamps a balloon target to the guest's RAM, hotplugged included. */
static int clamp_target(struct qmp *q, long long *target)
{
	const char *cmd = "query-memory-size-summary";
	long long base, plugged;

	if (query_ll(q, cmd, "base-memory", -1, &base) ||
	    query_ll(q, cmd, "plugged-memory", 0, &plugged))
		return 1;
	if (*target > base + plugged) {
		printf("balloon: the guest has only %lld MiB of RAM\n",
		       (base + plugged) / (long long)MiB);
		*target = base + plugged;
	}
	return 0;
}

static int wait_actual(struct qmp *q, long long target, unsigned long timeout)
{
	double start = now();
	long long actual, last = -1;

	for (;;) {
		if (query_ll(q, "query-balloon", "actual", -1, &actual))
			return 1;
		if (actual != last)
			printf("balloon: guest has %lld MiB, target %lld MiB (%.1f s)\n",
			       actual / (long long)MiB, target / (long long)MiB,
			       now() - start);
		fflush(stdout);
		if (actual == target)
			return 0;
		if (now() - start > timeout) {
			fprintf(stderr, "%s: balloon: guest still at %lld MiB after %lu s\n",
				prog, actual / (long long)MiB, timeout);
			return 1;
		}
		last = actual;
		sleep_ms(POLL_MS);
	}
}

struct holder {
	struct stat file;	/* the VM file */
	char qmp[256];		/* its QEMU's -qmp socket */
	int qemus;
};

static void holds(const struct qemu_info *q, const struct stat *file, void *arg)
{
	struct holder *h = arg;

	/* only root's QEMUs and the file owner's: no one else's socket */
	if (file->st_dev != h->file.st_dev || file->st_ino != h->file.st_ino ||
	    (q->uid && q->uid != h->file.st_uid))
		return;
	h->qemus++;
	snprintf(h->qmp, sizeof(h->qmp), "%s", q->qmp);
}

/*
 * The QMP socket of @target: itself if it is a socket, else the -qmp of
 * the QEMU holding the VM file it names (a path, or as status shows it).
 */
static int find_socket(const char *target, char *sock, size_t len)
{
	struct holder h = { 0 };
	struct stat st;
	int fd;

	if (!stat(target, &st) && S_ISSOCK(st.st_mode)) {
		snprintf(sock, len, "%s", target);
		return 0;
	}
	fd = vm_open(target, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: neither a QMP socket nor a VM file (%s)\n",
			prog, target, strerror(-fd));
		return 1;
	}
	fstat(fd, &h.file);
	close(fd);
	qemus_scan(holds, &h);
	if (h.qemus != 1 || !h.qmp[0]) {
		fprintf(stderr, "%s: %s: %s\n", prog, target,
			!h.qemus ? "no QEMU process holds it" :
			h.qemus > 1 ? "more than one QEMU process holds it" :
			"its QEMU has no -qmp unix:PATH socket; name the socket");
		return 1;
	}
	snprintf(sock, len, "%s", h.qmp);
	return 0;
}

static int cmd_balloon(int argc, char **argv)
{
	unsigned long long bytes, timeout = 120;
	bool in_mib;
	const char *reply;
	long long target;
	char json[128], sock[256];
	struct qmp q;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "-t")) {
		if (argc < 3 || parse_count(argv[2], 24 * 3600, &timeout)) {
			fprintf(stderr, "%s: -t wants seconds (1..86400)\n", prog);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc != 3)
		usage(2);
	/* a bare number is MiB, as before SIZE took suffixes */
	ret = parse_bytes(argv[2], (unsigned long long)LLONG_MAX, &bytes);
	in_mib = !ret && isdigit((unsigned char)argv[2][strlen(argv[2]) - 1]);
	if (in_mib && bytes > (unsigned long long)LLONG_MAX / MiB)
		ret = -ERANGE;
	if (ret) {
		fprintf(stderr, "%s: bad size '%s': %s\n", prog, argv[2],
			strerror(-ret));
		return 2;
	}
	if (find_socket(argv[1], sock, sizeof(sock)) || connect_qmp(&q, sock))
		return 1;
	target = (long long)(in_mib ? bytes * MiB : bytes);
	snprintf(json, sizeof(json),
		 "{\"execute\":\"balloon\",\"arguments\":{\"value\":%lld}}", target);
	ret = execute(&q, json, &reply);
	if (!ret)
		ret = clamp_target(&q, &target);
	if (!ret)
		ret = wait_actual(&q, target, (unsigned long)timeout);
	qmp_close(&q);
	return ret;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "stats", cmd_stats },
	{ "qmp", cmd_qmp },
	{ "balloon", cmd_balloon },
	{ "status", cmd_status },
	{ "watch", cmd_watch },
	{ "show", cmd_show },
	{ "set", cmd_set },
	{ "knobs", cmd_knobs },
};

int main(int argc, char **argv)
{
	if (argc < 2)
		usage(2);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage(0);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(2);
}
