// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's balloon through QMP (guest.h).
 *
 * QEMU's side, as of 7.2: "balloon" sets the size the guest should keep;
 * the guest's driver inflates or deflates at its own pace and QEMU says
 * where it is with BALLOON_CHANGE {"actual": bytes} (at most one a second)
 * and query-balloon.  The virtio-balloon device's "guest-stats" property
 * holds what the guest last reported (bytes, or -1 for what its driver
 * does not report; "last-update" in seconds since the epoch, 0 before the
 * first report), once "guest-stats-polling-interval" asks for reports.
 */
#define _GNU_SOURCE

#include "guest.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MiB		(1024LL * 1024)
#define STATS_RETRY_MS	10000

void guest_init(struct guest *g)
{
	memset(g, 0, sizeof(*g));
	g->qmp.fd = -1;
	g->actual = g->available = g->swap_in = g->major_faults = -1;
}

void guest_close(struct guest *g)
{
	if (g->qmp.fd >= 0)
		qmp_close(&g->qmp);
}

int guest_fd(const struct guest *g)
{
	return g->qmp.fd;
}

/* q->on_event: a BALLOON_CHANGE moves g->actual. */
static void on_event(void *arg, const char *event)
{
	const char *name = json_member(event, "event");
	const char *data = json_member(event, "data");
	struct guest *g = arg;
	long long actual;

	if (name && data && !strncmp(name, "\"BALLOON_CHANGE\"", 16) &&
	    !json_to_ll(json_member(data, "actual"), &actual))
		g->actual = actual;
}

static int connect_qemu(struct guest *g, const char *sock, int timeout_ms)
{
	int ret;

	if (g->qmp.fd >= 0)
		return 0;
	ret = qmp_connect_ms(&g->qmp, sock, timeout_ms);
	if (ret)
		return ret;
	g->qmp.on_event = on_event;
	g->qmp.event_arg = g;
	return 0;
}

/* A number member of @obj, or -1. */
static long long number(const char *obj, const char *key)
{
	long long v;

	return obj && !json_to_ll(json_member(obj, key), &v) ? v : -1;
}

/*
 * Reads the guest's statistics into @g; returns 0 if they are fresh
 * (reported within three polling intervals, with slack for a busy guest).
 */
static int read_stats(struct guest *g, const struct guest_opts *o)
{
	const char *reply, *ret, *stats;
	char cmd[256];
	long long last, avail;

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"%s\",\"property\":\"guest-stats\"}}",
		 g->balloon_dev);
	if (qmp_execute(&g->qmp, cmd, &reply))
		return -1;
	ret = json_member(reply, "return");
	stats = ret ? json_member(ret, "stats") : NULL;
	last = number(ret, "last-update");
	if (!stats || last <= 0 || time(NULL) - last > 3LL * o->stats_s + 10)
		return -1;
	avail = number(stats, "stat-available-memory");
	g->available = avail >= 0 ? avail : number(stats, "stat-free-memory");
	g->swap_in = number(stats, "stat-swap-in");
	g->major_faults = number(stats, "stat-major-faults");
	return 0;
}

/*
 * How far the balloon may inflate: down to the guest's size less what it
 * has available beyond o->reserve, and not at all while it swaps in (its
 * swap-in counter grew since the last reading: a guest paging its own
 * memory back in has nothing to give without hurting).  Major faults are
 * reported, not used: they count file reads too.  Without fresh
 * statistics the target goes as it is.
 */
static unsigned long long limit(struct guest *g, const char *name,
				unsigned long long target,
				const struct guest_opts *o)
{
	long long swap_in_before = g->swap_in, floor;

	if (!g->balloon_dev[0] || g->actual < 0 || (long long)target >= g->actual ||
	    read_stats(g, o))
		return target;
	if (swap_in_before >= 0 && g->swap_in > swap_in_before) {
		floor = g->actual;
		logmsg(L_INFO, "VM %s: the guest swaps in (%lld MiB so far): its balloon stays at %lld MiB, not %llu",
		       name, g->swap_in / MiB, floor / MiB, target / MiB);
	} else if (g->available >= 0) {
		floor = g->actual - (g->available > (long long)o->reserve ?
				     g->available - (long long)o->reserve : 0);
		if ((long long)target < floor)
			logmsg(L_INFO, "VM %s: the guest has %lld MiB available: %llu MiB, not %llu, so that it keeps %llu MiB",
			       name, g->available / MiB, (unsigned long long)floor / MiB,
			       target / MiB, o->reserve / MiB);
	} else {
		return target;
	}
	if ((long long)target >= floor)
		return target;
	g->limited++;
	return (unsigned long long)floor;
}

int guest_balloon(struct guest *g, const char *name, const char *sock,
		  unsigned long long target, const struct guest_opts *o,
		  long long now_ms)
{
	unsigned long long value = target;
	const char *reply;
	char cmd[128];
	int ret;

	ret = connect_qemu(g, sock, o->timeout_ms);
	if (!ret)
		ret = qmp_execute(&g->qmp, "{\"execute\":\"query-balloon\"}", &reply);
	if (!ret)
		g->actual = number(json_member(reply, "return"), "actual");
	if (ret == QMP_ERROR_REPLY) {
		/* no balloon device (or no driver yet): QEMU says which */
		logmsg(L_WARNING, "VM %s: no balloon: %s (the module pages a VM that stays above its target)",
		       name, reply);
	} else if (!ret) {
		value = limit(g, name, target, o);
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"balloon\",\"arguments\":{\"value\":%llu}}", value);
		ret = qmp_execute(&g->qmp, cmd, &reply);
		if (ret == QMP_ERROR_REPLY)
			logmsg(L_WARNING, "VM %s: QEMU refused the balloon target: %s",
			       name, reply);
	}
	if (ret < 0)
		logmsg(L_WARNING, "VM %s: QMP %s: %s: balloon target %llu MiB not set (the module pages a VM that stays above it)",
		       name, sock, strerror(-ret), target / MiB);
	if (ret) {
		g->failures++;
		guest_close(g);
		return -1;
	}
	g->target = value;
	g->actual_sent = g->actual;
	g->sent++;
	logmsg(L_INFO, "VM %s: balloon target %llu MiB", name, value / MiB);
	if (g->actual == (long long)value) {
		guest_close(g);
	} else {
		g->follow_until = now_ms + GUEST_FOLLOW_MS;
		g->follow_end = now_ms + GUEST_FOLLOW_MAX_MS;
		g->actual_seen = g->actual;
	}
	return 0;
}

void guest_follow(struct guest *g, const char *name, long long now_ms)
{
	const char *event;
	int ret;

	if (g->qmp.fd < 0)
		return;
	while (!(ret = qmp_next_event(&g->qmp, &event)))
		on_event(g, event);
	/* a balloon on the move is followed on, up to GUEST_FOLLOW_MAX_MS */
	if (g->actual != g->actual_seen) {
		g->actual_seen = g->actual;
		g->follow_until = now_ms + GUEST_FOLLOW_MS < g->follow_end ?
				  now_ms + GUEST_FOLLOW_MS : g->follow_end;
	}
	if (ret != -EAGAIN) {
		logmsg(L_INFO, "VM %s: QMP closed while its balloon went to %llu MiB: %s",
		       name, g->target / MiB, strerror(-ret));
		guest_close(g);
	} else if (g->actual == (long long)g->target) {
		logmsg(L_DEBUG, "VM %s: the balloon is at its target, %llu MiB",
		       name, g->target / MiB);
		guest_close(g);
	} else if (now_ms >= g->follow_until) {
		if (g->actual == g->actual_sent)
			logmsg(L_WARNING, "VM %s: the balloon did not move from %lld MiB towards %llu MiB in %d s: no balloon driver in the guest? (the module pages a VM that stays above its target)",
			       name, g->actual / MiB, g->target / MiB, GUEST_FOLLOW_MS / 1000);
		else
			logmsg(L_INFO, "VM %s: the balloon is at %lld MiB, short of its target, %llu MiB",
			       name, g->actual / MiB, g->target / MiB);
		guest_close(g);
	}
}

/*
 * The QOM path of QEMU's virtio-balloon device: a child of
 * /machine/peripheral (given an id) or /machine/peripheral-anon, of a
 * type "child<virtio-balloon-...>" (pci, its transitional variants, ccw).
 * Returns 0, -ENODEV if there is none, or the QMP error.
 */
static int find_balloon(struct guest *g)
{
	static const char *const parents[] = {
		"/machine/peripheral", "/machine/peripheral-anon",
	};
	const char *reply, *p, *obj, *name;
	char cmd[128];
	size_t len;
	int ret;

	for (size_t i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"%s\"}}",
			 parents[i]);
		ret = qmp_execute(&g->qmp, cmd, &reply);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		p = strstr(reply, "\"child<virtio-balloon");
		if (!p)
			continue;
		for (obj = p; obj > reply && *obj != '{'; obj--)
			;
		name = json_member(obj, "name");
		if (!name || *name != '"')
			continue;
		len = strcspn(name + 1, "\"\\");
		if (name[1 + len] != '"' ||
		    snprintf(g->balloon_dev, sizeof(g->balloon_dev), "%s/%.*s",
			     parents[i], (int)len, name + 1) >= (int)sizeof(g->balloon_dev)) {
			g->balloon_dev[0] = '\0';
			continue;
		}
		return 0;
	}
	return -ENODEV;
}

int guest_stats_wanted(const struct guest *g, pid_t qemu,
		       const struct guest_opts *o, long long now_ms)
{
	return o->stats_s && qemu && g->stats_qemu != qemu &&
	       now_ms >= g->stats_retry && g->qmp.fd < 0;
}

void guest_stats_on(struct guest *g, const char *name, const char *sock,
		    pid_t qemu, const struct guest_opts *o, long long now_ms)
{
	const char *reply;
	char cmd[256];
	int ret;

	if (!guest_stats_wanted(g, qemu, o, now_ms))
		return;
	g->balloon_dev[0] = '\0';
	g->swap_in = -1;
	ret = connect_qemu(g, sock, o->timeout_ms);
	if (!ret)
		ret = find_balloon(g);
	if (ret && ret != -ENODEV) {
		logmsg(L_DEBUG, "VM %s: QMP %s: %s: statistics not turned on yet",
		       name, sock, strerror(-ret));
		g->stats_retry = now_ms + STATS_RETRY_MS;
		guest_close(g);
		return;
	}
	g->stats_qemu = qemu;
	if (ret) {
		logmsg(L_WARNING, "VM %s: QEMU has no virtio-balloon device: only the host's paging can take its memory",
		       name);
	} else {
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"%s\",\"property\":\"guest-stats-polling-interval\",\"value\":%d}}",
			 g->balloon_dev, o->stats_s);
		ret = qmp_execute(&g->qmp, cmd, &reply);
		if (ret)
			logmsg(L_WARNING, "VM %s: guest statistics refused: %s", name,
			       ret > 0 ? reply : strerror(-ret));
		else
			logmsg(L_INFO, "VM %s: guest statistics every %d s (%s)", name,
			       o->stats_s, g->balloon_dev);
		if (ret)
			g->balloon_dev[0] = '\0';
	}
	guest_close(g);
}
