/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk over a blk_backend (raw or qcow2). One request queue served
 * by one worker thread, so image I/O never blocks a vCPU. Requests: IN,
 * OUT, FLUSH (backend flush: fdatasync before completing), GET_ID (the
 * block id, which the guest shows as /sys/block/vdX/serial), DISCARD and
 * WRITE_ZEROES (up to 16 segments of up to 2 GiB each; offered only on
 * writable disks); others answer UNSUPP. A read-only backend offers
 * VIRTIO_BLK_F_RO and writes answer IOERR (virtio 1.2, 5.2.6.1). Requests
 * reaching past the capacity, or whose length is not a multiple of 512,
 * answer IOERR without touching the image. The capacity is fixed for the
 * device's life.
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
