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
 *   - Every function of libkrun's current API is declared here. One whose
 *     feature this build lacks returns -ENOTSUP and logs one line saying
 *     so; settings libkrun itself only records when built without the
 *     device (none any more) are accepted and named in one warning when the
 *     VM starts. krun_has_feature() tells which devices exist.
 *     docs/libkrun-api.md lists every call with its status.
 */
#ifndef KRUN_LIBKRUN_H
#define KRUN_LIBKRUN_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h> /* uid_t, gid_t even under a strict -std=c99 */
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- logging ---- */

#define KRUN_LOG_TARGET_DEFAULT -1

#define KRUN_LOG_LEVEL_OFF 0
#define KRUN_LOG_LEVEL_ERROR 1
#define KRUN_LOG_LEVEL_WARN 2
#define KRUN_LOG_LEVEL_INFO 3
#define KRUN_LOG_LEVEL_DEBUG 4
#define KRUN_LOG_LEVEL_TRACE 5

#define KRUN_LOG_STYLE_AUTO 0
#define KRUN_LOG_STYLE_ALWAYS 1
#define KRUN_LOG_STYLE_NEVER 2

#define KRUN_LOG_OPTION_NO_ENV 1

/*
 * Process-wide log level: 0 off, 1 error, 2 warn, 3 info, 4 debug,
 * 5 trace; a higher number means trace. Messages go to stderr.
 */
int32_t krun_set_log_level(uint32_t level);

/*
 * Log level (as above) and target: KRUN_LOG_TARGET_DEFAULT or 2 for
 * stderr, 1 for stdout, any other open fd for that fd (the library keeps
 * using it; the caller must keep it open). 0 and other negative values:
 * -EINVAL. style: KRUN_LOG_STYLE_AUTO or _NEVER (lines never carry colour
 * escapes); _ALWAYS: -ENOTSUP; other values -EINVAL. options: 0 or
 * KRUN_LOG_OPTION_NO_ENV (this library reads no environment variables for
 * logging either way); other bits -EINVAL.
 */
int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style,
		      uint32_t options);

/* ---- contexts ---- */

/* New context with 1 vCPU and 512 MiB; returns its id (>= 0). */
int32_t krun_create_ctx(void);

/* Free a context that was not started. */
int32_t krun_free_ctx(uint32_t ctx_id);

/* vCPUs 1..64, RAM 32 MiB..1 TiB. */
int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus,
			   uint32_t ram_mib);

/* The highest vCPU count a VM can have here (KVM's limit, at most 64). */
int32_t krun_get_max_vcpus(void);

/*
 * Whether a device family is built in: 1 yes, 0 no, -EINVAL for a number
 * that is not a KRUN_FEATURE_*. Here NET and BLK are 1, the others 0.
 */
#define KRUN_FEATURE_NET 0
#define KRUN_FEATURE_BLK 1
#define KRUN_FEATURE_GPU 2
#define KRUN_FEATURE_INPUT 4
#define KRUN_FEATURE_TEE 6
#define KRUN_FEATURE_AMD_SEV 7
#define KRUN_FEATURE_INTEL_TDX 8
#define KRUN_FEATURE_AWS_NITRO 9
#define KRUN_FEATURE_VIRGL_RESOURCE_MAP2 10
#define KRUN_FEATURE_INIT_BLOB 11
int32_t krun_has_feature(uint64_t feature);

/* ---- root, disks, shares ---- */

/* The virtio-fs tag of the root: krun_add_virtiofs*() with this tag sets
 * the root directory (krun_add_virtiofs3() can make it read-only). */
#define KRUN_FS_ROOT_TAG "/dev/root"

/* Host directory that becomes the guest's root file system. */
int32_t krun_set_root(uint32_t ctx_id, const char *root_path);

/*
 * Deprecated: raw image used as the root (resp. a data) disk. Cannot be
 * combined with krun_add_disk*() on the same context (-EINVAL).
 */
int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path);
int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path);

/* Disk image formats for krun_add_disk2/3(). Formats are never probed. */
#define KRUN_DISK_FORMAT_RAW 0
#define KRUN_DISK_FORMAT_QCOW2 1
#define KRUN_DISK_FORMAT_VMDK 2 /* not supported here: -EINVAL */

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

/* Flush modes for krun_add_disk3(). */
#define KRUN_SYNC_NONE 0 /* no flush offered to the guest: data may be lost
			  * on a host crash */
#define KRUN_SYNC_RELAXED 1 /* guest flushes reach fdatasync (on Linux the
			     * same as FULL) */
#define KRUN_SYNC_FULL 2 /* guest flushes reach fdatasync */

/*
 * Like krun_add_disk2() with a flush mode (KRUN_SYNC_*; others -EINVAL).
 * direct_io (bypassing the host page cache) is not supported here:
 * -ENOTSUP when true. krun_add_disk/2 use KRUN_SYNC_FULL.
 */
int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id,
		       const char *disk_path, uint32_t disk_format,
		       bool read_only, bool direct_io, uint32_t sync_mode);

/*
 * Boot from an added disk instead of a root directory: device is
 * "/dev/vdX" or "/dev/vdXN", the X-th disk added with krun_add_disk*
 * ('a' the first), partition N. fstype NULL, "auto" or a type name (the
 * guest probes the type either way); options NULL, "", "rw" or "ro"
 * (others -ENOTSUP). -EINVAL with a root directory set or no such disk.
 */
int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device,
				   const char *fstype, const char *options);

/* No longer supported: always -EINVAL. Use krun_add_virtiofs(). */
int32_t krun_set_mapped_volumes(uint32_t ctx_id,
				const char *const mapped_volumes[]);

/*
 * Share a host directory as virtio-fs under c_tag (1..36 of
 * [A-Za-z0-9._/-], unique). KRUN_FS_ROOT_TAG makes it the root instead
 * (as krun_set_root). krun_add_virtiofs2/3 also give the share a DAX
 * window of shm_size bytes (0: none; else a multiple of 2 MiB, at most
 * 1 TiB, -EINVAL otherwise): guest-physical memory above RAM into which
 * the guest maps file ranges (the share is mounted with dax=always), so
 * reads and mmap reach the host's page cache with no copy.
 * krun_add_virtiofs3 can share read-only. A NULL c_path (a share with
 * only virtual files) is not supported: -EINVAL.
 */
int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag,
			  const char *c_path);
int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag,
			   const char *c_path, uint64_t shm_size);
int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag,
			   const char *c_path, uint64_t shm_size,
			   bool read_only);

/* Virtual files in a virtio-fs share: not supported here (-ENOTSUP). */
int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag,
				 const char *path, const uint8_t *data,
				 size_t data_len, uint32_t mode,
				 bool one_shot);
int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag,
				const char *path, uint32_t mode);

/* ---- network ---- */

#define NET_FLAG_VFKIT (1 << 0)
#define NET_FLAG_DHCP_CLIENT (1 << 1)

/* TSI flags for krun_add_vsock(). */
#define KRUN_TSI_HIJACK_INET (1 << 0)
#define KRUN_TSI_HIJACK_UNIX (1 << 1)

/* virtio-net offload bits (values of the virtio spec). */
#define NET_FEATURE_CSUM (1 << 0)
#define NET_FEATURE_GUEST_CSUM (1 << 1)
#define NET_FEATURE_GUEST_TSO4 (1 << 7)
#define NET_FEATURE_GUEST_TSO6 (1 << 8)
#define NET_FEATURE_GUEST_UFO (1 << 10)
#define NET_FEATURE_HOST_TSO4 (1 << 11)
#define NET_FEATURE_HOST_TSO6 (1 << 12)
#define NET_FEATURE_HOST_UFO (1 << 14)

/* The offloads libkrun's passt and gvproxy calls ask for. */
#define COMPAT_NET_FEATURES                                              \
	(NET_FEATURE_CSUM | NET_FEATURE_GUEST_CSUM | NET_FEATURE_GUEST_TSO4 | \
	 NET_FEATURE_GUEST_UFO | NET_FEATURE_HOST_TSO4 | NET_FEATURE_HOST_UFO)

/*
 * The guest's network interface through a unix stream peer using the
 * 4-byte length framing (passt, socket_vmnet): c_path (connected when the
 * VM starts) or an open connected fd (the caller keeps it), exactly one
 * (else -EINVAL). c_mac: 6 bytes, unicast, not all zero. features: NET_
 * FEATURE_* bits (others -EINVAL), recorded; this build's virtio-net
 * offers no offloads and says so in one warning at start. flags: only
 * NET_FLAG_DHCP_CLIENT (-EINVAL otherwise); the guest init configures the
 * interface by DHCP whether or not it is given. This build has one
 * network interface per VM: a second krun_add_net_* or a mix with
 * krun_set_passt_fd/gvproxy_path gives -ENOTSUP/-EINVAL. A port map
 * cannot be combined with it (-ENOTSUP).
 */
int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd,
				uint8_t *const c_mac, uint32_t features,
				uint32_t flags);

/*
 * As krun_add_net_unixstream() with one Ethernet frame per datagram
 * (gvproxy, vmnet-helper). With c_path the VMM binds its own socket at
 * c_path + "-krun.sock" and connects it to c_path; NET_FLAG_VFKIT also
 * sends gvproxy's vfkit greeting. flags: NET_FLAG_VFKIT and
 * NET_FLAG_DHCP_CLIENT.
 */
int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path, int fd,
			      uint8_t *const c_mac, uint32_t features,
			      uint32_t flags);

/* A host tap device: not supported here (-ENOTSUP). */
int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name,
			 uint8_t *const c_mac, uint32_t features,
			 uint32_t flags);

/*
 * Deprecated form of krun_add_net_unixstream(ctx, NULL, fd, ...): network
 * through passt on the caller's socket fd (the caller keeps ownership).
 * Exclusive with krun_set_gvproxy_path() (-EINVAL); a port map cannot be
 * combined with it (-ENOTSUP).
 */
int32_t krun_set_passt_fd(uint32_t ctx_id, int fd);

/*
 * Deprecated form of krun_add_net_unixgram(ctx, c_path, -1, ...,
 * NET_FLAG_VFKIT): gvproxy's vfkit-mode socket at c_path. Exclusive with
 * krun_set_passt_fd() (-EINVAL); no port map (-ENOTSUP).
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
 * -ENOTSUP with a caller-provided network peer; a duplicate host port
 * (per protocol) -EEXIST, a duplicate guest port -EINVAL.
 *
 * Without any network call the library starts passt when it can and runs
 * without a network (one warning) when passt is missing or cannot
 * configure itself.
 */
int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[]);

/* ---- GPU, display, input, sound, vhost-user ---- */

/* virglrenderer flags for krun_set_gpu_options*(). */
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
 * virtio-gpu rendering with virglrenderer, with these flags (passed to
 * virgl_renderer_init(); 0: EGL, surfaceless); _2 also sizes the host
 * window for blob resources (0: 256 MiB). USE_GLX, RENDER_SERVER, DRM, a
 * host where virglrenderer cannot start, or a build without it
 * (KRUN_FEATURE_GPU is 0) make krun_start_enter() fail with one line.
 */
int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags);
int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags,
			      uint64_t shm_size);

#define KRUN_MAX_DISPLAYS 16

/* Displays and their backend: no virtio-gpu here, -ENOTSUP. */
int32_t krun_add_display(uint32_t ctx_id, uint32_t width, uint32_t height);
int32_t krun_display_set_edid(uint32_t ctx_id, uint32_t display_id,
			      const uint8_t *edid_blob, size_t blob_size);
int32_t krun_display_set_dpi(uint32_t ctx_id, uint32_t display_id,
			     uint32_t dpi);
int32_t krun_display_set_physical_size(uint32_t ctx_id, uint32_t display_id,
				       uint16_t width_mm, uint16_t height_mm);
int32_t krun_display_set_refresh_rate(uint32_t ctx_id, uint32_t display_id,
				      uint32_t refresh_rate);
int32_t krun_set_display_backend(uint32_t ctx_id, const void *display_backend,
				 size_t backend_size);

/* Input devices: no virtio-input here (KRUN_FEATURE_INPUT 0), -ENOTSUP. */
int krun_add_input_device(uint32_t ctx_id, const void *config_backend,
			  size_t config_backend_size,
			  const void *events_backend,
			  size_t events_backend_size);
int krun_add_input_device_fd(uint32_t ctx_id, int input_fd);

/*
 * Enable or disable virtio-snd: one playback and one capture stream on
 * the host's PipeWire server (its default sink and source). The VM fails
 * to start, with one error line, when there is no PipeWire server to
 * connect to or the build has no PipeWire support.
 */
int32_t krun_set_snd_device(uint32_t ctx_id, bool enable);

/* Virtio device ids for krun_add_vhost_user_device(). */
#define KRUN_VIRTIO_DEVICE_CONSOLE 3
#define KRUN_VIRTIO_DEVICE_RNG 4
#define KRUN_VIRTIO_DEVICE_RTC 17
#define KRUN_VIRTIO_DEVICE_INPUT 18
#define KRUN_VIRTIO_DEVICE_VSOCK 19
#define KRUN_VIRTIO_DEVICE_SND 25
#define KRUN_VIRTIO_DEVICE_CAN 36

/* Default queue counts and sizes per vhost-user device type. */
#define KRUN_VHOST_USER_CONSOLE_NUM_QUEUES 4
#define KRUN_VHOST_USER_CONSOLE_QUEUE_SIZES ((uint16_t[]){128, 128, 64, 64})
#define KRUN_VHOST_USER_RNG_NUM_QUEUES 1
#define KRUN_VHOST_USER_RNG_QUEUE_SIZES ((uint16_t[]){256})
#define KRUN_VHOST_USER_RTC_NUM_QUEUES 2
#define KRUN_VHOST_USER_RTC_QUEUE_SIZES ((uint16_t[]){1024, 1024})
#define KRUN_VHOST_USER_INPUT_NUM_QUEUES 2
#define KRUN_VHOST_USER_INPUT_QUEUE_SIZES ((uint16_t[]){1024, 1024})
#define KRUN_VHOST_USER_SND_NUM_QUEUES 4
#define KRUN_VHOST_USER_SND_QUEUE_SIZES ((uint16_t[]){64, 64, 64, 64})
#define KRUN_VHOST_USER_VSOCK_NUM_QUEUES 3
#define KRUN_VHOST_USER_VSOCK_QUEUE_SIZES ((uint16_t[]){128, 128, 128})
#define KRUN_VHOST_USER_CAN_NUM_QUEUES 3
#define KRUN_VHOST_USER_CAN_QUEUE_SIZES ((uint16_t[]){64, 64, 64})

/* A device served by an external vhost-user backend: not supported here
 * (-ENOTSUP). */
int32_t krun_add_vhost_user_device(uint32_t ctx_id, uint32_t device_type,
				   const char *socket_path, const char *name,
				   uint16_t num_queues,
				   const uint16_t *queue_sizes);

/* ---- workload ---- */

/*
 * rlimits for the workload, entries "RESOURCE=CUR:MAX". RESOURCE is a
 * number or a name (NOFILE or RLIMIT_NOFILE, any case); CUR and MAX are
 * numbers or "unlimited". Replaces earlier ones. A CUR above MAX is
 * accepted, as libkrun does; the guest's setrlimit() then refuses it and
 * the run ends with status 125.
 */
int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[]);

/* SMBIOS type 11 OEM strings; NULL-terminated array of non-empty strings. */
int32_t krun_set_smbios_oem_strings(uint32_t ctx_id,
				    const char *const oem_strings[]);

/* Working directory of the workload; a relative path is taken from the
 * guest's root ("tmp" is "/tmp"). */
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

/* Firmware to boot instead of a kernel: not supported here (-ENOTSUP). */
int32_t krun_set_firmware(uint32_t ctx_id, const char *firmware_path);

/* Kernel image formats for krun_set_kernel(). */
#define KRUN_KERNEL_FORMAT_RAW 0
#define KRUN_KERNEL_FORMAT_ELF 1
#define KRUN_KERNEL_FORMAT_PE_GZ 2
#define KRUN_KERNEL_FORMAT_IMAGE_BZ2 3
#define KRUN_KERNEL_FORMAT_IMAGE_GZ 4
#define KRUN_KERNEL_FORMAT_IMAGE_ZSTD 5

/* The guest kernel (a KRUN_KERNEL_FORMAT_*), optional initramfs and
 * command line. */
int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path,
			uint32_t kernel_format, const char *initramfs,
			const char *cmdline);

/* TEE (confidential computing) configuration file. */
int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath);

/*
 * The VMM process's gid/uid, set (setgid, then setuid) in
 * krun_start_enter() after the configuration is checked and before the
 * VM is built; a failure there is its return value. Not the workload's
 * user inside the guest.
 */
int32_t krun_setuid(uint32_t ctx_id, uid_t uid);
int32_t krun_setgid(uint32_t ctx_id, gid_t gid);

/*
 * Let the guest use VMX/SVM (nested virtualization). Off by default: the
 * guest's CPUID then hides them. Success does not mean the host allows
 * nesting; krun_check_nested_virt() tells (1 yes, 0 no).
 */
int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled);
int32_t krun_check_nested_virt(void);

/* Split IRQ chip (PIC/IOAPIC in the VMM): not supported here, enable true
 * gives -ENOTSUP; false (the in-kernel chip, the default) succeeds. */
int32_t krun_split_irqchip(uint32_t ctx_id, bool enable);

/* ---- vsock ---- */

/*
 * Bridge a vsock port to the host UNIX stream socket at c_filepath: a
 * guest connect(VMADDR_CID_HOST, port) makes the VMM connect to
 * c_filepath. Port 0 and VMADDR_PORT_ANY are refused, each port may be
 * bridged once, and c_filepath must fit sun_path and have an existing
 * parent directory. -ENODEV when the implicit vsock was disabled and no
 * krun_add_vsock() followed.
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
 * No implicit vsock device: afterwards vsock ports need krun_add_vsock()
 * first. krun_add_vsock() adds the device explicitly (-EEXIST unless the
 * implicit one was disabled, or on a second call); tsi_features must be
 * 0 here (TSI is not available: -ENOTSUP; unknown bits -EINVAL).
 */
int32_t krun_disable_implicit_vsock(uint32_t ctx_id);
int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features);

/* ---- console ---- */

/*
 * An eventfd the caller writes to (any non-zero value) to ask the guest to
 * shut down in order. Call before krun_start_enter(). The context owns the
 * fd: it is closed when the context is freed. Repeated calls return the
 * same fd.
 */
int32_t krun_get_shutdown_eventfd(uint32_t ctx_id);

/*
 * Write the console output to c_filepath and give the guest no stdin.
 * Set once (-EINVAL the second time). Applies to the implicit console
 * only.
 */
int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath);

/*
 * The implicit console connects the workload to the process's stdin,
 * stdout and stderr. After krun_disable_implicit_console() without an
 * added console, the workload's input is empty and its output discarded.
 */
int32_t krun_disable_implicit_console(uint32_t ctx_id);

/*
 * The console, with the workload's stdin/stdout/stderr on these fds
 * (duplicated at start; -1: none) instead of the process's; when input
 * and output are terminals the workload gets a terminal. This build has
 * one virtio-console: it takes the implicit one's place, and a second
 * call gives -ENOTSUP.
 */
int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd,
					int output_fd, int err_fd);

/* Not supported here (-ENOTSUP): legacy serial consoles, and
 * multi-port consoles with named ports. */
int32_t krun_add_serial_console_default(uint32_t ctx_id, int input_fd,
					int output_fd);
int32_t krun_add_virtio_console_multiport(uint32_t ctx_id);
int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id,
				  const char *name, int tty_fd);
int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id,
				    const char *name, int input_fd,
				    int output_fd);

/* The kernel's console=: "ttyS0" sends the kernel log to COM1 (host
 * stderr); other consoles -ENOTSUP. */
int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id);

/* ---- init ---- */

/*
 * The guest init is part of this library's boot image, never injected
 * into the root (KRUN_FEATURE_INIT_BLOB is 0): disabling the implicit
 * init is accepted and changes nothing, as libkrun built without it;
 * krun_get_default_init() gives -ENOTSUP (-EINVAL for a NULL pointer).
 */
int32_t krun_disable_implicit_init(uint32_t ctx_id);
int32_t krun_get_default_init(const uint8_t **data_out, size_t *len_out);

/* ---- start ---- */

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
