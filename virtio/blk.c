// SPDX-License-Identifier: Apache-2.0
/* virtio-blk device: request parsing and bounds checks; I/O by backend. */
#include "virtio/blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtio/iov.h"
#include "virtio/worker.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SECTOR 512ull
#define BLK_SIZE_MAX (1u << 20)

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* DISCARD / WRITE_ZEROES: segments per request and sectors per segment. */
#define BLK_MAX_SEGS 16
#define BLK_MAX_ZERO_SECTORS (1u << 22) /* 2 GiB */
#define BLK_SEG_F_UNMAP 1u

struct blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads;
	uint8_t sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp;
	uint8_t alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
} __attribute__((packed));

/* One DISCARD / WRITE_ZEROES range as the driver sends it. */
struct blk_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_dev {
	struct virtio_device vdev;
	struct blk_backend *backend;
	char id[VIRTIO_BLK_ID_BYTES];
	struct blk_config config;
	struct virtio_worker worker;
	struct dev_queue queue;
	struct vq_elem elem;
	struct iovec data[VQ_MAX_IOV];
};

static uint64_t blk_features(struct virtio_device *dev)
{
	struct blk_dev *d = dev->priv;
	uint64_t f = (1ull << VIRTIO_BLK_F_SIZE_MAX) |
		     (1ull << VIRTIO_BLK_F_SEG_MAX) |
		     (1ull << VIRTIO_BLK_F_BLK_SIZE);

	if (!d->backend->no_flush)
		f |= 1ull << VIRTIO_BLK_F_FLUSH;

	if (d->backend->read_only)
		f |= 1ull << VIRTIO_BLK_F_RO;
	else
		f |= (1ull << VIRTIO_BLK_F_DISCARD) |
		     (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

static void blk_config_read(struct virtio_device *dev, uint64_t offset,
			    uint8_t *data, uint32_t len)
{
	struct blk_dev *d = dev->priv;

	if (offset < sizeof(d->config) && len <= sizeof(d->config) - offset)
		memcpy(data, (uint8_t *)&d->config + offset, len);
}

static bool in_range(const struct blk_dev *d, uint64_t sector, size_t len)
{
	uint64_t sectors = d->config.capacity;

	if (len % BLK_SECTOR) {
		log_debug("virtio-blk: length %zu not sector aligned", len);
		return false;
	}
	return sector <= sectors && len / BLK_SECTOR <= sectors - sector;
}

static uint8_t blk_read(struct blk_dev *d, const struct vq_elem *e,
			uint64_t sector, uint32_t *written)
{
	size_t len = e->in_len - 1, got;
	int n;

	if (!in_range(d, sector, len))
		return VIRTIO_BLK_S_IOERR;
	n = iov_slice(e->in, e->n_in, 0, len, d->data, VQ_MAX_IOV, &got);
	if (n < 0 || got != len)
		return VIRTIO_BLK_S_IOERR;
	if (len && d->backend->ops->readv(d->backend, d->data, (unsigned int)n,
					  sector * BLK_SECTOR) < 0)
		return VIRTIO_BLK_S_IOERR;
	*written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_write(struct blk_dev *d, const struct vq_elem *e,
			 uint64_t sector)
{
	size_t len = e->out_len - sizeof(struct blk_req_hdr), got;
	int n;

	if (d->backend->read_only || !in_range(d, sector, len))
		return VIRTIO_BLK_S_IOERR;
	n = iov_slice(e->out, e->n_out, sizeof(struct blk_req_hdr), len,
		      d->data, VQ_MAX_IOV, &got);
	if (n < 0 || got != len)
		return VIRTIO_BLK_S_IOERR;
	if (len && d->backend->ops->writev(d->backend, d->data, (unsigned int)n,
					   sector * BLK_SECTOR) < 0)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/*
 * DISCARD and WRITE_ZEROES: an array of segments after the header, each
 * range-checked; the unmap flag is only defined for WRITE_ZEROES.
 */
static uint8_t blk_ranges(struct blk_dev *d, const struct vq_elem *e,
			  bool zeroes)
{
	size_t len = e->out_len - sizeof(struct blk_req_hdr);
	struct blk_backend *b = d->backend;
	struct blk_seg seg;

	if (b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (len == 0 || len % sizeof(seg) || len / sizeof(seg) > BLK_MAX_SEGS)
		return VIRTIO_BLK_S_UNSUPP;
	for (size_t off = 0; off < len; off += sizeof(seg)) {
		int ret;

		/* Read once: the driver may change the buffer meanwhile. */
		iov_to_buf(e->out, e->n_out, sizeof(struct blk_req_hdr) + off,
			   &seg, sizeof(seg));
		if (seg.flags & ~(zeroes ? BLK_SEG_F_UNMAP : 0u))
			return VIRTIO_BLK_S_UNSUPP;
		if (seg.num_sectors > BLK_MAX_ZERO_SECTORS ||
		    !in_range(d, seg.sector, seg.num_sectors * BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
		if (!seg.num_sectors)
			continue;
		ret = zeroes ? b->ops->write_zeroes(b, seg.sector * BLK_SECTOR,
						    seg.num_sectors *
							    BLK_SECTOR,
						    seg.flags & BLK_SEG_F_UNMAP)
			     : b->ops->discard(b, seg.sector * BLK_SECTOR,
					       seg.num_sectors * BLK_SECTOR);
		if (ret < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct blk_dev *d, const struct vq_elem *e,
			  uint32_t *written)
{
	*written = (uint32_t)iov_from_buf(
		e->in, e->n_in, 0, d->id,
		e->in_len - 1 < sizeof(d->id) ? e->in_len - 1 : sizeof(d->id));
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_request(struct blk_dev *d, const struct vq_elem *e,
			   uint32_t *written)
{
	struct blk_req_hdr hdr;

	if (iov_to_buf(e->out, e->n_out, 0, &hdr, sizeof(hdr)) !=
	    (ssize_t)sizeof(hdr))
		return VIRTIO_BLK_S_IOERR;
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		return blk_read(d, e, hdr.sector, written);
	case VIRTIO_BLK_T_OUT:
		return blk_write(d, e, hdr.sector);
	case VIRTIO_BLK_T_FLUSH:
		/* no_flush (sync mode "none"): flushes are ignored. */
		if (d->backend->read_only || d->backend->no_flush)
			return VIRTIO_BLK_S_OK;
		return d->backend->ops->flush(d->backend) < 0
			       ? VIRTIO_BLK_S_IOERR
			       : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(d, e, written);
	case VIRTIO_BLK_T_DISCARD:
		return blk_ranges(d, e, false);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_ranges(d, e, true);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* Handle one chain; the status byte is the last writable byte. */
static bool blk_handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
		       uint32_t *written)
{
	struct blk_dev *d = ctx;
	uint8_t status;

	if (e->in_len == 0) {
		log_debug("virtio-blk: request without a status byte");
		return true;
	}
	status = blk_request(d, e, written);
	iov_from_buf(e->in, e->n_in, e->in_len - 1, &status, 1);
	*written += 1;
	return true;
}

static const struct virtio_worker_ops blk_worker_ops = {
	.handle_chain = blk_handle,
	.role = "blk",
};

static int blk_activate(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err)
{
	struct blk_dev *d = dev->priv;

	if (!queues[0].ready)
		return krun_err_set(err, EINVAL, "virtio-blk: queue not ready");
	return virtio_worker_activate(&d->worker, queues, notify_fds, err);
}

static void blk_reset(struct virtio_device *dev)
{
	struct blk_dev *d = dev->priv;

	virtio_worker_reset(&d->worker);
}

static void blk_destroy(struct virtio_device *dev)
{
	struct blk_dev *d = dev->priv;

	virtio_worker_stop(&d->worker);
	d->backend->ops->close(d->backend);
	free(d);
}

static const struct virtio_dev_ops blk_ops = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max_size = BLK_QUEUE_SIZE,
	.features = blk_features,
	.config_read = blk_config_read,
	.activate = blk_activate,
	.reset = blk_reset,
	.destroy = blk_destroy,
};

struct virtio_device *virtio_blk_create(struct blk_backend *backend,
					const char *block_id,
					struct krun_err **err)
{
	struct blk_dev *d;

	if (block_id && strlen(block_id) > VIRTIO_BLK_ID_BYTES) {
		krun_err_set(err, EINVAL, "virtio-blk: block id `%s` too long",
			     block_id);
		backend->ops->close(backend);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		krun_err_set(err, ENOMEM, "virtio-blk: out of memory");
		backend->ops->close(backend);
		return NULL;
	}
	d->vdev.ops = &blk_ops;
	d->vdev.priv = d;
	d->backend = backend;
	devq_init(&d->queue, &d->vdev, 0);
	virtio_worker_init(&d->worker, &blk_worker_ops, d, &d->queue, 1,
			   &d->elem);
	if (block_id)
		memcpy(d->id, block_id, strlen(block_id));
	d->config.capacity = backend->size / BLK_SECTOR;
	d->config.size_max = BLK_SIZE_MAX;
	d->config.seg_max = BLK_QUEUE_SIZE - 2; /* minus header and status */
	d->config.blk_size = BLK_SECTOR;
	d->config.num_queues = 1;
	d->config.max_discard_sectors = BLK_MAX_ZERO_SECTORS;
	d->config.max_discard_seg = BLK_MAX_SEGS;
	d->config.discard_sector_alignment = 1;
	d->config.max_write_zeroes_sectors = BLK_MAX_ZERO_SECTORS;
	d->config.max_write_zeroes_seg = BLK_MAX_SEGS;
	d->config.write_zeroes_may_unmap = 1;
	return &d->vdev;
}
