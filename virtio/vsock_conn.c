// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock connections: the packet header, the connection table, the
 * credit arithmetic and the bounded guest -> host buffer. The protocol
 * state machine that uses them is in vsock_proto.c.
 */
#include "virtio/vsock_conn.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "virtio/iov.h"
#include "virtio/queue.h"

void vsock_hdr_decode(const uint8_t in[VSOCK_HDR_SIZE], struct vsock_hdr *h)
{
	uint64_t q[2];
	uint32_t w[3], t[3];
	uint16_t s[2];

	memcpy(q, in, 16);
	memcpy(w, in + 16, 12);
	memcpy(s, in + 28, 4);
	memcpy(t, in + 32, 12);
	h->src_cid = le64toh(q[0]);
	h->dst_cid = le64toh(q[1]);
	h->src_port = le32toh(w[0]);
	h->dst_port = le32toh(w[1]);
	h->len = le32toh(w[2]);
	h->type = le16toh(s[0]);
	h->op = le16toh(s[1]);
	h->flags = le32toh(t[0]);
	h->buf_alloc = le32toh(t[1]);
	h->fwd_cnt = le32toh(t[2]);
}

void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t out[VSOCK_HDR_SIZE])
{
	uint64_t q[2] = {htole64(h->src_cid), htole64(h->dst_cid)};
	uint32_t w[3] = {htole32(h->src_port), htole32(h->dst_port),
			 htole32(h->len)};
	uint16_t s[2] = {htole16(h->type), htole16(h->op)};
	uint32_t t[3] = {htole32(h->flags), htole32(h->buf_alloc),
			 htole32(h->fwd_cnt)};

	memcpy(out, q, 16);
	memcpy(out + 16, w, 12);
	memcpy(out + 28, s, 4);
	memcpy(out + 32, t, 12);
}

int vsock_hdr_check(const struct vsock_hdr *h, uint32_t chain_len,
		    struct krun_err **err)
{
	if (chain_len < VSOCK_HDR_SIZE)
		return krun_err_set(
			err, EINVAL,
			"packet of %u bytes: shorter than its header",
			chain_len);
	if (h->src_cid != VSOCK_GUEST_CID)
		return krun_err_set(err, EINVAL, "bad source CID %llu",
				    (unsigned long long)h->src_cid);
	if (h->len > chain_len - VSOCK_HDR_SIZE)
		return krun_err_set(
			err, EINVAL,
			"payload of %u bytes past the chain's %u bytes", h->len,
			chain_len - VSOCK_HDR_SIZE);
	if (h->len > VSOCK_MAX_PKT_LEN)
		return krun_err_set(err, EINVAL, "payload of %u bytes too long",
				    h->len);
	if (h->len && h->op != VSOCK_OP_RW)
		return krun_err_set(err, EINVAL, "payload on op %u", h->op);
	if (h->dst_cid != VSOCK_HOST_CID)
		return krun_err_set(err, EPROTO, "no such CID %llu",
				    (unsigned long long)h->dst_cid);
	if (h->type != VSOCK_TYPE_STREAM)
		return krun_err_set(err, EPROTO, "socket type %u unsupported",
				    h->type);
	if (h->op < VSOCK_OP_REQUEST || h->op > VSOCK_OP_CREDIT_REQUEST)
		return krun_err_set(err, EPROTO, "unknown op %u", h->op);
	return 0;
}

void vsock_table_init(struct vsock_table *t, int epfd,
		      const struct vsock_port_map *ports, unsigned int n_ports,
		      unsigned int max_conns)
{
	memset(t, 0, sizeof(*t));
	t->epfd = epfd;
	t->ports = ports;
	t->n_ports = n_ports;
	t->max_conns = max_conns;
	t->next_host_port = 1024;
}

void vsock_table_clear(struct vsock_table *t)
{
	for (unsigned int i = 0; i < VSOCK_HASH_SIZE; i++)
		while (t->hash[i])
			vsock_conn_free(t, t->hash[i]);
	t->n_loose_rst = 0;
}

static unsigned int bucket(uint32_t host_port, uint32_t guest_port)
{
	return (host_port * 2654435761u ^ guest_port) % VSOCK_HASH_SIZE;
}

struct vsock_conn *vsock_conn_find(const struct vsock_table *t,
				   uint32_t host_port, uint32_t guest_port)
{
	struct vsock_conn *c = t->hash[bucket(host_port, guest_port)];

	while (c && (c->host_port != host_port || c->guest_port != guest_port))
		c = c->h_next;
	return c;
}

struct vsock_conn *vsock_conn_add(struct vsock_table *t, uint32_t host_port,
				  uint32_t guest_port, int fd)
{
	unsigned int b = bucket(host_port, guest_port);
	struct vsock_conn *c;

	if (t->n_conns >= t->max_conns)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ev.kind = VSOCK_EV_CONN;
	c->host_port = host_port;
	c->guest_port = guest_port;
	c->fd = fd;
	c->state = VSOCK_ESTABLISHED;
	c->h_next = t->hash[b];
	t->hash[b] = c;
	t->n_conns++;
	return c;
}

static void unlink_queue(struct vsock_table *t, struct vsock_conn *c)
{
	struct vsock_conn **pp = &t->q_head, *prev = NULL;

	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->q_next;
	}
	if (!*pp)
		return;
	*pp = c->q_next;
	if (t->q_tail == c)
		t->q_tail = prev;
	c->queued = false;
}

void vsock_conn_free(struct vsock_table *t, struct vsock_conn *c)
{
	struct vsock_conn **pp = &t->hash[bucket(c->host_port, c->guest_port)];

	while (*pp && *pp != c)
		pp = &(*pp)->h_next;
	if (*pp) {
		*pp = c->h_next;
		t->n_conns--;
	}
	if (t->n_conns <= t->max_conns / 2)
		t->full_warned = false;
	if (c->queued)
		unlink_queue(t, c);
	if (c->fd >= 0)
		close(c->fd); /* leaves the epoll set with it */
	free(c->buf);
	free(c);
}

uint32_t vsock_conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight > c->peer_buf_alloc ? 0
					     : c->peer_buf_alloc - in_flight;
}

uint32_t vsock_conn_own_credit(const struct vsock_conn *c)
{
	return VSOCK_CONN_BUF_ALLOC - (c->rx_cnt - c->fwd_cnt);
}

bool vsock_conn_credit_update_due(const struct vsock_conn *c)
{
	uint32_t seen_free =
		VSOCK_CONN_BUF_ALLOC - (c->rx_cnt - c->fwd_cnt_sent);

	return c->fwd_cnt != c->fwd_cnt_sent &&
	       seen_free < VSOCK_CONN_BUF_ALLOC / 2;
}

void vsock_conn_owe(struct vsock_table *t, struct vsock_conn *c, uint32_t pend)
{
	c->pending |= pend;
	if (c->queued)
		return;
	c->queued = true;
	c->q_next = NULL;
	if (t->q_tail)
		t->q_tail->q_next = c;
	else
		t->q_head = c;
	t->q_tail = c;
}

/* Copy len bytes at off in iov into the ring after its used bytes. */
static int buffer_tail(struct vsock_conn *c, const struct iovec *iov,
		       unsigned int n, size_t off, uint32_t len)
{
	uint32_t tail, first;

	if (!c->buf) {
		c->buf = malloc(VSOCK_CONN_BUF_ALLOC);
		if (!c->buf)
			return -ENOMEM;
		c->buf_head = 0;
	}
	tail = (c->buf_head + c->buf_used) % VSOCK_CONN_BUF_ALLOC;
	first = VSOCK_CONN_BUF_ALLOC - tail;
	if (first > len)
		first = len;
	iov_to_buf(iov, n, off, c->buf + tail, first);
	iov_to_buf(iov, n, off + first, c->buf, len - first);
	c->buf_used += len;
	return 0;
}

/* writev() that never raises SIGPIPE. */
static ssize_t send_iov(int fd, struct iovec *iov, unsigned int n)
{
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = n};

	return sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int vsock_conn_put(struct vsock_conn *c, const struct iovec *iov,
		   unsigned int n, size_t off, uint32_t len)
{
	struct iovec part[VQ_MAX_IOV];
	ssize_t done = 0;

	if (len > vsock_conn_own_credit(c))
		return -ENOBUFS;
	c->rx_cnt += len;
	if (c->buf_used == 0 && len) {
		size_t got;
		int k = iov_slice(iov, n, off, len, part, VQ_MAX_IOV, &got);

		if (k < 0)
			return k;
		done = send_iov(c->fd, part, (unsigned int)k);
		if (done < 0 && errno != EAGAIN)
			return -errno;
		if (done < 0)
			done = 0;
		c->fwd_cnt += (uint32_t)done;
	}
	if ((uint32_t)done == len)
		return 0;
	return buffer_tail(c, iov, n, off + (size_t)done, len - (uint32_t)done);
}

int vsock_conn_flush(struct vsock_conn *c)
{
	while (c->buf_used) {
		uint32_t first = VSOCK_CONN_BUF_ALLOC - c->buf_head;
		struct iovec v[2] = {{c->buf + c->buf_head, first},
				     {c->buf, c->buf_used - first}};
		ssize_t n;

		if (first >= c->buf_used)
			v[0].iov_len = c->buf_used;
		n = send_iov(c->fd, v, first >= c->buf_used ? 1 : 2);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->buf_head =
			(c->buf_head + (uint32_t)n) % VSOCK_CONN_BUF_ALLOC;
		c->buf_used -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	free(c->buf); /* drained: no memory held by an idle connection */
	c->buf = NULL;
	c->buf_head = 0;
	return 0;
}

bool vsock_conn_rx_pending(const struct vsock_table *t)
{
	return t->n_loose_rst > 0 || t->q_head != NULL;
}
