/* SPDX-License-Identifier: Apache-2.0 */
/* State shared by the VMM orchestration files (lib/vmm*.c) only. */
#ifndef KRUN_LIB_VMM_INTERNAL_H
#define KRUN_LIB_VMM_INTERNAL_H

#include <stddef.h>

#include "hw/layout.h"
#include "hw/vm.h"
#include "lib/config.h"
#include "lib/initramfs.h"
#include "util/err.h"
#include "virtio/mmio.h"

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
	char cmdline[VMM_CMDLINE_MAX];
	size_t cmdline_len;
	/* How init finds the root and the volumes. */
	struct initramfs_params init_params;
};

/* Append " text" to the kernel command line. */
int vmm_cmdline_add(struct vmm *vmm, const char *text, struct krun_err **err);

/* Create every virtio device the config asks for and wire it to the VM
 * (MMIO range, irqfd, ioeventfds, command-line entry). */
int vmm_add_devices(struct vmm *vmm, struct krun_err **err);

/* Tear every device down (resets stop their worker threads first). */
void vmm_remove_devices(struct vmm *vmm);

#endif
