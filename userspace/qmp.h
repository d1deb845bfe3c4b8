/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal QMP (QEMU Machine Protocol) client: one connection to a QMP
 * unix socket, synchronous commands, asynchronous events skipped.  QEMU
 * sends one JSON object per line; that is all the parsing relied upon.
 */
#ifndef KVMMEM_QMP_H
#define KVMMEM_QMP_H

#include <stddef.h>

struct qmp {
	int fd;
	int timeout_ms;		/* per read; default QMP_TIMEOUT_MS */
	/* called with each event read while waiting for a reply, or NULL */
	void (*on_event)(void *arg, const char *event);
	void *event_arg;
	char *buf;		/* bytes received, not yet consumed */
	size_t len;
	size_t cap;
	char *line;		/* last line returned, NUL-terminated */
};

#define QMP_TIMEOUT_MS	30000
#define QMP_ERROR_REPLY	1	/* qmp_execute(): QEMU answered {"error": ...} */

/*
 * Connects to the socket at @path, reads the greeting and leaves
 * capabilities negotiation mode.  Returns 0 or a negative errno
 * (-EPROTO when the peer does not speak QMP).
 */
int qmp_connect(struct qmp *q, const char *path);

/* The same, with @timeout_ms for each read instead of QMP_TIMEOUT_MS. */
int qmp_connect_ms(struct qmp *q, const char *path, int timeout_ms);

/*
 * Sends @json (one JSON object, no trailing newline needed) and waits for
 * its reply, handing the events read meanwhile to q->on_event.  *@reply points into @q until the next call.
 * Returns 0 on {"return": ...}, QMP_ERROR_REPLY on {"error": ...}, or a
 * negative errno.
 */
int qmp_execute(struct qmp *q, const char *json, const char **reply);

/*
 * The next event QEMU has sent, without waiting: 0 with *@event pointing
 * into @q until the next call, -EAGAIN if no whole line has arrived, or
 * a negative errno (-ECONNRESET: QEMU closed the socket).  A line that is
 * not an event (a late reply) is skipped.
 */
int qmp_next_event(struct qmp *q, const char **event);

void qmp_close(struct qmp *q);

/*
 * Tiny JSON helpers, enough for QMP replies.  json_member() returns the
 * start of the value of member @key of the object at @obj (top level of
 * that object only), or NULL.
 */
const char *json_member(const char *obj, const char *key);
int json_is_object(const char *s);
int json_to_ll(const char *value, long long *out);

#endif /* KVMMEM_QMP_H */
