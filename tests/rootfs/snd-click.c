/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snd-click: plays 5 ms clicks (1 kHz square, S16_LE stereo 48 kHz) on
 * ALSA's "default" PCM and prints, for each, the CLOCK_REALTIME at which
 * its first frame was handed to ALSA; for bench/snd.sh. The same binary
 * runs in the graphics tree (/usr/local/bin/snd-click, ALSA on the guest's
 * virtio-snd card) and on the test host (ALSA's "default" is PipeWire's
 * plugin there). libasound is opened with dlopen: the build machine has
 * the library (alsa-utils) but not its headers.
 *
 *   snd-click [--warm] [--clicks N] [--gap-ms G] [--tail-ms T]
 *             [--latency-us U]
 *     cold (default): per click, as aplay does: open the PCM, set its
 *     parameters (latency U, default 100000 us), take the time, write the
 *     click and T ms of silence (default 100), drain, close; sleep G ms
 *     (default 500).
 *     Prints "click I REALTIME_NS 0".
 *     --warm: one stream runs for the whole time, fed one period at a
 *     time as soon as ALSA has room for it (buffer kept full); 500 ms of
 *     silence first, then a click every G ms of stream time. Before the
 *     period that begins with a click the time is taken, then
 *     snd_pcm_delay(), then the write (which does not block: the room was
 *     there). Prints "click I REALTIME_NS DELAY_FRAMES"; an xrun prints
 *     "xrun" and recovers.
 *   snd-click --sync N
 *     N times: print "ready", read one line from stdin, print "sync
 *     REALTIME_NS" taken right after the read returned. The other end
 *     notes when it wrote the line and when "sync" came back; the guest's
 *     clock offset lies between those two.
 *
 * Output goes out with write(2), never between the time taken and the
 * write to ALSA. Failures print "snd-click: OP: MESSAGE" and exit 1; bad
 * usage exits 2.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define CHANNELS 2
#define CLICK_FRAMES (RATE / 200) /* 5 ms */
#define PREROLL_FRAMES (RATE / 2) /* warm: 500 ms of silence first */

/* libasound's ABI: the few calls and enum values used here. */
#define PCM_STREAM_PLAYBACK 0
#define PCM_FORMAT_S16_LE 2
#define PCM_ACCESS_RW_INTERLEAVED 3

struct alsa {
	void *lib;
	int (*open)(void **pcm, const char *name, int stream, int mode);
	int (*set_params)(void *pcm, int format, int access,
			  unsigned int channels, unsigned int rate,
			  int soft_resample, unsigned int latency_us);
	int (*get_params)(void *pcm, unsigned long *buffer_size,
			  unsigned long *period_size);
	long (*writei)(void *pcm, const void *buf, unsigned long frames);
	int (*drain)(void *pcm);
	int (*close)(void *pcm);
	int (*wait)(void *pcm, int timeout_ms);
	long (*avail)(void *pcm);
	int (*delay)(void *pcm, long *frames);
	int (*recover)(void *pcm, int err, int silent);
	const char *(*strerror)(int err);
};

static void out(const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0)
		exit(1);
}

static void die(const struct alsa *a, const char *op, int err)
{
	fprintf(stderr, "snd-click: %s: %s\n", op,
		a && a->strerror ? a->strerror(err) : strerror(-err));
	exit(1);
}

static long long realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void alsa_load(struct alsa *a)
{
	struct {
		const char *name;
		void **fn;
	} syms[] = {
		{"snd_pcm_open", (void **)&a->open},
		{"snd_pcm_set_params", (void **)&a->set_params},
		{"snd_pcm_get_params", (void **)&a->get_params},
		{"snd_pcm_writei", (void **)&a->writei},
		{"snd_pcm_drain", (void **)&a->drain},
		{"snd_pcm_close", (void **)&a->close},
		{"snd_pcm_wait", (void **)&a->wait},
		{"snd_pcm_avail", (void **)&a->avail},
		{"snd_pcm_delay", (void **)&a->delay},
		{"snd_pcm_recover", (void **)&a->recover},
		{"snd_strerror", (void **)&a->strerror},
	};

	a->lib = dlopen("libasound.so.2", RTLD_NOW);
	if (!a->lib) {
		fprintf(stderr, "snd-click: dlopen libasound.so.2: %s\n",
			dlerror());
		exit(1);
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].fn = dlsym(a->lib, syms[i].name);
		if (!*syms[i].fn) {
			fprintf(stderr, "snd-click: dlsym %s: %s\n",
				syms[i].name, dlerror());
			exit(1);
		}
	}
}

static void *pcm_open(const struct alsa *a, unsigned int latency_us)
{
	void *pcm;
	int r;

	r = a->open(&pcm, "default", PCM_STREAM_PLAYBACK, 0);
	if (r < 0)
		die(a, "snd_pcm_open default", r);
	r = a->set_params(pcm, PCM_FORMAT_S16_LE, PCM_ACCESS_RW_INTERLEAVED,
			  CHANNELS, RATE, 1, latency_us);
	if (r < 0)
		die(a, "snd_pcm_set_params", r);
	return pcm;
}

/* Writes all of frames; returns -EPIPE on an xrun (recovered). */
static int pcm_write(const struct alsa *a, void *pcm, const int16_t *buf,
		     unsigned long frames)
{
	while (frames > 0) {
		long n = a->writei(pcm, buf, frames);

		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			int r = a->recover(pcm, (int)n, 1);

			if (r < 0)
				die(a, "snd_pcm_writei", (int)n);
			return -EPIPE;
		}
		buf += n * CHANNELS;
		frames -= (unsigned long)n;
	}
	return 0;
}

static void fill_click(int16_t *buf)
{
	for (int i = 0; i < CLICK_FRAMES; i++) {
		/* 1 kHz square: 24 frames high, 24 low. */
		int16_t v = (i / (RATE / 2000)) % 2 ? -30000 : 30000;

		buf[i * CHANNELS] = v;
		buf[i * CHANNELS + 1] = v;
	}
}

static void cold(const struct alsa *a, int clicks, int gap_ms,
		 unsigned int latency_us, int tail_ms)
{
	unsigned long frames =
		CLICK_FRAMES + (unsigned long)tail_ms * RATE / 1000;
	int16_t *buf = calloc(frames * CHANNELS, sizeof(*buf));
	struct timespec gap = {gap_ms / 1000, (gap_ms % 1000) * 1000000L};

	if (!buf)
		die(NULL, "calloc", -ENOMEM);
	fill_click(buf);
	for (int i = 1; i <= clicks; i++) {
		void *pcm = pcm_open(a, latency_us);
		long long t = realtime_ns();
		int xrun = pcm_write(a, pcm, buf, frames);

		int r = a->drain(pcm);

		if (r < 0)
			die(a, "snd_pcm_drain", r);
		a->close(pcm);
		out("click %d %lld 0\n", i, t);
		if (xrun)
			out("xrun\n");
		nanosleep(&gap, NULL);
	}
	free(buf);
}

static void warm(const struct alsa *a, int clicks, int gap_ms,
		 unsigned int latency_us)
{
	unsigned long buffer_size, period;
	unsigned long gap = (unsigned long)gap_ms * RATE / 1000;
	unsigned long pos = 0, next = PREROLL_FRAMES;
	int16_t *silence, *click;
	void *pcm = pcm_open(a, latency_us);
	int r, done = 0;

	r = a->get_params(pcm, &buffer_size, &period);
	if (r < 0)
		die(a, "snd_pcm_get_params", r);
	if (period < CLICK_FRAMES)
		period = CLICK_FRAMES;
	silence = calloc(period * CHANNELS, sizeof(*silence));
	click = calloc(period * CHANNELS, sizeof(*click));
	if (!silence || !click)
		die(NULL, "calloc", -ENOMEM);
	fill_click(click);
	out("warm buffer %lu period %lu\n", buffer_size, period);
	while (done < clicks || pos < next) {
		bool is_click = done < clicks && pos >= next;
		long long t = 0;
		long delay = 0;

		/* Wait for room for a whole period, so the write won't block.
		 */
		for (;;) {
			long n = a->avail(pcm);

			if (n < 0) {
				if (a->recover(pcm, (int)n, 1) < 0)
					die(a, "snd_pcm_avail", (int)n);
				out("xrun\n");
				continue;
			}
			if ((unsigned long)n >= period)
				break;
			r = a->wait(pcm, 1000);
			if (r < 0 && a->recover(pcm, r, 1) < 0)
				die(a, "snd_pcm_wait", r);
		}
		if (is_click) {
			t = realtime_ns();
			if (a->delay(pcm, &delay) < 0)
				delay = -1;
		}
		if (pcm_write(a, pcm, is_click ? click : silence, period) < 0)
			out("xrun\n");
		pos += period;
		if (is_click) {
			done++;
			next += gap;
			out("click %d %lld %ld\n", done, t, delay);
		}
	}
	r = a->drain(pcm);
	if (r < 0)
		die(a, "snd_pcm_drain", r);
	a->close(pcm);
	free(silence);
	free(click);
}

static void sync_clock(int n)
{
	for (int i = 0; i < n; i++) {
		char c;
		long long t;
		ssize_t r;

		out("ready\n");
		/* The first byte's arrival is the moment; the rest of the line
		 * is read after the time is taken. */
		r = read(STDIN_FILENO, &c, 1);
		t = realtime_ns();
		if (r != 1) {
			fprintf(stderr, "snd-click: read stdin: %s\n",
				r < 0 ? strerror(errno) : "end of file");
			exit(1);
		}
		while (c != '\n' && read(STDIN_FILENO, &c, 1) == 1)
			;
		out("sync %lld\n", t);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: snd-click [--warm] [--clicks N] [--gap-ms G] "
			"[--tail-ms T] [--latency-us U] | --sync N\n");
	return 2;
}

int main(int argc, char **argv)
{
	int clicks = 5, gap_ms = 500, tail_ms = 100, is_warm = 0, sync_n = -1;
	unsigned int latency_us = 100000;
	struct alsa a;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--warm")) {
			is_warm = 1;
			continue;
		}
		if (!v)
			return usage();
		if (!strcmp(argv[i], "--clicks"))
			clicks = atoi(v);
		else if (!strcmp(argv[i], "--gap-ms"))
			gap_ms = atoi(v);
		else if (!strcmp(argv[i], "--tail-ms"))
			tail_ms = atoi(v);
		else if (!strcmp(argv[i], "--latency-us"))
			latency_us = (unsigned int)atoi(v);
		else if (!strcmp(argv[i], "--sync"))
			sync_n = atoi(v);
		else
			return usage();
		i++;
	}
	if (clicks < 1 || gap_ms < 100 || tail_ms < 0 || tail_ms > 10000 ||
	    latency_us < 1000)
		return usage();
	if (sync_n >= 0) {
		sync_clock(sync_n);
		return 0;
	}
	alsa_load(&a);
	if (is_warm)
		warm(&a, clicks, gap_ms, latency_us);
	else
		cold(&a, clicks, gap_ms, latency_us, tail_ms);
	return 0;
}
