// SPDX-License-Identifier: Apache-2.0
/* The FUSE server's cache policies (auto, always, never) as the open flags
 * and INIT flags the guest sees, and its per-opcode request counters. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fuse_test_util.h"

static struct ft *cache_ft(enum fuse_cache_policy cache)
{
	struct fuse_server_opts o = {.cache = cache};

	return ft_new(&o);
}

/* OPEN (or OPENDIR) nodeid; returns the reply's open_flags, releases. */
static uint32_t open_flags(struct ft *t, uint32_t op, uint64_t nodeid)
{
	struct ft_args a = {0};
	struct fuse_open_in in = {.flags = O_RDONLY};
	struct fuse_open_out out;
	size_t n;

	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, op, nodeid, &a, &out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(out));
	if (op == FUSE_OPEN)
		assert_int_equal(ft_release(t, nodeid, out.fh), 0);
	return out.open_flags;
}

static uint32_t create_flags(struct ft *t, const char *name)
{
	struct ft_args a = {0};
	struct fuse_create_in in = {.flags = O_WRONLY, .mode = S_IFREG | 0644};
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;

	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, name);
	assert_int_equal(ft_call(t, FUSE_CREATE, FUSE_ROOT_ID, &a, &out,
				 sizeof(out), NULL),
			 0);
	return out.o.open_flags;
}

static uint64_t lookup(struct ft *t, const char *name)
{
	struct fuse_entry_out e;

	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, name, &e), 0);
	return e.nodeid;
}

static uint32_t init_flags(struct ft *t, uint32_t want)
{
	struct ft_args a = {0};
	struct fuse_init_in in = {.major = 7, .minor = 36, .flags = want};
	struct fuse_init_out out;

	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), NULL),
			 0);
	return out.flags;
}

static void set_mtime(struct ft *t, const char *rel, time_t sec)
{
	struct timespec ts[2] = {{sec, 0}, {sec, 0}};
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", t->base, rel);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* auto: pages are kept from one open to the next only while the host file
 * is unchanged; any change (content and size, or only a timestamp) drops
 * them at the next open. */
static void test_auto_keeps_unchanged(void **state)
{
	struct ft *t = cache_ft(FUSE_CACHE_AUTO);
	uint64_t node;

	(void)state;
	ft_host_write(t, "share/f", "one");
	node = lookup(t, "f");
	assert_int_equal(open_flags(t, FUSE_OPEN, node), 0);
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_KEEP_CACHE);
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_KEEP_CACHE);
	/* Changed on the host: new content and size. */
	ft_host_write(t, "share/f", "three");
	assert_int_equal(open_flags(t, FUSE_OPEN, node), 0);
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_KEEP_CACHE);
	/* Same size, only the mtime moved (a rewrite in place). */
	set_mtime(t, "share/f", 1000000);
	assert_int_equal(open_flags(t, FUSE_OPEN, node), 0);
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_KEEP_CACHE);
	/* Directories and new files: nothing kept. */
	assert_int_equal(open_flags(t, FUSE_OPENDIR, FUSE_ROOT_ID), 0);
	assert_int_equal(create_flags(t, "new"), 0);
	ft_free(t);
}

/* always: pages and listings are kept whatever the host does. */
static void test_always_keeps(void **state)
{
	struct ft *t = cache_ft(FUSE_CACHE_ALWAYS);
	uint64_t node;

	(void)state;
	ft_host_write(t, "share/f", "one");
	node = lookup(t, "f");
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_KEEP_CACHE);
	ft_host_write(t, "share/f", "three");
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_KEEP_CACHE);
	assert_int_equal(open_flags(t, FUSE_OPENDIR, FUSE_ROOT_ID),
			 FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
	assert_int_equal(create_flags(t, "new"), FOPEN_KEEP_CACHE);
	ft_free(t);
}

/* never: file data bypasses the guest's page cache. */
static void test_never_direct(void **state)
{
	struct ft *t = cache_ft(FUSE_CACHE_NEVER);
	uint64_t node;

	(void)state;
	ft_host_write(t, "share/f", "one");
	node = lookup(t, "f");
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_DIRECT_IO);
	assert_int_equal(open_flags(t, FUSE_OPEN, node), FOPEN_DIRECT_IO);
	assert_int_equal(open_flags(t, FUSE_OPENDIR, FUSE_ROOT_ID), 0);
	assert_int_equal(create_flags(t, "new"), FOPEN_DIRECT_IO);
	ft_free(t);
}

/* AUTO_INVAL_DATA (drop pages whose file's mtime or size moved) is granted
 * where the guest caches pages at all. */
static void test_init_auto_inval(void **state)
{
	struct ft *t;

	(void)state;
	t = cache_ft(FUSE_CACHE_AUTO);
	assert_true(init_flags(t, FUSE_AUTO_INVAL_DATA) & FUSE_AUTO_INVAL_DATA);
	assert_false(init_flags(t, 0) & FUSE_AUTO_INVAL_DATA);
	ft_free(t);
	t = cache_ft(FUSE_CACHE_ALWAYS);
	assert_true(init_flags(t, FUSE_AUTO_INVAL_DATA) & FUSE_AUTO_INVAL_DATA);
	ft_free(t);
	t = cache_ft(FUSE_CACHE_NEVER);
	assert_false(init_flags(t, FUSE_AUTO_INVAL_DATA) &
		     FUSE_AUTO_INVAL_DATA);
	ft_free(t);
}

static ssize_t read_fh(struct ft *t, uint64_t node, uint64_t fh, char *buf,
		       size_t len)
{
	return ft_read(t, node, fh, 0, buf, len);
}

static uint64_t open_fh(struct ft *t, uint64_t node, uint32_t flags)
{
	uint64_t fh;

	assert_int_equal(ft_open(t, node, flags, &fh), 0);
	return fh;
}

static void host_read(struct ft *t, const char *rel, char *buf, size_t cap)
{
	char path[600];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", t->base, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* WRITEBACK_CACHE: granted under always only (and never on a read-only
 * share); with it a write-only or appending open may be read through and
 * written at any offset, as the guest's page cache needs. */
static void test_writeback(void **state)
{
	struct fuse_server_opts ro = {.cache = FUSE_CACHE_ALWAYS,
				      .read_only = true};
	struct ft *t;
	char buf[64];
	uint64_t node, fh;

	(void)state;
	t = cache_ft(FUSE_CACHE_AUTO);
	assert_false(init_flags(t, FUSE_WRITEBACK_CACHE) &
		     FUSE_WRITEBACK_CACHE);
	/* Without it a write-only handle stays write-only. */
	ft_host_write(t, "share/f", "hello");
	node = lookup(t, "f");
	fh = open_fh(t, node, O_WRONLY);
	assert_int_equal(read_fh(t, node, fh, buf, sizeof(buf)), -EBADF);
	ft_free(t);

	t = ft_new(&ro);
	assert_false(init_flags(t, FUSE_WRITEBACK_CACHE) &
		     FUSE_WRITEBACK_CACHE);
	ft_free(t);

	t = cache_ft(FUSE_CACHE_ALWAYS);
	assert_true(init_flags(t, FUSE_WRITEBACK_CACHE) & FUSE_WRITEBACK_CACHE);
	ft_host_write(t, "share/f", "hello");
	node = lookup(t, "f");
	fh = open_fh(t, node, O_WRONLY);
	assert_int_equal(read_fh(t, node, fh, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ft_release(t, node, fh), 0);
	/* O_APPEND is the guest's: a WRITE lands where it says. */
	fh = open_fh(t, node, O_WRONLY | O_APPEND);
	assert_int_equal(ft_write(t, node, fh, 0, "J", 1), 1);
	assert_int_equal(ft_release(t, node, fh), 0);
	host_read(t, "share/f", buf, sizeof(buf));
	assert_string_equal(buf, "Jello");
	/* SEEK_DATA/SEEK_HOLE cannot see the guest's dirty pages. */
	{
		struct ft_args a = {0};
		struct fuse_lseek_in in = {.fh = fh, .whence = SEEK_DATA};
		struct fuse_lseek_out out;

		fh = open_fh(t, node, O_RDONLY);
		in.fh = fh;
		ft_args_put(&a, &in, sizeof(in));
		assert_int_equal(ft_call(t, FUSE_LSEEK, node, &a, &out,
					 sizeof(out), NULL),
				 -ENOSYS);
		assert_int_equal(ft_release(t, node, fh), 0);
	}
	/* Created write-only: readable too. */
	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "new", O_WRONLY, 0644, NULL, &fh),
		0);
	node = lookup(t, "new");
	assert_int_equal(ft_write(t, node, fh, 0, "abc", 3), 3);
	assert_int_equal(read_fh(t, node, fh, buf, sizeof(buf)), 3);
	ft_free(t);
}

/* Every request is counted under its opcode, unknown ones in slot 0. */
static void test_op_counts(void **state)
{
	struct ft *t = cache_ft(FUSE_CACHE_AUTO);
	struct fuse_attr attr;
	uint64_t node;

	(void)state;
	ft_host_write(t, "share/f", "one");
	assert_int_equal(fuse_server_op_count(t->srv, FUSE_INIT), 1);
	assert_int_equal(fuse_server_op_count(t->srv, FUSE_LOOKUP), 0);
	node = lookup(t, "f");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "missing", NULL), -ENOENT);
	assert_int_equal(ft_getattr(t, node, &attr), 0);
	assert_int_equal(ft_getattr(t, node, &attr), 0);
	assert_int_equal(ft_getattr(t, node, &attr), 0);
	assert_int_equal(fuse_server_op_count(t->srv, FUSE_LOOKUP), 2);
	assert_int_equal(fuse_server_op_count(t->srv, FUSE_GETATTR), 3);
	assert_int_equal(fuse_server_op_count(t->srv, FUSE_OPEN), 0);
	assert_int_equal(ft_call(t, 63, node, NULL, NULL, 0, NULL), -ENOSYS);
	assert_int_equal(ft_call(t, 4000, node, NULL, NULL, 0, NULL), -ENOSYS);
	assert_int_equal(fuse_server_op_count(t->srv, 63), 1);
	assert_int_equal(fuse_server_op_count(t->srv, 0), 1);
	assert_int_equal(fuse_server_op_count(t->srv, 4000), 1);
	ft_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_keeps_unchanged),
		cmocka_unit_test(test_always_keeps),
		cmocka_unit_test(test_never_direct),
		cmocka_unit_test(test_init_auto_inval),
		cmocka_unit_test(test_op_counts),
		cmocka_unit_test(test_writeback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
