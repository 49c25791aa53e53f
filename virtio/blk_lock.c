// SPDX-License-Identifier: Apache-2.0
/* QEMU-compatible OFD byte locks on disk images (see blk_lock.h). */
#include "virtio/blk_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#define LOCK_PERM_BASE 100
#define LOCK_SHARED_BASE 200
#define PERM_READ 0
#define PERM_WRITE 1
#define PERM_RESIZE 3

static int lock_byte(int fd, int byte)
{
	struct flock fl = {
		.l_type = F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = byte,
		.l_len = 1,
	};

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/* 1 when another open file description holds a lock on byte. */
static int byte_taken(int fd, int byte)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = byte,
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type != F_UNLCK;
}

static const int reader_bytes[] = {LOCK_PERM_BASE + PERM_READ,
				   LOCK_SHARED_BASE + PERM_WRITE,
				   LOCK_SHARED_BASE + PERM_RESIZE};
static const int writer_bytes[] = {LOCK_PERM_BASE + PERM_WRITE,
				   LOCK_PERM_BASE + PERM_RESIZE};
/* Bytes no other description may hold: theirs conflict with ours. */
static const int reader_busy[] = {LOCK_SHARED_BASE + PERM_READ,
				  LOCK_PERM_BASE + PERM_WRITE,
				  LOCK_PERM_BASE + PERM_RESIZE};
static const int writer_busy[] = {
	LOCK_SHARED_BASE + PERM_READ, LOCK_SHARED_BASE + PERM_WRITE,
	LOCK_SHARED_BASE + PERM_RESIZE, LOCK_PERM_BASE + PERM_WRITE,
	LOCK_PERM_BASE + PERM_RESIZE};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int take_locks(int fd, bool read_only)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < N(reader_bytes); i++)
		ret = lock_byte(fd, reader_bytes[i]);
	for (size_t i = 0; ret == 0 && !read_only && i < N(writer_bytes); i++)
		ret = lock_byte(fd, writer_bytes[i]);
	return ret;
}

int blk_lock_image(int fd, bool read_only, const char *path,
		   struct krun_err **err)
{
	const int *busy = read_only ? reader_busy : writer_busy;
	size_t n_busy = read_only ? N(reader_busy) : N(writer_busy);
	int ret = take_locks(fd, read_only);

	if (ret < 0)
		return krun_err_set(err, -ret, "cannot lock disk `%s`: %s",
				    path, strerror(-ret));
	for (size_t i = 0; i < n_busy; i++) {
		ret = byte_taken(fd, busy[i]);
		if (ret < 0)
			return krun_err_set(
				err, -ret,
				"cannot test the lock on disk `%s`: %s", path,
				strerror(-ret));
		if (ret)
			return krun_err_set(
				err, EBUSY,
				"disk `%s` is in use by another process (krun-run or QEMU): cannot get a %s lock",
				path, read_only ? "shared read" : "write");
	}
	return 0;
}
