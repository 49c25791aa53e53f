// SPDX-License-Identifier: Apache-2.0
#include "hw/kvm/io_bus.h"

#include <errno.h>

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    io_handler_fn handler, void *opaque, struct krun_err **err)
{
	if (!handler || len == 0 || base + len < base)
		return krun_err_set(
			err, EINVAL, "io bus: bad range 0x%llx+0x%llx",
			(unsigned long long)base, (unsigned long long)len);
	if (bus->n_ranges >= IO_BUS_MAX_RANGES)
		return krun_err_set(err, ENOSPC, "io bus: too many ranges");
	for (unsigned int i = 0; i < bus->n_ranges; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len)
			return krun_err_set(
				err, EEXIST,
				"io bus: range 0x%llx overlaps 0x%llx",
				(unsigned long long)base,
				(unsigned long long)r->base);
	}
	bus->ranges[bus->n_ranges++] = (struct io_range){
		.base = base,
		.len = len,
		.handler = handler,
		.opaque = opaque,
	};
	return 0;
}

bool io_bus_dispatch(const struct io_bus *bus, uint64_t addr, uint8_t *data,
		     uint32_t len, bool is_write)
{
	for (unsigned int i = 0; i < bus->n_ranges; i++) {
		const struct io_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base < r->len &&
		    len <= r->len - (addr - r->base)) {
			r->handler(r->opaque, addr - r->base, data, len,
				   is_write);
			return true;
		}
	}
	return false;
}
