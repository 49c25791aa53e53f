// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-balloon (virtio spec 5.5) with free page reporting and a
 * statistics queue. Four queues at most: inflate, deflate, then one queue
 * per negotiated optional feature in the order of their feature bits.
 * Linux numbers the queues it sets up without gaps (vm_find_vqs() in
 * drivers/virtio/virtio_mmio.c skips the absent ones), so without
 * FREE_PAGE_HINT, which is not offered, reporting is queue 3 when
 * STATS_VQ is negotiated and queue 2 when it is not; activate() assigns
 * the roles from the negotiated features.
 *
 * Reporting: every device-writable buffer of a chain is a free block of
 * guest memory; inflate: each buffer holds 32-bit page frame numbers of
 * 4 KiB pages. Both are discarded with gm_discard(), which refuses a range
 * outside guest RAM (logged at debug level; the chain is still returned).
 * Deflate needs nothing: a discarded page is faulted in again when the
 * guest touches it. Statistics: the driver's buffer is kept (it is the
 * device's way to ask for fresh numbers later) and its tag/value pairs
 * are stored for virtio_balloon_get_stats().
 */
#include "virtio/balloon.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtio/iov.h"
#include "virtio/worker.h"

#define BALLOON_QUEUE_SIZE 128
#define BALLOON_NQUEUES 4

#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_REPORTING 5

#define BALLOON_PAGE_SHIFT 12
#define BALLOON_PAGE_SIZE (1ull << BALLOON_PAGE_SHIFT)
#define BALLOON_STAT_LEN 10 /* le16 tag, le64 value, packed */

/* Config space (little-endian): num_pages (the host's target, always 0
 * here), actual (written by the driver). */
#define BALLOON_CFG_NUM_PAGES 0
#define BALLOON_CFG_ACTUAL 4
#define BALLOON_CFG_LEN 8

enum balloon_role {
	ROLE_NONE, /* a queue the negotiated features leave unused */
	ROLE_INFLATE,
	ROLE_DEFLATE,
	ROLE_STATS,
	ROLE_REPORTING,
};

struct balloon_dev {
	struct virtio_device vdev;
	struct virtio_worker worker;
	struct dev_queue queues[BALLOON_NQUEUES];
	struct vq_elem elem;
	/* Set by activate() before the worker starts. */
	enum balloon_role roles[BALLOON_NQUEUES];
	/* Worker only: the statistics chain kept, if any. */
	bool stats_held;
	uint16_t stats_head;
	uint32_t actual;    /* atomic: config field the driver writes */
	uint64_t discarded; /* atomic */
	pthread_mutex_t stats_lock;
	struct virtio_balloon_stats stats; /* under stats_lock */
};

static uint64_t balloon_features(struct virtio_device *dev)
{
	return (1ull << VIRTIO_BALLOON_F_STATS_VQ) |
	       (1ull << VIRTIO_BALLOON_F_REPORTING);
}

static void balloon_config_read(struct virtio_device *dev, uint64_t offset,
				uint8_t *data, uint32_t len)
{
	struct balloon_dev *b = dev->priv;
	uint32_t actual = __atomic_load_n(&b->actual, __ATOMIC_RELAXED);
	uint8_t cfg[BALLOON_CFG_LEN] = {0};

	actual = htole32(actual);
	memcpy(cfg + BALLOON_CFG_ACTUAL, &actual, 4);
	memset(data, 0, len);
	if (offset < BALLOON_CFG_LEN)
		memcpy(data, cfg + offset,
		       len < BALLOON_CFG_LEN - offset
			       ? len
			       : BALLOON_CFG_LEN - offset);
}

/* Only a whole, aligned write of `actual` is taken. */
static void balloon_config_write(struct virtio_device *dev, uint64_t offset,
				 const uint8_t *data, uint32_t len)
{
	struct balloon_dev *b = dev->priv;
	uint32_t v;

	if (offset != BALLOON_CFG_ACTUAL || len != 4)
		return;
	memcpy(&v, data, 4);
	__atomic_store_n(&b->actual, le32toh(v), __ATOMIC_RELAXED);
}

static void discard(struct balloon_dev *b, void *host, uint64_t len,
		    const char *what)
{
	ssize_t n = gm_discard(b->vdev.gm, host, len);

	if (n < 0) {
		log_debug("virtio-balloon: %s range of %llu bytes not "
			  "discarded: %s",
			  what, (unsigned long long)len, strerror((int)-n));
		return;
	}
	__atomic_fetch_add(&b->discarded, (uint64_t)n, __ATOMIC_RELAXED);
}

/* Page frame numbers, little-endian u32 each; whole entries only.
 * Adjacent pages are discarded as one run. */
static void inflate(struct balloon_dev *b, const struct vq_elem *e)
{
	uint8_t *run = NULL;
	uint64_t run_len = 0;
	uint32_t pfns[64];
	size_t off = 0;
	ssize_t got;

	while ((got = iov_to_buf(e->out, e->n_out, off, pfns, sizeof(pfns))) >=
	       4) {
		for (size_t i = 0; i < (size_t)got / 4; i++) {
			uint64_t gpa = (uint64_t)le32toh(pfns[i])
				       << BALLOON_PAGE_SHIFT;
			uint8_t *p =
				gm_slice(b->vdev.gm, gpa, BALLOON_PAGE_SIZE);

			if (!p) {
				log_debug(
					"virtio-balloon: inflated page 0x%llx "
					"outside guest RAM",
					(unsigned long long)gpa);
				continue;
			}
			if (run && p == run + run_len) {
				run_len += BALLOON_PAGE_SIZE;
				continue;
			}
			if (run)
				discard(b, run, run_len, "inflated");
			run = p;
			run_len = BALLOON_PAGE_SIZE;
		}
		off += (size_t)got & ~(size_t)3;
	}
	if (run)
		discard(b, run, run_len, "inflated");
}

static void report(struct balloon_dev *b, const struct vq_elem *e)
{
	uint64_t before = __atomic_load_n(&b->discarded, __ATOMIC_RELAXED);
	uint64_t after;

	if (e->n_out)
		log_debug("virtio-balloon: %u device-readable buffers in a "
			  "report, ignored",
			  e->n_out);
	for (unsigned int i = 0; i < e->n_in; i++)
		discard(b, e->in[i].iov_base, e->in[i].iov_len, "reported");
	after = __atomic_load_n(&b->discarded, __ATOMIC_RELAXED);
	log_debug("virtio-balloon: %llu KiB reported free, %llu MiB given "
		  "back so far",
		  (unsigned long long)(after - before) >> 10,
		  (unsigned long long)after >> 20);
}

/* Tag/value pairs; unknown tags and a trailing partial pair are ignored. */
static void take_stats(struct balloon_dev *b, const struct vq_elem *e)
{
	uint8_t rec[BALLOON_STAT_LEN];
	size_t off = 0;

	pthread_mutex_lock(&b->stats_lock);
	while (iov_to_buf(e->out, e->n_out, off, rec, sizeof(rec)) ==
	       sizeof(rec)) {
		uint16_t tag;
		uint64_t val;

		memcpy(&tag, rec, 2);
		memcpy(&val, rec + 2, 8);
		tag = le16toh(tag);
		if (tag < VIRTIO_BALLOON_S_NR) {
			b->stats.vals[tag] = le64toh(val);
			b->stats.valid |= 1u << tag;
		}
		off += sizeof(rec);
	}
	b->stats.updates++;
	log_debug("virtio-balloon: statistics update %llu: %zu entries, "
		  "free %llu of %llu bytes",
		  (unsigned long long)b->stats.updates, off / sizeof(rec),
		  (unsigned long long)b->stats.vals[VIRTIO_BALLOON_S_MEMFREE],
		  (unsigned long long)b->stats.vals[VIRTIO_BALLOON_S_MEMTOT]);
	pthread_mutex_unlock(&b->stats_lock);
}

/* The newest statistics buffer is kept: completing it is how a device asks
 * for fresh numbers. A driver that sends another gets the older one back. */
static bool stats_chain(struct balloon_dev *b, struct dev_queue *q,
			const struct vq_elem *e)
{
	take_stats(b, e);
	if (b->stats_held)
		devq_complete(q, b->stats_head, 0);
	b->stats_held = true;
	b->stats_head = e->head;
	return false;
}

static bool balloon_handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
			   uint32_t *written)
{
	struct balloon_dev *b = ctx;

	switch (b->roles[q->index]) {
	case ROLE_INFLATE:
		inflate(b, e);
		break;
	case ROLE_REPORTING:
		report(b, e);
		break;
	case ROLE_STATS:
		return stats_chain(b, q, e);
	case ROLE_DEFLATE:
	case ROLE_NONE:
		break;
	}
	return true;
}

static const struct virtio_worker_ops balloon_worker_ops = {
	.handle_chain = balloon_handle,
	.role = "balloon",
};

/* Queues are numbered without gaps in feature-bit order (see the top). */
static void assign_roles(struct balloon_dev *b, uint64_t features)
{
	unsigned int i = 0;

	b->roles[i++] = ROLE_INFLATE;
	b->roles[i++] = ROLE_DEFLATE;
	if (features & (1ull << VIRTIO_BALLOON_F_STATS_VQ))
		b->roles[i++] = ROLE_STATS;
	if (features & (1ull << VIRTIO_BALLOON_F_REPORTING))
		b->roles[i++] = ROLE_REPORTING;
	while (i < BALLOON_NQUEUES)
		b->roles[i++] = ROLE_NONE;
}

static int balloon_activate(struct virtio_device *dev, uint64_t features,
			    struct virtqueue *queues, const int *notify_fds,
			    struct krun_err **err)
{
	struct balloon_dev *b = dev->priv;

	if (!queues[0].ready || !queues[1].ready)
		return krun_err_set(err, EINVAL,
				    "virtio-balloon: inflate or deflate queue "
				    "not ready");
	assign_roles(b, features);
	b->stats_held = false;
	return virtio_worker_activate(&b->worker, queues, notify_fds, err);
}

static void balloon_reset(struct virtio_device *dev)
{
	struct balloon_dev *b = dev->priv;

	virtio_worker_reset(&b->worker);
	b->stats_held = false;
	__atomic_store_n(&b->actual, 0, __ATOMIC_RELAXED);
}

static void balloon_destroy(struct virtio_device *dev)
{
	struct balloon_dev *b = dev->priv;

	virtio_worker_stop(&b->worker);
	pthread_mutex_destroy(&b->stats_lock);
	free(b);
}

static const struct virtio_dev_ops balloon_ops = {
	.name = "balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.num_queues = BALLOON_NQUEUES,
	.queue_max_size = BALLOON_QUEUE_SIZE,
	.features = balloon_features,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.activate = balloon_activate,
	.reset = balloon_reset,
	.destroy = balloon_destroy,
};

struct virtio_device *virtio_balloon_create(struct krun_err **err)
{
	struct balloon_dev *b = calloc(1, sizeof(*b));

	if (!b) {
		krun_err_set(err, ENOMEM, "virtio-balloon: out of memory");
		return NULL;
	}
	b->vdev.ops = &balloon_ops;
	b->vdev.priv = b;
	pthread_mutex_init(&b->stats_lock, NULL);
	for (unsigned int i = 0; i < BALLOON_NQUEUES; i++)
		devq_init(&b->queues[i], &b->vdev, i);
	virtio_worker_init(&b->worker, &balloon_worker_ops, b, b->queues,
			   BALLOON_NQUEUES, &b->elem);
	return &b->vdev;
}

void virtio_balloon_get_stats(struct virtio_device *dev,
			      struct virtio_balloon_stats *out)
{
	struct balloon_dev *b = dev->priv;

	pthread_mutex_lock(&b->stats_lock);
	*out = b->stats;
	pthread_mutex_unlock(&b->stats_lock);
}

uint64_t virtio_balloon_discarded(struct virtio_device *dev)
{
	struct balloon_dev *b = dev->priv;

	return __atomic_load_n(&b->discarded, __ATOMIC_RELAXED);
}
