/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device worker thread with a stop eventfd. Workers run with all signals
 * blocked, so process-wide handlers (SIGWINCH, SIGINT) stay on the lead's
 * threads and a write to a closed pipe returns EPIPE instead of killing
 * the VMM.
 */
#ifndef KRUN_VIRTIO_WORKER_H
#define KRUN_VIRTIO_WORKER_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>

#include "util/err.h"

struct virtio_worker {
	pthread_t thread;
	int stop_fd; /* eventfd, -1 when not running */
	bool running;
};

/* Start fn(arg) on a new thread. */
int virtio_worker_start(struct virtio_worker *w, void *(*fn)(void *), void *arg,
			struct krun_err **err);

/* Ask the worker to stop and join it. Safe when not running. */
void virtio_worker_stop(struct virtio_worker *w);

/*
 * poll() fds plus the stop eventfd. Returns false when the worker must
 * stop; otherwise the revents of fds are filled in. Entries with fd < 0
 * are ignored (as poll() does).
 */
bool virtio_worker_poll(const struct virtio_worker *w, struct pollfd *fds,
			unsigned int n);

/* Read an eventfd (non-blocking) until it is empty. */
void virtio_eventfd_drain(int fd);

#endif
