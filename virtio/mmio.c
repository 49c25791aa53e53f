// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-mmio transport (Version 2 register layout). See mmio.h for the
 * interrupt and threading model.
 */
#include "virtio/mmio.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_VENDOR_ID 0x00c
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_READY 0x044
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC_LOW 0x080
#define MMIO_QUEUE_DESC_HIGH 0x084
#define MMIO_QUEUE_DRIVER_LOW 0x090
#define MMIO_QUEUE_DRIVER_HIGH 0x094
#define MMIO_QUEUE_DEVICE_LOW 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define MMIO_SHM_SEL 0x0ac
#define MMIO_SHM_LEN_LOW 0x0b0
#define MMIO_SHM_LEN_HIGH 0x0b4
#define MMIO_SHM_BASE_LOW 0x0b8
#define MMIO_SHM_BASE_HIGH 0x0bc
#define MMIO_CONFIG_GENERATION 0x0fc
#define MMIO_CONFIG 0x100

#define MAGIC_VALUE 0x74726976 /* "virt" */
#define VENDOR_ID 0x4e55524b   /* "KRUN" */

#define STATUS_FEATURES_OK 8u
#define STATUS_DRIVER_OK 4u
#define STATUS_NEEDS_RESET 64u

struct virtio_transport {
	struct virtio_device *dev;
	int irq_fd;
	unsigned int num_queues;
	uint64_t device_features;
	pthread_mutex_t lock; /* everything below except isr/needs_reset */
	uint64_t driver_features;
	uint32_t status;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t shm_sel;
	struct virtio_mmio_shm shm[VIRTIO_MMIO_MAX_SHM];
	unsigned int n_shm; /* set before the guest runs, then fixed */
	bool active; /* device activated (DRIVER_OK accepted) */
	struct virtqueue queues[VIRTIO_MAX_QUEUES];
	int notify_fds[VIRTIO_MAX_QUEUES];
	pthread_mutex_t irq_lock; /* isr */
	uint32_t isr;
	bool needs_reset;	    /* atomic */
	uint32_t config_generation; /* atomic */
};

static void raise_irq(struct virtio_transport *t, uint32_t bit)
{
	uint64_t one = 1;

	pthread_mutex_lock(&t->irq_lock);
	if (!(t->isr & bit)) {
		t->isr |= bit;
		if (t->irq_fd >= 0 &&
		    write(t->irq_fd, &one, sizeof(one)) != sizeof(one))
			log_warn("virtio-mmio: cannot signal the irq eventfd");
	}
	pthread_mutex_unlock(&t->irq_lock);
}

void virtio_notify_used(struct virtio_device *dev, unsigned int q)
{
	struct virtio_transport *t = dev->transport;

	if (!t || q >= t->num_queues)
		return;
	if (vq_needs_interrupt(&t->queues[q]))
		raise_irq(t, VIRTIO_MMIO_INT_VRING);
}

void virtio_notify_config(struct virtio_device *dev)
{
	struct virtio_transport *t = dev->transport;

	if (!t)
		return;
	__atomic_add_fetch(&t->config_generation, 1, __ATOMIC_SEQ_CST);
	raise_irq(t, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_set_needs_reset(struct virtio_device *dev)
{
	struct virtio_transport *t = dev->transport;

	if (!t)
		return;
	__atomic_store_n(&t->needs_reset, true, __ATOMIC_SEQ_CST);
	raise_irq(t, VIRTIO_MMIO_INT_CONFIG);
}

static void drain_eventfd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

/* Called with t->lock held. */
static void transport_reset(struct virtio_transport *t)
{
	if (t->active)
		t->dev->ops->reset(t->dev);
	t->active = false;
	for (unsigned int i = 0; i < t->num_queues; i++) {
		t->queues[i] = (struct virtqueue){.gm = t->dev->gm};
		drain_eventfd(t->notify_fds[i]);
	}
	t->driver_features = 0;
	t->status = 0;
	t->device_features_sel = 0;
	t->driver_features_sel = 0;
	t->queue_sel = 0;
	pthread_mutex_lock(&t->irq_lock);
	t->isr = 0;
	__atomic_store_n(&t->needs_reset, false, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&t->irq_lock);
}

static bool features_acceptable(const struct virtio_transport *t)
{
	uint64_t f = t->driver_features;

	if (f & ~t->device_features) {
		log_warn("virtio-%s: driver took unoffered features 0x%llx",
			 t->dev->ops->name,
			 (unsigned long long)(f & ~t->device_features));
		return false;
	}
	if (!(f & (1ull << VIRTIO_F_VERSION_1))) {
		log_warn("virtio-%s: legacy driver (no VERSION_1) refused",
			 t->dev->ops->name);
		return false;
	}
	return true;
}

static void activate_device(struct virtio_transport *t)
{
	struct krun_err *err = NULL;
	int ret;

	ret = t->dev->ops->activate(t->dev, t->driver_features, t->queues,
				    t->notify_fds, &err);
	if (ret < 0) {
		log_error("virtio-%s: activation failed: %s", t->dev->ops->name,
			  krun_err_msg(err));
		krun_err_free(&err);
		virtio_set_needs_reset(t->dev);
		return;
	}
	t->active = true;
}

static void write_status(struct virtio_transport *t, uint32_t val)
{
	uint32_t newly = val & ~t->status;

	if (val == 0) {
		transport_reset(t);
		return;
	}
	if ((newly & STATUS_FEATURES_OK) && !features_acceptable(t))
		val &= ~STATUS_FEATURES_OK;
	t->status = val;
	if ((newly & STATUS_DRIVER_OK) && (val & STATUS_FEATURES_OK) &&
	    !t->active)
		activate_device(t);
}

static uint32_t read_device_features(const struct virtio_transport *t)
{
	if (t->device_features_sel > 1)
		return 0;
	return (uint32_t)(t->device_features >> (32 * t->device_features_sel));
}

static void write_driver_features(struct virtio_transport *t, uint32_t val)
{
	unsigned int shift;

	/* Feature bits are frozen once FEATURES_OK was set. */
	if (t->driver_features_sel > 1 || (t->status & STATUS_FEATURES_OK))
		return;
	shift = 32 * t->driver_features_sel;
	t->driver_features &= ~(0xffffffffull << shift);
	t->driver_features |= (uint64_t)val << shift;
}

static struct virtqueue *selected_queue(struct virtio_transport *t)
{
	return t->queue_sel < t->num_queues ? &t->queues[t->queue_sel] : NULL;
}

static void set_queue_ready(struct virtio_transport *t, struct virtqueue *vq,
			    uint32_t val)
{
	struct krun_err *err = NULL;

	if (!val) {
		if (!t->active)
			vq->ready = false;
		return;
	}
	if (vq->ready)
		return;
	vq->gm = t->dev->gm;
	vq->event_idx = t->driver_features & (1ull << VIRTIO_F_EVENT_IDX);
	if (vq_activate(vq, &err) < 0) {
		log_warn("virtio-%s: queue %u: %s", t->dev->ops->name,
			 t->queue_sel, krun_err_msg(err));
		krun_err_free(&err);
		virtio_set_needs_reset(t->dev);
	}
}

static void set_addr_half(uint64_t *addr, bool high, uint32_t val)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*addr = (*addr & ~0xffffffffull) | val;
}

/* Queue set-up registers; frozen while the queue is live. */
static void write_queue_reg(struct virtio_transport *t, uint64_t off,
			    uint32_t val)
{
	struct virtqueue *vq = selected_queue(t);

	if (!vq)
		return;
	if (off == MMIO_QUEUE_READY) {
		set_queue_ready(t, vq, val);
		return;
	}
	if (vq->ready || t->active)
		return;
	switch (off) {
	case MMIO_QUEUE_NUM:
		vq->size =
			val <= t->dev->ops->queue_max_size ? (uint16_t)val : 0;
		break;
	case MMIO_QUEUE_DESC_LOW:
	case MMIO_QUEUE_DESC_HIGH:
		set_addr_half(&vq->desc_gpa, off == MMIO_QUEUE_DESC_HIGH, val);
		break;
	case MMIO_QUEUE_DRIVER_LOW:
	case MMIO_QUEUE_DRIVER_HIGH:
		set_addr_half(&vq->avail_gpa, off == MMIO_QUEUE_DRIVER_HIGH,
			      val);
		break;
	case MMIO_QUEUE_DEVICE_LOW:
	case MMIO_QUEUE_DEVICE_HIGH:
		set_addr_half(&vq->used_gpa, off == MMIO_QUEUE_DEVICE_HIGH,
			      val);
		break;
	}
}

static void notify_queue(struct virtio_transport *t, uint32_t q)
{
	uint64_t one = 1;

	if (q < t->num_queues &&
	    write(t->notify_fds[q], &one, sizeof(one)) != sizeof(one))
		log_debug("virtio-%s: notify eventfd full", t->dev->ops->name);
}

static void write_reg(struct virtio_transport *t, uint64_t off, uint32_t val)
{
	switch (off) {
	case MMIO_DEVICE_FEATURES_SEL:
		t->device_features_sel = val;
		break;
	case MMIO_DRIVER_FEATURES:
		write_driver_features(t, val);
		break;
	case MMIO_DRIVER_FEATURES_SEL:
		t->driver_features_sel = val;
		break;
	case MMIO_QUEUE_SEL:
		t->queue_sel = val;
		break;
	case MMIO_SHM_SEL:
		t->shm_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		notify_queue(t, val);
		break;
	case MMIO_INTERRUPT_ACK:
		pthread_mutex_lock(&t->irq_lock);
		t->isr &= ~val;
		pthread_mutex_unlock(&t->irq_lock);
		break;
	case MMIO_STATUS:
		write_status(t, val);
		break;
	default:
		write_queue_reg(t, off, val);
		break;
	}
}

static uint32_t read_queue_reg(struct virtio_transport *t, uint64_t off)
{
	struct virtqueue *vq = selected_queue(t);

	if (!vq)
		return 0;
	if (off == MMIO_QUEUE_NUM_MAX)
		return t->dev->ops->queue_max_size;
	if (off == MMIO_QUEUE_READY)
		return vq->ready;
	return 0;
}

/* The selected shared memory region; a length of all ones says there is
 * none (virtio 1.2, 4.2.2). */
static uint32_t read_shm_reg(const struct virtio_transport *t, uint64_t off)
{
	const struct virtio_mmio_shm *r = NULL;
	uint64_t v;

	for (unsigned int i = 0; i < t->n_shm; i++)
		if (t->shm[i].id == t->shm_sel)
			r = &t->shm[i];
	if (!r)
		return 0xffffffff;
	v = off == MMIO_SHM_LEN_LOW || off == MMIO_SHM_LEN_HIGH ? r->len
								 : r->gpa;
	return off == MMIO_SHM_LEN_HIGH || off == MMIO_SHM_BASE_HIGH
		       ? (uint32_t)(v >> 32)
		       : (uint32_t)v;
}

static uint32_t read_reg(struct virtio_transport *t, uint64_t off)
{
	uint32_t v;

	switch (off) {
	case MMIO_MAGIC:
		return MAGIC_VALUE;
	case MMIO_VERSION:
		return 2;
	case MMIO_DEVICE_ID:
		return t->dev->ops->device_id;
	case MMIO_VENDOR_ID:
		return VENDOR_ID;
	case MMIO_DEVICE_FEATURES:
		return read_device_features(t);
	case MMIO_INTERRUPT_STATUS:
		pthread_mutex_lock(&t->irq_lock);
		v = t->isr;
		pthread_mutex_unlock(&t->irq_lock);
		return v;
	case MMIO_STATUS:
		return t->status |
		       (__atomic_load_n(&t->needs_reset, __ATOMIC_SEQ_CST)
				? STATUS_NEEDS_RESET
				: 0);
	case MMIO_SHM_LEN_LOW:
	case MMIO_SHM_LEN_HIGH:
	case MMIO_SHM_BASE_LOW:
	case MMIO_SHM_BASE_HIGH:
		return read_shm_reg(t, off);
	case MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&t->config_generation, __ATOMIC_SEQ_CST);
	default:
		return read_queue_reg(t, off);
	}
}

static void config_access(struct virtio_transport *t, uint64_t off,
			  uint8_t *data, uint32_t len, bool is_write)
{
	const struct virtio_dev_ops *ops = t->dev->ops;

	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
	    (off & (len - 1))) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		if (ops->config_write)
			ops->config_write(t->dev, off - MMIO_CONFIG, data, len);
		return;
	}
	memset(data, 0, len);
	if (ops->config_read)
		ops->config_read(t->dev, off - MMIO_CONFIG, data, len);
}

void virtio_mmio_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write)
{
	struct virtio_transport *t = opaque;
	uint32_t val;

	if (off >= MMIO_CONFIG) {
		config_access(t, off, data, len, is_write);
		return;
	}
	if (len != 4 || (off & 3)) {
		log_debug("virtio-%s: refused %u-byte access at 0x%llx",
			  t->dev->ops->name, len, (unsigned long long)off);
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (is_write) {
		memcpy(&val, data, sizeof(val));
		write_reg(t, off, val);
	} else {
		val = read_reg(t, off);
		memcpy(data, &val, sizeof(val));
	}
	pthread_mutex_unlock(&t->lock);
}

int virtio_mmio_notify_fd(struct virtio_transport *t, unsigned int q)
{
	return q < t->num_queues ? t->notify_fds[q] : -1;
}

unsigned int virtio_mmio_num_queues(const struct virtio_transport *t)
{
	return t->num_queues;
}

static int check_ops(const struct virtio_dev_ops *ops, struct krun_err **err)
{
	uint16_t max = ops->queue_max_size;

	if (ops->num_queues == 0 || ops->num_queues > VIRTIO_MAX_QUEUES ||
	    max == 0 || max > VQ_MAX_SIZE || (max & (max - 1)) ||
	    !ops->features || !ops->activate || !ops->reset || !ops->destroy)
		return krun_err_set(err, EINVAL,
				    "virtio-mmio: bad device description `%s`",
				    ops->name);
	return 0;
}

static void free_transport(struct virtio_transport *t)
{
	for (unsigned int i = 0; i < t->num_queues; i++)
		if (t->notify_fds[i] >= 0)
			close(t->notify_fds[i]);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->irq_lock);
	free(t);
}

struct virtio_transport *virtio_mmio_create(struct virtio_device *dev,
					    const struct guest_mem *gm,
					    int irq_eventfd,
					    struct krun_err **err)
{
	struct virtio_transport *t;

	if (check_ops(dev->ops, err) < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		krun_err_set(err, ENOMEM, "virtio-mmio: out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->irq_lock, NULL);
	t->dev = dev;
	t->irq_fd = irq_eventfd;
	t->num_queues = dev->ops->num_queues;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		t->notify_fds[i] = -1;
	for (unsigned int i = 0; i < t->num_queues; i++) {
		t->queues[i].gm = gm;
		t->notify_fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (t->notify_fds[i] < 0) {
			krun_err_set_errno(
				err, errno,
				"virtio-mmio: cannot create a notify eventfd");
			free_transport(t);
			return NULL;
		}
	}
	dev->transport = t;
	dev->gm = gm;
	t->device_features =
		dev->ops->features(dev) | (1ull << VIRTIO_F_VERSION_1) |
		(1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX);
	return t;
}

void virtio_mmio_destroy(struct virtio_transport *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	transport_reset(t);
	pthread_mutex_unlock(&t->lock);
	t->dev->ops->destroy(t->dev);
	free_transport(t);
}

int virtio_mmio_add_shm(struct virtio_transport *t, uint8_t id, uint64_t gpa,
			uint64_t len, struct krun_err **err)
{
	if (len == 0 || len == UINT64_MAX || gpa + len < gpa)
		return krun_err_set(err, EINVAL,
				    "virtio-%s: shared memory region %u: bad "
				    "range 0x%llx+0x%llx",
				    t->dev->ops->name, id,
				    (unsigned long long)gpa,
				    (unsigned long long)len);
	for (unsigned int i = 0; i < t->n_shm; i++)
		if (t->shm[i].id == id)
			return krun_err_set(
				err, EEXIST,
				"virtio-%s: shared memory region %u is already set",
				t->dev->ops->name, id);
	if (t->n_shm >= VIRTIO_MMIO_MAX_SHM)
		return krun_err_set(err, ENOSPC,
				    "virtio-%s: too many shared memory regions",
				    t->dev->ops->name);
	pthread_mutex_lock(&t->lock);
	t->shm[t->n_shm++] = (struct virtio_mmio_shm){id, gpa, len};
	pthread_mutex_unlock(&t->lock);
	return 0;
}
