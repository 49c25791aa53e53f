/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One virtqueue as a device serves it: the only place that pops chains,
 * pushes used entries and signals the driver for a device. Every device
 * goes through it, so the queue policy below holds for all of them.
 *
 * Malformed chains: when vq_pop() rejects a chain (descriptor index out of
 * range, a loop, a buffer outside guest RAM, a readable buffer after a
 * writable one, a corrupt avail index, ...) the device is set to
 * DEVICE_NEEDS_RESET (virtio_set_needs_reset), the queue is marked broken
 * and its rings are never read or written again until the driver resets
 * the device: later kicks and avail entries are ignored, the used ring
 * keeps what it held. Completions pushed before the bad chain are
 * signalled first. One log line (warning level) names the device, the
 * queue and the reason; the lines of one device are rate-limited
 * (struct virtio_log_limit), so a guest that breaks and resets a device in
 * a loop cannot flood the host log.
 *
 * Completions and signals: devq_complete() puts a chain on the used ring
 * and counts it; devq_signal() raises at most one interrupt for all the
 * completions counted since the last signal (virtio_notify_used decides,
 * honouring VIRTQ_AVAIL_F_NO_INTERRUPT and EVENT_IDX's used_event). A
 * device completes a pass over a queue and signals once at its end;
 * devq_serve() does exactly that. This pair is the seam for notification
 * work: batching used-ring index updates (write the entries in
 * devq_complete, publish used->idx once in devq_signal) or suppressing
 * driver kicks while a pass runs (vq_set_notification around devq_serve)
 * changes these functions only, not the devices.
 *
 * Threads: a dev_queue is used by one thread at a time (the device's
 * worker, or another thread holding the device's own lock).
 */
#ifndef KRUN_VIRTIO_DEV_QUEUE_H
#define KRUN_VIRTIO_DEV_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/queue.h"
#include "virtio/virtio_dev.h"

struct dev_queue {
	struct virtio_device *dev;
	unsigned int index;   /* queue number on the transport */
	struct virtqueue *vq; /* NULL while the device is not active */
	int notify_fd; /* the queue's notify eventfd; -1 when not active */
	bool broken;   /* a malformed chain was seen: rings not touched */
	unsigned int unsignalled; /* completions since the last signal */
};

/*
 * Handle one popped chain. Returns true when the chain is done: it is put
 * on the used ring with *written bytes. Returns false when the device
 * keeps the chain (a copy of the element) and completes it later with
 * devq_complete().
 */
typedef bool (*devq_handle_fn)(void *ctx, struct dev_queue *q,
			       struct vq_elem *e, uint32_t *written);

/* At device creation: queue index of dev, not attached. */
void devq_init(struct dev_queue *q, struct virtio_device *dev,
	       unsigned int index);

/* On activate: serve vq, woken through notify_fd; clears broken. */
void devq_attach(struct dev_queue *q, struct virtqueue *vq, int notify_fd);

/* On reset, after the device's workers stopped. */
void devq_detach(struct dev_queue *q);

/* Attached, set ready by the driver, and not broken. */
bool devq_live(const struct dev_queue *q);

/* Pop the next chain into e. False when the queue is empty, not live, or
 * the chain is malformed (the policy above is then applied). */
bool devq_pop(struct dev_queue *q, struct vq_elem *e);

/* Hand back the last n chains popped and not completed: the next pops
 * return them again (a device that found too few buffers for one request
 * waits for more instead of failing it). */
void devq_unpop(struct dev_queue *q, uint16_t n);

/* Put head on the used ring with written bytes; nothing when the queue is
 * no longer live (the chain is dropped with its ring). */
void devq_complete(struct dev_queue *q, uint16_t head, uint32_t written);

/* Signal the completions counted since the last call, once. */
void devq_signal(struct dev_queue *q);

/* One pass: pop every available chain into e, hand it to fn, complete
 * what fn finished, then signal once. */
void devq_serve(struct dev_queue *q, struct vq_elem *e, devq_handle_fn fn,
		void *ctx);

#endif
