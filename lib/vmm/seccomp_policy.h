/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMM's seccomp allow-lists, one per thread role (docs/seccomp.md
 * mirrors them; a unit test compares the two). Every role also gets the
 * common list and mmap/mprotect without PROT_EXEC. The launcher's filter
 * is the union of every role's list and its own: the threads it starts
 * inherit its filter and then install their role's.
 */
#ifndef KRUN_LIB_VMM_SECCOMP_POLICY_H
#define KRUN_LIB_VMM_SECCOMP_POLICY_H

#include <stddef.h>

struct seccomp_ioctl {
	unsigned long request;
	const char *name;
};

struct seccomp_role {
	const char *name;
	const char *const *syscalls;	    /* NULL-terminated */
	const struct seccomp_ioctl *ioctls; /* ends with a NULL name */
};

/* The roles; the common list is the one named "common", the launcher's
 * own additions the one named "launcher". */
const struct seccomp_role *seccomp_policy_roles(size_t *n);
/* The role called name, or NULL. */
const struct seccomp_role *seccomp_policy_find(const char *name);

#endif
