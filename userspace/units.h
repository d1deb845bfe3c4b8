/* SPDX-License-Identifier: GPL-2.0 */
/* Sizes as operators write them, for kvmmemctl and kvmmemd.conf. */
#ifndef KVMMEM_UNITS_H
#define KVMMEM_UNITS_H

/*
 * Parses @s, digits with an optional K, M, G or T (powers of 1024), into
 * bytes no larger than @max.  Returns 0, -EINVAL for anything else, or
 * -ERANGE.
 */
int parse_bytes(const char *s, unsigned long long max, unsigned long long *out);

#endif /* KVMMEM_UNITS_H */
