// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock, in userspace: the host end of every guest stream is a UNIX
 * stream socket. Queues: rx (0, device -> driver), tx (1, driver ->
 * device), event (2), served by one virtio_worker. Besides the queue
 * kicks the worker watches one epoll set holding the listening sockets
 * and every connection's host fd. A round (vsock_process) takes the host
 * events, retries host connects that found a full backlog (the round
 * asks the worker to wake it again in VSOCK_RETRY_MS while any wait),
 * serves the tx queue, fills rx buffers with what the connections owe
 * the guest, and posts a transport reset on the event queue when one is
 * due.
 *
 * Malformed chains follow the shared policy (virtio/dev_queue.h). A
 * well-formed chain carrying a bad packet is dropped (short, wrong source
 * CID, payload past the chain or over 64 KiB) or answered with RST (wrong
 * type, op or destination CID); the device carries on either way.
 */
#include "virtio/vsock.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/iov.h"
#include "virtio/worker.h"

#define Q_RX 0
#define Q_TX 1
#define Q_EVT 2
#define VSOCK_NUM_QUEUES 3
#define VSOCK_QUEUE_SIZE 256
#define VSOCK_EVENT_TRANSPORT_RESET 0
#define VSOCK_RETRY_MS 10
#define VSOCK_EPOLL_SLOT 0

struct vsock_listener {
	struct vsock_ev ev; /* first: epoll data */
	int fd;
	uint32_t port;
	dev_t st_dev; /* the socket file made, removed at the end */
	ino_t st_ino;
};

struct vsock_dev {
	struct virtio_device vdev;
	struct virtio_worker worker;
	struct dev_queue queues[VSOCK_NUM_QUEUES];
	struct vsock_port_map *ports; /* paths owned */
	unsigned int n_ports;
	struct vsock_listener *listeners; /* one per port map entry */
	unsigned int max_conns;
	int epfd; /* listeners and connections' host fds */
	struct vsock_table table;
	bool reset_due; /* a transport reset event to post */
	bool rx_held;	/* rx_elem is popped and still unused */
	struct vq_elem tx_elem, rx_elem, evt_elem;
};

static uint64_t vsock_features(struct virtio_device *dev)
{
	return 0; /* stream sockets only: no VIRTIO_VSOCK_F_SEQPACKET */
}

static void vsock_config_read(struct virtio_device *dev, uint64_t offset,
			      uint8_t *data, uint32_t len)
{
	uint64_t cid = htole64(VSOCK_GUEST_CID);

	memset(data, 0, len);
	if (offset < sizeof(cid))
		memcpy(data, (uint8_t *)&cid + offset,
		       len < sizeof(cid) - offset ? len : sizeof(cid) - offset);
}

/* tx: every chain is one packet, consumed at once (nothing written). */
static bool handle_tx(void *ctx, struct dev_queue *q, struct vq_elem *e,
		      uint32_t *written)
{
	struct vsock_dev *d = ctx;
	struct krun_err *err = NULL;
	uint8_t raw[VSOCK_HDR_SIZE] = {0};
	struct vsock_hdr h;
	int ret;

	iov_to_buf(e->out, e->n_out, 0, raw, sizeof(raw));
	vsock_hdr_decode(raw, &h);
	ret = vsock_hdr_check(&h, e->out_len, &err);
	if (ret < 0) {
		log_debug("virtio-vsock: %s packet: %s",
			  ret == -EPROTO ? "refused" : "dropped",
			  krun_err_msg(err));
		krun_err_free(&err);
		if (ret == -EPROTO)
			vsock_conn_refuse(&d->table, &h);
		return true;
	}
	vsock_conn_guest_pkt(&d->table, &h, e->out, e->n_out, VSOCK_HDR_SIZE);
	return true;
}

/* Pop an rx buffer unless one is held; false when there is none. */
static bool hold_rx(struct vsock_dev *d)
{
	struct dev_queue *q = &d->queues[Q_RX];

	while (!d->rx_held && devq_pop(q, &d->rx_elem)) {
		if (d->rx_elem.in_len > VSOCK_HDR_SIZE)
			d->rx_held = true;
		else
			devq_complete(q, d->rx_elem.head, 0);
	}
	return d->rx_held;
}

static void process_rx(struct vsock_dev *d)
{
	struct dev_queue *q = &d->queues[Q_RX];

	if (!devq_live(q))
		d->rx_held = false;
	while (vsock_conn_rx_pending(&d->table) && hold_rx(d)) {
		uint32_t len =
			vsock_conn_fill_rx(&d->table, d->rx_elem.in,
					   d->rx_elem.n_in, d->rx_elem.in_len);

		if (!len)
			break;
		devq_complete(q, d->rx_elem.head, len);
		d->rx_held = false;
	}
	devq_signal(q);
}

/* Tell the driver every connection is gone (VIRTIO_VSOCK_EVENT_TRANSPORT_
 * RESET) once it has given an event buffer. */
static void process_evt(struct vsock_dev *d)
{
	struct dev_queue *q = &d->queues[Q_EVT];
	uint32_t id = htole32(VSOCK_EVENT_TRANSPORT_RESET);

	while (d->reset_due && devq_pop(q, &d->evt_elem)) {
		if (d->evt_elem.in_len < sizeof(id)) {
			devq_complete(q, d->evt_elem.head, 0);
			continue;
		}
		iov_from_buf(d->evt_elem.in, d->evt_elem.n_in, 0, &id,
			     sizeof(id));
		devq_complete(q, d->evt_elem.head, sizeof(id));
		d->reset_due = false;
	}
	devq_signal(q);
}

static void accept_all(struct vsock_dev *d, struct vsock_listener *l)
{
	for (unsigned int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != ECONNABORTED)
				log_debug("virtio-vsock: port %u: accept: %s",
					  l->port, strerror(errno));
			return;
		}
		vsock_conn_accepted(&d->table, l->port, fd);
	}
}

static void host_events(struct vsock_dev *d)
{
	struct epoll_event evs[64];
	int n = epoll_wait(d->epfd, evs, 64, 0);

	for (int i = 0; i < n; i++) {
		struct vsock_ev *ev = evs[i].data.ptr;

		if (ev->kind == VSOCK_EV_LISTENER)
			accept_all(d, &d->listeners[ev->index]);
		else
			vsock_conn_host_event(&d->table,
					      (struct vsock_conn *)ev,
					      evs[i].events);
	}
}

/* One round: host fds, the tx queue, then what is owed to the guest. */
static int vsock_process(void *ctx, struct virtio_worker *w)
{
	struct vsock_dev *d = ctx;

	host_events(d);
	vsock_conn_retry(&d->table);
	devq_serve(&d->queues[Q_TX], &d->tx_elem, handle_tx, d);
	if (d->table.broken) {
		log_warn(
			"virtio-vsock: connection tracking failed, resetting every connection");
		vsock_table_clear(&d->table);
		d->table.broken = false;
		d->reset_due = true;
	}
	process_rx(d);
	process_evt(d);
	return d->table.n_retry ? VSOCK_RETRY_MS : -1;
}

static const struct virtio_worker_ops vsock_worker_ops = {
	.process = vsock_process,
	.role = "vsock",
};

static int make_epoll_set(struct vsock_dev *d, struct krun_err **err)
{
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return krun_err_set_errno(
			err, errno, "virtio-vsock: cannot create an epoll set");
	for (unsigned int i = 0; i < d->n_ports; i++) {
		struct epoll_event e = {.events = EPOLLIN,
					.data.ptr = &d->listeners[i].ev};

		if (d->listeners[i].fd >= 0 &&
		    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listeners[i].fd, &e))
			return krun_err_set_errno(
				err, errno,
				"virtio-vsock: cannot watch the socket of port %u",
				d->listeners[i].port);
	}
	return 0;
}

static void close_epoll_set(struct vsock_dev *d)
{
	if (d->epfd >= 0)
		close(d->epfd);
	d->epfd = -1;
}

static int vsock_activate(struct virtio_device *dev, uint64_t features,
			  struct virtqueue *queues, const int *notify_fds,
			  struct krun_err **err)
{
	struct vsock_dev *d = dev->priv;
	int ret;

	for (unsigned int q = 0; q < VSOCK_NUM_QUEUES; q++)
		if (!queues[q].ready)
			return krun_err_set(err, EINVAL,
					    "virtio-vsock: queue %u not ready",
					    q);
	d->reset_due = false;
	d->rx_held = false;
	ret = make_epoll_set(d, err);
	if (ret == 0) {
		vsock_table_init(&d->table, d->epfd, d->ports, d->n_ports,
				 d->max_conns);
		virtio_worker_watch(&d->worker, VSOCK_EPOLL_SLOT, d->epfd);
		ret = virtio_worker_activate(&d->worker, queues, notify_fds,
					     err);
	}
	if (ret < 0)
		close_epoll_set(d);
	return ret;
}

static void vsock_reset(struct virtio_device *dev)
{
	struct vsock_dev *d = dev->priv;

	virtio_worker_reset(&d->worker);
	vsock_table_clear(&d->table);
	virtio_worker_watch(&d->worker, VSOCK_EPOLL_SLOT, -1);
	close_epoll_set(d);
}

static void close_listener(struct vsock_listener *l, const char *path)
{
	struct stat st;

	if (l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	if (lstat(path, &st) == 0 && st.st_dev == l->st_dev &&
	    st.st_ino == l->st_ino)
		unlink(path);
}

static void vsock_destroy(struct virtio_device *dev)
{
	struct vsock_dev *d = dev->priv;

	vsock_reset(dev);
	for (unsigned int i = 0; i < d->n_ports; i++) {
		if (d->listeners)
			close_listener(&d->listeners[i], d->ports[i].path);
		free((char *)d->ports[i].path);
	}
	free(d->listeners);
	free(d->ports);
	free(d);
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.num_queues = VSOCK_NUM_QUEUES,
	.queue_max_size = VSOCK_QUEUE_SIZE,
	.features = vsock_features,
	.config_read = vsock_config_read,
	.activate = vsock_activate,
	.reset = vsock_reset,
	.destroy = vsock_destroy,
};

/* Replace a stale socket file at path, never anything else. */
static int clear_path(uint32_t port, const char *path, struct krun_err **err)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return krun_err_set_errno(err, errno,
					  "vsock port %u: cannot check `%s`",
					  port, path);
	}
	if (!S_ISSOCK(st.st_mode))
		return krun_err_set(
			err, EEXIST,
			"vsock port %u: refusing to listen on `%s`: the file exists and is not a socket",
			port, path);
	if (unlink(path) < 0)
		return krun_err_set_errno(
			err, errno, "vsock port %u: cannot replace socket `%s`",
			port, path);
	return 0;
}

static int listen_on(struct vsock_listener *l, const char *path,
		     struct krun_err **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int ret = clear_path(l->port, path, err);

	if (ret < 0)
		return ret;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return krun_err_set_errno(
			err, errno, "vsock port %u: cannot create a socket",
			l->port);
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    lstat(path, &st) < 0 || listen(l->fd, SOMAXCONN) < 0) {
		ret = krun_err_set_errno(err, errno,
					 "vsock port %u: cannot listen on `%s`",
					 l->port, path);
		close(l->fd);
		l->fd = -1;
		return ret;
	}
	l->st_dev = st.st_dev;
	l->st_ino = st.st_ino;
	return 0;
}

static int copy_ports(struct vsock_dev *d, const struct vsock_port_map *ports,
		      unsigned int n, struct krun_err **err)
{
	d->ports = calloc(n ? n : 1, sizeof(*d->ports));
	d->listeners = calloc(n ? n : 1, sizeof(*d->listeners));
	if (!d->ports || !d->listeners)
		return krun_err_set(err, ENOMEM, "virtio-vsock: out of memory");
	for (unsigned int i = 0; i < n; i++) {
		struct vsock_listener *l = &d->listeners[i];

		d->ports[i] = ports[i];
		d->ports[i].path = strdup(ports[i].path);
		d->n_ports = i + 1;
		if (!d->ports[i].path)
			return krun_err_set(err, ENOMEM,
					    "virtio-vsock: out of memory");
		*l = (struct vsock_listener){.ev = {VSOCK_EV_LISTENER, i},
					     .fd = -1,
					     .port = ports[i].port};
		if (ports[i].listen) {
			int ret = listen_on(l, ports[i].path, err);

			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

struct virtio_device *virtio_vsock_create(const struct vsock_port_map *ports,
					  unsigned int n_ports,
					  unsigned int max_conns,
					  struct krun_err **err)
{
	struct vsock_dev *d = calloc(1, sizeof(*d));

	if (!d) {
		krun_err_set(err, ENOMEM, "virtio-vsock: out of memory");
		return NULL;
	}
	d->vdev.ops = &vsock_ops;
	d->vdev.priv = d;
	d->epfd = -1;
	d->max_conns = max_conns ? max_conns : VSOCK_MAX_CONNS;
	for (unsigned int q = 0; q < VSOCK_NUM_QUEUES; q++)
		devq_init(&d->queues[q], &d->vdev, q);
	virtio_worker_init(&d->worker, &vsock_worker_ops, d, d->queues,
			   VSOCK_NUM_QUEUES, &d->tx_elem);
	if (copy_ports(d, ports, n_ports, err) < 0) {
		vsock_destroy(&d->vdev);
		return NULL;
	}
	return &d->vdev;
}
