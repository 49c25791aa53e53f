// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/x86/boot_params.h"
#include "hw/x86/layout.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static uint64_t usable_ram(const struct bp_e820_entry *e, int n)
{
	uint64_t total = 0;

	for (int i = 0; i < n; i++)
		if (e[i].type == E820_TYPE_RAM)
			total += e[i].size;
	return total;
}

static void assert_sorted_disjoint(const struct bp_e820_entry *e, int n)
{
	for (int i = 1; i < n; i++)
		assert_true(e[i - 1].addr + e[i - 1].size <= e[i].addr);
}

static void e820_small_ram(void **state)
{
	struct bp_e820_entry e[BP_E820_MAX];
	int n = bp_build_e820(128 * MIB, e, BP_E820_MAX, NULL);

	assert_int_equal(n, 3);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, LAYOUT_EBDA_START);
	assert_int_equal(e[0].type, E820_TYPE_RAM);
	assert_int_equal(e[1].addr, LAYOUT_EBDA_START);
	assert_int_equal(e[1].type, E820_TYPE_RESERVED);
	assert_int_equal(e[2].addr, LAYOUT_HIMEM_START);
	assert_int_equal(e[2].addr + e[2].size, 128 * MIB);
	assert_sorted_disjoint(e, n);
	/* Only the 385 KiB legacy hole is withheld. */
	assert_int_equal(usable_ram(e, n),
			 128 * MIB - (LAYOUT_HIMEM_START - LAYOUT_EBDA_START));
}

static void e820_exactly_gap(void **state)
{
	struct bp_e820_entry e[BP_E820_MAX];
	int n = bp_build_e820(LAYOUT_MMIO_GAP_START, e, BP_E820_MAX, NULL);

	assert_int_equal(n, 3);
	assert_int_equal(e[2].addr + e[2].size, LAYOUT_MMIO_GAP_START);
}

static void e820_large_ram_splits_around_gap(void **state)
{
	struct bp_e820_entry e[BP_E820_MAX];
	uint64_t ram = 8 * GIB;
	int n = bp_build_e820(ram, e, BP_E820_MAX, NULL);

	assert_int_equal(n, 4);
	assert_int_equal(e[2].addr + e[2].size, LAYOUT_MMIO_GAP_START);
	assert_int_equal(e[3].addr, LAYOUT_MMIO_GAP_END);
	assert_int_equal(e[3].size, ram - LAYOUT_MMIO_GAP_START);
	assert_int_equal(e[3].type, E820_TYPE_RAM);
	assert_sorted_disjoint(e, n);
	assert_int_equal(usable_ram(e, n),
			 ram - (LAYOUT_HIMEM_START - LAYOUT_EBDA_START));
	/* Nothing usable inside the MMIO gap. */
	for (int i = 0; i < n; i++)
		assert_false(e[i].addr < LAYOUT_MMIO_GAP_END &&
			     e[i].addr + e[i].size > LAYOUT_MMIO_GAP_START);
}

static void e820_rejects_tiny_ram_and_small_table(void **state)
{
	struct bp_e820_entry e[BP_E820_MAX];
	struct krun_err *err = NULL;

	assert_int_equal(
		bp_build_e820(LAYOUT_HIMEM_START, e, BP_E820_MAX, &err),
		-EINVAL);
	assert_non_null(strstr(err->msg, "out of range"));
	krun_err_free(&err);
	assert_int_equal(bp_build_e820(UINT64_MAX, e, BP_E820_MAX, NULL),
			 -EINVAL);
	assert_int_equal(bp_build_e820(8 * GIB, e, 3, NULL), -ENOSPC);
}

static void zero_page_fields(void **state)
{
	struct boot_params_page zp;
	struct bp_setup s = {
		.ram_bytes = 512 * MIB,
		.cmdline_gpa = LAYOUT_CMDLINE,
		.cmdline_len = 10,
		.initrd_gpa = 500 * MIB,
		.initrd_len = 4096,
	};
	const uint8_t *raw = (const uint8_t *)&zp;

	memset(&zp, 0, sizeof(zp));
	assert_int_equal(bp_build(&zp, &s, NULL), 0);
	assert_int_equal(raw[0x1fe] | raw[0x1ff] << 8, 0xaa55);
	assert_memory_equal(raw + 0x202, "HdrS", 4);
	assert_int_equal(raw[0x210], 0xff);
	assert_int_equal(zp.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_int_equal(zp.cmdline_size, 9);
	assert_int_equal(zp.ramdisk_image, 500 * MIB);
	assert_int_equal(zp.ramdisk_size, 4096);
	assert_int_equal(zp.e820_entries, 3);
}

static void zero_page_rejects_bad_inputs(void **state)
{
	struct boot_params_page zp;
	struct bp_setup s = {
		.ram_bytes = 64 * MIB,
		.cmdline_gpa = LAYOUT_CMDLINE,
		.cmdline_len = BP_CMDLINE_MAX + 1,
	};
	struct krun_err *err = NULL;

	memset(&zp, 0, sizeof(zp));
	assert_int_equal(bp_build(&zp, &s, NULL), -EINVAL);
	s.cmdline_len = 1;
	s.initrd_gpa = 64 * MIB - 4096; /* runs past the end of RAM */
	s.initrd_len = 8192;
	assert_int_equal(bp_build(&zp, &s, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "initrd"));
	krun_err_free(&err);
	s.initrd_gpa = 0x1000; /* below 1 MiB */
	assert_int_equal(bp_build(&zp, &s, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(e820_small_ram),
		cmocka_unit_test(e820_exactly_gap),
		cmocka_unit_test(e820_large_ram_splits_around_gap),
		cmocka_unit_test(e820_rejects_tiny_ram_and_small_table),
		cmocka_unit_test(zero_page_fields),
		cmocka_unit_test(zero_page_rejects_bad_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
