// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-snd I/O queues (virtio 1.2, 5.14.6.8). A tx message is the
 * 4-byte xfer header and the period's samples (device-readable), then an
 * 8-byte status (device-writable); an rx message is the header, then the
 * buffer to fill followed by the status. The device holds each message
 * until its stream has moved the period: a playback message is completed
 * once all its bytes went into the stream's ring (the backend drains the
 * ring at the sink's pace, so completions pace the guest), a capture
 * message once the ring gave enough bytes to fill it. latency_bytes is
 * what the ring holds at completion. A message for the wrong queue, an
 * unknown stream or a stream that is not prepared is completed at once
 * with S_BAD_MSG.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtio/iov.h"
#include "virtio/snd/snd_dev.h"

#define PCM_CHUNK 4096

static struct dev_queue *stream_queue(struct snd_dev *s,
				      const struct snd_stream *st)
{
	return &s->queues[st->capture ? SND_VQ_RX : SND_VQ_TX];
}

/* The status goes to the first 8 in bytes (tx) or the last 8 (rx). */
static void put_status(const struct iovec *in, unsigned int n_in, size_t off,
		       uint32_t status, uint32_t latency)
{
	struct virtio_snd_pcm_status st = {
		.status = htole32(status),
		.latency_bytes = htole32(latency),
	};

	iov_from_buf(in, n_in, off, &st, sizeof(st));
}

/* Complete a chain that is not held, with only a status. */
static uint32_t reject(const struct vq_elem *e, bool capture, uint32_t status)
{
	size_t off =
		capture ? e->in_len - sizeof(struct virtio_snd_pcm_status) : 0;

	put_status(e->in, e->n_in, off, status, 0);
	return capture ? e->in_len : sizeof(struct virtio_snd_pcm_status);
}

bool snd_pcm_take(void *ctx, struct dev_queue *q, struct vq_elem *e,
		  uint32_t *written)
{
	struct snd_dev *s = ctx;
	bool capture = q->index == SND_VQ_RX;
	struct virtio_snd_pcm_xfer x;
	struct snd_stream *st;
	struct snd_msg *m;
	uint32_t id;

	if (e->in_len < sizeof(struct virtio_snd_pcm_status)) {
		log_debug("virtio-snd: I/O message without room for a status");
		return true;
	}
	if (iov_to_buf(e->out, e->n_out, 0, &x, sizeof(x)) != sizeof(x)) {
		*written = reject(e, capture, VIRTIO_SND_S_BAD_MSG);
		return true;
	}
	id = le32toh(x.stream_id);
	if (id >= SND_NSTREAMS || s->streams[id].capture != capture ||
	    !s->streams[id].backend_ready ||
	    e->n_out + e->n_in > SND_MAX_MSG_IOV ||
	    (capture && e->out_len != sizeof(x))) {
		*written = reject(e, capture, VIRTIO_SND_S_BAD_MSG);
		return true;
	}
	st = &s->streams[id];
	if (st->nmsgs >= SND_QUEUE_SIZE) { /* cannot happen: queue size */
		*written = reject(e, capture, VIRTIO_SND_S_IO_ERR);
		return true;
	}
	m = &st->msgs[(st->first + st->nmsgs) % SND_QUEUE_SIZE];
	*m = (struct snd_msg){
		.head = e->head,
		.len = capture ? e->in_len -
					 sizeof(struct virtio_snd_pcm_status)
			       : e->out_len - (uint32_t)sizeof(x),
		.n_out = e->n_out,
		.n_in = e->n_in,
		.in_len = e->in_len,
		.iov = malloc((e->n_out + e->n_in) * sizeof(struct iovec)),
	};
	if (!m->iov) {
		*written = reject(e, capture, VIRTIO_SND_S_IO_ERR);
		return true;
	}
	memcpy(m->iov, e->out, e->n_out * sizeof(struct iovec));
	memcpy(m->iov + e->n_out, e->in, e->n_in * sizeof(struct iovec));
	st->nmsgs++;
	return false;
}

static void finish(struct snd_dev *s, struct snd_stream *st, uint32_t latency)
{
	struct snd_msg *m = &st->msgs[st->first];
	const struct iovec *in = m->iov + m->n_out;
	uint32_t written;

	if (st->capture) {
		put_status(in, m->n_in, m->len, VIRTIO_SND_S_OK, latency);
		written = m->in_len;
	} else {
		put_status(in, m->n_in, 0, VIRTIO_SND_S_OK, latency);
		written = sizeof(struct virtio_snd_pcm_status);
	}
	devq_complete(stream_queue(s, st), m->head, written);
	free(m->iov);
	m->iov = NULL;
	st->first = (st->first + 1) % SND_QUEUE_SIZE;
	st->nmsgs--;
}

/* Playback: as much of the held periods as the ring takes. */
static void pump_playback(struct snd_dev *s, struct snd_stream *st)
{
	uint8_t buf[PCM_CHUNK];

	while (st->nmsgs) {
		struct snd_msg *m = &st->msgs[st->first];

		while (m->done < m->len) {
			size_t room = snd_ring_space(&st->ring);
			size_t want = m->len - m->done;
			ssize_t got;

			if (want > room)
				want = room;
			if (want > sizeof(buf))
				want = sizeof(buf);
			if (!want)
				return;
			got = iov_to_buf(m->iov, m->n_out,
					 sizeof(struct virtio_snd_pcm_xfer) +
						 (size_t)m->done,
					 buf, want);
			if (got <= 0)
				break; /* cannot happen: out_len counted it */
			m->done += (uint32_t)snd_ring_write(&st->ring, buf,
							    (size_t)got);
		}
		finish(s, st, (uint32_t)snd_ring_fill(&st->ring));
	}
}

/* Capture: fill the held buffers from what the ring has. */
static void pump_capture(struct snd_dev *s, struct snd_stream *st)
{
	uint8_t buf[PCM_CHUNK];

	while (st->nmsgs) {
		struct snd_msg *m = &st->msgs[st->first];

		while (m->done < m->len) {
			size_t want = m->len - m->done;
			size_t got;

			if (want > sizeof(buf))
				want = sizeof(buf);
			got = snd_ring_read(&st->ring, buf, want);
			if (!got)
				return;
			iov_from_buf(m->iov + m->n_out, m->n_in, m->done, buf,
				     got);
			m->done += (uint32_t)got;
		}
		finish(s, st, (uint32_t)snd_ring_fill(&st->ring));
	}
}

void snd_pcm_pump(struct snd_dev *s)
{
	for (unsigned int i = 0; i < SND_NSTREAMS; i++) {
		struct snd_stream *st = &s->streams[i];

		if (st->state != SND_ST_RUNNING || !st->backend_ready)
			continue;
		if (st->capture)
			pump_capture(s, st);
		else
			pump_playback(s, st);
	}
}

void snd_pcm_flush(struct snd_dev *s, struct snd_stream *st)
{
	static const uint8_t zero[PCM_CHUNK];

	while (st->nmsgs) {
		struct snd_msg *m = &st->msgs[st->first];

		if (st->capture)
			while (m->done < m->len) {
				size_t n = m->len - m->done;

				if (n > sizeof(zero))
					n = sizeof(zero);
				iov_from_buf(m->iov + m->n_out, m->n_in,
					     m->done, zero, n);
				m->done += (uint32_t)n;
			}
		finish(s, st, 0);
	}
}

void snd_pcm_drop(struct snd_stream *st)
{
	while (st->nmsgs) {
		free(st->msgs[st->first].iov);
		st->msgs[st->first].iov = NULL;
		st->first = (st->first + 1) % SND_QUEUE_SIZE;
		st->nmsgs--;
	}
	st->first = 0;
}
