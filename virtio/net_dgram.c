// SPDX-License-Identifier: Apache-2.0
/*
 * One Ethernet frame per datagram on a connected unix datagram socket
 * (gvproxy's vfkit mode). A datagram either goes out whole or waits in a
 * one-frame buffer; an oversized or runt datagram from the peer is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "virtio/net_backend.h"
#include "virtio/net_framing.h"

#define DGRAM_MAX_IOV 64
/* Socket buffers as vfkit sizes them: room for bursts of large frames. */
#define DGRAM_SNDBUF (1 << 20)
#define DGRAM_RCVBUF (4 << 20)
#define VFKIT_MAGIC "VFKT"

struct dgram_be {
	struct net_backend be;
	struct net_txbuf tx;
	uint8_t rx[NET_FRAME_MAX + 1];
	char *local_path; /* removed on destroy; NULL: none */
};

static int dgram_flush(struct net_backend *be)
{
	struct dgram_be *d = (struct dgram_be *)be;
	int ret = net_txbuf_flush(&d->tx, be->fd, true);

	be->tx_pending = d->tx.len > 0;
	return ret;
}

static int dgram_send(struct net_backend *be, const struct iovec *iov,
		      unsigned int n, size_t len)
{
	struct dgram_be *d = (struct dgram_be *)be;
	struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = n};
	ssize_t sent = -1;
	int ret;

	if (be->tx_pending)
		return -EAGAIN;
	if (n <= DGRAM_MAX_IOV) {
		do
			sent = sendmsg(be->fd, &msg,
				       MSG_NOSIGNAL | MSG_DONTWAIT);
		while (sent < 0 && errno == EINTR);
		if (sent >= 0)
			return 0;
		if (errno != EAGAIN && errno != ENOBUFS)
			return -errno;
	}
	net_txbuf_fill(&d->tx, NULL, 0, iov, n, len, 0);
	ret = dgram_flush(be);
	return ret == -EAGAIN ? 0 : ret;
}

static ssize_t dgram_recv(struct net_backend *be, const void **frame)
{
	struct dgram_be *d = (struct dgram_be *)be;

	for (;;) {
		ssize_t got = recv(be->fd, d->rx, sizeof(d->rx),
				   MSG_DONTWAIT | MSG_TRUNC);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (got >= NET_FRAME_MIN && got <= NET_FRAME_MAX) {
			*frame = d->rx;
			return got;
		}
		log_debug("virtio-net: dropped a %zd-byte datagram", got);
	}
}

static void dgram_destroy(struct net_backend *be)
{
	struct dgram_be *d = (struct dgram_be *)be;

	if (!be)
		return;
	close(be->fd);
	if (d->local_path)
		unlink(d->local_path);
	free(d->local_path);
	net_txbuf_release(&d->tx);
	free(d);
}

static const struct net_backend_ops dgram_ops = {
	.name = "datagram",
	.send = dgram_send,
	.flush = dgram_flush,
	.recv = dgram_recv,
	.destroy = dgram_destroy,
};

struct net_backend *net_dgram_create(int fd, struct krun_err **err)
{
	struct dgram_be *d = calloc(1, sizeof(*d));

	if (!d || net_txbuf_init(&d->tx, NET_FRAME_MAX) < 0) {
		free(d);
		close(fd);
		krun_err_set(err, ENOMEM, "virtio-net: out of memory");
		return NULL;
	}
	d->be.ops = &dgram_ops;
	d->be.fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		krun_err_set_errno(err, errno,
				   "virtio-net: cannot use socket fd `%d`", fd);
		dgram_destroy(&d->be);
		return NULL;
	}
	return &d->be;
}

static int fill_addr(struct sockaddr_un *a, const char *path,
		     struct krun_err **err)
{
	*a = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a->sun_path))
		return krun_err_set(err, ENAMETOOLONG,
				    "socket path `%s` is too long", path);
	strcpy(a->sun_path, path);
	return 0;
}

/* Bind fd at local, connect it to path, greet when asked. */
static int vfkit_handshake(int fd, const char *path, const char *local,
			   bool greet, struct krun_err **err)
{
	int snd = DGRAM_SNDBUF, rcv = DGRAM_RCVBUF;
	struct sockaddr_un a;
	struct stat st;
	int ret = fill_addr(&a, local, err);

	if (ret < 0)
		return ret;
	/* A socket left behind by an earlier run; never any other file. */
	if (lstat(local, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(local);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return krun_err_set_errno(
			err, errno, "cannot bind a socket at `%s`", local);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	ret = fill_addr(&a, path, err);
	if (ret == 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		ret = krun_err_set_errno(
			err, errno, "cannot connect to gvproxy at `%s`", path);
	if (ret == 0 && greet && send(fd, VFKIT_MAGIC, 4, MSG_NOSIGNAL) != 4)
		ret = krun_err_set_errno(err, errno,
					 "cannot greet gvproxy at `%s`", path);
	if (ret < 0)
		unlink(local);
	return ret;
}

struct net_backend *net_gvproxy_connect(const char *path,
					const char *local_path,
					struct krun_err **err)
{
	return net_dgram_connect(path, local_path, true, err);
}

struct net_backend *net_dgram_connect(const char *path, const char *local_path,
				      bool greet, struct krun_err **err)
{
	cleanup_close int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cleanup_free char *local = strdup(local_path);
	struct net_backend *be;

	if (fd < 0 || !local) {
		krun_err_set_errno(err, fd < 0 ? errno : ENOMEM,
				   "cannot create a socket for gvproxy");
		return NULL;
	}
	if (vfkit_handshake(fd, path, local, greet, err) < 0)
		return NULL;
	be = net_dgram_create(steal_fd(&fd), err);
	if (!be)
		unlink(local);
	else
		((struct dgram_be *)be)->local_path = steal_ptr(local);
	return be;
}
