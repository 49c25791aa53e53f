/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting a thread through a launcher. A seccomp filter is inherited by
 * the threads its thread creates and can only be narrowed, so a thread
 * that runs under a narrow filter (a vCPU) cannot start a thread that
 * needs more (a virtio-fs worker) by itself. It asks a launcher instead:
 * the launcher runs on a thread whose filter covers every role, creates
 * the thread there and has it install the role's own filter before it
 * calls fn (lib/vmm/seccomp.c). Without a launcher, threads are created
 * directly.
 */
#ifndef KRUN_UTIL_THREAD_LAUNCH_H
#define KRUN_UTIL_THREAD_LAUNCH_H

#include <pthread.h>

typedef void *(*thread_main_fn)(void *arg);

struct thread_launcher {
	/*
	 * Start fn(arg) on a new joinable thread in the role named role
	 * ("vcpu", "blk", ...; a role the launcher does not know is
	 * refused). Returns 0 or a positive errno, as pthread_create(), and
	 * returns only once the new thread is confined. The new thread
	 * starts with every signal blocked.
	 */
	int (*launch)(struct thread_launcher *l, const char *role,
		      pthread_t *thread, thread_main_fn fn, void *arg);
};

/* l->launch(), or pthread_create() when l is NULL. */
static inline int thread_launch(struct thread_launcher *l, const char *role,
				pthread_t *thread, thread_main_fn fn, void *arg)
{
	if (l)
		return l->launch(l, role, thread, fn, arg);
	return pthread_create(thread, NULL, fn, arg);
}

#endif
