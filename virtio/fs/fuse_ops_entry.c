// SPDX-License-Identifier: Apache-2.0
/*
 * Name-space operations: LOOKUP, FORGET, MKDIR, MKNOD, SYMLINK, LINK,
 * UNLINK, RMDIR, RENAME(2), READLINK, STATFS. Every name is one component
 * checked by fuse_check_name() and used relative to its parent's fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

int fuse_op_lookup(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *parent =
		fuse_req_inode(r, r->in.nodeid);
	const char *name = fuse_req_name(r);
	struct fuse_entry_out e;
	int ret;

	if (!parent)
		return -ENOENT;
	if (!name)
		return -EINVAL;
	ret = fuse_do_lookup(r, parent, name, &e);
	if (ret == -ENOENT && r->srv->opts.cache_timeout_ms) {
		/* Node 0 is a miss the guest may cache for the timeout, as
		 * it caches hits: a tar or a compiler probing for a name
		 * before creating it then costs one request, not two. */
		uint32_t ms = r->srv->opts.cache_timeout_ms;

		e = (struct fuse_entry_out){
			.entry_valid = ms / 1000,
			.entry_valid_nsec = (ms % 1000) * 1000000,
		};
		return fuse_reply_entry(r, &e);
	}
	if (ret < 0)
		return ret;
	return fuse_reply_entry(r, &e);
}

int fuse_op_forget(struct fuse_req *r)
{
	struct fuse_forget_in in;

	if (fuse_req_copy(r, &in, sizeof(in)) == 0)
		fuse_inode_forget(&r->srv->inodes, r->in.nodeid, in.nlookup);
	return fuse_reply_none(r);
}

int fuse_op_batch_forget(struct fuse_req *r)
{
	struct fuse_batch_forget_in in;
	struct fuse_forget_one one;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return fuse_reply_none(r);
	for (uint32_t i = 0; i < in.count; i++) {
		if (fuse_req_copy(r, &one, sizeof(one)) < 0)
			break;
		fuse_inode_forget(&r->srv->inodes, one.nodeid, one.nlookup);
	}
	return fuse_reply_none(r);
}

int fuse_op_getattr(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	struct fuse_attr_out out = {0};
	uint32_t ms = r->srv->opts.cache_timeout_ms;
	struct fuse_getattr_in in;
	struct stat st;
	int ret;

	if (!ino)
		return -ENOENT;
	/* Sent since 7.9; its fh adds nothing: the inode is pinned. */
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = fuse_stat_fd(ino->fd, &st);
	if (ret < 0)
		return ret;
	out.attr_valid = ms / 1000;
	out.attr_valid_nsec = (ms % 1000) * 1000000;
	fuse_fill_attr(r->srv, &st, &out.attr);
	return fuse_reply(r, &out, sizeof(out));
}

int fuse_op_readlink(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	char buf[PATH_MAX];
	ssize_t n;

	if (!ino)
		return -ENOENT;
	if (ino->type != S_IFLNK)
		return -EINVAL;
	n = readlinkat(ino->fd, "", buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return fuse_reply(r, buf, (size_t)n);
}

int fuse_op_statfs(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	struct fuse_statfs_out out = {0};
	struct statfs sf;

	if (!ino)
		return -ENOENT;
	if (fstatfs(ino->fd, &sf) < 0)
		return -errno;
	out.st = (struct fuse_kstatfs){
		.blocks = sf.f_blocks,
		.bfree = sf.f_bfree,
		.bavail = sf.f_bavail,
		.files = sf.f_files,
		.ffree = sf.f_ffree,
		.bsize = (uint32_t)sf.f_bsize,
		.namelen = (uint32_t)sf.f_namelen,
		.frsize = (uint32_t)sf.f_frsize,
	};
	return fuse_reply(r, &out, sizeof(out));
}

/* A name the guest wants to create or remove: valid, and not "." or "..". */
static int check_new_name(const char *name)
{
	if (!name)
		return -EINVAL;
	if (fuse_is_dot(name))
		return -EINVAL;
	return fuse_check_name(name);
}

/* After creating name under parent: take ownership, reply the entry. */
static int reply_created(struct fuse_req *r, struct fuse_inode *parent,
			 const char *name, mode_t want_mode)
{
	struct fuse_entry_out e;
	int ret, fd = fuse_open_beneath(r->srv, parent->fd, name, O_PATH, 0);

	if (fd < 0)
		return fd;
	ret = fuse_fix_new_owner(r, parent->fd, fd, want_mode);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	ret = fuse_learn_fd(r, fd, &e);
	if (ret < 0)
		return ret;
	return fuse_reply_entry(r, &e);
}

int fuse_op_mkdir(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *parent =
		fuse_req_inode(r, r->in.nodeid);
	struct fuse_mkdir_in in;
	const char *name;
	mode_t mode;
	int ret;

	if (!parent)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	name = fuse_req_name(r);
	ret = check_new_name(name);
	if (ret < 0)
		return ret;
	mode = fuse_policy_mode(r->srv, in.mode & ~in.umask, S_IFDIR);
	if (mkdirat(parent->fd, name, mode) < 0)
		return -errno;
	return reply_created(r, parent, name, mode);
}

static int check_mknod_type(struct fuse_server *srv, mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		return 0;
	case S_IFCHR:
	case S_IFBLK:
		return srv->opts.allow_devices ? 0 : -EPERM;
	default:
		return -EINVAL;
	}
}

int fuse_op_mknod(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *parent =
		fuse_req_inode(r, r->in.nodeid);
	struct fuse_mknod_in in;
	const char *name;
	mode_t mode;
	int ret;

	if (!parent)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	name = fuse_req_name(r);
	ret = check_new_name(name);
	if (ret < 0)
		return ret;
	ret = check_mknod_type(r->srv, in.mode);
	if (ret < 0)
		return ret;
	mode = fuse_policy_mode(r->srv, in.mode & ~in.umask, in.mode & S_IFMT);
	if (mknodat(parent->fd, name, (in.mode & S_IFMT) | mode, in.rdev) < 0)
		return -errno;
	return reply_created(r, parent, name, mode);
}

int fuse_op_symlink(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *parent =
		fuse_req_inode(r, r->in.nodeid);
	const char *name = fuse_req_name(r);
	const char *target = fuse_req_name(r);
	int ret;

	if (!parent)
		return -ENOENT;
	ret = check_new_name(name);
	if (ret < 0)
		return ret;
	if (!target || !*target)
		return -EINVAL;
	if (strlen(target) >= PATH_MAX)
		return -ENAMETOOLONG;
	/* The target is stored verbatim and never resolved by the server. */
	if (symlinkat(target, parent->fd, name) < 0)
		return -errno;
	return reply_created(r, parent, name, 0);
}

/* linkat() by fd needs CAP_DAC_READ_SEARCH for AT_EMPTY_PATH; without it,
 * go through the /proc magic link (never for a symlink, which would be
 * followed). */
static int link_fd(struct fuse_inode *src, int dirfd, const char *name)
{
	char path[64];

	if (linkat(src->fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -errno;
	if (src->type == S_IFLNK)
		return -EPERM;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", src->fd);
	if (linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return 0;
}

int fuse_op_link(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *parent =
		fuse_req_inode(r, r->in.nodeid);
	cleanup_inode struct fuse_inode *src = NULL;
	struct fuse_link_in in;
	struct fuse_entry_out e;
	const char *name;
	int ret, fd;

	if (!parent)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	name = fuse_req_name(r);
	ret = check_new_name(name);
	if (ret < 0)
		return ret;
	src = fuse_req_inode(r, in.oldnodeid);
	if (!src)
		return -ENOENT;
	if (src->type == S_IFDIR)
		return -EPERM;
	ret = link_fd(src, parent->fd, name);
	if (ret < 0)
		return ret;
	fd = fuse_open_beneath(r->srv, parent->fd, name, O_PATH, 0);
	if (fd < 0)
		return fd;
	ret = fuse_learn_fd(r, fd, &e);
	if (ret < 0)
		return ret;
	return fuse_reply_entry(r, &e);
}

static int remove_name(struct fuse_req *r, int flags)
{
	cleanup_inode struct fuse_inode *parent =
		fuse_req_inode(r, r->in.nodeid);
	const char *name = fuse_req_name(r);
	int ret;

	if (!parent)
		return -ENOENT;
	ret = check_new_name(name);
	if (ret < 0)
		return ret;
	if (unlinkat(parent->fd, name, flags) < 0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_unlink(struct fuse_req *r)
{
	return remove_name(r, 0);
}

int fuse_op_rmdir(struct fuse_req *r)
{
	return remove_name(r, AT_REMOVEDIR);
}

static int do_rename(struct fuse_req *r, uint64_t newdir, uint32_t flags)
{
	cleanup_inode struct fuse_inode *olddir =
		fuse_req_inode(r, r->in.nodeid);
	cleanup_inode struct fuse_inode *newd = fuse_req_inode(r, newdir);
	const char *oldname = fuse_req_name(r);
	const char *newname = fuse_req_name(r);
	int ret;

	if (!olddir || !newd)
		return -ENOENT;
	ret = check_new_name(oldname);
	if (ret == 0)
		ret = check_new_name(newname);
	if (ret < 0)
		return ret;
	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL; /* RENAME_WHITEOUT: overlayfs-only, unsupported
				 */
	if (syscall(SYS_renameat2, olddir->fd, oldname, newd->fd, newname,
		    flags) < 0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_rename(struct fuse_req *r)
{
	struct fuse_rename_in in;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	return do_rename(r, in.newdir, 0);
}

int fuse_op_rename2(struct fuse_req *r)
{
	struct fuse_rename2_in in;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	return do_rename(r, in.newdir, in.flags);
}

/* ACCESS is answered from the mode bits for the caller's uid/gid, the
 * check the guest kernel itself would make (we only know the primary
 * group). */
int fuse_op_access(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	struct fuse_access_in in;
	struct stat st;
	unsigned int mask, bits;
	int ret;

	if (!ino)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = fuse_stat_fd(ino->fd, &st);
	if (ret < 0)
		return ret;
	mask = in.mask & (R_OK | W_OK | X_OK);
	if ((mask & W_OK) && r->srv->opts.read_only)
		return -EROFS;
	if (r->in.uid == 0)
		bits = (st.st_mode & 0111) || S_ISDIR(st.st_mode) ? 7 : 6;
	else if (r->in.uid == fuse_guest_uid(r->srv, st.st_uid))
		bits = (st.st_mode >> 6) & 7;
	else if (r->in.gid == fuse_guest_gid(r->srv, st.st_gid))
		bits = (st.st_mode >> 3) & 7;
	else
		bits = st.st_mode & 7;
	if ((mask & bits) != mask)
		return -EACCES;
	return fuse_reply(r, NULL, 0);
}
