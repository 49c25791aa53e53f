/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock: guest CID 3, host CID 2, stream sockets bridged to host
 * UNIX stream sockets (see vsock_conn.h for the protocol side).
 */
#ifndef KRUN_VIRTIO_VSOCK_H
#define KRUN_VIRTIO_VSOCK_H

#include "util/err.h"
#include "virtio/virtio_dev.h"
#include "virtio/vsock_conn.h"

/*
 * ports[]: the bridges (copied). Listening paths are bound now, so a bad
 * path fails here: an existing socket file is replaced, anything else is
 * refused; destroy() removes the sockets it created. max_conns: at most
 * this many connections at once (0: VSOCK_MAX_CONNS).
 */
struct virtio_device *virtio_vsock_create(const struct vsock_port_map *ports,
					  unsigned int n_ports,
					  unsigned int max_conns,
					  struct krun_err **err);

#endif
