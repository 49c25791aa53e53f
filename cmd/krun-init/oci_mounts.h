/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attrs section's system settings, applied in the new root before the
 * workload starts: its filesystems (tmpfs, proc, sysfs, devpts, mqueue,
 * cgroup2; mount points made when missing), sysctls and domain name.
 */
#ifndef KRUN_INIT_OCI_MOUNTS_H
#define KRUN_INIT_OCI_MOUNTS_H

#include "cmd/krun-init/guest_config.h"
#include "util/err.h"

int oci_mounts_apply(const struct guest_attrs *a, struct krun_err **err)
	__attribute__((warn_unused_result));

/* "a.b.c=v" (or "a/b/c=v") to /proc/sys/a/b/c. */
int oci_sysctls_apply(const struct guest_attrs *a, struct krun_err **err)
	__attribute__((warn_unused_result));

/* OCI linux.readonlyPaths, then linux.maskedPaths (missing ones skipped). */
int oci_paths_apply(const struct guest_attrs *a, struct krun_err **err)
	__attribute__((warn_unused_result));

#endif
