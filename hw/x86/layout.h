/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest physical memory map and other guest-visible constants (x86_64).
 * The single place where these numbers live; docs/ARCHITECTURE.md mirrors it.
 *
 *   0x0000_0000 .. 0x0000_1000  real-mode IVT / BDA (left zero)
 *   0x0000_0500                 boot GDT (5 entries), 0x540 empty IDT
 *   0x0000_7000                 boot_params (zero page)
 *   0x0000_9000 .. 0x0000_C000  PML4 / PDPT / PD for the 64-bit entry
 *   0x0002_0000                 kernel command line (up to 64 KiB)
 *   0x0009_FC00 .. 0x000A_0000  MP table (floating pointer + config table)
 *   0x000A_0000 .. 0x0010_0000  legacy VGA/BIOS hole (reserved in e820)
 *   0x000F_0000 .. 0x0010_0000  SMBIOS entry point + structure table
 *   0x0010_0000 ..              kernel image (loaded at its ELF paddr)
 *   RAM continues to MMIO_GAP_START; the rest above 4 GiB
 *   0xD000_0000 .. 0xD010_0000  virtio-mmio devices, 4 KiB apart
 *   0xFEC0_0000                 IOAPIC, 0xFEE0_0000 LAPIC (in the gap)
 *   initrd: placed at the top of low RAM, below the MMIO gap
 *   shared memory windows (virtio-fs DAX): above the end of RAM, from the
 *   first 1 GiB boundary past max(4 GiB, end of high RAM), each window
 *   starting on a 1 GiB boundary; never RAM in e820
 */
#ifndef KRUN_HW_LAYOUT_H
#define KRUN_HW_LAYOUT_H

#define LAYOUT_GDT 0x500ull
#define LAYOUT_IDT 0x540ull
#define LAYOUT_ZERO_PAGE 0x7000ull
#define LAYOUT_PML4 0x9000ull
#define LAYOUT_PDPT 0xA000ull
#define LAYOUT_PD 0xB000ull
#define LAYOUT_CMDLINE 0x20000ull
#define LAYOUT_CMDLINE_MAX 0x10000ull
#define LAYOUT_MPTABLE 0x9FC00ull
#define LAYOUT_EBDA_START 0x9FC00ull
#define LAYOUT_SMBIOS 0xF0000ull /* the DMI scan's window: 0xF0000..0xFFFFF */
#define LAYOUT_HIMEM_START 0x100000ull

#define LAYOUT_MMIO_GAP_START 0xC0000000ull
#define LAYOUT_MMIO_GAP_END 0x100000000ull

#define LAYOUT_VIRTIO_MMIO_BASE 0xD0000000ull
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ull
/* First GSI (IOAPIC pin) for virtio-mmio devices: device i gets IRQ 5+i.
 * KVM's IOAPIC has 24 pins, so GSIs 5..23 (19 devices) are usable. */
#define LAYOUT_VIRTIO_IRQ_BASE 5
#define LAYOUT_IOAPIC_PINS 24
#define LAYOUT_VIRTIO_MMIO_MAX (LAYOUT_IOAPIC_PINS - LAYOUT_VIRTIO_IRQ_BASE)

#define LAYOUT_IOAPIC_ADDR 0xFEC00000ull
#define LAYOUT_LAPIC_ADDR 0xFEE00000ull
/* Intel VMX needs a TSS (3 pages) and an identity-map page inside the
 * guest physical space; they sit in the MMIO gap, clear of everything. */
#define LAYOUT_TSS_ADDR 0xFFFBD000ull
#define LAYOUT_IDENTITY_MAP_ADDR 0xFFFBC000ull

/* Device shared memory windows (virtio 1.2, 2.10): above RAM, each at a
 * multiple of LAYOUT_SHM_ALIGN so the guest can hot-plug it as device
 * memory (x86 memory sections are 128 MiB). */
#define LAYOUT_SHM_ALIGN 0x40000000ull

/* Legacy port I/O devices. */
#define LAYOUT_COM1_PORT 0x3F8
#define LAYOUT_COM1_IRQ 4
#define LAYOUT_I8042_PORT 0x60 /* data 0x60, command/status 0x64 */

#endif
