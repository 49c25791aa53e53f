// SPDX-License-Identifier: Apache-2.0
/* virtio-fs device end to end: a fake driver sends FUSE requests through
 * the real virtio-mmio transport and virtqueues. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/fs.h"
#include "virtio/mmio.h"

struct fx {
	struct fake_dev d;
	char dir[64];
	uint64_t unique;
};

static int setup_flags(void **state, uint16_t qsize, unsigned int flags)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_device *dev;
	char path[128];
	int fd;

	snprintf(f->dir, sizeof(f->dir), "/tmp/krun-vfs-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/hello", f->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "hello, guest", 12), 12);
	close(fd);
	dev = virtio_fs_create("myfs", f->dir, flags, 0, NULL);
	assert_non_null(dev);
	assert_int_equal(fdev_start(&f->d, dev, 2, qsize, 0), 0xf);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_flags(state, 64, 0);
}

/* Room in the rings for many requests in flight at once. */
static int setup_big(void **state)
{
	return setup_flags(state, 256, 0);
}

static int setup_always(void **state)
{
	return setup_flags(state, 64, VIRTIO_FS_CACHE_ALWAYS);
}

static int setup_never(void **state)
{
	return setup_flags(state, 64, VIRTIO_FS_CACHE_NEVER);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	fdev_stop(&f->d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Send header+args (one readable buffer) and a writable reply buffer of
 * reply_len (split in two: header, body) on queue q. Returns the used
 * length (or -1 when the device did not answer within ms). */
static int64_t send(struct fx *f, unsigned int q, uint32_t op, uint64_t node,
		    const void *args, uint32_t alen, uint64_t *reply_gpa,
		    uint32_t reply_len, int ms)
{
	struct fuse_in_header h = {.len = (uint32_t)sizeof(h) + alen,
				   .opcode = op,
				   .unique = ++f->unique,
				   .nodeid = node};
	uint64_t req = fg_alloc(&f->d.g, h.len, 8);
	uint64_t rep = fg_alloc(&f->d.g, reply_len + 16, 8);
	struct fake_buf b[3] = {
		{req, h.len, false},
		{rep, 16, true},
		{rep + 16, reply_len, true},
	};
	uint32_t id, len;

	memcpy(fg_ptr(&f->d.g, req), &h, sizeof(h));
	if (alen)
		memcpy(fg_ptr(&f->d.g, req + sizeof(h)), args, alen);
	fvq_add(&f->d.vqs[q], b, reply_len ? 3 : 2);
	fdev_kick(&f->d, q);
	*reply_gpa = rep;
	if (!fvq_wait_used(&f->d.vqs[q], &id, &len, ms))
		return -1;
	return len;
}

/* Queue a request with a 16-byte reply buffer; do not wait for it. */
static void send_nowait(struct fx *f, unsigned int q, uint32_t op,
			uint64_t node, const void *args, uint32_t alen,
			uint64_t *reply_gpa)
{
	struct fuse_in_header h = {.len = (uint32_t)sizeof(h) + alen,
				   .opcode = op,
				   .unique = ++f->unique,
				   .nodeid = node};
	uint64_t req = fg_alloc(&f->d.g, h.len, 8);
	uint64_t rep = fg_alloc(&f->d.g, 16, 8);
	struct fake_buf b[2] = {{req, h.len, false}, {rep, 16, true}};

	memcpy(fg_ptr(&f->d.g, req), &h, sizeof(h));
	memcpy(fg_ptr(&f->d.g, req + sizeof(h)), args, alen);
	memset(fg_ptr(&f->d.g, rep), 0, 16);
	fvq_add(&f->d.vqs[q], b, 2);
	fdev_kick(&f->d, q);
	*reply_gpa = rep;
}

static void init(struct fx *f)
{
	struct fuse_init_in in = {
		.major = 7, .minor = 36, .flags = FUSE_POSIX_LOCKS};
	struct fuse_out_header *oh;
	struct fuse_init_out *out;
	uint64_t rep;

	assert_int_equal(send(f, 1, FUSE_INIT, 0, &in, sizeof(in), &rep,
			      sizeof(*out), 2000),
			 16 + sizeof(*out));
	oh = fg_ptr(&f->d.g, rep);
	out = fg_ptr(&f->d.g, rep + 16);
	assert_int_equal(oh->error, 0);
	assert_int_equal(out->minor, 36);
	assert_int_equal(out->flags, FUSE_POSIX_LOCKS);
}

static void test_config(void **state)
{
	struct fx *f = *state;
	uint32_t w0 = fdev_rd(&f->d, 0x100);

	assert_int_equal(fdev_rd(&f->d, 0x008), VIRTIO_ID_FS);
	assert_memory_equal(&w0, "myfs", 4);
	assert_int_equal(fdev_rd(&f->d, 0x104), 0);
	assert_int_equal(fdev_rd(&f->d, 0x100 + 36),
			 1); /* num_request_queues */
}

static uint64_t lookup_hello(struct fx *f)
{
	struct fuse_entry_out *e;
	uint64_t rep;

	assert_int_equal(send(f, 1, FUSE_LOOKUP, FUSE_ROOT_ID, "hello", 6, &rep,
			      sizeof(*e), 2000),
			 16 + sizeof(*e));
	e = fg_ptr(&f->d.g, rep + 16);
	assert_int_equal(e->attr.size, 12);
	return e->nodeid;
}

static uint64_t open_rw(struct fx *f, uint64_t node)
{
	struct fuse_open_in in = {.flags = O_RDWR};
	uint64_t rep;

	assert_int_equal(send(f, 1, FUSE_OPEN, node, &in, sizeof(in), &rep,
			      sizeof(struct fuse_open_out), 2000),
			 32);
	return ((struct fuse_open_out *)fg_ptr(&f->d.g, rep + 16))->fh;
}

static void test_lookup_read_forget(void **state)
{
	struct fx *f = *state;
	struct fuse_read_in rd = {.size = 100};
	struct fuse_forget_in fg = {.nlookup = 1};
	uint64_t node, rep;

	init(f);
	node = lookup_hello(f);
	rd.fh = open_rw(f, node);
	/* READ lands straight in the guest's second buffer. */
	assert_int_equal(
		send(f, 1, FUSE_READ, node, &rd, sizeof(rd), &rep, 100, 2000),
		16 + 12);
	assert_memory_equal(fg_ptr(&f->d.g, rep + 16), "hello, guest", 12);
	assert_true(fdev_irq_fired(&f->d));
	/* FORGET on the hiprio queue: completed with nothing written. */
	assert_int_equal(
		send(f, 0, FUSE_FORGET, node, &fg, sizeof(fg), &rep, 0, 2000),
		0);
}

static int64_t setlk(struct fx *f, uint32_t op, uint64_t node, uint64_t fh,
		     uint64_t owner, uint32_t type, int ms)
{
	struct fuse_lk_in in = {.fh = fh,
				.owner = owner,
				.lk = {.start = 0, .end = 10, .type = type}};
	uint64_t rep;

	return send(f, 1, op, node, &in, sizeof(in), &rep, 0, ms);
}

static void test_setlkw_does_not_block_queue(void **state)
{
	struct fx *f = *state;
	uint64_t node, fh;
	uint32_t id, len;

	init(f);
	node = lookup_hello(f);
	fh = open_rw(f, node);
	assert_int_equal(setlk(f, FUSE_SETLK, node, fh, 1, F_WRLCK, 2000), 16);
	/* Owner 2 waits: no completion yet... */
	assert_int_equal(setlk(f, FUSE_SETLKW, node, fh, 2, F_WRLCK, 100), -1);
	/* ...but the queue still serves owner 1's unlock, after which the
	 * waiter completes. */
	assert_int_equal(setlk(f, FUSE_SETLK, node, fh, 1, F_UNLCK, 2000), 16);
	assert_true(fvq_wait_used(&f->d.vqs[1], &id, &len, 2000));
	assert_int_equal(len, 16);
}

/* Seventy waiters on one lock, then the holder's unlock: the worker keeps
 * serving the queue, the unlock is answered and exactly one waiter gets
 * the lock. A worker that blocked on one of the waiters would answer
 * nothing at all (and its reset could never join it). */
static void test_many_lock_waiters(void **state)
{
	struct fx *f = *state;
	unsigned int waiters = 70, replies = 0, granted = 0;
	uint64_t node, fh, rep[72];
	uint32_t id, len;

	init(f);
	node = lookup_hello(f);
	fh = open_rw(f, node);
	assert_int_equal(setlk(f, FUSE_SETLK, node, fh, 1, F_WRLCK, 2000), 16);
	for (unsigned int i = 0; i < waiters; i++) {
		struct fuse_lk_in in = {
			.fh = fh,
			.owner = 2 + i,
			.lk = {.start = 0, .end = 10, .type = F_WRLCK}};

		send_nowait(f, 1, FUSE_SETLKW, node, &in, sizeof(in), &rep[i]);
	}
	{
		struct fuse_lk_in un = {
			.fh = fh,
			.owner = 1,
			.lk = {.start = 0, .end = 10, .type = F_UNLCK}};

		send_nowait(f, 1, FUSE_SETLK, node, &un, sizeof(un),
			    &rep[waiters]);
	}
	while (fvq_wait_used(&f->d.vqs[1], &id, &len, 3000)) {
		replies++;
		if (replies > waiters + 1)
			break;
	}
	for (unsigned int i = 0; i < waiters; i++) {
		const struct fuse_out_header *oh = fg_ptr(&f->d.g, rep[i]);

		granted += oh->unique && oh->error == 0;
	}
	print_message("%u replies, %u waiters granted\n", replies, granted);
	/* The unlock and the one waiter that got the lock. */
	assert_int_equal(replies, 2);
	assert_int_equal(granted, 1);
}

/* A malformed chain on the request queue: NEEDS_RESET, and the request
 * behind it gets no reply. */
static void test_malformed_chain_needs_reset(void **state)
{
	struct fx *f = *state;
	struct fuse_in_header h = {.len = sizeof(h),
				   .opcode = FUSE_GETATTR,
				   .unique = 1,
				   .nodeid = FUSE_ROOT_ID};
	struct fake_buf b[2] = {
		{fg_alloc(&f->d.g, sizeof(h), 8), sizeof(h), false},
		{fg_alloc(&f->d.g, 256, 8), 256, true},
	};

	memcpy(fg_ptr(&f->d.g, b[0].gpa), &h, sizeof(h));
	fdev_check_malformed_policy(&f->d, 1, "fs", b, 2);
}

/* LOOKUP's timeouts and OPEN's flags under the device's cache policy. */
static void check_cache_policy(struct fx *f, uint64_t want_valid,
			       uint32_t want_open_flags)
{
	struct fuse_open_in in = {.flags = O_RDONLY};
	struct fuse_entry_out *e;
	struct fuse_open_out *o;
	uint64_t rep, node;

	init(f);
	assert_int_equal(send(f, 1, FUSE_LOOKUP, FUSE_ROOT_ID, "hello", 6, &rep,
			      sizeof(*e), 2000),
			 16 + sizeof(*e));
	e = fg_ptr(&f->d.g, rep + 16);
	node = e->nodeid;
	assert_int_equal(e->entry_valid, want_valid);
	assert_int_equal(e->attr_valid, want_valid);
	assert_int_equal(send(f, 1, FUSE_OPEN, node, &in, sizeof(in), &rep,
			      sizeof(*o), 2000),
			 16 + sizeof(*o));
	o = fg_ptr(&f->d.g, rep + 16);
	assert_int_equal(o->open_flags, want_open_flags);
}

static void test_cache_auto(void **state)
{
	/* The first open of a file keeps nothing: nothing is cached yet. */
	check_cache_policy(*state, VIRTIO_FS_AUTO_TIMEOUT_MS / 1000, 0);
}

static void test_cache_always(void **state)
{
	check_cache_policy(*state, VIRTIO_FS_ALWAYS_TIMEOUT_MS / 1000,
			   FOPEN_KEEP_CACHE);
}

static void test_cache_never(void **state)
{
	check_cache_policy(*state, 0, FOPEN_DIRECT_IO);
}

static void test_bad_tags(void **state)
{
	struct krun_err *err = NULL;

	assert_null(virtio_fs_create("", "/tmp", 0, 0, &err));
	krun_err_free(&err);
	assert_null(virtio_fs_create("0123456789012345678901234567890123456",
				     "/tmp", 0, 0, &err));
	krun_err_free(&err);
	assert_null(virtio_fs_create("tag", "/nonexistent/dir", 0, 0, &err));
	assert_non_null(strstr(krun_err_msg(err), "/nonexistent/dir"));
	krun_err_free(&err);
	assert_null(
		virtio_fs_create("tag", "/tmp", VIRTIO_FS_CACHE_MASK, 0, &err));
	assert_string_equal(krun_err_msg(err),
			    "virtio-fs `tag`: more than one cache policy");
	krun_err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_read_forget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_setlkw_does_not_block_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_lock_waiters,
						setup_big, teardown),
		cmocka_unit_test_setup_teardown(
			test_malformed_chain_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_auto, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cache_always, setup_always,
						teardown),
		cmocka_unit_test_setup_teardown(test_cache_never, setup_never,
						teardown),
		cmocka_unit_test(test_bad_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
