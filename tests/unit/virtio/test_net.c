// SPDX-License-Identifier: Apache-2.0
/* virtio-net against a fake driver and a socketpair peer as the backend. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/mmio.h"
#include "virtio/net.h"

#define HDR 12
#define F_MRG (1ull << 15)
#define F_NET ((1ull << 5) | (1ull << 16))
#define RXQ 0
#define TXQ 1

struct fixture {
	struct fake_dev d;
	int peer; /* the proxy's end */
	bool dgram;
};

static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

static void start(struct fixture *f, bool dgram, uint64_t features)
{
	struct net_backend *be;
	int sv[2];

	assert_int_equal(
		socketpair(AF_UNIX, dgram ? SOCK_DGRAM : SOCK_STREAM, 0, sv),
		0);
	f->peer = sv[0];
	f->dgram = dgram;
	be = dgram ? net_dgram_create(sv[1], NULL)
		   : net_stream_create(sv[1], NULL);
	assert_non_null(be);
	assert_int_equal(fdev_start(&f->d, virtio_net_create(mac, be, NULL), 2,
				    64, F_NET | features),
			 0xf);
}

static int setup_stream(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	start(f, false, F_MRG);
	*state = f;
	return 0;
}

static int setup_dgram(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	start(f, true, F_MRG);
	*state = f;
	return 0;
}

static int setup_plain(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	start(f, false, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fdev_stop(&f->d);
	close(f->peer);
	free(f);
	return 0;
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* Post a TX chain: header + frame split at `split`. */
static uint16_t post_tx(struct fixture *f, const uint8_t *frame, size_t len,
			size_t split)
{
	struct fake_buf b[2];
	uint64_t hdr = fg_alloc(&f->d.g, HDR + split, 8);
	uint64_t rest = fg_alloc(&f->d.g, len - split + 1, 8);

	memset(fg_ptr(&f->d.g, hdr), 0, HDR);
	memcpy((uint8_t *)fg_ptr(&f->d.g, hdr) + HDR, frame, split);
	memcpy(fg_ptr(&f->d.g, rest), frame + split, len - split);
	b[0] = (struct fake_buf){hdr, (uint32_t)(HDR + split), false};
	b[1] = (struct fake_buf){rest, (uint32_t)(len - split), false};
	return fvq_add(&f->d.vqs[TXQ], b, len == split ? 1 : 2);
}

/* Read exactly n bytes from the peer (stream) within a few seconds. */
static void peer_read(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		assert_int_equal(poll(&p, 1, 3000), 1);
		r = read(fd, buf + got, n - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
}

static size_t peer_frame(struct fixture *f, uint8_t *buf, size_t cap)
{
	uint8_t len[4];
	size_t n;

	if (f->dgram) {
		struct pollfd p = {.fd = f->peer, .events = POLLIN};

		assert_int_equal(poll(&p, 1, 3000), 1);
		return (size_t)recv(f->peer, buf, cap, 0);
	}
	peer_read(f->peer, len, 4);
	n = (size_t)len[0] << 24 | (size_t)len[1] << 16 | len[2] << 8 | len[3];
	assert_true(n <= cap);
	peer_read(f->peer, buf, n);
	return n;
}

static void peer_send(struct fixture *f, const uint8_t *frame, size_t len)
{
	uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
			  (uint8_t)(len >> 8), (uint8_t)len};

	if (f->dgram) {
		assert_int_equal(send(f->peer, frame, len, 0), (ssize_t)len);
		return;
	}
	assert_int_equal(write(f->peer, hdr, 4), 4);
	assert_int_equal(write(f->peer, frame, len), (ssize_t)len);
}

/* Post n single-buffer RX chains of size bytes; their addresses in gpa. */
static void post_rx(struct fixture *f, unsigned int n, uint32_t size,
		    uint64_t *gpa)
{
	for (unsigned int i = 0; i < n; i++) {
		struct fake_buf b = {fg_alloc(&f->d.g, size, 8), size, true};

		gpa[i] = b.gpa;
		fvq_add(&f->d.vqs[RXQ], &b, 1);
	}
	fdev_kick(&f->d, RXQ);
}

static void tx_frames_arrive_in_order(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[1514], got[2048];
	uint32_t id, len;

	fill(frame, sizeof(frame), 1);
	post_tx(f, frame, 60, 60); /* header and frame in one buffer */
	post_tx(f, frame, sizeof(frame), 20); /* split */
	fdev_kick(&f->d, TXQ);
	assert_int_equal(peer_frame(f, got, sizeof(got)), 60);
	assert_memory_equal(got, frame, 60);
	assert_int_equal(peer_frame(f, got, sizeof(got)), sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	for (int i = 0; i < 2; i++) {
		assert_true(fvq_wait_used(&f->d.vqs[TXQ], &id, &len, 2000));
		assert_int_equal(len, 0);
	}
}

static void tx_drops_bad_chains(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[64], got[128];
	struct fake_buf w = {fg_alloc(&f->d.g, 64, 8), 64, true};
	uint32_t id, len;

	fill(frame, sizeof(frame), 2);
	post_tx(f, frame, 0, 0);	/* header only: no frame */
	post_tx(f, frame, 10, 10);	/* a runt */
	fvq_add(&f->d.vqs[TXQ], &w, 1); /* device-writable only */
	post_tx(f, frame, sizeof(frame), 7);
	fdev_kick(&f->d, TXQ);
	/* Only the good frame reaches the peer; every chain completes. */
	assert_int_equal(peer_frame(f, got, sizeof(got)), sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	for (int i = 0; i < 4; i++)
		assert_true(fvq_wait_used(&f->d.vqs[TXQ], &id, &len, 2000));
}

/* The num_buffers field of the header at gpa. */
static uint16_t num_buffers(struct fixture *f, uint64_t gpa)
{
	uint8_t *h = fg_ptr(&f->d.g, gpa);

	return (uint16_t)(h[10] | h[11] << 8);
}

static void rx_mergeable_spans_buffers(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[3000], got[3100];
	uint64_t gpa[4];
	uint32_t id, len[3], total = 0;

	fill(frame, sizeof(frame), 3);
	post_rx(f, 4, 1500, gpa);
	peer_send(f, frame, sizeof(frame));
	for (int i = 0; i < 3; i++) {
		assert_true(fvq_wait_used(&f->d.vqs[RXQ], &id, &len[i], 2000));
		memcpy(got + total, fg_ptr(&f->d.g, gpa[i]), len[i]);
		total += len[i];
	}
	assert_int_equal(len[0], 1500);
	assert_int_equal(len[2], HDR + sizeof(frame) - 3000);
	assert_int_equal(num_buffers(f, gpa[0]), 3);
	assert_memory_equal(got + HDR, frame, sizeof(frame));
	assert_true(fdev_irq_fired(&f->d));
}

/* A frame that needs more buffers than there are waits for them. */
static void rx_waits_for_buffers(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[2000], second[100];
	uint64_t gpa[3];
	uint32_t id, len;

	fill(frame, sizeof(frame), 4);
	fill(second, sizeof(second), 5);
	post_rx(f, 1, 1024, gpa);
	peer_send(f, frame, sizeof(frame));
	peer_send(f, second, sizeof(second));
	assert_false(fvq_wait_used(&f->d.vqs[RXQ], &id, &len, 200));
	post_rx(f, 2, 1024, gpa + 1);
	assert_true(fvq_wait_used(&f->d.vqs[RXQ], &id, &len, 2000));
	assert_int_equal(len, 1024);
	assert_int_equal(num_buffers(f, gpa[0]), 2);
	assert_memory_equal((uint8_t *)fg_ptr(&f->d.g, gpa[0]) + HDR, frame,
			    1024 - HDR);
	assert_true(fvq_wait_used(&f->d.vqs[RXQ], &id, &len, 2000));
	assert_int_equal(len, sizeof(frame) - (1024 - HDR));
	/* The second frame waits for the third buffer. */
	assert_true(fvq_wait_used(&f->d.vqs[RXQ], &id, &len, 2000));
	assert_int_equal(len, HDR + sizeof(second));
	assert_int_equal(num_buffers(f, gpa[2]), 1);
	assert_memory_equal((uint8_t *)fg_ptr(&f->d.g, gpa[2]) + HDR, second,
			    sizeof(second));
}

/* Without MRG_RXBUF a frame must fit one chain, or it is dropped. */
static void rx_plain_drops_oversized(void **state)
{
	struct fixture *f = *state;
	uint8_t big[3000], small[200];
	uint64_t gpa[1];
	uint32_t id, len;

	fill(big, sizeof(big), 6);
	fill(small, sizeof(small), 7);
	post_rx(f, 1, 1600, gpa);
	peer_send(f, big, sizeof(big));
	peer_send(f, small, sizeof(small));
	assert_true(fvq_wait_used(&f->d.vqs[RXQ], &id, &len, 2000));
	assert_int_equal(len, HDR + sizeof(small));
	assert_memory_equal((uint8_t *)fg_ptr(&f->d.g, gpa[0]) + HDR, small,
			    sizeof(small));
}

/* The peer does not read: the device keeps at most one frame and stops
 * taking chains; once the peer reads, everything arrives in order. */
static void tx_backpressure(void **state)
{
	struct fixture *f = *state;
	int small = 4096, completed = 0;
	static uint8_t frame[50000], got[50100];
	uint32_t id, len;

	assert_int_equal(setsockopt(f->peer, SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)),
			 0);
	/* 30 chains of 2 descriptors fit the 64-entry ring; 1.5 MB exceed
	 * the socket buffers many times. */
	for (int i = 0; i < 30; i++) {
		fill(frame, sizeof(frame), (unsigned int)i);
		post_tx(f, frame, sizeof(frame), 100);
	}
	fdev_kick(&f->d, TXQ);
	while (fvq_wait_used(&f->d.vqs[TXQ], &id, &len, 300))
		completed++;
	assert_true(completed < 30);
	for (int i = 0; i < 30; i++) {
		fill(frame, sizeof(frame), (unsigned int)i);
		assert_int_equal(peer_frame(f, got, sizeof(got)),
				 sizeof(frame));
		assert_memory_equal(got, frame, sizeof(frame));
	}
	while (fvq_wait_used(&f->d.vqs[TXQ], &id, &len, 500))
		completed++;
	assert_int_equal(completed, 30);
}

struct writer {
	int fd;
	const uint8_t *p;
	size_t n;
};

/* Write in odd pieces; blocks while the device holds back (no buffers). */
static void *write_pieces(void *arg)
{
	struct writer *w = arg;

	for (size_t off = 0; off < w->n; off += 777) {
		size_t n = w->n - off < 777 ? w->n - off : 777;

		if (write(w->fd, w->p + off, n) != (ssize_t)n)
			break;
	}
	return NULL;
}

/* Many frames of many sizes, written to the stream in odd pieces. */
static void rx_stream_reassembly(void **state)
{
	struct fixture *f = *state;
	static uint8_t wire[200 * 1600];
	uint64_t gpa[64];
	size_t w = 0, sizes[200];
	unsigned int buf = 0;
	struct writer wr;
	pthread_t t;

	for (int i = 0; i < 200; i++) {
		sizes[i] = 14 + (size_t)(i * 37) % 1500;
		wire[w++] = 0;
		wire[w++] = 0;
		wire[w++] = (uint8_t)(sizes[i] >> 8);
		wire[w++] = (uint8_t)sizes[i];
		fill(wire + w, sizes[i], (unsigned int)i);
		w += sizes[i];
	}
	wr = (struct writer){f->peer, wire, w};
	assert_int_equal(pthread_create(&t, NULL, write_pieces, &wr), 0);
	for (int i = 0; i < 200; i++) {
		uint8_t expect[1600];
		uint32_t id, len;

		if (buf % 64 == 0)
			post_rx(f, 64, 2048, gpa);
		assert_true(fvq_wait_used(&f->d.vqs[RXQ], &id, &len, 2000));
		assert_int_equal(len, HDR + sizes[i]);
		fill(expect, sizes[i], (unsigned int)i);
		assert_memory_equal((uint8_t *)fg_ptr(&f->d.g, gpa[buf % 64]) +
					    HDR,
				    expect, sizes[i]);
		buf++;
	}
	pthread_join(t, NULL);
}

static uint16_t link_status(struct fixture *f)
{
	return (uint16_t)(fdev_rd(&f->d, 0x100 + 4) >> 16);
}

static void config_space_and_link_down(void **state)
{
	struct fixture *f = *state;
	uint8_t bad[4] = {0, 0, 0, 3}; /* a 3-byte frame: broken framing */
	uint32_t lo = fdev_rd(&f->d, 0x100);

	assert_int_equal(lo, 0xe4ef945a);
	assert_int_equal(fdev_rd(&f->d, 0x104) & 0xffff, 0xee0c);
	assert_int_equal(link_status(f), 1);
	assert_int_equal(write(f->peer, bad, 4), 4);
	for (int i = 0; i < 100 && link_status(f) != 0; i++)
		usleep(10000);
	assert_int_equal(link_status(f), 0);
}

static void peer_close_is_link_down(void **state)
{
	struct fixture *f = *state;

	close(f->peer);
	f->peer = open("/dev/null", O_RDONLY);
	for (int i = 0; i < 100 && link_status(f) != 0; i++)
		usleep(10000);
	assert_int_equal(link_status(f), 0);
}

/* A descriptor index out of range breaks the queue: NEEDS_RESET. */
static void malformed_chain_needs_reset(void **state)
{
	struct fixture *f = *state;
	uint64_t b = fg_alloc(&f->d.g, 64, 8);

	fvq_set_desc(&f->d.vqs[TXQ], 0, b, 64, FD_NEXT, 200);
	fvq_publish(&f->d.vqs[TXQ], 0);
	fdev_kick(&f->d, TXQ);
	for (int i = 0; i < 100 && !(fdev_rd(&f->d, 0x070) & 0x40); i++)
		usleep(10000);
	assert_true(fdev_rd(&f->d, 0x070) & 0x40);
}

/* gvproxy's vfkit handshake: bind beside the proxy, greet with VFKT. */
static void gvproxy_handshake(void **state)
{
	char dir[] = "/tmp/krun-net-test-XXXXXX", path[64], local[80];
	struct sockaddr_un from = {0};
	socklen_t from_len = sizeof(from);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct net_backend *be;
	uint8_t frame[60], got[64];
	struct iovec iov = {frame, sizeof(frame)};
	int gv;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gv.sock", dir);
	snprintf(local, sizeof(local), "%s-krun.sock", path);
	strcpy(a.sun_path, path);
	gv = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(gv, (struct sockaddr *)&a, sizeof(a)), 0);
	be = net_gvproxy_connect(path, local, NULL);
	assert_non_null(be);
	assert_int_equal(recvfrom(gv, got, sizeof(got), 0,
				  (struct sockaddr *)&from, &from_len),
			 4);
	assert_memory_equal(got, "VFKT", 4);
	assert_string_equal(from.sun_path, local);
	fill(frame, sizeof(frame), 9);
	assert_int_equal(be->ops->send(be, &iov, 1, sizeof(frame)), 0);
	assert_int_equal(recv(gv, got, sizeof(got), 0), sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	be->ops->destroy(be);
	assert_int_equal(access(local, F_OK), -1);
	/* No proxy listening: a clear error, nothing left behind. */
	close(gv);
	unlink(path);
	assert_null(net_gvproxy_connect(path, local, NULL));
	assert_int_equal(access(local, F_OK), -1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tx_frames_arrive_in_order,
						setup_stream, teardown),
		cmocka_unit_test_setup_teardown(tx_frames_arrive_in_order,
						setup_dgram, teardown),
		cmocka_unit_test_setup_teardown(tx_drops_bad_chains,
						setup_stream, teardown),
		cmocka_unit_test_setup_teardown(rx_mergeable_spans_buffers,
						setup_stream, teardown),
		cmocka_unit_test_setup_teardown(rx_mergeable_spans_buffers,
						setup_dgram, teardown),
		cmocka_unit_test_setup_teardown(rx_waits_for_buffers,
						setup_stream, teardown),
		cmocka_unit_test_setup_teardown(rx_plain_drops_oversized,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(tx_backpressure, setup_stream,
						teardown),
		cmocka_unit_test_setup_teardown(rx_stream_reassembly,
						setup_stream, teardown),
		cmocka_unit_test_setup_teardown(config_space_and_link_down,
						setup_stream, teardown),
		cmocka_unit_test_setup_teardown(peer_close_is_link_down,
						setup_stream, teardown),
		cmocka_unit_test_setup_teardown(malformed_chain_needs_reset,
						setup_stream, teardown),
		cmocka_unit_test(gvproxy_handshake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
