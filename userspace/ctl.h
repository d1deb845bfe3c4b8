/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmemctl's commands and the helpers they share: kvmmemctl.c has main,
 * the QMP commands and these helpers; vmctl.c the commands on VM files
 * and knobs.
 */
#ifndef KVMMEM_CTL_H
#define KVMMEM_CTL_H

extern const char *prog;

/* Prints "kvmmemctl: @what: strerror(@err)"; returns 1. */
int fail(const char *what, int err);

/* Parses a positive decimal number no larger than @max. */
int parse_count(const char *s, unsigned long long max, unsigned long long *out);

int cmd_status(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_knobs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_set(int argc, char **argv);

#endif /* KVMMEM_CTL_H */
