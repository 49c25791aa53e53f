// SPDX-License-Identifier: Apache-2.0
#include "lib/initramfs/cpio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NEWC_MAGIC "070701"
#define NEWC_HEADER_LEN 110
#define NEWC_TRAILER "TRAILER!!!"
#define CPIO_MAX_NAME 4096

struct newc_member {
	const char *name;
	uint32_t mode; /* type | permissions */
	uint32_t rdev_major;
	uint32_t rdev_minor;
	const void *data;
	size_t len;
};

void cpio_init(struct cpio_writer *w)
{
	*w = (struct cpio_writer){.out = BYTEBUF_INIT, .next_ino = 1};
}

static void put_header(struct cpio_writer *w, const struct newc_member *m,
		       size_t namesize)
{
	char hdr[NEWC_HEADER_LEN + 1];
	uint32_t nlink = S_ISDIR(m->mode) ? 2 : 1;
	uint32_t ino = strcmp(m->name, NEWC_TRAILER) ? w->next_ino++ : 0;

	/* ino mode uid gid nlink mtime size maj min rmaj rmin namesize chk */
	snprintf(hdr, sizeof(hdr),
		 "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 NEWC_MAGIC, ino, m->mode, 0u, 0u, nlink, 0u, (uint32_t)m->len,
		 0u, 0u, m->rdev_major, m->rdev_minor, (uint32_t)namesize, 0u);
	bytebuf_put(&w->out, hdr, NEWC_HEADER_LEN);
}

static int add_member(struct cpio_writer *w, const struct newc_member *m,
		      struct krun_err **err)
{
	size_t namesize = strlen(m->name) + 1;

	if (namesize < 2 || namesize > CPIO_MAX_NAME || m->name[0] == '/')
		return krun_err_set(
			err, EINVAL,
			"cannot add `%s` to the initramfs: bad member name",
			m->name);
	if (m->len > UINT32_MAX)
		return krun_err_set(
			err, EFBIG,
			"cannot add `%s` to the initramfs: %zu bytes is too large",
			m->name, m->len);
	put_header(w, m, namesize);
	bytebuf_put(&w->out, m->name, namesize);
	bytebuf_align(&w->out, 4);
	bytebuf_put(&w->out, m->data, m->len);
	bytebuf_align(&w->out, 4);
	if (w->out.error)
		return krun_err_set_errno(err, w->out.error,
					  "cannot add `%s` to the initramfs",
					  m->name);
	return 0;
}

int cpio_add_dir(struct cpio_writer *w, const char *name, uint32_t perm,
		 struct krun_err **err)
{
	struct newc_member m = {.name = name, .mode = S_IFDIR | (perm & 07777)};

	return add_member(w, &m, err);
}

int cpio_add_file(struct cpio_writer *w, const char *name, uint32_t perm,
		  const void *data, size_t len, struct krun_err **err)
{
	struct newc_member m = {
		.name = name,
		.mode = S_IFREG | (perm & 07777),
		.data = data,
		.len = len,
	};

	return add_member(w, &m, err);
}

int cpio_add_chardev(struct cpio_writer *w, const char *name, uint32_t perm,
		     uint32_t major, uint32_t minor, struct krun_err **err)
{
	struct newc_member m = {
		.name = name,
		.mode = S_IFCHR | (perm & 07777),
		.rdev_major = major,
		.rdev_minor = minor,
	};

	return add_member(w, &m, err);
}

int cpio_finish(struct cpio_writer *w, void **buf, size_t *len,
		struct krun_err **err)
{
	struct newc_member trailer = {.name = NEWC_TRAILER};
	int ret = add_member(w, &trailer, err);

	if (ret < 0)
		return ret;
	*buf = bytebuf_steal(&w->out, len);
	return 0;
}

void cpio_release(struct cpio_writer *w)
{
	bytebuf_release(&w->out);
}
