// SPDX-License-Identifier: Apache-2.0
/*
 * qcow2 disk images: the block backend ops (read, write, flush, discard,
 * write-zeroes) and opening an image with its backing chain. Metadata
 * parsing is in qcow2_meta.c, refcounts and allocation in qcow2_alloc.c;
 * the write-ordering rules are in qcow2_internal.h.
 */
#include "virtio/qcow2_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "virtio/blk_lock.h"
#include "virtio/iov.h"

#define L2_CACHE_BYTES (1u << 20)
#define RB_CACHE_BYTES (256u << 10)
#define DISCARD_BATCH 256

struct qcow2_layer {
	struct qcow2 q;
	struct iovec part[IOV_MAX];
	uint8_t *dbuf;	     /* last decompressed cluster */
	uint64_t dbuf_entry; /* its L2 entry, 0 = none */
	uint8_t *zero;	     /* one cluster of zeroes */
};

/* What a guest cluster is backed by. */
enum kind { K_UNALLOC, K_ZERO, K_DATA, K_COMPRESSED };

static enum kind entry_kind(const struct qcow2 *q, uint64_t e)
{
	if (e & QCOW2_OFLAG_COMPRESSED)
		return K_COMPRESSED;
	if (q->version >= 3 && (e & QCOW2_OFLAG_ZERO))
		return K_ZERO;
	return (e & QCOW2_OFFSET_MASK) ? K_DATA : K_UNALLOC;
}

static void iov_zero(const struct iovec *iov, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		memset(iov[i].iov_base, 0, iov[i].iov_len);
}

/* Read iov from the file at off; bytes past the end read as zeroes. */
static int file_readv(int fd, const struct iovec *src, unsigned int n,
		      uint64_t off)
{
	struct iovec copy[IOV_MAX], *iov = copy;

	if (n > IOV_MAX)
		return -EINVAL;
	memcpy(copy, src, n * sizeof(*src));
	while (n) {
		ssize_t done = preadv(fd, iov, (int)n, (off_t)off);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		if (done == 0) {
			iov_zero(iov, n);
			return 0;
		}
		off += (uint64_t)done;
		while (n && (size_t)done >= iov->iov_len) {
			done -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= (size_t)done;
		}
	}
	return 0;
}

static int file_writev(int fd, const struct iovec *src, unsigned int n,
		       uint64_t off)
{
	struct iovec copy[IOV_MAX], *iov = copy;

	if (n > IOV_MAX)
		return -EINVAL;
	memcpy(copy, src, n * sizeof(*src));
	while (n) {
		ssize_t done = pwritev(fd, iov, (int)n, (off_t)off);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		off += (uint64_t)done;
		while (n && (size_t)done >= iov->iov_len) {
			done -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= (size_t)done;
		}
	}
	return 0;
}

static int decompress(struct qcow2_layer *l, uint64_t e)
{
	struct qcow2 *q = &l->q;
	uint64_t off = e & ((1ull << q->csize_shift) - 1);
	uint64_t secs = ((e >> q->csize_shift) &
			 ((1ull << (q->cluster_bits - 8)) - 1)) +
			1;
	uint64_t len = secs * 512 - (off & 511);
	struct iovec in;
	int ret;

	if (l->dbuf_entry == e)
		return 0;
	if (off < q->cluster_size || off >= q->file_end)
		return -EIO;
	if (len > q->file_end - off)
		len = q->file_end - off;
	in = (struct iovec){q->zbuf, len};
	ret = file_readv(q->fd, &in, 1, off);
	if (ret < 0)
		return ret;
	if (inflateReset(&q->zs) != Z_OK)
		return -EIO;
	q->zs.next_in = q->zbuf;
	q->zs.avail_in = (uInt)len;
	q->zs.next_out = l->dbuf;
	q->zs.avail_out = (uInt)q->cluster_size;
	ret = inflate(&q->zs, Z_FINISH);
	if ((ret != Z_STREAM_END && ret != Z_BUF_ERROR) || q->zs.avail_out) {
		log_debug("qcow2: bad compressed cluster at 0x%llx",
			  (unsigned long long)off);
		return -EIO;
	}
	l->dbuf_entry = e;
	return 0;
}

/* A standard entry's data offset, or 0 when it makes no sense. */
static uint64_t data_offset(const struct qcow2 *q, uint64_t e)
{
	uint64_t off = e & QCOW2_OFFSET_MASK;

	if ((e & QCOW2_L2_RESERVED) || (off & (q->cluster_size - 1)) ||
	    off < q->cluster_size || off >= q->file_end) {
		log_debug("qcow2: bad L2 entry 0x%llx", (unsigned long long)e);
		return 0;
	}
	return off;
}

static int read_backing(struct qcow2 *q, uint64_t off, const struct iovec *iov,
			unsigned int n, size_t len)
{
	struct blk_backend *b = q->backing;
	cleanup_free struct iovec *head = NULL;
	size_t got;
	int cnt;

	if (!b || off >= b->size) {
		iov_zero(iov, n);
		return 0;
	}
	if (len <= b->size - off)
		return b->ops->readv(b, iov, n, off);
	/* Straddles the end of a shorter backing image. */
	head = calloc(n, sizeof(*head));
	if (!head)
		return -ENOMEM;
	iov_zero(iov, n);
	cnt = iov_slice(iov, n, 0, b->size - off, head, n, &got);
	if (cnt < 0)
		return cnt;
	return b->ops->readv(b, head, (unsigned int)cnt, off);
}

/* Read len bytes at in_off of guest cluster gc into iov. */
static int read_part(struct qcow2_layer *l, uint64_t gc, uint64_t in_off,
		     const struct iovec *iov, unsigned int n, size_t len)
{
	struct qcow2 *q = &l->q;
	uint64_t e, off;
	int ret = qcow2_l2_get(q, gc, &e);

	if (ret < 0)
		return ret;
	switch (entry_kind(q, e)) {
	case K_ZERO:
		iov_zero(iov, n);
		return 0;
	case K_COMPRESSED:
		ret = decompress(l, e);
		if (ret == 0)
			iov_from_buf(iov, n, 0, l->dbuf + in_off, len);
		return ret;
	case K_DATA:
		off = data_offset(q, e);
		return off ? file_readv(q->fd, iov, n, off + in_off) : -EIO;
	default:
		return read_backing(q, (gc << q->cluster_bits) + in_off, iov, n,
				    len);
	}
}

/* Walk [offset, offset + total) cluster by cluster over l->part. */
static int for_each_part(struct qcow2_layer *l, const struct iovec *iov,
			 unsigned int n, uint64_t offset,
			 int (*fn)(struct qcow2_layer *l, uint64_t gc,
				   uint64_t in_off, unsigned int cnt,
				   size_t plen))
{
	struct qcow2 *q = &l->q;
	ssize_t total = iov_length(iov, n);
	size_t pos = 0, got;

	if (total < 0)
		return (int)total;
	while (pos < (size_t)total) {
		uint64_t at = offset + pos;
		uint64_t in_off = at & (q->cluster_size - 1);
		size_t plen = q->cluster_size - in_off;
		int cnt, ret;

		if (plen > (size_t)total - pos)
			plen = (size_t)total - pos;
		cnt = iov_slice(iov, n, pos, plen, l->part, IOV_MAX, &got);
		if (cnt < 0 || got != plen)
			return -EINVAL;
		ret = fn(l, at >> q->cluster_bits, in_off, (unsigned int)cnt,
			 plen);
		if (ret < 0)
			return ret;
		pos += plen;
	}
	return 0;
}

static int read_fn(struct qcow2_layer *l, uint64_t gc, uint64_t in_off,
		   unsigned int cnt, size_t plen)
{
	return read_part(l, gc, in_off, l->part, cnt, plen);
}

static int q_readv(struct blk_backend *b, const struct iovec *iov,
		   unsigned int n, uint64_t offset)
{
	return for_each_part((struct qcow2_layer *)b, iov, n, offset, read_fn);
}

/* Drop what old held once the new L2 entry is on disk. */
static int release_old(struct qcow2_layer *l, uint64_t old)
{
	struct qcow2 *q = &l->q;

	if (fdatasync(q->fd) < 0)
		return -errno;
	q->rc_unsynced = false;
	if (l->dbuf_entry == old)
		l->dbuf_entry = 0;
	return qcow2_release_entry(q, old);
}

static bool holds_storage(const struct qcow2 *q, uint64_t e)
{
	return (e & QCOW2_OFLAG_COMPRESSED) || (e & QCOW2_OFFSET_MASK);
}

/*
 * Write a whole cluster image (l->q.cbuf) for gc to a new cluster, point
 * the L2 entry at it, then free what the old entry held.
 */
static int write_new_cluster(struct qcow2_layer *l, uint64_t gc, uint64_t old)
{
	struct qcow2 *q = &l->q;
	uint64_t host;
	int ret = qcow2_alloc_cluster(q, &host);

	if (ret == 0 && qcow2_is_meta(q, host))
		ret = qcow2_overlap_fail(q, host);
	if (ret == 0)
		ret = qcow2_pwrite(q, q->cbuf, q->cluster_size, host);
	if (ret == 0)
		ret = qcow2_l2_set(q, gc, host | QCOW2_OFLAG_COPIED);
	if (ret == 0 && holds_storage(q, old))
		ret = release_old(l, old);
	return ret;
}

/*
 * A data cluster written in place must count its reference: one counting
 * none is free to the allocator, which would hand it to another guest
 * cluster. Such an image is corrupt; the write fails instead.
 */
static int check_counted(struct qcow2 *q, uint64_t off)
{
	uint64_t rc;
	int ret = qcow2_refcount_get(q, off >> q->cluster_bits, &rc);

	if (ret < 0)
		return ret;
	if (rc == 0) {
		if (!q->corrupt_logged)
			log_warn(
				"qcow2 image is corrupt: data cluster at 0x%llx counts no reference; writes there fail (`qemu-img check -r all` repairs the image)",
				(unsigned long long)off);
		q->corrupt_logged = true;
		return -EIO;
	}
	return 0;
}

static int write_fn(struct qcow2_layer *l, uint64_t gc, uint64_t in_off,
		    unsigned int cnt, size_t plen)
{
	struct qcow2 *q = &l->q;
	struct iovec whole = {q->cbuf, q->cluster_size};
	enum kind k;
	uint64_t e, off;
	int ret = qcow2_l2_get(q, gc, &e);

	if (ret < 0)
		return ret;
	k = entry_kind(q, e);
	off = k == K_DATA || k == K_ZERO ? e & QCOW2_OFFSET_MASK : 0;
	if (off && !data_offset(q, e))
		return -EIO;
	/*
	 * Data over metadata: written in place it would overwrite it, copied
	 * away the release would free it.
	 */
	if (off && qcow2_is_meta(q, off))
		return qcow2_overlap_fail(q, off);
	if (k == K_DATA && (e & QCOW2_OFLAG_COPIED)) {
		ret = check_counted(q, off);
		return ret ? ret
			   : file_writev(q->fd, l->part, cnt, off + in_off);
	}
	if (plen < q->cluster_size) {
		ret = read_part(l, gc, 0, &whole, 1, q->cluster_size);
		if (ret < 0)
			return ret;
	}
	iov_to_buf(l->part, cnt, 0, q->cbuf + in_off, plen);
	if (k == K_ZERO && off && (e & QCOW2_OFLAG_COPIED)) {
		/* Preallocated zero cluster: fill it in place. */
		ret = qcow2_pwrite(q, q->cbuf, q->cluster_size, off);
		return ret ? ret
			   : qcow2_l2_set(q, gc, off | QCOW2_OFLAG_COPIED);
	}
	return write_new_cluster(l, gc, e);
}

static int q_writev(struct blk_backend *b, const struct iovec *iov,
		    unsigned int n, uint64_t offset)
{
	return for_each_part((struct qcow2_layer *)b, iov, n, offset, write_fn);
}

static int q_flush(struct blk_backend *b)
{
	struct qcow2 *q = &((struct qcow2_layer *)b)->q;

	if (fdatasync(q->fd) < 0)
		return -errno;
	q->rc_unsynced = false;
	return 0;
}

/* Write explicit zeroes over [offset, offset + len). */
static int write_zero_bytes(struct qcow2_layer *l, uint64_t offset,
			    uint64_t len)
{
	while (len) {
		uint64_t n = len < l->q.cluster_size ? len : l->q.cluster_size;
		struct iovec z = {l->zero, n};
		int ret = q_writev(&l->q.b, &z, 1, offset);

		if (ret < 0)
			return ret;
		offset += n;
		len -= n;
	}
	return 0;
}

/*
 * The entry a whole cluster gets for a discard or write-zeroes, or
 * *explicit when only writing zero bytes keeps the contents right (v2
 * with a backing file has no zero flag).
 */
static uint64_t cleared_entry(const struct qcow2 *q, uint64_t e, bool discard,
			      bool unmap, bool *explicit)
{
	bool backing = q->backing != NULL;

	*explicit = false;
	if (q->version < 3) {
		if (!backing)
			return 0;
		*explicit = !discard;
		return e;
	}
	if (!discard && !unmap && entry_kind(q, e) == K_DATA &&
	    (e & QCOW2_OFLAG_COPIED))
		return e | QCOW2_OFLAG_ZERO; /* keep the allocation */
	if (entry_kind(q, e) == K_ZERO)
		return e;
	return backing ? QCOW2_OFLAG_ZERO : 0;
}

/* Clear up to DISCARD_BATCH whole clusters from gc; one sync for all. */
static int clear_batch(struct qcow2_layer *l, uint64_t gc, uint64_t count,
		       bool discard, bool unmap)
{
	struct qcow2 *q = &l->q;
	uint64_t freed[DISCARD_BATCH], e, ne;
	unsigned int n_freed = 0;
	bool explicit;
	int ret;

	for (uint64_t i = 0; i < count; i++) {
		ret = qcow2_l2_get(q, gc + i, &e);
		if (ret < 0)
			return ret;
		ne = cleared_entry(q, e, discard, unmap, &explicit);
		if (explicit)
			ret = write_zero_bytes(l, (gc + i) << q->cluster_bits,
					       q->cluster_size);
		else if (ne != e)
			ret = qcow2_l2_set(q, gc + i, ne);
		if (ret < 0)
			return ret;
		if (!explicit && ne != e && holds_storage(q, e) &&
		    (e & QCOW2_OFFSET_MASK) != (ne & QCOW2_OFFSET_MASK))
			freed[n_freed++] = e;
	}
	if (n_freed && fdatasync(q->fd) < 0)
		return -errno;
	for (unsigned int i = 0; i < n_freed; i++) {
		if (l->dbuf_entry == freed[i])
			l->dbuf_entry = 0;
		ret = qcow2_release_entry(q, freed[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int clear_range(struct qcow2_layer *l, uint64_t offset, uint64_t len,
		       bool discard, bool unmap)
{
	struct qcow2 *q = &l->q;
	uint64_t cs = q->cluster_size, end = offset + len;
	uint64_t first = (offset + cs - 1) & ~(cs - 1), last = end & ~(cs - 1);
	int ret = 0;

	if (first >= last) { /* inside one cluster */
		return discard ? 0 : write_zero_bytes(l, offset, len);
	}
	if (!discard) {
		ret = write_zero_bytes(l, offset, first - offset);
		if (ret == 0)
			ret = write_zero_bytes(l, last, end - last);
	}
	for (uint64_t gc = first / cs; ret == 0 && gc < last / cs;
	     gc += DISCARD_BATCH) {
		uint64_t cnt = last / cs - gc;

		ret = clear_batch(l, gc,
				  cnt > DISCARD_BATCH ? DISCARD_BATCH : cnt,
				  discard, unmap);
	}
	return ret;
}

static int q_discard(struct blk_backend *b, uint64_t offset, uint64_t len)
{
	return clear_range((struct qcow2_layer *)b, offset, len, true, true);
}

static int q_write_zeroes(struct blk_backend *b, uint64_t offset, uint64_t len,
			  bool unmap)
{
	return clear_range((struct qcow2_layer *)b, offset, len, false, unmap);
}

static void q_close(struct blk_backend *b)
{
	struct qcow2_layer *l = (struct qcow2_layer *)b;
	struct qcow2 *q = &l->q;

	if (!b)
		return;
	if (!b->read_only && q->fd >= 0) {
		qcow2_unreserve(q);
		fdatasync(q->fd);
	}
	if (q->backing)
		q->backing->ops->close(q->backing);
	if (q->zs_ready)
		inflateEnd(&q->zs);
	qcow2_cache_free(&q->l2c);
	qcow2_cache_free(&q->rbc);
	free(q->l1);
	free(q->rt);
	free(q->meta);
	free(q->cbuf);
	free(q->zbuf);
	free(l->dbuf);
	free(l->zero);
	free(q->path);
	free(q->backing_name);
	free(q->backing_format);
	if (q->fd >= 0)
		close(q->fd);
	free(l);
}

static const struct blk_backend_ops qcow2_ops = {
	.name = "qcow2",
	.readv = q_readv,
	.writev = q_writev,
	.flush = q_flush,
	.discard = q_discard,
	.write_zeroes = q_write_zeroes,
	.close = q_close,
};

/* The files of one backing chain, to refuse loops and bound its depth. */
struct chain {
	dev_t dev[QCOW2_MAX_CHAIN];
	ino_t ino[QCOW2_MAX_CHAIN];
	unsigned int n;
};

static int chain_add(struct chain *ch, const char *path, struct krun_err **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return krun_err_set_errno(err, errno, "cannot open disk `%s`",
					  path);
	for (unsigned int i = 0; i < ch->n; i++)
		if (ch->dev[i] == st.st_dev && ch->ino[i] == st.st_ino)
			return krun_err_set(
				err, ELOOP,
				"backing chain loop: `%s` is its own backing file",
				path);
	if (ch->n == QCOW2_MAX_CHAIN)
		return krun_err_set(
			err, ELOOP,
			"backing chain deeper than %d images at `%s`",
			QCOW2_MAX_CHAIN, path);
	ch->dev[ch->n] = st.st_dev;
	ch->ino[ch->n++] = st.st_ino;
	return 0;
}

static int open_chain(const char *path, bool read_only, struct chain *ch,
		      struct blk_backend **out, struct krun_err **err);

/* A relative backing name is relative to the overlay's directory. */
static char *backing_path(const char *overlay, const char *name)
{
	const char *slash = strrchr(overlay, '/');
	char *p = NULL;

	if (name[0] == '/' || !slash)
		return strdup(name);
	if (asprintf(&p, "%.*s/%s", (int)(slash - overlay), overlay, name) < 0)
		return NULL;
	return p;
}

static int open_backing(struct qcow2 *q, struct chain *ch,
			struct krun_err **err)
{
	cleanup_free char *bpath = NULL;
	const char *fmt = q->backing_format;

	if (!q->backing_name)
		return 0;
	bpath = backing_path(q->path, q->backing_name);
	if (!bpath)
		return krun_err_set(err, ENOMEM, "out of memory");
	if (!strcmp(fmt, "qcow2"))
		return open_chain(bpath, true, ch, &q->backing, err);
	if (!strcmp(fmt, "raw")) {
		int ret = chain_add(ch, bpath, err);

		return ret ? ret : blk_raw_open(bpath, true, &q->backing, err);
	}
	return krun_err_set(
		err, ENOTSUP,
		"backing file `%s` has format `%s`: only raw and qcow2 backing files are supported",
		bpath, fmt);
}

static int alloc_buffers(struct qcow2_layer *l)
{
	struct qcow2 *q = &l->q;
	uint64_t cs = q->cluster_size;
	unsigned int n_l2 = (unsigned int)(L2_CACHE_BYTES / cs);
	unsigned int n_rb = (unsigned int)(RB_CACHE_BYTES / cs);

	n_l2 = n_l2 < 4 ? 4 : n_l2 > 128 ? 128 : n_l2;
	n_rb = n_rb < 2 ? 2 : n_rb > 32 ? 32 : n_rb;
	if (qcow2_cache_init(&q->l2c, n_l2, cs) < 0 ||
	    qcow2_cache_init(&q->rbc, n_rb, cs) < 0)
		return -ENOMEM;
	q->cbuf = malloc(cs);
	q->zbuf = malloc(2 * cs);
	l->dbuf = malloc(cs);
	l->zero = calloc(1, cs);
	if (!q->cbuf || !q->zbuf || !l->dbuf || !l->zero)
		return -ENOMEM;
	if (inflateInit2(&q->zs, -15) != Z_OK)
		return -ENOMEM;
	q->zs_ready = true;
	return 0;
}

static int open_file(struct qcow2 *q, bool read_only, struct krun_err **err)
{
	struct stat st;

	q->fd = open(q->path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (q->fd < 0)
		return krun_err_set_errno(err, errno, "cannot open disk `%s`",
					  q->path);
	if (fstat(q->fd, &st) < 0)
		return krun_err_set_errno(err, errno, "cannot stat disk `%s`",
					  q->path);
	if (!S_ISREG(st.st_mode))
		return krun_err_set(err, EINVAL,
				    "qcow2 disk `%s` is not a regular file",
				    q->path);
	q->file_end = (uint64_t)st.st_size;
	return blk_lock_image(q->fd, read_only, q->path, err);
}

static int parse_image(struct qcow2_layer *l, bool read_only,
		       struct krun_err **err)
{
	struct qcow2 *q = &l->q;
	int ret = qcow2_read_header(q, read_only, err);

	if (ret < 0)
		return ret;
	q->file_end =
		(q->file_end + q->cluster_size - 1) & ~(q->cluster_size - 1);
	ret = qcow2_load_tables(q, err);
	if (ret == 0 && alloc_buffers(l) < 0)
		ret = krun_err_set(err, ENOMEM, "out of memory");
	if (ret == 0 && !read_only && (ret = qcow2_find_end(q)) < 0)
		ret = krun_err_set(err, -ret, "cannot read the refcounts: %s",
				   strerror(-ret));
	if (ret == 0 && !read_only)
		ret = qcow2_check_meta_counted(q, err);
	if (ret == 0 && !read_only)
		ret = qcow2_meta_build(q, err);
	return ret;
}

static int open_chain(const char *path, bool read_only, struct chain *ch,
		      struct blk_backend **out, struct krun_err **err)
{
	struct qcow2_layer *l;
	int ret = chain_add(ch, path, err);

	if (ret < 0)
		return ret;
	l = calloc(1, sizeof(*l));
	if (!l)
		return krun_err_set(err, ENOMEM, "out of memory");
	l->q.fd = -1;
	l->q.b =
		(struct blk_backend){.ops = &qcow2_ops, .read_only = read_only};
	l->q.path = strdup(path);
	ret = l->q.path ? open_file(&l->q, read_only, err)
			: krun_err_set(err, ENOMEM, "out of memory");
	if (ret == 0) {
		ret = parse_image(l, read_only, err);
		if (ret == 0)
			ret = open_backing(&l->q, ch, err);
		if (ret < 0)
			krun_err_wrap(err, "disk `%s`", path);
	}
	if (ret < 0) {
		q_close(&l->q.b);
		return ret;
	}
	*out = &l->q.b;
	return 0;
}

int blk_qcow2_open(const char *path, bool read_only, struct blk_backend **out,
		   struct krun_err **err)
{
	struct chain ch = {.n = 0};

	return open_chain(path, read_only, &ch, out, err);
}

int blk_open(const char *path, unsigned int format, bool read_only,
	     struct blk_backend **out, struct krun_err **err)
{
	if (format == BLK_FORMAT_RAW)
		return blk_raw_open(path, read_only, out, err);
	if (format == BLK_FORMAT_QCOW2)
		return blk_qcow2_open(path, read_only, out, err);
	return krun_err_set(err, EINVAL, "disk `%s`: unknown format %u", path,
			    format);
}
