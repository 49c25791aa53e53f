// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk over a raw image under the fuzzed driver of virtio_driver.c.
 * The image is a 64 KiB memfd, emptied before every input so an input
 * replays alike; a read-only disk is chosen by input length parity.
 */
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "virtio/blk.h"
#include "virtio_driver.h"

#define IMAGE_SIZE (64u << 10)

static int image_fd = -1;
static bool read_only;

static struct virtio_device *create(void)
{
	struct blk_backend *backend = NULL;
	char path[64];

	if (image_fd < 0) {
		image_fd = memfd_create("krun-fuzz-blk", MFD_CLOEXEC);
		FUZZ_CHECK(image_fd >= 0, "memfd_create");
	}
	FUZZ_CHECK(ftruncate(image_fd, 0) == 0 &&
			   ftruncate(image_fd, IMAGE_SIZE) == 0,
		   "ftruncate");
	FUZZ_CHECK(pwrite(image_fd, "krun-fuzz-image", 15, 512) == 15,
		   "pwrite");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", image_fd);
	FUZZ_CHECK(blk_raw_open(path, read_only, &backend, NULL) == 0,
		   "blk_raw_open `%s`", path);
	return virtio_blk_create(backend, "fuzz-disk", NULL);
}

static const struct fuzz_virtio_target target = {.create = create};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_only = size & 1;
	return fuzz_virtio_run(&target, data, size);
}
