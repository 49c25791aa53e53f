// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/kvm/guest_mem.h"

static uint8_t low[0x2000], high[0x1000];

static void setup_two(struct guest_mem *gm)
{
	memset(gm, 0, sizeof(*gm));
	assert_int_equal(gm_add_region(gm, 0, sizeof(low), low, NULL), 0);
	assert_int_equal(gm_add_region(gm, 0x10000, sizeof(high), high, NULL),
			 0);
}

static void overlaps_and_bad_regions_rejected(void **state)
{
	struct guest_mem gm;
	struct krun_err *err = NULL;

	setup_two(&gm);
	assert_int_equal(gm_add_region(&gm, 0x1fff, 0x10, high, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "overlaps"));
	krun_err_free(&err);
	assert_int_equal(gm_add_region(&gm, 0xf000, 0x1001, high, NULL),
			 -EEXIST);
	assert_int_equal(gm_add_region(&gm, 0x5000, 0, high, NULL), -EINVAL);
	assert_int_equal(gm_add_region(&gm, UINT64_MAX - 10, 0x100, high, NULL),
			 -EINVAL);
	assert_int_equal(gm_add_region(&gm, 0x5000, 0x10, NULL, NULL), -EINVAL);
	/* Adjacent is fine; then the table fills up. */
	assert_int_equal(gm_add_region(&gm, 0x2000, 0x10, high, NULL), 0);
	assert_int_equal(gm_add_region(&gm, 0x3000, 0x10, high, NULL), 0);
	assert_int_equal(gm_add_region(&gm, 0x4000, 0x10, high, NULL), -ENOSPC);
	assert_int_equal(gm_total_size(&gm), 0x2000 + 0x1000 + 0x20);
}

static void slices_at_edges(void **state)
{
	struct guest_mem gm;

	setup_two(&gm);
	assert_ptr_equal(gm_slice(&gm, 0, 1), low);
	assert_ptr_equal(gm_slice(&gm, 0x1fff, 1), low + 0x1fff);
	assert_ptr_equal(gm_slice(&gm, 0, sizeof(low)), low);
	assert_null(gm_slice(&gm, 0x1fff, 2)); /* crosses the end */
	assert_null(gm_slice(&gm, 0x2000, 1)); /* hole */
	assert_null(gm_slice(&gm, 0xffff, 2)); /* crosses the start */
	assert_ptr_equal(gm_slice(&gm, 0x10fff, 1), high + 0xfff);
	assert_null(gm_slice(&gm, 0x11000, 1));
	assert_null(gm_slice(&gm, 0, 0));	      /* empty */
	assert_null(gm_slice(&gm, 0x10, UINT64_MAX)); /* overflow */
	assert_null(gm_slice(&gm, UINT64_MAX, 2));
}

static void read_write(void **state)
{
	struct guest_mem gm;
	uint8_t buf[4] = {1, 2, 3, 4}, out[4];

	setup_two(&gm);
	assert_int_equal(gm_write(&gm, 0x10ffc, buf, 4), 0);
	assert_int_equal(gm_read(&gm, 0x10ffc, out, 4), 0);
	assert_memory_equal(buf, out, 4);
	assert_int_equal(gm_write(&gm, 0x10ffd, buf, 4), -EFAULT);
	assert_int_equal(gm_read(&gm, 0x1ffe, out, 4), -EFAULT);
	assert_int_equal(gm_read(&gm, 0x5000, out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overlaps_and_bad_regions_rejected),
		cmocka_unit_test(slices_at_edges),
		cmocka_unit_test(read_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
