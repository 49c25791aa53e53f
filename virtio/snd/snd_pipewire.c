// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-snd on PipeWire (see snd_pipewire.h).
 *
 * Set-up, in the calling (main) thread before the guest runs: pw_init, a
 * pw_loop, a context (which loads PipeWire's client modules: code is
 * mapped only here) and a connection to the server, so a host without a
 * server is refused before the guest boots. The audio converter and
 * mixer plugins that connecting a stream needs are loaded here too and
 * kept, so that a later connect finds them loaded instead of mapping a
 * library on a confined thread.
 *
 * Threads: the context starts its data loop thread at creation, in the
 * unconfined main thread; it is stopped at once and started again by the
 * loop thread, which the VMM's launcher starts in the seccomp role
 * "snd-pw", so both inherit that filter. The loop thread runs the
 * protocol and every stream operation: the device's worker hands them
 * over with pw_loop_invoke() (an eventfd write on its side) and waits on
 * a condition variable for the request's end (see run_req()). The data
 * loop calls process() (PW_STREAM_FLAG_RT_PROCESS): playback reads the
 * stream's ring (silence where it runs dry), capture writes it (bytes
 * that do not fit are dropped), and either writes the device's wake
 * eventfd. Streams are created on PREPARE (inactive, with the guest's
 * format, rate and channels; node.latency = one period), activated on
 * START, deactivated on STOP and destroyed on RELEASE.
 */
#include "virtio/snd/snd_pipewire.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pipewire/pipewire.h>
#include <pipewire/thread.h>
#include <spa/param/audio/format-utils.h>
#include <spa/support/thread.h>
#include <spa/utils/names.h>

#define SND_PW_NSTREAMS 2
#define SND_PW_ROLE "snd-pw"

struct snd_pw;

struct pw_snd_stream {
	struct snd_pw *pw;
	unsigned int id;
	struct pw_stream *stream;
	struct spa_hook listener;
	struct snd_ring *ring;
	int wake_fd;
	uint32_t frame_bytes;
};

struct snd_pw {
	struct snd_backend be;
	struct thread_launcher *threads;
	struct pw_loop *loop;
	pthread_t thread;
	bool stop; /* atomic: the loop thread ends */
	struct pw_context *context;
	struct pw_core *core;
	void *convert, *mixer; /* dlopen() handles, kept: see keep_plugin() */
	bool started;	       /* the loop thread runs */
	/* A request's end, told by the loop thread (see run_req()). */
	pthread_mutex_t req_lock;
	pthread_cond_t req_done;
	struct pw_snd_stream streams[SND_PW_NSTREAMS];
};

/*
 * PipeWire opens the plugins a stream needs by path when the stream
 * connects (audioconvert for every stream, audiomixer for input ports)
 * and closes them when the last user goes, so a stream made after
 * another was destroyed would open them again, on the confined loop
 * thread. Opened here by the same path, with RTLD_NODELETE, every later
 * dlopen() finds them loaded and opens nothing.
 * The path is PipeWire's: $SPA_PLUGIN_DIR, else the plugin directory of
 * the libspa this was built against.
 */
static void *keep_plugin(const char *name)
{
	const char *dir = getenv("SPA_PLUGIN_DIR");
	char path[PATH_MAX];

	if (!dir || !*dir)
		dir = KRUN_SPA_PLUGINDIR;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return NULL;
	return dlopen(path, RTLD_NOW | RTLD_NODELETE);
}

/* ---- PipeWire's loop thread ---- */

static void *loop_main(void *arg)
{
	struct snd_pw *pw = arg;

	/* The data loop's thread starts here, so it inherits this
	 * thread's filter (see the top). */
	if (pw_data_loop_start(pw_context_get_data_loop(pw->context)) < 0)
		return NULL;
	pw_loop_enter(pw->loop);
	while (!__atomic_load_n(&pw->stop, __ATOMIC_ACQUIRE))
		pw_loop_iterate(pw->loop, -1);
	pw_loop_leave(pw->loop);
	pw_data_loop_stop(pw_context_get_data_loop(pw->context));
	return NULL;
}

static int do_stop(struct spa_loop *loop, bool async, uint32_t seq,
		   const void *data, size_t size, void *user_data)
{
	struct snd_pw *pw = user_data;

	__atomic_store_n(&pw->stop, true, __ATOMIC_RELEASE);
	return 0;
}

/* ---- the data path (PipeWire's data loop) ---- */

static void wake(const struct pw_snd_stream *s)
{
	uint64_t one = 1;
	ssize_t n = write(s->wake_fd, &one, sizeof(one));

	(void)n; /* a full counter already wakes the worker */
}

static void on_process(void *data)
{
	struct pw_snd_stream *s = data;
	struct snd_ring *ring = __atomic_load_n(&s->ring, __ATOMIC_ACQUIRE);
	struct pw_buffer *b = pw_stream_dequeue_buffer(s->stream);
	struct spa_data *d;
	size_t moved;

	if (!b)
		return;
	d = &b->buffer->datas[0];
	if (!d->data || !d->chunk) {
		pw_stream_queue_buffer(s->stream, b);
		return;
	}
	if (s->id == 0) {
		uint32_t frames = d->maxsize / s->frame_bytes;
		size_t bytes;

		if (b->requested && b->requested < frames)
			frames = (uint32_t)b->requested;
		bytes = (size_t)frames * s->frame_bytes;
		moved = ring ? snd_ring_read(ring, d->data, bytes) : 0;
		memset((uint8_t *)d->data + moved, 0, bytes - moved);
		d->chunk->offset = 0;
		d->chunk->stride = (int32_t)s->frame_bytes;
		d->chunk->size = (uint32_t)bytes;
	} else {
		uint32_t off = d->chunk->offset % (d->maxsize + 1);
		uint32_t size = d->chunk->size;

		if (size > d->maxsize - off)
			size = d->maxsize - off;
		moved = ring ? snd_ring_write(ring, (uint8_t *)d->data + off,
					      size)
			     : 0;
	}
	pw_stream_queue_buffer(s->stream, b);
	if (moved)
		wake(s);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.process = on_process,
};

/* ---- the device's ops (worker thread) ---- */

static enum spa_audio_format pw_format(enum snd_sample_fmt f)
{
	switch (f) {
	case SND_FMT_S16:
		return SPA_AUDIO_FORMAT_S16_LE;
	case SND_FMT_S32:
		return SPA_AUDIO_FORMAT_S32_LE;
	default:
		return SPA_AUDIO_FORMAT_F32_LE;
	}
}

/* A request run on the loop thread (pw_loop_invoke, blocking). */
struct pw_req {
	struct snd_pw *pw;
	unsigned int id;
	const struct snd_pcm_params *params;
	struct snd_ring *ring;
	int wake_fd;
	bool on;
	int ret;
	const char *what; /* what failed, for the error line */
	int (*fn)(struct spa_loop *, bool, uint32_t, const void *, size_t,
		  void *);
	bool done; /* under pw->req_lock: fn has run */
};

/* Loop thread. */
static void destroy_stream(struct pw_snd_stream *s)
{
	if (!s->stream)
		return;
	spa_hook_remove(&s->listener);
	pw_stream_destroy(s->stream);
	s->stream = NULL;
}

static int do_prepare(struct spa_loop *loop, bool async, uint32_t seq,
		      const void *data, size_t size, void *user_data)
{
	struct pw_req *r = user_data;
	const struct snd_pcm_params *p = r->params;
	struct pw_snd_stream *s = &r->pw->streams[r->id];
	struct spa_audio_info_raw info = {
		.format = pw_format(p->format),
		.rate = p->rate,
		.channels = p->channels,
	};
	uint8_t podbuf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(podbuf, sizeof(podbuf));
	const struct spa_pod *params[1];
	struct pw_properties *props;
	char latency[32];

	destroy_stream(s);
	if (p->channels == 1) {
		info.position[0] = SPA_AUDIO_CHANNEL_MONO;
	} else {
		info.position[0] = SPA_AUDIO_CHANNEL_FL;
		info.position[1] = SPA_AUDIO_CHANNEL_FR;
	}
	__atomic_store_n(&s->ring, r->ring, __ATOMIC_RELEASE);
	s->wake_fd = r->wake_fd;
	s->frame_bytes = snd_fmt_bytes(p->format) * p->channels;
	snprintf(latency, sizeof(latency), "%u/%u",
		 p->period_bytes / s->frame_bytes, p->rate);
	props = pw_properties_new(
		PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY,
		p->capture ? "Capture" : "Playback", PW_KEY_MEDIA_ROLE, "Game",
		PW_KEY_NODE_LATENCY, latency, PW_KEY_APP_NAME, "krun-run",
		NULL);
	if (!props) {
		r->what = "cannot create a PipeWire stream";
		return r->ret = -ENOMEM;
	}
	s->stream = pw_stream_new(
		r->pw->core,
		p->capture ? "krun-run capture" : "krun-run playback", props);
	if (!s->stream) {
		r->what = "cannot create a PipeWire stream";
		return r->ret = -errno;
	}
	pw_stream_add_listener(s->stream, &s->listener, &stream_events, s);
	params[0] = spa_format_audio_raw_build(&b, SPA_PARAM_EnumFormat, &info);
	r->ret = pw_stream_connect(
		s->stream,
		p->capture ? PW_DIRECTION_INPUT : PW_DIRECTION_OUTPUT,
		PW_ID_ANY,
		PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
			PW_STREAM_FLAG_RT_PROCESS | PW_STREAM_FLAG_INACTIVE,
		params, 1);
	if (r->ret < 0) {
		r->what = "cannot connect a PipeWire stream";
		destroy_stream(s);
	}
	return r->ret;
}

static int do_active(struct spa_loop *loop, bool async, uint32_t seq,
		     const void *data, size_t size, void *user_data)
{
	struct pw_req *r = user_data;
	struct pw_snd_stream *s = &r->pw->streams[r->id];

	r->what = r->on ? "cannot start a PipeWire stream"
			: "cannot stop a PipeWire stream";
	r->ret = s->stream ? pw_stream_set_active(s->stream, r->on) : -EINVAL;
	return r->ret;
}

static int data_loop_sync(struct spa_loop *loop, bool async, uint32_t seq,
			  const void *data, size_t size, void *user_data)
{
	return 0;
}

/*
 * RELEASE keeps the PipeWire stream, inactive and without a ring, until
 * the next PREPARE or the device's end: destroying it here, while the
 * server still answers the deactivation, crashed PipeWire 0.3.65's loop
 * thread in a node state change in half the runs with MALLOC_PERTURB_
 * set (a use of freed memory), and never with the stream kept.
 */
static int do_release(struct spa_loop *loop, bool async, uint32_t seq,
		      const void *data, size_t size, void *user_data)
{
	struct pw_req *r = user_data;
	struct pw_snd_stream *s = &r->pw->streams[r->id];

	if (s->stream)
		pw_stream_set_active(s->stream, false);
	__atomic_store_n(&s->ring, NULL, __ATOMIC_RELEASE);
	/* A process() that took the ring before has returned once the data
	 * loop ran this: the device may free the ring afterwards. */
	pw_data_loop_invoke(pw_context_get_data_loop(r->pw->context),
			    data_loop_sync, 0, NULL, 0, true, NULL);
	return 0;
}

static int do_destroy(struct spa_loop *loop, bool async, uint32_t seq,
		      const void *data, size_t size, void *user_data)
{
	struct pw_req *r = user_data;

	destroy_stream(&r->pw->streams[r->id]);
	return 0;
}

/* Loop thread: the request, then its end told to run_req(). */
static int do_req(struct spa_loop *loop, bool async, uint32_t seq,
		  const void *data, size_t size, void *user_data)
{
	struct pw_req *r = user_data;
	struct snd_pw *pw = r->pw;

	r->fn(loop, async, seq, data, size, r);
	pthread_mutex_lock(&pw->req_lock);
	r->done = true;
	pthread_cond_broadcast(&pw->req_done);
	pthread_mutex_unlock(&pw->req_lock);
	return 0;
}

/*
 * The request lives on the caller's stack, so the caller waits for its
 * end on req_done rather than in pw_loop_invoke(): PipeWire 0.3.65's
 * blocking invoke waits on one acknowledgement eventfd for the whole loop
 * and was seen returning before its item ran (checked by a `done` flag in
 * the emulated test host). The item then ran on a stack that had moved
 * on: krun-run died of SIGSEGV in do_prepare() on the loop thread, and
 * guest writes stalled (EIO), likely a START read from such a stack.
 * Queued without blocking, the request leaves that eventfd to others.
 */
static int run_req(struct pw_req *r,
		   int (*fn)(struct spa_loop *, bool, uint32_t, const void *,
			     size_t, void *),
		   struct krun_err **err)
{
	struct snd_pw *pw = r->pw;
	int ret;

	if (r->id >= SND_PW_NSTREAMS)
		return krun_err_set(err, EINVAL, "no such stream");
	r->fn = fn;
	r->done = false;
	ret = pw_loop_invoke(pw->loop, do_req, 0, NULL, 0, false, r);
	if (ret < 0)
		return krun_err_set_errno(err, -ret,
					  "cannot queue a PipeWire request");
	pthread_mutex_lock(&pw->req_lock);
	while (!r->done)
		pthread_cond_wait(&pw->req_done, &pw->req_lock);
	pthread_mutex_unlock(&pw->req_lock);
	if (r->ret < 0)
		return krun_err_set_errno(err, -r->ret, "%s", r->what);
	return 0;
}

static int pw_prepare(struct snd_backend *be, unsigned int id,
		      const struct snd_pcm_params *p, struct snd_ring *ring,
		      int wake_fd, struct krun_err **err)
{
	struct pw_req r = {.pw = (struct snd_pw *)be,
			   .id = id,
			   .params = p,
			   .ring = ring,
			   .wake_fd = wake_fd};

	return run_req(&r, do_prepare, err);
}

static int pw_start(struct snd_backend *be, unsigned int id,
		    struct krun_err **err)
{
	struct pw_req r = {.pw = (struct snd_pw *)be, .id = id, .on = true};

	return run_req(&r, do_active, err);
}

static int pw_stop(struct snd_backend *be, unsigned int id,
		   struct krun_err **err)
{
	struct pw_req r = {.pw = (struct snd_pw *)be, .id = id};

	return run_req(&r, do_active, err);
}

static void pw_release(struct snd_backend *be, unsigned int id)
{
	struct pw_req r = {.pw = (struct snd_pw *)be, .id = id};

	run_req(&r, do_release, NULL);
}

static void pw_destroy(struct snd_backend *be)
{
	struct snd_pw *pw = (struct snd_pw *)be;

	if (pw->started) {
		for (unsigned int i = 0; i < SND_PW_NSTREAMS; i++) {
			struct pw_req r = {.pw = pw, .id = i};

			run_req(&r, do_destroy, NULL);
		}
		pw_loop_invoke(pw->loop, do_stop, 0, NULL, 0, true, pw);
		pthread_join(pw->thread, NULL);
	}
	if (pw->convert)
		dlclose(pw->convert);
	if (pw->mixer)
		dlclose(pw->mixer);
	if (pw->core)
		pw_core_disconnect(pw->core);
	if (pw->context)
		pw_context_destroy(pw->context);
	if (pw->loop)
		pw_loop_destroy(pw->loop);
	pw_deinit();
	pthread_cond_destroy(&pw->req_done);
	pthread_mutex_destroy(&pw->req_lock);
	free(pw);
}

static const struct snd_backend_ops pw_ops = {
	.prepare = pw_prepare,
	.start = pw_start,
	.stop = pw_stop,
	.release = pw_release,
	.destroy = pw_destroy,
};

struct snd_backend *snd_pipewire_open(struct thread_launcher *threads,
				      struct krun_err **err)
{
	struct snd_pw *pw = calloc(1, sizeof(*pw));
	const char *dir = getenv("XDG_RUNTIME_DIR");
	int ret;

	if (!pw) {
		krun_err_set(err, ENOMEM, "sound: out of memory");
		return NULL;
	}
	pw->be.ops = &pw_ops;
	pw->be.name = "pipewire";
	pw->threads = threads;
	pthread_mutex_init(&pw->req_lock, NULL);
	pthread_cond_init(&pw->req_done, NULL);
	for (unsigned int i = 0; i < SND_PW_NSTREAMS; i++) {
		pw->streams[i].pw = pw;
		pw->streams[i].id = i;
		pw->streams[i].wake_fd = -1;
	}
	pw_init(NULL, NULL);
	pw->loop = pw_loop_new(NULL);
	if (!pw->loop) {
		krun_err_set_errno(err, errno,
				   "sound: cannot create a PipeWire loop");
		goto fail;
	}
	pw->context = pw_context_new(pw->loop, NULL, 0);
	if (!pw->context) {
		krun_err_set_errno(err, errno,
				   "sound: cannot create a PipeWire context");
		goto fail;
	}
	pw->convert = keep_plugin("audioconvert/libspa-audioconvert.so");
	pw->mixer = keep_plugin("audiomixer/libspa-audiomixer.so");
	/* Stopped here, restarted by the loop thread (see the top). */
	pw_data_loop_stop(pw_context_get_data_loop(pw->context));
	pw->core = pw_context_connect(pw->context, NULL, 0);
	if (!pw->core) {
		krun_err_set_errno(err, errno,
				   "sound: cannot connect to a PipeWire server "
				   "(XDG_RUNTIME_DIR=%s)",
				   dir ? dir : "unset");
		goto fail;
	}
	ret = thread_launch(threads, SND_PW_ROLE, &pw->thread, loop_main, pw);
	if (ret) {
		krun_err_set_errno(err, ret,
				   "sound: cannot start PipeWire's thread");
		goto fail;
	}
	pw->started = true;
	return &pw->be;
fail:
	pw_destroy(&pw->be);
	return NULL;
}
