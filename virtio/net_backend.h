/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the virtio-net device sends Ethernet frames through. A backend owns
 * one non-blocking fd that the device's worker polls: POLLIN when it can
 * take a received frame, POLLOUT while `tx_pending` is set.
 *
 * Backpressure: a backend buffers at most one outgoing frame. While it holds
 * one (`tx_pending`), the device pops no more guest TX chains, so the guest's
 * TX ring fills and its driver stops the queue. On the way in, the device
 * reads a frame only when it has guest RX buffers for it, so a guest that
 * stops reading leaves frames in the socket, where the peer sees a full
 * buffer.
 */
#ifndef KRUN_VIRTIO_NET_BACKEND_H
#define KRUN_VIRTIO_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/err.h"

/* The largest frame either way: MTU 65535 plus the Ethernet header. */
#define NET_FRAME_MAX (65535 + 14)
/* The smallest: an Ethernet header. */
#define NET_FRAME_MIN 14

struct net_backend;

struct net_backend_ops {
	const char *name;
	/* Take one frame of len bytes (NET_FRAME_MIN..NET_FRAME_MAX). 0: taken
	 * (what the fd did not accept stays buffered, tx_pending is set);
	 * -EAGAIN: an earlier frame is still pending, nothing taken; another
	 * negative errno: the peer is gone. */
	int (*send)(struct net_backend *be, const struct iovec *iov,
		    unsigned int n, size_t len);
	/* Write out the pending frame: 0 done, -EAGAIN not yet, < 0 gone. */
	int (*flush)(struct net_backend *be);
	/* Next received frame: its length with *frame pointing at it (valid
	 * until the next recv), 0 when none is ready, < 0 when the peer is
	 * gone or broke the framing. */
	ssize_t (*recv)(struct net_backend *be, const void **frame);
	void (*destroy)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	int fd;
	bool tx_pending;
};

/*
 * qemu "stream" framing over a connected stream socket (passt --fd, or the
 * caller's socket): each frame is a 4-byte big-endian length, then the
 * frame. Takes ownership of fd (made non-blocking).
 */
struct net_backend *net_stream_create(int fd, struct krun_err **err);

/*
 * One frame per datagram on a connected unix datagram socket. Takes
 * ownership of fd (made non-blocking).
 */
struct net_backend *net_dgram_create(int fd, struct krun_err **err);

/*
 * gvproxy's vfkit mode: bind a unix datagram socket at local_path, connect
 * it to the proxy at path and send the 4-byte "VFKT" greeting that tells
 * the proxy where to send the guest's frames. local_path is removed again
 * by destroy.
 */
struct net_backend *net_gvproxy_connect(const char *path,
					const char *local_path,
					struct krun_err **err);

/* Like net_gvproxy_connect(); greet false sends no greeting. */
struct net_backend *net_dgram_connect(const char *path, const char *local_path,
				      bool greet, struct krun_err **err);

/* Connect a unix stream socket to path and use the stream framing. */
struct net_backend *net_stream_connect(const char *path,
				       struct krun_err **err);

#endif
