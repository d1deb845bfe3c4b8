/* SPDX-License-Identifier: GPL-2.0 */
/*
 * systemd's service notification (sd_notify(3)'s protocol, spoken without
 * libsystemd): a datagram of "KEY=VALUE" lines to the unix socket named by
 * $NOTIFY_SOCKET, so that a Type=notify unit is started once kvmmemd has
 * applied its configuration.  Nothing happens without $NOTIFY_SOCKET.
 */
#ifndef KVMMEM_NOTIFY_H
#define KVMMEM_NOTIFY_H

/*
 * Sends @state ("READY=1", "RELOADING=1", "STOPPING=1", ...).  Returns 0,
 * also when there is no $NOTIFY_SOCKET, or a negative errno.
 */
int notify(const char *state);

#endif /* KVMMEM_NOTIFY_H */
