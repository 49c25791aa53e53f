// SPDX-License-Identifier: Apache-2.0
/*
 * krun_* entry points for what the guest boots with: a caller's kernel
 * (krun_set_kernel), the SMBIOS OEM strings and the TEE configuration.
 * Same shape as lib/api/api.c: one config setter under the context table's
 * lock, the error logged once at this edge (api_result()).
 */
#include "lib/api/libkrun.h"

#include "lib/api/api_internal.h"
#include "lib/config/config.h"

_Static_assert(
	KRUN_KERNEL_FORMAT_RAW == KRUN_KERNEL_API_RAW &&
		KRUN_KERNEL_FORMAT_ELF == KRUN_KERNEL_API_ELF &&
		KRUN_KERNEL_FORMAT_PE_GZ == KRUN_KERNEL_API_PE_GZ &&
		KRUN_KERNEL_FORMAT_IMAGE_BZ2 == KRUN_KERNEL_API_IMAGE_BZ2 &&
		KRUN_KERNEL_FORMAT_IMAGE_GZ == KRUN_KERNEL_API_IMAGE_GZ &&
		KRUN_KERNEL_FORMAT_IMAGE_ZSTD == KRUN_KERNEL_API_IMAGE_ZSTD,
	"libkrun.h and lib/config/config.h kernel formats differ");

KRUN_API int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path,
				 uint32_t kernel_format, const char *initramfs,
				 const char *cmdline)
{
	WITH_CTX(ctx_id,
		 config_set_external_kernel(cfg, kernel_path, kernel_format,
					    initramfs, cmdline, &err));
}

KRUN_API int32_t krun_set_smbios_oem_strings(uint32_t ctx_id,
					     const char *const oem_strings[])
{
	WITH_CTX(ctx_id, config_set_oem_strings(cfg, oem_strings, &err));
}

KRUN_API int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath)
{
	/* Stored as libkrun does; validated, then refused, at start
	 * (spec_tee_check_startable(): this build has no TEE support). */
	WITH_CTX(ctx_id, config_set_tee_config_file(cfg, filepath, &err));
}
