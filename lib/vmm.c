// SPDX-License-Identifier: Apache-2.0
/*
 * VMM orchestration: one function (vmm_run) performs the setup steps in
 * order and unwinds them in reverse; the guest's exit status becomes ours.
 */
#include "lib/vmm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "configs/kernel_path.h"
#include "lib/guest_abi.h"
#include "lib/vmm_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "virtio/console.h"

/* The guest stopped without reporting a status (panic, triple fault). */
#define VMM_EXIT_GUEST_CRASH 123
#define VMM_EXIT_SETUP 125

int vmm_cmdline_add(struct vmm *vmm, const char *text, struct krun_err **err)
{
	size_t n = strlen(text);

	if (vmm->cmdline_len + n + 2 > sizeof(vmm->cmdline))
		return krun_err_set(err, E2BIG,
				    "kernel command line too long at `%s`",
				    text);
	if (vmm->cmdline_len)
		vmm->cmdline[vmm->cmdline_len++] = ' ';
	memcpy(vmm->cmdline + vmm->cmdline_len, text, n + 1);
	vmm->cmdline_len += n;
	return 0;
}

/* --kernel, then $KRUN_KERNEL, then the kernel this build made. */
static int resolve_kernel(const struct krun_config *cfg, const char **path,
			  struct krun_err **err)
{
	const char *env = getenv("KRUN_KERNEL");

	if (cfg->kernel_path)
		*path = cfg->kernel_path;
	else if (env && *env)
		*path = env;
	else
		*path = KRUN_DEFAULT_KERNEL_PATH;
	if (access(*path, R_OK) < 0)
		return krun_err_set_errno(
			err, errno, "cannot read the guest kernel `%s`", *path);
	return 0;
}

static int load_guest(struct vmm *vmm, const char *kernel,
		      struct krun_err **err)
{
	cleanup_free void *initrd = NULL;
	size_t initrd_len = 0;
	int ret;

	ret = initramfs_default_params(vmm->cfg, &vmm->init_params, err);
	if (ret < 0)
		return ret;
	ret = initramfs_build(vmm->cfg, &vmm->init_params, &initrd, &initrd_len,
			      err);
	if (ret < 0)
		return krun_err_wrap(err, "cannot build the guest initramfs");
	return vm_load_kernel(vmm->vm, kernel, vmm->cmdline, initrd, initrd_len,
			      err);
}

struct signal_ctx {
	struct vmm *vmm;
	sigset_t set;
	int stop_signal; /* written by the signal thread before stopping */
};

static void forward_window_size(struct vmm *vmm)
{
	struct winsize ws;

	if (vmm->console && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		virtio_console_resize(vmm->console, ws.ws_row, ws.ws_col);
}

/*
 * Signals are blocked in every thread and taken here: SIGWINCH resizes the
 * guest console, SIGINT/SIGTERM/SIGHUP stop the VM.
 */
static void *signal_thread(void *opaque)
{
	struct signal_ctx *sc = opaque;
	int sig;

	for (;;) { /* ends by pthread_cancel() in sigwait() */
		if (sigwait(&sc->set, &sig) != 0)
			continue;
		if (sig == SIGWINCH) {
			forward_window_size(sc->vmm);
			continue;
		}
		sc->stop_signal = sig;
		vm_request_stop(sc->vmm->vm);
	}
	return NULL;
}

static int status_from_exit(const struct vm_exit_info *info, int stop_signal)
{
	switch (info->reason) {
	case VM_STOP_GUEST_EXIT:
		if (info->status <= 255)
			return (int)info->status;
		log_error("the guest init reported an invalid status %u",
			  info->status);
		return VMM_EXIT_SETUP;
	case VM_STOP_REQUESTED:
		return 128 + stop_signal;
	default:
		log_error("the guest stopped without reporting an exit status "
			  "(%s: kernel panic or crash)",
			  vm_stop_reason_name(info->reason));
		return VMM_EXIT_GUEST_CRASH;
	}
}

static int run_guest(struct vmm *vmm, struct krun_err **err)
{
	struct signal_ctx sc = {.vmm = vmm};
	struct vm_exit_info info = {0};
	sigset_t old;
	pthread_t tid;
	int ret;

	sigemptyset(&sc.set);
	sigaddset(&sc.set, SIGINT);
	sigaddset(&sc.set, SIGTERM);
	sigaddset(&sc.set, SIGHUP);
	sigaddset(&sc.set, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &sc.set, &old);
	ret = pthread_create(&tid, NULL, signal_thread, &sc);
	if (ret != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return krun_err_set_errno(err, ret, "cannot start a thread");
	}
	forward_window_size(vmm);
	ret = vm_run(vmm->vm, &info, err);
	pthread_cancel(tid); /* sigwait() is a cancellation point */
	pthread_join(tid, NULL);
	if (ret < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return ret;
	}
	/* Whatever the guest wrote before it reported is still ours. */
	if (vmm->console)
		virtio_console_drain(vmm->console);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status_from_exit(&info, sc.stop_signal);
}

static int create_vm(struct vmm *vmm, struct krun_err **err)
{
	const struct krun_config *cfg = vmm->cfg;
	struct vm_opts opts = {
		.vcpus = cfg->vcpus,
		.ram_bytes = (uint64_t)cfg->ram_mib << 20,
		.serial_console = cfg->kernel_log,
		.serial_fd = STDERR_FILENO,
		.exit_port = KRUN_GUEST_EXIT_PORT,
	};

	return vm_create(&opts, &vmm->vm, err);
}

int vmm_run(struct krun_config *cfg, struct krun_err **err)
{
	struct vmm vmm = {.cfg = cfg};
	const char *kernel;
	int ret;

	ret = resolve_kernel(cfg, &kernel, err);
	if (ret < 0)
		return ret;
	if (!initramfs_have_init())
		return krun_err_set(err, ENOTSUP,
				    "this build has no guest init (built with "
				    "-Dsanitize=true)");
	/* Quiet: kernel messages over emulated hardware are slow. */
	ret = vmm_cmdline_add(&vmm, cfg->kernel_log ? "loglevel=7" : "quiet",
			      err);
	if (ret == 0)
		ret = create_vm(&vmm, err);
	if (ret == 0)
		ret = vmm_add_devices(&vmm, err);
	if (ret == 0)
		ret = load_guest(&vmm, kernel, err);
	if (ret == 0)
		ret = run_guest(&vmm, err);
	vmm_remove_devices(&vmm);
	vm_destroy(vmm.vm);
	return ret;
}
