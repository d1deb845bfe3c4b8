// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmemd's metrics (metrics.h): per VM from the backends' sysfs
 * directories, the daemon's own balloon counts, and every numeric global
 * file of /sys/kernel/mm/kvmmem, as kvmmem_<file>.
 */
#define _GNU_SOURCE

#include "metrics.h"
#include "backends.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int metrics_listen(const char *spec, char *err, size_t errlen)
{
	int fd, one = 1;

	if (spec[0] == '/') {
		struct sockaddr_un un = { .sun_family = AF_UNIX };

		if (strlen(spec) >= sizeof(un.sun_path)) {
			snprintf(err, errlen, "metrics: %s: path too long", spec);
			return -1;
		}
		strcpy(un.sun_path, spec);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		unlink(spec);
		if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) ||
		    listen(fd, 16))
			goto fail;
		return fd;
	} else {
		struct sockaddr_in in = { .sin_family = AF_INET };
		const char *colon = strrchr(spec, ':');
		char addr[64];
		long port;

		if (!colon || colon - spec >= (long)sizeof(addr)) {
			snprintf(err, errlen, "metrics: '%s' is neither ADDRESS:PORT nor an absolute path",
				 spec);
			return -1;
		}
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - spec), spec);
		port = strtol(colon + 1, NULL, 10);
		if (inet_pton(AF_INET, addr, &in.sin_addr) != 1 || port < 1 ||
		    port > 65535) {
			snprintf(err, errlen, "metrics: '%s': bad IPv4 address or port",
				 spec);
			return -1;
		}
		in.sin_port = htons((uint16_t)port);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&in, sizeof(in)) || listen(fd, 16))
			goto fail;
		return fd;
	}
fail:
	snprintf(err, errlen, "metrics: %s: %s", spec, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* A label value, escaped as the exposition format wants. */
static void label(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static const struct metrics_vm *daemon_vm(const struct metrics_vm *vms, int n,
					  unsigned long ino)
{
	for (int i = 0; i < n; i++)
		if (vms[i].ino == (ino_t)ino)
			return &vms[i];
	return NULL;
}

enum field { SIZE, RESIDENT, SHARED, ZERO, SWAPPED, SWAP_CACHED, BALLOONED,
	     REPORTED, MIN, MAX, TARGET, BALLOON_TARGET, SHARES, ACTIVE,
	     UNCOOPERATIVE, HOT_IO, NR_FIELDS };

static const struct {
	const char *name, *type, *help;
} fields[NR_FIELDS] = {
	[SIZE] = { "kvmmem_vm_size_bytes", "gauge", "The VM file's size: its guest memory." },
	[RESIDENT] = { "kvmmem_vm_resident_bytes", "gauge", "Guest memory with a frame (private or shared) or found zero." },
	[SHARED] = { "kvmmem_vm_shared_bytes", "gauge", "Guest memory mapping a shared frame." },
	[ZERO] = { "kvmmem_vm_zero_bytes", "gauge", "Guest memory found all zero (no frame)." },
	[SWAPPED] = { "kvmmem_vm_swapped_bytes", "gauge", "Guest memory paged out to the backing store." },
	[SWAP_CACHED] = { "kvmmem_vm_swap_cached_bytes", "gauge", "Resident guest memory that kept its slot." },
	[BALLOONED] = { "kvmmem_vm_ballooned_bytes", "gauge", "Guest memory given back by the balloon." },
	[REPORTED] = { "kvmmem_vm_free_reported_bytes", "gauge", "Guest memory given back by free page reporting." },
	[MIN] = { "kvmmem_vm_min_bytes", "gauge", "Guaranteed minimum." },
	[MAX] = { "kvmmem_vm_max_bytes", "gauge", "Maximum." },
	[TARGET] = { "kvmmem_vm_target_bytes", "gauge", "What the policy gives the VM." },
	[BALLOON_TARGET] = { "kvmmem_vm_balloon_target_bytes", "gauge", "Memory the guest should keep, as last published." },
	[SHARES] = { "kvmmem_vm_shares", "gauge", "The VM's shares." },
	[ACTIVE] = { "kvmmem_vm_active_ratio", "gauge", "Estimated active fraction of its memory." },
	[UNCOOPERATIVE] = { "kvmmem_vm_uncooperative", "gauge", "1 while above its balloon target past balloon_timeout_ms." },
	[HOT_IO] = { "kvmmem_vm_hot_io_bytes", "gauge", "Guest memory that I/O keeps hitting, left alone (hot)." },
};

static double value(const struct backend *b, enum field f)
{
	double pg = (double)sysconf(_SC_PAGESIZE);

	switch (f) {
	case SIZE: return (double)b->size;
	case RESIDENT: return b->resident * pg;
	case SHARED: return b->sharing * pg;
	case ZERO: return b->zero * pg;
	case SWAPPED: return b->swapped_out * pg;
	case SWAP_CACHED: return b->swap_cached * pg;
	case BALLOONED: return b->ballooned * pg;
	case REPORTED: return b->free_reported * pg;
	case MIN: return b->min * pg;
	case MAX: return b->max * pg;
	case TARGET: return b->target * pg;
	case BALLOON_TARGET: return b->balloon_target * pg;
	case SHARES: return (double)b->shares;
	case ACTIVE: return b->active / 100.0;
	case HOT_IO: return b->hot_io * pg;
	default: return (double)b->uncooperative;
	}
}

static void vm_labels(FILE *out, const struct backend *b,
		      const struct metrics_vm *d)
{
	fputs("{vm=", out);
	label(out, d ? d->name : strrchr(b->path, '/') ? strrchr(b->path, '/') + 1 : b->path);
	fputs(",file=", out);
	label(out, b->path);
	fputc('}', out);
}

static const struct {
	const char *name, *type, *help;
} daemon_fields[MD_NR] = {
	[MD_SENT] = { "kvmmemd_balloon_sent_total", "counter",
		      "Balloon targets QEMU took." },
	[MD_FAILURES] = { "kvmmemd_balloon_failures_total", "counter",
			  "Balloon targets QEMU did not take." },
	[MD_LIMITED] = { "kvmmemd_balloon_limited_total", "counter",
			 "Targets raised so that the guest keeps guest_reserve available or stops swapping." },
	[MD_ACTUAL] = { "kvmmemd_balloon_actual_bytes", "gauge",
			"Guest memory outside the balloon, as QEMU last said (BALLOON_CHANGE, query-balloon)." },
	[MD_AVAILABLE] = { "kvmmemd_guest_available_bytes", "gauge",
			   "The guest's available memory, from its balloon statistics." },
	[MD_SWAP_IN] = { "kvmmemd_guest_swap_in_bytes_total", "counter",
			 "Bytes the guest swapped in, from its balloon statistics." },
	[MD_MAJOR_FAULTS] = { "kvmmemd_guest_major_faults_total", "counter",
			      "The guest's major page faults, from its balloon statistics." },
};

/*
 * One of the daemon's numbers for every VM.  A VM the daemon does not
 * watch counts 0; a number the daemon does not know has no line.
 */
static void daemon_metric(FILE *out, enum metrics_daemon_field f,
			  const struct backend *b, int nb,
			  const struct metrics_vm *vms, int n)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", daemon_fields[f].name,
		daemon_fields[f].help, daemon_fields[f].name, daemon_fields[f].type);
	for (int i = 0; i < nb; i++) {
		const struct metrics_vm *d = daemon_vm(vms, n, b[i].ino);
		/* the daemon's own counts are 0 for a VM it does not watch */
		long long v = d ? d->v[f] : f <= MD_LIMITED ? 0 : -1;

		if (v < 0)
			continue;
		fputs(daemon_fields[f].name, out);
		vm_labels(out, &b[i], d);
		fprintf(out, " %lld\n", v);
	}
}

static void write_vms(FILE *out, const struct metrics_vm *vms, int n)
{
	struct backend *b;
	int nb = backends_read(&b);

	if (nb < 0)
		return;
	for (int f = 0; f < NR_FIELDS; f++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", fields[f].name,
			fields[f].help, fields[f].name, fields[f].type);
		for (int i = 0; i < nb; i++) {
			fputs(fields[f].name, out);
			vm_labels(out, &b[i], daemon_vm(vms, n, b[i].ino));
			fprintf(out, " %.17g\n", value(&b[i], (enum field)f));
		}
	}
	for (int f = 0; f < MD_NR; f++)
		daemon_metric(out, (enum metrics_daemon_field)f, b, nb, vms, n);
	free(b);
}

/* Every global file of sysfs that holds one number, as kvmmem_<name>. */
static void write_globals(FILE *out)
{
	const char *dir = sysfs_dir();
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	char buf[256];

	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *end;

		if (name[0] != '.' && !read_attr(dir, name, buf, sizeof(buf)) &&
		    buf[0] >= '0' && buf[0] <= '9' &&
		    (strtod(buf, &end), !*end)) {
			fprintf(out, "# HELP kvmmem_%s /sys/kernel/mm/kvmmem/%s (admin-guide.rst)\n"
				"# TYPE kvmmem_%s untyped\nkvmmem_%s %s\n",
				name, name, name, name, buf);
		} else if (!strcmp(name, "free_state") &&
			   !read_attr(dir, name, buf, sizeof(buf))) {
			fprintf(out, "# HELP kvmmem_free_state The free memory state (1 for the one in force).\n"
				"# TYPE kvmmem_free_state gauge\n");
			for (const char *const *s = (const char *const[]){ "high", "soft", "hard", "low", NULL }; *s; s++)
				fprintf(out, "kvmmem_free_state{state=\"%s\"} %d\n", *s,
					!strcmp(buf, *s));
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

void metrics_write(FILE *out, const struct metrics_vm *vms, int n)
{
	write_globals(out);
	write_vms(out, vms, n);
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void metrics_answer(int lfd, const struct metrics_vm *vms, int n)
{
	int c;

	while ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		struct timeval tv = { 1, 0 };
		char req[1024] = "", *body = NULL;
		size_t len = 0;
		FILE *out;

		/* a client that does not read stalls the daemon a second at most */
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (poll(&p, 1, 200) == 1)
			(void)!recv(c, req, sizeof(req) - 1, MSG_DONTWAIT);
		out = open_memstream(&body, &len);
		if (out) {
			metrics_write(out, vms, n);
			fclose(out);
		}
		if (!strncmp(req, "GET ", 4)) {
			char head[160];

			snprintf(head, sizeof(head),
				 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
				 body ? len : 0);
			send_all(c, head, strlen(head));
		}
		if (body)
			send_all(c, body, len);
		free(body);
		close(c);
	}
}
