// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/init_log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "lib/guest_abi.h"

/* PID 1 is a single-threaded program; cmd/ may keep its state global. */
static int err_fd = STDERR_FILENO;
static int kmsg_fd = -1;

void ilog_set_err_fd(int fd)
{
	err_fd = fd;
}

void ilog_enable_kmsg(void)
{
	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void vlog(bool is_err, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "krun-init: ");

	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (is_err && err_fd >= 0)
		write_all(err_fd, line, (size_t)n);
	if (kmsg_fd >= 0)
		write_all(kmsg_fd, line, (size_t)n);
}

void ilog_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(true, fmt, ap);
	va_end(ap);
}

void ilog_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(false, fmt, ap);
	va_end(ap);
}

void init_mark(uint8_t mark)
{
	static int wanted = -1;

	if (wanted < 0)
		wanted = getenv(KRUN_GUEST_MARKS_ENV) != NULL;
	/* Port access only for the OUT: the workload must not inherit it. */
	if (!wanted || ioperm(KRUN_GUEST_EXIT_PORT, 1, 1) < 0)
		return;
	outb(mark, KRUN_GUEST_EXIT_PORT);
	ioperm(KRUN_GUEST_EXIT_PORT, 1, 0);
}

void init_report_exit(uint32_t status)
{
	ilog_debug("reporting exit status %u", status);
	if (ioperm(KRUN_GUEST_EXIT_PORT, 4, 1) == 0)
		outl(status, KRUN_GUEST_EXIT_PORT);
	else
		ilog_err("cannot reach the exit port: %m");
	/* Still here: the VMM has no exit device. A reset ends the VM. */
	sync();
	for (;;) {
		reboot(RB_AUTOBOOT);
		pause();
	}
}
