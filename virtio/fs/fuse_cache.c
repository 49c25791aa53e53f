// SPDX-License-Identifier: Apache-2.0
/*
 * Guest cache policy (fuse_server_opts.cache) as FOPEN_* reply flags, and
 * the per-opcode request counters logged at debug level when the server
 * goes.
 *
 *   auto    the file's pages stay cached across opens while the host file
 *           is unchanged: each open compares the host file's size, mtime
 *           and ctime with what they were at its last open.
 *   always  pages stay cached across opens (FOPEN_KEEP_CACHE) and
 *           directory listings are cached (FOPEN_CACHE_DIR).
 *   never   no page cache for file data (FOPEN_DIRECT_IO).
 *
 * Under always the guest may also cache writes (WRITEBACK_CACHE): it then
 * keeps file size and mtime itself, writes whole pages back later, and so
 * may READ through a handle it opened write-only (to fill a partial page)
 * and WRITE at offsets of its own choosing on an O_APPEND handle. Such
 * opens are made O_RDWR on the host, and without O_APPEND: appending is
 * the guest's business, as in virtiofsd.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "virtio/fs/fuse_internal.h"

static bool stamp_equal(const struct fuse_file_stamp *a,
			const struct fuse_file_stamp *b)
{
	return a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec &&
	       a->ctim.tv_sec == b->ctim.tv_sec &&
	       a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* auto: true when the host file (fd: the new open) looks as it did at the
 * inode's last open; records how it looks now either way. */
static bool unchanged_since_last_open(struct fuse_inode *ino, int fd)
{
	struct fuse_file_stamp now = {.valid = true};
	struct stat st;
	bool same;

	if (fuse_stat_fd(fd, &st) < 0)
		return false;
	now.size = st.st_size;
	now.mtim = st.st_mtim;
	now.ctim = st.st_ctim;
	pthread_mutex_lock(&ino->table->lock);
	same = ino->stamp.valid && stamp_equal(&ino->stamp, &now);
	ino->stamp = now;
	pthread_mutex_unlock(&ino->table->lock);
	return same;
}

uint32_t fuse_cache_open_flags(struct fuse_server *srv, struct fuse_inode *ino,
			       int fd, bool is_dir)
{
	switch (srv->opts.cache) {
	case FUSE_CACHE_ALWAYS:
		return is_dir ? FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR
			      : FOPEN_KEEP_CACHE;
	case FUSE_CACHE_NEVER:
		return is_dir ? 0 : FOPEN_DIRECT_IO;
	case FUSE_CACHE_AUTO:
	default:
		if (is_dir || !ino)
			return 0;
		return unchanged_since_last_open(ino, fd) ? FOPEN_KEEP_CACHE
							  : 0;
	}
}

bool fuse_cache_writeback(struct fuse_server *srv)
{
	bool on;

	pthread_mutex_lock(&srv->init_lock);
	on = srv->writeback;
	pthread_mutex_unlock(&srv->init_lock);
	return on;
}

int fuse_cache_host_flags(struct fuse_server *srv, int flags, int *fallback)
{
	*fallback = flags;
	if (!fuse_cache_writeback(srv))
		return flags;
	flags &= ~O_APPEND;
	/* A write-only file (mode 0200) cannot be opened for reading by a
	 * server without CAP_DAC_OVERRIDE: keep it write-only then (the
	 * guest's partial-page reads of it fail, as on a local write-only
	 * open the kernel cannot fill). */
	*fallback = flags;
	if ((flags & O_ACCMODE) == O_WRONLY)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	return flags;
}

static const char *const op_names[FUSE_STATS_OPS] = {
	[FUSE_LOOKUP] = "LOOKUP",
	[FUSE_FORGET] = "FORGET",
	[FUSE_GETATTR] = "GETATTR",
	[FUSE_SETATTR] = "SETATTR",
	[FUSE_READLINK] = "READLINK",
	[FUSE_SYMLINK] = "SYMLINK",
	[FUSE_MKNOD] = "MKNOD",
	[FUSE_MKDIR] = "MKDIR",
	[FUSE_UNLINK] = "UNLINK",
	[FUSE_RMDIR] = "RMDIR",
	[FUSE_RENAME] = "RENAME",
	[FUSE_LINK] = "LINK",
	[FUSE_OPEN] = "OPEN",
	[FUSE_READ] = "READ",
	[FUSE_WRITE] = "WRITE",
	[FUSE_STATFS] = "STATFS",
	[FUSE_RELEASE] = "RELEASE",
	[FUSE_FSYNC] = "FSYNC",
	[FUSE_SETXATTR] = "SETXATTR",
	[FUSE_GETXATTR] = "GETXATTR",
	[FUSE_LISTXATTR] = "LISTXATTR",
	[FUSE_REMOVEXATTR] = "REMOVEXATTR",
	[FUSE_FLUSH] = "FLUSH",
	[FUSE_INIT] = "INIT",
	[FUSE_OPENDIR] = "OPENDIR",
	[FUSE_READDIR] = "READDIR",
	[FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_FSYNCDIR] = "FSYNCDIR",
	[FUSE_GETLK] = "GETLK",
	[FUSE_SETLK] = "SETLK",
	[FUSE_SETLKW] = "SETLKW",
	[FUSE_ACCESS] = "ACCESS",
	[FUSE_CREATE] = "CREATE",
	[FUSE_INTERRUPT] = "INTERRUPT",
	[FUSE_BMAP] = "BMAP",
	[FUSE_DESTROY] = "DESTROY",
	[FUSE_IOCTL] = "IOCTL",
	[FUSE_POLL] = "POLL",
	[FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET",
	[FUSE_FALLOCATE] = "FALLOCATE",
	[FUSE_READDIRPLUS] = "READDIRPLUS",
	[FUSE_RENAME2] = "RENAME2",
	[FUSE_LSEEK] = "LSEEK",
	[FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
};

void fuse_stats_count(struct fuse_server *srv, uint32_t opcode)
{
	uint32_t slot = opcode < FUSE_STATS_OPS ? opcode : 0;

	__atomic_add_fetch(&srv->op_count[slot], 1, __ATOMIC_RELAXED);
}

uint64_t fuse_server_op_count(struct fuse_server *srv, uint32_t opcode)
{
	uint32_t slot = opcode < FUSE_STATS_OPS ? opcode : 0;

	return __atomic_load_n(&srv->op_count[slot], __ATOMIC_RELAXED);
}

void fuse_stats_log(struct fuse_server *srv)
{
	char line[1024];
	size_t used = 0;
	uint64_t total = 0;

	line[0] = '\0';
	for (uint32_t op = 0; op < FUSE_STATS_OPS; op++) {
		uint64_t n = srv->op_count[op];
		int w;

		if (!n)
			continue;
		total += n;
		if (op_names[op])
			w = snprintf(line + used, sizeof(line) - used,
				     " %s=%" PRIu64, op_names[op], n);
		else /* slot 0: opcodes past the counted range */
			w = snprintf(line + used, sizeof(line) - used,
				     " %s%u=%" PRIu64, op ? "op" : "op>=",
				     op ? op : FUSE_STATS_OPS, n);
		if (w < 0 || (size_t)w >= sizeof(line) - used)
			break;
		used += (size_t)w;
	}
	log_debug("virtio-fs: %" PRIu64 " FUSE requests:%s", total, line);
}
