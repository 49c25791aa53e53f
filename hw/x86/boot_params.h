/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The x86 "zero page" (struct boot_params) for the 64-bit Linux boot
 * protocol (Documentation/x86/boot.rst), and the e820 memory map for the
 * guest layout in hw/x86/layout.h. Only the fields a loader of an ELF vmlinux
 * fills are named; offsets are checked at compile time.
 */
#ifndef KRUN_HW_BOOT_PARAMS_H
#define KRUN_HW_BOOT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2
#define BP_E820_MAX 128

/* Linux x86 COMMAND_LINE_SIZE, terminating NUL included. */
#define BP_CMDLINE_MAX 2048

struct bp_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct boot_params_page {
	uint8_t pad0[0xc0];
	uint32_t ext_ramdisk_image; /* 0x0c0 */
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t pad1[0x1e8 - 0xcc];
	uint8_t e820_entries; /* 0x1e8 */
	uint8_t pad2[0x1fe - 0x1e9];
	uint16_t boot_flag; /* 0x1fe */
	uint16_t jump;
	uint32_t header; /* 0x202 */
	uint16_t version;
	uint8_t pad3[0x210 - 0x208];
	uint8_t type_of_loader; /* 0x210 */
	uint8_t loadflags;
	uint8_t pad4[0x218 - 0x212];
	uint32_t ramdisk_image; /* 0x218 */
	uint32_t ramdisk_size;
	uint8_t pad5[0x228 - 0x220];
	uint32_t cmd_line_ptr; /* 0x228 */
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment; /* 0x230 */
	uint8_t pad6[0x238 - 0x234];
	uint32_t cmdline_size; /* 0x238 */
	uint8_t pad7[0x2d0 - 0x23c];
	struct bp_e820_entry e820_table[BP_E820_MAX]; /* 0x2d0 */
	uint8_t pad8[0x1000 - 0x2d0 - BP_E820_MAX * 20];
} __attribute__((packed));

_Static_assert(sizeof(struct bp_e820_entry) == 20, "e820 entry");
_Static_assert(sizeof(struct boot_params_page) == 4096, "zero page");
_Static_assert(offsetof(struct boot_params_page, e820_entries) == 0x1e8, "");
_Static_assert(offsetof(struct boot_params_page, header) == 0x202, "");
_Static_assert(offsetof(struct boot_params_page, type_of_loader) == 0x210, "");
_Static_assert(offsetof(struct boot_params_page, ramdisk_image) == 0x218, "");
_Static_assert(offsetof(struct boot_params_page, cmd_line_ptr) == 0x228, "");
_Static_assert(offsetof(struct boot_params_page, cmdline_size) == 0x238, "");
_Static_assert(offsetof(struct boot_params_page, e820_table) == 0x2d0, "");

/*
 * Guest RAM of ram_bytes as laid out in hw/x86/layout.h: usable low memory up
 * to the EBDA, the EBDA/VGA/BIOS hole reserved, RAM from 1 MiB up to the
 * MMIO gap, and the remainder above 4 GiB. Returns the entry count or
 * -EINVAL when ram_bytes cannot hold that layout.
 */
int bp_build_e820(uint64_t ram_bytes, struct bp_e820_entry *out,
		  unsigned int max, struct krun_err **err);

/* Where RAM below the MMIO gap ends (exclusive) for ram_bytes of RAM. */
uint64_t bp_low_ram_end(uint64_t ram_bytes);

struct bp_setup {
	uint64_t ram_bytes;
	uint64_t cmdline_gpa;
	uint32_t cmdline_len; /* terminating NUL included */
	uint64_t initrd_gpa;  /* 0 with initrd_len 0: none */
	uint64_t initrd_len;
};

/* Fill a zeroed-out zero page. */
int bp_build(struct boot_params_page *zp, const struct bp_setup *setup,
	     struct krun_err **err);

#endif
