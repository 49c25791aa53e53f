// SPDX-License-Identifier: Apache-2.0
/*
 * The virtio-gpu device: control queue (0) and cursor queue (1), served by
 * the renderer thread. That thread makes the backend, then loops: wait on
 * the queues' notify eventfds, a control eventfd (activate, reset, stop
 * from the transport), a fence eventfd (fence callbacks from other
 * threads) and the backend's poll fd; handle requests through gpu_cmd.c;
 * complete fenced requests only once their fence has signalled.
 */
#include "virtio/gpu.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "virtio/dev_queue.h"
#include "virtio/gpu/gpu_cmd.h"
#include "virtio/gpu/gpu_proto.h"
#include "virtio/worker.h"
#ifdef KRUN_HAVE_VIRGL
#include "virtio/gpu/gpu_virgl.h"
#endif

#define GPU_QUEUE_SIZE 256
#define GPU_NQ 2
/* Poll interval for fences when the backend has no poll fd. */
#define FENCE_POLL_MS 2

enum gpu_req { REQ_NONE, REQ_ACTIVATE, REQ_RESET, REQ_STOP };

struct pending {
	uint16_t head;
	uint32_t written;
	uint64_t fence_id;
	unsigned int q;
};

struct gpu_dev {
	struct virtio_device vdev;
	struct virtio_gpu_opts opts;
	struct gpu_backend *be;
	struct gpu_cmd cmd;
	struct dev_queue queues[GPU_NQ];
	struct vq_elem *elem;
	uint8_t *shm;
	uint64_t shm_size;
	uint64_t features;

	pthread_t thread;
	bool thread_running;
	int ctl_fd;
	int fence_fd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock: the request to the thread and its answer. */
	enum gpu_req req;
	bool req_done;
	struct virtqueue *act_queues;
	const int *act_notify;
	/* Under lock: the startup answer. */
	bool started;
	int start_ret;
	struct krun_err *start_err;
	/* Under lock: the latest fence that signalled. */
	uint64_t signalled;

	/* Renderer thread only. */
	struct pending *pend;
	unsigned int n_pend, cap_pend;
	bool active;
};

static struct gpu_dev *gdev(struct virtio_device *dev)
{
	return dev->priv;
}

bool virtio_gpu_available(void)
{
#ifdef KRUN_HAVE_VIRGL
	return true;
#else
	return false;
#endif
}

static void fence_signalled(void *ctx, uint64_t fence_id)
{
	struct gpu_dev *g = ctx;
	uint64_t one = 1;

	pthread_mutex_lock(&g->lock);
	if (fence_id > g->signalled)
		g->signalled = fence_id;
	pthread_mutex_unlock(&g->lock);
	if (write(g->fence_fd, &one, sizeof(one)) < 0) {
		/* eventfd full: already readable */
	}
}

static uint64_t features(struct virtio_device *dev)
{
	struct gpu_dev *g = gdev(dev);
	uint64_t f = 0;

	if (g->be && g->be->virgl)
		f |= 1ull << VIRTIO_GPU_F_VIRGL;
	if (g->shm)
		f |= 1ull << VIRTIO_GPU_F_RESOURCE_BLOB;
	return f;
}

static void config_read(struct virtio_device *dev, uint64_t offset,
			uint8_t *data, uint32_t len)
{
	struct gpu_dev *g = gdev(dev);
	struct virtio_gpu_config c = {
		.num_scanouts = 1,
		.num_capsets = g->be ? g->be->num_capsets : 0,
	};

	if (offset < sizeof(c) && len <= sizeof(c) - offset)
		memcpy(data, (uint8_t *)&c + offset, len);
}

/* events_clear: no event is ever raised (the one display never changes). */
static void config_write(struct virtio_device *dev, uint64_t offset,
			 const uint8_t *data, uint32_t len)
{
}

/* Ask the renderer thread to do req and wait until it has. */
static void request(struct gpu_dev *g, enum gpu_req req)
{
	uint64_t one = 1;

	pthread_mutex_lock(&g->lock);
	g->req = req;
	g->req_done = false;
	pthread_mutex_unlock(&g->lock);
	if (write(g->ctl_fd, &one, sizeof(one)) < 0) {
		/* eventfd full: already readable */
	}
	pthread_mutex_lock(&g->lock);
	while (!g->req_done)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static int activate(struct virtio_device *dev, uint64_t feats,
		    struct virtqueue *queues, const int *notify_fds,
		    struct krun_err **err)
{
	struct gpu_dev *g = gdev(dev);

	if (!g->thread_running)
		return krun_err_set(err, EIO, "virtio-gpu: renderer not running");
	pthread_mutex_lock(&g->lock);
	g->features = feats;
	g->act_queues = queues;
	g->act_notify = notify_fds;
	pthread_mutex_unlock(&g->lock);
	request(g, REQ_ACTIVATE);
	return 0;
}

static void reset(struct virtio_device *dev)
{
	struct gpu_dev *g = gdev(dev);

	if (g->thread_running)
		request(g, REQ_RESET);
}

static void destroy(struct virtio_device *dev)
{
	struct gpu_dev *g = gdev(dev);

	if (g->thread_running) {
		request(g, REQ_STOP);
		pthread_join(g->thread, NULL);
	}
	if (g->shm)
		munmap(g->shm, g->shm_size);
	close(g->ctl_fd);
	close(g->fence_fd);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	krun_err_free(&g->start_err);
	free(g->pend);
	free(g->elem);
	free(g);
}

static const struct virtio_dev_ops gpu_ops = {
	.name = "gpu",
	.device_id = VIRTIO_ID_GPU,
	.num_queues = GPU_NQ,
	.queue_max_size = GPU_QUEUE_SIZE,
	.features = features,
	.config_read = config_read,
	.config_write = config_write,
	.activate = activate,
	.reset = reset,
	.destroy = destroy,
};

/* --- renderer thread --- */

static bool keep(struct gpu_dev *g, unsigned int q, uint16_t head,
		 uint32_t written, uint64_t fence_id)
{
	struct pending *n;

	if (g->n_pend == g->cap_pend) {
		unsigned int cap = g->cap_pend ? g->cap_pend * 2 : 64;

		n = realloc(g->pend, cap * sizeof(*n));
		if (!n)
			return false;
		g->pend = n;
		g->cap_pend = cap;
	}
	g->pend[g->n_pend++] = (struct pending){head, written, fence_id, q};
	return true;
}

static bool handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
		   uint32_t *written)
{
	struct gpu_dev *g = ctx;
	struct gpu_reply r;

	gpu_cmd_handle(&g->cmd, e->out, e->n_out, e->in, e->n_in, &r);
	*written = r.written;
	if (!r.fenced)
		return true;
	/* Completed once the fence signals; if it cannot be kept, now. */
	return !keep(g, q->index, e->head, r.written, r.fence_id);
}

/* Complete the kept requests whose fence has signalled. */
static void complete_fenced(struct gpu_dev *g)
{
	uint64_t done;
	bool any[GPU_NQ] = {false};

	pthread_mutex_lock(&g->lock);
	done = g->signalled;
	pthread_mutex_unlock(&g->lock);
	for (unsigned int i = 0; i < g->n_pend;) {
		struct pending *p = &g->pend[i];

		if ((uint32_t)p->fence_id > (uint32_t)done) {
			i++;
			continue;
		}
		devq_complete(&g->queues[p->q], p->head, p->written);
		any[p->q] = true;
		g->pend[i] = g->pend[--g->n_pend];
	}
	for (unsigned int q = 0; q < GPU_NQ; q++)
		if (any[q])
			devq_signal(&g->queues[q]);
}

static void do_activate(struct gpu_dev *g)
{
	pthread_mutex_lock(&g->lock);
	for (unsigned int q = 0; q < GPU_NQ; q++)
		devq_attach(&g->queues[q], &g->act_queues[q],
			    g->act_notify[q]);
	g->cmd.gm = g->vdev.gm;
	g->cmd.virgl = g->features & (1ull << VIRTIO_GPU_F_VIRGL);
	g->cmd.blob = g->features & (1ull << VIRTIO_GPU_F_RESOURCE_BLOB);
	pthread_mutex_unlock(&g->lock);
	g->active = true;
}

static void do_reset(struct gpu_dev *g)
{
	/* Requests still waiting for a fence go with their rings. */
	g->n_pend = 0;
	gpu_cmd_reset(&g->cmd);
	for (unsigned int q = 0; q < GPU_NQ; q++)
		devq_detach(&g->queues[q]);
	g->active = false;
}

/* Serve a control request; false when the thread must stop. */
static bool control(struct gpu_dev *g)
{
	enum gpu_req req;

	virtio_eventfd_drain(g->ctl_fd);
	pthread_mutex_lock(&g->lock);
	req = g->req;
	g->req = REQ_NONE;
	pthread_mutex_unlock(&g->lock);
	if (req == REQ_NONE)
		return true;
	if (req == REQ_ACTIVATE)
		do_activate(g);
	else
		do_reset(g);
	pthread_mutex_lock(&g->lock);
	g->req_done = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	return req != REQ_STOP;
}

static void serve(struct gpu_dev *g)
{
	struct pollfd fds[GPU_NQ + 3];
	int be_fd = g->be->ops->poll_fd(g->be);

	for (;;) {
		unsigned int n = 0;
		int timeout = -1;

		fds[n++] = (struct pollfd){.fd = g->ctl_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = g->fence_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = be_fd, .events = POLLIN};
		for (unsigned int q = 0; q < GPU_NQ && g->active; q++)
			fds[n++] = (struct pollfd){
				.fd = g->queues[q].notify_fd,
				.events = POLLIN,
			};
		if (g->n_pend && be_fd < 0)
			timeout = FENCE_POLL_MS;
		if (poll(fds, n, timeout) < 0 && errno != EINTR)
			continue;
		if (fds[0].revents && !control(g))
			return;
		if (fds[1].revents)
			virtio_eventfd_drain(g->fence_fd);
		for (unsigned int i = 3; i < n; i++)
			if (fds[i].revents)
				virtio_eventfd_drain(fds[i].fd);
		if (!g->active)
			continue;
		for (unsigned int q = 0; q < GPU_NQ; q++)
			devq_serve(&g->queues[q], g->elem, handle, g);
		if (g->n_pend || fds[2].revents)
			g->be->ops->poll(g->be);
		complete_fenced(g);
	}
}

static void *renderer_main(void *arg)
{
	struct gpu_dev *g = arg;
	struct krun_err *err = NULL;
	struct gpu_backend *be;

	if (g->opts.backend)
		be = g->opts.backend(g->opts.backend_arg, fence_signalled, g,
				     &err);
	else
#ifdef KRUN_HAVE_VIRGL
		be = gpu_virgl_create(g->opts.virgl_flags, fence_signalled, g,
				      &err);
#else
		be = NULL, krun_err_set(&err, ENOTSUP,
					"virtio-gpu: this build has no virglrenderer");
#endif
	pthread_mutex_lock(&g->lock);
	g->be = be;
	g->started = true;
	g->start_ret = be ? 0 : -EIO;
	g->start_err = err;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	if (!be)
		return NULL;
	gpu_cmd_init(&g->cmd, be, NULL, g->shm, g->shm_size,
		     g->opts.window.map ? &g->opts.window : NULL);
	serve(g);
	do_reset(g);
	be->ops->destroy(be);
	g->be = NULL;
	return NULL;
}

int virtio_gpu_start(struct virtio_device *dev, void **shm,
		     uint64_t *shm_size, struct krun_err **err)
{
	struct gpu_dev *g = gdev(dev);
	int ret;

	ret = thread_launch(dev->threads, "gpu", &g->thread, renderer_main, g);
	if (ret)
		return krun_err_set(err, ret,
				    "virtio-gpu: cannot start the renderer thread");
	pthread_mutex_lock(&g->lock);
	while (!g->started)
		pthread_cond_wait(&g->cond, &g->lock);
	ret = g->start_ret;
	pthread_mutex_unlock(&g->lock);
	if (ret < 0) {
		pthread_join(g->thread, NULL);
		ret = krun_err_set(err, g->start_err ? g->start_err->errnum
						     : EIO,
				   "%s", krun_err_msg(g->start_err));
		krun_err_free(&g->start_err);
		return ret;
	}
	g->thread_running = true;
	*shm = g->shm;
	*shm_size = g->shm_size;
	return 0;
}

struct virtio_device *virtio_gpu_create(const struct virtio_gpu_opts *o,
					struct krun_err **err)
{
	struct gpu_dev *g = calloc(1, sizeof(*g));
	uint64_t size = o->shm_size ? o->shm_size : VIRTIO_GPU_DEFAULT_SHM;
	void *shm = NULL;
	int ret;

	if (!g || !(g->elem = calloc(1, sizeof(*g->elem)))) {
		free(g);
		krun_err_set(err, ENOMEM, "virtio-gpu: out of memory");
		return NULL;
	}
	if (size % 4096) {
		free(g->elem);
		free(g);
		krun_err_set(err, EINVAL,
			     "virtio-gpu: shared memory size %llu is not a multiple of 4 KiB",
			     (unsigned long long)size);
		return NULL;
	}
	ret = gpu_shm_reserve(NULL, size, &shm);
	g->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->fence_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ret < 0 || g->ctl_fd < 0 || g->fence_fd < 0) {
		krun_err_set(err, ret < 0 ? -ret : errno,
			     "virtio-gpu: cannot reserve the shared memory window");
		if (shm)
			munmap(shm, size);
		if (g->ctl_fd >= 0)
			close(g->ctl_fd);
		if (g->fence_fd >= 0)
			close(g->fence_fd);
		free(g->elem);
		free(g);
		return NULL;
	}
	g->opts = *o;
	g->shm = shm;
	g->shm_size = size;
	g->vdev.ops = &gpu_ops;
	g->vdev.priv = g;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	for (unsigned int q = 0; q < GPU_NQ; q++)
		devq_init(&g->queues[q], &g->vdev, q);
	return &g->vdev;
}
