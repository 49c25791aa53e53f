// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-fs device: one worker thread per queue pops FUSE requests and
 * hands each chain's iovecs straight to the FUSE server, so READ and
 * WRITE data move between the host file and guest memory with no copy.
 *
 * A SETLKW that would block is parked, not waited for: the worker keeps
 * serving its queue (the request that releases the lock may be behind it)
 * and retries parked requests every few milliseconds. A worker never
 * blocks on a guest lock: when the parking space (one entry per ring
 * slot) is full, or a copy cannot be allocated, the request is answered
 * with ENOLCK, so a guest with many waiters sees an error, never a wedged
 * queue or a reset that cannot join its worker.
 */
#include "virtio/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtio/fs/fuse_server.h"
#include "virtio/worker.h"

#define FS_NUM_QUEUES 2 /* hiprio + one request queue */
#define FS_QUEUE_SIZE 1024
#define FS_MAX_PARKED FS_QUEUE_SIZE
#define FS_RETRY_MS 10

/* The config layout of the virtio 1.2 spec, 5.11.4. */
struct virtio_fs_config {
	char tag[VIRTIO_FS_TAG_MAX];
	uint32_t num_request_queues; /* little-endian; x86 hosts only */
} __attribute__((packed));

struct fs_dev;

/* A parked chain: only the iovecs it uses, not a whole vq_elem. */
struct fs_parked {
	uint16_t head;
	unsigned int n_out;
	unsigned int n_in;
	struct iovec iov[]; /* n_out readable, then n_in writable */
};

struct fs_queue {
	struct fs_dev *fs;
	struct dev_queue queue;
	struct virtio_worker worker;
	struct vq_elem *elem; /* scratch for pops */
	struct fs_parked *parked[FS_MAX_PARKED];
	unsigned int nparked;
};

struct fs_dev {
	struct virtio_device vdev;
	struct fuse_server *srv;
	struct virtio_fs_config config;
	struct fs_queue queues[FS_NUM_QUEUES];
};

static uint64_t fs_features(struct virtio_device *dev)
{
	return 0; /* no VIRTIO_FS_F_NOTIFICATION */
}

static void fs_config_read(struct virtio_device *dev, uint64_t offset,
			   uint8_t *data, uint32_t len)
{
	struct fs_dev *fs = dev->priv;

	memset(data, 0, len);
	if (offset >= sizeof(fs->config) || len > sizeof(fs->config) - offset)
		return;
	memcpy(data, (const uint8_t *)&fs->config + offset, len);
}

static void fs_config_write(struct virtio_device *dev, uint64_t offset,
			    const uint8_t *data, uint32_t len)
{
	/* The config space is read-only. */
}

/* Handle one request; false when it would block (leave it parked). */
static bool try_serve(struct fs_queue *q, const struct iovec *out,
		      unsigned int n_out, const struct iovec *in,
		      unsigned int n_in, uint32_t *written)
{
	ssize_t n = fuse_server_try_handle(q->fs->srv, out, n_out, in, n_in);

	if (n == -EWOULDBLOCK)
		return false;
	/* Not even an error header fits: hand it back empty. */
	*written = n < 0 ? 0 : (uint32_t)n;
	return true;
}

static struct fs_parked *parked_copy(const struct vq_elem *e)
{
	size_t n = (size_t)e->n_out + e->n_in;
	struct fs_parked *p = malloc(sizeof(*p) + n * sizeof(p->iov[0]));

	if (!p)
		return NULL;
	p->head = e->head;
	p->n_out = e->n_out;
	p->n_in = e->n_in;
	memcpy(p->iov, e->out, e->n_out * sizeof(p->iov[0]));
	memcpy(p->iov + e->n_out, e->in, e->n_in * sizeof(p->iov[0]));
	return p;
}

/* Park a would-block chain (a copy: the scratch elem is reused). Returns
 * false when parked; true when it was answered at once with ENOLCK. */
static bool park(struct fs_queue *q, const struct vq_elem *e, uint32_t *written)
{
	struct fs_parked *p = NULL;
	ssize_t n;

	if (q->nparked < FS_MAX_PARKED)
		p = parked_copy(e);
	if (p) {
		q->parked[q->nparked++] = p;
		return false;
	}
	n = fuse_server_refuse(q->fs->srv, e->out, e->n_out, e->in, e->n_in,
			       ENOLCK);
	*written = n < 0 ? 0 : (uint32_t)n;
	return true;
}

static bool fs_handle(void *ctx, struct dev_queue *dq, struct vq_elem *e,
		      uint32_t *written)
{
	struct fs_queue *q = ctx;

	return try_serve(q, e->out, e->n_out, e->in, e->n_in, written) ||
	       park(q, e, written);
}

static void drop_parked(struct fs_queue *q)
{
	for (unsigned int i = 0; i < q->nparked; i++)
		free(q->parked[i]);
	q->nparked = 0;
}

/* A parked request of a queue that broke is dropped with its ring. */
static void retry_parked(struct fs_queue *q)
{
	unsigned int kept = 0;
	uint32_t written;

	if (!devq_live(&q->queue)) {
		drop_parked(q);
		return;
	}
	for (unsigned int i = 0; i < q->nparked; i++) {
		struct fs_parked *p = q->parked[i];

		if (try_serve(q, p->iov, p->n_out, p->iov + p->n_out, p->n_in,
			      &written)) {
			devq_complete(&q->queue, p->head, written);
			free(p);
		} else {
			q->parked[kept++] = p;
		}
	}
	q->nparked = kept;
}

/* Parked chains first (their completions are signalled with the pass). */
static int fs_process(void *ctx, struct virtio_worker *w)
{
	struct fs_queue *q = ctx;

	retry_parked(q);
	devq_serve(&q->queue, q->elem, fs_handle, q);
	return q->nparked ? FS_RETRY_MS : -1;
}

static const struct virtio_worker_ops fs_worker_ops = {
	.process = fs_process,
	.role = "fs",
};

static void fs_reset(struct virtio_device *dev)
{
	struct fs_dev *fs = dev->priv;

	for (unsigned int i = 0; i < FS_NUM_QUEUES; i++) {
		struct fs_queue *q = &fs->queues[i];

		virtio_worker_reset(&q->worker);
		drop_parked(q);
	}
}

static int fs_activate(struct virtio_device *dev, uint64_t features,
		       struct virtqueue *queues, const int *notify_fds,
		       struct krun_err **err)
{
	struct fs_dev *fs = dev->priv;
	int ret;

	for (unsigned int i = 0; i < FS_NUM_QUEUES; i++) {
		struct fs_queue *q = &fs->queues[i];

		if (!queues[i].ready)
			continue; /* the driver may leave hiprio unused */
		ret = virtio_worker_activate(&q->worker, queues, notify_fds,
					     err);
		if (ret < 0) {
			fs_reset(dev);
			return krun_err_wrap(err, "virtio-fs: queue %u", i);
		}
	}
	return 0;
}

static void fs_destroy(struct virtio_device *dev)
{
	struct fs_dev *fs = dev->priv;

	fs_reset(dev);
	for (unsigned int i = 0; i < FS_NUM_QUEUES; i++)
		free(fs->queues[i].elem);
	fuse_server_destroy(fs->srv);
	free(fs);
}

static const struct virtio_dev_ops fs_ops = {
	.name = "fs",
	.device_id = VIRTIO_ID_FS,
	.num_queues = FS_NUM_QUEUES,
	.queue_max_size = FS_QUEUE_SIZE,
	.features = fs_features,
	.config_read = fs_config_read,
	.config_write = fs_config_write,
	.activate = fs_activate,
	.reset = fs_reset,
	.destroy = fs_destroy,
};

static int init_queues(struct fs_dev *fs, struct krun_err **err)
{
	for (unsigned int i = 0; i < FS_NUM_QUEUES; i++) {
		struct fs_queue *q = &fs->queues[i];

		q->fs = fs;
		devq_init(&q->queue, &fs->vdev, i);
		q->elem = malloc(sizeof(*q->elem));
		virtio_worker_init(&q->worker, &fs_worker_ops, q, &q->queue, 1,
				   q->elem);
		if (!q->elem)
			return krun_err_set(err, ENOMEM,
					    "virtio-fs: out of memory");
	}
	return 0;
}

struct virtio_device *virtio_fs_create(const char *tag, const char *host_dir,
				       unsigned int flags, uint32_t max_fds,
				       struct krun_err **err)
{
	struct fuse_server_opts opts = {
		.read_only = flags & VIRTIO_FS_READ_ONLY,
		.allow_setid = flags & VIRTIO_FS_ALLOW_SETID,
		.cache = FUSE_CACHE_AUTO,
		.cache_timeout_ms = VIRTIO_FS_AUTO_TIMEOUT_MS,
		.max_fds = max_fds,
	};
	size_t tag_len = tag ? strlen(tag) : 0;
	struct fs_dev *fs;

	switch (flags & VIRTIO_FS_CACHE_MASK) {
	case VIRTIO_FS_CACHE_ALWAYS:
		opts.cache = FUSE_CACHE_ALWAYS;
		opts.cache_timeout_ms = VIRTIO_FS_ALWAYS_TIMEOUT_MS;
		break;
	case VIRTIO_FS_CACHE_NEVER:
		opts.cache = FUSE_CACHE_NEVER;
		opts.cache_timeout_ms = 0;
		break;
	case 0:
		break;
	default:
		krun_err_set(err, EINVAL,
			     "virtio-fs `%s`: more than one cache policy",
			     tag ? tag : "");
		return NULL;
	}

	if (tag_len == 0 || tag_len > VIRTIO_FS_TAG_MAX) {
		krun_err_set(err, EINVAL,
			     "virtio-fs: tag `%s` must be 1 to %d bytes",
			     tag ? tag : "", VIRTIO_FS_TAG_MAX);
		return NULL;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		krun_err_set(err, ENOMEM, "virtio-fs: out of memory");
		return NULL;
	}
	fs->vdev.ops = &fs_ops;
	fs->vdev.priv = fs;
	memcpy(fs->config.tag, tag, tag_len);
	fs->config.num_request_queues = FS_NUM_QUEUES - 1;
	if (init_queues(fs, err) == 0)
		fs->srv = fuse_server_create(host_dir, &opts, err);
	if (!fs->srv) {
		fs_destroy(&fs->vdev);
		krun_err_wrap(err, "virtio-fs `%s`", tag);
		return NULL;
	}
	return &fs->vdev;
}

int virtio_fs_enable_dax(struct virtio_device *dev, uint64_t size, void **host,
			 struct krun_err **err)
{
	struct fs_dev *fs = dev->priv;
	int ret = fuse_server_enable_dax(fs->srv, size, host, err);

	if (ret < 0)
		krun_err_wrap(err, "virtio-fs `%.*s`", VIRTIO_FS_TAG_MAX,
			      fs->config.tag);
	return ret;
}
