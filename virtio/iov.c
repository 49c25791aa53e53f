// SPDX-License-Identifier: Apache-2.0
#include "virtio/iov.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* One piece of the walk: the part of iov[i] that falls in the range. */
struct iov_piece {
	uint8_t *base;
	size_t len;
};

/* Whether a range of len bytes at offset can be walked and reported. */
static bool range_ok(size_t offset, size_t len)
{
	return len <= SSIZE_MAX && offset <= SIZE_MAX - len;
}

/*
 * Find the next piece of [*offset, *offset + left) starting at entry *i:
 * skips whole entries before the offset and zero-length ones. Returns
 * false when the iovecs end. *offset becomes 0 once a piece was found.
 */
static bool next_piece(const struct iovec *iov, unsigned int n, unsigned int *i,
		       size_t *offset, size_t left, struct iov_piece *p)
{
	for (; *i < n; (*i)++) {
		size_t avail = iov[*i].iov_len;

		if (*offset >= avail) {
			*offset -= avail;
			continue;
		}
		p->base = (uint8_t *)iov[*i].iov_base + *offset;
		p->len = avail - *offset < left ? avail - *offset : left;
		*offset = 0;
		(*i)++;
		return true;
	}
	return false;
}

ssize_t iov_length(const struct iovec *iov, unsigned int n)
{
	size_t total = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total)
			return -EOVERFLOW;
		total += iov[i].iov_len;
	}
	return (ssize_t)total;
}

/* Copy between iov and a flat buffer: to out when set, else from in. */
static ssize_t copy(const struct iovec *iov, unsigned int n, size_t offset,
		    void *out, const void *in, size_t len)
{
	struct iov_piece p;
	unsigned int i = 0;
	size_t done = 0;

	if (!range_ok(offset, len))
		return -EOVERFLOW;
	while (done < len && next_piece(iov, n, &i, &offset, len - done, &p)) {
		if (out)
			memcpy((uint8_t *)out + done, p.base, p.len);
		else
			memcpy(p.base, (const uint8_t *)in + done, p.len);
		done += p.len;
	}
	return (ssize_t)done;
}

ssize_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset,
		   void *buf, size_t len)
{
	return copy(iov, n, offset, buf, NULL, len);
}

ssize_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset,
		     const void *buf, size_t len)
{
	return copy(iov, n, offset, NULL, buf, len);
}

int iov_slice(const struct iovec *iov, unsigned int n, size_t offset,
	      size_t len, struct iovec *dst, unsigned int max, size_t *got)
{
	struct iov_piece p;
	unsigned int i = 0;
	int cnt = 0;

	*got = 0;
	if (!range_ok(offset, len) || max > INT_MAX)
		return -EOVERFLOW;
	while ((unsigned int)cnt < max && *got < len &&
	       next_piece(iov, n, &i, &offset, len - *got, &p)) {
		dst[cnt++] = (struct iovec){p.base, p.len};
		*got += p.len;
	}
	return cnt;
}
