// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/kvm/io_bus.h"

struct probe {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	int calls;
};

static void handler(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		    bool is_write)
{
	struct probe *p = opaque;

	p->offset = offset;
	p->len = len;
	p->is_write = is_write;
	p->calls++;
	if (!is_write)
		memset(data, 0x42, len);
}

static void dispatch_by_range(void **state)
{
	static struct io_bus bus;
	struct probe a = {0}, b = {0};
	uint8_t data[8] = {0};

	memset(&bus, 0, sizeof(bus));
	assert_int_equal(
		io_bus_register(&bus, 0x1000, 0x100, handler, &a, NULL), 0);
	assert_int_equal(io_bus_register(&bus, 0x1100, 0x10, handler, &b, NULL),
			 0);
	assert_true(io_bus_dispatch(&bus, 0x10fc, data, 4, false));
	assert_int_equal(a.offset, 0xfc);
	assert_int_equal(data[3], 0x42);
	assert_true(io_bus_dispatch(&bus, 0x1108, data, 8, true));
	assert_int_equal(b.offset, 8);
	assert_true(b.is_write);
	/* Straddling two ranges, or the end of one: nobody. */
	assert_false(io_bus_dispatch(&bus, 0x10fe, data, 4, false));
	assert_false(io_bus_dispatch(&bus, 0x110c, data, 8, false));
	assert_false(io_bus_dispatch(&bus, 0xfff, data, 1, false));
	assert_false(io_bus_dispatch(&bus, UINT64_MAX, data, 1, false));
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
}

static void registration_errors(void **state)
{
	static struct io_bus bus;
	struct probe a = {0};
	struct krun_err *err = NULL;

	memset(&bus, 0, sizeof(bus));
	assert_int_equal(io_bus_register(&bus, 0x10, 0x10, handler, &a, NULL),
			 0);
	assert_int_equal(io_bus_register(&bus, 0x1f, 1, handler, &a, &err),
			 -EEXIST);
	assert_non_null(strstr(err->msg, "overlaps"));
	krun_err_free(&err);
	assert_int_equal(io_bus_register(&bus, 0x0, 0x11, handler, &a, NULL),
			 -EEXIST);
	assert_int_equal(io_bus_register(&bus, 0x40, 0, handler, &a, NULL),
			 -EINVAL);
	assert_int_equal(io_bus_register(&bus, 0x40, 1, NULL, &a, NULL),
			 -EINVAL);
	assert_int_equal(
		io_bus_register(&bus, UINT64_MAX, 2, handler, &a, NULL),
		-EINVAL);
	for (unsigned int i = 1; i < IO_BUS_MAX_RANGES; i++)
		assert_int_equal(
			io_bus_register(&bus, 0x1000 * i, 1, handler, &a, NULL),
			0);
	assert_int_equal(io_bus_register(&bus, 0x100000, 1, handler, &a, NULL),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dispatch_by_range),
		cmocka_unit_test(registration_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
