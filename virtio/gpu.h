/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-gpu (virtio 1.2, 5.7), headless: one scanout, the 2D commands,
 * 3D over virglrenderer (VIRTIO_GPU_F_VIRGL) and blob resources mapped
 * into a host-visible shared memory window (VIRTIO_GPU_F_RESOURCE_BLOB,
 * shared memory region VIRTIO_GPU_SHM_ID_HOST_VISIBLE).
 *
 * Threads: the renderer runs in a thread of its own, started by
 * virtio_gpu_start() and kept for the device's life (virglrenderer's EGL
 * context is bound to it). Queue kicks wake it; vCPUs never render.
 */
#ifndef KRUN_VIRTIO_GPU_H
#define KRUN_VIRTIO_GPU_H

#include <stdint.h>

#include "util/err.h"
#include "virtio/gpu/gpu_backend.h"
#include "virtio/virtio_dev.h"

/* Window size when none is asked for. */
#define VIRTIO_GPU_DEFAULT_SHM (256ull << 20)

/* Makes the backend on the renderer thread (tests: a recording one). */
typedef struct gpu_backend *(*gpu_backend_factory)(void *arg,
						   gpu_fence_fn signal,
						   void *signal_ctx,
						   struct krun_err **err);

struct virtio_gpu_opts {
	uint32_t virgl_flags; /* VIRGLRENDERER_* (libkrun.h) */
	uint64_t shm_size;    /* window bytes; 0: VIRTIO_GPU_DEFAULT_SHM */
	gpu_backend_factory backend; /* NULL: virglrenderer */
	void *backend_arg;
	/* How blob mappings reach the guest (map NULL: the window's host
	 * range is the guest's view, mapped whole by the caller). */
	struct gpu_window window;
};

/* Whether this build has a renderer (virglrenderer). */
bool virtio_gpu_available(void);

/* The device; the window's host range is reserved here. Owned by its
 * transport once wrapped; before that, dev->ops->destroy(dev). */
struct virtio_device *virtio_gpu_create(const struct virtio_gpu_opts *o,
					struct krun_err **err);

/*
 * Start the renderer thread (through dev->threads, role "gpu") and the
 * backend on it; returns once the backend is up, or with the backend's
 * one-line error. *shm, *shm_size: the window's host range (mapped into
 * the guest whole when opts.window.map is NULL; else only its size matters
 * to the caller, which reserves that much guest-physical space).
 * Before the device is wrapped in its transport (virtio_mmio_create reads
 * the features, which depend on the renderer); set dev->threads first.
 */
int virtio_gpu_start(struct virtio_device *dev, void **shm,
		     uint64_t *shm_size, struct krun_err **err);

#endif
