// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-gpu requests: parse, check, call the backend, answer. See
 * gpu_cmd.h for what is checked. Multi-byte fields are little-endian on
 * the wire; the VMM runs on x86_64 only, so they are read in place.
 */
#include "virtio/gpu/gpu_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "virtio/gpu/gpu_proto.h"
#include "util/log.h"
#include "virtio/iov.h"

#define PAGE 4096ull

struct gpu_resource {
	uint32_t id;
	bool blob;
	bool two_d; /* RESOURCE_CREATE_2D: width/height known */
	uint32_t width, height;
	uint32_t blob_mem, blob_flags;
	uint64_t blob_size;
	struct iovec *iov; /* guest backing, NULL when none */
	unsigned int n_iov;
	bool mapped; /* in the window at [map_off, map_off + map_len) */
	uint64_t map_off, map_len;
	struct gpu_resource *next;
};

/* The request being handled: its bytes copied out of the chain. */
struct req {
	uint8_t *buf;
	size_t len;
	const struct iovec *in;
	unsigned int n_in;
	struct virtio_gpu_ctrl_hdr hdr;
	bool responded; /* a response with data was written */
	uint32_t written;
};

void gpu_cmd_init(struct gpu_cmd *c, struct gpu_backend *be,
		  const struct guest_mem *gm, uint8_t *shm, uint64_t shm_size,
		  const struct gpu_window *win)
{
	memset(c, 0, sizeof(*c));
	c->win = win;
	c->be = be;
	c->gm = gm;
	c->shm = shm;
	c->shm_size = shm_size;
}

int gpu_shm_reserve(void *at, uint64_t len, void **out)
{
	void *p = mmap(at, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			       (at ? MAP_FIXED : 0),
		       -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (out)
		*out = p;
	return 0;
}

static struct gpu_resource *res_find(struct gpu_cmd *c, uint32_t id)
{
	for (struct gpu_resource *r = c->res; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static bool ctx_live(const struct gpu_cmd *c, uint32_t id)
{
	for (unsigned int i = 0; i < c->n_ctx; i++)
		if (c->ctxs[i] == id)
			return true;
	return false;
}

/* Write the response: body (starting with its header) or, when body is
 * NULL, a header alone. Returns type. */
static uint32_t respond(struct req *q, uint32_t type, void *body,
			size_t body_len)
{
	struct virtio_gpu_ctrl_hdr *h = body;
	struct virtio_gpu_ctrl_hdr plain;
	ssize_t n;

	if (!h) {
		h = &plain;
		body_len = sizeof(plain);
	}
	memset(h, 0, sizeof(*h));
	h->type = type;
	if (q->hdr.flags & VIRTIO_GPU_FLAG_FENCE) {
		h->flags = VIRTIO_GPU_FLAG_FENCE;
		h->fence_id = q->hdr.fence_id;
		h->ctx_id = q->hdr.ctx_id;
	}
	n = iov_from_buf(q->in, q->n_in, 0, h, body_len);
	q->written = n > 0 ? (uint32_t)n : 0;
	q->responded = true;
	return type;
}

static void backing_free(struct gpu_resource *r)
{
	free(r->iov);
	r->iov = NULL;
	r->n_iov = 0;
}

/* Translate nr guest entries at q->buf[off..] into host iovecs. */
static uint32_t entries_to_iov(struct gpu_cmd *c, struct req *q, size_t off,
			       uint32_t nr, struct iovec **iov_out)
{
	struct iovec *iov;

	if (nr == 0 || nr > GPU_MAX_BACKING_ENTRIES ||
	    q->len < off || (q->len - off) / sizeof(struct virtio_gpu_mem_entry) < nr)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	iov = calloc(nr, sizeof(*iov));
	if (!iov)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	for (uint32_t i = 0; i < nr; i++) {
		struct virtio_gpu_mem_entry e;

		memcpy(&e, q->buf + off + i * sizeof(e), sizeof(e));
		iov[i].iov_base = gm_slice(c->gm, e.addr, e.length);
		iov[i].iov_len = e.length;
		if (!iov[i].iov_base) {
			free(iov);
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
	}
	*iov_out = iov;
	return 0;
}

static bool need(struct req *q, size_t len)
{
	return q->len >= len;
}

#define BODY(q, type, var)                                 \
	type var;                                          \
	if (!need(q, sizeof(var)))                         \
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER; \
	memcpy(&var, (q)->buf, sizeof(var))

static uint32_t display_info(struct gpu_cmd *c, struct req *q)
{
	struct virtio_gpu_resp_display_info d;

	memset(&d, 0, sizeof(d));
	d.pmodes[0].r.width = GPU_SCANOUT_WIDTH;
	d.pmodes[0].r.height = GPU_SCANOUT_HEIGHT;
	d.pmodes[0].enabled = 1;
	return respond(q, VIRTIO_GPU_RESP_OK_DISPLAY_INFO, &d, sizeof(d));
}

static uint32_t res_add(struct gpu_cmd *c, uint32_t id,
			struct gpu_resource **out)
{
	struct gpu_resource *r;

	if (id == 0 || res_find(c, id))
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (c->n_res >= GPU_MAX_RESOURCES)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	r = calloc(1, sizeof(*r));
	if (!r)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	r->id = id;
	*out = r;
	return 0;
}

static void res_link(struct gpu_cmd *c, struct gpu_resource *r)
{
	r->next = c->res;
	c->res = r;
	c->n_res++;
}

static uint32_t create_res(struct gpu_cmd *c, struct gpu_resource *r,
			   const struct gpu_res_args *a)
{
	if (c->be->ops->res_create(c->be, a) < 0) {
		free(r);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	res_link(c, r);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* PIPE_TEXTURE_2D and PIPE_BIND_RENDER_TARGET | SAMPLER_VIEW | SCANOUT. */
#define PIPE_TEXTURE_2D 2
#define BIND_2D ((1u << 1) | (1u << 3) | (1u << 18))

static uint32_t create_2d(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_create_2d, b);
	struct gpu_resource *r;
	uint32_t err;

	if (b.width == 0 || b.height == 0 || b.width > 16384 ||
	    b.height > 16384)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	err = res_add(c, b.resource_id, &r);
	if (err)
		return err;
	r->two_d = true;
	r->width = b.width;
	r->height = b.height;
	return create_res(c, r,
			  &(struct gpu_res_args){
				  .id = b.resource_id,
				  .target = PIPE_TEXTURE_2D,
				  .format = b.format,
				  .bind = BIND_2D,
				  .width = b.width,
				  .height = b.height,
				  .depth = 1,
				  .array_size = 1,
			  });
}

static uint32_t create_3d(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_create_3d, b);
	struct gpu_resource *r;
	uint32_t err;

	if (!c->virgl)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	err = res_add(c, b.resource_id, &r);
	if (err)
		return err;
	return create_res(c, r,
			  &(struct gpu_res_args){
				  .id = b.resource_id,
				  .target = b.target,
				  .format = b.format,
				  .bind = b.bind,
				  .width = b.width,
				  .height = b.height,
				  .depth = b.depth,
				  .array_size = b.array_size,
				  .last_level = b.last_level,
				  .nr_samples = b.nr_samples,
				  .flags = b.flags,
			  });
}

static void unmap_blob(struct gpu_cmd *c, struct gpu_resource *r)
{
	if (!r->mapped)
		return;
	/* Out of the guest first: the guest's view of the window never
	 * points at memory the renderer is about to free. */
	if (c->win)
		c->win->unmap(c->win->opaque, r->map_off);
	gpu_shm_reserve(c->shm + r->map_off, r->map_len, NULL);
	c->be->ops->blob_unmap(c->be, r->id);
	r->mapped = false;
}

static void res_drop(struct gpu_cmd *c, struct gpu_resource *r)
{
	unmap_blob(c, r);
	if (r->iov && !r->blob)
		c->be->ops->detach_backing(c->be, r->id);
	c->be->ops->res_unref(c->be, r->id);
	backing_free(r);
	if (c->scanout_res == r->id)
		c->scanout_res = 0;
	free(r);
	c->n_res--;
}

static uint32_t unref(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_unref, b);

	for (struct gpu_resource **p = &c->res; *p; p = &(*p)->next) {
		struct gpu_resource *r = *p;

		if (r->id == b.resource_id) {
			*p = r->next;
			res_drop(c, r);
			return VIRTIO_GPU_RESP_OK_NODATA;
		}
	}
	return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
}

static bool rect_inside(const struct virtio_gpu_rect *rc, uint32_t w,
			uint32_t h)
{
	return rc->x <= w && rc->width <= w - rc->x && rc->y <= h &&
	       rc->height <= h - rc->y;
}

static uint32_t set_scanout(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_set_scanout, b);
	struct gpu_resource *r;

	if (b.scanout_id != 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	if (b.resource_id == 0) {
		c->scanout_res = 0;
		return VIRTIO_GPU_RESP_OK_NODATA;
	}
	r = res_find(c, b.resource_id);
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (r->two_d && !rect_inside(&b.r, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	c->scanout_res = b.resource_id;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* Headless: nothing is shown, but the resource and rectangle are checked. */
static uint32_t flush(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_flush, b);
	struct gpu_resource *r = res_find(c, b.resource_id);

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (r->two_d && !rect_inside(&b.r, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t transfer_2d(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_transfer_to_host_2d, b);
	struct gpu_resource *r = res_find(c, b.resource_id);

	if (!r || r->blob)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!r->iov)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (r->two_d && !rect_inside(&b.r, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (c->be->ops->transfer(c->be,
				 &(struct gpu_transfer_args){
					 .res_id = b.resource_id,
					 .x = b.r.x,
					 .y = b.r.y,
					 .w = b.r.width,
					 .h = b.r.height,
					 .d = 1,
					 .offset = b.offset,
				 },
				 true) < 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t attach_backing(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_attach_backing, b);
	struct gpu_resource *r = res_find(c, b.resource_id);
	struct iovec *iov = NULL;
	uint32_t err;

	if (!r || r->blob)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (r->iov)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	err = entries_to_iov(c, q, sizeof(b), b.nr_entries, &iov);
	if (err)
		return err;
	if (c->be->ops->attach_backing(c->be, r->id, iov, b.nr_entries) < 0) {
		free(iov);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	r->iov = iov;
	r->n_iov = b.nr_entries;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t detach_backing(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_unref, b);
	struct gpu_resource *r = res_find(c, b.resource_id);

	if (!r || r->blob)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!r->iov)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	c->be->ops->detach_backing(c->be, r->id);
	backing_free(r);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t capset_info(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_get_capset_info, b);
	struct virtio_gpu_resp_capset_info ri;

	memset(&ri, 0, sizeof(ri));
	if (b.capset_index >= c->be->num_capsets ||
	    c->be->ops->capset_info(c->be, b.capset_index, &ri.capset_id,
				    &ri.capset_max_version,
				    &ri.capset_max_size) < 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	return respond(q, VIRTIO_GPU_RESP_OK_CAPSET_INFO, &ri, sizeof(ri));
}

static uint32_t capset(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_get_capset, b);
	uint32_t id, max_ver, size;
	uint8_t *buf;

	for (uint32_t i = 0; i < c->be->num_capsets; i++) {
		if (c->be->ops->capset_info(c->be, i, &id, &max_ver, &size) <
			    0 ||
		    id != b.capset_id)
			continue;
		if (b.capset_version > max_ver || size > (1u << 20))
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		buf = calloc(1, sizeof(struct virtio_gpu_ctrl_hdr) + size);
		if (!buf)
			return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
		if (c->be->ops->capset(c->be, id, b.capset_version,
				       buf + sizeof(struct virtio_gpu_ctrl_hdr),
				       size) < 0) {
			free(buf);
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
		respond(q, VIRTIO_GPU_RESP_OK_CAPSET, buf,
			sizeof(struct virtio_gpu_ctrl_hdr) + size);
		free(buf);
		return VIRTIO_GPU_RESP_OK_CAPSET;
	}
	return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
}

static uint32_t ctx_create(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_ctx_create, b);
	uint32_t *n;

	if (!c->virgl)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (q->hdr.ctx_id == 0 || ctx_live(c, q->hdr.ctx_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	if (b.nlen > sizeof(b.debug_name) || b.context_init != 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (c->n_ctx >= GPU_MAX_CONTEXTS)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	n = realloc(c->ctxs, (c->n_ctx + 1) * sizeof(*n));
	if (!n)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	c->ctxs = n;
	if (c->be->ops->ctx_create(c->be, q->hdr.ctx_id, b.context_init,
				   b.debug_name, b.nlen) < 0)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	c->ctxs[c->n_ctx++] = q->hdr.ctx_id;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t ctx_destroy(struct gpu_cmd *c, struct req *q)
{
	for (unsigned int i = 0; i < c->n_ctx; i++) {
		if (c->ctxs[i] != q->hdr.ctx_id)
			continue;
		c->be->ops->ctx_destroy(c->be, q->hdr.ctx_id);
		c->ctxs[i] = c->ctxs[--c->n_ctx];
		return VIRTIO_GPU_RESP_OK_NODATA;
	}
	return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
}

static uint32_t ctx_res(struct gpu_cmd *c, struct req *q, bool attach)
{
	BODY(q, struct virtio_gpu_resource_unref, b);

	if (!ctx_live(c, q->hdr.ctx_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	if (!res_find(c, b.resource_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (attach)
		c->be->ops->ctx_attach(c->be, q->hdr.ctx_id, b.resource_id);
	else
		c->be->ops->ctx_detach(c->be, q->hdr.ctx_id, b.resource_id);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t transfer_3d(struct gpu_cmd *c, struct req *q, bool to_host)
{
	BODY(q, struct virtio_gpu_transfer_host_3d, b);
	struct gpu_resource *r = res_find(c, b.resource_id);

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (q->hdr.ctx_id && !ctx_live(c, q->hdr.ctx_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	if (!r->blob && !r->iov)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (b.box.x > UINT32_MAX - b.box.w || b.box.y > UINT32_MAX - b.box.h ||
	    b.box.z > UINT32_MAX - b.box.d)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (c->be->ops->transfer(c->be,
				 &(struct gpu_transfer_args){
					 .res_id = b.resource_id,
					 .ctx_id = q->hdr.ctx_id,
					 .level = b.level,
					 .stride = b.stride,
					 .layer_stride = b.layer_stride,
					 .x = b.box.x,
					 .y = b.box.y,
					 .z = b.box.z,
					 .w = b.box.w,
					 .h = b.box.h,
					 .d = b.box.d,
					 .offset = b.offset,
				 },
				 to_host) < 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t submit(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_cmd_submit, b);

	if (!ctx_live(c, q->hdr.ctx_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	/* Whole dwords, all of them inside the request. */
	if (b.size % 4 || b.size > q->len - sizeof(b))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (c->be->ops->submit(c->be, q->hdr.ctx_id, q->buf + sizeof(b),
			       b.size) < 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t create_blob(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_create_blob, b);
	struct gpu_resource *r;
	struct iovec *iov = NULL;
	uint32_t err;

	if (!c->blob)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (b.size == 0 || b.size > (1ull << 40) ||
	    b.blob_flags & ~7u ||
	    (b.blob_mem != VIRTIO_GPU_BLOB_MEM_GUEST &&
	     b.blob_mem != VIRTIO_GPU_BLOB_MEM_HOST3D &&
	     b.blob_mem != VIRTIO_GPU_BLOB_MEM_HOST3D_GUEST))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (b.blob_mem != VIRTIO_GPU_BLOB_MEM_GUEST &&
	    !ctx_live(c, q->hdr.ctx_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	if (b.blob_mem == VIRTIO_GPU_BLOB_MEM_HOST3D && b.nr_entries)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	err = res_add(c, b.resource_id, &r);
	if (err)
		return err;
	if (b.blob_mem != VIRTIO_GPU_BLOB_MEM_HOST3D) {
		err = entries_to_iov(c, q, sizeof(b), b.nr_entries, &iov);
		if (err) {
			free(r);
			return err;
		}
	}
	r->blob = true;
	r->blob_mem = b.blob_mem;
	r->blob_flags = b.blob_flags;
	r->blob_size = b.size;
	r->iov = iov;
	r->n_iov = iov ? b.nr_entries : 0;
	if (c->be->ops->blob_create(c->be,
				    &(struct gpu_blob_args){
					    .res_id = b.resource_id,
					    .ctx_id = q->hdr.ctx_id,
					    .blob_mem = b.blob_mem,
					    .blob_flags = b.blob_flags,
					    .blob_id = b.blob_id,
					    .size = b.size,
					    .iov = iov,
					    .n_iov = r->n_iov,
				    }) < 0) {
		free(iov);
		free(r);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	res_link(c, r);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static bool overlaps(struct gpu_cmd *c, uint64_t off, uint64_t len)
{
	for (struct gpu_resource *r = c->res; r; r = r->next)
		if (r->mapped && off < r->map_off + r->map_len &&
		    r->map_off < off + len)
			return true;
	return false;
}

static uint32_t map_blob(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_map_blob, b);
	struct gpu_resource *r = res_find(c, b.resource_id);
	struct virtio_gpu_resp_map_info mi;
	uint64_t len, host_len = 0;
	void *host = NULL;

	if (!c->blob || !c->shm)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (!r || !r->blob || r->blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST ||
	    !(r->blob_flags & VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE) || r->mapped)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	len = (r->blob_size + PAGE - 1) & ~(PAGE - 1);
	if (b.offset % PAGE || b.offset > c->shm_size ||
	    len > c->shm_size - b.offset || overlaps(c, b.offset, len))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	memset(&mi, 0, sizeof(mi));
	if (c->be->ops->blob_map(c->be, r->id, c->shm + b.offset, len, &host,
				 &host_len, &mi.map_info) < 0) {
		gpu_shm_reserve(c->shm + b.offset, len, NULL);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	/*
	 * Memory the renderer keeps elsewhere reaches the guest in whole
	 * pages: it must start on one and fill them all, or the guest would
	 * see the host memory next to it. Without a window callback only a
	 * mapping inside shm is visible to the guest.
	 */
	if ((uintptr_t)host % PAGE || host_len < len ||
	    (!c->win && host != c->shm + b.offset) ||
	    (c->win &&
	     c->win->map(c->win->opaque, b.offset, host, len) < 0)) {
		c->be->ops->blob_unmap(c->be, r->id);
		gpu_shm_reserve(c->shm + b.offset, len, NULL);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	r->mapped = true;
	r->map_off = b.offset;
	r->map_len = len;
	return respond(q, VIRTIO_GPU_RESP_OK_MAP_INFO, &mi, sizeof(mi));
}

static uint32_t unmap(struct gpu_cmd *c, struct req *q)
{
	BODY(q, struct virtio_gpu_resource_unref, b);
	struct gpu_resource *r = res_find(c, b.resource_id);

	if (!r || !r->mapped)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	unmap_blob(c, r);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* Handle a request; returns the response type. Requests whose response
 * carries data write it themselves (respond()). */
static uint32_t dispatch(struct gpu_cmd *c, struct req *q)
{
	switch (q->hdr.type) {
	case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
		return display_info(c, q);
	case VIRTIO_GPU_CMD_GET_CAPSET_INFO:
		return capset_info(c, q);
	case VIRTIO_GPU_CMD_GET_CAPSET:
		return capset(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB:
		return map_blob(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
		return create_2d(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_UNREF:
		return unref(c, q);
	case VIRTIO_GPU_CMD_SET_SCANOUT:
		return set_scanout(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
		return flush(c, q);
	case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
		return transfer_2d(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
		return attach_backing(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
		return detach_backing(c, q);
	case VIRTIO_GPU_CMD_CTX_CREATE:
		return ctx_create(c, q);
	case VIRTIO_GPU_CMD_CTX_DESTROY:
		return ctx_destroy(c, q);
	case VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE:
		return ctx_res(c, q, true);
	case VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE:
		return ctx_res(c, q, false);
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_3D:
		return create_3d(c, q);
	case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D:
		return transfer_3d(c, q, true);
	case VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D:
		return transfer_3d(c, q, false);
	case VIRTIO_GPU_CMD_SUBMIT_3D:
		return submit(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB:
		return create_blob(c, q);
	case VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB:
		return unmap(c, q);
	case VIRTIO_GPU_CMD_UPDATE_CURSOR:
	case VIRTIO_GPU_CMD_MOVE_CURSOR:
		/* Headless: no cursor plane; the guest expects no answer. */
		return VIRTIO_GPU_RESP_OK_NODATA;
	default:
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
}

void gpu_cmd_handle(struct gpu_cmd *c, const struct iovec *out,
		    unsigned int n_out, const struct iovec *in,
		    unsigned int n_in, struct gpu_reply *r)
{
	struct req q = {.in = in, .n_in = n_in};
	ssize_t total = iov_length(out, n_out);
	uint32_t t;

	memset(r, 0, sizeof(*r));
	if (total < (ssize_t)sizeof(q.hdr) ||
	    total > (ssize_t)GPU_MAX_SUBMIT + 64) {
		if (total >= (ssize_t)sizeof(q.hdr))
			iov_to_buf(out, n_out, 0, &q.hdr, sizeof(q.hdr));
		q.hdr.flags = 0; /* never fence a request that was refused */
		respond(&q, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, NULL, 0);
		r->written = q.written;
		return;
	}
	q.buf = malloc((size_t)total);
	if (!q.buf) {
		respond(&q, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, NULL, 0);
		r->written = q.written;
		return;
	}
	q.len = (size_t)iov_to_buf(out, n_out, 0, q.buf, (size_t)total);
	memcpy(&q.hdr, q.buf, sizeof(q.hdr));
	if (c->be->ops->begin)
		c->be->ops->begin(c->be);
	t = dispatch(c, &q);
	/* Trace level: a guest decides how many of these lines there are. */
	log_trace("virtio-gpu: command %#x ctx %u -> %#x", q.hdr.type,
		  q.hdr.ctx_id, t);
	if (!q.responded)
		respond(&q, t, NULL, 0);
	r->written = q.written;
	/* A fence covers the work queued so far on its context (ctx 0: the
	 * device's own, e.g. transfers of 2D resources). */
	if (t < VIRTIO_GPU_RESP_ERR_UNSPEC &&
	    (q.hdr.flags & VIRTIO_GPU_FLAG_FENCE)) {
		if (c->be->ops->fence(c->be, q.hdr.ctx_id, q.hdr.fence_id) ==
		    0) {
			r->fenced = true;
			r->fence_id = q.hdr.fence_id;
		}
	}
	free(q.buf);
}

void gpu_cmd_reset(struct gpu_cmd *c)
{
	while (c->res) {
		struct gpu_resource *r = c->res;

		c->res = r->next;
		res_drop(c, r);
	}
	for (unsigned int i = 0; i < c->n_ctx; i++)
		c->be->ops->ctx_destroy(c->be, c->ctxs[i]);
	free(c->ctxs);
	c->ctxs = NULL;
	c->n_ctx = 0;
	c->scanout_res = 0;
}
