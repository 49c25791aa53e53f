/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest physical memory: a small set of regions, each a host mapping.
 * All guest memory access in the VMM goes through these bounds-checked
 * accessors: a range must lie wholly inside one region, and arithmetic
 * overflow is rejected. virtio/ uses this header too (the one hw/ header a
 * device may include), and unit tests build a fake guest_mem over malloc.
 */
#ifndef KRUN_HW_GUEST_MEM_H
#define KRUN_HW_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define GM_MAX_REGIONS 4

struct gm_region {
	uint64_t gpa; /* guest physical start */
	uint64_t size;
	uint8_t *host; /* host mapping of gpa */
};

struct guest_mem {
	struct gm_region regions[GM_MAX_REGIONS];
	unsigned int n_regions;
};

/* Add a region (no overlap with existing ones). */
int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *host,
		  struct krun_err **err);

/* Host pointer for [gpa, gpa+len) or NULL if not wholly inside one region.
 * len 0 is rejected (NULL). */
void *gm_slice(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/*
 * Make the host pages under [gpa, gpa+len) present and writable in one
 * system call (MADV_POPULATE_WRITE) before they are written in bulk (the
 * kernel image, the initrd): page faults taken one by one cost far more
 * under nested virtualization. Best effort: where the host cannot, the
 * writes fault the pages in as before. A range outside guest RAM is
 * ignored (the write that follows reports it).
 */
void gm_prefault(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copy in/out; return 0 or -EFAULT. */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, size_t len);
int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src,
	     size_t len);

/*
 * Give the whole 4 KiB pages of [host, host+len) back to the host kernel
 * (madvise MADV_DONTNEED): they read as zero afterwards and are faulted in
 * afresh when touched. The range must lie wholly inside one region's host
 * mapping (a guest-chosen range never reaches VMM memory) and must not
 * wrap; pages only partly inside it are kept. This relies on the regions
 * being private anonymous mappings (hw/kvm/vm.c): on a shared mapping the
 * memory would stay allocated. Returns the bytes discarded (0 when no
 * whole page lies inside), -EFAULT for a range outside every region, or
 * the negative errno of madvise.
 */
ssize_t gm_discard(const struct guest_mem *gm, void *host, uint64_t len);

/* Total bytes of all regions. */
uint64_t gm_total_size(const struct guest_mem *gm);

#endif
