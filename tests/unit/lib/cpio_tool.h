/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers: check archives with GNU cpio, an implementation independent
 * of ours. Tests skip when cpio is not installed.
 */
#ifndef KRUN_TEST_CPIO_TOOL_H
#define KRUN_TEST_CPIO_TOOL_H

#include <stdbool.h>
#include <stddef.h>

/* Whether /usr/bin/cpio (or cpio on PATH) can run. */
bool cpio_tool_available(void);

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
