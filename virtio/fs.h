/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-fs (device id 26): serves host_dir to the guest under tag through
 * the in-process FUSE server (virtio/fs/fuse_server.h). Queue 0 is the
 * high-priority queue (FORGET), queue 1 the request queue. No DAX window:
 * the device has no shared memory region.
 */
#ifndef KRUN_VIRTIO_FS_H
#define KRUN_VIRTIO_FS_H

#include <stdbool.h>

#include "util/err.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_FS_TAG_MAX 36

/* tag: 1..36 bytes (the guest mounts it by this name). The device is owned
 * by its transport once wrapped (virtio_mmio_create); before that, free it
 * with dev->ops->destroy(dev). */
struct virtio_device *virtio_fs_create(const char *tag, const char *host_dir,
				       bool read_only, struct krun_err **err);

#endif
