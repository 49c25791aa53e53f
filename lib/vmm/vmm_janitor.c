// SPDX-License-Identifier: Apache-2.0
/*
 * The janitor: a child process that removes the socket files the VMM
 * created (listening vsock sockets, the gvproxy datagram socket) once the
 * VMM is gone, however it went, SIGKILL included. The VMM removes them
 * itself on a normal exit; the janitor covers the deaths nothing in the
 * process can handle.
 *
 * The VMM sends each file's (dev, ino, path) down a pipe as it creates
 * it. The janitor reads records until the pipe reports end of file, which
 * the kernel delivers when the VMM's end closes: at its exit or death.
 * Then it removes each path that is still the same socket (a new krun-run
 * may have put its own there) and exits.
 *
 * The child of a process that may have other threads: between fork() and
 * _exit() it uses only async-signal-safe calls and its own stack.
 */
#include "lib/vmm/vmm_janitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

#define JANITOR_MAX_PATHS 64

struct janitor_record {
	dev_t dev;
	ino_t ino;
	char path[4096];
};

/* Read exactly len bytes: 1, 0 at end of file, -1 on error. */
static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 1;
}

static void janitor_main(int fd) __attribute__((noreturn));

static void janitor_main(int fd)
{
	struct janitor_record recs[JANITOR_MAX_PATHS];
	unsigned int n = 0;
	struct janitor_record spare;
	struct stat st;

	/* A Ctrl-C or a kill of the process group must not end the janitor
	 * before the VMM it cleans up after. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Hold nothing of the VMM's (VM fds, sockets, passt's socket pair)
	 * so no peer waits on a copy here. */
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(1);
		fd = 3;
	}
	syscall(SYS_close_range, 4u, ~0u, 0u);
	for (int i = 0; i < 3; i++)
		if (i != fd)
			close(i);
	for (;;) {
		struct janitor_record *r =
			n < JANITOR_MAX_PATHS ? &recs[n] : &spare;
		int ret = read_full(fd, r, sizeof(*r));

		if (ret <= 0)
			break;
		r->path[sizeof(r->path) - 1] = '\0';
		if (r != &spare)
			n++;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (lstat(recs[i].path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    st.st_dev == recs[i].dev && st.st_ino == recs[i].ino)
			unlink(recs[i].path);
	}
	_exit(0);
}

void vmm_janitor_init(struct vmm_janitor *j)
{
	j->pid = -1;
	j->fd = -1;
}

int vmm_janitor_start(struct vmm_janitor *j, struct krun_err **err)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot create the janitor's pipe");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return krun_err_set_errno(err, errno,
					  "cannot start the janitor process");
	}
	if (pid == 0) {
		close(fds[1]);
		janitor_main(fds[0]);
	}
	close(fds[0]);
	j->pid = pid;
	j->fd = fds[1];
	return 0;
}

void vmm_janitor_track(struct vmm_janitor *j, const char *path)
{
	struct janitor_record r = {0};
	struct stat st;
	size_t len = strlen(path);

	if (j->fd < 0 || len >= sizeof(r.path) || lstat(path, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return;
	r.dev = st.st_dev;
	r.ino = st.st_ino;
	memcpy(r.path, path, len);
	if (write(j->fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		log_warn("the janitor will not remove `%s` after a crash",
			 path);
}

void vmm_janitor_stop(struct vmm_janitor *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (j->pid > 0) {
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	j->pid = -1;
}
