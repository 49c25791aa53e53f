// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net: queue 0 receives (host -> guest), queue 1 transmits. One
 * worker thread polls both notify eventfds and the backend's fd.
 *
 * The work is split as pop loops (net_rx_process, net_tx_process) that take
 * chains off the rings and handlers (rx_deliver, tx_handle) that act on
 * one frame or chain, so the loops can move onto shared queue plumbing.
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
#include "virtio/worker.h"

#define NET_QUEUE_SIZE 256
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_HDR_LEN 12
#define NET_HDR_NUM_BUFFERS 10 /* offset of num_buffers in the header */
#define NET_BUDGET 64	       /* frames per direction per round */

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
	struct net_backend *be;
	bool be_gone; /* the peer closed or broke the framing */
	struct virtqueue *rxq, *txq;
	int rx_kick, tx_kick;
	bool mrg_rxbuf;
	bool broken;
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

/* A chain the ring handed us is unusable; false when the queue is. */
static bool bad_chain(struct net_dev *n, struct virtqueue *vq,
		      struct krun_err **err)
{
	log_debug("virtio-net: %s", krun_err_msg(*err));
	krun_err_free(err);
	if (n->elem.head == UINT16_MAX) {
		n->broken = true;
		virtio_set_needs_reset(&n->vdev);
		return false;
	}
	vq_push(vq, n->elem.head, 0);
	return true;
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

/* Pop and send up to NET_BUDGET frames; true when any chain was used. */
static bool net_tx_process(struct net_dev *n)
{
	struct krun_err *err = NULL;
	bool progress = false;

	for (int i = 0; i < NET_BUDGET && !n->broken; i++) {
		int ret;

		/* One frame buffered in the backend at most. */
		if (!n->be_gone && n->be->tx_pending) {
			ret = n->be->ops->flush(n->be);
			if (ret == -EAGAIN)
				break;
			if (ret < 0)
				backend_gone(n, ret);
		}
		ret = vq_pop(n->txq, &n->elem, &err);
		if (ret == 0)
			break;
		progress = true;
		if (ret < 0) {
			if (!bad_chain(n, n->txq, &err))
				break;
			continue;
		}
		ret = tx_handle(n, &n->elem);
		if (ret < 0)
			backend_gone(n, ret);
		vq_push(n->txq, n->elem.head, 0);
	}
	return progress;
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

/* Give up on the frame: chains already filled go back to the ring. */
static int rx_give_back(struct net_dev *n, uint16_t used, bool drop)
{
	vq_unpop(n->rxq, used);
	if (drop)
		n->rx_frame = NULL;
	return drop ? 1 : 0;
}

/* A malformed chain mid-frame: drop the frame, complete what we hold as
 * empty (the guest discards short packets). */
static int rx_abort(struct net_dev *n, uint16_t used, struct krun_err **err)
{
	for (uint16_t i = 0; i < used; i++)
		vq_push(n->rxq, n->rx_heads[i], 0);
	n->rx_frame = NULL;
	return bad_chain(n, n->rxq, err) ? 1 : -1;
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
		vq_push(n->rxq, n->rx_heads[i], n->rx_lens[i]);
	n->rx_frame = NULL;
}

/*
 * Put the pending frame into guest buffers: 1 when delivered or dropped
 * (too large for what the guest can ever offer), 0 when the guest must
 * first add buffers, -1 when the queue is broken.
 */
static int rx_deliver(struct net_dev *n)
{
	struct krun_err *err = NULL;
	uint16_t used = 0;
	size_t done = 0;

	while (done < n->rx_len || used == 0) {
		int ret;

		if (used > 0 && (!n->mrg_rxbuf || used >= n->rxq->size))
			return rx_give_back(n, used, true);
		ret = vq_pop(n->rxq, &n->elem, &err);
		if (ret == 0)
			return rx_give_back(n, used, false);
		if (ret < 0)
			return rx_abort(n, used, &err);
		if (used == 0 && !keep_header(n, &n->elem)) {
			/* No room for even the header: useless to the guest
			 * and to us. */
			vq_push(n->rxq, n->elem.head, 0);
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

/* Receive and deliver up to NET_BUDGET frames; true on progress. */
static bool net_rx_process(struct net_dev *n)
{
	bool progress = false;

	for (int i = 0; i < NET_BUDGET && !n->broken && !n->be_gone; i++) {
		const void *frame;
		ssize_t got;
		int ret;

		if (!n->rx_frame) {
			got = n->be->ops->recv(n->be, &frame);
			if (got < 0)
				backend_gone(n, (int)got);
			if (got <= 0)
				break;
			n->rx_frame = frame;
			n->rx_len = (size_t)got;
		}
		ret = rx_deliver(n);
		if (ret <= 0)
			break;
		progress = true;
	}
	return progress;
}

static void net_process(struct net_dev *n)
{
	bool rx, tx;

	do {
		rx = net_rx_process(n);
		tx = net_tx_process(n);
		if (rx)
			virtio_notify_used(&n->vdev, NET_RXQ);
		if (tx)
			virtio_notify_used(&n->vdev, NET_TXQ);
	} while ((rx || tx) && !n->broken);
}

static void *net_worker(void *arg)
{
	struct net_dev *n = arg;
	struct pollfd pfd[3];

	do {
		virtio_eventfd_drain(n->rx_kick);
		virtio_eventfd_drain(n->tx_kick);
		net_process(n);
		pfd[0] = (struct pollfd){.fd = n->rx_kick, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = n->tx_kick, .events = POLLIN};
		pfd[2] = (struct pollfd){.fd = n->be_gone ? -1 : n->be->fd};
		/* A frame waiting for guest buffers: read no more. */
		if (!n->rx_frame)
			pfd[2].events |= POLLIN;
		if (n->be->tx_pending)
			pfd[2].events |= POLLOUT;
		if (n->broken)
			pfd[0].fd = pfd[1].fd = pfd[2].fd = -1;
	} while (virtio_worker_poll(&n->worker, pfd, 3));
	return NULL;
}

static int net_activate(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err)
{
	struct net_dev *n = dev->priv;

	if (!queues[NET_RXQ].ready || !queues[NET_TXQ].ready)
		return krun_err_set(err, EINVAL,
				    "virtio-net: queues not ready");
	n->rxq = &queues[NET_RXQ];
	n->txq = &queues[NET_TXQ];
	n->rx_kick = notify_fds[NET_RXQ];
	n->tx_kick = notify_fds[NET_TXQ];
	n->mrg_rxbuf = features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	n->broken = false;
	n->rx_frame = NULL;
	return virtio_worker_start(&n->worker, net_worker, n, err);
}

static void net_reset(struct virtio_device *dev)
{
	struct net_dev *n = dev->priv;

	virtio_worker_stop(&n->worker);
	n->rxq = n->txq = NULL;
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
	n->worker.stop_fd = -1;
	n->rx_kick = n->tx_kick = -1;
	memcpy(n->mac, mac, 6);
	n->status = VIRTIO_NET_S_LINK_UP;
	return &n->vdev;
}
