// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/virtio/fuse_test_util.h"

void ft_args_put(struct ft_args *a, const void *p, size_t len)
{
	assert_true(a->len + len <= sizeof(a->buf));
	if (len)
		memcpy(a->buf + a->len, p, len);
	a->len += len;
}

void ft_args_str(struct ft_args *a, const char *s)
{
	ft_args_put(a, s, strlen(s) + 1);
}

struct ft *ft_new(const struct fuse_server_opts *opts)
{
	struct ft *t = calloc(1, sizeof(*t));
	struct fuse_server_opts def = {0};
	struct krun_err *err = NULL;
	struct ft_args a = {0};
	struct fuse_init_in in = {
		.major = 7,
		.minor = 36,
		.max_readahead = 131072,
		.flags = 0xffffffff,
	};
	struct fuse_init_out out;
	size_t n;

	assert_non_null(t);
	snprintf(t->base, sizeof(t->base), "/tmp/krun-fuse-XXXXXX");
	assert_non_null(mkdtemp(t->base));
	snprintf(t->share, sizeof(t->share), "%s/share", t->base);
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->base);
	assert_int_equal(mkdir(t->share, 0755), 0);
	assert_int_equal(mkdir(t->outside, 0755), 0);
	ft_host_write(t, "outside/secret", "secret");
	t->srv = fuse_server_create(t->share, opts ? opts : &def, &err);
	if (!t->srv)
		fail_msg("create: %s", krun_err_msg(err));
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), &n),
			 0);
	assert_int_equal(n, sizeof(out));
	return t;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		chmod(path, 0700);
	return remove(path);
}

void ft_free(struct ft *t)
{
	fuse_server_destroy(t->srv);
	nftw(t->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
}

ssize_t ft_raw(struct ft *t, const void *req, size_t req_len, void *reply,
	       size_t reply_cap)
{
	/* Split both sides over two iovecs to exercise scatter/gather. */
	size_t rsplit = req_len > 7 ? 7 : req_len;
	size_t osplit = reply_cap > 16 ? 16 : reply_cap;
	struct iovec rq[2] = {
		{(void *)req, rsplit},
		{(uint8_t *)req + rsplit, req_len - rsplit},
	};
	struct iovec rp[2] = {
		{reply, osplit},
		{(uint8_t *)reply + osplit, reply_cap - osplit},
	};

	return fuse_server_handle(t->srv, rq, 2, rp, 2);
}

int ft_call(struct ft *t, uint32_t opcode, uint64_t nodeid,
	    const struct ft_args *a, void *body, size_t cap, size_t *body_len)
{
	static uint8_t req[sizeof(struct fuse_in_header) + 70000];
	static uint8_t reply[sizeof(struct fuse_out_header) + (1 << 20)];
	struct fuse_in_header in = {
		.len = (uint32_t)(sizeof(in) + (a ? a->len : 0)),
		.opcode = opcode,
		.unique = ++t->unique,
		.nodeid = nodeid,
		.uid = 1234,
		.gid = 4321,
		.pid = 42,
	};
	struct fuse_out_header out;
	ssize_t n;

	assert_true(cap <= (1 << 20));
	memcpy(req, &in, sizeof(in));
	if (a && a->len)
		memcpy(req + sizeof(in), a->buf, a->len);
	n = ft_raw(t, req, in.len, reply, sizeof(out) + cap);
	if (n == 0) {
		if (body_len)
			*body_len = 0;
		return 0; /* no reply (FORGET) */
	}
	assert_true(n >= (ssize_t)sizeof(out));
	memcpy(&out, reply, sizeof(out));
	assert_int_equal(out.len, (uint32_t)n);
	assert_int_equal(out.unique, in.unique);
	assert_true(out.error <= 0);
	if (out.error)
		assert_int_equal(n, sizeof(out));
	if (body)
		memcpy(body, reply + sizeof(out), (size_t)n - sizeof(out));
	if (body_len)
		*body_len = (size_t)n - sizeof(out);
	return out.error;
}

int ft_lookup(struct ft *t, uint64_t parent, const char *name,
	      struct fuse_entry_out *e)
{
	struct ft_args a = {0};
	size_t n;
	int ret;

	ft_args_str(&a, name);
	ret = ft_call(t, FUSE_LOOKUP, parent, &a, e, sizeof(*e), &n);
	if (ret == 0)
		assert_int_equal(n, sizeof(*e));
	return ret;
}

int ft_mkdir(struct ft *t, uint64_t parent, const char *name, uint32_t mode,
	     struct fuse_entry_out *e)
{
	struct ft_args a = {0};
	struct fuse_mkdir_in in = {.mode = mode, .umask = 022};
	struct fuse_entry_out tmp;

	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, name);
	return ft_call(t, FUSE_MKDIR, parent, &a, e ? e : &tmp, sizeof(tmp),
		       NULL);
}

int ft_create(struct ft *t, uint64_t parent, const char *name, uint32_t flags,
	      uint32_t mode, struct fuse_entry_out *e, uint64_t *fh)
{
	struct ft_args a = {0};
	struct fuse_create_in in = {.flags = flags, .mode = mode | S_IFREG};
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	size_t n;
	int ret;

	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, name);
	ret = ft_call(t, FUSE_CREATE, parent, &a, &out, sizeof(out), &n);
	if (ret == 0) {
		assert_int_equal(n, sizeof(out));
		if (e)
			*e = out.e;
		if (fh)
			*fh = out.o.fh;
	}
	return ret;
}

static int open_common(struct ft *t, uint32_t op, uint64_t nodeid,
		       uint32_t flags, uint64_t *fh)
{
	struct ft_args a = {0};
	struct fuse_open_in in = {.flags = flags};
	struct fuse_open_out out;
	int ret;

	ft_args_put(&a, &in, sizeof(in));
	ret = ft_call(t, op, nodeid, &a, &out, sizeof(out), NULL);
	if (ret == 0)
		*fh = out.fh;
	return ret;
}

int ft_open(struct ft *t, uint64_t nodeid, uint32_t flags, uint64_t *fh)
{
	return open_common(t, FUSE_OPEN, nodeid, flags, fh);
}

int ft_opendir(struct ft *t, uint64_t nodeid, uint64_t *fh)
{
	return open_common(t, FUSE_OPENDIR, nodeid, O_RDONLY, fh);
}

int ft_release(struct ft *t, uint64_t nodeid, uint64_t fh)
{
	struct ft_args a = {0};
	struct fuse_release_in in = {.fh = fh};

	ft_args_put(&a, &in, sizeof(in));
	return ft_call(t, FUSE_RELEASE, nodeid, &a, NULL, 0, NULL);
}

ssize_t ft_write(struct ft *t, uint64_t nodeid, uint64_t fh, uint64_t off,
		 const void *data, size_t len)
{
	struct ft_args a = {0};
	struct fuse_write_in in = {
		.fh = fh, .offset = off, .size = (uint32_t)len};
	struct fuse_write_out out;
	int ret;

	ft_args_put(&a, &in, sizeof(in));
	ft_args_put(&a, data, len);
	ret = ft_call(t, FUSE_WRITE, nodeid, &a, &out, sizeof(out), NULL);
	return ret < 0 ? ret : (ssize_t)out.size;
}

ssize_t ft_read(struct ft *t, uint64_t nodeid, uint64_t fh, uint64_t off,
		void *buf, size_t len)
{
	struct ft_args a = {0};
	struct fuse_read_in in = {
		.fh = fh, .offset = off, .size = (uint32_t)len};
	size_t n;
	int ret;

	ft_args_put(&a, &in, sizeof(in));
	ret = ft_call(t, FUSE_READ, nodeid, &a, buf, len, &n);
	return ret < 0 ? ret : (ssize_t)n;
}

int ft_getattr(struct ft *t, uint64_t nodeid, struct fuse_attr *attr)
{
	struct ft_args a = {0};
	struct fuse_getattr_in in = {0};
	struct fuse_attr_out out;
	int ret;

	ft_args_put(&a, &in, sizeof(in));
	ret = ft_call(t, FUSE_GETATTR, nodeid, &a, &out, sizeof(out), NULL);
	if (ret == 0 && attr)
		*attr = out.attr;
	return ret;
}

int ft_symlink(struct ft *t, uint64_t parent, const char *name,
	       const char *target, struct fuse_entry_out *e)
{
	struct ft_args a = {0};
	struct fuse_entry_out tmp;

	ft_args_str(&a, name);
	ft_args_str(&a, target);
	return ft_call(t, FUSE_SYMLINK, parent, &a, e ? e : &tmp, sizeof(tmp),
		       NULL);
}

int ft_unlink(struct ft *t, uint64_t parent, const char *name)
{
	struct ft_args a = {0};

	ft_args_str(&a, name);
	return ft_call(t, FUSE_UNLINK, parent, &a, NULL, 0, NULL);
}

int ft_forget(struct ft *t, uint64_t nodeid, uint64_t nlookup)
{
	struct ft_args a = {0};
	struct fuse_forget_in in = {.nlookup = nlookup};
	size_t n = 1;
	int ret;

	ft_args_put(&a, &in, sizeof(in));
	ret = ft_call(t, FUSE_FORGET, nodeid, &a, NULL, 0, &n);
	assert_int_equal(n, 0);
	return ret;
}

void ft_host_write(struct ft *t, const char *rel, const char *content)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->base, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
}

int ft_host_exists(struct ft *t, const char *rel)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", t->base, rel);
	return lstat(path, &st) == 0;
}
