/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Member-by-member comparison of two `struct krun_config`s, for the
 * round-trip tests: the same configuration through flags, a spec and the
 * krun_* API must give equal structs, not only equal --print-config text
 * (a member the printer leaves out would match everywhere).
 *
 * Include after <cmocka.h>.
 */
#ifndef KRUN_TESTS_CONFIG_ASSERT_H
#define KRUN_TESTS_CONFIG_ASSERT_H

#include <stddef.h>

#include "lib/config/config.h"

/*
 * Number of members that differ between a and b; each is printed as
 * "label: member: left vs right" unless label is NULL.
 */
size_t config_diff(const struct krun_config *a, const struct krun_config *b,
		   const char *label);

/* Fail the test, listing every differing member, unless a equals b. */
void config_assert_equal_at(const struct krun_config *a,
			    const struct krun_config *b, const char *label,
			    const char *file, int line);
#define config_assert_equal(a, b) \
	config_assert_equal_at((a), (b), #a " vs " #b, __FILE__, __LINE__)

/*
 * Self-test of the comparison: change each member of `full` in a copy, one
 * at a time, and count the changes config_diff() misses (printing them).
 * `full` must hold at least one disk, share, rlimit, port and vsock port.
 */
size_t config_diff_misses(const struct krun_config *full);

#endif
