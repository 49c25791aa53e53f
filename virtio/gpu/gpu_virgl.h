/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virglrenderer backend of virtio-gpu (Debian's libvirglrenderer,
 * 0.10.x). virglrenderer is process-global: one backend per process.
 */
#ifndef KRUN_VIRTIO_GPU_VIRGL_H
#define KRUN_VIRTIO_GPU_VIRGL_H

#include <stdint.h>

#include "util/err.h"
#include "virtio/gpu/gpu_backend.h"

/*
 * Start virglrenderer with flags (the VIRGLRENDERER_* bits of libkrun.h,
 * which are virglrenderer's own; 0: EGL, surfaceless). Flags this device
 * cannot honour are refused with one error line: GLX (no display),
 * RENDER_SERVER and DRM (contexts of those kinds need
 * VIRTIO_GPU_F_CONTEXT_INIT, not offered). Without a DRM render node on
 * the host, EGL runs surfaceless (Mesa's software renderer). Must be
 * called on the thread that will run every op. signal/signal_ctx: fence
 * completions.
 */
struct gpu_backend *gpu_virgl_create(uint32_t flags, gpu_fence_fn signal,
				     void *signal_ctx, struct krun_err **err);

/* The flags gpu_virgl_create() will pass to virglrenderer for flags. */
uint32_t gpu_virgl_effective_flags(uint32_t flags);

#endif
