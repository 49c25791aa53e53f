/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image locking compatible with QEMU's file-posix driver: open file
 * description (OFD) read locks on single bytes. Byte 100 + p says "I use
 * permission p", byte 200 + p says "I do not let others have p", with p
 * 0 = consistent read, 1 = write, 3 = resize. A writer holds 100, 101,
 * 103, 201, 203; a reader holds 100, 201, 203. Opening conflicts when a
 * permission we take is locked against sharing by another description,
 * or another description holds a permission we do not share. So two
 * readers share an image, and a writer excludes every other writer and
 * reader (krun-run or QEMU alike). The locks go when the fd is closed.
 */
#ifndef KRUN_VIRTIO_BLK_LOCK_H
#define KRUN_VIRTIO_BLK_LOCK_H

#include <stdbool.h>

#include "util/err.h"

int blk_lock_image(int fd, bool read_only, const char *path,
		   struct krun_err **err);

#endif
