// SPDX-License-Identifier: Apache-2.0
/*
 * qemu "stream" framing (passt --fd, qemu -netdev stream): a 4-byte
 * big-endian length, then the Ethernet frame. Sends go straight from the
 * guest's buffers with sendmsg(); only what the socket did not take is
 * copied, into a one-frame buffer. Receives are reassembled in a buffer of
 * two frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "virtio/net_backend.h"
#include "virtio/net_framing.h"

#define LEN_BYTES 4
#define WRITEV_MAX_IOV 64
#define RX_BUF_SIZE (2 * (LEN_BYTES + NET_FRAME_MAX))

struct stream_be {
	struct net_backend be;
	struct net_txbuf tx;
	uint8_t rx[RX_BUF_SIZE];
	size_t rx_start; /* first unconsumed byte */
	size_t rx_end;	 /* one past the last byte read */
};

static int stream_flush(struct net_backend *be)
{
	struct stream_be *s = (struct stream_be *)be;
	int ret = net_txbuf_flush(&s->tx, be->fd, false);

	be->tx_pending = s->tx.len > s->tx.off;
	return ret;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int stream_send(struct net_backend *be, const struct iovec *iov,
		       unsigned int n, size_t len)
{
	struct stream_be *s = (struct stream_be *)be;
	struct iovec v[WRITEV_MAX_IOV + 1];
	uint8_t hdr[LEN_BYTES];
	ssize_t sent = 0;
	int ret;

	if (be->tx_pending)
		return -EAGAIN;
	put_be32(hdr, (uint32_t)len);
	if (n <= WRITEV_MAX_IOV) {
		v[0] = (struct iovec){.iov_base = hdr, .iov_len = LEN_BYTES};
		memcpy(&v[1], iov, n * sizeof(*iov));
		struct msghdr msg = {.msg_iov = v, .msg_iovlen = n + 1};

		do
			sent = sendmsg(be->fd, &msg,
				       MSG_NOSIGNAL | MSG_DONTWAIT);
		while (sent < 0 && errno == EINTR);
		if (sent < 0 && errno != EAGAIN && errno != ENOBUFS)
			return -errno;
		if (sent < 0)
			sent = 0;
	}
	if ((size_t)sent == LEN_BYTES + len)
		return 0;
	net_txbuf_fill(&s->tx, hdr, LEN_BYTES, iov, n, len, (size_t)sent);
	ret = stream_flush(be);
	return ret == -EAGAIN ? 0 : ret;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A whole frame at rx_start: its length; 0: not yet; < 0: bad length. */
static ssize_t next_frame(struct stream_be *s, const void **frame)
{
	size_t have = s->rx_end - s->rx_start;
	uint32_t len;

	if (have < LEN_BYTES)
		return 0;
	len = get_be32(s->rx + s->rx_start);
	if (len < NET_FRAME_MIN || len > NET_FRAME_MAX)
		return -EPROTO;
	if (have < LEN_BYTES + len)
		return 0;
	*frame = s->rx + s->rx_start + LEN_BYTES;
	s->rx_start += LEN_BYTES + len;
	return len;
}

static ssize_t stream_recv(struct net_backend *be, const void **frame)
{
	struct stream_be *s = (struct stream_be *)be;
	ssize_t got = next_frame(s, frame);

	if (got != 0)
		return got;
	/* Keep the partial frame, make room behind it. */
	memmove(s->rx, s->rx + s->rx_start, s->rx_end - s->rx_start);
	s->rx_end -= s->rx_start;
	s->rx_start = 0;
	do
		got = read(be->fd, s->rx + s->rx_end, RX_BUF_SIZE - s->rx_end);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (got == 0)
		return -EPIPE;
	s->rx_end += (size_t)got;
	return next_frame(s, frame);
}

static void stream_destroy(struct net_backend *be)
{
	struct stream_be *s = (struct stream_be *)be;

	if (!be)
		return;
	close(be->fd);
	net_txbuf_release(&s->tx);
	free(s);
}

static const struct net_backend_ops stream_ops = {
	.name = "stream",
	.send = stream_send,
	.flush = stream_flush,
	.recv = stream_recv,
	.destroy = stream_destroy,
};

struct net_backend *net_stream_create(int fd, struct krun_err **err)
{
	struct stream_be *s = calloc(1, sizeof(*s));

	if (!s || net_txbuf_init(&s->tx, LEN_BYTES + NET_FRAME_MAX) < 0) {
		free(s);
		close(fd);
		krun_err_set(err, ENOMEM, "virtio-net: out of memory");
		return NULL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		krun_err_set_errno(err, errno,
				   "virtio-net: cannot use socket fd `%d`", fd);
		stream_destroy(&s->be);
		return NULL;
	}
	s->be.ops = &stream_ops;
	s->be.fd = fd;
	return &s->be;
}

struct net_backend *net_stream_connect(const char *path, struct krun_err **err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		krun_err_set(err, ENAMETOOLONG, "socket path `%s` is too long",
			     path);
		return NULL;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		krun_err_set_errno(err, errno,
				   "cannot create a socket for `%s`", path);
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		krun_err_set_errno(err, errno,
				   "cannot connect to the network proxy at `%s`",
				   path);
		close(fd);
		return NULL;
	}
	return net_stream_create(fd, err);
}
