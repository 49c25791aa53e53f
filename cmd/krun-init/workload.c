// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/workload.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/krun-init/init_log.h"
#include "cmd/krun-init/process_attrs.h"
#include "lib/guest_abi.h"

/* What the child sends back when it cannot exec. */
struct exec_failure {
	int status;
	char msg[512];
};

void workload_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGPWR);
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

char **workload_env(const struct guest_config *cfg)
{
	static char path[] = "PATH=" INIT_DEFAULT_PATH;
	static char home[] = "HOME=/";
	static char term[] = "TERM=xterm";
	static char user_home[4096 + 6];
	char **env = calloc(cfg->envc + 4, sizeof(*env));
	size_t n = 0;

	if (!env)
		return NULL;
	for (size_t i = 0; i < cfg->envc; i++)
		env[n++] = cfg->envp[i];
	if (!env_get(env, "PATH"))
		env[n++] = path;
	/* The home of a user resolved from the root's passwd file. */
	if (!env_get(env, "HOME") && cfg->attrs.home &&
	    snprintf(user_home, sizeof(user_home), "HOME=%s",
		     cfg->attrs.home) < (int)sizeof(user_home))
		env[n++] = user_home;
	if (!env_get(env, "HOME"))
		env[n++] = home;
	if ((cfg->flags & KRUN_GUEST_F_TERMINAL) && !env_get(env, "TERM"))
		env[n++] = term;
	return env;
}

static bool search_goes_on(int errnum)
{
	return errnum == ENOENT || errnum == ENOTDIR || errnum == EACCES ||
	       errnum == ESTALE || errnum == ENODEV || errnum == ETIMEDOUT;
}

int workload_exec(const char *file, char *const argv[], char *const envp[],
		  const char *path)
{
	bool denied = false;
	char full[PATH_MAX];

	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
	}
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		int dirlen = (int)(end - p);

		/* An empty PATH element means the current directory. */
		if (snprintf(full, sizeof(full), "%.*s%s%s", dirlen, p,
			     dirlen ? "/" : "", file) < (int)sizeof(full)) {
			execve(full, argv, envp);
			if (!search_goes_on(errno))
				return errno;
			denied |= errno == EACCES;
		}
		if (!*end)
			break;
		p = end;
	}
	return denied ? EACCES : ENOENT;
}

int workload_exec_status(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ELOOP:
		return KRUN_EXIT_NOTFOUND;
	default:
		return KRUN_EXIT_NOEXEC;
	}
}

__attribute__((noreturn, format(printf, 3, 4))) static void
child_fail(int report_fd, int status, const char *fmt, ...)
{
	struct exec_failure f = {.status = status};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f.msg, sizeof(f.msg), fmt, ap);
	va_end(ap);
	if (write(report_fd, &f, sizeof(f)) < 0)
		_exit(status);
	_exit(status);
}

static void child_stdio(const struct init_stdio *io, int report_fd)
{
	if (io->terminal) {
		int fd = open(INIT_TERMINAL_DEV, O_RDWR);

		if (fd < 0 || ioctl(fd, TIOCSCTTY, 1) < 0)
			child_fail(
				report_fd, KRUN_EXIT_SETUP,
				"cannot make `%s` the controlling terminal: %m",
				INIT_TERMINAL_DEV);
		for (int i = 0; i < 3; i++)
			if (dup2(fd, i) < 0)
				child_fail(report_fd, KRUN_EXIT_SETUP,
					   "cannot set up stdio: %m");
		if (fd > 2)
			close(fd);
		return;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(io->fd[i], i) < 0)
			child_fail(report_fd, KRUN_EXIT_SETUP,
				   "cannot set up stdio: %m");
}

static void child_identity(const struct guest_config *cfg, int report_fd)
{
	const char *dir = *cfg->workdir ? cfg->workdir : "/";
	char msg[256];

	for (size_t i = 0; i < cfg->n_rlimits; i++) {
		const struct guest_rlimit *l = &cfg->rlimits[i];
		struct rlimit r = {.rlim_cur = l->cur, .rlim_max = l->max};

		if (setrlimit((int)l->resource, &r) < 0)
			child_fail(report_fd, KRUN_EXIT_SETUP,
				   "cannot set rlimit %u: %m", l->resource);
	}
	if (chdir(dir) < 0)
		child_fail(report_fd, KRUN_EXIT_SETUP,
			   "cannot change to workdir `%s`: %m", dir);
	if (attrs_apply(cfg, msg, sizeof(msg)) < 0)
		child_fail(report_fd, KRUN_EXIT_SETUP, "%s", msg);
}

__attribute__((noreturn)) static void child_run(const struct guest_config *cfg,
						const struct init_stdio *io,
						char **envp, int report_fd)
{
	const char *path = env_get(envp, "PATH");
	sigset_t all;
	int errnum;

	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (setsid() < 0)
		child_fail(report_fd, KRUN_EXIT_SETUP, "cannot setsid: %m");
	child_stdio(io, report_fd);
	child_identity(cfg, report_fd);
	errnum = workload_exec(cfg->argv[0], cfg->argv, envp,
			       path ? path : INIT_DEFAULT_PATH);
	child_fail(report_fd, workload_exec_status(errnum),
		   "cannot run `%s`: %s", cfg->argv[0], strerror(errnum));
}

/* 0 when the exec went through (EOF), else the child's reported status. */
static int read_exec_report(int fd, pid_t pid)
{
	struct exec_failure f;
	ssize_t n;

	do
		n = read(fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof(f)) {
		ilog_err("cannot start the workload: lost its exec report");
		return KRUN_EXIT_SETUP;
	}
	f.msg[sizeof(f.msg) - 1] = '\0';
	ilog_err("%s", f.msg);
	return f.status;
}

pid_t workload_start(const struct guest_config *cfg,
		     const struct init_stdio *io, char **envp, int *status)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ilog_err("cannot start the workload: pipe: %m");
		*status = KRUN_EXIT_SETUP;
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child_run(cfg, io, envp, pipefd[1]);
	}
	close(pipefd[1]);
	if (pid < 0) {
		ilog_err("cannot start the workload: fork: %m");
		*status = KRUN_EXIT_SETUP;
	} else {
		*status = read_exec_report(pipefd[0], pid);
	}
	close(pipefd[0]);
	return *status ? -1 : pid;
}
