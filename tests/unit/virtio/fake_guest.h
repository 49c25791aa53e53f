/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double for a guest: anonymous-mapped RAM registered in a struct guest_mem,
 * and the driver side of split virtqueues built in it.
 */
#ifndef KRUN_TESTS_FAKE_GUEST_H
#define KRUN_TESTS_FAKE_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/kvm/guest_mem.h"

#define FG_RAM_GPA 0x100000ull
#define FG_RAM_SIZE (4ull << 20)

#define FD_NEXT 1
#define FD_WRITE 2
#define FD_INDIRECT 4

struct fake_guest {
	struct guest_mem gm;
	uint8_t *ram;
	uint64_t next_free; /* bump allocator, gpa */
};

void fg_init(struct fake_guest *g);
void fg_fini(struct fake_guest *g);
uint64_t fg_alloc(struct fake_guest *g, uint64_t size, uint64_t align);
void *fg_ptr(struct fake_guest *g, uint64_t gpa);

struct fake_vq {
	struct fake_guest *g;
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx; /* driver's next avail index */
	uint16_t last_used; /* driver's next used entry to read */
	uint16_t next_desc; /* rolling descriptor allocator */
};

struct fake_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

void fvq_init(struct fake_vq *q, struct fake_guest *g, uint16_t size);
void fvq_set_desc(struct fake_vq *q, uint16_t i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next);
/* Put head on the avail ring and publish the index. */
void fvq_publish(struct fake_vq *q, uint16_t head);
/* Chain bufs into fresh descriptors and publish; returns the head. */
uint16_t fvq_add(struct fake_vq *q, const struct fake_buf *bufs,
		 unsigned int n);
/* Pop one used entry; false when none. */
bool fvq_get_used(struct fake_vq *q, uint32_t *id, uint32_t *len);
/* Wait (up to ms) for a used entry. */
bool fvq_wait_used(struct fake_vq *q, uint32_t *id, uint32_t *len, int ms);
void fvq_set_used_event(struct fake_vq *q, uint16_t v);
uint16_t fvq_avail_event(struct fake_vq *q);
void fvq_set_avail_flags(struct fake_vq *q, uint16_t flags);
uint16_t fvq_used_flags(struct fake_vq *q);

#endif

/* A fake driver bound to a device through the real virtio-mmio transport. */
struct virtio_transport;
struct virtio_device;

struct fake_dev {
	struct fake_guest g;
	struct virtio_transport *t;
	int irq_fd;
	unsigned int nq;
	struct fake_vq vqs[16];
};

uint32_t fdev_rd(struct fake_dev *d, uint64_t off);
void fdev_wr(struct fake_dev *d, uint64_t off, uint32_t val);
/* Wrap dev, negotiate features (VERSION_1 added), set up nq queues of
 * qsize, set DRIVER_OK. Returns the final status register. */
uint32_t fdev_start(struct fake_dev *d, struct virtio_device *dev,
		    unsigned int nq, uint16_t qsize, uint64_t features);
void fdev_kick(struct fake_dev *d, unsigned int q);
/* Consume the irq eventfd; true when it had fired. */
bool fdev_irq_fired(struct fake_dev *d);
void fdev_stop(struct fake_dev *d);

/* Capture what the VMM logs (stderr) at warning level and above. */
struct fg_log_capture {
	int saved_fd;
	int file_fd;
	uint32_t saved_level;
};

void fg_log_capture_start(struct fg_log_capture *c);
/* Stop capturing; returns the number of captured lines holding needle
 * (all lines are echoed to stdout for the test log). */
unsigned int fg_log_capture_stop(struct fg_log_capture *c, const char *needle);

/* Wait (up to ms) until the status register has all of bits. */
bool fdev_wait_status(struct fake_dev *d, uint32_t bits, int ms);

/*
 * The malformed-chain policy seen from the driver, for a started device:
 * publish a looping chain, then good (a chain the device would serve) on
 * queue q, and kick. The device must set DEVICE_NEEDS_RESET, log exactly
 * one line naming "virtio-<name>: queue <q>", and consume nothing: no
 * used entry, the used ring unchanged, good's writable buffers (filled
 * with 0xaa here) untouched, also after more chains and kicks.
 */
void fdev_check_malformed_policy(struct fake_dev *d, unsigned int q,
				 const char *name, const struct fake_buf *good,
				 unsigned int ngood);
