/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libkrun.h - the krun_* C API of krun-run's libkrun.so.1.
 *
 * A program builds a configuration context, fills it, and hands it to
 * krun_start_enter(), which boots a microVM running one process and exits
 * the calling process with that process's exit status.
 *
 * Conventions shared by every function:
 *   - Return value: 0 (or a non-negative id/fd where stated) on success,
 *     a negative errno value on failure. A failed call changes nothing.
 *   - Context ids are never reused within a process; an unknown or freed
 *     id gives -ENOENT.
 *   - A NULL pointer where a value is required gives -EINVAL.
 *   - A duplicate (block id, virtio-fs tag, host port, vsock port, rlimit
 *     resource) gives -EEXIST.
 *   - The message explaining a failure is logged at level 1 (error) unless
 *     logging is switched off with krun_set_log_level(0).
 *   - All functions may be called from several threads at once.
 *   - Setting something twice replaces the earlier value, except for the
 *     add_* functions, which accumulate.
 *   - Files named by a path are opened when the VM starts, not when the
 *     path is set.
 */
#ifndef KRUN_LIBKRUN_H
#define KRUN_LIBKRUN_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Disk image formats for krun_add_disk2(). Formats are never probed. */
#define KRUN_DISK_FORMAT_RAW 0
#define KRUN_DISK_FORMAT_QCOW2 1

/* virglrenderer flags for krun_set_gpu_options*(); other bits: -EINVAL. */
#define VIRGLRENDERER_USE_EGL (1 << 0)
#define VIRGLRENDERER_THREAD_SYNC (1 << 1)
#define VIRGLRENDERER_USE_GLX (1 << 2)
#define VIRGLRENDERER_USE_SURFACELESS (1 << 3)
#define VIRGLRENDERER_USE_GLES (1 << 4)
#define VIRGLRENDERER_USE_EXTERNAL_BLOB (1 << 5)
#define VIRGLRENDERER_VENUS (1 << 6)
#define VIRGLRENDERER_NO_VIRGL (1 << 7)
#define VIRGLRENDERER_USE_ASYNC_FENCE_CB (1 << 8)
#define VIRGLRENDERER_RENDER_SERVER (1 << 9)
#define VIRGLRENDERER_DRM (1 << 10)

/*
 * Process-wide log level: 0 off, 1 error, 2 warn, 3 info, 4 debug,
 * 5 trace. Messages go to stderr. -EINVAL above 5.
 */
int32_t krun_set_log_level(uint32_t level);

/* New context with 1 vCPU and 512 MiB; returns its id (>= 0). */
int32_t krun_create_ctx(void);

/* Free a context that was not started. */
int32_t krun_free_ctx(uint32_t ctx_id);

/* vCPUs 1..64, RAM 64 MiB..1 TiB. */
int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus,
			   uint32_t ram_mib);

/* Host directory that becomes the guest's root file system. */
int32_t krun_set_root(uint32_t ctx_id, const char *root_path);

/*
 * Deprecated: raw image used as the root (resp. a data) disk. Cannot be
 * combined with krun_add_disk*() on the same context (-EINVAL).
 */
int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path);
int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path);

/*
 * Add a raw disk image. block_id: 1..20 of [A-Za-z0-9._-], unique in the
 * context. Cannot be combined with krun_set_root_disk/data_disk (-EINVAL).
 */
int32_t krun_add_disk(uint32_t ctx_id, const char *block_id,
		      const char *disk_path, bool read_only);

/*
 * Like krun_add_disk() with an explicit KRUN_DISK_FORMAT_*. Only ever open
 * a non-raw image that comes from a trusted source: such formats can
 * reference other host files, which the guest then reaches.
 */
int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id,
		       const char *disk_path, uint32_t disk_format,
		       bool read_only);

/* No longer supported: always -EINVAL. Use krun_add_virtiofs(). */
int32_t krun_set_mapped_volumes(uint32_t ctx_id,
				const char *const mapped_volumes[]);

/*
 * Share a host directory as virtio-fs under c_tag (1..36 of
 * [A-Za-z0-9._/-], unique; "/dev/root" is reserved for the root).
 * krun_add_virtiofs2() also asks for a DAX window of shm_size bytes.
 */
int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag,
			  const char *c_path);
int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag,
			   const char *c_path, uint64_t shm_size);

/*
 * Network through passt, connected via the caller's socket fd (the caller
 * keeps ownership). Exclusive with krun_set_gvproxy_path() (-EINVAL); a
 * port map cannot be combined with it (-ENOTSUP).
 */
int32_t krun_set_passt_fd(uint32_t ctx_id, int fd);

/*
 * Network through gvproxy's vfkit-mode unixgram socket at c_path.
 * Exclusive with krun_set_passt_fd() (-EINVAL); no port map (-ENOTSUP).
 */
int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path);

/* MAC of the virtio-net device; multicast or all-zero: -EINVAL. */
int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac);

/*
 * Host-to-guest port map, entries "[IP:]HOST:GUEST[/tcp|/udp]" (ports
 * 1..65535, IPv6 in brackets, TCP by default), realised by the passt the
 * library starts. NULL or an empty array map no port (unlike libkrun's
 * TSI, passt does not expose guest ports by itself). A map makes the
 * network required: krun_start_enter() fails when passt cannot start.
 * -ENOTSUP with passt-fd or gvproxy networking; duplicate host ports
 * (per protocol) -EEXIST.
 *
 * Without any network call the library starts passt when it can and runs
 * without a network (one warning) when passt is missing or cannot
 * configure itself.
 */
int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[]);

/* Enable virtio-gpu; krun_set_gpu_options2() also sizes the host window. */
int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags);
int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags,
			      uint64_t shm_size);

/* Enable or disable virtio-snd. */
int32_t krun_set_snd_device(uint32_t ctx_id, bool enable);

/*
 * rlimits for the workload, entries "RESOURCE=CUR:MAX". RESOURCE is a
 * number or a name (NOFILE or RLIMIT_NOFILE, any case); CUR and MAX are
 * numbers or "unlimited"; CUR must not exceed MAX. Replaces earlier ones.
 */
int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[]);

/* SMBIOS type 11 OEM strings; NULL-terminated array of non-empty strings. */
int32_t krun_set_smbios_oem_strings(uint32_t ctx_id,
				    const char *const oem_strings[]);

/* Working directory of the workload: an absolute path in the guest. */
int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path);

/*
 * The workload: exec_path inside the guest root, arguments (argv[0] is
 * not included; NULL means none) and environment ("KEY=VALUE" entries;
 * NULL copies the calling process's environment).
 */
int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path,
		      const char *const argv[], const char *const envp[]);

/* Replace the environment; NULL copies the calling process's one. */
int32_t krun_set_env(uint32_t ctx_id, const char *const envp[]);

/* TEE (confidential computing) configuration file. */
int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath);

/*
 * Bridge a vsock port to the host UNIX stream socket at c_filepath: a
 * guest connect(VMADDR_CID_HOST, port) makes the VMM connect to
 * c_filepath. Port 0 and VMADDR_PORT_ANY are refused, each port may be
 * bridged once, and c_filepath must fit sun_path and have an existing
 * parent directory.
 */
int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port,
			    const char *c_filepath);

/*
 * Like krun_add_vsock_port() with listen false. With listen true the VMM
 * listens on c_filepath (an existing socket there is replaced, any other
 * file is an error at start; the socket is removed when the VM ends) and
 * each host connection becomes a connection to the guest's port, on
 * which the workload listens with AF_VSOCK.
 */
int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port,
			     const char *c_filepath, bool listen);

/*
 * An eventfd the caller writes to (any non-zero value) to ask the guest to
 * shut down in order. Call before krun_start_enter(). The context owns the
 * fd: it is closed when the context is freed. Repeated calls return the
 * same fd.
 */
int32_t krun_get_shutdown_eventfd(uint32_t ctx_id);

/* Write the console output to c_filepath and give the guest no stdin. */
int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath);

/*
 * Boot the VM and run the workload. Consumes the context whether or not it
 * succeeds. On success it does not return: the process exits with the
 * workload's status. It returns a negative errno only when the VM could
 * not be started (-EINVAL: nothing to run or no root; -ENOTSUP: a
 * configured feature this build lacks).
 *
 * The VMM confines its threads, the calling one included, with seccomp
 * filters (docs/seccomp.md). The environment variable KRUN_SECCOMP
 * chooses: "enforce" (default; a forbidden call ends the process with
 * status 159 and one line on stderr), "log" or "off"; another value fails
 * with -EINVAL. Other threads of the caller are not confined. The process
 * has no_new_privs set from here on, and SIGSYS is the VMM's.
 */
int32_t krun_start_enter(uint32_t ctx_id);

#ifdef __cplusplus
}
#endif

#endif
