// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock's transmit path (queue 1: the packets the guest sends:
 * requests, responses, data, credit, shutdown, reset) under the fuzzed
 * driver of virtio_driver.c. One port connects out to a path that does
 * not exist (the guest's REQUEST gets a RST), one listens on a socket
 * file of this process that the device removes when destroyed.
 */
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "virtio/vsock.h"
#include "virtio_driver.h"

static struct virtio_device *create(void)
{
	static char listen_path[64];
	struct vsock_port_map ports[2] = {
		{.port = 1234, .path = "/nonexistent/krun-fuzz-vsock.sock"},
		{.port = 5000, .path = listen_path, .listen = true},
	};
	struct virtio_device *dev;

	snprintf(listen_path, sizeof(listen_path),
		 "/tmp/krun-fuzz-vsock-%d.sock", (int)getpid());
	dev = virtio_vsock_create(ports, 2, 0, NULL);
	FUZZ_CHECK(dev, "virtio_vsock_create");
	return dev;
}

static const struct fuzz_virtio_target target = {
	.create = create, .queue = 1, .all_queues = true};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_virtio_run(&target, data, size);
}
