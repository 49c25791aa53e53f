/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The qcow2 backend's shared state, for blk_qcow2.c (the backend ops),
 * qcow2_meta.c (header, tables, caches) and qcow2_alloc.c (refcounts and
 * allocation) only.
 *
 * Image metadata is untrusted: every offset read from the image is checked
 * (cluster aligned, inside the file, clear of the header) before it is
 * followed. Run-time helpers return 0 or -errno (-EIO for metadata that
 * makes no sense) and log at debug level; only open takes an error object.
 *
 * Crash safety: all metadata is written through (pwrite as soon as it
 * changes), with fdatasync barriers so that the file on disk is
 * consistent after a kill at any moment. A cluster's refcount reaches the
 * disk before any table points at it (qcow2_barrier() before an L1/L2
 * update that references a new cluster), and a table stops pointing at a
 * cluster on disk before its refcount drops. The worst a crash leaves is
 * a leaked cluster.
 */
#ifndef KRUN_VIRTIO_QCOW2_INTERNAL_H
#define KRUN_VIRTIO_QCOW2_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#include "util/err.h"
#include "virtio/blk_backend.h"

#define QCOW2_MAGIC 0x514649fbu
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES (32u << 20)
#define QCOW2_MAX_RT_BYTES (8u << 20)
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_CHAIN 64
/* Host offsets have 56 bits; no guest size beyond that can be stored. */
#define QCOW2_MAX_SIZE (1ull << 56)
/* Clusters counted ahead at the end of the file: 4 MiB, at most 64. */
#define QCOW2_RESERVE_BYTES (4u << 20)
#define QCOW2_RESERVE_MAX 64
/*
 * The metadata bitmap (one bit per cluster, up to the last metadata
 * cluster) is at most 16 MiB: 2^27 clusters, 64 GiB of file with 512-byte
 * clusters, 8 PiB with 64 KiB ones. Metadata past it is refused.
 */
#define QCOW2_MAX_META_MAP_BYTES (16u << 20)

/* L1/L2 entry bits. */
#define QCOW2_OFLAG_COPIED (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO 1ull
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull
#define QCOW2_L1_RESERVED 0x7f000000000001ffull
#define QCOW2_L2_RESERVED 0x3f000000000001feull

/* Incompatible, compatible and autoclear feature bits. */
#define QCOW2_INCOMPAT_DIRTY 0
#define QCOW2_INCOMPAT_CORRUPT 1
#define QCOW2_INCOMPAT_DATA_FILE 2
#define QCOW2_INCOMPAT_COMPRESSION 3
#define QCOW2_INCOMPAT_EXTL2 4
#define QCOW2_AUTOCLEAR_BITMAPS 0

/* Header field offsets (big-endian on disk). */
#define QCOW2_HDR_BACKING_OFFSET 8
#define QCOW2_HDR_BACKING_SIZE 16
#define QCOW2_HDR_CLUSTER_BITS 20
#define QCOW2_HDR_SIZE 24
#define QCOW2_HDR_CRYPT 32
#define QCOW2_HDR_L1_SIZE 36
#define QCOW2_HDR_L1_OFFSET 40
#define QCOW2_HDR_RT_OFFSET 48
#define QCOW2_HDR_RT_CLUSTERS 56
#define QCOW2_HDR_NB_SNAPSHOTS 60
#define QCOW2_HDR_V2_LEN 72
#define QCOW2_HDR_INCOMPAT 72
#define QCOW2_HDR_COMPAT 80
#define QCOW2_HDR_AUTOCLEAR 88
#define QCOW2_HDR_RC_ORDER 96
#define QCOW2_HDR_LENGTH 100
#define QCOW2_HDR_COMPRESSION 104
#define QCOW2_HDR_V3_LEN 104

/* A few metadata tables (one cluster each) kept in memory, LRU. */
struct qcow2_cache {
	unsigned int n;
	uint64_t *offset; /* host offset of slot i's table; 0 = empty */
	uint64_t *used;	  /* LRU stamp */
	uint64_t tick;
	uint8_t *data; /* n clusters, as on disk (big-endian) */
};

struct qcow2 {
	struct blk_backend b;
	int fd;
	char *path;
	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cluster_size;
	uint64_t file_end; /* bytes, cluster aligned: new clusters go here */
	uint64_t l1_offset;
	uint32_t l1_size;
	uint64_t *l1; /* host byte order */
	uint64_t rt_offset;
	uint32_t rt_clusters;
	uint64_t rt_entries;
	uint64_t *rt; /* host byte order */
	uint32_t rc_bits;
	uint32_t rb_shift; /* log2 of refcounts per refcount block */
	uint64_t rc_max;
	uint64_t free_hint;  /* no free cluster below this index */
	bool rc_unsynced;    /* refcount increments written since last sync */
	bool corrupt_logged; /* the uncounted-data warning was given */
	bool overlap_logged; /* the data-on-metadata warning was given */
	uint64_t *meta;	     /* writable: bit per metadata cluster */
	uint64_t meta_n;     /* clusters the bitmap covers */
	uint64_t resv[QCOW2_RESERVE_MAX]; /* counted, synced, not used yet */
	unsigned int n_resv;
	unsigned int resv_next;
	struct qcow2_cache l2c;
	struct qcow2_cache rbc;
	struct blk_backend *backing;
	uint32_t csize_shift; /* compressed descriptor: where sizes start */
	uint8_t *cbuf;	      /* one cluster: copy-on-write, decompression */
	uint8_t *zbuf;	      /* compressed input */
	size_t zbuf_len;
	z_stream zs;
	bool zs_ready;
	char *backing_name;
	char *backing_format;
};

/* What the header says beyond the fields kept in struct qcow2. */
struct qcow2_header {
	uint64_t backing_offset;
	uint32_t backing_size;
	uint32_t crypt;
	uint32_t nb_snapshots;
	uint64_t incompat;
	uint64_t compat;
	uint64_t autoclear;
	uint32_t header_len;
	uint8_t compression;
	bool data_file_ext;
	bool crypt_ext;
	char feature_names[3][64][47]; /* from the feature name table */
};

static inline uint64_t qcow2_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline uint32_t qcow2_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void qcow2_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* qcow2_meta.c */
int qcow2_read_header(struct qcow2 *q, bool read_only, struct krun_err **err);
int qcow2_load_tables(struct qcow2 *q, struct krun_err **err);
int qcow2_cache_init(struct qcow2_cache *c, unsigned int n, uint64_t size);
void qcow2_cache_free(struct qcow2_cache *c);
/* The table (one cluster) at host offset off, read through the cache. */
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off,
		    uint8_t **table);
/* Forget a cached table (its cluster is about to be reused). */
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off);
/* True when [off, off + len) is a sane place for metadata. */
bool qcow2_meta_ok(const struct qcow2 *q, uint64_t off, uint64_t len);
/* L2 entry for guest cluster gc (0 when the L2 table is absent). */
int qcow2_l2_get(struct qcow2 *q, uint64_t gc, uint64_t *entry);
/* Write L2 entry of gc, making the L2 table if needed. */
int qcow2_l2_set(struct qcow2 *q, uint64_t gc, uint64_t entry);
int qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off);
int qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off);
int qcow2_barrier(struct qcow2 *q);

/* qcow2_alloc.c */
int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *rc);
/* Add delta (+1 or -1) to a cluster's refcount. */
int qcow2_refcount_add(struct qcow2 *q, uint64_t cluster, int delta);
/*
 * A cluster with refcount 1: a freed one (its count written through, not
 * yet synced), or one of a batch counted at the end of the file and
 * synced ahead (so no barrier is needed before pointing at it).
 */
int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *host_off);
/* Give back the clusters counted ahead and not used (at close). */
void qcow2_unreserve(struct qcow2 *q);
/*
 * Move file_end past the last cluster with a refcount: a crash can leave
 * counted clusters past the end of the file (allocated, never written),
 * and appending there would count them twice.
 */
int qcow2_find_end(struct qcow2 *q);
/*
 * Before writing to an image: every metadata cluster (header, L1 table,
 * refcount table, refcount blocks, L2 tables) must count at least one
 * reference, or the allocator would hand it out as data and overwrite it.
 */
int qcow2_check_meta_counted(struct qcow2 *q, struct krun_err **err);
/*
 * The metadata bitmap: qcow2_meta_build() marks every metadata cluster the
 * tables name (writable open); qcow2_meta_mark() adds [off, off + len)
 * before anything on disk points at new metadata, failing (-ENOSPC) past
 * QCOW2_MAX_META_MAP_BYTES; qcow2_meta_unmark() forgets freed metadata.
 */
int qcow2_meta_build(struct qcow2 *q, struct krun_err **err);
int qcow2_meta_mark(struct qcow2 *q, uint64_t off, uint64_t len);
void qcow2_meta_unmark(struct qcow2 *q, uint64_t off, uint64_t len);

static inline bool qcow2_is_meta(const struct qcow2 *q, uint64_t off)
{
	uint64_t c = off >> q->cluster_bits;

	return c < q->meta_n && (q->meta[c / 64] >> (c % 64) & 1);
}

/*
 * Guest data was about to go to the metadata cluster at off (an L2 entry
 * of a corrupt image points there): warn once, return -EIO.
 */
int qcow2_overlap_fail(struct qcow2 *q, uint64_t off);
/* Drop the clusters an L2 entry holds (after the entry left the disk). */
int qcow2_release_entry(struct qcow2 *q, uint64_t entry);

#endif
