// SPDX-License-Identifier: Apache-2.0
#include "virtio/snd/snd_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int snd_ring_init(struct snd_ring *r, size_t cap)
{
	*r = (struct snd_ring){0};
	if (!cap)
		return -EINVAL;
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

void snd_ring_fini(struct snd_ring *r)
{
	free(r->buf);
	*r = (struct snd_ring){0};
}

size_t snd_ring_fill(const struct snd_ring *r)
{
	uint64_t wr = __atomic_load_n(&r->wr, __ATOMIC_ACQUIRE);
	uint64_t rd = __atomic_load_n(&r->rd, __ATOMIC_ACQUIRE);

	return (size_t)(wr - rd);
}

size_t snd_ring_space(const struct snd_ring *r)
{
	return r->cap - snd_ring_fill(r);
}

size_t snd_ring_write(struct snd_ring *r, const void *src, size_t len)
{
	uint64_t wr = __atomic_load_n(&r->wr, __ATOMIC_RELAXED);
	uint64_t rd = __atomic_load_n(&r->rd, __ATOMIC_ACQUIRE);
	size_t room = r->cap - (size_t)(wr - rd);
	size_t n = len < room ? len : room;
	size_t at = (size_t)(wr % r->cap);
	size_t first = n < r->cap - at ? n : r->cap - at;

	memcpy(r->buf + at, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
	__atomic_store_n(&r->wr, wr + n, __ATOMIC_RELEASE);
	return n;
}

size_t snd_ring_read(struct snd_ring *r, void *dst, size_t len)
{
	uint64_t rd = __atomic_load_n(&r->rd, __ATOMIC_RELAXED);
	uint64_t wr = __atomic_load_n(&r->wr, __ATOMIC_ACQUIRE);
	size_t have = (size_t)(wr - rd);
	size_t n = len < have ? len : have;
	size_t at = (size_t)(rd % r->cap);
	size_t first = n < r->cap - at ? n : r->cap - at;

	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
	__atomic_store_n(&r->rd, rd + n, __ATOMIC_RELEASE);
	return n;
}
