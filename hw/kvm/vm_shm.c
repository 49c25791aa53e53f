// SPDX-License-Identifier: Apache-2.0
/*
 * Shared memory windows, placed above RAM (hw/x86/layout.h): fixed ones
 * (virtio-fs DAX), one host range as one KVM memory slot, and reserved
 * ones (virtio-gpu blobs) whose mappings are KVM slots added and removed
 * while the guest runs.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "hw/kvm/vm_internal.h"
#include "hw/x86/cpuid.h"
#include "hw/x86/layout.h"

/* Slots 0 and 1 are RAM below and above the MMIO gap. */
#define SHM_FIRST_SLOT 2u
#define SHM_MAP_FIRST_SLOT (SHM_FIRST_SLOT + VM_MAX_SHM_SLOTS)
#define SHM_PAGE 4096u
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

int vm_reserve_shm(struct vm *vm, uint64_t size, uint64_t *gpa,
		   struct krun_err **err)
{
	uint64_t at;
	int ret;

	if (vm->n_shm_windows >= VM_MAX_SHM_SLOTS)
		return krun_err_set(
			err, ENOSPC,
			"too many reserved shared memory windows (at most %d)",
			VM_MAX_SHM_SLOTS);
	if (size == 0 || size % SHM_PAGE)
		return krun_err_set(
			err, EINVAL,
			"a shared memory window must be page-aligned, not %llu bytes",
			(unsigned long long)size);
	ret = vm_shm_place(vm->opts.ram_bytes, vm->shm_next, size,
			   guest_phys_bits(vm), &at, err);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&vm->map_lock);
	vm->shm_windows[vm->n_shm_windows++] =
		(struct vm_shm_window){.gpa = at, .len = size};
	pthread_mutex_unlock(&vm->map_lock);
	vm->shm_next = at + size;
	*gpa = at;
	return 0;
}

static bool in_reserved_window(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < vm->n_shm_windows; i++) {
		const struct vm_shm_window *w = &vm->shm_windows[i];

		if (gpa >= w->gpa && gpa - w->gpa <= w->len &&
		    len <= w->len - (gpa - w->gpa))
			return true;
	}
	return false;
}

static int set_map_slot(struct vm *vm, unsigned int i, uint64_t gpa, void *host,
			uint64_t len)
{
	struct kvm_userspace_memory_region region = {
		.slot = SHM_MAP_FIRST_SLOT + i,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0
		       ? -errno
		       : 0;
}

int vm_map_shm(struct vm *vm, uint64_t gpa, void *host, uint64_t len,
	       struct krun_err **err)
{
	unsigned int free_i = VM_MAX_SHM_MAPS;
	int ret;

	if (len == 0 || len % SHM_PAGE || gpa % SHM_PAGE ||
	    (uintptr_t)host % SHM_PAGE)
		return krun_err_set(
			err, EINVAL,
			"a shared memory mapping must be page-aligned (0x%llx, %llu bytes)",
			(unsigned long long)gpa, (unsigned long long)len);
	pthread_mutex_lock(&vm->map_lock);
	if (!in_reserved_window(vm, gpa, len)) {
		pthread_mutex_unlock(&vm->map_lock);
		return krun_err_set(
			err, EINVAL,
			"a shared memory mapping at 0x%llx (%llu bytes) is outside every reserved window",
			(unsigned long long)gpa, (unsigned long long)len);
	}
	for (unsigned int i = 0; i < VM_MAX_SHM_MAPS; i++) {
		const struct vm_shm_map *m = &vm->shm_maps[i];

		if (!m->len) {
			if (free_i == VM_MAX_SHM_MAPS)
				free_i = i;
		} else if (gpa < m->gpa + m->len && m->gpa < gpa + len) {
			pthread_mutex_unlock(&vm->map_lock);
			return krun_err_set(
				err, EBUSY,
				"a shared memory mapping at 0x%llx overlaps the one at 0x%llx",
				(unsigned long long)gpa,
				(unsigned long long)m->gpa);
		}
	}
	if (free_i == VM_MAX_SHM_MAPS) {
		pthread_mutex_unlock(&vm->map_lock);
		return krun_err_set(
			err, ENOSPC,
			"too many shared memory mappings (at most %d)",
			VM_MAX_SHM_MAPS);
	}
	ret = set_map_slot(vm, free_i, gpa, host, len);
	if (ret == 0)
		vm->shm_maps[free_i] =
			(struct vm_shm_map){.gpa = gpa, .len = len};
	pthread_mutex_unlock(&vm->map_lock);
	if (ret < 0)
		return krun_err_set_errno(
			err, -ret,
			"KVM_SET_USER_MEMORY_REGION for a shared memory mapping at 0x%llx",
			(unsigned long long)gpa);
	return 0;
}

int vm_unmap_shm(struct vm *vm, uint64_t gpa)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&vm->map_lock);
	for (unsigned int i = 0; i < VM_MAX_SHM_MAPS; i++) {
		struct vm_shm_map *m = &vm->shm_maps[i];

		if (m->len && m->gpa == gpa) {
			/* Size 0 deletes the slot; KVM waits until no vCPU
			 * uses it before the ioctl returns. */
			ret = set_map_slot(vm, i, gpa, NULL, 0);
			if (ret == 0)
				m->len = 0;
			break;
		}
	}
	pthread_mutex_unlock(&vm->map_lock);
	return ret;
}
