/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot breakdown: when a run reached each stage, printed as one debug
 * line ("boot: vmm 0 ms, kvm-ready 3 ms, ...") by vmm_run().
 */
#ifndef KRUN_LIB_VMM_STAMPS_H
#define KRUN_LIB_VMM_STAMPS_H

#include <stddef.h>
#include <stdint.h>

enum vmm_stage {
	VMM_STAGE_VMM,	     /* vmm_run() entered */
	VMM_STAGE_KVM_READY, /* VM, irqchip, RAM and vCPUs set up */
	VMM_STAGE_DEVICES,   /* virtio devices (and passt) set up */
	VMM_STAGE_LOADED,    /* initramfs built, kernel and initramfs loaded */
	VMM_STAGE_ENTRY,     /* the boot vCPU's first KVM_RUN */
	VMM_STAGE_INIT,	     /* krun-init's first action */
	VMM_STAGE_EXEC,	     /* the workload's exec went through */
	VMM_STAGE_EXIT,	     /* the workload exited */
	VMM_STAGE_STOP,	     /* the VM stopped (init reported the status) */
	VMM_STAGE_DONE,	     /* the VMM tore everything down */
	VMM_STAGE_N
};

/*
 * Write "boot: NAME MS ms, ..." for every stage in order, in milliseconds
 * since stamps[VMM_STAGE_VMM] (CLOCK_MONOTONIC ns); a stage never reached
 * (0) shows as "NAME -". Returns the length, or -ENOSPC when buf is too
 * small (buf then holds a truncated line).
 */
int vmm_stamps_format(const int64_t stamps[VMM_STAGE_N], char *buf, size_t len);

#endif
