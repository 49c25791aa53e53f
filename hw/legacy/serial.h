/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 8250/16550A UART at COM1, output only: kernel log lines go to out_fd.
 * It passes the Linux 8250 driver's probe (scratch, IER and loopback
 * tests), always reports the transmitter empty and never receives. A THR
 * empty interrupt is pulsed on its IRQ when the driver enables it, so tty
 * writes make progress too, not only the polled printk console.
 */
#ifndef KRUN_HW_SERIAL_H
#define KRUN_HW_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_NR_PORTS 8
#define SERIAL_LINE_MAX 256

typedef void (*serial_irq_fn)(void *opaque);

struct serial {
	pthread_mutex_t lock;
	int out_fd;
	serial_irq_fn raise_irq;
	void *irq_opaque;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri_pending;
	size_t used;
	char line[SERIAL_LINE_MAX];
};

void serial_init(struct serial *s, int out_fd, serial_irq_fn raise_irq,
		 void *irq_opaque);

/* io_bus handler for the 8 ports at the COM1 base. */
void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	       bool is_write);

/* Write out a partial line (at VM stop). */
void serial_flush(struct serial *s);

void serial_destroy(struct serial *s);

#endif
