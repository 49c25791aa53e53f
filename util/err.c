// SPDX-License-Identifier: Apache-2.0
#include "util/err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int record(struct krun_err **err, int errnum, const char *fmt,
		  va_list ap, bool with_strerror)
{
	struct krun_err *e;
	size_t used;

	if (errnum <= 0)
		errnum = EINVAL;
	if (!err || *err)
		return -errnum;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -errnum; /* the error code still travels up */
	e->errnum = errnum;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	used = strlen(e->msg);
	if (with_strerror && used < sizeof(e->msg))
		snprintf(e->msg + used, sizeof(e->msg) - used, ": %s",
			 strerror(errnum));
	*err = e;
	return -errnum;
}

int krun_err_set(struct krun_err **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = record(err, errnum, fmt, ap, false);
	va_end(ap);
	return ret;
}

int krun_err_set_errno(struct krun_err **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = record(err, errnum, fmt, ap, true);
	va_end(ap);
	return ret;
}

int krun_err_wrap(struct krun_err **err, const char *fmt, ...)
{
	char prefix[KRUN_ERR_MSG_MAX];
	char joined[2 * KRUN_ERR_MSG_MAX + 2];
	va_list ap;
	size_t n;

	if (!err || !*err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof(joined), "%s: %s", prefix, (*err)->msg);
	/* Truncate to the message buffer; the prefix wins over the tail. */
	n = strlen(joined);
	if (n >= sizeof((*err)->msg))
		n = sizeof((*err)->msg) - 1;
	memcpy((*err)->msg, joined, n);
	(*err)->msg[n] = '\0';
	return -(*err)->errnum;
}

void krun_err_free(struct krun_err **err)
{
	if (!err)
		return;
	free(*err);
	*err = NULL;
}

const char *krun_err_msg(const struct krun_err *err)
{
	return err ? err->msg : "";
}
