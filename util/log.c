// SPDX-License-Identifier: Apache-2.0
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

/* Default: errors only, so a quiet run stays quiet. */
static _Atomic uint32_t log_level = KRUN_LOG_ERROR;

void krun_log_set_level(uint32_t level)
{
	atomic_store(&log_level, level);
}

/* -1: stderr through stdio; otherwise each line is one write(2) there. */
static _Atomic int log_fd = -1;

void krun_log_set_fd(int fd)
{
	atomic_store(&log_fd, fd);
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
	char out[1200];
	int fd = atomic_load(&log_fd);
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (fd >= 0) {
		n = func ? snprintf(out, sizeof(out), "krun[%s] %s: %s\n",
				    names[level > 5 ? 5 : level], func, line)
			 : snprintf(out, sizeof(out), "krun[%s] %s\n",
				    names[level > 5 ? 5 : level], line);
		if (n > (int)sizeof(out) - 1)
			n = (int)sizeof(out) - 1;
		/* A log line that cannot be written is dropped. */
		if (write(fd, out, (size_t)n) < 0)
			return;
		return;
	}
	if (func)
		fprintf(stderr, "krun[%s] %s: %s\n",
			names[level > 5 ? 5 : level], func, line);
	else
		fprintf(stderr, "krun[%s] %s\n", names[level > 5 ? 5 : level],
			line);
}
