// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/balloon.h"
#include "virtio/mmio.h"

#define PG 4096u
#define F_STATS (1ull << 1)
#define F_REPORTING (1ull << 5)
#define STATUS_NEEDS_RESET 0x40

static bool filled(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* n pages of fake RAM, page-aligned, filled with 0xaa. */
static uint64_t pages(struct fake_dev *d, unsigned int n)
{
	uint64_t gpa = fg_alloc(&d->g, (uint64_t)n * PG, PG);

	memset(fg_ptr(&d->g, gpa), 0xaa, (size_t)n * PG);
	return gpa;
}

static struct virtio_device *start(struct fake_dev *d, unsigned int nq,
				   uint64_t features)
{
	struct virtio_device *b = virtio_balloon_create(NULL);

	assert_non_null(b);
	assert_int_equal(fdev_start(d, b, nq, 64, features), 0xf);
	return b;
}

static void test_features_and_config(void **state)
{
	struct fake_dev d;
	struct virtio_device *b = start(&d, 4, F_STATS | F_REPORTING);
	uint32_t v = 1234;

	assert_int_equal(fdev_rd(&d, 0x008), 5);
	fdev_wr(&d, 0x014, 0);
	assert_int_equal(fdev_rd(&d, 0x010) & 0xffff, F_STATS | F_REPORTING);
	assert_int_equal(fdev_rd(&d, 0x100), 0); /* num_pages: no target */
	fdev_wr(&d, 0x104, v);
	assert_int_equal(fdev_rd(&d, 0x104), v);
	fdev_wr(&d, 0x106, 0xffff); /* not a whole `actual`: ignored */
	assert_int_equal(fdev_rd(&d, 0x104), v);
	assert_int_equal(fdev_rd(&d, 0x108), 0);
	(void)b;
	fdev_stop(&d);
}

/* Reported blocks read back as zero; a partly covered page is kept. */
static void test_report_discards(void **state)
{
	struct fake_dev d;
	struct virtio_device *b = start(&d, 4, F_STATS | F_REPORTING);
	uint64_t gpa = pages(&d, 4);
	uint8_t *p = fg_ptr(&d.g, gpa);
	struct fake_buf bufs[2] = {
		{gpa, 2 * PG, true},
		{gpa + 2 * PG + 1, PG - 1, true},
	};
	uint32_t id, len;
	uint16_t head = fvq_add(&d.vqs[3], bufs, 2);

	fdev_kick(&d, 3);
	assert_true(fvq_wait_used(&d.vqs[3], &id, &len, 2000));
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	assert_true(filled(p, 2 * PG, 0));
	assert_true(filled(p + 2 * PG, 2 * PG, 0xaa));
	assert_int_equal(virtio_balloon_discarded(b), 2 * PG);
	fdev_stop(&d);
}

/* Without STATS_VQ the driver numbers the reporting queue 2 (Linux skips
 * absent queues); a report there is a report, not statistics. */
static void test_reporting_queue_without_stats(void **state)
{
	struct fake_dev d;
	struct virtio_device *b = start(&d, 3, F_REPORTING);
	uint64_t gpa = pages(&d, 2);
	struct fake_buf buf = {gpa, PG, true};
	struct virtio_balloon_stats st;
	uint32_t id, len;

	fvq_add(&d.vqs[2], &buf, 1);
	fdev_kick(&d, 2);
	assert_true(fvq_wait_used(&d.vqs[2], &id, &len, 2000));
	assert_true(filled(fg_ptr(&d.g, gpa), PG, 0));
	assert_true(filled(fg_ptr(&d.g, gpa + PG), PG, 0xaa));
	virtio_balloon_get_stats(b, &st);
	assert_int_equal(st.updates, 0);
	fdev_stop(&d);
}

/* A block outside guest RAM, or one whose end wraps, never reaches the
 * device: the chain is malformed, the device needs a reset, and no byte
 * of RAM changes. */
static void test_report_outside_ram(void **state)
{
	const uint64_t bad[][2] = {
		{FG_RAM_GPA + FG_RAM_SIZE - PG, 2 * PG}, /* runs off the end */
		{FG_RAM_GPA - PG, PG},			 /* below RAM */
		{UINT64_MAX - PG + 1, 2 * PG},		 /* wraps */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake_dev d;
		struct virtio_device *b = start(&d, 4, F_STATS | F_REPORTING);
		uint64_t gpa = pages(&d, 1);
		uint8_t *last = fg_ptr(&d.g, FG_RAM_GPA + FG_RAM_SIZE - PG);
		struct fake_buf bufs[2] = {
			{gpa, PG, true},
			{bad[i][0], (uint32_t)bad[i][1], true},
		};
		struct fg_log_capture cap;
		uint32_t id, len;

		memset(last, 0x55, PG);
		fg_log_capture_start(&cap);
		fvq_add(&d.vqs[3], bufs, 2);
		fdev_kick(&d, 3);
		assert_true(fdev_wait_status(&d, STATUS_NEEDS_RESET, 2000));
		fg_log_capture_stop(&cap, "virtio-balloon");
		assert_false(fvq_get_used(&d.vqs[3], &id, &len));
		assert_true(filled(fg_ptr(&d.g, gpa), PG, 0xaa));
		assert_true(filled(last, PG, 0x55));
		assert_int_equal(virtio_balloon_discarded(b), 0);
		fdev_stop(&d);
	}
}

/* Inflate: PFNs inside RAM are discarded, the rest ignored; a trailing
 * partial PFN is ignored. Deflate returns its chain. */
static void test_inflate_and_deflate(void **state)
{
	struct fake_dev d;
	struct virtio_device *b = start(&d, 4, F_STATS | F_REPORTING);
	uint64_t gpa = pages(&d, 4);
	uint8_t *p = fg_ptr(&d.g, gpa);
	uint64_t arr = fg_alloc(&d.g, 64, 8);
	uint32_t pfn0 = (uint32_t)(gpa / PG);
	const uint32_t pfns[] = {
		pfn0,
		0,					     /* below RAM */
		(uint32_t)((FG_RAM_GPA + FG_RAM_SIZE) / PG), /* just past */
		UINT32_MAX,
		pfn0 + 1,
		pfn0 + 3,
	};
	uint8_t tail[2] = {(uint8_t)(pfn0 + 2), 0};
	struct fake_buf buf = {arr, sizeof(pfns) + 2, false};
	uint32_t id, len;

	memcpy(fg_ptr(&d.g, arr), pfns, sizeof(pfns));
	memcpy(fg_ptr(&d.g, arr + sizeof(pfns)), tail, sizeof(tail));
	fvq_add(&d.vqs[0], &buf, 1);
	fdev_kick(&d, 0);
	assert_true(fvq_wait_used(&d.vqs[0], &id, &len, 2000));
	assert_true(filled(p, 2 * PG, 0));
	assert_true(filled(p + 2 * PG, PG, 0xaa));
	assert_true(filled(p + 3 * PG, PG, 0));
	assert_int_equal(virtio_balloon_discarded(b), 3 * PG);

	fvq_add(&d.vqs[1], &buf, 1);
	fdev_kick(&d, 1);
	assert_true(fvq_wait_used(&d.vqs[1], &id, &len, 2000));
	assert_int_equal(virtio_balloon_discarded(b), 3 * PG);
	fdev_stop(&d);
}

static void put_stat(uint8_t *p, uint16_t tag, uint64_t val)
{
	memcpy(p, &tag, 2);
	memcpy(p + 2, &val, 8);
}

static bool wait_updates(struct virtio_device *b, uint64_t n,
			 struct virtio_balloon_stats *st)
{
	struct timespec ts = {0, 1000000};

	for (int i = 0; i < 2000; i++) {
		virtio_balloon_get_stats(b, st);
		if (st->updates >= n)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* The statistics buffer is kept (no used entry) and its values stored;
 * unknown tags and a trailing partial entry are ignored. A second buffer
 * returns the first. */
static void test_stats_kept(void **state)
{
	struct fake_dev d;
	struct virtio_device *b = start(&d, 4, F_STATS | F_REPORTING);
	uint64_t s1 = fg_alloc(&d.g, 64, 8), s2 = fg_alloc(&d.g, 64, 8);
	struct fake_buf buf1 = {s1, 33, false}, buf2 = {s2, 10, false};
	struct virtio_balloon_stats st;
	uint32_t id, len;
	uint16_t head1;

	put_stat(fg_ptr(&d.g, s1), VIRTIO_BALLOON_S_MEMFREE, 1000);
	put_stat(fg_ptr(&d.g, s1 + 10), VIRTIO_BALLOON_S_MEMTOT, 2000);
	put_stat(fg_ptr(&d.g, s1 + 20), 99, 7);
	head1 = fvq_add(&d.vqs[2], &buf1, 1);
	fdev_kick(&d, 2);
	assert_true(wait_updates(b, 1, &st));
	assert_int_equal(st.valid, (1u << VIRTIO_BALLOON_S_MEMFREE) |
					   (1u << VIRTIO_BALLOON_S_MEMTOT));
	assert_int_equal(st.vals[VIRTIO_BALLOON_S_MEMFREE], 1000);
	assert_int_equal(st.vals[VIRTIO_BALLOON_S_MEMTOT], 2000);
	assert_false(fvq_get_used(&d.vqs[2], &id, &len));

	put_stat(fg_ptr(&d.g, s2), VIRTIO_BALLOON_S_MEMFREE, 500);
	fvq_add(&d.vqs[2], &buf2, 1);
	fdev_kick(&d, 2);
	assert_true(fvq_wait_used(&d.vqs[2], &id, &len, 2000));
	assert_int_equal(id, head1);
	assert_true(wait_updates(b, 2, &st));
	assert_int_equal(st.vals[VIRTIO_BALLOON_S_MEMFREE], 500);
	assert_int_equal(st.vals[VIRTIO_BALLOON_S_MEMTOT], 2000);
	fdev_stop(&d);
}

/* A looping chain on the reporting queue: NEEDS_RESET, nothing discarded
 * (the helper checks the good block stays as it was). */
static void test_malformed_chain_needs_reset(void **state)
{
	struct fake_dev d;
	struct virtio_device *b = start(&d, 4, F_STATS | F_REPORTING);
	struct fake_buf good = {fg_alloc(&d.g, PG, PG), PG, true};

	fdev_check_malformed_policy(&d, 3, "balloon", &good, 1);
	assert_int_equal(virtio_balloon_discarded(b), 0);
	fdev_wr(&d, 0x070, 0);
	assert_int_equal(fdev_rd(&d, 0x070), 0);
	fdev_stop(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_and_config),
		cmocka_unit_test(test_report_discards),
		cmocka_unit_test(test_reporting_queue_without_stats),
		cmocka_unit_test(test_report_outside_ram),
		cmocka_unit_test(test_inflate_and_deflate),
		cmocka_unit_test(test_stats_kept),
		cmocka_unit_test(test_malformed_chain_needs_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
