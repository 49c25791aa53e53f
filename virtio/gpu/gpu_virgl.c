// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-gpu on virglrenderer. Capsets: virgl (1) and virgl2 (2) unless
 * VIRGLRENDERER_NO_VIRGL, venus (4) with VIRGLRENDERER_VENUS. Fences are
 * virglrenderer's global ones (no CONTEXT_INIT): write_fence reports the
 * last one that signalled, in order. A blob virglrenderer can export
 * (virgl_renderer_resource_export_blob) is mapped into the window with
 * MAP_FIXED; one it cannot (a GL buffer on a renderer without dma-bufs,
 * such as llvmpipe) is mapped where the renderer keeps it
 * (virgl_renderer_resource_map) and handed to the guest from there.
 */
#include "virtio/gpu/gpu_virgl.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define VIRGL_RENDERER_UNSTABLE_APIS
#include <virglrenderer.h>

#include "util/log.h"

#define CAPSET_VIRGL 1
#define CAPSET_VIRGL2 2
#define CAPSET_VENUS 4

struct virgl_be {
	struct gpu_backend be;
	struct virgl_renderer_callbacks cb;
	uint32_t capsets[3];
	int poll_fd;
	uint32_t *ptr_maps; /* blobs mapped by virgl_renderer_resource_map */
	unsigned int n_ptr_maps, cap_ptr_maps;
};

static struct virgl_be *vb(struct gpu_backend *be)
{
	return (struct virgl_be *)be;
}

static void write_fence(void *cookie, uint32_t fence)
{
	struct virgl_be *v = cookie;

	v->be.signal(v->be.signal_ctx, fence);
}

/*
 * virglrenderer switches GL contexts lazily and keeps track of which one
 * is current; requests that are not a context's own (resource creation,
 * transfers on ctx 0) expect its own context 0 to be current.
 */
static void v_begin(struct gpu_backend *be)
{
	virgl_renderer_force_ctx_0();
}

static int v_capset_info(struct gpu_backend *be, uint32_t index, uint32_t *id,
			 uint32_t *max_ver, uint32_t *max_size)
{
	if (index >= be->num_capsets)
		return -EINVAL;
	*id = vb(be)->capsets[index];
	virgl_renderer_get_cap_set(*id, max_ver, max_size);
	return 0;
}

static int v_capset(struct gpu_backend *be, uint32_t id, uint32_t ver,
		    void *buf, uint32_t size)
{
	virgl_renderer_fill_caps(id, ver, buf);
	return 0;
}

static int v_ctx_create(struct gpu_backend *be, uint32_t ctx,
			uint32_t ctx_init, const char *name, uint32_t nlen)
{
	/* Without CONTEXT_INIT the guest names no capset: a virgl context
	 * (virglrenderer reads capset 0 as something else). */
	if (ctx_init == 0)
		return virgl_renderer_context_create(ctx, nlen, name);
	return virgl_renderer_context_create_with_flags(ctx, ctx_init, nlen,
							name);
}

static void v_ctx_destroy(struct gpu_backend *be, uint32_t ctx)
{
	virgl_renderer_context_destroy(ctx);
}

static void v_ctx_attach(struct gpu_backend *be, uint32_t ctx, uint32_t res)
{
	virgl_renderer_ctx_attach_resource((int)ctx, (int)res);
}

static void v_ctx_detach(struct gpu_backend *be, uint32_t ctx, uint32_t res)
{
	virgl_renderer_ctx_detach_resource((int)ctx, (int)res);
}

static int v_res_create(struct gpu_backend *be, const struct gpu_res_args *a)
{
	struct virgl_renderer_resource_create_args args = {
		.handle = a->id,
		.target = a->target,
		.format = a->format,
		.bind = a->bind,
		.width = a->width,
		.height = a->height,
		.depth = a->depth,
		.array_size = a->array_size,
		.last_level = a->last_level,
		.nr_samples = a->nr_samples,
		.flags = a->flags,
	};

	return virgl_renderer_resource_create(&args, NULL, 0);
}

static void v_res_unref(struct gpu_backend *be, uint32_t res)
{
	virgl_renderer_resource_unref(res);
}

static int v_attach(struct gpu_backend *be, uint32_t res, struct iovec *iov,
		    unsigned int n)
{
	return virgl_renderer_resource_attach_iov((int)res, iov, (int)n);
}

static void v_detach(struct gpu_backend *be, uint32_t res)
{
	virgl_renderer_resource_detach_iov((int)res, NULL, NULL);
}

static int v_transfer(struct gpu_backend *be, const struct gpu_transfer_args *t,
		      bool to_host)
{
	/* virglrenderer's box (opaque in its header): six uint32_t. */
	struct {
		uint32_t x, y, z, w, h, d;
	} box = {
		.x = t->x,
		.y = t->y,
		.z = t->z,
		.w = t->w,
		.h = t->h,
		.d = t->d,
	};

	if (to_host)
		return virgl_renderer_transfer_write_iov(
			t->res_id, t->ctx_id, (int)t->level, t->stride,
			t->layer_stride, (struct virgl_box *)&box, t->offset,
			NULL, 0);
	return virgl_renderer_transfer_read_iov(t->res_id, t->ctx_id,
						t->level, t->stride,
						t->layer_stride,
						(struct virgl_box *)&box,
						t->offset, NULL, 0);
}

static int v_submit(struct gpu_backend *be, uint32_t ctx, void *cmds,
		    uint32_t size)
{
	return virgl_renderer_submit_cmd(cmds, (int)ctx, (int)(size / 4));
}

static int v_fence(struct gpu_backend *be, uint32_t ctx, uint64_t fence_id)
{
	/* Global fences carry 32 bits; the guest's ids count up from 1
	 * and are compared in the same width (gpu_dev.c). */
	return virgl_renderer_create_fence((int)(uint32_t)fence_id, ctx);
}

static int v_blob_create(struct gpu_backend *be, const struct gpu_blob_args *a)
{
	struct virgl_renderer_resource_create_blob_args args = {
		.res_handle = a->res_id,
		.ctx_id = a->ctx_id,
		.blob_mem = a->blob_mem,
		.blob_flags = a->blob_flags,
		.blob_id = a->blob_id,
		.size = a->size,
		.iovecs = a->iov,
		.num_iovs = a->n_iov,
	};

	return virgl_renderer_resource_create_blob(&args);
}

static bool pointer_mapped(struct virgl_be *v, uint32_t res, bool drop)
{
	for (unsigned int i = 0; i < v->n_ptr_maps; i++) {
		if (v->ptr_maps[i] != res)
			continue;
		if (drop)
			v->ptr_maps[i] = v->ptr_maps[--v->n_ptr_maps];
		return true;
	}
	return false;
}

static int v_blob_map(struct gpu_backend *be, uint32_t res, void *at,
		      uint64_t len, void **host, uint64_t *host_len,
		      uint32_t *map_info)
{
	struct virgl_be *v = vb(be);
	uint32_t fd_type = 0;
	uint64_t size = 0;
	void *p = NULL;
	int fd = -1;
	int ret;

	ret = virgl_renderer_resource_export_blob(res, &fd_type, &fd);
	if (ret == 0 && fd >= 0) {
		p = mmap(at, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
		ret = p == MAP_FAILED ? -errno : 0;
		close(fd);
		if (ret < 0)
			return ret;
		*host = at;
		*host_len = len;
	} else {
		/* Memory only the renderer can reach (a GL buffer mapped
		 * persistently): the guest gets it where it is. */
		if (v->n_ptr_maps == v->cap_ptr_maps) {
			unsigned int cap = v->cap_ptr_maps ? 2 * v->cap_ptr_maps
							   : 16;
			uint32_t *n = realloc(v->ptr_maps, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			v->ptr_maps = n;
			v->cap_ptr_maps = cap;
		}
		ret = virgl_renderer_resource_map(res, &p, &size);
		if (ret < 0 || !p)
			return ret < 0 ? ret : -ENOTSUP;
		v->ptr_maps[v->n_ptr_maps++] = res;
		*host = p;
		*host_len = size;
	}
	if (virgl_renderer_resource_get_map_info(res, map_info))
		*map_info = VIRGL_RENDERER_MAP_CACHE_CACHED;
	return 0;
}

static void v_blob_unmap(struct gpu_backend *be, uint32_t res)
{
	if (pointer_mapped(vb(be), res, true))
		virgl_renderer_resource_unmap(res);
}

static void v_poll(struct gpu_backend *be)
{
	virgl_renderer_poll();
}

static int v_poll_fd(struct gpu_backend *be)
{
	return vb(be)->poll_fd;
}

static void v_destroy(struct gpu_backend *be)
{
	struct virgl_be *v = vb(be);

	virgl_renderer_cleanup(v);
	free(v->ptr_maps);
	free(v);
}

static const struct gpu_backend_ops virgl_ops = {
	.begin = v_begin,
	.capset_info = v_capset_info,
	.capset = v_capset,
	.ctx_create = v_ctx_create,
	.ctx_destroy = v_ctx_destroy,
	.ctx_attach = v_ctx_attach,
	.ctx_detach = v_ctx_detach,
	.res_create = v_res_create,
	.res_unref = v_res_unref,
	.attach_backing = v_attach,
	.detach_backing = v_detach,
	.transfer = v_transfer,
	.submit = v_submit,
	.fence = v_fence,
	.blob_create = v_blob_create,
	.blob_map = v_blob_map,
	.blob_unmap = v_blob_unmap,
	.poll = v_poll,
	.poll_fd = v_poll_fd,
	.destroy = v_destroy,
};

static bool have_render_node(void)
{
	glob_t g;
	bool found;

	found = glob("/dev/dri/renderD*", 0, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return found;
}

uint32_t gpu_virgl_effective_flags(uint32_t flags)
{
	if (flags == 0)
		flags = VIRGL_RENDERER_USE_EGL | VIRGL_RENDERER_USE_SURFACELESS;
	/* Headless host: EGL's GBM platform needs a render node. */
	if ((flags & VIRGL_RENDERER_USE_EGL) && !have_render_node())
		flags |= VIRGL_RENDERER_USE_SURFACELESS;
	return flags;
}

static int check_flags(uint32_t flags, struct krun_err **err)
{
	if (flags & VIRGL_RENDERER_USE_GLX)
		return krun_err_set(err, ENOTSUP,
				    "virtio-gpu: VIRGLRENDERER_USE_GLX needs an X display; use VIRGLRENDERER_USE_EGL");
	if (flags & VIRGL_RENDERER_RENDER_SERVER)
		return krun_err_set(err, ENOTSUP,
				    "virtio-gpu: VIRGLRENDERER_RENDER_SERVER is not supported (the renderer runs in the VMM)");
	if (flags & VIRGL_RENDERER_DRM)
		return krun_err_set(err, ENOTSUP,
				    "virtio-gpu: VIRGLRENDERER_DRM (native DRM contexts) is not supported: no VIRTIO_GPU_F_CONTEXT_INIT");
	if (flags & ~0xfffu)
		return krun_err_set(err, EINVAL,
				    "virtio-gpu: unknown virgl flags %#x",
				    flags & ~0xfffu);
	if (!(flags & VIRGL_RENDERER_USE_EGL) &&
	    !(flags & VIRGL_RENDERER_NO_VIRGL))
		return krun_err_set(err, EINVAL,
				    "virtio-gpu: virgl flags %#x name no window system; add VIRGLRENDERER_USE_EGL",
				    flags);
	if ((flags & VIRGL_RENDERER_NO_VIRGL) &&
	    !(flags & VIRGL_RENDERER_VENUS))
		return krun_err_set(err, EINVAL,
				    "virtio-gpu: VIRGLRENDERER_NO_VIRGL leaves no context type (add VIRGLRENDERER_VENUS)");
	return 0;
}

struct gpu_backend *gpu_virgl_create(uint32_t flags, gpu_fence_fn signal,
				     void *signal_ctx, struct krun_err **err)
{
	struct virgl_be *v;
	int ret;

	flags = gpu_virgl_effective_flags(flags);
	if (check_flags(flags, err) < 0)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v) {
		krun_err_set(err, ENOMEM, "virtio-gpu: out of memory");
		return NULL;
	}
	v->be.ops = &virgl_ops;
	v->be.signal = signal;
	v->be.signal_ctx = signal_ctx;
	v->cb.version = 1; /* write_fence only: no GL callbacks, no fds */
	v->cb.write_fence = write_fence;
	ret = virgl_renderer_init(v, (int)flags, &v->cb);
	if (ret) {
		free(v);
		krun_err_set(err, ret < 0 ? -ret : EIO,
			     "virtio-gpu: virglrenderer failed to start with flags %#x (EGL: no usable GL driver?)",
			     flags);
		return NULL;
	}
	v->poll_fd = virgl_renderer_get_poll_fd();
	v->be.virgl = !(flags & VIRGL_RENDERER_NO_VIRGL);
	if (v->be.virgl) {
		v->capsets[v->be.num_capsets++] = CAPSET_VIRGL;
		v->capsets[v->be.num_capsets++] = CAPSET_VIRGL2;
	}
	if (flags & VIRGL_RENDERER_VENUS)
		v->capsets[v->be.num_capsets++] = CAPSET_VENUS;
	return &v->be;
}
