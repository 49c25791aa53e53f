/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-snd (virtio 1.2, section 5.14): one playback and one capture PCM
 * stream (S16, S32 or FLOAT; 8000 to 96000 Hz; 1 or 2 channels), one jack
 * per direction (always connected) and a mono and a stereo channel map per
 * direction, all on one HDA function group so the guest sees one card with
 * one PCM device. Samples go to and come from a struct snd_backend.
 */
#ifndef KRUN_VIRTIO_SND_SND_H
#define KRUN_VIRTIO_SND_SND_H

#include "util/err.h"
#include "virtio/snd/snd_backend.h"
#include "virtio/virtio_dev.h"

/* The device owns be from here on (also on failure). It is owned by its
 * transport once wrapped (virtio_mmio_create); before that, free it with
 * dev->ops->destroy(dev). */
struct virtio_device *virtio_snd_create(struct snd_backend *be,
					struct krun_err **err);

#endif
