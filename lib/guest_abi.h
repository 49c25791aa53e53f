/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between the VMM (lib/) and the guest init (cmd/krun-init):
 * how the run configuration reaches the guest, and how the exit status
 * comes back. Both sides include this header; nothing else does.
 */
#ifndef KRUN_LIB_GUEST_ABI_H
#define KRUN_LIB_GUEST_ABI_H

/* Per-run initramfs member holding the run configuration. */
#define KRUN_GUEST_CONFIG_PATH "/krun/config"

/*
 * Exit channel: after draining its console output, init writes the
 * workload's status (0..255, 128+signal when killed) as a 32-bit OUT to
 * this port. Init's own setup failures report 125. Values >= 0x100 are
 * reserved.
 */
#define KRUN_GUEST_EXIT_PORT 0x0f4

/*
 * Boot progress marks: init writes one of these as an 8-bit OUT to the exit
 * port when it reaches that point; the VMM notes the time (the boot
 * breakdown at --log-level debug). A mark never stops the VM. Init writes
 * them only when its environment has KRUN_GUEST_MARKS_ENV (the VMM puts it
 * on the kernel command line, which hands it to init): elsewhere, e.g.
 * QEMU's isa-debug-exit at the same port, any OUT ends the machine.
 */
#define KRUN_GUEST_MARKS_ENV "KRUN_BOOT_MARKS"
#define KRUN_GUEST_MARK_INIT 1 /* init's first action */
#define KRUN_GUEST_MARK_EXEC 2 /* the workload's exec went through */
#define KRUN_GUEST_MARK_EXIT 3 /* the workload exited */

/*
 * Exit statuses krun-run, libkrun's krun_start_enter() and krun-init use
 * besides the workload's own (0..255, 128+N for signal N). The same values
 * docker and libkrun use; the one definition every side includes.
 */
#define KRUN_EXIT_GUEST_CRASH 123 /* the guest stopped without a status */
#define KRUN_EXIT_TIMEOUT 124	  /* the time limit stopped the guest */
#define KRUN_EXIT_SETUP 125	  /* krun-run, the VMM or init failed to set up */
#define KRUN_EXIT_NOEXEC 126	  /* the command exists but cannot run */
#define KRUN_EXIT_NOTFOUND 127	  /* the command was not found */

/* Names of the virtio-console ports when stdio is not a terminal. */
#define KRUN_PORT_STDIN "krun-stdin"
#define KRUN_PORT_STDOUT "krun-stdout"
#define KRUN_PORT_STDERR "krun-stderr"

/*
 * virtio-fs tag of the root directory share: libkrun's convention, which
 * lib/config/config_storage.c reserves so no user share can take it.
 */
#define KRUN_ROOT_TAG "/dev/root"

/* Mount data of a virtio-fs share that has a DAX window: every regular
 * file is read, written and mmapped through the window. */
#define KRUN_GUEST_DAX_OPTIONS "dax=always"

/*
 * Run configuration wire format (KRUN_GUEST_CONFIG_PATH). All integers are
 * little-endian. A reader rejects anything it does not understand; both
 * sides change together, so there is no forward compatibility.
 *
 *   header  magic[8] = KRUN_GUEST_CONFIG_MAGIC, u32 version, u32 body_len
 *   body    u32 flags (KRUN_GUEST_F_*), u32 uid, u32 gid,
 *           u32 shutdown_grace_ms,
 *           str hostname ("" = leave the kernel's), str workdir ("" = "/"),
 *           strv argv (at least one entry; argv[0] is the program),
 *           strv env ("K=V" entries),
 *           u32 n_rlimits, n * { u32 resource, u64 cur, u64 max },
 *           mount root (target "/"),
 *           u32 n_mounts, n * mount
 *   str     u32 len, len bytes without NUL, one NUL byte
 *   strv    u32 count, count * str
 *   mount   u32 kind (KRUN_GUEST_MOUNT_*), u32 flags (KRUN_GUEST_MOUNT_F_*),
 *           str source, str target, str fstype, str options
 *
 * body_len counts every byte after the header; trailing bytes are an error.
 */
#define KRUN_GUEST_CONFIG_MAGIC "KRUNCFG\0"
#define KRUN_GUEST_CONFIG_MAGIC_LEN 8
#define KRUN_GUEST_CONFIG_VERSION 2
#define KRUN_GUEST_CONFIG_HEADER_LEN 16
#define KRUN_GUEST_CONFIG_MAX_LEN (16u << 20) /* 16 MiB */
#define KRUN_GUEST_CONFIG_MAX_COUNT 65536u    /* any one list */

#define KRUN_GUEST_F_TERMINAL 0x1u   /* stdio is /dev/hvc0 as a tty */
#define KRUN_GUEST_F_KERNEL_LOG 0x2u /* init logs its steps to /dev/kmsg */
#define KRUN_GUEST_F_SET_USER 0x4u   /* switch to uid/gid */
/* A virtio-net device is attached: configure eth0 by DHCP (lo comes up
 * either way). */
#define KRUN_GUEST_F_NETWORK 0x8u
#define KRUN_GUEST_F_ALL 0xfu

enum krun_guest_mount_kind {
	KRUN_GUEST_MOUNT_VIRTIOFS = 1,	 /* source: virtio-fs tag */
	KRUN_GUEST_MOUNT_BLOCK_PATH = 2, /* source: device node, "/dev/vda" */
	KRUN_GUEST_MOUNT_BLOCK_ID = 3,	 /* source: virtio-blk serial */
};

#define KRUN_GUEST_MOUNT_F_RO 0x1u
#define KRUN_GUEST_MOUNT_F_ALL 0x1u

/*
 * Process attributes section: follows the mounts, the last part of the
 * body. What init applies to the workload besides the fields above:
 *
 *   attrs   u32 flags (KRUN_GUEST_A_*), u32 umask,
 *           str user ("" = none; else "USER[:GROUP]", names or numbers,
 *                     resolved in the guest root's /etc/passwd, /etc/group),
 *           strv group_add (names or numbers, supplementary groups),
 *           str domainname ("" = leave it),
 *           5 * u64 caps (KRUN_GUEST_CAP_* order, bit N = capability N),
 *           strv sysctl ("key=value", key with dots or slashes),
 *           u32 n_fsmounts, n * fsmount,
 *           strv masked (absolute paths hidden from the workload: an
 *                        empty read-only tmpfs over a directory, /dev/null
 *                        over a file), strv readonly (absolute paths
 *                        made read-only by a bind remount),
 *           seccomp (present when KRUN_GUEST_A_SECCOMP)
 *   fsmount u32 ms_flags (MS_* of mount(2), KRUN_GUEST_FSMOUNT_MS_ALL),
 *           str fstype (one of tmpfs proc sysfs devpts mqueue cgroup2),
 *           str source, str target (absolute, in the new root), str data
 *   seccomp u32 default_action, u32 default_errno, strv arches
 *           ("x86_64", "x86", "x32", ...: libseccomp names),
 *           u32 n_rules, n * { str syscall, u32 action, u32 errno,
 *           u32 n_args (<= 6), n * { u32 index, u32 op, u64 value,
 *           u64 value_two } }
 */
#define KRUN_GUEST_A_UMASK 0x1u	      /* umask field is valid */
#define KRUN_GUEST_A_NO_NEW_PRIVS 0x2u /* prctl(PR_SET_NO_NEW_PRIVS) */
#define KRUN_GUEST_A_CAPS 0x4u	      /* apply the five capability sets */
#define KRUN_GUEST_A_SECCOMP 0x8u     /* a seccomp section follows */
#define KRUN_GUEST_A_ALL 0xfu

enum krun_guest_cap_set {
	KRUN_GUEST_CAP_BOUNDING = 0,
	KRUN_GUEST_CAP_EFFECTIVE,
	KRUN_GUEST_CAP_INHERITABLE,
	KRUN_GUEST_CAP_PERMITTED,
	KRUN_GUEST_CAP_AMBIENT,
	KRUN_GUEST_CAP_SETS,
};
#define KRUN_GUEST_CAP_MAX 63 /* highest capability number a set can hold */

/* MS_RDONLY|NOSUID|NODEV|NOEXEC|SYNCHRONOUS|NOATIME|NODIRATIME|RELATIME|
 * STRICTATIME|LAZYTIME: the flags an fsmount may carry. */
#define KRUN_GUEST_FSMOUNT_MS_ALL 0x3200c1fu

enum krun_guest_seccomp_action {
	KRUN_GUEST_SCMP_KILL_THREAD = 1,
	KRUN_GUEST_SCMP_KILL_PROCESS,
	KRUN_GUEST_SCMP_TRAP,
	KRUN_GUEST_SCMP_ERRNO,
	KRUN_GUEST_SCMP_TRACE,
	KRUN_GUEST_SCMP_ALLOW,
	KRUN_GUEST_SCMP_LOG,
	KRUN_GUEST_SCMP_ACTION_MAX = KRUN_GUEST_SCMP_LOG,
};

enum krun_guest_seccomp_op {
	KRUN_GUEST_SCMP_CMP_NE = 1,
	KRUN_GUEST_SCMP_CMP_LT,
	KRUN_GUEST_SCMP_CMP_LE,
	KRUN_GUEST_SCMP_CMP_EQ,
	KRUN_GUEST_SCMP_CMP_GE,
	KRUN_GUEST_SCMP_CMP_GT,
	KRUN_GUEST_SCMP_CMP_MASKED_EQ,
	KRUN_GUEST_SCMP_CMP_MAX = KRUN_GUEST_SCMP_CMP_MASKED_EQ,
};
#define KRUN_GUEST_SCMP_MAX_ARGS 6

/* Used when the VMM gives no grace period of its own. */
#define KRUN_GUEST_DEFAULT_GRACE_MS 10000u

#endif
