/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer with a sticky failure flag: writers append freely
 * and check once at the end, so encoders stay a straight list of fields.
 */
#ifndef KRUN_LIB_BYTEBUF_H
#define KRUN_LIB_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytebuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int error; /* first failure (positive errno), 0 while all went well */
};

#define BYTEBUF_INIT                                         \
	{                                                    \
		.data = NULL, .len = 0, .cap = 0, .error = 0 \
	}

void bytebuf_put(struct bytebuf *b, const void *data, size_t len);
void bytebuf_put_zeros(struct bytebuf *b, size_t len);
void bytebuf_put_u32le(struct bytebuf *b, uint32_t v);
void bytebuf_put_u64le(struct bytebuf *b, uint64_t v);
/* Overwrite 4 bytes already written at `off` (length fields). */
void bytebuf_patch_u32le(struct bytebuf *b, size_t off, uint32_t v);
/* Pad with zeros up to a multiple of `align` (a power of two). */
void bytebuf_align(struct bytebuf *b, size_t align);
/* Hand the bytes out (caller frees) and reset the buffer. */
void *bytebuf_steal(struct bytebuf *b, size_t *len);
void bytebuf_release(struct bytebuf *b);

#endif
