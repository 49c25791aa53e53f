// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueue, device side. Guest memory is shared with vCPUs that run
 * concurrently, so every ring field the driver writes is read exactly once
 * into a local (descriptors are copied whole) and the ring indices use
 * acquire/release accesses. Host is little-endian (x86_64), like virtio 1.
 */
#include "virtio/queue.h"

#include <errno.h>
#include <string.h>

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

#define DESC_SIZE 16
#define USED_ELEM_SIZE 8

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct chain_walk {
	struct vq_elem *elem;
	bool seen_writable;
	unsigned int n_desc; /* descriptors visited so far */
};

/* Host pointer to a 16-bit ring field; rings were validated on activate. */
static uint16_t *ring_u16(const struct virtqueue *vq, uint64_t gpa)
{
	return gm_slice(vq->gm, gpa, sizeof(uint16_t));
}

static uint64_t avail_ring_gpa(const struct virtqueue *vq, uint32_t slot)
{
	return vq->avail_gpa + 4 + 2 * (uint64_t)slot;
}

static uint64_t used_ring_gpa(const struct virtqueue *vq, uint32_t slot)
{
	return vq->used_gpa + 4 + USED_ELEM_SIZE * (uint64_t)slot;
}

static bool load_u16(const struct virtqueue *vq, uint64_t gpa, int order,
		     uint16_t *val)
{
	uint16_t *p = ring_u16(vq, gpa);

	if (!p)
		return false;
	*val = __atomic_load_n(p, order);
	return true;
}

static void store_u16(const struct virtqueue *vq, uint64_t gpa, uint16_t val,
		      int order)
{
	uint16_t *p = ring_u16(vq, gpa);

	if (p)
		__atomic_store_n(p, val, order);
}

int vq_activate(struct virtqueue *vq, struct krun_err **err)
{
	uint64_t size = vq->size;

	if (size == 0 || size > VQ_MAX_SIZE || (size & (size - 1)))
		return krun_err_set(err, EINVAL, "virtqueue: bad size `%u`",
				    vq->size);
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return krun_err_set(
			err, EINVAL,
			"virtqueue: misaligned rings `0x%llx/0x%llx/0x%llx`",
			(unsigned long long)vq->desc_gpa,
			(unsigned long long)vq->avail_gpa,
			(unsigned long long)vq->used_gpa);
	if (!gm_slice(vq->gm, vq->desc_gpa, DESC_SIZE * size) ||
	    !gm_slice(vq->gm, vq->avail_gpa, 6 + 2 * size) ||
	    !gm_slice(vq->gm, vq->used_gpa, 6 + USED_ELEM_SIZE * size))
		return krun_err_set(
			err, EFAULT,
			"virtqueue: rings outside guest RAM `0x%llx/0x%llx/0x%llx`",
			(unsigned long long)vq->desc_gpa,
			(unsigned long long)vq->avail_gpa,
			(unsigned long long)vq->used_gpa);
	vq->last_avail_idx = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	vq->notify_off = false;
	vq->ready = true;
	return 0;
}

static int add_buffer(struct virtqueue *vq, struct chain_walk *w,
		      const struct vring_desc *d, struct krun_err **err)
{
	struct vq_elem *e = w->elem;
	bool writable = d->flags & VRING_DESC_F_WRITE;
	void *host;

	if (!writable && w->seen_writable)
		return krun_err_set(
			err, EINVAL,
			"virtqueue: readable descriptor after a writable one in chain `%u`",
			e->head);
	w->seen_writable |= writable;
	if (d->len == 0)
		return 0; /* carries no data; nothing to map */
	if ((uint64_t)e->out_len + e->in_len + d->len > UINT32_MAX)
		return krun_err_set(err, EOVERFLOW,
				    "virtqueue: chain `%u` longer than 4 GiB",
				    e->head);
	host = gm_slice(vq->gm, d->addr, d->len);
	if (!host)
		return krun_err_set(
			err, EFAULT,
			"virtqueue: buffer `0x%llx+%u` outside guest RAM",
			(unsigned long long)d->addr, d->len);
	if (writable) {
		if (e->n_in >= VQ_MAX_IOV)
			return krun_err_set(err, E2BIG,
					    "virtqueue: too many buffers");
		e->in[e->n_in++] = (struct iovec){host, d->len};
		e->in_len += d->len;
	} else {
		if (e->n_out >= VQ_MAX_IOV)
			return krun_err_set(err, E2BIG,
					    "virtqueue: too many buffers");
		e->out[e->n_out++] = (struct iovec){host, d->len};
		e->out_len += d->len;
	}
	return 0;
}

static int walk_table(struct virtqueue *vq, struct chain_walk *w,
		      uint64_t table, uint32_t n, uint16_t idx, bool indirect,
		      struct krun_err **err);

static int walk_indirect(struct virtqueue *vq, struct chain_walk *w,
			 const struct vring_desc *d, bool in_indirect,
			 struct krun_err **err)
{
	if (in_indirect)
		return krun_err_set(
			err, EINVAL,
			"virtqueue: nested indirect table in chain `%u`",
			w->elem->head);
	/* Only a lone head may point to a table (what drivers do; the spec
	 * forbids INDIRECT together with NEXT). */
	if (w->n_desc != 1 || (d->flags & VRING_DESC_F_NEXT))
		return krun_err_set(
			err, EINVAL,
			"virtqueue: indirect descriptor inside chain `%u`",
			w->elem->head);
	if (d->len == 0 || d->len % DESC_SIZE ||
	    d->len / DESC_SIZE > VQ_MAX_IOV)
		return krun_err_set(err, EINVAL,
				    "virtqueue: bad indirect table length `%u`",
				    d->len);
	if (!gm_slice(vq->gm, d->addr, d->len))
		return krun_err_set(
			err, EFAULT,
			"virtqueue: indirect table `0x%llx+%u` outside guest RAM",
			(unsigned long long)d->addr, d->len);
	w->n_desc = 0;
	return walk_table(vq, w, d->addr, d->len / DESC_SIZE, 0, true, err);
}

/* Walk a chain in a descriptor table of n entries. Visiting more than n
 * descriptors means the chain loops. */
static int walk_table(struct virtqueue *vq, struct chain_walk *w,
		      uint64_t table, uint32_t n, uint16_t idx, bool indirect,
		      struct krun_err **err)
{
	struct vring_desc d;
	int ret;

	for (;;) {
		if (idx >= n)
			return krun_err_set(
				err, EINVAL,
				"virtqueue: descriptor index `%u` out of range",
				idx);
		if (w->n_desc++ >= n)
			return krun_err_set(
				err, ELOOP,
				"virtqueue: chain `%u` loops or exceeds `%u` descriptors",
				w->elem->head, n);
		if (gm_read(vq->gm, table + DESC_SIZE * (uint64_t)idx, &d,
			    sizeof(d)))
			return krun_err_set(
				err, EFAULT,
				"virtqueue: descriptor outside guest RAM");
		if (d.flags & VRING_DESC_F_INDIRECT)
			return walk_indirect(vq, w, &d, indirect, err);
		ret = add_buffer(vq, w, &d, err);
		if (ret < 0)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

/* Tell the driver to kick once it adds past what we have consumed. */
static void update_avail_event(struct virtqueue *vq)
{
	if (!vq->event_idx || vq->notify_off)
		return;
	store_u16(vq, used_ring_gpa(vq, vq->size), vq->last_avail_idx,
		  __ATOMIC_RELAXED);
	/* Pairs with the driver's barrier between writing avail->idx and
	 * reading avail_event: either it sees our event or we see its idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int vq_pop(struct virtqueue *vq, struct vq_elem *elem, struct krun_err **err)
{
	struct chain_walk w = {.elem = elem};
	uint16_t avail_idx, pending, head;
	int ret;

	elem->head = UINT16_MAX;
	elem->n_out = elem->n_in = 0;
	elem->out_len = elem->in_len = 0;
	if (!vq->ready ||
	    !load_u16(vq, vq->avail_gpa + 2, __ATOMIC_ACQUIRE, &avail_idx))
		return 0;
	pending = (uint16_t)(avail_idx - vq->last_avail_idx);
	if (pending == 0)
		return 0;
	if (pending > vq->size)
		return krun_err_set(
			err, EIO,
			"virtqueue: avail index `%u` runs `%u` ahead of the ring",
			avail_idx, pending);
	if (!load_u16(vq, avail_ring_gpa(vq, vq->last_avail_idx % vq->size),
		      __ATOMIC_RELAXED, &head))
		return krun_err_set(err, EFAULT,
				    "virtqueue: avail ring unmapped");
	if (head >= vq->size)
		return krun_err_set(
			err, EIO,
			"virtqueue: avail ring names descriptor `%u` of `%u`",
			head, vq->size);
	vq->last_avail_idx++;
	update_avail_event(vq);
	elem->head = head;
	ret = walk_table(vq, &w, vq->desc_gpa, vq->size, head, false, err);
	return ret < 0 ? ret : 1;
}

void vq_unpop(struct virtqueue *vq, uint16_t n)
{
	/* avail_event stays where vq_pop() put it: the driver has passed
	 * it already and kicks on its next addition. */
	vq->last_avail_idx = (uint16_t)(vq->last_avail_idx - n);
}

int vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	uint32_t ent[2] = {head, written};
	uint16_t *idx;

	if (!vq->ready || head >= vq->size)
		return -EINVAL;
	idx = ring_u16(vq, vq->used_gpa + 2);
	if (!idx || gm_write(vq->gm, used_ring_gpa(vq, vq->used_idx % vq->size),
			     ent, sizeof(ent)))
		return -EFAULT;
	vq->used_idx++;
	/* Release: the buffer contents and the used element are visible
	 * before the driver can see the new index. */
	__atomic_store_n(idx, vq->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool vq_needs_interrupt(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, new_idx = vq->used_idx;
	bool valid = vq->signalled_used_valid;
	uint16_t flags, used_event;

	if (!vq->ready)
		return false;
	/* Our used->idx store must be visible before we read the driver's
	 * suppression fields, which it writes before re-reading used->idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new_idx;
	vq->signalled_used_valid = true;
	/* Nothing pushed since the last interrupt (or ever). */
	if (old == new_idx && (valid || new_idx == 0))
		return false;
	if (!vq->event_idx)
		return load_u16(vq, vq->avail_gpa, __ATOMIC_RELAXED, &flags) &&
		       !(flags & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	if (!load_u16(vq, avail_ring_gpa(vq, vq->size), __ATOMIC_RELAXED,
		      &used_event))
		return true;
	/* vring_need_event(): did new_idx step past used_event? */
	return (uint16_t)(new_idx - used_event - 1) < (uint16_t)(new_idx - old);
}

void vq_set_notification(struct virtqueue *vq, bool enable)
{
	if (!vq->ready)
		return;
	vq->notify_off = !enable;
	if (vq->event_idx) {
		/* Disabled: leave avail_event behind, the driver stops
		 * kicking once it has passed it. */
		if (enable)
			store_u16(vq, used_ring_gpa(vq, vq->size),
				  vq->last_avail_idx, __ATOMIC_RELAXED);
	} else {
		store_u16(vq, vq->used_gpa, enable ? 0 : VRING_USED_F_NO_NOTIFY,
			  __ATOMIC_RELAXED);
	}
	/* A caller re-checks vq_has_avail() after enabling; order it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool vq_has_avail(struct virtqueue *vq)
{
	uint16_t avail_idx;

	if (!vq->ready ||
	    !load_u16(vq, vq->avail_gpa + 2, __ATOMIC_ACQUIRE, &avail_idx))
		return false;
	return avail_idx != vq->last_avail_idx;
}
