// SPDX-License-Identifier: Apache-2.0
#include "virtio/net_framing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "virtio/iov.h"

int net_txbuf_init(struct net_txbuf *t, size_t cap)
{
	*t = (struct net_txbuf){.buf = malloc(cap), .cap = cap};
	return t->buf ? 0 : -ENOMEM;
}

void net_txbuf_release(struct net_txbuf *t)
{
	free(t->buf);
	*t = (struct net_txbuf){0};
}

void net_txbuf_fill(struct net_txbuf *t, const void *hdr, size_t hdr_len,
		    const struct iovec *iov, unsigned int n, size_t len,
		    size_t skip)
{
	if (hdr_len) /* the datagram framing has no header (hdr NULL) */
		memcpy(t->buf, hdr, hdr_len);
	iov_to_buf(iov, n, 0, t->buf + hdr_len, len);
	t->off = skip;
	t->len = hdr_len + len;
}

int net_txbuf_flush(struct net_txbuf *t, int fd, bool whole)
{
	while (t->off < t->len) {
		ssize_t n = send(fd, t->buf + t->off, t->len - t->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS))
			return -EAGAIN;
		if (n < 0)
			return -errno;
		t->off = whole ? t->len : t->off + (size_t)n;
	}
	t->off = t->len = 0;
	return 0;
}
