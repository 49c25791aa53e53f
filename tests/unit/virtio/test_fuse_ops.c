// SPDX-License-Identifier: Apache-2.0
/* Happy paths of each FUSE opcode against a temporary directory. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_skip.h"
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

static void host_path(struct ft *t, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->share, rel);
}

static void test_init_negotiation(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct fuse_init_in in = {.major = 7,
				  .minor = 36,
				  .flags = FUSE_WRITEBACK_CACHE |
					   FUSE_POSIX_LOCKS |
					   FUSE_EXPORT_SUPPORT};
	struct fuse_init_out out;

	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), NULL),
			 0);
	assert_int_equal(out.major, 7);
	assert_int_equal(out.minor, 36);
	/* Only what both sides know and the server implements. */
	assert_int_equal(out.flags, FUSE_POSIX_LOCKS);
	assert_true(out.max_write >= 4096);

	/* The pre-7.36 16-byte form is accepted too. */
	a.len = 0;
	in.minor = 31;
	ft_args_put(&a, &in, 16);
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), NULL),
			 0);
	assert_int_equal(out.minor, 31);
}

static void test_requests_before_init(void **state)
{
	struct ft *t = *state;
	struct fuse_server_opts o = {0};
	struct fuse_server *fresh = fuse_server_create(t->share, &o, NULL);
	struct fuse_server *saved = t->srv;

	assert_non_null(fresh);
	t->srv = fresh;
	assert_int_equal(ft_getattr(t, FUSE_ROOT_ID, NULL), -EIO);
	t->srv = saved;
	fuse_server_destroy(fresh);
}

static void test_lookup_getattr_forget(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e1, e2, e3;
	char p1[600], p2[600];

	ft_host_write(t, "share/file", "12345");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "file", &e1), 0);
	assert_true(S_ISREG(e1.attr.mode));
	assert_int_equal(e1.attr.size, 5);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "file", &e2), 0);
	assert_int_equal(e1.nodeid, e2.nodeid);
	/* A hard link is the same inode, so the same nodeid. */
	host_path(t, "file", p1, sizeof(p1));
	host_path(t, "hard", p2, sizeof(p2));
	assert_int_equal(link(p1, p2), 0);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "hard", &e3), 0);
	assert_int_equal(e3.nodeid, e1.nodeid);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "missing", &e3), -ENOENT);
	/* Three lookups: the inode lives until all three are forgotten. */
	ft_forget(t, e1.nodeid, 2);
	assert_int_equal(ft_getattr(t, e1.nodeid, NULL), 0);
	ft_forget(t, e1.nodeid, 1);
	assert_int_equal(ft_getattr(t, e1.nodeid, NULL), -ENOENT);
	/* Forgetting the root is ignored. */
	ft_forget(t, FUSE_ROOT_ID, 100);
	assert_int_equal(ft_getattr(t, FUSE_ROOT_ID, NULL), 0);
}

static void test_batch_forget(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct ft_args a = {0};
	struct fuse_batch_forget_in in = {.count = 1};
	struct fuse_forget_one one;
	size_t n = 1;

	ft_host_write(t, "share/f", "");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "f", &e), 0);
	one = (struct fuse_forget_one){.nodeid = e.nodeid, .nlookup = 1};
	ft_args_put(&a, &in, sizeof(in));
	ft_args_put(&a, &one, sizeof(one));
	assert_int_equal(ft_call(t, FUSE_BATCH_FORGET, 0, &a, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ft_getattr(t, e.nodeid, NULL), -ENOENT);
}

static void test_create_write_read(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	uint64_t fh, fh2;
	char buf[64] = {0}, path[600];
	struct stat st;

	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "new", O_RDWR, 0640, &e, &fh), 0);
	assert_int_equal(ft_write(t, e.nodeid, fh, 0, "hello world", 11), 11);
	assert_int_equal(ft_read(t, e.nodeid, fh, 6, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(ft_release(t, e.nodeid, fh), 0);
	assert_int_equal(ft_release(t, e.nodeid, fh), -EBADF);
	host_path(t, "new", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 11);
	/* Exactly the requested mode: the host umask does not apply. */
	assert_int_equal(st.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		assert_int_equal(st.st_uid, 1234);
		assert_int_equal(st.st_gid, 4321);
	}
	/* Exclusive create of an existing name fails. */
	assert_int_equal(ft_create(t, FUSE_ROOT_ID, "new", O_RDWR | O_EXCL,
				   0600, NULL, NULL),
			 -EEXIST);
	/* Re-open read-only and read. */
	assert_int_equal(ft_open(t, e.nodeid, O_RDONLY, &fh2), 0);
	assert_int_equal(ft_read(t, e.nodeid, fh2, 0, buf, 5), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ft_write(t, e.nodeid, fh2, 0, "x", 1), -EBADF);
	assert_int_equal(ft_release(t, e.nodeid, fh2), 0);
	SKIP_UNLESS_ROOT(
		"the owner check (uid 1234, gid 4321) needs CAP_CHOWN");
}

static void test_open_trunc(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct fuse_attr attr;
	uint64_t fh;

	ft_host_write(t, "share/t", "content");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "t", &e), 0);
	assert_int_equal(ft_open(t, e.nodeid, O_WRONLY | O_TRUNC, &fh), 0);
	assert_int_equal(ft_getattr(t, e.nodeid, &attr), 0);
	assert_int_equal(attr.size, 0);
	assert_int_equal(ft_release(t, e.nodeid, fh), 0);
}

static void test_mkdir_rmdir_unlink(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out d, f;
	struct ft_args a = {0};
	uint64_t fh;

	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "dir", 0750, &d), 0);
	assert_true(S_ISDIR(d.attr.mode));
	assert_int_equal(d.attr.mode & 07777, 0750 & ~022);
	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "dir", 0750, NULL), -EEXIST);
	assert_int_equal(ft_create(t, d.nodeid, "f", O_RDWR, 0600, &f, &fh), 0);
	ft_release(t, f.nodeid, fh);
	ft_args_str(&a, "dir");
	assert_int_equal(
		ft_call(t, FUSE_RMDIR, FUSE_ROOT_ID, &a, NULL, 0, NULL),
		-ENOTEMPTY);
	assert_int_equal(ft_unlink(t, d.nodeid, "f"), 0);
	assert_int_equal(ft_unlink(t, d.nodeid, "f"), -ENOENT);
	assert_int_equal(
		ft_call(t, FUSE_RMDIR, FUSE_ROOT_ID, &a, NULL, 0, NULL), 0);
	assert_false(ft_host_exists(t, "share/dir"));
}

static void test_setgid_dir_inheritance(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out sg, sub;
	char p[600];

	SKIP_UNLESS_ROOT(
		"chowning the parent to another group needs CAP_CHOWN");
	snprintf(p, sizeof(p), "%s/sg", t->share);
	assert_int_equal(mkdir(p, 0775), 0);
	assert_int_equal(chown(p, 0, 555), 0);
	assert_int_equal(chmod(p, 02775), 0);
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "sg", &sg), 0);
	assert_int_equal(ft_mkdir(t, sg.nodeid, "sub", 0755, &sub), 0);
	/* The group and the set-group-ID bit come from the parent. */
	assert_int_equal(sub.attr.mode & 07777, 02755);
	assert_int_equal(sub.attr.gid, 555);
	assert_int_equal(sub.attr.uid, 1234);
}

static int rename2(struct ft *t, uint64_t olddir, const char *from,
		   uint64_t newdir, const char *to, uint32_t flags)
{
	struct ft_args a = {0};
	struct fuse_rename2_in in = {.newdir = newdir, .flags = flags};

	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, from);
	ft_args_str(&a, to);
	return ft_call(t, FUSE_RENAME2, olddir, &a, NULL, 0, NULL);
}

static void test_rename(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct fuse_rename_in in = {.newdir = FUSE_ROOT_ID};
	struct fuse_entry_out d;

	ft_host_write(t, "share/a", "A");
	ft_host_write(t, "share/b", "B");
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "a");
	ft_args_str(&a, "c");
	assert_int_equal(
		ft_call(t, FUSE_RENAME, FUSE_ROOT_ID, &a, NULL, 0, NULL), 0);
	assert_true(ft_host_exists(t, "share/c"));
	assert_false(ft_host_exists(t, "share/a"));
	assert_int_equal(rename2(t, FUSE_ROOT_ID, "c", FUSE_ROOT_ID, "b",
				 1 /* NOREPLACE */),
			 -EEXIST);
	assert_int_equal(rename2(t, FUSE_ROOT_ID, "c", FUSE_ROOT_ID, "b",
				 4 /* WHITEOUT */),
			 -EINVAL);
	assert_int_equal(
		rename2(t, FUSE_ROOT_ID, "c", FUSE_ROOT_ID, "b", 1u << 20),
		-EINVAL);
	assert_int_equal(rename2(t, FUSE_ROOT_ID, "c", FUSE_ROOT_ID, "b",
				 2 /* EXCHANGE */),
			 0);
	assert_int_equal(ft_mkdir(t, FUSE_ROOT_ID, "d", 0755, &d), 0);
	assert_int_equal(rename2(t, FUSE_ROOT_ID, "b", d.nodeid, "moved", 0),
			 0);
	assert_true(ft_host_exists(t, "share/d/moved"));
}

static void test_symlink_readlink(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	char buf[256];
	size_t n;

	assert_int_equal(ft_symlink(t, FUSE_ROOT_ID, "sl", "some/target", &e),
			 0);
	assert_true(S_ISLNK(e.attr.mode));
	assert_int_equal(
		ft_call(t, FUSE_READLINK, e.nodeid, NULL, buf, sizeof(buf), &n),
		0);
	assert_int_equal(n, strlen("some/target"));
	assert_memory_equal(buf, "some/target", n);
	assert_int_equal(ft_call(t, FUSE_READLINK, FUSE_ROOT_ID, NULL, buf,
				 sizeof(buf), &n),
			 -EINVAL);
}

static void test_link(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e, l;
	struct ft_args a = {0};
	struct fuse_link_in in;

	ft_host_write(t, "share/orig", "x");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "orig", &e), 0);
	in.oldnodeid = e.nodeid;
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "alias");
	assert_int_equal(
		ft_call(t, FUSE_LINK, FUSE_ROOT_ID, &a, &l, sizeof(l), NULL),
		0);
	assert_int_equal(l.nodeid, e.nodeid);
	assert_int_equal(l.attr.nlink, 2);
	assert_true(ft_host_exists(t, "share/alias"));
}

/* Collect the names of a READDIR(PLUS) reply into a "|"-joined string. */
static void parse_dir(const uint8_t *buf, size_t n, bool plus, char *names,
		      size_t cap, uint64_t *last_off, unsigned int *nodeids)
{
	size_t pos = 0;

	names[0] = 0;
	*nodeids = 0;
	while (pos < n) {
		struct fuse_entry_out e = {0};
		struct fuse_dirent d;

		if (plus) {
			memcpy(&e, buf + pos, sizeof(e));
			pos += sizeof(e);
		}
		memcpy(&d, buf + pos, sizeof(d));
		strncat(names, (const char *)buf + pos + sizeof(d),
			d.namelen < cap - strlen(names) - 2 ? d.namelen : 0);
		strcat(names, "|");
		*last_off = d.off;
		if (e.nodeid)
			(*nodeids)++;
		pos += FUSE_DIRENT_ALIGN(sizeof(d) + d.namelen);
	}
}

static void test_readdir(void **state)
{
	struct ft *t = *state;
	static uint8_t buf[8192];
	struct ft_args a = {0};
	struct fuse_read_in in = {.size = sizeof(buf)};
	char names[512];
	uint64_t fh, off = 0;
	unsigned int nodeids;
	size_t n;

	ft_host_write(t, "share/one", "");
	ft_host_write(t, "share/two", "");
	assert_int_equal(ft_opendir(t, FUSE_ROOT_ID, &fh), 0);
	in.fh = fh;
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_READDIR, FUSE_ROOT_ID, &a, buf,
				 sizeof(buf), &n),
			 0);
	parse_dir(buf, n, false, names, sizeof(names), &off, &nodeids);
	assert_non_null(strstr(names, "one|"));
	assert_non_null(strstr(names, "two|"));
	assert_non_null(strstr(names, ".|"));
	/* From the last offset on there is nothing left. */
	in.offset = off;
	a.len = 0;
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_READDIR, FUSE_ROOT_ID, &a, buf,
				 sizeof(buf), &n),
			 0);
	assert_int_equal(n, 0);
	/* READDIRPLUS looks up every entry but "." and "..". */
	in.offset = 0;
	a.len = 0;
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_READDIRPLUS, FUSE_ROOT_ID, &a, buf,
				 sizeof(buf), &n),
			 0);
	parse_dir(buf, n, true, names, sizeof(names), &off, &nodeids);
	assert_non_null(strstr(names, "two|"));
	assert_int_equal(nodeids, 2);
	/* A file handle is not a directory handle. */
	assert_int_equal(
		ft_call(t, FUSE_RELEASE, FUSE_ROOT_ID, &a, NULL, 0, NULL),
		-EBADF);
	assert_int_equal(
		ft_call(t, FUSE_FSYNCDIR, FUSE_ROOT_ID, &a, NULL, 0, NULL), 0);
	assert_int_equal(
		ft_call(t, FUSE_RELEASEDIR, FUSE_ROOT_ID, &a, NULL, 0, NULL),
		0);
}

static void test_readdir_small_buffer(void **state)
{
	struct ft *t = *state;
	static uint8_t buf[256];
	struct ft_args a = {0};
	struct fuse_read_in in = {.size = 64};
	char names[4096] = {0}, part[512], name[32];
	uint64_t fh, off = 0;
	unsigned int nodeids, rounds = 0;
	size_t n;

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "share/entry%02d", i);
		ft_host_write(t, name, "");
	}
	assert_int_equal(ft_opendir(t, FUSE_ROOT_ID, &fh), 0);
	in.fh = fh;
	do {
		in.offset = off;
		a.len = 0;
		ft_args_put(&a, &in, sizeof(in));
		assert_int_equal(ft_call(t, FUSE_READDIR, FUSE_ROOT_ID, &a, buf,
					 sizeof(buf), &n),
				 0);
		assert_true(n <= 64);
		parse_dir(buf, n, false, part, sizeof(part), &off, &nodeids);
		strcat(names, part);
		rounds++;
	} while (n > 0 && rounds < 100);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "entry%02d|", i);
		assert_non_null(strstr(names, name));
	}
	ft_call(t, FUSE_RELEASEDIR, FUSE_ROOT_ID, &a, NULL, 0, NULL);
}

static int setattr(struct ft *t, uint64_t nodeid,
		   const struct fuse_setattr_in *in, struct fuse_attr *attr)
{
	struct ft_args a = {0};
	struct fuse_attr_out out;
	int ret;

	ft_args_put(&a, in, sizeof(*in));
	ret = ft_call(t, FUSE_SETATTR, nodeid, &a, &out, sizeof(out), NULL);
	if (ret == 0 && attr)
		*attr = out.attr;
	return ret;
}

static void test_setattr(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct fuse_attr attr;
	struct fuse_setattr_in in = {.valid = FATTR_MODE, .mode = 0604};
	struct timespec before;

	ft_host_write(t, "share/s", "0123456789");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "s", &e), 0);
	assert_int_equal(setattr(t, e.nodeid, &in, &attr), 0);
	assert_int_equal(attr.mode & 07777, 0604);
	in = (struct fuse_setattr_in){.valid = FATTR_SIZE, .size = 3};
	assert_int_equal(setattr(t, e.nodeid, &in, &attr), 0);
	assert_int_equal(attr.size, 3);
	in = (struct fuse_setattr_in){.valid = FATTR_ATIME | FATTR_MTIME,
				      .atime = 1000,
				      .atimensec = 5,
				      .mtime = 2000,
				      .mtimensec = 7};
	assert_int_equal(setattr(t, e.nodeid, &in, &attr), 0);
	assert_int_equal(attr.atime, 1000);
	assert_int_equal(attr.atimensec, 5);
	assert_int_equal(attr.mtime, 2000);
	/* MTIME_NOW sets mtime to now; atime (not given) is left alone. */
	clock_gettime(CLOCK_REALTIME, &before);
	in = (struct fuse_setattr_in){.valid = FATTR_MTIME | FATTR_MTIME_NOW};
	assert_int_equal(setattr(t, e.nodeid, &in, &attr), 0);
	assert_int_equal(attr.atime, 1000);
	assert_true(attr.mtime >= (uint64_t)before.tv_sec - 1);
	in = (struct fuse_setattr_in){
		.valid = FATTR_MTIME, .mtime = 1, .mtimensec = 1000000000};
	assert_int_equal(setattr(t, e.nodeid, &in, NULL), -EINVAL);
	if (geteuid() == 0) {
		in = (struct fuse_setattr_in){
			.valid = FATTR_UID | FATTR_GID, .uid = 777, .gid = 888};
		assert_int_equal(setattr(t, e.nodeid, &in, &attr), 0);
		assert_int_equal(attr.uid, 777);
		assert_int_equal(attr.gid, 888);
	}
	in = (struct fuse_setattr_in){.valid = FATTR_SIZE, .size = 0};
	assert_int_equal(setattr(t, FUSE_ROOT_ID, &in, NULL), -EISDIR);
	SKIP_UNLESS_ROOT("the chown to 777:888 needs CAP_CHOWN");
}

static void test_setattr_truncate_by_fh(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct fuse_attr attr;
	struct fuse_setattr_in in = {.valid = FATTR_SIZE | FATTR_FH, .size = 2};
	uint64_t fh;

	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "tf", O_RDWR, 0600, &e, &fh), 0);
	assert_int_equal(ft_write(t, e.nodeid, fh, 0, "abcdef", 6), 6);
	in.fh = fh;
	assert_int_equal(setattr(t, e.nodeid, &in, &attr), 0);
	assert_int_equal(attr.size, 2);
	in.fh = fh + 1000;
	assert_int_equal(setattr(t, e.nodeid, &in, NULL), -EBADF);
	ft_release(t, e.nodeid, fh);
}

static void test_statfs_access(void **state)
{
	struct ft *t = *state;
	struct fuse_statfs_out sf;
	struct ft_args a = {0};
	struct fuse_access_in in = {.mask = R_OK | X_OK};
	struct fuse_entry_out e;

	assert_int_equal(ft_call(t, FUSE_STATFS, FUSE_ROOT_ID, NULL, &sf,
				 sizeof(sf), NULL),
			 0);
	assert_true(sf.st.bsize > 0);
	assert_true(sf.st.namelen > 0);
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(
		ft_call(t, FUSE_ACCESS, FUSE_ROOT_ID, &a, NULL, 0, NULL), 0);
	/* uid 1234 is "other" for a 0600 root-owned file. */
	ft_host_write(t, "share/private", "");
	chmod(t->share, 0755);
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/private", t->share);
		chmod(p, 0600);
	}
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "private", &e), 0);
	if (e.attr.uid == 1234)
		SKIP_BECAUSE("the test runs as uid 1234, the guest's uid: "
			     "the file is its own, not other's");
	assert_int_equal(ft_call(t, FUSE_ACCESS, e.nodeid, &a, NULL, 0, NULL),
			 -EACCES);
}

static void test_mknod(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct fuse_mknod_in in = {.mode = S_IFIFO | 0644};
	struct fuse_entry_out e;
	uint64_t fh;

	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "fifo");
	assert_int_equal(
		ft_call(t, FUSE_MKNOD, FUSE_ROOT_ID, &a, &e, sizeof(e), NULL),
		0);
	assert_true(S_ISFIFO(e.attr.mode));
	/* Opening a FIFO is the guest kernel's job; here it must not block. */
	assert_int_equal(ft_open(t, e.nodeid, O_RDONLY, &fh), -EACCES);
	a.len = 0;
	in.mode = S_IFSOCK | 0600;
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "sock");
	assert_int_equal(
		ft_call(t, FUSE_MKNOD, FUSE_ROOT_ID, &a, &e, sizeof(e), NULL),
		0);
	assert_true(S_ISSOCK(e.attr.mode));
	a.len = 0;
	in.mode = S_IFCHR | 0600;
	in.rdev = makedev(1, 3);
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "null");
	assert_int_equal(
		ft_call(t, FUSE_MKNOD, FUSE_ROOT_ID, &a, &e, sizeof(e), NULL),
		-EPERM);
	assert_false(ft_host_exists(t, "share/null"));
	a.len = 0;
	in.mode = S_IFREG | 0600;
	ft_args_put(&a, &in, sizeof(in));
	ft_args_str(&a, "regular");
	assert_int_equal(
		ft_call(t, FUSE_MKNOD, FUSE_ROOT_ID, &a, &e, sizeof(e), NULL),
		0);
	assert_true(S_ISREG(e.attr.mode));
}

static void test_xattr(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct ft_args a = {0};
	struct {
		uint32_t size, flags;
	} sin = {.size = 3};
	struct fuse_getxattr_in gin = {.size = 0};
	struct fuse_getxattr_out gout;
	char buf[256];
	size_t n;
	int ret;

	ft_host_write(t, "share/x", "");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "x", &e), 0);
	ft_args_put(&a, &sin, sizeof(sin));
	ft_args_str(&a, "user.test");
	ft_args_put(&a, "abc", 3);
	ret = ft_call(t, FUSE_SETXATTR, e.nodeid, &a, NULL, 0, NULL);
	if (ret == -EOPNOTSUPP)
		SKIP_BECAUSE("the file system of %s has no user xattrs",
			     t->base);
	assert_int_equal(ret, 0);
	a.len = 0;
	ft_args_put(&a, &gin, sizeof(gin));
	ft_args_str(&a, "user.test");
	assert_int_equal(ft_call(t, FUSE_GETXATTR, e.nodeid, &a, &gout,
				 sizeof(gout), NULL),
			 0);
	assert_int_equal(gout.size, 3);
	gin.size = sizeof(buf);
	a.len = 0;
	ft_args_put(&a, &gin, sizeof(gin));
	ft_args_str(&a, "user.test");
	assert_int_equal(
		ft_call(t, FUSE_GETXATTR, e.nodeid, &a, buf, sizeof(buf), &n),
		0);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "abc", 3);
	gin.size = 1; /* too small */
	a.len = 0;
	ft_args_put(&a, &gin, sizeof(gin));
	ft_args_str(&a, "user.test");
	assert_int_equal(
		ft_call(t, FUSE_GETXATTR, e.nodeid, &a, buf, sizeof(buf), &n),
		-ERANGE);
	gin.size = sizeof(buf);
	a.len = 0;
	ft_args_put(&a, &gin, sizeof(gin));
	assert_int_equal(
		ft_call(t, FUSE_LISTXATTR, e.nodeid, &a, buf, sizeof(buf), &n),
		0);
	assert_non_null(memmem(buf, n, "user.test", 10));
	a.len = 0;
	ft_args_str(&a, "user.test");
	assert_int_equal(
		ft_call(t, FUSE_REMOVEXATTR, e.nodeid, &a, NULL, 0, NULL), 0);
	assert_int_equal(
		ft_call(t, FUSE_REMOVEXATTR, e.nodeid, &a, NULL, 0, NULL),
		-ENODATA);
	/* Privileged namespaces are refused by default. */
	a.len = 0;
	ft_args_put(&a, &sin, sizeof(sin));
	ft_args_str(&a, "security.capability");
	ft_args_put(&a, "abc", 3);
	assert_int_equal(ft_call(t, FUSE_SETXATTR, e.nodeid, &a, NULL, 0, NULL),
			 -EPERM);
}

static void test_fsync_flush_fallocate_lseek(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct ft_args a = {0};
	uint64_t fh;
	struct fuse_fsync_in fs;
	struct fuse_flush_in fl;
	struct fuse_fallocate_in fa;
	struct fuse_lseek_in ls;
	struct fuse_lseek_out lo;
	struct fuse_attr attr;

	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "io", O_RDWR, 0600, &e, &fh), 0);
	fs = (struct fuse_fsync_in){.fh = fh, .fsync_flags = 1};
	ft_args_put(&a, &fs, sizeof(fs));
	assert_int_equal(ft_call(t, FUSE_FSYNC, e.nodeid, &a, NULL, 0, NULL),
			 0);
	fl = (struct fuse_flush_in){.fh = fh, .lock_owner = 1};
	a.len = 0;
	ft_args_put(&a, &fl, sizeof(fl));
	assert_int_equal(ft_call(t, FUSE_FLUSH, e.nodeid, &a, NULL, 0, NULL),
			 0);
	fa = (struct fuse_fallocate_in){.fh = fh, .offset = 0, .length = 8192};
	a.len = 0;
	ft_args_put(&a, &fa, sizeof(fa));
	assert_int_equal(
		ft_call(t, FUSE_FALLOCATE, e.nodeid, &a, NULL, 0, NULL), 0);
	assert_int_equal(ft_getattr(t, e.nodeid, &attr), 0);
	assert_int_equal(attr.size, 8192);
	ls = (struct fuse_lseek_in){.fh = fh, .offset = 0, .whence = SEEK_END};
	a.len = 0;
	ft_args_put(&a, &ls, sizeof(ls));
	assert_int_equal(
		ft_call(t, FUSE_LSEEK, e.nodeid, &a, &lo, sizeof(lo), NULL), 0);
	assert_int_equal(lo.offset, 8192);
	ls.whence = SEEK_CUR;
	a.len = 0;
	ft_args_put(&a, &ls, sizeof(ls));
	assert_int_equal(
		ft_call(t, FUSE_LSEEK, e.nodeid, &a, &lo, sizeof(lo), NULL),
		-EINVAL);
	ft_release(t, e.nodeid, fh);
}

static void test_copy_file_range(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out s, d;
	struct ft_args a = {0};
	struct fuse_copy_file_range_in in;
	struct fuse_write_out out;
	uint64_t sfh, dfh;
	char buf[16] = {0};

	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "src", O_RDWR, 0600, &s, &sfh), 0);
	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "dst", O_RDWR, 0600, &d, &dfh), 0);
	assert_int_equal(ft_write(t, s.nodeid, sfh, 0, "copyme", 6), 6);
	in = (struct fuse_copy_file_range_in){.fh_in = sfh,
					      .off_in = 2,
					      .nodeid_out = d.nodeid,
					      .fh_out = dfh,
					      .off_out = 0,
					      .len = 4};
	ft_args_put(&a, &in, sizeof(in));
	assert_int_equal(ft_call(t, FUSE_COPY_FILE_RANGE, s.nodeid, &a, &out,
				 sizeof(out), NULL),
			 0);
	assert_int_equal(out.size, 4);
	assert_int_equal(ft_read(t, d.nodeid, dfh, 0, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "pyme", 4);
	ft_release(t, s.nodeid, sfh);
	ft_release(t, d.nodeid, dfh);
}

static int lk(struct ft *t, uint32_t op, uint64_t nodeid, uint64_t fh,
	      uint64_t owner, uint32_t type, struct fuse_lk_out *out)
{
	struct ft_args a = {0};
	struct fuse_lk_in in = {.fh = fh,
				.owner = owner,
				.lk = {.start = 0, .end = 99, .type = type}};
	struct fuse_lk_out tmp;

	ft_args_put(&a, &in, sizeof(in));
	return ft_call(t, op, nodeid, &a, out ? out : &tmp, sizeof(tmp), NULL);
}

static void test_posix_locks(void **state)
{
	struct ft *t = *state;
	struct fuse_entry_out e;
	struct fuse_lk_out out;
	struct ft_args a = {0};
	struct fuse_flush_in fl;
	uint64_t fh;

	assert_int_equal(
		ft_create(t, FUSE_ROOT_ID, "lk", O_RDWR, 0600, &e, &fh), 0);
	assert_int_equal(lk(t, FUSE_SETLK, e.nodeid, fh, 1, F_WRLCK, NULL), 0);
	/* Another owner sees the lock and cannot take it. */
	assert_int_equal(lk(t, FUSE_GETLK, e.nodeid, fh, 2, F_WRLCK, &out), 0);
	assert_int_equal(out.lk.type, F_WRLCK);
	assert_int_equal(out.lk.end, 99);
	assert_int_equal(lk(t, FUSE_SETLK, e.nodeid, fh, 2, F_RDLCK, NULL),
			 -EAGAIN);
	/* The owner itself sees no conflict. */
	assert_int_equal(lk(t, FUSE_GETLK, e.nodeid, fh, 1, F_WRLCK, &out), 0);
	assert_int_equal(out.lk.type, F_UNLCK);
	/* FLUSH (close) by owner 1 drops its locks. */
	fl = (struct fuse_flush_in){.fh = fh, .lock_owner = 1};
	ft_args_put(&a, &fl, sizeof(fl));
	assert_int_equal(ft_call(t, FUSE_FLUSH, e.nodeid, &a, NULL, 0, NULL),
			 0);
	assert_int_equal(lk(t, FUSE_SETLKW, e.nodeid, fh, 2, F_RDLCK, NULL), 0);
	assert_int_equal(lk(t, FUSE_SETLK, e.nodeid, fh, 2, F_UNLCK, NULL), 0);
	assert_int_equal(lk(t, FUSE_SETLK, e.nodeid, fh, 2, 77, NULL), -EINVAL);
	ft_release(t, e.nodeid, fh);
}

static void test_unknown_opcode_and_destroy(void **state)
{
	struct ft *t = *state;

	assert_int_equal(
		ft_call(t, FUSE_IOCTL, FUSE_ROOT_ID, NULL, NULL, 0, NULL),
		-ENOSYS);
	assert_int_equal(ft_call(t, FUSE_NOTIFY_REPLY, FUSE_ROOT_ID, NULL,
				 NULL, 0, NULL),
			 -ENOSYS);
	assert_int_equal(ft_call(t, 9999, FUSE_ROOT_ID, NULL, NULL, 0, NULL),
			 -ENOSYS);
	assert_int_equal(ft_call(t, FUSE_DESTROY, 0, NULL, NULL, 0, NULL), 0);
	assert_int_equal(ft_getattr(t, FUSE_ROOT_ID, NULL), -EIO);
}

/* Thread-safe raw call (ft_call uses static buffers). */
static int32_t mt_call(struct fuse_server *srv, uint32_t op, uint64_t node,
		       const void *args, size_t alen, void *body, size_t cap)
{
	uint8_t req[256], reply[512];
	struct fuse_in_header h = {.len = (uint32_t)(sizeof(h) + alen),
				   .opcode = op,
				   .nodeid = node};
	struct iovec rq = {req, h.len}, rp = {reply, 16 + cap};
	struct fuse_out_header out = {0};
	ssize_t n;

	memcpy(req, &h, sizeof(h));
	memcpy(req + sizeof(h), args, alen);
	n = fuse_server_handle(srv, &rq, 1, &rp, 1);
	if (n >= 16) {
		memcpy(&out, reply, sizeof(out));
		if (body)
			memcpy(body, reply + 16, (size_t)n - 16);
	}
	return out.error;
}

struct mt_arg {
	struct fuse_server *srv;
	int iterations;
};

static void *mt_lookup_forget(void *p)
{
	struct mt_arg *a = p;
	struct fuse_entry_out e;
	struct fuse_forget_in f = {.nlookup = 1};

	for (int i = 0; i < a->iterations; i++) {
		if (mt_call(a->srv, FUSE_LOOKUP, FUSE_ROOT_ID, "hot", 4, &e,
			    sizeof(e)) == 0)
			mt_call(a->srv, FUSE_FORGET, e.nodeid, &f, sizeof(f),
				NULL, 0);
	}
	return NULL;
}

static void *mt_getattr(void *p)
{
	struct mt_arg *a = p;
	struct fuse_getattr_in g = {0};
	struct fuse_forget_in f = {.nlookup = 1};
	struct fuse_entry_out e;
	struct fuse_attr_out out;

	for (int i = 0; i < a->iterations; i++) {
		int32_t err;

		if (mt_call(a->srv, FUSE_LOOKUP, FUSE_ROOT_ID, "hot", 4, &e,
			    sizeof(e)) != 0)
			continue;
		mt_call(a->srv, FUSE_FORGET, e.nodeid, &f, sizeof(f), NULL, 0);
		/* The other threads may have freed it by now: ENOENT or
		 * success, never a use-after-free (ASan). */
		err = mt_call(a->srv, FUSE_GETATTR, e.nodeid, &g, sizeof(g),
			      &out, sizeof(out));
		assert_true(err == 0 || err == -ENOENT);
	}
	return NULL;
}

static void test_concurrent_lookup_forget(void **state)
{
	struct ft *t = *state;
	pthread_t th[3];
	struct mt_arg a = {.srv = t->srv, .iterations = 2000};

	ft_host_write(t, "share/hot", "x");
	pthread_create(&th[0], NULL, mt_lookup_forget, &a);
	pthread_create(&th[1], NULL, mt_lookup_forget, &a);
	pthread_create(&th[2], NULL, mt_getattr, &a);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
}

/* With a cache timeout a miss is an entry with node 0 and that timeout,
 * which the guest keeps as a negative dentry; without one it is ENOENT. */
static void test_negative_lookup_cached(void **state)
{
	struct fuse_server_opts o = {.cache_timeout_ms = 1500};
	struct ft *t = ft_new(&o);
	struct fuse_entry_out e;

	(void)state;
	memset(&e, 0xff, sizeof(e));
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "missing", &e), 0);
	assert_int_equal(e.nodeid, 0);
	assert_int_equal(e.entry_valid, 1);
	assert_int_equal(e.entry_valid_nsec, 500000000);
	/* Other errors stay errors. */
	ft_host_write(t, "share/f", "x");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "f", &e), 0);
	assert_true(e.nodeid != 0);
	assert_int_equal(ft_lookup(t, e.nodeid, "below", NULL), -ENOTDIR);
	ft_free(t);
}

static mode_t host_mode(struct ft *t, const char *rel)
{
	char path[600];
	struct stat st;

	host_path(t, rel, path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void host_chmod(struct ft *t, const char *rel, mode_t mode)
{
	char path[600];

	host_path(t, rel, path, sizeof(path));
	assert_int_equal(chmod(path, mode), 0);
}

static ssize_t write_flags(struct ft *t, uint64_t nodeid, uint64_t fh,
			   uint32_t flags)
{
	struct ft_args a = {0};
	struct fuse_write_in in = {.fh = fh, .size = 1, .write_flags = flags};
	struct fuse_write_out out;
	int ret;

	ft_args_put(&a, &in, sizeof(in));
	ft_args_put(&a, "w", 1);
	ret = ft_call(t, FUSE_WRITE, nodeid, &a, &out, sizeof(out), NULL);
	return ret < 0 ? ret : (ssize_t)out.size;
}

/* HANDLE_KILLPRIV_V2: the guest leaves set-ID clearing to the server and
 * says when (a writer without CAP_FSETID, chown, truncate). */
static void test_killpriv_v2(void **state)
{
	struct ft *t = *state;
	struct ft_args a = {0};
	struct fuse_init_in init = {
		.major = 7, .minor = 36, .flags = FUSE_HANDLE_KILLPRIV_V2};
	struct fuse_init_out out;
	struct fuse_entry_out e;
	struct fuse_setattr_in in;
	struct fuse_open_in oin = {.flags = O_WRONLY | O_TRUNC,
				   .open_flags = FUSE_OPEN_KILL_SUIDGID};
	struct fuse_open_out oout;
	uint64_t fh;

	ft_args_put(&a, &init, sizeof(init));
	assert_int_equal(ft_call(t, FUSE_INIT, 0, &a, &out, sizeof(out), NULL),
			 0);
	assert_true(out.flags & FUSE_HANDLE_KILLPRIV_V2);

	ft_host_write(t, "share/k", "data");
	assert_int_equal(ft_lookup(t, FUSE_ROOT_ID, "k", &e), 0);
	assert_int_equal(ft_open(t, e.nodeid, O_WRONLY, &fh), 0);
	/* A write by a CAP_FSETID holder (no flag) keeps the bits; the host
	 * kernel only keeps them for us when we hold CAP_FSETID too. */
	host_chmod(t, "k", 06755);
	assert_int_equal(write_flags(t, e.nodeid, fh, 0), 1);
	if (geteuid() == 0)
		assert_int_equal(host_mode(t, "k"), 06755);
	/* Asked to: set-UID goes, set-GID too since group may execute. */
	host_chmod(t, "k", 06755);
	assert_int_equal(write_flags(t, e.nodeid, fh, FUSE_WRITE_KILL_SUIDGID),
			 1);
	assert_int_equal(host_mode(t, "k"), 0755);
	/* Set-GID without group execute marks mandatory locking: kept. */
	host_chmod(t, "k", 06744);
	assert_int_equal(write_flags(t, e.nodeid, fh, FUSE_WRITE_KILL_SUIDGID),
			 1);
	assert_int_equal(host_mode(t, "k"), 02744);
	assert_int_equal(ft_release(t, e.nodeid, fh), 0);

	/* Truncate with the kill bit; an explicit mode wins over it. */
	host_chmod(t, "k", 04755);
	in = (struct fuse_setattr_in){.valid = FATTR_SIZE | FATTR_KILL_SUIDGID};
	assert_int_equal(setattr(t, e.nodeid, &in, NULL), 0);
	assert_int_equal(host_mode(t, "k"), 0755);
	host_chmod(t, "k", 04755);
	in = (struct fuse_setattr_in){.valid = FATTR_MODE | FATTR_KILL_SUIDGID,
				      .mode = 0751};
	assert_int_equal(setattr(t, e.nodeid, &in, NULL), 0);
	assert_int_equal(host_mode(t, "k"), 0751);

	/* Open with O_TRUNC and FUSE_OPEN_KILL_SUIDGID. */
	host_chmod(t, "k", 04711);
	a.len = 0;
	ft_args_put(&a, &oin, sizeof(oin));
	assert_int_equal(
		ft_call(t, FUSE_OPEN, e.nodeid, &a, &oout, sizeof(oout), NULL),
		0);
	assert_int_equal(host_mode(t, "k"), 0711);
	assert_int_equal(ft_release(t, e.nodeid, oout.fh), 0);
	SKIP_UNLESS_ROOT("set-ID bits kept on a write need CAP_FSETID");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_negotiation),
		T(test_requests_before_init),
		T(test_lookup_getattr_forget),
		T(test_batch_forget),
		T(test_create_write_read),
		T(test_open_trunc),
		T(test_mkdir_rmdir_unlink),
		T(test_setgid_dir_inheritance),
		T(test_rename),
		T(test_symlink_readlink),
		T(test_link),
		T(test_readdir),
		T(test_readdir_small_buffer),
		T(test_setattr),
		T(test_setattr_truncate_by_fh),
		T(test_statfs_access),
		T(test_mknod),
		T(test_xattr),
		T(test_fsync_flush_fallocate_lseek),
		T(test_copy_file_range),
		T(test_posix_locks),
		T(test_unknown_opcode_and_destroy),
		T(test_concurrent_lookup_forget),
		cmocka_unit_test(test_negative_lookup_cached),
		T(test_killpriv_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
