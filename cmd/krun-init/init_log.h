/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun-init's own messages and its exit report. Errors go to the workload's
 * stderr (the krun-stderr port or the terminal) once it is wired, before
 * that to the kernel console; step-by-step notes go to /dev/kmsg only when
 * the run asked for the kernel log.
 */
#ifndef KRUN_INIT_LOG_H
#define KRUN_INIT_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* Where error lines go from now on (init keeps ownership of the fd). */
void ilog_set_err_fd(int fd);
/* Start copying messages to /dev/kmsg (needs /dev mounted). */
void ilog_enable_kmsg(void);

void ilog_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ilog_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tell the VMM that init reached a point (KRUN_GUEST_MARK_*): an 8-bit
 * OUT to KRUN_GUEST_EXIT_PORT, port access held only for it. */
void init_mark(uint8_t mark);

/*
 * Report `status` to the VMM through KRUN_GUEST_EXIT_PORT; if the port does
 * not stop the VM, reboot (the VMM treats a reset without a report as a
 * failed run). Never returns: PID 1 must not exit.
 */
__attribute__((noreturn)) void init_report_exit(uint32_t status);

#endif
