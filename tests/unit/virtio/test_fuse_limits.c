// SPDX-License-Identifier: Apache-2.0
/*
 * What a guest may make the FUSE server do to the host: set-ID bits on the
 * files it creates (the share's policy), the host fds it makes the server
 * hold (the fd budget), and directory handles used under another inode.
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_skip.h"
#include "tests/unit/virtio/fuse_test_util.h"

static mode_t host_mode(struct ft *t, const char *rel)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", t->share, rel);
	assert_int_equal(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

static int mknod_req(struct ft *t, const char *name, uint32_t mode)
{
	struct ft_args a = {0};
	struct fuse_mknod_in in = {.mode = mode};
	struct fuse_entry_out e;

	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, name);
	return ft_call(t, FUSE_MKNOD, FUSE_ROOT_ID, &a, &e, sizeof(e), NULL);
}

static int mkdir_req(struct ft *t, const char *name, uint32_t mode)
{
	struct fuse_entry_out e;

	return ft_mkdir(t, FUSE_ROOT_ID, name, mode, &e);
}

static int chmod_req(struct ft *t, uint64_t nodeid, uint32_t mode)
{
	struct ft_args a = {0};
	struct fuse_setattr_in in = {.valid = FATTR_MODE, .mode = mode};
	struct fuse_attr_out out;

	ft_args_put(&a, &in, sizeof(in));
	return ft_call(t, FUSE_SETATTR, nodeid, &a, &out, sizeof(out), NULL);
}

/* Every way the guest sets a mode, under one policy; returns the t. */
static struct ft *make_setid_files(bool allow)
{
	struct fuse_server_opts opts = {.allow_setid = allow};
	struct ft *t = ft_new(&opts);
	struct fuse_entry_out e;
	uint64_t fh;

	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "created", O_RDWR, 06755, &e, &fh),
		0);
	assert_int_equal(ft_release(t, e.nodeid, fh), 0);
	assert_int_equal(mknod_req(t, "mknoded", S_IFREG | 06755), 0);
	assert_int_equal(mkdir_req(t, "dir", 06755), 0);
	ft_host_write(t, "share/chmodded", "x");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "chmodded", &e), 0);
	assert_int_equal(chmod_req(t, e.nodeid, 06755), 0);
	return t;
}

static void test_setid_cleared_by_default(void **state)
{
	struct ft *t = make_setid_files(false);

	assert_int_equal(host_mode(t, "created"), 0755);
	assert_int_equal(host_mode(t, "mknoded"), 0755);
	assert_int_equal(host_mode(t, "chmodded"), 0755);
	/* A directory keeps set-group-ID (group inheritance only). */
	assert_int_equal(host_mode(t, "dir"), 02755);
	ft_free(t);
}

static void test_setid_kept_when_allowed(void **state)
{
	struct ft *t = make_setid_files(true);

	assert_int_equal(host_mode(t, "created"), 06755);
	assert_int_equal(host_mode(t, "mknoded"), 06755);
	assert_int_equal(host_mode(t, "chmodded"), 06755);
	assert_int_equal(host_mode(t, "dir"), 06755);
	ft_free(t);
}

static int readdir_req(struct ft *t, uint32_t op, uint64_t nodeid, uint64_t fh)
{
	static uint8_t buf[8192];
	struct ft_args a = {0};
	struct fuse_read_in in = {.fh = fh, .size = sizeof(buf)};

	ft_args_put(&a, &in, sizeof(in));
	return ft_call(t, op, nodeid, &a, buf, sizeof(buf), NULL);
}

static void test_dir_handle_of_other_inode(void **state)
{
	struct ft *t = ft_new(NULL);
	struct fuse_entry_out a, b;
	uint64_t fh;

	assert_int_equal(mkdir_req(t, "a", 0755), 0);
	assert_int_equal(mkdir_req(t, "b", 0755), 0);
	ft_host_write(t, "share/a/only-in-a", "");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "a", &a), 0);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "b", &b), 0);
	assert_int_equal(ft_opendir(t, a.nodeid, &fh), 0);
	assert_int_equal(readdir_req(t, FUSE_READDIRPLUS, a.nodeid, fh), 0);
	/* a's entries would be looked up under b. */
	assert_int_equal(readdir_req(t, FUSE_READDIRPLUS, b.nodeid, fh),
			 -EBADF);
	assert_int_equal(readdir_req(t, FUSE_READDIR, b.nodeid, fh), -EBADF);
	ft_free(t);
}

#define BUDGET 8

/* Inodes, handles and lock owners all draw on one budget per server. */
static void test_fd_budget(void **state)
{
	struct fuse_server_opts opts = {.max_fds = BUDGET};
	struct ft *t = ft_new(&opts);
	struct fuse_entry_out e[BUDGET + 4];
	char name[32];
	uint64_t fh, fh2;
	int n, ret;

	for (int i = 0; i < BUDGET + 4; i++) {
		snprintf(name, sizeof(name), "share/f%d", i);
		ft_host_write(t, name, "x");
	}
	for (n = 0; n < BUDGET + 4; n++) {
		snprintf(name, sizeof(name), "f%d", n);
		ret = ft_lookup(t, FUSE_ROOT_ID, name, &e[n]);
		if (ret < 0)
			break;
	}
	assert_int_equal(n, BUDGET);
	assert_int_equal(ret, -EMFILE);
	/* A repeated lookup of a known inode costs nothing. */
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "f0", &e[0]), 0);
	assert_int_equal(ft_forget(t, e[0].nodeid, 2), 0);
	assert_int_equal(ft_forget(t, e[1].nodeid, 1), 0);
	/* Two freed: one inode and one handle fit, a second handle not. */
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "f8", &e[8]), 0);
	assert_int_equal(ft_open(t, e[2].nodeid, O_RDONLY, &fh), 0);
	assert_int_equal(ft_open(t, e[3].nodeid, O_RDONLY, &fh2), -EMFILE);
	assert_int_equal(ft_opendir(t, FUSE_ROOT_ID, &fh2), -EMFILE);
	assert_int_equal(ft_release(t, e[2].nodeid, fh), 0);
	assert_int_equal(ft_open(t, e[3].nodeid, O_RDONLY, &fh2), 0);
	assert_int_equal(ft_release(t, e[3].nodeid, fh2), 0);
	/* The server still answers everything else. */
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "f2", &e[2]), 0);
	ft_free(t);
}

#define NOBODY 65534

static int chown_req(struct ft *t, uint64_t nodeid, uint32_t uid, uint32_t gid)
{
	struct ft_args a = {0};
	struct fuse_setattr_in in = {
		.valid = FATTR_UID | FATTR_GID, .uid = uid, .gid = gid};
	struct fuse_attr_out out;

	ft_args_put(&a, &in, sizeof(in));
	return ft_call(t, FUSE_SETATTR, nodeid, &a, &out, sizeof(out), NULL);
}

/* The checks of test_unprivileged_ids, run as uid/gid NOBODY: 0 when all
 * held, else the number of the first that failed. */
static int unprivileged_checks(struct ft *t)
{
	struct fuse_init_in init = {.major = 7, .minor = 36};
	struct fuse_init_out init_out;
	struct fuse_entry_out e;
	struct fuse_attr attr;
	struct ft_args a = {0};
	struct krun_err *err = NULL;
	struct fuse_server_opts opts = {0};
	uint64_t fh;

	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return 1;
	t->srv = fuse_server_create(t->share, &opts, &err);
	if (!t->srv)
		return 2;
	ft_args_put(&a, &init, sizeof(init));
	if (ft_call(t, FUSE_INIT, 0, &a, &init_out, sizeof(init_out), NULL) < 0)
		return 3;
	/* Its own files are the guest's root's... */
	if (ft_getattr(t, FUSE_ROOT_ID, &attr) < 0 || attr.uid != 0 ||
	    attr.gid != 0)
		return 4;
	if (ft_create(t, FUSE_ROOT_ID, "mine", O_RDWR, 0644, &e, &fh) < 0 ||
	    e.attr.uid != 0 || e.attr.gid != 0)
		return 5;
	/* ...other host users' files belong to the overflow id. */
	if (ft_lookup(t, FUSE_ROOT_ID, "roots", &e) < 0 ||
	    e.attr.uid != NOBODY || e.attr.gid != NOBODY)
		return 6;
	if (ft_lookup(t, FUSE_ROOT_ID, "mine", &e) < 0)
		return 7;
	/* chown to the guest's root is a no-op; to any other id, EINVAL. */
	if (chown_req(t, e.nodeid, 0, 0) != 0)
		return 8;
	if (chown_req(t, e.nodeid, 1000, 0) != -EINVAL ||
	    chown_req(t, e.nodeid, 0, 1000) != -EINVAL)
		return 9;
	return 0;
}

/* Not root: the server's own uid/gid are the guest's 0/0. */
static void test_unprivileged_ids(void **state)
{
	struct ft *t = ft_new(NULL);
	int status;
	pid_t pid;

	SKIP_UNLESS_ROOT("switching to another uid needs CAP_SETUID");
	ft_host_write(t, "share/roots", "x");
	assert_int_equal(chown(t->base, NOBODY, NOBODY), 0);
	assert_int_equal(chown(t->share, NOBODY, NOBODY), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(unprivileged_checks(t));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ft_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setid_cleared_by_default),
		cmocka_unit_test(test_setid_kept_when_allowed),
		cmocka_unit_test(test_dir_handle_of_other_inode),
		cmocka_unit_test(test_fd_budget),
		cmocka_unit_test(test_unprivileged_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
