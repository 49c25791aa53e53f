// SPDX-License-Identifier: Apache-2.0
/* The malformed-chain policy and the completion/signal pair of
 * virtio/dev_queue.c, driven from the test thread against the real
 * transport and fake guest memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/dev_queue.h"
#include "virtio/mmio.h"

#define QSIZE 8
#define NEEDS_RESET 0x40u
#define ISR_VRING 1u

/* A device without a worker: the test serves its queues itself. */
struct pdev {
	struct virtio_device vdev;
	struct virtqueue *queues;
	const int *notify_fds;
};

static uint64_t p_features(struct virtio_device *dev)
{
	return 0;
}

static int p_activate(struct virtio_device *dev, uint64_t features,
		      struct virtqueue *queues, const int *notify_fds,
		      struct krun_err **err)
{
	struct pdev *p = dev->priv;

	p->queues = queues;
	p->notify_fds = notify_fds;
	return 0;
}

static void p_reset(struct virtio_device *dev)
{
}

static void p_destroy(struct virtio_device *dev)
{
	free(dev->priv);
}

static const struct virtio_dev_ops p_ops = {
	.name = "ptest",
	.device_id = 42,
	.num_queues = 2,
	.queue_max_size = QSIZE,
	.features = p_features,
	.activate = p_activate,
	.reset = p_reset,
	.destroy = p_destroy,
};

struct fx {
	struct fake_dev d;
	struct pdev *p;
	struct dev_queue q[2];
	struct vq_elem elem;
	uint64_t buf; /* 64 bytes of guest RAM for descriptors to point at */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->p = calloc(1, sizeof(*f->p));
	f->p->vdev.ops = &p_ops;
	f->p->vdev.priv = f->p;
	assert_int_equal(fdev_start(&f->d, &f->p->vdev, 2, QSIZE, 0), 0xf);
	for (unsigned int i = 0; i < 2; i++) {
		devq_init(&f->q[i], &f->p->vdev, i);
		devq_attach(&f->q[i], &f->p->queues[i], f->p->notify_fds[i]);
	}
	f->buf = fg_alloc(&f->d.g, 64, 8);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fdev_stop(&f->d);
	free(f);
	return 0;
}

/* Publish a good one-buffer chain on queue 0; returns its head. */
static uint16_t add_good(struct fx *f)
{
	struct fake_buf b = {f->buf, 16, true};

	return fvq_add(&f->d.vqs[0], &b, 1);
}

/* Ways to break a chain; each publishes one bad chain on queue 0. */
static void bad_index(struct fx *f, struct fake_vq *q)
{
	fvq_set_desc(q, 6, f->buf, 8, FD_NEXT, QSIZE);
	fvq_publish(q, 6);
}

static void bad_loop(struct fx *f, struct fake_vq *q)
{
	fvq_set_desc(q, 6, f->buf, 8, FD_NEXT, 7);
	fvq_set_desc(q, 7, f->buf, 8, FD_NEXT, 6);
	fvq_publish(q, 6);
}

static void bad_outside_ram(struct fx *f, struct fake_vq *q)
{
	fvq_set_desc(q, 6, FG_RAM_GPA + FG_RAM_SIZE - 4, 8, 0, 0);
	fvq_publish(q, 6);
}

static void bad_order(struct fx *f, struct fake_vq *q)
{
	fvq_set_desc(q, 6, f->buf, 8, FD_WRITE | FD_NEXT, 7);
	fvq_set_desc(q, 7, f->buf + 8, 8, 0, 0);
	fvq_publish(q, 6);
}

static void bad_head(struct fx *f, struct fake_vq *q)
{
	fvq_publish(q, QSIZE + 3);
}

/*
 * One good chain completed (not yet signalled), then a bad one, then a
 * good one: the pop of the bad chain signals the completion, sets
 * NEEDS_RESET and logs one line; afterwards the ring is never touched.
 */
static void check_policy(struct fx *f,
			 void (*make_bad)(struct fx *f, struct fake_vq *q))
{
	struct fake_vq *fq = &f->d.vqs[0];
	size_t used_len = 6 + 8 * QSIZE;
	uint8_t used_copy[6 + 8 * QSIZE];
	struct fg_log_capture cap;
	uint16_t last_avail;
	uint32_t id, len;

	assert_int_equal(fdev_rd(&f->d, 0x060), 0);
	add_good(f);
	assert_true(devq_pop(&f->q[0], &f->elem));
	devq_complete(&f->q[0], f->elem.head, 5);
	make_bad(f, fq);
	add_good(f);
	fg_log_capture_start(&cap);
	assert_false(devq_pop(&f->q[0], &f->elem));
	assert_int_equal(fg_log_capture_stop(&cap, "virtio-ptest: queue 0: "
						   "malformed chain"),
			 1);
	assert_true(fdev_rd(&f->d, 0x070) & NEEDS_RESET);
	assert_true(fdev_rd(&f->d, 0x060) & ISR_VRING);
	assert_true(fvq_get_used(fq, &id, &len));
	assert_int_equal(len, 5);
	assert_false(devq_live(&f->q[0]));

	/* From now on: the avail index moves, the device does not. */
	memcpy(used_copy, fg_ptr(&f->d.g, fq->used), used_len);
	last_avail = f->p->queues[0].last_avail_idx;
	fg_log_capture_start(&cap);
	add_good(f);
	fdev_kick(&f->d, 0);
	assert_false(devq_pop(&f->q[0], &f->elem));
	devq_complete(&f->q[0], 0, 1);
	devq_signal(&f->q[0]);
	assert_int_equal(fg_log_capture_stop(&cap, "virtio-"), 0);
	assert_int_equal(f->p->queues[0].last_avail_idx, last_avail);
	assert_memory_equal(fg_ptr(&f->d.g, fq->used), used_copy, used_len);
	assert_false(fvq_get_used(fq, &id, &len));
}

static void test_index_out_of_range(void **state)
{
	check_policy(*state, bad_index);
}

static void test_loop(void **state)
{
	check_policy(*state, bad_loop);
}

static void test_buffer_outside_ram(void **state)
{
	check_policy(*state, bad_outside_ram);
}

static void test_writable_before_readable(void **state)
{
	check_policy(*state, bad_order);
}

static void test_head_out_of_range(void **state)
{
	check_policy(*state, bad_head);
}

/* Completions of one pass raise one interrupt, at its end. */
static bool serve_one(void *ctx, struct dev_queue *q, struct vq_elem *e,
		      uint32_t *written)
{
	(*(unsigned int *)ctx)++;
	*written = 3;
	return true;
}

static void test_serve_signals_once(void **state)
{
	struct fx *f = *state;
	unsigned int served = 0;
	uint32_t id, len;

	for (int i = 0; i < 3; i++)
		add_good(f);
	devq_serve(&f->q[0], &f->elem, serve_one, &served);
	assert_int_equal(served, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(fvq_get_used(&f->d.vqs[0], &id, &len));
		assert_int_equal(len, 3);
	}
	assert_true(fdev_irq_fired(&f->d));
	assert_false(fdev_irq_fired(&f->d));
	/* An empty pass signals nothing. */
	fdev_wr(&f->d, 0x064, ISR_VRING);
	devq_serve(&f->q[0], &f->elem, serve_one, &served);
	assert_false(fdev_irq_fired(&f->d));
	assert_int_equal(fdev_rd(&f->d, 0x060), 0);
}

/* A second broken queue of the same device within the interval logs
 * nothing; the next line after the interval counts what was dropped. */
static void test_log_rate_limited(void **state)
{
	struct fx *f = *state;
	struct fg_log_capture cap;

	fg_log_capture_start(&cap);
	bad_loop(f, &f->d.vqs[0]);
	bad_loop(f, &f->d.vqs[1]);
	assert_false(devq_pop(&f->q[0], &f->elem));
	assert_false(devq_pop(&f->q[1], &f->elem));
	assert_int_equal(fg_log_capture_stop(&cap, "malformed chain"), 1);
	assert_true(f->q[0].broken && f->q[1].broken);

	/* As if the interval had passed: the line reports the dropped one. */
	f->p->vdev.guest_log.next_ns = 0;
	devq_attach(&f->q[0], &f->p->queues[0], f->p->notify_fds[0]);
	bad_loop(f, &f->d.vqs[0]);
	fg_log_capture_start(&cap);
	assert_false(devq_pop(&f->q[0], &f->elem));
	assert_int_equal(fg_log_capture_stop(&cap, "(1 similar lines "
						   "suppressed)"),
			 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index_out_of_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_outside_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_writable_before_readable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_out_of_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_serve_signals_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_rate_limited, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
