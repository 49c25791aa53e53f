// SPDX-License-Identifier: Apache-2.0
/*
 * SETATTR: ownership, mode, size and times, applied to the inode's O_PATH
 * descriptor (or the open handle for a truncate through FATTR_FH).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"

static int set_owner(const struct fuse_server *srv, struct fuse_inode *ino,
		     const struct fuse_setattr_in *in)
{
	uid_t uid;
	gid_t gid;
	int ret;

	if (!(in->valid & (FATTR_UID | FATTR_GID)))
		return 0;
	ret = fuse_host_ids(
		srv, (in->valid & FATTR_UID) ? in->uid : (uint32_t)-1,
		(in->valid & FATTR_GID) ? in->gid : (uint32_t)-1, &uid, &gid);
	if (ret < 0)
		return ret;
	if (fchownat(ino->fd, "", uid, gid,
		     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int set_mode(const struct fuse_server *srv, struct fuse_inode *ino,
		    const struct fuse_setattr_in *in)
{
	if (!(in->valid & FATTR_MODE))
		return 0;
	if (ino->type == S_IFLNK)
		return -EOPNOTSUPP; /* Linux symlinks have no mode */
	return fuse_chmod_fd(ino->fd,
			     fuse_policy_mode(srv, in->mode, ino->type));
}

static int set_size(struct fuse_req *r, struct fuse_inode *ino,
		    const struct fuse_setattr_in *in)
{
	cleanup_close int fd = -1;
	struct fuse_handle *h;
	int ret = 0;

	if (!(in->valid & FATTR_SIZE))
		return 0;
	if (in->size > INT64_MAX)
		return -EINVAL;
	if (ino->type == S_IFDIR)
		return -EISDIR;
	if (ino->type != S_IFREG)
		return -EINVAL;
	if (in->valid & FATTR_FH) {
		h = fuse_handle_get(&r->srv->handles, in->fh, false);
		if (!h)
			return -EBADF;
		if (ftruncate(h->fd, (off_t)in->size) < 0)
			ret = -errno;
		fuse_handle_put(h);
		return ret;
	}
	fd = fuse_reopen(ino, O_WRONLY);
	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)in->size) < 0)
		return -errno;
	return 0;
}

static struct timespec pick_time(uint32_t valid, uint32_t set_bit,
				 uint32_t now_bit, uint64_t sec, uint32_t nsec)
{
	if (!(valid & set_bit) && !(valid & now_bit))
		return (struct timespec){.tv_nsec = UTIME_OMIT};
	if (valid & now_bit)
		return (struct timespec){.tv_nsec = UTIME_NOW};
	return (struct timespec){.tv_sec = (time_t)sec, .tv_nsec = nsec};
}

static int set_times(struct fuse_inode *ino, const struct fuse_setattr_in *in)
{
	struct timespec ts[2];
	char path[64];

	if (!(in->valid &
	      (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)))
		return 0;
	ts[0] = pick_time(in->valid, FATTR_ATIME, FATTR_ATIME_NOW, in->atime,
			  in->atimensec);
	ts[1] = pick_time(in->valid, FATTR_MTIME, FATTR_MTIME_NOW, in->mtime,
			  in->mtimensec);
	if ((ts[0].tv_nsec != UTIME_OMIT && ts[0].tv_nsec != UTIME_NOW &&
	     ts[0].tv_nsec >= 1000000000) ||
	    (ts[1].tv_nsec != UTIME_OMIT && ts[1].tv_nsec != UTIME_NOW &&
	     ts[1].tv_nsec >= 1000000000))
		return -EINVAL;
	if (utimensat(ino->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ==
	    0)
		return 0;
	/* Kernels before 5.8 refuse AT_EMPTY_PATH here. */
	if (errno != EINVAL || ino->type == S_IFLNK)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ino->fd);
	if (utimensat(AT_FDCWD, path, ts, 0) < 0)
		return -errno;
	return 0;
}

int fuse_op_setattr(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	struct fuse_setattr_in in;
	struct fuse_attr_out out = {0};
	uint32_t ms = r->srv->opts.cache_timeout_ms;
	struct stat st;
	int ret;

	if (!ino)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = set_owner(r->srv, ino, &in);
	if (ret == 0)
		ret = set_mode(r->srv, ino, &in);
	if (ret == 0)
		ret = set_size(r, ino, &in);
	/* The guest dropped the mode it would have written to kill
	 * set-ID bits and asks us instead; an explicit mode wins. */
	if (ret == 0 && (in.valid & FATTR_KILL_SUIDGID) &&
	    !(in.valid & FATTR_MODE))
		ret = fuse_kill_suidgid(ino->fd);
	if (ret == 0)
		ret = set_times(ino, &in);
	if (ret == 0)
		ret = fuse_stat_fd(ino->fd, &st);
	if (ret < 0)
		return ret;
	out.attr_valid = ms / 1000;
	out.attr_valid_nsec = (ms % 1000) * 1000000;
	fuse_fill_attr(r->srv, &st, &out.attr);
	return fuse_reply(r, &out, sizeof(out));
}
