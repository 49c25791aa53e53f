// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-snd against the fake guest, with a test backend: the test reads
 * the playback ring and fills the capture ring itself, and writes the
 * device's wake eventfd as a real backend does.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/mmio.h"
#include "virtio/snd/snd.h"
#include "virtio/snd/snd_proto.h"

struct test_be {
	struct snd_backend be;
	struct snd_ring *ring[2];
	int wake_fd;
	int prepared[2], started[2], stopped[2], released[2];
	bool fail_prepare;
};

static int tb_prepare(struct snd_backend *be, unsigned int id,
		      const struct snd_pcm_params *p, struct snd_ring *ring,
		      int wake_fd, struct krun_err **err)
{
	struct test_be *t = (struct test_be *)be;

	if (t->fail_prepare)
		return krun_err_set(err, EIO, "test backend refuses");
	t->ring[id] = ring;
	t->wake_fd = wake_fd;
	t->prepared[id]++;
	return 0;
}

static int tb_start(struct snd_backend *be, unsigned int id,
		    struct krun_err **err)
{
	((struct test_be *)be)->started[id]++;
	return 0;
}

static int tb_stop(struct snd_backend *be, unsigned int id,
		   struct krun_err **err)
{
	((struct test_be *)be)->stopped[id]++;
	return 0;
}

static void tb_release(struct snd_backend *be, unsigned int id)
{
	struct test_be *t = (struct test_be *)be;

	t->ring[id] = NULL;
	t->released[id]++;
}

static void tb_destroy(struct snd_backend *be)
{
}

static const struct snd_backend_ops tb_ops = {
	.prepare = tb_prepare,
	.start = tb_start,
	.stop = tb_stop,
	.release = tb_release,
	.destroy = tb_destroy,
};

static struct test_be tb;

static void tb_wake(void)
{
	uint64_t one = 1;

	assert_int_equal(write(tb.wake_fd, &one, 8), 8);
}

static void start(struct fake_dev *d)
{
	struct virtio_device *s;

	memset(&tb, 0, sizeof(tb));
	tb.be.ops = &tb_ops;
	tb.be.name = "test";
	s = virtio_snd_create(&tb.be, NULL);
	assert_non_null(s);
	assert_int_equal(fdev_start(d, s, 4, 64, 0), 0xf);
}

/* A control request; returns the status, response bytes in resp. */
static uint32_t ctl(struct fake_dev *d, const void *req, uint32_t req_len,
		    void *resp, uint32_t resp_len, uint32_t *used)
{
	uint64_t rq = fg_alloc(&d->g, req_len ? req_len : 1, 8);
	uint64_t rs = fg_alloc(&d->g, resp_len, 8);
	struct fake_buf bufs[2] = {{rq, req_len, false}, {rs, resp_len, true}};
	uint32_t id, len, st;

	memcpy(fg_ptr(&d->g, rq), req, req_len);
	memset(fg_ptr(&d->g, rs), 0xee, resp_len);
	fvq_add(&d->vqs[0], bufs, 2);
	fdev_kick(d, 0);
	assert_true(fvq_wait_used(&d->vqs[0], &id, &len, 2000));
	if (used)
		*used = len;
	if (resp)
		memcpy(resp, fg_ptr(&d->g, rs), resp_len);
	memcpy(&st, fg_ptr(&d->g, rs), 4);
	return le32toh(st);
}

static uint32_t pcm_cmd(struct fake_dev *d, uint32_t code, uint32_t id)
{
	struct virtio_snd_pcm_hdr h = {{htole32(code)}, htole32(id)};
	uint32_t st;

	return ctl(d, &h, sizeof(h), &st, 4, NULL);
}

static uint32_t set_params(struct fake_dev *d, uint32_t id, uint8_t fmt,
			   uint8_t rate, uint8_t ch, uint32_t period,
			   uint32_t buffer)
{
	struct virtio_snd_pcm_set_params p = {
		.hdr = {{htole32(VIRTIO_SND_R_PCM_SET_PARAMS)}, htole32(id)},
		.buffer_bytes = htole32(buffer),
		.period_bytes = htole32(period),
		.channels = ch,
		.format = fmt,
		.rate = rate,
	};
	uint32_t st;

	return ctl(d, &p, sizeof(p), &st, 4, NULL);
}

static void test_config_and_info(void **state)
{
	struct fake_dev d;
	struct virtio_snd_query_info q = {
		{htole32(VIRTIO_SND_R_PCM_INFO)},
		0,
		htole32(2),
		htole32(sizeof(struct virtio_snd_pcm_info))};
	uint8_t resp[4 + 3 * 32];
	struct virtio_snd_pcm_info pi;
	struct virtio_snd_jack_info ji;
	struct virtio_snd_chmap_info ci;
	uint32_t used;

	start(&d);
	assert_int_equal(fdev_rd(&d, 0x008), 25);
	assert_int_equal(fdev_rd(&d, 0x100), 2); /* jacks */
	assert_int_equal(fdev_rd(&d, 0x104), 2); /* streams */
	assert_int_equal(fdev_rd(&d, 0x108), 4); /* chmaps */

	assert_int_equal(ctl(&d, &q, sizeof(q), resp, 4 + 64, &used),
			 VIRTIO_SND_S_OK);
	assert_int_equal(used, 4 + 64);
	memcpy(&pi, resp + 4, 32);
	assert_int_equal(pi.direction, VIRTIO_SND_D_OUTPUT);
	assert_int_equal(pi.channels_min, 1);
	assert_int_equal(pi.channels_max, 2);
	assert_true(le64toh(pi.formats) & (1ull << VIRTIO_SND_PCM_FMT_S16));
	assert_true(le64toh(pi.rates) & (1ull << VIRTIO_SND_PCM_RATE_48000));
	memcpy(&pi, resp + 36, 32);
	assert_int_equal(pi.direction, VIRTIO_SND_D_INPUT);

	q.hdr.code = htole32(VIRTIO_SND_R_JACK_INFO);
	q.start_id = htole32(1);
	q.count = htole32(1);
	q.size = htole32(sizeof(ji));
	assert_int_equal(ctl(&d, &q, sizeof(q), resp, 4 + 24, NULL),
			 VIRTIO_SND_S_OK);
	memcpy(&ji, resp + 4, 24);
	assert_int_equal(ji.connected, 1);
	assert_int_equal(le32toh(ji.hda_reg_defconf) >> 20 & 0xf, 0x8);

	q.hdr.code = htole32(VIRTIO_SND_R_CHMAP_INFO);
	q.start_id = htole32(1);
	q.size = htole32(sizeof(ci));
	assert_int_equal(ctl(&d, &q, sizeof(q), resp, 4 + 24, NULL),
			 VIRTIO_SND_S_OK);
	memcpy(&ci, resp + 4, 24);
	assert_int_equal(ci.channels, 2);
	assert_int_equal(ci.positions[0], VIRTIO_SND_CHMAP_FL);
	assert_int_equal(ci.positions[1], VIRTIO_SND_CHMAP_FR);
	fdev_stop(&d);
}

/* Out-of-range ids, short requests and short responses. */
static void test_malformed_control(void **state)
{
	struct fake_dev d;
	struct virtio_snd_query_info q = {{htole32(VIRTIO_SND_R_PCM_INFO)},
					  htole32(1),
					  htole32(2),
					  htole32(32)};
	uint8_t resp[4 + 64];
	uint32_t used, code = htole32(VIRTIO_SND_R_PCM_INFO);

	start(&d);
	/* start + count past the streams */
	assert_int_equal(ctl(&d, &q, sizeof(q), resp, sizeof(resp), NULL),
			 VIRTIO_SND_S_BAD_MSG);
	q.start_id = htole32(0xffffffff);
	q.count = htole32(2);
	assert_int_equal(ctl(&d, &q, sizeof(q), resp, sizeof(resp), NULL),
			 VIRTIO_SND_S_BAD_MSG);
	/* item size below the structure's */
	q.start_id = 0;
	q.count = htole32(1);
	q.size = htole32(31);
	assert_int_equal(ctl(&d, &q, sizeof(q), resp, sizeof(resp), NULL),
			 VIRTIO_SND_S_BAD_MSG);
	/* response too small for the items */
	q.size = htole32(32);
	q.count = htole32(2);
	assert_int_equal(ctl(&d, &q, sizeof(q), resp, 4 + 40, NULL),
			 VIRTIO_SND_S_BAD_MSG);
	/* request shorter than its code needs */
	assert_int_equal(ctl(&d, &code, 4, resp, 4, NULL),
			 VIRTIO_SND_S_BAD_MSG);
	/* no room for a status: nothing written */
	assert_int_equal(ctl(&d, &q, sizeof(q), resp, 2, &used) & 0xffff,
			 0xeeee);
	assert_int_equal(used, 0);
	/* unknown code, jack remapping (not offered) */
	code = htole32(0x7777);
	assert_int_equal(ctl(&d, &code, 4, resp, 4, NULL),
			 VIRTIO_SND_S_NOT_SUPP);
	code = htole32(VIRTIO_SND_R_JACK_REMAP);
	assert_int_equal(ctl(&d, &code, 4, resp, 4, NULL),
			 VIRTIO_SND_S_NOT_SUPP);
	/* bad stream id */
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 2),
			 VIRTIO_SND_S_BAD_MSG);
	fdev_stop(&d);
}

static void test_params_and_state_machine(void **state)
{
	struct fake_dev d;

	start(&d);
	/* nothing but SET_PARAMS before parameters */
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 0),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_RELEASE, 0),
			 VIRTIO_SND_S_BAD_MSG);
	/* what is not offered */
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000, 3, 4096, 16384),
			 VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&d, 0, 3 /* S8 */,
				    VIRTIO_SND_PCM_RATE_48000, 2, 4096, 16384),
			 VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&d, 0, 200, VIRTIO_SND_PCM_RATE_48000, 2,
				    4096, 16384),
			 VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16, 0 /* 5512 */,
				    2, 4096, 16384),
			 VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(
		set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16, 99, 2, 4096, 16384),
		VIRTIO_SND_S_NOT_SUPP);
	/* inconsistent sizes */
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000, 2, 0, 16384),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000, 2, 4098, 16392),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000, 2, 4096, 1024),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(tb.prepared[0], 0);

	/* the valid path */
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000, 2, 4096, 16384),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_STOP, 0),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(tb.prepared[0], 1);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_STOP, 0),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 0),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_RELEASE, 0),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000, 2, 4096, 16384),
			 VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_STOP, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_STOP, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_RELEASE, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(tb.released[0], 1);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
			 VIRTIO_SND_S_BAD_MSG);
	/* parameters survive a release */
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(tb.started[0], 2);
	assert_int_equal(tb.stopped[0], 2);

	/* a backend failure is an I/O error, the stream stays unprepared */
	tb.fail_prepare = true;
	assert_int_equal(set_params(&d, 1, VIRTIO_SND_PCM_FMT_FLOAT,
				    VIRTIO_SND_PCM_RATE_44100, 1, 400, 1600),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 1),
			 VIRTIO_SND_S_IO_ERR);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 1),
			 VIRTIO_SND_S_BAD_MSG);
	fdev_stop(&d);
}

/* An I/O message: header (+ data for tx), then data (rx) and status. */
static uint16_t io_msg(struct fake_dev *d, unsigned int q, uint32_t id,
		       const void *data, uint32_t len, uint64_t *in_gpa)
{
	uint64_t h = fg_alloc(&d->g, 4 + (q == 2 ? len : 0), 8);
	uint64_t in = fg_alloc(&d->g, (q == 3 ? len : 0) + 8, 8);
	struct fake_buf bufs[2] = {
		{h, 4 + (q == 2 ? len : 0), false},
		{in, (q == 3 ? len : 0) + 8, true},
	};
	uint32_t le = htole32(id);

	memcpy(fg_ptr(&d->g, h), &le, 4);
	if (q == 2)
		memcpy((uint8_t *)fg_ptr(&d->g, h) + 4, data, len);
	memset(fg_ptr(&d->g, in), 0xee, bufs[1].len);
	*in_gpa = in;
	return fvq_add(&d->vqs[q], bufs, 2);
}

static void status_of(struct fake_dev *d, uint64_t gpa, uint32_t *status,
		      uint32_t *latency)
{
	struct virtio_snd_pcm_status st;

	memcpy(&st, fg_ptr(&d->g, gpa), 8);
	*status = le32toh(st.status);
	*latency = le32toh(st.latency_bytes);
}

/* Playback periods reach the ring whole and in order; a period is
 * completed only once the ring took all of it. */
static void test_playback_in_order(void **state)
{
	enum { PERIOD = 1600, N = 6 }; /* ring: 100 ms of 8 kHz S16 mono */
	struct fake_dev d;
	uint8_t data[N][PERIOD], got[N * PERIOD];
	uint64_t in[N];
	uint16_t heads[N];
	size_t have = 0;
	uint32_t id, len, st, lat;
	unsigned int done = 0;

	start(&d);
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_8000, 1, PERIOD,
				    PERIOD * 4),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 0),
			 VIRTIO_SND_S_OK);
	for (unsigned int i = 0; i < N; i++) {
		for (unsigned int j = 0; j < PERIOD; j++)
			data[i][j] = (uint8_t)(i * 31 + j);
		heads[i] = io_msg(&d, 2, 0, data[i], PERIOD, &in[i]);
	}
	fdev_kick(&d, 2);
	/* held until START */
	assert_false(fvq_wait_used(&d.vqs[2], &id, &len, 100));
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
			 VIRTIO_SND_S_OK);
	while (done < N) {
		if (fvq_wait_used(&d.vqs[2], &id, &len, 200)) {
			assert_int_equal(id, heads[done]);
			assert_int_equal(len, 8);
			status_of(&d, in[done], &st, &lat);
			assert_int_equal(st, VIRTIO_SND_S_OK);
			/* the period is in the ring or consumed already */
			assert_true(have + snd_ring_fill(tb.ring[0]) >=
				    (done + 1) * PERIOD);
			done++;
			continue;
		}
		/* the ring is full: consume some, as a sink would */
		have += snd_ring_read(tb.ring[0], got + have, PERIOD / 2);
		tb_wake();
	}
	have += snd_ring_read(tb.ring[0], got + have, sizeof(got) - have);
	assert_int_equal(have, sizeof(got));
	assert_memory_equal(got, data, sizeof(got));
	fdev_stop(&d);
}

/* A sink that starts reading the playback ring 60 ms from now. */
static bool sink_reading;

static void *late_sink(void *arg)
{
	uint8_t buf[4096];
	const struct timespec wait = {.tv_nsec = 60 * 1000 * 1000};

	nanosleep(&wait, NULL);
	__atomic_store_n(&sink_reading, true, __ATOMIC_SEQ_CST);
	while (snd_ring_read(tb.ring[0], buf, sizeof(buf)))
		;
	return NULL;
}

/* STOP of a playback stream comes after the ring played out (a drained
 * guest stream ends with its last period still in the ring), and still
 * comes when nothing reads the ring. */
static void test_stop_plays_out(void **state)
{
	enum { PERIOD = 800 }; /* ring: 100 ms of 8 kHz S16 mono, 1600 B */
	struct fake_dev d;
	uint8_t data[PERIOD];
	uint64_t in;
	uint32_t id, len;
	pthread_t sink;

	memset(data, 0x5a, sizeof(data));
	start(&d);
	assert_int_equal(set_params(&d, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_8000, 1, PERIOD,
				    PERIOD * 4),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 0),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
			 VIRTIO_SND_S_OK);
	for (int round = 0; round < 2; round++) {
		io_msg(&d, 2, 0, data, PERIOD, &in);
		fdev_kick(&d, 2);
		assert_true(fvq_wait_used(&d.vqs[2], &id, &len, 2000));
		assert_int_equal(snd_ring_fill(tb.ring[0]), PERIOD);
		if (round == 0) {
			sink_reading = false;
			assert_int_equal(pthread_create(&sink, NULL, late_sink,
							NULL),
					 0);
		}
		assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_STOP, 0),
				 VIRTIO_SND_S_OK);
		if (round == 0) {
			/* answered only once the sink had the sound */
			assert_true(__atomic_load_n(&sink_reading,
						    __ATOMIC_SEQ_CST));
			pthread_join(sink, NULL);
			assert_int_equal(snd_ring_fill(tb.ring[0]), 0);
		} else {
			/* nothing reads: answered anyway, the ring as it was */
			assert_int_equal(snd_ring_fill(tb.ring[0]), PERIOD);
		}
		assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 0),
				 VIRTIO_SND_S_OK);
	}
	fdev_stop(&d);
}

/* Capture buffers are filled from the ring in order; RELEASE returns
 * the ones still held. */
static void test_capture_delivered(void **state)
{
	enum { PERIOD = 512 };
	struct fake_dev d;
	uint8_t src[3 * PERIOD];
	uint64_t in[3];
	uint16_t heads[3];
	uint32_t id, len, st, lat;

	start(&d);
	assert_int_equal(set_params(&d, 1, VIRTIO_SND_PCM_FMT_S32,
				    VIRTIO_SND_PCM_RATE_48000, 2, PERIOD,
				    PERIOD * 4),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 1),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_START, 1),
			 VIRTIO_SND_S_OK);
	for (unsigned int i = 0; i < 3; i++)
		heads[i] = io_msg(&d, 3, 1, NULL, PERIOD, &in[i]);
	fdev_kick(&d, 3);
	assert_false(fvq_wait_used(&d.vqs[3], &id, &len, 100));
	for (unsigned int i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	/* one and a half periods */
	assert_int_equal(snd_ring_write(tb.ring[1], src, PERIOD * 3 / 2),
			 PERIOD * 3 / 2);
	tb_wake();
	assert_true(fvq_wait_used(&d.vqs[3], &id, &len, 2000));
	assert_int_equal(id, heads[0]);
	assert_int_equal(len, PERIOD + 8);
	assert_memory_equal(fg_ptr(&d.g, in[0]), src, PERIOD);
	status_of(&d, in[0] + PERIOD, &st, &lat);
	assert_int_equal(st, VIRTIO_SND_S_OK);
	assert_int_equal(lat, PERIOD / 2);
	assert_false(fvq_wait_used(&d.vqs[3], &id, &len, 100));
	assert_int_equal(
		snd_ring_write(tb.ring[1], src + PERIOD * 3 / 2, PERIOD / 2),
		PERIOD / 2);
	tb_wake();
	assert_true(fvq_wait_used(&d.vqs[3], &id, &len, 2000));
	assert_int_equal(id, heads[1]);
	assert_memory_equal(fg_ptr(&d.g, in[1]), src + PERIOD, PERIOD);
	/* the third is returned by RELEASE */
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_STOP, 1),
			 VIRTIO_SND_S_OK);
	assert_int_equal(pcm_cmd(&d, VIRTIO_SND_R_PCM_RELEASE, 1),
			 VIRTIO_SND_S_OK);
	assert_true(fvq_wait_used(&d.vqs[3], &id, &len, 2000));
	assert_int_equal(id, heads[2]);
	status_of(&d, in[2] + PERIOD, &st, &lat);
	assert_int_equal(st, VIRTIO_SND_S_OK);
	fdev_stop(&d);
}

/* I/O for an unprepared stream, the wrong direction, or an unknown
 * stream gets S_BAD_MSG at once. */
static void test_malformed_io(void **state)
{
	struct fake_dev d;
	uint8_t data[64] = {0};
	uint64_t in;
	uint32_t id, len, st, lat;
	const struct {
		unsigned int q;
		uint32_t stream;
	} bad[] = {{2, 0}, {2, 1}, {2, 7}, {3, 0}, {3, 0xffffffff}};

	start(&d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i == 1) { /* prepare both from here on */
			assert_int_equal(set_params(&d, 0,
						    VIRTIO_SND_PCM_FMT_S16,
						    VIRTIO_SND_PCM_RATE_48000,
						    2, 64, 256),
					 VIRTIO_SND_S_OK);
			assert_int_equal(set_params(&d, 1,
						    VIRTIO_SND_PCM_FMT_S16,
						    VIRTIO_SND_PCM_RATE_48000,
						    2, 64, 256),
					 VIRTIO_SND_S_OK);
			assert_int_equal(
				pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 0),
				VIRTIO_SND_S_OK);
			assert_int_equal(
				pcm_cmd(&d, VIRTIO_SND_R_PCM_PREPARE, 1),
				VIRTIO_SND_S_OK);
		}
		io_msg(&d, bad[i].q, bad[i].stream, data, sizeof(data), &in);
		fdev_kick(&d, bad[i].q);
		assert_true(fvq_wait_used(&d.vqs[bad[i].q], &id, &len, 2000));
		status_of(&d, in + (bad[i].q == 3 ? sizeof(data) : 0), &st,
			  &lat);
		assert_int_equal(st, VIRTIO_SND_S_BAD_MSG);
	}
	fdev_stop(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_and_info),
		cmocka_unit_test(test_malformed_control),
		cmocka_unit_test(test_params_and_state_machine),
		cmocka_unit_test(test_playback_in_order),
		cmocka_unit_test(test_capture_delivered),
		cmocka_unit_test(test_stop_plays_out),
		cmocka_unit_test(test_malformed_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
