// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/x86/layout.h"
#include "hw/x86/mptable.h"

#define GPA 0x9fc00u

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the table like Linux's mpparse and count what it finds. */
static void check_table(unsigned int ncpus)
{
	static uint8_t buf[0x60400];
	const uint8_t *mpc, *p, *end;
	unsigned int cpus = 0, bsp = 0, ioapics = 0, ioints = 0, lints = 0;
	unsigned int entries = 0;

	assert_int_equal(mptable_build(buf, sizeof(buf), GPA, ncpus, NULL), 0);
	assert_memory_equal(buf, "_MP_", 4);
	assert_int_equal(sum(buf, 16), 0);
	assert_int_equal(buf[8], 1);
	assert_int_equal(buf[9], 4);
	assert_int_equal(le32(buf + 4), GPA + 16);
	mpc = buf + 16;
	assert_memory_equal(mpc, "PCMP", 4);
	assert_int_equal(sum(mpc, le16(mpc + 4)), 0);
	assert_int_equal(le32(mpc + 36), LAYOUT_LAPIC_ADDR);
	assert_int_equal(16 + le16(mpc + 4), mptable_size(ncpus));
	p = mpc + 44;
	end = mpc + le16(mpc + 4);
	while (p < end) {
		entries++;
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], cpus);
			assert_true(p[3] & 1);
			bsp += (p[3] & 2) != 0;
			cpus++;
			p += 20;
			break;
		case 2:
			assert_int_equal(p[1], ncpus); /* id after the CPUs */
			assert_int_equal(le32(p + 4), LAYOUT_IOAPIC_ADDR);
			ioapics++;
			p += 8;
			break;
		case 3:
			assert_int_equal(p[5], p[7]);	  /* IRQ n -> pin n */
			assert_int_equal(le16(p + 2), 0); /* ISA: edge, high */
			ioints++;
			p += 8;
			break;
		case 4:
			lints++;
			p += 8;
			break;
		default:
			p += 8;
			break;
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(le16(mpc + 34), entries);
	assert_int_equal(cpus, ncpus);
	assert_int_equal(bsp, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(ioints, LAYOUT_IOAPIC_PINS);
	assert_int_equal(lints, 2);
}

static void tables_for_1_to_max_cpus(void **state)
{
	static const unsigned int counts[] = {
		1, 2, 4, 8, 37, 64, MPTABLE_MAX_CPUS};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		check_table(counts[i]);
}

static void virtio_irqs_have_entries(void **state)
{
	/* Every virtio-mmio GSI (5 + i) must reach an IOAPIC pin. */
	assert_true(LAYOUT_VIRTIO_IRQ_BASE < LAYOUT_IOAPIC_PINS);
	check_table(2);
}

static void rejects_bad_counts_and_small_buffers(void **state)
{
	uint8_t buf[4096];
	struct krun_err *err = NULL;

	assert_int_equal(mptable_build(buf, sizeof(buf), GPA, 0, NULL),
			 -EINVAL);
	assert_int_equal(mptable_build(buf, sizeof(buf), GPA,
				       MPTABLE_MAX_CPUS + 1, NULL),
			 -EINVAL);
	assert_int_equal(mptable_build(buf, mptable_size(4) - 1, GPA, 4, &err),
			 -ENOSPC);
	assert_non_null(strstr(err->msg, "MP table"));
	krun_err_free(&err);
	assert_int_equal(
		mptable_build(buf, sizeof(buf), UINT32_MAX - 16, 1, NULL),
		-ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tables_for_1_to_max_cpus),
		cmocka_unit_test(virtio_irqs_have_entries),
		cmocka_unit_test(rejects_bad_counts_and_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
