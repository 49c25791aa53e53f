/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error objects: a fallible function takes `struct krun_err **err` last,
 * records {errno, message} on failure and returns a negative errno.
 * Only the edge (cmd/ or a krun_* entry point) prints the message.
 */
#ifndef KRUN_UTIL_ERR_H
#define KRUN_UTIL_ERR_H

#include <stddef.h>

#define KRUN_ERR_MSG_MAX 512

struct krun_err {
	int errnum; /* positive errno value */
	char msg[KRUN_ERR_MSG_MAX];
};

/*
 * Record an error (when err is non-NULL and no error is recorded yet) and
 * return -errnum. errnum <= 0 is treated as EINVAL. The message should name
 * the operation, with the operand in backticks.
 */
int krun_err_set(struct krun_err **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like krun_err_set() but appends ": strerror(errnum)". */
int krun_err_set_errno(struct krun_err **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefix an already recorded error with context ("context: old message").
 * Returns -errnum of the recorded error (or -EINVAL if none).
 */
int krun_err_wrap(struct krun_err **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Free and reset; safe on NULL and on *err == NULL. */
void krun_err_free(struct krun_err **err);

/* The message, or "" when none is recorded. */
const char *krun_err_msg(const struct krun_err *err);

#endif
