// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-gpu through the real transport and queues, with a recording
 * backend: bring-up, the 2D flow, error responses, fence completion,
 * blob mappings in the window; and, where the build has virglrenderer,
 * the real renderer (start, capsets, a context).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/gpu.h"
#include "virtio/gpu/gpu_cmd.h"
#include "virtio/gpu/gpu_proto.h"
#include "virtio/mmio.h"

/* --- the recording backend --- */

struct rec {
	struct gpu_backend be;
	char log[4096];
	unsigned int attach_n;
	uint8_t first_byte; /* of the first backing iovec */
	int memfd;	    /* the blob's memory */
	void *blob_view;    /* the backend's own view of it */
	/* blob_map: 0 maps memfd at `at`; 1 hands out blob_view (8 KiB);
	 * 2 blob_view + 64 (not page-aligned); 3 blob_view, 4 KiB long */
	int ptr_mode;
	bool wfail;	      /* the window callback fails */
	void *whost;	      /* what the window callback was last given */
	uint64_t wlen;
};

static struct rec *the_rec;

static void logf_(struct rec *r, const char *fmt, ...)
{
	size_t n = strlen(r->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
	va_end(ap);
}

static int r_capset_info(struct gpu_backend *be, uint32_t index,
			 uint32_t *id, uint32_t *max_ver, uint32_t *max_size)
{
	*id = index + 1;
	*max_ver = index + 1;
	*max_size = 16;
	return 0;
}

static int r_capset(struct gpu_backend *be, uint32_t id, uint32_t ver,
		    void *buf, uint32_t size)
{
	memset(buf, 0x40 + (int)id, size);
	return 0;
}

static int r_ctx_create(struct gpu_backend *be, uint32_t ctx, uint32_t init,
			const char *name, uint32_t nlen)
{
	logf_((struct rec *)be, "ctx+%u ", ctx);
	return 0;
}

static void r_ctx_destroy(struct gpu_backend *be, uint32_t ctx)
{
	logf_((struct rec *)be, "ctx-%u ", ctx);
}

static void r_ctx_attach(struct gpu_backend *be, uint32_t ctx, uint32_t res)
{
	logf_((struct rec *)be, "att%u:%u ", ctx, res);
}

static void r_ctx_detach(struct gpu_backend *be, uint32_t ctx, uint32_t res)
{
	logf_((struct rec *)be, "det%u:%u ", ctx, res);
}

static int r_res_create(struct gpu_backend *be, const struct gpu_res_args *a)
{
	logf_((struct rec *)be, "res+%u:%ux%u ", a->id, a->width, a->height);
	return 0;
}

static void r_res_unref(struct gpu_backend *be, uint32_t res)
{
	logf_((struct rec *)be, "res-%u ", res);
}

static int r_attach(struct gpu_backend *be, uint32_t res, struct iovec *iov,
		    unsigned int n)
{
	struct rec *r = (struct rec *)be;

	r->attach_n = n;
	r->first_byte = *(uint8_t *)iov[0].iov_base;
	logf_(r, "back%u:%u ", res, n);
	return 0;
}

static void r_detach(struct gpu_backend *be, uint32_t res)
{
	logf_((struct rec *)be, "unback%u ", res);
}

static int r_transfer(struct gpu_backend *be, const struct gpu_transfer_args *t,
		      bool to_host)
{
	logf_((struct rec *)be, "%s%u:%u,%u,%ux%u ", to_host ? "to" : "from",
	      t->res_id, t->x, t->y, t->w, t->h);
	return 0;
}

static int r_submit(struct gpu_backend *be, uint32_t ctx, void *cmds,
		    uint32_t size)
{
	logf_((struct rec *)be, "submit%u:%u ", ctx, size);
	return 0;
}

static int r_fence(struct gpu_backend *be, uint32_t ctx, uint64_t id)
{
	logf_((struct rec *)be, "fence%llu ", (unsigned long long)id);
	return 0;
}

static int r_blob_create(struct gpu_backend *be, const struct gpu_blob_args *a)
{
	logf_((struct rec *)be, "blob+%u:%llu ", a->res_id,
	      (unsigned long long)a->size);
	return 0;
}

static int r_blob_map(struct gpu_backend *be, uint32_t res, void *at,
		      uint64_t len, void **host, uint64_t *host_len,
		      uint32_t *info)
{
	struct rec *r = (struct rec *)be;

	*info = 1;
	logf_(r, "map%u ", res);
	if (r->ptr_mode) {
		*host = (uint8_t *)r->blob_view + (r->ptr_mode == 2 ? 64 : 0);
		*host_len = r->ptr_mode == 3 ? 4096 : 8192;
		return 0;
	}
	if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 r->memfd, 0) == MAP_FAILED)
		return -1;
	*host = at;
	*host_len = len;
	return 0;
}

static int w_map(void *opaque, uint64_t off, void *host, uint64_t len)
{
	struct rec *r = opaque;

	logf_(r, "wmap@%llu ", (unsigned long long)off);
	if (r->wfail)
		return -ENOSPC;
	r->whost = host;
	r->wlen = len;
	return 0;
}

static void w_unmap(void *opaque, uint64_t off)
{
	logf_((struct rec *)opaque, "wunmap@%llu ", (unsigned long long)off);
}

static void r_blob_unmap(struct gpu_backend *be, uint32_t res)
{
	logf_((struct rec *)be, "unmap%u ", res);
}

static void r_poll(struct gpu_backend *be)
{
}

static int r_poll_fd(struct gpu_backend *be)
{
	return -1;
}

static void r_destroy(struct gpu_backend *be)
{
}

static const struct gpu_backend_ops rec_ops = {
	NULL, r_capset_info, r_capset,     r_ctx_create,  r_ctx_destroy,
	r_ctx_attach,  r_ctx_detach, r_res_create,  r_res_unref,
	r_attach,      r_detach,     r_transfer,    r_submit,
	r_fence,       r_blob_create, r_blob_map,   r_blob_unmap,
	r_poll,	       r_poll_fd,    r_destroy,
};

static struct gpu_backend *rec_factory(void *arg, gpu_fence_fn signal,
				       void *signal_ctx, struct krun_err **err)
{
	struct rec *r = arg;

	r->be.ops = &rec_ops;
	r->be.signal = signal;
	r->be.signal_ctx = signal_ctx;
	r->be.virgl = true;
	r->be.num_capsets = 2;
	return &r->be;
}

/* --- a driver --- */

struct gpu_t {
	struct fake_dev d;
	struct rec rec;
	uint8_t *shm;
	uint64_t shm_size;
};

#define FEATS ((1ull << VIRTIO_GPU_F_VIRGL) | (1ull << VIRTIO_GPU_F_RESOURCE_BLOB))

static void start_with(struct gpu_t *t, bool window)
{
	struct virtio_gpu_opts o = {
		.shm_size = 1 << 20,
		.backend = rec_factory,
		.backend_arg = &t->rec,
	};
	struct virtio_device *dev;
	void *shm;

	memset(&t->rec, 0, sizeof(t->rec));
	t->rec.memfd = memfd_create("blob", 0);
	assert_int_equal(ftruncate(t->rec.memfd, 8192), 0);
	t->rec.blob_view = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED,
				t->rec.memfd, 0);
	the_rec = &t->rec;
	if (window)
		o.window = (struct gpu_window){w_map, w_unmap, &t->rec};
	dev = virtio_gpu_create(&o, NULL);
	assert_non_null(dev);
	assert_int_equal(virtio_gpu_start(dev, &shm, &t->shm_size, NULL), 0);
	t->shm = shm;
	assert_int_equal(fdev_start(&t->d, dev, 2, 64, FEATS), 0xf);
}

static void start(struct gpu_t *t)
{
	start_with(t, false);
}

static void stop(struct gpu_t *t)
{
	fdev_stop(&t->d);
	munmap(t->rec.blob_view, 8192);
	close(t->rec.memfd);
}

/* Send req (len bytes) on q with resp_len writable bytes; the response
 * lands in resp. Returns false when no used entry came within ms. */
static bool send_q(struct gpu_t *t, unsigned int q, const void *req,
		   size_t len, void *resp, size_t resp_len, int ms)
{
	struct fake_buf b[2];
	uint32_t id, got;

	b[0] = (struct fake_buf){fg_alloc(&t->d.g, len, 8), (uint32_t)len,
				 false};
	b[1] = (struct fake_buf){fg_alloc(&t->d.g, resp_len, 8),
				 (uint32_t)resp_len, true};
	memcpy(fg_ptr(&t->d.g, b[0].gpa), req, len);
	memset(fg_ptr(&t->d.g, b[1].gpa), 0, resp_len);
	fvq_add(&t->d.vqs[q], b, 2);
	fdev_kick(&t->d, q);
	if (!fvq_wait_used(&t->d.vqs[q], &id, &got, ms))
		return false;
	memcpy(resp, fg_ptr(&t->d.g, b[1].gpa), resp_len);
	return true;
}

/* The response type of a header-only answer. */
static uint32_t cmd(struct gpu_t *t, const void *req, size_t len)
{
	struct virtio_gpu_ctrl_hdr h;

	assert_true(send_q(t, 0, req, len, &h, sizeof(h), 5000));
	return h.type;
}

#define HDR(t) {.type = (t)}

static void test_bring_up(void **state)
{
	struct gpu_t t;
	struct virtio_gpu_ctrl_hdr req = HDR(VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	struct virtio_gpu_resp_display_info di;
	struct virtio_gpu_get_capset_info ci = {
		.hdr = HDR(VIRTIO_GPU_CMD_GET_CAPSET_INFO), .capset_index = 1};
	struct virtio_gpu_resp_capset_info cir;
	struct virtio_gpu_get_capset gc = {.hdr = HDR(VIRTIO_GPU_CMD_GET_CAPSET),
					   .capset_id = 2, .capset_version = 2};
	uint8_t cap[sizeof(struct virtio_gpu_ctrl_hdr) + 16];

	start(&t);
	/* config: one scanout, two capsets */
	assert_int_equal(fdev_rd(&t.d, 0x100 + 8), 1);
	assert_int_equal(fdev_rd(&t.d, 0x100 + 12), 2);
	/* the window is region 1 only once the VMM adds it: not here */
	assert_true(send_q(&t, 0, &req, sizeof(req), &di, sizeof(di), 5000));
	assert_int_equal(di.hdr.type, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	assert_int_equal(di.pmodes[0].enabled, 1);
	assert_int_equal(di.pmodes[0].r.width, GPU_SCANOUT_WIDTH);
	assert_int_equal(di.pmodes[1].enabled, 0);
	assert_true(send_q(&t, 0, &ci, sizeof(ci), &cir, sizeof(cir), 5000));
	assert_int_equal(cir.hdr.type, VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	assert_int_equal(cir.capset_id, 2);
	assert_int_equal(cir.capset_max_size, 16);
	assert_true(send_q(&t, 0, &gc, sizeof(gc), cap, sizeof(cap), 5000));
	assert_int_equal(((struct virtio_gpu_ctrl_hdr *)cap)[0].type,
			 VIRTIO_GPU_RESP_OK_CAPSET);
	assert_int_equal(cap[sizeof(struct virtio_gpu_ctrl_hdr) + 15], 0x42);
	/* capset index past the last */
	ci.capset_index = 2;
	assert_int_equal(cmd(&t, &ci, sizeof(ci)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	stop(&t);
}

static void test_2d_flow(void **state)
{
	struct gpu_t t;
	struct virtio_gpu_resource_create_2d c2 = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D),
		.resource_id = 7, .format = 1, .width = 64, .height = 32};
	struct {
		struct virtio_gpu_resource_attach_backing a;
		struct virtio_gpu_mem_entry e[2];
	} ab = {.a = {.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING),
		      .resource_id = 7, .nr_entries = 2}};
	struct virtio_gpu_transfer_to_host_2d tr = {
		.hdr = HDR(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D),
		.r = {0, 0, 64, 32}, .resource_id = 7};
	struct virtio_gpu_set_scanout ss = {
		.hdr = HDR(VIRTIO_GPU_CMD_SET_SCANOUT), .r = {0, 0, 64, 32},
		.scanout_id = 0, .resource_id = 7};
	struct virtio_gpu_resource_flush fl = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_FLUSH), .r = {0, 0, 64, 32},
		.resource_id = 7};
	struct virtio_gpu_resource_unref de = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING),
		.resource_id = 7};
	struct virtio_gpu_resource_unref un = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_UNREF), .resource_id = 7};

	start(&t);
	ab.e[0] = (struct virtio_gpu_mem_entry){fg_alloc(&t.d.g, 4096, 4096),
						 4096, 0};
	ab.e[1] = (struct virtio_gpu_mem_entry){fg_alloc(&t.d.g, 4096, 4096),
						 4096, 0};
	*(uint8_t *)fg_ptr(&t.d.g, ab.e[0].addr) = 0x5a;
	assert_int_equal(cmd(&t, &c2, sizeof(c2)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &ab, sizeof(ab)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(t.rec.attach_n, 2);
	assert_int_equal(t.rec.first_byte, 0x5a); /* guest memory, translated */
	assert_int_equal(cmd(&t, &tr, sizeof(tr)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &ss, sizeof(ss)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &fl, sizeof(fl)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &de, sizeof(de)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &un, sizeof(un)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_string_equal(t.rec.log,
			    "res+7:64x32 back7:2 to7:0,0,64x32 unback7 res-7 ");
	stop(&t);
}

static void test_errors(void **state)
{
	struct gpu_t t;
	struct virtio_gpu_resource_create_2d c2 = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D),
		.resource_id = 0, .format = 1, .width = 4, .height = 4};
	struct {
		struct virtio_gpu_resource_attach_backing a;
		struct virtio_gpu_mem_entry e[1];
	} ab = {.a = {.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING),
		      .resource_id = 3, .nr_entries = 1},
		.e = {{0x7fff0000000ull, 4096, 0}}};
	struct virtio_gpu_resource_unref un = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_UNREF), .resource_id = 99};
	struct virtio_gpu_set_scanout ss = {
		.hdr = HDR(VIRTIO_GPU_CMD_SET_SCANOUT), .scanout_id = 1,
		.resource_id = 3};
	struct virtio_gpu_transfer_to_host_2d tr = {
		.hdr = HDR(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D),
		.r = {2, 0, 4, 4}, .resource_id = 3};
	struct virtio_gpu_cmd_submit sub = {
		.hdr = {.type = VIRTIO_GPU_CMD_SUBMIT_3D, .ctx_id = 9}, .size = 0};
	struct virtio_gpu_ctrl_hdr bad = HDR(0x0999);
	uint8_t shorty[8] = {0x01, 0x01};

	start(&t);
	/* resource id 0, then a duplicate id */
	assert_int_equal(cmd(&t, &c2, sizeof(c2)),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	c2.resource_id = 3;
	assert_int_equal(cmd(&t, &c2, sizeof(c2)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &c2, sizeof(c2)),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	/* a request cut short of its body */
	assert_int_equal(cmd(&t, &c2, sizeof(c2) - 4),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* backing outside guest RAM; more entries than the request holds */
	assert_int_equal(cmd(&t, &ab, sizeof(ab)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ab.a.nr_entries = 2;
	ab.e[0].addr = FG_RAM_GPA;
	assert_int_equal(cmd(&t, &ab, sizeof(ab)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ab.a.nr_entries = 0;
	assert_int_equal(cmd(&t, &ab, sizeof(ab)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(cmd(&t, &un, sizeof(un)),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	assert_int_equal(cmd(&t, &ss, sizeof(ss)),
			 VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
	/* a transfer needs backing, then a rectangle inside the resource */
	assert_int_equal(cmd(&t, &tr, sizeof(tr)), VIRTIO_GPU_RESP_ERR_UNSPEC);
	ab.a.nr_entries = 1;
	assert_int_equal(cmd(&t, &ab, sizeof(ab)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &tr, sizeof(tr)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* no such context; then a command stream longer than the request */
	assert_int_equal(cmd(&t, &sub, sizeof(sub)),
			 VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	assert_int_equal(cmd(&t, &bad, sizeof(bad)), VIRTIO_GPU_RESP_ERR_UNSPEC);
	assert_int_equal(cmd(&t, shorty, sizeof(shorty)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* nothing bad reached the backend */
	assert_string_equal(t.rec.log, "res+3:4x4 back3:1 ");
	stop(&t);
}

static void test_fence_completes_late(void **state)
{
	struct gpu_t t;
	struct virtio_gpu_ctx_create cc = {
		.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = 1},
		.nlen = 4, .debug_name = "test"};
	struct {
		struct virtio_gpu_cmd_submit s;
		uint32_t dw[4];
	} sub = {.s = {.hdr = {.type = VIRTIO_GPU_CMD_SUBMIT_3D,
			       .flags = VIRTIO_GPU_FLAG_FENCE,
			       .fence_id = 5, .ctx_id = 1},
		       .size = 16}};
	struct virtio_gpu_ctrl_hdr h;
	uint32_t id, len;

	start(&t);
	assert_int_equal(cmd(&t, &cc, sizeof(cc)), VIRTIO_GPU_RESP_OK_NODATA);
	/* ids of live contexts are unique */
	assert_int_equal(cmd(&t, &cc, sizeof(cc)),
			 VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	/* fenced: no completion until the backend signals the fence */
	assert_false(send_q(&t, 0, &sub, sizeof(sub), &h, sizeof(h), 300));
	assert_string_equal(t.rec.log, "ctx+1 submit1:16 fence5 ");
	t.rec.be.signal(t.rec.be.signal_ctx, 4);
	assert_false(fvq_wait_used(&t.d.vqs[0], &id, &len, 200));
	t.rec.be.signal(t.rec.be.signal_ctx, 5);
	assert_true(fvq_wait_used(&t.d.vqs[0], &id, &len, 5000));
	assert_int_equal(len, sizeof(h));
	/* an unfenced request after it completes at once */
	sub.s.hdr.flags = 0;
	assert_int_equal(cmd(&t, &sub, sizeof(sub)), VIRTIO_GPU_RESP_OK_NODATA);
	/* a command stream that is not whole dwords */
	sub.s.size = 15;
	assert_int_equal(cmd(&t, &sub, sizeof(sub)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	sub.s.size = 20;
	assert_int_equal(cmd(&t, &sub, sizeof(sub)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	stop(&t);
}

static void test_blob_window(void **state)
{
	struct gpu_t t;
	struct virtio_gpu_ctx_create cc = {
		.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = 1}};
	struct virtio_gpu_resource_create_blob cb = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = 1},
		.resource_id = 10, .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE, .size = 8192};
	struct virtio_gpu_resource_map_blob mb = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB), .resource_id = 10,
		.offset = 4096};
	struct virtio_gpu_resource_unref um = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB),
		.resource_id = 10};
	struct virtio_gpu_resp_map_info mi;

	start(&t);
	assert_non_null(t.shm);
	assert_int_equal(t.shm_size, 1 << 20);
	assert_int_equal(cmd(&t, &cc, sizeof(cc)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &cb, sizeof(cb)), VIRTIO_GPU_RESP_OK_NODATA);
	cb.resource_id = 11;
	assert_int_equal(cmd(&t, &cb, sizeof(cb)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_true(send_q(&t, 0, &mb, sizeof(mb), &mi, sizeof(mi), 5000));
	assert_int_equal(mi.hdr.type, VIRTIO_GPU_RESP_OK_MAP_INFO);
	assert_int_equal(mi.map_info, 1);
	/* the window shows the blob: a write there is the renderer's */
	memcpy(t.shm + 4096 + 100, "pattern", 8);
	assert_string_equal((char *)t.rec.blob_view + 100, "pattern");
	/* mapped twice; overlapping; past the window; unaligned */
	assert_int_equal(cmd(&t, &mb, sizeof(mb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	mb.resource_id = 11;
	mb.offset = 8192;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	mb.offset = (1 << 20) - 4096;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	mb.offset = ~0ull - 4095;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	mb.offset = 12288 + 16;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	mb.offset = 12288;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)), VIRTIO_GPU_RESP_OK_MAP_INFO);
	/* unmap; unmapping again is refused; the range is free again */
	assert_int_equal(cmd(&t, &um, sizeof(um)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &um, sizeof(um)),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	mb.resource_id = 10;
	mb.offset = 8192;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); /* overlaps 11 */
	mb.offset = 0;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)), VIRTIO_GPU_RESP_OK_MAP_INFO);
	/* a blob without MAPPABLE, and a guest blob, cannot be mapped */
	cb.resource_id = 12;
	cb.blob_flags = 0;
	assert_int_equal(cmd(&t, &cb, sizeof(cb)), VIRTIO_GPU_RESP_OK_NODATA);
	mb.resource_id = 12;
	mb.offset = 65536;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	/* HOST3D blobs carry no guest entries; unknown blob_mem */
	cb.resource_id = 13;
	cb.nr_entries = 1;
	assert_int_equal(cmd(&t, &cb, sizeof(cb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	cb.nr_entries = 0;
	cb.blob_mem = 9;
	assert_int_equal(cmd(&t, &cb, sizeof(cb)),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	stop(&t);
}

/*
 * With a window callback (the VMM's KVM slots): memory the renderer keeps
 * elsewhere goes to the guest where it is, whole pages only; the guest
 * loses it before the renderer does.
 */
static void test_blob_pointer_window(void **state)
{
	struct gpu_t t;
	struct virtio_gpu_ctx_create cc = {
		.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = 1}};
	struct virtio_gpu_resource_create_blob cb = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = 1},
		.resource_id = 10, .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE, .size = 8192};
	struct virtio_gpu_resource_map_blob mb = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB), .resource_id = 10,
		.offset = 4096};
	struct virtio_gpu_resource_unref um = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB),
		.resource_id = 10};
	struct virtio_gpu_resource_unref ur = {
		.hdr = HDR(VIRTIO_GPU_CMD_RESOURCE_UNREF), .resource_id = 10};

	start_with(&t, true);
	assert_int_equal(cmd(&t, &cc, sizeof(cc)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cmd(&t, &cb, sizeof(cb)), VIRTIO_GPU_RESP_OK_NODATA);
	/* the renderer's own pages, handed over where they are */
	t.rec.ptr_mode = 1;
	t.rec.log[0] = 0;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)), VIRTIO_GPU_RESP_OK_MAP_INFO);
	assert_string_equal(t.rec.log, "map10 wmap@4096 ");
	assert_ptr_equal(t.rec.whost, t.rec.blob_view);
	assert_int_equal(t.rec.wlen, 8192);
	t.rec.log[0] = 0;
	assert_int_equal(cmd(&t, &um, sizeof(um)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_string_equal(t.rec.log, "wunmap@4096 unmap10 ");
	/* not page-aligned; shorter than the mapping; the window refuses:
	 * each undone at the renderer, never shown to the guest */
	for (int mode = 2; mode <= 4; mode++) {
		t.rec.ptr_mode = mode == 4 ? 1 : mode;
		t.rec.wfail = mode == 4;
		t.rec.log[0] = 0;
		assert_int_equal(cmd(&t, &mb, sizeof(mb)),
				 VIRTIO_GPU_RESP_ERR_UNSPEC);
		assert_string_equal(t.rec.log, mode == 4
							? "map10 wmap@4096 unmap10 "
							: "map10 unmap10 ");
	}
	/* an exported blob goes through the window's host range */
	t.rec.ptr_mode = 0;
	t.rec.wfail = false;
	assert_int_equal(cmd(&t, &mb, sizeof(mb)), VIRTIO_GPU_RESP_OK_MAP_INFO);
	assert_ptr_equal(t.rec.whost, t.shm + 4096);
	memcpy(t.shm + 4096 + 100, "pattern", 8);
	assert_string_equal((char *)t.rec.blob_view + 100, "pattern");
	/* unref of a mapped blob: out of the guest first */
	t.rec.log[0] = 0;
	assert_int_equal(cmd(&t, &ur, sizeof(ur)), VIRTIO_GPU_RESP_OK_NODATA);
	assert_true(strstr(t.rec.log, "wunmap@4096 unmap10 ") == t.rec.log);
	stop(&t);
}

#ifdef KRUN_HAVE_VIRGL
/* The real virglrenderer: it starts (EGL surfaceless on Mesa), offers
 * virgl and virgl2, answers a capset and makes a context. */
static void test_virgl_smoke(void **state)
{
	struct virtio_gpu_opts o = {.shm_size = 1 << 20};
	struct gpu_t t;
	struct virtio_device *dev = virtio_gpu_create(&o, NULL);
	struct virtio_gpu_get_capset_info ci = {
		.hdr = HDR(VIRTIO_GPU_CMD_GET_CAPSET_INFO), .capset_index = 1};
	struct virtio_gpu_resp_capset_info cir;
	struct virtio_gpu_get_capset gc = {.hdr = HDR(VIRTIO_GPU_CMD_GET_CAPSET),
					   .capset_id = 2, .capset_version = 2};
	struct virtio_gpu_ctx_create cc = {
		.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = 1},
		.nlen = 4, .debug_name = "test"};
	static uint8_t cap[8192];
	struct krun_err *err = NULL;
	void *shm;
	uint64_t size;

	assert_non_null(dev);
	if (virtio_gpu_start(dev, &shm, &size, &err) < 0) {
		print_message("virglrenderer: %s\n", krun_err_msg(err));
		fail();
	}
	assert_int_equal(fdev_start(&t.d, dev, 2, 64, FEATS), 0xf);
	assert_int_equal(fdev_rd(&t.d, 0x100 + 12), 2);
	assert_true(send_q(&t, 0, &ci, sizeof(ci), &cir, sizeof(cir), 20000));
	assert_int_equal(cir.hdr.type, VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	assert_int_equal(cir.capset_id, 2);
	assert_true(cir.capset_max_size > 0 && cir.capset_max_size < 8192);
	assert_true(send_q(&t, 0, &gc, sizeof(gc), cap, sizeof(cap), 20000));
	assert_int_equal(((struct virtio_gpu_ctrl_hdr *)cap)->type,
			 VIRTIO_GPU_RESP_OK_CAPSET);
	assert_int_equal(cmd(&t, &cc, sizeof(cc)), VIRTIO_GPU_RESP_OK_NODATA);
	fdev_stop(&t.d);
}

/* Flags the device cannot honour: one clear error at start. */
static void test_virgl_refused_flags(void **state)
{
	struct virtio_gpu_opts o = {.virgl_flags = 1 | (1 << 10)};
	struct virtio_device *dev = virtio_gpu_create(&o, NULL);
	struct krun_err *err = NULL;
	void *shm;
	uint64_t size;

	assert_true(virtio_gpu_start(dev, &shm, &size, &err) < 0);
	assert_non_null(strstr(krun_err_msg(err), "VIRGLRENDERER_DRM"));
	krun_err_free(&err);
	dev->ops->destroy(dev);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bring_up),
		cmocka_unit_test(test_2d_flow),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_fence_completes_late),
		cmocka_unit_test(test_blob_window),
		cmocka_unit_test(test_blob_pointer_window),
#ifdef KRUN_HAVE_VIRGL
		cmocka_unit_test(test_virgl_refused_flags),
		cmocka_unit_test(test_virgl_smoke),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
