/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workload's stdio. Pipe mode: the virtio-console ports named
 * KRUN_PORT_STDIN/STDOUT/STDERR, opened once by init (a port admits one
 * opener) and inherited by the workload. Terminal mode: /dev/hvc0, which
 * the workload makes its controlling terminal.
 */
#ifndef KRUN_INIT_CONSOLE_H
#define KRUN_INIT_CONSOLE_H

#include <stdbool.h>

#include "util/err.h"

#define INIT_TERMINAL_DEV "/dev/hvc0"

struct init_stdio {
	bool terminal;
	int fd[3]; /* >= 3, close-on-exec; the workload dup2()s them */
};

/* Needs /sys and /dev mounted. */
int console_open(bool terminal, struct init_stdio *io, struct krun_err **err)
	__attribute__((warn_unused_result));
/* Flush what the workload wrote and close the ports. */
void console_close(struct init_stdio *io);

#endif
