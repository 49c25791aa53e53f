/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An x86_64 KVM virtual machine: guest RAM, vCPUs, in-kernel irqchip
 * (PIC + IOAPIC + LAPICs) and PIT, direct boot of an ELF vmlinux through
 * the 64-bit Linux boot protocol, an output-only COM1 for kernel logs,
 * an i8042 keyboard (reset, Ctrl-Alt-Del), and an exit port through which
 * the guest reports a status and marks its boot progress (struct vm_times).
 *
 * Order of use: vm_create(), register devices on vm_mmio_bus() /
 * vm_pio_bus() and wire vm_add_irqfd() / vm_add_ioeventfd(),
 * vm_load_kernel(), vm_run() (once), vm_destroy(). Buses must not change
 * once vm_run() has started.
 */
#ifndef KRUN_HW_VM_H
#define KRUN_HW_VM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/kvm/guest_mem.h"
#include "hw/kvm/io_bus.h"
#include "util/err.h"
#include "util/thread_launch.h"

struct vm;

/* Signal that kicks vCPU threads out of KVM_RUN; leave it to the VM. */
#define VM_KICK_SIGNAL (SIGRTMIN + 3)

/* Guest RAM must be a multiple of this and at least VM_MIN_RAM. */
#define VM_RAM_ALIGN 0x1000ull
#define VM_MIN_RAM (32ull << 20)

struct vm_opts {
	unsigned int vcpus; /* 1 .. the host's KVM limit (and 254) */
	uint64_t ram_bytes; /* guest RAM, exactly what the guest gets */
	/* COM1 for kernel logs: registers the UART and adds console=ttyS0. */
	bool serial_console;
	int serial_fd; /* where COM1 output goes (e.g. STDERR_FILENO) */
	/* I/O port of the exit channel (a 32-bit OUT stops the VM with that
	 * status); 0: none. lib/ passes KRUN_GUEST_EXIT_PORT. */
	uint16_t exit_port;
	/* SMBIOS type 11 OEM strings (NULL-terminated, may be NULL), written
	 * by vm_load_kernel (hw/x86/smbios.h); must outlive that call. */
	const char *const *oem_strings;
	/* Testing only (tools/hw-boot raw blobs): skip the check that refuses
	 * paravirtual (PVM) KVM, which cannot run a stock Linux kernel. */
	bool allow_paravirt_kvm;
	/* Expose the host's VMX/SVM to the guest (nested virtualization);
	 * false hides them from CPUID. */
	bool nested_virt;
	/* Starts the vCPU threads (role "vcpu"); NULL: pthread_create().
	 * Borrowed: must outlive vm_run(). */
	struct thread_launcher *threads;
};

enum vm_stop_reason {
	VM_STOP_GUEST_EXIT, /* status written to the exit port */
	VM_STOP_RESET, /* guest reset: i8042 0xFE, or KVM system event reset */
	VM_STOP_TRIPLE_FAULT, /* KVM_EXIT_SHUTDOWN */
	VM_STOP_POWEROFF,     /* KVM system event shutdown */
	VM_STOP_REQUESTED,    /* vm_request_stop() */
};

struct vm_exit_info {
	enum vm_stop_reason reason;
	uint32_t status; /* VM_STOP_GUEST_EXIT: the value written */
};

/* Guest marks: a 1-byte OUT of n (1 .. VM_GUEST_MARKS) to the exit port
 * records when the guest reached its point n (the first write counts). */
#define VM_GUEST_MARKS 4

/* When the VM reached each point, CLOCK_MONOTONIC nanoseconds; 0: never. */
struct vm_times {
	int64_t ready;	/* vm_create() done: VM, irqchip, RAM, vCPUs */
	int64_t loaded; /* vm_load_kernel*() done */
	int64_t entry;	/* the boot vCPU's first KVM_RUN */
	int64_t mark[VM_GUEST_MARKS]; /* mark[n - 1]: guest mark n */
	int64_t stop; /* the first stop reason (e.g. the exit status) */
};

/*
 * Open /dev/kvm, check the API version and the capabilities we need, refuse
 * a paravirtual (PVM) KVM host, create the VM, irqchip, PIT, guest RAM
 * (split around the MMIO gap) and vCPUs, and register the legacy port
 * devices (COM1 when asked, i8042, the exit port).
 */
/* The most vCPUs a VM can have on this host (KVM's limit, bounded by the
 * MP table), or a negative errno when /dev/kvm cannot be opened. */
int kvm_max_vcpus(struct krun_err **err) __attribute__((warn_unused_result));

/* 1 when the host's KVM module allows nested virtualization, else 0. */
int kvm_nested_supported(void);

int vm_create(const struct vm_opts *opts, struct vm **out,
	      struct krun_err **err) __attribute__((warn_unused_result));

/*
 * Load a kernel, an ELF vmlinux or a bzImage (told apart by their magic,
 * hw/x86/bzimage.h), and set up the boot CPU for its 64-bit entry point.
 * The kernel command line is cmdline followed by the pieces the hardware
 * model needs ("reboot=k panic=-1", and "console=ttyS0" or
 * "8250.nr_uarts=0"); at most 2047 bytes in all. The initrd (may be NULL)
 * is copied to the top of RAM below the MMIO gap.
 */
int vm_load_kernel(struct vm *vm, const char *kernel_path, const char *cmdline,
		   const void *initrd, size_t initrd_len, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * vm_load_kernel() on a kernel image already in memory (image_len bytes;
 * name only labels errors), for a caller that mapped the kernel while its
 * path could still be opened.
 */
int vm_load_kernel_image(struct vm *vm, const void *image, size_t image_len,
			 const char *name, const char *cmdline,
			 const void *initrd, size_t initrd_len,
			 struct krun_err **err) __attribute__((warn_unused_result));

struct io_bus *vm_mmio_bus(struct vm *vm);
struct io_bus *vm_pio_bus(struct vm *vm);
const struct guest_mem *vm_guest_mem(const struct vm *vm);

/* Deliver an edge on gsi (an IOAPIC pin < 24) each time eventfd is
 * signalled. */
int vm_add_irqfd(struct vm *vm, unsigned int gsi, int eventfd,
		 struct krun_err **err) __attribute__((warn_unused_result));

/* Signal eventfd, in the kernel, on a guest MMIO write of len (1, 2, 4 or
 * 8) bytes of value datamatch to addr; no exit to user space. */
int vm_add_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len,
		     uint64_t datamatch, int eventfd, struct krun_err **err)
	__attribute__((warn_unused_result));

/* Shared memory windows a VM can have (KVM slots 2 and up). */
#define VM_MAX_SHM_SLOTS 16

/*
 * Where the next shared memory window of size bytes goes: the first
 * LAYOUT_SHM_ALIGN boundary at or above next (0: none placed yet, start
 * past the end of RAM of ram_bytes, and never below 4 GiB). Refused
 * (-ENOSPC) when the window would end past 2^phys_bits, the guest's
 * physical address width, or the arithmetic overflows. Pure: no KVM.
 */
int vm_shm_place(uint64_t ram_bytes, uint64_t next, uint64_t size,
		 unsigned int phys_bits, uint64_t *gpa, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * Give the guest a shared memory window: host[0, size) (page-aligned,
 * size a non-zero multiple of 4 KiB) becomes guest memory at a gpa above
 * RAM (vm_shm_place(), returned in *gpa), as a KVM memory slot of its own.
 * It is not RAM: not in e820, not in vm_guest_mem() (the VMM never reads
 * a device's window through guest addresses). read_only: guest writes
 * are not let through (a KVM read-only slot where KVM has one; else the
 * host mapping's protection decides). The caller keeps host mapped for
 * the VM's life, and may replace pages inside it (mmap MAP_FIXED) at any
 * time: KVM follows the host page tables.
 */
int vm_add_shm_slot(struct vm *vm, void *host, uint64_t size, bool read_only,
		    uint64_t *gpa, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * A window whose pages come and go while the guest runs (virtio-gpu blob
 * mappings): vm_reserve_shm() places size bytes above RAM like
 * vm_add_shm_slot() but puts no memory there; a guest access to an empty
 * part exits as MMIO and reads all-ones. vm_map_shm() then puts host[0,
 * len) at gpa (page-aligned, inside a reserved window, not overlapping
 * another mapping) as a KVM slot of its own, and vm_unmap_shm() takes the
 * mapping at gpa away again; KVM has stopped using host when it returns.
 * At most VM_MAX_SHM_MAPS mappings at once. Safe from any thread.
 */
#define VM_MAX_SHM_MAPS 256

int vm_reserve_shm(struct vm *vm, uint64_t size, uint64_t *gpa,
		   struct krun_err **err) __attribute__((warn_unused_result));
int vm_map_shm(struct vm *vm, uint64_t gpa, void *host, uint64_t len,
	       struct krun_err **err) __attribute__((warn_unused_result));
int vm_unmap_shm(struct vm *vm, uint64_t gpa);

/* Pulse (assert, deassert) an IRQ line from user space. */
int vm_irq_pulse(struct vm *vm, unsigned int gsi, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * Run one thread per vCPU and block until the VM stops. Returns 0 with
 * *out filled for a guest exit, reset, triple fault, poweroff or requested
 * stop; a negative errno (err set) when the VM could not run or KVM failed,
 * e.g. KVM_EXIT_INTERNAL_ERROR: one line saying this host's KVM cannot run
 * the guest kernel.
 */
int vm_run(struct vm *vm, struct vm_exit_info *out, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * Press Ctrl-Alt-Del on the guest's keyboard (any thread, not from a
 * signal handler): a guest init that disabled Ctrl-Alt-Del reboot gets
 * SIGINT. -EAGAIN (err set) while the guest has not enabled its keyboard
 * (early boot), -ENOBUFS when the guest is not reading it.
 */
int vm_send_ctrl_alt_del(struct vm *vm, struct krun_err **err)
	__attribute__((warn_unused_result));

/* Stop the VM from any thread (not from a signal handler); idempotent. */
void vm_request_stop(struct vm *vm);

/* Debugging aid (e.g. where a hung guest was): the instruction pointer of
 * a vCPU once vm_run() has returned. */
int vm_vcpu_rip(struct vm *vm, unsigned int index, uint64_t *rip,
		struct krun_err **err) __attribute__((warn_unused_result));

/* Free everything; the VM must not be running. Safe on NULL. */
void vm_destroy(struct vm *vm);

/* The times so far; complete once vm_run() has returned. */
void vm_get_times(const struct vm *vm, struct vm_times *out);

/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t vm_clock_ns(void);

/* Human-readable name of a stop reason. */
const char *vm_stop_reason_name(enum vm_stop_reason reason);

#endif
