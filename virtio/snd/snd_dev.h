/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-snd internals shared by the device's files: snd.c (transport ops,
 * config space, the worker round), snd_ctl.c (control queue, stream state
 * machine), snd_pcm.c (tx/rx queues: holding, filling and completing the
 * guest's period buffers). Everything here belongs to the worker thread,
 * except what activate/reset touch while the worker is stopped.
 */
#ifndef KRUN_VIRTIO_SND_DEV_H
#define KRUN_VIRTIO_SND_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/snd/snd_backend.h"
#include "virtio/snd/snd_proto.h"
#include "virtio/snd/snd_ring.h"
#include "virtio/worker.h"

#define SND_NSTREAMS 2 /* 0: playback, 1: capture */
#define SND_NJACKS 2   /* 0: line out, 1: line in */
#define SND_NCHMAPS 4  /* mono and stereo, per direction */
#define SND_QUEUE_SIZE 256

/* Limits on what the guest may ask for. */
#define SND_MAX_BUFFER_BYTES (4u << 20)
#define SND_MAX_MSG_IOV 256

/* Stream states of the spec's PCM state machine (5.14.6.6.1). */
enum snd_state {
	SND_ST_INIT,	 /* no parameters yet */
	SND_ST_PARAMS,	 /* SET_PARAMS done */
	SND_ST_PREPARED, /* PREPARE done */
	SND_ST_RUNNING,	 /* START done */
	SND_ST_STOPPED,	 /* STOP done */
	SND_ST_RELEASED, /* RELEASE done (parameters kept) */
};

/* One I/O message the device holds: a period buffer of the guest. Its
 * chain's iovecs are copied (out first, then in): tx data is the out part
 * after the 4-byte header, its status the first 8 in bytes; rx data is the
 * in part before the last 8 bytes, which take the status. */
struct snd_msg {
	uint16_t head;
	uint32_t len;  /* data bytes */
	uint32_t done; /* data bytes moved so far */
	unsigned int n_out, n_in;
	uint32_t in_len;
	struct iovec *iov; /* n_out + n_in entries */
};

struct snd_stream {
	uint32_t id;
	bool capture;
	enum snd_state state;
	struct snd_pcm_params params;
	bool backend_ready; /* prepared on the backend */
	struct snd_ring ring;
	struct snd_msg *msgs; /* FIFO of held messages */
	unsigned int nmsgs, first;
};

struct snd_dev {
	struct virtio_device vdev;
	struct virtio_worker worker;
	struct dev_queue queues[SND_NQUEUES];
	struct vq_elem elem;
	struct snd_backend *be;
	int wake_fd; /* eventfd the backend writes */
	struct snd_stream streams[SND_NSTREAMS];
};

/* snd_ctl.c: handle one control chain (a devq_handle_fn). */
bool snd_ctl_handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
		    uint32_t *written);
/* Release every stream (device reset, destroy). */
void snd_ctl_release_all(struct snd_dev *s);

/* snd_pcm.c */
/* Take one tx/rx chain (a devq_handle_fn for queues 2 and 3). */
bool snd_pcm_take(void *ctx, struct dev_queue *q, struct vq_elem *e,
		  uint32_t *written);
/* Move data between held messages and running streams' rings; complete
 * the messages that are done. */
void snd_pcm_pump(struct snd_dev *s);
/* Complete every held message of st with S_OK (RELEASE): playback data
 * not played is dropped, capture buffers are returned silent. */
void snd_pcm_flush(struct snd_dev *s, struct snd_stream *st);
/* Drop held messages without completing them (reset). */
void snd_pcm_drop(struct snd_stream *st);

/* Frame rate of a VIRTIO_SND_PCM_RATE_* code; 0 when unknown. */
uint32_t snd_rate_hz(uint8_t code);

#endif
