// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock: the header codec and checks, credit accounting and the
 * connection table directly; the device through the fake guest, with
 * host UNIX sockets in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/mmio.h"
#include "virtio/vsock.h"

#define RXQ 0
#define TXQ 1
#define EVQ 2
#define QSIZE 64
#define RX_BUF 4096

static struct vsock_hdr hdr(uint16_t op, uint32_t src_port, uint32_t dst_port)
{
	return (struct vsock_hdr){.src_cid = VSOCK_GUEST_CID,
				  .dst_cid = VSOCK_HOST_CID,
				  .src_port = src_port,
				  .dst_port = dst_port,
				  .type = VSOCK_TYPE_STREAM,
				  .op = op,
				  .buf_alloc = 65536};
}

/* ---- header, credit, table: no device ---- */

static void header_roundtrip(void **state)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 0x11223344, 0x55667788), g;
	uint8_t raw[VSOCK_HDR_SIZE];

	h.len = 7;
	h.flags = 3;
	h.fwd_cnt = 0xdeadbeef;
	vsock_hdr_encode(&h, raw);
	assert_int_equal(raw[0], 3); /* le64 src_cid */
	assert_int_equal(raw[8], 2);
	assert_int_equal(raw[16], 0x44);	/* le32 src_port */
	assert_int_equal(raw[30], VSOCK_OP_RW); /* le16 op at 30 */
	vsock_hdr_decode(raw, &g);
	assert_int_equal(g.src_cid, h.src_cid);
	assert_int_equal(g.dst_cid, h.dst_cid);
	assert_int_equal(g.src_port, h.src_port);
	assert_int_equal(g.dst_port, h.dst_port);
	assert_int_equal(g.len, 7);
	assert_int_equal(g.type, h.type);
	assert_int_equal(g.op, h.op);
	assert_int_equal(g.flags, 3);
	assert_int_equal(g.buf_alloc, h.buf_alloc);
	assert_int_equal(g.fwd_cnt, 0xdeadbeef);
	assert_int_equal(vsock_hdr_check(&h, VSOCK_HDR_SIZE + 7, NULL), 0);
}

static void header_malformed(void **state)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 1, 2);

	assert_int_equal(vsock_hdr_check(&h, 43, NULL), -EINVAL);
	h.len = 10; /* past the chain */
	assert_int_equal(vsock_hdr_check(&h, VSOCK_HDR_SIZE + 9, NULL),
			 -EINVAL);
	h.len = VSOCK_MAX_PKT_LEN + 1;
	assert_int_equal(vsock_hdr_check(&h, UINT32_MAX, NULL), -EINVAL);
	h = hdr(VSOCK_OP_REQUEST, 1, 2);
	h.len = 1; /* payload on a control op */
	assert_int_equal(vsock_hdr_check(&h, 100, NULL), -EINVAL);
	h = hdr(VSOCK_OP_REQUEST, 1, 2);
	h.src_cid = 2; /* spoofed source */
	assert_int_equal(vsock_hdr_check(&h, 44, NULL), -EINVAL);
	h = hdr(VSOCK_OP_REQUEST, 1, 2);
	h.dst_cid = 7; /* no such peer: answered with RST */
	assert_int_equal(vsock_hdr_check(&h, 44, NULL), -EPROTO);
	h = hdr(0, 1, 2);
	assert_int_equal(vsock_hdr_check(&h, 44, NULL), -EPROTO);
	h = hdr(8, 1, 2);
	assert_int_equal(vsock_hdr_check(&h, 44, NULL), -EPROTO);
	h = hdr(VSOCK_OP_REQUEST, 1, 2);
	h.type = 2; /* SEQPACKET: not offered */
	assert_int_equal(vsock_hdr_check(&h, 44, NULL), -EPROTO);
}

static void credit_accounting(void **state)
{
	struct vsock_conn c = {.fd = -1};

	c.peer_buf_alloc = 1000;
	assert_int_equal(vsock_conn_peer_credit(&c), 1000);
	c.tx_cnt = 600;
	assert_int_equal(vsock_conn_peer_credit(&c), 400);
	c.peer_fwd_cnt = 500;
	assert_int_equal(vsock_conn_peer_credit(&c), 900);
	c.peer_buf_alloc = 50; /* shrunk below what is in flight */
	assert_int_equal(vsock_conn_peer_credit(&c), 0);
	/* counters wrap */
	c = (struct vsock_conn){.peer_buf_alloc = 100,
				.tx_cnt = 10,
				.peer_fwd_cnt = UINT32_MAX - 19};
	assert_int_equal(vsock_conn_peer_credit(&c), 70);
	/* our side: the guest is told once it has used half */
	c = (struct vsock_conn){.fd = -1};
	assert_int_equal(vsock_conn_own_credit(&c), VSOCK_CONN_BUF_ALLOC);
	c.rx_cnt = VSOCK_CONN_BUF_ALLOC / 2 + 1;
	assert_false(vsock_conn_credit_update_due(&c));
	c.fwd_cnt = c.rx_cnt;
	assert_int_equal(vsock_conn_own_credit(&c), VSOCK_CONN_BUF_ALLOC);
	assert_true(vsock_conn_credit_update_due(&c));
	c.fwd_cnt_sent = c.fwd_cnt;
	assert_false(vsock_conn_credit_update_due(&c));
}

static void put_respects_credit(void **state)
{
	static uint8_t data[VSOCK_MAX_PKT_LEN];
	struct iovec iov = {data, sizeof(data)};
	struct vsock_conn c = {.fd = -1};
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c.fd = sv[0];
	/* the peer never reads: everything past the socket is buffered */
	while (vsock_conn_own_credit(&c) >= sizeof(data))
		assert_int_equal(vsock_conn_put(&c, &iov, 1, 0, sizeof(data)),
				 0);
	assert_true(c.buf_used > 0);
	assert_true(c.buf_used <= VSOCK_CONN_BUF_ALLOC);
	assert_int_equal(vsock_conn_put(&c, &iov, 1, 0, sizeof(data)),
			 -ENOBUFS);
	close(sv[1]);
	assert_int_equal(vsock_conn_flush(&c), -EPIPE);
	close(sv[0]);
	free(c.buf);
}

static void table_limits(void **state)
{
	struct vsock_table *t = malloc(sizeof(*t));

	vsock_table_init(t, -1, NULL, 0, 1024);
	for (uint32_t i = 0; i < 1024; i++)
		assert_non_null(vsock_conn_add(t, 5000, i, -1));
	assert_null(vsock_conn_add(t, 5000, 99999, -1));
	assert_int_equal(t->n_conns, 1024);
	assert_non_null(vsock_conn_find(t, 5000, 777));
	assert_null(vsock_conn_find(t, 5001, 777));
	vsock_conn_free(t, vsock_conn_find(t, 5000, 777));
	assert_null(vsock_conn_find(t, 5000, 777));
	assert_non_null(vsock_conn_add(t, 5000, 99999, -1));
	vsock_table_clear(t);
	assert_int_equal(t->n_conns, 0);
	free(t);
}

/* ---- the device through the fake guest ---- */

#define MAP_PORT 1234
#define LISTEN_PORT 4321
#define DEAD_PORT 77
#define MAX_CONNS 4
#define N_RX 16

struct vt {
	struct fake_dev d;
	char dir[64];
	char path[128], lpath[128], dead[128];
	int srv;
	uint64_t rx_hdr[QSIZE], rx_data[QSIZE];
	uint64_t tx_hdr, tx_data;
};

static void post_rx(struct vt *v, uint64_t h, uint64_t b)
{
	struct fake_buf bufs[2] = {{h, VSOCK_HDR_SIZE, true},
				   {b, RX_BUF, true}};
	uint16_t head = fvq_add(&v->d.vqs[RXQ], bufs, 2);

	v->rx_hdr[head] = h;
	v->rx_data[head] = b;
	fdev_kick(&v->d, RXQ);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 16))
		abort();
	return fd;
}

static int vt_setup(void **state)
{
	struct vt *v = calloc(1, sizeof(*v));
	struct vsock_port_map ports[3];
	struct virtio_device *dev;

	strcpy(v->dir, "/tmp/krun-vsock-XXXXXX");
	if (!mkdtemp(v->dir))
		return -1;
	snprintf(v->path, sizeof(v->path), "%s/agent.sock", v->dir);
	snprintf(v->lpath, sizeof(v->lpath), "%s/in.sock", v->dir);
	snprintf(v->dead, sizeof(v->dead), "%s/none.sock", v->dir);
	v->srv = listen_unix(v->path);
	ports[0] = (struct vsock_port_map){MAP_PORT, v->path, false};
	ports[1] = (struct vsock_port_map){LISTEN_PORT, v->lpath, true};
	ports[2] = (struct vsock_port_map){DEAD_PORT, v->dead, false};
	dev = virtio_vsock_create(ports, 3, MAX_CONNS, NULL);
	if (!dev)
		return -1;
	if (fdev_start(&v->d, dev, 3, QSIZE, 0) != 0xf)
		return -1;
	v->tx_hdr = fg_alloc(&v->d.g, VSOCK_HDR_SIZE, 8);
	v->tx_data = fg_alloc(&v->d.g, VSOCK_MAX_PKT_LEN, 8);
	for (unsigned int i = 0; i < N_RX; i++)
		post_rx(v, fg_alloc(&v->d.g, VSOCK_HDR_SIZE, 8),
			fg_alloc(&v->d.g, RX_BUF, 8));
	*state = v;
	return 0;
}

static int vt_teardown(void **state)
{
	struct vt *v = *state;
	struct stat st;

	fdev_stop(&v->d);
	/* the listening socket the device made is gone with it */
	assert_int_equal(stat(v->lpath, &st), -1);
	close(v->srv);
	unlink(v->path);
	rmdir(v->dir);
	free(v);
	return 0;
}

/* Send a packet on the tx queue and wait until the device took it. */
static void send_pkt(struct vt *v, struct vsock_hdr h, const void *data,
		     uint32_t len)
{
	struct fake_buf bufs[2] = {{v->tx_hdr, VSOCK_HDR_SIZE, false},
				   {v->tx_data, len, false}};
	uint32_t id, used;

	h.len = len;
	vsock_hdr_encode(&h, fg_ptr(&v->d.g, v->tx_hdr));
	if (len)
		memcpy(fg_ptr(&v->d.g, v->tx_data), data, len);
	fvq_add(&v->d.vqs[TXQ], bufs, len ? 2 : 1);
	fdev_kick(&v->d, TXQ);
	assert_true(fvq_wait_used(&v->d.vqs[TXQ], &id, &used, 2000));
	assert_int_equal(used, 0);
}

/* The next packet on the rx queue (payload into data), or false. */
static bool recv_pkt(struct vt *v, struct vsock_hdr *h, void *data, int ms)
{
	uint32_t id, len;

	if (!fvq_wait_used(&v->d.vqs[RXQ], &id, &len, ms))
		return false;
	vsock_hdr_decode(fg_ptr(&v->d.g, v->rx_hdr[id]), h);
	assert_int_equal(len, VSOCK_HDR_SIZE + h->len);
	assert_true(h->len <= RX_BUF);
	if (data)
		memcpy(data, fg_ptr(&v->d.g, v->rx_data[id]), h->len);
	assert_int_equal(h->dst_cid, VSOCK_GUEST_CID);
	post_rx(v, v->rx_hdr[id], v->rx_data[id]);
	return true;
}

static void expect_pkt(struct vt *v, uint16_t op, uint32_t src, uint32_t dst,
		       struct vsock_hdr *out, void *data)
{
	struct vsock_hdr h;

	assert_true(recv_pkt(v, &h, data, 2000));
	assert_int_equal(h.op, op);
	assert_int_equal(h.src_cid, op == VSOCK_OP_RST && h.src_cid == 5
					    ? 5
					    : VSOCK_HOST_CID);
	assert_int_equal(h.src_port, src);
	assert_int_equal(h.dst_port, dst);
	if (out)
		*out = h;
}

static int accept_wait(int srv)
{
	struct pollfd p = {.fd = srv, .events = POLLIN};

	assert_int_equal(poll(&p, 1, 2000), 1);
	return accept(srv, NULL, NULL);
}

/* Guest port gp connects to MAP_PORT; returns the host's end. */
static int guest_connect(struct vt *v, uint32_t gp)
{
	int fd;

	send_pkt(v, hdr(VSOCK_OP_REQUEST, gp, MAP_PORT), NULL, 0);
	fd = accept_wait(v->srv);
	assert_true(fd >= 0);
	expect_pkt(v, VSOCK_OP_RESPONSE, MAP_PORT, gp, NULL, NULL);
	return fd;
}

static void connect_out(void **state)
{
	struct vt *v = *state;
	struct vsock_hdr h;
	char buf[16] = {0};
	int fd = guest_connect(v, 5000);

	send_pkt(v, hdr(VSOCK_OP_RW, 5000, MAP_PORT), "hello", 5);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(write(fd, "world", 5), 5);
	expect_pkt(v, VSOCK_OP_RW, MAP_PORT, 5000, &h, buf);
	assert_int_equal(h.len, 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(h.buf_alloc, VSOCK_CONN_BUF_ALLOC);
	close(fd); /* the host peer closes: the guest gets SHUTDOWN(SEND) */
	expect_pkt(v, VSOCK_OP_SHUTDOWN, MAP_PORT, 5000, &h, NULL);
	assert_int_equal(h.flags, VSOCK_SHUTDOWN_SEND);
	h = hdr(VSOCK_OP_SHUTDOWN, 5000, MAP_PORT);
	h.flags = VSOCK_SHUTDOWN_BOTH;
	send_pkt(v, h, NULL, 0);
	expect_pkt(v, VSOCK_OP_RST, MAP_PORT, 5000, NULL, NULL);
}

static void refusals(void **state)
{
	struct vt *v = *state;

	send_pkt(v, hdr(VSOCK_OP_REQUEST, 5001, 999), NULL, 0);
	expect_pkt(v, VSOCK_OP_RST, 999, 5001, NULL, NULL);
	send_pkt(v, hdr(VSOCK_OP_REQUEST, 5002, DEAD_PORT), NULL, 0);
	expect_pkt(v, VSOCK_OP_RST, DEAD_PORT, 5002, NULL, NULL);
	/* RW on no connection */
	send_pkt(v, hdr(VSOCK_OP_RW, 5003, MAP_PORT), "x", 1);
	expect_pkt(v, VSOCK_OP_RST, MAP_PORT, 5003, NULL, NULL);
	/* an RST to nowhere is not answered */
	send_pkt(v, hdr(VSOCK_OP_RST, 5004, MAP_PORT), NULL, 0);
	assert_false(
		fvq_get_used(&v->d.vqs[RXQ], &(uint32_t){0}, &(uint32_t){0}));
}

static void malformed_packets(void **state)
{
	struct vt *v = *state;
	struct vsock_hdr h = hdr(VSOCK_OP_REQUEST, 6000, MAP_PORT);
	struct fake_buf b = {v->tx_hdr, VSOCK_HDR_SIZE, false};
	uint32_t id, len;
	int fd;

	h.src_cid = 9; /* dropped: no answer */
	send_pkt(v, h, NULL, 0);
	h = hdr(42, 6001, MAP_PORT); /* bad op: RST */
	send_pkt(v, h, NULL, 0);
	expect_pkt(v, VSOCK_OP_RST, MAP_PORT, 6001, NULL, NULL);
	h = hdr(VSOCK_OP_REQUEST, 6002, MAP_PORT);
	h.dst_cid = 5; /* another CID: RST from it */
	send_pkt(v, h, NULL, 0);
	expect_pkt(v, VSOCK_OP_RST, MAP_PORT, 6002, &h, NULL);
	assert_int_equal(h.src_cid, 5);
	/* len past the chain: dropped, the connection is not made */
	h = hdr(VSOCK_OP_REQUEST, 6003, MAP_PORT);
	h.len = 100;
	vsock_hdr_encode(&h, fg_ptr(&v->d.g, v->tx_hdr));
	fvq_add(&v->d.vqs[TXQ], &b, 1);
	fdev_kick(&v->d, TXQ);
	assert_true(fvq_wait_used(&v->d.vqs[TXQ], &id, &len, 2000));
	fd = guest_connect(v, 6004);
	close(fd);
	/* nothing else reached the host or the guest */
	assert_int_equal(poll(&(struct pollfd){v->srv, POLLIN, 0}, 1, 0), 0);
}

/* A malformed chain on tx: the shared policy (NEEDS_RESET, nothing more
 * served); a good REQUEST behind it must not reach the host. */
static void malformed_chain_policy(void **state)
{
	struct vt *v = *state;
	struct fake_buf good = {v->tx_hdr, VSOCK_HDR_SIZE, false};
	struct vsock_hdr h = hdr(VSOCK_OP_REQUEST, 6100, MAP_PORT);

	vsock_hdr_encode(&h, fg_ptr(&v->d.g, v->tx_hdr));
	fdev_check_malformed_policy(&v->d, TXQ, "vsock", &good, 1);
	assert_int_equal(poll(&(struct pollfd){v->srv, POLLIN, 0}, 1, 0), 0);
}

static void listen_in(void **state)
{
	struct vt *v = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct vsock_hdr h;
	char buf[8];
	uint32_t hp;

	strcpy(sa.sun_path, v->lpath);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_true(recv_pkt(v, &h, NULL, 2000));
	assert_int_equal(h.op, VSOCK_OP_REQUEST);
	assert_int_equal(h.dst_port, LISTEN_PORT);
	hp = h.src_port;
	assert_int_equal(write(fd, "ping", 4), 4); /* held until RESPONSE */
	send_pkt(v, hdr(VSOCK_OP_RESPONSE, LISTEN_PORT, hp), NULL, 0);
	expect_pkt(v, VSOCK_OP_RW, hp, LISTEN_PORT, &h, buf);
	assert_int_equal(h.len, 4);
	assert_memory_equal(buf, "ping", 4);
	send_pkt(v, hdr(VSOCK_OP_RW, LISTEN_PORT, hp), "pong", 4);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "pong", 4);
	/* the guest resets: the host sees EOF */
	send_pkt(v, hdr(VSOCK_OP_RST, LISTEN_PORT, hp), NULL, 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}

static void half_close(void **state)
{
	struct vt *v = *state;
	struct vsock_hdr h = hdr(VSOCK_OP_SHUTDOWN, 7000, MAP_PORT);
	char buf[8];
	int fd = guest_connect(v, 7000);

	send_pkt(v, hdr(VSOCK_OP_RW, 7000, MAP_PORT), "q", 1);
	h.flags = VSOCK_SHUTDOWN_SEND;
	send_pkt(v, h, NULL, 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 1);
	assert_int_equal(read(fd, buf, sizeof(buf)), 0); /* EOF */
	assert_int_equal(write(fd, "answer", 6), 6);	 /* still readable */
	expect_pkt(v, VSOCK_OP_RW, MAP_PORT, 7000, &h, buf);
	assert_memory_equal(buf, "answer", 6);
	close(fd);
	expect_pkt(v, VSOCK_OP_SHUTDOWN, MAP_PORT, 7000, NULL, NULL);
}

static void credit_stall(void **state)
{
	struct vt *v = *state;
	struct vsock_hdr h = hdr(VSOCK_OP_REQUEST, 8000, MAP_PORT);
	char buf[RX_BUF];
	int fd;

	h.buf_alloc = 8; /* the guest takes 8 bytes at a time */
	send_pkt(v, h, NULL, 0);
	fd = accept_wait(v->srv);
	expect_pkt(v, VSOCK_OP_RESPONSE, MAP_PORT, 8000, NULL, NULL);
	assert_int_equal(write(fd, "0123456789abcdef!", 17), 17);
	expect_pkt(v, VSOCK_OP_RW, MAP_PORT, 8000, &h, buf);
	assert_int_equal(h.len, 8);
	expect_pkt(v, VSOCK_OP_CREDIT_REQUEST, MAP_PORT, 8000, NULL, NULL);
	/* a second connection is not held up by the first */
	close(guest_connect(v, 8001));
	expect_pkt(v, VSOCK_OP_SHUTDOWN, MAP_PORT, 8001, NULL, NULL);
	h = hdr(VSOCK_OP_CREDIT_UPDATE, 8000, MAP_PORT);
	h.buf_alloc = 8;
	h.fwd_cnt = 8;
	send_pkt(v, h, NULL, 0);
	expect_pkt(v, VSOCK_OP_RW, MAP_PORT, 8000, &h, buf);
	assert_int_equal(h.len, 8);
	assert_memory_equal(buf, "89abcdef", 8);
	expect_pkt(v, VSOCK_OP_CREDIT_REQUEST, MAP_PORT, 8000, NULL, NULL);
	/* the guest asks for our credit (and still has no room) */
	h = hdr(VSOCK_OP_CREDIT_REQUEST, 8000, MAP_PORT);
	h.buf_alloc = 8;
	h.fwd_cnt = 8;
	send_pkt(v, h, NULL, 0);
	expect_pkt(v, VSOCK_OP_CREDIT_UPDATE, MAP_PORT, 8000, &h, NULL);
	assert_int_equal(h.buf_alloc, VSOCK_CONN_BUF_ALLOC);
	close(fd);
}

static void table_full(void **state)
{
	struct vt *v = *state;
	int fds[MAX_CONNS];

	for (uint32_t i = 0; i < MAX_CONNS; i++)
		fds[i] = guest_connect(v, 9000 + i);
	send_pkt(v, hdr(VSOCK_OP_REQUEST, 9100, MAP_PORT), NULL, 0);
	expect_pkt(v, VSOCK_OP_RST, MAP_PORT, 9100, NULL, NULL);
	for (uint32_t i = 0; i < MAX_CONNS; i++)
		close(fds[i]);
}

static void listen_refuses_non_socket(void **state)
{
	char dir[] = "/tmp/krun-vsock-XXXXXX", path[64];
	struct krun_err *err = NULL;
	struct vsock_port_map m = {1, path, true};
	struct virtio_device *dev;
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(virtio_vsock_create(&m, 1, 0, &err));
	assert_non_null(strstr(krun_err_msg(err), "not a socket"));
	krun_err_free(&err);
	unlink(path);
	/* a stale socket is replaced; destroy removes the new one */
	close(listen_unix(path));
	dev = virtio_vsock_create(&m, 1, 0, NULL);
	assert_non_null(dev);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	dev->ops->destroy(dev);
	assert_int_equal(stat(path, &st), -1);
	rmdir(dir);
}

#define VT(fn) cmocka_unit_test_setup_teardown(fn, vt_setup, vt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_roundtrip),
		cmocka_unit_test(header_malformed),
		cmocka_unit_test(credit_accounting),
		cmocka_unit_test(put_respects_credit),
		cmocka_unit_test(table_limits),
		cmocka_unit_test(listen_refuses_non_socket),
		VT(connect_out),
		VT(refusals),
		VT(malformed_packets),
		VT(malformed_chain_policy),
		VT(listen_in),
		VT(half_close),
		VT(credit_stall),
		VT(table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
