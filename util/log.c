// SPDX-License-Identifier: Apache-2.0
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

/* Default: errors only, so a quiet run stays quiet. */
static _Atomic uint32_t log_level = KRUN_LOG_ERROR;

void krun_log_set_level(uint32_t level)
{
	atomic_store(&log_level, level);
}

uint32_t krun_log_get_level(void)
{
	return atomic_load(&log_level);
}

void krun_log_write(uint32_t level, const char *func, const char *fmt, ...)
{
	static const char *const names[] = { "off",  "error", "warn",
					     "info", "debug", "trace" };
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (func)
		fprintf(stderr, "krun[%s] %s: %s\n",
			names[level > 5 ? 5 : level], func, line);
	else
		fprintf(stderr, "krun[%s] %s\n", names[level > 5 ? 5 : level],
			line);
}
