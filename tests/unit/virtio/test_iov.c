// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "virtio/iov.h"

/* Three buffers of 3, 0 and 5 bytes, each followed by a guard byte. */
struct fx {
	char mem[16];
	struct iovec iov[3];
};

static void fx_init(struct fx *f)
{
	memset(f->mem, '#', sizeof(f->mem));
	f->iov[0] = (struct iovec){&f->mem[0], 3};
	f->iov[1] = (struct iovec){&f->mem[4], 0};
	f->iov[2] = (struct iovec){&f->mem[5], 5};
}

static void test_length(void **state)
{
	struct fx f;
	struct iovec huge[2] = {{NULL, SSIZE_MAX}, {NULL, 1}};

	fx_init(&f);
	assert_int_equal(iov_length(f.iov, 3), 8);
	assert_int_equal(iov_length(f.iov, 0), 0);
	assert_int_equal(iov_length(huge, 1), SSIZE_MAX);
	assert_int_equal(iov_length(huge, 2), -EOVERFLOW);
}

static void test_from_buf(void **state)
{
	struct fx f;

	fx_init(&f);
	/* Straddles the zero-length entry; guards stay untouched. */
	assert_int_equal(iov_from_buf(f.iov, 3, 2, "abcd", 4), 4);
	assert_memory_equal(f.mem, "##a##bcd###", 11);
	/* Runs out of iovecs: only what fits is written. */
	assert_int_equal(iov_from_buf(f.iov, 3, 6, "wxyz", 4), 2);
	assert_memory_equal(&f.mem[8], "wx#", 3);
	/* Offsets at and past the end copy nothing. */
	assert_int_equal(iov_from_buf(f.iov, 3, 8, "q", 1), 0);
	assert_int_equal(iov_from_buf(f.iov, 3, 100, "q", 1), 0);
	assert_int_equal(iov_from_buf(f.iov, 0, 0, "q", 1), 0);
	assert_int_equal(iov_from_buf(f.iov, 3, 0, "q", 0), 0);
	assert_int_equal(f.mem[11], '#');
}

static void test_to_buf(void **state)
{
	char out[12];
	struct fx f;

	fx_init(&f);
	memcpy(f.mem, "abc#.defgh#", 11);
	memset(out, 0, sizeof(out));
	assert_int_equal(iov_to_buf(f.iov, 3, 0, out, sizeof(out)), 8);
	assert_memory_equal(out, "abcdefgh", 8);
	assert_int_equal(out[8], 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(iov_to_buf(f.iov, 3, 3, out, 2), 2);
	assert_memory_equal(out, "de", 2);
	assert_int_equal(iov_to_buf(f.iov, 3, 8, out, 1), 0);
	assert_int_equal(iov_to_buf(f.iov, 3, SIZE_MAX, out, 0), 0);
}

static void test_overflow(void **state)
{
	char out[4];
	struct fx f;

	fx_init(&f);
	assert_int_equal(iov_to_buf(f.iov, 3, SIZE_MAX, out, 1), -EOVERFLOW);
	assert_int_equal(iov_from_buf(f.iov, 3, SIZE_MAX - 1, "ab", 2),
			 -EOVERFLOW);
	assert_int_equal(iov_to_buf(f.iov, 3, 0, out, (size_t)SSIZE_MAX + 1),
			 -EOVERFLOW);
	assert_memory_equal(f.mem, "################", 16);
}

static void test_slice(void **state)
{
	struct iovec dst[4];
	struct fx f;
	size_t got;

	fx_init(&f);
	assert_int_equal(iov_slice(f.iov, 3, 1, 4, dst, 4, &got), 2);
	assert_int_equal(got, 4);
	assert_ptr_equal(dst[0].iov_base, &f.mem[1]);
	assert_int_equal(dst[0].iov_len, 2);
	assert_ptr_equal(dst[1].iov_base, &f.mem[5]);
	assert_int_equal(dst[1].iov_len, 2);
	/* Longer than the iovecs: covers what there is. */
	assert_int_equal(iov_slice(f.iov, 3, 6, 100, dst, 4, &got), 1);
	assert_int_equal(got, 2);
	assert_int_equal(dst[0].iov_len, 2);
	/* dst too small: stops at max entries. */
	assert_int_equal(iov_slice(f.iov, 3, 0, 8, dst, 1, &got), 1);
	assert_int_equal(got, 3);
	/* Past the end, zero length, overflow. */
	assert_int_equal(iov_slice(f.iov, 3, 8, 1, dst, 4, &got), 0);
	assert_int_equal(got, 0);
	assert_int_equal(iov_slice(f.iov, 3, 0, 0, dst, 4, &got), 0);
	assert_int_equal(iov_slice(f.iov, 3, SIZE_MAX, 2, dst, 4, &got),
			 -EOVERFLOW);
	assert_int_equal(got, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length), cmocka_unit_test(test_from_buf),
		cmocka_unit_test(test_to_buf), cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_slice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
