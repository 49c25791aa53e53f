// SPDX-License-Identifier: Apache-2.0
/*
 * Root, disks and virtio-fs shares. File existence is checked when the VM
 * starts, not here: a context may be built before its images exist.
 */
#include "lib/config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config_internal.h"
#include "util/cleanup.h"

/* The root directory travels as this virtio-fs tag (libkrun's convention). */
#define ROOT_FS_TAG "/dev/root"

int config_set_root(struct krun_config *cfg, const char *dir,
		    struct krun_err **err)
{
	int ret = cfg_check_path("root directory", dir, err);

	if (ret < 0)
		return ret;
	return cfg_replace_str(&cfg->root_dir, dir, err);
}

int config_set_root_read_only(struct krun_config *cfg, bool ro,
			      struct krun_err **err)
{
	cfg->root_read_only = ro;
	return 0;
}

int config_set_root_setid(struct krun_config *cfg, bool allow,
			  struct krun_err **err)
{
	(void)err;
	cfg->root_strip_setid = !allow;
	return 0;
}

int config_set_share_setid(struct krun_config *cfg, const char *tag, bool allow,
			   struct krun_err **err)
{
	for (size_t i = 0; tag && i < cfg->n_shares; i++) {
		if (strcmp(cfg->shares[i].tag, tag) == 0) {
			cfg->shares[i].allow_setid = allow;
			return 0;
		}
	}
	return krun_err_set(err, ENOENT, "no virtio-fs share with tag `%s`",
			    tag ? tag : "(null)");
}

int config_parse_fs_cache(const char *text, enum krun_fs_cache *cache,
			  struct krun_err **err)
{
	static const enum krun_fs_cache all[] = {
		KRUN_FS_CACHE_AUTO, KRUN_FS_CACHE_ALWAYS, KRUN_FS_CACHE_NEVER};

	for (size_t i = 0; text && i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(text, config_fs_cache_name(all[i])) == 0) {
			*cache = all[i];
			return 0;
		}
	}
	return krun_err_set(err, EINVAL,
			    "unknown cache policy `%s` (expected auto, always "
			    "or never)",
			    text ? text : "");
}

const char *config_fs_cache_name(enum krun_fs_cache cache)
{
	switch (cache) {
	case KRUN_FS_CACHE_ALWAYS:
		return "always";
	case KRUN_FS_CACHE_NEVER:
		return "never";
	case KRUN_FS_CACHE_AUTO:
		return "auto";
	}
	return "auto";
}

static bool fs_cache_valid(enum krun_fs_cache cache)
{
	return cache == KRUN_FS_CACHE_AUTO || cache == KRUN_FS_CACHE_ALWAYS ||
	       cache == KRUN_FS_CACHE_NEVER;
}

int config_set_root_cache(struct krun_config *cfg, enum krun_fs_cache cache,
			  struct krun_err **err)
{
	if (!fs_cache_valid(cache))
		return krun_err_set(err, EINVAL, "unknown cache policy %d",
				    (int)cache);
	cfg->root_cache = cache;
	return 0;
}

int config_set_share_cache(struct krun_config *cfg, const char *tag,
			   enum krun_fs_cache cache, struct krun_err **err)
{
	if (!fs_cache_valid(cache))
		return krun_err_set(err, EINVAL, "unknown cache policy %d",
				    (int)cache);
	for (size_t i = 0; tag && i < cfg->n_shares; i++) {
		if (strcmp(cfg->shares[i].tag, tag) == 0) {
			cfg->shares[i].cache = cache;
			return 0;
		}
	}
	return krun_err_set(err, ENOENT, "no virtio-fs share with tag `%s`",
			    tag ? tag : "(null)");
}

static int claim_disk_api(const struct krun_config *cfg,
			  enum krun_disk_api want, struct krun_err **err)
{
	if (cfg->disk_api != KRUN_DISK_API_UNSET && cfg->disk_api != want)
		return krun_err_set(
			err, EINVAL,
			want == KRUN_DISK_API_LEGACY
				? "cannot set a root/data disk: disks were already added with krun_add_disk; the two APIs are mutually exclusive"
				: "cannot add a disk: a root/data disk was already set with krun_set_root_disk/krun_set_data_disk; the two APIs are mutually exclusive");
	return 0;
}

static int set_legacy_disk(struct krun_config *cfg, char **slot,
			   const char *what, const char *path,
			   struct krun_err **err)
{
	int ret = cfg_check_path(what, path, err);

	if (ret < 0)
		return ret;
	ret = claim_disk_api(cfg, KRUN_DISK_API_LEGACY, err);
	if (ret < 0)
		return ret;
	ret = cfg_replace_str(slot, path, err);
	if (ret < 0)
		return ret;
	cfg->disk_api = KRUN_DISK_API_LEGACY;
	return 0;
}

int config_set_legacy_root_disk(struct krun_config *cfg, const char *path,
				struct krun_err **err)
{
	return set_legacy_disk(cfg, &cfg->legacy_root_disk, "root disk", path,
			       err);
}

int config_set_legacy_data_disk(struct krun_config *cfg, const char *path,
				struct krun_err **err)
{
	return set_legacy_disk(cfg, &cfg->legacy_data_disk, "data disk", path,
			       err);
}

const struct krun_disk *cfg_find_disk(const struct krun_config *cfg,
				      const char *block_id)
{
	for (size_t i = 0; i < cfg->n_disks; i++)
		if (!strcmp(cfg->disks[i].block_id, block_id))
			return &cfg->disks[i];
	return NULL;
}

/* Ids show up in /dev/disk/by-id and on the init's command line. */
static int check_block_id(const char *id, struct krun_err **err)
{
	if (!id)
		return krun_err_set(err, EINVAL, "disk: no block id given");
	if (!*id)
		return krun_err_set(err, EINVAL, "empty disk block id");
	if (strlen(id) > KRUN_MAX_BLOCK_ID_LEN)
		return krun_err_set(
			err, EINVAL,
			"invalid block id `%s`: longer than %d bytes", id,
			KRUN_MAX_BLOCK_ID_LEN);
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return krun_err_set(
				err, EINVAL,
				"invalid block id `%s`: only letters, digits, `.`, `_` and `-` are allowed",
				id);
	return 0;
}

static int check_new_disk(const struct krun_config *cfg, const char *block_id,
			  const char *path, uint32_t format,
			  struct krun_err **err)
{
	int ret = check_block_id(block_id, err);

	if (ret < 0)
		return ret;
	ret = cfg_check_path("disk image", path, err);
	if (ret < 0)
		return ret;
	if (format != KRUN_FORMAT_RAW && format != KRUN_FORMAT_QCOW2)
		return krun_err_set(
			err, EINVAL,
			"invalid disk format `%u` for disk `%s`: must be 0 (raw) or 1 (qcow2)",
			format, block_id);
	ret = claim_disk_api(cfg, KRUN_DISK_API_MODERN, err);
	if (ret < 0)
		return ret;
	if (cfg_find_disk(cfg, block_id))
		return krun_err_set(
			err, EEXIST,
			"duplicate block id `%s`: a disk with this id was already added",
			block_id);
	return 0;
}

int config_add_disk(struct krun_config *cfg, const char *block_id,
		    const char *path, uint32_t format, bool read_only,
		    struct krun_err **err)
{
	cleanup_free char *id_copy = NULL;
	cleanup_free char *path_copy = NULL;
	struct krun_disk *disk;
	int ret = check_new_disk(cfg, block_id, path, format, err);

	if (ret < 0)
		return ret;
	if ((ret = cfg_strdup(block_id, &id_copy, err)) < 0 ||
	    (ret = cfg_strdup(path, &path_copy, err)) < 0 ||
	    (ret = cfg_grow((void **)&cfg->disks, cfg->n_disks,
			    sizeof(*cfg->disks), err)) < 0)
		return ret;
	disk = &cfg->disks[cfg->n_disks++];
	disk->block_id = steal_ptr(id_copy);
	disk->path = steal_ptr(path_copy);
	disk->format = format;
	disk->read_only = read_only;
	disk->sync_mode = KRUN_DISK_SYNC_FULL;
	cfg->disk_api = KRUN_DISK_API_MODERN;
	return 0;
}

int config_set_root_disk_id(struct krun_config *cfg, const char *block_id,
			    struct krun_err **err)
{
	if (!block_id)
		return krun_err_set(err, EINVAL,
				    "root disk: no block id given");
	if (!cfg_find_disk(cfg, block_id))
		return krun_err_set(
			err, ENOENT,
			"cannot boot from disk `%s`: no disk with this block id was added",
			block_id);
	return cfg_replace_str(&cfg->root_disk_id, block_id, err);
}

int config_set_root_partition(struct krun_config *cfg, uint32_t n,
			      struct krun_err **err)
{
	if (n > KRUN_MAX_ROOT_PARTITION)
		return krun_err_set(
			err, EINVAL,
			"invalid root partition `%u`: must be 1 to %d (0: the whole disk)",
			n, KRUN_MAX_ROOT_PARTITION);
	cfg->root_partition = n;
	return 0;
}

const struct krun_share *cfg_find_share(const struct krun_config *cfg,
					const char *tag)
{
	for (size_t i = 0; i < cfg->n_shares; i++)
		if (!strcmp(cfg->shares[i].tag, tag))
			return &cfg->shares[i];
	return NULL;
}

static int check_tag(const char *tag, struct krun_err **err)
{
	if (!tag)
		return krun_err_set(err, EINVAL,
				    "virtio-fs share: no tag given");
	if (!*tag)
		return krun_err_set(err, EINVAL, "empty virtio-fs tag");
	if (strlen(tag) > KRUN_MAX_TAG_LEN)
		return krun_err_set(
			err, EINVAL,
			"invalid virtio-fs tag `%s`: longer than %d bytes", tag,
			KRUN_MAX_TAG_LEN);
	for (const char *p = tag; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-/", *p))
			return krun_err_set(
				err, EINVAL,
				"invalid virtio-fs tag `%s`: only letters, digits, `.`, `_`, `-` and `/` are allowed",
				tag);
	if (!strcmp(tag, ROOT_FS_TAG))
		return krun_err_set(
			err, EINVAL,
			"invalid virtio-fs tag `%s`: reserved for the root directory",
			tag);
	return 0;
}

static int check_guest_path(const struct krun_config *cfg, const char *tag,
			    const char *guest_path, struct krun_err **err)
{
	if (!guest_path)
		return 0;
	if (guest_path[0] != '/')
		return krun_err_set(
			err, EINVAL,
			"invalid guest path `%s` for share `%s`: must be absolute",
			guest_path, tag);
	if (!strcmp(guest_path, "/"))
		return krun_err_set(
			err, EINVAL,
			"invalid guest path `/` for share `%s`: cannot mount over the root",
			tag);
	for (size_t i = 0; i < cfg->n_shares; i++) {
		const char *other = cfg->shares[i].guest_path;

		if (other && !strcmp(other, guest_path))
			return krun_err_set(
				err, EEXIST,
				"duplicate guest path `%s`: share `%s` is already mounted there",
				guest_path, cfg->shares[i].tag);
	}
	return 0;
}

static int check_new_share(const struct krun_config *cfg, const char *tag,
			   const char *host_path, const char *guest_path,
			   struct krun_err **err)
{
	int ret = check_tag(tag, err);

	if (ret < 0)
		return ret;
	ret = cfg_check_path("shared directory", host_path, err);
	if (ret < 0)
		return ret;
	if (cfg_find_share(cfg, tag))
		return krun_err_set(
			err, EEXIST,
			"duplicate virtio-fs tag `%s`: a share with this tag was already added",
			tag);
	return check_guest_path(cfg, tag, guest_path, err);
}

int config_add_share(struct krun_config *cfg, const char *tag,
		     const char *host_path, const char *guest_path,
		     bool read_only, uint64_t shm_size, struct krun_err **err)
{
	cleanup_free char *tag_copy = NULL;
	cleanup_free char *host_copy = NULL;
	cleanup_free char *guest_copy = NULL;
	struct krun_share *share;
	int ret = check_new_share(cfg, tag, host_path, guest_path, err);

	if (ret == 0)
		ret = cfg_check_dax_size(shm_size, err);
	if (ret < 0)
		return ret;
	if ((ret = cfg_strdup(tag, &tag_copy, err)) < 0 ||
	    (ret = cfg_strdup(host_path, &host_copy, err)) < 0 ||
	    (guest_path &&
	     (ret = cfg_strdup(guest_path, &guest_copy, err)) < 0) ||
	    (ret = cfg_grow((void **)&cfg->shares, cfg->n_shares,
			    sizeof(*cfg->shares), err)) < 0)
		return ret;
	share = &cfg->shares[cfg->n_shares++];
	share->tag = steal_ptr(tag_copy);
	share->host_path = steal_ptr(host_copy);
	share->guest_path = steal_ptr(guest_copy);
	share->read_only = read_only;
	share->shm_size = shm_size;
	return 0;
}

int config_set_mapped_volumes(struct krun_config *cfg,
			      const char *const volumes[],
			      struct krun_err **err)
{
	return krun_err_set(
		err, EINVAL,
		"mapped volumes are no longer supported: add a virtio-fs share (krun_add_virtiofs) instead");
}
