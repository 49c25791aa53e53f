/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Leveled logging to stderr. The level is the one process-wide mutable
 * global outside cmd/ besides the API context table (docs/STYLE.md, rule 4).
 * Levels follow krun_set_log_level(): 0 off, 1 error .. 5 trace.
 */
#ifndef KRUN_UTIL_LOG_H
#define KRUN_UTIL_LOG_H

#include <stdint.h>

enum krun_log_level {
	KRUN_LOG_OFF = 0,
	KRUN_LOG_ERROR = 1,
	KRUN_LOG_WARN = 2,
	KRUN_LOG_INFO = 3,
	KRUN_LOG_DEBUG = 4,
	KRUN_LOG_TRACE = 5,
};

void krun_log_set_level(uint32_t level);
uint32_t krun_log_get_level(void);
/* Where lines go: an fd (one write per line), or -1 for stderr. */
void krun_log_set_fd(int fd);
void krun_log_write(uint32_t level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG_AT(lvl, fn, ...)                                                   \
	do {                                                                   \
		if (krun_log_get_level() >= (lvl))                             \
			krun_log_write((lvl), (fn), __VA_ARGS__);              \
	} while (0)

#define log_error(...) LOG_AT(KRUN_LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...) LOG_AT(KRUN_LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...) LOG_AT(KRUN_LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) LOG_AT(KRUN_LOG_DEBUG, __func__, __VA_ARGS__)
#define log_trace(...) LOG_AT(KRUN_LOG_TRACE, __func__, __VA_ARGS__)

#endif
