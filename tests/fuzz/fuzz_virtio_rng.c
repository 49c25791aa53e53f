// SPDX-License-Identifier: Apache-2.0
/* virtio-rng under the fuzzed driver of virtio_driver.c. */
#include "fuzz.h"
#include "virtio/rng.h"
#include "virtio_driver.h"

static struct virtio_device *create(void)
{
	return virtio_rng_create(NULL);
}

static const struct fuzz_virtio_target target = {.create = create};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_virtio_run(&target, data, size);
}
