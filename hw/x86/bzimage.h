/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bzImage loader for the Linux x86 boot protocol, 64-bit entry
 * (Documentation/x86/boot.rst): the protected-mode kernel that follows the
 * real-mode setup sectors is copied to its preferred load address, the
 * setup header is copied into the zero page, and the boot CPU enters at
 * load address + 0x200 in long mode, as for an ELF vmlinux. The kernel's
 * own decompressor unpacks it from there, whatever its compression.
 *
 * The file is untrusted input: every field used is range-checked against
 * the file and the load range against guest memory.
 */
#ifndef KRUN_HW_BZIMAGE_H
#define KRUN_HW_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/kvm/guest_mem.h"
#include "hw/x86/boot_params.h"
#include "util/err.h"

/* Boot protocol 2.12 brought xloadflags (XLF_KERNEL_64). */
#define BZIMAGE_MIN_VERSION 0x020c

struct bzimage_info {
	uint16_t version;  /* boot protocol version */
	uint64_t load_gpa; /* pref_address: where the kernel is copied */
	uint64_t entry;	   /* load_gpa + 0x200, the 64-bit entry */
	uint64_t end;	   /* load_gpa + max(init_size, kernel bytes) */
	size_t pm_offset;  /* protected-mode kernel in the file */
	size_t pm_len;
	size_t hdr_end; /* setup header: file bytes [0x1f1, hdr_end) */
	uint32_t kernel_alignment;
};

enum kernel_image_format {
	KERNEL_IMAGE_ELF,
	KERNEL_IMAGE_BZIMAGE,
};

/* True when img has the "HdrS" magic of the boot protocol at 0x202. */
bool bzimage_is(const uint8_t *img, size_t len);

/* Check the setup header and fill *out; errors name the field. */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *out,
		  struct krun_err **err) __attribute__((warn_unused_result));

/*
 * bzimage_parse(), then copy the protected-mode kernel to info->load_gpa.
 * The whole range up to info->end (where the decompressor works) must be
 * guest RAM in one region at or above min_gpa.
 */
int bzimage_load(const struct guest_mem *gm, const uint8_t *img, size_t len,
		 uint64_t min_gpa, struct bzimage_info *out,
		 struct krun_err **err) __attribute__((warn_unused_result));

/* Copy the image's setup header into a zero page (before bp_build()). */
void bzimage_copy_header(struct boot_params_page *zp, const uint8_t *img,
			 const struct bzimage_info *info);

/*
 * Which loader a kernel file needs, from its magic: "\x7fELF" or a bzImage
 * ("HdrS" at 0x202). Anything else is -ENOEXEC with one line naming both.
 */
int kernel_image_probe(const char *path, enum kernel_image_format *fmt,
		       struct krun_err **err)
	__attribute__((warn_unused_result));

#endif
