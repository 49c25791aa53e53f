// SPDX-License-Identifier: Apache-2.0
#include "virtio/dev_queue.h"

#include <time.h>

#include "util/log.h"

/* At most one malformed-chain line per device in this time. */
#define DEVQ_LOG_INTERVAL_NS (5ull * 1000 * 1000 * 1000)

void devq_init(struct dev_queue *q, struct virtio_device *dev,
	       unsigned int index)
{
	*q = (struct dev_queue){.dev = dev, .index = index, .notify_fd = -1};
}

void devq_attach(struct dev_queue *q, struct virtqueue *vq, int notify_fd)
{
	q->vq = vq;
	q->notify_fd = notify_fd;
	q->broken = false;
	q->unsignalled = 0;
}

void devq_detach(struct dev_queue *q)
{
	devq_attach(q, NULL, -1);
}

bool devq_live(const struct dev_queue *q)
{
	return q->vq && q->vq->ready && !q->broken;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Take the device's log slot; false (and one more suppressed line) while
 * the last line is too recent. *dropped: lines suppressed before this. */
static bool log_slot(struct virtio_log_limit *l, uint32_t *dropped)
{
	uint64_t now = now_ns();
	uint64_t next = __atomic_load_n(&l->next_ns, __ATOMIC_RELAXED);

	if (now < next ||
	    !__atomic_compare_exchange_n(&l->next_ns, &next,
					 now + DEVQ_LOG_INTERVAL_NS, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&l->suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	*dropped = __atomic_exchange_n(&l->suppressed, 0, __ATOMIC_RELAXED);
	return true;
}

static void log_broken(struct dev_queue *q, const char *reason)
{
	uint32_t dropped;

	if (!log_slot(&q->dev->guest_log, &dropped))
		return;
	if (dropped)
		log_warn(
			"virtio-%s: queue %u: malformed chain, device needs reset: %s (%u similar lines suppressed)",
			q->dev->ops->name, q->index, reason, dropped);
	else
		log_warn(
			"virtio-%s: queue %u: malformed chain, device needs reset: %s",
			q->dev->ops->name, q->index, reason);
}

/* The malformed-chain policy (see dev_queue.h). */
static void break_queue(struct dev_queue *q, const char *reason)
{
	devq_signal(q);
	q->broken = true;
	log_broken(q, reason); /* before the driver can see the status */
	virtio_set_needs_reset(q->dev);
}

bool devq_pop(struct dev_queue *q, struct vq_elem *e)
{
	struct krun_err *err = NULL;
	int ret;

	if (!devq_live(q))
		return false;
	ret = vq_pop(q->vq, e, &err);
	if (ret >= 0)
		return ret > 0;
	break_queue(q, krun_err_msg(err));
	krun_err_free(&err);
	return false;
}

void devq_unpop(struct dev_queue *q, uint16_t n)
{
	if (devq_live(q))
		vq_unpop(q->vq, n);
}

void devq_complete(struct dev_queue *q, uint16_t head, uint32_t written)
{
	if (devq_live(q) && vq_push(q->vq, head, written) == 0)
		q->unsignalled++;
}

void devq_signal(struct dev_queue *q)
{
	if (!q->unsignalled || !devq_live(q))
		return;
	q->unsignalled = 0;
	virtio_notify_used(q->dev, q->index);
}

void devq_serve(struct dev_queue *q, struct vq_elem *e, devq_handle_fn fn,
		void *ctx)
{
	uint32_t written;

	while (devq_pop(q, e)) {
		written = 0;
		if (fn(ctx, q, e, &written))
			devq_complete(q, e->head, written);
	}
	devq_signal(q);
}
