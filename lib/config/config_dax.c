// SPDX-License-Identifier: Apache-2.0
/*
 * DAX windows of virtio-fs shares: the guest maps file ranges of the share
 * into a window of guest-physical memory instead of copying them through
 * FUSE READ and WRITE (virtio/fs/fuse_ops_dax.c, docs/ARCHITECTURE.md).
 */
#include "lib/config/config.h"

#include <errno.h>

#include "lib/config/config_internal.h"

int cfg_check_dax_size(uint64_t size, struct krun_err **err)
{
	if (size % KRUN_DAX_ALIGN || size > KRUN_DAX_MAX)
		return krun_err_set(
			err, EINVAL,
			"a DAX window of %llu bytes: must be a multiple of 2 MiB, at most 1 TiB",
			(unsigned long long)size);
	return 0;
}

int config_set_root_dax(struct krun_config *cfg, uint64_t size,
			struct krun_err **err)
{
	int ret = cfg_check_dax_size(size, err);

	if (ret == 0)
		cfg->root_shm_size = size;
	return ret;
}
