/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process FUSE passthrough server: serves one host directory to the
 * guest over FUSE requests (as carried by virtio-fs). Independent of
 * virtio: a request is a list of device-readable iovecs (fuse_in_header,
 * arguments, write data) and a list of device-writable iovecs
 * (fuse_out_header, reply, read data).
 *
 * Confinement is by construction: every inode is an O_PATH descriptor
 * opened one name at a time relative to its parent descriptor, never
 * following symlinks, so no guest-supplied path is ever resolved in the
 * host's namespace and nothing outside the shared directory is reachable.
 *
 * Ownership: when the server runs as root, files the guest creates are
 * given the guest caller's uid/gid (from fuse_in_header); otherwise they
 * belong to the host user running the server.
 *
 * Thread safety: fuse_server_handle() may be called from several threads
 * at once (one per virtqueue).
 */
#ifndef KRUN_VIRTIO_FS_FUSE_SERVER_H
#define KRUN_VIRTIO_FS_FUSE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/err.h"

struct fuse_server;

/* How much the guest may cache (see fuse_cache.c). */
enum fuse_cache_policy {
	FUSE_CACHE_AUTO =
		0, /* file pages kept while the host file is unchanged */
	FUSE_CACHE_ALWAYS, /* file pages and listings kept across opens */
	FUSE_CACHE_NEVER,  /* no page cache for file data */
};

struct fuse_server_opts {
	/* Every modifying request fails with EROFS; files open read-only. */
	bool read_only;
	/* Allow MKNOD of character and block devices (refused with EPERM
	 * otherwise: a device node in the share opens host devices). */
	bool allow_devices;
	/* Keep set-user-ID/set-group-ID bits the guest asks for on files
	 * it creates or chmods. Off: they are cleared on the host (a
	 * set-user-ID root file in a share hands root to any host user who
	 * can reach it); a set-group-ID directory still passes its group on. */
	bool allow_setid;
	/* Allow setting/removing xattrs outside the "user." namespace
	 * (security.capability, trusted.*: dangerous when run as root). */
	bool allow_privileged_xattrs;
	/* Resolve with openat(O_NOFOLLOW) even where openat2() exists, as on
	 * kernels before 5.6 (lets tests cover that path). */
	bool no_openat2;
	/* Attribute and entry cache timeout handed to the guest, in ms. */
	uint32_t cache_timeout_ms;
	/* What the guest may cache of file data across opens. */
	enum fuse_cache_policy cache;
	/* Host fds the guest may make the server hold (looked-up inodes,
	 * open handles, lock-owner descriptions); past it the request
	 * fails with EMFILE. 0: FUSE_SERVER_DEFAULT_MAX_FDS. */
	uint32_t max_fds;
};

#define FUSE_SERVER_DEFAULT_MAX_FDS (1u << 18)

/* Requests with this opcode handled so far (for tests and statistics);
 * opcodes past the counted range share slot 0. */
uint64_t fuse_server_op_count(struct fuse_server *srv, uint32_t opcode);

/* Open root_dir (which must be a directory) as the share root. */
struct fuse_server *fuse_server_create(const char *root_dir,
				       const struct fuse_server_opts *opts,
				       struct krun_err **err);

void fuse_server_destroy(struct fuse_server *srv);

/*
 * Give the share a DAX window of size bytes (a multiple of 2 MiB, at most
 * 1 TiB): the server reserves a host range (PROT_NONE) and from then on
 * maps file ranges into it on SETUPMAPPING, with PROT_WRITE only for
 * writable requests on a writable share, and clears them on
 * REMOVEMAPPING. *host is that range; the caller makes it guest memory
 * and must stop the guest using it before fuse_server_destroy() unmaps
 * it. Once, before the first request.
 */
int fuse_server_enable_dax(struct fuse_server *srv, uint64_t size,
			   void **host, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * Handle one request. Returns the number of bytes written to the reply
 * iovecs (0 when the opcode has no reply, e.g. FORGET), or a negative
 * errno when not even an error reply fits in the reply buffer.
 * Malformed requests are answered with an error reply, never a crash.
 */
ssize_t fuse_server_handle(struct fuse_server *srv, const struct iovec *req,
			   unsigned int nreq, const struct iovec *reply,
			   unsigned int nreply);

/*
 * Like fuse_server_handle(), but a request that would block for long (a
 * SETLKW on a held lock) is not answered: returns -EWOULDBLOCK with
 * nothing written, and the caller retries it later. Lets a queue worker
 * keep serving other requests (the unlock among them).
 */
ssize_t fuse_server_try_handle(struct fuse_server *srv, const struct iovec *req,
			       unsigned int nreq, const struct iovec *reply,
			       unsigned int nreply);

/*
 * Answer a request with error (a positive errno) without performing it:
 * for a caller that cannot keep the request for later. Returns what
 * fuse_server_handle() returns; a FORGET gets no reply.
 */
ssize_t fuse_server_refuse(struct fuse_server *srv, const struct iovec *req,
			   unsigned int nreq, const struct iovec *reply,
			   unsigned int nreply, int error);

#endif
