/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-gpu command layer: one control or cursor queue request in,
 * one response out. Every request is checked against its chain (header
 * and body lengths, entry counts), resource and context ids against the
 * tables kept here, guest addresses through the guest-memory API, and
 * blob mappings against the shared memory window (in range, page-aligned,
 * not overlapping another mapping). A bad request gets a
 * VIRTIO_GPU_RESP_ERR_* response; nothing reaches the backend unchecked.
 *
 * Threads: used by one thread (the device's renderer thread).
 */
#ifndef KRUN_VIRTIO_GPU_CMD_H
#define KRUN_VIRTIO_GPU_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hw/kvm/guest_mem.h"
#include "virtio/gpu/gpu_backend.h"

/* Limits on what one guest may hold. */
#define GPU_MAX_RESOURCES 16384u
#define GPU_MAX_CONTEXTS 1024u
#define GPU_MAX_BACKING_ENTRIES 16384u
#define GPU_MAX_SUBMIT (16u << 20)

/* The one headless scanout. */
#define GPU_SCANOUT_WIDTH 1280u
#define GPU_SCANOUT_HEIGHT 800u

struct gpu_resource;

struct gpu_cmd {
	struct gpu_backend *be;
	const struct guest_mem *gm;
	uint8_t *shm;	   /* host window, NULL when none */
	uint64_t shm_size; /* bytes */
	const struct gpu_window *win; /* NULL: shm is the guest's view */
	bool blob;	   /* VIRTIO_GPU_F_RESOURCE_BLOB negotiated */
	bool virgl;	   /* VIRTIO_GPU_F_VIRGL negotiated */
	struct gpu_resource *res; /* list */
	unsigned int n_res;
	uint32_t *ctxs; /* live context ids */
	unsigned int n_ctx;
	uint32_t scanout_res; /* 0: scanout disabled */
};

/* A request's outcome. */
struct gpu_reply {
	uint32_t written; /* response bytes in the chain */
	bool fenced;	  /* complete once fence_id has signalled */
	uint64_t fence_id;
};

void gpu_cmd_init(struct gpu_cmd *c, struct gpu_backend *be,
		  const struct guest_mem *gm, uint8_t *shm, uint64_t shm_size,
		  const struct gpu_window *win);

/* Handle one request: out holds it, the response goes into in. */
void gpu_cmd_handle(struct gpu_cmd *c, const struct iovec *out,
		    unsigned int n_out, const struct iovec *in,
		    unsigned int n_in, struct gpu_reply *r);

/* Drop every resource, mapping and context (device reset). */
void gpu_cmd_reset(struct gpu_cmd *c);

/* Placeholder for [at, at + len) of the window: PROT_NONE, no memory. */
int gpu_shm_reserve(void *at, uint64_t len, void **out);

#endif
