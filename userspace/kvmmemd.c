// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmemd: applies each VM's policy and turns kvmmem's balloon targets into
 * QMP "balloon" commands for stock QEMU (Documentation/kvmmemd.rst).
 *
 *  - Every scan_ms it looks for the regular files at the top of every
 *    kvmmem mount (/proc/self/mountinfo) and for the QEMU processes that
 *    hold them open (/proc/PID/fd), whose command line gives the VM's
 *    name (-name) and its QMP socket (-qmp unix:PATH).
 *  - A VM is configured by the [vm NAME] section whose NAME is QEMU's
 *    -name, or else the file's name; its shares, min, max and domain are
 *    set with the file's ioctls (kvmmemd runs as root: raising them takes
 *    CAP_SYS_ADMIN).
 *  - It polls every VM file for POLLPRI (a new balloon target), reads the
 *    target (KVMMEM_IOC_GET_BALLOON, which acknowledges it) and sends it
 *    to the VM's QMP socket (guest.c: limited by the guest's statistics,
 *    then followed through BALLOON_CHANGE events).  A socket that does
 *    not answer within qmp_timeout_ms is given up for that target and
 *    logged: the module counts the VM uncooperative and pages it
 *    (balloon_timeout_ms).
 *  - SIGHUP reloads the configuration; a bad one is reported (file:line)
 *    and the old one kept.  SIGTERM and SIGINT stop it.
 *  - With metrics = in [defaults] it serves the counters to Prometheus
 *    (metrics.c).
 *
 * Single-threaded: a QMP socket that hangs delays the others by at most
 * qmp_timeout_ms per target.
 */
#define _GNU_SOURCE

#include "backends.h"
#include "config.h"
#include "guest.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "qemus.h"
#include "qmp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvmmem.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define MAX_VMS		1024
#define MiB		(1024ULL * 1024)

struct vm {
	char path[PATH_MAX];	/* the file */
	dev_t dev;
	ino_t ino;
	int fd;			/* O_RDWR: polled, and for the ioctls */
	char name[CONFIG_NAME_MAX];	/* QEMU's -name, else the file's */
	char qmp[PATH_MAX];	/* its QMP socket, "" if none known */
	pid_t qemu;		/* the QEMU holding it, 0 if none */
	uid_t owner;		/* the file's */
	bool told;		/* said why it gets no policy */
	bool applied;		/* policy applied for this configuration */
	bool seen;		/* found by the last scan */
	struct guest guest;	/* its balloon, through QMP */
};

static struct vm *vms[MAX_VMS];
static int nr_vms;
static struct config cfg;
static const char *config_file = "/etc/kvmmem/kvmmemd.conf";
static volatile sig_atomic_t reload_wanted, stop_wanted;
static int metrics_fd = -1;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_wanted = 1;
	else
		stop_wanted = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- finding VMs and their QEMU ------------------------------------------ */

/*
 * Only files and QEMUs of trusted_uids (root unless configured) are
 * believed: anyone who can create a file in a mount or start a process
 * called qemu could otherwise take a configured VM's name, and its min
 * and shares, or point kvmmemd (root) at another VM's QMP socket.
 */
static bool trusted(uid_t uid)
{
	for (size_t i = 0; i < cfg.nr_trusted; i++)
		if (cfg.trusted[i] == uid)
			return true;
	return false;
}

static struct vm *find_vm(dev_t dev, ino_t ino)
{
	for (int i = 0; i < nr_vms; i++)
		if (vms[i]->dev == dev && vms[i]->ino == ino)
			return vms[i];
	return NULL;
}

/* The watched VM whose file has inode @ino (sysfs knows no device). */
static const struct vm *find_vm_ino(unsigned long ino)
{
	for (int i = 0; i < nr_vms; i++)
		if (vms[i]->ino == ino)
			return vms[i];
	return NULL;
}

static void add_vm(const char *path, const struct stat *st)
{
	struct vm *vm;
	int fd;

	if (nr_vms == MAX_VMS) {
		logmsg(L_WARNING, "%s: more than %d VMs, not watched", path, MAX_VMS);
		return;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		logmsg(L_WARNING, "%s: %s", path, strerror(errno));
		return;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		close(fd);
		return;
	}
	snprintf(vm->path, sizeof(vm->path), "%s", path);
	vm->dev = st->st_dev;
	vm->ino = st->st_ino;
	vm->owner = st->st_uid;
	vm->fd = fd;
	vm->seen = true;
	guest_init(&vm->guest);
	snprintf(vm->name, sizeof(vm->name), "%s", strrchr(path, '/') + 1);
	vms[nr_vms++] = vm;
	logmsg(L_INFO, "%s: watching", path);
}

static void drop_vm(int i, const char *why)
{
	logmsg(L_INFO, "%s: %s, no longer watched", vms[i]->path, why);
	guest_close(&vms[i]->guest);
	close(vms[i]->fd);
	free(vms[i]);
	vms[i] = vms[--nr_vms];
}

/*
 * How deep VM files may lie below a mount: libvirt puts them three levels
 * down (libvirt/qemu/<id>-<name>/pc.ram).
 */
#define SCAN_DEPTH 4

/* The regular files in @dir of a kvmmem mount, and below it to @depth. */
static void scan_dir(const char *dir, int depth)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	struct vm *vm;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0)
			scan_dir(path, depth - 1);
		if (!S_ISREG(st.st_mode))
			continue;
		vm = find_vm(st.st_dev, st.st_ino);
		if (vm)
			vm->seen = true;
		else
			add_vm(path, &st);
	}
	closedir(dp);
}

static void scan_mount(const char *mnt, void *unused)
{
	(void)unused;
	scan_dir(mnt, SCAN_DEPTH);
}

/* A file @q holds: if it is one of our VMs, @q is its QEMU. */
static void qemu_holds(const struct qemu_info *q, const struct stat *file,
		       void *unused)
{
	struct vm *vm = find_vm(file->st_dev, file->st_ino);

	(void)unused;
	if (!vm || vm->qemu)
		return;
	if (!trusted(q->uid)) {
		logmsg(L_DEBUG, "%s: held by process %d of uid %u, not trusted",
		       vm->path, (int)q->pid, (unsigned int)q->uid);
		return;
	}
	vm->qemu = q->pid;
	if (q->name[0])
		snprintf(vm->name, sizeof(vm->name), "%s", q->name);
	if (q->qmp[0])
		snprintf(vm->qmp, sizeof(vm->qmp), "%s", q->qmp);
}

/* Finds the QEMU processes that hold our VM files. */
static void scan_qemus(void)
{
	for (int i = 0; i < nr_vms; i++)
		vms[i]->qemu = 0;
	qemus_scan(qemu_holds, NULL);
}

/* ---- policy -------------------------------------------------------------- */

static const struct vm_config *vm_config(const struct vm *vm)
{
	const struct vm_config *c = config_find(&cfg, vm->name);

	return c ? c : config_find(&cfg, strrchr(vm->path, '/') + 1);
}

/*
 * The QMP socket: the configuration's, else QEMU's -qmp or qmp_dir/NAME.qmp
 * if it is a socket of a trusted uid.
 */
static void qmp_socket(const struct vm *vm, char *path, size_t len)
{
	const struct vm_config *c = vm_config(vm);
	struct stat st;

	path[0] = '\0';
	if (c && c->qmp[0]) {
		snprintf(path, len, "%s", c->qmp);
		return;
	}
	if (vm->qmp[0])
		snprintf(path, len, "%s", vm->qmp);
	else if (cfg.qmp_dir[0])
		snprintf(path, len, "%s/%s.qmp", cfg.qmp_dir, vm->name);
	if (path[0] && (lstat(path, &st) || !S_ISSOCK(st.st_mode) ||
			!trusted(st.st_uid))) {
		logmsg(L_WARNING, "VM %s: %s is not a socket of a trusted uid: not used",
		       vm->name, path);
		path[0] = '\0';
	}
}

static void apply_policy(struct vm *vm)
{
	const struct vm_config *c = vm_config(vm);
	struct kvmmem_alloc alloc = { .size = sizeof(alloc) };
	struct kvmmem_domain dom = { .size = sizeof(dom) };
	struct kvmmem_alloc want;

	vm->applied = true;
	if (!c)
		return;
	if (!trusted(vm->owner)) {
		if (!vm->told)
			logmsg(L_WARNING, "%s: owned by uid %u, not in trusted_uids: [vm %s] not applied",
			       vm->path, (unsigned int)vm->owner, c->name);
		vm->told = true;
		return;
	}
	if (ioctl(vm->fd, KVMMEM_IOC_GET_ALLOC, &alloc)) {
		logmsg(L_ERR, "%s: GET_ALLOC: %s", vm->path, strerror(errno));
		return;
	}
	want = alloc;
	if (c->shares >= 0)
		want.shares = (__u32)c->shares;
	if (c->min >= 0)
		want.min = (__u64)c->min;
	if (c->max >= 0)
		want.max = (__u64)c->max;
	if (memcmp(&want, &alloc, sizeof(want))) {
		if (ioctl(vm->fd, KVMMEM_IOC_SET_ALLOC, &want))
			logmsg(L_ERR, "VM %s (%s): shares %u, min %llu MiB, max %llu MiB refused: %s",
			       vm->name, vm->path, want.shares,
			       (unsigned long long)want.min / MiB,
			       (unsigned long long)want.max / MiB, strerror(errno));
		else
			logmsg(L_INFO, "VM %s (%s): shares %u, min %llu MiB, max %llu MiB",
			       vm->name, vm->path, want.shares,
			       (unsigned long long)want.min / MiB,
			       (unsigned long long)want.max / MiB);
	}
	if (c->domain < 0 || ioctl(vm->fd, KVMMEM_IOC_GET_DOMAIN, &dom) ||
	    dom.domain == (__u32)c->domain)
		return;
	dom.domain = (__u32)c->domain;
	dom.flags = 0;
	if (ioctl(vm->fd, KVMMEM_IOC_SET_DOMAIN, &dom))
		logmsg(L_ERR, "VM %s: domain %u refused: %s", vm->name,
		       dom.domain, strerror(errno));
	else
		logmsg(L_INFO, "VM %s: domain %u", vm->name, dom.domain);
}

/* ---- ballooning ---------------------------------------------------------- */

static struct guest_opts guest_opts(void)
{
	return (struct guest_opts){
		.timeout_ms = cfg.qmp_timeout_ms,
		.stats_s = cfg.guest_stats_s,
		.reserve = cfg.guest_reserve,
	};
}

static void balloon(struct vm *vm)
{
	struct kvmmem_balloon b = { .size = sizeof(b) };
	struct guest_opts o = guest_opts();
	char sock[PATH_MAX];

	if (ioctl(vm->fd, KVMMEM_IOC_GET_BALLOON, &b)) {
		logmsg(L_ERR, "%s: GET_BALLOON: %s", vm->path, strerror(errno));
		return;
	}
	qmp_socket(vm, sock, sizeof(sock));
	if (!sock[0]) {
		logmsg(L_WARNING, "VM %s: balloon target %llu MiB, but no QMP socket is known (qmp = in its [vm] section, or -qmp unix:PATH)",
		       vm->name, (unsigned long long)b.balloon_target / MiB);
		vm->guest.failures++;
		return;
	}
	logmsg(L_DEBUG, "VM %s: free state %u, balloon target %llu MiB", vm->name,
	       b.free_state, (unsigned long long)b.balloon_target / MiB);
	guest_balloon(&vm->guest, vm->name, sock, b.balloon_target, &o, now_ms());
}

/* Asks each newly found QEMU for its guest's balloon statistics. */
static void stats_on(void)
{
	struct guest_opts o = guest_opts();
	char sock[PATH_MAX];

	for (int i = 0; i < nr_vms; i++) {
		struct vm *vm = vms[i];

		if (!guest_stats_wanted(&vm->guest, vm->qemu, &o, now_ms()))
			continue;
		qmp_socket(vm, sock, sizeof(sock));
		if (sock[0])
			guest_stats_on(&vm->guest, vm->name, sock, vm->qemu, &o, now_ms());
	}
}

/* ---- the record ---------------------------------------------------------- */

/*
 * With record = PATH, each scan appends a line per VM (kvmmemd.rst,
 * "The record"), for kvmmem-plot and for the operator's own tools.  The
 * file is opened for each scan, so that it can be rotated.
 */
static void record_scan(void)
{
	static long long start;
	struct backend *b;
	char state[16] = "?";
	double seconds;
	FILE *f;
	int nb;

	if (!cfg.record[0])
		return;
	if (!start)
		start = now_ms();
	nb = backends_read(&b);
	if (nb < 0)
		return;
	f = fopen(cfg.record, "ae");
	if (!f) {
		logmsg(L_WARNING, "record %s: %s", cfg.record, strerror(errno));
		free(b);
		return;
	}
	read_attr(sysfs_dir(), "free_state", state, sizeof(state));
	/* One time for the scan: kvmmem-plot groups a scan's lines by VM. */
	seconds = (now_ms() - start) / 1000.0;
	if (!fseek(f, 0, SEEK_END) && !ftell(f))
		fputs("# seconds vm size resident target balloon_target ballooned swapped_out sharing active% state (MiB)\n", f);
	for (int i = 0; i < nb; i++) {
		const struct vm *vm = find_vm_ino(b[i].ino);
		const double pg = 4096.0 / MiB;

		fprintf(f, "%.1f %s %.1f %.1f %.1f %.1f %.1f %.1f %.1f %ld %s\n",
			seconds, vm ? vm->name : strrchr(b[i].path, '/') ? strrchr(b[i].path, '/') + 1 : b[i].path,
			(double)b[i].size / MiB, b[i].resident * pg, b[i].target * pg,
			b[i].balloon_target * pg, (b[i].ballooned + b[i].free_reported) * pg,
			b[i].swapped_out * pg, b[i].sharing * pg, b[i].active, state);
	}
	fclose(f);
	free(b);
}

/* ---- main loop ----------------------------------------------------------- */

static void scan(void)
{
	for (int i = 0; i < nr_vms; i++)
		vms[i]->seen = false;
	kvmmem_mounts(scan_mount, NULL);
	for (int i = nr_vms - 1; i >= 0; i--)
		if (!vms[i]->seen)
			drop_vm(i, "gone");
	scan_qemus();
	for (int i = 0; i < nr_vms; i++)
		if (!vms[i]->applied)
			apply_policy(vms[i]);
	stats_on();
	record_scan();
}

static void reload(void)
{
	struct config fresh;
	char err[512];

	notify("RELOADING=1");
	if (config_load(config_file, &fresh, err, sizeof(err))) {
		logmsg(L_ERR, "%s; keeping the configuration in force", err);
		notify("READY=1");
		return;
	}
	if (strcmp(fresh.metrics, cfg.metrics))
		logmsg(L_WARNING, "%s: metrics = changes on the next start", config_file);
	config_free(&cfg);
	cfg = fresh;
	for (int i = 0; i < nr_vms; i++)
		vms[i]->applied = false;
	logmsg(L_INFO, "%s: %zu VMs configured", config_file, cfg.nr_vms);
	notify("READY=1");
}

static void answer_metrics(void)
{
	struct metrics_vm m[MAX_VMS];

	for (int i = 0; i < nr_vms; i++) {
		const struct guest *g = &vms[i]->guest;

		m[i] = (struct metrics_vm){
			.ino = vms[i]->ino, .name = vms[i]->name,
			.v = {
				[MD_SENT] = (long long)g->sent,
				[MD_FAILURES] = (long long)g->failures,
				[MD_LIMITED] = (long long)g->limited,
				[MD_ACTUAL] = g->actual,
				[MD_AVAILABLE] = g->available,
				[MD_SWAP_IN] = g->swap_in,
				[MD_MAJOR_FAULTS] = g->major_faults,
			},
		};
	}
	metrics_answer(metrics_fd, m, nr_vms);
}

/* The earliest time something must happen without an fd saying so. */
static long long deadline(long long next_scan)
{
	long long t = next_scan;

	for (int i = 0; i < nr_vms; i++)
		if (guest_fd(&vms[i]->guest) >= 0 && vms[i]->guest.follow_until < t)
			t = vms[i]->guest.follow_until;
	return t;
}

static void serve(bool once)
{
	/* each VM's file and QMP socket, then the metrics socket */
	struct pollfd pfd[2 * MAX_VMS + 1];
	long long next_scan = 0;
	bool ready = false;

	while (!stop_wanted) {
		long long wait;
		int n;

		if (reload_wanted) {
			reload_wanted = 0;
			reload();
			next_scan = 0;
		}
		if (now_ms() >= next_scan) {
			scan();
			next_scan = now_ms() + cfg.scan_ms;
		}
		/* started: every VM found has its policy (systemd's Type=notify) */
		if (!ready && !once) {
			int ret = notify("READY=1");

			if (ret)
				logmsg(L_WARNING, "NOTIFY_SOCKET: %s", strerror(-ret));
			ready = true;
		}
		for (int i = 0; i < nr_vms; i++) {
			pfd[2 * i] = (struct pollfd){ .fd = vms[i]->fd, .events = POLLPRI };
			pfd[2 * i + 1] = (struct pollfd){
				.fd = guest_fd(&vms[i]->guest), .events = POLLIN,
			};
		}
		pfd[2 * nr_vms] = (struct pollfd){ .fd = metrics_fd, .events = POLLIN };
		wait = once ? 0 : deadline(next_scan) - now_ms();
		n = poll(pfd, 2 * (nfds_t)nr_vms + 1, wait > 0 ? (int)wait : 0);
		if (n < 0 && errno != EINTR) {
			logmsg(L_ERR, "poll: %s", strerror(errno));
			return;
		}
		for (int i = 0; n > 0 && i < nr_vms; i++)
			if (pfd[2 * i].revents & POLLPRI)
				balloon(vms[i]);
		for (int i = 0; i < nr_vms; i++)
			guest_follow(&vms[i]->guest, vms[i]->name, now_ms());
		if (n > 0 && (pfd[2 * nr_vms].revents & POLLIN))
			answer_metrics();
		if (once)
			return;
	}
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: kvmmemd [-c CONFIG] [-v] [--once]\n"
		"  -c CONFIG  the configuration (default %s)\n"
		"  -v         log debug messages too\n"
		"  --once     scan, apply the policy, send pending balloon\n"
		"             targets, and exit\n", config_file);
	exit(status);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	bool once = false;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			config_file = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			log_verbose = 1;
		else if (!strcmp(argv[i], "--once"))
			once = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			usage(0);
		else
			usage(2);
	}
	if (config_load(config_file, &cfg, err, sizeof(err))) {
		logmsg(L_ERR, "%s", err);
		return 1;
	}
	if (cfg.metrics[0]) {
		metrics_fd = metrics_listen(cfg.metrics, err, sizeof(err));
		if (metrics_fd < 0) {
			logmsg(L_ERR, "%s", err);
			return 1;
		}
	}
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	logmsg(L_INFO, "%s: %zu VMs configured; started", config_file, cfg.nr_vms);
	serve(once);
	notify("STOPPING=1");
	while (nr_vms)
		drop_vm(nr_vms - 1, "stopping");
	config_free(&cfg);
	logmsg(L_INFO, "stopped");
	return 0;
}
