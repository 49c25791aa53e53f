// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/queue.h"

struct fixture {
	struct fake_guest g;
	struct fake_vq fq;
	struct virtqueue vq;
	struct vq_elem elem;
};

static int make_queue(struct fixture *f, uint16_t size, bool event_idx)
{
	fg_init(&f->g);
	fvq_init(&f->fq, &f->g, size);
	f->vq = (struct virtqueue){
		.gm = &f->g.gm,
		.size = size,
		.event_idx = event_idx,
		.desc_gpa = f->fq.desc,
		.avail_gpa = f->fq.avail,
		.used_gpa = f->fq.used,
	};
	return vq_activate(&f->vq, NULL);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(make_queue(f, 8, false), 0);
	*state = f;
	return 0;
}

static int setup_event_idx(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(make_queue(f, 8, true), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fg_fini(&f->g);
	free(f);
	return 0;
}

static int pop(struct fixture *f)
{
	struct krun_err *err = NULL;
	int ret = vq_pop(&f->vq, &f->elem, &err);

	if (ret < 0)
		assert_true(strlen(krun_err_msg(err)) > 0);
	krun_err_free(&err);
	return ret;
}

static void test_empty_ring(void **state)
{
	struct fixture *f = *state;

	assert_false(vq_has_avail(&f->vq));
	assert_int_equal(pop(f), 0);
}

static void test_simple_chain(void **state)
{
	struct fixture *f = *state;
	uint64_t a = fg_alloc(&f->g, 16, 8), b = fg_alloc(&f->g, 32, 8);
	struct fake_buf bufs[] = {{a, 16, false}, {b, 32, true}};
	uint32_t id, len;
	uint16_t head;

	memcpy(fg_ptr(&f->g, a), "0123456789abcdef", 16);
	head = fvq_add(&f->fq, bufs, 2);
	assert_true(vq_has_avail(&f->vq));
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->elem.head, head);
	assert_int_equal(f->elem.n_out, 1);
	assert_int_equal(f->elem.n_in, 1);
	assert_int_equal(f->elem.out_len, 16);
	assert_int_equal(f->elem.in_len, 32);
	assert_ptr_equal(f->elem.out[0].iov_base, fg_ptr(&f->g, a));
	assert_ptr_equal(f->elem.in[0].iov_base, fg_ptr(&f->g, b));
	assert_false(vq_has_avail(&f->vq));
	assert_int_equal(vq_push(&f->vq, f->elem.head, 7), 0);
	assert_true(fvq_get_used(&f->fq, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 7);
	assert_false(fvq_get_used(&f->fq, &id, &len));
}

static void test_loop_is_caught(void **state)
{
	struct fixture *f = *state;
	uint64_t a = fg_alloc(&f->g, 16, 8);
	uint32_t id, len;

	fvq_set_desc(&f->fq, 0, a, 16, FD_NEXT, 1);
	fvq_set_desc(&f->fq, 1, a, 16, FD_NEXT, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -ELOOP);
	assert_int_equal(f->elem.head, 0);
	/* A bad chain is handed back with zero bytes written. */
	assert_int_equal(vq_push(&f->vq, f->elem.head, 0), 0);
	assert_true(fvq_get_used(&f->fq, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
}

static void test_self_loop_is_caught(void **state)
{
	struct fixture *f = *state;
	uint64_t a = fg_alloc(&f->g, 16, 8);

	fvq_set_desc(&f->fq, 3, a, 16, FD_NEXT, 3);
	fvq_publish(&f->fq, 3);
	assert_int_equal(pop(f), -ELOOP);
	assert_int_equal(f->elem.head, 3);
}

static void test_full_length_chain_ok(void **state)
{
	struct fixture *f = *state;
	uint64_t a = fg_alloc(&f->g, 64, 8);

	for (uint16_t i = 0; i < 8; i++)
		fvq_set_desc(&f->fq, i, a, 8, i < 7 ? FD_NEXT : 0, i + 1);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->elem.n_out, 8);
	assert_int_equal(f->elem.out_len, 64);
}

static void test_buffer_outside_ram(void **state)
{
	struct fixture *f = *state;

	fvq_set_desc(&f->fq, 0, FG_RAM_GPA + FG_RAM_SIZE - 8, 16, 0, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EFAULT);
	fvq_set_desc(&f->fq, 1, 0x1000, 16, 0, 0);
	fvq_publish(&f->fq, 1);
	assert_int_equal(pop(f), -EFAULT);
	fvq_set_desc(&f->fq, 2, UINT64_MAX - 4, 16, FD_WRITE, 0);
	fvq_publish(&f->fq, 2);
	assert_int_equal(pop(f), -EFAULT);
	assert_int_equal(f->elem.head, 2);
}

static void test_next_out_of_range(void **state)
{
	struct fixture *f = *state;
	uint64_t a = fg_alloc(&f->g, 16, 8);

	fvq_set_desc(&f->fq, 0, a, 16, FD_NEXT, 8);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EINVAL);
	assert_int_equal(f->elem.head, 0);
}

static void test_readable_after_writable(void **state)
{
	struct fixture *f = *state;
	uint64_t a = fg_alloc(&f->g, 16, 8);

	fvq_set_desc(&f->fq, 0, a, 16, FD_WRITE | FD_NEXT, 1);
	fvq_set_desc(&f->fq, 1, a, 16, 0, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EINVAL);
}

static void test_zero_length_skipped(void **state)
{
	struct fixture *f = *state;
	uint64_t a = fg_alloc(&f->g, 16, 8);

	/* A zero-length buffer (even at an unmapped address) carries no
	 * data: it is skipped, but still counts in the direction order. */
	fvq_set_desc(&f->fq, 0, 0, 0, FD_NEXT, 1);
	fvq_set_desc(&f->fq, 1, a, 16, FD_WRITE, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->elem.n_out, 0);
	assert_int_equal(f->elem.n_in, 1);
	fvq_set_desc(&f->fq, 2, 0, 0, FD_WRITE | FD_NEXT, 3);
	fvq_set_desc(&f->fq, 3, a, 16, 0, 0);
	fvq_publish(&f->fq, 2);
	assert_int_equal(pop(f), -EINVAL);
}

static void test_total_length_overflow(void **state)
{
	struct fixture *f = *state;
	uint64_t big = 3ull << 30, gpa = 1ull << 40;
	void *host = mmap(NULL, big, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	assert_true(host != MAP_FAILED);
	assert_int_equal(gm_add_region(&f->g.gm, gpa, big, host, NULL), 0);
	fvq_set_desc(&f->fq, 0, gpa, (uint32_t)(big - 1), FD_NEXT, 1);
	fvq_set_desc(&f->fq, 1, gpa, (uint32_t)(big - 1), FD_WRITE, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EOVERFLOW);
	munmap(host, big);
}

static void test_corrupt_avail_idx(void **state)
{
	struct fixture *f = *state;
	uint16_t *idx = fg_ptr(&f->g, f->fq.avail + 2);

	*idx = 9; /* 9 entries ahead of a ring of 8 */
	assert_int_equal(pop(f), -EIO);
	assert_int_equal(f->elem.head, UINT16_MAX);
}

static void test_head_out_of_range(void **state)
{
	struct fixture *f = *state;

	fvq_publish(&f->fq, 200);
	assert_int_equal(pop(f), -EIO);
	assert_int_equal(f->elem.head, UINT16_MAX);
	assert_int_equal(vq_push(&f->vq, 200, 0), -EINVAL);
}

static void test_indirect(void **state)
{
	struct fixture *f = *state;
	uint64_t table = fg_alloc(&f->g, 48, 16), a = fg_alloc(&f->g, 64, 8);
	struct fake_vq t = f->fq;

	t.desc = table; /* write descriptors into the table */
	fvq_set_desc(&t, 0, a, 16, FD_NEXT, 2);
	fvq_set_desc(&t, 2, a + 16, 8, FD_NEXT | FD_WRITE, 1);
	fvq_set_desc(&t, 1, a + 32, 32, FD_WRITE, 0);
	fvq_set_desc(&f->fq, 5, table, 48, FD_INDIRECT, 0);
	fvq_publish(&f->fq, 5);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->elem.head, 5);
	assert_int_equal(f->elem.n_out, 1);
	assert_int_equal(f->elem.n_in, 2);
	assert_int_equal(f->elem.out_len, 16);
	assert_int_equal(f->elem.in_len, 40);
	assert_ptr_equal(f->elem.in[1].iov_base, fg_ptr(&f->g, a + 32));
}

static void test_bad_indirect(void **state)
{
	struct fixture *f = *state;
	uint64_t table = fg_alloc(&f->g, 64, 16), a = fg_alloc(&f->g, 16, 8);
	struct fake_vq t = f->fq;

	t.desc = table;
	/* length not a multiple of 16 */
	fvq_set_desc(&f->fq, 0, table, 20, FD_INDIRECT, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EINVAL);
	/* table outside RAM */
	fvq_set_desc(&f->fq, 0, FG_RAM_GPA + FG_RAM_SIZE - 16, 32, FD_INDIRECT,
		     0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EFAULT);
	/* INDIRECT together with NEXT */
	fvq_set_desc(&f->fq, 0, table, 32, FD_INDIRECT | FD_NEXT, 1);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EINVAL);
	/* nested indirect */
	fvq_set_desc(&t, 0, table, 32, FD_INDIRECT, 0);
	fvq_set_desc(&f->fq, 0, table, 32, FD_INDIRECT, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EINVAL);
	/* loop inside the table */
	fvq_set_desc(&t, 0, a, 16, FD_NEXT, 1);
	fvq_set_desc(&t, 1, a, 16, FD_NEXT, 0);
	fvq_set_desc(&f->fq, 0, table, 32, FD_INDIRECT, 0);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -ELOOP);
	/* next past the table's end */
	fvq_set_desc(&t, 1, a, 16, FD_NEXT, 2);
	fvq_publish(&f->fq, 0);
	assert_int_equal(pop(f), -EINVAL);
	/* indirect after a direct descriptor */
	fvq_set_desc(&f->fq, 1, a, 16, FD_NEXT, 2);
	fvq_set_desc(&f->fq, 2, table, 32, FD_INDIRECT, 0);
	fvq_publish(&f->fq, 1);
	assert_int_equal(pop(f), -EINVAL);
	assert_int_equal(f->elem.head, 1);
}

static void push_one(struct fixture *f)
{
	uint64_t a = fg_alloc(&f->g, 8, 8);
	struct fake_buf b = {a, 8, true};

	fvq_add(&f->fq, &b, 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(vq_push(&f->vq, f->elem.head, 8), 0);
}

static void test_no_interrupt_flag(void **state)
{
	struct fixture *f = *state;

	assert_false(vq_needs_interrupt(&f->vq)); /* nothing pushed */
	push_one(f);
	assert_true(vq_needs_interrupt(&f->vq));
	assert_false(vq_needs_interrupt(&f->vq)); /* nothing new */
	fvq_set_avail_flags(&f->fq, 1);
	push_one(f);
	assert_false(vq_needs_interrupt(&f->vq));
	fvq_set_avail_flags(&f->fq, 0);
	push_one(f);
	assert_true(vq_needs_interrupt(&f->vq));
}

static void test_event_idx_interrupts(void **state)
{
	struct fixture *f = *state;

	push_one(f);				 /* used idx 1 */
	assert_true(vq_needs_interrupt(&f->vq)); /* first one always */
	fvq_set_used_event(&f->fq, 2); /* interrupt when idx passes 2 */
	push_one(f);		       /* used idx 2 */
	assert_false(vq_needs_interrupt(&f->vq));
	push_one(f); /* used idx 3: entry 2 pushed */
	assert_true(vq_needs_interrupt(&f->vq));
	fvq_set_used_event(&f->fq, 10);
	push_one(f);
	push_one(f);
	assert_false(vq_needs_interrupt(&f->vq));
	/* The flag is ignored with EVENT_IDX. */
	fvq_set_avail_flags(&f->fq, 1);
	fvq_set_used_event(&f->fq, 5);
	push_one(f); /* idx 6 passes 5 */
	assert_true(vq_needs_interrupt(&f->vq));
}

static void test_event_idx_avail_event(void **state)
{
	struct fixture *f = *state;

	push_one(f);
	assert_int_equal(fvq_avail_event(&f->fq), 1);
	vq_set_notification(&f->vq, false);
	push_one(f);
	assert_int_equal(fvq_avail_event(&f->fq), 1);
	vq_set_notification(&f->vq, true);
	assert_int_equal(fvq_avail_event(&f->fq), 2);
	assert_int_equal(fvq_used_flags(&f->fq), 0);
}

static void test_used_flags_notification(void **state)
{
	struct fixture *f = *state;

	vq_set_notification(&f->vq, false);
	assert_int_equal(fvq_used_flags(&f->fq), 1);
	vq_set_notification(&f->vq, true);
	assert_int_equal(fvq_used_flags(&f->fq), 0);
}

static void test_activate_checks(void **state)
{
	struct fixture *f = *state;
	struct virtqueue vq = f->vq;

	vq.size = 6;
	assert_int_equal(vq_activate(&vq, NULL), -EINVAL);
	vq.size = 2048;
	assert_int_equal(vq_activate(&vq, NULL), -EINVAL);
	vq = f->vq;
	vq.desc_gpa += 8;
	assert_int_equal(vq_activate(&vq, NULL), -EINVAL);
	vq = f->vq;
	vq.used_gpa += 2;
	assert_int_equal(vq_activate(&vq, NULL), -EINVAL);
	vq = f->vq;
	vq.used_gpa = FG_RAM_GPA + FG_RAM_SIZE - 16;
	assert_int_equal(vq_activate(&vq, NULL), -EFAULT);
	vq = f->vq;
	vq.avail_gpa = 0;
	assert_int_equal(vq_activate(&vq, NULL), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_ring, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_simple_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loop_is_caught, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_self_loop_is_caught, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_length_chain_ok,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_outside_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_next_out_of_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_readable_after_writable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_total_length_overflow,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_avail_idx, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_head_out_of_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_event_idx_interrupts,
						setup_event_idx, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx_avail_event,
						setup_event_idx, teardown),
		cmocka_unit_test_setup_teardown(test_used_flags_notification,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_activate_checks, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
