// SPDX-License-Identifier: Apache-2.0
#include "lib/initramfs/initramfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/initramfs/bytebuf.h"
#include "lib/initramfs/cpio.h"
#include "lib/initramfs/initramfs_attrs.h"
#include "util/cleanup.h"

/* The static krun-init, linked in by the build (empty when not built). */
extern const unsigned char krun_init_blob[];
extern const size_t krun_init_blob_size;

#define CONSOLE_MAJOR 5
#define CONSOLE_MINOR 1

void initramfs_put_str(struct bytebuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= KRUN_GUEST_CONFIG_MAX_LEN) {
		if (!b->error)
			b->error = E2BIG;
		return;
	}
	bytebuf_put_u32le(b, (uint32_t)n);
	bytebuf_put(b, s, n);
	bytebuf_put_zeros(b, 1);
}

static void put_mount(struct bytebuf *b, const struct initramfs_mount *m,
		      const char *target)
{
	const char *fstype = m->fstype;

	if (!fstype)
		fstype = m->kind == KRUN_GUEST_MOUNT_VIRTIOFS ? "virtiofs" : "";
	bytebuf_put_u32le(b, m->kind);
	bytebuf_put_u32le(b, m->read_only ? KRUN_GUEST_MOUNT_F_RO : 0);
	initramfs_put_str(b, m->source);
	initramfs_put_str(b, target);
	initramfs_put_str(b, fstype);
	initramfs_put_str(b, m->options);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static size_t shares_mounted(const struct krun_config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_shares; i++)
		n += cfg->shares[i].guest_path != NULL;
	return n;
}

static int check_mount(const struct initramfs_mount *m, bool is_root,
		       struct krun_err **err)
{
	const char *what = is_root ? "the root" : m->target;

	if (m->kind < KRUN_GUEST_MOUNT_VIRTIOFS ||
	    m->kind > KRUN_GUEST_MOUNT_BLOCK_ID)
		return krun_err_set(
			err, EINVAL,
			"cannot mount `%s` in the guest: unknown kind %d",
			what ? what : "", (int)m->kind);
	if (!m->source || !*m->source)
		return krun_err_set(err, EINVAL,
				    "cannot mount `%s` in the guest: no source",
				    what ? what : "");
	if (!is_root && (!m->target || m->target[0] != '/'))
		return krun_err_set(
			err, EINVAL,
			"cannot mount `%s` in the guest: the target must be an absolute path",
			m->target ? m->target : "");
	return 0;
}

static int check_counts(const struct krun_config *cfg,
			const struct initramfs_params *params,
			struct krun_err **err)
{
	size_t argc = 1 + strv_len(cfg->argv);
	size_t envc = strv_len(cfg->envp);
	size_t mounts = shares_mounted(cfg) + params->n_mounts;
	int ret;

	if (!cfg->exec_path || !*cfg->exec_path)
		return krun_err_set(
			err, EINVAL,
			"cannot build the guest config: no executable is set");
	if (argc > KRUN_GUEST_CONFIG_MAX_COUNT ||
	    envc > KRUN_GUEST_CONFIG_MAX_COUNT ||
	    cfg->n_rlimits > KRUN_GUEST_CONFIG_MAX_COUNT ||
	    mounts > KRUN_GUEST_CONFIG_MAX_COUNT)
		return krun_err_set(
			err, E2BIG,
			"cannot build the guest config: more than %u arguments, variables, rlimits or mounts",
			KRUN_GUEST_CONFIG_MAX_COUNT);
	ret = check_mount(&params->root, true, err);
	for (size_t i = 0; ret == 0 && i < params->n_mounts; i++)
		ret = check_mount(&params->mounts[i], false, err);
	return ret;
}

static void put_process(struct bytebuf *b, const struct krun_config *cfg)
{
	size_t argc = strv_len(cfg->argv);
	size_t envc = strv_len(cfg->envp);

	initramfs_put_str(b, cfg->hostname);
	initramfs_put_str(b, cfg->workdir);
	bytebuf_put_u32le(b, (uint32_t)(argc + 1));
	initramfs_put_str(b, cfg->exec_path);
	for (size_t i = 0; i < argc; i++)
		initramfs_put_str(b, cfg->argv[i]);
	bytebuf_put_u32le(b, (uint32_t)envc);
	for (size_t i = 0; i < envc; i++)
		initramfs_put_str(b, cfg->envp[i]);
	bytebuf_put_u32le(b, (uint32_t)cfg->n_rlimits);
	for (size_t i = 0; i < cfg->n_rlimits; i++) {
		bytebuf_put_u32le(b, (uint32_t)cfg->rlimits[i].resource);
		bytebuf_put_u64le(b, cfg->rlimits[i].cur);
		bytebuf_put_u64le(b, cfg->rlimits[i].max);
	}
}

static void put_mounts(struct bytebuf *b, const struct krun_config *cfg,
		       const struct initramfs_params *params)
{
	put_mount(b, &params->root, "/");
	bytebuf_put_u32le(b,
			  (uint32_t)(shares_mounted(cfg) + params->n_mounts));
	for (size_t i = 0; i < cfg->n_shares; i++) {
		const struct krun_share *s = &cfg->shares[i];
		struct initramfs_mount m = {
			.kind = KRUN_GUEST_MOUNT_VIRTIOFS,
			.source = s->tag,
			.options = s->shm_size ? KRUN_GUEST_DAX_OPTIONS : NULL,
			.read_only = s->read_only,
		};

		if (s->guest_path)
			put_mount(b, &m, s->guest_path);
	}
	for (size_t i = 0; i < params->n_mounts; i++)
		put_mount(b, &params->mounts[i], params->mounts[i].target);
}

static uint32_t config_flags(const struct krun_config *cfg,
			     const struct initramfs_params *params)
{
	return (params->terminal ? KRUN_GUEST_F_TERMINAL : 0) |
	       (cfg->kernel_log ? KRUN_GUEST_F_KERNEL_LOG : 0) |
	       (cfg->has_user ? KRUN_GUEST_F_SET_USER : 0) |
	       (params->network ? KRUN_GUEST_F_NETWORK : 0);
}

int initramfs_encode_config(const struct krun_config *cfg,
			    const struct initramfs_params *params, void **buf,
			    size_t *len, struct krun_err **err)
{
	struct bytebuf b = BYTEBUF_INIT;
	uint32_t grace = params->shutdown_grace_ms;
	int ret = check_counts(cfg, params, err);

	if (ret < 0)
		return ret;
	bytebuf_put(&b, KRUN_GUEST_CONFIG_MAGIC, KRUN_GUEST_CONFIG_MAGIC_LEN);
	bytebuf_put_u32le(&b, KRUN_GUEST_CONFIG_VERSION);
	bytebuf_put_u32le(&b, 0); /* body_len, patched below */
	bytebuf_put_u32le(&b, config_flags(cfg, params));
	bytebuf_put_u32le(&b, cfg->has_user ? cfg->uid : 0);
	bytebuf_put_u32le(&b, cfg->has_user ? cfg->gid : 0);
	bytebuf_put_u32le(&b, grace ? grace : KRUN_GUEST_DEFAULT_GRACE_MS);
	put_process(&b, cfg);
	put_mounts(&b, cfg, params);
	initramfs_put_attrs(&b, cfg);
	if (!b.error && b.len > KRUN_GUEST_CONFIG_MAX_LEN)
		b.error = E2BIG;
	bytebuf_patch_u32le(&b, KRUN_GUEST_CONFIG_MAGIC_LEN + 4,
			    (uint32_t)(b.len - KRUN_GUEST_CONFIG_HEADER_LEN));
	if (b.error) {
		ret = krun_err_set_errno(
			err, b.error,
			"cannot build the guest config (limit %u bytes)",
			KRUN_GUEST_CONFIG_MAX_LEN);
		bytebuf_release(&b);
		return ret;
	}
	*buf = bytebuf_steal(&b, len);
	return 0;
}

static const struct krun_disk *find_disk(const struct krun_config *cfg,
					 const char *block_id)
{
	for (size_t i = 0; i < cfg->n_disks; i++)
		if (cfg->disks[i].block_id &&
		    strcmp(cfg->disks[i].block_id, block_id) == 0)
			return &cfg->disks[i];
	return NULL;
}

int initramfs_default_params(const struct krun_config *cfg,
			     struct initramfs_params *params,
			     struct krun_err **err)
{
	struct initramfs_mount *root = &params->root;

	*params = (struct initramfs_params){.terminal = cfg->terminal};
	root->read_only = cfg->root_read_only;
	if (cfg->root_dir) {
		root->kind = KRUN_GUEST_MOUNT_VIRTIOFS;
		root->source = KRUN_ROOT_TAG;
		if (cfg->root_shm_size)
			root->options = KRUN_GUEST_DAX_OPTIONS;
	} else if (cfg->root_disk_id) {
		const struct krun_disk *d = find_disk(cfg, cfg->root_disk_id);

		if (!d)
			return krun_err_set(
				err, ENOENT,
				"cannot boot from disk `%s`: no disk has that block id",
				cfg->root_disk_id);
		root->kind = KRUN_GUEST_MOUNT_BLOCK_ID;
		root->source = d->block_id;
		root->read_only |= d->read_only;
	} else if (cfg->legacy_root_disk) {
		root->kind = KRUN_GUEST_MOUNT_BLOCK_PATH;
		root->source = "/dev/vda";
	} else {
		return krun_err_set(
			err, EINVAL,
			"cannot start the guest: no root directory or root disk is set");
	}
	if (cfg->root_partition && !cfg->root_dir) {
		/* The root disk is the first virtio-blk device. */
		snprintf(params->root_dev, sizeof(params->root_dev),
			 "/dev/vda%u", cfg->root_partition);
		root->kind = KRUN_GUEST_MOUNT_BLOCK_PATH;
		root->source = params->root_dev;
	}
	return 0;
}

static int add_skeleton(struct cpio_writer *w, struct krun_err **err)
{
	int ret = cpio_add_dir(w, "dev", 0755, err);

	/* The kernel opens /dev/console for init's stdio before /init runs. */
	if (ret == 0)
		ret = cpio_add_chardev(w, "dev/console", 0600, CONSOLE_MAJOR,
				       CONSOLE_MINOR, err);
	if (ret == 0)
		ret = cpio_add_dir(w, "proc", 0555, err);
	if (ret == 0)
		ret = cpio_add_dir(w, "sys", 0555, err);
	if (ret == 0)
		ret = cpio_add_dir(w, "tmp", 01777, err);
	if (ret == 0)
		ret = cpio_add_dir(w, "krun", 0700, err);
	return ret;
}

int initramfs_build_with_init(const struct krun_config *cfg,
			      const struct initramfs_params *params,
			      const void *init, size_t init_len, void **buf,
			      size_t *len, struct krun_err **err)
{
	cleanup_free void *config = NULL;
	struct cpio_writer w;
	size_t config_len = 0;
	int ret;

	ret = initramfs_encode_config(cfg, params, &config, &config_len, err);
	if (ret < 0)
		return ret;
	cpio_init(&w);
	ret = add_skeleton(&w, err);
	if (ret == 0)
		ret = cpio_add_file(&w, KRUN_GUEST_CONFIG_PATH + 1, 0400,
				    config, config_len, err);
	if (ret == 0)
		ret = cpio_add_file(&w, "init", 0755, init, init_len, err);
	if (ret == 0)
		ret = cpio_finish(&w, buf, len, err);
	cpio_release(&w);
	return ret;
}

bool initramfs_have_init(void)
{
	return krun_init_blob_size > 0;
}

int initramfs_build(const struct krun_config *cfg,
		    const struct initramfs_params *params, void **buf,
		    size_t *len, struct krun_err **err)
{
	if (!initramfs_have_init())
		return krun_err_set(
			err, ENOTSUP,
			"cannot start the guest: this build has no guest init (krun-init is not built with -Dsanitize=true)");
	return initramfs_build_with_init(cfg, params, krun_init_blob,
					 krun_init_blob_size, buf, len, err);
}
