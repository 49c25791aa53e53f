// SPDX-License-Identifier: Apache-2.0
#include "virtio/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define WORKER_MAX_POLL (VIRTIO_MAX_QUEUES + VIRTIO_WORKER_MAX_FDS + 1)

void virtio_worker_init(struct virtio_worker *w,
			const struct virtio_worker_ops *ops, void *ctx,
			struct dev_queue *queues, unsigned int nqueues,
			struct vq_elem *elem)
{
	*w = (struct virtio_worker){
		.ops = ops,
		.ctx = ctx,
		.queues = queues,
		.nqueues = nqueues < VIRTIO_MAX_QUEUES ? nqueues
						       : VIRTIO_MAX_QUEUES,
		.elem = elem,
		.stop_fd = -1,
	};
	for (unsigned int i = 0; i < VIRTIO_WORKER_MAX_FDS; i++)
		w->fds[i] = (struct pollfd){.fd = -1, .events = POLLIN};
}

void virtio_worker_watch(struct virtio_worker *w, unsigned int slot, int fd)
{
	if (slot < VIRTIO_WORKER_MAX_FDS)
		w->fds[slot] = (struct pollfd){.fd = fd, .events = POLLIN};
}

void virtio_worker_watch_events(struct virtio_worker *w, unsigned int slot,
				int fd, short events)
{
	if (slot < VIRTIO_WORKER_MAX_FDS)
		w->fds[slot] = (struct pollfd){.fd = fd, .events = events};
}

bool virtio_worker_ready(const struct virtio_worker *w, unsigned int slot)
{
	return slot < VIRTIO_WORKER_MAX_FDS && w->fds[slot].fd >= 0 &&
	       w->fds[slot].revents;
}

static int run_round(struct virtio_worker *w)
{
	if (w->ops->process)
		return w->ops->process(w->ctx, w);
	for (unsigned int i = 0; i < w->nqueues; i++)
		devq_serve(&w->queues[i], w->elem, w->ops->handle_chain,
			   w->ctx);
	return -1;
}

/* Fill all[] with the attached queues' notify fds, then the host fds; the
 * stop eventfd goes last. Returns the count. A broken queue is still
 * waited on (its kicks are drained and ignored): its state belongs to the
 * thread that serves it, which need not be this one. */
static unsigned int build_poll(const struct virtio_worker *w,
			       struct pollfd *all, unsigned int *nq)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < w->nqueues; i++)
		if (w->queues[i].vq && w->queues[i].vq->ready)
			all[n++] = (struct pollfd){w->queues[i].notify_fd,
						   POLLIN, 0};
	*nq = n;
	for (unsigned int i = 0; i < VIRTIO_WORKER_MAX_FDS; i++)
		all[n++] = (struct pollfd){w->fds[i].fd, w->fds[i].events, 0};
	all[n++] = (struct pollfd){w->stop_fd, POLLIN, 0};
	return n;
}

/* Wait for a wake-up or timeout_ms; false when the worker must stop. */
static bool wait_wakeup(struct virtio_worker *w, int timeout_ms)
{
	struct pollfd all[WORKER_MAX_POLL];
	unsigned int nq, n = build_poll(w, all, &nq);
	int ret;

	do {
		ret = poll(all, n, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0 || all[n - 1].revents)
		return false;
	for (unsigned int i = 0; i < nq; i++)
		if (all[i].revents)
			virtio_eventfd_drain(all[i].fd);
	for (unsigned int i = 0; i < VIRTIO_WORKER_MAX_FDS; i++)
		w->fds[i].revents = all[nq + i].revents;
	return true;
}

static void *worker_main(void *arg)
{
	struct virtio_worker *w = arg;

	while (wait_wakeup(w, run_round(w)))
		;
	return NULL;
}

int virtio_worker_start(struct virtio_worker *w, struct krun_err **err)
{
	sigset_t all, old;
	int ret;

	w->running = false;
	for (unsigned int i = 0; i < VIRTIO_WORKER_MAX_FDS; i++)
		w->fds[i].revents = 0;
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->stop_fd < 0)
		return krun_err_set_errno(
			err, errno, "virtio worker: cannot create an eventfd");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = thread_launch(w->nqueues ? w->queues[0].dev->threads : NULL,
			    w->ops->role, &w->thread, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		close(w->stop_fd);
		w->stop_fd = -1;
		return krun_err_set_errno(
			err, ret, "virtio worker: cannot start a thread");
	}
	w->running = true;
	return 0;
}

void virtio_worker_stop(struct virtio_worker *w)
{
	uint64_t one = 1;

	if (!w->running)
		return;
	/* A failed write means the counter is full: a stop is pending. */
	ssize_t n = write(w->stop_fd, &one, sizeof(one));

	(void)n;
	pthread_join(w->thread, NULL);
	close(w->stop_fd);
	w->stop_fd = -1;
	w->running = false;
}

int virtio_worker_activate(struct virtio_worker *w, struct virtqueue *queues,
			   const int *notify_fds, struct krun_err **err)
{
	for (unsigned int i = 0; i < w->nqueues; i++) {
		struct dev_queue *q = &w->queues[i];

		devq_attach(q, &queues[q->index], notify_fds[q->index]);
	}
	return virtio_worker_start(w, err);
}

void virtio_worker_reset(struct virtio_worker *w)
{
	virtio_worker_stop(w);
	for (unsigned int i = 0; i < w->nqueues; i++)
		devq_detach(&w->queues[i]);
}

void virtio_eventfd_drain(int fd)
{
	uint64_t v;

	if (fd < 0)
		return;
	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}
