/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workload: started as init's child with the run's identity, limits,
 * directory and stdio, supervised until it exits. Exec failures come back
 * over a close-on-exec pipe, so init reports them exactly (127 not found,
 * 126 not executable, 125 setup failed).
 */
#ifndef KRUN_INIT_WORKLOAD_H
#define KRUN_INIT_WORKLOAD_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmd/krun-init/console.h"
#include "cmd/krun-init/guest_config.h"
#include "lib/guest_abi.h"

#define INIT_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The signals init handles synchronously; blocked from the start. */
void workload_signal_set(sigset_t *set);

/*
 * The environment the workload gets: the configured one plus PATH, HOME
 * (and TERM in terminal mode) when absent. NULL-terminated, strings shared
 * with cfg; free the array only.
 */
char **workload_env(const struct guest_config *cfg);

/*
 * Run execve() over the PATH search of `file` (a name with a '/' is used
 * as it is); returns only on failure, with the errno that decides the
 * status: the last "real" error, else EACCES if any, else ENOENT.
 */
int workload_exec(const char *file, char *const argv[], char *const envp[],
		  const char *path);

/* Map an exec errno to 126 / 127. */
int workload_exec_status(int errnum);

/*
 * Fork and exec the workload. Returns its pid, or a negative number with
 * *status set (125/126/127) after printing the reason.
 */
pid_t workload_start(const struct guest_config *cfg,
		     const struct init_stdio *io, char **envp, int *status);

/*
 * Wait for the workload, reaping every other child on the way; forward
 * SIGTERM/SIGINT/SIGPWR as SIGTERM and SIGKILL after grace_ms. Returns the
 * status to report (exit code or 128 + signal).
 */
int workload_wait(pid_t pid, uint32_t grace_ms);

/* Kill and reap whatever the workload left behind (bounded wait). */
void workload_reap_orphans(void);

#endif
