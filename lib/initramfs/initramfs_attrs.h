/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attrs section of the run configuration (lib/guest_abi.h): process
 * attributes, guest filesystems, sysctls and the seccomp policy.
 */
#ifndef KRUN_LIB_INITRAMFS_ATTRS_H
#define KRUN_LIB_INITRAMFS_ATTRS_H

#include "lib/config/config.h"
#include "lib/initramfs/bytebuf.h"

/* A wire-format string (u32 length, bytes, NUL) from initramfs.c; too
 * long a string is recorded in b->error. */
void initramfs_put_str(struct bytebuf *b, const char *s);

/* Append the section; a failure is recorded in b->error. */
void initramfs_put_attrs(struct bytebuf *b, const struct krun_config *cfg);

#endif
