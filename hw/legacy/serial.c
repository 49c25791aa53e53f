// SPDX-License-Identifier: Apache-2.0
#include "hw/legacy/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

enum uart_reg {
	UART_RX_TX = 0, /* DLL when DLAB */
	UART_IER = 1,	/* DLM when DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_LCR_DLAB 0x80
#define UART_IER_THRI 0x02
#define UART_IER_MASK 0x0f
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_FIFO_ENABLED 0xc0
#define UART_FCR_ENABLE_FIFO 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MCR_OUT2 0x08 /* gates the IRQ output, as on a PC */
#define UART_MCR_LOOP 0x10
#define UART_MSR_DCD 0x80
#define UART_MSR_DSR 0x20
#define UART_MSR_CTS 0x10

void serial_init(struct serial *s, int out_fd, serial_irq_fn raise_irq,
		 void *irq_opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->raise_irq = raise_irq;
	s->irq_opaque = irq_opaque;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the log sink is gone; drop the output */
		p += n;
		len -= (size_t)n;
	}
}

static void flush_locked(struct serial *s)
{
	write_all(s->out_fd, s->line, s->used);
	s->used = 0;
}

static void put_char(struct serial *s, uint8_t c)
{
	s->line[s->used++] = (char)c;
	if (c == '\n' || s->used == sizeof(s->line))
		flush_locked(s);
}

/* Loopback mode mirrors the modem control outputs into the status. */
static uint8_t modem_status(const struct serial *s)
{
	uint8_t m = s->mcr;

	if (!(m & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	return (uint8_t)(((m & 0x02) << 3) | ((m & 0x01) << 5) |
			 ((m & 0x04) << 4) | ((m & 0x08) << 4));
}

/* Returns whether the THR empty interrupt must be pulsed. */
static bool reg_write(struct serial *s, uint64_t reg, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RX_TX:
		if (dlab) {
			s->dll = v;
			return false;
		}
		if (!(s->mcr & UART_MCR_LOOP))
			put_char(s, v);
		s->thri_pending = s->ier & UART_IER_THRI;
		return s->thri_pending;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			return false;
		}
		s->thri_pending =
			(v & UART_IER_THRI) && !(s->ier & UART_IER_THRI);
		s->ier = v & UART_IER_MASK;
		return s->thri_pending;
	case UART_IIR_FCR:
		s->fcr = v;
		return false;
	case UART_LCR:
		s->lcr = v;
		return false;
	case UART_MCR:
		s->mcr = v & 0x1f;
		return false;
	case UART_SCR:
		s->scr = v;
		return false;
	default: /* LSR, MSR: read-only */
		return false;
	}
}

static uint8_t iir_read(struct serial *s)
{
	uint8_t fifo =
		s->fcr & UART_FCR_ENABLE_FIFO ? UART_IIR_FIFO_ENABLED : 0;

	if (s->thri_pending && (s->ier & UART_IER_THRI)) {
		s->thri_pending = false;
		return fifo | UART_IIR_THRI;
	}
	return fifo | UART_IIR_NO_INT;
}

static uint8_t reg_read(struct serial *s, uint64_t reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RX_TX:
		return dlab ? s->dll : 0;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR_FCR:
		return iir_read(s);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT;
	case UART_MSR:
		return modem_status(s);
	default:
		return s->scr;
	}
}

void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	       bool is_write)
{
	struct serial *s = opaque;
	bool irq = false;

	if (len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (is_write)
		irq = reg_write(s, offset, data[0]);
	else
		data[0] = reg_read(s, offset);
	irq = irq &&
	      (s->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;
	pthread_mutex_unlock(&s->lock);
	if (irq && s->raise_irq)
		s->raise_irq(s->irq_opaque);
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	flush_locked(s);
	pthread_mutex_unlock(&s->lock);
}

void serial_destroy(struct serial *s)
{
	serial_flush(s);
	pthread_mutex_destroy(&s->lock);
}
