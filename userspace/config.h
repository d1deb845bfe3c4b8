/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmemd.conf (kvmmemd.conf(5) in Documentation/kvmmemd.rst): a
 * [defaults] section and one [vm NAME] section per VM, "key = value"
 * lines, '#' comments.  Parsing is all or nothing: an error names the
 * file and line, and the caller keeps its old configuration.
 */
#ifndef KVMMEM_CONFIG_H
#define KVMMEM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_NAME_MAX	64
#define CONFIG_PATH_MAX	256
#define CONFIG_MAX_UIDS	16

/* What the configuration says of one VM; unset numbers are -1. */
struct vm_config {
	char name[CONFIG_NAME_MAX];	/* QEMU's -name, or the file's name */
	char qmp[CONFIG_PATH_MAX];	/* QMP socket, "" to find it */
	long long shares, min, max, domain;	/* min, max in bytes */
};

struct config {
	char qmp_dir[CONFIG_PATH_MAX];	/* sockets as NAME.qmp, or "" */
	char metrics[CONFIG_PATH_MAX];	/* ADDRESS:PORT or a socket, or "" */
	char record[CONFIG_PATH_MAX];	/* each scan's numbers appended, or "" */
	int qmp_timeout_ms;		/* per QMP exchange */
	int scan_ms;			/* how often VMs are looked for */
	int guest_stats_s;		/* balloon statistics interval, 0: off */
	long long guest_reserve;	/* bytes a guest keeps available */
	unsigned int trusted[CONFIG_MAX_UIDS];	/* uids whose files and
						 * QEMUs are believed */
	size_t nr_trusted;
	struct vm_config *vms;
	size_t nr_vms;
};

/*
 * Parses @text (the contents of a file called @file, for messages) into
 * @cfg.  Returns 0, or -1 with "FILE:LINE: what" in @err.
 */
int config_parse(const char *file, const char *text, struct config *cfg,
		 char *err, size_t errlen);

/* Reads and parses @file; the same contract. */
int config_load(const char *file, struct config *cfg, char *err,
		size_t errlen);

void config_free(struct config *cfg);

/* The entry for a VM called @name (or NULL). */
const struct vm_config *config_find(const struct config *cfg,
				    const char *name);

#endif /* KVMMEM_CONFIG_H */
