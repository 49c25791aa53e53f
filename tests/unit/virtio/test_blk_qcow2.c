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
static void open_fails(const char *path, bool ro, const char *want)
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

/* convert -c: compressed clusters read back; overwrites go elsewhere. */
static void test_compressed(void **state)
{
	struct fx *f = *state;
	const char *raw = pathf(f, "ref.raw"), *img = pathf(f, "c.qcow2");
	struct blk_backend *b;

	make_raw(raw, 4 * MIB, 9);
	assert_int_equal(
		sh("qemu-img convert -c -f raw -O qcow2 '%s' '%s'", raw, img),
		0);
	assert_int_equal(
		sh("qemu-img map --output=json '%s' | grep -q compressed.*true || "
		   "qemu-img check --output=json '%s' | grep -q compressed-clusters",
		   img, img),
		0);
	b = open_ok(img, false);
	expect_equal_raw(b, raw);
	apply_ops(b, raw, 65536);
	expect_equal_raw(b, raw);
	b->ops->close(b);
	judge(img, raw);
}

/* base (raw) <- mid (qcow2, relative name) <- top: reads, writes, base. */
static void test_backing_chain(void **state)
{
	struct fx *f = *state;
	const char *base = pathf(f, "base.raw"), *ref = pathf(f, "ref.raw");
	const char *top = pathf(f, "top.qcow2");
	struct blk_backend *b;

	make_raw(base, 3 * MIB, 4);
	assert_int_equal(
		sh("cd '%s' && qemu-img create -q -f qcow2 -F raw -b base.raw mid.qcow2 4M && "
		   "qemu-io -f qcow2 -c 'write -P 0x5a 64k 192k' -c 'write -z 1M 64k' mid.qcow2 >/dev/null && "
		   "qemu-img create -q -f qcow2 -F qcow2 -b mid.qcow2 top.qcow2 4M && "
		   "qemu-io -f qcow2 -c 'write -P 0x77 100k 8k' top.qcow2 >/dev/null && "
		   "qemu-img convert -f qcow2 -O raw top.qcow2 ref.raw && "
		   "sha256sum base.raw mid.qcow2 > sums",
		   f->dir),
		0);
	b = open_ok(top, false);
	expect_equal_raw(b, ref);
	apply_ops(b, ref, 65536);
	expect_equal_raw(b, ref);
	b->ops->close(b);
	judge(top, ref);
	assert_int_equal(sh("cd '%s' && sha256sum -c --quiet sums", f->dir), 0);
}

/* A copy of src with bytes patched at off (big-endian value of n bytes). */
static void patch(const char *path, uint64_t off, uint64_t v, int n)
{
	int fd = open(path, O_WRONLY);
	uint8_t be[8];

	for (int i = 0; i < n; i++)
		be[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	assert_int_equal(pwrite(fd, be, n, (off_t)off), n);
	close(fd);
}

static const char *fresh(struct fx *f, const char *name, const char *opts)
{
	const char *p = pathf(f, name);

	assert_int_equal(sh("qemu-img create -q -f qcow2 %s '%s' 8M", opts, p),
			 0);
	return p;
}

static void test_unsupported_features(void **state)
{
	struct fx *f = *state;
	const char *p;

	p = fresh(f, "ext.qcow2", "-o extended_l2=on");
	open_fails(p, false, "extended L2");
	p = fresh(f, "data.qcow2",
		  "-o data_file="
		  "/tmp/krun-unused-data-file.raw");
	unlink("/tmp/krun-unused-data-file.raw");
	open_fails(p, true, "external data file");
	if (sh("qemu-img create -q -f qcow2 -o compression_type=zstd '%s' 8M",
	       pathf(f, "z.qcow2")) == 0)
		open_fails(pathf(f, "z.qcow2"), false, "zstd");
	else
		print_message("  (this qemu-img cannot make zstd images)\n");
	p = fresh(f, "enc.qcow2", "");
	patch(p, 32, 1, 4);
	open_fails(p, false, "encryption");
	p = fresh(f, "dirty.qcow2", "");
	patch(p, 72, 1, 8);
	open_fails(p, false, "qemu-img check -r all");
	p = fresh(f, "corrupt.qcow2", "");
	patch(p, 72, 2, 8);
	open_fails(p, false, "marked corrupt");
	p = fresh(f, "unknown.qcow2", "");
	patch(p, 72, 1u << 10, 8);
	open_fails(p, false, "incompatible feature bit 10");
	p = fresh(f, "v4.qcow2", "");
	patch(p, 4, 4, 4);
	open_fails(p, false, "version 4");
}

static void test_snapshots_bitmaps_read_only(void **state)
{
	struct fx *f = *state;
	const char *p = fresh(f, "snap.qcow2", "");
	struct blk_backend *b;
	uint8_t buf[512], want[512];

	assert_int_equal(
		sh("qemu-io -f qcow2 -c 'write -P 1 0 512' '%s' >/dev/null && "
		   "qemu-img snapshot -c s1 '%s' && "
		   "qemu-io -f qcow2 -c 'write -P 2 0 512' '%s' >/dev/null",
		   p, p, p),
		0);
	open_fails(p, false, "internal snapshots");
	b = open_ok(p, true);
	bread(b, buf, 512, 0);
	memset(want, 2, 512);
	assert_memory_equal(buf, want, 512);
	b->ops->close(b);
	p = fresh(f, "bm.qcow2", "");
	assert_int_equal(sh("qemu-img bitmap --add '%s' b0", p), 0);
	open_fails(p, false, "dirty bitmaps");
	b = open_ok(p, true);
	b->ops->close(b);
}

static void test_backing_format_needed(void **state)
{
	struct fx *f = *state;
	const char *p;

	fresh(f, "b.qcow2", "");
	assert_int_equal(
		sh("cd '%s' && qemu-img create -q -f qcow2 -F qcow2 -b b.qcow2 o.qcow2 && "
		   "qemu-img rebase -q -u -b b.qcow2 -F qcow2 o.qcow2",
		   f->dir),
		0);
	p = pathf(f, "o.qcow2");

	{
		struct blk_backend *b = open_ok(p, false);

		b->ops->close(b);
	}
	/* Turn the backing-format extension into an unknown one. */
	assert_int_equal(
		sh("python3 -c \"import sys; d=bytearray(open(sys.argv[1],'rb').read());"
		   "i=d.find(bytes.fromhex('e2792aca')); d[i:i+4]=bytes.fromhex('0badf00d');"
		   "open(sys.argv[1],'r+b').write(d)\" '%s'",
		   p),
		0);
	open_fails(p, false, "qemu-img rebase -u");
}

static uint64_t peek(const char *path, uint64_t off, int n)
{
	int fd = open(path, O_RDONLY);
	uint8_t be[8];
	uint64_t v = 0;

	assert_int_equal(pread(fd, be, n, (off_t)off), n);
	close(fd);
	for (int i = 0; i < n; i++)
		v = v << 8 | be[i];
	return v;
}

/* A 4 MiB image with data in its first cluster (so L1[0] is set). */
static const char *with_data(struct fx *f, const char *name)
{
	const char *p = fresh(f, name, "");

	assert_int_equal(
		sh("qemu-io -f qcow2 -c 'write -P 3 0 64k' '%s' >/dev/null", p),
		0);
	return p;
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	const char *p;
	uint64_t l1, rt;

	p = with_data(f, "m1.qcow2");
	patch(p, 40, 1ull << 40, 8);
	open_fails(p, false, "L1 table");
	p = with_data(f, "m2.qcow2");
	patch(p, 40, 0, 8);
	open_fails(p, false, "overlaps the header");
	p = with_data(f, "m3.qcow2");
	patch(p, 48, 1ull << 40, 8);
	open_fails(p, false, "refcount table");
	p = with_data(f, "m4.qcow2");
	patch(p, 40, peek(p, 48, 8), 8);
	open_fails(p, false, "overlap");
	p = with_data(f, "m5.qcow2");
	l1 = peek(p, 40, 8);
	patch(p, l1, (1ull << 63) | (1ull << 40), 8);
	open_fails(p, false, "L1 entry 0");
	p = with_data(f, "m6.qcow2");
	l1 = peek(p, 40, 8);
	patch(p, l1, (1ull << 63) | l1, 8); /* L2 == the L1 table */
	open_fails(p, false, "onto other metadata");
	p = with_data(f, "m7.qcow2");
	rt = peek(p, 48, 8);
	patch(p, rt, 1ull << 40, 8);
	open_fails(p, false, "refcount table entry 0");
	p = with_data(f, "m8.qcow2");
	patch(p, 20, 30, 4);
	open_fails(p, false, "cluster size");
	p = with_data(f, "m9.qcow2");
	assert_int_equal(truncate(p, 50), 0);
	open_fails(p, false, "too short");
	p = with_data(f, "m10.qcow2");
	patch(p, 36, 1u << 30, 4);
	open_fails(p, false, "L1 table size");
	p = with_data(f, "m11.qcow2");
	patch(p, 24, ~0ull, 8); /* size: would wrap the L1 size check */
	open_fails(p, false, "virtual size");
	p = pathf(f, "garbage");
	make_raw(p, 65536, 1);
	open_fails(p, false, "not a qcow2 image");
}

/* An L2 entry pointing past the end: open works, that read fails. */
static void test_bad_l2_entry(void **state)
{
	struct fx *f = *state;
	const char *p = with_data(f, "l2.qcow2");
	uint64_t l2 = peek(p, peek(p, 40, 8), 8) & 0x00fffffffffffe00ull;
	struct blk_backend *b;
	uint8_t buf[512];
	struct iovec iov = {buf, sizeof(buf)};

	patch(p, l2, (1ull << 63) | (1ull << 40), 8);
	b = open_ok(p, false);
	assert_int_equal(b->ops->readv(b, &iov, 1, 0), -EIO);
	assert_int_equal(b->ops->writev(b, &iov, 1, 0), -EIO);
	b->ops->close(b);
}

/* qemu-img check's report of path, into out (its exit status returned). */
static int check_report(const char *path, char *out, size_t len)
{
	char cmd[512];
	FILE *fp;
	size_t got;

	snprintf(cmd, sizeof(cmd), "qemu-img check '%s' 2>&1", path);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	got = fread(out, 1, len - 1, fp);
	out[got] = 0;
	return pclose(fp);
}

/*
 * An L2 entry pointing guest cluster 0 at a metadata cluster (L1 table,
 * L2 table, refcount table, refcount block): writing there in place, as a
 * preallocated zero cluster, or copying it away fails with EIO and leaves
 * the file as it was; reads still work.
 */
static void test_data_on_metadata(void **state)
{
	static const uint64_t flags[] = {1ull << 63, (1ull << 63) | 1, 0};
	struct fx *f = *state;
	uint8_t buf[512];
	struct iovec iov = {buf, sizeof(buf)};
	char before[4096], after[4096];

	memset(buf, 0xa5, sizeof(buf));
	for (int t = 0; t < 4; t++) {
		for (unsigned int v = 0; v < 3; v++) {
			const char *p =
				fresh(f, "dm.qcow2", "-o cluster_size=512");
			const char *copy = pathf(f, "dm.orig");
			uint64_t l1, l2, rt, target;
			struct blk_backend *b;
			int st;

			assert_int_equal(
				sh("qemu-io -f qcow2 -c 'write -P 7 0 512' -c 'write -P 8 1M 4k' '%s' >/dev/null",
				   p),
				0);
			l1 = peek(p, 40, 8);
			rt = peek(p, 48, 8);
			l2 = peek(p, l1, 8) & 0x00fffffffffffe00ull;
			target = t == 0	  ? l1
				 : t == 1 ? l2
				 : t == 2 ? rt
					  : peek(p, rt, 8);
			patch(p, l2, target | flags[v], 8);
			st = check_report(p, before, sizeof(before));
			assert_int_not_equal(st, 0);
			assert_int_equal(sh("cp '%s' '%s'", p, copy), 0);
			b = open_ok(p, false);
			assert_int_equal(b->ops->readv(b, &iov, 1, 0), 0);
			memset(buf, 0xa5, sizeof(buf));
			assert_int_equal(b->ops->writev(b, &iov, 1, 0), -EIO);
			assert_int_equal(b->ops->writev(b, &iov, 1, 100), -EIO);
			assert_int_equal(b->ops->flush(b), 0);
			b->ops->close(b);
			if (sh("cmp -s '%s' '%s'", p, copy) != 0)
				fail_msg(
					"target %d variant %u: a refused write changed the image",
					t, v);
			check_report(p, after, sizeof(after));
			assert_string_equal(before, after);
		}
	}
}

static void test_backing_loop(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
		sh("cd '%s' && qemu-img create -q -f qcow2 a.qcow2 1M && "
		   "qemu-img create -q -f qcow2 -F qcow2 -b a.qcow2 b.qcow2 && "
		   "qemu-img rebase -u -F qcow2 -b b.qcow2 a.qcow2 && "
		   "qemu-img create -q -f qcow2 self.qcow2 1M && "
		   "qemu-img rebase -u -F qcow2 -b self.qcow2 self.qcow2",
		   f->dir),
		0);
	open_fails(pathf(f, "b.qcow2"), false, "backing chain loop");
	open_fails(pathf(f, "self.qcow2"), true, "backing chain loop");
}

static void test_locking(void **state)
{
	struct fx *f = *state;
	const char *p = fresh(f, "lock.qcow2", "");
	struct blk_backend *w, *r1, *r2;

	w = open_ok(p, false);
	open_fails(p, false, "in use by another process");
	open_fails(p, true, "in use by another process");
	/* QEMU sees our lock too. */
	assert_int_not_equal(sh("qemu-img info '%s' >/dev/null 2>&1", p), 0);
	assert_int_not_equal(
		sh("qemu-io -f qcow2 -c 'read 0 512' '%s' >/dev/null 2>&1", p),
		0);
	w->ops->close(w);
	r1 = open_ok(p, true);
	r2 = open_ok(p, true);
	open_fails(p, false, "in use by another process");
	assert_int_equal(
		sh("qemu-io -r -f qcow2 -c 'read 0 512' '%s' >/dev/null", p),
		0);
	r1->ops->close(r1);
	r2->ops->close(r2);
	/* And we see QEMU's: qemu-io holds the image for two seconds. */
	assert_int_equal(
		sh("(sleep 2 | qemu-io -f qcow2 '%s' >/dev/null 2>&1 &) ; sleep 0.5",
		   p),
		0);
	open_fails(p, true, "in use by another process");
	sleep(2);
}

/*
 * A crash can leave a counted cluster past the end of the file (allocated,
 * never written): a later allocation must not count it a second time.
 */
static void test_leak_past_end(void **state)
{
	struct fx *f = *state;
	const char *p = fresh(f, "leak.qcow2", "");
	const char *raw = pathf(f, "leak.raw");
	struct stat st;
	uint64_t rb, c;
	struct blk_backend *b;
	int fd;

	assert_int_equal(stat(p, &st), 0);
	c = ((uint64_t)st.st_size + 65535) / 65536; /* the first past the end */
	rb = peek(p, peek(p, 48, 8), 8);
	patch(p, rb + 2 * c, 1, 2); /* cluster c: refcount 1, no reference */
	/* qemu-img check does not look past the end of the file. */
	assert_int_equal(sh("qemu-img check -q '%s' >/dev/null 2>&1", p), 0);
	b = open_ok(p, false);
	fd = open(raw, O_CREAT | O_WRONLY, 0644);
	assert_int_equal(ftruncate(fd, 8 * MIB), 0);
	both_write(b, fd, 0, 4096, 8);
	both_write(b, fd, 3 * MIB, 65536, 9);
	close(fd);
	b->ops->close(b);
	if (sh("qemu-img check -q '%s' >/dev/null 2>&1", p) != 3) {
		sh("qemu-img check '%s' >&2", p);
		fail_msg("a leaked cluster past the end was reused");
	}
	assert_int_equal(
		sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'", raw, p), 0);
}

/* The child: random writes, discards and zeroes until killed. */
static void churn(const char *path, unsigned int seed)
{
	struct blk_backend *b = NULL;
	static uint8_t buf[256 * 1024];

	if (blk_qcow2_open(path, false, &b, NULL) < 0)
		_exit(2);
	srand(seed);
	memset(buf, (int)seed, sizeof(buf));
	for (;;) {
		uint64_t sectors = b->size / 512;
		uint64_t off = (uint64_t)rand() % sectors * 512;
		uint64_t len = ((uint64_t)rand() % 512 + 1) * 512;
		struct iovec iov = {buf, len};

		if (len > b->size - off)
			len = iov.iov_len = b->size - off;
		switch (rand() % 8) {
		case 0:
			b->ops->discard(b, off, len);
			break;
		case 1:
			b->ops->write_zeroes(b, off, len, rand() % 2);
			break;
		case 2:
			b->ops->flush(b);
			break;
		default:
			b->ops->writev(b, &iov, 1, off);
		}
	}
}

/* SIGKILL at several moments: never corrupt (leaks are allowed). */
static void crash_loop(struct fx *f, const char *opts)
{
	const char *p = pathf(f, "crash.qcow2");
	int st;

	assert_int_equal(
		sh("qemu-img create -q -f qcow2 -o %s '%s' 16M", opts, p), 0);
	for (unsigned int i = 0; i < 8; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			churn(p, i + 1);
		usleep(20000 + 37000 * i);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		assert_true(WIFSIGNALED(st));
		st = sh("qemu-img check -q '%s' >/dev/null 2>&1", p);
		if (st != 0 && st != 3) {
			sh("qemu-img check '%s' >&2", p);
			fail_msg("%s: round %u: qemu-img check status %d", opts,
				 i, st);
		}
	}
	/* Leaks repaired, the image is clean again. */
	assert_int_equal(
		sh("qemu-img check -q -r leaks '%s' >/dev/null 2>&1", p), 0);
}

static void test_sigkill(void **state)
{
	crash_loop(*state, "cluster_size=65536");
	crash_loop(*state, "cluster_size=512,refcount_bits=64");
	crash_loop(*state, "compat=0.10,cluster_size=4096");
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_option_matrix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compressed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backing_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_features,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshots_bitmaps_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backing_format_needed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_l2_entry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_data_on_metadata, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backing_loop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_locking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leak_past_end, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sigkill, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
