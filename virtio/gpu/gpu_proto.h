/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-gpu wire format (virtio 1.2, 5.7): the control and cursor queue
 * requests and responses, all little-endian, as the device reads them out
 * of a chain. Only what the device implements is listed.
 */
#ifndef KRUN_VIRTIO_GPU_PROTO_H
#define KRUN_VIRTIO_GPU_PROTO_H

#include <stdint.h>

#define VIRTIO_GPU_F_VIRGL 0
#define VIRTIO_GPU_F_EDID 1
#define VIRTIO_GPU_F_RESOURCE_UUID 2
#define VIRTIO_GPU_F_RESOURCE_BLOB 3
#define VIRTIO_GPU_F_CONTEXT_INIT 4

/* The host-visible shared memory region (blob mappings). */
#define VIRTIO_GPU_SHM_ID_HOST_VISIBLE 1

enum virtio_gpu_ctrl_type {
	/* 2D */
	VIRTIO_GPU_CMD_GET_DISPLAY_INFO = 0x0100,
	VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,
	VIRTIO_GPU_CMD_RESOURCE_UNREF,
	VIRTIO_GPU_CMD_SET_SCANOUT,
	VIRTIO_GPU_CMD_RESOURCE_FLUSH,
	VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D,
	VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
	VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
	VIRTIO_GPU_CMD_GET_CAPSET_INFO,
	VIRTIO_GPU_CMD_GET_CAPSET,
	VIRTIO_GPU_CMD_GET_EDID,
	VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID,
	VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
	VIRTIO_GPU_CMD_SET_SCANOUT_BLOB,
	/* 3D */
	VIRTIO_GPU_CMD_CTX_CREATE = 0x0200,
	VIRTIO_GPU_CMD_CTX_DESTROY,
	VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE,
	VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE,
	VIRTIO_GPU_CMD_RESOURCE_CREATE_3D,
	VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D,
	VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D,
	VIRTIO_GPU_CMD_SUBMIT_3D,
	VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB,
	VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
	/* cursor */
	VIRTIO_GPU_CMD_UPDATE_CURSOR = 0x0300,
	VIRTIO_GPU_CMD_MOVE_CURSOR,
	/* success responses */
	VIRTIO_GPU_RESP_OK_NODATA = 0x1100,
	VIRTIO_GPU_RESP_OK_DISPLAY_INFO,
	VIRTIO_GPU_RESP_OK_CAPSET_INFO,
	VIRTIO_GPU_RESP_OK_CAPSET,
	VIRTIO_GPU_RESP_OK_EDID,
	VIRTIO_GPU_RESP_OK_RESOURCE_UUID,
	VIRTIO_GPU_RESP_OK_MAP_INFO,
	/* error responses */
	VIRTIO_GPU_RESP_ERR_UNSPEC = 0x1200,
	VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
	VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID,
	VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
	VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID,
	VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
};

#define VIRTIO_GPU_FLAG_FENCE (1u << 0)
#define VIRTIO_GPU_FLAG_INFO_RING_IDX (1u << 1)

struct virtio_gpu_ctrl_hdr {
	uint32_t type;
	uint32_t flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint8_t ring_idx;
	uint8_t padding[3];
};

struct virtio_gpu_rect {
	uint32_t x, y, width, height;
};

#define VIRTIO_GPU_MAX_SCANOUTS 16

struct virtio_gpu_resp_display_info {
	struct virtio_gpu_ctrl_hdr hdr;
	struct {
		struct virtio_gpu_rect r;
		uint32_t enabled;
		uint32_t flags;
	} pmodes[VIRTIO_GPU_MAX_SCANOUTS];
};

struct virtio_gpu_resource_create_2d {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t resource_id, format, width, height;
};

/* Also DETACH_BACKING, CTX_ATTACH/DETACH_RESOURCE, UNMAP_BLOB. */
struct virtio_gpu_resource_unref {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t resource_id, padding;
};

struct virtio_gpu_set_scanout {
	struct virtio_gpu_ctrl_hdr hdr;
	struct virtio_gpu_rect r;
	uint32_t scanout_id, resource_id;
};

struct virtio_gpu_resource_flush {
	struct virtio_gpu_ctrl_hdr hdr;
	struct virtio_gpu_rect r;
	uint32_t resource_id, padding;
};

struct virtio_gpu_transfer_to_host_2d {
	struct virtio_gpu_ctrl_hdr hdr;
	struct virtio_gpu_rect r;
	uint64_t offset;
	uint32_t resource_id, padding;
};

struct virtio_gpu_mem_entry {
	uint64_t addr;
	uint32_t length, padding;
};

struct virtio_gpu_resource_attach_backing {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t resource_id, nr_entries;
	/* nr_entries struct virtio_gpu_mem_entry follow */
};

struct virtio_gpu_get_capset_info {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t capset_index, padding;
};

struct virtio_gpu_resp_capset_info {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t capset_id, capset_max_version, capset_max_size, padding;
};

struct virtio_gpu_get_capset {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t capset_id, capset_version;
};

struct virtio_gpu_ctx_create {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t nlen, context_init;
	char debug_name[64];
};

struct virtio_gpu_resource_create_3d {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t resource_id, target, format, bind, width, height, depth;
	uint32_t array_size, last_level, nr_samples, flags, padding;
};

struct virtio_gpu_box {
	uint32_t x, y, z, w, h, d;
};

struct virtio_gpu_transfer_host_3d {
	struct virtio_gpu_ctrl_hdr hdr;
	struct virtio_gpu_box box;
	uint64_t offset;
	uint32_t resource_id, level, stride, layer_stride;
};

struct virtio_gpu_cmd_submit {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t size, padding;
	/* size bytes of commands follow */
};

#define VIRTIO_GPU_BLOB_MEM_GUEST 1
#define VIRTIO_GPU_BLOB_MEM_HOST3D 2
#define VIRTIO_GPU_BLOB_MEM_HOST3D_GUEST 3

#define VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE 1
#define VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE 2
#define VIRTIO_GPU_BLOB_FLAG_USE_CROSS_DEVICE 4

struct virtio_gpu_resource_create_blob {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t resource_id, blob_mem, blob_flags, nr_entries;
	uint64_t blob_id, size;
	/* nr_entries struct virtio_gpu_mem_entry follow */
};

struct virtio_gpu_resource_map_blob {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t resource_id, padding;
	uint64_t offset;
};

struct virtio_gpu_resp_map_info {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t map_info, padding;
};

struct virtio_gpu_config {
	uint32_t events_read, events_clear, num_scanouts, num_capsets;
};

_Static_assert(sizeof(struct virtio_gpu_ctrl_hdr) == 24, "ctrl_hdr");
_Static_assert(sizeof(struct virtio_gpu_resp_display_info) == 408, "dpy");
_Static_assert(sizeof(struct virtio_gpu_resource_create_3d) == 72, "c3d");
_Static_assert(sizeof(struct virtio_gpu_transfer_host_3d) == 72, "t3d");
_Static_assert(sizeof(struct virtio_gpu_resource_create_blob) == 56, "blob");
_Static_assert(sizeof(struct virtio_gpu_ctx_create) == 96, "ctx");

#endif
