/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMM's seccomp confinement, one filter per thread role
 * (docs/seccomp.md). vmm_seccomp_start() compiles every role's filter,
 * installs the SIGSYS handler that reports a violation, sets
 * no_new_privs and starts the launcher thread, which installs the union
 * filter and then starts every later VMM thread (vCPUs, device workers,
 * the signal and passt log threads) with its role's filter on top. The
 * calling thread confines itself with vmm_seccomp_enter("main") just
 * before the vCPUs run.
 *
 * Process-wide side effects (docs/STYLE.md rule 4): the SIGSYS handler
 * and the table of system call names it reads, no_new_privs, and a
 * thread-local role name per confined thread.
 */
#ifndef KRUN_LIB_VMM_SECCOMP_H
#define KRUN_LIB_VMM_SECCOMP_H

#include <linux/filter.h>
#include <pthread.h>
#include <stdbool.h>

#include "lib/config/config.h"
#include "util/err.h"
#include "util/thread_launch.h"

/* Exit status of a VMM that made a forbidden system call (128 + SIGSYS). */
#define VMM_SECCOMP_EXIT 159

struct seccomp_launch;

struct vmm_seccomp {
	struct thread_launcher launcher; /* first: launch() casts back */
	enum krun_vmm_seccomp mode;
	size_t n_roles;
	struct sock_fprog *progs; /* one per role of seccomp_policy_roles() */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct seccomp_launch *req; /* the request being served, or NULL */
	bool stop;
	bool running;
	pthread_t thread;
};

/*
 * Compile the filters and start the launcher (nothing when mode is off).
 * Call with the signals the VMM's threads must not take blocked, before
 * any thread that vmm_seccomp_launcher() should start.
 */
int vmm_seccomp_start(struct vmm_seccomp *s, enum krun_vmm_seccomp mode,
		      struct krun_err **err)
	__attribute__((warn_unused_result));
/* The launcher for vm_opts and the devices; NULL when mode is off. */
struct thread_launcher *vmm_seccomp_launcher(struct vmm_seccomp *s);
/* Confine the calling thread in role (nothing when off). */
int vmm_seccomp_enter(struct vmm_seccomp *s, const char *role,
		      struct krun_err **err)
	__attribute__((warn_unused_result));
/* Stop the launcher and free the filters. Threads it started must have
 * been joined. Accepts a zeroed, never started s. */
void vmm_seccomp_stop(struct vmm_seccomp *s);

/* Compile role's filter alone (for tests): enforce or log. */
int vmm_seccomp_compile(const char *role, enum krun_vmm_seccomp mode,
			struct sock_fprog *prog, struct krun_err **err)
	__attribute__((warn_unused_result));
/* Install the SIGSYS report handler and load prog on the calling thread
 * as role (for tests). Returns 0 or a negative errno. */
int vmm_seccomp_load(const struct sock_fprog *prog, const char *role);

#endif
