/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-run initramfs: a cpio archive holding /init (the embedded static
 * krun-init) and KRUN_GUEST_CONFIG_PATH, the run configuration in the wire
 * format of lib/guest_abi.h. Built in memory for each run; the VMM loads
 * it and points boot_params at it.
 */
#ifndef KRUN_LIB_INITRAMFS_H
#define KRUN_LIB_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/config/config.h"
#include "lib/guest_abi.h"
#include "util/err.h"

/* One filesystem for init to mount. */
struct initramfs_mount {
	enum krun_guest_mount_kind kind;
	const char *source;  /* tag, device node or virtio-blk serial */
	const char *target;  /* guest path; ignored for the root */
	const char *fstype;  /* NULL: "virtiofs", or probed for block */
	const char *options; /* mount data, NULL: none */
	bool read_only;
};

/* What only the VMM knows: how it attached the root and volumes. */
struct initramfs_params {
	struct initramfs_mount root;
	/* Mounted after cfg's shares that have a guest path. */
	const struct initramfs_mount *mounts;
	size_t n_mounts;
	uint32_t shutdown_grace_ms; /* 0: KRUN_GUEST_DEFAULT_GRACE_MS */
	/* Init's stdio is /dev/hvc0 as a tty (KRUN_GUEST_F_TERMINAL): the
	 * console device's mode, which the VMM picks by isatty(). The
	 * defaults take cfg->terminal. */
	bool terminal;
	/* Storage for root.source when the root is a partition. */
	char root_dev[24];
	/* A network device is attached (KRUN_GUEST_F_NETWORK). */
	bool network;
};

/*
 * Fill params for the usual wiring: a root directory is the virtio-fs share
 * KRUN_ROOT_TAG; a root disk chosen by block id is found by its virtio-blk
 * serial; a legacy root disk is the first virtio-blk device (/dev/vda).
 * A root partition N is /dev/vdaN: the root disk is always attached first.
 * Strings point into cfg, or into params itself (root_dev).
 */
int initramfs_default_params(const struct krun_config *cfg,
			     struct initramfs_params *params,
			     struct krun_err **err)
	__attribute__((warn_unused_result));

/* Serialise the run configuration (the KRUN_GUEST_CONFIG_PATH member). */
int initramfs_encode_config(const struct krun_config *cfg,
			    const struct initramfs_params *params, void **buf,
			    size_t *len, struct krun_err **err)
	__attribute__((warn_unused_result));

/* Build the archive around a given init binary (tests pass their own). */
int initramfs_build_with_init(const struct krun_config *cfg,
			      const struct initramfs_params *params,
			      const void *init, size_t init_len, void **buf,
			      size_t *len, struct krun_err **err)
	__attribute__((warn_unused_result));

/* Whether this build embeds krun-init (-Dsanitize=true builds do not). */
bool initramfs_have_init(void);

/*
 * Build the archive around the embedded krun-init; *buf is malloc'ed.
 * Fails with ENOTSUP ("this build has no guest init") when there is none.
 */
int initramfs_build(const struct krun_config *cfg,
		    const struct initramfs_params *params, void **buf,
		    size_t *len, struct krun_err **err)
	__attribute__((warn_unused_result));

#endif
