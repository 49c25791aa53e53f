// SPDX-License-Identifier: Apache-2.0
/*
 * Directory handles: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
 * A READDIR is stateless apart from the fd: it seeks to the guest's offset
 * (the d_off of the last entry it got) and fills as many entries as fit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"

#define DENTS_BUF 32768

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct dir_fill {
	struct fuse_req *r;
	struct fuse_inode *dir;
	bool plus;
	uint8_t *buf;
	size_t cap;
	size_t used;
};

int fuse_op_opendir(struct fuse_req *r)
{
	cleanup_inode struct fuse_inode *ino = fuse_req_inode(r, r->in.nodeid);
	struct fuse_open_out out = {0};
	struct fuse_open_in in;
	int64_t fh;
	int fd, ret;

	if (!ino)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (ino->type != S_IFDIR)
		return -ENOTDIR;
	fd = fuse_reopen(ino, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	fh = fuse_handle_add(&r->srv->handles, fd, true, r->in.nodeid);
	if (fh < 0)
		return (int)fh;
	out.fh = (uint64_t)fh;
	out.open_flags = fuse_cache_open_flags(r->srv, ino, fd, true);
	ret = fuse_reply(r, &out, sizeof(out));
	if (ret < 0)
		fuse_handle_remove(&r->srv->handles, (uint64_t)fh, true);
	return ret;
}

/* Append one entry; returns false when it does not fit. */
static bool fill_one(struct dir_fill *f, const struct linux_dirent64 *d)
{
	size_t namelen = strlen(d->d_name);
	size_t base = f->plus ? sizeof(struct fuse_direntplus)
			      : sizeof(struct fuse_dirent);
	size_t size = FUSE_DIRENT_ALIGN(base + namelen);
	struct fuse_entry_out e = {0};
	struct fuse_dirent de = {
		.ino = d->d_ino,
		.off = (uint64_t)d->d_off,
		.namelen = (uint32_t)namelen,
		.type = d->d_type,
	};
	uint8_t *p = f->buf + f->used;

	if (size > f->cap - f->used)
		return false;
	memset(p, 0, size);
	if (f->plus) {
		/* "." and ".." carry no entry (nodeid 0): the kernel
		 * ignores them, and looking them up would pin inodes. A
		 * name that vanished since getdents is sent the same way. */
		if (!fuse_is_dot(d->d_name) &&
		    fuse_do_lookup(f->r, f->dir, d->d_name, &e) < 0)
			memset(&e, 0, sizeof(e));
		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
	}
	memcpy(p, &de, sizeof(de));
	memcpy(p + sizeof(de), d->d_name, namelen);
	f->used += size;
	return true;
}

/* Fill from the fd's current position until full or at the end. */
static int fill_entries(struct dir_fill *f, int fd)
{
	cleanup_free uint8_t *dents = malloc(DENTS_BUF);
	long n;

	if (!dents)
		return -ENOMEM;
	for (;;) {
		n = syscall(SYS_getdents64, fd, dents, DENTS_BUF);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *d = (void *)(dents + pos);

			if (!fill_one(f, d))
				return 0;
			pos += d->d_reclen;
		}
	}
}

static int do_readdir(struct fuse_req *r, bool plus)
{
	cleanup_inode struct fuse_inode *dir = fuse_req_inode(r, r->in.nodeid);
	cleanup_handle struct fuse_handle *h = NULL;
	cleanup_free uint8_t *buf = NULL;
	size_t hdr = sizeof(struct fuse_out_header);
	struct fuse_read_in in;
	struct dir_fill f = {.r = r, .dir = dir, .plus = plus};
	int ret;

	if (!dir)
		return -ENOENT;
	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, true);
	if (!h)
		return -EBADF;
	/* READDIRPLUS looks entries up under the request's directory: a
	 * handle of another directory would pair its names with the wrong
	 * parent. */
	if (h->nodeid != r->in.nodeid)
		return -EBADF;
	if (r->reply_cap < hdr)
		return -ENOBUFS;
	f.cap = in.size < r->reply_cap - hdr ? in.size : r->reply_cap - hdr;
	if (f.cap > FUSE_SERVER_MAX_WRITE)
		f.cap = FUSE_SERVER_MAX_WRITE;
	buf = malloc(f.cap ? f.cap : 1);
	if (!buf)
		return -ENOMEM;
	f.buf = buf;
	pthread_mutex_lock(&h->lock);
	ret = lseek(h->fd, (off_t)in.offset, SEEK_SET) < 0 ? -errno : 0;
	if (ret == 0)
		ret = fill_entries(&f, h->fd);
	pthread_mutex_unlock(&h->lock);
	/* Entries already filled (and looked up) are sent even after an
	 * error further on; the guest asks again from the last offset. */
	if (ret < 0 && f.used == 0)
		return ret;
	return fuse_reply(r, buf, f.used);
}

int fuse_op_readdir(struct fuse_req *r)
{
	return do_readdir(r, false);
}

int fuse_op_readdirplus(struct fuse_req *r)
{
	return do_readdir(r, true);
}

int fuse_op_releasedir(struct fuse_req *r)
{
	struct fuse_release_in in;
	int ret;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = fuse_handle_remove(&r->srv->handles, in.fh, true);
	if (ret < 0)
		return ret;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_fsyncdir(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	struct fuse_fsync_in in;
	int ret;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, true);
	if (!h)
		return -EBADF;
	ret = (in.fsync_flags & 1) ? fdatasync(h->fd) : fsync(h->fd);
	if (ret < 0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}
