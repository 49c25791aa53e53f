// SPDX-License-Identifier: Apache-2.0
/*
 * Input: a sequence of operations, each an opcode byte and its operands:
 *   0 write32  u16 offset, u32 value     (a 4-byte register write)
 *   1 read     u16 offset, u8 size       (1, 2, 4 or 8 bytes)
 *   2 write    u16 offset, u8 size, u64 value
 *   3 memory   u16 offset into RAM, u8 len, len bytes
 *   4 start    u32 driver features, u8 queue size (log2): the usual
 *              bring-up, the target's queue (0 unless it names another)
 *              at fixed addresses (with all_queues, every other queue
 *              too, one empty entry each), DRIVER_OK
 *   5 chain    u8 count (1..4), count * {u16 offset, u16 len, u8 writable}
 *              into fresh descriptors of that queue, published and kicked
 *   6 notify   u8 queue
 *   7 reset    status 0
 * Offsets are masked to the register window and config space (0x000 to
 * 0x1ff). After a status write or a kick the harness waits until the
 * device has answered every chain it was offered on the fuzzed queue
 * (used index = avail index) or asked for a reset, so the worker thread and the input never
 * touch guest memory at once and an input replays alike.
 */
#include "virtio_driver.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "hw/kvm/guest_mem.h"
#include "util/log.h"
#include "virtio/mmio.h"

#define RAM_GPA 0x10000ull
#define RAM_SIZE 0x10000ull
#define DESC_OFF 0x0000u
#define AVAIL_OFF 0x1000u
#define USED_OFF 0x2000u
#define IDLE_OFF 0x3000u /* idle queues: 0x100 bytes each */
#define DATA_OFF 0x4000u
#define STATUS_REG 0x070
#define NEEDS_RESET 64u
#define SETTLE_MS 200
/* All waits of one input together: an input can keep the fuzzed queue
 * from settling (an avail index moved in RAM with no kick, a chain the
 * device keeps) and then make hundreds of status writes and kicks. */
#define SETTLE_BUDGET_MS 1000
#define MAX_OPS 256

struct driver {
	struct guest_mem gm;
	uint8_t *ram;
	struct virtio_transport *t;
	int irq_fd;
	/* The target's queue as set up by `start`. */
	uint16_t queue;
	bool all_queues;
	void (*idle)(void);
	uint16_t qsize;
	int64_t settle_left_ns; /* of SETTLE_BUDGET_MS, for this input */
	uint16_t next_desc;
	uint16_t avail_idx;
};

/* The device's ops, wrapped to see its queues while it is active. */
static const struct virtio_dev_ops *real_ops;
static struct virtio_dev_ops wrapped_ops;
static struct virtqueue *live_queues;
static unsigned int live_n;
static uint8_t *ram;
static unsigned long settle_timeouts;

static int wrap_activate(struct virtio_device *dev, uint64_t features,
			 struct virtqueue *queues, const int *notify_fds,
			 struct krun_err **err)
{
	int ret = real_ops->activate(dev, features, queues, notify_fds, err);

	if (ret == 0) {
		live_queues = queues;
		live_n = real_ops->num_queues;
	}
	return ret;
}

static void wrap_reset(struct virtio_device *dev)
{
	real_ops->reset(dev);
	live_queues = NULL;
}

static uint32_t reg_read(struct driver *d, uint64_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(d->t, off, (uint8_t *)&v, 4, false);
	return v;
}

static void reg_write(struct driver *d, uint64_t off, uint32_t v)
{
	virtio_mmio_access(d->t, off, (uint8_t *)&v, 4, true);
}

static uint16_t load_idx(struct driver *d, uint64_t gpa)
{
	uint16_t *p = gm_slice(&d->gm, gpa + 2, 2);

	return p ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : 0;
}

static bool settled(struct driver *d)
{
	if (!live_queues || (reg_read(d, STATUS_REG) & NEEDS_RESET))
		return true;
	/* Only the fuzzed queue: a receive queue the input fills (through
	 * a memory write into its ring) keeps its buffers until a frame or
	 * packet arrives, which never happens here. And the device's own
	 * count of answered chains, not the used index in RAM, which the
	 * input may overwrite: either would make every later kick wait the
	 * whole SETTLE_MS. */
	if (d->queue < live_n) {
		struct virtqueue *vq = &live_queues[d->queue];

		if (vq->ready && __atomic_load_n(&vq->used_idx,
						 __ATOMIC_ACQUIRE) !=
					 load_idx(d, vq->avail_gpa))
			return false;
	}
	return true;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Wait until the device has answered what it was offered, for at most
 * SETTLE_MS, and within what is left of the input's budget. */
static void settle(struct driver *d)
{
	struct timespec ts = {0, 20000};
	int64_t start = now_ns(), waited = 0;

	while (waited < (int64_t)SETTLE_MS * 1000000 &&
	       waited < d->settle_left_ns) {
		if (settled(d)) {
			d->settle_left_ns -= waited;
			return;
		}
		if (d->idle)
			d->idle();
		nanosleep(&ts, NULL);
		waited = now_ns() - start;
	}
	d->settle_left_ns -= waited;
	if (settle_timeouts++ == 0)
		fprintf(stderr, "virtio fuzz: device did not settle in %d ms "
				"(reported once)\n",
			SETTLE_MS);
}

static void op_access(struct driver *d, struct fuzz_in *in, bool write,
		      bool any_size)
{
	static const uint32_t sizes[] = {1, 2, 4, 8};
	uint64_t off = fin_u16(in) & 0x1ff;
	uint32_t len = any_size ? sizes[fin_u8(in) & 3] : 4;
	uint8_t buf[8];

	fin_copy(in, buf, write ? (any_size ? 8 : 4) : 0);
	virtio_mmio_access(d->t, off, buf, len, write);
	if (write && (off == STATUS_REG || off == VIRTIO_MMIO_QUEUE_NOTIFY))
		settle(d);
}

static void op_memory(struct driver *d, struct fuzz_in *in)
{
	uint16_t off = fin_u16(in);
	const uint8_t *src;
	size_t n = fin_take(in, fin_u8(in), &src);

	if (n > RAM_SIZE - off)
		n = RAM_SIZE - off;
	memcpy(d->ram + off, src, n);
}

static void set_queue_addr(struct driver *d, uint64_t low, uint64_t gpa)
{
	reg_write(d, low, (uint32_t)gpa);
	reg_write(d, low + 4, (uint32_t)(gpa >> 32));
}

static void op_start(struct driver *d, struct fuzz_in *in)
{
	uint32_t features = fin_u32(in);

	d->qsize = (uint16_t)(1u << (fin_u8(in) % 9));
	d->next_desc = 0;
	d->avail_idx = 0;
	memset(d->ram, 0, DATA_OFF);
	reg_write(d, STATUS_REG, 0);
	reg_write(d, STATUS_REG, 1);
	reg_write(d, STATUS_REG, 3);
	reg_write(d, 0x024, 0);
	reg_write(d, 0x020, features);
	reg_write(d, 0x024, 1);
	reg_write(d, 0x020, 1); /* VIRTIO_F_VERSION_1 */
	reg_write(d, STATUS_REG, 3 | 8);
	for (unsigned int q = 0; d->all_queues && q < real_ops->num_queues &&
				 q < (DATA_OFF - IDLE_OFF) / 0x100;
	     q++) {
		uint64_t base = RAM_GPA + IDLE_OFF + 0x100u * q;

		if (q == d->queue)
			continue;
		reg_write(d, 0x030, q);
		reg_write(d, 0x038, 1);
		set_queue_addr(d, 0x080, base);
		set_queue_addr(d, 0x090, base + 0x40);
		set_queue_addr(d, 0x0a0, base + 0x80);
		reg_write(d, 0x044, 1);
	}
	reg_write(d, 0x030, d->queue);
	reg_write(d, 0x038, d->qsize);
	set_queue_addr(d, 0x080, RAM_GPA + DESC_OFF);
	set_queue_addr(d, 0x090, RAM_GPA + AVAIL_OFF);
	set_queue_addr(d, 0x0a0, RAM_GPA + USED_OFF);
	reg_write(d, 0x044, 1);
	reg_write(d, STATUS_REG, 3 | 8 | 4);
	settle(d);
}

static void op_chain(struct driver *d, struct fuzz_in *in)
{
	unsigned int n = fin_u8(in) % 4 + 1;
	uint16_t head, idx;

	if (!d->qsize)
		return;
	head = d->next_desc % d->qsize;
	for (unsigned int i = 0; i < n; i++) {
		uint16_t cur = (uint16_t)((d->next_desc + i) % d->qsize);
		uint16_t next = (uint16_t)((d->next_desc + i + 1) % d->qsize);
		uint64_t addr = RAM_GPA + DATA_OFF + fin_u16(in);
		uint32_t len = fin_u16(in);
		uint16_t flags = (fin_u8(in) & 1 ? 2 : 0) | (i + 1 < n ? 1 : 0);
		uint8_t *desc = d->ram + DESC_OFF + 16u * cur;

		memcpy(desc, &addr, 8);
		memcpy(desc + 8, &len, 4);
		memcpy(desc + 12, &flags, 2);
		memcpy(desc + 14, &next, 2);
	}
	d->next_desc = (uint16_t)((d->next_desc + n) % d->qsize);
	memcpy(d->ram + AVAIL_OFF + 4 + 2u * (d->avail_idx % d->qsize), &head,
	       2);
	d->avail_idx++;
	idx = d->avail_idx;
	__atomic_store_n((uint16_t *)(d->ram + AVAIL_OFF + 2), idx,
			 __ATOMIC_RELEASE);
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, d->queue);
	settle(d);
}

static void run_ops(struct driver *d, struct fuzz_in *in)
{
	for (int i = 0; i < MAX_OPS && in->left; i++) {
		switch (fin_u8(in) % 8) {
		case 0:
			op_access(d, in, true, false);
			break;
		case 1:
			op_access(d, in, false, true);
			break;
		case 2:
			op_access(d, in, true, true);
			break;
		case 3:
			op_memory(d, in);
			break;
		case 4:
			op_start(d, in);
			break;
		case 5:
			op_chain(d, in);
			break;
		case 6:
			reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, fin_u8(in));
			settle(d);
			break;
		case 7:
			reg_write(d, STATUS_REG, 0);
			break;
		}
	}
}

int fuzz_virtio_run(const struct fuzz_virtio_target *target,
		    const uint8_t *data, size_t size)
{
	struct driver d = {.irq_fd = -1,
			   .queue = (uint16_t)target->queue,
			   .all_queues = target->all_queues,
			   .idle = target->idle,
			   .settle_left_ns = (int64_t)SETTLE_BUDGET_MS * 1000000};
	struct virtio_device *dev;
	struct fuzz_in in;

	if (!ram) {
		ram = aligned_alloc(4096, RAM_SIZE);
		FUZZ_CHECK(ram, "out of memory");
		/* Guest-triggered warnings are rate-limited, not findings. */
		krun_log_set_level(KRUN_LOG_ERROR);
	}
	memset(ram, 0, RAM_SIZE);
	d.ram = ram;
	FUZZ_CHECK(gm_add_region(&d.gm, RAM_GPA, RAM_SIZE, ram, NULL) == 0,
		   "gm_add_region");
	d.irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	FUZZ_CHECK(d.irq_fd >= 0, "eventfd");
	dev = target->create();
	FUZZ_CHECK(dev, "device create failed");
	real_ops = dev->ops;
	wrapped_ops = *dev->ops;
	wrapped_ops.activate = wrap_activate;
	wrapped_ops.reset = wrap_reset;
	dev->ops = &wrapped_ops;
	d.t = virtio_mmio_create(dev, &d.gm, d.irq_fd, NULL);
	FUZZ_CHECK(d.t, "virtio_mmio_create failed");

	fin_init(&in, data, size);
	run_ops(&d, &in);

	virtio_mmio_destroy(d.t);
	live_queues = NULL;
	close(d.irq_fd);
	if (target->cleanup)
		target->cleanup();
	return 0;
}
