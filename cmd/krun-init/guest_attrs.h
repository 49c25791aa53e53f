/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attrs section of the run configuration (lib/guest_abi.h): what
 * krun-init applies to the workload besides its argv, env, user and
 * rlimits. Parsed and validated here; applied by process_attrs.c and
 * oci_mounts.c.
 */
#ifndef KRUN_INIT_GUEST_ATTRS_H
#define KRUN_INIT_GUEST_ATTRS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/guest_abi.h"

struct reader;

struct guest_fsmount {
	uint32_t ms_flags;
	const char *fstype;
	const char *source;
	const char *target;
	const char *data;
};

struct guest_seccomp_arg {
	uint32_t index;
	uint32_t op;
	uint64_t value;
	uint64_t value_two;
};

struct guest_seccomp_rule {
	const char *syscall;
	uint32_t action;
	uint32_t errno_ret;
	uint32_t n_args;
	struct guest_seccomp_arg args[KRUN_GUEST_SCMP_MAX_ARGS];
};

struct guest_attrs {
	uint32_t flags; /* KRUN_GUEST_A_* */
	uint32_t umask;
	const char *user; /* "" = none */
	char **group_add;
	size_t n_group_add;
	const char *domainname; /* "" = leave it */
	uint64_t caps[KRUN_GUEST_CAP_SETS];
	char **sysctls; /* "key=value" */
	size_t n_sysctls;
	struct guest_fsmount *fsmounts;
	size_t n_fsmounts;
	char **masked; /* absolute, no ".." */
	size_t n_masked;
	char **readonly;
	size_t n_readonly;
	uint32_t seccomp_default_action;
	uint32_t seccomp_default_errno;
	char **arches;
	size_t n_arches;
	struct guest_seccomp_rule *rules;
	size_t n_rules;

	/* Filled in the guest after the switch to the new root. */
	gid_t *groups; /* supplementary groups; NULL: leave them empty */
	size_t n_groups;
	char *home; /* the user's home from passwd, or NULL */
};

/* Parse and validate the section (strings point into the reader's body). */
int guest_attrs_parse(struct reader *r, struct guest_attrs *a);
void guest_attrs_free(struct guest_attrs *a);

#endif
