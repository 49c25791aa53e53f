// SPDX-License-Identifier: Apache-2.0
/*
 * The boot breakdown line: every stage in order, milliseconds since the
 * VMM's start (rounded down), "-" for a stage never reached, and a buffer
 * too small refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/vmm/vmm_stamps.h"

#define MS 1000000ll
#define T0 (5000 * MS) /* an arbitrary CLOCK_MONOTONIC start */

static void all_stages_in_order(void **state)
{
	const int64_t stamps[VMM_STAGE_N] = {
		T0,
		T0 + 12 * MS,
		T0 + 12 * MS + 999999,
		T0 + 13 * MS + 999999,
		T0 + 14 * MS,
		T0 + 1890 * MS,
		T0 + 2100 * MS,
		T0 + 2140 * MS,
		T0 + 2150 * MS,
		T0 + 2160 * MS,
	};
	const char *want =
		"boot: vmm 0 ms, kvm-ready 12 ms, devices 12 ms, loaded 13 ms, "
		"kernel-entry 14 ms, init 1890 ms, exec 2100 ms, exit 2140 ms, "
		"stop 2150 ms, done 2160 ms";
	char buf[256];

	(void)state;
	assert_int_equal(vmm_stamps_format(stamps, buf, sizeof(buf)),
			 (int)strlen(want));
	assert_string_equal(buf, want);
}

/* A guest that crashed before init: the guest's stages are missing. */
static void missing_stages_show_a_dash(void **state)
{
	const int64_t stamps[VMM_STAGE_N] = {
		[VMM_STAGE_VMM] = T0,
		[VMM_STAGE_KVM_READY] = T0 + 2 * MS,
		[VMM_STAGE_DEVICES] = T0 + 2 * MS + 500000,
		[VMM_STAGE_LOADED] = T0 + 3 * MS,
		[VMM_STAGE_ENTRY] = T0 + 4 * MS,
		[VMM_STAGE_STOP] = T0 + 900 * MS,
		[VMM_STAGE_DONE] = T0 + 901 * MS,
	};
	char buf[256];

	(void)state;
	assert_true(vmm_stamps_format(stamps, buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
			    "boot: vmm 0 ms, kvm-ready 2 ms, devices 2 ms, "
			    "loaded 3 ms, "
			    "kernel-entry 4 ms, init -, exec -, exit -, "
			    "stop 900 ms, done 901 ms");
}

static void too_small_is_refused(void **state)
{
	const int64_t stamps[VMM_STAGE_N] = {[VMM_STAGE_VMM] = T0};
	const char *want = "boot: vmm 0 ms, kvm-ready -, devices -, loaded -, "
			   "kernel-entry -, init -, exec -, exit -, stop -, "
			   "done -";
	char buf[128];
	size_t n = strlen(want);

	(void)state;
	assert_int_equal(vmm_stamps_format(stamps, buf, n + 1), (int)n);
	assert_string_equal(buf, want);
	assert_int_equal(vmm_stamps_format(stamps, buf, n), -ENOSPC);
	assert_int_equal(vmm_stamps_format(stamps, buf, 10), -ENOSPC);
	assert_int_equal(vmm_stamps_format(stamps, buf, 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_stages_in_order),
		cmocka_unit_test(missing_stages_show_a_dash),
		cmocka_unit_test(too_small_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
