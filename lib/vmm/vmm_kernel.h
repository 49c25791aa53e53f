/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding the guest kernel, and mapping it into the process ahead of the
 * run. libkrun.so.1 maps it when it is loaded: crun's krun handler loads the
 * library on the host but starts the VM only after it has pivoted into the
 * container's root, where the kernel's path no longer leads anywhere (the
 * mapping survives the fork and the pivot). docs/ARCHITECTURE.md, "The
 * kernel of a library loaded before pivot_root".
 */
#ifndef KRUN_LIB_VMM_KERNEL_H
#define KRUN_LIB_VMM_KERNEL_H

#include <stddef.h>

#include "util/err.h"

/* A guest kernel image mapped read-only (map == NULL: none). */
struct vmm_kernel {
	void *map;
	size_t len;
	char *path;
};

/*
 * The guest kernel, first found of: configured (--kernel), $KRUN_KERNEL
 * (both must be readable when given), the kernel of the build tree, the one
 * installed with krun-run. *path points at configured, the environment or
 * a constant; *from says which it was.
 */
int vmm_kernel_find(const char *configured, const char **path,
		    const char **from, struct krun_err **err)
	__attribute__((warn_unused_result));

/* Map the regular file at path into *k (its contents stay reachable after
 * the path is gone); vmm_kernel_unmap() releases it. */
int vmm_kernel_map(const char *path, struct vmm_kernel *k,
		   struct krun_err **err) __attribute__((warn_unused_result));

void vmm_kernel_unmap(struct vmm_kernel *k);

#endif
