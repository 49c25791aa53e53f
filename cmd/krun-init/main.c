// SPDX-License-Identifier: Apache-2.0
/*
 * krun-init: PID 1 of a krun-run guest. Reads the run configuration from
 * the initramfs, mounts the root, wires stdio to the console, runs the
 * workload as its child and reports its exit status to the VMM. It never
 * exits: PID 1 exiting panics the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/krun-init/console.h"
#include "cmd/krun-init/guest_config.h"
#include "cmd/krun-init/init_log.h"
#include "cmd/krun-init/mounts.h"
#include "cmd/krun-init/net.h"
#include "cmd/krun-init/oci_mounts.h"
#include "cmd/krun-init/process_attrs.h"
#include "cmd/krun-init/workload.h"
#include "lib/guest_abi.h"
#include "util/cleanup.h"

/* The kernel gives init /dev/console as 0..2 when it can; fill the gaps. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		got = open("/dev/console", O_RDWR | O_NOCTTY);
		if (got < 0)
			got = open("/dev/null", O_RDWR);
		if (got >= 0 && got != fd) {
			dup2(got, fd);
			close(got);
		}
	}
}

static int read_config(struct guest_config **cfg, struct krun_err **err)
{
	cleanup_close int fd =
		open(KRUN_GUEST_CONFIG_PATH, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return krun_err_set_errno(err, errno, "cannot read `%s`",
					  KRUN_GUEST_CONFIG_PATH);
	if (st.st_size > KRUN_GUEST_CONFIG_MAX_LEN)
		return krun_err_set(err, EFBIG, "`%s` is too large",
				    KRUN_GUEST_CONFIG_PATH);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return krun_err_set_errno(err, ENOMEM, "cannot read `%s`",
					  KRUN_GUEST_CONFIG_PATH);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return krun_err_set_errno(err, n ? errno : EIO,
						  "cannot read `%s`",
						  KRUN_GUEST_CONFIG_PATH);
		got += (size_t)n;
	}
	return guest_config_parse(buf, got, cfg, err);
}

static int setup(struct guest_config **cfg, struct init_stdio *io,
		 struct krun_err **err)
{
	bool resolv = false;
	int ret = mounts_early(err);

	ensure_std_fds();
	if (ret == 0)
		ret = read_config(cfg, err);
	if (ret < 0)
		return ret;
	if ((*cfg)->flags & KRUN_GUEST_F_KERNEL_LOG)
		ilog_enable_kmsg();
	ret = console_open((*cfg)->flags & KRUN_GUEST_F_TERMINAL, io, err);
	if (ret < 0)
		return ret;
	ilog_set_err_fd(io->fd[2]);
	ret = net_setup((*cfg)->flags & KRUN_GUEST_F_NETWORK, &resolv, err);
	if (ret < 0)
		return ret;
	ret = mounts_switch_root(*cfg, resolv ? INIT_RESOLV_PATH : NULL, err);
	if (ret == 0)
		ret = oci_mounts_apply(&(*cfg)->attrs, err);
	if (ret == 0)
		ret = oci_sysctls_apply(&(*cfg)->attrs, err);
	if (ret == 0)
		ret = oci_paths_apply(&(*cfg)->attrs, err);
	if (ret == 0)
		ret = attrs_resolve_user(*cfg, "", err);
	if (ret < 0)
		return ret;
	if (*(*cfg)->hostname &&
	    sethostname((*cfg)->hostname, strlen((*cfg)->hostname)) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot set the hostname to `%s`",
					  (*cfg)->hostname);
	return 0;
}

__attribute__((noreturn)) static void finish(struct init_stdio *io, int status)
{
	workload_reap_orphans();
	console_close(io);
	ilog_set_err_fd(STDERR_FILENO);
	sync();
	init_report_exit((uint32_t)status);
}

static int run(const struct guest_config *cfg, const struct init_stdio *io)
{
	cleanup_free char **envp = workload_env(cfg);
	int status;
	pid_t pid;

	if (!envp) {
		ilog_err("cannot start the workload: out of memory");
		return KRUN_EXIT_SETUP;
	}
	pid = workload_start(cfg, io, envp, &status);
	if (pid < 0)
		return status;
	init_mark(KRUN_GUEST_MARK_EXEC);
	ilog_debug("started `%s` as pid %d", cfg->argv[0], (int)pid);
	status = workload_wait(pid, cfg->shutdown_grace_ms);
	init_mark(KRUN_GUEST_MARK_EXIT);
	return status;
}

/*
 * A setup failure before init's stdio is open would go to /dev/console,
 * which the user does not see. In terminal mode the user's terminal is
 * /dev/hvc0: try it for the message.
 */
static void show_setup_error(const struct guest_config *cfg,
			     struct init_stdio *io)
{
	int fd;

	if (io->fd[2] >= 0 || !cfg || !(cfg->flags & KRUN_GUEST_F_TERMINAL))
		return;
	fd = open(INIT_TERMINAL_DEV, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	io->terminal = true;
	io->fd[2] = fd;
	ilog_set_err_fd(fd);
}

int main(void)
{
	struct init_stdio io = {.fd = {-1, -1, -1}};
	struct guest_config *cfg = NULL;
	struct krun_err *err = NULL;
	sigset_t set;

	if (getpid() == 1)
		init_mark(KRUN_GUEST_MARK_INIT);
	ensure_std_fds();
	if (getpid() != 1) {
		fprintf(stderr,
			"krun-init: must run as PID 1 of a krun-run guest\n");
		return KRUN_EXIT_SETUP;
	}
	workload_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* Ctrl-Alt-Del becomes SIGINT to init: the VMM's shutdown request. */
	reboot(RB_DISABLE_CAD);
	if (setup(&cfg, &io, &err) < 0) {
		show_setup_error(cfg, &io);
		ilog_err("%s", krun_err_msg(err));
		finish(&io, KRUN_EXIT_SETUP);
	}
	finish(&io, run(cfg, &io));
}
