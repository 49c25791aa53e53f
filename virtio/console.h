/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console, multiport (VIRTIO_CONSOLE_F_MULTIPORT).
 *
 * Terminal mode (stdin is a TTY): one port, 0, the console (hvc0). Host
 * stdin -> port 0, port 0 -> host stdout. The terminal is put in raw mode
 * at create time and restored by virtio_console_restore_terminal() and by
 * destroy. Window size changes reach the guest as RESIZE control messages
 * through virtio_console_resize() (lib/vmm/vmm_shutdown.c calls it on
 * SIGWINCH; nothing here installs signal handlers).
 *
 * Pipe mode: port 0 is the console (its output goes to host stderr), plus
 * three named ports: 1 (stdin), 2 (stdout), 3 (stderr), named by
 * opts.port_names (lib/ passes KRUN_PORT_* from lib/guest_abi.h, which
 * virtio/ may not include). Host stdin is read only while
 * the guest has krun-stdin open; at host EOF, after the data before it was
 * delivered, the device sends PORT_OPEN(host_connected = 0) so the guest's
 * read() returns 0. Guest output on krun-stdout/krun-stderr goes to the
 * host stdout/stderr fds, kept apart; partial writes and EAGAIN are
 * retried, and after EPIPE the port's output is discarded (the guest is
 * never blocked and the VMM gets no SIGPIPE).
 *
 * Output-file mode (output_path set): pipe-mode ports, stdin ignored (the
 * guest sees EOF), every port's output appended to the file.
 */
#ifndef KRUN_VIRTIO_CONSOLE_H
#define KRUN_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_CONSOLE_PORT_IN 1 /* pipe mode port ids */
#define VIRTIO_CONSOLE_PORT_OUT 2
#define VIRTIO_CONSOLE_PORT_ERR 3

struct virtio_console_opts {
	int stdin_fd;		 /* -1: no input, the guest sees EOF */
	int stdout_fd;		 /* -1: output discarded */
	int stderr_fd;		 /* -1: output discarded */
	bool terminal;		 /* stdin_fd is a TTY: raw mode, single port */
	const char *output_path; /* non-NULL: output-file mode */
	/* Pipe and output-file modes: names of ports 1..3 (<= 32 bytes). */
	const char *port_names[3];
};

/* The fds are duplicated (the caller keeps its own). */
struct virtio_device *virtio_console_create(const struct virtio_console_opts *o,
					    struct krun_err **err);

/* New terminal size; sent to the guest as a RESIZE for port 0. Any thread. */
void virtio_console_resize(struct virtio_device *dev, uint16_t rows,
			   uint16_t cols);

/* Write out every TX buffer the guest has queued, synchronously. */
void virtio_console_drain(struct virtio_device *dev);

/* Put the host terminal back as it was (idempotent; no-op outside
 * terminal mode). */
void virtio_console_restore_terminal(struct virtio_device *dev);

#endif
