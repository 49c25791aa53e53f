// SPDX-License-Identifier: Apache-2.0
/*
 * Malformed requests: each gets an error reply (or none where the opcode
 * has none), never a crash or an out-of-bounds access (run under ASan).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/virtio/fuse_test_util.h"

static int setup(void **state)
{
	*state = ft_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	ft_free(*state);
	return 0;
}

/* Send exactly len bytes of req (heap copy, so ASan sees any overread)
 * and return the reply's error (1 when there is no reply). */
static int raw_error(struct ft *t, const void *req, size_t len,
		     size_t reply_cap)
{
	uint8_t *copy = malloc(len ? len : 1);
	uint8_t *reply = malloc(reply_cap ? reply_cap : 1);
	struct fuse_out_header out;
	ssize_t n;

	memcpy(copy, req, len);
	n = ft_raw(t, copy, len, reply, reply_cap);
	free(copy);
	if (n <= 0) {
		free(reply);
		return n < 0 ? (int)n : 1; /* 1: no reply at all */
	}
	assert_true(n >= (ssize_t)sizeof(out));
	memcpy(&out, reply, sizeof(out));
	free(reply);
	assert_int_equal(out.len, (uint32_t)n);
	return out.error;
}

struct req {
	struct fuse_in_header h;
	uint8_t args[512];
};

static size_t make(struct req *r, uint32_t op, uint64_t nodeid,
		   const void *args, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->h = (struct fuse_in_header){.len = (uint32_t)(sizeof(r->h) + len),
				       .opcode = op,
				       .unique = 7,
				       .nodeid = nodeid};
	if (len)
		memcpy(r->args, args, len);
	return sizeof(r->h) + len;
}

static void test_short_header(void **state)
{
	struct ft *t = *state;
	struct req r;

	make(&r, FUSE_GETATTR, FUSE_ROOT_ID, NULL, 0);
	assert_int_equal(raw_error(t, &r, 0, 64), -EINVAL);
	assert_int_equal(raw_error(t, &r, 10, 64), -EINVAL);
	assert_int_equal(raw_error(t, &r, sizeof(r.h) - 1, 64), -EINVAL);
}

static void test_bad_header_len(void **state)
{
	struct ft *t = *state;
	struct req r;
	struct fuse_getattr_in g = {0};
	size_t len = make(&r, FUSE_GETATTR, FUSE_ROOT_ID, &g, sizeof(g));

	r.h.len = (uint32_t)len + 1; /* past the buffer */
	assert_int_equal(raw_error(t, &r, len, 256), -EINVAL);
	r.h.len = UINT32_MAX;
	assert_int_equal(raw_error(t, &r, len, 256), -EINVAL);
	r.h.len = 8; /* shorter than the header itself */
	assert_int_equal(raw_error(t, &r, len, 256), -EINVAL);
}

static void test_reply_buffer_too_small(void **state)
{
	struct ft *t = *state;
	struct req r;
	struct fuse_getattr_in g = {0};
	size_t len = make(&r, FUSE_GETATTR, FUSE_ROOT_ID, &g, sizeof(g));

	/* Not even a header fits: nothing written, an error returned. */
	assert_true(raw_error(t, &r, len, 8) < 0);
	/* A header fits, the attributes do not. */
	assert_int_equal(raw_error(t, &r, len, 20), -ERANGE);
}

static void test_lookup_reply_too_small_undoes_lookup(void **state)
{
	struct ft *t = *state;
	struct req r;
	size_t len;
	struct fuse_entry_out e;

	ft_host_write(t, "share/f", "");
	len = make(&r, FUSE_LOOKUP, FUSE_ROOT_ID, "f", 2);
	assert_int_equal(raw_error(t, &r, len, 20), -ERANGE);
	/* One real lookup then one forget: the inode must be gone, which
	 * proves the failed reply took its reference back. */
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "f", &e), 0);
	ft_forget(t, e.nodeid, 1);
	assert_int_equal(ft_getattr(t, e.nodeid, NULL), -ENOENT);
}

static void test_names_without_nul(void **state)
{
	struct ft *t = *state;
	struct req r;
	size_t len = make(&r, FUSE_LOOKUP, FUSE_ROOT_ID, "abc", 3);
	struct fuse_mkdir_in mk = {.mode = 0755};
	uint8_t buf[64];

	assert_int_equal(raw_error(t, &r, len, 256), -EINVAL);
	memcpy(buf, &mk, sizeof(mk));
	memcpy(buf + sizeof(mk), "dir", 3);
	len = make(&r, FUSE_MKDIR, FUSE_ROOT_ID, buf, sizeof(mk) + 3);
	assert_int_equal(raw_error(t, &r, len, 256), -EINVAL);
	/* RENAME with only the old name. */
	{
		struct fuse_rename_in rn = {.newdir = FUSE_ROOT_ID};

		memcpy(buf, &rn, sizeof(rn));
		memcpy(buf + sizeof(rn), "a\0b", 3);
		len = make(&r, FUSE_RENAME, FUSE_ROOT_ID, buf, sizeof(rn) + 3);
		assert_int_equal(raw_error(t, &r, len, 256), -EINVAL);
	}
	/* SYMLINK with no target. */
	len = make(&r, FUSE_SYMLINK, FUSE_ROOT_ID, "s\0", 2);
	assert_int_equal(raw_error(t, &r, len, 256), -EINVAL);
	assert_false(ft_host_exists(t, "share/s"));
	assert_false(ft_host_exists(t, "share/dir"));
}

static void test_short_args(void **state)
{
	struct ft *t = *state;
	static const uint32_t ops[] = {
		FUSE_FORGET,	   FUSE_GETATTR,
		FUSE_SETATTR,	   FUSE_MKNOD,
		FUSE_MKDIR,	   FUSE_RENAME,
		FUSE_LINK,	   FUSE_OPEN,
		FUSE_READ,	   FUSE_WRITE,
		FUSE_RELEASE,	   FUSE_FSYNC,
		FUSE_SETXATTR,	   FUSE_GETXATTR,
		FUSE_LISTXATTR,	   FUSE_FLUSH,
		FUSE_INIT,	   FUSE_OPENDIR,
		FUSE_READDIR,	   FUSE_RELEASEDIR,
		FUSE_FSYNCDIR,	   FUSE_GETLK,
		FUSE_SETLK,	   FUSE_SETLKW,
		FUSE_ACCESS,	   FUSE_CREATE,
		FUSE_BATCH_FORGET, FUSE_FALLOCATE,
		FUSE_READDIRPLUS,  FUSE_RENAME2,
		FUSE_LSEEK,	   FUSE_COPY_FILE_RANGE,
	};
	uint8_t junk[3] = {1, 2, 3};
	struct req r;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t len = make(&r, ops[i], FUSE_ROOT_ID, junk, sizeof(junk));
		int err = raw_error(t, &r, len, 4096);

		if (ops[i] == FUSE_FORGET || ops[i] == FUSE_BATCH_FORGET) {
			assert_int_equal(err, 1); /* these never reply */
			continue;
		}
		if (err != -EINVAL && err != -ENOENT)
			fail_msg("opcode %u: error %d", ops[i], err);
	}
	assert_int_equal(ft_getattr(t, FUSE_ROOT_ID, NULL), 0);
}

static void test_write_size_past_data(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	uint64_t fh;
	struct req r;
	struct fuse_write_in w;
	uint8_t buf[sizeof(w) + 4];
	size_t len;

	assert_int_equal(ft_create(t, FUSE_ROOT_ID, "w", O_RDWR, 0600, &e, &fh),
			 0);
	w = (struct fuse_write_in){.fh = fh, .size = 1000};
	memcpy(buf, &w, sizeof(w));
	memcpy(buf + sizeof(w), "data", 4);
	len = make(&r, FUSE_WRITE, e.nodeid, buf, sizeof(buf));
	assert_int_equal(raw_error(t, &r, len, 64), -EINVAL);
	w.offset = UINT64_MAX;
	w.size = 4;
	memcpy(buf, &w, sizeof(w));
	len = make(&r, FUSE_WRITE, e.nodeid, buf, sizeof(buf));
	assert_int_equal(raw_error(t, &r, len, 64), -EINVAL);
}

static void test_huge_read_is_capped(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	uint64_t fh;
	char buf[32];

	ft_host_write(t, "share/r", "0123456789abcdef0123456789abcdef");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "r", &e), 0);
	assert_int_equal(ft_open(t, e.nodeid, O_RDONLY, &fh), 0);
	/* Size far beyond the reply buffer: filled up to the buffer. */
	{
		struct req r;
		struct fuse_read_in rd = {.fh = fh, .size = UINT32_MAX};
		size_t len = make(&r, FUSE_READ, e.nodeid, &rd, sizeof(rd));
		uint8_t reply[16 + 10];
		ssize_t n = ft_raw(t, &r, len, reply, sizeof(reply));

		assert_int_equal(n, 26);
	}
	assert_int_equal(ft_read(t, e.nodeid, fh, (uint64_t)INT64_MAX + 1, buf,
				 sizeof(buf)),
			 -EINVAL);
}

static void test_batch_forget_count_lies(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct ft_args a = {0};
	struct fuse_batch_forget_in in = {.count = UINT32_MAX};
	struct fuse_forget_one one;
	size_t n = 1;

	ft_host_write(t, "share/f", "");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "f", &e), 0);
	one = (struct fuse_forget_one){.nodeid = e.nodeid, .nlookup = 1};
	ft_args_put(&a, &in, sizeof(in));
	ft_args_put(&a, &one, sizeof(one));
	ft_args_put(&a, &one, 5); /* a torn trailing entry */
	assert_int_equal(ft_call(t, FUSE_BATCH_FORGET, 0, &a, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	/* The one complete entry was applied. */
	assert_int_equal(ft_getattr(t, e.nodeid, NULL), -ENOENT);
}

static void test_setxattr_size_past_buffer(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct {
		uint32_t size, flags;
	} in = {.size = 100};

	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "user.x");
	ft_args_put(&a, "abc", 3);
	assert_int_equal(
		ft_call(t, FUSE_SETXATTR, FUSE_ROOT_ID, &a, NULL, 0, NULL),
		-EINVAL);
	in.size = UINT32_MAX;
	a.len = 0;
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "user.x");
	assert_int_equal(
		ft_call(t, FUSE_SETXATTR, FUSE_ROOT_ID, &a, NULL, 0, NULL),
		-E2BIG);
}

static void test_bad_opcodes_and_init(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct fuse_init_in in = {.major = 6, .minor = 99};
	struct fuse_init_out out;
	size_t n;

	assert_int_equal(ft_call(t, 0, 0, NULL, NULL, 0, NULL), -ENOSYS);
	assert_int_equal(ft_call(t, UINT32_MAX, 0, NULL, NULL, 0, NULL),
			 -ENOSYS);
	assert_int_equal(
		ft_call(t, 4096 /* CUSE_INIT */, 0, NULL, NULL, 0, NULL),
		-ENOSYS);
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), NULL),
			 -EPROTO);
	in = (struct fuse_init_in){.major = 7, .minor = 20};
	a.len = 0;
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), NULL),
			 -EPROTO);
	/* A newer major: we answer with ours so the kernel can retry. */
	in = (struct fuse_init_in){.major = 8, .minor = 0};
	a.len = 0;
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), &n),
			 0);
	assert_int_equal(out.major, 7);
	assert_int_equal(n, 8);
}

static void test_long_names(void **state)
{
	struct ft *t = *state;
	char name[300];
	struct fuse_entry_out e;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, name, &e), -ENAMETOOLONG);
	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, name, 0755, NULL),
			 -ENAMETOOLONG);
}

static void test_args_too_large(void **state)
{
	struct ft *t = *state;
	size_t len = sizeof(struct fuse_in_header) + 200000;
	uint8_t *req = calloc(1, len);
	struct fuse_in_header h = {.len = (uint32_t)len,
				   .opcode = FUSE_LOOKUP,
				   .unique = 1,
				   .nodeid = FUSE_ROOT_ID};

	memcpy(req, &h, sizeof(h));
	assert_int_equal(raw_error(t, req, len, 256), -E2BIG);
	free(req);
}

static void test_readdir_zero_size(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct fuse_read_in in = {.size = 0};
	uint64_t fh;
	size_t n = 1;

	assert_int_equal(ft_opendir(t, FUSE_ROOT_ID, &fh), 0);
	in.fh = fh;
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(
		ft_call(t, FUSE_READDIRPLUS, FUSE_ROOT_ID, &a, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_short_header),
		T(test_bad_header_len),
		T(test_reply_buffer_too_small),
		T(test_lookup_reply_too_small_undoes_lookup),
		T(test_names_without_nul),
		T(test_short_args),
		T(test_write_size_past_data),
		T(test_huge_read_is_capped),
		T(test_batch_forget_count_lies),
		T(test_setxattr_size_past_buffer),
		T(test_bad_opcodes_and_init),
		T(test_long_names),
		T(test_args_too_large),
		T(test_readdir_zero_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
