// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/blk.h"
#include "virtio/mmio.h"

#define SECTORS 8

struct fixture {
	char path[64];
	int fd;
	struct fake_dev d;
	uint64_t data;
	uint64_t status;
	uint64_t hdr;
};

static int make_image(struct fixture *f, size_t size)
{
	uint8_t *buf = malloc(size);

	strcpy(f->path, "/tmp/krun-blk-test-XXXXXX");
	f->fd = mkstemp(f->path);
	for (size_t i = 0; i < size; i++)
		buf[i] = (uint8_t)(i / 512 + i);
	assert_int_equal(write(f->fd, buf, size), (ssize_t)size);
	free(buf);
	return 0;
}

static void start(struct fixture *f, bool ro, const char *id)
{
	struct blk_backend *b = NULL;
	struct virtio_device *dev;

	assert_int_equal(blk_raw_open(f->path, ro, &b, NULL), 0);
	dev = virtio_blk_create(b, id, NULL);
	assert_non_null(dev);
	assert_int_equal(fdev_start(&f->d, dev, 1, 64, 0), 0xf);
	f->hdr = fg_alloc(&f->d.g, 16, 16);
	f->data = fg_alloc(&f->d.g, 8192, 512);
	f->status = fg_alloc(&f->d.g, 1, 1);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	make_image(f, SECTORS * 512);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fdev_stop(&f->d);
	close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

/* Issue one request; returns the status byte, *used gets the used len. */
static int request(struct fixture *f, uint32_t type, uint64_t sector,
		   uint32_t len, bool to_device, uint32_t *used)
{
	uint8_t *hdr = fg_ptr(&f->d.g, f->hdr);
	struct fake_buf b[3];
	unsigned int n = 0;
	uint32_t id;

	memcpy(hdr, &type, 4);
	memset(hdr + 4, 0, 4);
	memcpy(hdr + 8, &sector, 8);
	*(uint8_t *)fg_ptr(&f->d.g, f->status) = 0xee;
	b[n++] = (struct fake_buf){f->hdr, 16, false};
	if (len)
		b[n++] = (struct fake_buf){f->data, len, !to_device};
	b[n++] = (struct fake_buf){f->status, 1, true};
	fvq_add(&f->d.vqs[0], b, n);
	fdev_kick(&f->d, 0);
	assert_true(fvq_wait_used(&f->d.vqs[0], &id, used, 2000));
	return *(uint8_t *)fg_ptr(&f->d.g, f->status);
}

static void test_read_write_flush(void **state)
{
	struct fixture *f = *state;
	uint8_t expect[1024], got[1024];
	uint32_t used;

	start(f, false, "disk0");
	assert_int_equal(fdev_rd(&f->d, 0x100), SECTORS); /* capacity */
	assert_int_equal(request(f, 0, 1, 1024, false, &used), 0);
	assert_int_equal(used, 1025);
	assert_int_equal(pread(f->fd, expect, 1024, 512), 1024);
	assert_memory_equal(fg_ptr(&f->d.g, f->data), expect, 1024);
	memset(fg_ptr(&f->d.g, f->data), 0x5a, 512);
	assert_int_equal(request(f, 1, 7, 512, true, &used), 0);
	assert_int_equal(used, 1);
	assert_int_equal(pread(f->fd, got, 512, 7 * 512), 512);
	memset(expect, 0x5a, 512);
	assert_memory_equal(got, expect, 512);
	assert_int_equal(request(f, 4, 0, 0, false, &used), 0);
}

static void test_get_id_and_unsupported(void **state)
{
	struct fixture *f = *state;
	uint32_t used;

	start(f, false, "0123456789abcdefghij");
	assert_int_equal(request(f, 8, 0, 20, false, &used), 0);
	assert_int_equal(used, 21);
	assert_memory_equal(fg_ptr(&f->d.g, f->data), "0123456789abcdefghij",
			    20);
	assert_int_equal(request(f, 99, 0, 0, false, &used), 2);
	assert_int_equal(used, 1);
}

static void test_out_of_range(void **state)
{
	struct fixture *f = *state;
	uint32_t used;

	start(f, false, NULL);
	assert_int_equal(request(f, 0, 7, 1024, false, &used), 1);
	assert_int_equal(request(f, 0, UINT64_MAX, 512, false, &used), 1);
	assert_int_equal(request(f, 1, SECTORS, 512, true, &used), 1);
	assert_int_equal(request(f, 0, 0, 100, false, &used), 1); /* not 512n */
	assert_int_equal(request(f, 0, SECTORS - 1, 512, false, &used), 0);
}

static void test_read_only(void **state)
{
	struct fixture *f = *state;
	uint8_t before[512], after[512];
	uint32_t used;

	start(f, true, NULL);
	fdev_wr(&f->d, 0x014, 0);
	assert_true(fdev_rd(&f->d, 0x010) & (1u << 5)); /* VIRTIO_BLK_F_RO */
	pread(f->fd, before, 512, 0);
	memset(fg_ptr(&f->d.g, f->data), 0x11, 512);
	assert_int_equal(request(f, 1, 0, 512, true, &used), 1);
	pread(f->fd, after, 512, 0);
	assert_memory_equal(before, after, 512);
	assert_int_equal(request(f, 0, 0, 512, false, &used), 0);
	assert_int_equal(request(f, 4, 0, 0, false, &used), 0);
}

static void test_partial_sector_and_missing(void **state)
{
	struct fixture *f = *state;
	struct blk_backend *b = NULL;
	struct krun_err *err = NULL;

	assert_int_equal(ftruncate(f->fd, 3 * 512 + 100), 0);
	start(f, false, NULL);
	assert_int_equal(fdev_rd(&f->d, 0x100), 3);
	assert_int_equal(blk_raw_open("/nonexistent/disk.img", false, &b, &err),
			 -ENOENT);
	assert_non_null(strstr(krun_err_msg(err), "/nonexistent/disk.img"));
	krun_err_free(&err);
	assert_int_equal(blk_raw_open(f->path, true, &b, NULL), 0);
	assert_null(virtio_blk_create(b, "an-id-longer-than-twenty", &err));
	krun_err_free(&err);
}

/* A malformed chain: NEEDS_RESET, and no read is done after it. */
static void test_malformed_chain_needs_reset(void **state)
{
	struct fixture *f = *state;
	struct fake_buf b[3];

	start(f, false, NULL);
	memset(fg_ptr(&f->d.g, f->hdr), 0, 16); /* VIRTIO_BLK_T_IN, sector 0 */
	b[0] = (struct fake_buf){f->hdr, 16, false};
	b[1] = (struct fake_buf){f->data, 512, true};
	b[2] = (struct fake_buf){f->status, 1, true};
	fdev_check_malformed_policy(&f->d, 0, "blk", b, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_write_flush, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_get_id_and_unsupported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_sector_and_missing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_malformed_chain_needs_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
