// SPDX-License-Identifier: Apache-2.0
#include "lib/vmm.h"

#include <errno.h>

int vmm_run(struct krun_config *cfg, struct krun_err **err)
{
	(void)cfg;
	return krun_err_set(err, ENOSYS, "cannot start the VM: the VMM is not built yet");
}
