// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"

static void set_records_first_error_only(void **state)
{
	struct krun_err *err = NULL;

	assert_int_equal(krun_err_set(&err, ENOENT, "open `%s`", "a"), -ENOENT);
	assert_int_equal(krun_err_set(&err, EPERM, "second"), -EPERM);
	assert_string_equal(err->msg, "open `a`");
	assert_int_equal(err->errnum, ENOENT);
	krun_err_free(&err);
	assert_null(err);
}

static void set_with_null_err_returns_code(void **state)
{
	assert_int_equal(krun_err_set(NULL, EIO, "x"), -EIO);
	assert_int_equal(krun_err_set(NULL, 0, "x"), -EINVAL);
	assert_int_equal(krun_err_set(NULL, -3, "x"), -EINVAL);
}

static void errno_variant_appends_strerror(void **state)
{
	struct krun_err *err = NULL;
	char expect[256];

	snprintf(expect, sizeof(expect), "read `f`: %s", strerror(EACCES));
	assert_int_equal(krun_err_set_errno(&err, EACCES, "read `%s`", "f"),
			 -EACCES);
	assert_string_equal(krun_err_msg(err), expect);
	krun_err_free(&err);
}

static void wrap_prefixes_context(void **state)
{
	struct krun_err *err = NULL;

	krun_err_set(&err, EINVAL, "bad value");
	assert_int_equal(krun_err_wrap(&err, ".krun.vcpus[%d]", 2), -EINVAL);
	assert_string_equal(err->msg, ".krun.vcpus[2]: bad value");
	krun_err_free(&err);
	assert_int_equal(krun_err_wrap(&err, "nothing"), -EINVAL);
	assert_string_equal(krun_err_msg(NULL), "");
}

static void long_messages_are_truncated_safely(void **state)
{
	struct krun_err *err = NULL;
	char big[2 * KRUN_ERR_MSG_MAX];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	krun_err_set(&err, E2BIG, "%s", big);
	assert_int_equal(strlen(err->msg), KRUN_ERR_MSG_MAX - 1);
	krun_err_wrap(&err, "%s", big);
	assert_int_equal(strlen(err->msg), KRUN_ERR_MSG_MAX - 1);
	krun_err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_records_first_error_only),
		cmocka_unit_test(set_with_null_err_returns_code),
		cmocka_unit_test(errno_variant_appends_strerror),
		cmocka_unit_test(wrap_prefixes_context),
		cmocka_unit_test(long_messages_are_truncated_safely),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
