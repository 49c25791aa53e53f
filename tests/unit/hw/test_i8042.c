// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/legacy/i8042.h"

struct fixture {
	struct i8042 dev;
	int irqs;
	int resets;
};

static void count_irq(void *opaque)
{
	((struct fixture *)opaque)->irqs++;
}

static void count_reset(void *opaque)
{
	((struct fixture *)opaque)->resets++;
}

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	i8042_init(&fx.dev, count_irq, count_reset, &fx);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	i8042_destroy(&fx->dev);
	return 0;
}

static void command(struct fixture *fx, uint8_t v)
{
	i8042_io(&fx->dev, I8042_CMD_OFFSET, &v, 1, true);
}

static void write_data(struct fixture *fx, uint8_t v)
{
	i8042_io(&fx->dev, I8042_DATA_OFFSET, &v, 1, true);
}

static uint8_t status(struct fixture *fx)
{
	uint8_t v = 0;

	i8042_io(&fx->dev, I8042_CMD_OFFSET, &v, 1, false);
	return v;
}

static uint8_t read_data(struct fixture *fx)
{
	uint8_t v = 0;

	i8042_io(&fx->dev, I8042_DATA_OFFSET, &v, 1, false);
	return v;
}

/* Reads what is queued, as the driver does: while OBF is set. */
static size_t drain(struct fixture *fx, uint8_t *out, size_t max)
{
	size_t n = 0;

	while ((status(fx) & I8042_STR_OBF) && n < max)
		out[n++] = read_data(fx);
	return n;
}

static void expect_bytes(struct fixture *fx, const uint8_t *want, size_t len)
{
	uint8_t got[64];
	size_t n = drain(fx, got, sizeof(got));

	assert_int_equal(n, len);
	assert_memory_equal(got, want, len);
}

#define EXPECT(fx, ...)                                 \
	do {                                            \
		const uint8_t want_[] = {__VA_ARGS__};  \
		expect_bytes(fx, want_, sizeof(want_)); \
	} while (0)
#define EXPECT_NOTHING(fx) expect_bytes(fx, NULL, 0)

/* i8042_controller_selftest() and i8042_controller_init() of Linux. */
static void linux_controller_probe(void **state)
{
	struct fixture *fx = *state;
	uint8_t st = status(fx);
	int irqs;

	assert_int_equal(st & I8042_STR_OBF, 0);
	assert_true(st & I8042_STR_UNLOCKED); /* no "Keylock active" */
	command(fx, 0xaa);
	assert_true(status(fx) & I8042_STR_CMD);
	EXPECT(fx, 0x55);
	command(fx, 0x20);
	EXPECT(fx, I8042_CTR_INITIAL);
	command(fx, 0x60);
	write_data(fx,
		   (I8042_CTR_INITIAL | I8042_CTR_KBDDIS) & ~I8042_CTR_KBDINT);
	assert_false(status(fx) & I8042_STR_CMD);
	irqs = fx->irqs;
	command(fx, 0x20);
	EXPECT(fx, (I8042_CTR_INITIAL | I8042_CTR_KBDDIS) & ~I8042_CTR_KBDINT);
	command(fx, 0xab); /* keyboard interface test */
	EXPECT(fx, 0x00);
	assert_int_equal(fx->irqs, irqs); /* KBDINT is off */
	assert_int_equal(fx->resets, 0);
}

static void ctr_toggles_and_sys_flag(void **state)
{
	struct fixture *fx = *state;

	command(fx, 0xad);
	command(fx, 0xa7);
	command(fx, 0x20);
	EXPECT(fx, I8042_CTR_INITIAL | I8042_CTR_KBDDIS | I8042_CTR_AUXDIS);
	command(fx, 0xae);
	command(fx, 0xa8);
	command(fx, 0x20);
	EXPECT(fx, I8042_CTR_INITIAL);
	command(fx, 0x60);
	write_data(fx, 0x00);
	assert_false(status(fx) & I8042_STR_SYS);
	command(fx, 0xaa);
	assert_true(status(fx) & I8042_STR_SYS);
	EXPECT(fx, 0x55);
}

/* No AUX device: its test reports a stuck clock, its writes vanish. */
static void no_aux_device(void **state)
{
	struct fixture *fx = *state;

	command(fx, 0xa9);
	EXPECT(fx, 0x02);
	command(fx, 0xd3); /* loopback */
	write_data(fx, 0x5a);
	EXPECT_NOTHING(fx);
	command(fx, 0xd4); /* to the mouse: not taken as a keyboard command */
	write_data(fx, 0xf2);
	EXPECT_NOTHING(fx);
}

static void keyboard_probe_translated(void **state)
{
	struct fixture *fx = *state;

	write_data(fx, 0xff);
	EXPECT(fx, 0xfa, 0xaa);
	write_data(fx, 0xf2);
	EXPECT(fx, 0xfa, 0xab, 0x41);
	write_data(fx, 0xed); /* LEDs, with their argument */
	write_data(fx, 0x07);
	EXPECT(fx, 0xfa, 0xfa);
	write_data(fx, 0xf3); /* typematic rate */
	write_data(fx, 0x20);
	EXPECT(fx, 0xfa, 0xfa);
	write_data(fx, 0xf0); /* get the scan code set */
	write_data(fx, 0x00); /* ACKs for command and argument, then the set */
	EXPECT(fx, 0xfa, 0xfa, 0x41);
	write_data(fx, 0xf4);
	EXPECT(fx, 0xfa);
	write_data(fx, 0xee);
	EXPECT(fx, 0xee);
}

static void keyboard_probe_direct(void **state)
{
	struct fixture *fx = *state;

	command(fx, 0x60);
	write_data(fx, I8042_CTR_KBDINT | I8042_CTR_SYS);
	write_data(fx, 0xf2);
	EXPECT(fx, 0xfa, 0xab, 0x83);
	write_data(fx, 0xf0);
	write_data(fx, 0x03); /* set 3: refused */
	EXPECT(fx, 0xfa, 0xfe);
	write_data(fx, 0xf0);
	write_data(fx, 0x00);
	EXPECT(fx, 0xfa, 0xfa, 0x02);
	write_data(fx, 0xf0);
	write_data(fx, 0x01);
	EXPECT(fx, 0xfa, 0xfa);
	write_data(fx, 0xf0);
	write_data(fx, 0x00);
	EXPECT(fx, 0xfa, 0xfa, 0x01);
}

static void ctrl_alt_del_translated(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), 0);
	EXPECT(fx, 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d);
	/* one interrupt per byte that reaches the output buffer */
	assert_int_equal(fx->irqs, 8);
}

static void ctrl_alt_del_set2(void **state)
{
	struct fixture *fx = *state;

	command(fx, 0x60);
	write_data(fx, I8042_CTR_KBDINT | I8042_CTR_SYS);
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), 0);
	EXPECT(fx, 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0,
	       0x14);
	/* The keyboard switched to set 1, untranslated. */
	write_data(fx, 0xf0);
	write_data(fx, 0x01);
	EXPECT(fx, 0xfa, 0xfa);
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), 0);
	EXPECT(fx, 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d);
}

static void ctrl_alt_del_needs_enabled_keyboard(void **state)
{
	struct fixture *fx = *state;

	write_data(fx, 0xf5); /* reset to defaults and disable scanning */
	EXPECT(fx, 0xfa);
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), -EAGAIN);
	write_data(fx, 0xf4);
	EXPECT(fx, 0xfa);
	command(fx, 0xad); /* interface disabled in the CTR */
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), -EAGAIN);
	EXPECT_NOTHING(fx);
	command(fx, 0xae);
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), 0);
	EXPECT(fx, 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d);
}

/* Data queued while KBDINT is off interrupts once it is turned on. */
static void irq_follows_ctr(void **state)
{
	struct fixture *fx = *state;

	command(fx, 0x60);
	write_data(fx, I8042_CTR_SYS | I8042_CTR_XLATE);
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), 0);
	assert_int_equal(fx->irqs, 0);
	command(fx, 0x60);
	write_data(fx, I8042_CTR_INITIAL);
	assert_int_equal(fx->irqs, 1);
	assert_int_equal(read_data(fx), 0x1d);
	assert_int_equal(fx->irqs, 2);
}

/* The sequence goes in whole or not at all; replies beyond are dropped. */
static void fifo_overflow(void **state)
{
	struct fixture *fx = *state;
	uint8_t got[32];

	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), 0);
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), 0);
	assert_int_equal(i8042_press_ctrl_alt_del(&fx->dev), -ENOBUFS);
	write_data(fx, 0xee); /* its echo does not fit */
	assert_int_equal(drain(fx, got, sizeof(got)), 16);
	assert_memory_equal(got, got + 8, 8);
	assert_int_equal(got[15], 0x9d);
	assert_int_equal(fx->dev.dropped, 1);
	/* An empty buffer reads as its last byte, OBF clear. */
	assert_int_equal(read_data(fx), 0x9d);
	assert_false(status(fx) & I8042_STR_OBF);
	write_data(fx, 0xee);
	EXPECT(fx, 0xee);
}

static void unknown_commands(void **state)
{
	struct fixture *fx = *state;

	command(fx, 0xc5);
	command(fx, 0x21);
	EXPECT_NOTHING(fx);
	write_data(fx, 0xe8); /* keyboard: resend */
	EXPECT(fx, 0xfe);
	command(fx, 0x20); /* state unchanged */
	EXPECT(fx, I8042_CTR_INITIAL);
	assert_int_equal(fx->resets, 0);
}

static void cpu_reset(void **state)
{
	struct fixture *fx = *state;

	command(fx, 0xff); /* pulse nothing */
	assert_int_equal(fx->resets, 0);
	command(fx, 0xd0);
	EXPECT(fx, I8042_OUTPORT_RESET | I8042_OUTPORT_A20);
	command(fx, 0xd1);
	write_data(fx, I8042_OUTPORT_RESET);
	assert_int_equal(fx->resets, 0);
	command(fx, 0xd1);
	write_data(fx, I8042_OUTPORT_A20); /* reset line low */
	assert_int_equal(fx->resets, 1);
	command(fx, 0xfe);
	assert_int_equal(fx->resets, 2);
}

static void odd_accesses(void **state)
{
	struct fixture *fx = *state;
	uint8_t wide[2] = {0xfe, 0};
	uint8_t v = 0;

	i8042_io(&fx->dev, I8042_CMD_OFFSET, wide, 2, true);
	assert_int_equal(fx->resets, 0);
	i8042_io(&fx->dev, I8042_CMD_OFFSET, wide, 2, false);
	assert_int_equal(wide[0], 0xff);
	assert_int_equal(wide[1], 0xff);
	i8042_io(&fx->dev, 1, &v, 1, false);
	assert_int_equal(v, 0xff);
	v = 0xfe;
	i8042_io(&fx->dev, 2, &v, 1, true);
	assert_int_equal(fx->resets, 0);
	command(fx, 0xd2); /* write the keyboard output buffer */
	write_data(fx, 0x42);
	EXPECT(fx, 0x42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(linux_controller_probe),
		T(ctr_toggles_and_sys_flag),
		T(no_aux_device),
		T(keyboard_probe_translated),
		T(keyboard_probe_direct),
		T(ctrl_alt_del_translated),
		T(ctrl_alt_del_set2),
		T(ctrl_alt_del_needs_enabled_keyboard),
		T(irq_follows_ctr),
		T(fifo_overflow),
		T(unknown_commands),
		T(cpu_reset),
		T(odd_accesses),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
