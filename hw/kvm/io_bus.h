/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One I/O registry for port I/O and MMIO: ranges with a handler each.
 * vCPU threads dispatch KVM_EXIT_IO / KVM_EXIT_MMIO through it. Ranges are
 * registered during setup, before vCPUs run, so lookups need no lock.
 */
#ifndef KRUN_HW_IO_BUS_H
#define KRUN_HW_IO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* offset is relative to the range base; len is 1, 2, 4 or 8. */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data,
			      uint32_t len, bool is_write);

struct io_range {
	uint64_t base;
	uint64_t len;
	io_handler_fn handler;
	void *opaque;
};

#define IO_BUS_MAX_RANGES 64

struct io_bus {
	struct io_range ranges[IO_BUS_MAX_RANGES];
	unsigned int n_ranges;
};

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    io_handler_fn handler, void *opaque, struct krun_err **err);

/* Returns false when no range covers [addr, addr+len): reads then see
 * all-ones, writes are dropped (by the caller). */
bool io_bus_dispatch(const struct io_bus *bus, uint64_t addr, uint8_t *data,
		     uint32_t len, bool is_write);

#endif
