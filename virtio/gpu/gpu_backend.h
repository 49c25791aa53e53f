/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the virtio-gpu command layer (gpu_cmd.c) asks of a renderer. The
 * command layer validates every request (ids, lengths, guest memory,
 * window offsets) before it calls here, and keeps the resource table;
 * the backend does the rendering. gpu_virgl.c is the virglrenderer
 * backend; the unit tests plug in a recording one.
 *
 * Threads: every op is called on the device's renderer thread, the one
 * that called init. signal() may be called from any thread (virglrenderer
 * with VIRGLRENDERER_USE_ASYNC_FENCE_CB calls it from its sync thread).
 *
 * Return values: 0 or a negative errno; the command layer turns a failure
 * into a VIRTIO_GPU_RESP_ERR_* response.
 */
#ifndef KRUN_VIRTIO_GPU_BACKEND_H
#define KRUN_VIRTIO_GPU_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct gpu_backend;

/* RESOURCE_CREATE_2D (target 2D texture, the rest zero) and _3D. */
struct gpu_res_args {
	uint32_t id, target, format, bind, width, height, depth;
	uint32_t array_size, last_level, nr_samples, flags;
};

/* TRANSFER_TO_HOST_2D (ctx 0, z/d 0/1) and TRANSFER_{TO,FROM}_HOST_3D. */
struct gpu_transfer_args {
	uint32_t res_id, ctx_id, level, stride, layer_stride;
	uint32_t x, y, z, w, h, d;
	uint64_t offset;
};

struct gpu_blob_args {
	uint32_t res_id, ctx_id, blob_mem, blob_flags;
	uint64_t blob_id, size;
	const struct iovec *iov; /* GUEST backing, or NULL */
	unsigned int n_iov;
};

struct gpu_backend_ops {
	/* Before each request (may be NULL). */
	void (*begin)(struct gpu_backend *be);
	/* Capset number index (0..n), or -EINVAL past the last. */
	int (*capset_info)(struct gpu_backend *be, uint32_t index,
			   uint32_t *id, uint32_t *max_ver, uint32_t *max_size);
	/* Fill buf (size from capset_info) with capset id at version ver. */
	int (*capset)(struct gpu_backend *be, uint32_t id, uint32_t ver,
		      void *buf, uint32_t size);
	int (*ctx_create)(struct gpu_backend *be, uint32_t ctx,
			  uint32_t ctx_init, const char *name, uint32_t nlen);
	void (*ctx_destroy)(struct gpu_backend *be, uint32_t ctx);
	void (*ctx_attach)(struct gpu_backend *be, uint32_t ctx, uint32_t res);
	void (*ctx_detach)(struct gpu_backend *be, uint32_t ctx, uint32_t res);
	int (*res_create)(struct gpu_backend *be, const struct gpu_res_args *a);
	void (*res_unref)(struct gpu_backend *be, uint32_t res);
	/* The iovecs point into guest RAM and stay valid until detach. */
	int (*attach_backing)(struct gpu_backend *be, uint32_t res,
			      struct iovec *iov, unsigned int n);
	void (*detach_backing)(struct gpu_backend *be, uint32_t res);
	int (*transfer)(struct gpu_backend *be,
			const struct gpu_transfer_args *t, bool to_host);
	int (*submit)(struct gpu_backend *be, uint32_t ctx, void *cmds,
		      uint32_t size);
	/* Ask for fence_id to be signalled once ctx's work so far is done. */
	int (*fence)(struct gpu_backend *be, uint32_t ctx, uint64_t fence_id);
	int (*blob_create)(struct gpu_backend *be,
			   const struct gpu_blob_args *a);
	/*
	 * Make the blob's memory host-addressable for the guest, len bytes
	 * (the blob size rounded up to pages), in one of two ways: map it at
	 * host address at (a page-aligned range inside the device's window)
	 * with MAP_FIXED, replacing the placeholder there, and set *host = at
	 * and *host_len = len; or leave it where the renderer keeps it and set
	 * *host to that memory and *host_len to its size (the caller hands it
	 * to the guest only when it is page-aligned and at least len bytes).
	 * Returns the VIRTIO_GPU_MAP_CACHE_* info in *map_info.
	 */
	int (*blob_map)(struct gpu_backend *be, uint32_t res, void *at,
			uint64_t len, void **host, uint64_t *host_len,
			uint32_t *map_info);
	/* The guest no longer sees the blob's memory (the caller took it
	 * out of the guest and restored the placeholder at `at`). */
	void (*blob_unmap)(struct gpu_backend *be, uint32_t res);
	/* Check for fences that signalled (calls signal). */
	void (*poll)(struct gpu_backend *be);
	/* An fd readable when poll has work, or -1: poll on a timer. */
	int (*poll_fd)(struct gpu_backend *be);
	void (*destroy)(struct gpu_backend *be);
};

/* Called when fence fence_id (and every earlier one) has signalled. */
typedef void (*gpu_fence_fn)(void *ctx, uint64_t fence_id);

struct gpu_backend {
	const struct gpu_backend_ops *ops;
	gpu_fence_fn signal;
	void *signal_ctx;
	bool virgl; /* offers 3D (VIRTIO_GPU_F_VIRGL) */
	uint32_t num_capsets;
};

/*
 * How the window's pages reach the guest: map puts host[0, len) at
 * window offset off (both page-aligned), unmap takes the mapping at off
 * away and returns once the guest can no longer reach it. Called on the
 * renderer thread. Negative errno on failure.
 */
struct gpu_window {
	int (*map)(void *opaque, uint64_t off, void *host, uint64_t len);
	void (*unmap)(void *opaque, uint64_t off);
	void *opaque;
};

#endif
