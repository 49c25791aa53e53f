/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsprobe: file system operations busybox cannot do, for the virtio-fs
 * system tests and bench/fs.sh. Static, so it runs in the test host and in
 * any guest root. Results go to stdout; a failed system call prints its
 * errno name (ENOENT, EROFS, ...) instead of a result, so a test compares
 * words.
 *
 *   fsprobe write PATH                 create/truncate PATH, write "x": ok|ERR
 *   fsprobe read PATH                  PATH's content (first 4 KiB) | ERR
 *   fsprobe xattr-set PATH NAME VALUE  ok | ERR
 *   fsprobe xattr-get PATH NAME        the value | ERR
 *   fsprobe xattr-list PATH            names, sorted, space-separated | ERR
 *   fsprobe xattr-remove PATH NAME     ok | ERR
 *   fsprobe falloc PATH OFF LEN        fallocate(0): ok | ERR
 *   fsprobe punch PATH OFF LEN         punch a hole (KEEP_SIZE): ok | ERR
 *   fsprobe seek-data PATH OFF         lseek SEEK_DATA: offset | ERR
 *   fsprobe seek-hole PATH OFF         lseek SEEK_HOLE: offset | ERR
 *   fsprobe unlink-open PATH           write, unlink, then use the open fd:
 *                                      ok | what went wrong
 *   fsprobe link-follow OLD NEW        linkat(AT_SYMLINK_FOLLOW): ok | ERR
 *   fsprobe openat-moved DIR READY GO SECS NAME...
 *                                      open DIR, create READY, wait (reading
 *                                      GO's directory) until GO exists, then
 *                                      openat(dirfd, NAME) and print
 *                                      "NAME: content|ERR" for each NAME;
 *                                      a NAME starting with '+' is mkdirat'ed
 *   fsprobe race-read PATH ITER SECRET open+read PATH ITER times: prints
 *                                      "reads N inside N errors N secret N"
 *                                      (secret: reads that contained SECRET)
 *   fsprobe flip A B MAX STOPFILE      swap A and B (RENAME_EXCHANGE) until
 *                                      STOPFILE exists or MAX swaps: "flips N"
 *   fsprobe pattern PATH MIB SEED      write MIB MiB of pseudo-random data
 *                                      (xorshift64*, far cheaper than
 *                                      /dev/urandom under emulation): ok | ERR
 *   fsprobe sum PATH                   64-bit checksum of PATH's content (every
 *                                      byte and its position count) and size
 *   fsprobe mmap-sum PATH              the same, read through a shared
 *                                      read-only mmap of PATH
 *   fsprobe mmap-write PATH OFF TEXT   write TEXT at OFF through a shared
 *                                      writable mmap, msync: ok | ERR
 *   fsprobe stat-sync PATH COUNT       statx(AT_STATX_FORCE_SYNC) PATH COUNT
 *                                      times (on virtio-fs: one GETATTR round
 *                                      trip each): ok | ERR
 *   fsprobe time LABEL CMD [ARG...]    run CMD; print "time LABEL SECONDS" to
 *                                      stderr; exit with CMD's status
 *   fsprobe randio PATH r|w COUNT SEED COUNT reads or writes of 4 KiB at
 *                                      4 KiB-aligned pseudo-random offsets
 *                                      inside PATH's size, with O_DIRECT
 *                                      (writes: then fdatasync): ok | ERR
 *
 * Exit status 0 when the probe ran (whatever it found), 1 when flip, time
 * or randio failed to run, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int put_errno(void)
{
	printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	return 0;
}

static int put_ok(int ret)
{
	if (ret < 0)
		return put_errno();
	printf("ok\n");
	return 0;
}

static long long num(const char *s)
{
	return strtoll(s, NULL, 0);
}

static ssize_t read_fd(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static int probe_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return put_errno();
	if (write(fd, "x", 1) != 1) {
		put_errno();
		close(fd);
		return 0;
	}
	return put_ok(close(fd));
}

static int probe_read(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return put_errno();
	n = read_fd(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return put_errno();
	fwrite(buf, 1, n, stdout);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int probe_xattr_list(const char *path)
{
	char buf[65536], *names[1024];
	ssize_t len = llistxattr(path, buf, sizeof(buf));
	size_t n = 0;

	if (len < 0)
		return put_errno();
	for (char *p = buf; p < buf + len && n < 1024; p += strlen(p) + 1)
		names[n++] = p;
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", names[i]);
	printf("\n");
	return 0;
}

static int probe_xattr_get(const char *path, const char *name)
{
	char buf[65536];
	ssize_t len = lgetxattr(path, name, buf, sizeof(buf));

	if (len < 0)
		return put_errno();
	printf("%.*s\n", (int)len, buf);
	return 0;
}

static int probe_fallocate(const char *path, int mode, const char *off,
			   const char *len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0)
		return put_errno();
	ret = fallocate(fd, mode, num(off), num(len));
	if (ret < 0)
		put_errno();
	close(fd);
	return ret < 0 ? 0 : put_ok(0);
}

static int probe_seek(const char *path, int whence, const char *off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t at;

	if (fd < 0)
		return put_errno();
	at = lseek(fd, num(off), whence);
	if (at < 0)
		put_errno();
	else
		printf("%lld\n", (long long)at);
	close(fd);
	return 0;
}

static const char *unlink_open_steps(int fd, const char *path)
{
	char buf[16] = {0};
	struct stat st;

	if (write(fd, "before", 6) != 6)
		return "write";
	if (unlink(path) < 0)
		return "unlink";
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return "still visible after unlink";
	if (fstat(fd, &st) < 0)
		return "fstat";
	if (st.st_nlink != 0)
		return "nlink not 0 after unlink";
	if (pwrite(fd, "after", 5, 6) != 5)
		return "pwrite after unlink";
	if (pread(fd, buf, 11, 0) != 11 || memcmp(buf, "beforeafter", 11))
		return "pread after unlink";
	if (fstat(fd, &st) < 0 || st.st_size != 11)
		return "size after unlink";
	return NULL;
}

static int probe_unlink_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *failed;

	if (fd < 0)
		return put_errno();
	errno = 0;
	failed = unlink_open_steps(fd, path);
	if (failed)
		printf("%s: %s\n", failed,
		       errno ? strerrorname_np(errno) : "wrong result");
	else
		printf("ok\n");
	close(fd);
	return 0;
}

/* Reading GO's directory asks the server; a stat could be answered from a
 * cached negative lookup. */
static int dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		found = strcmp(e->d_name, name) == 0;
	closedir(d);
	return found;
}

static int wait_for(const char *path, int secs)
{
	char *copy = strdup(path);
	char *slash = copy ? strrchr(copy, '/') : NULL;
	int found = 0;

	if (!slash) {
		free(copy);
		return 0;
	}
	*slash = '\0';
	for (int i = 0; i < secs * 10 && !found; i++) {
		found = dir_has(*copy ? copy : "/", slash + 1);
		if (!found)
			usleep(100000);
	}
	free(copy);
	return found;
}

static void openat_one(int dirfd, const char *name)
{
	char buf[256];
	ssize_t n;
	int fd;

	printf("%s: ", name);
	if (name[0] == '+') {
		put_ok(mkdirat(dirfd, name + 1, 0755));
		return;
	}
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		put_errno();
		return;
	}
	n = read_fd(fd, buf, sizeof(buf) - 1);
	if (n < 0 && errno == EISDIR)
		printf("directory\n");
	else if (n < 0)
		put_errno();
	else {
		buf[n] = '\0';
		printf("%.*s\n", (int)strcspn(buf, "\n"), buf);
	}
	close(fd);
}

static int probe_openat_moved(char **argv, int argc)
{
	int dirfd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd;

	if (dirfd < 0)
		return put_errno();
	fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return put_errno();
	close(fd);
	if (!wait_for(argv[2], atoi(argv[3]))) {
		printf("timed out waiting for %s\n", argv[2]);
		return 0;
	}
	for (int i = 4; i < argc; i++)
		openat_one(dirfd, argv[i]);
	close(dirfd);
	return 0;
}

static int probe_race_read(const char *path, long iter, const char *secret)
{
	long inside = 0, errors = 0, leaked = 0;
	char buf[256];

	for (long i = 0; i < iter; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			errors++;
			continue;
		}
		n = read_fd(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0) {
			errors++;
			continue;
		}
		buf[n] = '\0';
		if (strstr(buf, secret))
			leaked++;
		else
			inside++;
	}
	printf("reads %ld inside %ld errors %ld secret %ld\n", iter, inside,
	       errors, leaked);
	return 0;
}

static int probe_flip(const char *a, const char *b, long max, const char *stop)
{
	long n;

	for (n = 0; n < max && access(stop, F_OK) < 0; n++) {
		if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0) {
			fprintf(stderr, "fsprobe flip: %s <-> %s: %s\n", a, b,
				strerror(errno));
			return 1;
		}
	}
	printf("flips %ld\n", n);
	return 0;
}

static uint64_t xorshift64s(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1DULL;
}

static int probe_pattern(const char *path, long mib, uint64_t seed)
{
	static uint64_t buf[(1 << 20) / 8];
	uint64_t x = seed | 1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return put_errno();
	for (long i = 0; i < mib; i++) {
		for (size_t j = 0; j < sizeof(buf) / 8; j++)
			buf[j] = xorshift64s(&x);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			put_errno();
			close(fd);
			return 0;
		}
	}
	return put_ok(close(fd));
}

/* Not cryptographic: catches lost, misplaced or corrupted bytes. */
static uint64_t sum_add(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define SUM_START 0xcbf29ce484222325ULL

static int probe_sum(const char *path)
{
	static unsigned char buf[1 << 20];
	uint64_t h = SUM_START, size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return put_errno();
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		h = sum_add(h, buf, (size_t)n);
		size += n;
	}
	if (n < 0)
		put_errno();
	else
		printf("%016llx %llu\n", (unsigned long long)h,
		       (unsigned long long)size);
	close(fd);
	return 0;
}

static int probe_mmap_sum(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p = MAP_FAILED;

	if (fd < 0 || fstat(fd, &st) < 0)
		return put_errno();
	if (st.st_size > 0)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd,
			 0);
	close(fd);
	if (st.st_size > 0 && p == MAP_FAILED)
		return put_errno();
	printf("%016llx %llu\n",
	       (unsigned long long)(st.st_size ? sum_add(SUM_START, p,
							 (size_t)st.st_size)
					       : SUM_START),
	       (unsigned long long)st.st_size);
	if (st.st_size > 0)
		munmap(p, (size_t)st.st_size);
	return 0;
}

static int probe_mmap_write(const char *path, const char *off_text,
			    const char *text)
{
	size_t off = strtoull(off_text, NULL, 0), len = strlen(text);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	char *p;

	if (fd < 0)
		return put_errno();
	p = mmap(NULL, off + len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return put_errno();
	memcpy(p + off, text, len);
	if (msync(p, off + len, MS_SYNC) < 0)
		return put_errno();
	return put_ok(munmap(p, off + len));
}

static int probe_randio(const char *path, const char *mode, long count,
			uint64_t seed)
{
	bool wr = !strcmp(mode, "w");
	uint64_t x = seed | 1, blocks;
	struct stat st;
	void *buf;
	int fd, ret = 0;

	if (!wr && strcmp(mode, "r"))
		return -1;
	fd = open(path, (wr ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		put_errno();
		return 1;
	}
	blocks = (uint64_t)st.st_size / 4096;
	if (!blocks || posix_memalign(&buf, 4096, 4096)) {
		printf("EINVAL\n");
		close(fd);
		return 1;
	}
	memset(buf, 0x5a, 4096);
	for (long i = 0; i < count && !ret; i++) {
		off_t off = (off_t)(xorshift64s(&x) % blocks) * 4096;
		ssize_t n = wr ? pwrite(fd, buf, 4096, off)
			       : pread(fd, buf, 4096, off);

		if (n != 4096)
			ret = 1;
	}
	if (!ret && wr && fdatasync(fd) < 0)
		ret = 1;
	if (ret)
		put_errno();
	else
		printf("ok\n");
	free(buf);
	close(fd);
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int probe_time(const char *label, char **cmd)
{
	double start = now();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "fsprobe time: %s: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	fprintf(stderr, "time %s %.6f\n", label, now() - start);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int probe_stat_sync(const char *path, long count)
{
	struct statx stx;

	for (long i = 0; i < count; i++) {
		if (statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS,
			  &stx) < 0)
			return put_ok(-1);
	}
	return put_ok(0);
}

static int dispatch(int argc, char **argv)
{
	const char *cmd = argv[1];
	char **a = argv + 2;
	int n = argc - 2;

	if (!strcmp(cmd, "write") && n == 1)
		return probe_write(a[0]);
	if (!strcmp(cmd, "read") && n == 1)
		return probe_read(a[0]);
	if (!strcmp(cmd, "xattr-set") && n == 3)
		return put_ok(lsetxattr(a[0], a[1], a[2], strlen(a[2]), 0));
	if (!strcmp(cmd, "xattr-get") && n == 2)
		return probe_xattr_get(a[0], a[1]);
	if (!strcmp(cmd, "xattr-list") && n == 1)
		return probe_xattr_list(a[0]);
	if (!strcmp(cmd, "xattr-remove") && n == 2)
		return put_ok(lremovexattr(a[0], a[1]));
	if (!strcmp(cmd, "falloc") && n == 3)
		return probe_fallocate(a[0], 0, a[1], a[2]);
	if (!strcmp(cmd, "punch") && n == 3)
		return probe_fallocate(
			a[0], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, a[1],
			a[2]);
	if (!strcmp(cmd, "seek-data") && n == 2)
		return probe_seek(a[0], SEEK_DATA, a[1]);
	if (!strcmp(cmd, "seek-hole") && n == 2)
		return probe_seek(a[0], SEEK_HOLE, a[1]);
	if (!strcmp(cmd, "unlink-open") && n == 1)
		return probe_unlink_open(a[0]);
	if (!strcmp(cmd, "link-follow") && n == 2)
		return put_ok(linkat(AT_FDCWD, a[0], AT_FDCWD, a[1],
				     AT_SYMLINK_FOLLOW));
	if (!strcmp(cmd, "openat-moved") && n >= 4)
		return probe_openat_moved(a, n);
	if (!strcmp(cmd, "race-read") && n == 3)
		return probe_race_read(a[0], atol(a[1]), a[2]);
	if (!strcmp(cmd, "flip") && n == 4)
		return probe_flip(a[0], a[1], atol(a[2]), a[3]);
	if (!strcmp(cmd, "pattern") && n == 3)
		return probe_pattern(a[0], atol(a[1]), strtoull(a[2], NULL, 0));
	if (!strcmp(cmd, "sum") && n == 1)
		return probe_sum(a[0]);
	if (!strcmp(cmd, "mmap-sum") && n == 1)
		return probe_mmap_sum(a[0]);
	if (!strcmp(cmd, "mmap-write") && n == 3)
		return probe_mmap_write(a[0], a[1], a[2]);
	if (!strcmp(cmd, "randio") && n == 4)
		return probe_randio(a[0], a[1], atol(a[2]),
				    strtoull(a[3], NULL, 0));
	if (!strcmp(cmd, "stat-sync") && n == 2)
		return probe_stat_sync(a[0], atol(a[1]));
	if (!strcmp(cmd, "time") && n >= 2)
		return probe_time(a[0], a + 1);
	return -1;
}

int main(int argc, char **argv)
{
	int ret = argc >= 2 ? dispatch(argc, argv) : -1;

	if (ret < 0) {
		fprintf(stderr,
			"usage: see the comment at the top of fsprobe.c\n");
		return 2;
	}
	fflush(stdout);
	return ret;
}
