/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Disk image backends for virtio-blk. A backend maps guest byte offsets to
 * image storage; the device bounds-checks every request against size
 * before calling it. raw lives in blk_raw.c, qcow2 in blk_qcow2.c (with
 * qcow2_meta.c and qcow2_alloc.c). Every backend is used by one thread at
 * a time (the device worker), so none locks internally.
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
	/* Make completed writes durable (fdatasync of every file written). */
	int (*flush)(struct blk_backend *b);
	/*
	 * Give back the storage of [offset, offset + len): the contents read
	 * afterwards are unspecified (zero or the old data). Advisory: a
	 * backend that cannot free part of the range leaves it as it is.
	 */
	int (*discard)(struct blk_backend *b, uint64_t offset, uint64_t len);
	/*
	 * Make [offset, offset + len) read as zeroes; with unmap the storage
	 * may be freed as well.
	 */
	int (*write_zeroes)(struct blk_backend *b, uint64_t offset,
			    uint64_t len, bool unmap);
	void (*close)(struct blk_backend *b);
};

struct blk_backend {
	const struct blk_backend_ops *ops;
	uint64_t size; /* guest-visible bytes */
	bool read_only;
	/* Offer no VIRTIO_BLK_F_FLUSH: the guest never asks for a flush and
	 * the data reaches the disk when the host writes it back. */
	bool no_flush;
};

#define BLK_FORMAT_RAW 0
#define BLK_FORMAT_QCOW2 1

/*
 * Open a raw image (O_CLOEXEC; O_RDONLY when read_only). The visible size
 * is the file size rounded down to 512 bytes: a partial last sector is not
 * addressable by the guest. The image is locked as QEMU locks it
 * (blk_lock.h): a writable open fails while another process uses it.
 */
int blk_raw_open(const char *path, bool read_only, struct blk_backend **out,
		 struct krun_err **err);

/*
 * Open a qcow2 image (versions 2 and 3) and its backing chain; backing
 * layers are opened read-only, each in the format its overlay names.
 * Features this backend does not implement are refused with one line
 * naming them. Locked like a raw image.
 */
int blk_qcow2_open(const char *path, bool read_only, struct blk_backend **out,
		   struct krun_err **err);

/* Open path in format (BLK_FORMAT_*). */
int blk_open(const char *path, unsigned int format, bool read_only,
	     struct blk_backend **out, struct krun_err **err);

#endif
