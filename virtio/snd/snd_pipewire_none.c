// SPDX-License-Identifier: Apache-2.0
/* A build without libpipewire-0.3: sound is refused. */
#include <errno.h>

#include "virtio/snd/snd_pipewire.h"

struct snd_backend *snd_pipewire_open(struct thread_launcher *threads,
				      struct krun_err **err)
{
	(void)threads;
	krun_err_set(err, ENOTSUP,
		     "sound: this build has no PipeWire support (built with "
		     "-Dsound=disabled or without libpipewire-0.3)");
	return NULL;
}
