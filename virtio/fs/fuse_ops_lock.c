// SPDX-License-Identifier: Apache-2.0
/*
 * GETLK/SETLK/SETLKW. POSIX locks belong to a lock owner (a guest
 * process's files struct), not to a handle; the host has no such owners,
 * so each (handle, owner) pair gets its own open file description, and
 * the lock is taken on it as an OFD lock. Owners then conflict with each
 * other exactly as guest processes would, and FLUSH (the guest's close())
 * drops an owner's locks by closing its description.
 * BSD flock() (FUSE_LK_FLOCK) goes to the handle's own description, which
 * is what flock() locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"

#define MAX_LOCK_OWNERS 1024
#define FUSE_OFFSET_MAX ((uint64_t)INT64_MAX)

struct fuse_lock_owner {
	uint64_t owner;
	int fd;
	struct fuse_lock_owner *next;
};

void fuse_lock_owners_free(struct fuse_handle *h)
{
	struct fuse_lock_owner *o = h->owners;

	while (o) {
		struct fuse_lock_owner *next = o->next;

		close(o->fd);
		free(o);
		if (h->budget)
			fuse_fd_refund(h->budget, 1);
		o = next;
	}
	h->owners = NULL;
}

int fuse_lock_owner_flush(struct fuse_handle *h, uint64_t owner)
{
	struct fuse_lock_owner *found = NULL;

	pthread_mutex_lock(&h->lock);
	for (struct fuse_lock_owner **pp = &h->owners; *pp; pp = &(*pp)->next) {
		if ((*pp)->owner == owner) {
			found = *pp;
			*pp = found->next;
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (found) {
		close(found->fd);
		free(found);
		if (h->budget)
			fuse_fd_refund(h->budget, 1);
	}
	return 0;
}

/* A new open file description of the handle's file, same access mode. */
static int new_description(struct fuse_handle *h)
{
	char path[64];
	int flags = fcntl(h->fd, F_GETFL);
	int fd;

	if (flags < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", h->fd);
	fd = open(path, (flags & O_ACCMODE) | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

/* A duplicate of owner's description fd (created on first use); the
 * caller closes it, so a concurrent FLUSH cannot pull it away. */
static int owner_fd(struct fuse_handle *h, uint64_t owner)
{
	struct fuse_lock_owner *o;
	unsigned int count = 0;
	int fd;

	pthread_mutex_lock(&h->lock);
	for (o = h->owners; o && o->owner != owner; o = o->next)
		count++;
	if (!o && count >= MAX_LOCK_OWNERS) {
		pthread_mutex_unlock(&h->lock);
		return -ENOLCK;
	}
	if (!o) {
		int charged = h->budget ? fuse_fd_charge(h->budget) : 0;

		o = charged == 0 ? calloc(1, sizeof(*o)) : NULL;
		fd = o ? new_description(h) : charged < 0 ? charged : -ENOMEM;
		if (fd < 0) {
			if (charged == 0 && h->budget)
				fuse_fd_refund(h->budget, 1);
			free(o);
			pthread_mutex_unlock(&h->lock);
			return fd;
		}
		o->owner = owner;
		o->fd = fd;
		o->next = h->owners;
		h->owners = o;
	}
	fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&h->lock);
	return fd < 0 ? -errno : fd;
}

static int to_flock(const struct fuse_file_lock *lk, struct flock *fl)
{
	if (lk->type != F_RDLCK && lk->type != F_WRLCK && lk->type != F_UNLCK)
		return -EINVAL;
	if (lk->start > FUSE_OFFSET_MAX || lk->end < lk->start)
		return -EINVAL;
	*fl = (struct flock){
		.l_type = (short)lk->type,
		.l_whence = SEEK_SET,
		.l_start = (off_t)lk->start,
		.l_len = lk->end >= FUSE_OFFSET_MAX
				 ? 0
				 : (off_t)(lk->end - lk->start + 1),
	};
	return 0;
}

int fuse_op_getlk(struct fuse_req *r)
{
	cleanup_handle struct fuse_handle *h = NULL;
	cleanup_close int fd = -1;
	struct fuse_lk_in in;
	struct fuse_lk_out out = {0};
	struct flock fl;
	int ret;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	ret = to_flock(&in.lk, &fl);
	if (ret < 0)
		return ret;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	fd = owner_fd(h, in.owner);
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	out.lk.type = (uint32_t)fl.l_type;
	if (fl.l_type != F_UNLCK) {
		out.lk.start = (uint64_t)fl.l_start;
		out.lk.end = fl.l_len == 0
				     ? FUSE_OFFSET_MAX
				     : (uint64_t)(fl.l_start + fl.l_len - 1);
	}
	/* OFD locks have no pid; 0 tells the guest "unknown". */
	return fuse_reply(r, &out, sizeof(out));
}

static int do_flock(struct fuse_req *r, struct fuse_handle *h, uint32_t type,
		    bool wait)
{
	bool block = wait && !r->nowait;
	int op;

	switch (type) {
	case F_RDLCK:
		op = LOCK_SH;
		break;
	case F_WRLCK:
		op = LOCK_EX;
		break;
	case F_UNLCK:
		op = LOCK_UN;
		break;
	default:
		return -EINVAL;
	}
	if (flock(h->fd, op | (block ? 0 : LOCK_NB)) == 0)
		return 0;
	if (errno == EWOULDBLOCK && wait)
		return FUSE_HANDLER_RETRY;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

int fuse_op_setlk(struct fuse_req *r)
{
	bool wait = r->in.opcode == FUSE_SETLKW;
	cleanup_handle struct fuse_handle *h = NULL;
	cleanup_close int fd = -1;
	struct fuse_lk_in in;
	struct flock fl;
	int ret;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	h = fuse_handle_get(&r->srv->handles, in.fh, false);
	if (!h)
		return -EBADF;
	if (in.lk_flags & FUSE_LK_FLOCK) {
		ret = do_flock(r, h, in.lk.type, wait);
		return ret != 0 ? ret : fuse_reply(r, NULL, 0);
	}
	ret = to_flock(&in.lk, &fl);
	if (ret < 0)
		return ret;
	fd = owner_fd(h, in.owner);
	if (fd < 0)
		return fd;
	do {
		ret = fcntl(fd, wait && !r->nowait ? F_OFD_SETLKW : F_OFD_SETLK,
			    &fl);
	} while (ret < 0 && errno == EINTR && wait);
	if (ret < 0 && wait && (errno == EAGAIN || errno == EACCES))
		return FUSE_HANDLER_RETRY;
	if (ret < 0)
		return errno == EACCES ? -EAGAIN : -errno;
	return fuse_reply(r, NULL, 0);
}
