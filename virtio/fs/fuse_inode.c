// SPDX-License-Identifier: Apache-2.0
/*
 * Inode table: maps guest nodeids to O_PATH descriptors and host
 * (st_dev, st_ino) pairs to inodes, so hard links and repeated lookups
 * share one nodeid. An inode lives while the guest holds lookups on it
 * (nlookup) or a request is using its fd (users).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "virtio/fs/fuse_internal.h"

#define ITABLE_BUCKETS 8192

static size_t hash_id(uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 51) % ITABLE_BUCKETS;
}

static size_t hash_key(dev_t dev, ino_t ino)
{
	uint64_t k = (uint64_t)ino ^ ((uint64_t)dev << 32) ^ (uint64_t)dev;

	return hash_id(k);
}

int fuse_itable_init(struct fuse_inode_table *t, int root_fd,
		     const struct stat *st)
{
	struct fuse_inode *root = calloc(1, sizeof(*root));

	t->by_id = calloc(ITABLE_BUCKETS, sizeof(*t->by_id));
	t->by_key = calloc(ITABLE_BUCKETS, sizeof(*t->by_key));
	if (!root || !t->by_id || !t->by_key) {
		free(root);
		free(t->by_id);
		free(t->by_key);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->nbuckets = ITABLE_BUCKETS;
	t->next_nodeid = FUSE_ROOT_ID + 1;
	root->table = t;
	root->nodeid = FUSE_ROOT_ID;
	root->fd = root_fd;
	root->dev = st->st_dev;
	root->ino = st->st_ino;
	root->type = S_IFDIR;
	root->nlookup = 1; /* never forgotten */
	t->by_id[hash_id(root->nodeid)] = root;
	t->by_key[hash_key(root->dev, root->ino)] = root;
	t->root = root;
	return 0;
}

void fuse_itable_fini(struct fuse_inode_table *t)
{
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct fuse_inode *ino = t->by_id[b];

		while (ino) {
			struct fuse_inode *next = ino->next_id;

			close(ino->fd);
			free(ino);
			ino = next;
		}
	}
	free(t->by_id);
	free(t->by_key);
	pthread_mutex_destroy(&t->lock);
}

static struct fuse_inode *find_id(struct fuse_inode_table *t, uint64_t id)
{
	struct fuse_inode *ino = t->by_id[hash_id(id)];

	while (ino && ino->nodeid != id)
		ino = ino->next_id;
	return ino;
}

static struct fuse_inode *find_key(struct fuse_inode_table *t, dev_t dev,
				   ino_t i)
{
	struct fuse_inode *ino = t->by_key[hash_key(dev, i)];

	while (ino && (ino->dev != dev || ino->ino != i))
		ino = ino->next_key;
	return ino;
}

static void unlink_chain(struct fuse_inode **head, struct fuse_inode *ino,
			 bool by_id)
{
	for (struct fuse_inode **pp = head; *pp;
	     pp = by_id ? &(*pp)->next_id : &(*pp)->next_key) {
		if (*pp == ino) {
			*pp = by_id ? ino->next_id : ino->next_key;
			return;
		}
	}
}

/* Called with the lock held; frees ino when nothing references it. */
static void maybe_free(struct fuse_inode_table *t, struct fuse_inode *ino)
{
	if (ino->nlookup || ino->users || ino == t->root)
		return;
	unlink_chain(&t->by_id[hash_id(ino->nodeid)], ino, true);
	unlink_chain(&t->by_key[hash_key(ino->dev, ino->ino)], ino, false);
	close(ino->fd);
	free(ino);
	if (t->budget)
		fuse_fd_refund(t->budget, 1);
}

struct fuse_inode *fuse_inode_get(struct fuse_inode_table *t, uint64_t nodeid)
{
	struct fuse_inode *ino;

	pthread_mutex_lock(&t->lock);
	ino = find_id(t, nodeid);
	/* An inode only users keep alive is already forgotten by the guest. */
	if (ino && ino->nlookup == 0)
		ino = NULL;
	if (ino)
		ino->users++;
	pthread_mutex_unlock(&t->lock);
	return ino;
}

void fuse_inode_put(struct fuse_inode_table *t, struct fuse_inode *ino)
{
	if (!ino)
		return;
	pthread_mutex_lock(&t->lock);
	ino->users--;
	maybe_free(t, ino);
	pthread_mutex_unlock(&t->lock);
}

int64_t fuse_inode_learn(struct fuse_inode_table *t, int fd,
			 const struct stat *st)
{
	struct fuse_inode *ino;
	int64_t id;

	pthread_mutex_lock(&t->lock);
	ino = find_key(t, st->st_dev, st->st_ino);
	if (ino) {
		ino->nlookup++;
		id = (int64_t)ino->nodeid;
		pthread_mutex_unlock(&t->lock);
		close(fd);
		return id;
	}
	id = t->budget ? fuse_fd_charge(t->budget) : 0;
	ino = id == 0 ? calloc(1, sizeof(*ino)) : NULL;
	if (!ino) {
		if (id == 0 && t->budget)
			fuse_fd_refund(t->budget, 1);
		pthread_mutex_unlock(&t->lock);
		close(fd);
		return id < 0 ? id : -ENOMEM;
	}
	ino->table = t;
	ino->nodeid = t->next_nodeid++;
	ino->fd = fd;
	ino->dev = st->st_dev;
	ino->ino = st->st_ino;
	ino->type = st->st_mode & S_IFMT;
	ino->nlookup = 1;
	ino->next_id = t->by_id[hash_id(ino->nodeid)];
	t->by_id[hash_id(ino->nodeid)] = ino;
	ino->next_key = t->by_key[hash_key(ino->dev, ino->ino)];
	t->by_key[hash_key(ino->dev, ino->ino)] = ino;
	id = (int64_t)ino->nodeid;
	pthread_mutex_unlock(&t->lock);
	return id;
}

void fuse_inode_forget(struct fuse_inode_table *t, uint64_t nodeid,
		       uint64_t nlookup)
{
	struct fuse_inode *ino;

	pthread_mutex_lock(&t->lock);
	ino = find_id(t, nodeid);
	if (ino && ino != t->root) {
		ino->nlookup -= nlookup < ino->nlookup ? nlookup : ino->nlookup;
		maybe_free(t, ino);
	}
	pthread_mutex_unlock(&t->lock);
}

void fuse_inode_cleanup_fn(struct fuse_inode **ino)
{
	if (*ino)
		fuse_inode_put((*ino)->table, *ino);
}
