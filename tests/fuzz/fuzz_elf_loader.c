// SPDX-License-Identifier: Apache-2.0
/*
 * The ELF kernel loader (elf_load) on arbitrary bytes over a fake guest
 * memory of two regions (1 MiB at 1 MiB, 1 MiB at 4 MiB) with a guard page
 * after each, and min_gpa at 1 MiB + 64 KiB. A loaded image must lie
 * inside one region above min_gpa with its entry point inside it
 * (fuzz_bzimage.c does the same for bzImages).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "hw/kvm/guest_mem.h"
#include "hw/x86/elf_loader.h"

#define REGION (1ull << 20)
#define GUARD 4096ull
#define LOW_GPA (1ull << 20)
#define HIGH_GPA (4ull << 20)
#define MIN_GPA (LOW_GPA + (64ull << 10))

static struct guest_mem gm;

static void setup_once(void)
{
	uint8_t *m = mmap(NULL, 2 * (REGION + GUARD), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	FUZZ_CHECK(m != MAP_FAILED, "mmap");
	FUZZ_CHECK(mprotect(m + REGION, GUARD, PROT_NONE) == 0 &&
			   mprotect(m + 2 * REGION + GUARD, GUARD, PROT_NONE) ==
				   0,
		   "mprotect");
	FUZZ_CHECK(gm_add_region(&gm, LOW_GPA, REGION, m, NULL) == 0 &&
			   gm_add_region(&gm, HIGH_GPA, REGION,
					 m + REGION + GUARD, NULL) == 0,
		   "gm_add_region");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	struct krun_err *err = NULL;
	/* An aligned private copy, as a mapped file would be. */
	void *image = malloc(size ? size : 1);

	FUZZ_CHECK(image, "out of memory");
	if (!gm.n_regions)
		setup_once();
	memcpy(image, data, size);
	if (elf_load(&gm, image, size, MIN_GPA, &img, &err) < 0) {
		FUZZ_CHECK(err, "failure without a message");
		krun_err_free(&err);
	} else {
		FUZZ_CHECK(img.start >= MIN_GPA && img.start < img.end,
			   "image [%#llx, %#llx)",
			   (unsigned long long)img.start,
			   (unsigned long long)img.end);
		FUZZ_CHECK(img.entry >= img.start && img.entry < img.end,
			   "entry %#llx", (unsigned long long)img.entry);
	}
	free(image);
	return 0;
}
