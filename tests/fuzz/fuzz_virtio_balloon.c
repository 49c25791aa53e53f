// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-balloon's free page reporting queue under the fuzzed driver of
 * virtio_driver.c: queue 3 (reporting when STATS_VQ and REPORTING are
 * negotiated, an unused queue otherwise), with inflate, deflate and stats
 * readied empty. Reported blocks are discarded from the harness's RAM.
 */
#include "fuzz.h"
#include "virtio/balloon.h"
#include "virtio_driver.h"

static struct virtio_device *create(void)
{
	return virtio_balloon_create(NULL);
}

static const struct fuzz_virtio_target target = {
	.create = create, .queue = 3, .all_queues = true};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_virtio_run(&target, data, size);
}
