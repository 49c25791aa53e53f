// SPDX-License-Identifier: Apache-2.0
/*
 * SMBIOS 3.0 entry point and structure table (hw/x86/smbios.h). Each
 * structure is a formatted area (type, length, handle, fields; string
 * fields hold 1-based indices into the set that follows) and then its
 * string set: NUL-terminated strings and one more NUL, or two NULs when it
 * has none.
 */
#include "hw/x86/smbios.h"

#include <errno.h>
#include <string.h>

#define SMBIOS_VENDOR "krun-run"
#define SMBIOS_PRODUCT "krun-run microVM"
#define SMBIOS_BIOS_VERSION "1"
#define SMBIOS_BIOS_DATE "01/01/2025"

/* Type 0: "BIOS characteristics are not supported" (bit 3); extension
 * byte 2 bit 4: this is a virtual machine. */
#define BIOS_CHARS_NOT_SUPPORTED 0x08ull
#define BIOS_EXT2_VM 0x10

struct table_writer {
	uint8_t *buf;
	size_t len, pos;
	uint16_t handle;
	int ret;
};

static void put(struct table_writer *w, const void *data, size_t n)
{
	if (w->ret || n > w->len - w->pos) {
		w->ret = -ENOSPC;
		return;
	}
	memcpy(w->buf + w->pos, data, n);
	w->pos += n;
}

/* The formatted area; its handle is the next one. */
static void put_struct(struct table_writer *w, uint8_t *area, uint8_t len)
{
	area[1] = len;
	area[2] = (uint8_t)w->handle;
	area[3] = (uint8_t)(w->handle >> 8);
	w->handle++;
	put(w, area, len);
}

static void put_strings(struct table_writer *w, const char *const *s)
{
	static const uint8_t nul = 0;
	size_t n = 0;

	for (; s && s[n]; n++)
		put(w, s[n], strlen(s[n]) + 1);
	if (n == 0)
		put(w, &nul, 1);
	put(w, &nul, 1);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void bios_info(struct table_writer *w)
{
	static const char *const strings[] = {
		SMBIOS_VENDOR, SMBIOS_BIOS_VERSION, SMBIOS_BIOS_DATE, NULL};
	uint8_t a[0x18] = {SMBIOS_TYPE_BIOS};

	a[0x04] = 1;	/* vendor */
	a[0x05] = 2;	/* version */
	a[0x06] = 0x00; /* starting address segment 0xF000 */
	a[0x07] = 0xF0;
	a[0x08] = 3; /* release date */
	a[0x09] = 0; /* ROM size: 64 KiB */
	put_le64(a + 0x0A, BIOS_CHARS_NOT_SUPPORTED);
	a[0x13] = BIOS_EXT2_VM;
	a[0x14] = 0xFF; /* no system BIOS or EC release numbers */
	a[0x15] = 0xFF;
	a[0x16] = 0xFF;
	a[0x17] = 0xFF;
	put_struct(w, a, sizeof(a));
	put_strings(w, strings);
}

static void system_info(struct table_writer *w)
{
	static const char *const strings[] = {SMBIOS_VENDOR, SMBIOS_PRODUCT,
					      NULL};
	uint8_t a[0x1B] = {SMBIOS_TYPE_SYSTEM};

	a[0x04] = 1; /* manufacturer */
	a[0x05] = 2; /* product name */
	/* Version, serial: none. UUID (0x08..0x17) all zero: not set. */
	a[0x18] = 0x06; /* wake-up type: power switch */
	put_struct(w, a, sizeof(a));
	put_strings(w, strings);
}

int smbios_check_oem_strings(const char *const *strings, struct krun_err **err)
{
	size_t n = 0;

	for (; strings && strings[n]; n++) {
		size_t len = strlen(strings[n]);

		if (n == SMBIOS_MAX_OEM_STRINGS)
			return krun_err_set(
				err, EINVAL,
				"too many SMBIOS OEM strings: at most %d",
				SMBIOS_MAX_OEM_STRINGS);
		if (len == 0)
			return krun_err_set(
				err, EINVAL,
				"invalid SMBIOS OEM string %zu: empty strings are not allowed",
				n + 1);
		if (len > SMBIOS_MAX_OEM_STRING_LEN)
			return krun_err_set(
				err, EINVAL,
				"invalid SMBIOS OEM string %zu: %zu bytes, at most %d",
				n + 1, len, SMBIOS_MAX_OEM_STRING_LEN);
	}
	return 0;
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)(0x100 - sum);
}

static void entry_point(uint8_t *ep, uint64_t table_gpa, uint32_t table_len)
{
	memset(ep, 0, SMBIOS_ENTRY_LEN);
	memcpy(ep, "_SM3_", 5);
	ep[6] = SMBIOS_ENTRY_LEN;
	ep[7] = 3;  /* major */
	ep[8] = 0;  /* minor */
	ep[9] = 0;  /* docrev */
	ep[10] = 1; /* entry point revision: 3.0 */
	for (int i = 0; i < 4; i++)
		ep[12 + i] = (uint8_t)(table_len >> (8 * i));
	put_le64(ep + 16, table_gpa);
	ep[5] = checksum(ep, SMBIOS_ENTRY_LEN);
}

int smbios_build(uint8_t *buf, size_t buflen, uint64_t gpa,
		 const char *const *oem_strings, size_t *used,
		 struct krun_err **err)
{
	struct table_writer w = {
		.buf = buf, .len = buflen, .pos = SMBIOS_ENTRY_LEN};
	int ret = smbios_check_oem_strings(oem_strings, err);

	if (ret < 0)
		return ret;
	if (buflen < SMBIOS_ENTRY_LEN || gpa % 16)
		return krun_err_set(err, EINVAL,
				    "SMBIOS entry point: no room or unaligned");
	bios_info(&w);
	system_info(&w);
	if (oem_strings && oem_strings[0]) {
		uint8_t a[5] = {SMBIOS_TYPE_OEM_STRINGS};
		size_t n = 0;

		while (oem_strings[n])
			n++;
		a[4] = (uint8_t)n; /* <= 255: checked above */
		put_struct(&w, a, sizeof(a));
		put_strings(&w, oem_strings);
	}
	put_struct(&w, (uint8_t[4]){SMBIOS_TYPE_END}, 4);
	put_strings(&w, NULL);
	if (w.ret)
		return krun_err_set(err, ENOSPC,
				    "SMBIOS tables do not fit in %zu bytes",
				    buflen);
	entry_point(buf, gpa + SMBIOS_ENTRY_LEN,
		    (uint32_t)(w.pos - SMBIOS_ENTRY_LEN));
	*used = w.pos;
	return 0;
}
