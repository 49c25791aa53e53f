// SPDX-License-Identifier: Apache-2.0
/*
 * Extended attributes. Regular files and directories are reached through
 * the /proc/self/fd magic link of their O_PATH fd (which names exactly the
 * pinned inode). Symlinks and special files are not: the path would follow
 * a symlink, and opening a FIFO or device is not ours to do; they report
 * no attributes and refuse new ones.
 *
 * Setting or removing attributes outside "user." (security.capability,
 * trusted.*, system.*) is refused unless the share allows it: run as root,
 * those would hand the guest host privileges.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/limits.h>
#include <sys/xattr.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"

#define XATTR_VALUE_MAX 65536
#define XATTR_LIST_MAX_LEN 65536

static bool xattr_reachable(const struct fuse_inode *ino)
{
	return ino->type == S_IFREG || ino->type == S_IFDIR;
}

static void proc_path(const struct fuse_inode *ino, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", ino->fd);
}

static int check_xattr_name(struct fuse_server *srv, const char *name,
			    bool modify)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len > XATTR_NAME_MAX)
		return len ? -ERANGE : -EINVAL;
	if (modify && !srv->opts.allow_privileged_xattrs &&
	    strncmp(name, "user.", 5) != 0)
		return -EPERM;
	return 0;
}

/* Reply to a size probe (size 0) or with the value itself. */
static int reply_sized(struct fuse_req *r, uint32_t size, const void *val,
		       ssize_t len)
{
	struct fuse_getxattr_out out = {0};

	if (len < 0)
		return (int)len;
	if (size == 0) {
		out.size = (uint32_t)len;
		return fuse_reply(r, &out, sizeof(out));
	}
	return fuse_reply(r, val, (size_t)len);
}

int fuse_op_getxattr(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	cleanup_free char *val = NULL;
	struct fuse_getxattr_in in;
	const char *name;
	char path[64];
	size_t cap;
	ssize_t n;
	int ret;

	if (!ino)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	name = fuse_req_name(r);
	ret = check_xattr_name(r->srv, name, false);
	if (ret < 0)
		return ret;
	if (!xattr_reachable(ino))
		return -ENODATA;
	cap = in.size > XATTR_VALUE_MAX ? XATTR_VALUE_MAX : in.size;
	val = malloc(cap ? cap : 1);
	if (!val)
		return -ENOMEM;
	proc_path(ino, path, sizeof(path));
	n = getxattr(path, name, cap ? val : NULL, cap);
	return reply_sized(r, in.size, val, n < 0 ? -errno : n);
}

int fuse_op_listxattr(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	cleanup_free char *val = NULL;
	struct fuse_getxattr_in in;
	char path[64];
	size_t cap;
	ssize_t n;

	if (!ino)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (!xattr_reachable(ino))
		return reply_sized(r, in.size, NULL, 0);
	cap = in.size > XATTR_LIST_MAX_LEN ? XATTR_LIST_MAX_LEN : in.size;
	val = malloc(cap ? cap : 1);
	if (!val)
		return -ENOMEM;
	proc_path(ino, path, sizeof(path));
	n = listxattr(path, cap ? val : NULL, cap);
	return reply_sized(r, in.size, val, n < 0 ? -errno : n);
}

int fuse_op_setxattr(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	/* Without FUSE_SETXATTR_EXT the kernel sends the 8-byte form. */
	struct {
		uint32_t size;
		uint32_t flags;
	} in;
	const char *name;
	char path[64];
	int ret;

	if (!ino)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	name = fuse_req_name(r);
	ret = check_xattr_name(r->srv, name, true);
	if (ret < 0)
		return ret;
	if (in.size > XATTR_VALUE_MAX)
		return -E2BIG;
	if (in.size > r->args_len - r->args_pos)
		return -EINVAL;
	if (in.flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (!xattr_reachable(ino))
		return -EPERM;
	proc_path(ino, path, sizeof(path));
	if (setxattr(path, name, r->args + r->args_pos, in.size,
		     (int)in.flags) < 0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_removexattr(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	const char *name = fuse_req_name(r);
	char path[64];
	int ret;

	if (!ino)
		return -ENOENT;
	ret = check_xattr_name(r->srv, name, true);
	if (ret < 0)
		return ret;
	if (!xattr_reachable(ino))
		return -EPERM;
	proc_path(ino, path, sizeof(path));
	if (removexattr(path, name) < 0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}
