// SPDX-License-Identifier: Apache-2.0
/*
 * Placement of shared memory windows (vm_shm_place(), hw/kvm/vm_shm.c):
 * above RAM and 4 GiB, on 1 GiB boundaries, one after another, and never
 * past the guest's physical address width.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hw/kvm/vm.h"
#include "hw/x86/layout.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static uint64_t place(uint64_t ram, uint64_t next, uint64_t size,
		      unsigned int bits, int expect)
{
	struct krun_err *err = NULL;
	uint64_t gpa = 0;

	assert_int_equal(vm_shm_place(ram, next, size, bits, &gpa, &err),
			 expect);
	krun_err_free(&err);
	return gpa;
}

static void test_above_ram(void **state)
{
	(void)state;
	/* Small RAM: all below the gap, the window starts at 4 GiB. */
	assert_int_equal(place(512 * MiB, 0, 64 * MiB, 40, 0), 4 * GiB);
	/* RAM reaching 3 GiB exactly: still 4 GiB. */
	assert_int_equal(place(3 * GiB, 0, 2 * MiB, 40, 0), 4 * GiB);
	/* 4.5 GiB of RAM: 1.5 GiB above 4 GiB, end 5.5 GiB -> 6 GiB. */
	assert_int_equal(place(4 * GiB + 512 * MiB, 0, 2 * MiB, 40, 0),
			 6 * GiB);
	/* 5 GiB of RAM: high RAM ends at 6 GiB exactly. */
	assert_int_equal(place(5 * GiB, 0, 2 * MiB, 40, 0), 6 * GiB);
	/* The next window after one that ended at 4 GiB + 64 MiB. */
	assert_int_equal(place(512 * MiB, 4 * GiB + 64 * MiB, 2 * MiB, 40, 0),
			 5 * GiB);
	assert_int_equal(place(512 * MiB, 5 * GiB, 2 * MiB, 40, 0), 5 * GiB);
}

static void test_address_width(void **state)
{
	(void)state;
	/* 36 bits = 64 GiB: a 60 GiB window fits, a 61 GiB one does not. */
	assert_int_equal(place(512 * MiB, 0, 60 * GiB, 36, 0), 4 * GiB);
	place(512 * MiB, 0, 60 * GiB + 2 * MiB, 36, -ENOSPC);
	/* Placed past the limit, or the rounding would wrap. */
	place(512 * MiB, 64 * GiB, 2 * MiB, 36, -ENOSPC);
	place(512 * MiB, UINT64_MAX - 4095, 2 * MiB, 64, -ENOSPC);
	place(512 * MiB, 0, UINT64_MAX, 64, -ENOSPC);
	place(512 * MiB, 0, 0, 40, -ENOSPC);
	/* A nonsense width. */
	place(512 * MiB, 0, 2 * MiB, 20, -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_above_ram),
		cmocka_unit_test(test_address_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
