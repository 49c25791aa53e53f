// SPDX-License-Identifier: Apache-2.0
/*
 * The VMM's seccomp allow-lists, one table per thread role. Each list is
 * what that thread's code and libc need (found by tracing the system
 * tests, then by reading the code paths the tests do not reach). The
 * names are libseccomp's; an unknown one fails filter construction.
 */
#include "lib/vmm/seccomp_policy.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#define IOCTL(req)                         \
	{                                  \
		(unsigned long)(req), #req \
	}
#define IOCTL_END       \
	{               \
		0, NULL \
	}

static const struct seccomp_ioctl no_ioctls[] = {IOCTL_END};

/* Every thread: libc's locks, allocator and thread exit, clocks, signal
 * return, and write(2) for log lines and the violation report. */
static const char *const common_syscalls[] = {
	"brk",
	"clock_gettime",
	"clock_nanosleep",
	"exit",
	"exit_group",
	"futex",
	"getpid",
	"gettid",
	"madvise",
	"munmap",
	"nanosleep",
	"restart_syscall",
	"rt_sigprocmask",
	"rt_sigreturn",
	"sched_yield",
	"write",
	NULL,
};

/* Creating threads (mmap and mprotect are common); installing each new
 * thread's own filter. sched_getaffinity and sigaltstack: a sanitizer
 * runtime's thread start (-Dsanitize=true) runs them in the new thread
 * before its role's filter is loaded; neither gives a thread more reach. */
static const char *const launcher_syscalls[] = {
	"clone",   "clone3",	      "rseq",	     "sched_getaffinity",
	"seccomp", "set_robust_list", "sigaltstack", NULL,
};

/* The thread that called vmm_run(), from just before the vCPUs start:
 * waits for them, then tears the devices down (console drain to the
 * host's stdout, terminal restore, qcow2 metadata written back, vsock
 * sockets unlinked, passt stopped and reaped). */
static const char *const main_syscalls[] = {
	"close",     "epoll_ctl", "fallocate",	"fdatasync",
	"ftruncate", "kill",	  "newfstatat", "pidfd_send_signal",
	"poll",	     "pread64",	  "pwrite64",	"read",
	"shutdown",  "tgkill",	  "unlink",	"wait4",
	"waitid",    NULL,
};
/* The terminal restored when a run on a terminal ends: glibc's
 * tcsetattr() is TCSETS, then TCGETS to check what the driver took. */
static const struct seccomp_ioctl main_ioctls[] = {
	IOCTL(TCGETS),
	IOCTL(TCSETS),
	IOCTL_END,
};

/* lib/vmm/vmm_shutdown.c: signalfd, eventfds, the i8042 press (an IRQ
 * line), stopping the vCPUs (their kick signal), window size. */
static const char *const signal_syscalls[] = {
	"poll",
	"read",
	"tgkill",
	NULL,
};
static const struct seccomp_ioctl signal_ioctls[] = {
	IOCTL(KVM_IRQ_LINE),
	IOCTL(TIOCGWINSZ),
	IOCTL_END,
};

/* lib/vmm/net_passt.c: relays passt's stderr, then reaps it. */
static const char *const passt_log_syscalls[] = {
	"close",
	"read",
	"wait4",
	NULL,
};

/* hw/kvm/vm_run.c: KVM_RUN and the exits it hands back: port I/O and
 * MMIO to the legacy devices and the virtio transports, whose status
 * writes activate (start workers through the launcher: eventfd2) and
 * reset (join them) devices. No file is opened here. */
static const char *const vcpu_syscalls[] = {
	"close", "epoll_create1", "epoll_ctl", "eventfd2",
	"read",	 "shutdown",	  "tgkill",    NULL,
};
static const struct seccomp_ioctl vcpu_ioctls[] = {
	IOCTL(KVM_RUN),
	IOCTL(KVM_IRQ_LINE),
	IOCTL_END,
};

/* Device workers (virtio/worker.c waits in poll and drains eventfds). */
static const char *const blk_syscalls[] = {
	"fallocate", "fdatasync", "poll", "pread64", "preadv",
	"pwrite64",  "pwritev",	  "read", NULL,
};

static const char *const rng_syscalls[] = {
	"getrandom",
	"poll",
	"read",
	NULL,
};

/* Discarding guest pages is madvise, which every role has (common). */
static const char *const balloon_syscalls[] = {
	"poll",
	"read",
	NULL,
};

/* virtio-snd's worker (virtio/snd/): the wait, and the blocking
 * pw_loop_invoke() that hands stream operations to PipeWire's loop thread
 * (an eventfd written, then its acknowledgement read). */
static const char *const snd_syscalls[] = {
	"poll",
	"read",
	NULL,
};

/* PipeWire's loop and data loop threads (virtio/snd/snd_pipewire.c), as a
 * run playing and capturing through a PipeWire 0.3.65 server made them:
 * the protocol socket (messages with fds), epoll, eventfds, the memfd
 * pools shared with the server (sealed, grown with mremap, locked), and
 * starting the data loop thread. openat: glibc's malloc reads
 * /proc/sys/vm/overcommit_memory the first time a thread's arena shrinks,
 * which PipeWire's threads reach; plugins are mapped before the filters
 * apply, and mmap with PROT_EXEC stays refused, so no code is loaded. */
static const char *const snd_pw_syscalls[] = {
	"clone",      "clone3",	      "close",
	"epoll_ctl",  "epoll_pwait",  "epoll_wait",
	"eventfd2",   "fcntl",	      "ftruncate",
	"getsockopt", "memfd_create", "mlock",
	"mremap",     "munlock",      "openat",
	"poll",	      "read",	      "recvmsg",
	"rseq",	      "sendmsg",      "set_robust_list",
	NULL,
};

static const char *const console_syscalls[] = {
	"poll", "read", "rt_sigpending", "rt_sigtimedwait", NULL,
};

static const char *const net_syscalls[] = {
	"poll", "read", "recvfrom", "sendmsg", "sendto", NULL,
};

static const char *const vsock_syscalls[] = {
	"accept4",    "close",	"connect", "epoll_ctl", "epoll_pwait",
	"epoll_wait", "poll",	"read",	   "readv",	"sendmsg",
	"shutdown",   "socket", "writev",  NULL,
};

/* The FUSE server (virtio/fs/): opens below the share with openat2 or
 * O_NOFOLLOW openat, reopens through /proc/self/fd, and every file
 * operation the guest may ask for. */
static const char *const fs_syscalls[] = {
	"close",      "copy_file_range", "fallocate",
	"fchmodat",   "fchownat",	 "fcntl",
	"fdatasync",  "flock",		 "fstatfs",
	"fsync",      "ftruncate",	 "getdents64",
	"getxattr",   "linkat",		 "listxattr",
	"lseek",      "mkdirat",	 "mknodat",
	"newfstatat", "openat",		 "openat2",
	"poll",	      "preadv",		 "pwritev",
	"read",	      "readlinkat",	 "removexattr",
	"renameat2",  "setxattr",	 "symlinkat",
	"unlinkat",   "utimensat",	 NULL,
};

/* The virtio-gpu renderer thread (virtio/gpu/) and the threads it starts:
 * virglrenderer, EGL and Mesa's llvmpipe run here. Found by tracing
 * gl-scene in a guest (strace -f of krun-run --seccomp off, the
 * renderer thread and its children): loading the GL driver (openat,
 * readlink, getdents64, mmap of the DRI module with PROT_EXEC), llvmpipe's
 * worker threads (clone3, rseq, set_robust_list, sched_getaffinity,
 * prctl for their names), its JIT (mmap and mprotect with PROT_EXEC:
 * this role alone may map code), glibc's user lookup for $HOME
 * (socket, connect: nscd), the fence eventfd and poll of
 * VIRGLRENDERER_THREAD_SYNC, llvmpipe's memory size query (sysinfo).
 * Mesa's shader cache under $HOME/.cache
 * (mkdir, flock, rename, unlink, ftruncate, pwrite64) when $HOME is
 * writable. One ioctl, KVM_SET_USER_MEMORY_REGION: a blob the guest maps
 * becomes a KVM slot over the renderer's memory and leaves it again. No
 * DRM ioctl: without a render node nothing is asked of a kernel driver. */
static const char *const gpu_syscalls[] = {
	"clone3",     "close",	   "connect",	"eventfd2", "flock",
	"fstat",      "ftruncate", "getdents64", "getegid", "geteuid",
	"getgid",     "getrandom", "getuid",	"lseek",    "mkdir",
	"mmap",	      "mprotect",  "newfstatat", "openat",  "poll",
	"prctl",      "pread64",   "pwrite64",	"read",	    "readlink",
	"rename",     "rseq",	   "sched_getaffinity", "set_robust_list",
	"socket",     "sysinfo",   "unlink",	NULL,
};

static const struct seccomp_ioctl gpu_ioctls[] = {
	IOCTL(KVM_SET_USER_MEMORY_REGION),
	IOCTL_END,
};

static const struct seccomp_role roles[] = {
	{"common", common_syscalls, no_ioctls},
	{"launcher", launcher_syscalls, no_ioctls},
	{"main", main_syscalls, main_ioctls},
	{"signal", signal_syscalls, signal_ioctls},
	{"passt-log", passt_log_syscalls, no_ioctls},
	{"vcpu", vcpu_syscalls, vcpu_ioctls},
	{"blk", blk_syscalls, no_ioctls},
	{"rng", rng_syscalls, no_ioctls},
	{"balloon", balloon_syscalls, no_ioctls},
	{"console", console_syscalls, no_ioctls},
	{"snd", snd_syscalls, no_ioctls},
	{"snd-pw", snd_pw_syscalls, no_ioctls},
	{"net", net_syscalls, no_ioctls},
	{"vsock", vsock_syscalls, no_ioctls},
	{"fs", fs_syscalls, no_ioctls},
	{"gpu", gpu_syscalls, gpu_ioctls},
};

const struct seccomp_role *seccomp_policy_roles(size_t *n)
{
	*n = sizeof(roles) / sizeof(roles[0]);
	return roles;
}

const struct seccomp_role *seccomp_policy_find(const char *name)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, name) == 0)
			return &roles[i];
	return NULL;
}
