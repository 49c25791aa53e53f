// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-console with multiport. One worker thread owns all queues; the
 * device lock serialises it with virtio_console_drain() callers. See
 * console.h for the port layout per mode.
 */
#include "virtio/console.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/iov.h"
#include "virtio/worker.h"

#define CON_MAX_PORTS 4
#define CON_NUM_QUEUES (2 * (CON_MAX_PORTS + 1))
#define CON_QUEUE_SIZE 256
#define Q_CTRL_RX 2 /* device -> driver control messages */
#define Q_CTRL_TX 3 /* driver -> device control messages */
#define CON_MAX_PENDING 64
#define CON_NAME_MAX 32

#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1

#define CTRL_DEVICE_READY 0
#define CTRL_PORT_ADD 1
#define CTRL_PORT_READY 3
#define CTRL_CONSOLE_PORT 4
#define CTRL_RESIZE 5
#define CTRL_PORT_OPEN 6
#define CTRL_PORT_NAME 7

/* Host fd slots of the worker. */
#define CON_FD_RESIZE 0
#define CON_FD_STDIN 1

struct con_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
} __attribute__((packed));

struct ctrl_msg {
	uint32_t id;
	uint16_t event;
	uint16_t value;
	uint8_t extra[CON_NAME_MAX];
	uint32_t extra_len;
};

struct con_port {
	const char *name; /* NULL: unnamed */
	int out_fd;	  /* where guest output goes; -1 discards */
	bool out_broken;  /* EPIPE seen: discard from now on */
	bool ready;	  /* driver sent PORT_READY */
	bool guest_open;  /* driver sent PORT_OPEN(1) */
};

struct con_dev {
	struct virtio_device vdev;
	/* Config and resize_pending; never held across host I/O, so a vCPU
	 * reading config never waits on a blocked stdout. */
	pthread_mutex_t cfg_lock;
	bool resize_pending;
	struct con_config config;
	pthread_mutex_t lock; /* everything below */
	struct virtio_worker worker;
	struct dev_queue queues[CON_NUM_QUEUES];
	bool active;
	bool multiport;
	bool terminal;
	unsigned int n_ports;
	struct con_port ports[CON_MAX_PORTS];
	int fds[3]; /* dup'd stdin, stdout, stderr (or the output file) */
	unsigned int in_port;
	bool in_eof;
	bool eof_sent;
	uint8_t inbuf[4096];
	size_t in_len, in_off;
	struct termios saved_tio;
	bool tio_saved;
	int resize_fd;
	char names[CON_MAX_PORTS][CON_NAME_MAX + 1];
	struct ctrl_msg pending[CON_MAX_PENDING];
	unsigned int n_pending;
	struct vq_elem elem;
};

static unsigned int rx_queue(unsigned int port)
{
	return port == 0 ? 0 : 2 * port + 2;
}

static unsigned int tx_queue(unsigned int port)
{
	return port == 0 ? 1 : 2 * port + 3;
}

static struct con_dev *to_con(struct virtio_device *dev)
{
	return dev->priv;
}

/* ---- host fd output ---- */

/* write() with SIGPIPE held off for this thread, so a closed reader means
 * EPIPE, never a dead VMM (works in any thread, e.g. the drain caller). */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = {0, 0};
	bool was_pending;
	ssize_t n;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	n = write(fd, buf, len);
	saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending)
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

/* Write all of buf; retries partial writes, EINTR and EAGAIN. */
static int write_full(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write_nosigpipe(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			poll(&p, 1, -1);
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void port_output(struct con_port *p, const struct vq_elem *e)
{
	int ret;

	if (p->out_fd < 0 || p->out_broken)
		return;
	for (unsigned int i = 0; i < e->n_out; i++) {
		ret = write_full(p->out_fd, e->out[i].iov_base,
				 e->out[i].iov_len);
		if (ret < 0) {
			log_warn("virtio-console: output of port `%s` lost: %s",
				 p->name ? p->name : "console", strerror(-ret));
			p->out_broken = true;
			return;
		}
	}
}

/* ---- queues ---- */

static bool tx_handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
		      uint32_t *written)
{
	port_output(ctx, e);
	return true;
}

static void process_tx(struct con_dev *c, unsigned int port)
{
	devq_serve(&c->queues[tx_queue(port)], &c->elem, tx_handle,
		   &c->ports[port]);
}

static void queue_ctrl(struct con_dev *c, uint32_t id, uint16_t event,
		       uint16_t value, const void *extra, uint32_t extra_len)
{
	struct ctrl_msg *m;

	if (c->n_pending == CON_MAX_PENDING) {
		log_warn("virtio-console: control message dropped");
		return;
	}
	m = &c->pending[c->n_pending++];
	*m = (struct ctrl_msg){.id = id, .event = event, .value = value};
	if (extra_len > sizeof(m->extra))
		extra_len = sizeof(m->extra);
	if (extra_len)
		memcpy(m->extra, extra, extra_len);
	m->extra_len = extra_len;
}

static void flush_ctrl(struct con_dev *c)
{
	struct dev_queue *q = &c->queues[Q_CTRL_RX];
	unsigned int sent = 0;

	while (sent < c->n_pending && devq_pop(q, &c->elem)) {
		const struct ctrl_msg *m = &c->pending[sent];
		uint32_t len = 8 + m->extra_len;

		if (c->elem.in_len < len) {
			devq_complete(q, c->elem.head, 0);
			continue;
		}
		iov_from_buf(c->elem.in, c->elem.n_in, 0, m, 8);
		iov_from_buf(c->elem.in, c->elem.n_in, 8, m->extra,
			     m->extra_len);
		devq_complete(q, c->elem.head, len);
		sent++;
	}
	devq_signal(q);
	if (!sent)
		return;
	memmove(c->pending, c->pending + sent,
		(c->n_pending - sent) * sizeof(c->pending[0]));
	c->n_pending -= sent;
}

static void queue_resize(struct con_dev *c)
{
	uint16_t size[2];

	pthread_mutex_lock(&c->cfg_lock);
	/* Linux 6.1 and the spec agree: cols first, then rows. */
	size[0] = c->config.cols;
	size[1] = c->config.rows;
	c->resize_pending = false;
	pthread_mutex_unlock(&c->cfg_lock);
	queue_ctrl(c, 0, CTRL_RESIZE, 0, size, sizeof(size));
}

static bool resize_pending(struct con_dev *c)
{
	bool pending;

	pthread_mutex_lock(&c->cfg_lock);
	pending = c->resize_pending;
	pthread_mutex_unlock(&c->cfg_lock);
	return pending;
}

static void port_ready(struct con_dev *c, uint32_t id)
{
	struct con_port *p = &c->ports[id];

	p->ready = true;
	if (id == 0) {
		queue_ctrl(c, 0, CTRL_CONSOLE_PORT, 1, NULL, 0);
		if (c->terminal)
			queue_resize(c);
	}
	if (p->name)
		queue_ctrl(c, id, CTRL_PORT_NAME, 0, p->name, strlen(p->name));
	/* host_connected: the guest's reads block and writes flow. */
	queue_ctrl(c, id, CTRL_PORT_OPEN, 1, NULL, 0);
}

static void handle_ctrl(struct con_dev *c, uint32_t id, uint16_t event,
			uint16_t value)
{
	if (event == CTRL_DEVICE_READY) {
		if (value != 1)
			return;
		for (uint32_t i = 0; i < c->n_ports; i++)
			queue_ctrl(c, i, CTRL_PORT_ADD, 0, NULL, 0);
		return;
	}
	if (id >= c->n_ports)
		return;
	if (event == CTRL_PORT_READY && value == 1 && !c->ports[id].ready)
		port_ready(c, id);
	else if (event == CTRL_PORT_OPEN)
		c->ports[id].guest_open = value;
}

static bool ctrl_tx_handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
			   uint32_t *written)
{
	struct ctrl_msg m;

	if (iov_to_buf(e->out, e->n_out, 0, &m, 8) == 8)
		handle_ctrl(ctx, m.id, m.event, m.value);
	return true;
}

/* ---- host input ---- */

static bool want_input(const struct con_dev *c)
{
	return c->fds[0] >= 0 && !c->in_eof && c->in_off == c->in_len &&
	       c->ports[c->in_port].guest_open;
}

static void read_input(struct con_dev *c)
{
	ssize_t n;

	do {
		n = read(c->fds[0], c->inbuf, sizeof(c->inbuf));
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		if (n < 0)
			log_warn("virtio-console: stdin: %s", strerror(errno));
		c->in_eof = true;
		return;
	}
	c->in_off = 0;
	c->in_len = (size_t)n;
}

/* Hand buffered input to the guest; after EOF, tell it the host closed. */
static void deliver_input(struct con_dev *c)
{
	struct con_port *p = &c->ports[c->in_port];
	struct dev_queue *q = &c->queues[rx_queue(c->in_port)];

	while (p->guest_open && c->in_off < c->in_len &&
	       devq_pop(q, &c->elem)) {
		ssize_t n = iov_from_buf(c->elem.in, c->elem.n_in, 0,
					 c->inbuf + c->in_off,
					 c->in_len - c->in_off);

		n = n < 0 ? 0 : n;
		c->in_off += (size_t)n;
		devq_complete(q, c->elem.head, (uint32_t)n);
	}
	devq_signal(q);
	if (c->in_eof && c->in_off == c->in_len && p->ready && !c->eof_sent &&
	    c->multiport) {
		queue_ctrl(c, c->in_port, CTRL_PORT_OPEN, 0, NULL, 0);
		c->eof_sent = true;
	}
}

/* One round of work; c->lock held. */
static void con_process(struct con_dev *c, bool input_ready)
{
	devq_serve(&c->queues[Q_CTRL_TX], &c->elem, ctrl_tx_handle, c);
	for (unsigned int i = 0; i < c->n_ports; i++)
		process_tx(c, i);
	if (input_ready && want_input(c))
		read_input(c);
	deliver_input(c);
	if (c->multiport && c->ports[0].ready && resize_pending(c))
		queue_resize(c);
	if (c->multiport)
		flush_ctrl(c);
}

/* ---- worker ---- */

static int con_round(void *ctx, struct virtio_worker *w)
{
	struct con_dev *c = ctx;

	pthread_mutex_lock(&c->lock);
	if (virtio_worker_ready(w, CON_FD_RESIZE))
		virtio_eventfd_drain(c->resize_fd);
	con_process(c, virtio_worker_ready(w, CON_FD_STDIN));
	virtio_worker_watch(w, CON_FD_STDIN, want_input(c) ? c->fds[0] : -1);
	pthread_mutex_unlock(&c->lock);
	return -1;
}

static const struct virtio_worker_ops con_worker_ops = {
	.process = con_round,
	.role = "console",
};

/* ---- device ops ---- */

/* F_SIZE on a terminal: without it the guest driver ignores the size in
 * RESIZE messages (resize_console() tests it), and the console tty stays
 * 0x0 with no SIGWINCH. */
static uint64_t con_features(struct virtio_device *dev)
{
	struct con_dev *c = dev->priv;
	uint64_t f = 1ull << VIRTIO_CONSOLE_F_MULTIPORT;

	if (c->terminal)
		f |= 1ull << VIRTIO_CONSOLE_F_SIZE;
	return f;
}

static void con_config_read(struct virtio_device *dev, uint64_t offset,
			    uint8_t *data, uint32_t len)
{
	struct con_dev *c = to_con(dev);

	pthread_mutex_lock(&c->cfg_lock);
	if (offset < sizeof(c->config) && len <= sizeof(c->config) - offset)
		memcpy(data, (uint8_t *)&c->config + offset, len);
	pthread_mutex_unlock(&c->cfg_lock);
}

static void reset_port_state(struct con_dev *c)
{
	for (unsigned int i = 0; i < CON_MAX_PORTS; i++) {
		c->ports[i].ready = false;
		c->ports[i].guest_open = false;
	}
	c->n_pending = 0;
	c->eof_sent = false;
}

static int con_activate(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err)
{
	struct con_dev *c = to_con(dev);
	bool multiport = features & (1ull << VIRTIO_CONSOLE_F_MULTIPORT);
	int ret;

	if (!queues[0].ready || !queues[1].ready ||
	    (multiport &&
	     (!queues[Q_CTRL_RX].ready || !queues[Q_CTRL_TX].ready)))
		return krun_err_set(
			err, EINVAL,
			"virtio-console: required queues not ready");
	pthread_mutex_lock(&c->lock);
	reset_port_state(c);
	virtio_worker_watch(&c->worker, CON_FD_STDIN, -1);
	c->multiport = multiport;
	if (!c->multiport) {
		/* Without control queues port 0 is a console, open at once. */
		c->ports[0].ready = true;
		c->ports[0].guest_open = true;
	}
	c->active = true;
	/* The worker's first round waits for the lock. */
	ret = virtio_worker_activate(&c->worker, queues, notify_fds, err);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

static void con_reset(struct virtio_device *dev)
{
	struct con_dev *c = to_con(dev);

	virtio_worker_stop(&c->worker);
	pthread_mutex_lock(&c->lock);
	c->active = false;
	virtio_worker_reset(&c->worker); /* stopped: detaches the queues */
	reset_port_state(c);
	pthread_mutex_unlock(&c->lock);
}

void virtio_console_restore_terminal(struct virtio_device *dev)
{
	struct con_dev *c = to_con(dev);

	if (c->tio_saved && c->fds[0] >= 0)
		tcsetattr(c->fds[0], TCSANOW, &c->saved_tio);
}

static void con_free(struct con_dev *c)
{
	for (unsigned int i = 0; i < 3; i++)
		if (c->fds[i] >= 0 && (i == 0 || c->fds[i] != c->fds[i - 1]))
			close(c->fds[i]);
	if (c->resize_fd >= 0)
		close(c->resize_fd);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->cfg_lock);
	free(c);
}

static void con_destroy(struct virtio_device *dev)
{
	struct con_dev *c = to_con(dev);

	virtio_worker_stop(&c->worker);
	virtio_console_restore_terminal(dev);
	con_free(c);
}

static const struct virtio_dev_ops con_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = CON_NUM_QUEUES,
	.queue_max_size = CON_QUEUE_SIZE,
	.features = con_features,
	.config_read = con_config_read,
	.activate = con_activate,
	.reset = con_reset,
	.destroy = con_destroy,
};

/* ---- public API ---- */

void virtio_console_resize(struct virtio_device *dev, uint16_t rows,
			   uint16_t cols)
{
	struct con_dev *c = to_con(dev);
	uint64_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&c->cfg_lock);
	c->config.rows = rows;
	c->config.cols = cols;
	c->resize_pending = true;
	pthread_mutex_unlock(&c->cfg_lock);
	n = write(c->resize_fd, &one, sizeof(one));
	(void)n; /* full counter: a wakeup is pending anyway */
}

void virtio_console_drain(struct virtio_device *dev)
{
	struct con_dev *c = to_con(dev);

	pthread_mutex_lock(&c->lock);
	if (c->active)
		for (unsigned int i = 0; i < c->n_ports; i++)
			process_tx(c, i);
	pthread_mutex_unlock(&c->lock);
}

static int dup_fd(int fd, int *out, struct krun_err **err)
{
	*out = -1;
	if (fd < 0)
		return 0;
	*out = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (*out < 0)
		return krun_err_set_errno(
			err, errno, "virtio-console: cannot duplicate fd `%d`",
			fd);
	return 0;
}

static int open_fds(struct con_dev *c, const struct virtio_console_opts *o,
		    struct krun_err **err)
{
	int ret;

	if (o->output_path) {
		c->fds[1] =
			open(o->output_path,
			     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (c->fds[1] < 0)
			return krun_err_set_errno(
				err, errno, "cannot open console output `%s`",
				o->output_path);
		c->fds[2] = c->fds[1];
		return 0;
	}
	ret = dup_fd(o->stdin_fd, &c->fds[0], err);
	if (ret == 0)
		ret = dup_fd(o->stdout_fd, &c->fds[1], err);
	if (ret == 0)
		ret = dup_fd(o->stderr_fd, &c->fds[2], err);
	return ret;
}

static int enter_raw_mode(struct con_dev *c, struct krun_err **err)
{
	struct termios raw;
	struct winsize ws;

	if (tcgetattr(c->fds[0], &c->saved_tio) < 0)
		return krun_err_set_errno(
			err, errno, "virtio-console: stdin is not a terminal");
	raw = c->saved_tio;
	cfmakeraw(&raw);
	if (tcsetattr(c->fds[0], TCSANOW, &raw) < 0)
		return krun_err_set_errno(
			err, errno, "virtio-console: cannot set raw mode");
	c->tio_saved = true;
	if (ioctl(c->fds[0], TIOCGWINSZ, &ws) == 0) {
		c->config.rows = ws.ws_row;
		c->config.cols = ws.ws_col;
	}
	return 0;
}

static int copy_names(struct con_dev *c, const struct virtio_console_opts *o,
		      struct krun_err **err)
{
	for (unsigned int i = 0; i < 3; i++) {
		const char *name = o->port_names[i];

		if (!name || !*name || strlen(name) > CON_NAME_MAX)
			return krun_err_set(
				err, EINVAL,
				"virtio-console: bad port name `%s`",
				name ? name : "(null)");
		strcpy(c->names[i + 1], name);
	}
	return 0;
}

static void setup_ports(struct con_dev *c, bool terminal)
{
	c->terminal = terminal;
	c->n_ports = terminal ? 1 : CON_MAX_PORTS;
	c->in_port = terminal ? 0 : VIRTIO_CONSOLE_PORT_IN;
	for (unsigned int i = 0; i < CON_MAX_PORTS; i++)
		c->ports[i] = (struct con_port){
			.name = i ? c->names[i] : NULL,
			.out_fd = -1,
		};
	if (terminal) {
		c->ports[0].name = NULL;
		c->ports[0].out_fd = c->fds[1];
	} else {
		c->ports[0].out_fd = c->fds[2];
		c->ports[VIRTIO_CONSOLE_PORT_OUT].out_fd = c->fds[1];
		c->ports[VIRTIO_CONSOLE_PORT_ERR].out_fd = c->fds[2];
	}
	c->config.max_nr_ports = c->n_ports;
	c->in_eof = c->fds[0] < 0;
}

struct virtio_device *virtio_console_create(const struct virtio_console_opts *o,
					    struct krun_err **err)
{
	struct con_dev *c = calloc(1, sizeof(*c));
	bool terminal = o->terminal && !o->output_path;

	if (!c) {
		krun_err_set(err, ENOMEM, "virtio-console: out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->cfg_lock, NULL);
	c->vdev.ops = &con_ops;
	c->vdev.priv = c;
	for (unsigned int q = 0; q < CON_NUM_QUEUES; q++)
		devq_init(&c->queues[q], &c->vdev, q);
	virtio_worker_init(&c->worker, &con_worker_ops, c, c->queues,
			   CON_NUM_QUEUES, &c->elem);
	c->fds[0] = c->fds[1] = c->fds[2] = -1;
	c->resize_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->resize_fd < 0) {
		krun_err_set_errno(err, errno, "virtio-console: eventfd");
		goto fail;
	}
	virtio_worker_watch(&c->worker, CON_FD_RESIZE, c->resize_fd);
	if (open_fds(c, o, err) < 0)
		goto fail;
	/* A terminal asked for (-t) while stdin is a pipe: no raw mode. */
	if (terminal && c->fds[0] >= 0 && isatty(c->fds[0]) &&
	    enter_raw_mode(c, err) < 0)
		goto fail;
	if (!terminal && copy_names(c, o, err) < 0)
		goto fail;
	setup_ports(c, terminal);
	return &c->vdev;
fail:
	con_free(c);
	return NULL;
}
