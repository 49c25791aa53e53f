/* SPDX-License-Identifier: Apache-2.0 */
/* The one-frame send buffer the net backends share. */
#ifndef KRUN_VIRTIO_NET_FRAMING_H
#define KRUN_VIRTIO_NET_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct net_txbuf {
	uint8_t *buf;
	size_t cap;
	size_t off; /* first byte not yet written */
	size_t len; /* bytes held */
};

int net_txbuf_init(struct net_txbuf *t, size_t cap);
void net_txbuf_release(struct net_txbuf *t);

/*
 * Hold hdr (hdr_len bytes, may be 0) followed by the frame in iov (len
 * bytes), minus the first `skip` bytes of the whole, which were written
 * already. The caller ensures hdr_len + len <= cap.
 */
void net_txbuf_fill(struct net_txbuf *t, const void *hdr, size_t hdr_len,
		    const struct iovec *iov, unsigned int n, size_t len,
		    size_t skip);

/*
 * Write what is held to fd: 0 when all is out, -EAGAIN when the fd is
 * full, another negative errno when the peer is gone. whole: a datagram
 * socket, where the held bytes go out as one message or not at all.
 */
int net_txbuf_flush(struct net_txbuf *t, int fd, bool whole);

#endif
