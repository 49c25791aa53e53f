// SPDX-License-Identifier: Apache-2.0
#include "lib/initramfs/bytebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct bytebuf *b, size_t more)
{
	size_t want, cap;
	uint8_t *p;

	if (b->error)
		return false;
	if (more > SIZE_MAX - b->len) {
		b->error = EOVERFLOW;
		return false;
	}
	want = b->len + more;
	if (want <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->error = ENOMEM;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void bytebuf_put(struct bytebuf *b, const void *data, size_t len)
{
	if (!len || !reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void bytebuf_put_zeros(struct bytebuf *b, size_t len)
{
	if (!len || !reserve(b, len))
		return;
	memset(b->data + b->len, 0, len);
	b->len += len;
}

void bytebuf_put_u32le(struct bytebuf *b, uint32_t v)
{
	uint8_t le[4] = {v, v >> 8, v >> 16, v >> 24};

	bytebuf_put(b, le, sizeof(le));
}

void bytebuf_put_u64le(struct bytebuf *b, uint64_t v)
{
	bytebuf_put_u32le(b, (uint32_t)v);
	bytebuf_put_u32le(b, (uint32_t)(v >> 32));
}

void bytebuf_patch_u32le(struct bytebuf *b, size_t off, uint32_t v)
{
	if (b->error)
		return;
	if (off > b->len || b->len - off < 4) {
		b->error = EINVAL;
		return;
	}
	b->data[off] = v;
	b->data[off + 1] = v >> 8;
	b->data[off + 2] = v >> 16;
	b->data[off + 3] = v >> 24;
}

void bytebuf_align(struct bytebuf *b, size_t align)
{
	size_t rem = b->len & (align - 1);

	if (rem)
		bytebuf_put_zeros(b, align - rem);
}

void *bytebuf_steal(struct bytebuf *b, size_t *len)
{
	void *data = b->data;

	*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return data;
}

void bytebuf_release(struct bytebuf *b)
{
	free(b->data);
	*b = (struct bytebuf)BYTEBUF_INIT;
}
