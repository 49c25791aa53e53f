// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net: queue 0 receives (host -> guest), queue 1 transmits. One
 * shared worker (virtio/worker.h) serves both queues and watches the
 * backend's fd; a round (net_process) runs the RX and TX passes over the
 * dev_queue seam (pop, complete, one signal per pass), bounded by a budget
 * and by the backend: TX pops nothing while the backend holds a frame, RX
 * reads nothing while a frame waits for guest buffers.
 *
 * Every guest frame carries the 12-byte virtio_net_hdr_v1 first. TX: the
 * header is skipped (no offloads were offered, so it carries nothing) and
 * the frame goes to the backend. RX: a frame is written behind a zeroed
 * header into one chain, or with VIRTIO_NET_F_MRG_RXBUF spread over as many
 * chains as it needs, num_buffers telling the guest how many.
 */
#include "virtio/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtio/dev_queue.h"
#include "virtio/iov.h"
#include "virtio/worker.h"

#define NET_QUEUE_SIZE 256
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_HDR_LEN 12
#define NET_HDR_NUM_BUFFERS 10 /* offset of num_buffers in the header */
#define NET_BUDGET 64	       /* frames per direction per pass */
#define NET_SLOT_BACKEND 0     /* the worker's host fd slot */

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

#define NET_CFG_MAC 0
#define NET_CFG_STATUS 6
#define NET_CFG_LEN 8

struct net_dev {
	struct virtio_device vdev;
	struct virtio_worker worker;
	struct dev_queue queues[2]; /* NET_RXQ, NET_TXQ */
	struct net_backend *be;
	bool be_gone; /* the peer closed or broke the framing */
	bool mrg_rxbuf;
	uint8_t mac[6];
	uint16_t status; /* atomic: the vCPU thread reads it */

	/* A received frame waiting for guest buffers (backend memory). */
	const uint8_t *rx_frame;
	size_t rx_len;
	uint16_t rx_heads[VQ_MAX_SIZE];
	uint32_t rx_lens[VQ_MAX_SIZE];
	struct iovec hdr_iov[NET_HDR_LEN]; /* the first chain's header */
	unsigned int hdr_n;

	struct vq_elem elem;
	struct iovec frame_iov[VQ_MAX_IOV];
};

static uint64_t net_features(struct virtio_device *dev)
{
	return 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_MRG_RXBUF |
	       1ull << VIRTIO_NET_F_STATUS;
}

static void net_config_read(struct virtio_device *dev, uint64_t offset,
			    uint8_t *data, uint32_t len)
{
	struct net_dev *n = dev->priv;
	uint8_t cfg[NET_CFG_LEN];
	uint16_t status = __atomic_load_n(&n->status, __ATOMIC_ACQUIRE);

	memcpy(cfg + NET_CFG_MAC, n->mac, 6);
	cfg[NET_CFG_STATUS] = (uint8_t)status;
	cfg[NET_CFG_STATUS + 1] = (uint8_t)(status >> 8);
	memset(data, 0, len);
	if (offset < NET_CFG_LEN)
		memcpy(data, cfg + offset,
		       len < NET_CFG_LEN - offset ? len : NET_CFG_LEN - offset);
}

/* The peer went away: link down, drop whatever the guest sends. */
static void backend_gone(struct net_dev *n, int why)
{
	if (n->be_gone)
		return;
	n->be_gone = true;
	n->rx_frame = NULL;
	log_warn("virtio-net: the network backend is gone (%s): link down",
		 strerror(-why));
	__atomic_store_n(&n->status, 0, __ATOMIC_RELEASE);
	virtio_notify_config(&n->vdev);
}

/* iov minus its first `skip` bytes, into out; returns the entry count. */
static unsigned int iov_skip(const struct iovec *iov, unsigned int n,
			     size_t skip, struct iovec *out)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		out[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[k++].iov_len = iov[i].iov_len - skip;
		skip = 0;
	}
	return k;
}

/* One TX chain: header + frame. Returns the backend's verdict. */
static int tx_handle(struct net_dev *n, const struct vq_elem *e)
{
	size_t len = e->out_len - NET_HDR_LEN;
	unsigned int nv;

	if (e->out_len < NET_HDR_LEN + NET_FRAME_MIN ||
	    e->out_len > NET_HDR_LEN + NET_FRAME_MAX || e->n_in) {
		log_debug("virtio-net: dropped a TX chain of %u bytes",
			  e->out_len);
		return 0;
	}
	if (n->be_gone)
		return 0;
	nv = iov_skip(e->out, e->n_out, NET_HDR_LEN, n->frame_iov);
	return n->be->ops->send(n->be, n->frame_iov, nv, len);
}

/* Send up to NET_BUDGET frames; true when the budget ran out. */
static bool net_tx_process(struct net_dev *n)
{
	struct dev_queue *q = &n->queues[NET_TXQ];
	int i, ret;

	for (i = 0; i < NET_BUDGET; i++) {
		/* One frame buffered in the backend at most. */
		if (!n->be_gone && n->be->tx_pending) {
			ret = n->be->ops->flush(n->be);
			if (ret == -EAGAIN)
				break;
			if (ret < 0)
				backend_gone(n, ret);
		}
		if (!devq_pop(q, &n->elem))
			break;
		ret = tx_handle(n, &n->elem);
		if (ret < 0)
			backend_gone(n, ret);
		devq_complete(q, n->elem.head, 0);
	}
	devq_signal(q);
	return i == NET_BUDGET;
}

/* Remember where the first chain's header lives, to fill it in last. */
static bool keep_header(struct net_dev *n, const struct vq_elem *e)
{
	size_t need = NET_HDR_LEN;

	n->hdr_n = 0;
	for (unsigned int i = 0; i < e->n_in && need; i++) {
		size_t take = e->in[i].iov_len < need ? e->in[i].iov_len : need;

		n->hdr_iov[n->hdr_n].iov_base = e->in[i].iov_base;
		n->hdr_iov[n->hdr_n++].iov_len = take;
		need -= take;
	}
	return need == 0;
}

/* Too few buffers: chains already filled go back to the ring, and the
 * frame waits (or is dropped: no guest buffers can ever hold it). */
static int rx_give_back(struct net_dev *n, uint16_t used, bool drop)
{
	devq_unpop(&n->queues[NET_RXQ], used);
	if (drop)
		n->rx_frame = NULL;
	return drop ? 1 : 0;
}

/* Copy the next part of the frame into the popped chain. */
static uint32_t rx_fill(struct net_dev *n, size_t *done, bool first)
{
	const struct vq_elem *e = &n->elem;
	size_t at = first ? NET_HDR_LEN : 0;
	size_t copied = iov_from_buf(e->in, e->n_in, at, n->rx_frame + *done,
				     n->rx_len - *done);

	*done += copied;
	return (uint32_t)(at + copied);
}

static void rx_complete(struct net_dev *n, uint16_t used)
{
	uint8_t hdr[NET_HDR_LEN] = {0};

	hdr[NET_HDR_NUM_BUFFERS] = (uint8_t)used;
	hdr[NET_HDR_NUM_BUFFERS + 1] = (uint8_t)(used >> 8);
	iov_from_buf(n->hdr_iov, n->hdr_n, 0, hdr, sizeof(hdr));
	for (uint16_t i = 0; i < used; i++)
		devq_complete(&n->queues[NET_RXQ], n->rx_heads[i],
			      n->rx_lens[i]);
	n->rx_frame = NULL;
}

/*
 * Put the pending frame into guest buffers: 1 when delivered or dropped
 * (too large for what the guest can ever offer), 0 when the guest must
 * first add buffers, -1 when the queue broke (a malformed chain: the
 * device now needs a reset, the frame is dropped).
 */
static int rx_deliver(struct net_dev *n)
{
	struct dev_queue *q = &n->queues[NET_RXQ];
	uint16_t used = 0;
	size_t done = 0;

	while (done < n->rx_len || used == 0) {
		if (used > 0 && (!n->mrg_rxbuf || used >= q->vq->size))
			return rx_give_back(n, used, true);
		if (!devq_pop(q, &n->elem)) {
			if (devq_live(q))
				return rx_give_back(n, used, false);
			n->rx_frame = NULL;
			return -1;
		}
		if (used == 0 && !keep_header(n, &n->elem)) {
			/* No room for even the header: useless to the guest
			 * and to us. */
			devq_complete(q, n->elem.head, 0);
			n->rx_frame = NULL;
			return 1;
		}
		n->rx_heads[used] = n->elem.head;
		n->rx_lens[used] = rx_fill(n, &done, used == 0);
		used++;
	}
	rx_complete(n, used);
	return 1;
}

/* Receive and deliver up to NET_BUDGET frames; true when the budget ran
 * out. */
static bool net_rx_process(struct net_dev *n)
{
	struct dev_queue *q = &n->queues[NET_RXQ];
	int i;

	for (i = 0; i < NET_BUDGET && devq_live(q) && !n->be_gone; i++) {
		const void *frame;
		ssize_t got;

		if (!n->rx_frame) {
			got = n->be->ops->recv(n->be, &frame);
			if (got < 0)
				backend_gone(n, (int)got);
			if (got <= 0)
				break;
			n->rx_frame = frame;
			n->rx_len = (size_t)got;
		}
		if (rx_deliver(n) <= 0)
			break;
	}
	devq_signal(q);
	return i == NET_BUDGET;
}

/* Which backend events the next wait is for. */
static void watch_backend(struct net_dev *n, struct virtio_worker *w)
{
	short events = 0;

	/* A frame waiting for guest buffers: read no more. */
	if (!n->rx_frame && devq_live(&n->queues[NET_RXQ]))
		events |= POLLIN;
	if (n->be->tx_pending)
		events |= POLLOUT;
	virtio_worker_watch_events(w, NET_SLOT_BACKEND,
				   n->be_gone ? -1 : n->be->fd, events);
}

/* One worker round: both directions until neither has work left. */
static int net_process(void *ctx, struct virtio_worker *w)
{
	struct net_dev *n = ctx;
	bool more;

	do {
		more = net_rx_process(n);
		more |= net_tx_process(n);
	} while (more);
	watch_backend(n, w);
	return -1;
}

static const struct virtio_worker_ops net_worker_ops = {
	.process = net_process,
	.role = "net",
};

static int net_activate(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err)
{
	struct net_dev *n = dev->priv;

	if (!queues[NET_RXQ].ready || !queues[NET_TXQ].ready)
		return krun_err_set(err, EINVAL,
				    "virtio-net: queues not ready");
	n->mrg_rxbuf = features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	n->rx_frame = NULL;
	watch_backend(n, &n->worker);
	return virtio_worker_activate(&n->worker, queues, notify_fds, err);
}

static void net_reset(struct virtio_device *dev)
{
	struct net_dev *n = dev->priv;

	virtio_worker_reset(&n->worker);
	/* A frame held for the old rings is lost, as on real hardware. */
	n->rx_frame = NULL;
}

static void net_destroy(struct virtio_device *dev)
{
	struct net_dev *n = dev->priv;

	virtio_worker_stop(&n->worker);
	n->be->ops->destroy(n->be);
	free(n);
}

static const struct virtio_dev_ops net_ops = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max_size = NET_QUEUE_SIZE,
	.features = net_features,
	.config_read = net_config_read,
	.activate = net_activate,
	.reset = net_reset,
	.destroy = net_destroy,
};

struct virtio_device *virtio_net_create(const uint8_t mac[6],
					struct net_backend *backend,
					struct krun_err **err)
{
	struct net_dev *n;

	if (!backend)
		return NULL; /* its create function recorded why */
	n = calloc(1, sizeof(*n));
	if (!n) {
		backend->ops->destroy(backend);
		krun_err_set(err, ENOMEM, "virtio-net: out of memory");
		return NULL;
	}
	n->vdev.ops = &net_ops;
	n->vdev.priv = n;
	n->be = backend;
	devq_init(&n->queues[NET_RXQ], &n->vdev, NET_RXQ);
	devq_init(&n->queues[NET_TXQ], &n->vdev, NET_TXQ);
	virtio_worker_init(&n->worker, &net_worker_ops, n, n->queues, 2,
			   &n->elem);
	memcpy(n->mac, mac, 6);
	n->status = VIRTIO_NET_S_LINK_UP;
	return &n->vdev;
}
