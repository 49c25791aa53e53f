/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The context model: one `struct krun_config` per context, filled through
 * the config_* setters below. Every front door (krun_* API, krun-run flags,
 * JSON spec) calls these same setters, so validation and error wording are
 * identical everywhere. Setters validate fully before changing anything: on
 * failure the config is left exactly as it was.
 */
#ifndef KRUN_LIB_CONFIG_H
#define KRUN_LIB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KRUN_MAX_VCPUS 64
/* The smallest guest that still boots our kernel and init; libkrun itself
 * only refuses 0, a clamp here keeps small requests working. */
#define KRUN_MIN_RAM_MIB 32
#define KRUN_MAX_RAM_MIB (1024u * 1024u) /* 1 TiB */
#define KRUN_DEFAULT_VCPUS 1
#define KRUN_DEFAULT_RAM_MIB 512
#define KRUN_MAX_TAG_LEN 36 /* virtio-fs tag field is 36 bytes */
#define KRUN_MAX_BLOCK_ID_LEN 20 /* virtio-blk GET_ID returns 20 bytes */

#define KRUN_FORMAT_RAW 0 /* == KRUN_DISK_FORMAT_RAW */
#define KRUN_FORMAT_QCOW2 1 /* == KRUN_DISK_FORMAT_QCOW2 */

enum krun_disk_api {
	KRUN_DISK_API_UNSET = 0,
	KRUN_DISK_API_LEGACY, /* krun_set_root_disk / krun_set_data_disk */
	KRUN_DISK_API_MODERN, /* krun_add_disk / krun_add_disk2 */
};

enum krun_net_mode {
	KRUN_NET_DEFAULT = 0, /* never configured: passt when it can start,
			       * otherwise no network (with a warning) */
	KRUN_NET_NONE, /* explicitly no network */
	KRUN_NET_PASST_FD, /* krun_set_passt_fd: caller-provided socket */
	KRUN_NET_PASST, /* krun-run starts passt itself */
	KRUN_NET_GVPROXY, /* unixgram socket path (net_vfkit: vfkit greeting) */
	KRUN_NET_STREAM_PATH, /* unixstream socket path, connected at start */
	KRUN_NET_DGRAM_FD, /* caller's connected unixgram socket (passt_fd) */
};

/* Flush behaviour of a disk (== libkrun's KRUN_SYNC_*). */
#define KRUN_DISK_SYNC_NONE 0 /* no VIRTIO_BLK_F_FLUSH offered */
#define KRUN_DISK_SYNC_RELAXED 1 /* flush = fdatasync, as FULL on Linux */
#define KRUN_DISK_SYNC_FULL 2 /* flush = fdatasync */

struct krun_disk {
	char *block_id;
	char *path;
	uint32_t format; /* KRUN_FORMAT_* */
	bool read_only;
	uint32_t sync_mode; /* KRUN_DISK_SYNC_*; FULL unless set */
};

/* What the guest may cache of a virtio-fs share (virtio/fs.h). */
enum krun_fs_cache {
	KRUN_FS_CACHE_AUTO = 0, /* short timeouts, pages kept while unchanged */
	KRUN_FS_CACHE_ALWAYS,	/* long timeouts, pages kept */
	KRUN_FS_CACHE_NEVER,	/* no timeouts, direct I/O */
};

struct krun_share {
	char *tag;
	char *host_path;
	char *guest_path; /* NULL: not mounted by init */
	bool read_only;
	/* Keep set-ID bits the guest sets (off by default for shares). */
	bool allow_setid;
	enum krun_fs_cache cache; /* auto unless set */
	uint64_t shm_size; /* DAX window; 0 = none */
};

struct krun_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t cur; /* RLIM_INFINITY for unlimited */
	uint64_t max;
};

/* The guest's MAC unless one is set: locally administered, unicast (the
 * address libkrun uses). */
#define KRUN_DEFAULT_MAC {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee}

#define KRUN_PORT_TCP 0
#define KRUN_PORT_UDP 1
#define KRUN_PORT_ADDR_MAX 46 /* INET6_ADDRSTRLEN */

struct krun_port {
	uint16_t host;
	uint16_t guest;
	uint8_t proto;			 /* KRUN_PORT_TCP or KRUN_PORT_UDP */
	char addr[KRUN_PORT_ADDR_MAX]; /* host address to bind; "": all */
};

struct krun_vsock_port {
	uint32_t port;
	char *path;
	/* true: the VMM listens on path and connects each host connection
	 * to the guest's port; false: a guest connect to the host's port is
	 * bridged to the socket at path. */
	bool listen;
};

/* A filesystem the guest init mounts in the new root (tmpfs, proc, ...). */
struct krun_fsmount {
	char *fstype; /* tmpfs proc sysfs devpts mqueue cgroup2 */
	char *source;
	char *target; /* absolute path in the guest */
	uint32_t ms_flags; /* MS_* within KRUN_GUEST_FSMOUNT_MS_ALL */
	char *data; /* mount(2) data, "" for none */
};

struct krun_seccomp_arg {
	uint32_t index; /* 0..5 */
	uint32_t op; /* enum krun_guest_seccomp_op */
	uint64_t value;
	uint64_t value_two;
};

/* One syscall's rule (an OCI entry with several names gives several). */
struct krun_seccomp_rule {
	char *syscall;
	uint32_t action; /* enum krun_guest_seccomp_action */
	uint32_t errno_ret;
	uint32_t n_args;
	struct krun_seccomp_arg args[6];
};

/* Tri-state of an explicit yes/no flag: -t, -i. */
enum krun_tristate {
	KRUN_AUTO = 0,
	KRUN_YES,
	KRUN_NO,
};

#define KRUN_CAP_SETS 5 /* bounding effective inheritable permitted ambient */

/* The VMM's seccomp filters: a forbidden system call ends the VMM
 * (enforce, the zero value and default), is logged by the kernel's audit
 * subsystem and allowed (log), or nothing is installed (off). */
enum krun_vmm_seccomp {
	KRUN_VMM_SECCOMP_ENFORCE = 0,
	KRUN_VMM_SECCOMP_LOG,
	KRUN_VMM_SECCOMP_OFF,
};

struct krun_config {
	uint8_t vcpus;
	uint32_t ram_mib;

	/* Root: a host directory (virtio-fs tag "/dev/root") or a disk. */
	char *root_dir;
	bool root_read_only;
	/* Clear set-ID bits the guest sets in the root directory (kept by
	 * default: a distribution root needs its set-user-ID programs). */
	bool root_strip_setid;
	uint64_t root_shm_size; /* the root share's DAX window; 0 = none */
	enum krun_fs_cache root_cache; /* auto unless set */

	enum krun_disk_api disk_api;
	char *legacy_root_disk;
	char *legacy_data_disk;
	struct krun_disk *disks;
	size_t n_disks;
	char *root_disk_id; /* block id of the disk to boot from, or NULL */
	/* Partition of the root disk holding the root file system (1-based,
	 * GPT or MBR numbering); 0: the whole disk. */
	uint32_t root_partition;

	struct krun_share *shares;
	size_t n_shares;

	/* Workload. argv excludes argv[0] (libkrun convention). */
	char *exec_path;
	char **argv; /* NULL-terminated, may be empty */
	char **envp; /* NULL-terminated; NULL means "not set" */
	char *workdir;
	char *hostname;
	bool has_user;
	uint32_t uid;
	uint32_t gid;
	bool terminal; /* OCI process.terminal; informational for now */
	struct krun_rlimit *rlimits;
	size_t n_rlimits;

	/* Network. */
	enum krun_net_mode net_mode;
	/*
	 * Set by krun_start_enter(): when the default passt cannot start, the
	 * krun_* API says so at warn level only (libkrun callers such as
	 * crun's krun handler ask for errors only, and their container's
	 * stderr is the workload's); krun-run always prints that one line.
	 */
	bool net_fallback_log_only;
	int passt_fd; /* PASST_FD and DGRAM_FD: the caller's socket */
	char *gvproxy_path; /* GVPROXY and STREAM_PATH: the socket path */
	bool net_vfkit; /* GVPROXY: send the vfkit greeting (default) */
	/* virtio-net offload bits asked for (krun_add_net_*), validated and
	 * recorded; the device offers none of them (a warning at start). */
	uint32_t net_features;
	bool mac_set;
	uint8_t mac[6];
	bool port_map_set; /* false: NULL/never called; true: list given */
	struct krun_port *ports;
	size_t n_ports;

	struct krun_vsock_port *vsock_ports;
	size_t n_vsock_ports;

	/* Not built yet: stored, then refused at start (config_check.c). */
	bool gpu_enabled;
	uint32_t virgl_flags;
	uint64_t gpu_shm_size;
	bool snd_enabled;
	char *tee_config_file;
	char **oem_strings; /* NULL-terminated or NULL */

	/*
	 * Process attributes applied by the guest init (config_process.c):
	 * docker's -u NAME and --group-add, the OCI process and linux
	 * sections. Sent to the guest in the wire format's attrs section.
	 */
	char *user_spec; /* "USER[:GROUP]" resolved in the guest, or NULL */
	char **group_add; /* names or numbers; NULL-terminated or NULL */
	bool umask_set;
	uint32_t umask;
	bool no_new_privs;
	bool caps_set;
	uint64_t caps[KRUN_CAP_SETS]; /* enum krun_guest_cap_set order */
	char *domainname;
	char **sysctls; /* "key=value"; NULL-terminated or NULL */
	struct krun_fsmount *fsmounts;
	size_t n_fsmounts;
	char **masked_paths; /* OCI linux.maskedPaths; NULL-terminated or NULL */
	char **readonly_paths; /* OCI linux.readonlyPaths; likewise */
	bool seccomp_set;
	uint32_t seccomp_default_action;
	uint32_t seccomp_default_errno;
	char **seccomp_arches; /* libseccomp names; NULL-terminated or NULL */
	struct krun_seccomp_rule *seccomp_rules;
	size_t n_seccomp_rules;
	/* What a spec asked for that cannot be honoured: "PATH: reason". */
	char **ignored;

	/* Console and run-time limits. */
	enum krun_tristate tty; /* -t: the guest gets a terminal */
	enum krun_tristate interactive; /* -i: host stdin reaches the guest */
	uint32_t timeout_ms; /* 0: none; else stop the VM, status 124 */
	bool stop_grace_set;
	uint32_t stop_grace_ms; /* SIGTERM to SIGKILL when stopping the VM */

	/*
	 * libkrun's device and process switches (config_compat.c). The
	 * console fds, when set, replace the VMM's stdin/stdout/stderr as
	 * the ends of the guest's console; all -1 with the implicit console
	 * disabled and none added: the guest's output is discarded.
	 */
	bool nested_virt; /* expose VMX/SVM to the guest */
	bool no_implicit_console;
	bool console_fds_set;
	int console_fds[3];
	bool no_implicit_vsock;
	bool explicit_vsock; /* krun_add_vsock() after disabling the implicit */
	bool no_implicit_init; /* recorded: this build injects no init */
	bool vmm_uid_set;
	bool vmm_gid_set;
	uint32_t vmm_uid; /* the VMM process's ids once its devices are set */
	uint32_t vmm_gid;

	/* VMM behaviour. */
	char *console_output;
	char *kernel_path;
	/* krun_set_kernel: the format the caller named (KRUN_KERNEL_ANY:
	 * told apart by magic), its initramfs (NULL: the per-run initramfs
	 * with krun-init) and command line (NULL: "quiet"). */
	uint32_t kernel_format;
	char *initramfs_path;
	char *kernel_cmdline;
	bool kernel_log; /* 8250 serial carries the kernel log */
	uint32_t log_level;
	int shutdown_eventfd; /* -1 until krun_get_shutdown_eventfd */
	/* The VMM's own seccomp filters (docs/seccomp.md). */
	enum krun_vmm_seccomp vmm_seccomp;
};

/* Set the VMM's seccomp mode from "enforce", "log" or "off". */
int config_set_vmm_seccomp(struct krun_config *cfg, const char *mode,
			   struct krun_err **err);

/* Allocate a config with defaults (1 vCPU, 512 MiB, no root, no net). */
struct krun_config *config_new(struct krun_err **err);
void config_free(struct krun_config *cfg);

int config_set_vm(struct krun_config *cfg, uint32_t vcpus, uint32_t ram_mib,
		  struct krun_err **err);
int config_set_vcpus(struct krun_config *cfg, uint32_t vcpus,
		     struct krun_err **err);
int config_set_ram(struct krun_config *cfg, uint32_t ram_mib,
		   struct krun_err **err);
/* Parse "512", "512M", "2G" (MiB when no suffix). */
int config_parse_memory(const char *text, uint32_t *ram_mib,
			struct krun_err **err);

int config_set_root(struct krun_config *cfg, const char *dir,
		    struct krun_err **err);
int config_set_root_read_only(struct krun_config *cfg, bool ro,
			      struct krun_err **err);
/* Keep (allow) or clear set-ID bits the guest sets on files it creates or
 * chmods in the root directory, or in the share named tag. */
int config_set_root_setid(struct krun_config *cfg, bool allow,
			  struct krun_err **err);
int config_set_share_setid(struct krun_config *cfg, const char *tag, bool allow,
			   struct krun_err **err);
/* "auto", "always" or "never" (the --fs-cache and cache= words). */
int config_parse_fs_cache(const char *text, enum krun_fs_cache *cache,
			  struct krun_err **err);
const char *config_fs_cache_name(enum krun_fs_cache cache);
/* The cache policy of the root directory, or of the share named tag. */
int config_set_root_cache(struct krun_config *cfg, enum krun_fs_cache cache,
			  struct krun_err **err);
int config_set_share_cache(struct krun_config *cfg, const char *tag,
			   enum krun_fs_cache cache, struct krun_err **err);
int config_set_legacy_root_disk(struct krun_config *cfg, const char *path,
				struct krun_err **err);
int config_set_legacy_data_disk(struct krun_config *cfg, const char *path,
				struct krun_err **err);
int config_add_disk(struct krun_config *cfg, const char *block_id,
		    const char *path, uint32_t format, bool read_only,
		    struct krun_err **err);
/* Parse "ID:PATH[:raw|qcow2][:ro]" and add it. */
int config_add_disk_spec(struct krun_config *cfg, const char *text,
			 struct krun_err **err);
/* Mark an added disk (by block id) as the root device. */
int config_set_root_disk_id(struct krun_config *cfg, const char *block_id,
			    struct krun_err **err);
/* Boot from partition n (1..KRUN_MAX_ROOT_PARTITION) of the root disk;
 * 0 boots from the whole disk. */
#define KRUN_MAX_ROOT_PARTITION 128
int config_set_root_partition(struct krun_config *cfg, uint32_t n,
			      struct krun_err **err);

int config_add_share(struct krun_config *cfg, const char *tag,
		     const char *host_path, const char *guest_path,
		     bool read_only, uint64_t shm_size, struct krun_err **err);
/* Parse "TAG:HOSTDIR[:GUESTPATH][:ro]" and add it. */
int config_add_share_spec(struct krun_config *cfg, const char *text,
			  struct krun_err **err);
/* DAX windows (0: none; else a multiple of KRUN_DAX_ALIGN, at most
 * KRUN_DAX_MAX): the root directory share's here, a share's through
 * config_add_share()'s shm_size. */
#define KRUN_DAX_ALIGN (2ull << 20)
#define KRUN_DAX_MAX (1ull << 40)
int config_set_root_dax(struct krun_config *cfg, uint64_t size,
			struct krun_err **err);
int config_set_mapped_volumes(struct krun_config *cfg,
			      const char *const volumes[],
			      struct krun_err **err);

/* envp NULL copies the host environment (libkrun semantics). */
int config_set_exec(struct krun_config *cfg, const char *exec_path,
		    const char *const argv[], const char *const envp[],
		    struct krun_err **err);
int config_set_env(struct krun_config *cfg, const char *const envp[],
		   struct krun_err **err);
/* Add or replace one "K=V" entry (CLI -e / --env-file). */
int config_put_env(struct krun_config *cfg, const char *kv,
		   struct krun_err **err);
int config_set_workdir(struct krun_config *cfg, const char *path,
		       struct krun_err **err);
int config_set_hostname(struct krun_config *cfg, const char *name,
			struct krun_err **err);
int config_set_user(struct krun_config *cfg, uint32_t uid, uint32_t gid,
		    struct krun_err **err);
int config_set_terminal(struct krun_config *cfg, bool terminal,
			struct krun_err **err);
/* Each entry "RESOURCE=CUR:MAX", RESOURCE a name (RLIMIT_NOFILE or NOFILE,
 * case-insensitive) or number; CUR/MAX a number or "unlimited". */
int config_set_rlimits(struct krun_config *cfg, const char *const rlimits[],
		       struct krun_err **err);
int config_add_rlimit(struct krun_config *cfg, const char *text,
		      struct krun_err **err);
/* Canonical upper-case name without RLIMIT_ ("NOFILE"), or NULL. */
const char *config_rlimit_name(int resource);

int config_set_net_none(struct krun_config *cfg, struct krun_err **err);
int config_set_passt_fd(struct krun_config *cfg, int fd,
			struct krun_err **err);
int config_set_net_passt(struct krun_config *cfg, struct krun_err **err);
int config_set_gvproxy_path(struct krun_config *cfg, const char *path,
			    struct krun_err **err);
int config_set_mac(struct krun_config *cfg, const uint8_t mac[6],
		   struct krun_err **err);
/* Parse "aa:bb:cc:dd:ee:ff". */
int config_parse_mac(const char *text, uint8_t mac[6], struct krun_err **err);
/* Entries "[IP:]HOST:GUEST[/tcp|/udp]" (IPv6 in brackets); NULL or an
 * empty array: no port is mapped. */
int config_set_port_map(struct krun_config *cfg, const char *const map[],
			struct krun_err **err);
int config_add_port(struct krun_config *cfg, const char *text,
		    struct krun_err **err);
/*
 * Ports 1..UINT32_MAX-1, each once; path fits sockaddr_un.sun_path; a
 * listening path is used once. config_check_startable() also wants each
 * path's parent directory to exist.
 */
int config_add_vsock_port(struct krun_config *cfg, uint32_t port,
			  const char *path, bool listen, struct krun_err **err);
/* Parse "PORT:PATH[,listen]". */
int config_add_vsock_spec(struct krun_config *cfg, const char *text,
			  struct krun_err **err);

int config_set_gpu(struct krun_config *cfg, uint32_t virgl_flags,
		   uint64_t shm_size, struct krun_err **err);
int config_set_snd(struct krun_config *cfg, bool enable,
		   struct krun_err **err);
/* Stored as given; checked and refused at start (spec_tee_check_startable). */
int config_set_tee_config_file(struct krun_config *cfg, const char *path,
			       struct krun_err **err);
/*
 * Confidential-computing support in this build, for krun_has_feature():
 * none. With a 1 here spec_tee_check_startable() must let that TEE start.
 */
#define KRUN_BUILD_HAS_SEV 0
#define KRUN_BUILD_HAS_SNP 0
#define KRUN_BUILD_HAS_TDX 0
int config_set_oem_strings(struct krun_config *cfg,
			   const char *const strings[], struct krun_err **err);

int config_set_console_output(struct krun_config *cfg, const char *path,
			      struct krun_err **err);
int config_set_kernel(struct krun_config *cfg, const char *path,
		      struct krun_err **err);

/* What a caller kernel must be (cfg->kernel_format). */
enum krun_kernel_kind {
	KRUN_KERNEL_ANY = 0, /* an ELF vmlinux or a bzImage */
	KRUN_KERNEL_ELF,
	KRUN_KERNEL_BZIMAGE,
};

/* libkrun's KRUN_KERNEL_FORMAT_* numbers (lib/api/libkrun.h). */
#define KRUN_KERNEL_API_RAW 0
#define KRUN_KERNEL_API_ELF 1
#define KRUN_KERNEL_API_PE_GZ 2
#define KRUN_KERNEL_API_IMAGE_BZ2 3
#define KRUN_KERNEL_API_IMAGE_GZ 4
#define KRUN_KERNEL_API_IMAGE_ZSTD 5

/*
 * krun_set_kernel: path and format (libkrun's number: ELF is an ELF
 * vmlinux; RAW and the IMAGE_* formats must be a bzImage, which carries
 * its own decompressor; PE_GZ is aarch64's and refused with ENOTSUP,
 * unknown numbers with EINVAL), an optional initramfs replacing the
 * per-run one (then no krun-init runs: the guest's own init reports a
 * status with a 32-bit OUT to port 0xf4 or ends without one), and an
 * optional command line that replaces the default "quiet" (the device
 * entries and the platform's options are still appended).
 */
int config_set_external_kernel(struct krun_config *cfg, const char *path,
			       uint32_t format, const char *initramfs,
			       const char *cmdline, struct krun_err **err);
int config_set_kernel_log(struct krun_config *cfg, bool on,
			  struct krun_err **err);
int config_set_log_level(struct krun_config *cfg, uint32_t level,
			 struct krun_err **err);

/* ---- libkrun compatibility switches (config_compat.c) ---- */

/* Like config_add_disk() with a KRUN_DISK_SYNC_* flush mode. */
int config_add_disk_sync(struct krun_config *cfg, const char *block_id,
			 const char *path, uint32_t format, bool read_only,
			 uint32_t sync_mode, struct krun_err **err);
/* A unixstream network peer: a socket path (connected at start) or an
 * open fd, exactly one of the two. */
int config_set_net_stream(struct krun_config *cfg, const char *path, int fd,
			  struct krun_err **err);
/* A unixgram network peer: a path (vfkit: send gvproxy's greeting) or an
 * open connected fd, exactly one of the two. */
int config_set_net_dgram(struct krun_config *cfg, const char *path, int fd,
			 bool vfkit, struct krun_err **err);
int config_set_nested_virt(struct krun_config *cfg, bool on,
			   struct krun_err **err);
int config_disable_implicit_console(struct krun_config *cfg,
				    struct krun_err **err);
/* The one virtio-console's ends (the fds are duplicated at start). */
int config_set_console_fds(struct krun_config *cfg, int in, int out, int errfd,
			   struct krun_err **err);
int config_disable_implicit_vsock(struct krun_config *cfg,
				  struct krun_err **err);
int config_add_explicit_vsock(struct krun_config *cfg, uint32_t tsi_features,
			      struct krun_err **err);
int config_set_vmm_ids(struct krun_config *cfg, bool set_uid, uint32_t uid,
		       bool set_gid, uint32_t gid, struct krun_err **err);
/* "ttyS0": the kernel log goes to COM1 (host stderr), as --kernel-log. */
int config_set_kernel_console(struct krun_config *cfg, const char *id,
			      struct krun_err **err);
/* "/dev/vdX[N]": boot from the X-th added disk (partition N), mounted
 * with fstype (NULL or "auto": probed) and options (NULL, "", "ro", "rw"). */
int config_set_root_disk_remount(struct krun_config *cfg, const char *device,
				 const char *fstype, const char *options,
				 struct krun_err **err);
/* Features recorded but without a device here: one warning line each. */
void config_warn_recorded(const struct krun_config *cfg);

/* Each vsock socket path's parent directory exists. */
int config_check_vsock(const struct krun_config *cfg, struct krun_err **err);

/* ---- process attributes (config_process.c) ---- */

/* "USER[:GROUP]" (names or numbers), resolved by the guest init. */
int config_set_user_spec(struct krun_config *cfg, const char *spec,
			 struct krun_err **err);
/* A supplementary group: a name or a number (repeatable). */
int config_add_group(struct krun_config *cfg, const char *group,
		     struct krun_err **err);
int config_set_umask(struct krun_config *cfg, uint32_t mask,
		     struct krun_err **err);
int config_set_no_new_privs(struct krun_config *cfg, bool on,
			    struct krun_err **err);
/* Capability name ("CAP_CHOWN" or "chown", case-insensitive) to number. */
int config_cap_from_name(const char *name, int *cap, struct krun_err **err);
const char *config_cap_name(int cap); /* "CAP_CHOWN", or NULL */
/* Set all five sets (bit N = capability N); marks the caps as given. */
int config_set_caps(struct krun_config *cfg,
		    const uint64_t sets[KRUN_CAP_SETS], struct krun_err **err);
int config_set_domainname(struct krun_config *cfg, const char *name,
			  struct krun_err **err);
/* "key=value"; key like net.ipv4.ip_forward (or with '/'). */
int config_add_sysctl(struct krun_config *cfg, const char *key,
		      const char *value, struct krun_err **err);
/*
 * A filesystem mounted in the guest: fstype one of tmpfs, proc, sysfs,
 * devpts, mqueue, cgroup2; options as in mount(8) ("ro,nosuid,size=64m"):
 * flags are split from the data string.
 */
int config_add_fsmount(struct krun_config *cfg, const char *fstype,
		       const char *source, const char *target,
		       const char *options, struct krun_err **err);
/* An absolute path to hide (masked) or make read-only in the guest. */
int config_add_masked_path(struct krun_config *cfg, const char *path,
			   struct krun_err **err);
int config_add_readonly_path(struct krun_config *cfg, const char *path,
			     struct krun_err **err);
/* docker's --tmpfs "PATH[:OPTIONS]". */
int config_add_tmpfs_spec(struct krun_config *cfg, const char *text,
			  struct krun_err **err);
/* A seccomp policy: the default, then rules and architectures. */
int config_set_seccomp(struct krun_config *cfg, uint32_t default_action,
		       uint32_t default_errno, struct krun_err **err);
int config_add_seccomp_arch(struct krun_config *cfg, const char *arch,
			    struct krun_err **err);
int config_add_seccomp_rule(struct krun_config *cfg,
			    const struct krun_seccomp_rule *rule,
			    struct krun_err **err);
/* "SCMP_ACT_ERRNO" -> KRUN_GUEST_SCMP_ERRNO; "SCMP_CMP_EQ" -> ..._EQ. */
int config_seccomp_action(const char *name, uint32_t *action,
			  struct krun_err **err);
int config_seccomp_op(const char *name, uint32_t *op, struct krun_err **err);
const char *config_seccomp_action_name(uint32_t action);
const char *config_seccomp_op_name(uint32_t op);
/* Record something a spec asked for that the VM cannot honour. */
int config_add_ignored(struct krun_config *cfg, const char *what,
		       struct krun_err **err);
int config_set_tty(struct krun_config *cfg, enum krun_tristate tty,
		   struct krun_err **err);
int config_set_interactive(struct krun_config *cfg, enum krun_tristate on,
			   struct krun_err **err);
int config_set_timeout_ms(struct krun_config *cfg, uint32_t ms,
			  struct krun_err **err);
/* The workload's time between SIGTERM and SIGKILL on a stop (<= 1 hour). */
int config_set_stop_grace_ms(struct krun_config *cfg, uint32_t ms,
			     struct krun_err **err);
/* "30", "1.5s", "500ms", "2m", "1h", "1d" (timeout(1) units, plus ms). */
int config_parse_duration(const char *text, uint32_t *ms,
			  struct krun_err **err);
/* docker's sizes: "1.5g", "2GB", "512k", "100" (bytes), to whole MiB. */
int config_parse_docker_memory(const char *text, uint32_t *ram_mib,
			       struct krun_err **err);

/*
 * Whole-config checks done before a VM starts: an executable is set, a root
 * is set, the vsock paths' directories exist, and no feature whose device
 * is not built yet is configured (the error names the feature).
 */
int config_check_startable(const struct krun_config *cfg,
			   struct krun_err **err);

#endif
