/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-fs (device id 26): serves host_dir to the guest under tag through
 * the in-process FUSE server (virtio/fs/fuse_server.h). Queue 0 is the
 * high-priority queue (FORGET), queue 1 the request queue. A share may
 * have a DAX window (virtio_fs_enable_dax()), which the wiring exposes as
 * shared memory region VIRTIO_FS_SHMCAP_ID_CACHE.
 */
#ifndef KRUN_VIRTIO_FS_H
#define KRUN_VIRTIO_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_FS_TAG_MAX 36
/* The shared memory region id of the DAX cache window (virtio 1.2,
 * 5.11.5). */
#define VIRTIO_FS_SHMCAP_ID_CACHE 0

/* Share policy flags for virtio_fs_create(). */
#define VIRTIO_FS_READ_ONLY (1u << 0)	/* every change fails with EROFS */
#define VIRTIO_FS_ALLOW_SETID (1u << 1) /* keep guest-set set-ID bits */
/* Guest cache policy, two bits (none set: auto; see
 * virtio/fs/fuse_cache.c): */
#define VIRTIO_FS_CACHE_ALWAYS (1u << 2) /* long timeouts, pages kept */
#define VIRTIO_FS_CACHE_NEVER (1u << 3)	 /* no timeouts, direct I/O */
#define VIRTIO_FS_CACHE_MASK (VIRTIO_FS_CACHE_ALWAYS | VIRTIO_FS_CACHE_NEVER)

/* Entry and attribute timeouts each cache policy hands the guest, in ms. */
#define VIRTIO_FS_AUTO_TIMEOUT_MS 1000u
#define VIRTIO_FS_ALWAYS_TIMEOUT_MS (86400u * 1000u)

/* tag: 1..36 bytes (the guest mounts it by this name); flags: VIRTIO_FS_*
 * (both cache bits at once: -EINVAL);
 * max_fds: host fds the guest may make the server hold (0: the server's
 * default). The device is owned by its transport once wrapped
 * (virtio_mmio_create); before that, free it with dev->ops->destroy(dev). */
struct virtio_device *virtio_fs_create(const char *tag, const char *host_dir,
				       unsigned int flags, uint32_t max_fds,
				       struct krun_err **err);

/*
 * Give the share a DAX window of size bytes (a multiple of 2 MiB): *host
 * is the host range the guest must see as shared memory region
 * VIRTIO_FS_SHMCAP_ID_CACHE (the caller registers it as guest memory and
 * on the transport). The device owns the range and unmaps it when
 * destroyed. Before the guest runs; once.
 */
int virtio_fs_enable_dax(struct virtio_device *dev, uint64_t size, void **host,
			 struct krun_err **err)
	__attribute__((warn_unused_result));

#endif
