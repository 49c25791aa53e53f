/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue (virtio 1.x). The device side pops descriptor chains the
 * driver made available and pushes them to the used ring. Every descriptor
 * is checked: indices < queue size, buffers wholly inside guest RAM (via
 * gm_slice), chain length capped at the queue size (catches loops), device-
 * readable buffers before device-writable ones, and a total length that
 * fits in 32 bits. A bad chain is reported to the caller, never a VMM
 * crash; devices do not call vq_pop() themselves but go through
 * virtio/dev_queue.h, which applies the one malformed-chain policy.
 * The element's iovecs are read and written with virtio/iov.h.
 */
#ifndef KRUN_VIRTIO_QUEUE_H
#define KRUN_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hw/kvm/guest_mem.h"
#include "util/err.h"

#define VQ_MAX_SIZE 1024
#define VQ_MAX_IOV 1024

struct virtqueue {
	const struct guest_mem *gm;
	uint16_t size; /* negotiated size (power of two) */
	bool ready;
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	uint16_t last_avail_idx; /* next avail entry to pop */
	uint16_t used_idx;	 /* next used entry to fill */
	uint16_t signalled_used; /* used_idx at the last interrupt */
	bool signalled_used_valid;
	bool notify_off; /* device suppressed driver notifications */
};

/* One popped descriptor chain, as host iovecs into guest memory.
 * out_*: device-readable (driver -> device); in_*: device-writable. */
struct vq_elem {
	uint16_t head;
	unsigned int n_out;
	unsigned int n_in;
	uint32_t out_len; /* total bytes readable */
	uint32_t in_len;  /* total bytes writable */
	struct iovec out[VQ_MAX_IOV];
	struct iovec in[VQ_MAX_IOV];
};

/*
 * Validate the ring addresses (alignment, inside guest RAM) when the driver
 * sets QueueReady. On success the indices start at 0 and ready is set.
 * Returns 0 or a negative errno with err set.
 */
int vq_activate(struct virtqueue *vq, struct krun_err **err);

/*
 * Pop the next available chain into elem. Returns 1 when a chain was
 * popped, 0 when the ring is empty, and a negative errno with err set when
 * the chain or the avail ring is malformed. elem->head is the rejected
 * chain's head, or UINT16_MAX when no head could be read (a corrupt avail
 * index more than size entries ahead, an avail entry naming a descriptor
 * >= size). Either way the ring can no longer be trusted: dev_queue.c
 * then stops using the queue and sets DEVICE_NEEDS_RESET.
 */
int vq_pop(struct virtqueue *vq, struct vq_elem *elem, struct krun_err **err);

/* Hand back the last n chains popped and not pushed: the next vq_pop()
 * returns them again (a device that found too few buffers for a request
 * waits for more instead of failing it). */
void vq_unpop(struct virtqueue *vq, uint16_t n);

/* Put a chain on the used ring with the number of bytes written. One
 * thread at a time per queue (the device serialises its own queues). */
int vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/* Whether the driver wants an interrupt for what was pushed since the last
 * call (honours VIRTQ_AVAIL_F_NO_INTERRUPT and EVENT_IDX). */
bool vq_needs_interrupt(struct virtqueue *vq);

/* Enable/disable used-buffer notifications from the driver side
 * (VIRTQ_USED_F_NO_NOTIFY / avail_event) while a device is polling. */
void vq_set_notification(struct virtqueue *vq, bool enable);

/* Whether more chains are available right now. */
bool vq_has_avail(struct virtqueue *vq);

#endif
