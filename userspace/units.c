// SPDX-License-Identifier: GPL-2.0
/* Sizes as operators write them (units.h). */
#include "units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int parse_bytes(const char *s, unsigned long long max, unsigned long long *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mult = 1;
	const char *u;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end) {
		u = strchr(units, *end);
		if (!u || end[1])
			return -EINVAL;
		mult = 1ULL << (10 * (u - units + 1));
	}
	if (v > max / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}
