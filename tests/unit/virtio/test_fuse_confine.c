// SPDX-License-Identifier: Apache-2.0
/*
 * Escape attempts at the protocol level: nothing outside share/ may be
 * read, written, created or linked, whatever names, symlinks, renames or
 * host-side swaps the guest (or a race) produces.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/virtio/fuse_test_util.h"

/* Every test runs twice: with openat2() and with the openat() fallback. */
static bool use_fallback;

static int setup(void **state)
{
	struct fuse_server_opts o = {.no_openat2 = use_fallback};

	*state = ft_new(&o);
	return 0;
}

static int setup_ro(void **state)
{
	struct fuse_server_opts o = {.read_only = true,
				     .no_openat2 = use_fallback};

	*state = ft_new(&o);
	return 0;
}

static int teardown(void **state)
{
	ft_free(*state);
	return 0;
}

static void host_symlink(struct ft *t, const char *target, const char *rel)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", t->base, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void test_dotdot_at_root_stays(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;

	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "..", &e), 0);
	assert_int_equal(e.nodeid, FUSE_ROOT_ID);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, ".", &e), 0);
	assert_int_equal(e.nodeid, FUSE_ROOT_ID);
}

static void test_dotdot_below_root(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out a, up;
	char from[600], to[600];

	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "a", 0755, &a), 0);
	assert_int_equal(ft_lookup(t, a.nodeid, "..", &up), 0);
	assert_int_equal(up.nodeid, FUSE_ROOT_ID);
	/* The host moves a/ out of the share: its ".." is now outside and
	 * must not be handed out. */
	snprintf(from, sizeof(from), "%s/a", t->share);
	snprintf(to, sizeof(to), "%s/a", t->outside);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(ft_lookup(t, a.nodeid, "..", &up), -EACCES);
}

static void test_names_with_slash(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	uint64_t fh;

	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "../outside", &e), -EINVAL);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "/etc", &e), -EINVAL);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "../outside/secret", &e),
			 -EINVAL);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "", &e), -EINVAL);
	assert_int_equal(ft_create(t, FUSE_ROOT_ID, "../outside/new", O_RDWR,
				   0600, NULL, &fh),
			 -EINVAL);
	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "../outside/d", 0755, NULL),
			 -EINVAL);
	assert_int_equal(ft_symlink(t, FUSE_ROOT_ID, "../outside/s", "x", NULL),
			 -EINVAL);
	assert_int_equal(ft_unlink(t, FUSE_ROOT_ID, "../outside/secret"),
			 -EINVAL);
	assert_int_equal(ft_unlink(t, FUSE_ROOT_ID, ".."), -EINVAL);
	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "..", 0755, NULL), -EINVAL);
	assert_true(ft_host_exists(t, "outside/secret"));
	assert_false(ft_host_exists(t, "outside/new"));
	assert_false(ft_host_exists(t, "outside/d"));
}

/* A symlink pointing outside (absolute or relative) is an inode of its
 * own: LOOKUP returns the link, OPEN refuses it, nothing follows it. */
static void check_link_not_followed(struct ft *t, const char *name)
{
	struct fuse_entry_out e, child;
	struct fuse_attr attr;
	uint64_t fh;

	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, name, &e), 0);
	assert_true(S_ISLNK(e.attr.mode));
	assert_int_equal(ft_open(t, e.nodeid, O_RDONLY, &fh), -EACCES);
	assert_int_equal(ft_opendir(t, e.nodeid, &fh), -ENOTDIR);
	assert_int_equal(ft_lookup(t, e.nodeid, "secret", &child), -ENOTDIR);
	assert_int_equal(ft_create(t, e.nodeid, "new", O_RDWR, 0600, NULL, &fh),
			 -ENOTDIR);
	assert_int_equal(ft_getattr(t, e.nodeid, &attr), 0);
	assert_true(S_ISLNK(attr.mode));
}

static void test_symlinks_out_not_followed(void **state)
{
	struct ft *t = *state;
	char abs_secret[600];

	snprintf(abs_secret, sizeof(abs_secret), "%s/secret", t->outside);
	host_symlink(t, abs_secret, "share/abs");
	host_symlink(t, "../outside/secret", "share/rel");
	host_symlink(t, t->outside, "share/absdir");
	host_symlink(t, "../outside", "share/reldir");
	host_symlink(t, "/proc/self/root", "share/procroot");
	host_symlink(t, "/proc/self/fd/3", "share/procfd");
	check_link_not_followed(t, "abs");
	check_link_not_followed(t, "rel");
	check_link_not_followed(t, "absdir");
	check_link_not_followed(t, "reldir");
	check_link_not_followed(t, "procroot");
	check_link_not_followed(t, "procfd");
	assert_false(ft_host_exists(t, "outside/new"));
}

static void test_create_over_symlink(void **state)
{
	struct ft *t = *state;
	uint64_t fh;

	/* Dangling links to outside names: creating through them must not
	 * create the target. */
	host_symlink(t, "../outside/created", "share/dangling");
	assert_int_not_equal(
		ft_create(t, FUSE_ROOT_ID, "dangling", O_RDWR, 0600, NULL, &fh),
		0);
	assert_false(ft_host_exists(t, "outside/created"));
	/* A link to an existing outside file: not opened, not truncated. */
	host_symlink(t, "../outside/secret", "share/tosecret");
	assert_int_not_equal(ft_create(t, FUSE_ROOT_ID, "tosecret",
				       O_RDWR | O_TRUNC, 0600, NULL, &fh),
			     0);
	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "dangling", 0755, NULL),
			 -EEXIST);
	{
		struct stat st;
		char p[600];

		snprintf(p, sizeof(p), "%s/secret", t->outside);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_size, 6);
	}
}

static void test_guest_symlink_target_not_resolved(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	uint64_t fh;

	/* The guest may store any target; the server never resolves it. */
	assert_int_equal(
		ft_symlink(t, FUSE_ROOT_ID, "esc", "../outside/secret", &e), 0);
	assert_int_equal(ft_open(t, e.nodeid, O_RDONLY, &fh), -EACCES);
	assert_int_equal(ft_symlink(t, FUSE_ROOT_ID, "esc2", "/", &e), 0);
	assert_int_equal(ft_lookup(t, e.nodeid, "etc", &e), -ENOTDIR);
}

static void test_dir_swapped_for_symlink(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out d, d2, f;
	char dir[600], moved[600];

	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "d", 0755, &d), 0);
	ft_host_write(t, "share/d/inside", "in");
	/* Between two lookups the host swaps d/ for a symlink to outside. */
	snprintf(dir, sizeof(dir), "%s/d", t->share);
	snprintf(moved, sizeof(moved), "%s/d.old", t->share);
	assert_int_equal(rename(dir, moved), 0);
	host_symlink(t, t->outside, "share/d");
	/* The old nodeid still names the real directory (now d.old). */
	assert_int_equal(ft_lookup(t, d.nodeid, "inside", &f), 0);
	assert_int_equal(ft_lookup(t, d.nodeid, "secret", &f), -ENOENT);
	/* A fresh lookup gets the symlink, which leads nowhere. */
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "d", &d2), 0);
	assert_true(S_ISLNK(d2.attr.mode));
	assert_int_equal(ft_lookup(t, d2.nodeid, "secret", &f), -ENOTDIR);
}

static void test_link_stays_inside(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct fuse_link_in in = {.oldnodeid = 0xdeadbeef};
	struct fuse_entry_out e, l;
	char p[600];
	struct stat st;

	/* Only known nodeids can be linked, and all of them are inside. */
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "stolen");
	assert_int_equal(
		ft_call(t, FUSE_LINK, FUSE_ROOT_ID, &a, &l, sizeof(l), NULL),
		-ENOENT);
	/* Linking a symlink to outside links the symlink, not its target. */
	host_symlink(t, "../outside/secret", "share/ln");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "ln", &e), 0);
	in.oldnodeid = e.nodeid;
	a.len = 0;
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "ln2");
	assert_int_equal(
		ft_call(t, FUSE_LINK, FUSE_ROOT_ID, &a, &l, sizeof(l), NULL),
		0);
	snprintf(p, sizeof(p), "%s/ln2", t->share);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* Directories cannot be hard-linked. */
	in.oldnodeid = FUSE_ROOT_ID;
	a.len = 0;
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "rootlink");
	assert_int_equal(
		ft_call(t, FUSE_LINK, FUSE_ROOT_ID, &a, &l, sizeof(l), NULL),
		-EPERM);
}

static void test_rename_under_open_handle(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out a, sub, f;
	struct ft_args args = {0};
	struct fuse_rename_in rin = {.newdir = FUSE_ROOT_ID};
	struct fuse_read_in rd = {.size = 4096};
	static uint8_t buf[4096];
	uint64_t dfh, fh;
	size_t n;

	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "a", 0755, &a), 0);
	assert_int_equal(ft_mkdir(t, a.nodeid, "sub", 0755, &sub), 0);
	assert_int_equal(ft_create(t, sub.nodeid, "f", O_RDWR, 0600, &f, &fh),
			 0);
	assert_int_equal(ft_opendir(t, sub.nodeid, &dfh), 0);
	ft_args_put(&args, &rin, sizeof(rin));
	ft_args_str(&args, "a");
	ft_args_str(&args, "z");
	assert_int_equal(
		ft_call(t, FUSE_RENAME, FUSE_ROOT_ID, &args, NULL, 0, NULL), 0);
	/* Handles and nodeids follow the objects, which are still inside. */
	assert_int_equal(ft_write(t, f.nodeid, fh, 0, "moved", 5), 5);
	assert_true(ft_host_exists(t, "share/z/sub/f"));
	rd.fh = dfh;
	args.len = 0;
	ft_args_put(&args, &rd, sizeof(rd));
	assert_int_equal(ft_call(t, FUSE_READDIR, sub.nodeid, &args, buf,
				 sizeof(buf), &n),
			 0);
	assert_non_null(memmem(buf, n, "f", 1));
	assert_int_equal(ft_lookup(t, sub.nodeid, "..", &a), 0);
	ft_release(t, f.nodeid, fh);
}

static void test_bogus_ids(void **state)
{
	struct ft *t = *state;
	char buf[16];
	uint64_t dfh;

	assert_int_equal(ft_getattr(t, 0, NULL), -ENOENT);
	assert_int_equal(ft_getattr(t, UINT64_MAX, NULL), -ENOENT);
	assert_int_equal(ft_read(t, FUSE_ROOT_ID, 0, 0, buf, sizeof(buf)),
			 -EBADF);
	assert_int_equal(
		ft_read(t, FUSE_ROOT_ID, UINT64_MAX, 0, buf, sizeof(buf)),
		-EBADF);
	/* A directory handle is not a file handle. */
	assert_int_equal(ft_opendir(t, FUSE_ROOT_ID, &dfh), 0);
	assert_int_equal(ft_read(t, FUSE_ROOT_ID, dfh, 0, buf, sizeof(buf)),
			 -EBADF);
	assert_int_equal(ft_write(t, FUSE_ROOT_ID, dfh, 0, "x", 1), -EBADF);
	assert_int_equal(ft_release(t, FUSE_ROOT_ID, dfh), -EBADF);
}

/* The host opens that happened on a watched inode (IN_OPEN events). */
static int opens_seen(int ifd)
{
	char buf[4096];
	int n = 0;
	ssize_t len;

	while ((len = read(ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			n += !!(ev->mask & IN_OPEN);
			p += sizeof(*ev) + ev->len;
		}
	}
	return n;
}

/* A FIFO (like a device node) in the share is never opened by the
 * server: not by a CREATE without O_EXCL that finds it, not by an OPEN
 * or a truncating SETATTR of its node. Opening it would act on the host (block,
 * or reach a host device). */
static void test_special_files_never_opened(void **state)
{
	struct ft *t = *state;
	struct fuse_setattr_in sa = {.valid = FATTR_SIZE};
	struct fuse_entry_out e;
	struct ft_args a = {0};
	char path[400];
	uint64_t fh;
	int ifd;

	snprintf(path, sizeof(path), "%s/fifo", t->share);
	assert_int_equal(mkfifo(path, 0666), 0);
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(ifd >= 0);
	assert_true(inotify_add_watch(ifd, path, IN_OPEN) >= 0);
	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "fifo", O_RDWR, 0644, NULL, &fh),
		-EEXIST);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "fifo", &e), 0);
	assert_int_equal(ft_open(t, e.nodeid, O_RDWR, &fh), -EACCES);
	/* A truncate would open it for writing (and block on a FIFO). */
	ft_args_put(&a, &sa, sizeof(sa));
	assert_int_equal(ft_call(t, FUSE_SETATTR, e.nodeid, &a, NULL, 0, NULL),
			 -EINVAL);
	assert_int_equal(opens_seen(ifd), 0);
	close(ifd);
}

static void test_read_only_share(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct ft_args a = {0};
	struct fuse_setattr_in sa = {.valid = FATTR_SIZE};
	struct {
		uint32_t size, flags;
	} sx = {.size = 1};
	struct fuse_mknod_in mk = {.mode = S_IFIFO | 0600};
	char buf[16];
	uint64_t fh;

	ft_host_write(t, "share/ro", "data");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "ro", &e), 0);
	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "n", O_RDWR, 0600, NULL, &fh),
		-EROFS);
	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "n", 0755, NULL), -EROFS);
	assert_int_equal(ft_symlink(t, FUSE_ROOT_ID, "n", "x", NULL), -EROFS);
	assert_int_equal(ft_unlink(t, FUSE_ROOT_ID, "ro"), -EROFS);
	ft_args_put(&a, &sa, sizeof(sa));
	assert_int_equal(ft_call(t, FUSE_SETATTR, e.nodeid, &a, NULL, 0, NULL),
			 -EROFS);
	a.len = 0;
	ft_args_put(&a, &mk, sizeof(mk));
	ft_args_str(&a, "fifo");
	assert_int_equal(
		ft_call(t, FUSE_MKNOD, FUSE_ROOT_ID, &a, NULL, 0, NULL),
		-EROFS);
	a.len = 0;
	ft_args_put(&a, &sx, sizeof(sx));
	ft_args_str(&a, "user.x");
	ft_args_put(&a, "v", 1);
	assert_int_equal(ft_call(t, FUSE_SETXATTR, e.nodeid, &a, NULL, 0, NULL),
			 -EROFS);
	assert_int_equal(ft_open(t, e.nodeid, O_RDWR, &fh), -EROFS);
	assert_int_equal(ft_open(t, e.nodeid, O_WRONLY, &fh), -EROFS);
	assert_int_equal(ft_open(t, e.nodeid, O_RDONLY | O_TRUNC, &fh), -EROFS);
	assert_int_equal(ft_open(t, e.nodeid, O_RDONLY, &fh), 0);
	assert_int_equal(ft_read(t, e.nodeid, fh, 0, buf, sizeof(buf)), 4);
	assert_int_equal(ft_write(t, e.nodeid, fh, 0, "x", 1), -EROFS);
	assert_true(ft_host_exists(t, "share/ro"));
	assert_false(ft_host_exists(t, "share/n"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dotdot_at_root_stays),
		T(test_dotdot_below_root),
		T(test_names_with_slash),
		T(test_symlinks_out_not_followed),
		T(test_create_over_symlink),
		T(test_guest_symlink_target_not_resolved),
		T(test_dir_swapped_for_symlink),
		T(test_link_stays_inside),
		T(test_rename_under_open_handle),
		T(test_bogus_ids),
		T(test_special_files_never_opened),
		cmocka_unit_test_setup_teardown(test_read_only_share, setup_ro,
						teardown),
	};

	int failed = cmocka_run_group_tests_name("openat2", tests, NULL, NULL);

	use_fallback = true;
	return failed + cmocka_run_group_tests_name("openat fallback", tests,
						    NULL, NULL);
}
