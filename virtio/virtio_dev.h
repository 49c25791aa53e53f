/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device side of the virtio transport. A device file (virtio/<dev>.c)
 * fills a `static const struct virtio_dev_ops` and exports a create
 * function returning a `struct virtio_device`. The transport (virtio/mmio.c)
 * owns registers, feature negotiation, queue setup, interrupts and notify
 * eventfds; the device never touches registers, the transport never reads
 * requests.
 *
 * Threads: the device owns its worker thread(s). On activate() it gets the
 * queues and one notify eventfd per queue (readable when the driver kicked
 * that queue; KVM ioeventfd writes it directly); it must serve them from
 * its own thread(s), never from the vCPU thread that called activate().
 * reset() stops the workers and returns only when they are gone.
 *
 * Plumbing shared by every device: a device wraps each queue it serves in
 * a struct dev_queue (virtio/dev_queue.h: pop, the malformed-chain policy,
 * completing chains, one signal per pass) and runs a struct virtio_worker
 * (virtio/worker.h: the thread, the wait on notify eventfds, the device's
 * host fds and the stop eventfd, and the round of work). activate() and
 * reset() map to virtio_worker_activate() and virtio_worker_reset(). A
 * device supplies only callbacks: handle one chain, or its own round.
 * Buffers of a chain are read and written through virtio/iov.h.
 */
#ifndef KRUN_VIRTIO_VIRTIO_DEV_H
#define KRUN_VIRTIO_VIRTIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/kvm/guest_mem.h"
#include "util/err.h"
#include "util/thread_launch.h"
#include "virtio/queue.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_GPU 16
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_FS 26
#define VIRTIO_ID_SOUND 25

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTIO_MAX_QUEUES 16

struct virtio_transport; /* opaque to devices */

struct virtio_device;

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	unsigned int num_queues;
	uint16_t queue_max_size;
	/* Device feature bits offered (transport adds VERSION_1 itself). */
	uint64_t (*features)(struct virtio_device *dev);
	/* Config space accesses; offsets are relative to 0x100. Out-of-range
	 * reads return zeros, writes are ignored. */
	void (*config_read)(struct virtio_device *dev, uint64_t offset,
			    uint8_t *data, uint32_t len);
	void (*config_write)(struct virtio_device *dev, uint64_t offset,
			     const uint8_t *data, uint32_t len);
	/* DRIVER_OK: start workers. queues[i] and notify_fds[i] stay valid
	 * until reset() returns. */
	int (*activate)(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err);
	/* Stop workers; the device may be activated again afterwards. */
	void (*reset)(struct virtio_device *dev);
	/* Final teardown (after reset). */
	void (*destroy)(struct virtio_device *dev);
};

/* Rate limit of the log lines a guest can provoke on one device (used by
 * virtio/dev_queue.c; zero-initialised: the first line passes). */
struct virtio_log_limit {
	uint64_t next_ns; /* atomic: no line before this CLOCK_MONOTONIC time */
	uint32_t suppressed; /* atomic: lines dropped since the last one */
};

struct virtio_device {
	const struct virtio_dev_ops *ops;
	void *priv;			    /* the device's own state */
	struct virtio_transport *transport; /* set by the transport */
	const struct guest_mem *gm;
	struct virtio_log_limit guest_log; /* kept across resets */
	/* Starts the device's worker threads; NULL: pthread_create(). Set
	 * by whoever wires the device, before the guest runs. */
	struct thread_launcher *threads;
};

/* Raise the used-buffer interrupt for queue q if vq_needs_interrupt() says
 * the driver wants one. Safe from any device thread. */
void virtio_notify_used(struct virtio_device *dev, unsigned int q);
/* Raise a configuration-change interrupt. */
void virtio_notify_config(struct virtio_device *dev);
/* Mark the device broken (DEVICE_NEEDS_RESET) after a fatal queue error;
 * devices reach it through dev_queue.c's malformed-chain policy. */
void virtio_set_needs_reset(struct virtio_device *dev);

#endif
