// SPDX-License-Identifier: Apache-2.0
/*
 * SMBIOS tables: the entry point as the kernel's DMI scan checks it
 * (anchor, length, checksum, version, table address and length), each
 * structure walked the way dmi_walk does, the OEM strings read back from
 * type 11, and the limits (too many, too long, empty, no room).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/x86/smbios.h"

#define GPA 0xF0000ull
#define ROOM 0x10000

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

struct found {
	int n_structs;
	int types[8];
	uint16_t handles[8];
	const uint8_t *oem; /* the type 11 formatted area */
	const char *oem_strings;
};

/* Walk the table like the kernel: header, formatted area, string set
 * (ends at a double NUL), stop at type 127; never past table_len. */
static void walk(const uint8_t *table, size_t table_len, struct found *f)
{
	size_t pos = 0;

	memset(f, 0, sizeof(*f));
	for (;;) {
		const uint8_t *s = table + pos;
		size_t str;

		assert_true(pos + 4 <= table_len);
		assert_true(s[1] >= 4);
		assert_true(f->n_structs < 8);
		f->types[f->n_structs] = s[0];
		f->handles[f->n_structs++] = (uint16_t)le(s + 2, 2);
		str = pos + s[1];
		if (s[0] == 11) {
			f->oem = s;
			f->oem_strings = (const char *)table + str;
		}
		while (str + 1 < table_len && (table[str] || table[str + 1]))
			str++;
		assert_true(str + 1 < table_len);
		pos = str + 2;
		if (s[0] == 127)
			break;
	}
	assert_int_equal(pos, table_len);
}

static void check_entry(const uint8_t *buf, size_t used, struct found *f)
{
	uint64_t table_gpa = le(buf + 16, 8);
	uint32_t table_len = (uint32_t)le(buf + 12, 4);

	assert_memory_equal(buf, "_SM3_", 5);
	assert_int_equal(buf[6], 24);
	assert_int_equal(sum(buf, 24), 0);
	assert_int_equal(buf[7], 3);
	assert_int_equal(buf[10], 1);
	assert_true(table_gpa >= GPA + 24);
	assert_int_equal(table_gpa - GPA + table_len, used);
	walk(buf + (table_gpa - GPA), table_len, f);
}

static void tables_without_oem(void **state)
{
	uint8_t *buf = calloc(1, ROOM);
	struct krun_err *err = NULL;
	struct found f;
	size_t used = 0;

	(void)state;
	assert_int_equal(smbios_build(buf, ROOM, GPA, NULL, &used, &err), 0);
	check_entry(buf, used, &f);
	assert_int_equal(f.n_structs, 3);
	assert_int_equal(f.types[0], 0);
	assert_int_equal(f.types[1], 1);
	assert_int_equal(f.types[2], 127);
	assert_null(f.oem);
	/* Handles are unique. */
	assert_true(f.handles[0] != f.handles[1]);
	assert_true(f.handles[1] != f.handles[2]);
	free(buf);
}

static void oem_strings_read_back(void **state)
{
	const char *const oem[] = {"io.krun.test=1", "second string", "x",
				   NULL};
	uint8_t *buf = calloc(1, ROOM);
	struct krun_err *err = NULL;
	const char *s;
	struct found f;
	size_t used = 0;

	(void)state;
	assert_int_equal(smbios_build(buf, ROOM, GPA, oem, &used, &err), 0);
	check_entry(buf, used, &f);
	assert_int_equal(f.n_structs, 4);
	assert_int_equal(f.types[2], 11);
	assert_non_null(f.oem);
	assert_int_equal(f.oem[1], 5);
	assert_int_equal(f.oem[4], 3); /* count */
	s = f.oem_strings;
	for (int i = 0; oem[i]; i++) {
		assert_string_equal(s, oem[i]);
		s += strlen(s) + 1;
	}
	assert_int_equal(*s, 0); /* the set's terminating NUL */
	free(buf);
}

static void limits(void **state)
{
	static char long_str[SMBIOS_MAX_OEM_STRING_LEN + 2];
	const char *many[SMBIOS_MAX_OEM_STRINGS + 2];
	const char *one[2] = {long_str, NULL};
	const char *const empty[] = {"a", "", NULL};
	uint8_t *buf = calloc(1, ROOM);
	struct krun_err *err = NULL;
	struct found f;
	size_t used = 0;

	(void)state;
	memset(long_str, 'y', SMBIOS_MAX_OEM_STRING_LEN);
	/* At the limits: accepted, and it fits. */
	for (int i = 0; i < SMBIOS_MAX_OEM_STRINGS; i++)
		many[i] = long_str;
	many[SMBIOS_MAX_OEM_STRINGS] = NULL;
	assert_int_equal(smbios_build(buf, ROOM, GPA, many, &used, &err), 0);
	check_entry(buf, used, &f);
	assert_int_equal(f.oem[4], 255);

	/* One string too many. */
	many[SMBIOS_MAX_OEM_STRINGS] = "z";
	many[SMBIOS_MAX_OEM_STRINGS + 1] = NULL;
	assert_int_equal(smbios_build(buf, ROOM, GPA, many, &used, &err),
			 -EINVAL);
	assert_string_equal(krun_err_msg(err),
			    "too many SMBIOS OEM strings: at most 255");
	krun_err_free(&err);

	/* One byte too long. */
	long_str[SMBIOS_MAX_OEM_STRING_LEN] = 'y';
	assert_int_equal(smbios_check_oem_strings(one, &err), -EINVAL);
	assert_string_equal(
		krun_err_msg(err),
		"invalid SMBIOS OEM string 1: 201 bytes, at most 200");
	krun_err_free(&err);

	assert_int_equal(smbios_check_oem_strings(empty, &err), -EINVAL);
	assert_string_equal(
		krun_err_msg(err),
		"invalid SMBIOS OEM string 2: empty strings are not allowed");
	krun_err_free(&err);

	/* No room: refused, never written past the end. */
	memset(buf, 0xAA, ROOM);
	assert_int_equal(smbios_build(buf, 64, GPA, NULL, &used, &err),
			 -ENOSPC);
	krun_err_free(&err);
	for (size_t i = 64; i < ROOM; i++)
		assert_int_equal(buf[i], 0xAA);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tables_without_oem),
		cmocka_unit_test(oem_strings_read_back),
		cmocka_unit_test(limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
