// SPDX-License-Identifier: Apache-2.0
/*
 * Open file handles. The guest names them by fh, which is a slot index
 * plus one; every fh the guest sends is range-checked and must match the
 * kind (file or directory) it was opened as. A handle is reference
 * counted so RELEASE racing a READ on another queue cannot close the fd
 * under it (or let the number be reused).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "virtio/fs/fuse_internal.h"

#define HANDLE_MAX_SLOTS (1u << 20)

int fuse_handle_table_init(struct fuse_handle_table *t)
{
	t->slots = NULL;
	t->nslots = 0;
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

static void handle_free(struct fuse_handle *h)
{
	fuse_lock_owners_free(h);
	if (h->budget)
		fuse_fd_refund(h->budget, 1);
	close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void fuse_handle_table_fini(struct fuse_handle_table *t)
{
	for (size_t i = 0; i < t->nslots; i++) {
		if (t->slots[i])
			handle_free(t->slots[i]);
	}
	free(t->slots);
	pthread_mutex_destroy(&t->lock);
}

/* With the lock held: a free slot index, growing the array if needed. */
static int64_t free_slot(struct fuse_handle_table *t)
{
	size_t n, old = t->nslots;
	struct fuse_handle **grown;

	for (size_t i = 0; i < t->nslots; i++) {
		if (!t->slots[i])
			return (int64_t)i;
	}
	if (t->nslots >= HANDLE_MAX_SLOTS)
		return -EMFILE;
	n = t->nslots ? t->nslots * 2 : 64;
	grown = realloc(t->slots, n * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	for (size_t i = t->nslots; i < n; i++)
		grown[i] = NULL;
	t->slots = grown;
	t->nslots = n;
	return (int64_t)old;
}

int64_t fuse_handle_add(struct fuse_handle_table *t, int fd, bool is_dir,
			uint64_t nodeid)
{
	int charged = t->budget ? fuse_fd_charge(t->budget) : 0;
	struct fuse_handle *h = charged == 0 ? calloc(1, sizeof(*h)) : NULL;
	int64_t slot;

	if (!h) {
		if (charged == 0 && t->budget)
			fuse_fd_refund(t->budget, 1);
		close(fd);
		return charged < 0 ? charged : -ENOMEM;
	}
	h->budget = t->budget;
	h->fd = fd;
	h->nodeid = nodeid;
	h->refs = 1;
	h->is_dir = is_dir;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_lock(&t->lock);
	slot = free_slot(t);
	if (slot >= 0)
		t->slots[slot] = h;
	pthread_mutex_unlock(&t->lock);
	if (slot < 0) {
		handle_free(h);
		return slot;
	}
	return slot + 1;
}

struct fuse_handle *fuse_handle_get(struct fuse_handle_table *t, uint64_t fh,
				    bool is_dir)
{
	struct fuse_handle *h = NULL;

	pthread_mutex_lock(&t->lock);
	if (fh >= 1 && fh <= t->nslots) {
		h = t->slots[fh - 1];
		if (h && h->is_dir == is_dir)
			__atomic_add_fetch(&h->refs, 1, __ATOMIC_ACQ_REL);
		else
			h = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	return h;
}

void fuse_handle_put(struct fuse_handle *h)
{
	uint32_t left;

	if (!h)
		return;
	left = __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL);
	if (left == 0)
		handle_free(h);
}

int fuse_handle_remove(struct fuse_handle_table *t, uint64_t fh, bool is_dir)
{
	struct fuse_handle *h = NULL;

	pthread_mutex_lock(&t->lock);
	if (fh >= 1 && fh <= t->nslots && t->slots[fh - 1] &&
	    t->slots[fh - 1]->is_dir == is_dir) {
		h = t->slots[fh - 1];
		t->slots[fh - 1] = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	if (!h)
		return -EBADF;
	fuse_handle_put(h);
	return 0;
}

void fuse_handle_cleanup_fn(struct fuse_handle **h)
{
	fuse_handle_put(*h);
}
