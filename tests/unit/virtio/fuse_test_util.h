/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test harness for the FUSE server: a temporary directory with a share
 * ("share/") and a sibling that must stay unreachable ("outside/"), and
 * helpers that build raw FUSE requests and decode the replies.
 */
#ifndef KRUN_TESTS_FUSE_TEST_UTIL_H
#define KRUN_TESTS_FUSE_TEST_UTIL_H

#include <linux/fuse.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtio/fs/fuse_server.h"

struct ft {
	char base[256];	   /* temp dir */
	char share[300];   /* base/share: the served root */
	char outside[300]; /* base/outside: must never be reached */
	struct fuse_server *srv;
	uint64_t unique;
};

/* Request argument builder. */
struct ft_args {
	uint8_t buf[70000];
	size_t len;
};

void ft_args_put(struct ft_args *a, const void *p, size_t len);
void ft_args_str(struct ft_args *a, const char *s);

struct ft *ft_new(const struct fuse_server_opts *opts);
void ft_free(struct ft *t);

/* Send a request; the reply body goes to body (cap bytes). Returns the
 * reply's error (0 or negative errno) and the body length in *body_len.
 * Asserts the reply is well-formed (header length == bytes written). */
int ft_call(struct ft *t, uint32_t opcode, uint64_t nodeid,
	    const struct ft_args *a, void *body, size_t cap, size_t *body_len);
/* Raw: send exactly the request bytes given; returns fuse_server_handle's
 * value, the reply header in *out (when one was written). */
ssize_t ft_raw(struct ft *t, const void *req, size_t req_len, void *reply,
	       size_t reply_cap);

int ft_lookup(struct ft *t, uint64_t parent, const char *name,
	      struct fuse_entry_out *e);
int ft_mkdir(struct ft *t, uint64_t parent, const char *name, uint32_t mode,
	     struct fuse_entry_out *e);
int ft_create(struct ft *t, uint64_t parent, const char *name, uint32_t flags,
	      uint32_t mode, struct fuse_entry_out *e, uint64_t *fh);
int ft_open(struct ft *t, uint64_t nodeid, uint32_t flags, uint64_t *fh);
int ft_opendir(struct ft *t, uint64_t nodeid, uint64_t *fh);
int ft_release(struct ft *t, uint64_t nodeid, uint64_t fh);
/* Returns bytes written or negative errno. */
ssize_t ft_write(struct ft *t, uint64_t nodeid, uint64_t fh, uint64_t off,
		 const void *data, size_t len);
/* Returns bytes read or negative errno. */
ssize_t ft_read(struct ft *t, uint64_t nodeid, uint64_t fh, uint64_t off,
		void *buf, size_t len);
int ft_getattr(struct ft *t, uint64_t nodeid, struct fuse_attr *attr);
int ft_symlink(struct ft *t, uint64_t parent, const char *name,
	       const char *target, struct fuse_entry_out *e);
int ft_unlink(struct ft *t, uint64_t parent, const char *name);
int ft_forget(struct ft *t, uint64_t nodeid, uint64_t nlookup);

/* Host-side helpers on paths relative to base. */
void ft_host_write(struct ft *t, const char *rel, const char *content);
/* Whether base/rel exists (lstat). */
int ft_host_exists(struct ft *t, const char *rel);

#endif
