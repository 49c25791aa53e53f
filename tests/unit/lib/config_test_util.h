/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers for the lib/config* unit tests. */
#ifndef KRUN_TESTS_CONFIG_TEST_UTIL_H
#define KRUN_TESTS_CONFIG_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lib/config/config.h"
#include "util/err.h"

/*
 * Run `call` (which passes &err) and assert it fails with -code and an
 * error whose message contains `text`.
 */
#define EXPECT_ERR(call, code, text)                                           \
	do {                                                                   \
		struct krun_err *err = NULL;                                   \
		int ret_ = (call);                                             \
		assert_int_equal(ret_, -(code));                               \
		assert_non_null(err);                                          \
		assert_int_equal(err->errnum, (code));                         \
		if (!strstr(err->msg, (text)))                                 \
			fail_msg("message `%s` lacks `%s`", err->msg, (text)); \
		krun_err_free(&err);                                           \
	} while (0)

/* Run `call` (which passes &err) and assert it succeeds. */
#define EXPECT_OK(call)                                           \
	do {                                                      \
		struct krun_err *err = NULL;                      \
		int ret_ = (call);                                \
		if (ret_ < 0)                                     \
			fail_msg("unexpected error %d: %s", ret_, \
				 krun_err_msg(err));              \
		krun_err_free(&err);                              \
	} while (0)

static inline int cfg_setup(void **state)
{
	*state = config_new(NULL);
	return *state ? 0 : -1;
}

static inline int cfg_teardown(void **state)
{
	config_free(*state);
	return 0;
}

#define CFG_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, cfg_setup, cfg_teardown)

#endif
