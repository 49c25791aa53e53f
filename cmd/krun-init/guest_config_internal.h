/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run configuration parser's cursor and readers, shared by the files
 * that parse its sections (guest_config.c, guest_attrs.c). Each reader
 * checks the bytes left and fails with "truncated at `what`".
 */
#ifndef KRUN_INIT_GUEST_CONFIG_INTERNAL_H
#define KRUN_INIT_GUEST_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Cursor over the body; `what` names the field for error messages. */
struct reader {
	char *p;
	size_t left;
	struct krun_err **err;
};

int gc_u32(struct reader *r, const char *what, uint32_t *v);
int gc_u64(struct reader *r, const char *what, uint64_t *v);
/* A string pointing into the body (NUL-terminated, no NUL inside). */
int gc_str(struct reader *r, const char *what, const char **s);
/* A count whose items, each at least min_size bytes, fit what is left. */
int gc_count(struct reader *r, const char *what, size_t min_size,
	     size_t *count);
/* A vector of strings, NULL-terminated, strings into the body. */
int gc_strv(struct reader *r, const char *what, char ***v, size_t *n);

#endif
