// SPDX-License-Identifier: Apache-2.0
/*
 * qcow2: refcounts and cluster allocation. New clusters come from the
 * first free cluster the refcount blocks know (after a discard), else
 * from the end of the file. Refcount blocks and a grown refcount table
 * are written and synced before anything points at them.
 */
#include "virtio/qcow2_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

static uint64_t rc_read(const uint8_t *blk, uint64_t i, uint32_t bits)
{
	switch (bits) {
	case 8:
		return blk[i];
	case 16:
		return (uint64_t)blk[2 * i] << 8 | blk[2 * i + 1];
	case 32:
		return qcow2_be32(blk + 4 * i);
	case 64:
		return qcow2_be64(blk + 8 * i);
	default: /* 1, 2, 4: packed from the low bits of each byte */
		return (blk[i * bits / 8] >> (i * bits % 8)) &
		       ((1u << bits) - 1);
	}
}

/* Store v; *at and *len get the bytes that changed. */
static void rc_write(uint8_t *blk, uint64_t i, uint32_t bits, uint64_t v,
		     uint64_t *at, size_t *len)
{
	*len = bits < 8 ? 1 : bits / 8;
	*at = bits < 8 ? i * bits / 8 : i * (bits / 8);
	if (bits < 8) {
		unsigned int sh = (unsigned int)(i * bits % 8);
		uint8_t mask = (uint8_t)(((1u << bits) - 1) << sh);

		blk[*at] = (uint8_t)((blk[*at] & ~mask) | ((v << sh) & mask));
		return;
	}
	for (size_t k = 0; k < *len; k++)
		blk[*at + k] = (uint8_t)(v >> (8 * (*len - 1 - k)));
}

static bool has_block(const struct qcow2 *q, uint64_t bi)
{
	return bi < q->rt_entries && q->rt[bi];
}

int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *rc)
{
	uint64_t bi = cluster >> q->rb_shift;
	uint8_t *blk;
	int ret;

	if (!has_block(q, bi)) {
		*rc = 0;
		return 0;
	}
	ret = qcow2_cache_get(q, &q->rbc, q->rt[bi], &blk);
	if (ret < 0)
		return ret;
	*rc = rc_read(blk, cluster & ((1ull << q->rb_shift) - 1), q->rc_bits);
	return 0;
}

static int write_rt_entry(struct qcow2 *q, uint64_t bi, uint64_t off)
{
	uint8_t be[8];

	qcow2_put_be64(be, off);
	return qcow2_pwrite(q, be, 8, q->rt_offset + 8 * bi);
}

/* Write a refcount block image, sync it, and hook it into the table. */
static int install_block(struct qcow2 *q, uint64_t bi, uint64_t off,
			 const uint8_t *blk)
{
	int ret = qcow2_meta_mark(q, off, q->cluster_size);

	if (ret == 0)
		ret = qcow2_pwrite(q, blk, q->cluster_size, off);
	if (ret == 0 && fdatasync(q->fd) < 0)
		ret = -errno;
	if (ret == 0)
		ret = write_rt_entry(q, bi, off);
	if (ret < 0)
		return ret;
	qcow2_cache_drop(&q->rbc, off);
	q->rt[bi] = off;
	q->rc_unsynced = true; /* the table entry itself */
	return 0;
}

static int grow_table(struct qcow2 *q, uint64_t need);

/* Make refcount block bi exist, placed at the end of the file. */
static int ensure_block(struct qcow2 *q, uint64_t bi, int depth)
{
	cleanup_free uint8_t *blk = NULL;
	uint64_t e, eb;
	int ret;

	if (depth > 4)
		return -EIO;
	if (bi >= q->rt_entries) {
		ret = grow_table(q, bi + 1);
		if (ret < 0 || has_block(q, bi))
			return ret;
	}
	blk = calloc(1, q->cluster_size);
	if (!blk)
		return -ENOMEM;
	e = q->file_end >> q->cluster_bits;
	eb = e >> q->rb_shift;
	if (eb == bi) {
		uint64_t at;
		size_t len;

		rc_write(blk, e & ((1ull << q->rb_shift) - 1), q->rc_bits, 1,
			 &at, &len);
	} else {
		if (!has_block(q, eb) && (ret = ensure_block(q, eb, depth + 1)))
			return ret;
		e = q->file_end >> q->cluster_bits;
		ret = qcow2_refcount_add(q, e, 1);
		if (ret < 0)
			return ret;
	}
	q->file_end += q->cluster_size;
	return install_block(q, bi, e << q->cluster_bits, blk);
}

int qcow2_refcount_add(struct qcow2 *q, uint64_t cluster, int delta)
{
	uint64_t bi = cluster >> q->rb_shift, i, old, at;
	uint8_t *blk;
	size_t len;
	int ret;

	if (!has_block(q, bi)) {
		if (delta < 0)
			return -EIO;
		ret = ensure_block(q, bi, 0);
		if (ret < 0)
			return ret;
	}
	ret = qcow2_cache_get(q, &q->rbc, q->rt[bi], &blk);
	if (ret < 0)
		return ret;
	i = cluster & ((1ull << q->rb_shift) - 1);
	old = rc_read(blk, i, q->rc_bits);
	if ((delta < 0 && old == 0) || (delta > 0 && old == q->rc_max)) {
		log_debug("qcow2: refcount of cluster %llu would leave range",
			  (unsigned long long)cluster);
		return -EIO;
	}
	rc_write(blk, i, q->rc_bits, delta < 0 ? old - 1 : old + 1, &at, &len);
	ret = qcow2_pwrite(q, blk + at, len, q->rt[bi] + at);
	if (ret < 0)
		return ret;
	if (delta > 0)
		q->rc_unsynced = true;
	else if (old == 1 && cluster < q->free_hint)
		q->free_hint = cluster;
	return 0;
}

/* Blocks missing for clusters [first, end) under a table of n entries. */
static uint64_t missing_blocks(const struct qcow2 *q, uint64_t first,
			       uint64_t end)
{
	uint64_t cnt = 0;

	for (uint64_t b = first >> q->rb_shift; b <= (end - 1) >> q->rb_shift;
	     b++)
		cnt += !has_block(q, b);
	return cnt;
}

struct grow {
	uint64_t *rt;	  /* the new table, host order */
	uint64_t entries; /* its length */
	uint64_t first;	  /* first cluster of the new region */
	uint64_t k;	  /* table clusters */
	uint64_t m;	  /* new refcount blocks after the table */
};

/* New blocks: refcounts of the region clusters they cover. */
static int write_new_blocks(struct qcow2 *q, struct grow *g)
{
	cleanup_free uint8_t *blk = malloc(q->cluster_size);
	uint64_t end = g->first + g->k + g->m, slot = g->first + g->k;
	uint64_t mask = (1ull << q->rb_shift) - 1, at;
	size_t len;
	int ret;

	if (!blk)
		return -ENOMEM;
	for (uint64_t b = g->first >> q->rb_shift;
	     b <= (end - 1) >> q->rb_shift; b++) {
		if (has_block(q, b))
			continue;
		if (b >= g->entries)
			return -ENOSPC;
		memset(blk, 0, q->cluster_size);
		for (uint64_t c = g->first; c < end; c++)
			if (c >> q->rb_shift == b)
				rc_write(blk, c & mask, q->rc_bits, 1, &at,
					 &len);
		ret = qcow2_meta_mark(q, slot << q->cluster_bits,
				      q->cluster_size);
		if (ret == 0)
			ret = qcow2_pwrite(q, blk, q->cluster_size,
					   slot << q->cluster_bits);
		if (ret < 0)
			return ret;
		g->rt[b] = slot++ << q->cluster_bits;
	}
	return 0;
}

/* Region clusters inside existing blocks: count them there. */
static int count_in_old_blocks(struct qcow2 *q, const struct grow *g)
{
	uint64_t end = g->first + g->k + g->m;
	int ret;

	for (uint64_t c = g->first; c < end; c++) {
		if (!has_block(q, c >> q->rb_shift))
			continue;
		ret = qcow2_refcount_add(q, c, 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int write_table_and_switch(struct qcow2 *q, struct grow *g)
{
	cleanup_free uint8_t *be = malloc(g->k << q->cluster_bits);
	uint8_t hdr[12];
	int ret;

	if (!be)
		return -ENOMEM;
	for (uint64_t i = 0; i < g->entries; i++)
		qcow2_put_be64(be + 8 * i, g->rt[i]);
	ret = qcow2_meta_mark(q, g->first << q->cluster_bits,
			      g->k << q->cluster_bits);
	if (ret == 0)
		ret = qcow2_pwrite(q, be, g->k << q->cluster_bits,
				   g->first << q->cluster_bits);
	if (ret == 0 && fdatasync(q->fd) < 0)
		ret = -errno;
	if (ret < 0)
		return ret;
	qcow2_put_be64(hdr, g->first << q->cluster_bits);
	hdr[8] = (uint8_t)(g->k >> 24);
	hdr[9] = (uint8_t)(g->k >> 16);
	hdr[10] = (uint8_t)(g->k >> 8);
	hdr[11] = (uint8_t)g->k;
	ret = qcow2_pwrite(q, hdr, sizeof(hdr), QCOW2_HDR_RT_OFFSET);
	if (ret == 0 && fdatasync(q->fd) < 0)
		ret = -errno;
	return ret;
}

/* Free the old table's clusters once the header names the new one. */
static int retire_old_table(struct qcow2 *q, struct grow *g)
{
	uint64_t old_first = q->rt_offset >> q->cluster_bits;
	uint64_t old_n = q->rt_clusters;
	int ret = 0;

	qcow2_meta_unmark(q, q->rt_offset, old_n << q->cluster_bits);
	free(q->rt);
	q->rt = steal_ptr(g->rt);
	q->rt_entries = g->entries;
	q->rt_offset = g->first << q->cluster_bits;
	q->rt_clusters = (uint32_t)g->k;
	q->rc_unsynced = false;
	for (uint64_t i = 0; ret == 0 && i < old_n; i++)
		ret = qcow2_refcount_add(q, old_first + i, -1);
	return ret;
}

/*
 * Grow the refcount table to at least need entries: the new table and the
 * blocks its own clusters need go to the end of the file, are synced, and
 * only then does the header switch to it.
 */
static int grow_table(struct qcow2 *q, uint64_t need)
{
	uint64_t per = q->cluster_size / 8, m;
	struct grow g = {.first = q->file_end >> q->cluster_bits};
	int ret;

	g.entries = need > 2 * q->rt_entries ? need : 2 * q->rt_entries;
	g.entries = (g.entries + per - 1) / per * per;
	g.k = g.entries / per;
	if (g.entries * 8 > QCOW2_MAX_RT_BYTES)
		return -ENOSPC;
	for (int i = 0; i < 8; i++) {
		m = missing_blocks(q, g.first, g.first + g.k + g.m);
		if (m == g.m)
			break;
		g.m = m;
	}
	g.rt = calloc(g.entries, 8);
	if (!g.rt)
		return -ENOMEM;
	memcpy(g.rt, q->rt, q->rt_entries * 8);
	ret = write_new_blocks(q, &g);
	if (ret == 0)
		ret = count_in_old_blocks(q, &g);
	if (ret == 0)
		ret = write_table_and_switch(q, &g);
	if (ret == 0) {
		q->file_end = (g.first + g.k + g.m) << q->cluster_bits;
		ret = retire_old_table(q, &g);
	}
	free(g.rt);
	return ret;
}

/* 0 when [off, off + len) counts a reference in every cluster; else err. */
static int range_counted(struct qcow2 *q, uint64_t off, uint64_t len,
			 const char *what, struct krun_err **err)
{
	uint64_t rc;
	int ret;

	for (uint64_t c = off >> q->cluster_bits;
	     len && c <= (off + len - 1) >> q->cluster_bits; c++) {
		ret = qcow2_refcount_get(q, c, &rc);
		if (ret < 0)
			return krun_err_set(err, -ret,
					    "cannot read the refcounts: %s",
					    strerror(-ret));
		if (rc == 0)
			return krun_err_set(
				err, EUCLEAN,
				"qcow2 image is corrupt: its %s at 0x%llx counts no reference, so a write could overwrite it (`qemu-img check -r all` repairs the image)",
				what,
				(unsigned long long)(c << q->cluster_bits));
	}
	return 0;
}

int qcow2_check_meta_counted(struct qcow2 *q, struct krun_err **err)
{
	int ret = range_counted(q, 0, q->cluster_size, "header", err);

	if (ret == 0)
		ret = range_counted(q, q->l1_offset, (uint64_t)q->l1_size * 8,
				    "L1 table", err);
	if (ret == 0)
		ret = range_counted(q, q->rt_offset,
				    (uint64_t)q->rt_clusters * q->cluster_size,
				    "refcount table", err);
	for (uint64_t i = 0; ret == 0 && i < q->rt_entries; i++)
		if (q->rt[i])
			ret = range_counted(q, q->rt[i], q->cluster_size,
					    "refcount block", err);
	for (uint32_t i = 0; ret == 0 && i < q->l1_size; i++)
		if (q->l1[i] & QCOW2_OFFSET_MASK)
			ret = range_counted(q, q->l1[i] & QCOW2_OFFSET_MASK,
					    q->cluster_size, "L2 table", err);
	return ret;
}

int qcow2_meta_mark(struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t first = off >> q->cluster_bits, end, n;
	uint64_t *m;

	if (!len)
		return 0;
	end = ((off + len - 1) >> q->cluster_bits) + 1;
	if (end > q->meta_n) {
		n = q->meta_n ? q->meta_n : 4096;
		while (n < end)
			n *= 2;
		if (n / 8 > QCOW2_MAX_META_MAP_BYTES)
			n = (uint64_t)QCOW2_MAX_META_MAP_BYTES * 8;
		if (end > n) {
			log_debug(
				"qcow2: metadata at cluster %llu is past the %u MiB metadata map",
				(unsigned long long)(end - 1),
				QCOW2_MAX_META_MAP_BYTES >> 20);
			return -ENOSPC;
		}
		m = realloc(q->meta, n / 8);
		if (!m)
			return -ENOMEM;
		memset(m + q->meta_n / 64, 0, (n - q->meta_n) / 8);
		q->meta = m;
		q->meta_n = n;
	}
	for (uint64_t c = first; c < end; c++)
		q->meta[c / 64] |= 1ull << (c % 64);
	return 0;
}

void qcow2_meta_unmark(struct qcow2 *q, uint64_t off, uint64_t len)
{
	for (uint64_t c = off >> q->cluster_bits;
	     len && c <= (off + len - 1) >> q->cluster_bits && c < q->meta_n;
	     c++)
		q->meta[c / 64] &= ~(1ull << (c % 64));
}

int qcow2_meta_build(struct qcow2 *q, struct krun_err **err)
{
	int ret = qcow2_meta_mark(q, 0, q->cluster_size);

	if (ret == 0)
		ret = qcow2_meta_mark(q, q->l1_offset,
				      (uint64_t)q->l1_size * 8);
	if (ret == 0)
		ret = qcow2_meta_mark(q, q->rt_offset,
				      (uint64_t)q->rt_clusters *
					      q->cluster_size);
	for (uint64_t i = 0; ret == 0 && i < q->rt_entries; i++)
		if (q->rt[i])
			ret = qcow2_meta_mark(q, q->rt[i], q->cluster_size);
	for (uint32_t i = 0; ret == 0 && i < q->l1_size; i++)
		if (q->l1[i] & QCOW2_OFFSET_MASK)
			ret = qcow2_meta_mark(q, q->l1[i] & QCOW2_OFFSET_MASK,
					      q->cluster_size);
	if (ret == -ENOSPC)
		return krun_err_set(
			err, EFBIG,
			"qcow2 metadata lies past the %u MiB map of metadata clusters; open the image read-only",
			QCOW2_MAX_META_MAP_BYTES >> 20);
	if (ret < 0)
		return krun_err_set(err, -ret, "out of memory");
	return 0;
}

int qcow2_overlap_fail(struct qcow2 *q, uint64_t off)
{
	if (!q->overlap_logged)
		log_warn(
			"qcow2 image `%s` is corrupt: guest data would overwrite its metadata at 0x%llx; such writes fail (`qemu-img check -r all` repairs the image)",
			q->path, (unsigned long long)off);
	q->overlap_logged = true;
	return -EIO;
}

int qcow2_find_end(struct qcow2 *q)
{
	uint64_t per = 1ull << q->rb_shift, rc, end = 0;
	int ret;

	for (uint64_t bi = q->rt_entries; bi-- > 0 && !end;) {
		if (!q->rt[bi])
			continue;
		for (uint64_t i = per; i-- > 0;) {
			ret = qcow2_refcount_get(q, bi * per + i, &rc);
			if (ret < 0)
				return ret;
			if (rc) {
				end = bi * per + i + 1;
				break;
			}
		}
	}
	if (end << q->cluster_bits > q->file_end)
		q->file_end = end << q->cluster_bits;
	return 0;
}

/* The first cluster below the end of the file with refcount 0, or 0. */
static int find_free(struct qcow2 *q, uint64_t *out)
{
	uint64_t end = q->file_end >> q->cluster_bits, rc;
	int ret;

	*out = 0;
	for (uint64_t c = q->free_hint; c < end; c++) {
		if (!has_block(q, c >> q->rb_shift)) {
			/* No block: nothing counted there; leave it alone. */
			c |= (1ull << q->rb_shift) - 1;
			continue;
		}
		ret = qcow2_refcount_get(q, c, &rc);
		if (ret < 0)
			return ret;
		if (rc == 0 && c > 0) {
			*out = c;
			return 0;
		}
	}
	q->free_hint = end;
	return 0;
}

/* Count one cluster at the end of the file; *c gets its index. */
static int append_one(struct qcow2 *q, uint64_t *c)
{
	int ret;

	/* The block counting it may itself take the slot. */
	for (int i = 0; i < 4; i++) {
		*c = q->file_end >> q->cluster_bits;
		if (has_block(q, *c >> q->rb_shift))
			break;
		ret = ensure_block(q, *c >> q->rb_shift, 0);
		if (ret < 0)
			return ret;
	}
	*c = q->file_end >> q->cluster_bits;
	if (!has_block(q, *c >> q->rb_shift))
		return -EIO;
	q->file_end += q->cluster_size;
	return qcow2_refcount_add(q, *c, 1);
}

/*
 * Count a batch of clusters at the end of the file and sync once, so that
 * the allocations they serve need no barrier of their own. Unused ones
 * are given back at close; a crash leaks them.
 */
static int reserve(struct qcow2 *q)
{
	uint64_t want = (QCOW2_RESERVE_BYTES >> q->cluster_bits) ?: 1;
	int ret = 0;

	if (want > QCOW2_RESERVE_MAX)
		want = QCOW2_RESERVE_MAX;
	q->n_resv = q->resv_next = 0;
	while (ret == 0 && q->n_resv < want) {
		ret = append_one(q, &q->resv[q->n_resv]);
		if (ret == 0)
			q->n_resv++;
	}
	if (!q->n_resv)
		return ret < 0 ? ret : -EIO;
	if (fdatasync(q->fd) < 0)
		return -errno;
	q->rc_unsynced = false;
	return 0;
}

int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *host_off)
{
	uint64_t c = 0;
	int ret = 0;

	if (q->resv_next == q->n_resv) {
		ret = find_free(q, &c);
		if (ret == 0 && c) {
			ret = qcow2_refcount_add(q, c, 1);
			q->free_hint = c + 1;
		} else if (ret == 0) {
			ret = reserve(q);
		}
		if (ret < 0)
			return ret;
	}
	if (!c)
		c = q->resv[q->resv_next++];
	qcow2_cache_drop(&q->l2c, c << q->cluster_bits);
	*host_off = c << q->cluster_bits;
	return 0;
}

void qcow2_unreserve(struct qcow2 *q)
{
	while (q->resv_next < q->n_resv)
		if (qcow2_refcount_add(q, q->resv[q->resv_next++], -1) < 0)
			break;
	q->n_resv = q->resv_next = 0;
}

int qcow2_release_entry(struct qcow2 *q, uint64_t entry)
{
	uint64_t first, last;
	int ret;

	if (entry & QCOW2_OFLAG_COMPRESSED) {
		uint64_t off = entry & ((1ull << q->csize_shift) - 1);
		uint64_t secs = ((entry >> q->csize_shift) &
				 ((1ull << (q->cluster_bits - 8)) - 1)) +
				1;

		first = (off & ~511ull) >> q->cluster_bits;
		last = ((off & ~511ull) + secs * 512 - 1) >> q->cluster_bits;
	} else {
		first = (entry & QCOW2_OFFSET_MASK) >> q->cluster_bits;
		last = first;
		if (!first)
			return 0;
	}
	/* A corrupt entry naming metadata must not free it. */
	for (uint64_t c = first; c <= last; c++)
		if (qcow2_is_meta(q, c << q->cluster_bits))
			return qcow2_overlap_fail(q, c << q->cluster_bits);
	for (uint64_t c = first; c <= last; c++) {
		ret = qcow2_refcount_add(q, c, -1);
		if (ret < 0)
			return ret;
	}
	return 0;
}
