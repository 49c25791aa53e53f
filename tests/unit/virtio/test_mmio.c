// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/mmio.h"

/* A device that records what the transport asks of it. */
struct tdev {
	struct virtio_device vdev;
	int activations, resets, destroyed;
	uint64_t features;
	struct virtqueue *queues;
	uint8_t config[8];
};

static uint64_t t_features(struct virtio_device *dev)
{
	return 1ull << 3;
}

static void t_config_read(struct virtio_device *dev, uint64_t off,
			  uint8_t *data, uint32_t len)
{
	struct tdev *t = dev->priv;

	if (off < sizeof(t->config) && len <= sizeof(t->config) - off)
		memcpy(data, t->config + off, len);
}

static int t_activate(struct virtio_device *dev, uint64_t features,
		      struct virtqueue *queues, const int *notify_fds,
		      struct krun_err **err)
{
	struct tdev *t = dev->priv;

	t->activations++;
	t->features = features;
	t->queues = queues;
	return 0;
}

static void t_reset(struct virtio_device *dev)
{
	((struct tdev *)dev->priv)->resets++;
}

static void t_destroy(struct virtio_device *dev)
{
	((struct tdev *)dev->priv)->destroyed++;
}

static const struct virtio_dev_ops t_ops = {
	.name = "test",
	.device_id = 42,
	.num_queues = 2,
	.queue_max_size = 16,
	.features = t_features,
	.config_read = t_config_read,
	.activate = t_activate,
	.reset = t_reset,
	.destroy = t_destroy,
};

struct fixture {
	struct tdev dev;
	struct fake_dev fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dev.vdev.ops = &t_ops;
	f->dev.vdev.priv = &f->dev;
	memcpy(f->dev.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->fd.t)
		fdev_stop(&f->fd);
	assert_int_equal(f->dev.destroyed, 1);
	free(f);
	return 0;
}

static void test_identity_and_bad_sizes(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[8];

	fdev_start(&f->fd, &f->dev.vdev, 2, 16, 0);
	assert_int_equal(fdev_rd(&f->fd, 0x000), 0x74726976);
	assert_int_equal(fdev_rd(&f->fd, 0x004), 2);
	assert_int_equal(fdev_rd(&f->fd, 0x008), 42);
	memset(buf, 0xff, sizeof(buf));
	virtio_mmio_access(f->fd.t, 0x000, buf, 2, false);
	assert_int_equal(buf[0] | buf[1], 0);
	memset(buf, 0xff, sizeof(buf));
	virtio_mmio_access(f->fd.t, 0x002, buf, 4, false);
	assert_int_equal(buf[0] | buf[1] | buf[2] | buf[3], 0);
	virtio_mmio_access(f->fd.t, 0x070, buf, 8, false);
	assert_int_equal(buf[0], 0);
	buf[0] = 0;
	virtio_mmio_access(f->fd.t, 0x070, buf, 1, true); /* ignored */
	assert_int_equal(fdev_rd(&f->fd, 0x070), 0xf);
	assert_int_equal(fdev_rd(&f->fd, 0x0b0), 0xffffffff); /* no SHM */
}

static void test_features_offered(void **state)
{
	struct fixture *f = *state;

	fdev_start(&f->fd, &f->dev.vdev, 2, 16, 0);
	fdev_wr(&f->fd, 0x014, 0);
	assert_int_equal(fdev_rd(&f->fd, 0x010),
			 (1u << 3) | (1u << VIRTIO_F_INDIRECT_DESC) |
				 (1u << VIRTIO_F_EVENT_IDX));
	fdev_wr(&f->fd, 0x014, 1);
	assert_int_equal(fdev_rd(&f->fd, 0x010), 1); /* VERSION_1 */
	fdev_wr(&f->fd, 0x014, 2);
	assert_int_equal(fdev_rd(&f->fd, 0x010), 0);
	assert_int_equal(f->dev.activations, 1);
	assert_int_equal(f->dev.features, 1ull << 32);
}

static void negotiate(struct fixture *f, uint32_t lo, uint32_t hi)
{
	fdev_wr(&f->fd, 0x070, 0);
	fdev_wr(&f->fd, 0x070, 3);
	fdev_wr(&f->fd, 0x024, 0);
	fdev_wr(&f->fd, 0x020, lo);
	fdev_wr(&f->fd, 0x024, 1);
	fdev_wr(&f->fd, 0x020, hi);
	fdev_wr(&f->fd, 0x070, 3 | 8);
}

static void test_feature_negotiation(void **state)
{
	struct fixture *f = *state;

	fdev_start(&f->fd, &f->dev.vdev, 2, 16, 0);
	negotiate(f, 1u << 3, 0); /* legacy driver: no VERSION_1 */
	assert_int_equal(fdev_rd(&f->fd, 0x070), 3);
	negotiate(f, 1u << 4, 1); /* unoffered bit */
	assert_int_equal(fdev_rd(&f->fd, 0x070), 3);
	negotiate(f, 1u << 3, 1);
	assert_int_equal(fdev_rd(&f->fd, 0x070), 3 | 8);
	/* frozen after FEATURES_OK */
	fdev_wr(&f->fd, 0x024, 0);
	fdev_wr(&f->fd, 0x020, 0);
	fdev_wr(&f->fd, 0x070, 3 | 8 | 4);
	assert_int_equal(f->dev.features, (1ull << 32) | (1ull << 3));
	/* DRIVER_OK without FEATURES_OK never activates */
	negotiate(f, 0, 0);
	fdev_wr(&f->fd, 0x070, 3 | 4);
	assert_int_equal(f->dev.activations, 2);
}

static void test_queue_setup_and_reset(void **state)
{
	struct fixture *f = *state;
	int nfd;
	uint64_t v;

	assert_int_equal(fdev_start(&f->fd, &f->dev.vdev, 2, 16, 0), 0xf);
	assert_int_equal(f->dev.activations, 1);
	assert_true(f->dev.queues[0].ready && f->dev.queues[1].ready);
	fdev_wr(&f->fd, 0x030, 1);
	assert_int_equal(fdev_rd(&f->fd, 0x034), 16);
	assert_int_equal(fdev_rd(&f->fd, 0x044), 1);
	fdev_wr(&f->fd, 0x030, 2);
	assert_int_equal(fdev_rd(&f->fd, 0x034), 0);
	/* QueueNotify reaches the device through its eventfd */
	nfd = virtio_mmio_notify_fd(f->fd.t, 1);
	assert_true(nfd >= 0);
	assert_int_equal(virtio_mmio_notify_fd(f->fd.t, 2), -1);
	fdev_kick(&f->fd, 1);
	assert_int_equal(read(nfd, &v, sizeof(v)), sizeof(v));
	fdev_kick(&f->fd, 7); /* no such queue: ignored */
	/* reset */
	fdev_wr(&f->fd, 0x070, 0);
	assert_int_equal(f->dev.resets, 1);
	assert_int_equal(fdev_rd(&f->fd, 0x070), 0);
	fdev_wr(&f->fd, 0x030, 0);
	assert_int_equal(fdev_rd(&f->fd, 0x044), 0);
}

static void test_bad_ring_needs_reset(void **state)
{
	struct fixture *f = *state;

	fdev_start(&f->fd, &f->dev.vdev, 0, 16, 0);
	fdev_wr(&f->fd, 0x070, 0);
	negotiate(f, 0, 1);
	fdev_wr(&f->fd, 0x030, 0);
	fdev_wr(&f->fd, 0x038, 16);
	fdev_wr(&f->fd, 0x080, 0x10); /* desc outside RAM */
	fdev_wr(&f->fd, 0x044, 1);
	assert_int_equal(fdev_rd(&f->fd, 0x044), 0);
	assert_true(fdev_rd(&f->fd, 0x070) & 0x40);
	assert_true(fdev_rd(&f->fd, 0x060) & VIRTIO_MMIO_INT_CONFIG);
	fdev_wr(&f->fd, 0x070, 0);
	assert_int_equal(fdev_rd(&f->fd, 0x070), 0);
	/* queue size above the maximum is refused too */
	negotiate(f, 0, 1);
	fdev_wr(&f->fd, 0x038, 32);
	fdev_wr(&f->fd, 0x044, 1);
	assert_int_equal(fdev_rd(&f->fd, 0x044), 0);
}

static void test_config_space(void **state)
{
	struct fixture *f = *state;
	uint8_t b[8];
	uint32_t v;

	fdev_start(&f->fd, &f->dev.vdev, 2, 16, 0);
	v = fdev_rd(&f->fd, 0x104);
	assert_int_equal(v, 0x08070605);
	virtio_mmio_access(f->fd.t, 0x101, b, 1, false);
	assert_int_equal(b[0], 2);
	memset(b, 0xff, sizeof(b));
	virtio_mmio_access(f->fd.t, 0x101, b, 2, false); /* unaligned */
	assert_int_equal(b[0] | b[1], 0);
	assert_int_equal(fdev_rd(&f->fd, 0x108), 0); /* past the end */
}

static void test_interrupts(void **state)
{
	struct fixture *f = *state;
	struct fake_buf b;
	uint32_t gen;

	fdev_start(&f->fd, &f->dev.vdev, 2, 16, 0);
	assert_false(fdev_irq_fired(&f->fd));
	b = (struct fake_buf){fg_alloc(&f->fd.g, 8, 8), 8, true};
	fvq_add(&f->fd.vqs[0], &b, 1);
	fvq_add(&f->fd.vqs[0], &b, 1);
	struct vq_elem *e = malloc(sizeof(*e));

	assert_int_equal(vq_pop(&f->dev.queues[0], e, NULL), 1);
	vq_push(&f->dev.queues[0], e->head, 8);
	virtio_notify_used(&f->dev.vdev, 0);
	assert_true(fdev_irq_fired(&f->fd));
	assert_int_equal(fdev_rd(&f->fd, 0x060), VIRTIO_MMIO_INT_VRING);
	/* still set: no second pulse */
	assert_int_equal(vq_pop(&f->dev.queues[0], e, NULL), 1);
	vq_push(&f->dev.queues[0], e->head, 8);
	virtio_notify_used(&f->dev.vdev, 0);
	assert_false(fdev_irq_fired(&f->fd));
	fdev_wr(&f->fd, 0x064, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(fdev_rd(&f->fd, 0x060), 0);
	/* nothing new pushed: no interrupt */
	virtio_notify_used(&f->dev.vdev, 0);
	assert_false(fdev_irq_fired(&f->fd));
	gen = fdev_rd(&f->fd, 0x0fc);
	virtio_notify_config(&f->dev.vdev);
	assert_true(fdev_irq_fired(&f->fd));
	assert_int_equal(fdev_rd(&f->fd, 0x060), VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(fdev_rd(&f->fd, 0x0fc), gen + 1);
	free(e);
}

static void test_bad_device_description(void **state)
{
	struct fixture *f = *state;
	struct virtio_dev_ops ops = t_ops;
	struct tdev bad = {.vdev = {.ops = &ops}};
	struct krun_err *err = NULL;

	ops.queue_max_size = 12;
	assert_null(virtio_mmio_create(&bad.vdev, &f->fd.g.gm, -1, &err));
	assert_int_equal(err->errnum, EINVAL);
	krun_err_free(&err);
	f->dev.destroyed = 1; /* never wrapped */
}

/* Shared memory regions: SHMSel picks one by id; an unset id reads as a
 * length of all ones (none), as does everything before any is set. */
static void test_shm_regions(void **state)
{
	struct fixture *f = *state;
	struct krun_err *err = NULL;

	fdev_start(&f->fd, &f->dev.vdev, 2, 16, 0);
	fdev_wr(&f->fd, 0x0ac, 0);
	assert_int_equal(fdev_rd(&f->fd, 0x0b0), 0xffffffff);
	assert_int_equal(fdev_rd(&f->fd, 0x0b4), 0xffffffff);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 0, 0x140000000ull,
					     0x200000000ull, &err),
			 0);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 3, 0x10000000000ull,
					     0x200000, &err),
			 0);
	assert_int_equal(fdev_rd(&f->fd, 0x0b0), 0);	      /* len low */
	assert_int_equal(fdev_rd(&f->fd, 0x0b4), 2);	      /* len high */
	assert_int_equal(fdev_rd(&f->fd, 0x0b8), 0x40000000); /* base low */
	assert_int_equal(fdev_rd(&f->fd, 0x0bc), 1);	      /* base high */
	fdev_wr(&f->fd, 0x0ac, 3);
	assert_int_equal(fdev_rd(&f->fd, 0x0b0), 0x200000);
	assert_int_equal(fdev_rd(&f->fd, 0x0b4), 0);
	assert_int_equal(fdev_rd(&f->fd, 0x0b8), 0);
	assert_int_equal(fdev_rd(&f->fd, 0x0bc), 0x100);
	fdev_wr(&f->fd, 0x0ac, 1);
	assert_int_equal(fdev_rd(&f->fd, 0x0b0), 0xffffffff);
	assert_int_equal(fdev_rd(&f->fd, 0x0b4), 0xffffffff);
	fdev_wr(&f->fd, 0x0ac, 0x100); /* ids are 8 bits: not 0 */
	assert_int_equal(fdev_rd(&f->fd, 0x0b0), 0xffffffff);
	/* Refused: the same id, empty, overflowing, all-ones length. */
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 0, 0, 4096, &err),
			 -EEXIST);
	krun_err_free(&err);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 1, 0x1000, 0, &err),
			 -EINVAL);
	krun_err_free(&err);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 1, UINT64_MAX - 4095,
					     8192, &err),
			 -EINVAL);
	krun_err_free(&err);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 1, 0, UINT64_MAX, &err),
			 -EINVAL);
	krun_err_free(&err);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 1, 0, 4096, &err), 0);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 2, 0, 4096, &err), 0);
	assert_int_equal(virtio_mmio_add_shm(f->fd.t, 4, 0, 4096, &err),
			 -ENOSPC);
	krun_err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_bad_sizes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_offered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_feature_negotiation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_queue_setup_and_reset,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ring_needs_reset,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_space, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_device_description,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shm_regions, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
