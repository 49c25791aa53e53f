// SPDX-License-Identifier: Apache-2.0
/* Raw disk images: guest offset == file offset. */
#include "virtio/blk_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

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
	.close = raw_close,
};

int blk_raw_open(const char *path, bool read_only, struct blk_backend **out,
		 struct krun_err **err)
{
	cleanup_close int fd = -1;
	struct blk_raw *r;
	struct stat st;

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
