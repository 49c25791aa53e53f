// SPDX-License-Identifier: Apache-2.0
#include "hw/x86/boot_params.h"

#include <errno.h>
#include <string.h>

#include "hw/x86/layout.h"

#define BP_BOOT_FLAG 0xAA55
#define BP_HDRS_MAGIC 0x53726448 /* "HdrS" */
#define BP_PROTOCOL_VERSION 0x020c
#define BP_LOADER_UNDEFINED 0xff
#define BP_LOADFLAG_LOADED_HIGH 0x01
#define BP_KERNEL_ALIGNMENT 0x01000000

/* Smallest RAM with room for the low area and some memory above 1 MiB. */
#define BP_MIN_RAM (LAYOUT_HIMEM_START + 0x100000ull)

uint64_t bp_low_ram_end(uint64_t ram_bytes)
{
	return ram_bytes < LAYOUT_MMIO_GAP_START ? ram_bytes
						 : LAYOUT_MMIO_GAP_START;
}

static int add_entry(struct bp_e820_entry *out, unsigned int max,
		     unsigned int *n, uint64_t addr, uint64_t size,
		     uint32_t type)
{
	if (*n >= max)
		return -ENOSPC;
	out[(*n)++] = (struct bp_e820_entry){
		.addr = addr,
		.size = size,
		.type = type,
	};
	return 0;
}

int bp_build_e820(uint64_t ram_bytes, struct bp_e820_entry *out,
		  unsigned int max, struct krun_err **err)
{
	uint64_t low_end = bp_low_ram_end(ram_bytes);
	unsigned int n = 0;
	int ret;

	if (ram_bytes < BP_MIN_RAM ||
	    (ram_bytes > LAYOUT_MMIO_GAP_START &&
	     ram_bytes - LAYOUT_MMIO_GAP_START >
		     UINT64_MAX - LAYOUT_MMIO_GAP_END))
		return krun_err_set(err, EINVAL,
				    "e820: guest RAM size %llu is out of range",
				    (unsigned long long)ram_bytes);
	ret = add_entry(out, max, &n, 0, LAYOUT_EBDA_START, E820_TYPE_RAM);
	if (!ret)
		ret = add_entry(out, max, &n, LAYOUT_EBDA_START,
				LAYOUT_HIMEM_START - LAYOUT_EBDA_START,
				E820_TYPE_RESERVED);
	if (!ret)
		ret = add_entry(out, max, &n, LAYOUT_HIMEM_START,
				low_end - LAYOUT_HIMEM_START, E820_TYPE_RAM);
	if (!ret && ram_bytes > LAYOUT_MMIO_GAP_START)
		ret = add_entry(out, max, &n, LAYOUT_MMIO_GAP_END,
				ram_bytes - LAYOUT_MMIO_GAP_START,
				E820_TYPE_RAM);
	if (ret)
		return krun_err_set(err, ENOSPC, "e820: table too small");
	return (int)n;
}

static int set_initrd(struct boot_params_page *zp, const struct bp_setup *s,
		      struct krun_err **err)
{
	uint64_t low_end = bp_low_ram_end(s->ram_bytes);

	if (s->initrd_len == 0)
		return 0;
	if (s->initrd_gpa < LAYOUT_HIMEM_START || s->initrd_gpa > low_end ||
	    s->initrd_len > low_end - s->initrd_gpa)
		return krun_err_set(
			err, EINVAL,
			"boot params: initrd at 0x%llx (%llu bytes) is not in low RAM",
			(unsigned long long)s->initrd_gpa,
			(unsigned long long)s->initrd_len);
	/* Both lie below the 4 GiB MMIO gap, so the ext_ fields stay 0. */
	zp->ramdisk_image = (uint32_t)s->initrd_gpa;
	zp->ramdisk_size = (uint32_t)s->initrd_len;
	return 0;
}

int bp_build(struct boot_params_page *zp, const struct bp_setup *s,
	     struct krun_err **err)
{
	int n;

	if (s->cmdline_len == 0 || s->cmdline_len > BP_CMDLINE_MAX ||
	    s->cmdline_gpa >= LAYOUT_EBDA_START)
		return krun_err_set(
			err, EINVAL,
			"boot params: kernel command line of %u bytes at 0x%llx is invalid",
			s->cmdline_len, (unsigned long long)s->cmdline_gpa);
	n = bp_build_e820(s->ram_bytes, zp->e820_table, BP_E820_MAX, err);
	if (n < 0)
		return n;
	zp->e820_entries = (uint8_t)n;
	zp->boot_flag = BP_BOOT_FLAG;
	zp->header = BP_HDRS_MAGIC;
	zp->version = BP_PROTOCOL_VERSION;
	zp->type_of_loader = BP_LOADER_UNDEFINED;
	zp->loadflags = BP_LOADFLAG_LOADED_HIGH;
	zp->kernel_alignment = BP_KERNEL_ALIGNMENT;
	zp->cmd_line_ptr = (uint32_t)s->cmdline_gpa;
	zp->cmdline_size = s->cmdline_len - 1;
	zp->initrd_addr_max = (uint32_t)(LAYOUT_MMIO_GAP_START - 1);
	return set_initrd(zp, s, err);
}
