/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-snd wire format (virtio 1.2, section 5.14): request codes,
 * status codes, and the little-endian structures of the control, event
 * and I/O queues. Sizes are fixed by the spec; the static asserts in
 * snd_ctl.c keep the structures packed as the driver lays them out.
 */
#ifndef KRUN_VIRTIO_SND_PROTO_H
#define KRUN_VIRTIO_SND_PROTO_H

#include <stdint.h>

/* Queues. */
#define SND_VQ_CONTROL 0
#define SND_VQ_EVENT 1
#define SND_VQ_TX 2
#define SND_VQ_RX 3
#define SND_NQUEUES 4

/* Control requests. */
#define VIRTIO_SND_R_JACK_INFO 1
#define VIRTIO_SND_R_JACK_REMAP 2
#define VIRTIO_SND_R_PCM_INFO 0x0100
#define VIRTIO_SND_R_PCM_SET_PARAMS 0x0101
#define VIRTIO_SND_R_PCM_PREPARE 0x0102
#define VIRTIO_SND_R_PCM_RELEASE 0x0103
#define VIRTIO_SND_R_PCM_START 0x0104
#define VIRTIO_SND_R_PCM_STOP 0x0105
#define VIRTIO_SND_R_CHMAP_INFO 0x0200

/* Events. */
#define VIRTIO_SND_EVT_JACK_CONNECTED 0x1000
#define VIRTIO_SND_EVT_JACK_DISCONNECTED 0x1001
#define VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED 0x1100
#define VIRTIO_SND_EVT_PCM_XRUN 0x1101

/* Status codes. */
#define VIRTIO_SND_S_OK 0x8000
#define VIRTIO_SND_S_BAD_MSG 0x8001
#define VIRTIO_SND_S_NOT_SUPP 0x8002
#define VIRTIO_SND_S_IO_ERR 0x8003

/* Data flow directions. */
#define VIRTIO_SND_D_OUTPUT 0
#define VIRTIO_SND_D_INPUT 1

/* PCM sample formats (bit numbers of virtio_snd_pcm_info.formats). */
#define VIRTIO_SND_PCM_FMT_S16 5
#define VIRTIO_SND_PCM_FMT_S32 17
#define VIRTIO_SND_PCM_FMT_FLOAT 19

/* PCM frame rates (bit numbers of virtio_snd_pcm_info.rates). */
#define VIRTIO_SND_PCM_RATE_5512 0
#define VIRTIO_SND_PCM_RATE_8000 1
#define VIRTIO_SND_PCM_RATE_11025 2
#define VIRTIO_SND_PCM_RATE_16000 3
#define VIRTIO_SND_PCM_RATE_22050 4
#define VIRTIO_SND_PCM_RATE_32000 5
#define VIRTIO_SND_PCM_RATE_44100 6
#define VIRTIO_SND_PCM_RATE_48000 7
#define VIRTIO_SND_PCM_RATE_64000 8
#define VIRTIO_SND_PCM_RATE_88200 9
#define VIRTIO_SND_PCM_RATE_96000 10
#define VIRTIO_SND_PCM_RATE_MAX 14 /* rate codes 0..13 exist */

/* Channel positions used here. */
#define VIRTIO_SND_CHMAP_MONO 2
#define VIRTIO_SND_CHMAP_FL 3
#define VIRTIO_SND_CHMAP_FR 4
#define VIRTIO_SND_CHMAP_MAX_SIZE 18

struct virtio_snd_config {
	uint32_t jacks;
	uint32_t streams;
	uint32_t chmaps;
} __attribute__((packed));

struct virtio_snd_hdr {
	uint32_t code;
} __attribute__((packed));

struct virtio_snd_query_info {
	struct virtio_snd_hdr hdr;
	uint32_t start_id;
	uint32_t count;
	uint32_t size;
} __attribute__((packed));

struct virtio_snd_info {
	uint32_t hda_fn_nid;
} __attribute__((packed));

struct virtio_snd_jack_info {
	struct virtio_snd_info hdr;
	uint32_t features;
	uint32_t hda_reg_defconf;
	uint32_t hda_reg_caps;
	uint8_t connected;
	uint8_t padding[7];
} __attribute__((packed));

struct virtio_snd_pcm_hdr {
	struct virtio_snd_hdr hdr;
	uint32_t stream_id;
} __attribute__((packed));

struct virtio_snd_pcm_info {
	struct virtio_snd_info hdr;
	uint32_t features;
	uint64_t formats;
	uint64_t rates;
	uint8_t direction;
	uint8_t channels_min;
	uint8_t channels_max;
	uint8_t padding[5];
} __attribute__((packed));

struct virtio_snd_pcm_set_params {
	struct virtio_snd_pcm_hdr hdr;
	uint32_t buffer_bytes;
	uint32_t period_bytes;
	uint32_t features;
	uint8_t channels;
	uint8_t format;
	uint8_t rate;
	uint8_t padding;
} __attribute__((packed));

struct virtio_snd_chmap_info {
	struct virtio_snd_info hdr;
	uint8_t direction;
	uint8_t channels;
	uint8_t positions[VIRTIO_SND_CHMAP_MAX_SIZE];
} __attribute__((packed));

struct virtio_snd_pcm_xfer {
	uint32_t stream_id;
} __attribute__((packed));

struct virtio_snd_pcm_status {
	uint32_t status;
	uint32_t latency_bytes;
} __attribute__((packed));

struct virtio_snd_event {
	struct virtio_snd_hdr hdr;
	uint32_t data;
} __attribute__((packed));

#endif
