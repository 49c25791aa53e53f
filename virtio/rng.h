/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng: entropy from getrandom(). */
#ifndef KRUN_VIRTIO_RNG_H
#define KRUN_VIRTIO_RNG_H

#include "util/err.h"
#include "virtio/virtio_dev.h"

/* The device is owned by its transport once wrapped (virtio_mmio_create);
 * before that, free it with dev->ops->destroy(dev). */
struct virtio_device *virtio_rng_create(struct krun_err **err);

#endif
