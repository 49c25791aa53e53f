// SPDX-License-Identifier: Apache-2.0
#include "hw/kvm/guest_mem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define GM_PAGE_SIZE 4096ull

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *host,
		  struct krun_err **err)
{
	if (gm->n_regions >= GM_MAX_REGIONS)
		return krun_err_set(err, ENOSPC,
				    "guest memory: too many regions");
	if (size == 0 || gpa + size < gpa || !host)
		return krun_err_set(err, EINVAL,
				    "guest memory: bad region at 0x%llx",
				    (unsigned long long)gpa);
	for (unsigned int i = 0; i < gm->n_regions; i++) {
		const struct gm_region *r = &gm->regions[i];

		if (ranges_overlap(gpa, size, r->gpa, r->size))
			return krun_err_set(
				err, EEXIST,
				"guest memory: region at 0x%llx overlaps",
				(unsigned long long)gpa);
	}
	gm->regions[gm->n_regions++] = (struct gm_region){
		.gpa = gpa,
		.size = size,
		.host = host,
	};
	return 0;
}

void *gm_slice(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	for (unsigned int i = 0; i < gm->n_regions; i++) {
		const struct gm_region *r = &gm->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, size_t len)
{
	void *src;

	if (len == 0)
		return 0;
	src = gm_slice(gm, gpa, len);
	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src,
	     size_t len)
{
	void *dst;

	if (len == 0)
		return 0;
	dst = gm_slice(gm, gpa, len);
	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

/* The region whose host mapping holds [p, p+len) wholly, or NULL. */
static const struct gm_region *host_region(const struct guest_mem *gm,
					   uintptr_t p, uint64_t len)
{
	if (len == 0 || p + len < p)
		return NULL;
	for (unsigned int i = 0; i < gm->n_regions; i++) {
		const struct gm_region *r = &gm->regions[i];
		uintptr_t base = (uintptr_t)r->host;

		if (p >= base && p - base <= r->size &&
		    len <= r->size - (p - base))
			return r;
	}
	return NULL;
}

ssize_t gm_discard(const struct guest_mem *gm, void *host, uint64_t len)
{
	uintptr_t p = (uintptr_t)host;
	uintptr_t start, end;

	if (!host_region(gm, p, len))
		return -EFAULT;
	/* Inward to whole pages: a partly covered page may hold live data. */
	start = (p + GM_PAGE_SIZE - 1) & ~(uintptr_t)(GM_PAGE_SIZE - 1);
	end = (p + len) & ~(uintptr_t)(GM_PAGE_SIZE - 1);
	if (start >= end)
		return 0;
	if (madvise((void *)start, end - start, MADV_DONTNEED) < 0)
		return -errno;
	return (ssize_t)(end - start);
}

uint64_t gm_total_size(const struct guest_mem *gm)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < gm->n_regions; i++)
		total += gm->regions[i].size;
	return total;
}

void gm_prefault(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gm_slice(gm, gpa, len);
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start, end;

	if (!p)
		return;
	start = (uintptr_t)p & ~(page - 1);
	end = ((uintptr_t)p + len + page - 1) & ~(page - 1);
	(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}
