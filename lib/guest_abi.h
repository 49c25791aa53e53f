/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between the VMM (lib/) and the guest init (cmd/krun-init):
 * how the run configuration reaches the guest, and how the exit status
 * comes back. Both sides include this header; nothing else does.
 */
#ifndef KRUN_LIB_GUEST_ABI_H
#define KRUN_LIB_GUEST_ABI_H

/* Per-run initramfs member holding the run configuration. */
#define KRUN_GUEST_CONFIG_PATH "/krun/config"

/*
 * Exit channel: after draining its console output, init writes the
 * workload's status (0..255, 128+signal when killed) as a 32-bit OUT to
 * this port. Values >= 0x100 are init's own reports (see below).
 */
#define KRUN_GUEST_EXIT_PORT 0x0f4

/* Names of the virtio-console ports when stdio is not a terminal. */
#define KRUN_PORT_STDIN "krun-stdin"
#define KRUN_PORT_STDOUT "krun-stdout"
#define KRUN_PORT_STDERR "krun-stderr"

#endif
