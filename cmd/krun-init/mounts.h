/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Filesystems of the guest: the API filesystems init needs in the
 * initramfs, the root and volumes from the run configuration, and the
 * switch into the new root.
 */
#ifndef KRUN_INIT_MOUNTS_H
#define KRUN_INIT_MOUNTS_H

#include <sys/types.h>

#include "cmd/krun-init/guest_config.h"
#include "util/err.h"

/* Where the new root is assembled before the switch. */
#define INIT_NEWROOT "/krun/root"

/* /proc, /sys, /dev (+ pts, shm) and /tmp in the initramfs, when missing. */
int mounts_early(struct krun_err **err) __attribute__((warn_unused_result));

/*
 * Mount the root and the volumes under INIT_NEWROOT, bind resolv (a file
 * in the initramfs, or NULL) over its /etc/resolv.conf, move /proc, /sys
 * and /dev into it, and make it the root (MS_MOVE + chroot, as
 * switch_root).
 */
int mounts_switch_root(const struct guest_config *cfg, const char *resolv,
		       struct krun_err **err)
	__attribute__((warn_unused_result));

/* Poll for `path` to exist, up to timeout_ms; 0 when it does. */
int mounts_wait_path(const char *path, unsigned timeout_ms);

/* mkdir -p: 0 or -errno; existing directories are fine. */
int mounts_make_dirs(const char *path, mode_t mode);

#endif
