// SPDX-License-Identifier: Apache-2.0
/*
 * Whole-config checks before a VM starts. Features whose device is not
 * built yet are refused here, from one table: when a device lands, delete
 * its row.
 */
#include "lib/config/config.h"

#include <errno.h>

#include "lib/config/config_internal.h"

static bool uses_gpu(const struct krun_config *cfg)
{
	return cfg->gpu_enabled;
}

static bool uses_snd(const struct krun_config *cfg)
{
	return cfg->snd_enabled;
}

static bool uses_tee(const struct krun_config *cfg)
{
	return cfg->tee_config_file != NULL;
}

static bool uses_oem_strings(const struct krun_config *cfg)
{
	return cfg->oem_strings && cfg->oem_strings[0];
}

static bool uses_dax(const struct krun_config *cfg)
{
	for (size_t i = 0; i < cfg->n_shares; i++)
		if (cfg->shares[i].shm_size > 0)
			return true;
	return false;
}

static const struct {
	const char *feature;
	bool (*used)(const struct krun_config *cfg);
} not_built_yet[] = {
	{"GPU", uses_gpu},
	{"sound", uses_snd},
	{"TEE config", uses_tee},
	{"SMBIOS OEM strings", uses_oem_strings},
	{"virtio-fs DAX window", uses_dax},
};

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
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < sizeof(not_built_yet) / sizeof(not_built_yet[0]);
	     i++)
		if (not_built_yet[i].used(cfg))
			return krun_err_set(
				err, ENOTSUP,
				"`%s` is not supported yet by this build",
				not_built_yet[i].feature);
	return 0;
}
