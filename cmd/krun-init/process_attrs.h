/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workload's identity and privileges from the attrs section: a user
 * resolved in the guest root's /etc/passwd and /etc/group, supplementary
 * groups, umask, the five capability sets, no_new_privs and the seccomp
 * filter (init_seccomp.c).
 */
#ifndef KRUN_INIT_PROCESS_ATTRS_H
#define KRUN_INIT_PROCESS_ATTRS_H

#include <stddef.h>

#include "cmd/krun-init/guest_config.h"
#include "util/err.h"

/*
 * Resolve attrs.user and attrs.group_add against the files under `root`
 * ("" for the running root): sets cfg->uid, cfg->gid and
 * KRUN_GUEST_F_SET_USER, attrs.groups and attrs.home. As docker: a known
 * user gets its passwd group and the groups listing it; an unknown number
 * gets gid 0; an unknown name is an error.
 */
int attrs_resolve_user(struct guest_config *cfg, const char *root,
		       struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * In the workload's child, after its rlimits and workdir: umask, groups
 * and ids, capabilities, no_new_privs, seccomp. On failure returns -1 with
 * a one-line reason in msg.
 */
int attrs_apply(const struct guest_config *cfg, char *msg, size_t size);

/*
 * Load the seccomp filter (init_seccomp.c). Returns 0, or -1 with the
 * reason in msg.
 */
int attrs_seccomp_load(const struct guest_attrs *a, char *msg, size_t size);

#endif
