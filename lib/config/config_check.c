// SPDX-License-Identifier: Apache-2.0
/*
 * Whole-config checks before a VM starts. GPU and sound are made, or
 * refused with one line, when the devices are added (lib/vmm/vmm_devices.c).
 */
#include "lib/config/config.h"

#include <errno.h>

#include "lib/config/config_internal.h"

static int check_root(const struct krun_config *cfg, struct krun_err **err)
{
	bool has_disk_root = cfg->legacy_root_disk || cfg->root_disk_id;

	if (!cfg->root_dir && !has_disk_root)
		return krun_err_set(
			err, EINVAL,
			"no root: set a root directory or a root disk");
	if (cfg->root_partition && !has_disk_root)
		return krun_err_set(
			err, EINVAL,
			"a root partition (%u) is set but no root disk: set one",
			cfg->root_partition);
	if (cfg->root_shm_size && !cfg->root_dir)
		return krun_err_set(
			err, EINVAL,
			"a DAX window for the root needs a root directory, not a root disk");
	if (cfg->root_dir && has_disk_root)
		return krun_err_set(
			err, EINVAL,
			"both a root directory (`%s`) and a root disk are set: choose one",
			cfg->root_dir);
	return 0;
}

int config_check_startable(const struct krun_config *cfg, struct krun_err **err)
{
	int ret;

	/* No executable is fine: spec_default_workload() picks one. */
	ret = check_root(cfg, err);
	if (ret == 0)
		ret = config_check_vsock(cfg, err);
	return ret;
}
