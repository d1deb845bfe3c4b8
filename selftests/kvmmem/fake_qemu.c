// SPDX-License-Identifier: GPL-2.0
/*
 * fake_qemu -name guest=NAME -qmp unix:PATH,server=on -mem-path FILE
 *	[-log LOG] [-hang] [-stats STATS] [-no-driver]
 *
 * Stands in for QEMU where kvmmemd_test.sh needs one without nested KVM:
 * it holds FILE open and mapped (as QEMU holds guest RAM), has QEMU's
 * options on its command line (kvmmemd reads them from /proc), and serves
 * QMP on PATH, one client at a time as QEMU does: a greeting, then
 * {"return": {}} for every command but these:
 *  - balloon: appended to LOG as "balloon VALUE"; the guest follows at
 *    once (a BALLOON_CHANGE event), or never with -no-driver
 *  - query-balloon: "actual", the file size at first
 *  - query-memory-size-summary: the file size as "base-memory"
 *  - qom-list /machine/peripheral-anon: one virtio-balloon-pci device
 *  - qom-get guest-stats: the numbers in STATS ("AVAILABLE SWAP_IN
 *    MAJOR_FAULTS", read at each call) as reported now; without STATS, or
 *    with -no-driver, never reported (last-update 0)
 *  - qom-set guest-stats-polling-interval: appended to LOG as
 *    "stats-interval VALUE"
 * With -hang it accepts connections and never says a word.  A helper,
 * not a test.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *arg(int argc, char **argv, const char *opt)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], opt))
			return argv[i + 1];
	return NULL;
}

static int has(int argc, char **argv, const char *opt)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], opt))
			return 1;
	return 0;
}

static long long actual, ram;
static const char *log_path, *stats_path;
static int no_driver;

/* The number after "value" in @line, appended to LOG after @what. */
static long long log_value(const char *what, const char *line)
{
	const char *v = strstr(line, "\"value\"");
	long long value;
	FILE *f;

	v = v ? strchr(v, ':') : NULL;
	if (!v)
		return -1;
	value = strtoll(v + 1, NULL, 10);
	f = log_path ? fopen(log_path, "a") : NULL;
	if (f) {
		fprintf(f, "%s %lld\n", what, value);
		fclose(f);
	}
	return value;
}

static void guest_stats(char *buf, size_t len)
{
	long long avail = -1, swap_in = -1, majflt = -1, when = 0;
	FILE *f = stats_path && !no_driver ? fopen(stats_path, "r") : NULL;

	if (f) {
		if (fscanf(f, "%lld %lld %lld", &avail, &swap_in, &majflt) == 3)
			when = (long long)time(NULL);
		fclose(f);
	}
	snprintf(buf, len,
		 "{\"return\": {\"stats\": {\"stat-available-memory\": %lld, \"stat-free-memory\": %lld, \"stat-swap-in\": %lld, \"stat-major-faults\": %lld}, \"last-update\": %lld}}\r\n",
		 avail, avail, swap_in, majflt, when);
}

/* The reply to one command line, and the event that follows a balloon. */
static int reply(int c, const char *line)
{
	char buf[512];
	int event = 0;

	if (strstr(line, "\"query-balloon\"")) {
		snprintf(buf, sizeof(buf), "{\"return\": {\"actual\": %lld}}\r\n", actual);
	} else if (strstr(line, "\"query-memory-size-summary\"")) {
		snprintf(buf, sizeof(buf), "{\"return\": {\"base-memory\": %lld}}\r\n", ram);
	} else if (strstr(line, "\"qom-list\"") && strstr(line, "/machine/peripheral-anon\"")) {
		snprintf(buf, sizeof(buf),
			 "{\"return\": [{\"name\": \"type\", \"type\": \"string\"}, {\"name\": \"device[0]\", \"type\": \"child<virtio-balloon-pci>\"}]}\r\n");
	} else if (strstr(line, "\"qom-get\"") && strstr(line, "\"guest-stats\"")) {
		guest_stats(buf, sizeof(buf));
	} else {
		if (strstr(line, "\"qom-set\"") && strstr(line, "guest-stats-polling-interval"))
			log_value("stats-interval", line);
		if (strstr(line, "\"balloon\"")) {
			long long v = log_value("balloon", line);

			if (v >= 0 && !no_driver) {
				actual = v;
				event = 1;
			}
		}
		snprintf(buf, sizeof(buf), "{\"return\": {}}\r\n");
	}
	if (write(c, buf, strlen(buf)) < 0)
		return -1;
	if (!event)
		return 0;
	snprintf(buf, sizeof(buf),
		 "{\"timestamp\": {\"seconds\": %lld, \"microseconds\": 0}, \"event\": \"BALLOON_CHANGE\", \"data\": {\"actual\": %lld}}\r\n",
		 (long long)time(NULL), actual);
	return write(c, buf, strlen(buf)) < 0 ? -1 : 0;
}

/* One QMP client: a greeting, then a reply to each line. */
static void serve(int c)
{
	static const char greeting[] =
		"{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	if (write(c, greeting, sizeof(greeting) - 1) < 0)
		return;
	while ((n = read(c, buf + len, sizeof(buf) - 1 - len)) > 0) {
		char *nl;

		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (reply(c, buf))
				return;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0;
	}
}

int main(int argc, char **argv)
{
	const char *qmp = arg(argc, argv, "-qmp"), *mem = arg(argc, argv, "-mem-path");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int hang = has(argc, argv, "-hang"), fd, s;
	struct stat st;
	void *map;

	if (!qmp || strncmp(qmp, "unix:", 5) || !mem || !arg(argc, argv, "-name")) {
		fprintf(stderr, "usage: fake_qemu -name NAME -qmp unix:PATH,... -mem-path FILE [-log LOG] [-hang] [-stats STATS] [-no-driver]\n");
		return 2;
	}
	log_path = arg(argc, argv, "-log");
	stats_path = arg(argc, argv, "-stats");
	no_driver = has(argc, argv, "-no-driver");
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%.*s",
		 (int)strcspn(qmp + 5, ","), qmp + 5);
	fd = open(mem, O_RDWR);
	if (fd < 0 || fstat(fd, &st)) {
		perror(mem);
		return 1;
	}
	actual = ram = st.st_size;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(addr.sun_path);
	if (map == MAP_FAILED || s < 0 ||
	    bind(s, (struct sockaddr *)&addr, sizeof(addr)) || listen(s, 16)) {
		perror("fake_qemu");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		if (hang)
			continue;	/* keep it open, say nothing */
		serve(c);
		close(c);
	}
}
