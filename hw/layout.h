/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest physical memory map and other guest-visible constants (x86_64).
 * The single place where these numbers live; docs/ARCHITECTURE.md mirrors it.
 *
 *   0x0000_0000 .. 0x0000_1000  real-mode IVT / BDA (left zero)
 *   0x0000_7000                 boot_params (zero page)
 *   0x0000_9000 .. 0x0000_A000  PML4 / PDPT / PD for the 64-bit entry
 *   0x0002_0000                 kernel command line (up to 64 KiB)
 *   0x0009_FC00 .. 0x000A_0000  MP table (floating pointer + config table)
 *   0x000A_0000 .. 0x0010_0000  legacy VGA/BIOS hole (reserved in e820)
 *   0x0010_0000 ..              kernel image (loaded at its ELF paddr)
 *   RAM continues to MMIO_GAP_START; the rest above 4 GiB
 *   0xD000_0000 .. 0xD010_0000  virtio-mmio devices, 4 KiB apart
 *   0xFEC0_0000                 IOAPIC, 0xFEE0_0000 LAPIC (in the gap)
 *   initrd: placed at the top of low RAM, below the MMIO gap
 */
#ifndef KRUN_HW_LAYOUT_H
#define KRUN_HW_LAYOUT_H

#define LAYOUT_ZERO_PAGE 0x7000ull
#define LAYOUT_PML4 0x9000ull
#define LAYOUT_PDPT 0xA000ull
#define LAYOUT_PD 0xB000ull
#define LAYOUT_CMDLINE 0x20000ull
#define LAYOUT_CMDLINE_MAX 0x10000ull
#define LAYOUT_MPTABLE 0x9FC00ull
#define LAYOUT_EBDA_START 0x9FC00ull
#define LAYOUT_HIMEM_START 0x100000ull

#define LAYOUT_MMIO_GAP_START 0xC0000000ull
#define LAYOUT_MMIO_GAP_END 0x100000000ull

#define LAYOUT_VIRTIO_MMIO_BASE 0xD0000000ull
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ull
#define LAYOUT_VIRTIO_MMIO_MAX 32
/* First GSI (IOAPIC pin) for virtio-mmio devices: device i gets IRQ 5+i. */
#define LAYOUT_VIRTIO_IRQ_BASE 5

#define LAYOUT_IOAPIC_ADDR 0xFEC00000ull
#define LAYOUT_LAPIC_ADDR 0xFEE00000ull

#endif
