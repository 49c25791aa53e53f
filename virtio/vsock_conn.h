/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock stream connections, independent of the virtqueues: the
 * packet header, the connection table, credit accounting, the bounded
 * guest -> host buffer, and the protocol state machine that joins one
 * guest stream to one host UNIX stream socket.
 *
 * The device (virtio/vsock.c) feeds packets from the tx queue to
 * vsock_conn_guest_pkt(), host fd readiness to vsock_conn_host_event(),
 * and asks vsock_conn_fill_rx() for the next packet to the guest whenever
 * it has an rx buffer. The table keeps a FIFO of connections that have
 * something for the guest, so one connection that cannot make progress
 * (no credit, a host peer that does not read) never holds up another.
 * Everything runs on the device's one worker thread.
 */
#ifndef KRUN_VIRTIO_VSOCK_CONN_H
#define KRUN_VIRTIO_VSOCK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/err.h"

#define VSOCK_HOST_CID 2
#define VSOCK_GUEST_CID 3
#define VSOCK_HDR_SIZE 44
#define VSOCK_TYPE_STREAM 1

#define VSOCK_OP_REQUEST 1
#define VSOCK_OP_RESPONSE 2
#define VSOCK_OP_RST 3
#define VSOCK_OP_SHUTDOWN 4
#define VSOCK_OP_RW 5
#define VSOCK_OP_CREDIT_UPDATE 6
#define VSOCK_OP_CREDIT_REQUEST 7

#define VSOCK_SHUTDOWN_RCV 1
#define VSOCK_SHUTDOWN_SEND 2
#define VSOCK_SHUTDOWN_BOTH 3

/* Bytes the VMM buffers per connection towards the host (the credit it
 * gives the guest), and the largest payload it takes in one packet. */
#define VSOCK_CONN_BUF_ALLOC (256u * 1024)
#define VSOCK_MAX_PKT_LEN (64u * 1024)
/* How long a guest connect waits for room in the host's backlog. */
#define VSOCK_HOST_CONNECT_MS 5000
/* Connections at once, and RSTs to nowhere waiting for an rx buffer. */
#define VSOCK_MAX_CONNS 4096
#define VSOCK_MAX_LOOSE_RST 256
#define VSOCK_HASH_SIZE 1024

struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
};

void vsock_hdr_decode(const uint8_t in[VSOCK_HDR_SIZE], struct vsock_hdr *h);
void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t out[VSOCK_HDR_SIZE]);

/*
 * Classify a packet the guest sent in a chain of chain_len readable bytes.
 * Returns 0 (well formed), -EPROTO (a header the VMM answers with RST:
 * wrong type or unknown op) or -EINVAL (dropped without an answer: short
 * chain, wrong CIDs, payload past the chain, or too long); err says why.
 */
int vsock_hdr_check(const struct vsock_hdr *h, uint32_t chain_len,
		    struct krun_err **err);

/* A guest vsock port bridged to a host socket path. */
struct vsock_port_map {
	uint32_t port;
	const char *path;
	bool listen;
};

/* epoll user data: the first member of anything registered. */
enum vsock_ev_kind {
	VSOCK_EV_LISTENER,
	VSOCK_EV_CONN,
};

struct vsock_ev {
	enum vsock_ev_kind kind;
	unsigned int index; /* listener index */
};

enum vsock_state {
	VSOCK_HOST_CONNECT, /* guest-initiated: the host's backlog was full */
	VSOCK_CONNECTING,   /* host-initiated: REQUEST sent, no answer yet */
	VSOCK_ESTABLISHED,
	VSOCK_CLOSING, /* RST to send, then freed */
};

/* Control packets a connection owes the guest (bit = 1 << op). */
#define VSOCK_PEND(op) (1u << (op))

struct vsock_conn {
	struct vsock_ev ev; /* first: epoll data */
	uint32_t host_port;
	uint32_t guest_port;
	int fd;
	enum vsock_state state;
	uint32_t pending;   /* VSOCK_PEND() bits */
	uint32_t ep_events; /* what epoll watches now */
	/* Credit the guest gives (its receive buffer) and what we sent. */
	uint32_t peer_buf_alloc;
	uint32_t peer_fwd_cnt;
	uint32_t tx_cnt;
	bool credit_requested;
	/* Credit we give: bytes received from the guest, bytes written to
	 * the host socket, and fwd_cnt as last told to the guest. */
	uint32_t rx_cnt;
	uint32_t fwd_cnt;
	uint32_t fwd_cnt_sent;
	uint8_t *buf; /* ring of VSOCK_CONN_BUF_ALLOC, lazily allocated */
	uint32_t buf_head;
	uint32_t buf_used;
	uint32_t guest_shut; /* VSOCK_SHUTDOWN_* the guest announced */
	bool host_readable;  /* the host fd had data or EOF, not read yet */
	bool host_eof;
	bool shut_wr_done; /* shutdown(SHUT_WR) on the host fd */
	bool queued;
	int64_t retry_until_ms; /* VSOCK_HOST_CONNECT: give up then */
	struct vsock_conn *q_next;
	struct vsock_conn *h_next;
};

struct vsock_table {
	int epfd; /* borrowed: the device's epoll set */
	const struct vsock_port_map *ports;
	unsigned int n_ports;
	unsigned int max_conns;
	unsigned int n_conns;
	uint32_t next_host_port;
	struct vsock_conn *hash[VSOCK_HASH_SIZE];
	struct vsock_conn *q_head, *q_tail; /* owe the guest something */
	struct vsock_hdr loose_rst[VSOCK_MAX_LOOSE_RST];
	unsigned int n_loose_rst;
	unsigned int n_retry; /* connections in VSOCK_HOST_CONNECT */
	bool full_warned;     /* "table full" logged; re-armed at half full */
	bool broken; /* the epoll set failed: the device resets the transport */
};

void vsock_table_init(struct vsock_table *t, int epfd,
		      const struct vsock_port_map *ports, unsigned int n_ports,
		      unsigned int max_conns);
/* Close every connection (host fds too) and forget the queued RSTs. */
void vsock_table_clear(struct vsock_table *t);

struct vsock_conn *vsock_conn_find(const struct vsock_table *t,
				   uint32_t host_port, uint32_t guest_port);
/* A new connection owning fd (-1: none yet), or NULL (table full). */
struct vsock_conn *vsock_conn_add(struct vsock_table *t, uint32_t host_port,
				  uint32_t guest_port, int fd);
void vsock_conn_free(struct vsock_table *t, struct vsock_conn *c);

/* Credit: payload bytes the guest can take now, and bytes we can take. */
uint32_t vsock_conn_peer_credit(const struct vsock_conn *c);
uint32_t vsock_conn_own_credit(const struct vsock_conn *c);
/* Whether the guest's view of our free space is stale enough to update. */
bool vsock_conn_credit_update_due(const struct vsock_conn *c);

/* Guest -> host payload: write what the socket takes, buffer the rest.
 * Returns 0, or -ENOBUFS when the guest sent past its credit, or the
 * write's -errno (EPIPE: the host peer is gone). */
int vsock_conn_put(struct vsock_conn *c, const struct iovec *iov,
		   unsigned int n, size_t off, uint32_t len);
/* Write buffered bytes to the host socket. Returns 0 or -errno. */
int vsock_conn_flush(struct vsock_conn *c);

/* Mark c as owing the guest the packets in `pend` and queue it. */
void vsock_conn_owe(struct vsock_table *t, struct vsock_conn *c, uint32_t pend);

/* Answer a packet the VMM cannot take (bad type, op or CID) with RST,
 * resetting its connection if it has one. */
void vsock_conn_refuse(struct vsock_table *t, const struct vsock_hdr *h);
/* A packet from the guest's tx queue; payload at off in iov. */
void vsock_conn_guest_pkt(struct vsock_table *t, const struct vsock_hdr *h,
			  const struct iovec *iov, unsigned int n, size_t off);
/* epoll readiness (EPOLLIN/OUT/HUP/ERR) of a connection's host fd. */
void vsock_conn_host_event(struct vsock_table *t, struct vsock_conn *c,
			   uint32_t events);
/* Retry host connects the backlog refused; RST those past their time. */
void vsock_conn_retry(struct vsock_table *t);
/* A host connection accepted on the listener of guest port `port`. */
void vsock_conn_accepted(struct vsock_table *t, uint32_t port, int fd);

/*
 * Write the next packet owed to the guest into a device-writable buffer
 * (in, in_len bytes). Returns the bytes written (header + payload), or 0
 * when nothing is owed right now.
 */
uint32_t vsock_conn_fill_rx(struct vsock_table *t, const struct iovec *in,
			    unsigned int n_in, uint32_t in_len);
/* Whether anything is owed to the guest. */
bool vsock_conn_rx_pending(const struct vsock_table *t);

#endif
