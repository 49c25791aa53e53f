// SPDX-License-Identifier: Apache-2.0
#include "virtio/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int virtio_worker_start(struct virtio_worker *w, void *(*fn)(void *), void *arg,
			struct krun_err **err)
{
	sigset_t all, old;
	int ret;

	w->running = false;
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->stop_fd < 0)
		return krun_err_set_errno(
			err, errno, "virtio worker: cannot create an eventfd");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&w->thread, NULL, fn, arg);
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

bool virtio_worker_poll(const struct virtio_worker *w, struct pollfd *fds,
			unsigned int n)
{
	struct pollfd all[n + 1];
	int ret;

	for (unsigned int i = 0; i < n; i++)
		all[i] = (struct pollfd){.fd = fds[i].fd,
					 .events = fds[i].events};
	all[n] = (struct pollfd){.fd = w->stop_fd, .events = POLLIN};
	do {
		ret = poll(all, n + 1, -1);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0 || all[n].revents)
		return false;
	for (unsigned int i = 0; i < n; i++)
		fds[i].revents = all[i].revents;
	return true;
}

void virtio_eventfd_drain(int fd)
{
	uint64_t v;

	if (fd < 0)
		return;
	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}
