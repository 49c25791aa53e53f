/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-balloon: guest memory given back to the host. The device offers
 * free page reporting (the guest hands over free blocks of its memory,
 * which the device discards) and a statistics queue; the host never asks
 * the guest to inflate (num_pages stays 0), but pages the driver does put
 * in the balloon are discarded as well. Every range is checked to lie
 * inside guest RAM before it is discarded (gm_discard()).
 */
#ifndef KRUN_VIRTIO_BALLOON_H
#define KRUN_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "virtio/virtio_dev.h"

/* Statistics tags the device keeps (virtio spec 5.5.6.3). */
#define VIRTIO_BALLOON_S_MEMFREE 4
#define VIRTIO_BALLOON_S_MEMTOT 5
#define VIRTIO_BALLOON_S_NR 16

struct virtio_balloon_stats {
	uint32_t valid; /* bit t: vals[t] came from the guest */
	uint64_t vals[VIRTIO_BALLOON_S_NR];
	uint64_t updates; /* statistics buffers received so far */
};

/* The device is owned by its transport once wrapped (virtio_mmio_create);
 * before that, free it with dev->ops->destroy(dev). */
struct virtio_device *virtio_balloon_create(struct krun_err **err);

/* The last statistics the guest sent; safe from any thread while the
 * device exists. */
void virtio_balloon_get_stats(struct virtio_device *dev,
			      struct virtio_balloon_stats *out);

/* Bytes of guest memory discarded so far (reported and inflated pages). */
uint64_t virtio_balloon_discarded(struct virtio_device *dev);

#endif
