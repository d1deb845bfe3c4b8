// SPDX-License-Identifier: GPL-2.0
/*
 * fake_qemu -name guest=NAME -qmp unix:PATH,server=on -mem-path FILE
 *	[-log LOG] [-hang]
 *
 * Stands in for QEMU where kvmmemd_test.sh needs one without nested KVM:
 * it holds FILE open and mapped (as QEMU holds guest RAM), has QEMU's
 * options on its command line (kvmmemd reads them from /proc), and serves
 * QMP on PATH: a greeting, then {"return": {}} for every command but two:
 * query-balloon answers the last balloon value as "actual" (the file size
 * at first: a guest that follows at once), query-memory-size-summary the
 * file size as "base-memory".  Each "balloon" value is appended to LOG as
 * "balloon VALUE".  With -hang it
 * accepts connections and never says a word.  A helper, not a test.
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

static void log_balloon(const char *log, const char *line)
{
	const char *v = strstr(line, "\"value\"");
	FILE *f;

	v = v ? strchr(v, ':') : NULL;
	if (!v)
		return;
	actual = strtoll(v + 1, NULL, 10);
	f = log ? fopen(log, "a") : NULL;
	if (!f)
		return;
	fprintf(f, "balloon %lld\n", actual);
	fclose(f);
}

/* The reply to one command line. */
static int reply(int c, const char *line)
{
	char buf[160];

	if (strstr(line, "\"query-balloon\""))
		snprintf(buf, sizeof(buf), "{\"return\": {\"actual\": %lld}}\r\n", actual);
	else if (strstr(line, "\"query-memory-size-summary\""))
		snprintf(buf, sizeof(buf), "{\"return\": {\"base-memory\": %lld}}\r\n", ram);
	else
		snprintf(buf, sizeof(buf), "{\"return\": {}}\r\n");
	return write(c, buf, strlen(buf)) < 0 ? -1 : 0;
}

/* One QMP client: a greeting, then a reply to each line. */
static void serve(int c, const char *log)
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
			if (strstr(buf, "\"balloon\""))
				log_balloon(log, buf);
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
	const char *log = arg(argc, argv, "-log");
	int hang = has(argc, argv, "-hang"), fd, s;
	struct stat st;
	void *map;

	if (!qmp || strncmp(qmp, "unix:", 5) || !mem || !arg(argc, argv, "-name")) {
		fprintf(stderr, "usage: fake_qemu -name NAME -qmp unix:PATH,... -mem-path FILE [-log LOG] [-hang]\n");
		return 2;
	}
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
		serve(c, log);
		close(c);
	}
}
