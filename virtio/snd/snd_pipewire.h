/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PipeWire backend of virtio-snd: one pw_stream per PCM stream,
 * connected to the host's default sink (playback) or source (capture) by
 * the session manager (autoconnect). PipeWire's threads (its loop thread
 * and its data loop) are started through threads, in the seccomp role
 * "snd-pw"; the device's worker only takes PipeWire's loop lock to set a
 * stream up, start, stop or tear it down, and moves samples through the
 * stream's ring.
 *
 * Built only with libpipewire-0.3 (meson option `sound`); without it
 * snd_pipewire_open() refuses with one error line.
 */
#ifndef KRUN_VIRTIO_SND_PIPEWIRE_H
#define KRUN_VIRTIO_SND_PIPEWIRE_H

#include "util/err.h"
#include "util/thread_launch.h"
#include "virtio/snd/snd_backend.h"

/* Connect to the PipeWire server of the calling process's environment
 * ($PIPEWIRE_REMOTE, $XDG_RUNTIME_DIR/pipewire-0). Fails with one line
 * when there is none, or when this build has no PipeWire. */
struct snd_backend *snd_pipewire_open(struct thread_launcher *threads,
				      struct krun_err **err);

#endif
