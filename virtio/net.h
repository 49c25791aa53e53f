/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KRUN_VIRTIO_NET_H
#define KRUN_VIRTIO_NET_H

#include <stdint.h>

#include "util/err.h"
#include "virtio/net_backend.h"
#include "virtio/virtio_dev.h"

/*
 * virtio-net with one RX/TX queue pair, the MAC in config space, link
 * status and mergeable RX buffers. The backends carry plain Ethernet
 * frames, so the device offers no checksum or segmentation offloads: the
 * guest sends complete frames with checksums (up to its MTU, which DHCP
 * sets). Takes ownership of backend, also on failure.
 */
struct virtio_device *virtio_net_create(const uint8_t mac[6],
					struct net_backend *backend,
					struct krun_err **err);

#endif
