// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock, in userspace: the host end of every guest stream is a UNIX
 * stream socket. Queues: rx (0, device -> driver), tx (1, driver ->
 * device), event (2). One worker thread waits on an epoll set holding the
 * queue notify eventfds, the listening sockets, every connection's host
 * fd and a retry timer, then runs three steps: pop and handle the tx
 * queue, fill rx buffers with what the connections owe the guest, post a
 * transport reset on the event queue when one is due.
 *
 * Malformed chains: a chain the queue code rejects is handed back with
 * zero bytes; a corrupt ring marks the device DEVICE_NEEDS_RESET. A packet
 * with a bad header is dropped (short, wrong source CID, payload past the
 * chain) or answered with RST (wrong type, op or destination CID); the
 * device carries on either way.
 */
#include "virtio/vsock.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/worker.h"

#define Q_RX 0
#define Q_TX 1
#define Q_EVT 2
#define VSOCK_NUM_QUEUES 3
#define VSOCK_QUEUE_SIZE 256
#define VSOCK_EVENT_TRANSPORT_RESET 0
#define VSOCK_RETRY_MS 10

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
	struct vsock_port_map *ports; /* paths owned */
	unsigned int n_ports;
	struct vsock_listener *listeners; /* one per port map entry */
	unsigned int max_conns;
	int epfd;
	int timer_fd;
	bool timer_armed;
	struct vsock_ev timer_ev;
	struct vsock_ev queue_ev[VSOCK_NUM_QUEUES];
	struct virtqueue *vq[VSOCK_NUM_QUEUES];
	int notify_fd[VSOCK_NUM_QUEUES];
	struct vsock_table table;
	bool broken; /* a corrupt ring: wait for the driver's reset */
	bool reset_due; /* a transport reset event to post */
	bool rx_held; /* rx_elem is popped and still unused */
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

/* A chain vq_pop refused: hand it back, or stop on a corrupt ring. */
static bool bad_chain(struct vsock_dev *d, unsigned int q, uint16_t head,
		      struct krun_err **err)
{
	log_debug("virtio-vsock: queue %u: %s", q, krun_err_msg(*err));
	krun_err_free(err);
	if (head != UINT16_MAX) {
		vq_push(d->vq[q], head, 0);
		return true;
	}
	d->broken = true;
	virtio_set_needs_reset(&d->vdev);
	return false;
}

static void handle_tx(struct vsock_dev *d, const struct vq_elem *e)
{
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
		return;
	}
	vsock_conn_guest_pkt(&d->table, &h, e->out, e->n_out, VSOCK_HDR_SIZE);
}

static void process_tx(struct vsock_dev *d)
{
	struct krun_err *err = NULL;
	unsigned int done = 0;
	int ret;

	while (!d->broken &&
	       (ret = vq_pop(d->vq[Q_TX], &d->tx_elem, &err)) != 0) {
		if (ret < 0) {
			if (!bad_chain(d, Q_TX, d->tx_elem.head, &err))
				break;
			continue;
		}
		handle_tx(d, &d->tx_elem);
		vq_push(d->vq[Q_TX], d->tx_elem.head, 0);
		done++;
	}
	if (done)
		virtio_notify_used(&d->vdev, Q_TX);
}

/* Pop an rx buffer unless one is held; false when there is none. */
static bool hold_rx(struct vsock_dev *d)
{
	struct krun_err *err = NULL;
	int ret;

	while (!d->rx_held && !d->broken) {
		ret = vq_pop(d->vq[Q_RX], &d->rx_elem, &err);
		if (ret == 0)
			return false;
		if (ret < 0) {
			bad_chain(d, Q_RX, d->rx_elem.head, &err);
			continue;
		}
		if (d->rx_elem.in_len <= VSOCK_HDR_SIZE) {
			vq_push(d->vq[Q_RX], d->rx_elem.head, 0);
			continue;
		}
		d->rx_held = true;
	}
	return d->rx_held;
}

static void process_rx(struct vsock_dev *d)
{
	unsigned int done = 0;

	while (vsock_conn_rx_pending(&d->table) && hold_rx(d)) {
		uint32_t len = vsock_conn_fill_rx(&d->table, d->rx_elem.in,
						  d->rx_elem.n_in,
						  d->rx_elem.in_len);

		if (!len)
			break;
		vq_push(d->vq[Q_RX], d->rx_elem.head, len);
		d->rx_held = false;
		done++;
	}
	if (done)
		virtio_notify_used(&d->vdev, Q_RX);
}

/* Tell the driver every connection is gone (VIRTIO_VSOCK_EVENT_TRANSPORT_
 * RESET) once it has given an event buffer. */
static void process_evt(struct vsock_dev *d)
{
	uint32_t id = htole32(VSOCK_EVENT_TRANSPORT_RESET);
	struct krun_err *err = NULL;
	int ret;

	while (d->reset_due && !d->broken) {
		ret = vq_pop(d->vq[Q_EVT], &d->evt_elem, &err);
		if (ret == 0)
			return;
		if (ret < 0) {
			bad_chain(d, Q_EVT, d->evt_elem.head, &err);
			continue;
		}
		if (d->evt_elem.in_len < sizeof(id)) {
			vq_push(d->vq[Q_EVT], d->evt_elem.head, 0);
			continue;
		}
		iov_from_buf(d->evt_elem.in, d->evt_elem.n_in, 0, &id,
			     sizeof(id));
		vq_push(d->vq[Q_EVT], d->evt_elem.head, sizeof(id));
		virtio_notify_used(&d->vdev, Q_EVT);
		d->reset_due = false;
	}
}

static void arm_timer(struct vsock_dev *d, bool on)
{
	struct itimerspec its = {0};

	if (on == d->timer_armed)
		return;
	if (on) {
		its.it_value.tv_nsec = VSOCK_RETRY_MS * 1000000L;
		its.it_interval = its.it_value;
	}
	timerfd_settime(d->timer_fd, 0, &its, NULL);
	d->timer_armed = on;
}

static void vsock_run(struct vsock_dev *d)
{
	process_tx(d);
	if (d->table.broken) {
		log_warn("virtio-vsock: connection tracking failed, resetting every connection");
		vsock_table_clear(&d->table);
		d->table.broken = false;
		d->reset_due = true;
	}
	process_rx(d);
	process_evt(d);
	arm_timer(d, d->table.n_retry > 0);
}

static void accept_all(struct vsock_dev *d, struct vsock_listener *l)
{
	for (unsigned int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != ECONNABORTED)
				log_warn("virtio-vsock: port %u: accept: %s",
					 l->port, strerror(errno));
			return;
		}
		vsock_conn_accepted(&d->table, l->port, fd);
	}
}

static void dispatch(struct vsock_dev *d, const struct epoll_event *e)
{
	struct vsock_ev *ev = e->data.ptr;
	uint64_t ticks;

	switch (ev->kind) {
	case VSOCK_EV_QUEUE:
		virtio_eventfd_drain(d->notify_fd[ev->index]);
		break;
	case VSOCK_EV_LISTENER:
		accept_all(d, &d->listeners[ev->index]);
		break;
	case VSOCK_EV_CONN:
		vsock_conn_host_event(&d->table, (struct vsock_conn *)ev,
				      e->events);
		break;
	case VSOCK_EV_TIMER:
		if (read(d->timer_fd, &ticks, sizeof(ticks)) < 0)
			ticks = 0;
		vsock_conn_retry(&d->table);
		break;
	}
}

static void *vsock_worker(void *arg)
{
	struct vsock_dev *d = arg;
	struct pollfd pfd = {.fd = d->epfd, .events = POLLIN};
	struct epoll_event evs[64];

	vsock_run(d);
	while (virtio_worker_poll(&d->worker, &pfd, 1)) {
		int n = epoll_wait(d->epfd, evs, 64, 0);

		for (int i = 0; i < n; i++)
			dispatch(d, &evs[i]);
		vsock_run(d);
	}
	return NULL;
}

static int watch(struct vsock_dev *d, int fd, struct vsock_ev *ev,
		 struct krun_err **err)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = ev};

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return krun_err_set_errno(err, errno,
					  "virtio-vsock: cannot watch fd %d",
					  fd);
	return 0;
}

static int make_epoll_set(struct vsock_dev *d, struct krun_err **err)
{
	int ret = 0;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epfd < 0 || d->timer_fd < 0)
		return krun_err_set_errno(
			err, errno, "virtio-vsock: cannot create an epoll set");
	d->timer_armed = false;
	for (unsigned int q = 0; ret == 0 && q < VSOCK_NUM_QUEUES; q++)
		ret = watch(d, d->notify_fd[q], &d->queue_ev[q], err);
	for (unsigned int i = 0; ret == 0 && i < d->n_ports; i++)
		if (d->listeners[i].fd >= 0)
			ret = watch(d, d->listeners[i].fd, &d->listeners[i].ev,
				    err);
	if (ret == 0)
		ret = watch(d, d->timer_fd, &d->timer_ev, err);
	return ret;
}

static void close_epoll_set(struct vsock_dev *d)
{
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	d->epfd = -1;
	d->timer_fd = -1;
}

static int vsock_activate(struct virtio_device *dev, uint64_t features,
			  struct virtqueue *queues, const int *notify_fds,
			  struct krun_err **err)
{
	struct vsock_dev *d = dev->priv;
	int ret;

	for (unsigned int q = 0; q < VSOCK_NUM_QUEUES; q++) {
		if (!queues[q].ready)
			return krun_err_set(err, EINVAL,
					    "virtio-vsock: queue %u not ready",
					    q);
		d->vq[q] = &queues[q];
		d->notify_fd[q] = notify_fds[q];
	}
	d->broken = false;
	d->reset_due = false;
	d->rx_held = false;
	ret = make_epoll_set(d, err);
	if (ret == 0) {
		vsock_table_init(&d->table, d->epfd, d->ports, d->n_ports,
				 d->max_conns);
		ret = virtio_worker_start(&d->worker, vsock_worker, d, err);
	}
	if (ret < 0)
		close_epoll_set(d);
	return ret;
}

static void vsock_reset(struct virtio_device *dev)
{
	struct vsock_dev *d = dev->priv;

	virtio_worker_stop(&d->worker);
	vsock_table_clear(&d->table);
	close_epoll_set(d);
	for (unsigned int q = 0; q < VSOCK_NUM_QUEUES; q++)
		d->vq[q] = NULL;
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
		return krun_err_set_errno(err, errno,
					  "vsock port %u: cannot create a socket",
					  l->port);
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    lstat(path, &st) < 0 ||
	    listen(l->fd, SOMAXCONN) < 0) {
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
		*l = (struct vsock_listener){
			.ev = {VSOCK_EV_LISTENER, i}, .fd = -1, .port = ports[i].port};
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
	d->worker.stop_fd = -1;
	d->epfd = -1;
	d->timer_fd = -1;
	d->max_conns = max_conns ? max_conns : VSOCK_MAX_CONNS;
	d->timer_ev.kind = VSOCK_EV_TIMER;
	for (unsigned int q = 0; q < VSOCK_NUM_QUEUES; q++)
		d->queue_ev[q] = (struct vsock_ev){VSOCK_EV_QUEUE, q};
	if (copy_ports(d, ports, n_ports, err) < 0) {
		vsock_destroy(&d->vdev);
		return NULL;
	}
	return &d->vdev;
}
