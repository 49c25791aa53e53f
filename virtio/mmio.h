/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-mmio transport, virtio 1.x only (register layout Version 2).
 *
 * Interrupts: the transport owns InterruptStatus. Raising an interrupt sets
 * a bit there and, when that bit was clear, writes 1 to irq_eventfd. The
 * VMM (lib/vmm/vmm_devices.c) binds that eventfd with a plain KVM irqfd
 * (no resample), which pulses the GSI: an edge. That is enough because
 * the Linux driver reads InterruptStatus, acks what it read, and only
 * then walks the used rings: a bit set while it is still set is seen by
 * that walk, a bit set after the ack is a fresh 0 -> 1 transition and
 * pulses again.
 *
 * Notifications: one eventfd per queue (transport-owned). The VMM
 * registers it as a KVM ioeventfd on base + VIRTIO_MMIO_QUEUE_NOTIFY with
 * datamatch q; a QueueNotify write that reaches virtio_mmio_access()
 * signals the same fd, so both paths wake the device.
 *
 * Threads: virtio_mmio_access() may be called from any vCPU thread;
 * virtio_notify_used()/virtio_notify_config()/virtio_set_needs_reset() from
 * device threads. Registers are guarded by one lock, InterruptStatus by
 * another so a device thread never waits on a vCPU inside device reset.
 */
#ifndef KRUN_VIRTIO_MMIO_H
#define KRUN_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/kvm/guest_mem.h"
#include "util/err.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_MMIO_SIZE 0x1000 /* register window of one device */
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050

#define VIRTIO_MMIO_INT_VRING 1u
#define VIRTIO_MMIO_INT_CONFIG 2u

/*
 * Wrap dev in a transport. dev->transport and dev->gm are set. On success
 * the transport owns dev: virtio_mmio_destroy() resets and destroys it.
 * irq_eventfd stays the caller's (not closed here). Returns NULL on error.
 */
struct virtio_transport *virtio_mmio_create(struct virtio_device *dev,
					    const struct guest_mem *gm,
					    int irq_eventfd,
					    struct krun_err **err);

/* Stop the device (reset), destroy it, free the transport. NULL is fine. */
void virtio_mmio_destroy(struct virtio_transport *t);

/* io_handler_fn: register on the MMIO bus with opaque = the transport. */
void virtio_mmio_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write);

/* The notify eventfd of queue q, or -1 when q is not a queue. */
int virtio_mmio_notify_fd(struct virtio_transport *t, unsigned int q);

/* Number of queues the device exposes (for ioeventfd registration). */
unsigned int virtio_mmio_num_queues(const struct virtio_transport *t);

/* A device shared memory region (virtio 1.2, 2.10): the guest finds it
 * through SHMSel / SHMLen / SHMBase. */
#define VIRTIO_MMIO_MAX_SHM 4
struct virtio_mmio_shm {
	uint8_t id;
	uint64_t gpa;
	uint64_t len;
};

/*
 * Expose shared memory region id at guest-physical [gpa, gpa + len),
 * which the caller has made guest memory (hw/kvm/vm.h vm_add_shm_slot()).
 * Before the guest runs. -EINVAL for an empty or overflowing range (or a
 * length of all ones, which means "no region"), -EEXIST for an id already
 * set, -ENOSPC past VIRTIO_MMIO_MAX_SHM. An unset id reads as no region.
 */
int virtio_mmio_add_shm(struct virtio_transport *t, uint8_t id, uint64_t gpa,
			uint64_t len, struct krun_err **err)
	__attribute__((warn_unused_result));

#endif
