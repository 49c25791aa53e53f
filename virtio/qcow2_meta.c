// SPDX-License-Identifier: Apache-2.0
/* qcow2: header and extension parsing, L1/L2/refcount tables, caches. */
#include "virtio/qcow2_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#define EXT_END 0
#define EXT_BACKING_FORMAT 0xe2792acau
#define EXT_FEATURE_TABLE 0x6803f857u
#define EXT_CRYPT_HEADER 0x0537be77u
#define EXT_DATA_FILE 0x44415441u

int qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(q->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(q->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int qcow2_barrier(struct qcow2 *q)
{
	if (!q->rc_unsynced)
		return 0;
	if (fdatasync(q->fd) < 0)
		return -errno;
	q->rc_unsynced = false;
	return 0;
}

bool qcow2_meta_ok(const struct qcow2 *q, uint64_t off, uint64_t len)
{
	return off >= q->cluster_size && !(off & (q->cluster_size - 1)) &&
	       len <= q->file_end && off <= q->file_end - len;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Read the fixed fields both versions share. */
static int parse_fixed(struct qcow2 *q, struct qcow2_header *h,
		       const uint8_t *p, struct krun_err **err)
{
	q->version = qcow2_be32(p + 4);
	if (qcow2_be32(p) != QCOW2_MAGIC)
		return krun_err_set(err, EINVAL, "not a qcow2 image");
	if (q->version != 2 && q->version != 3)
		return krun_err_set(
			err, ENOTSUP,
			"qcow2 version %u is not supported (2 or 3)",
			q->version);
	q->cluster_bits = qcow2_be32(p + QCOW2_HDR_CLUSTER_BITS);
	if (q->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    q->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return krun_err_set(err, EINVAL,
				    "invalid qcow2 cluster size: 2^%u bytes",
				    q->cluster_bits);
	q->cluster_size = 1ull << q->cluster_bits;
	h->backing_offset = qcow2_be64(p + QCOW2_HDR_BACKING_OFFSET);
	h->backing_size = qcow2_be32(p + QCOW2_HDR_BACKING_SIZE);
	q->b.size = qcow2_be64(p + QCOW2_HDR_SIZE) & ~511ull;
	h->crypt = qcow2_be32(p + QCOW2_HDR_CRYPT);
	q->l1_size = qcow2_be32(p + QCOW2_HDR_L1_SIZE);
	q->l1_offset = qcow2_be64(p + QCOW2_HDR_L1_OFFSET);
	q->rt_offset = qcow2_be64(p + QCOW2_HDR_RT_OFFSET);
	q->rt_clusters = qcow2_be32(p + QCOW2_HDR_RT_CLUSTERS);
	h->nb_snapshots = qcow2_be32(p + QCOW2_HDR_NB_SNAPSHOTS);
	return 0;
}

static int parse_v3(struct qcow2 *q, struct qcow2_header *h, const uint8_t *p,
		    struct krun_err **err)
{
	uint32_t order = 4;

	h->header_len = QCOW2_HDR_V2_LEN;
	if (q->version == 3) {
		h->incompat = qcow2_be64(p + QCOW2_HDR_INCOMPAT);
		h->compat = qcow2_be64(p + QCOW2_HDR_COMPAT);
		h->autoclear = qcow2_be64(p + QCOW2_HDR_AUTOCLEAR);
		order = qcow2_be32(p + QCOW2_HDR_RC_ORDER);
		h->header_len = qcow2_be32(p + QCOW2_HDR_LENGTH);
		if (h->header_len < QCOW2_HDR_V3_LEN ||
		    h->header_len > q->cluster_size || h->header_len % 8)
			return krun_err_set(err, EINVAL,
					    "invalid qcow2 header length %u",
					    h->header_len);
		if (h->header_len > QCOW2_HDR_COMPRESSION)
			h->compression = p[QCOW2_HDR_COMPRESSION];
	}
	if (order > 6)
		return krun_err_set(err, EINVAL,
				    "invalid qcow2 refcount order %u", order);
	q->rc_bits = 1u << order;
	q->rc_max = order == 6 ? UINT64_MAX : (1ull << q->rc_bits) - 1;
	q->rb_shift = q->cluster_bits + 3 - order;
	return 0;
}

static int parse_one_ext(struct qcow2 *q, struct qcow2_header *h, uint32_t type,
			 const uint8_t *d, uint32_t len, struct krun_err **err)
{
	switch (type) {
	case EXT_BACKING_FORMAT:
		free(q->backing_format);
		q->backing_format = strndup((const char *)d, len);
		if (!q->backing_format)
			return krun_err_set(err, ENOMEM, "out of memory");
		return 0;
	case EXT_FEATURE_TABLE:
		for (uint32_t i = 0; i + 48 <= len; i += 48)
			if (d[i] < 3 && d[i + 1] < 64)
				memcpy(h->feature_names[d[i]][d[i + 1]],
				       d + i + 2, 46);
		return 0;
	case EXT_CRYPT_HEADER:
		h->crypt_ext = true;
		return 0;
	case EXT_DATA_FILE:
		h->data_file_ext = true;
		return 0;
	default: /* unknown extensions are ignored, as the format says */
		return 0;
	}
}

static int parse_extensions(struct qcow2 *q, struct qcow2_header *h,
			    const uint8_t *p, struct krun_err **err)
{
	uint64_t off = h->header_len;

	while (off + 8 <= q->cluster_size) {
		uint32_t type = qcow2_be32(p + off);
		uint32_t len = qcow2_be32(p + off + 4);
		int ret;

		if (type == EXT_END)
			return 0;
		off += 8;
		if (len > q->cluster_size - off)
			return krun_err_set(
				err, EINVAL,
				"qcow2 header extension 0x%08x runs past the first cluster",
				type);
		ret = parse_one_ext(q, h, type, p + off, len, err);
		if (ret < 0)
			return ret;
		off += (len + 7ull) & ~7ull;
	}
	return 0;
}

static int read_backing_name(struct qcow2 *q, const struct qcow2_header *h,
			     const uint8_t *p, struct krun_err **err)
{
	if (!h->backing_offset)
		return 0;
	if (h->backing_size == 0 || h->backing_size > QCOW2_MAX_BACKING_NAME ||
	    h->backing_offset >= q->cluster_size ||
	    h->backing_size > q->cluster_size - h->backing_offset)
		return krun_err_set(err, EINVAL,
				    "invalid qcow2 backing file name field");
	q->backing_name =
		strndup((const char *)p + h->backing_offset, h->backing_size);
	if (!q->backing_name)
		return krun_err_set(err, ENOMEM, "out of memory");
	if (strlen(q->backing_name) != h->backing_size)
		return krun_err_set(err, EINVAL,
				    "qcow2 backing file name contains NUL");
	return 0;
}

static int refuse(struct krun_err **err, const char *feature)
{
	return krun_err_set(err, ENOTSUP, "qcow2 feature not supported: %s",
			    feature);
}

static int check_incompat(const struct qcow2_header *h, struct krun_err **err)
{
	uint64_t bits = h->incompat;

	if (bits & (1ull << QCOW2_INCOMPAT_DIRTY))
		return krun_err_set(
			err, ENOTSUP,
			"qcow2 image is dirty (lazy refcounts were in use when it was last closed): repair it with `qemu-img check -r all`");
	if (bits & (1ull << QCOW2_INCOMPAT_CORRUPT))
		return krun_err_set(
			err, EINVAL,
			"qcow2 image is marked corrupt: check it with `qemu-img check`");
	if ((bits & (1ull << QCOW2_INCOMPAT_DATA_FILE)) || h->data_file_ext)
		return refuse(err, "external data file");
	if (h->compression != 0)
		return refuse(err, "compression type other than zlib (zstd)");
	if (bits & (1ull << QCOW2_INCOMPAT_EXTL2))
		return refuse(err, "extended L2 entries (subclusters)");
	bits &= ~((1ull << QCOW2_INCOMPAT_COMPRESSION) | 3ull);
	for (int i = 0; i < 64; i++)
		if (bits & (1ull << i))
			return krun_err_set(
				err, ENOTSUP,
				"qcow2 feature not supported: incompatible feature bit %d (%s)",
				i,
				h->feature_names[0][i][0]
					? h->feature_names[0][i]
					: "unnamed");
	return 0;
}

static int check_features(const struct qcow2 *q, const struct qcow2_header *h,
			  bool read_only, struct krun_err **err)
{
	int ret;

	if (h->crypt || h->crypt_ext)
		return refuse(err, "encryption");
	ret = check_incompat(h, err);
	if (ret < 0)
		return ret;
	if (!read_only && (h->autoclear & (1ull << QCOW2_AUTOCLEAR_BITMAPS)))
		return refuse(
			err,
			"persistent dirty bitmaps (open the disk read-only, or remove them with `qemu-img bitmap --remove`)");
	if (!read_only && h->nb_snapshots)
		return refuse(
			err,
			"writing to an image with internal snapshots (open the disk read-only, or delete them with `qemu-img snapshot -d`)");
	if (q->backing_name && !q->backing_format)
		return krun_err_set(
			err, EINVAL,
			"qcow2 image names backing file `%s` without its format (never probed): set it with `qemu-img rebase -u -b '%s' -F FORMAT IMAGE`",
			q->backing_name, q->backing_name);
	return 0;
}

/* Writable opens clear autoclear bits they do not know (format rule). */
static int clear_autoclear(struct qcow2 *q, const struct qcow2_header *h,
			   bool read_only, struct krun_err **err)
{
	uint8_t be[8];

	if (read_only || q->version < 3 || !h->autoclear)
		return 0;
	qcow2_put_be64(be, 0);
	if (qcow2_pwrite(q, be, 8, QCOW2_HDR_AUTOCLEAR) < 0 ||
	    fdatasync(q->fd) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot update the qcow2 header");
	return 0;
}

static int read_first_cluster(struct qcow2 *q, uint8_t **out,
			      struct krun_err **err)
{
	uint8_t small[QCOW2_HDR_V3_LEN];
	uint8_t *p;

	if (q->file_end < sizeof(small) ||
	    qcow2_pread(q, small, sizeof(small), 0) < 0)
		return krun_err_set(err, EINVAL,
				    "not a qcow2 image (too short)");
	if (qcow2_be32(small) != QCOW2_MAGIC)
		return krun_err_set(err, EINVAL, "not a qcow2 image");
	q->cluster_bits = qcow2_be32(small + QCOW2_HDR_CLUSTER_BITS);
	if (q->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    q->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return krun_err_set(err, EINVAL,
				    "invalid qcow2 cluster size: 2^%u bytes",
				    q->cluster_bits);
	p = calloc(1, 1ull << q->cluster_bits);
	if (!p)
		return krun_err_set(err, ENOMEM, "out of memory");
	/* A short file reads as zeroes past its end (end of extensions). */
	if (pread(q->fd, p, 1ull << q->cluster_bits, 0) <
	    (qcow2_be32(small + 4) == 2 ? QCOW2_HDR_V2_LEN
					: QCOW2_HDR_V3_LEN)) {
		free(p);
		return krun_err_set(err, EINVAL, "truncated qcow2 header");
	}
	*out = p;
	return 0;
}

int qcow2_read_header(struct qcow2 *q, bool read_only, struct krun_err **err)
{
	cleanup_free struct qcow2_header *h = calloc(1, sizeof(*h));
	cleanup_free uint8_t *p = NULL;
	int ret;

	if (!h)
		return krun_err_set(err, ENOMEM, "out of memory");
	ret = read_first_cluster(q, &p, err);
	if (ret == 0)
		ret = parse_fixed(q, h, p, err);
	if (ret == 0)
		ret = parse_v3(q, h, p, err);
	if (ret == 0)
		ret = parse_extensions(q, h, p, err);
	if (ret == 0)
		ret = read_backing_name(q, h, p, err);
	if (ret == 0)
		ret = check_features(q, h, read_only, err);
	if (ret == 0)
		ret = clear_autoclear(q, h, read_only, err);
	q->csize_shift = 62 - (q->cluster_bits - 8);
	return ret;
}

static int check_layout(const struct qcow2 *q, struct krun_err **err)
{
	uint64_t l2_span = q->cluster_size * (q->cluster_size / 8);
	uint64_t need = (q->b.size + l2_span - 1) / l2_span;
	uint64_t l1_bytes = (uint64_t)q->l1_size * 8;
	uint64_t rt_bytes = (uint64_t)q->rt_clusters * q->cluster_size;

	if (q->b.size > QCOW2_MAX_SIZE)
		return krun_err_set(err, EINVAL,
				    "invalid qcow2 virtual size %llu",
				    (unsigned long long)q->b.size);
	if (q->l1_size < need || l1_bytes > QCOW2_MAX_L1_BYTES)
		return krun_err_set(err, EINVAL,
				    "invalid qcow2 L1 table size %u",
				    q->l1_size);
	if (l1_bytes && !qcow2_meta_ok(q, q->l1_offset, l1_bytes))
		return krun_err_set(
			err, EINVAL,
			"qcow2 L1 table at 0x%llx lies outside the image or overlaps the header",
			(unsigned long long)q->l1_offset);
	if (!q->rt_clusters || rt_bytes > QCOW2_MAX_RT_BYTES ||
	    !qcow2_meta_ok(q, q->rt_offset, rt_bytes))
		return krun_err_set(
			err, EINVAL,
			"qcow2 refcount table at 0x%llx lies outside the image or overlaps the header",
			(unsigned long long)q->rt_offset);
	if (l1_bytes &&
	    overlaps(q->l1_offset, l1_bytes, q->rt_offset, rt_bytes))
		return krun_err_set(
			err, EINVAL,
			"qcow2 L1 table and refcount table overlap");
	return 0;
}

/* Read n big-endian entries into host order. */
static int load_table(struct qcow2 *q, uint64_t off, uint64_t n, uint64_t **out)
{
	uint64_t *t = calloc(n ? n : 1, 8);
	int ret;

	if (!t)
		return -ENOMEM;
	ret = n ? qcow2_pread(q, t, n * 8, off) : 0;
	if (ret < 0) {
		free(t);
		return ret;
	}
	for (uint64_t i = 0; i < n; i++)
		t[i] = qcow2_be64((uint8_t *)&t[i]);
	*out = t;
	return 0;
}

/* A table entry pointing at metadata: sane, and clear of L1 and RT. */
static bool table_ptr_ok(const struct qcow2 *q, uint64_t off)
{
	uint64_t rt_bytes = (uint64_t)q->rt_clusters * q->cluster_size;

	return qcow2_meta_ok(q, off, q->cluster_size) &&
	       !overlaps(off, q->cluster_size, q->l1_offset,
			 (uint64_t)q->l1_size * 8) &&
	       !overlaps(off, q->cluster_size, q->rt_offset, rt_bytes);
}

static int check_entries(const struct qcow2 *q, struct krun_err **err)
{
	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t off = q->l1[i] & QCOW2_OFFSET_MASK;

		if (q->l1[i] & QCOW2_L1_RESERVED)
			return krun_err_set(
				err, EINVAL,
				"qcow2 L1 entry %u has reserved bits set", i);
		if (off && !table_ptr_ok(q, off))
			return krun_err_set(
				err, EINVAL,
				"qcow2 L1 entry %u points to 0x%llx: outside the image or onto other metadata",
				i, (unsigned long long)off);
	}
	for (uint64_t i = 0; i < q->rt_entries; i++) {
		uint64_t off = q->rt[i];

		if (off && ((off & 511) || !table_ptr_ok(q, off)))
			return krun_err_set(
				err, EINVAL,
				"qcow2 refcount table entry %llu points to 0x%llx: outside the image or onto other metadata",
				(unsigned long long)i, (unsigned long long)off);
	}
	return 0;
}

int qcow2_load_tables(struct qcow2 *q, struct krun_err **err)
{
	int ret = check_layout(q, err);

	if (ret < 0)
		return ret;
	q->rt_entries = (uint64_t)q->rt_clusters * q->cluster_size / 8;
	ret = load_table(q, q->l1_offset, q->l1_size, &q->l1);
	if (ret == 0)
		ret = load_table(q, q->rt_offset, q->rt_entries, &q->rt);
	if (ret < 0)
		return krun_err_set(err, -ret,
				    "cannot read the qcow2 tables: %s",
				    strerror(-ret));
	return check_entries(q, err);
}

int qcow2_cache_init(struct qcow2_cache *c, unsigned int n, uint64_t size)
{
	c->n = n;
	c->offset = calloc(n, sizeof(*c->offset));
	c->used = calloc(n, sizeof(*c->used));
	c->data = malloc(n * size);
	return c->offset && c->used && c->data ? 0 : -ENOMEM;
}

void qcow2_cache_free(struct qcow2_cache *c)
{
	free(c->offset);
	free(c->used);
	free(c->data);
}

void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->offset[i] == off)
			c->offset[i] = 0;
}

int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off,
		    uint8_t **table)
{
	unsigned int victim = 0;
	int ret;

	for (unsigned int i = 0; i < c->n; i++) {
		if (c->offset[i] == off) {
			c->used[i] = ++c->tick;
			*table = c->data + i * q->cluster_size;
			return 0;
		}
		if (c->used[i] < c->used[victim])
			victim = i;
	}
	/* Tables are written through: evicting one needs no write-back. */
	c->offset[victim] = 0;
	ret = qcow2_pread(q, c->data + victim * q->cluster_size,
			  q->cluster_size, off);
	if (ret < 0)
		return ret;
	c->offset[victim] = off;
	c->used[victim] = ++c->tick;
	*table = c->data + victim * q->cluster_size;
	return 0;
}

static uint64_t l1_index(const struct qcow2 *q, uint64_t gc)
{
	return gc >> (q->cluster_bits - 3);
}

static uint64_t l2_index(const struct qcow2 *q, uint64_t gc)
{
	return gc & ((q->cluster_size / 8) - 1);
}

int qcow2_l2_get(struct qcow2 *q, uint64_t gc, uint64_t *entry)
{
	uint64_t l1i = l1_index(q, gc), off;
	uint8_t *t;
	int ret;

	if (l1i >= q->l1_size)
		return -EIO;
	off = q->l1[l1i] & QCOW2_OFFSET_MASK;
	if (!off) {
		*entry = 0;
		return 0;
	}
	ret = qcow2_cache_get(q, &q->l2c, off, &t);
	if (ret < 0)
		return ret;
	*entry = qcow2_be64(t + 8 * l2_index(q, gc));
	return 0;
}

/* A zeroed L2 table for L1 slot l1i; on disk before L1 points at it. */
static int new_l2(struct qcow2 *q, uint64_t l1i, uint64_t *out)
{
	cleanup_free uint8_t *zero = calloc(1, q->cluster_size);
	uint64_t off, entry;
	uint8_t be[8];
	int ret;

	if (!zero)
		return -ENOMEM;
	ret = qcow2_alloc_cluster(q, &off);
	if (ret == 0)
		ret = qcow2_meta_mark(q, off, q->cluster_size);
	if (ret == 0)
		ret = qcow2_pwrite(q, zero, q->cluster_size, off);
	if (ret == 0 && fdatasync(q->fd) < 0)
		ret = -errno;
	if (ret < 0)
		return ret;
	q->rc_unsynced = false;
	qcow2_cache_drop(&q->l2c, off);
	entry = off | QCOW2_OFLAG_COPIED;
	qcow2_put_be64(be, entry);
	ret = qcow2_pwrite(q, be, 8, q->l1_offset + 8 * l1i);
	if (ret < 0)
		return ret;
	q->l1[l1i] = entry;
	*out = off;
	return 0;
}

int qcow2_l2_set(struct qcow2 *q, uint64_t gc, uint64_t entry)
{
	uint64_t l1i = l1_index(q, gc), off, at;
	uint8_t *t;
	int ret;

	if (l1i >= q->l1_size)
		return -EIO;
	off = q->l1[l1i] & QCOW2_OFFSET_MASK;
	if (!off) {
		ret = new_l2(q, l1i, &off);
		if (ret < 0)
			return ret;
	} else if (!(q->l1[l1i] & QCOW2_OFLAG_COPIED)) {
		log_debug("qcow2: L2 table at 0x%llx is shared",
			  (unsigned long long)off);
		return -EIO;
	}
	/* The clusters entry names must be counted on disk first. */
	ret = qcow2_barrier(q);
	if (ret == 0)
		ret = qcow2_cache_get(q, &q->l2c, off, &t);
	if (ret < 0)
		return ret;
	at = 8 * l2_index(q, gc);
	qcow2_put_be64(t + at, entry);
	return qcow2_pwrite(q, t + at, 8, off + at);
}
