// SPDX-License-Identifier: Apache-2.0
/* PID 1 duties while the workload runs: reaping, signals, grace period. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>

#include "cmd/krun-init/init_log.h"
#include "cmd/krun-init/workload.h"

#define ORPHAN_WAIT_MS 1000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_status(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

/* Reap every child that has exited; true once `pid` is among them. */
static bool reap(pid_t pid, int *status)
{
	bool done = false;
	pid_t w;
	int ws;

	while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
		if (w == pid && (WIFEXITED(ws) || WIFSIGNALED(ws))) {
			*status = wait_status(ws);
			done = true;
		}
	}
	return done;
}

/* Next signal, or 0 when `deadline` (ms, < 0: none) has passed. */
static int next_signal(const sigset_t *set, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline < 0 ? -1 : deadline - now_ms();
		struct timespec ts;
		int sig;

		if (deadline >= 0 && left <= 0)
			return 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		sig = deadline < 0 ? sigwaitinfo(set, NULL)
				   : sigtimedwait(set, NULL, &ts);
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
	}
}

int workload_wait(pid_t pid, uint32_t grace_ms)
{
	int64_t deadline = -1;
	bool stopping = false;
	int status = 0;
	sigset_t set;

	workload_signal_set(&set);
	while (!reap(pid, &status)) {
		int sig = next_signal(&set, deadline);

		if (sig == 0) {
			ilog_err(
				"the workload ignored SIGTERM for %u ms; killing it",
				grace_ms);
			kill(pid, SIGKILL);
			deadline = -1;
		} else if (sig != SIGCHLD && !stopping) {
			ilog_debug("signal %d: stopping the workload", sig);
			stopping = true;
			kill(pid, SIGTERM);
			deadline = now_ms() + grace_ms;
		}
	}
	return status;
}

void workload_reap_orphans(void)
{
	int64_t deadline = now_ms() + ORPHAN_WAIT_MS;
	sigset_t set;

	/* Everything but init itself. */
	if (kill(-1, SIGKILL) < 0 && errno == ESRCH)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		pid_t w = waitpid(-1, NULL, WNOHANG);

		if (w < 0)
			return; /* ECHILD: all gone */
		if (w > 0)
			continue;
		if (next_signal(&set, deadline) == 0)
			return;
	}
}
