/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snd-onsets: records the monitor of a PipeWire sink (F32 stereo 48 kHz)
 * and prints the host CLOCK_REALTIME of every click's onset in it; for
 * bench/snd.sh. Runs until SIGINT or SIGTERM.
 *
 *   snd-onsets SINK_NAME [QUANTUM]
 *
 * QUANTUM (frames, default 2048) is asked for as the stream's
 * node.latency; the graph runs at the smallest quantum its streams ask
 * for, so this caps the cycle length.
 *
 * process() runs in the graph cycle (PW_STREAM_FLAG_RT_PROCESS), so the
 * buffer it takes is what the sink consumed in that cycle, and
 * pw_stream_get_time_n()'s `now` is the cycle's start on the driver's
 * clock (CLOCK_MONOTONIC). The first sample whose magnitude exceeds 0.25
 * of full scale after at least 250 ms below it is an onset at
 *   now + its index in the buffer / rate,
 * turned into CLOCK_REALTIME with the offset between the two clocks read
 * at that moment. Output lines:
 *   ready                         the first buffer arrived
 *   onset REALTIME_NS LAG_NS      LAG: how long after `now` this cycle's
 *                                 process() ran (for the error bound)
 *   cycles N max_lag_ns L         at the end
 * A failure prints "snd-onsets: MESSAGE" and exits 1.
 */
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pipewire/pipewire.h>
#include <spa/param/audio/format-utils.h>

#define RATE 48000
#define CHANNELS 2
#define THRESHOLD 0.25f
#define HOLDOFF (RATE / 4)

struct rec {
	struct pw_main_loop *loop;
	struct pw_stream *stream;
	uint64_t cycles;
	int64_t max_lag;
	uint64_t quiet; /* frames since the last loud one */
	int ready;
};

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void out(const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0)
		return;
}

static void on_process(void *data)
{
	struct rec *r = data;
	struct pw_buffer *b = pw_stream_dequeue_buffer(r->stream);
	struct pw_time t = {0};
	int64_t mono = clock_ns(CLOCK_MONOTONIC);
	int64_t real = clock_ns(CLOCK_REALTIME);
	struct spa_data *d;
	const float *s;
	uint32_t frames;

	if (!b)
		return;
	pw_stream_get_time_n(r->stream, &t, sizeof(t));
	r->cycles++;
	if (t.now > 0 && mono - t.now > r->max_lag)
		r->max_lag = mono - t.now;
	if (!r->ready) {
		r->ready = 1;
		r->quiet = HOLDOFF;
		out("ready\n");
	}
	d = &b->buffer->datas[0];
	s = d->data ? SPA_PTROFF(d->data, d->chunk->offset, const float) : NULL;
	frames = s ? d->chunk->size / (sizeof(float) * CHANNELS) : 0;
	for (uint32_t i = 0; i < frames; i++) {
		if (fabsf(s[i * CHANNELS]) <= THRESHOLD) {
			r->quiet++;
			continue;
		}
		if (r->quiet >= HOLDOFF)
			out("onset %lld %lld\n",
			    (long long)(t.now +
					(int64_t)i * 1000000000LL / RATE +
					(real - mono)),
			    (long long)(mono - t.now));
		r->quiet = 0;
	}
	pw_stream_queue_buffer(r->stream, b);
}

static void on_state(void *data, enum pw_stream_state old,
		     enum pw_stream_state state, const char *error)
{
	struct rec *r = data;

	(void)old;
	if (state == PW_STREAM_STATE_ERROR) {
		fprintf(stderr, "snd-onsets: stream: %s\n",
			error ? error : "error");
		pw_main_loop_quit(r->loop);
	}
}

static const struct pw_stream_events events = {
	PW_VERSION_STREAM_EVENTS,
	.process = on_process,
	.state_changed = on_state,
};

static void on_signal(void *data, int sig)
{
	(void)sig;
	pw_main_loop_quit(((struct rec *)data)->loop);
}

int main(int argc, char **argv)
{
	struct rec r = {0};
	uint8_t pod[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(pod, sizeof(pod));
	struct spa_audio_info_raw info =
		SPA_AUDIO_INFO_RAW_INIT(.format = SPA_AUDIO_FORMAT_F32,
					.rate = RATE, .channels = CHANNELS);
	const struct spa_pod *params[1];
	char latency[32];
	int ret, quantum = argc == 3 ? atoi(argv[2]) : 2048;

	if (argc < 2 || argc > 3 || quantum < 32 || quantum > 8192) {
		fprintf(stderr, "usage: snd-onsets SINK_NAME [QUANTUM]\n");
		return 2;
	}
	snprintf(latency, sizeof(latency), "%d/%d", quantum, RATE);
	pw_init(&argc, &argv);
	r.loop = pw_main_loop_new(NULL);
	if (!r.loop) {
		fprintf(stderr, "snd-onsets: pw_main_loop_new failed\n");
		return 1;
	}
	pw_loop_add_signal(pw_main_loop_get_loop(r.loop), SIGINT, on_signal,
			   &r);
	pw_loop_add_signal(pw_main_loop_get_loop(r.loop), SIGTERM, on_signal,
			   &r);
	info.position[0] = SPA_AUDIO_CHANNEL_FL;
	info.position[1] = SPA_AUDIO_CHANNEL_FR;
	r.stream = pw_stream_new_simple(
		pw_main_loop_get_loop(r.loop), "snd-onsets",
		pw_properties_new(
			PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY,
			"Capture", PW_KEY_MEDIA_ROLE, "Music",
			PW_KEY_STREAM_CAPTURE_SINK, "true", PW_KEY_NODE_LATENCY,
			latency, PW_KEY_TARGET_OBJECT, argv[1], NULL),
		&events, &r);
	if (!r.stream) {
		fprintf(stderr, "snd-onsets: pw_stream_new_simple failed\n");
		return 1;
	}
	params[0] =
		spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat, &info);
	ret = pw_stream_connect(r.stream, PW_DIRECTION_INPUT, PW_ID_ANY,
				PW_STREAM_FLAG_AUTOCONNECT |
					PW_STREAM_FLAG_MAP_BUFFERS |
					PW_STREAM_FLAG_RT_PROCESS,
				params, 1);
	if (ret < 0) {
		fprintf(stderr, "snd-onsets: pw_stream_connect: %s\n",
			strerror(-ret));
		return 1;
	}
	pw_main_loop_run(r.loop);
	/* Destroyed first: process() no longer runs on the data thread. */
	pw_stream_destroy(r.stream);
	out("cycles %llu max_lag_ns %lld\n", (unsigned long long)r.cycles,
	    (long long)r.max_lag);
	pw_main_loop_destroy(r.loop);
	pw_deinit();
	return 0;
}
