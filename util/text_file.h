/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded reading of a small text file the user names (a spec, an env
 * file): a regular file or a pipe such as `<(cmd)`. A file that never ends
 * (/dev/zero) or is too large is refused, never read into unbounded memory.
 */
#ifndef KRUN_UTIL_TEXT_FILE_H
#define KRUN_UTIL_TEXT_FILE_H

#include <stddef.h>

#include "util/err.h"

/*
 * Read all of path (at most max bytes) into a NUL-terminated buffer the
 * caller frees; *out_len without the NUL. Refuses a directory, a file
 * larger than max (EFBIG) and one containing a NUL byte (EINVAL). Error
 * messages name path.
 */
int text_file_read(const char *path, size_t max, char **out, size_t *out_len,
		   struct krun_err **err) __attribute__((warn_unused_result));

#endif
