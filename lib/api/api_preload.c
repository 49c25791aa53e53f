// SPDX-License-Identifier: Apache-2.0
/*
 * Linked into libkrun.so.1 only (not krun-run): map the guest kernel when
 * the library is loaded. crun's krun handler dlopen()s the library on the
 * host, then forks and pivots into the container's root before it calls
 * krun_start_enter(); the mapping outlives both, the kernel's path does
 * not. krun-init needs nothing of the kind: it is linked in as a blob.
 */
#include "lib/api/api_internal.h"

__attribute__((constructor)) static void libkrun_loaded(void)
{
	krun_api_preload_kernel();
}

__attribute__((destructor)) static void libkrun_unloaded(void)
{
	krun_api_release_kernel();
}
