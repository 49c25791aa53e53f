/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers: check archives with GNU cpio, an implementation independent
 * of ours. The unit suite requires cpio: a test without it fails
 * (REQUIRE_TOOL in tests/unit/test_skip.h).
 */
#ifndef KRUN_TEST_CPIO_TOOL_H
#define KRUN_TEST_CPIO_TOOL_H

#include <stddef.h>

/* Write `len` bytes to a fresh temp file; returns its path (free it). */
char *cpio_tool_write_temp(const void *buf, size_t len);

/*
 * `cpio -itv` of the archive: fills `out` with the listing, one line per
 * member; returns cpio's exit status.
 */
int cpio_tool_list(const char *archive, char *out, size_t size);

/* Extract one member to memory; returns its length or -1. */
long cpio_tool_extract(const char *archive, const char *member, void *out,
		       size_t size);

/* Find the listing line of `member`; NULL when absent. */
const char *cpio_tool_line(const char *listing, const char *member);

#endif
