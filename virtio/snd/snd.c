// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-snd device: transport ops, config space and the worker round.
 * One worker serves all four queues: the control queue first (so a START
 * is seen before the periods that follow it are pumped), then the tx and
 * rx queues, whose messages are held per stream, then the pump that moves
 * samples between held messages and the backend's rings. The backend
 * writes wake_fd whenever it moved samples; the worker watches it. The
 * event queue's buffers are left with the driver: the jacks are always
 * connected and the device sends no events.
 */
#include "virtio/snd/snd.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/snd/snd_dev.h"

#define SND_WAKE_SLOT 0

static uint64_t snd_features(struct virtio_device *dev)
{
	(void)dev;
	return 0;
}

static void snd_config_read(struct virtio_device *dev, uint64_t offset,
			    uint8_t *data, uint32_t len)
{
	struct virtio_snd_config cfg = {
		.jacks = htole32(SND_NJACKS),
		.streams = htole32(SND_NSTREAMS),
		.chmaps = htole32(SND_NCHMAPS),
	};

	(void)dev;
	memset(data, 0, len);
	if (offset < sizeof(cfg))
		memcpy(data, (uint8_t *)&cfg + offset,
		       len < sizeof(cfg) - offset ? len : sizeof(cfg) - offset);
}

static int snd_process(void *ctx, struct virtio_worker *w)
{
	struct snd_dev *s = ctx;

	if (virtio_worker_ready(w, SND_WAKE_SLOT))
		virtio_eventfd_drain(s->wake_fd);
	devq_serve(&s->queues[SND_VQ_CONTROL], &s->elem, snd_ctl_handle, s);
	devq_serve(&s->queues[SND_VQ_TX], &s->elem, snd_pcm_take, s);
	devq_serve(&s->queues[SND_VQ_RX], &s->elem, snd_pcm_take, s);
	snd_pcm_pump(s);
	devq_signal(&s->queues[SND_VQ_TX]);
	devq_signal(&s->queues[SND_VQ_RX]);
	return -1;
}

static const struct virtio_worker_ops snd_worker_ops = {
	.process = snd_process,
	.role = "snd",
};

static int snd_activate(struct virtio_device *dev, uint64_t features,
			struct virtqueue *queues, const int *notify_fds,
			struct krun_err **err)
{
	struct snd_dev *s = dev->priv;

	(void)features;
	if (!queues[SND_VQ_CONTROL].ready)
		return krun_err_set(err, EINVAL,
				    "virtio-snd: control queue not ready");
	return virtio_worker_activate(&s->worker, queues, notify_fds, err);
}

static void snd_reset(struct virtio_device *dev)
{
	struct snd_dev *s = dev->priv;

	virtio_worker_reset(&s->worker);
	snd_ctl_release_all(s);
	virtio_eventfd_drain(s->wake_fd);
}

static void snd_destroy(struct virtio_device *dev)
{
	struct snd_dev *s = dev->priv;

	virtio_worker_stop(&s->worker);
	snd_ctl_release_all(s);
	if (s->be)
		s->be->ops->destroy(s->be);
	for (unsigned int i = 0; i < SND_NSTREAMS; i++)
		free(s->streams[i].msgs);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s);
}

static const struct virtio_dev_ops snd_ops = {
	.name = "snd",
	.device_id = VIRTIO_ID_SOUND,
	.num_queues = SND_NQUEUES,
	.queue_max_size = SND_QUEUE_SIZE,
	.features = snd_features,
	.config_read = snd_config_read,
	.activate = snd_activate,
	.reset = snd_reset,
	.destroy = snd_destroy,
};

struct virtio_device *virtio_snd_create(struct snd_backend *be,
					struct krun_err **err)
{
	struct snd_dev *s = calloc(1, sizeof(*s));

	if (!s) {
		if (be)
			be->ops->destroy(be);
		krun_err_set(err, ENOMEM, "virtio-snd: out of memory");
		return NULL;
	}
	s->vdev.ops = &snd_ops;
	s->vdev.priv = s;
	s->be = be;
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	for (unsigned int i = 0; i < SND_NSTREAMS; i++) {
		s->streams[i].id = i;
		s->streams[i].capture = i == 1;
		s->streams[i].msgs =
			calloc(SND_QUEUE_SIZE, sizeof(struct snd_msg));
	}
	if (s->wake_fd < 0 || !s->streams[0].msgs || !s->streams[1].msgs ||
	    !be) {
		krun_err_set(err, be ? ENOMEM : EINVAL,
			     be ? "virtio-snd: out of resources"
				: "virtio-snd: no backend");
		snd_destroy(&s->vdev);
		return NULL;
	}
	for (unsigned int i = 0; i < SND_NQUEUES; i++)
		devq_init(&s->queues[i], &s->vdev, i);
	virtio_worker_init(&s->worker, &snd_worker_ops, s, s->queues,
			   SND_NQUEUES, &s->elem);
	virtio_worker_watch(&s->worker, SND_WAKE_SLOT, s->wake_fd);
	return &s->vdev;
}
