// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

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

static bool filled(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* A region of 4 pages between two guard pages that are VMM memory. */
static void discard_whole_pages_inside_one_region(void **state)
{
	const size_t pg = 4096;
	uint8_t *map = mmap(NULL, 6 * pg, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ram = map + pg;
	struct guest_mem gm = {0};

	assert_ptr_not_equal(map, MAP_FAILED);
	memset(map, 0xaa, 6 * pg);
	assert_int_equal(gm_add_region(&gm, 0x100000, 4 * pg, ram, NULL), 0);
	/* Outside, straddling an edge, wrapping, empty: refused. */
	assert_int_equal(gm_discard(&gm, map, pg), -EFAULT);
	assert_int_equal(gm_discard(&gm, ram - 1, 2), -EFAULT);
	assert_int_equal(gm_discard(&gm, ram + 3 * pg, pg + 1), -EFAULT);
	assert_int_equal(gm_discard(&gm, ram + pg, UINT64_MAX), -EFAULT);
	assert_int_equal(gm_discard(&gm, ram + pg, 0), -EFAULT);
	assert_true(filled(map, 6 * pg, 0xaa));
	/* Less than a whole page: nothing. */
	assert_int_equal(gm_discard(&gm, ram + 1, pg), 0);
	assert_true(filled(map, 6 * pg, 0xaa));
	/* Pages 1 and 2 only; the partly covered 0 and 3 stay. */
	assert_int_equal(gm_discard(&gm, ram + 100, 3 * pg), 2 * pg);
	assert_true(filled(map, 2 * pg, 0xaa));
	assert_true(filled(ram + pg, 2 * pg, 0));
	assert_true(filled(ram + 3 * pg, 2 * pg, 0xaa));
	/* The whole region, and not a byte of the guards. */
	assert_int_equal(gm_discard(&gm, ram, 4 * pg), 4 * pg);
	assert_true(filled(ram, 4 * pg, 0));
	assert_true(filled(map, pg, 0xaa));
	assert_true(filled(ram + 4 * pg, pg, 0xaa));
	munmap(map, 6 * pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overlaps_and_bad_regions_rejected),
		cmocka_unit_test(slices_at_edges),
		cmocka_unit_test(read_write),
		cmocka_unit_test(discard_whole_pages_inside_one_region),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
