/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk over a blk_backend (raw today, qcow2 later). One request
 * queue served by one worker thread. Requests: IN, OUT, FLUSH (backend
 * flush: fdatasync for raw), GET_ID; others answer UNSUPP. Writes to a
 * read-only disk answer IOERR (virtio 1.2, 5.2.6.1). Requests reaching
 * past the capacity, or whose length is not a multiple of 512, answer
 * IOERR without touching the image.
 */
#ifndef KRUN_VIRTIO_BLK_H
#define KRUN_VIRTIO_BLK_H

#include "util/err.h"
#include "virtio/blk_backend.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_BLK_ID_BYTES 20

/*
 * Create a block device over backend (owned by the device from here on,
 * even on failure). block_id (may be NULL) is returned by GET_ID, at most
 * 20 bytes, NUL-padded. Free an unwrapped device with dev->ops->destroy.
 */
struct virtio_device *virtio_blk_create(struct blk_backend *backend,
					const char *block_id,
					struct krun_err **err);

#endif
