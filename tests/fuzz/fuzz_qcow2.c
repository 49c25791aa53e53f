// SPDX-License-Identifier: Apache-2.0
/*
 * The qcow2 backend (blk_qcow2_open and I/O) on an untrusted image. Input:
 * one options byte, then the image file. Options bit 0: open read-only.
 * The image is a memfd, refilled for every input. An opened image is read
 * at its start, middle and last 4 KiB; a writable one is also written,
 * zeroed, discarded and flushed there, and read back: what was written
 * must read back. Seeds: tests/fuzz/make-corpus.py (qemu-img images with
 * 512-byte clusters, so they stay small).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz.h"
#include "virtio/blk_backend.h"

#define IO_LEN 4096u

static int image_fd = -1;

static void exercise(struct blk_backend *b)
{
	static uint8_t buf[IO_LEN], pattern[IO_LEN];
	struct iovec iov = {buf, IO_LEN};
	uint64_t size = b->size & ~(uint64_t)511;
	uint64_t offs[3] = {0, size / 2 & ~(uint64_t)511,
			    size > IO_LEN ? size - IO_LEN : 0};

	if (size < IO_LEN)
		return;
	for (int i = 0; i < 3; i++) {
		if (b->ops->readv(b, &iov, 1, offs[i]) < 0)
			continue;
		if (b->read_only)
			continue;
		memset(pattern, 0xa5 ^ i, IO_LEN);
		iov.iov_base = pattern;
		if (b->ops->writev(b, &iov, 1, offs[i]) == 0) {
			iov.iov_base = buf;
			if (b->ops->readv(b, &iov, 1, offs[i]) == 0)
				FUZZ_CHECK(!memcmp(buf, pattern, IO_LEN),
					   "written data did not read back "
					   "at %llu",
					   (unsigned long long)offs[i]);
		}
		iov.iov_base = buf;
		b->ops->write_zeroes(b, offs[i], IO_LEN, i & 1);
		b->ops->discard(b, offs[i], IO_LEN);
	}
	b->ops->flush(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blk_backend *b = NULL;
	struct krun_err *err = NULL;
	char path[64];

	if (size < 1)
		return 0;
	if (image_fd < 0) {
		image_fd = memfd_create("krun-fuzz-qcow2", MFD_CLOEXEC);
		FUZZ_CHECK(image_fd >= 0, "memfd_create");
	}
	FUZZ_CHECK(ftruncate(image_fd, 0) == 0, "ftruncate");
	FUZZ_CHECK(pwrite(image_fd, data + 1, size - 1, 0) ==
			   (ssize_t)(size - 1),
		   "pwrite");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", image_fd);
	if (blk_qcow2_open(path, data[0] & 1, &b, &err) < 0) {
		FUZZ_CHECK(err, "failure without a message");
		krun_err_free(&err);
		return 0;
	}
	exercise(b);
	b->ops->close(b);
	return 0;
}
