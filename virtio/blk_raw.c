// SPDX-License-Identifier: Apache-2.0
/* Raw disk images: guest offset == file offset. */
#include "virtio/blk_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/blk_lock.h"

#define ZERO_CHUNK (64u << 10)

struct blk_raw {
	struct blk_backend b;
	int fd;
};

/* Advance an iovec array past done bytes (modifies the copy in iov). */
static unsigned int iov_advance(struct iovec **iov, unsigned int n, size_t done)
{
	while (n && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		n--;
	}
	if (n) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
	return n;
}

static int raw_io(struct blk_raw *r, const struct iovec *src, unsigned int n,
		  uint64_t offset, bool write)
{
	struct iovec copy[n ? n : 1], *iov = copy;

	for (unsigned int i = 0; i < n; i++)
		copy[i] = src[i];
	while (n) {
		int cnt = n > IOV_MAX ? IOV_MAX : (int)n;
		ssize_t done = write ? pwritev(r->fd, iov, cnt, (off_t)offset)
				     : preadv(r->fd, iov, cnt, (off_t)offset);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		if (done == 0)
			return -EIO; /* image shrank under us */
		offset += (uint64_t)done;
		n = iov_advance(&iov, n, (size_t)done);
	}
	return 0;
}

static int raw_readv(struct blk_backend *b, const struct iovec *iov,
		     unsigned int n, uint64_t offset)
{
	return raw_io((struct blk_raw *)b, iov, n, offset, false);
}

static int raw_writev(struct blk_backend *b, const struct iovec *iov,
		      unsigned int n, uint64_t offset)
{
	return raw_io((struct blk_raw *)b, iov, n, offset, true);
}

static int raw_flush(struct blk_backend *b)
{
	struct blk_raw *r = (struct blk_raw *)b;

	return fdatasync(r->fd) < 0 ? -errno : 0;
}

/* Punch a hole; 1 when the file system cannot. */
static int punch(struct blk_raw *r, uint64_t offset, uint64_t len)
{
	if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)offset, (off_t)len) == 0)
		return 0;
	return errno == EOPNOTSUPP || errno == ENOSYS ? 1 : -errno;
}

static int raw_discard(struct blk_backend *b, uint64_t offset, uint64_t len)
{
	int ret = punch((struct blk_raw *)b, offset, len);

	return ret > 0 ? 0 : ret; /* advisory: nothing freed is fine */
}

static int write_zero_chunks(struct blk_raw *r, uint64_t offset, uint64_t len)
{
	static const uint8_t zero[ZERO_CHUNK];

	while (len) {
		struct iovec iov = {(void *)zero,
				    len < ZERO_CHUNK ? len : ZERO_CHUNK};
		int ret = raw_io(r, &iov, 1, offset, true);

		if (ret < 0)
			return ret;
		offset += iov.iov_len;
		len -= iov.iov_len;
	}
	return 0;
}

static int raw_write_zeroes(struct blk_backend *b, uint64_t offset,
			    uint64_t len, bool unmap)
{
	struct blk_raw *r = (struct blk_raw *)b;
	int ret = 1;

	if (unmap)
		ret = punch(r, offset, len);
	if (ret > 0 && fallocate(r->fd, FALLOC_FL_ZERO_RANGE, (off_t)offset,
				 (off_t)len) == 0)
		ret = 0;
	else if (ret > 0 && errno != EOPNOTSUPP && errno != ENOSYS)
		ret = -errno;
	return ret > 0 ? write_zero_chunks(r, offset, len) : ret;
}

static void raw_close(struct blk_backend *b)
{
	struct blk_raw *r = (struct blk_raw *)b;

	close(r->fd);
	free(r);
}

static const struct blk_backend_ops raw_ops = {
	.name = "raw",
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.close = raw_close,
};

int blk_raw_open(const char *path, bool read_only, struct blk_backend **out,
		 struct krun_err **err)
{
	cleanup_close int fd = -1;
	struct blk_raw *r;
	struct stat st;
	int ret;

	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return krun_err_set_errno(err, errno, "cannot open disk `%s`",
					  path);
	if (fstat(fd, &st) < 0)
		return krun_err_set_errno(err, errno, "cannot stat disk `%s`",
					  path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return krun_err_set(err, EINVAL,
				    "disk `%s` is not a file or block device",
				    path);
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0)
			return krun_err_set_errno(
				err, errno, "cannot size disk `%s`", path);
		st.st_size = end;
	}
	ret = blk_lock_image(fd, read_only, path, err);
	if (ret < 0)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return krun_err_set(err, ENOMEM, "out of memory");
	r->b = (struct blk_backend){
		.ops = &raw_ops,
		.size = (uint64_t)st.st_size & ~511ull,
		.read_only = read_only,
	};
	r->fd = steal_fd(&fd);
	*out = &r->b;
	return 0;
}
