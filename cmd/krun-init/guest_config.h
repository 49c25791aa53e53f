/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parser for the run configuration the VMM puts at KRUN_GUEST_CONFIG_PATH
 * (wire format in lib/guest_abi.h). Compiled into krun-init and into the
 * unit tests, which feed it both the host encoder's output and garbage.
 */
#ifndef KRUN_INIT_GUEST_CONFIG_H
#define KRUN_INIT_GUEST_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/krun-init/guest_attrs.h"
#include "util/err.h"

struct guest_mount {
	uint32_t kind;	/* enum krun_guest_mount_kind */
	uint32_t flags; /* KRUN_GUEST_MOUNT_F_* */
	const char *source;
	const char *target;
	const char *fstype;  /* "" for block: probe */
	const char *options; /* "" for none */
};

struct guest_rlimit {
	uint32_t resource;
	uint64_t cur;
	uint64_t max;
};

struct guest_config {
	uint32_t flags; /* KRUN_GUEST_F_* */
	uint32_t uid;
	uint32_t gid;
	uint32_t shutdown_grace_ms;
	const char *hostname; /* "" = leave it */
	const char *workdir;  /* "" = "/" */
	char **argv;	      /* argc entries + NULL */
	size_t argc;
	char **envp; /* envc entries + NULL */
	size_t envc;
	struct guest_rlimit *rlimits;
	size_t n_rlimits;
	struct guest_mount root;
	struct guest_mount *mounts;
	size_t n_mounts;
	struct guest_attrs attrs; /* the attrs section */
	char *storage; /* copy of the input; every string points into it */
};

/* Parse and validate; on success *out is owned by the caller. */
int guest_config_parse(const void *buf, size_t len, struct guest_config **out,
		       struct krun_err **err)
	__attribute__((warn_unused_result));
void guest_config_free(struct guest_config *cfg);

#endif
