// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/legacy/serial.h"

struct fixture {
	struct serial s;
	int pipe[2];
	int irqs;
};

static void count_irq(void *opaque)
{
	((struct fixture *)opaque)->irqs++;
}

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pipe(fx.pipe), 0);
	serial_init(&fx.s, fx.pipe[1], count_irq, &fx);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	serial_destroy(&fx->s);
	close(fx->pipe[0]);
	close(fx->pipe[1]);
	return 0;
}

static void wr(struct fixture *fx, uint64_t reg, uint8_t v)
{
	serial_io(&fx->s, reg, &v, 1, true);
}

static uint8_t rd(struct fixture *fx, uint64_t reg)
{
	uint8_t v = 0;

	serial_io(&fx->s, reg, &v, 1, false);
	return v;
}

/* The checks of Linux's 8250 autoconfig() and its loopback test. */
static void passes_linux_probe(void **state)
{
	struct fixture *fx = *state;

	wr(fx, 7, 0xa5);
	assert_int_equal(rd(fx, 7), 0xa5);
	wr(fx, 1, 0);
	assert_int_equal(rd(fx, 1), 0);
	wr(fx, 1, 0xff);
	assert_int_equal(rd(fx, 1) & 0x0f, 0x0f);
	wr(fx, 1, 0);
	wr(fx, 4, 0x10 | 0x0a); /* loopback, RTS, OUT2 */
	assert_int_equal(rd(fx, 6) & 0xf0, 0x90);
	wr(fx, 4, 0);
	wr(fx, 2, 0x01); /* enable FIFOs: a 16550A */
	assert_int_equal(rd(fx, 2) & 0xc0, 0xc0);
	assert_int_equal(rd(fx, 5) & 0x60, 0x60); /* always empty */
	wr(fx, 3, 0x80);			  /* DLAB: divisor latch */
	wr(fx, 0, 0x01);
	wr(fx, 1, 0x00);
	assert_int_equal(rd(fx, 0), 0x01);
	wr(fx, 3, 0x03);
	assert_int_equal(fx->irqs, 0);
}

static void output_is_line_buffered(void **state)
{
	struct fixture *fx = *state;
	char buf[16] = {0};
	const char *msg = "hi\n";

	wr(fx, 0, 'x');
	serial_flush(&fx->s);
	assert_int_equal(read(fx->pipe[0], buf, sizeof(buf)), 1);
	for (const char *p = msg; *p; p++)
		wr(fx, 0, (uint8_t)*p);
	assert_int_equal(read(fx->pipe[0], buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "hi\n", 3);
	wr(fx, 4, 0x10); /* loopback: nothing leaves */
	wr(fx, 0, 'y');
	serial_flush(&fx->s);
	wr(fx, 4, 0);
	wr(fx, 0, '\n');
	assert_int_equal(read(fx->pipe[0], buf, sizeof(buf)), 1);
}

static void thr_empty_interrupt(void **state)
{
	struct fixture *fx = *state;

	wr(fx, 1, 0x02); /* THRI, but OUT2 off: the line stays quiet */
	assert_int_equal(fx->irqs, 0);
	wr(fx, 1, 0x00);
	wr(fx, 4, 0x08); /* OUT2 on */
	wr(fx, 1, 0x02); /* enable THRI: fires at once, THR is empty */
	assert_int_equal(fx->irqs, 1);
	assert_int_equal(rd(fx, 2) & 0x0f, 0x02);
	assert_int_equal(rd(fx, 2) & 0x0f, 0x01); /* read clears it */
	wr(fx, 0, '\n');
	assert_int_equal(fx->irqs, 2);
	wr(fx, 1, 0x00);
	wr(fx, 0, '\n');
	assert_int_equal(fx->irqs, 2);
	assert_int_equal(rd(fx, 2) & 0x0f, 0x01);
}

static void odd_sizes_ignored(void **state)
{
	struct fixture *fx = *state;
	uint8_t v[2] = {0, 0};

	serial_io(&fx->s, 0, v, 2, false);
	assert_int_equal(v[0], 0xff);
	serial_io(&fx->s, 7, v, 2, true);
	assert_int_equal(rd(fx, 7), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(passes_linux_probe),
		T(output_is_line_buffered),
		T(thr_empty_interrupt),
		T(odd_sizes_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
