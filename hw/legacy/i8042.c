// SPDX-License-Identifier: Apache-2.0
/*
 * i8042 keyboard controller and PS/2 keyboard (see hw/legacy/i8042.h). Callbacks
 * (IRQ, reset) run after the lock is dropped.
 */
#include "hw/legacy/i8042.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

/* Controller commands (port 0x64) */
#define CTL_READ_CTR 0x20
#define CTL_WRITE_CTR 0x60
#define CTL_AUX_DISABLE 0xa7
#define CTL_AUX_ENABLE 0xa8
#define CTL_AUX_TEST 0xa9
#define CTL_SELF_TEST 0xaa
#define CTL_KBD_TEST 0xab
#define CTL_KBD_DISABLE 0xad
#define CTL_KBD_ENABLE 0xae
#define CTL_READ_OUTPORT 0xd0
#define CTL_WRITE_OUTPORT 0xd1
#define CTL_WRITE_KBD_OBUF 0xd2
#define CTL_WRITE_AUX_OBUF 0xd3
#define CTL_WRITE_AUX 0xd4
#define CTL_PULSE_FIRST 0xf0

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00
#define PORT_TEST_CLOCK_LOW 0x02 /* nothing on the AUX port */

/* Keyboard commands (port 0x60) and replies */
#define KBD_SET_LEDS 0xed
#define KBD_ECHO 0xee
#define KBD_SCAN_SET 0xf0
#define KBD_GET_ID 0xf2
#define KBD_TYPEMATIC 0xf3
#define KBD_ENABLE 0xf4
#define KBD_RESET_DISABLE 0xf5
#define KBD_RESET_DEFAULTS 0xf6
#define KBD_RESET 0xff
#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe
#define KBD_BAT_OK 0xaa
#define KBD_ID_FIRST 0xab
#define KBD_ID_SECOND 0x83
#define KBD_ID_SECOND_XLATED 0x41

#define SCAN_EXTENDED 0xe0
#define SCAN_SET2_BREAK 0xf0
#define SCAN_SET1_BREAK 0x80

/* What to do once the lock is dropped. */
struct i8042_events {
	bool irq;
	bool reset;
};

void i8042_init(struct i8042 *dev, i8042_event_fn raise_irq,
		i8042_event_fn reset_cpu, void *opaque)
{
	memset(dev, 0, sizeof(*dev));
	pthread_mutex_init(&dev->lock, NULL);
	dev->raise_irq = raise_irq;
	dev->reset_cpu = reset_cpu;
	dev->opaque = opaque;
	dev->ctr = I8042_CTR_INITIAL;
	dev->status = I8042_STR_SYS;
	dev->outport = I8042_OUTPORT_RESET | I8042_OUTPORT_A20;
	dev->kbd_set = 2;
	dev->kbd_scanning = true; /* a keyboard scans after its power-on BAT */
}

void i8042_destroy(struct i8042 *dev)
{
	pthread_mutex_destroy(&dev->lock);
}

static unsigned int fifo_space(const struct i8042 *dev)
{
	return I8042_FIFO_SIZE - dev->count;
}

/* A byte that reaches the head of the FIFO interrupts, if enabled. */
static void fifo_push(struct i8042 *dev, uint8_t byte, struct i8042_events *ev)
{
	if (!fifo_space(dev)) {
		if (!dev->dropped++)
			log_debug("i8042: output buffer full, dropping bytes");
		return;
	}
	dev->fifo[(dev->head + dev->count) % I8042_FIFO_SIZE] = byte;
	if (dev->count++ == 0 && (dev->ctr & I8042_CTR_KBDINT))
		ev->irq = true;
}

/* Reading an empty buffer returns the last byte again, like the chip. */
static uint8_t fifo_pop(struct i8042 *dev, struct i8042_events *ev)
{
	uint8_t byte = dev->fifo[dev->head];

	if (!dev->count)
		return byte;
	dev->head = (dev->head + 1) % I8042_FIFO_SIZE;
	if (--dev->count == 0)
		dev->fifo[dev->head] = byte;
	else if (dev->ctr & I8042_CTR_KBDINT)
		ev->irq = true;
	return byte;
}

static uint8_t read_status(const struct i8042 *dev)
{
	return dev->status | I8042_STR_UNLOCKED |
	       (dev->count ? I8042_STR_OBF : 0);
}

static void write_ctr(struct i8042 *dev, uint8_t ctr, struct i8042_events *ev)
{
	bool irq_on =
		!(dev->ctr & I8042_CTR_KBDINT) && (ctr & I8042_CTR_KBDINT);

	dev->ctr = ctr;
	dev->status = (dev->status & ~I8042_STR_SYS) | (ctr & I8042_CTR_SYS);
	/* Data already waiting interrupts as soon as that is allowed. */
	if (irq_on && dev->count)
		ev->irq = true;
}

static void write_outport(struct i8042 *dev, uint8_t value,
			  struct i8042_events *ev)
{
	dev->outport = value;
	if (!(value & I8042_OUTPORT_RESET))
		ev->reset = true;
}

/* Commands without a data byte. */
static void controller_simple_command(struct i8042 *dev, uint8_t cmd,
				      struct i8042_events *ev)
{
	switch (cmd) {
	case CTL_READ_CTR:
		return fifo_push(dev, dev->ctr, ev);
	case CTL_AUX_DISABLE:
		return write_ctr(dev, dev->ctr | I8042_CTR_AUXDIS, ev);
	case CTL_AUX_ENABLE:
		return write_ctr(dev, dev->ctr & ~I8042_CTR_AUXDIS, ev);
	case CTL_AUX_TEST:
		return fifo_push(dev, PORT_TEST_CLOCK_LOW, ev);
	case CTL_SELF_TEST:
		dev->status |= I8042_STR_SYS;
		return fifo_push(dev, SELF_TEST_OK, ev);
	case CTL_KBD_TEST:
		return fifo_push(dev, PORT_TEST_OK, ev);
	case CTL_KBD_DISABLE:
		return write_ctr(dev, dev->ctr | I8042_CTR_KBDDIS, ev);
	case CTL_KBD_ENABLE:
		return write_ctr(dev, dev->ctr & ~I8042_CTR_KBDDIS, ev);
	case CTL_READ_OUTPORT:
		return fifo_push(dev, dev->outport | (dev->count ? 0x10 : 0),
				 ev);
	}
	/* Pulse output lines whose bit is 0 in the low nibble: bit 0 is the
	 * CPU reset line. */
	if (cmd >= CTL_PULSE_FIRST) {
		if (!(cmd & I8042_OUTPORT_RESET))
			ev->reset = true;
		return;
	}
	log_debug("i8042: ignoring controller command 0x%02x", cmd);
}

static void controller_command(struct i8042 *dev, uint8_t cmd,
			       struct i8042_events *ev)
{
	dev->ctl_cmd = 0;
	switch (cmd) {
	case CTL_WRITE_CTR:
	case CTL_WRITE_OUTPORT:
	case CTL_WRITE_KBD_OBUF:
	case CTL_WRITE_AUX_OBUF:
	case CTL_WRITE_AUX:
		dev->ctl_cmd = cmd;
		return;
	}
	controller_simple_command(dev, cmd, ev);
}

/*
 * The data byte of a controller command. There is no AUX device: its
 * loopback and writes are swallowed, so the driver's AUX probe times out
 * (Linux is told i8042.noaux and does not try).
 */
static void controller_data(struct i8042 *dev, uint8_t cmd, uint8_t value,
			    struct i8042_events *ev)
{
	switch (cmd) {
	case CTL_WRITE_CTR:
		return write_ctr(dev, value, ev);
	case CTL_WRITE_OUTPORT:
		return write_outport(dev, value, ev);
	case CTL_WRITE_KBD_OBUF:
		return fifo_push(dev, value, ev);
	default:
		log_debug("i8042: no AUX device for command 0x%02x", cmd);
	}
}

static bool translating(const struct i8042 *dev)
{
	return dev->ctr & I8042_CTR_XLATE;
}

/* Scan code set numbers as the guest reads them (translated or not). */
static uint8_t scan_set_reply(const struct i8042 *dev)
{
	static const uint8_t xlated[] = {0, 0x43, 0x41};

	return translating(dev) ? xlated[dev->kbd_set] : dev->kbd_set;
}

static void kbd_defaults(struct i8042 *dev)
{
	dev->kbd_set = 2;
	dev->kbd_leds = 0;
}

/* The argument byte of KBD_SET_LEDS, KBD_TYPEMATIC or KBD_SCAN_SET. */
static void kbd_argument(struct i8042 *dev, uint8_t cmd, uint8_t arg,
			 struct i8042_events *ev)
{
	if (cmd == KBD_SET_LEDS) {
		dev->kbd_leds = arg & 0x07;
	} else if (cmd == KBD_SCAN_SET && arg == 0) {
		fifo_push(dev, KBD_ACK, ev);
		return fifo_push(dev, scan_set_reply(dev), ev);
	} else if (cmd == KBD_SCAN_SET && (arg == 1 || arg == 2)) {
		dev->kbd_set = arg;
	} else if (cmd == KBD_SCAN_SET) {
		return fifo_push(dev, KBD_RESEND, ev); /* no set 3 */
	}
	fifo_push(dev, KBD_ACK, ev);
}

static void kbd_command(struct i8042 *dev, uint8_t cmd, struct i8042_events *ev)
{
	switch (cmd) {
	case KBD_SET_LEDS:
	case KBD_TYPEMATIC:
	case KBD_SCAN_SET:
		dev->kbd_cmd = cmd;
		return fifo_push(dev, KBD_ACK, ev);
	case KBD_ECHO:
		return fifo_push(dev, KBD_ECHO, ev);
	case KBD_GET_ID:
		fifo_push(dev, KBD_ACK, ev);
		fifo_push(dev, KBD_ID_FIRST, ev);
		return fifo_push(dev,
				 translating(dev) ? KBD_ID_SECOND_XLATED
						  : KBD_ID_SECOND,
				 ev);
	case KBD_ENABLE:
		dev->kbd_scanning = true;
		return fifo_push(dev, KBD_ACK, ev);
	case KBD_RESET_DISABLE:
		dev->kbd_scanning = false;
		/* fall through */
	case KBD_RESET_DEFAULTS:
		kbd_defaults(dev);
		return fifo_push(dev, KBD_ACK, ev);
	case KBD_RESET:
		kbd_defaults(dev);
		dev->kbd_scanning = true;
		fifo_push(dev, KBD_ACK, ev);
		return fifo_push(dev, KBD_BAT_OK, ev);
	}
	log_debug("i8042: keyboard command 0x%02x not supported", cmd);
	fifo_push(dev, KBD_RESEND, ev);
}

/* A byte written to 0x60: a controller command's data, or for the keyboard. */
static void write_data(struct i8042 *dev, uint8_t value,
		       struct i8042_events *ev)
{
	uint8_t cmd = dev->ctl_cmd;

	dev->status &= ~I8042_STR_CMD;
	if (cmd) {
		dev->ctl_cmd = 0;
		return controller_data(dev, cmd, value, ev);
	}
	cmd = dev->kbd_cmd;
	if (cmd) {
		dev->kbd_cmd = 0;
		return kbd_argument(dev, cmd, value, ev);
	}
	kbd_command(dev, value, ev);
}

static void run_events(struct i8042 *dev, const struct i8042_events *ev)
{
	if (ev->reset && dev->reset_cpu)
		dev->reset_cpu(dev->opaque);
	if (ev->irq && dev->raise_irq)
		dev->raise_irq(dev->opaque);
}

void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	      bool is_write)
{
	struct i8042 *dev = opaque;
	struct i8042_events ev = {0};

	if (len != 1 ||
	    (offset != I8042_DATA_OFFSET && offset != I8042_CMD_OFFSET)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	if (!is_write && offset == I8042_DATA_OFFSET) {
		data[0] = fifo_pop(dev, &ev);
	} else if (!is_write) {
		data[0] = read_status(dev);
	} else if (offset == I8042_DATA_OFFSET) {
		write_data(dev, data[0], &ev);
	} else {
		dev->status |= I8042_STR_CMD;
		controller_command(dev, data[0], &ev);
	}
	pthread_mutex_unlock(&dev->lock);
	run_events(dev, &ev);
}

struct key_codes {
	uint8_t set1, set2;
	bool extended;
};

static const struct key_codes key_left_ctrl = {0x1d, 0x14, false};
static const struct key_codes key_left_alt = {0x38, 0x11, false};
static const struct key_codes key_delete = {0x53, 0x71, true};

static void push_key(struct i8042 *dev, const struct key_codes *key,
		     bool release, struct i8042_events *ev)
{
	bool set1 = translating(dev) || dev->kbd_set == 1;

	if (key->extended)
		fifo_push(dev, SCAN_EXTENDED, ev);
	if (set1)
		return fifo_push(
			dev, key->set1 | (release ? SCAN_SET1_BREAK : 0), ev);
	if (release)
		fifo_push(dev, SCAN_SET2_BREAK, ev);
	fifo_push(dev, key->set2, ev);
}

/* Bytes the sequence takes: set 2 breaks carry an extra 0xF0 each. */
static unsigned int ctrl_alt_del_len(const struct i8042 *dev)
{
	return translating(dev) || dev->kbd_set == 1 ? 8 : 11;
}

int i8042_press_ctrl_alt_del(struct i8042 *dev)
{
	const struct key_codes *keys[] = {&key_left_ctrl, &key_left_alt,
					  &key_delete};
	struct i8042_events ev = {0};
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	if (!dev->kbd_scanning || (dev->ctr & I8042_CTR_KBDDIS))
		ret = -EAGAIN;
	else if (fifo_space(dev) < ctrl_alt_del_len(dev))
		ret = -ENOBUFS;
	for (int i = 0; !ret && i < 3; i++)
		push_key(dev, keys[i], false, &ev);
	for (int i = 2; !ret && i >= 0; i--)
		push_key(dev, keys[i], true, &ev);
	pthread_mutex_unlock(&dev->lock);
	run_events(dev, &ev);
	return ret;
}
