// SPDX-License-Identifier: Apache-2.0
/*
 * Shared memory windows (virtio-fs DAX): host ranges given to the guest as
 * KVM memory slots of their own, placed above RAM (hw/x86/layout.h).
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "hw/kvm/vm_internal.h"
#include "hw/x86/cpuid.h"
#include "hw/x86/layout.h"

/* Slots 0 and 1 are RAM below and above the MMIO gap. */
#define SHM_FIRST_SLOT 2u
/* When KVM reports no address width (leaf 0x80000008 missing). */
#define SHM_DEFAULT_PHYS_BITS 36u

int vm_shm_place(uint64_t ram_bytes, uint64_t next, uint64_t size,
		 unsigned int phys_bits, uint64_t *gpa, struct krun_err **err)
{
	uint64_t low = ram_bytes < LAYOUT_MMIO_GAP_START
			       ? ram_bytes
			       : LAYOUT_MMIO_GAP_START;
	uint64_t start = next, limit;

	if (start == 0)
		start = LAYOUT_MMIO_GAP_END + (ram_bytes - low);
	limit = phys_bits >= 64 ? UINT64_MAX : (1ull << phys_bits);
	if (size == 0 || limit < 2 * LAYOUT_SHM_ALIGN ||
	    start > limit - (LAYOUT_SHM_ALIGN - 1))
		goto nospace;
	start = (start + LAYOUT_SHM_ALIGN - 1) & ~(LAYOUT_SHM_ALIGN - 1);
	if (size > limit - start)
		goto nospace;
	*gpa = start;
	return 0;
nospace:
	return krun_err_set(
		err, ENOSPC,
		"a shared memory window of %llu bytes does not fit in the guest's %u-bit physical address space",
		(unsigned long long)size, phys_bits);
}

static unsigned int guest_phys_bits(const struct vm *vm)
{
	struct kvm_cpuid_entry2 *e =
		cpuid_find(vm->supported_cpuid->entries,
			   vm->supported_cpuid->nent, 0x80000008, 0);
	unsigned int bits = e ? (e->eax & 0xffu) : 0;

	return bits ? bits : SHM_DEFAULT_PHYS_BITS;
}

int vm_add_shm_slot(struct vm *vm, void *host, uint64_t size, bool read_only,
		    uint64_t *gpa, struct krun_err **err)
{
	struct kvm_userspace_memory_region region = {
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};
	uint64_t at;
	int ret;

	if (vm->n_shm_slots >= VM_MAX_SHM_SLOTS)
		return krun_err_set(
			err, ENOSPC,
			"too many shared memory windows (at most %d)",
			VM_MAX_SHM_SLOTS);
	if (size == 0 || size % VM_RAM_ALIGN || (uintptr_t)host % VM_RAM_ALIGN)
		return krun_err_set(
			err, EINVAL,
			"a shared memory window must be page-aligned, not %llu bytes",
			(unsigned long long)size);
	ret = vm_shm_place(vm->opts.ram_bytes, vm->shm_next, size,
			   guest_phys_bits(vm), &at, err);
	if (ret < 0)
		return ret;
	region.slot = SHM_FIRST_SLOT + vm->n_shm_slots;
	region.guest_phys_addr = at;
	if (read_only &&
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0)
		region.flags = KVM_MEM_READONLY;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return krun_err_set_errno(
			err, errno,
			"KVM_SET_USER_MEMORY_REGION for a shared memory window at 0x%llx",
			(unsigned long long)at);
	vm->n_shm_slots++;
	vm->shm_next = at + size;
	*gpa = at;
	return 0;
}
