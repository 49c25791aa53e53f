// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/mmio.h"
#include "virtio/rng.h"

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_fills_buffers(void **state)
{
	struct fake_dev d;
	struct virtio_device *rng = virtio_rng_create(NULL);
	struct fake_buf b[2];
	uint32_t id, len;
	uint16_t head;

	assert_non_null(rng);
	assert_int_equal(fdev_start(&d, rng, 1, 16, 0), 0xf);
	b[0] = (struct fake_buf){fg_alloc(&d.g, 64, 8), 64, true};
	b[1] = (struct fake_buf){fg_alloc(&d.g, 100, 8), 100, true};
	head = fvq_add(&d.vqs[0], b, 2);
	fdev_kick(&d, 0);
	assert_true(fvq_wait_used(&d.vqs[0], &id, &len, 2000));
	assert_int_equal(id, head);
	assert_int_equal(len, 164);
	assert_false(all_zero(fg_ptr(&d.g, b[0].gpa), 64));
	assert_false(all_zero(fg_ptr(&d.g, b[1].gpa), 100));
	assert_true(fdev_irq_fired(&d));
	fdev_stop(&d);
}

/* A malformed chain: NEEDS_RESET, and nothing more is served. */
static void test_malformed_chain_needs_reset(void **state)
{
	struct fake_dev d;
	struct virtio_device *rng = virtio_rng_create(NULL);
	struct fake_buf b;

	fdev_start(&d, rng, 1, 16, 0);
	b = (struct fake_buf){fg_alloc(&d.g, 32, 8), 32, true};
	fdev_check_malformed_policy(&d, 0, "rng", &b, 1);
	/* reset stops the worker and clears NEEDS_RESET */
	fdev_wr(&d, 0x070, 0);
	assert_int_equal(fdev_rd(&d, 0x070), 0);
	fdev_stop(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fills_buffers),
		cmocka_unit_test(test_malformed_chain_needs_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
