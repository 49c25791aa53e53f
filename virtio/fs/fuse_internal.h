/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the FUSE server's files: the server state, the
 * inode and handle tables, the per-request parse/reply context, and the
 * opcode handlers. Not for use outside virtio/fs/.
 */
#ifndef KRUN_VIRTIO_FS_FUSE_INTERNAL_H
#define KRUN_VIRTIO_FS_FUSE_INTERNAL_H

#include <errno.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "virtio/fs/fuse_server.h"

/* Opcodes counted one by one; higher ones share slot 0. */
#define FUSE_STATS_OPS 64

/* Largest argument block copied out of a request (all but WRITE data):
 * a 64 KiB xattr value plus its name and header. */
#define FUSE_MAX_ARGS_LEN (64 * 1024 + 4096)
/* What the server tells the kernel it accepts per READ/WRITE. */
#define FUSE_SERVER_MAX_PAGES 256
#define FUSE_SERVER_MAX_WRITE (FUSE_SERVER_MAX_PAGES * 4096)

/* A regular file's host state at its last open (cache=auto). */
struct fuse_file_stamp {
	struct timespec mtim;
	struct timespec ctim;
	off_t size;
	bool valid;
};

/* An inode the guest knows: an O_PATH descriptor that pins the host inode,
 * so (dev, ino) stays unique while we hold it. */
struct fuse_inode {
	uint64_t nodeid;
	int fd; /* O_PATH | O_NOFOLLOW */
	dev_t dev;
	ino_t ino;
	mode_t type;	  /* S_IFMT bits, fixed for the inode's life */
	uint64_t nlookup; /* guest references (LOOKUP minus FORGET) */
	uint32_t users;	  /* in-flight requests using fd */
	struct fuse_file_stamp stamp; /* under table->lock */
	struct fuse_inode *next_id;
	struct fuse_inode *next_key;
	struct fuse_inode_table *table;
};

/* Host fds held on the guest's behalf, against a limit (atomic). */
struct fuse_fd_budget {
	uint32_t used;
	uint32_t max;
};

/* Take one fd from the budget: 0, or -EMFILE when it is spent. */
static inline int fuse_fd_charge(struct fuse_fd_budget *b)
{
	if (__atomic_add_fetch(&b->used, 1, __ATOMIC_RELAXED) <= b->max)
		return 0;
	__atomic_sub_fetch(&b->used, 1, __ATOMIC_RELAXED);
	return -EMFILE;
}

static inline void fuse_fd_refund(struct fuse_fd_budget *b, uint32_t n)
{
	__atomic_sub_fetch(&b->used, n, __ATOMIC_RELAXED);
}

struct fuse_inode_table {
	struct fuse_fd_budget *budget;
	pthread_mutex_t lock;
	struct fuse_inode **by_id;
	struct fuse_inode **by_key;
	size_t nbuckets;
	uint64_t next_nodeid;
	struct fuse_inode *root;
};

/* An open file or directory handle (the guest's fh). */
struct fuse_handle {
	struct fuse_fd_budget *budget; /* charged for fd and each owner */
	int fd;
	uint64_t nodeid; /* the inode it was opened for */
	uint32_t refs;
	bool is_dir;
	pthread_mutex_t lock;		/* serialises readdir and lock owners */
	struct fuse_lock_owner *owners; /* POSIX lock owners (fuse_ops_lock) */
};

struct fuse_handle_table {
	struct fuse_fd_budget *budget;
	pthread_mutex_t lock;
	struct fuse_handle **slots;
	size_t nslots;
};

struct fuse_server {
	struct fuse_server_opts opts;
	struct fuse_fd_budget fd_budget;
	struct fuse_inode_table inodes;
	struct fuse_handle_table handles;
	bool have_openat2;
	bool is_root;	   /* running as uid 0: chown new files to the caller */
	/* Not root: the server's own uid/gid are the guest's 0/0, and every
	 * other host id is the overflow id (as in a user namespace that maps
	 * one id); the guest can chown only to 0 (a no-op on the host). */
	uid_t own_uid;
	gid_t own_gid;
	mode_t host_umask; /* applied by the host kernel to new files */
	uint32_t proto_minor; /* negotiated; 0 before INIT */
	/* The DAX window (fuse_ops_dax.c); NULL: none. Set before the
	 * guest runs, fixed afterwards. */
	uint8_t *dax_host;
	uint64_t dax_size;
	bool writeback;	      /* WRITEBACK_CACHE negotiated (init_lock) */
	pthread_mutex_t init_lock;
	uint64_t op_count[FUSE_STATS_OPS]; /* requests per opcode (atomic) */
};

/* One request being handled. */
struct fuse_req {
	struct fuse_server *srv;
	struct fuse_in_header in;
	const uint8_t *args; /* copied arguments after the header */
	size_t args_len;
	size_t args_pos;	     /* parse cursor */
	const struct iovec *req_iov; /* for WRITE data */
	unsigned int nreq;
	size_t data_off; /* where WRITE data starts in req_iov */
	size_t data_len;
	const struct iovec *reply;
	unsigned int nreply;
	size_t reply_cap;
	size_t written;
	bool nowait; /* SETLKW must not block: return FUSE_HANDLER_RETRY */
};

/* A handler's "would block; nothing replied, try again later". */
#define FUSE_HANDLER_RETRY 1

/* Handlers return < 0 (negative errno: the dispatcher replies with it) or
 * >= 0 once they have written their reply (or need none). */
typedef int (*fuse_handler_fn)(struct fuse_req *r);

/* --- request parsing and replies (fuse_server.c) --- */
int fuse_req_copy(struct fuse_req *r, void *dst, size_t len);
const char *fuse_req_name(struct fuse_req *r);
int fuse_reply(struct fuse_req *r, const void *data, size_t len);
int fuse_reply2(struct fuse_req *r, const void *a, size_t alen, const void *b,
		size_t blen);
int fuse_reply_none(struct fuse_req *r);
/* Write the out header for a body the handler placed itself. */
int fuse_reply_header(struct fuse_req *r, int error, size_t body_len);

/* --- cache policy and statistics (fuse_cache.c) --- */
/* FOPEN_* flags for an open of ino (fd: the new open file; ino NULL for a
 * file just created) under the share's cache policy. */
uint32_t fuse_cache_open_flags(struct fuse_server *srv, struct fuse_inode *ino,
			       int fd, bool is_dir);
/* Host open flags for a guest open of a regular file under the share's
 * cache policy (see fuse_cache.c); *fallback: the flags to retry with
 * when the host refuses these with EACCES (equal when there is none). */
int fuse_cache_host_flags(struct fuse_server *srv, int flags, int *fallback);
/* Whether the guest caches writes (WRITEBACK_CACHE was negotiated). */
bool fuse_cache_writeback(struct fuse_server *srv);
void fuse_stats_count(struct fuse_server *srv, uint32_t opcode);
/* Log the request counts at debug level. */
void fuse_stats_log(struct fuse_server *srv);

/* --- inode table (fuse_inode.c) --- */
int fuse_itable_init(struct fuse_inode_table *t, int root_fd,
		     const struct stat *st);
void fuse_itable_fini(struct fuse_inode_table *t);
/* Take a use reference; NULL when nodeid is unknown. */
struct fuse_inode *fuse_inode_get(struct fuse_inode_table *t, uint64_t nodeid);
void fuse_inode_put(struct fuse_inode_table *t, struct fuse_inode *ino);
/* Register a looked-up O_PATH fd (ownership passes in, always consumed):
 * an existing inode with the same (dev, ino) gains one nlookup, otherwise
 * a new inode is made. Returns the nodeid or a negative errno. */
int64_t fuse_inode_learn(struct fuse_inode_table *t, int fd,
			 const struct stat *st);
void fuse_inode_forget(struct fuse_inode_table *t, uint64_t nodeid,
		       uint64_t nlookup);
/* Drop the use reference set by fuse_req_inode() at the end of a request. */
#define cleanup_inode __attribute__((cleanup(fuse_inode_cleanup_fn)))
void fuse_inode_cleanup_fn(struct fuse_inode **ino);

/* --- confined name resolution (fuse_resolve.c) --- */
/* The request's inode (in.nodeid) with a use reference, or NULL. */
struct fuse_inode *fuse_req_inode(struct fuse_req *r, uint64_t nodeid);
/* Reject names the guest may not use: empty, containing '/', too long. */
int fuse_check_name(const char *name);
/* Whether name is "." or "..". */
bool fuse_is_dot(const char *name);
/* Open name (one component) beneath dirfd without following symlinks. */
int fuse_open_beneath(struct fuse_server *srv, int dirfd, const char *name,
		      int flags, mode_t mode);
/* LOOKUP semantics for name under parent: fills an entry (nlookup + 1). */
int fuse_do_lookup(struct fuse_req *r, struct fuse_inode *parent,
		   const char *name, struct fuse_entry_out *e);
/* Reopen an inode's O_PATH fd for I/O via /proc/self/fd: regular files
 * and directories only (-EPERM for device nodes, FIFOs and sockets; -ELOOP
 * for a symlink, whose magic link would otherwise be followed). */
int fuse_reopen(struct fuse_inode *ino, int flags);
/* Open the inode an O_PATH descriptor pins, through /proc/self/fd. */
int fuse_reopen_fd(int path_fd, int flags);
void fuse_fill_attr(const struct fuse_server *srv, const struct stat *st,
		    struct fuse_attr *a);
/* Host ids as the guest sees them, and back (-EINVAL: no host id). */
uint32_t fuse_guest_uid(const struct fuse_server *srv, uid_t uid);
uint32_t fuse_guest_gid(const struct fuse_server *srv, gid_t gid);
int fuse_host_ids(const struct fuse_server *srv, uint32_t guest_uid,
		  uint32_t guest_gid, uid_t *uid, gid_t *gid);
void fuse_fill_entry(struct fuse_server *srv, uint64_t nodeid,
		     const struct stat *st, struct fuse_entry_out *e);
int fuse_stat_fd(int fd, struct stat *st);
/* Register an O_PATH fd (consumed) as looked up and fill e. */
int fuse_learn_fd(struct fuse_req *r, int fd, struct fuse_entry_out *e);
/* Give a freshly created object (O_PATH fd) the caller's ownership when
 * running as root, and exactly want_mode (the host umask must not apply;
 * skipped for symlinks). */
int fuse_fix_new_owner(struct fuse_req *r, int parent_fd, int fd,
		       mode_t want_mode);
int fuse_chmod_fd(int fd, mode_t mode);
/* The permission bits of mode (07777) the share's set-ID policy lets the
 * guest set on an inode of this type. */
mode_t fuse_policy_mode(const struct fuse_server *srv, mode_t mode,
			mode_t type);
/* Drop set-user-ID, and set-group-ID where group-executable, from a regular
 * file (fd: O_PATH or open), as a local write or truncate by a writer
 * without CAP_FSETID would: the guest asks for it (HANDLE_KILLPRIV_V2)
 * because the host may run us with CAP_FSETID. */
int fuse_kill_suidgid(int fd);
/* Reply with an entry; undoes its lookup when the reply cannot be sent. */
int fuse_reply_entry(struct fuse_req *r, const struct fuse_entry_out *e);

/* --- handle table (fuse_handle.c) --- */
int fuse_handle_table_init(struct fuse_handle_table *t);
void fuse_handle_table_fini(struct fuse_handle_table *t);
/* Store fd (consumed), opened for inode nodeid; returns the fh or a
 * negative errno. */
int64_t fuse_handle_add(struct fuse_handle_table *t, int fd, bool is_dir,
			uint64_t nodeid);
struct fuse_handle *fuse_handle_get(struct fuse_handle_table *t, uint64_t fh,
				    bool is_dir);
void fuse_handle_put(struct fuse_handle *h);
int fuse_handle_remove(struct fuse_handle_table *t, uint64_t fh, bool is_dir);
#define cleanup_handle __attribute__((cleanup(fuse_handle_cleanup_fn)))
void fuse_handle_cleanup_fn(struct fuse_handle **h);

/* --- opcode handlers --- */
int fuse_op_lookup(struct fuse_req *r);
int fuse_op_forget(struct fuse_req *r);
int fuse_op_batch_forget(struct fuse_req *r);
int fuse_op_getattr(struct fuse_req *r);
int fuse_op_setattr(struct fuse_req *r);
int fuse_op_readlink(struct fuse_req *r);
int fuse_op_symlink(struct fuse_req *r);
int fuse_op_mknod(struct fuse_req *r);
int fuse_op_mkdir(struct fuse_req *r);
int fuse_op_unlink(struct fuse_req *r);
int fuse_op_rmdir(struct fuse_req *r);
int fuse_op_rename(struct fuse_req *r);
int fuse_op_rename2(struct fuse_req *r);
int fuse_op_link(struct fuse_req *r);
int fuse_op_statfs(struct fuse_req *r);
int fuse_op_access(struct fuse_req *r);
int fuse_op_open(struct fuse_req *r);
int fuse_op_create(struct fuse_req *r);
int fuse_op_read(struct fuse_req *r);
int fuse_op_write(struct fuse_req *r);
int fuse_op_flush(struct fuse_req *r);
int fuse_op_release(struct fuse_req *r);
int fuse_op_fsync(struct fuse_req *r);
int fuse_op_fallocate(struct fuse_req *r);
int fuse_op_lseek(struct fuse_req *r);
int fuse_op_copy_file_range(struct fuse_req *r);
int fuse_op_opendir(struct fuse_req *r);
int fuse_op_readdir(struct fuse_req *r);
int fuse_op_readdirplus(struct fuse_req *r);
int fuse_op_releasedir(struct fuse_req *r);
int fuse_op_fsyncdir(struct fuse_req *r);
int fuse_op_getxattr(struct fuse_req *r);
int fuse_op_setxattr(struct fuse_req *r);
int fuse_op_listxattr(struct fuse_req *r);
int fuse_op_removexattr(struct fuse_req *r);
int fuse_op_getlk(struct fuse_req *r);
int fuse_op_setlk(struct fuse_req *r);
/* --- the DAX window (fuse_ops_dax.c) --- */
/* Window offsets and lengths: the Linux driver's 2 MiB ranges. */
#define FUSE_DAX_ALIGN (2ull << 20)
#define FUSE_DAX_MAX (1ull << 40)
/* File offsets: a host page; map_alignment is its log2. */
#define FUSE_DAX_PAGE 4096ull
#define FUSE_DAX_MAP_ALIGNMENT 12
int fuse_op_setupmapping(struct fuse_req *r);
int fuse_op_removemapping(struct fuse_req *r);
/* Offer FUSE_MAP_ALIGNMENT in the INIT reply when there is a window. */
void fuse_dax_init_reply(const struct fuse_server *srv,
			 const struct fuse_init_in *in,
			 struct fuse_init_out *out);
/* Unmap the window (fuse_server_destroy()). */
void fuse_dax_fini(struct fuse_server *srv);
/* Lock owners of a handle are released when the handle goes. */
void fuse_lock_owners_free(struct fuse_handle *h);
int fuse_lock_owner_flush(struct fuse_handle *h, uint64_t owner);

#endif
