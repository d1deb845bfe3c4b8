// SPDX-License-Identifier: GPL-2.0
/* kvmmemd's log (log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int log_verbose;

void logmsg(int level, const char *fmt, ...)
{
	static const char *const names[8] = {
		[L_ERR] = "error", [L_WARNING] = "warning", [L_INFO] = "info",
		[L_DEBUG] = "debug",
	};
	va_list ap;

	if (level == L_DEBUG && !log_verbose)
		return;
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", level);
	else
		fprintf(stderr, "kvmmemd: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
