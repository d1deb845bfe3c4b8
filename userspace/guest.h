/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM's balloon through its QEMU's QMP socket, for kvmmemd: targets sent
 * with "balloon", the guest followed through QEMU's BALLOON_CHANGE events
 * until it reaches the target, and the guest's own statistics (the
 * virtio-balloon stats queue) read before the balloon inflates, so that
 * a target never balloons a guest into swapping (Documentation/kvmmemd.rst,
 * "Ballooning").
 *
 * A QMP socket takes one client at a time, so the connection is held only
 * while a target is followed (while the balloon moves, GUEST_FOLLOW_MS
 * after its last move and GUEST_FOLLOW_MAX_MS in all), then closed for
 * kvmmemctl, libvirt's tools or the operator's socat.
 */
#ifndef KVMMEM_GUEST_H
#define KVMMEM_GUEST_H

#include "qmp.h"

#include <sys/types.h>

#define GUEST_FOLLOW_MS		10000
#define GUEST_FOLLOW_MAX_MS	60000

struct guest_opts {
	int timeout_ms;			/* per QMP exchange */
	int stats_s;			/* guest-stats-polling-interval; 0: off */
	unsigned long long reserve;	/* bytes a guest keeps available */
};

struct guest {
	struct qmp qmp;			/* open while a target is followed */
	long long follow_until;		/* CLOCK_MONOTONIC ms, while open */
	long long follow_end;		/* ... at the latest */
	long long actual;		/* outside the balloon, bytes; -1: unknown */
	long long actual_sent;		/* ... when the target was sent */
	long long actual_seen;		/* ... at the last guest_follow() */
	unsigned long long target;	/* the last target QEMU took, bytes */
	pid_t stats_qemu;		/* the QEMU asked for statistics, 0: none */
	long long stats_retry;		/* ms: no new attempt before */
	char balloon_dev[128];		/* its virtio-balloon's QOM path, or "" */
	long long available, swap_in, major_faults;	/* last read, -1: unknown */
	unsigned long sent, failures, limited;
};

void guest_init(struct guest *g);

/* Closes the connection (the VM is gone, or kvmmemd stops). */
void guest_close(struct guest *g);

/*
 * Sends @target (bytes) to the QEMU at @sock, raised if the guest's
 * statistics say it would leave less than o->reserve available or the
 * guest swaps, and starts following it.  Returns 0, or -1 (logged,
 * counted in g->failures).  @name names the VM in the log; @now_ms is
 * CLOCK_MONOTONIC.
 */
int guest_balloon(struct guest *g, const char *name, const char *sock,
		  unsigned long long target, const struct guest_opts *o,
		  long long now_ms);

/* Whether guest_stats_on() has something to do for the QEMU @qemu. */
int guest_stats_wanted(const struct guest *g, pid_t qemu,
		       const struct guest_opts *o, long long now_ms);

/*
 * Turns on the balloon statistics of the QEMU @qemu at @sock, once per
 * QEMU process (again after a failed attempt, at most every 10 s).
 */
void guest_stats_on(struct guest *g, const char *name, const char *sock,
		    pid_t qemu, const struct guest_opts *o, long long now_ms);

/* The fd to poll for events while a target is followed, else -1. */
int guest_fd(const struct guest *g);

/*
 * Reads the events that arrived; stops following when the guest reached
 * the target, QEMU went away, the balloon did not move for
 * GUEST_FOLLOW_MS, or GUEST_FOLLOW_MAX_MS passed (said in the log, with
 * whether the balloon moved at all).
 */
void guest_follow(struct guest *g, const char *name, long long now_ms);

#endif /* KVMMEM_GUEST_H */
