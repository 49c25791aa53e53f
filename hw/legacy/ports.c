// SPDX-License-Identifier: Apache-2.0
/*
 * Port I/O devices of the PC that a Linux guest uses without ACPI or PCI:
 * COM1 for kernel logs (only when asked for), the i8042 keyboard
 * controller (reboot=k, and Ctrl-Alt-Del for an orderly shutdown), and the
 * VMM's exit port.
 */
#include <errno.h>
#include <string.h>

#include "hw/x86/layout.h"
#include "hw/kvm/vm_internal.h"
#include "util/log.h"

#define I8042_KBD_IRQ 1 /* ISA IRQ of the keyboard */

static void com1_irq(void *opaque)
{
	struct vm *vm = opaque;

	if (vm_irq_pulse(vm, LAYOUT_COM1_IRQ, NULL) < 0)
		log_debug("COM1 interrupt could not be raised");
}

static void i8042_irq(void *opaque)
{
	struct vm *vm = opaque;

	if (vm_irq_pulse(vm, I8042_KBD_IRQ, NULL) < 0)
		log_debug("i8042 interrupt could not be raised");
}

/* Command 0xFE (or the output port's reset line): the guest reboots. */
static void i8042_reset(void *opaque)
{
	vm_stop_with(opaque, VM_STOP_RESET, 0);
}

int vm_send_ctrl_alt_del(struct vm *vm, struct krun_err **err)
{
	int ret = i8042_press_ctrl_alt_del(&vm->i8042);

	if (ret == -EAGAIN)
		return krun_err_set(err, EAGAIN,
				    "the guest has not enabled its keyboard");
	if (ret < 0)
		return krun_err_set(err, -ret,
				    "the guest is not reading its keyboard");
	return 0;
}

/*
 * Only a 32-bit OUT stops the VM, so stray byte writes cannot; a byte OUT
 * of 1 .. VM_GUEST_MARKS at offset 0 is a boot progress mark.
 */
static void exit_port_io(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct vm *vm = opaque;
	uint32_t status;

	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	if (len == 1 && offset == 0 && data[0] >= 1 &&
	    data[0] <= VM_GUEST_MARKS) {
		if (!vm->times.mark[data[0] - 1])
			vm->times.mark[data[0] - 1] = vm_clock_ns();
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

	i8042_init(&vm->i8042, i8042_irq, i8042_reset, vm);
	vm->i8042_registered = true;
	ret = io_bus_register(&vm->pio, LAYOUT_I8042_PORT, I8042_NR_PORTS,
			      i8042_io, &vm->i8042, err);
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
