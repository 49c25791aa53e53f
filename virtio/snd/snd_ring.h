/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A single-producer single-consumer byte ring between the device's worker
 * (the queue side) and a backend thread. Neither side blocks: a writer
 * copies what fits, a reader what is there. The counters only grow; the
 * producer publishes `wr` after its copy (release), the consumer `rd`
 * after its copy, so each side sees whole copies of the other.
 */
#ifndef KRUN_VIRTIO_SND_RING_H
#define KRUN_VIRTIO_SND_RING_H

#include <stddef.h>
#include <stdint.h>

struct snd_ring {
	uint8_t *buf;
	size_t cap;
	uint64_t rd; /* atomic: bytes consumed so far */
	uint64_t wr; /* atomic: bytes produced so far */
};

/* A ring of cap bytes (> 0); -ENOMEM. */
int snd_ring_init(struct snd_ring *r, size_t cap);
void snd_ring_fini(struct snd_ring *r);

/* Bytes ready to read / room to write, as seen from either side. */
size_t snd_ring_fill(const struct snd_ring *r);
size_t snd_ring_space(const struct snd_ring *r);

/* Producer: copy up to len bytes in; returns the bytes copied. */
size_t snd_ring_write(struct snd_ring *r, const void *src, size_t len);
/* Consumer: copy up to len bytes out; returns the bytes copied. */
size_t snd_ring_read(struct snd_ring *r, void *dst, size_t len);

#endif
