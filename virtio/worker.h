/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device worker thread: the loop every device runs to serve its queues.
 *
 * The worker waits on the notify eventfd of each attached, ready queue it
 * serves (struct dev_queue; kicks of a broken queue are drained and
 * ignored), on up to
 * VIRTIO_WORKER_MAX_FDS host fds the device watches (a console's stdin or
 * a wake-up eventfd), and on its stop eventfd. It runs one round of work
 * when it starts and after every wake-up; the queue eventfds that fired
 * are drained first, host fds are left to the device.
 *
 * A round is either ops->process(), the device's own, or, when that is
 * NULL, devq_serve() of every queue with ops->handle_chain: pop, handle,
 * complete, signal once per queue and pass (see virtio/dev_queue.h for the
 * malformed-chain policy and where notification suppression and batched
 * completions go).
 *
 * Workers run with all signals blocked, so process-wide handlers
 * (SIGWINCH, SIGINT) stay on the VMM's own threads and a write to a closed
 * pipe returns EPIPE instead of killing the VMM.
 */
#ifndef KRUN_VIRTIO_WORKER_H
#define KRUN_VIRTIO_WORKER_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>

#include "util/err.h"
#include "virtio/dev_queue.h"

#define VIRTIO_WORKER_MAX_FDS 4

struct virtio_worker;

struct virtio_worker_ops {
	/* Handle one chain (see devq_handle_fn); used when process is NULL. */
	devq_handle_fn handle_chain;
	/* One round of work. Returns how long the next wait may last in ms
	 * (a retry timer), or -1 to wait for a wake-up only. */
	int (*process)(void *ctx, struct virtio_worker *w);
	/* The thread's role for the launcher (its seccomp filter). */
	const char *role;
};

struct virtio_worker {
	const struct virtio_worker_ops *ops;
	void *ctx;
	struct dev_queue *queues; /* served by this worker */
	unsigned int nqueues;
	struct vq_elem *elem; /* scratch for the default round */
	struct pollfd fds[VIRTIO_WORKER_MAX_FDS]; /* host fds; -1: unused */
	pthread_t thread;
	int stop_fd; /* eventfd, -1 when not running */
	bool running;
};

/* At device creation: a stopped worker for queues[0..nqueues). */
void virtio_worker_init(struct virtio_worker *w,
			const struct virtio_worker_ops *ops, void *ctx,
			struct dev_queue *queues, unsigned int nqueues,
			struct vq_elem *elem);

/* Start the thread (attach the queues first). */
int virtio_worker_start(struct virtio_worker *w, struct krun_err **err);

/* Ask the worker to stop and join it. Safe when not running. */
void virtio_worker_stop(struct virtio_worker *w);

/* activate(): attach each served queue to queues[index] and notify_fds[index]
 * (the transport's arrays), then start. */
int virtio_worker_activate(struct virtio_worker *w, struct virtqueue *queues,
			   const int *notify_fds, struct krun_err **err);

/* reset(): stop the worker, then detach its queues. */
void virtio_worker_reset(struct virtio_worker *w);

/* Wait for fd (POLLIN) in slot from the next wait on; -1 stops waiting.
 * Before start or from the worker thread. */
void virtio_worker_watch(struct virtio_worker *w, unsigned int slot, int fd);

/* The same for the poll events given (POLLIN, POLLOUT or both; 0 keeps
 * the fd but waits for neither). */
void virtio_worker_watch_events(struct virtio_worker *w, unsigned int slot,
				int fd, short events);

/* Whether slot's fd was readable when the worker last woke. */
bool virtio_worker_ready(const struct virtio_worker *w, unsigned int slot);

/* Read an eventfd (non-blocking) until it is empty. */
void virtio_eventfd_drain(int fd);

#endif
