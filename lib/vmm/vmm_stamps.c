// SPDX-License-Identifier: Apache-2.0
#include "lib/vmm/vmm_stamps.h"

#include <errno.h>
#include <stdio.h>

static const char *const stage_names[VMM_STAGE_N] = {
	[VMM_STAGE_VMM] = "vmm",
	[VMM_STAGE_KVM_READY] = "kvm-ready",
	[VMM_STAGE_DEVICES] = "devices",
	[VMM_STAGE_LOADED] = "loaded",
	[VMM_STAGE_ENTRY] = "kernel-entry",
	[VMM_STAGE_INIT] = "init",
	[VMM_STAGE_EXEC] = "exec",
	[VMM_STAGE_EXIT] = "exit",
	[VMM_STAGE_STOP] = "stop",
	[VMM_STAGE_DONE] = "done",
};

int vmm_stamps_format(const int64_t stamps[VMM_STAGE_N], char *buf, size_t len)
{
	size_t used = 0;
	int n;

	if (len == 0)
		return -ENOSPC;
	n = snprintf(buf, len, "boot:");
	for (int s = 0; s < VMM_STAGE_N && n >= 0 && (size_t)n < len - used;
	     s++) {
		used += (size_t)n;
		if (stamps[s] && stamps[VMM_STAGE_VMM])
			n = snprintf(buf + used, len - used, "%s %s %lld ms",
				     s ? "," : "", stage_names[s],
				     (long long)((stamps[s] -
						  stamps[VMM_STAGE_VMM]) /
						 1000000));
		else
			n = snprintf(buf + used, len - used, "%s %s -",
				     s ? "," : "", stage_names[s]);
	}
	if (n < 0 || (size_t)n >= len - used)
		return -ENOSPC;
	return (int)(used + (size_t)n);
}
