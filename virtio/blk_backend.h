/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Disk image backends for virtio-blk. A backend maps guest byte offsets to
 * image storage; the device bounds-checks every request against size
 * before calling it. raw lives in blk_raw.c; qcow2 can slot in later.
 */
#ifndef KRUN_VIRTIO_BLK_BACKEND_H
#define KRUN_VIRTIO_BLK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/err.h"

struct blk_backend;

struct blk_backend_ops {
	const char *name;
	/* Transfer exactly the iovecs' total at offset. 0 or -errno. */
	int (*readv)(struct blk_backend *b, const struct iovec *iov,
		     unsigned int n, uint64_t offset);
	int (*writev)(struct blk_backend *b, const struct iovec *iov,
		      unsigned int n, uint64_t offset);
	/* Make completed writes durable (fdatasync for raw). */
	int (*flush)(struct blk_backend *b);
	void (*close)(struct blk_backend *b);
};

struct blk_backend {
	const struct blk_backend_ops *ops;
	uint64_t size; /* guest-visible bytes */
	bool read_only;
};

/*
 * Open a raw image (O_CLOEXEC; O_RDONLY when read_only). The visible size
 * is the file size rounded down to 512 bytes: a partial last sector is not
 * addressable by the guest.
 */
int blk_raw_open(const char *path, bool read_only, struct blk_backend **out,
		 struct krun_err **err);

#endif
