// SPDX-License-Identifier: Apache-2.0
/*
 * VMM orchestration: one function (vmm_run) performs the setup steps in
 * order and unwinds them in reverse; the guest's exit status becomes ours.
 */
#include "lib/vmm/vmm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "configs/kernel_path.h"
#include "lib/guest_abi.h"
#include "lib/vmm/vmm_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "virtio/console.h"

/* The guest stopped without reporting a status (panic, triple fault). */

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

/*
 * The guest kernel, first found of: --kernel, $KRUN_KERNEL (both must be
 * readable when given), the kernel of the build tree, the one installed
 * with krun-run. The path and where it came from are logged at info.
 */
static int resolve_kernel(const struct krun_config *cfg, const char **path,
			  struct krun_err **err)
{
	const char *env = getenv("KRUN_KERNEL");
	const char *from;

	if (cfg->kernel_path || (env && *env)) {
		*path = cfg->kernel_path ? cfg->kernel_path : env;
		from = cfg->kernel_path ? "--kernel" : "$KRUN_KERNEL";
		if (access(*path, R_OK) < 0)
			return krun_err_set_errno(
				err, errno, "cannot read the guest kernel `%s` (%s)",
				*path, from);
	} else if (access(KRUN_DEFAULT_KERNEL_PATH, R_OK) == 0) {
		*path = KRUN_DEFAULT_KERNEL_PATH;
		from = "the build tree";
	} else if (access(KRUN_INSTALLED_KERNEL_PATH, R_OK) == 0) {
		*path = KRUN_INSTALLED_KERNEL_PATH;
		from = "the install prefix";
	} else {
		return krun_err_set_errno(
			err, errno,
			"no guest kernel: no --kernel, no $KRUN_KERNEL, and "
			"neither `%s` nor `%s` is readable",
			KRUN_DEFAULT_KERNEL_PATH, KRUN_INSTALLED_KERNEL_PATH);
	}
	log_info("guest kernel `%s` (%s)", *path, from);
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
	/* The VMM's hard-stop timer counts from the same grace period. */
	vmm->init_params.shutdown_grace_ms =
		vmm->cfg->stop_grace_set ? vmm->cfg->stop_grace_ms
					 : KRUN_GUEST_DEFAULT_GRACE_MS;
	/* Init's stdio must match the console device vmm_add_devices()
	 * made: one raw tty port, or the three named ports. */
	vmm->init_params.terminal = vmm->terminal;
	vmm->init_params.network = vmm->has_net;
	ret = initramfs_build(vmm->cfg, &vmm->init_params, &initrd, &initrd_len,
			      err);
	if (ret < 0)
		return krun_err_wrap(err, "cannot build the guest initramfs");
	return vm_load_kernel(vmm->vm, kernel, vmm->cmdline, initrd, initrd_len,
			      err);
}

static int status_from_exit(const struct vm_exit_info *info,
			    const struct vmm_signals *sig)
{
	switch (info->reason) {
	case VM_STOP_GUEST_EXIT:
		if (info->status <= 255)
			return (int)info->status;
		log_error("the guest init reported an invalid status %u",
			  info->status);
		return KRUN_EXIT_SETUP;
	case VM_STOP_REQUESTED:
		return 128 + sig->stop_signal;
	case VM_STOP_RESET:
		/* Ctrl-Alt-Del before init disabled its reboot: still ours. */
		if (sig->stop_signal)
			return 128 + sig->stop_signal;
		/* fall through */
	default:
		log_error("the guest stopped without reporting an exit status "
			  "(%s: kernel panic or crash)",
			  vm_stop_reason_name(info->reason));
		return KRUN_EXIT_GUEST_CRASH;
	}
}

static int run_guest(struct vmm *vmm, struct krun_err **err)
{
	struct vm_exit_info info = {0};
	struct vmm_signals sig;
	int ret;

	ret = vmm_signals_start(vmm, &sig, err);
	if (ret < 0)
		return ret;
	/* Every other thread is confined already or starts confined. */
	ret = vmm_seccomp_enter(&vmm->seccomp, "main", err);
	if (ret == 0)
		ret = vm_run(vmm->vm, &info, err);
	vmm_signals_stop(&sig);
	/* Whatever the guest wrote before it reported is still ours. */
	if (ret == 0 && vmm->console)
		virtio_console_drain(vmm->console);
	vmm_signals_restore(&sig);
	if (ret == 0 && sig.timed_out)
		return KRUN_EXIT_TIMEOUT; /* as timeout(1), whatever it ended
					     with */
	return ret < 0 ? ret : status_from_exit(&info, &sig);
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
		.threads = vmm_seccomp_launcher(&vmm->seccomp),
	};

	return vm_create(&opts, &vmm->vm, err);
}

/*
 * The virtio-fs server holds one O_PATH fd per inode the guest knows, so a
 * tree walk in the guest needs far more than the usual soft limit of 1024:
 * raise it to the hard limit (as virtiofsd's --rlimit-nofile does), and as
 * root also the hard limit up to the kernel's nr_open.
 */
static void raise_nofile_limit(void)
{
	struct rlimit lim;
	unsigned long nr_open = 0;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return;
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (nr_open > lim.rlim_max) {
		struct rlimit want = {.rlim_cur = nr_open, .rlim_max = nr_open};

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	if (lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
			log_debug("cannot raise RLIMIT_NOFILE");
	}
}

int vmm_run(struct krun_config *cfg, struct krun_err **err)
{
	struct vmm vmm = {.cfg = cfg, .passt = {.pidfd = -1, .log_fd = -1}};
	const char *kernel = NULL;
	sigset_t old_mask;
	int ret;

	ret = resolve_kernel(cfg, &kernel, err);
	if (ret < 0)
		return ret;
	raise_nofile_limit();
	if (!initramfs_have_init())
		return krun_err_set(err, ENOTSUP,
				    "this build has no guest init (built with "
				    "-Dsanitize=true)");
	/*
	 * From here a stop request (SIGTERM, SIGINT, SIGHUP) waits for the
	 * signal thread, which stops a guest that is still booting (man
	 * krun-run, SIGNALS) instead of krun-run dying of the signal with the
	 * VM half set up and the terminal raw.
	 */
	vmm_signals_block(&old_mask);
	/* Before any thread: the launcher starts them all (docs/seccomp.md). */
	ret = vmm_seccomp_start(&vmm.seccomp, cfg->vmm_seccomp, err);
	/* Quiet: kernel messages over emulated hardware are slow. */
	if (ret == 0)
		ret = vmm_cmdline_add(
			&vmm, cfg->kernel_log ? "loglevel=7" : "quiet", err);
	if (ret == 0)
		ret = create_vm(&vmm, err);
	if (ret == 0)
		ret = vmm_add_devices(&vmm, err);
	if (ret == 0)
		ret = load_guest(&vmm, kernel, err);
	if (ret == 0)
		ret = run_guest(&vmm, err);
	passt_expect_exit(&vmm.passt);
	vmm_remove_devices(&vmm);
	/* After the device closed its socket: passt is ending already. */
	passt_stop(&vmm.passt);
	vm_destroy(vmm.vm);
	vmm_seccomp_stop(&vmm.seccomp);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return ret;
}
