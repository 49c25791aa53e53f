/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State shared by the VM's files (hw/kvm/vm*.c, hw/kvm/vcpu.c,
 * hw/kvm/host_check.c, hw/x86/direct_boot.c, hw/legacy/ports.c); not for
 * other areas.
 */
#ifndef KRUN_HW_VM_INTERNAL_H
#define KRUN_HW_VM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>

#include "hw/legacy/i8042.h"
#include "hw/legacy/serial.h"
#include "hw/kvm/vm.h"

struct vcpu {
	struct vm *vm;
	unsigned int index; /* also its APIC id */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool running; /* thread started and not finished; under stop_lock */
};

struct vm {
	struct vm_opts opts;
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	uint8_t *ram_low;
	uint64_t ram_low_size;
	uint8_t *ram_high;
	uint64_t ram_high_size;
	struct guest_mem mem;
	struct io_bus pio;
	struct io_bus mmio;
	struct serial serial;
	bool serial_registered;
	struct i8042 i8042;
	bool i8042_registered;
	struct kvm_cpuid2 *supported_cpuid;
	uint64_t shm_next;	   /* next free shared-memory gpa; 0: none yet */
	unsigned int n_shm_slots; /* KVM slots 2.. used by vm_add_shm_slot() */
	/* vm_map_shm(): entry i is KVM slot VM_SHM_MAP_FIRST_SLOT + i; len 0
	 * when free. Under map_lock, taken by whichever thread maps. */
	pthread_mutex_t map_lock;
	struct vm_shm_map {
		uint64_t gpa, len;
	} shm_maps[VM_MAX_SHM_MAPS];
	struct vm_shm_window {
		uint64_t gpa, len;
	} shm_windows[VM_MAX_SHM_SLOTS]; /* vm_reserve_shm() */
	unsigned int n_shm_windows;
	struct vcpu *vcpus;
	unsigned int n_vcpus; /* created so far */
	bool kernel_loaded;
	bool has_run;

	pthread_mutex_t stop_lock;
	bool stopping; /* read lock-free by vCPU threads (atomics) */
	struct vm_exit_info exit;
	struct krun_err *run_err; /* first vCPU failure */
	/* Written by vCPU threads (entry, marks) and under stop_lock
	 * (stop); read once the vCPU threads are joined. */
	struct vm_times times;
};

/* hw/kvm/vcpu.c */
int vcpu_init(struct vm *vm, struct vcpu *vcpu, unsigned int index,
	      struct krun_err **err);
void vcpu_release(struct vcpu *vcpu, size_t run_size);
int vcpu_setup_boot(struct vcpu *vcpu, uint64_t entry, uint64_t zero_page,
		    struct krun_err **err);

/* hw/kvm/vm_run.c */
void vm_stop_with(struct vm *vm, enum vm_stop_reason reason, uint32_t status);

/* hw/legacy/ports.c: COM1 (when asked), i8042, the exit port. */
int vm_register_legacy_devices(struct vm *vm, struct krun_err **err);

/* hw/kvm/host_check.c */
int host_check_kvm_usable(struct krun_err **err);

#endif
