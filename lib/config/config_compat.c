// SPDX-License-Identifier: Apache-2.0
/*
 * Settings that exist for libkrun's API: flush modes, the add_net_*
 * backends, the implicit-device switches, the console fds, the VMM's ids
 * and the remounted root disk. Each setter either makes the setting take
 * effect when the VM starts or refuses it; what is only recorded (the
 * network offloads) is named by config_warn_recorded() at start.
 */
#include "lib/config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config_internal.h"
#include "util/log.h"

int config_add_disk_sync(struct krun_config *cfg, const char *block_id,
			 const char *path, uint32_t format, bool read_only,
			 uint32_t sync_mode, struct krun_err **err)
{
	int ret;

	if (sync_mode > KRUN_DISK_SYNC_FULL)
		return krun_err_set(
			err, EINVAL,
			"invalid sync mode `%u`: must be 0 (none), 1 (relaxed) or 2 (full)",
			sync_mode);
	ret = config_add_disk(cfg, block_id, path, format, read_only, err);
	if (ret < 0)
		return ret;
	cfg->disks[cfg->n_disks - 1].sync_mode = sync_mode;
	return 0;
}

/* One virtio-net device per VM: a second add_net_* is refused. */
static int claim_net(const struct krun_config *cfg, enum krun_net_mode want,
		     struct krun_err **err)
{
	if (cfg->net_mode != KRUN_NET_DEFAULT)
		return krun_err_set(
			err, ENOTSUP,
			"cannot add a network interface: one is already configured and this build has one virtio-net device per VM");
	return cfg_claim_net_mode(cfg, want, err);
}

/* Exactly one of path and fd; the fd must be open. */
static int check_peer(const char *what, const char *path, int fd,
		      struct krun_err **err)
{
	if ((path != NULL) == (fd >= 0))
		return krun_err_set(
			err, EINVAL,
			"%s network: give either a socket path or an fd (not -1), exactly one",
			what);
	if (path)
		return cfg_check_path("network socket", path, err);
	if (fcntl(fd, F_GETFD) < 0)
		return krun_err_set(
			err, EBADF,
			"%s network: fd `%d` is not an open file descriptor",
			what, fd);
	return 0;
}

int config_set_net_stream(struct krun_config *cfg, const char *path, int fd,
			  struct krun_err **err)
{
	enum krun_net_mode mode =
		path ? KRUN_NET_STREAM_PATH : KRUN_NET_PASST_FD;
	int ret = check_peer("unixstream", path, fd, err);

	if (ret == 0)
		ret = claim_net(cfg, mode, err);
	if (ret == 0 && path)
		ret = cfg_replace_str(&cfg->gvproxy_path, path, err);
	if (ret < 0)
		return ret;
	cfg->net_mode = mode;
	if (!path)
		cfg->passt_fd = fd;
	return 0;
}

int config_set_net_dgram(struct krun_config *cfg, const char *path, int fd,
			 bool vfkit, struct krun_err **err)
{
	enum krun_net_mode mode = path ? KRUN_NET_GVPROXY : KRUN_NET_DGRAM_FD;
	int ret = check_peer("unixgram", path, fd, err);

	if (ret == 0)
		ret = claim_net(cfg, mode, err);
	if (ret == 0 && path)
		ret = cfg_replace_str(&cfg->gvproxy_path, path, err);
	if (ret < 0)
		return ret;
	cfg->net_mode = mode;
	cfg->net_vfkit = vfkit;
	if (!path)
		cfg->passt_fd = fd;
	return 0;
}

int config_set_nested_virt(struct krun_config *cfg, bool on,
			   struct krun_err **err)
{
	cfg->nested_virt = on;
	return 0;
}

int config_disable_implicit_console(struct krun_config *cfg,
				    struct krun_err **err)
{
	cfg->no_implicit_console = true;
	return 0;
}

int config_set_console_fds(struct krun_config *cfg, int in, int out, int errfd,
			   struct krun_err **err)
{
	const int fds[3] = {in, out, errfd};

	if (cfg->console_fds_set)
		return krun_err_set(
			err, ENOTSUP,
			"cannot add a second virtio-console: this build has one console device per VM");
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && fcntl(fds[i], F_GETFD) < 0)
			return krun_err_set(
				err, EBADF,
				"console: fd `%d` is not an open file descriptor",
				fds[i]);
	memcpy(cfg->console_fds, fds, sizeof(fds));
	cfg->console_fds_set = true;
	return 0;
}

int config_disable_implicit_vsock(struct krun_config *cfg,
				  struct krun_err **err)
{
	cfg->no_implicit_vsock = true;
	cfg->explicit_vsock = false;
	return 0;
}

/* libkrun's TSI bits: hijack AF_INET (bit 0) and AF_UNIX (bit 1). */
#define TSI_KNOWN_BITS 0x3u

int config_add_explicit_vsock(struct krun_config *cfg, uint32_t tsi_features,
			      struct krun_err **err)
{
	if (tsi_features & ~TSI_KNOWN_BITS)
		return krun_err_set(err, EINVAL,
				    "invalid TSI features `%#x`: unknown bits",
				    tsi_features);
	if (!cfg->no_implicit_vsock || cfg->explicit_vsock)
		return krun_err_set(
			err, EEXIST, "cannot add a vsock device: %s",
			cfg->explicit_vsock
				? "one was already added"
				: "the implicit one exists (call krun_disable_implicit_vsock first)");
	if (tsi_features)
		return krun_err_set(
			err, ENOTSUP,
			"TSI socket hijacking (features `%#x`) is not available in this build: use 0 and a network interface",
			tsi_features);
	cfg->explicit_vsock = true;
	return 0;
}

int config_set_vmm_ids(struct krun_config *cfg, bool set_uid, uint32_t uid,
		       bool set_gid, uint32_t gid, struct krun_err **err)
{
	if (set_uid) {
		cfg->vmm_uid_set = true;
		cfg->vmm_uid = uid;
	}
	if (set_gid) {
		cfg->vmm_gid_set = true;
		cfg->vmm_gid = gid;
	}
	return 0;
}

int config_set_kernel_console(struct krun_config *cfg, const char *id,
			      struct krun_err **err)
{
	if (!id)
		return krun_err_set(err, EINVAL, "kernel console: none given");
	if (strcmp(id, "ttyS0"))
		return krun_err_set(
			err, ENOTSUP,
			"kernel console `%s` is not available: this build offers `ttyS0` (COM1, to stderr)",
			id);
	return config_set_kernel_log(cfg, true, err);
}

/* "/dev/vdX[N]" to (disk index, partition); false when malformed. */
static bool parse_vd(const char *dev, size_t *index, uint32_t *part)
{
	uint64_t n = 0;

	if (strncmp(dev, "/dev/vd", 7) || dev[7] < 'a' || dev[7] > 'z')
		return false;
	*index = (size_t)(dev[7] - 'a');
	if (dev[8] &&
	    (!cfg_parse_u64(dev + 8, SIZE_MAX, KRUN_MAX_ROOT_PARTITION, &n) ||
	     n == 0))
		return false;
	*part = (uint32_t)n;
	return true;
}

int config_set_root_disk_remount(struct krun_config *cfg, const char *device,
				 const char *fstype, const char *options,
				 struct krun_err **err)
{
	size_t index;
	uint32_t part = 0;
	bool ro = false;
	int ret;

	if (!device)
		return krun_err_set(err, EINVAL,
				    "root disk device: none given");
	if (!parse_vd(device, &index, &part))
		return krun_err_set(
			err, EINVAL,
			"invalid root disk device `%s`: expected /dev/vdX or /dev/vdXN",
			device);
	if (cfg->root_dir)
		return krun_err_set(
			err, EINVAL,
			"cannot boot from `%s`: a root directory (`%s`) is already set",
			device, cfg->root_dir);
	if (cfg->disk_api != KRUN_DISK_API_MODERN || index >= cfg->n_disks)
		return krun_err_set(
			err, EINVAL,
			"cannot boot from `%s`: no such disk was added with krun_add_disk*",
			device);
	/* The guest init probes the filesystem type of the root disk, so a
	 * named type is not passed on: the same filesystem gets mounted. */
	(void)fstype;
	if (options && *options && strcmp(options, "rw")) {
		if (strcmp(options, "ro"))
			return krun_err_set(
				err, ENOTSUP,
				"root mount options `%s` are not supported: use NULL, \"rw\" or \"ro\"",
				options);
		ro = true;
	}
	ret = config_set_root_disk_id(cfg, cfg->disks[index].block_id, err);
	if (ret == 0)
		ret = config_set_root_partition(cfg, part, err);
	if (ret == 0)
		cfg->root_read_only = ro;
	return ret;
}

/* Shown unless logging is off: the run goes on without the feature. */
#define WARN_RECORDED(...)                                                \
	do {                                                              \
		if (krun_log_get_level() >= KRUN_LOG_ERROR)               \
			krun_log_write(KRUN_LOG_WARN, NULL, __VA_ARGS__); \
	} while (0)

void config_warn_recorded(const struct krun_config *cfg)
{
	if (cfg->net_features)
		WARN_RECORDED(
			"virtio-net offloads %#x were asked for but are not offered: frames carry full checksums",
			cfg->net_features);
}
