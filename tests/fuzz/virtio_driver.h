/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fuzzed virtio driver: the input drives register reads and writes on
 * the real virtio-mmio transport (virtio/mmio.c) of one device, raw writes
 * to a small fake guest RAM, and descriptor chains published on the first
 * queue. A device harness supplies only a create function (and a cleanup),
 * so a new device's harness is a few lines (fuzz_virtio_rng.c).
 */
#ifndef KRUN_TESTS_FUZZ_VIRTIO_DRIVER_H
#define KRUN_TESTS_FUZZ_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/virtio_dev.h"

struct fuzz_virtio_target {
	/* A fresh device for one input (owned by the transport from then). */
	struct virtio_device *(*create)(void);
	/* After the transport and device are gone; may be NULL. */
	void (*cleanup)(void);
	/* The queue `start` sets up and `chain` feeds (0 unless set): the
	 * one carrying the guest's requests (net and vsock: 1, TX). */
	unsigned int queue;
	/* `start` also readies every other queue, empty (devices that
	 * activate only with all their queues, like net). */
	bool all_queues;
	/* Called while the harness waits for the device to answer (may be
	 * NULL): e.g. to drain the backend's peer, so a device that waits
	 * for room to send gets it. */
	void (*idle)(void);
};

int fuzz_virtio_run(const struct fuzz_virtio_target *target,
		    const uint8_t *data, size_t size);

#endif
