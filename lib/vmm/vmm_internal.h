/* SPDX-License-Identifier: Apache-2.0 */
/* State shared by the VMM orchestration files in lib/vmm/ only. */
#ifndef KRUN_LIB_VMM_INTERNAL_H
#define KRUN_LIB_VMM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/x86/layout.h"
#include "hw/kvm/vm.h"
#include "lib/config/config.h"
#include "lib/initramfs/initramfs.h"
#include "lib/vmm/net_passt.h"
#include "lib/vmm/vmm_janitor.h"
#include "lib/vmm/seccomp.h"
#include "util/err.h"
#include "virtio/mmio.h"
#include "virtio/net_backend.h"

#define VMM_CMDLINE_MAX 2048

struct vmm_slot {
	struct virtio_transport *transport; /* owns the device */
	int irq_fd;
};

struct vmm {
	struct krun_config *cfg;
	struct vm *vm;
	struct vmm_slot slots[LAYOUT_VIRTIO_MMIO_MAX];
	unsigned int n_slots;
	struct virtio_device *console; /* borrowed from its transport */
	/* The console runs as one raw terminal port (stdin and stdout are
	 * ttys); init must be told, or it waits for the named ports. */
	bool terminal;
	char cmdline[VMM_CMDLINE_MAX];
	size_t cmdline_len;
	/* The passt krun-run started, if any (pid 0: none), started early by
	 * vmm_net_spawn(): its end of the socket until vmm_net_backend()
	 * takes it (-1: none), or why it could not start. */
	struct passt_proc passt;
	int passt_sock;
	struct krun_err *passt_err;
	bool has_net; /* a virtio-net device is attached */
	/* How init finds the root and the volumes. */
	struct initramfs_params init_params;
	/* Removes the socket files below after a crash (none: pid -1). */
	struct vmm_janitor janitor;
	/* The per-thread filters and the launcher that starts every thread
	 * after setup (lib/vmm/seccomp.h). */
	struct vmm_seccomp seccomp;
	/* Where virtio-gpu's window starts in the guest: its blob mappings
	 * become KVM slots there (vm_map_shm()). Set before the guest runs. */
	struct vmm_gpu_window {
		struct vm *vm;
		uint64_t gpa;
	} gpu_window;
};

/* The datagram socket krun-run binds next to gvproxy's: its path plus this. */
#define GVPROXY_LOCAL_SUFFIX "-krun.sock"

/* Append " text" to the kernel command line. */
int vmm_cmdline_add(struct vmm *vmm, const char *text, struct krun_err **err);

/* Create every virtio device the config asks for and wire it to the VM
 * (MMIO range, irqfd, ioeventfds, command-line entry). */
int vmm_add_devices(struct vmm *vmm, struct krun_err **err);

/* Tear every device down (resets stop their worker threads first). */
void vmm_remove_devices(struct vmm *vmm);

/* lib/vmm/vmm_net.c: start the passt the config asks for (if any) without
 * waiting for it, so it configures itself while the VM is set up; a
 * failure is kept for vmm_net_backend() to report or fall back from. */
void vmm_net_spawn(struct vmm *vmm);

/* The network backend the config asks for, or NULL (with 0) when the guest
 * gets no network device. */
int vmm_net_backend(struct vmm *vmm, struct net_backend **be,
		    struct krun_err **err);

/* Close what vmm_net_spawn() left unclaimed (passt_stop() ends passt). */
void vmm_net_release(struct vmm *vmm);

/* lib/vmm/vmm_shutdown.c: the thread that takes signals and the shutdown
 * eventfd while the guest runs. */
struct vmm_signals {
	struct vmm *vmm;
	pthread_t thread;
	sigset_t set, old_mask;
	int stop_fd; /* ends the thread */
	int signal_fd;
	int shutdown_fd;     /* cfg->shutdown_eventfd (borrowed) or -1 */
	uint32_t grace_ms;   /* the guest init's */
	int64_t deadline_ms; /* CLOCK_MONOTONIC; 0: no shutdown pending */
	bool cad_pending;    /* Ctrl-Alt-Del still to press (keyboard off) */
	int64_t timeout_at_ms; /* --timeout's end (CLOCK_MONOTONIC); 0: none */
	/* Read after vmm_signals_stop(): */
	int stop_signal;   /* what asked for the stop (SIGTERM: the eventfd) */
	bool hard_stopped; /* vm_request_stop() was called */
	bool timed_out;	   /* the time limit asked for the stop */
};

/* Block the signals the thread takes (SIGINT, SIGTERM, SIGHUP, SIGWINCH)
 * in the calling thread; *old gets the mask before. A stop request that
 * comes while the VM is set up stays pending for the thread. */
void vmm_signals_block(sigset_t *old);
/* Block the signals (before the vCPU threads start) and start the thread. */
int vmm_signals_start(struct vmm *vmm, struct vmm_signals *s,
		      struct krun_err **err);
/* End the thread; the signals stay blocked until vmm_signals_restore(). */
void vmm_signals_stop(struct vmm_signals *s);
void vmm_signals_restore(struct vmm_signals *s);

#endif
