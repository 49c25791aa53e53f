// SPDX-License-Identifier: Apache-2.0
/*
 * The DAX window of a share (virtio/fs/fuse_ops_dax.c): SETUPMAPPING maps
 * the file's bytes at the asked window offset with the asked protection,
 * REMOVEMAPPING takes them away, and any offset, length or flag outside
 * what the window allows is refused with nothing mapped. The window here
 * is the server's own reservation, read through its host address; what
 * is mapped where is read back from /proc/self/maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/virtio/fuse_test_util.h"

#define MiB (1ull << 20)
#define WINDOW (8 * MiB)
#define FILE_SIZE (4 * MiB)

struct dax {
	struct ft *t;
	uint8_t *win;
	uint64_t node; /* the file "f", FILE_SIZE bytes of pattern() */
	uint64_t dir;  /* the directory "d" */
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12));
}

static void host_file(struct ft *t, const char *rel, uint64_t size)
{
	char path[600];
	uint8_t *buf = malloc(size);
	int fd;

	assert_non_null(buf);
	for (uint64_t i = 0; i < size; i++)
		buf[i] = pattern(i);
	snprintf(path, sizeof(path), "%s/%s", t->share, rel);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
}

static int dax_setup(void **state, bool read_only)
{
	struct fuse_server_opts opts = {.read_only = read_only};
	struct dax *d = calloc(1, sizeof(*d));
	struct krun_err *err = NULL;
	struct fuse_entry_out e;
	void *host = NULL;
	char dir[600];

	assert_non_null(d);
	d->t = ft_new(&opts);
	if (fuse_server_enable_dax(d->t->srv, WINDOW, &host, &err) < 0)
		fail_msg("enable_dax: %s", krun_err_msg(err));
	d->win = host;
	host_file(d->t, "f", FILE_SIZE);
	ft_host_write(d->t, "share/small", "hello");
	snprintf(dir, sizeof(dir), "%s/d", d->t->share);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(ft_lookup(d->t, FUSE_ROOT_ID, "f", &e), 0);
	d->node = e.nodeid;
	assert_int_equal(ft_lookup(d->t, FUSE_ROOT_ID, "d", &e), 0);
	d->dir = e.nodeid;
	*state = d;
	return 0;
}

static int rw_setup(void **state)
{
	return dax_setup(state, false);
}

static int ro_setup(void **state)
{
	return dax_setup(state, true);
}

static int dax_teardown(void **state)
{
	struct dax *d = *state;

	ft_free(d->t);
	free(d);
	return 0;
}

/* The permissions ("r--s", "---p", ...) of the mapping holding addr, and
 * whether it maps a file (an inode number other than 0). */
static void perms_at(const void *addr, char perms[5], bool *is_file)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[1024];
	uintptr_t a = (uintptr_t)addr;

	assert_non_null(f);
	perms[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, inode;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %lu", &start, &end, perms,
			   &inode) != 4)
			continue;
		if (a >= start && a < end) {
			*is_file = inode != 0;
			fclose(f);
			return;
		}
	}
	fclose(f);
	fail_msg("no mapping at %p", addr);
}

/* Every 2 MiB range of the window is an empty reservation. */
static void assert_window_empty(const struct dax *d)
{
	for (uint64_t off = 0; off < WINDOW; off += 2 * MiB) {
		char perms[5];
		bool is_file;

		perms_at(d->win + off, perms, &is_file);
		assert_string_equal(perms, "---p");
		assert_false(is_file);
	}
}

static int setup_req(struct dax *d, uint64_t node, uint64_t foffset,
		     uint64_t len, uint64_t flags, uint64_t moffset)
{
	struct ft_args a = {0};
	struct fuse_setupmapping_in in = {
		.fh = UINT64_MAX, /* what the Linux driver sends */
		.foffset = foffset,
		.len = len,
		.flags = flags,
		.moffset = moffset,
	};

	ft_args_put(&a, &in, sizeof(in));
	return ft_call(d->t, FUSE_SETUPMAPPING, node, &a, NULL, 0, NULL);
}

static int remove_req(struct dax *d, uint32_t count,
		      const struct fuse_removemapping_one *one, size_t n)
{
	struct ft_args a = {0};
	struct fuse_removemapping_in in = {.count = count};

	ft_args_put(&a, &in, sizeof(in));
	ft_args_put(&a, one, n * sizeof(*one));
	return ft_call(d->t, FUSE_REMOVEMAPPING, d->node, &a, NULL, 0, NULL);
}

static void test_init_offers_map_alignment(void **state)
{
	struct dax *d = *state;
	struct ft *plain = ft_new(NULL);
	struct fuse_init_in in = {
		.major = 7, .minor = 36, .flags = FUSE_MAP_ALIGNMENT};
	struct fuse_init_out out;
	struct ft_args a = {0};

	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(
		ft_call(d->t, FUSE_INIT, 0, &a, &out, sizeof(out), NULL), 0);
	assert_true(out.flags & FUSE_MAP_ALIGNMENT);
	assert_int_equal(out.map_alignment, 12);
	/* No window: nothing offered. */
	assert_int_equal(
		ft_call(plain, FUSE_INIT, 0, &a, &out, sizeof(out), NULL), 0);
	assert_false(out.flags & FUSE_MAP_ALIGNMENT);
	assert_int_equal(out.map_alignment, 0);
	/* Without a window nothing can be mapped either. */
	assert_int_equal(ft_call(plain, FUSE_SETUPMAPPING, FUSE_ROOT_ID, NULL,
				 NULL, 0, NULL),
			 -EINVAL);
	ft_free(plain);
}

static void test_setup_maps_file_bytes(void **state)
{
	struct dax *d = *state;
	struct fuse_entry_out e;
	char perms[5];
	bool is_file;

	assert_window_empty(d);
	/* File bytes 2..4 MiB at window offset 4 MiB, read only. */
	assert_int_equal(setup_req(d, d->node, 2 * MiB, 2 * MiB,
				   FUSE_SETUPMAPPING_FLAG_READ, 4 * MiB),
			 0);
	for (uint64_t i = 0; i < 2 * MiB; i += 4093)
		assert_int_equal(d->win[4 * MiB + i], pattern(2 * MiB + i));
	perms_at(d->win + 4 * MiB, perms, &is_file);
	assert_string_equal(perms, "r--s");
	assert_true(is_file);
	/* The neighbours are untouched. */
	perms_at(d->win + 2 * MiB, perms, &is_file);
	assert_string_equal(perms, "---p");
	perms_at(d->win + 6 * MiB, perms, &is_file);
	assert_string_equal(perms, "---p");
	/* A small file maps too: its bytes, then zeros to the page end. */
	assert_int_equal(ft_lookup(d->t, FUSE_ROOT_ID, "small", &e), 0);
	assert_int_equal(setup_req(d, e.nodeid, 0, 2 * MiB,
				   FUSE_SETUPMAPPING_FLAG_READ, 0),
			 0);
	assert_memory_equal(d->win, "hello\0\0", 7);
}

static void test_write_flag_honoured(void **state)
{
	struct dax *d = *state;
	char path[600], perms[5], buf[4];
	bool is_file;
	int fd;

	assert_int_equal(setup_req(d, d->node, 0, 2 * MiB,
				   FUSE_SETUPMAPPING_FLAG_READ |
					   FUSE_SETUPMAPPING_FLAG_WRITE,
				   2 * MiB),
			 0);
	perms_at(d->win + 2 * MiB, perms, &is_file);
	assert_string_equal(perms, "rw-s");
	memcpy(d->win + 2 * MiB + 100, "DAX!", 4);
	assert_int_equal(msync(d->win + 2 * MiB, 2 * MiB, MS_SYNC), 0);
	snprintf(path, sizeof(path), "%s/f", d->t->share);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 4, 100), 4);
	close(fd);
	assert_memory_equal(buf, "DAX!", 4);
}

static void test_read_only_share_never_writable(void **state)
{
	struct dax *d = *state;
	char perms[5];
	bool is_file;

	assert_int_equal(setup_req(d, d->node, 0, 2 * MiB,
				   FUSE_SETUPMAPPING_FLAG_READ |
					   FUSE_SETUPMAPPING_FLAG_WRITE,
				   0),
			 -EROFS);
	assert_window_empty(d);
	assert_int_equal(setup_req(d, d->node, 0, 2 * MiB,
				   FUSE_SETUPMAPPING_FLAG_READ, 0),
			 0);
	perms_at(d->win, perms, &is_file);
	assert_string_equal(perms, "r--s");
	assert_int_equal(d->win[5], pattern(5));
}

static void test_bad_setup_refused(void **state)
{
	struct dax *d = *state;
	const uint64_t R = FUSE_SETUPMAPPING_FLAG_READ;
	const struct {
		uint64_t foffset, len, flags, moffset;
	} bad[] = {
		{0, 2 * MiB, R, 4096},	     /* moffset unaligned */
		{0, 2 * MiB, R, 1 * MiB},    /* moffset unaligned */
		{0, 4096, R, 0},	     /* len unaligned */
		{0, 3 * MiB, R, 0},	     /* len unaligned */
		{0, 0, R, 0},		     /* empty */
		{0, 2 * MiB, R, WINDOW},     /* starts at the end */
		{0, 4 * MiB, R, 6 * MiB},    /* runs past the end */
		{0, WINDOW + 2 * MiB, R, 0}, /* larger than the window */
		{0, 2 * MiB, R, UINT64_MAX - 2 * MiB + 1}, /* far outside */
		{0, UINT64_MAX - 2 * MiB + 1, R, 2 * MiB}, /* sum wraps */
		{1, 2 * MiB, R, 0},		    /* foffset unaligned */
		{INT64_MAX - 4095, 2 * MiB, R, 0},  /* foffset + len > max */
		{UINT64_MAX - 4095, 2 * MiB, R, 0}, /* foffset wraps */
		{0, 2 * MiB, R | (1u << 2), 0},	    /* unknown flag */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = setup_req(d, d->node, bad[i].foffset, bad[i].len,
				    bad[i].flags, bad[i].moffset);

		if (ret != -EINVAL)
			fail_msg("case %zu: %d, expected -EINVAL", i, ret);
		assert_window_empty(d);
	}
	/* Not a regular file, not an inode. */
	assert_int_equal(setup_req(d, d->dir, 0, 2 * MiB, R, 0), -EINVAL);
	assert_int_equal(setup_req(d, 4242, 0, 2 * MiB, R, 0), -ENOENT);
	/* A short argument block. */
	assert_int_equal(
		ft_call(d->t, FUSE_SETUPMAPPING, d->node, NULL, NULL, 0, NULL),
		-EINVAL);
	assert_window_empty(d);
}

static void test_removemapping(void **state)
{
	struct dax *d = *state;
	struct fuse_removemapping_one one[2] = {
		{.moffset = 0, .len = 2 * MiB},
		{.moffset = 4 * MiB, .len = 2 * MiB}};
	struct fuse_removemapping_one bad[2] = {
		{.moffset = 0, .len = 2 * MiB},
		{.moffset = 6 * MiB, .len = 4 * MiB}, /* past the end */
	};
	char perms[5];
	bool is_file;

	assert_int_equal(setup_req(d, d->node, 0, 2 * MiB,
				   FUSE_SETUPMAPPING_FLAG_READ, 0),
			 0);
	assert_int_equal(setup_req(d, d->node, 2 * MiB, 2 * MiB,
				   FUSE_SETUPMAPPING_FLAG_READ, 4 * MiB),
			 0);
	/* Malformed lists change nothing. */
	assert_int_equal(remove_req(d, 0, one, 0), -EINVAL);
	assert_int_equal(remove_req(d, 2, one, 1), -EINVAL);
	assert_int_equal(remove_req(d, UINT32_MAX, one, 2), -EINVAL);
	assert_int_equal(remove_req(d, 2, bad, 2), -EINVAL);
	bad[1] = (struct fuse_removemapping_one){.moffset = 4096,
						 .len = 2 * MiB};
	assert_int_equal(remove_req(d, 2, bad, 2), -EINVAL);
	perms_at(d->win, perms, &is_file);
	assert_string_equal(perms, "r--s");
	assert_int_equal(d->win[0], pattern(0));
	perms_at(d->win + 4 * MiB, perms, &is_file);
	assert_string_equal(perms, "r--s");
	/* Both go. */
	assert_int_equal(remove_req(d, 2, one, 2), 0);
	assert_window_empty(d);
}

static void test_enable_checks_size(void **state)
{
	struct ft *t = ft_new(NULL);
	struct krun_err *err = NULL;
	void *host = NULL;

	assert_int_equal(fuse_server_enable_dax(t->srv, 0, &host, &err),
			 -EINVAL);
	krun_err_free(&err);
	assert_int_equal(fuse_server_enable_dax(t->srv, MiB, &host, &err),
			 -EINVAL);
	krun_err_free(&err);
	assert_int_equal(fuse_server_enable_dax(t->srv, (1ull << 40) + 2 * MiB,
						&host, &err),
			 -EINVAL);
	krun_err_free(&err);
	assert_null(host);
	assert_int_equal(fuse_server_enable_dax(t->srv, 2 * MiB, &host, &err),
			 0);
	assert_non_null(host);
	assert_int_equal(fuse_server_enable_dax(t->srv, 2 * MiB, &host, &err),
			 -EEXIST);
	krun_err_free(&err);
	ft_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_offers_map_alignment,
						rw_setup, dax_teardown),
		cmocka_unit_test_setup_teardown(test_setup_maps_file_bytes,
						rw_setup, dax_teardown),
		cmocka_unit_test_setup_teardown(test_write_flag_honoured,
						rw_setup, dax_teardown),
		cmocka_unit_test_setup_teardown(
			test_read_only_share_never_writable, ro_setup,
			dax_teardown),
		cmocka_unit_test_setup_teardown(test_bad_setup_refused,
						rw_setup, dax_teardown),
		cmocka_unit_test_setup_teardown(test_removemapping, rw_setup,
						dax_teardown),
		cmocka_unit_test(test_enable_checks_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
