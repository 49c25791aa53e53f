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

#include "util/log.h"
#include "virtio/worker.h"

#define RNG_QUEUE_SIZE 256

struct rng_dev {
	struct virtio_device vdev;
	struct virtio_worker worker;
	struct virtqueue *vq;
	int notify_fd;
	bool broken;
	struct vq_elem elem;
};

static uint64_t rng_features(struct virtio_device *dev)
{
	return 0;
}

static uint32_t fill_random(const struct vq_elem *e)
{
	uint32_t written = 0;

	for (unsigned int i = 0; i < e->n_in; i++) {
		uint8_t *p = e->in[i].iov_base;
		size_t left = e->in[i].iov_len;

		while (left) {
			ssize_t n = getrandom(p, left, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return written;
			p += n;
			left -= (size_t)n;
			written += (uint32_t)n;
		}
	}
	return written;
}

static void rng_process(struct rng_dev *r)
{
	struct krun_err *err = NULL;
	int ret;

	while (!r->broken && (ret = vq_pop(r->vq, &r->elem, &err)) != 0) {
		if (ret < 0) {
			log_debug("virtio-rng: %s", krun_err_msg(err));
			krun_err_free(&err);
			if (r->elem.head == UINT16_MAX) {
				r->broken = true;
				virtio_set_needs_reset(&r->vdev);
				return;
			}
			vq_push(r->vq, r->elem.head, 0);
			continue;
		}
		vq_push(r->vq, r->elem.head, fill_random(&r->elem));
	}
	virtio_notify_used(&r->vdev, 0);
}

static void *rng_worker(void *arg)
{
	struct rng_dev *r = arg;
	struct pollfd pfd = {.fd = r->notify_fd, .events = POLLIN};

	rng_process(r);
	while (virtio_worker_poll(&r->worker, &pfd, 1)) {
		virtio_eventfd_drain(r->notify_fd);
		rng_process(r);
	}
	return NULL;
}

static int rng_activate(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err)
{
	struct rng_dev *r = dev->priv;

	if (!queues[0].ready)
		return krun_err_set(err, EINVAL, "virtio-rng: queue not ready");
	r->vq = &queues[0];
	r->notify_fd = notify_fds[0];
	r->broken = false;
	return virtio_worker_start(&r->worker, rng_worker, r, err);
}

static void rng_reset(struct virtio_device *dev)
{
	struct rng_dev *r = dev->priv;

	virtio_worker_stop(&r->worker);
	r->vq = NULL;
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
	r->notify_fd = -1;
	r->worker.stop_fd = -1;
	return &r->vdev;
}
