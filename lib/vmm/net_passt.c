// SPDX-License-Identifier: Apache-2.0
/*
 * passt as a child process. passt runs in the foreground (-f) on one end of
 * a socketpair (--fd) and exits by itself when that socket closes, so a VMM
 * that dies leaves no passt behind even where PR_SET_PDEATHSIG is lost
 * (passt drops root to nobody, which clears it). Its stderr is a pipe: a
 * thread relays each line to our log and reaps passt when the pipe ends.
 *
 * Readiness: passt prints "Template interface: ..." once it has derived its
 * configuration from the host; before that it may exit (no route, bad
 * option). passt_wait_ready() waits for that line or for the exit, and reports
 * passt's last line as the cause.
 */
#include "lib/vmm/net_passt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#define PASST_READY_PREFIX "Template interface"
#define PASST_READY_MS 10000
#define PASST_STOP_MS 2000
#define PASST_MAX_ARGS 16
#define PASST_CHILD_FD 3

static const char *proto_flag(const struct krun_port *port)
{
	return port->proto == KRUN_PORT_UDP ? "-u" : "-t";
}

size_t passt_port_args(const struct krun_config *cfg, const char **argv,
		       char (*buf)[64])
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct krun_port *port = &cfg->ports[i];

		snprintf(buf[i], sizeof(buf[i]), "%s%s%u:%u", port->addr,
			 port->addr[0] ? "/" : "", port->host, port->guest);
		argv[n++] = proto_flag(port);
		argv[n++] = buf[i];
	}
	return n;
}

/* Search PATH like execvp() would, so a missing passt is named early. */
static int find_passt(char *out, size_t size, struct krun_err **err)
{
	const char *path = getenv("PATH");
	cleanup_free char *copy =
		strdup(path && *path ? path : "/usr/bin:/bin");
	char *save = NULL;

	if (!copy)
		return krun_err_set(err, ENOMEM, "out of memory");
	for (char *dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/passt", *dir ? dir : ".");
		if (access(out, X_OK) == 0)
			return 0;
	}
	return krun_err_set(err, ENOENT,
			    "cannot start passt: `passt` is not installed "
			    "(not found in PATH)");
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void signal_passt(const struct passt_proc *p, int sig)
{
	if (p->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
	else
		kill(p->pid, sig);
}

static void describe_status(int status, char *out, size_t size)
{
	if (WIFEXITED(status))
		snprintf(out, size, "status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, size, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, size, "status 0x%x", status);
}

/* Only async-signal-safe calls between fork() and exec; never returns. */
static void child(int sock, int log_w, int st_w, pid_t parent, const char *path,
		  char *const argv[])
{
	sigset_t none;
	int null, s, l, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Its own process group: a Ctrl-C at the terminal or a signal to
	 * krun-run's group (timeout(1) sends one) is krun-run's to handle,
	 * and the guest keeps its network while it shuts down. krun-run ends
	 * passt itself; PDEATHSIG covers krun-run dying. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	s = fcntl(sock, F_DUPFD_CLOEXEC, 10);
	l = fcntl(log_w, F_DUPFD_CLOEXEC, 10);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (s < 0 || l < 0 || null < 0 || dup2(null, 0) < 0 || dup2(l, 1) < 0 ||
	    dup2(l, 2) < 0 || dup2(s, PASST_CHILD_FD) < 0)
		e = errno;
	else {
		execv(path, argv);
		e = errno;
	}
	if (write(st_w, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Handle one log line; true when it is the readiness line. */
static bool log_line(struct passt_proc *p, char *line, bool starting)
{
	/* Without a syslog socket, passt reports each failed send. */
	if (!strncmp(line, "Failed to send", 14)) {
		log_trace("passt: %s", line);
		return false;
	}
	snprintf(p->last_line, sizeof(p->last_line), "%s", line);
	if (starting)
		log_debug("passt: %s", line);
	else
		log_info("passt: %s", line);
	return starting &&
	       !strncmp(line, PASST_READY_PREFIX, strlen(PASST_READY_PREFIX));
}

/*
 * Read what is there and handle complete lines. Returns 1 after the
 * readiness line (the rest stays buffered), 0 when more is to come, -1 on
 * EOF.
 */
static int read_lines(struct passt_proc *p, bool starting)
{
	ssize_t n;
	char *nl;

	do
		n = read(p->log_fd, p->buf + p->buf_len,
			 sizeof(p->buf) - 1 - p->buf_len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	p->buf_len += (size_t)n;
	p->buf[p->buf_len] = '\0';
	while ((nl = strchr(p->buf, '\n')) ||
	       p->buf_len == sizeof(p->buf) - 1) {
		size_t used = nl ? (size_t)(nl - p->buf) + 1 : p->buf_len;
		bool ready;

		if (nl)
			*nl = '\0';
		ready = log_line(p, p->buf, starting);
		memmove(p->buf, p->buf + used, p->buf_len - used + 1);
		p->buf_len -= used;
		if (ready)
			return 1;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exited_early(struct passt_proc *p, struct krun_err **err)
{
	char how[64];
	int status = 0;

	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
	describe_status(status, how, sizeof(how));
	return krun_err_set(err, ECHILD, "passt exited at start (%s): %s", how,
			    p->last_line[0] ? p->last_line
					    : "it printed nothing");
}

static int wait_ready(struct passt_proc *p, struct krun_err **err)
{
	int64_t deadline = now_ms() + PASST_READY_MS;

	for (;;) {
		struct pollfd pfd = {.fd = p->log_fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		int ret;

		if (left <= 0)
			return krun_err_set(
				err, ETIMEDOUT,
				"passt did not report its configuration within %d s",
				PASST_READY_MS / 1000);
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR)
			return krun_err_set_errno(err, errno,
						  "cannot read passt's log");
		if (ret <= 0)
			continue;
		ret = read_lines(p, true);
		if (ret > 0)
			return 0;
		if (ret < 0)
			return exited_early(p, err);
	}
}

/* Relay passt's log until it ends, then reap passt. */
static void *relay(void *arg)
{
	struct passt_proc *p = arg;
	char how[64];
	int status = 0;

	while (read_lines(p, false) >= 0)
		;
	if (p->buf_len)
		log_line(p, p->buf, false);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!__atomic_load_n(&p->stopping, __ATOMIC_ACQUIRE)) {
		describe_status(status, how, sizeof(how));
		log_error("passt exited while the VM runs (%s): the guest has "
			  "lost its network",
			  how);
	}
	return NULL;
}

static int start_relay(struct passt_proc *p, struct krun_err **err)
{
	sigset_t all, old;
	int ret;

	/* Signals belong to the VMM's signal thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = thread_launch(p->threads, "passt-log", &p->thread, relay, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return krun_err_set_errno(err, ret,
					  "cannot start passt's log thread");
	p->has_thread = true;
	return 0;
}

/* argv for passt: fixed options, then the port maps. */
static const char **build_argv(const struct krun_config *cfg, const char *path,
			       char (**bufs)[64])
{
	const char **argv =
		calloc(PASST_MAX_ARGS + 2 * cfg->n_ports, sizeof(*argv));
	size_t n = 0;

	*bufs = calloc(cfg->n_ports + 1, sizeof(**bufs));
	if (!argv || !*bufs) {
		free(argv);
		return NULL;
	}
	argv[n++] = path;
	argv[n++] = "--foreground";
	argv[n++] = "--fd";
	argv[n++] = "3";
	/* passt logs at its info level, relayed at ours. Its --debug is not
	 * used: Debian's 2023-03 passt crashes in a debug print of the TCP
	 * path. */
	passt_port_args(cfg, argv + n, *bufs);
	return argv;
}

/* Fork and exec; on return passt runs or the error says why not. */
static int spawn(const struct krun_config *cfg, struct passt_proc *p,
		 const char *path, int child_sock, struct krun_err **err)
{
	cleanup_free char(*bufs)[64] = NULL;
	cleanup_free const char **argv = build_argv(cfg, path, &bufs);
	int logp[2], st[2], e = 0;
	pid_t parent = getpid();

	if (!argv)
		return krun_err_set(err, ENOMEM, "out of memory");
	if (pipe2(logp, O_CLOEXEC) < 0)
		return krun_err_set_errno(err, errno, "cannot create a pipe");
	if (pipe2(st, O_CLOEXEC) < 0) {
		e = errno;
		close(logp[0]);
		close(logp[1]);
		return krun_err_set_errno(err, e, "cannot create a pipe");
	}
	p->pid = fork();
	if (p->pid == 0)
		child(child_sock, logp[1], st[1], parent, path,
		      (char *const *)argv);
	e = errno;
	close(logp[1]);
	close(st[1]);
	p->log_fd = logp[0];
	if (p->pid < 0) {
		p->pid = 0;
		close(st[0]);
		return krun_err_set_errno(err, e, "cannot start passt");
	}
	p->pidfd = pidfd_open_(p->pid);
	if (read(st[0], &e, sizeof(e)) != sizeof(e))
		e = 0; /* EOF: exec succeeded */
	close(st[0]);
	if (e) {
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->pid = 0;
		return krun_err_set_errno(err, e, "cannot run passt `%s`",
					  path);
	}
	return 0;
}

int passt_spawn(const struct krun_config *cfg, struct passt_proc *p, int *sock,
		struct thread_launcher *threads, struct krun_err **err)
{
	char path[4096];
	int sv[2];
	int ret;

	*p = (struct passt_proc){.pidfd = -1, .log_fd = -1, .threads = threads};
	*sock = -1;
	ret = find_passt(path, sizeof(path), err);
	if (ret < 0)
		return ret;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot create a socket for passt");
	ret = spawn(cfg, p, path, sv[1], err);
	close(sv[1]);
	if (ret < 0) {
		close(sv[0]);
		passt_stop(p);
		return ret;
	}
	*sock = sv[0];
	return 0;
}

int passt_wait_ready(struct passt_proc *p, int *sock, struct krun_err **err)
{
	int ret = wait_ready(p, err);

	if (ret == 0)
		ret = start_relay(p, err);
	if (ret < 0) {
		close(*sock);
		*sock = -1;
		passt_stop(p);
	}
	return ret;
}

void passt_expect_exit(struct passt_proc *p)
{
	__atomic_store_n(&p->stopping, true, __ATOMIC_RELEASE);
}

/* Wait up to ms for passt to end (its pidfd turns readable). */
static bool wait_exit(const struct passt_proc *p, int ms)
{
	struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};

	if (p->pidfd < 0)
		return false;
	while (poll(&pfd, 1, ms) < 0 && errno == EINTR)
		;
	return pfd.revents & POLLIN;
}

void passt_stop(struct passt_proc *p)
{
	if (p->pid > 0) {
		__atomic_store_n(&p->stopping, true, __ATOMIC_RELEASE);
		signal_passt(p, SIGTERM);
		if (!wait_exit(p, PASST_STOP_MS))
			signal_passt(p, SIGKILL);
		if (p->has_thread)
			pthread_join(p->thread, NULL);
		else
			while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
				;
		p->pid = 0;
		p->has_thread = false;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->log_fd >= 0)
		close(p->log_fd);
	p->pidfd = p->log_fd = -1;
}
