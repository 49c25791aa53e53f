// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-gpu's control queue under the fuzzed driver of virtio_driver.c,
 * with the cursor queue readied empty. The command layer (every check of
 * virtio/gpu/gpu_cmd.c) runs against a backend that accepts what reaches
 * it, touches every backing byte it is given (so a bad translation shows
 * under ASan), maps blobs with even ids with real MAP_FIXED mappings into
 * the window and hands out memory of its own for odd ids (misaligned for
 * some), and signals each fence at once. The window callback checks what
 * the VMM's KVM slots would need: whole pages inside the window, no
 * overlap, unmaps of live mappings only.
 */
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "virtio/gpu.h"
#include "virtio_driver.h"

static struct gpu_backend fbe;

static int f_capset_info(struct gpu_backend *be, uint32_t index, uint32_t *id,
			 uint32_t *max_ver, uint32_t *max_size)
{
	*id = index + 1;
	*max_ver = index + 1;
	*max_size = 64;
	return 0;
}

static int f_capset(struct gpu_backend *be, uint32_t id, uint32_t ver,
		    void *buf, uint32_t size)
{
	memset(buf, (int)id, size);
	return 0;
}

static int f_ctx_create(struct gpu_backend *be, uint32_t ctx, uint32_t init,
			const char *name, uint32_t nlen)
{
	return ctx == 77 ? -1 : 0; /* one failing id: the error path too */
}

static void f_ctx(struct gpu_backend *be, uint32_t ctx)
{
}

static void f_ctx_res(struct gpu_backend *be, uint32_t ctx, uint32_t res)
{
}

static int f_res_create(struct gpu_backend *be, const struct gpu_res_args *a)
{
	return a->format == 0xdead ? -1 : 0;
}

static void f_res(struct gpu_backend *be, uint32_t res)
{
}

static volatile uint8_t sink;

static int f_attach(struct gpu_backend *be, uint32_t res, struct iovec *iov,
		    unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		for (size_t j = 0; j < iov[i].iov_len; j += 512)
			sink ^= ((uint8_t *)iov[i].iov_base)[j];
	return 0;
}

static int f_transfer(struct gpu_backend *be, const struct gpu_transfer_args *t,
		      bool to_host)
{
	return 0;
}

static int f_submit(struct gpu_backend *be, uint32_t ctx, void *cmds,
		    uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		sink ^= ((uint8_t *)cmds)[i];
	return 0;
}

static int f_fence(struct gpu_backend *be, uint32_t ctx, uint64_t id)
{
	be->signal(be->signal_ctx, id);
	return 0;
}

static int f_blob_create(struct gpu_backend *be, const struct gpu_blob_args *a)
{
	return f_attach(be, a->res_id, (struct iovec *)a->iov, a->n_iov);
}

/* Renderer-held memory for blobs with odd ids: page-aligned, 64 KiB. */
static uint8_t held[64 << 10] __attribute__((aligned(4096)));

static int f_blob_map(struct gpu_backend *be, uint32_t res, void *at,
		      uint64_t len, void **host, uint64_t *host_len,
		      uint32_t *info)
{
	*info = 1;
	if (res & 1) {
		*host = held + (res & 2 ? 64 : 0);
		*host_len = sizeof(held);
		return 0;
	}
	if (mmap(at, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -1;
	((uint8_t *)at)[len - 1] = 1;
	*host = at;
	*host_len = len;
	return 0;
}

/*
 * The window as the VMM keeps it: every mapping must be whole pages
 * inside the window and apart from the others, every unmap must name a
 * live one, and the memory handed over must be readable to its end.
 */
#define WINDOW (1u << 20)
static struct {
	uint64_t off, len;
} live[64];

static int w_map(void *opaque, uint64_t off, void *host, uint64_t len)
{
	unsigned int free_i = 64;

	if (off % 4096 || len % 4096 || !len || off > WINDOW ||
	    len > WINDOW - off || (uintptr_t)host % 4096)
		__builtin_trap();
	for (unsigned int i = 0; i < 64; i++) {
		if (!live[i].len) {
			free_i = free_i < 64 ? free_i : i;
			continue;
		}
		if (off < live[i].off + live[i].len &&
		    live[i].off < off + len)
			__builtin_trap();
	}
	if (free_i == 64)
		return -28; /* ENOSPC: the request fails, as in the VMM */
	(void)*(volatile uint8_t *)((uint8_t *)host + len - 1);
	live[free_i].off = off;
	live[free_i].len = len;
	return 0;
}

static void w_unmap(void *opaque, uint64_t off)
{
	for (unsigned int i = 0; i < 64; i++)
		if (live[i].len && live[i].off == off) {
			live[i].len = 0;
			return;
		}
	__builtin_trap();
}

static void f_poll(struct gpu_backend *be)
{
}

static int f_poll_fd(struct gpu_backend *be)
{
	return -1;
}

static const struct gpu_backend_ops fops = {
	.capset_info = f_capset_info,
	.capset = f_capset,
	.ctx_create = f_ctx_create,
	.ctx_destroy = f_ctx,
	.ctx_attach = f_ctx_res,
	.ctx_detach = f_ctx_res,
	.res_create = f_res_create,
	.res_unref = f_res,
	.attach_backing = f_attach,
	.detach_backing = f_res,
	.transfer = f_transfer,
	.submit = f_submit,
	.fence = f_fence,
	.blob_create = f_blob_create,
	.blob_map = f_blob_map,
	.blob_unmap = f_res,
	.poll = f_poll,
	.poll_fd = f_poll_fd,
	.destroy = f_poll,
};

static struct gpu_backend *factory(void *arg, gpu_fence_fn signal,
				   void *signal_ctx, struct krun_err **err)
{
	fbe = (struct gpu_backend){
		.ops = &fops,
		.signal = signal,
		.signal_ctx = signal_ctx,
		.virgl = true,
		.num_capsets = 2,
	};
	return &fbe;
}

static struct virtio_device *create(void)
{
	struct virtio_gpu_opts o = {.shm_size = WINDOW,
				    .backend = factory,
				    .window = {w_map, w_unmap, NULL}};
	struct virtio_device *dev = virtio_gpu_create(&o, NULL);
	void *shm;
	uint64_t size;

	memset(live, 0, sizeof(live));
	if (dev && virtio_gpu_start(dev, &shm, &size, NULL) < 0) {
		dev->ops->destroy(dev);
		return NULL;
	}
	return dev;
}

static const struct fuzz_virtio_target target = {.create = create,
						 .all_queues = true};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_virtio_run(&target, data, size);
}
