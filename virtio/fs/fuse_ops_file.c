// SPDX-License-Identifier: Apache-2.0
/*
 * File data operations: OPEN, CREATE, READ, WRITE, FLUSH, RELEASE, FSYNC,
 * FALLOCATE, LSEEK, COPY_FILE_RANGE. READ and WRITE move data straight
 * between the host file and the request's guest buffers (preadv/pwritev
 * on the iovecs), with no bounce copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"
#include "virtio/iov.h"

/* preadv/pwritev take at most IOV_MAX (1024) vectors. */
#define FUSE_MAX_DATA_IOV 1024
/* A COPY_FILE_RANGE reply counts bytes in 32 bits. */
#define FUSE_MAX_COPY (1u << 30)

/* Flags the guest may pass through to the host open. O_DIRECT is dropped:
 * guest page-cache buffers need not meet the host's alignment rules. */
static int host_open_flags(uint32_t guest_flags)
{
	int flags = (int)guest_flags;

	flags &= O_ACCMODE | O_APPEND | O_TRUNC | O_NONBLOCK | O_SYNC |
		 O_DSYNC | O_NOATIME | O_LARGEFILE;
	return flags;
}

static int check_ro_flags(struct fuse_server *srv, int flags)
{
	if (!srv->opts.read_only)
		return 0;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return -EROFS;
	return 0;
}

static int reply_open(struct fuse_req *r, struct fuse_inode *ino, int fd)
{
	uint32_t open_flags = fuse_cache_open_flags(r->srv, ino, fd, false);
	int64_t fh = fuse_handle_add(&r->srv->handles, fd, false, r->in.nodeid);
	struct fuse_open_out out = {0};
	int ret;

	if (fh < 0)
		return (int)fh;
	out.fh = (uint64_t)fh;
	out.open_flags = open_flags;
	ret = fuse_reply(r, &out, sizeof(out));
	if (ret < 0)
		fuse_handle_remove(&r->srv->handles, (uint64_t)fh, false);
	return ret;
}

int fuse_op_open(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	struct fuse_open_in in;
	int flags, fallback, fd, ret;

	if (!ino)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (ino->type == S_IFDIR)
		return -EISDIR;
	/* FIFOs, sockets and device nodes are the guest kernel's business;
	 * opening them here could block or reach host devices. */
	if (ino->type != S_IFREG)
		return -EACCES;
	flags = host_open_flags(in.flags);
	ret = check_ro_flags(r->srv, flags);
	if (ret < 0)
		return ret;
	flags = fuse_cache_host_flags(r->srv, flags, &fallback);
	fd = fuse_reopen(ino, flags);
	if (fd == -EACCES && fallback != flags)
		fd = fuse_reopen(ino, fallback);
	if (fd < 0)
		return fd;
	if ((flags & O_TRUNC) && (in.open_flags & FUSE_OPEN_KILL_SUIDGID)) {
		ret = fuse_kill_suidgid(fd);
		if (ret < 0) {
			close(fd);
			return ret;
		}
	}
	return reply_open(r, ino, fd);
}

/* Open the existing regular file name under parent. The type is checked
 * on an O_PATH descriptor first and the open goes through that very inode,
 * so a device node or FIFO is never opened, even when swapped in. */
static int open_existing(struct fuse_req *r, struct fuse_inode *parent,
			 const char *name, int flags)
{
	cleanup_close int pfd =
		fuse_open_beneath(r->srv, parent->fd, name, O_PATH, 0);
	struct stat st;
	int ret;

	if (pfd < 0)
		return pfd;
	ret = fuse_stat_fd(pfd, &st);
	if (ret < 0)
		return ret;
	if (!S_ISREG(st.st_mode))
		return -EEXIST;
	return fuse_reopen_fd(pfd, flags | O_NONBLOCK);
}

/* Open or create name under parent. Sets *created when this call made the
 * file. Non-blocking first so a FIFO swapped in cannot stall us. */
static int create_file(struct fuse_req *r, struct fuse_inode *parent,
		       const char *name, int flags, mode_t mode, bool *created)
{
	int fd = fuse_open_beneath(r->srv, parent->fd, name,
				   flags | O_CREAT | O_EXCL | O_NONBLOCK, mode);
	struct stat st;
	int ret;

	*created = fd >= 0;
	if (fd == -EEXIST && !(flags & O_EXCL))
		fd = open_existing(r, parent, name, flags);
	if (fd < 0)
		return fd;
	ret = fuse_stat_fd(fd, &st);
	if (ret == 0 && !S_ISREG(st.st_mode))
		ret = -EEXIST;
	if (ret == 0 && !(flags & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, flags & ~O_ACCMODE & ~O_TRUNC) < 0)
		ret = -errno;
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* The O_PATH twin of an open fd: the very same inode, no name involved. */
static int path_fd_of(int fd)
{
	char path[64];
	int pfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	pfd = open(path, O_PATH | O_CLOEXEC);
	return pfd < 0 ? -errno : pfd;
}

static int reply_create(struct fuse_req *r, int fd, int pfd)
{
	struct fuse_entry_out e;
	struct fuse_open_out o = {0};
	int64_t fh;
	int ret = fuse_learn_fd(r, pfd, &e);

	if (ret < 0) {
		close(fd);
		return ret;
	}
	fh = fuse_handle_add(&r->srv->handles, fd, false, e.nodeid);
	if (fh < 0) {
		fuse_inode_forget(&r->srv->inodes, e.nodeid, 1);
		return (int)fh;
	}
	o.fh = (uint64_t)fh;
	o.open_flags = fuse_cache_open_flags(r->srv, NULL, fd, false);
	ret = fuse_reply2(r, &e, sizeof(e), &o, sizeof(o));
	if (ret < 0) {
		fuse_handle_remove(&r->srv->handles, (uint64_t)fh, false);
		fuse_inode_forget(&r->srv->inodes, e.nodeid, 1);
	}
	return ret;
}

int fuse_op_create(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *parent =
		fuse_req_inode(r, r->in.nodeid);
	cleanup_close int fd = -1;
	cleanup_close int pfd = -1;
	struct fuse_create_in in;
	const char *name;
	bool created;
	mode_t mode;
	int flags, fallback, ret;

	if (!parent)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	name = fuse_req_name(r);
	if (!name || fuse_is_dot(name))
		return -EINVAL;
	mode = fuse_policy_mode(r->srv, in.mode & ~in.umask, S_IFREG);
	flags = fuse_cache_host_flags(r->srv, host_open_flags(in.flags),
				      &fallback);
	fd = create_file(r, parent, name, flags | (int)(in.flags & O_EXCL),
			 mode, &created);
	if (fd == -EACCES && fallback != flags)
		fd = create_file(r, parent, name,
				 fallback | (int)(in.flags & O_EXCL), mode,
				 &created);
	if (fd < 0)
		return fd;
	pfd = path_fd_of(fd);
	if (pfd < 0)
		return pfd;
	if (created) {
		ret = fuse_fix_new_owner(r, parent->fd, pfd, mode);
		if (ret < 0)
			return ret;
	} else if ((in.flags & O_TRUNC) &&
		   (in.open_flags & FUSE_OPEN_KILL_SUIDGID)) {
		ret = fuse_kill_suidgid(fd);
		if (ret < 0)
			return ret;
	}
	return reply_create(r, steal_fd(&fd), steal_fd(&pfd));
}

int fuse_op_read(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	cleanup_free struct iovec *iov = NULL;
	size_t hdr = sizeof(struct fuse_out_header), want, got;
	struct fuse_read_in in;
	int cnt;
	ssize_t n;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (in.offset > INT64_MAX)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	if (r->reply_cap < hdr)
		return -ENOBUFS;
	want = in.size;
	if (want > r->reply_cap - hdr)
		want = r->reply_cap - hdr;
	iov = calloc(FUSE_MAX_DATA_IOV, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	cnt = iov_slice(r->reply, r->nreply, hdr, want, iov, FUSE_MAX_DATA_IOV,
			&got);
	if (cnt < 0)
		return cnt;
	do {
		n = got ? preadv(h->fd, iov, cnt, (off_t)in.offset) : 0;
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return fuse_reply_header(r, 0, (size_t)n);
}

int fuse_op_write(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	cleanup_free struct iovec *iov = NULL;
	struct fuse_write_in in;
	struct fuse_write_out out = {0};
	int cnt;
	size_t got;
	ssize_t n;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (in.size > r->data_len || in.offset > INT64_MAX)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	iov = calloc(FUSE_MAX_DATA_IOV, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	cnt = iov_slice(r->req_iov, r->nreq, r->data_off, in.size, iov,
			FUSE_MAX_DATA_IOV, &got);
	if (cnt < 0)
		return cnt;
	do {
		n = got ? pwritev(h->fd, iov, cnt, (off_t)in.offset) : 0;
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* After the data, like a local write; a failure cannot undo the
	 * write, and only happens where the host kernel, seeing a writer
	 * without CAP_FSETID, has already dropped the bits itself. */
	if (in.write_flags & FUSE_WRITE_KILL_SUIDGID)
		(void)fuse_kill_suidgid(h->fd);
	out.size = (uint32_t)n;
	return fuse_reply(r, &out, sizeof(out));
}

int fuse_op_flush(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	struct fuse_flush_in in;
	int ret;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	/* close() in the guest drops that owner's POSIX locks. */
	ret = fuse_lock_owner_flush(h, in.lock_owner);
	if (ret < 0)
		return ret;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_release(struct fuse_req *r)
{
	struct fuse_release_in in;
	int ret;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = fuse_handle_remove(&r->srv->handles, in.fh, false);
	if (ret < 0)
		return ret;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_fsync(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	struct fuse_fsync_in in;
	int ret;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	ret = (in.fsync_flags & 1) ? fdatasync(h->fd) : fsync(h->fd);
	if (ret < 0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_fallocate(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	struct fuse_fallocate_in in;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (in.offset > INT64_MAX || in.length > INT64_MAX)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	if (fallocate(h->fd, (int)in.mode, (off_t)in.offset, (off_t)in.length) <
	    0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_lseek(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	struct fuse_lseek_in in;
	struct fuse_lseek_out out;
	off_t off;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (in.whence != SEEK_SET && in.whence != SEEK_END &&
	    in.whence != SEEK_DATA && in.whence != SEEK_HOLE)
		return -EINVAL;
	/* With writeback the guest's dirty pages are data the host file
	 * lacks, and the guest does not write them back before asking: a
	 * hole here may be data there. ENOSYS makes it stop asking and treat
	 * the whole file as data, which is never wrong. */
	if (fuse_cache_writeback(r->srv))
		return -ENOSYS;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	/* The fd's position is never used for I/O (pread/pwrite only). */
	off = lseek(h->fd, (off_t)in.offset, (int)in.whence);
	if (off < 0)
		return -errno;
	out.offset = (uint64_t)off;
	return fuse_reply(r, &out, sizeof(out));
}

int fuse_op_copy_file_range(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *src = NULL;
	cleanup_handle struct fuse_handle *dst = NULL;
	struct fuse_copy_file_range_in in;
	struct fuse_write_out out = {0};
	loff_t off_in, off_out;
	ssize_t n;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (in.off_in > INT64_MAX || in.off_out > INT64_MAX || in.flags)
		return -EINVAL;
	src = fuse_handle_get(&r->srv->handles, in.fh_in, false);
	dst = fuse_handle_get(&r->srv->handles, in.fh_out, false);
	if (!src || !dst)
		return -EBADF;
	off_in = (loff_t)in.off_in;
	off_out = (loff_t)in.off_out;
	n = copy_file_range(src->fd, &off_in, dst->fd, &off_out,
			    in.len > FUSE_MAX_COPY ? FUSE_MAX_COPY : in.len, 0);
	if (n < 0)
		return -errno;
	out.size = (uint32_t)n;
	return fuse_reply(r, &out, sizeof(out));
}
