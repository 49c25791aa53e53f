// SPDX-License-Identifier: Apache-2.0
/*
 * The DAX window of a share: a host range the VMM gives the guest as
 * device memory (virtio-fs shared memory region 0). The guest asks for a
 * file range to appear at an offset of the window (SETUPMAPPING) and
 * takes it away again (REMOVEMAPPING); both are mmap(MAP_FIXED) inside
 * the window, so the guest's loads and stores reach the host's page cache
 * of the file with no request and no copy.
 *
 * Every guest offset and length is checked against the window before any
 * mapping changes: a range outside it would replace the VMM's own memory.
 * Empty parts of the window are anonymous PROT_NONE pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virtio/fs/fuse_internal.h"

/* Unknown bits in a SETUPMAPPING are refused, not ignored. */
#define DAX_SETUP_FLAGS \
	(FUSE_SETUPMAPPING_FLAG_WRITE | FUSE_SETUPMAPPING_FLAG_READ)

static void *reserve(void *at, uint64_t len)
{
	return mmap(at, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			    (at ? MAP_FIXED : 0),
		    -1, 0);
}

int fuse_server_enable_dax(struct fuse_server *srv, uint64_t size, void **host,
			   struct krun_err **err)
{
	void *p;

	if (srv->dax_host)
		return krun_err_set(err, EEXIST,
				    "the DAX window is already set");
	if (size == 0 || size % FUSE_DAX_ALIGN || size > FUSE_DAX_MAX)
		return krun_err_set(
			err, EINVAL,
			"a DAX window of %llu bytes: must be a multiple of 2 MiB, at most 1 TiB",
			(unsigned long long)size);
	p = reserve(NULL, size);
	if (p == MAP_FAILED)
		return krun_err_set_errno(err, errno,
					  "reserve a DAX window of %llu bytes",
					  (unsigned long long)size);
	srv->dax_host = p;
	srv->dax_size = size;
	*host = p;
	return 0;
}

void fuse_dax_fini(struct fuse_server *srv)
{
	if (srv->dax_host)
		munmap(srv->dax_host, srv->dax_size);
	srv->dax_host = NULL;
	srv->dax_size = 0;
}

void fuse_dax_init_reply(const struct fuse_server *srv,
			 const struct fuse_init_in *in,
			 struct fuse_init_out *out)
{
	if (!srv->dax_host || !(in->flags & FUSE_MAP_ALIGNMENT))
		return;
	out->flags |= FUSE_MAP_ALIGNMENT;
	out->map_alignment = FUSE_DAX_MAP_ALIGNMENT;
}

/* [moffset, moffset + len) is a non-empty, 2 MiB-aligned part of the
 * window; written so that no sum can wrap. */
static bool window_range_ok(const struct fuse_server *srv, uint64_t moffset,
			    uint64_t len)
{
	return srv->dax_host && len != 0 && moffset % FUSE_DAX_ALIGN == 0 &&
	       len % FUSE_DAX_ALIGN == 0 && moffset < srv->dax_size &&
	       len <= srv->dax_size - moffset;
}

/*
 * Map len bytes of the inode's file from foffset at window offset
 * moffset. The kernel sends fh = -1 (the mapping outlives any open
 * file), so the file is reopened from the inode for this call only; the
 * mapping keeps the file, not the fd.
 */
int fuse_op_setupmapping(struct fuse_req *r)
{
	struct fuse_server *srv = r->srv;
	cleanup_inode struct fuse_inode *ino = NULL;
	cleanup_close int fd = -1;
	struct fuse_setupmapping_in in;
	bool writable;
	void *p;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0)
		return -EINVAL;
	if (!window_range_ok(srv, in.moffset, in.len) ||
	    (in.flags & ~(uint64_t)DAX_SETUP_FLAGS) ||
	    in.foffset % FUSE_DAX_PAGE || in.foffset > INT64_MAX - in.len)
		return -EINVAL;
	writable = in.flags & FUSE_SETUPMAPPING_FLAG_WRITE;
	if (writable && srv->opts.read_only)
		return -EROFS;
	ino = fuse_req_inode(r, r->in.nodeid);
	if (!ino)
		return -ENOENT;
	if (ino->type != S_IFREG)
		return -EINVAL;
	fd = fuse_reopen(ino, writable ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fd;
	p = mmap(srv->dax_host + in.moffset, in.len,
		 PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED | MAP_FIXED, fd, (off_t)in.foffset);
	if (p == MAP_FAILED)
		return -errno;
	return fuse_reply(r, NULL, 0);
}

/* Every range is checked before any is removed: a bad entry changes
 * nothing. */
int fuse_op_removemapping(struct fuse_req *r)
{
	struct fuse_server *srv = r->srv;
	struct fuse_removemapping_in in;
	struct fuse_removemapping_one one;
	size_t start;

	if (fuse_req_copy(r, &in, sizeof(in)) < 0 || in.count == 0 ||
	    in.count > (r->args_len - r->args_pos) / sizeof(one))
		return -EINVAL;
	start = r->args_pos;
	for (uint32_t i = 0; i < in.count; i++) {
		fuse_req_copy(r, &one, sizeof(one));
		if (!window_range_ok(srv, one.moffset, one.len))
			return -EINVAL;
	}
	r->args_pos = start;
	for (uint32_t i = 0; i < in.count; i++) {
		fuse_req_copy(r, &one, sizeof(one));
		if (reserve(srv->dax_host + one.moffset, one.len) == MAP_FAILED)
			return -errno;
	}
	return fuse_reply(r, NULL, 0);
}
