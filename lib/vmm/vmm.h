/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VMM orchestration: turns a validated krun_config into a running VM.
 * One function calls the setup steps in order and unwinds them in reverse
 * on failure (docs/STYLE.md, rule 5).
 */
#ifndef KRUN_LIB_VMM_H
#define KRUN_LIB_VMM_H

#include "lib/config/config.h"
#include "lib/vmm/vmm_kernel.h"
#include "util/err.h"

/*
 * Run the VM. Returns a negative errno (err set) when setup fails before
 * the guest starts; otherwise the workload's exit status (0..255, 128+sig)
 * once the VM has stopped. The caller (krun_start_enter, krun-run) exits
 * with that status. preloaded (may be NULL, or empty) is a kernel mapped
 * ahead; it is booted unless cfg names a kernel path.
 */
int vmm_run(struct krun_config *cfg, const struct vmm_kernel *preloaded,
	    struct krun_err **err);

#endif
