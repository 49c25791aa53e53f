/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Skips that say why, and dependencies that fail instead of skipping.
 *
 * cmocka's skip() prints only "[  SKIPPED ] name". SKIP_BECAUSE prints the
 * reason first. It is for conditions of the machine a test cannot change
 * (not root, a file system without a feature). A tool the suite depends on
 * (installed by tools/setup.sh) that is missing fails the test through
 * REQUIRE_TOOL, so the suite never shrinks without a failure.
 *
 * Include after <cmocka.h>.
 */
#ifndef KRUN_TESTS_UNIT_TEST_SKIP_H
#define KRUN_TESTS_UNIT_TEST_SKIP_H

#include <stdlib.h>
#include <unistd.h>

#define SKIP_BECAUSE(...)                                                \
	do {                                                             \
		print_message("skipped at %s:%d: ", __FILE__, __LINE__); \
		print_message(__VA_ARGS__);                              \
		print_message("\n");                                     \
		skip();                                                  \
	} while (0)

/* Skip unless root; `why` says which checks need it. Call it after the
 * checks that run without root, so those still run. */
#define SKIP_UNLESS_ROOT(why)                                     \
	do {                                                      \
		if (geteuid() != 0)                               \
			SKIP_BECAUSE("not root (euid %u): %s",    \
				     (unsigned)geteuid(), (why)); \
	} while (0)

/* Fail unless the shell command `probe` succeeds; `tool` names what the
 * suite needs. */
#define REQUIRE_TOOL(probe, tool)                                             \
	do {                                                                  \
		if (system(probe " >/dev/null 2>&1") != 0)                    \
			fail_msg("%s is required by the unit suite "          \
				 "(tools/setup.sh installs it): `%s` failed", \
				 (tool), probe);                              \
	} while (0)

#endif
