// SPDX-License-Identifier: Apache-2.0
/*
 * Port I/O devices of the PC that a Linux guest uses without ACPI or PCI:
 * COM1 for kernel logs (only when asked for), the i8042 keyboard
 * controller's reset line (reboot=k), and the VMM's exit port.
 */
#include <errno.h>
#include <string.h>

#include "hw/layout.h"
#include "hw/vm_internal.h"
#include "util/log.h"

#define I8042_CMD_OFFSET 4 /* 0x64 */
#define I8042_CMD_RESET 0xfe

static void com1_irq(void *opaque)
{
	struct vm *vm = opaque;

	if (vm_irq_pulse(vm, LAYOUT_COM1_IRQ, NULL) < 0)
		log_debug("COM1 interrupt could not be raised");
}

/*
 * 0x60 (data) and 0x64 (status/command). Status 0: no data waiting, the
 * input buffer empty, so the kernel's kb_wait() passes at once. Command
 * 0xFE pulses the CPU reset line: the guest asks for a reboot.
 */
static void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		     bool is_write)
{
	struct vm *vm = opaque;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (offset == I8042_CMD_OFFSET && len == 1 &&
	    data[0] == I8042_CMD_RESET)
		vm_stop_with(vm, VM_STOP_RESET, 0);
}

/* Only a 32-bit OUT counts, so stray byte writes cannot stop the VM. */
static void exit_port_io(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct vm *vm = opaque;
	uint32_t status;

	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	if (len != 4) {
		log_debug("ignoring a %u-byte write to the exit port", len);
		return;
	}
	memcpy(&status, data, sizeof(status));
	vm_stop_with(vm, VM_STOP_GUEST_EXIT, status);
}

int vm_register_legacy_devices(struct vm *vm, struct krun_err **err)
{
	int ret;

	ret = io_bus_register(&vm->pio, LAYOUT_I8042_PORT, I8042_CMD_OFFSET + 1,
			      i8042_io, vm, err);
	if (!ret && vm->opts.exit_port)
		ret = io_bus_register(&vm->pio, vm->opts.exit_port, 4,
				      exit_port_io, vm, err);
	if (ret < 0 || !vm->opts.serial_console)
		return ret;
	serial_init(&vm->serial, vm->opts.serial_fd, com1_irq, vm);
	vm->serial_registered = true;
	return io_bus_register(&vm->pio, LAYOUT_COM1_PORT, SERIAL_NR_PORTS,
			       serial_io, &vm->serial, err);
}
