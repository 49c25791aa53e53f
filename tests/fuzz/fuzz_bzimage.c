// SPDX-License-Identifier: Apache-2.0
/*
 * The bzImage loader (bzimage_load, then bzimage_copy_header into a zero
 * page) on arbitrary bytes over a fake guest memory of two regions (1 MiB
 * at 1 MiB, 2 MiB at 16 MiB, a kernel's usual preferred address) with a
 * guard page after each, and min_gpa at 1 MiB + 64 KiB. A loaded kernel
 * must lie in one region above min_gpa, its entry 0x200 into it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "hw/kvm/guest_mem.h"
#include "hw/x86/bzimage.h"

#define LOW_SIZE (1ull << 20)
#define HIGH_SIZE (2ull << 20)
#define GUARD 4096ull
#define LOW_GPA (1ull << 20)
#define HIGH_GPA (16ull << 20)
#define MIN_GPA (LOW_GPA + (64ull << 10))

static struct guest_mem gm;

static void setup_once(void)
{
	size_t total = LOW_SIZE + HIGH_SIZE + 2 * GUARD;
	uint8_t *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *high = m + LOW_SIZE + GUARD;

	FUZZ_CHECK(m != MAP_FAILED, "mmap");
	FUZZ_CHECK(mprotect(m + LOW_SIZE, GUARD, PROT_NONE) == 0 &&
			   mprotect(high + HIGH_SIZE, GUARD, PROT_NONE) == 0,
		   "mprotect");
	FUZZ_CHECK(gm_add_region(&gm, LOW_GPA, LOW_SIZE, m, NULL) == 0 &&
			   gm_add_region(&gm, HIGH_GPA, HIGH_SIZE, high,
					 NULL) == 0,
		   "gm_add_region");
}

static bool inside(uint64_t start, uint64_t end, uint64_t base, uint64_t size)
{
	return start >= base && end <= base + size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_params_page zp;
	struct bzimage_info info;
	struct krun_err *err = NULL;
	/* An exact-size private copy, so reads past the end are caught. */
	uint8_t *image = malloc(size ? size : 1);

	FUZZ_CHECK(image, "out of memory");
	if (!gm.n_regions)
		setup_once();
	memcpy(image, data, size);
	if (bzimage_load(&gm, image, size, MIN_GPA, &info, &err) < 0) {
		FUZZ_CHECK(err, "failure without a message");
		krun_err_free(&err);
	} else {
		FUZZ_CHECK(info.load_gpa >= MIN_GPA &&
				   info.entry == info.load_gpa + 0x200 &&
				   info.end > info.load_gpa,
			   "kernel [%#llx, %#llx) entry %#llx",
			   (unsigned long long)info.load_gpa,
			   (unsigned long long)info.end,
			   (unsigned long long)info.entry);
		FUZZ_CHECK(inside(info.load_gpa, info.end, LOW_GPA, LOW_SIZE) ||
				   inside(info.load_gpa, info.end, HIGH_GPA,
					  HIGH_SIZE),
			   "kernel [%#llx, %#llx) outside guest RAM",
			   (unsigned long long)info.load_gpa,
			   (unsigned long long)info.end);
		memset(&zp, 0, sizeof(zp));
		bzimage_copy_header(&zp, image, &info);
	}
	free(image);
	return 0;
}
