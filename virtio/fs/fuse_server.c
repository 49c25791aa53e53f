// SPDX-License-Identifier: Apache-2.0
/*
 * FUSE server core: creation, request framing, opcode dispatch, INIT and
 * DESTROY. Every length a request carries is checked against what the
 * request buffer really holds before anything is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "virtio/fs/fuse_internal.h"
#include "virtio/iov.h"

/* The oldest protocol whose reply layouts we produce (Linux 5.4's
 * virtio-fs speaks 7.31). */
#define FUSE_MIN_MINOR 31

/* What INIT may grant; each bit is implemented by this server. */
#define FUSE_SERVER_FLAGS                                                \
	(FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_ATOMIC_O_TRUNC |      \
	 FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | \
	 FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES | FUSE_FLOCK_LOCKS |      \
	 FUSE_HANDLE_KILLPRIV_V2)

struct fuse_op_entry {
	fuse_handler_fn fn;
	bool modifies; /* refused with EROFS on a read-only share */
};

static int fuse_op_init(struct fuse_req *r);
static int fuse_op_destroy(struct fuse_req *r);

static const struct fuse_op_entry fuse_opcodes[] = {
	[FUSE_LOOKUP] = {fuse_op_lookup, false},
	[FUSE_FORGET] = {fuse_op_forget, false},
	[FUSE_GETATTR] = {fuse_op_getattr, false},
	[FUSE_SETATTR] = {fuse_op_setattr, true},
	[FUSE_READLINK] = {fuse_op_readlink, false},
	[FUSE_SYMLINK] = {fuse_op_symlink, true},
	[FUSE_MKNOD] = {fuse_op_mknod, true},
	[FUSE_MKDIR] = {fuse_op_mkdir, true},
	[FUSE_UNLINK] = {fuse_op_unlink, true},
	[FUSE_RMDIR] = {fuse_op_rmdir, true},
	[FUSE_RENAME] = {fuse_op_rename, true},
	[FUSE_LINK] = {fuse_op_link, true},
	[FUSE_OPEN] = {fuse_op_open, false},
	[FUSE_READ] = {fuse_op_read, false},
	[FUSE_WRITE] = {fuse_op_write, true},
	[FUSE_STATFS] = {fuse_op_statfs, false},
	[FUSE_RELEASE] = {fuse_op_release, false},
	[FUSE_FSYNC] = {fuse_op_fsync, false},
	[FUSE_SETXATTR] = {fuse_op_setxattr, true},
	[FUSE_GETXATTR] = {fuse_op_getxattr, false},
	[FUSE_LISTXATTR] = {fuse_op_listxattr, false},
	[FUSE_REMOVEXATTR] = {fuse_op_removexattr, true},
	[FUSE_FLUSH] = {fuse_op_flush, false},
	[FUSE_INIT] = {fuse_op_init, false},
	[FUSE_OPENDIR] = {fuse_op_opendir, false},
	[FUSE_READDIR] = {fuse_op_readdir, false},
	[FUSE_RELEASEDIR] = {fuse_op_releasedir, false},
	[FUSE_FSYNCDIR] = {fuse_op_fsyncdir, false},
	[FUSE_GETLK] = {fuse_op_getlk, false},
	[FUSE_SETLK] = {fuse_op_setlk, false},
	[FUSE_SETLKW] = {fuse_op_setlk, false},
	[FUSE_ACCESS] = {fuse_op_access, false},
	[FUSE_CREATE] = {fuse_op_create, true},
	[FUSE_DESTROY] = {fuse_op_destroy, false},
	[FUSE_BATCH_FORGET] = {fuse_op_batch_forget, false},
	[FUSE_FALLOCATE] = {fuse_op_fallocate, true},
	[FUSE_READDIRPLUS] = {fuse_op_readdirplus, false},
	[FUSE_RENAME2] = {fuse_op_rename2, true},
	[FUSE_LSEEK] = {fuse_op_lseek, false},
	[FUSE_COPY_FILE_RANGE] = {fuse_op_copy_file_range, true},
	[FUSE_SETUPMAPPING] = {fuse_op_setupmapping, false},
	[FUSE_REMOVEMAPPING] = {fuse_op_removemapping, false},
};

#define FUSE_NUM_OPCODES (sizeof(fuse_opcodes) / sizeof(fuse_opcodes[0]))

/* ---- argument parsing ---- */

int fuse_req_copy(struct fuse_req *r, void *dst, size_t len)
{
	if (len > r->args_len - r->args_pos)
		return -EINVAL;
	memcpy(dst, r->args + r->args_pos, len);
	r->args_pos += len;
	return 0;
}

const char *fuse_req_name(struct fuse_req *r)
{
	const char *start = (const char *)r->args + r->args_pos;
	size_t left = r->args_len - r->args_pos;
	const char *nul = memchr(start, '\0', left);

	if (!nul)
		return NULL;
	r->args_pos += (size_t)(nul - start) + 1;
	return start;
}

/* ---- replies ---- */

int fuse_reply_header(struct fuse_req *r, int error, size_t body_len)
{
	struct fuse_out_header out = {
		.len = (uint32_t)(sizeof(out) + body_len),
		.error = error,
		.unique = r->in.unique,
	};

	if (sizeof(out) > r->reply_cap)
		return -ENOBUFS;
	iov_from_buf(r->reply, r->nreply, 0, &out, sizeof(out));
	r->written = sizeof(out) + body_len;
	return 0;
}

int fuse_reply2(struct fuse_req *r, const void *a, size_t alen, const void *b,
		size_t blen)
{
	size_t hdr = sizeof(struct fuse_out_header);

	if (alen > r->reply_cap || blen > r->reply_cap - alen ||
	    hdr > r->reply_cap - alen - blen)
		return -ERANGE;
	iov_from_buf(r->reply, r->nreply, hdr, a, alen);
	iov_from_buf(r->reply, r->nreply, hdr + alen, b, blen);
	return fuse_reply_header(r, 0, alen + blen);
}

int fuse_reply(struct fuse_req *r, const void *data, size_t len)
{
	return fuse_reply2(r, data, len, NULL, 0);
}

int fuse_reply_none(struct fuse_req *r)
{
	r->written = 0;
	return 0;
}

/* ---- INIT / DESTROY ---- */

static int fuse_op_init(struct fuse_req *r)
{
	struct fuse_init_in in = {0};
	size_t avail = r->args_len;
	struct fuse_init_out out = {0};

	/* Before 7.36 the kernel sends only the first four fields. */
	if (avail < offsetof(struct fuse_init_in, flags2))
		return -EINVAL;
	fuse_req_copy(r, &in, avail < sizeof(in) ? avail : sizeof(in));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = FUSE_KERNEL_MINOR_VERSION;
	if (in.major != FUSE_KERNEL_VERSION) {
		/* A newer major: answer with ours and let the kernel retry;
		 * an older one cannot be served. */
		if (in.major < FUSE_KERNEL_VERSION)
			return -EPROTO;
		return fuse_reply(r, &out, FUSE_COMPAT_INIT_OUT_SIZE);
	}
	if (in.minor < FUSE_MIN_MINOR)
		return -EPROTO;
	if (in.minor < out.minor)
		out.minor = in.minor;
	out.max_readahead = in.max_readahead;
	out.flags = in.flags & FUSE_SERVER_FLAGS;
	/* Cached pages of a file whose size or mtime changed (seen when its
	 * attributes are next fetched) are dropped. */
	if (r->srv->opts.cache != FUSE_CACHE_NEVER)
		out.flags |= in.flags & FUSE_AUTO_INVAL_DATA;
	out.max_background = 64;
	out.congestion_threshold = 48;
	out.max_write = FUSE_SERVER_MAX_WRITE;
	out.time_gran = 1;
	out.max_pages = FUSE_SERVER_MAX_PAGES;
	fuse_dax_init_reply(r->srv, &in, &out);
	/* The guest may cache writes only where it may cache everything
	 * (see fuse_cache.c). */
	if (r->srv->opts.cache == FUSE_CACHE_ALWAYS && !r->srv->opts.read_only)
		out.flags |= in.flags & FUSE_WRITEBACK_CACHE;
	pthread_mutex_lock(&r->srv->init_lock);
	r->srv->proto_minor = out.minor;
	r->srv->writeback = out.flags & FUSE_WRITEBACK_CACHE;
	pthread_mutex_unlock(&r->srv->init_lock);
	return fuse_reply(r, &out, sizeof(out));
}

static int fuse_op_destroy(struct fuse_req *r)
{
	pthread_mutex_lock(&r->srv->init_lock);
	r->srv->proto_minor = 0;
	r->srv->writeback = false;
	pthread_mutex_unlock(&r->srv->init_lock);
	return fuse_reply(r, NULL, 0);
}

static bool server_initialised(struct fuse_server *srv)
{
	uint32_t minor;

	pthread_mutex_lock(&srv->init_lock);
	minor = srv->proto_minor;
	pthread_mutex_unlock(&srv->init_lock);
	return minor != 0;
}

/* ---- dispatch ---- */

static int dispatch(struct fuse_req *r)
{
	uint32_t op = r->in.opcode;
	const struct fuse_op_entry *entry;

	fuse_stats_count(r->srv, op);
	if (op >= FUSE_NUM_OPCODES || !fuse_opcodes[op].fn)
		return -ENOSYS;
	entry = &fuse_opcodes[op];
	log_trace("fuse: opcode %u node %llu", op,
		  (unsigned long long)r->in.nodeid);
	if (op != FUSE_INIT && !server_initialised(r->srv))
		return -EIO;
	if (entry->modifies && r->srv->opts.read_only)
		return -EROFS;
	return entry->fn(r);
}

/* How many argument bytes to copy: all of them, except WRITE data, which
 * is read straight from the request iovecs. */
static int frame_args(struct fuse_req *r, size_t body_len)
{
	size_t copy = body_len;

	if (r->in.opcode == FUSE_WRITE) {
		struct fuse_write_in w;

		if (body_len < sizeof(w))
			return -EINVAL;
		copy = sizeof(w);
		r->data_off = sizeof(r->in) + copy;
		r->data_len = body_len - copy;
	}
	if (copy > FUSE_MAX_ARGS_LEN)
		return -E2BIG;
	r->args_len = copy;
	return 0;
}

static ssize_t finish(struct fuse_req *r, int ret)
{
	if (ret == FUSE_HANDLER_RETRY)
		return -EWOULDBLOCK;
	if (ret < 0) {
		if (fuse_reply_header(r, ret, 0) < 0)
			return -ENOBUFS;
	}
	return (ssize_t)r->written;
}

/* Frame a request and read its header; -EINVAL when it has none. */
static int req_start(struct fuse_req *r, struct fuse_server *srv,
		     const struct iovec *req, unsigned int nreq,
		     const struct iovec *reply, unsigned int nreply)
{
	ssize_t reply_len = iov_length(reply, nreply);

	*r = (struct fuse_req){
		.srv = srv,
		.req_iov = req,
		.nreq = nreq,
		.reply = reply,
		.nreply = nreply,
		.reply_cap = reply_len < 0 ? 0 : (size_t)reply_len,
	};
	if (iov_to_buf(req, nreq, 0, &r->in, sizeof(r->in)) !=
	    (ssize_t)sizeof(r->in))
		return -EINVAL;
	return 0;
}

static ssize_t handle(struct fuse_server *srv, const struct iovec *req,
		      unsigned int nreq, const struct iovec *reply,
		      unsigned int nreply, bool nowait)
{
	ssize_t total = iov_length(req, nreq);
	cleanup_free uint8_t *args = NULL;
	struct fuse_req r;
	int ret;

	if (req_start(&r, srv, req, nreq, reply, nreply) < 0 || total < 0)
		return finish(&r, -EINVAL);
	r.nowait = nowait;
	if (r.in.len < sizeof(r.in) || r.in.len > (size_t)total)
		return finish(&r, -EINVAL);
	ret = frame_args(&r, r.in.len - sizeof(r.in));
	if (ret < 0)
		return finish(&r, ret);
	args = malloc(r.args_len ? r.args_len : 1);
	if (!args)
		return finish(&r, -ENOMEM);
	iov_to_buf(req, nreq, sizeof(r.in), args, r.args_len);
	r.args = args;
	ret = dispatch(&r);
	if (ret < 0 &&
	    (r.in.opcode == FUSE_FORGET || r.in.opcode == FUSE_BATCH_FORGET))
		ret = fuse_reply_none(&r);
	return finish(&r, ret);
}

ssize_t fuse_server_handle(struct fuse_server *srv, const struct iovec *req,
			   unsigned int nreq, const struct iovec *reply,
			   unsigned int nreply)
{
	return handle(srv, req, nreq, reply, nreply, false);
}

ssize_t fuse_server_try_handle(struct fuse_server *srv, const struct iovec *req,
			       unsigned int nreq, const struct iovec *reply,
			       unsigned int nreply)
{
	return handle(srv, req, nreq, reply, nreply, true);
}

ssize_t fuse_server_refuse(struct fuse_server *srv, const struct iovec *req,
			   unsigned int nreq, const struct iovec *reply,
			   unsigned int nreply, int error)
{
	struct fuse_req r;

	if (req_start(&r, srv, req, nreq, reply, nreply) < 0)
		return finish(&r, -EINVAL);
	if (r.in.opcode == FUSE_FORGET || r.in.opcode == FUSE_BATCH_FORGET)
		return finish(&r, fuse_reply_none(&r));
	return finish(&r, -error);
}

/* ---- creation ---- */

static bool probe_openat2(int dirfd)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH,
	};
	long fd = syscall(SYS_openat2, dirfd, ".", &how, sizeof(how));

	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

/* The process umask, read without changing it (umask() would race other
 * threads creating files). */
static mode_t read_umask(void)
{
	cleanup_file FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned int mask;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Umask: %o", &mask) == 1)
			return (mode_t)mask;
	}
	return 022;
}

static int server_init_state(struct fuse_server *srv, int *root_fd,
			     const char *root_dir, struct krun_err **err)
{
	struct stat st;
	int ret;

	if (fstat(*root_fd, &st) < 0)
		return krun_err_set_errno(err, errno, "stat `%s`", root_dir);
	if (!S_ISDIR(st.st_mode))
		return krun_err_set(err, ENOTDIR,
				    "shared path `%s` is not a directory",
				    root_dir);
	srv->fd_budget.max = srv->opts.max_fds ? srv->opts.max_fds
					       : FUSE_SERVER_DEFAULT_MAX_FDS;
	ret = fuse_itable_init(&srv->inodes, *root_fd, &st);
	if (ret < 0)
		return krun_err_set_errno(err, -ret, "inode table for `%s`",
					  root_dir);
	steal_fd(root_fd);
	ret = fuse_handle_table_init(&srv->handles);
	if (ret < 0) {
		fuse_itable_fini(&srv->inodes);
		return krun_err_set_errno(err, -ret, "handle table");
	}
	srv->inodes.budget = &srv->fd_budget;
	srv->handles.budget = &srv->fd_budget;
	return 0;
}

struct fuse_server *fuse_server_create(const char *root_dir,
				       const struct fuse_server_opts *opts,
				       struct krun_err **err)
{
	cleanup_free struct fuse_server *srv = calloc(1, sizeof(*srv));
	cleanup_close int root_fd = -1;

	if (!srv) {
		krun_err_set(err, ENOMEM, "allocate FUSE server");
		return NULL;
	}
	root_fd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		krun_err_set_errno(err, errno, "open shared directory `%s`",
				   root_dir);
		return NULL;
	}
	if (opts)
		srv->opts = *opts;
	srv->have_openat2 = !srv->opts.no_openat2 && probe_openat2(root_fd);
	srv->is_root = geteuid() == 0;
	srv->own_uid = geteuid();
	srv->own_gid = getegid();
	srv->host_umask = read_umask();
	pthread_mutex_init(&srv->init_lock, NULL);
	if (server_init_state(srv, &root_fd, root_dir, err) < 0) {
		pthread_mutex_destroy(&srv->init_lock);
		return NULL;
	}
	return steal_ptr(srv);
}

void fuse_server_destroy(struct fuse_server *srv)
{
	if (!srv)
		return;
	fuse_stats_log(srv);
	fuse_handle_table_fini(&srv->handles);
	fuse_itable_fini(&srv->inodes);
	fuse_dax_fini(srv);
	pthread_mutex_destroy(&srv->init_lock);
	free(srv);
}
