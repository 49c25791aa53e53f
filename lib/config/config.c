// SPDX-License-Identifier: Apache-2.0
/*
 * The context model: allocation, shared helpers and the VM-size, device and
 * VMM-behaviour setters. Storage (root, disks, shares), workload, network
 * and text parsers live in the sibling config_*.c files.
 */
#include "lib/config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/x86/smbios.h"
#include "lib/config/config_internal.h"
#include "util/cleanup.h"
#include "util/log.h"


int cfg_check_path(const char *what, const char *path, struct krun_err **err)
{
	if (!path)
		return krun_err_set(err, EINVAL, "%s: no path given", what);
	if (!*path)
		return krun_err_set(err, EINVAL, "empty %s path", what);
	return 0;
}

int cfg_strdup(const char *s, char **out, struct krun_err **err)
{
	char *copy = strdup(s);

	if (!copy)
		return krun_err_set(err, ENOMEM, "out of memory copying `%s`",
				    s);
	*out = copy;
	return 0;
}

int cfg_replace_str(char **slot, const char *s, struct krun_err **err)
{
	char *copy = NULL;
	int ret = cfg_strdup(s, &copy, err);

	if (ret < 0)
		return ret;
	free(*slot);
	*slot = copy;
	return 0;
}

size_t cfg_strv_len(const char *const v[])
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int cfg_strv_dup(const char *const v[], char ***out, struct krun_err **err)
{
	size_t n = cfg_strv_len(v);
	cleanup_strv char **copy = calloc(n + 1, sizeof(*copy));

	if (!copy)
		return krun_err_set(
			err, ENOMEM,
			"out of memory copying a list of %zu strings", n);
	for (size_t i = 0; i < n; i++) {
		int ret = cfg_strdup(v[i], &copy[i], err);

		if (ret < 0)
			return ret;
	}
	*out = steal_ptr(copy);
	return 0;
}

int cfg_grow(void **array, size_t n, size_t elem_size, struct krun_err **err)
{
	char *grown;

	if (n >= SIZE_MAX / elem_size - 1)
		return krun_err_set(err, ENOMEM, "too many entries (%zu)", n);
	grown = realloc(*array, (n + 1) * elem_size);
	if (!grown)
		return krun_err_set(err, ENOMEM,
				    "out of memory adding entry %zu", n + 1);
	memset(grown + n * elem_size, 0, elem_size);
	*array = grown;
	return 0;
}

bool cfg_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t value = 0;
	size_t i;

	if (len == SIZE_MAX)
		len = strlen(s);
	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned digit = (unsigned char)s[i] - '0';

		if (digit > 9 || digit > max)
			return false;
		if (value > (max - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	*out = value;
	return true;
}

struct krun_config *config_new(struct krun_err **err)
{
	struct krun_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg) {
		krun_err_set(err, ENOMEM, "out of memory allocating a context");
		return NULL;
	}
	cfg->vcpus = KRUN_DEFAULT_VCPUS;
	cfg->ram_mib = KRUN_DEFAULT_RAM_MIB;
	cfg->passt_fd = -1;
	cfg->net_vfkit = true;
	cfg->console_fds[0] = cfg->console_fds[1] = cfg->console_fds[2] = -1;
	cfg->shutdown_eventfd = -1;
	cfg->log_level = KRUN_LOG_ERROR;
	return cfg;
}

static void free_storage(struct krun_config *cfg)
{
	free(cfg->root_dir);
	free(cfg->legacy_root_disk);
	free(cfg->legacy_data_disk);
	for (size_t i = 0; i < cfg->n_disks; i++) {
		free(cfg->disks[i].block_id);
		free(cfg->disks[i].path);
	}
	free(cfg->disks);
	free(cfg->root_disk_id);
	for (size_t i = 0; i < cfg->n_shares; i++) {
		free(cfg->shares[i].tag);
		free(cfg->shares[i].host_path);
		free(cfg->shares[i].guest_path);
	}
	free(cfg->shares);
}

static void free_process_attrs(struct krun_config *cfg)
{
	free(cfg->user_spec);
	strv_free(cfg->group_add);
	free(cfg->domainname);
	strv_free(cfg->sysctls);
	for (size_t i = 0; i < cfg->n_fsmounts; i++) {
		free(cfg->fsmounts[i].fstype);
		free(cfg->fsmounts[i].source);
		free(cfg->fsmounts[i].target);
		free(cfg->fsmounts[i].data);
	}
	free(cfg->fsmounts);
	strv_free(cfg->masked_paths);
	strv_free(cfg->readonly_paths);
	strv_free(cfg->seccomp_arches);
	for (size_t i = 0; i < cfg->n_seccomp_rules; i++)
		free(cfg->seccomp_rules[i].syscall);
	free(cfg->seccomp_rules);
	strv_free(cfg->ignored);
}

void config_free(struct krun_config *cfg)
{
	if (!cfg)
		return;
	free_storage(cfg);
	free(cfg->exec_path);
	strv_free(cfg->argv);
	strv_free(cfg->envp);
	free(cfg->workdir);
	free(cfg->hostname);
	free(cfg->rlimits);
	/* passt_fd belongs to the caller (libkrun does not close it either). */
	free(cfg->gvproxy_path);
	free(cfg->ports);
	for (size_t i = 0; i < cfg->n_vsock_ports; i++)
		free(cfg->vsock_ports[i].path);
	free(cfg->vsock_ports);
	free(cfg->tee_config_file);
	strv_free(cfg->oem_strings);
	free_process_attrs(cfg);
	free(cfg->console_output);
	free(cfg->kernel_path);
	free(cfg->initramfs_path);
	free(cfg->kernel_cmdline);
	if (cfg->shutdown_eventfd >= 0)
		close(cfg->shutdown_eventfd);
	free(cfg);
}

static int check_vcpus(uint32_t vcpus, struct krun_err **err)
{
	if (vcpus < 1 || vcpus > KRUN_MAX_VCPUS)
		return krun_err_set(err, EINVAL,
				    "invalid vCPU count `%u`: must be 1..%u",
				    vcpus, KRUN_MAX_VCPUS);
	return 0;
}

static int check_ram(uint32_t ram_mib, struct krun_err **err)
{
	if (ram_mib < KRUN_MIN_RAM_MIB || ram_mib > KRUN_MAX_RAM_MIB)
		return krun_err_set(
			err, EINVAL,
			"invalid RAM size `%u` MiB: must be %u..%u MiB",
			ram_mib, KRUN_MIN_RAM_MIB, KRUN_MAX_RAM_MIB);
	return 0;
}

int config_set_vm(struct krun_config *cfg, uint32_t vcpus, uint32_t ram_mib,
		  struct krun_err **err)
{
	int ret = check_vcpus(vcpus, err);

	if (ret < 0)
		return ret;
	ret = check_ram(ram_mib, err);
	if (ret < 0)
		return ret;
	cfg->vcpus = (uint8_t)vcpus;
	cfg->ram_mib = ram_mib;
	return 0;
}

int config_set_vcpus(struct krun_config *cfg, uint32_t vcpus,
		     struct krun_err **err)
{
	int ret = check_vcpus(vcpus, err);

	if (ret < 0)
		return ret;
	cfg->vcpus = (uint8_t)vcpus;
	return 0;
}

int config_set_ram(struct krun_config *cfg, uint32_t ram_mib,
		   struct krun_err **err)
{
	int ret = check_ram(ram_mib, err);

	if (ret < 0)
		return ret;
	cfg->ram_mib = ram_mib;
	return 0;
}

int config_set_gpu(struct krun_config *cfg, uint32_t virgl_flags,
		   uint64_t shm_size, struct krun_err **err)
{
	/* Any bits, as libkrun: the flags go to virglrenderer uninterpreted. */
	cfg->gpu_enabled = true;
	cfg->virgl_flags = virgl_flags;
	cfg->gpu_shm_size = shm_size;
	return 0;
}

int config_set_snd(struct krun_config *cfg, bool enable, struct krun_err **err)
{
	cfg->snd_enabled = enable;
	return 0;
}

int config_set_tee_config_file(struct krun_config *cfg, const char *path,
			       struct krun_err **err)
{
	int ret = cfg_check_path("TEE config file", path, err);

	if (ret < 0)
		return ret;
	return cfg_replace_str(&cfg->tee_config_file, path, err);
}

int config_set_oem_strings(struct krun_config *cfg, const char *const strings[],
			   struct krun_err **err)
{
	char **copy = NULL;
	int ret;

	if (!strings)
		return krun_err_set(err, EINVAL,
				    "SMBIOS OEM strings: no list given");
	ret = smbios_check_oem_strings(strings, err);
	if (ret < 0)
		return ret;
	ret = cfg_strv_dup(strings, &copy, err);
	if (ret < 0)
		return ret;
	strv_free(cfg->oem_strings);
	cfg->oem_strings = copy;
	return 0;
}

int config_set_console_output(struct krun_config *cfg, const char *path,
			      struct krun_err **err)
{
	int ret = cfg_check_path("console output", path, err);

	if (ret < 0)
		return ret;
	/* Set once, as libkrun (-EINVAL on a second call). */
	if (cfg->console_output)
		return krun_err_set(
			err, EINVAL,
			"console output is already set to `%s`: it can be set once",
			cfg->console_output);
	return cfg_replace_str(&cfg->console_output, path, err);
}

int config_set_kernel(struct krun_config *cfg, const char *path,
		      struct krun_err **err)
{
	int ret = cfg_check_path("kernel", path, err);

	if (ret < 0)
		return ret;
	return cfg_replace_str(&cfg->kernel_path, path, err);
}

static int kernel_kind(uint32_t format, uint32_t *kind,
		       struct krun_err **err)
{
	switch (format) {
	case KRUN_KERNEL_API_ELF:
		*kind = KRUN_KERNEL_ELF;
		return 0;
	case KRUN_KERNEL_API_RAW:
	case KRUN_KERNEL_API_IMAGE_BZ2:
	case KRUN_KERNEL_API_IMAGE_GZ:
	case KRUN_KERNEL_API_IMAGE_ZSTD:
		*kind = KRUN_KERNEL_BZIMAGE;
		return 0;
	case KRUN_KERNEL_API_PE_GZ:
		return krun_err_set(
			err, ENOTSUP,
			"kernel format %u (PE_GZ) is an aarch64 format: on x86_64 give an ELF vmlinux or a bzImage",
			format);
	default:
		return krun_err_set(err, EINVAL,
				    "unknown kernel format %u (expected 0..5)",
				    format);
	}
}

int config_set_external_kernel(struct krun_config *cfg, const char *path,
			       uint32_t format, const char *initramfs,
			       const char *cmdline, struct krun_err **err)
{
	cleanup_free char *k = NULL;
	cleanup_free char *i = NULL;
	cleanup_free char *c = NULL;
	uint32_t kind = 0;
	int ret = cfg_check_path("kernel", path, err);

	if (ret == 0)
		ret = kernel_kind(format, &kind, err);
	if (ret == 0 && initramfs)
		ret = cfg_check_path("initramfs", initramfs, err);
	if (ret == 0 && cmdline && strlen(cmdline) >= 2048)
		ret = krun_err_set(err, E2BIG,
				   "kernel command line of %zu bytes: at most 2047",
				   strlen(cmdline));
	if (ret == 0)
		ret = cfg_strdup(path, &k, err);
	if (ret == 0 && initramfs)
		ret = cfg_strdup(initramfs, &i, err);
	if (ret == 0 && cmdline)
		ret = cfg_strdup(cmdline, &c, err);
	if (ret < 0)
		return ret;
	free(cfg->kernel_path);
	cfg->kernel_path = steal_ptr(k);
	free(cfg->initramfs_path);
	cfg->initramfs_path = steal_ptr(i);
	free(cfg->kernel_cmdline);
	cfg->kernel_cmdline = steal_ptr(c);
	cfg->kernel_format = kind;
	return 0;
}

int config_set_kernel_log(struct krun_config *cfg, bool on,
			  struct krun_err **err)
{
	cfg->kernel_log = on;
	return 0;
}

int config_set_log_level(struct krun_config *cfg, uint32_t level,
			 struct krun_err **err)
{
	if (level > KRUN_LOG_TRACE)
		return krun_err_set(
			err, EINVAL,
			"invalid log level `%u`: must be 0 (off)..5 (trace)",
			level);
	cfg->log_level = level;
	return 0;
}
