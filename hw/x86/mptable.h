/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel MultiProcessor Specification 1.4 table: how a guest kernel without
 * ACPI learns its CPUs, the IOAPIC and how ISA IRQs reach IOAPIC pins.
 *
 * Contents: one processor entry per vCPU (APIC id = vCPU index, vCPU 0 the
 * boot processor), one ISA bus, the IOAPIC (id = number of vCPUs), an I/O
 * interrupt entry for every IOAPIC pin (IRQ n -> pin n, matching KVM's
 * default GSI routing) and LINT0 = ExtINT, LINT1 = NMI.
 *
 * All IRQs "conform to the bus", i.e. ISA: edge-triggered, active high.
 * That is what irqfd needs: KVM_IRQFD pulses the line (assert, deassert),
 * which is an edge; level-triggered pins would need a resample eventfd.
 * virtio-mmio drivers re-read the interrupt status on every interrupt, so
 * edges lose nothing.
 */
#ifndef KRUN_HW_MPTABLE_H
#define KRUN_HW_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* APIC ids are 8 bits and the IOAPIC takes the id after the last CPU. */
#define MPTABLE_MAX_CPUS 254

/* Bytes the table takes for ncpus CPUs (floating pointer included). */
size_t mptable_size(unsigned int ncpus);

/*
 * Write the floating pointer and the configuration table after it into
 * buf, which the guest sees at guest-physical address gpa.
 */
int mptable_build(uint8_t *buf, size_t buflen, uint64_t gpa, unsigned int ncpus,
		  struct krun_err **err);

#endif
