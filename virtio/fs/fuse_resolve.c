// SPDX-License-Identifier: Apache-2.0
/*
 * Confined name resolution. A guest name is one path component; it is
 * opened relative to its parent's O_PATH descriptor with openat2()
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) or, on
 * kernels without it, openat(O_NOFOLLOW) after rejecting '/' and "..".
 * ".." gets its own path: at the share root it stays at the root, below
 * it the result is checked to lie beneath the root by walking up.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"

/* Deeper than any real tree; bounds the walk-up of a ".." check. */
#define FUSE_MAX_DEPTH 4096

struct fuse_inode *fuse_req_inode(struct fuse_req *r, uint64_t nodeid)
{
	return fuse_inode_get(&r->srv->inodes, nodeid);
}

int fuse_check_name(const char *name)
{
	size_t len = strnlen(name, NAME_MAX + 1);

	if (len == 0 || len > NAME_MAX)
		return len ? -ENAMETOOLONG : -EINVAL;
	if (memchr(name, '/', len))
		return -EINVAL;
	return 0;
}

bool fuse_is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

int fuse_open_beneath(struct fuse_server *srv, int dirfd, const char *name,
		      int flags, mode_t mode)
{
	int ret = fuse_check_name(name);
	long fd;

	if (ret < 0)
		return ret;
	if (!strcmp(name, ".."))
		return -EINVAL;
	/* openat2() refuses O_PATH mixed with anything but these. */
	flags |= O_NOFOLLOW | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY);
	if (srv->have_openat2) {
		struct open_how how = {
			.flags = (uint64_t)flags,
			.mode = (flags & O_CREAT) ? mode : 0,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
				   RESOLVE_NO_MAGICLINKS,
		};

		do {
			fd = syscall(SYS_openat2, dirfd, name, &how,
				     sizeof(how));
		} while (fd < 0 && errno == EAGAIN);
	} else {
		fd = openat(dirfd, name, flags, mode);
	}
	return fd < 0 ? -errno : (int)fd;
}

int fuse_stat_fd(int fd, struct stat *st)
{
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static bool same_file(const struct stat *a, dev_t dev, ino_t ino)
{
	return a->st_dev == dev && a->st_ino == ino;
}

/* Whether directory fd lies beneath (or is) the share root: walk ".."
 * until we meet the root or the host's "/" (whose ".." is itself). */
static int check_beneath_root(struct fuse_server *srv, int fd)
{
	struct fuse_inode *root = srv->inodes.root;
	cleanup_close int cur = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (cur < 0)
		return -errno;
	for (int depth = 0; depth < FUSE_MAX_DEPTH; depth++) {
		struct stat st, up_st;
		int up, ret = fuse_stat_fd(cur, &st);

		if (ret < 0)
			return ret;
		if (same_file(&st, root->dev, root->ino))
			return 0;
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0)
			return -errno;
		ret = fuse_stat_fd(up, &up_st);
		close(cur);
		cur = up;
		if (ret < 0)
			return ret;
		if (same_file(&up_st, st.st_dev, st.st_ino))
			return -EACCES;
	}
	return -ELOOP;
}

static int open_dotdot(struct fuse_server *srv, struct fuse_inode *parent)
{
	struct fuse_inode *root = srv->inodes.root;
	cleanup_close int fd = -1;
	int ret;

	if (parent == root ||
	    (parent->dev == root->dev && parent->ino == root->ino))
		return openat(root->fd, ".", O_PATH | O_CLOEXEC);
	fd = openat(parent->fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = check_beneath_root(srv, fd);
	if (ret < 0)
		return ret;
	return steal_fd(&fd);
}

static int open_lookup_name(struct fuse_server *srv, struct fuse_inode *parent,
			    const char *name)
{
	int fd;

	if (!strcmp(name, ".."))
		return open_dotdot(srv, parent);
	if (!strcmp(name, ".")) {
		fd = openat(parent->fd, ".", O_PATH | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	return fuse_open_beneath(srv, parent->fd, name, O_PATH, 0);
}

#define FUSE_OVERFLOW_ID 65534u

uint32_t fuse_guest_uid(const struct fuse_server *srv, uid_t uid)
{
	if (srv->is_root)
		return uid;
	return uid == srv->own_uid ? 0 : FUSE_OVERFLOW_ID;
}

uint32_t fuse_guest_gid(const struct fuse_server *srv, gid_t gid)
{
	if (srv->is_root)
		return gid;
	return gid == srv->own_gid ? 0 : FUSE_OVERFLOW_ID;
}

int fuse_host_ids(const struct fuse_server *srv, uint32_t guest_uid,
		  uint32_t guest_gid, uid_t *uid, gid_t *gid)
{
	*uid = guest_uid;
	*gid = guest_gid;
	if (srv->is_root)
		return 0;
	if (guest_uid != (uint32_t)-1)
		*uid = guest_uid == 0 ? srv->own_uid : (uid_t)-1;
	if (guest_gid != (uint32_t)-1)
		*gid = guest_gid == 0 ? srv->own_gid : (gid_t)-1;
	/* An id with no host id is refused as in a user namespace. */
	if ((guest_uid != (uint32_t)-1 && guest_uid != 0) ||
	    (guest_gid != (uint32_t)-1 && guest_gid != 0))
		return -EINVAL;
	return 0;
}

void fuse_fill_attr(const struct fuse_server *srv, const struct stat *st,
		    struct fuse_attr *a)
{
	*a = (struct fuse_attr){
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.blocks = (uint64_t)st->st_blocks,
		.atime = (uint64_t)st->st_atim.tv_sec,
		.mtime = (uint64_t)st->st_mtim.tv_sec,
		.ctime = (uint64_t)st->st_ctim.tv_sec,
		.atimensec = (uint32_t)st->st_atim.tv_nsec,
		.mtimensec = (uint32_t)st->st_mtim.tv_nsec,
		.ctimensec = (uint32_t)st->st_ctim.tv_nsec,
		.mode = st->st_mode,
		.nlink = (uint32_t)st->st_nlink,
		.uid = fuse_guest_uid(srv, st->st_uid),
		.gid = fuse_guest_gid(srv, st->st_gid),
		.rdev = (uint32_t)st->st_rdev,
		/* The guest's DAX code needs i_blkbits == PAGE_SHIFT (else
		 * msync and fsync fail with EIO); the kernel takes it from
		 * blksize. */
		.blksize = srv->dax_host ? FUSE_DAX_PAGE
					 : (uint32_t)st->st_blksize,
	};
}

void fuse_fill_entry(struct fuse_server *srv, uint64_t nodeid,
		     const struct stat *st, struct fuse_entry_out *e)
{
	uint32_t ms = srv->opts.cache_timeout_ms;

	*e = (struct fuse_entry_out){
		.nodeid = nodeid,
		.entry_valid = ms / 1000,
		.entry_valid_nsec = (ms % 1000) * 1000000,
		.attr_valid = ms / 1000,
		.attr_valid_nsec = (ms % 1000) * 1000000,
	};
	fuse_fill_attr(srv, st, &e->attr);
}

/* Register fd (consumed) as a looked-up inode and fill e. */
static int learn_fd(struct fuse_server *srv, int fd, struct fuse_entry_out *e)
{
	struct stat st;
	int ret = fuse_stat_fd(fd, &st);
	int64_t id;

	if (ret < 0) {
		close(fd);
		return ret;
	}
	id = fuse_inode_learn(&srv->inodes, fd, &st);
	if (id < 0)
		return (int)id;
	fuse_fill_entry(srv, (uint64_t)id, &st, e);
	return 0;
}

int fuse_do_lookup(struct fuse_req *r, struct fuse_inode *parent,
		   const char *name, struct fuse_entry_out *e)
{
	int fd, ret = fuse_check_name(name);

	if (ret < 0)
		return ret;
	if (parent->type != S_IFDIR)
		return -ENOTDIR;
	fd = open_lookup_name(r->srv, parent, name);
	if (fd < 0)
		return fd;
	return learn_fd(r->srv, fd, e);
}

int fuse_learn_fd(struct fuse_req *r, int fd, struct fuse_entry_out *e)
{
	return learn_fd(r->srv, fd, e);
}

int fuse_reopen_fd(int path_fd, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", path_fd);
	flags &= ~(O_CREAT | O_EXCL | O_NOFOLLOW | O_PATH | O_TMPFILE);
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

/* Only regular files and directories are ever opened for I/O: opening a
 * device node, FIFO or socket in the share would act on the host. */
int fuse_reopen(struct fuse_inode *ino, int flags)
{
	if (ino->type == S_IFLNK)
		return -ELOOP;
	if (ino->type != S_IFREG && ino->type != S_IFDIR)
		return -EPERM;
	return fuse_reopen_fd(ino->fd, flags);
}

/* Set the exact mode on a non-symlink O_PATH fd (fchmod refuses O_PATH;
 * the /proc magic link reaches the very inode the fd pins). */
int fuse_chmod_fd(int fd, mode_t mode)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (fchmodat(AT_FDCWD, path, mode, 0) < 0)
		return -errno;
	return 0;
}

int fuse_kill_suidgid(int fd)
{
	struct stat st;
	mode_t mode;
	int ret = fuse_stat_fd(fd, &st);

	if (ret < 0 || !S_ISREG(st.st_mode))
		return ret;
	mode = st.st_mode & 07777 & ~(mode_t)S_ISUID;
	if (st.st_mode & S_IXGRP)
		mode &= ~(mode_t)S_ISGID;
	if (mode == (st.st_mode & 07777))
		return 0;
	return fuse_chmod_fd(fd, mode);
}

mode_t fuse_policy_mode(const struct fuse_server *srv, mode_t mode, mode_t type)
{
	mode &= 07777;
	if (srv->opts.allow_setid)
		return mode;
	/* On a directory set-group-ID only means "new entries take my
	 * group", which hands out no privilege. */
	return mode & ~(mode_t)(S_ISUID | (type == S_IFDIR ? 0 : S_ISGID));
}

int fuse_fix_new_owner(struct fuse_req *r, int parent_fd, int fd,
		       mode_t want_mode)
{
	struct stat st, pst;
	gid_t gid = r->in.gid;
	int ret;

	if (r->srv->is_root) {
		/* A set-group-ID directory hands its group down, as it
		 * would for a local create. */
		if (fuse_stat_fd(parent_fd, &pst) == 0 &&
		    (pst.st_mode & S_ISGID))
			gid = (gid_t)-1;
		if (fchownat(fd, "", r->in.uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	ret = fuse_stat_fd(fd, &st);
	if (ret < 0 || S_ISLNK(st.st_mode))
		return ret;
	/* A set-group-ID parent marks new directories set-group-ID too. */
	if (S_ISDIR(st.st_mode))
		want_mode |= st.st_mode & S_ISGID;
	want_mode = fuse_policy_mode(r->srv, want_mode, st.st_mode & S_IFMT);
	if ((st.st_mode & 07777) != (want_mode & 07777))
		return fuse_chmod_fd(fd, want_mode & 07777);
	return 0;
}

int fuse_reply_entry(struct fuse_req *r, const struct fuse_entry_out *e)
{
	int ret = fuse_reply(r, e, sizeof(*e));

	/* The guest never saw the nodeid: take its lookup back. */
	if (ret < 0 && e->nodeid)
		fuse_inode_forget(&r->srv->inodes, e->nodeid, 1);
	return ret;
}
