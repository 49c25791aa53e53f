/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a virtio-snd stream's samples go (playback) or come from
 * (capture). The device calls the ops from its worker thread; a backend
 * moves the samples on its own thread(s) through the stream's ring and
 * writes the device's wake eventfd (given at prepare) whenever it took
 * bytes out of a playback ring or put bytes into a capture ring, so the
 * worker completes the guest's buffers without ever waiting on the
 * backend. A backend that underruns plays silence; one that overruns
 * drops captured bytes.
 */
#ifndef KRUN_VIRTIO_SND_BACKEND_H
#define KRUN_VIRTIO_SND_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "virtio/snd/snd_ring.h"

enum snd_sample_fmt {
	SND_FMT_S16,
	SND_FMT_S32,
	SND_FMT_FLOAT,
};

struct snd_pcm_params {
	bool capture;
	enum snd_sample_fmt format;
	uint32_t rate;	  /* frames per second */
	uint8_t channels; /* 1 or 2 */
	uint32_t period_bytes;
	uint32_t buffer_bytes;
};

struct snd_backend;

struct snd_backend_ops {
	/* Set up stream id (0: playback, 1: capture) for params, moving
	 * samples through ring and writing wake_fd; not yet running. A
	 * stream prepared again is first released. */
	int (*prepare)(struct snd_backend *be, unsigned int id,
		       const struct snd_pcm_params *params,
		       struct snd_ring *ring, int wake_fd,
		       struct krun_err **err);
	/* Start / stop moving samples. */
	int (*start)(struct snd_backend *be, unsigned int id,
		     struct krun_err **err);
	int (*stop)(struct snd_backend *be, unsigned int id,
		    struct krun_err **err);
	/* Tear the stream down; the backend no longer touches its ring
	 * when this returns. Safe on a stream not prepared. */
	void (*release)(struct snd_backend *be, unsigned int id);
	void (*destroy)(struct snd_backend *be);
};

struct snd_backend {
	const struct snd_backend_ops *ops;
	const char *name;
};

/* Bytes per sample of fmt. */
static inline unsigned int snd_fmt_bytes(enum snd_sample_fmt fmt)
{
	return fmt == SND_FMT_S16 ? 2 : 4;
}

#endif
