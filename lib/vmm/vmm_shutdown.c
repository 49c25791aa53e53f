// SPDX-License-Identifier: Apache-2.0
/*
 * The VMM's signal thread: SIGWINCH resizes the guest console; the first
 * SIGINT/SIGTERM, or a write to the shutdown eventfd, asks the guest for
 * an orderly stop (Ctrl-Alt-Del: init sends SIGTERM to the workload and
 * SIGKILLs it after the grace period, and the run ends with the status
 * init reports); a second one, SIGHUP, or no exit within the grace period
 * plus VMM_SHUTDOWN_MARGIN_MS stops the VM at once (status 128 + signal).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/vmm/vmm_internal.h"
#include "util/log.h"
#include "virtio/console.h"

/* Beyond the guest's grace period: init's own SIGKILL, reaping, sync. */
#define VMM_SHUTDOWN_MARGIN_MS 5000
/*
 * How long a stop request waits for the guest's keyboard (a guest still
 * booting, or one whose atkbd binds late under load) before the VM is
 * stopped at once; the grace period counts from the press.
 */
#define VMM_KEYBOARD_WAIT_MS 60000
/* How often a press the guest's keyboard was not ready for is retried. */
#define VMM_CAD_RETRY_MS 20

enum { POLL_STOP, POLL_SIGNAL, POLL_EVENTFD, POLL_N };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void forward_window_size(struct vmm *vmm)
{
	struct winsize ws;

	if (vmm->console && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		virtio_console_resize(vmm->console, ws.ws_row, ws.ws_col);
}

static void hard_stop(struct vmm_signals *s, int sig)
{
	if (!s->stop_signal)
		s->stop_signal = sig;
	s->hard_stopped = true;
	vm_request_stop(s->vmm->vm);
}

/* Presses Ctrl-Alt-Del; false while the guest's keyboard cannot take it. */
static bool press_ctrl_alt_del(struct vmm_signals *s)
{
	struct krun_err *err = NULL;

	if (vm_send_ctrl_alt_del(s->vmm->vm, &err) < 0) {
		log_debug("Ctrl-Alt-Del deferred: %s", krun_err_msg(err));
		krun_err_free(&err);
		return false;
	}
	s->cad_pending = false;
	/* The grace period starts when the guest is asked. */
	s->deadline_ms = now_ms() + s->grace_ms + VMM_SHUTDOWN_MARGIN_MS;
	log_debug("asked the guest to stop (signal %d), %u ms grace",
		  s->stop_signal, s->grace_ms);
	return true;
}

/*
 * The first request presses Ctrl-Alt-Del. A guest that has not enabled its
 * keyboard yet may already run the workload (atkbd binds asynchronously,
 * init does not wait for it): the press is retried until the keyboard
 * takes it, for at most VMM_KEYBOARD_WAIT_MS; the grace period counts from
 * the press.
 */
static void request_shutdown(struct vmm_signals *s, int sig)
{
	if (s->stop_signal || sig == SIGHUP)
		return hard_stop(s, sig);
	s->stop_signal = sig;
	s->deadline_ms = now_ms() + VMM_KEYBOARD_WAIT_MS;
	s->cad_pending = !press_ctrl_alt_del(s);
}

static void take_signal(struct vmm_signals *s)
{
	struct signalfd_siginfo si;

	if (read(s->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH)
		forward_window_size(s->vmm);
	else
		request_shutdown(s, (int)si.ssi_signo);
}

static void take_eventfd(struct vmm_signals *s)
{
	uint64_t count;

	/* Non-blocking: another reader may have taken it. */
	if (read(s->shutdown_fd, &count, sizeof(count)) == sizeof(count))
		request_shutdown(s, SIGTERM);
}

/* The time limit runs out: the same orderly stop as SIGTERM. */
static void check_time_limit(struct vmm_signals *s)
{
	if (!s->timeout_at_ms || now_ms() < s->timeout_at_ms)
		return;
	s->timeout_at_ms = 0;
	if (s->stop_signal)
		return; /* a stop is already under way */
	log_info("time limit reached: stopping the guest");
	s->timed_out = true;
	request_shutdown(s, SIGTERM);
}

static int poll_timeout(const struct vmm_signals *s)
{
	int64_t left;

	if (s->timeout_at_ms && !s->deadline_ms) {
		left = s->timeout_at_ms - now_ms();
		return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
	}
	if (!s->deadline_ms)
		return -1;
	left = s->deadline_ms - now_ms();
	if (left <= 0)
		return 0;
	if (s->cad_pending && left > VMM_CAD_RETRY_MS)
		return VMM_CAD_RETRY_MS;
	return (int)left;
}

static void *signal_thread(void *opaque)
{
	struct vmm_signals *s = opaque;
	struct pollfd fds[POLL_N] = {
		[POLL_STOP] = {.fd = s->stop_fd, .events = POLLIN},
		[POLL_SIGNAL] = {.fd = s->signal_fd, .events = POLLIN},
		[POLL_EVENTFD] = {.fd = s->shutdown_fd, .events = POLLIN},
	};

	for (;;) {
		int n = poll(fds, POLL_N, poll_timeout(s));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (fds[POLL_STOP].revents & POLLIN))
			break;
		check_time_limit(s);
		if (s->cad_pending && !s->hard_stopped &&
		    now_ms() < s->deadline_ms)
			press_ctrl_alt_del(s);
		if (n == 0 && s->deadline_ms && !s->hard_stopped &&
		    now_ms() >= s->deadline_ms) {
			if (s->cad_pending)
				log_warn("the guest did not take the shutdown "
					 "request within %u ms; stopping it",
					 VMM_KEYBOARD_WAIT_MS);
			else
				log_warn("the guest did not stop within %u ms "
					 "of the shutdown request; stopping it",
					 s->grace_ms + VMM_SHUTDOWN_MARGIN_MS);
			hard_stop(s, s->stop_signal);
			s->deadline_ms = 0;
		}
		if (fds[POLL_SIGNAL].revents & POLLIN)
			take_signal(s);
		if (fds[POLL_EVENTFD].revents & POLLIN)
			take_eventfd(s);
	}
	return NULL;
}

static int open_fds(struct vmm_signals *s, struct krun_err **err)
{
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0)
		return krun_err_set_errno(err, errno,
					  "cannot create an eventfd");
	s->signal_fd = signalfd(-1, &s->set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->signal_fd < 0)
		return krun_err_set_errno(err, errno,
					  "cannot create a signalfd");
	return 0;
}

static void close_fds(struct vmm_signals *s)
{
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	s->stop_fd = s->signal_fd = -1;
}

static void signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGWINCH);
}

void vmm_signals_block(sigset_t *old)
{
	sigset_t set;

	signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

int vmm_signals_start(struct vmm *vmm, struct vmm_signals *s,
		      struct krun_err **err)
{
	int ret;

	*s = (struct vmm_signals){.vmm = vmm, .stop_fd = -1, .signal_fd = -1};
	s->shutdown_fd = vmm->cfg->shutdown_eventfd;
	s->grace_ms = vmm->init_params.shutdown_grace_ms;
	if (vmm->cfg->timeout_ms)
		s->timeout_at_ms = now_ms() + vmm->cfg->timeout_ms;
	signal_set(&s->set);
	/* Blocked before the vCPU threads start, so they inherit it. */
	pthread_sigmask(SIG_BLOCK, &s->set, &s->old_mask);
	ret = open_fds(s, err);
	if (ret == 0) {
		ret = thread_launch(vmm_seccomp_launcher(&vmm->seccomp),
				    "signal", &s->thread, signal_thread, s);
		if (ret != 0)
			ret = krun_err_set_errno(err, ret,
						 "cannot start a thread");
	}
	if (ret < 0) {
		close_fds(s);
		pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
		return ret;
	}
	forward_window_size(vmm);
	return 0;
}

void vmm_signals_stop(struct vmm_signals *s)
{
	uint64_t one = 1;

	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_debug("cannot wake the signal thread: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	close_fds(s);
}

void vmm_signals_restore(struct vmm_signals *s)
{
	pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
}
