// SPDX-License-Identifier: Apache-2.0
/*
 * qcow2 backend against images qemu-img makes at test time: reads match
 * the raw data they were made from, writes through the backend leave an
 * image that `qemu-img check` finds clean and `qemu-img compare` finds
 * equal to the same writes done on a raw file, and malformed or
 * unsupported images are refused with one clear line.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../test_skip.h"
#include "virtio/blk_backend.h"

#define MIB (1024 * 1024)

struct fx {
	char dir[64];
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command; returns its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *pathf(struct fx *f, const char *name)
{
	static __thread char buf[8][256];
	static __thread int next;
	char *p = buf[next++ % 8];

	snprintf(p, 256, "%s/%s", f->dir, name);
	return p;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	REQUIRE_TOOL("qemu-img --version", "qemu-img (qemu-utils)");
	strcpy(f->dir, "/tmp/krun-qcow2-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sh("rm -rf '%s'", f->dir);
	free(f);
	return 0;
}

/* A raw file whose every 512-byte sector differs; zero runs included. */
static void make_raw(const char *path, size_t size, unsigned int seed)
{
	uint8_t *buf = malloc(size);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	assert_true(fd >= 0);
	for (size_t i = 0; i < size; i++)
		buf[i] = (i / 65536) % 5 == 3
				 ? 0
				 : (uint8_t)(i * 7 + seed + i / 512);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
}

static void bread(struct blk_backend *b, void *buf, size_t len, uint64_t off)
{
	struct iovec iov = {buf, len};

	assert_int_equal(b->ops->readv(b, &iov, 1, off), 0);
}

static void bwrite(struct blk_backend *b, const void *buf, size_t len,
		   uint64_t off)
{
	struct iovec iov = {(void *)buf, len};

	assert_int_equal(b->ops->writev(b, &iov, 1, off), 0);
}

/* The whole guest view equals the raw file. */
static void expect_equal_raw(struct blk_backend *b, const char *raw)
{
	int fd = open(raw, O_RDONLY);
	uint8_t *want, *got;
	struct stat st;

	assert_true(fd >= 0);
	fstat(fd, &st);
	assert_int_equal(b->size, (uint64_t)st.st_size);
	want = malloc(st.st_size);
	got = malloc(st.st_size);
	assert_int_equal(read(fd, want, st.st_size), st.st_size);
	close(fd);
	/* Two odd-sized pieces, so reads cross cluster edges. */
	bread(b, got, 3 * 512, 0);
	bread(b, got + 3 * 512, st.st_size - 3 * 512, 3 * 512);
	assert_memory_equal(got, want, st.st_size);
	free(want);
	free(got);
}

static struct blk_backend *open_ok(const char *path, bool ro)
{
	struct krun_err *err = NULL;
	struct blk_backend *b = NULL;

	if (blk_qcow2_open(path, ro, &b, &err) < 0)
		fail_msg("open `%s`: %s", path, krun_err_msg(err));
	return b;
}

/* Open must fail with a message containing want. */
__attribute__((unused)) static void open_fails(const char *path, bool ro,
					       const char *want)
{
	struct krun_err *err = NULL;
	struct blk_backend *b = NULL;

	if (blk_qcow2_open(path, ro, &b, &err) == 0) {
		b->ops->close(b);
		fail_msg("open `%s` succeeded, wanted `%s`", path, want);
	}
	if (!strstr(krun_err_msg(err), want))
		fail_msg("open `%s`: got `%s`, wanted `%s`", path,
			 krun_err_msg(err), want);
	assert_null(strchr(krun_err_msg(err), '\n'));
	krun_err_free(&err);
}

static void raw_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
}

static void raw_zero(int fd, uint64_t off, uint64_t len)
{
	void *z = calloc(1, len);

	raw_pwrite(fd, z, len, off);
	free(z);
}

/* One write on the image and the same on the raw reference. */
static void both_write(struct blk_backend *b, int fd, uint64_t off, size_t len,
		       uint8_t seed)
{
	uint8_t *buf = malloc(len);

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 13 + i / 4096);
	bwrite(b, buf, len, off);
	raw_pwrite(fd, buf, len, off);
	free(buf);
}

static void both_zero(struct blk_backend *b, int fd, uint64_t off, size_t len,
		      bool unmap)
{
	assert_int_equal(b->ops->write_zeroes(b, off, len, unmap), 0);
	raw_zero(fd, off, len);
}

/*
 * Writes of every shape (inside a cluster, across clusters, whole
 * clusters, the last sector, 1 MiB), a discard then write-zeroes over it,
 * write-zeroes with and without unmap, overwrites of zeroed ranges.
 */
static void apply_ops(struct blk_backend *b, const char *raw, uint64_t cs)
{
	uint64_t size = b->size;
	int fd = open(raw, O_WRONLY);

	assert_true(fd >= 0);
	both_write(b, fd, 5 * 512, 512, 1);
	both_write(b, fd, size / 2 - 1024, 4096, 2);
	both_write(b, fd, cs * 3, cs * 2, 3);
	both_write(b, fd, size - 512, 512, 4);
	both_write(b, fd, MIB, MIB, 5);
	assert_int_equal(b->ops->discard(b, size / 4, 2 * cs + 1024), 0);
	both_zero(b, fd, size / 4, 2 * cs + 1024, true);
	both_zero(b, fd, size * 3 / 4, 3 * cs, true);
	both_zero(b, fd, size / 8 + 512, cs + 512, false);
	both_write(b, fd, size / 4 + 512, 1024, 6);
	both_write(b, fd, size / 8 + 1024, 512, 7);
	assert_int_equal(b->ops->flush(b), 0);
	close(fd);
}

/* qemu-img check clean (no leaks either) and compare identical. */
static void judge(const char *img, const char *raw)
{
	if (sh("qemu-img check -q '%s'", img) != 0) {
		sh("qemu-img check '%s' >&2", img);
		fail_msg("qemu-img check `%s` is not clean", img);
	}
	if (sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'", raw, img) != 0)
		fail_msg("qemu-img compare: `%s` differs from `%s`", img, raw);
}

static void roundtrip(struct fx *f, const char *opts, size_t size)
{
	const char *raw = pathf(f, "ref.raw"), *img = pathf(f, "t.qcow2");
	struct blk_backend *b;
	uint64_t cs = 65536;
	const char *c = strstr(opts, "cluster_size=");

	if (c)
		cs = strtoull(c + 13, NULL, 10);
	make_raw(raw, size, (unsigned int)strlen(opts));
	assert_int_equal(sh("qemu-img convert -f raw -O qcow2 -o %s '%s' '%s'",
			    opts, raw, img),
			 0);
	b = open_ok(img, false);
	expect_equal_raw(b, raw);
	apply_ops(b, raw, cs);
	expect_equal_raw(b, raw);
	b->ops->close(b);
	judge(img, raw);
	b = open_ok(img, true);
	expect_equal_raw(b, raw);
	b->ops->close(b);
}

static void test_option_matrix(void **state)
{
	static const char *const opts[] = {
		"compat=0.10,cluster_size=65536",
		"compat=0.10,cluster_size=512",
		"compat=1.1,cluster_size=4096,refcount_bits=1",
		"compat=1.1,cluster_size=65536,refcount_bits=2",
		"compat=1.1,cluster_size=1024,refcount_bits=4",
		"compat=1.1,cluster_size=8192,refcount_bits=8",
		"compat=1.1,cluster_size=65536,refcount_bits=16",
		"compat=1.1,cluster_size=32768,refcount_bits=32",
		"compat=1.1,cluster_size=512,refcount_bits=64",
		"compat=1.1,cluster_size=65536,lazy_refcounts=on",
		"compat=1.1,cluster_size=65536,preallocation=metadata",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		print_message("  %s\n", opts[i]);
		roundtrip(*state, opts[i], 6 * MIB);
	}
	print_message("  compat=1.1,cluster_size=2097152\n");
	roundtrip(*state, "compat=1.1,cluster_size=2097152", 32 * MIB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_option_matrix, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
