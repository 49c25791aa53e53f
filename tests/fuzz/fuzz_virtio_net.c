// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net's transmit path (queue 1: the frames the guest sends) under
 * the fuzzed driver of virtio_driver.c, on a datagram backend whose peer
 * reads everything while the harness waits (and is closed after the
 * input), so frames never back up and an input replays alike.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "virtio/net.h"
#include "virtio_driver.h"

static int peer_fd = -1;

static struct virtio_device *create(void)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
	int size = 8 << 20;
	int sv[2];
	struct net_backend *be;

	FUZZ_CHECK(socketpair(AF_UNIX,
			      SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
			      sv) == 0,
		   "socketpair");
	/* Room for every frame one input can send (root may force it). */
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	peer_fd = sv[1];
	be = net_dgram_create(sv[0], NULL);
	FUZZ_CHECK(be, "net_dgram_create");
	return virtio_net_create(mac, be, NULL);
}

/* The peer reads what the device sent: a Unix datagram socket takes
 * only net.unix.max_dgram_qlen (10) unread datagrams, and a device that
 * waits for room would hold the queue until the harness gives up. */
static void drain_peer(void)
{
	char buf[2048];

	while (peer_fd >= 0 && recv(peer_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

static void cleanup(void)
{
	close(peer_fd);
	peer_fd = -1;
}

static const struct fuzz_virtio_target target = {
	.create = create,
	.cleanup = cleanup,
	.queue = 1,
	.all_queues = true,
	.idle = drain_peer,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_virtio_run(&target, data, size);
}
