/* SPDX-License-Identifier: Apache-2.0 */
/*
 * passt as krun-run's child: a socketpair, `passt -f --fd N` with the port
 * maps as its -t/-u options, its log read line by line into ours.
 */
#ifndef KRUN_LIB_VMM_NET_PASST_H
#define KRUN_LIB_VMM_NET_PASST_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/config/config.h"
#include "util/err.h"
#include "util/thread_launch.h"

#define PASST_LINE_MAX 256

struct passt_proc {
	pid_t pid;	  /* 0: not running */
	int pidfd;	  /* -1: none */
	int log_fd;	  /* read end of passt's stderr */
	pthread_t thread; /* relays the log, reaps passt */
	bool has_thread;
	/* Starts the log thread (role "passt-log"); NULL: pthread_create. */
	struct thread_launcher *threads;
	bool stopping; /* atomic: the VMM is ending it */
	char last_line[PASST_LINE_MAX];
	char buf[PASST_LINE_MAX]; /* a partial line read from log_fd */
	size_t buf_len;
};

/*
 * Start passt in two halves, so the VMM can set up other things while
 * passt configures itself. passt_spawn() runs it; on success *sock is the
 * VMM's end of the socketpair. passt_wait_ready() waits until passt has
 * configured itself (it prints its addresses) or exited, then relays its
 * log; on failure it closes *sock (-1) and stops passt. Both fail naming
 * the cause: passt not found, not executable, exited early with its last
 * message.
 */
int passt_spawn(const struct krun_config *cfg, struct passt_proc *p, int *sock,
		struct thread_launcher *threads, struct krun_err **err)
	__attribute__((warn_unused_result));
int passt_wait_ready(struct passt_proc *p, int *sock, struct krun_err **err)
	__attribute__((warn_unused_result));

/* The VM is ending: passt's exit from now on is expected (the device
 * closing its socket ends it), not an error to report. */
void passt_expect_exit(struct passt_proc *p);

/* SIGTERM (SIGKILL after a grace period), reap, join. Safe when never
 * started. */
void passt_stop(struct passt_proc *p);

/* The command-line options for cfg's port maps ("-t", "SPEC", ...) into
 * argv (at most 2 * n_ports entries), with their strings in buf. */
size_t passt_port_args(const struct krun_config *cfg, const char **argv,
		       char (*buf)[64]);

#endif
