// SPDX-License-Identifier: GPL-2.0
/*
 * QMP client for kvmmemctl and kvmmemd.
 *
 * QEMU writes one JSON object per line ("\r\n"-terminated): a greeting
 * {"QMP": ...} on connect, then a reply {"return": ...} or {"error": ...}
 * for each command, interleaved with events {"timestamp": ..., "event": ...}
 * at any time.  Commands are answered in order, so a synchronous client
 * needs no "id": it sends one command and reads lines until the first one
 * that is not an event.
 */
#define _POSIX_C_SOURCE 200809L

#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define QMP_LINE_MAX	(16u << 20)	/* refuse replies larger than this */

/* ---- JSON scanning ------------------------------------------------------ */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* @p is at an opening quote; returns the byte after the closing one. */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && !*++p)
			return NULL;
	return *p ? p + 1 : NULL;
}

/* Skips an object or array by bracket depth, strings taken as opaque. */
static const char *skip_compound(const char *p)
{
	int depth = 0;

	do {
		if (*p == '"') {
			p = skip_string(p);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (!*p)
			return NULL;
		p++;
	} while (depth > 0);
	return p;
}

static const char *skip_value(const char *p)
{
	const char *start = p;

	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[')
		return skip_compound(p);
	while (*p && !strchr(",}] \t\r\n", *p))
		p++;
	return p == start ? NULL : p;
}

const char *json_member(const char *obj, const char *key)
{
	size_t klen = strlen(key);
	const char *p = skip_ws(obj);

	if (*p != '{')
		return NULL;
	for (p = skip_ws(p + 1); *p == '"'; p = skip_ws(p + 1)) {
		const char *end = skip_string(p);
		int match;

		if (!end)
			return NULL;
		match = (size_t)(end - p) == klen + 2 && !memcmp(p + 1, key, klen);
		p = skip_ws(end);
		if (*p != ':')
			return NULL;
		p = skip_ws(p + 1);
		if (match)
			return p;
		p = skip_value(p);
		if (!p)
			return NULL;
		p = skip_ws(p);
		if (*p != ',')
			return NULL;
	}
	return NULL;
}

int json_is_object(const char *s)
{
	const char *p = skip_ws(s);

	if (*p != '{')
		return 0;
	p = skip_compound(p);
	return p && !*skip_ws(p);
}

int json_to_ll(const char *value, long long *out)
{
	char *end;

	if (!value || (*value != '-' && (*value < '0' || *value > '9')))
		return -EINVAL;
	errno = 0;
	*out = strtoll(value, &end, 10);
	if (errno)
		return -errno;
	return strchr(",}] \t\r\n", *end) ? 0 : -EINVAL;
}

/* ---- line I/O ------------------------------------------------------------ */

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int grow(struct qmp *q)
{
	size_t cap = q->cap ? q->cap * 2 : 4096;
	char *buf;

	if (cap > QMP_LINE_MAX)
		return -EMSGSIZE;
	buf = realloc(q->buf, cap);
	if (!buf)
		return -ENOMEM;
	q->buf = buf;
	q->cap = cap;
	return 0;
}

/* Reads whatever is available into q->buf, waiting up to the timeout. */
static int fill(struct qmp *q)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	if (q->len == q->cap) {
		ret = grow(q);
		if (ret)
			return ret;
	}
	ret = poll(&pfd, 1, q->timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	n = read(q->fd, q->buf + q->len, q->cap - q->len);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	q->len += (size_t)n;
	return 0;
}

/* Moves the next complete line into q->line, without its line ending. */
static int read_line(struct qmp *q)
{
	char *nl;
	size_t used;
	int ret;

	while (!q->len || !(nl = memchr(q->buf, '\n', q->len))) {
		ret = fill(q);
		if (ret)
			return ret;
	}
	used = (size_t)(nl - q->buf) + 1;
	free(q->line);
	q->line = malloc(used);
	if (!q->line)
		return -ENOMEM;
	memcpy(q->line, q->buf, used - 1);
	q->line[used - 1] = '\0';
	if (used > 1 && q->line[used - 2] == '\r')
		q->line[used - 2] = '\0';
	memmove(q->buf, q->buf + used, q->len - used);
	q->len -= used;
	return 0;
}

/* Reads lines until one that is not an event, handing events on. */
static int read_reply(struct qmp *q)
{
	int ret;

	for (;;) {
		ret = read_line(q);
		if (ret)
			return ret;
		if (!json_member(q->line, "event"))
			return 0;
		if (q->on_event)
			q->on_event(q->event_arg, q->line);
	}
}

int qmp_next_event(struct qmp *q, const char **event)
{
	int timeout = q->timeout_ms, ret;

	q->timeout_ms = 0;	/* fill() polls without waiting */
	do {
		ret = read_line(q);
	} while (!ret && !json_member(q->line, "event"));
	q->timeout_ms = timeout;
	if (ret == -ETIMEDOUT)
		return -EAGAIN;
	if (!ret)
		*event = q->line;
	return ret;
}

/* ---- protocol ------------------------------------------------------------ */

int qmp_execute(struct qmp *q, const char *json, const char **reply)
{
	int ret;

	if (!json_is_object(json))
		return -EINVAL;
	ret = send_all(q->fd, json, strlen(json));
	if (!ret)
		ret = send_all(q->fd, "\n", 1);
	if (!ret)
		ret = read_reply(q);
	if (ret)
		return ret;
	*reply = q->line;
	if (json_member(q->line, "return"))
		return 0;
	return json_member(q->line, "error") ? QMP_ERROR_REPLY : -EPROTO;
}

static int open_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int qmp_connect(struct qmp *q, const char *path)
{
	return qmp_connect_ms(q, path, QMP_TIMEOUT_MS);
}

int qmp_connect_ms(struct qmp *q, const char *path, int timeout_ms)
{
	const char *reply;
	int ret;

	memset(q, 0, sizeof(*q));
	q->timeout_ms = timeout_ms;
	q->fd = open_socket(path);
	if (q->fd < 0)
		return q->fd;
	ret = read_reply(q);
	if (!ret && !json_member(q->line, "QMP"))
		ret = -EPROTO;
	if (!ret)
		ret = qmp_execute(q, "{\"execute\":\"qmp_capabilities\"}", &reply);
	if (ret == QMP_ERROR_REPLY)
		ret = -EPROTO;
	if (ret)
		qmp_close(q);
	return ret;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q->line);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}
