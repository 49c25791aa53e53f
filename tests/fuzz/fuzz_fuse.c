// SPDX-License-Identifier: Apache-2.0
/*
 * FUSE requests into the FUSE server (fuse_server_try_handle) over a
 * temporary share. Beside the share lies `outside/` with a sentinel file,
 * a directory and a symlink, and the share holds symlinks (relative and
 * absolute) that point there. After every input the harness checks that
 * nothing outside the share changed: the sentinel's content and metadata,
 * every entry of `outside/` and the listing of the directory holding both.
 * Every reply must be well-formed.
 *
 * Input: one options byte (bit 0: no openat2, bit 1: read-only share,
 * bit 2: no FUSE_INIT first, bit 3: a DAX window of DAX_WINDOW bytes for
 * SETUPMAPPING and REMOVEMAPPING), then records of
 *   u16 len, u8 flags, len bytes of request
 * flags bit 0: keep the header's len field (otherwise it is set to len);
 * bits 1-2: reply room (large, header only, none, one page); bit 3: split
 * the request into two iovecs at the next input byte; bit 4: split the
 * reply into two iovecs.
 *
 * The share is recreated for every input, so an input replays alike.
 * Lengths that would allocate disk space (FALLOCATE, COPY_FILE_RANGE) are
 * capped at 1 MiB; everything else reaches the server as given.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "util/log.h"
#include "virtio/fs/fuse_server.h"

#define MAX_RECORDS 64
#define BIG_REPLY (128u << 10)
#define SPACE_CAP (1u << 20)
#define SNAP_MAX (16u << 10)
#define DAX_WINDOW (8u << 20)

struct fuse_fuzz {
	char base[256];
	char share[300];
	char outside[300];
	char before[SNAP_MAX];
	size_t before_len;
	uint8_t reply[BIG_REPLY + 64];
};

static struct fuse_fuzz *g;

struct snap {
	char *buf;
	size_t len;
};

static void snap_put(struct snap *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void snap_put(struct snap *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, SNAP_MAX - s->len, fmt, ap);
	va_end(ap);
	FUZZ_CHECK(n >= 0 && (size_t)n < SNAP_MAX - s->len,
		   "snapshot of `outside/` too large");
	s->len += (size_t)n;
}

static void snap_entry(struct snap *s, const char *path, const char *name)
{
	struct stat st;
	char data[64];
	ssize_t n = 0;
	int fd;

	FUZZ_CHECK(lstat(path, &st) == 0, "lstat `%s`: %s", path,
		   strerror(errno));
	snap_put(s, "%s ino=%llu mode=%o uid=%u gid=%u size=%lld nlink=%llu "
		    "mtime=%lld.%ld ctime=%lld.%ld",
		 name, (unsigned long long)st.st_ino, st.st_mode, st.st_uid,
		 st.st_gid, (long long)st.st_size,
		 (unsigned long long)st.st_nlink, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
		 st.st_ctim.tv_nsec);
	if (S_ISREG(st.st_mode)) {
		fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC);
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		FUZZ_CHECK(fd >= 0, "open `%s`: %s", path, strerror(errno));
		n = read(fd, data, sizeof(data));
		close(fd);
		snap_put(s, " data=%.*s", n > 0 ? (int)n : 0, data);
	}
	snap_put(s, "\n");
}

/* Every entry under dir (recursively, symlinks not followed). */
static void snap_tree(struct snap *s, const char *dir, const char *rel)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	FUZZ_CHECK(n >= 0, "scan `%s`: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[1024], sub[512];
		struct stat st;

		if (strcmp(names[i]->d_name, ".") &&
		    strcmp(names[i]->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			snprintf(sub, sizeof(sub), "%s/%s", rel,
				 names[i]->d_name);
			snap_entry(s, path, sub);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				snap_tree(s, path, sub);
		}
		free(names[i]);
	}
	free(names);
}

/* The base directory's names (share/, outside/ only) and outside/. */
static size_t snapshot(char *buf)
{
	struct snap s = {.buf = buf};
	struct dirent **names;
	int n = scandir(g->base, &names, NULL, alphasort);

	FUZZ_CHECK(n >= 0, "scan `%s`: %s", g->base, strerror(errno));
	for (int i = 0; i < n; i++) {
		snap_put(&s, "%s\n", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	snap_entry(&s, g->outside, "outside");
	snap_tree(&s, g->outside, "outside");
	return s.len;
}

static void host_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0, "create `%s`: %s", path, strerror(errno));
	FUZZ_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text),
		   "write `%s`", path);
	close(fd);
}

static void host_mkdir(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FUZZ_CHECK(mkdir(path, 0755) == 0, "mkdir `%s`: %s", path,
		   strerror(errno));
}

static void host_symlink(const char *dir, const char *name, const char *to)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FUZZ_CHECK(symlink(to, path) == 0, "symlink `%s`: %s", path,
		   strerror(errno));
}

/* Remove everything below dir (not dir itself), whatever its modes. */
static void wipe(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	FUZZ_CHECK(d, "fdopendir: %s", strerror(errno));
	while ((e = readdir(d))) {
		struct stat st;
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			fchmodat(dirfd, e->d_name, 0700, 0);
			sub = openat(dirfd, e->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC);
			FUZZ_CHECK(sub >= 0, "open `%s`: %s", e->d_name,
				   strerror(errno));
			wipe(sub);
		}
		FUZZ_CHECK(unlinkat(dirfd, e->d_name,
				    S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) ==
				   0,
			   "remove `%s`: %s", e->d_name, strerror(errno));
		rewinddir(d);
	}
	closedir(d);
}

static void cleanup_base(void)
{
	int fd;

	if (!g)
		return;
	fd = open(g->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		wipe(fd);
	rmdir(g->base);
	free(g);
	g = NULL;
}

static void setup_once(void)
{
	const char *tmp = getenv("TMPDIR");
	char target[512];

	g = calloc(1, sizeof(*g));
	FUZZ_CHECK(g, "out of memory");
	snprintf(g->base, sizeof(g->base), "%s/krun-fuzz-fuse-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(g->base), "mkdtemp `%s`: %s", g->base,
		   strerror(errno));
	snprintf(g->share, sizeof(g->share), "%s/share", g->base);
	snprintf(g->outside, sizeof(g->outside), "%s/outside", g->base);
	host_mkdir(g->base, "share");
	host_mkdir(g->base, "outside");
	host_file(g->outside, "sentinel", "sentinel: must never change\n");
	host_mkdir(g->outside, "dir");
	snprintf(target, sizeof(target), "%s/sentinel", g->outside);
	host_symlink(g->outside, "abs", target);
	g->before_len = snapshot(g->before);
	atexit(cleanup_base);
	/* Malformed requests are logged at debug level only; warnings from
	 * refused requests would flood the fuzzer's output. */
	krun_log_set_level(KRUN_LOG_ERROR);
}

/* The share's starting contents: nodeids follow lookup order from 2. */
static void populate_share(void)
{
	char target[512];

	host_file(g->share, "file", "hello\n");
	host_mkdir(g->share, "dir");
	host_file(g->share, "dir/inner", "inner\n");
	host_symlink(g->share, "rel", "../outside/sentinel");
	snprintf(target, sizeof(target), "%s/sentinel", g->outside);
	host_symlink(g->share, "abs", target);
	host_symlink(g->share, "dir/up", "../../outside");
	host_symlink(g->share, "dot", "..");
}

static void cap_u64(uint8_t *req, size_t len, size_t off)
{
	uint64_t v;

	if (len < off + 8)
		return;
	memcpy(&v, req + off, 8);
	if (v > SPACE_CAP) {
		v = SPACE_CAP;
		memcpy(req + off, &v, 8);
	}
}

static void cap_space(uint8_t *req, size_t len)
{
	const size_t hdr = sizeof(struct fuse_in_header);
	uint32_t opcode;

	if (len < hdr)
		return;
	memcpy(&opcode, req + offsetof(struct fuse_in_header, opcode), 4);
	if (opcode == FUSE_FALLOCATE)
		cap_u64(req, len, hdr + offsetof(struct fuse_fallocate_in,
						 length));
	else if (opcode == FUSE_COPY_FILE_RANGE)
		cap_u64(req, len,
			hdr + offsetof(struct fuse_copy_file_range_in, len));
}

static void check_reply(const uint8_t *req, size_t req_len, ssize_t n,
			size_t cap)
{
	struct fuse_out_header out;
	struct fuse_in_header in;

	if (n < 0) {
		FUZZ_CHECK(n == -ENOBUFS && cap < sizeof(out),
			   "server returned %zd with %zu bytes of room", n,
			   cap);
		return;
	}
	if (n == 0)
		return;
	FUZZ_CHECK((size_t)n >= sizeof(out) && (size_t)n <= cap,
		   "reply of %zd bytes, room %zu", n, cap);
	memcpy(&out, g->reply, sizeof(out));
	FUZZ_CHECK(out.len == (uint32_t)n, "reply header len %u, wrote %zd",
		   out.len, n);
	FUZZ_CHECK(out.error <= 0 && out.error > -4096, "reply error %d",
		   out.error);
	FUZZ_CHECK(out.error == 0 || (size_t)n == sizeof(out),
		   "error reply with a body (%zd bytes)", n);
	if (req_len >= sizeof(in)) {
		memcpy(&in, req, sizeof(in));
		FUZZ_CHECK(out.unique == in.unique, "reply unique %llu != %llu",
			   (unsigned long long)out.unique,
			   (unsigned long long)in.unique);
	}
}

static const size_t reply_room[] = {BIG_REPLY,
				    sizeof(struct fuse_out_header), 0, 4096};

static void run_record(struct fuse_server *srv, struct fuzz_in *in)
{
	uint16_t len = fin_u16(in);
	uint8_t flags = fin_u8(in);
	uint8_t split = (flags & 8) ? fin_u8(in) : 0;
	size_t cap = reply_room[(flags >> 1) & 3];
	struct iovec req[2], reply[2];
	unsigned int nreq = 1, nreply = 1;
	const uint8_t *src;
	uint8_t *buf;
	ssize_t n;

	len = (uint16_t)fin_take(in, len, &src);
	buf = malloc(len ? len : 1);
	FUZZ_CHECK(buf, "out of memory");
	memcpy(buf, src, len);
	if (!(flags & 1) && len >= sizeof(struct fuse_in_header)) {
		uint32_t l = len;

		memcpy(buf, &l, 4);
	}
	cap_space(buf, len);
	req[0] = (struct iovec){buf, len};
	if ((flags & 8) && len) {
		size_t at = split % len;

		req[0].iov_len = at;
		req[1] = (struct iovec){buf + at, len - at};
		nreq = 2;
	}
	reply[0] = (struct iovec){g->reply, cap};
	if ((flags & 16) && cap > 24) {
		reply[0].iov_len = 24;
		reply[1] = (struct iovec){g->reply + 24, cap - 24};
		nreply = 2;
	}
	memset(g->reply, 0, sizeof(struct fuse_out_header));
	n = fuse_server_try_handle(srv, req, nreq, reply, nreply);
	if (n == -EWOULDBLOCK)
		n = fuse_server_refuse(srv, req, nreq, reply, nreply, EAGAIN);
	check_reply(buf, len, n, cap);
	free(buf);
}

static void send_init(struct fuse_server *srv)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in i;
	} req = {
		.h = {.len = sizeof(req), .opcode = FUSE_INIT, .unique = 1},
		.i = {.major = FUSE_KERNEL_VERSION,
		      .minor = FUSE_KERNEL_MINOR_VERSION,
		      .max_readahead = 1u << 20,
		      .flags = 0xffffffffu},
	};
	struct iovec rq = {&req, sizeof(req)};
	struct iovec rp = {g->reply, BIG_REPLY};

	FUZZ_CHECK(fuse_server_handle(srv, &rq, 1, &rp, 1) > 0,
		   "FUSE_INIT failed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuse_server_opts opts = {.cache_timeout_ms = 1000};
	struct krun_err *err = NULL;
	char after[SNAP_MAX];
	struct fuse_server *srv;
	size_t after_len;
	struct fuzz_in in;
	uint8_t mode;
	int fd;

	if (!g)
		setup_once();
	fin_init(&in, data, size);
	mode = fin_u8(&in);
	opts.no_openat2 = mode & 1;
	opts.read_only = mode & 2;
	populate_share();
	srv = fuse_server_create(g->share, &opts, &err);
	FUZZ_CHECK(srv, "fuse_server_create: %s", krun_err_msg(err));
	if (mode & 8) {
		void *window;

		FUZZ_CHECK(fuse_server_enable_dax(srv, DAX_WINDOW, &window,
						  &err) == 0,
			   "fuse_server_enable_dax: %s", krun_err_msg(err));
	}
	if (!(mode & 4))
		send_init(srv);
	for (int i = 0; i < MAX_RECORDS && in.left; i++)
		run_record(srv, &in);
	fuse_server_destroy(srv);

	after_len = snapshot(after);
	FUZZ_CHECK(after_len == g->before_len &&
			   !memcmp(after, g->before, g->before_len),
		   "something outside the share changed:\n--- before\n%.*s"
		   "--- after\n%.*s",
		   (int)g->before_len, g->before, (int)after_len, after);
	fd = open(g->share, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0, "open share: %s", strerror(errno));
	wipe(fd);
	return 0;
}
