/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmemd's log: one line per message on stderr, with a syslog level that
 * journald reads from a "<N>" prefix when it runs the daemon.
 */
#ifndef KVMMEM_LOG_H
#define KVMMEM_LOG_H

/* syslog levels */
enum { L_ERR = 3, L_WARNING = 4, L_INFO = 6, L_DEBUG = 7 };

/* L_DEBUG messages are written only if this is set (kvmmemd -v). */
extern int log_verbose;

void logmsg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* KVMMEM_LOG_H */
