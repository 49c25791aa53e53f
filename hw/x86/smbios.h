/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMBIOS tables for a guest without EFI (DMTF DSP0134, version 3.0): a
 * 24-byte "_SM3_" entry point that the kernel's DMI scan finds by scanning
 * 0xF0000..0xFFFFF on 16-byte boundaries, followed by the structure table:
 * type 0 (BIOS information), type 1 (system information), type 11 (OEM
 * strings, only when some are given) and type 127 (end of table).
 *
 * The OEM strings are what a guest reads from
 * /sys/firmware/dmi/entries/11-0/raw (or `dmidecode -t 11`); they are
 * bounded here and checked by smbios_check_oem_strings() before anything
 * is written.
 */
#ifndef KRUN_HW_SMBIOS_H
#define KRUN_HW_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The string count of a type 11 structure is one byte. */
#define SMBIOS_MAX_OEM_STRINGS 255
/* Each string, without its NUL; keeps the whole table far below the
 * 64 KiB the BIOS area holds. */
#define SMBIOS_MAX_OEM_STRING_LEN 200

#define SMBIOS_ENTRY_LEN 24 /* the 3.0 entry point */
#define SMBIOS_TYPE_BIOS 0
#define SMBIOS_TYPE_SYSTEM 1
#define SMBIOS_TYPE_OEM_STRINGS 11
#define SMBIOS_TYPE_END 127

/*
 * strings: NULL-terminated, may be NULL or empty (no type 11 structure).
 * Each string non-empty (an empty one would end the string set), at most
 * SMBIOS_MAX_OEM_STRING_LEN bytes; at most SMBIOS_MAX_OEM_STRINGS of them.
 * The error names the offending string by its 1-based index.
 */
int smbios_check_oem_strings(const char *const *strings, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * Write the entry point at buf (the guest sees it at gpa, 16-byte aligned)
 * and the structure table right after it, within buflen bytes. *used gets
 * the bytes written. -EINVAL for bad strings, -ENOSPC when buflen is too
 * small.
 */
int smbios_build(uint8_t *buf, size_t buflen, uint64_t gpa,
		 const char *const *oem_strings, size_t *used,
		 struct krun_err **err) __attribute__((warn_unused_result));

#endif
