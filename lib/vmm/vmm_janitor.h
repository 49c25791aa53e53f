/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A child process that removes the VMM's socket files after the VMM ends,
 * SIGKILL included (lib/vmm/vmm_janitor.c).
 */
#ifndef KRUN_VMM_JANITOR_H
#define KRUN_VMM_JANITOR_H

#include <sys/types.h>

#include "util/err.h"

struct vmm_janitor {
	pid_t pid; /* -1: not running */
	int fd;	   /* write end of its pipe, -1: none */
};

void vmm_janitor_init(struct vmm_janitor *j);
/* Fork the janitor. Call before the VMM starts threads of its own. */
int vmm_janitor_start(struct vmm_janitor *j, struct krun_err **err);
/* Have the socket file at path removed once the VMM is gone (a no-op when
 * path is not a socket or no janitor runs). */
void vmm_janitor_track(struct vmm_janitor *j, const char *path);
/* Let the janitor check its paths now and reap it. */
void vmm_janitor_stop(struct vmm_janitor *j);

#endif
