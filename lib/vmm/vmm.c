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
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/x86/bzimage.h"
#include "lib/guest_abi.h"
#include "lib/spec/spec.h"
#include "lib/vmm/vmm_internal.h"
#include "lib/vmm/vmm_kernel.h"
#include "lib/vmm/vmm_stamps.h"
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

/* A format named with krun_set_kernel must match the image. */
static int check_kernel_kind(const struct krun_config *cfg,
			     const struct vmm_kernel *k, struct krun_err **err)
{
	bool is_bz = bzimage_is(k->map, k->len);

	if (cfg->kernel_format == KRUN_KERNEL_ANY)
		return 0;
	if (cfg->kernel_format == KRUN_KERNEL_ELF && is_bz)
		return krun_err_set(
			err, ENOEXEC,
			"kernel `%s` is a bzImage, but KRUN_KERNEL_FORMAT_ELF was given",
			k->path);
	if (cfg->kernel_format == KRUN_KERNEL_BZIMAGE && !is_bz)
		return krun_err_set(
			err, ENOEXEC,
			"kernel `%s` is not a bzImage, but a bzImage format was given (use KRUN_KERNEL_FORMAT_ELF for a vmlinux)",
			k->path);
	return 0;
}

/*
 * The kernel the run boots: the one mapped ahead (libkrun.so.1 maps it when
 * loaded) unless a path was configured, else the first found of the lookup
 * order (vmm_kernel_find()), mapped here. The path and where it came from
 * are logged at info.
 */
static int take_kernel(const struct krun_config *cfg,
		       const struct vmm_kernel *preloaded,
		       struct vmm_kernel *own, const struct vmm_kernel **use,
		       struct krun_err **err)
{
	const char *path, *from;
	int ret;

	if (!cfg->kernel_path && preloaded && preloaded->map) {
		log_info("guest kernel `%s` (mapped when the library was loaded)",
			 preloaded->path);
		*use = preloaded;
		return check_kernel_kind(cfg, preloaded, err);
	}
	ret = vmm_kernel_find(cfg->kernel_path, &path, &from, err);
	if (ret < 0)
		return ret;
	log_info("guest kernel `%s` (%s)", path, from);
	ret = vmm_kernel_map(path, own, err);
	if (ret < 0)
		return ret;
	*use = own;
	return check_kernel_kind(cfg, own, err);
}

/* The caller's initramfs (krun_set_kernel), mapped read-only. */
static int load_caller_initramfs(struct vmm *vmm,
				 const struct vmm_kernel *kernel,
				 struct krun_err **err)
{
	const char *path = vmm->cfg->initramfs_path;
	struct stat st;
	void *data;
	int ret, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return krun_err_set_errno(err, errno, "open initramfs `%s`",
					  path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return krun_err_set(err, EINVAL,
				    "initramfs `%s`: not a non-empty regular file",
				    path);
	}
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return krun_err_set_errno(err, errno, "map initramfs `%s`",
					  path);
	ret = vm_load_kernel_image(vmm->vm, kernel->map, kernel->len,
				   kernel->path, vmm->cmdline, data,
				   (size_t)st.st_size, err);
	munmap(data, (size_t)st.st_size);
	return ret;
}

static int load_guest(struct vmm *vmm, const struct vmm_kernel *kernel,
		      struct krun_err **err)
{
	cleanup_free void *initrd = NULL;
	size_t initrd_len = 0;
	int ret;

	if (vmm->cfg->initramfs_path)
		return load_caller_initramfs(vmm, kernel, err);
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
	return vm_load_kernel_image(vmm->vm, kernel->map, kernel->len,
				    kernel->path, vmm->cmdline, initrd,
				    initrd_len, err);
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
		.nested_virt = cfg->nested_virt,
		.serial_fd = STDERR_FILENO,
		.exit_port = KRUN_GUEST_EXIT_PORT,
		.oem_strings = (const char *const *)cfg->oem_strings,
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

/* Listening vsock sockets and the gvproxy datagram socket are files the
 * VMM creates and must not leave behind, even when killed. */
static bool makes_socket_files(const struct krun_config *cfg)
{
	for (size_t i = 0; i < cfg->n_vsock_ports; i++)
		if (cfg->vsock_ports[i].listen)
			return true;
	return cfg->gvproxy_path != NULL;
}

static void track_socket_files(struct vmm *vmm)
{
	const struct krun_config *cfg = vmm->cfg;
	char local[4096];

	for (size_t i = 0; i < cfg->n_vsock_ports; i++)
		if (cfg->vsock_ports[i].listen)
			vmm_janitor_track(&vmm->janitor,
					  cfg->vsock_ports[i].path);
	if (cfg->gvproxy_path &&
	    snprintf(local, sizeof(local), "%s%s", cfg->gvproxy_path,
		     GVPROXY_LOCAL_SUFFIX) < (int)sizeof(local))
		vmm_janitor_track(&vmm->janitor, local);
}

/* The stages the VM saw (hw/kvm/vm.h, struct vm_times) into stamps. */
static void take_vm_times(const struct vm *vm, int64_t stamps[VMM_STAGE_N])
{
	struct vm_times t;

	if (!vm)
		return;
	vm_get_times(vm, &t);
	stamps[VMM_STAGE_KVM_READY] = t.ready;
	stamps[VMM_STAGE_LOADED] = t.loaded;
	stamps[VMM_STAGE_ENTRY] = t.entry;
	stamps[VMM_STAGE_INIT] = t.mark[KRUN_GUEST_MARK_INIT - 1];
	stamps[VMM_STAGE_EXEC] = t.mark[KRUN_GUEST_MARK_EXEC - 1];
	stamps[VMM_STAGE_EXIT] = t.mark[KRUN_GUEST_MARK_EXIT - 1];
	stamps[VMM_STAGE_STOP] = t.stop;
}

static void log_stamps(const int64_t stamps[VMM_STAGE_N])
{
	char line[512];

	if (krun_log_get_level() < KRUN_LOG_DEBUG)
		return;
	if (vmm_stamps_format(stamps, line, sizeof(line)) < 0)
		log_debug("boot: stages do not fit the line");
	else
		krun_log_write(KRUN_LOG_DEBUG, NULL, "%s", line);
}

int vmm_run(struct krun_config *cfg, const struct vmm_kernel *preloaded,
	    struct krun_err **err)
{
	int64_t stamps[VMM_STAGE_N] = {[VMM_STAGE_VMM] = vm_clock_ns()};
	struct vmm vmm = {.cfg = cfg,
			  .passt = {.pidfd = -1, .log_fd = -1},
			  .passt_sock = -1,
			  .janitor = {.pid = -1, .fd = -1}};
	struct vmm_kernel own_kernel = {0};
	const struct vmm_kernel *kernel = NULL;
	sigset_t old_mask;
	int ret;

	ret = spec_tee_check_startable(cfg, err);
	if (ret == 0)
		ret = spec_default_workload(cfg, err);
	if (ret == 0)
		ret = take_kernel(cfg, preloaded, &own_kernel, &kernel, err);
	if (ret < 0) {
		vmm_kernel_unmap(&own_kernel);
		return ret;
	}
	raise_nofile_limit();
	/*
	 * With a GPU, one malloc arena for every thread the VMM starts. A
	 * thread arena's heap is shrunk by glibc with a first-time open of
	 * /proc/sys/vm/overcommit_memory, and at exit library destructors
	 * (libglvnd's libEGL) free on the main thread what Mesa allocated on
	 * the renderer thread: that open then comes from the main thread,
	 * whose seccomp filter has no openat (status 159). The main arena
	 * shrinks with brk. Set before the VMM starts a thread: arenas are
	 * handed out on a thread's first malloc.
	 */
	if (cfg->gpu_enabled)
		mallopt(M_ARENA_MAX, 1);
	if (!initramfs_have_init()) {
		vmm_kernel_unmap(&own_kernel);
		return krun_err_set(err, ENOTSUP,
				    "this build has no guest init (built with "
				    "-Dsanitize=true)");
	}
	/*
	 * From here a stop request (SIGTERM, SIGINT, SIGHUP) waits for the
	 * signal thread, which stops a guest that is still booting (man
	 * krun-run, SIGNALS) instead of krun-run dying of the signal with the
	 * VM half set up and the terminal raw.
	 */
	vmm_signals_block(&old_mask);
	/* Forked while this is the only thread of the VMM. */
	ret = makes_socket_files(cfg) ? vmm_janitor_start(&vmm.janitor, err)
				      : 0;
	/* Before any thread: the launcher starts them all (docs/seccomp.md). */
	if (ret == 0)
		ret = vmm_seccomp_start(&vmm.seccomp, cfg->vmm_seccomp, err);
	/* passt configures itself while the VM is set up; vmm_add_devices()
	 * waits for it. */
	if (ret == 0)
		vmm_net_spawn(&vmm);
	/* Quiet: kernel messages over emulated hardware are slow. */
	if (ret == 0)
		ret = vmm_cmdline_add(&vmm,
				      cfg->kernel_cmdline ? cfg->kernel_cmdline
				      : cfg->kernel_log   ? "loglevel=7"
							  : "quiet",
				      err);
	/* No BSD ptys (/dev/ptyXX; /dev/ptmx serves every pty user): the
	 * kernel would register 256 pairs of devices at boot, its slowest
	 * initcall by far. A caller's own command line is left as given. */
	if (ret == 0 && !cfg->kernel_cmdline)
		ret = vmm_cmdline_add(&vmm, "pty.legacy_count=0", err);
	/* Init's boot progress marks on the exit port (lib/guest_abi.h). */
	if (ret == 0)
		ret = vmm_cmdline_add(&vmm, KRUN_GUEST_MARKS_ENV "=1", err);
	if (ret == 0)
		ret = create_vm(&vmm, err);
	if (ret == 0)
		ret = vmm_add_devices(&vmm, err);
	if (ret == 0)
		stamps[VMM_STAGE_DEVICES] = vm_clock_ns();
	if (ret == 0)
		track_socket_files(&vmm);
	if (ret == 0)
		ret = load_guest(&vmm, kernel, err);
	if (ret == 0)
		ret = run_guest(&vmm, err);
	passt_expect_exit(&vmm.passt);
	vmm_net_release(&vmm);
	vmm_remove_devices(&vmm);
	/* After the devices removed their sockets: it finds nothing to do. */
	vmm_janitor_stop(&vmm.janitor);
	/* After the device closed its socket: passt is ending already. */
	passt_stop(&vmm.passt);
	take_vm_times(vmm.vm, stamps);
	vm_destroy(vmm.vm);
	vmm_kernel_unmap(&own_kernel);
	vmm_seccomp_stop(&vmm.seccomp);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	stamps[VMM_STAGE_DONE] = vm_clock_ns();
	log_stamps(stamps);
	return ret;
}
