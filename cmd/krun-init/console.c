// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/console.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/krun-init/init_log.h"
#include "cmd/krun-init/mounts.h"
#include "lib/guest_abi.h"

#define PORTS_DIR "/sys/class/virtio-ports"
/* Port names arrive over the console's control queue, after probing. */
#define PORT_WAIT_MS 2000
#define PORT_POLL_MS 10

static const char *const port_names[3] = {KRUN_PORT_STDIN, KRUN_PORT_STDOUT,
					  KRUN_PORT_STDERR};

static int read_port_name(const char *port, char *name, size_t size)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PORTS_DIR "/%s/name", port);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(name, (int)size, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

/* Fill /dev/vportNpM for each name found; return how many are missing. */
static int scan_ports(char dev[3][PATH_MAX])
{
	DIR *d = opendir(PORTS_DIR);
	struct dirent *e;
	int missing = 0;

	while (d && (e = readdir(d))) {
		char name[128];

		if (e->d_name[0] == '.' ||
		    read_port_name(e->d_name, name, sizeof(name)) < 0)
			continue;
		for (int i = 0; i < 3; i++)
			if (strcmp(name, port_names[i]) == 0)
				snprintf(dev[i], PATH_MAX, "/dev/%s",
					 e->d_name);
	}
	if (d)
		closedir(d);
	for (int i = 0; i < 3; i++)
		missing += !dev[i][0] || access(dev[i], F_OK) < 0;
	return missing;
}

static int open_high(const char *path, int flags, struct krun_err **err)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	int high;

	if (fd < 0)
		return krun_err_set_errno(err, errno, "cannot open `%s`", path);
	/* Keep 0..2 free so the workload's dup2() never lands on itself. */
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	if (high < 0)
		return krun_err_set_errno(err, errno, "cannot move `%s`", path);
	return high;
}

static int open_ports(struct init_stdio *io, struct krun_err **err)
{
	static const int modes[3] = {O_RDONLY, O_WRONLY, O_WRONLY};
	char dev[3][PATH_MAX] = {"", "", ""};
	unsigned waited = 0;

	while (scan_ports(dev) > 0 && waited < PORT_WAIT_MS) {
		usleep(PORT_POLL_MS * 1000);
		waited += PORT_POLL_MS;
	}
	for (int i = 0; i < 3; i++) {
		if (!dev[i][0])
			return krun_err_set(err, ENODEV,
					    "cannot find the console port `%s`",
					    port_names[i]);
		io->fd[i] = open_high(dev[i], modes[i], err);
		if (io->fd[i] < 0)
			return io->fd[i];
	}
	return 0;
}

static int open_terminal(struct init_stdio *io, struct krun_err **err)
{
	if (mounts_wait_path(INIT_TERMINAL_DEV, PORT_WAIT_MS) < 0)
		return krun_err_set(err, ENODEV, "cannot find `%s`",
				    INIT_TERMINAL_DEV);
	for (int i = 0; i < 3; i++) {
		io->fd[i] = open_high(INIT_TERMINAL_DEV, O_RDWR, err);
		if (io->fd[i] < 0)
			return io->fd[i];
	}
	return 0;
}

int console_open(bool terminal, struct init_stdio *io, struct krun_err **err)
{
	int ret;

	*io = (struct init_stdio){.terminal = terminal, .fd = {-1, -1, -1}};
	ret = terminal ? open_terminal(io, err) : open_ports(io, err);
	if (ret < 0) {
		console_close(io);
		return ret;
	}
	return 0;
}

void console_close(struct init_stdio *io)
{
	for (int i = 0; i < 3; i++) {
		if (io->fd[i] < 0)
			continue;
		if (i > 0) {
			if (io->terminal)
				tcdrain(io->fd[i]);
			else
				fsync(io->fd[i]);
		}
		close(io->fd[i]);
		io->fd[i] = -1;
	}
}
