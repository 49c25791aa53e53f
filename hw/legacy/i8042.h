/* SPDX-License-Identifier: Apache-2.0 */
/*
 * i8042 keyboard controller with a PS/2 keyboard and no AUX (mouse)
 * device, enough for Linux's i8042 and atkbd drivers to probe and bind, so
 * the VMM can press Ctrl-Alt-Del: the guest kernel turns that into SIGINT
 * to init (with Ctrl-Alt-Del reboot disabled), our orderly shutdown.
 *
 * The controller's output buffer is a FIFO shared by controller replies
 * and keyboard bytes; IRQ 1 is raised each time a byte reaches its head
 * while the command byte (CTR) enables keyboard interrupts. With the CTR's
 * translation bit set the keyboard emits scan code set 1 (what the
 * controller's set 2 -> set 1 translation would deliver), otherwise the
 * keyboard's own set (1 or 2; set 3 is refused). Command 0xFE, or an
 * output port write with the reset line low, resets the CPU.
 */
#ifndef KRUN_HW_I8042_H
#define KRUN_HW_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Data port at offset 0 (0x60), status/command at offset 4 (0x64). */
#define I8042_NR_PORTS 5
#define I8042_DATA_OFFSET 0
#define I8042_CMD_OFFSET 4

#define I8042_FIFO_SIZE 16

/* Status register */
#define I8042_STR_OBF 0x01
#define I8042_STR_SYS 0x04
#define I8042_STR_CMD 0x08	/* last write was to the command port */
#define I8042_STR_UNLOCKED 0x10 /* keylock off */

/* Controller command byte (CTR) */
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40

/* What a BIOS leaves: keyboard interrupt on, POST passed, translating. */
#define I8042_CTR_INITIAL (I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE)

/* Output port: bit 0 is the CPU reset line (active low), bit 1 A20. */
#define I8042_OUTPORT_RESET 0x01
#define I8042_OUTPORT_A20 0x02

typedef void (*i8042_event_fn)(void *opaque);

struct i8042 {
	pthread_mutex_t lock;
	i8042_event_fn raise_irq; /* pulse IRQ 1 */
	i8042_event_fn reset_cpu; /* the guest asked for a CPU reset */
	void *opaque;

	uint8_t fifo[I8042_FIFO_SIZE];
	unsigned int head, count;
	uint64_t dropped; /* bytes lost to a full FIFO */

	uint8_t ctr;
	uint8_t status; /* the SYS and CMD bits; OBF comes from the FIFO */
	uint8_t outport;
	uint8_t ctl_cmd; /* controller command awaiting its data byte; 0: none
			  */

	uint8_t kbd_cmd; /* keyboard command awaiting its argument; 0: none */
	uint8_t kbd_set; /* the keyboard's scan code set: 1 or 2 */
	uint8_t kbd_leds;
	bool kbd_scanning;
};

void i8042_init(struct i8042 *dev, i8042_event_fn raise_irq,
		i8042_event_fn reset_cpu, void *opaque);
void i8042_destroy(struct i8042 *dev);

/* io_bus handler for the 5 ports at 0x60; only 1-byte accesses count. */
void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	      bool is_write);

/*
 * Press and release Ctrl, Alt and Del (thread-safe). All or nothing:
 * -EAGAIN when the guest has not enabled the keyboard (scanning off or the
 * CTR's keyboard interface disabled), -ENOBUFS when the output buffer
 * cannot take the whole sequence.
 */
int i8042_press_ctrl_alt_del(struct i8042 *dev);

#endif
