// SPDX-License-Identifier: Apache-2.0
#include "fake_guest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

void fg_init(struct fake_guest *g)
{
	memset(g, 0, sizeof(*g));
	/* Private and anonymous like the VMM's guest RAM (hw/kvm/vm.c), so
	 * discarded pages read back as zero. */
	g->ram = mmap(NULL, FG_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->ram == MAP_FAILED)
		abort();
	gm_add_region(&g->gm, FG_RAM_GPA, FG_RAM_SIZE, g->ram, NULL);
	g->next_free = FG_RAM_GPA;
}

void fg_fini(struct fake_guest *g)
{
	munmap(g->ram, FG_RAM_SIZE);
	g->ram = NULL;
}

uint64_t fg_alloc(struct fake_guest *g, uint64_t size, uint64_t align)
{
	uint64_t gpa = (g->next_free + align - 1) & ~(align - 1);

	if (gpa + size > FG_RAM_GPA + FG_RAM_SIZE)
		abort();
	g->next_free = gpa + size;
	memset(fg_ptr(g, gpa), 0, size);
	return gpa;
}

void *fg_ptr(struct fake_guest *g, uint64_t gpa)
{
	return g->ram + (gpa - FG_RAM_GPA);
}

void fvq_init(struct fake_vq *q, struct fake_guest *g, uint16_t size)
{
	memset(q, 0, sizeof(*q));
	q->g = g;
	q->size = size;
	q->desc = fg_alloc(g, 16ull * size, 16);
	q->avail = fg_alloc(g, 6 + 2ull * size, 2);
	q->used = fg_alloc(g, 6 + 8ull * size, 4);
}

void fvq_set_desc(struct fake_vq *q, uint16_t i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	uint8_t *d = fg_ptr(q->g, q->desc + 16ull * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

void fvq_publish(struct fake_vq *q, uint16_t head)
{
	uint16_t *ring = fg_ptr(q->g, q->avail + 4);
	uint16_t *idx = fg_ptr(q->g, q->avail + 2);

	ring[q->avail_idx % q->size] = head;
	q->avail_idx++;
	__atomic_store_n(idx, q->avail_idx, __ATOMIC_RELEASE);
}

uint16_t fvq_add(struct fake_vq *q, const struct fake_buf *bufs, unsigned int n)
{
	uint16_t head = q->next_desc % q->size;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t cur = (q->next_desc + i) % q->size;
		uint16_t next = (q->next_desc + i + 1) % q->size;
		uint16_t flags = (bufs[i].writable ? FD_WRITE : 0) |
				 (i + 1 < n ? FD_NEXT : 0);

		fvq_set_desc(q, cur, bufs[i].gpa, bufs[i].len, flags, next);
	}
	q->next_desc = (q->next_desc + n) % q->size;
	fvq_publish(q, head);
	return head;
}

bool fvq_get_used(struct fake_vq *q, uint32_t *id, uint32_t *len)
{
	uint16_t *idx = fg_ptr(q->g, q->used + 2);
	uint32_t *ent;

	if (__atomic_load_n(idx, __ATOMIC_ACQUIRE) == q->last_used)
		return false;
	ent = fg_ptr(q->g, q->used + 4 + 8ull * (q->last_used % q->size));
	*id = ent[0];
	*len = ent[1];
	q->last_used++;
	return true;
}

bool fvq_wait_used(struct fake_vq *q, uint32_t *id, uint32_t *len, int ms)
{
	struct timespec ts = {0, 1000000};

	for (int i = 0; i < ms; i++) {
		if (fvq_get_used(q, id, len))
			return true;
		nanosleep(&ts, NULL);
	}
	return fvq_get_used(q, id, len);
}

void fvq_set_used_event(struct fake_vq *q, uint16_t v)
{
	uint16_t *p = fg_ptr(q->g, q->avail + 4 + 2ull * q->size);

	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

uint16_t fvq_avail_event(struct fake_vq *q)
{
	uint16_t *p = fg_ptr(q->g, q->used + 4 + 8ull * q->size);

	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

void fvq_set_avail_flags(struct fake_vq *q, uint16_t flags)
{
	uint16_t *p = fg_ptr(q->g, q->avail);

	__atomic_store_n(p, flags, __ATOMIC_SEQ_CST);
}

uint16_t fvq_used_flags(struct fake_vq *q)
{
	uint16_t *p = fg_ptr(q->g, q->used);

	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/mmio.h"

uint32_t fdev_rd(struct fake_dev *d, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	virtio_mmio_access(d->t, off, (uint8_t *)&v, 4, false);
	return v;
}

void fdev_wr(struct fake_dev *d, uint64_t off, uint32_t val)
{
	virtio_mmio_access(d->t, off, (uint8_t *)&val, 4, true);
}

static void setup_queue(struct fake_dev *d, unsigned int i, uint16_t qsize)
{
	struct fake_vq *q = &d->vqs[i];

	fvq_init(q, &d->g, qsize);
	fdev_wr(d, 0x030, i);
	fdev_wr(d, 0x038, qsize);
	fdev_wr(d, 0x080, (uint32_t)q->desc);
	fdev_wr(d, 0x084, (uint32_t)(q->desc >> 32));
	fdev_wr(d, 0x090, (uint32_t)q->avail);
	fdev_wr(d, 0x094, (uint32_t)(q->avail >> 32));
	fdev_wr(d, 0x0a0, (uint32_t)q->used);
	fdev_wr(d, 0x0a4, (uint32_t)(q->used >> 32));
	fdev_wr(d, 0x044, 1);
}

uint32_t fdev_start(struct fake_dev *d, struct virtio_device *dev,
		    unsigned int nq, uint16_t qsize, uint64_t features)
{
	memset(d, 0, sizeof(*d));
	fg_init(&d->g);
	d->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->t = virtio_mmio_create(dev, &d->g.gm, d->irq_fd, NULL);
	if (!d->t)
		abort();
	d->nq = nq;
	features |= 1ull << 32;
	fdev_wr(d, 0x070, 1);
	fdev_wr(d, 0x070, 3);
	fdev_wr(d, 0x024, 0);
	fdev_wr(d, 0x020, (uint32_t)features);
	fdev_wr(d, 0x024, 1);
	fdev_wr(d, 0x020, (uint32_t)(features >> 32));
	fdev_wr(d, 0x070, 3 | 8);
	for (unsigned int i = 0; i < nq; i++)
		setup_queue(d, i, qsize);
	fdev_wr(d, 0x070, 3 | 8 | 4);
	return fdev_rd(d, 0x070);
}

void fdev_kick(struct fake_dev *d, unsigned int q)
{
	fdev_wr(d, 0x050, q);
}

bool fdev_irq_fired(struct fake_dev *d)
{
	uint64_t v;

	return read(d->irq_fd, &v, sizeof(v)) == sizeof(v);
}

void fdev_stop(struct fake_dev *d)
{
	virtio_mmio_destroy(d->t);
	d->t = NULL;
	close(d->irq_fd);
	fg_fini(&d->g);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "util/log.h"

#define STATUS_NEEDS_RESET 0x40

void fg_log_capture_start(struct fg_log_capture *c)
{
	FILE *tmp = tmpfile();

	assert_non_null(tmp);
	c->file_fd = dup(fileno(tmp));
	fclose(tmp);
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0 &&
		    dup2(c->file_fd, STDERR_FILENO) == STDERR_FILENO);
	c->saved_level = krun_log_get_level();
	krun_log_set_level(KRUN_LOG_WARN);
}

unsigned int fg_log_capture_stop(struct fg_log_capture *c, const char *needle)
{
	unsigned int hits = 0;
	char line[1024];
	FILE *f;

	fflush(stderr);
	krun_log_set_level(c->saved_level);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	lseek(c->file_fd, 0, SEEK_SET);
	f = fdopen(c->file_fd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		printf("captured: %s", line);
		hits += strstr(line, needle) != NULL;
	}
	fclose(f);
	return hits;
}

bool fdev_wait_status(struct fake_dev *d, uint32_t bits, int ms)
{
	struct timespec ts = {0, 1000000};

	for (int i = 0; i < ms; i++) {
		if ((fdev_rd(d, 0x070) & bits) == bits)
			return true;
		nanosleep(&ts, NULL);
	}
	return (fdev_rd(d, 0x070) & bits) == bits;
}

/* Put good on the ring with its writable buffers set to 0xaa; kick. */
static void add_good(struct fake_dev *d, unsigned int q,
		     const struct fake_buf *good, unsigned int ngood)
{
	for (unsigned int i = 0; i < ngood; i++)
		if (good[i].writable)
			memset(fg_ptr(&d->g, good[i].gpa), 0xaa, good[i].len);
	fvq_add(&d->vqs[q], good, ngood);
	fdev_kick(d, q);
}

static bool untouched(struct fake_dev *d, const struct fake_buf *good,
		      unsigned int ngood)
{
	for (unsigned int i = 0; i < ngood; i++) {
		const uint8_t *p = fg_ptr(&d->g, good[i].gpa);

		for (uint32_t j = 0; good[i].writable && j < good[i].len; j++)
			if (p[j] != 0xaa)
				return false;
	}
	return true;
}

void fdev_check_malformed_policy(struct fake_dev *d, unsigned int q,
				 const char *name, const struct fake_buf *good,
				 unsigned int ngood)
{
	struct fake_vq *vq = &d->vqs[q];
	uint16_t a = vq->size - 1, b = vq->size - 2;
	size_t used_len = 6 + 8ull * vq->size;
	struct timespec settle = {0, 100 * 1000000};
	struct fg_log_capture cap;
	uint8_t *used_copy = malloc(used_len);
	char needle[64];
	uint32_t id, len;

	snprintf(needle, sizeof(needle), "virtio-%s: queue %u:", name, q);
	memcpy(used_copy, fg_ptr(&d->g, vq->used), used_len);
	fg_log_capture_start(&cap);
	fvq_set_desc(vq, a, good[0].gpa, 1, FD_NEXT, b);
	fvq_set_desc(vq, b, good[0].gpa, 1, FD_NEXT, a);
	fvq_publish(vq, a);
	add_good(d, q, good, ngood);
	assert_true(fdev_wait_status(d, STATUS_NEEDS_RESET, 2000));
	nanosleep(&settle, NULL);
	add_good(d, q, good, ngood);
	nanosleep(&settle, NULL);
	assert_int_equal(fg_log_capture_stop(&cap, needle), 1);
	assert_false(fvq_get_used(vq, &id, &len));
	assert_memory_equal(fg_ptr(&d->g, vq->used), used_copy, used_len);
	assert_true(untouched(d, good, ngood));
	assert_true(fdev_rd(d, 0x070) & STATUS_NEEDS_RESET);
	free(used_copy);
}
