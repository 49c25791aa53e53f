/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writer for cpio "newc" archives, the format the kernel unpacks as an
 * initramfs. Members are written in order; names are relative ("init",
 * "krun/config"), parents must be added before their children.
 */
#ifndef KRUN_LIB_CPIO_H
#define KRUN_LIB_CPIO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/initramfs/bytebuf.h"
#include "util/err.h"

struct cpio_writer {
	struct bytebuf out;
	uint32_t next_ino;
};

void cpio_init(struct cpio_writer *w);
/* Permission bits only (07777); the file type comes from the function. */
int cpio_add_dir(struct cpio_writer *w, const char *name, uint32_t perm,
		 struct krun_err **err) __attribute__((warn_unused_result));
int cpio_add_file(struct cpio_writer *w, const char *name, uint32_t perm,
		  const void *data, size_t len, struct krun_err **err)
	__attribute__((warn_unused_result));
int cpio_add_chardev(struct cpio_writer *w, const char *name, uint32_t perm,
		     uint32_t major, uint32_t minor, struct krun_err **err)
	__attribute__((warn_unused_result));
/* Append the trailer and hand the archive out (caller frees *buf). */
int cpio_finish(struct cpio_writer *w, void **buf, size_t *len,
		struct krun_err **err) __attribute__((warn_unused_result));
void cpio_release(struct cpio_writer *w);

#endif
