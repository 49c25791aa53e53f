// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-snd control queue (virtio 1.2, 5.14.6.4 - 5.14.6.7): the jack,
 * PCM and channel-map queries and the PCM stream state machine.
 *
 * A request is a header (and its body) in device-readable buffers, the
 * response a status (and for queries, `count` items of `size` bytes) in
 * device-writable buffers. A request too short for its code, an id out of
 * range, an item size below the structure's, a response area too small,
 * or a command the stream's state does not allow gets S_BAD_MSG; a valid
 * request for something not offered (a format, rate, channel count or
 * feature, jack remapping, an unknown code) gets S_NOT_SUPP; a backend
 * failure gets S_IO_ERR. A response area without room for the status gets
 * nothing (used length 0).
 *
 * State machine (5.14.6.6.1), per stream:
 *   SET_PARAMS  from INIT, PARAMS, PREPARED, RELEASED   -> PARAMS
 *   PREPARE     from PARAMS, PREPARED, RELEASED         -> PREPARED
 *   START       from PREPARED, STOPPED                  -> RUNNING
 *   STOP        from RUNNING                            -> STOPPED
 *   RELEASE     from PREPARED, STOPPED                  -> RELEASED
 * Leaving PREPARED through SET_PARAMS or PREPARE releases the backend
 * stream first; RELEASE completes the stream's held messages.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "virtio/iov.h"
#include "virtio/snd/snd_dev.h"

_Static_assert(sizeof(struct virtio_snd_query_info) == 16, "query_info");
_Static_assert(sizeof(struct virtio_snd_jack_info) == 24, "jack_info");
_Static_assert(sizeof(struct virtio_snd_pcm_info) == 32, "pcm_info");
_Static_assert(sizeof(struct virtio_snd_pcm_set_params) == 24, "set_params");
_Static_assert(sizeof(struct virtio_snd_chmap_info) == 24, "chmap_info");

#define SND_MAX_INFO_SIZE 1024

/* What the streams offer. */
#define SND_FORMATS                                                            \
	((1ull << VIRTIO_SND_PCM_FMT_S16) | (1ull << VIRTIO_SND_PCM_FMT_S32) | \
	 (1ull << VIRTIO_SND_PCM_FMT_FLOAT))
#define SND_RATES                              \
	((1ull << VIRTIO_SND_PCM_RATE_8000) |  \
	 (1ull << VIRTIO_SND_PCM_RATE_11025) | \
	 (1ull << VIRTIO_SND_PCM_RATE_16000) | \
	 (1ull << VIRTIO_SND_PCM_RATE_22050) | \
	 (1ull << VIRTIO_SND_PCM_RATE_32000) | \
	 (1ull << VIRTIO_SND_PCM_RATE_44100) | \
	 (1ull << VIRTIO_SND_PCM_RATE_48000) | \
	 (1ull << VIRTIO_SND_PCM_RATE_88200) | \
	 (1ull << VIRTIO_SND_PCM_RATE_96000))
#define SND_CHANNELS_MIN 1
#define SND_CHANNELS_MAX 2

/* HDA pin default configurations (jack location, device, connection,
 * colour) and pin capabilities, as HDA codecs report them: a green rear
 * line-out jack and a blue rear line-in jack, both able to detect
 * presence. */
#define SND_JACK_OUT_DEFCONF 0x01014010u
#define SND_JACK_IN_DEFCONF 0x01813020u
#define SND_PINCAP_PRESENCE (1u << 2)
#define SND_PINCAP_OUT (1u << 4)
#define SND_PINCAP_IN (1u << 5)

uint32_t snd_rate_hz(uint8_t code)
{
	static const uint32_t hz[VIRTIO_SND_PCM_RATE_MAX] = {
		5512,  8000,  11025, 16000, 22050,  32000,  44100,
		48000, 64000, 88200, 96000, 176400, 192000, 384000,
	};

	return code < VIRTIO_SND_PCM_RATE_MAX ? hz[code] : 0;
}

static void fill_jack(unsigned int i, void *item)
{
	struct virtio_snd_jack_info j = {
		.hdr.hda_fn_nid = 0,
		.features = 0,
		.hda_reg_defconf = htole32(i == 0 ? SND_JACK_OUT_DEFCONF
						  : SND_JACK_IN_DEFCONF),
		.hda_reg_caps =
			htole32(SND_PINCAP_PRESENCE |
				(i == 0 ? SND_PINCAP_OUT : SND_PINCAP_IN)),
		.connected = 1,
	};

	memcpy(item, &j, sizeof(j));
}

static void fill_pcm(unsigned int i, void *item)
{
	struct virtio_snd_pcm_info p = {
		.hdr.hda_fn_nid = 0,
		.features = 0,
		.formats = htole64(SND_FORMATS),
		.rates = htole64(SND_RATES),
		.direction = i == 0 ? VIRTIO_SND_D_OUTPUT : VIRTIO_SND_D_INPUT,
		.channels_min = SND_CHANNELS_MIN,
		.channels_max = SND_CHANNELS_MAX,
	};

	memcpy(item, &p, sizeof(p));
}

/* Maps 0, 1: output mono, stereo; 2, 3: input mono, stereo. */
static void fill_chmap(unsigned int i, void *item)
{
	struct virtio_snd_chmap_info c = {
		.hdr.hda_fn_nid = 0,
		.direction = i < 2 ? VIRTIO_SND_D_OUTPUT : VIRTIO_SND_D_INPUT,
		.channels = (uint8_t)(i % 2 + 1),
	};

	if (i % 2 == 0) {
		c.positions[0] = VIRTIO_SND_CHMAP_MONO;
	} else {
		c.positions[0] = VIRTIO_SND_CHMAP_FL;
		c.positions[1] = VIRTIO_SND_CHMAP_FR;
	}
	memcpy(item, &c, sizeof(c));
}

/* Status in the first 4 response bytes. */
static uint32_t reply(const struct vq_elem *e, uint32_t status)
{
	uint32_t le = htole32(status);

	iov_from_buf(e->in, e->n_in, 0, &le, sizeof(le));
	return sizeof(le);
}

static uint32_t query(const struct vq_elem *e, unsigned int total,
		      size_t item_size, void (*fill)(unsigned int, void *))
{
	struct virtio_snd_query_info qi;
	uint8_t item[SND_MAX_INFO_SIZE];
	uint32_t start, count, size;

	if (iov_to_buf(e->out, e->n_out, 0, &qi, sizeof(qi)) != sizeof(qi))
		return reply(e, VIRTIO_SND_S_BAD_MSG);
	start = le32toh(qi.start_id);
	count = le32toh(qi.count);
	size = le32toh(qi.size);
	if (start > total || count > total - start || size < item_size ||
	    size > SND_MAX_INFO_SIZE ||
	    e->in_len < sizeof(struct virtio_snd_hdr) + (uint64_t)count * size)
		return reply(e, VIRTIO_SND_S_BAD_MSG);
	for (uint32_t i = 0; i < count; i++) {
		memset(item, 0, size);
		fill(start + i, item);
		iov_from_buf(e->in, e->n_in,
			     sizeof(struct virtio_snd_hdr) + (size_t)i * size,
			     item, size);
	}
	reply(e, VIRTIO_SND_S_OK);
	return (uint32_t)(sizeof(struct virtio_snd_hdr) + count * size);
}

static void backend_release(struct snd_dev *s, struct snd_stream *st)
{
	if (!st->backend_ready)
		return;
	s->be->ops->release(s->be, st->id);
	snd_ring_fini(&st->ring);
	st->backend_ready = false;
}

static uint32_t set_params(struct snd_dev *s, struct snd_stream *st,
			   const struct virtio_snd_pcm_set_params *sp)
{
	struct snd_pcm_params p = {.capture = st->capture};
	uint32_t features = le32toh(sp->features);
	unsigned int frame;

	if (st->state != SND_ST_INIT && st->state != SND_ST_PARAMS &&
	    st->state != SND_ST_PREPARED && st->state != SND_ST_RELEASED)
		return VIRTIO_SND_S_BAD_MSG;
	if (features || sp->channels < SND_CHANNELS_MIN ||
	    sp->channels > SND_CHANNELS_MAX || sp->format >= 64 ||
	    !(SND_FORMATS & (1ull << sp->format)) || sp->rate >= 64 ||
	    !(SND_RATES & (1ull << sp->rate)))
		return VIRTIO_SND_S_NOT_SUPP;
	switch (sp->format) {
	case VIRTIO_SND_PCM_FMT_S16:
		p.format = SND_FMT_S16;
		break;
	case VIRTIO_SND_PCM_FMT_S32:
		p.format = SND_FMT_S32;
		break;
	default:
		p.format = SND_FMT_FLOAT;
		break;
	}
	p.channels = sp->channels;
	p.rate = snd_rate_hz(sp->rate);
	p.period_bytes = le32toh(sp->period_bytes);
	p.buffer_bytes = le32toh(sp->buffer_bytes);
	frame = snd_fmt_bytes(p.format) * p.channels;
	if (!p.period_bytes || p.period_bytes % frame ||
	    p.buffer_bytes < p.period_bytes)
		return VIRTIO_SND_S_BAD_MSG;
	if (p.buffer_bytes > SND_MAX_BUFFER_BYTES)
		return VIRTIO_SND_S_NOT_SUPP;
	snd_pcm_flush(s, st);
	backend_release(s, st);
	st->params = p;
	st->state = SND_ST_PARAMS;
	return VIRTIO_SND_S_OK;
}

/* The ring holds two periods, and at least 100 ms, so a backend that
 * moves larger blocks than the guest's periods does not underrun. */
static size_t ring_size(const struct snd_pcm_params *p)
{
	size_t frame = snd_fmt_bytes(p->format) * p->channels;
	size_t tenth = (size_t)p->rate / 10 * frame;
	size_t two = 2 * (size_t)p->period_bytes;

	return two > tenth ? two : tenth;
}

static uint32_t prepare(struct snd_dev *s, struct snd_stream *st)
{
	struct krun_err *err = NULL;
	int ret;

	if (st->state != SND_ST_PARAMS && st->state != SND_ST_PREPARED &&
	    st->state != SND_ST_RELEASED)
		return VIRTIO_SND_S_BAD_MSG;
	snd_pcm_flush(s, st);
	backend_release(s, st);
	st->state = SND_ST_PARAMS;
	if (snd_ring_init(&st->ring, ring_size(&st->params)) < 0)
		return VIRTIO_SND_S_IO_ERR;
	ret = s->be->ops->prepare(s->be, st->id, &st->params, &st->ring,
				  s->wake_fd, &err);
	if (ret < 0) {
		log_warn("virtio-snd: stream %u: %s", st->id,
			 krun_err_msg(err));
		krun_err_free(&err);
		snd_ring_fini(&st->ring);
		return VIRTIO_SND_S_IO_ERR;
	}
	st->backend_ready = true;
	st->state = SND_ST_PREPARED;
	return VIRTIO_SND_S_OK;
}

/*
 * A playback stream stops once its ring has played out. A period
 * completes when it enters the ring, so the guest's drain ends (and STOP
 * comes) while the ring still holds the end of the sound; stopping the
 * backend at once would cut it. Bounded by the ring's length in time and
 * a margin, for a backend that stalls; a drop, which is a STOP too, plays
 * at most that much more.
 */
static void play_out(const struct snd_stream *st)
{
	uint64_t per_sec = (uint64_t)snd_fmt_bytes(st->params.format) *
			   st->params.channels * st->params.rate;
	uint64_t limit_ms = per_sec ? st->ring.cap * 1000 / per_sec + 50 : 0;
	const struct timespec tick = {.tv_nsec = 5 * 1000 * 1000};

	for (uint64_t waited = 0; waited < limit_ms && snd_ring_fill(&st->ring);
	     waited += 5)
		nanosleep(&tick, NULL);
}

static uint32_t start_stop(struct snd_dev *s, struct snd_stream *st, bool start)
{
	struct krun_err *err = NULL;
	int ret;

	if (start ? st->state != SND_ST_PREPARED && st->state != SND_ST_STOPPED
		  : st->state != SND_ST_RUNNING)
		return VIRTIO_SND_S_BAD_MSG;
	if (!start && !st->capture)
		play_out(st);
	ret = start ? s->be->ops->start(s->be, st->id, &err)
		    : s->be->ops->stop(s->be, st->id, &err);
	if (ret < 0) {
		log_warn("virtio-snd: stream %u: %s", st->id,
			 krun_err_msg(err));
		krun_err_free(&err);
		return VIRTIO_SND_S_IO_ERR;
	}
	st->state = start ? SND_ST_RUNNING : SND_ST_STOPPED;
	return VIRTIO_SND_S_OK;
}

static uint32_t release(struct snd_dev *s, struct snd_stream *st)
{
	if (st->state != SND_ST_PREPARED && st->state != SND_ST_STOPPED)
		return VIRTIO_SND_S_BAD_MSG;
	snd_pcm_flush(s, st);
	backend_release(s, st);
	st->state = SND_ST_RELEASED;
	return VIRTIO_SND_S_OK;
}

static uint32_t pcm_command(struct snd_dev *s, const struct vq_elem *e,
			    uint32_t code)
{
	struct virtio_snd_pcm_set_params sp;
	size_t need = code == VIRTIO_SND_R_PCM_SET_PARAMS
			      ? sizeof(sp)
			      : sizeof(struct virtio_snd_pcm_hdr);
	struct snd_stream *st;
	uint32_t id;

	memset(&sp, 0, sizeof(sp));
	if (iov_to_buf(e->out, e->n_out, 0, &sp, need) != (ssize_t)need)
		return VIRTIO_SND_S_BAD_MSG;
	id = le32toh(sp.hdr.stream_id);
	if (id >= SND_NSTREAMS)
		return VIRTIO_SND_S_BAD_MSG;
	st = &s->streams[id];
	switch (code) {
	case VIRTIO_SND_R_PCM_SET_PARAMS:
		return set_params(s, st, &sp);
	case VIRTIO_SND_R_PCM_PREPARE:
		return prepare(s, st);
	case VIRTIO_SND_R_PCM_START:
		return start_stop(s, st, true);
	case VIRTIO_SND_R_PCM_STOP:
		return start_stop(s, st, false);
	default:
		return release(s, st);
	}
}

bool snd_ctl_handle(void *ctx, struct dev_queue *q, struct vq_elem *e,
		    uint32_t *written)
{
	struct snd_dev *s = ctx;
	struct virtio_snd_hdr h;
	uint32_t code;

	(void)q;
	if (e->in_len < sizeof(struct virtio_snd_hdr)) {
		log_debug("virtio-snd: control request without room for a "
			  "status");
		return true;
	}
	if (iov_to_buf(e->out, e->n_out, 0, &h, sizeof(h)) != sizeof(h)) {
		*written = reply(e, VIRTIO_SND_S_BAD_MSG);
		return true;
	}
	code = le32toh(h.code);
	switch (code) {
	case VIRTIO_SND_R_JACK_INFO:
		*written =
			query(e, SND_NJACKS,
			      sizeof(struct virtio_snd_jack_info), fill_jack);
		break;
	case VIRTIO_SND_R_PCM_INFO:
		*written = query(e, SND_NSTREAMS,
				 sizeof(struct virtio_snd_pcm_info), fill_pcm);
		break;
	case VIRTIO_SND_R_CHMAP_INFO:
		*written =
			query(e, SND_NCHMAPS,
			      sizeof(struct virtio_snd_chmap_info), fill_chmap);
		break;
	case VIRTIO_SND_R_PCM_SET_PARAMS:
	case VIRTIO_SND_R_PCM_PREPARE:
	case VIRTIO_SND_R_PCM_RELEASE:
	case VIRTIO_SND_R_PCM_START:
	case VIRTIO_SND_R_PCM_STOP:
		*written = reply(e, pcm_command(s, e, code));
		break;
	default: /* JACK_REMAP (not offered) and unknown codes */
		*written = reply(e, VIRTIO_SND_S_NOT_SUPP);
		break;
	}
	return true;
}

void snd_ctl_release_all(struct snd_dev *s)
{
	for (unsigned int i = 0; i < SND_NSTREAMS; i++) {
		struct snd_stream *st = &s->streams[i];

		snd_pcm_drop(st);
		backend_release(s, st);
		st->state = SND_ST_INIT;
	}
}
