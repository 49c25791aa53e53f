/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ELF64 loader for an x86_64 vmlinux: copies every PT_LOAD segment to its
 * physical address (p_paddr) in guest memory and zero-fills the rest of
 * p_memsz. The file is untrusted input: every offset, size and address is
 * checked against the file and against guest memory, overflow included.
 */
#ifndef KRUN_HW_ELF_LOADER_H
#define KRUN_HW_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "hw/kvm/guest_mem.h"
#include "util/err.h"

struct elf_image {
	uint64_t entry; /* guest-physical entry point */
	uint64_t start; /* lowest loaded guest-physical address */
	uint64_t end;	/* first guest-physical byte after the image */
};

/*
 * Load image[0..len) into gm. Segments must lie at or above min_gpa (so the
 * kernel cannot cover the boot structures below it) and wholly inside one
 * guest memory region; the entry point must be inside a loaded segment.
 */
int elf_load(const struct guest_mem *gm, const void *image, size_t len,
	     uint64_t min_gpa, struct elf_image *out, struct krun_err **err);

/* elf_load() on the contents of a file. */
int elf_load_file(const struct guest_mem *gm, const char *path,
		  uint64_t min_gpa, struct elf_image *out,
		  struct krun_err **err);

#endif
