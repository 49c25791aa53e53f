// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-snd's control queue under the fuzzed driver of virtio_driver.c,
 * with a backend that accepts every stream operation and moves nothing:
 * the queries, the PCM state machine and the backend calls it makes.
 */
#include "fuzz.h"
#include "virtio/snd/snd.h"
#include "virtio_driver.h"

static int ok_prepare(struct snd_backend *be, unsigned int id,
		      const struct snd_pcm_params *p, struct snd_ring *ring,
		      int wake_fd, struct krun_err **err)
{
	return 0;
}

static int ok_op(struct snd_backend *be, unsigned int id, struct krun_err **err)
{
	return 0;
}

static void no_release(struct snd_backend *be, unsigned int id)
{
}

static void no_destroy(struct snd_backend *be)
{
}

static const struct snd_backend_ops fuzz_be_ops = {
	.prepare = ok_prepare,
	.start = ok_op,
	.stop = ok_op,
	.release = no_release,
	.destroy = no_destroy,
};

static struct snd_backend fuzz_be = {.ops = &fuzz_be_ops, .name = "fuzz"};

static struct virtio_device *create(void)
{
	return virtio_snd_create(&fuzz_be, NULL);
}

static const struct fuzz_virtio_target target = {
	.create = create,
	.queue = 0,
	.all_queues = true,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_virtio_run(&target, data, size);
}
