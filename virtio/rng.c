// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-rng: one request queue; each chain's device-writable buffers are
 * filled from getrandom() (non-blocking pool: the kernel's CRNG is ready
 * long before a VMM runs).
 */
#include "virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio/worker.h"

#define RNG_QUEUE_SIZE 256

struct rng_dev {
	struct virtio_device vdev;
	struct virtio_worker worker;
	struct dev_queue queue;
	struct vq_elem elem;
};

static uint64_t rng_features(struct virtio_device *dev)
{
	return 0;
}

/* Fill the chain's device-writable buffers. */
static bool rng_handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
		       uint32_t *written)
{
	for (unsigned int i = 0; i < e->n_in; i++) {
		uint8_t *p = e->in[i].iov_base;
		size_t left = e->in[i].iov_len;

		while (left) {
			ssize_t n = getrandom(p, left, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return true;
			p += n;
			left -= (size_t)n;
			*written += (uint32_t)n;
		}
	}
	return true;
}

static const struct virtio_worker_ops rng_worker_ops = {
	.handle_chain = rng_handle,
	.role = "rng",
};

static int rng_activate(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err)
{
	struct rng_dev *r = dev->priv;

	if (!queues[0].ready)
		return krun_err_set(err, EINVAL, "virtio-rng: queue not ready");
	return virtio_worker_activate(&r->worker, queues, notify_fds, err);
}

static void rng_reset(struct virtio_device *dev)
{
	struct rng_dev *r = dev->priv;

	virtio_worker_reset(&r->worker);
}

static void rng_destroy(struct virtio_device *dev)
{
	struct rng_dev *r = dev->priv;

	virtio_worker_stop(&r->worker);
	free(r);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max_size = RNG_QUEUE_SIZE,
	.features = rng_features,
	.activate = rng_activate,
	.reset = rng_reset,
	.destroy = rng_destroy,
};

struct virtio_device *virtio_rng_create(struct krun_err **err)
{
	struct rng_dev *r = calloc(1, sizeof(*r));

	if (!r) {
		krun_err_set(err, ENOMEM, "virtio-rng: out of memory");
		return NULL;
	}
	r->vdev.ops = &rng_ops;
	r->vdev.priv = r;
	devq_init(&r->queue, &r->vdev, 0);
	virtio_worker_init(&r->worker, &rng_worker_ops, r, &r->queue, 1,
			   &r->elem);
	return &r->vdev;
}
