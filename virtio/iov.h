/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scatter/gather helpers over host iovec arrays (a popped chain's buffers,
 * a FUSE request or reply). Every helper stays inside the iovecs it is
 * given: zero-length entries are skipped, an offset past the end copies
 * nothing, and a copy that runs out of iovecs stops there. Results that
 * cannot be represented (a length above SSIZE_MAX, an offset + length that
 * wraps, iovecs whose lengths sum past SSIZE_MAX) are -EOVERFLOW, and
 * nothing is copied then.
 */
#ifndef KRUN_VIRTIO_IOV_H
#define KRUN_VIRTIO_IOV_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Sum of the n lengths, or -EOVERFLOW when it exceeds SSIZE_MAX. */
ssize_t iov_length(const struct iovec *iov, unsigned int n);

/* Copy up to len bytes, starting offset bytes into iov, to buf. Returns
 * the bytes copied (fewer than len when iov ends first) or -EOVERFLOW. */
ssize_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset,
		   void *buf, size_t len);

/* Copy up to len bytes of buf into iov, starting offset bytes in. Returns
 * the bytes copied (fewer than len when iov ends first) or -EOVERFLOW. */
ssize_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset,
		     const void *buf, size_t len);

/*
 * Point dst[0..max) at the bytes [offset, offset + len) of iov (no data is
 * copied). Returns the number of dst entries used, or -EOVERFLOW; *got is
 * the byte count covered, less than len when iov or dst ran out first.
 */
int iov_slice(const struct iovec *iov, unsigned int n, size_t offset,
	      size_t len, struct iovec *dst, unsigned int max, size_t *got);

#endif
