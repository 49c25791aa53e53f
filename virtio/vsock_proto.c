// SPDX-License-Identifier: Apache-2.0
/*
 * The vsock stream protocol between the guest and the host UNIX sockets:
 * REQUEST/RESPONSE/RST, SHUTDOWN per direction, RW under the peer's
 * credit, CREDIT_UPDATE/CREDIT_REQUEST. A connection reads its host fd
 * only while the guest has credit for it and writes to it only what the
 * guest sent within the credit we gave, so a stalled peer stalls only its
 * own connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/iov.h"
#include "virtio/queue.h"
#include "virtio/vsock_conn.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Warn once when the table fills; again only after it drained to half. */
static void warn_full(struct vsock_table *t, const char *what, uint32_t port)
{
	if (t->full_warned)
		return;
	t->full_warned = true;
	log_warn("virtio-vsock: %s port %u refused: %u connections open", what,
		 port, t->n_conns);
}

/* Make epoll watch what the connection can act on now. */
static void update_interest(struct vsock_table *t, struct vsock_conn *c)
{
	uint32_t want = 0;
	struct epoll_event ev = {.data.ptr = c};
	int op;

	if (c->fd >= 0 && c->state == VSOCK_ESTABLISHED) {
		if (!c->host_readable && !c->host_eof &&
		    !(c->guest_shut & VSOCK_SHUTDOWN_RCV))
			want |= EPOLLIN;
		if (c->buf_used)
			want |= EPOLLOUT;
	}
	if (want == c->ep_events)
		return;
	op = !c->ep_events ? EPOLL_CTL_ADD
	     : !want	   ? EPOLL_CTL_DEL
			   : EPOLL_CTL_MOD;
	ev.events = want;
	if (epoll_ctl(t->epfd, op, c->fd, &ev) < 0) {
		log_warn("virtio-vsock: epoll_ctl: %s", strerror(errno));
		t->broken = true;
	}
	c->ep_events = want;
}

/* Drop the host side now; the RST goes out when an rx buffer comes. */
static void reset_conn(struct vsock_table *t, struct vsock_conn *c)
{
	if (c->state == VSOCK_HOST_CONNECT)
		t->n_retry--;
	if (c->fd >= 0) {
		if (c->ep_events)
			epoll_ctl(t->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->ep_events = 0;
	c->state = VSOCK_CLOSING;
	vsock_conn_owe(t, c, VSOCK_PEND(VSOCK_OP_RST));
}

/* An RST answering hdr, for a packet that has no connection. */
static void loose_rst(struct vsock_table *t, const struct vsock_hdr *h)
{
	if (h->op == VSOCK_OP_RST)
		return;
	if (t->n_loose_rst == VSOCK_MAX_LOOSE_RST) {
		log_debug("virtio-vsock: RST queue full, dropping one");
		return;
	}
	t->loose_rst[t->n_loose_rst++] = (struct vsock_hdr){
		.src_cid = h->dst_cid,
		.dst_cid = h->src_cid,
		.src_port = h->dst_port,
		.dst_port = h->src_port,
		.type = VSOCK_TYPE_STREAM,
		.op = VSOCK_OP_RST,
	};
}

/* Apply the guest's SHUTDOWN once its data has reached the host. */
static void apply_guest_shut(struct vsock_table *t, struct vsock_conn *c)
{
	if (c->state != VSOCK_ESTABLISHED || c->buf_used)
		return;
	if ((c->guest_shut & VSOCK_SHUTDOWN_SEND) && !c->shut_wr_done) {
		shutdown(c->fd, SHUT_WR);
		c->shut_wr_done = true;
	}
	if (c->guest_shut == VSOCK_SHUTDOWN_BOTH) {
		reset_conn(t, c); /* the guest closed: confirm with RST */
		return;
	}
	if (c->guest_shut & VSOCK_SHUTDOWN_RCV)
		c->host_readable = false;
	update_interest(t, c);
}

static const struct vsock_port_map *find_map(const struct vsock_table *t,
					     uint32_t port, bool listen)
{
	for (unsigned int i = 0; i < t->n_ports; i++)
		if (t->ports[i].port == port && t->ports[i].listen == listen)
			return &t->ports[i];
	return NULL;
}

/* 0: connected, 1: the backlog is full (retry), <0: -errno. */
static int host_connect(struct vsock_conn *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (c->fd < 0)
		c->fd = socket(AF_UNIX,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	return errno == EAGAIN ? 1 : -errno;
}

static void connected(struct vsock_table *t, struct vsock_conn *c)
{
	c->state = VSOCK_ESTABLISHED;
	vsock_conn_owe(t, c, VSOCK_PEND(VSOCK_OP_RESPONSE));
	update_interest(t, c);
}

/* The guest connects out: bridge to the mapped path or refuse. */
static void guest_request(struct vsock_table *t, const struct vsock_hdr *h)
{
	const struct vsock_port_map *m = find_map(t, h->dst_port, false);
	struct vsock_conn *c;
	int ret;

	if (!m) {
		log_debug("virtio-vsock: no host socket for port %u",
			  h->dst_port);
		loose_rst(t, h);
		return;
	}
	c = vsock_conn_add(t, h->dst_port, h->src_port, -1);
	if (!c) {
		warn_full(t, "guest connection to", h->dst_port);
		loose_rst(t, h);
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	ret = host_connect(c, m->path);
	if (ret == 0) {
		connected(t, c);
		return;
	}
	if (ret == 1) {
		c->state = VSOCK_HOST_CONNECT;
		c->retry_until_ms = now_ms() + VSOCK_HOST_CONNECT_MS;
		t->n_retry++;
		return;
	}
	log_debug("virtio-vsock: port %u: connect to `%s`: %s", h->dst_port,
		  m->path, strerror(-ret));
	reset_conn(t, c);
}

void vsock_conn_retry(struct vsock_table *t)
{
	int64_t now = now_ms();

	for (unsigned int i = 0; i < VSOCK_HASH_SIZE && t->n_retry; i++) {
		for (struct vsock_conn *c = t->hash[i]; c; c = c->h_next) {
			const struct vsock_port_map *m;
			int ret = 1;

			if (c->state != VSOCK_HOST_CONNECT)
				continue;
			m = find_map(t, c->host_port, false);
			if (m)
				ret = host_connect(c, m->path);
			if (ret == 1 && now < c->retry_until_ms)
				continue;
			if (ret != 0) {
				reset_conn(t, c);
				continue;
			}
			t->n_retry--;
			connected(t, c);
		}
	}
}

static void guest_rw(struct vsock_table *t, struct vsock_conn *c,
		     const struct vsock_hdr *h, const struct iovec *iov,
		     unsigned int n, size_t off)
{
	int ret;

	if (c->state != VSOCK_ESTABLISHED ||
	    (c->guest_shut & VSOCK_SHUTDOWN_SEND)) {
		reset_conn(t, c);
		return;
	}
	ret = vsock_conn_put(c, iov, n, off, h->len);
	if (ret < 0) {
		log_debug("virtio-vsock: port %u: %s", c->host_port,
			  ret == -ENOBUFS ? "guest sent past its credit"
					  : strerror(-ret));
		reset_conn(t, c);
		return;
	}
	if (vsock_conn_credit_update_due(c))
		vsock_conn_owe(t, c, VSOCK_PEND(VSOCK_OP_CREDIT_UPDATE));
	update_interest(t, c);
}

static void guest_pkt_conn(struct vsock_table *t, struct vsock_conn *c,
			   const struct vsock_hdr *h, const struct iovec *iov,
			   unsigned int n, size_t off)
{
	switch (h->op) {
	case VSOCK_OP_RST:
		if (c->state == VSOCK_HOST_CONNECT)
			t->n_retry--;
		vsock_conn_free(t, c);
		return;
	case VSOCK_OP_RESPONSE:
		if (c->state != VSOCK_CONNECTING) {
			reset_conn(t, c);
			return;
		}
		c->state = VSOCK_ESTABLISHED;
		update_interest(t, c);
		break;
	case VSOCK_OP_REQUEST:
		reset_conn(t, c);
		return;
	case VSOCK_OP_SHUTDOWN:
		c->guest_shut |= h->flags & VSOCK_SHUTDOWN_BOTH;
		apply_guest_shut(t, c);
		break;
	case VSOCK_OP_RW:
		guest_rw(t, c, h, iov, n, off);
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		vsock_conn_owe(t, c, VSOCK_PEND(VSOCK_OP_CREDIT_UPDATE));
		break;
	}
}

void vsock_conn_refuse(struct vsock_table *t, const struct vsock_hdr *h)
{
	struct vsock_conn *c = NULL;

	if (h->dst_cid == VSOCK_HOST_CID)
		c = vsock_conn_find(t, h->dst_port, h->src_port);
	if (c && c->state != VSOCK_CLOSING)
		reset_conn(t, c);
	else if (!c)
		loose_rst(t, h);
}

void vsock_conn_guest_pkt(struct vsock_table *t, const struct vsock_hdr *h,
			  const struct iovec *iov, unsigned int n, size_t off)
{
	struct vsock_conn *c = vsock_conn_find(t, h->dst_port, h->src_port);

	if (!c) {
		if (h->op == VSOCK_OP_REQUEST)
			guest_request(t, h);
		else
			loose_rst(t, h);
		return;
	}
	if (c->state == VSOCK_CLOSING) {
		if (h->op == VSOCK_OP_RST)
			vsock_conn_free(t, c);
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (vsock_conn_peer_credit(c))
		c->credit_requested = false;
	guest_pkt_conn(t, c, h, iov, n, off);
	c = vsock_conn_find(t, h->dst_port, h->src_port);
	if (c && c->host_readable && vsock_conn_peer_credit(c))
		vsock_conn_owe(t, c, 0);
}

void vsock_conn_host_event(struct vsock_table *t, struct vsock_conn *c,
			   uint32_t events)
{
	int ret;

	if (c->state != VSOCK_ESTABLISHED)
		return;
	if (c->buf_used && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		ret = vsock_conn_flush(c);
		if (ret < 0) {
			reset_conn(t, c);
			return;
		}
		if (vsock_conn_credit_update_due(c) ||
		    (!c->buf_used && c->fwd_cnt != c->fwd_cnt_sent))
			vsock_conn_owe(t, c,
				       VSOCK_PEND(VSOCK_OP_CREDIT_UPDATE));
		apply_guest_shut(t, c);
		if (c->state != VSOCK_ESTABLISHED)
			return;
	}
	if ((c->ep_events & EPOLLIN) &&
	    (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
		c->host_readable = true;
		update_interest(t, c);
		vsock_conn_owe(t, c, 0);
	}
}

void vsock_conn_accepted(struct vsock_table *t, uint32_t port, int fd)
{
	struct vsock_conn *c = NULL;

	for (unsigned int tries = 0; tries < 1024 && !c; tries++) {
		uint32_t hp = t->next_host_port++;

		if (t->next_host_port >= 0x7fffffffu)
			t->next_host_port = 1024;
		if (!vsock_conn_find(t, hp, port) && !find_map(t, hp, false)) {
			c = vsock_conn_add(t, hp, port, fd);
			if (!c)
				break;
		}
	}
	if (!c) {
		warn_full(t, "host connection to", port);
		close(fd);
		return;
	}
	c->state = VSOCK_CONNECTING;
	vsock_conn_owe(t, c, VSOCK_PEND(VSOCK_OP_REQUEST));
}

static void put_hdr(const struct vsock_hdr *h, const struct iovec *in,
		    unsigned int n_in)
{
	uint8_t raw[VSOCK_HDR_SIZE];

	vsock_hdr_encode(h, raw);
	iov_from_buf(in, n_in, 0, raw, sizeof(raw));
}

static struct vsock_hdr conn_hdr(struct vsock_conn *c, uint16_t op)
{
	c->fwd_cnt_sent = c->fwd_cnt;
	return (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = VSOCK_GUEST_CID,
		.src_port = c->host_port,
		.dst_port = c->guest_port,
		.type = VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = VSOCK_CONN_BUF_ALLOC,
		.fwd_cnt = c->fwd_cnt,
	};
}

/* Read host data into the buffer after the header: bytes or 0. */
static uint32_t fill_data(struct vsock_table *t, struct vsock_conn *c,
			  const struct iovec *in, unsigned int n_in,
			  uint32_t room)
{
	struct iovec part[VQ_MAX_IOV];
	uint32_t credit = vsock_conn_peer_credit(c);
	size_t covered;
	ssize_t got;
	int k;

	if (credit == 0) {
		if (!c->credit_requested) {
			c->credit_requested = true;
			vsock_conn_owe(t, c,
				       VSOCK_PEND(VSOCK_OP_CREDIT_REQUEST));
		}
		return 0;
	}
	if (room > credit)
		room = credit;
	k = iov_slice(in, n_in, VSOCK_HDR_SIZE, room, part, VQ_MAX_IOV,
		      &covered);
	if (k <= 0)
		return 0;
	got = readv(c->fd, part, k);
	if (got > 0) {
		c->tx_cnt += (uint32_t)got;
		return (uint32_t)got;
	}
	c->host_readable = false;
	if (got == 0) {
		c->host_eof = true;
		vsock_conn_owe(t, c, VSOCK_PEND(VSOCK_OP_SHUTDOWN));
	} else if (errno != EAGAIN) {
		reset_conn(t, c);
	}
	update_interest(t, c);
	return 0;
}

static bool take(struct vsock_conn *c, uint16_t op)
{
	if (!(c->pending & VSOCK_PEND(op)))
		return false;
	c->pending &= ~VSOCK_PEND(op);
	return true;
}

/* Write c's header for op (len bytes of payload already placed). */
static uint32_t emit(struct vsock_conn *c, uint16_t op, uint32_t len,
		     const struct iovec *in, unsigned int n_in)
{
	struct vsock_hdr h = conn_hdr(c, op);

	h.len = len;
	if (op == VSOCK_OP_SHUTDOWN)
		h.flags = VSOCK_SHUTDOWN_SEND; /* host EOF */
	put_hdr(&h, in, n_in);
	return VSOCK_HDR_SIZE + len;
}

/* The next packet c owes the guest, written to in: its size or 0. Order:
 * REQUEST/RESPONSE, data, then SHUTDOWN and the credit packets (data read
 * before EOF goes out before the SHUTDOWN that EOF owes). */
static uint32_t fill_conn(struct vsock_table *t, struct vsock_conn *c,
			  const struct iovec *in, unsigned int n_in,
			  uint32_t room)
{
	static const uint16_t ctrl[] = {VSOCK_OP_REQUEST, VSOCK_OP_RESPONSE};
	static const uint16_t late[] = {VSOCK_OP_SHUTDOWN,
					VSOCK_OP_CREDIT_UPDATE,
					VSOCK_OP_CREDIT_REQUEST};
	uint32_t len;

	for (unsigned int i = 0; i < 2; i++)
		if (take(c, ctrl[i]))
			return emit(c, ctrl[i], 0, in, n_in);
	if (c->host_readable && c->state == VSOCK_ESTABLISHED &&
	    !(c->guest_shut & VSOCK_SHUTDOWN_RCV)) {
		len = fill_data(t, c, in, n_in, room);
		if (len)
			return emit(c, VSOCK_OP_RW, len, in, n_in);
	}
	for (unsigned int i = 0; i < 3; i++)
		if (take(c, late[i]))
			return emit(c, late[i], 0, in, n_in);
	return 0;
}

uint32_t vsock_conn_fill_rx(struct vsock_table *t, const struct iovec *in,
			    unsigned int n_in, uint32_t in_len)
{
	uint32_t room = in_len - VSOCK_HDR_SIZE;

	if (in_len < VSOCK_HDR_SIZE)
		return 0;
	if (room > VSOCK_MAX_PKT_LEN)
		room = VSOCK_MAX_PKT_LEN;
	if (t->n_loose_rst) {
		put_hdr(&t->loose_rst[0], in, n_in);
		memmove(t->loose_rst, t->loose_rst + 1,
			--t->n_loose_rst * sizeof(t->loose_rst[0]));
		return VSOCK_HDR_SIZE;
	}
	while (t->q_head) {
		struct vsock_conn *c = t->q_head;
		uint32_t len;

		t->q_head = c->q_next;
		if (!t->q_head)
			t->q_tail = NULL;
		c->queued = false;
		if (c->state == VSOCK_CLOSING) {
			struct vsock_hdr h = conn_hdr(c, VSOCK_OP_RST);

			put_hdr(&h, in, n_in);
			vsock_conn_free(t, c);
			return VSOCK_HDR_SIZE;
		}
		len = fill_conn(t, c, in, n_in, room);
		/* Emitting nothing leaves only owed packets to come back
		 * for, so the loop ends. Out of credit, the next turn owes
		 * a CREDIT_REQUEST (once). */
		if (c->pending || c->state == VSOCK_CLOSING ||
		    (len && c->host_readable))
			vsock_conn_owe(t, c, 0);
		if (len)
			return len;
	}
	return 0;
}
