/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmemd's metrics: kvmmem's counters in Prometheus' text exposition
 * format, served over HTTP on a loopback TCP port or a Unix socket
 * (metrics names in Documentation/kvmmemd.rst).
 */
#ifndef KVMMEM_METRICS_H
#define KVMMEM_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* What the daemon adds to a VM's counters (metrics.c names them). */
enum metrics_daemon_field {
	MD_SENT,		/* balloon targets QEMU took */
	MD_FAILURES,		/* balloon targets QEMU did not take */
	MD_LIMITED,		/* targets raised for the guest's sake */
	MD_ACTUAL,		/* bytes outside the balloon */
	MD_AVAILABLE,		/* the guest's available memory, bytes */
	MD_SWAP_IN,		/* bytes the guest swapped in */
	MD_MAJOR_FAULTS,	/* the guest's major faults */
	MD_NR
};

struct metrics_vm {
	ino_t ino;
	const char *name;
	long long v[MD_NR];	/* -1: not known */
};

/*
 * Listens on @spec: "ADDRESS:PORT" (an IPv4 address, 127.0.0.1 for a
 * node's own scraper) or an absolute path (a Unix socket, replaced if it
 * exists).  Returns the non-blocking listening fd, or -1 with the reason
 * in @err.
 */
int metrics_listen(const char *spec, char *err, size_t errlen);

/*
 * Answers the clients waiting on @lfd: an HTTP GET gets an HTTP response,
 * anything else (or nothing within 200 ms) the bare exposition.
 */
void metrics_answer(int lfd, const struct metrics_vm *vms, int n);

/* The exposition, written to @out (for tests and the above). */
void metrics_write(FILE *out, const struct metrics_vm *vms, int n);

#endif /* KVMMEM_METRICS_H */
