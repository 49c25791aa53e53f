// SPDX-License-Identifier: Apache-2.0
/*
 * api-gpu ROOT VIRGL_FLAGS SHM_BYTES PATH [ARG...]: a libkrun API client
 * with a GPU: krun_set_root(ROOT), then krun_set_gpu_options(VIRGL_FLAGS)
 * when SHM_BYTES is 0, else krun_set_gpu_options2(VIRGL_FLAGS,
 * SHM_BYTES), and krun_set_exec(PATH, ARGs) with Mesa's shader cache off
 * (ROOT may be writable). krun_start_enter() exits with the workload's
 * status; a failure before that prints the call and exits 125.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/api/libkrun.h"

static int number(const char *s, unsigned long long max,
		  unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end || end == s || *out > max ? -1 : 0;
}

int main(int argc, char *argv[])
{
	static const char *const envp[] = {"MESA_SHADER_CACHE_DISABLE=true",
					   "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
					   NULL};
	unsigned long long flags, shm;
	const char *call = "krun_create_ctx";
	int32_t ctx, ret;

	if (argc < 5 || number(argv[2], UINT32_MAX, &flags) ||
	    number(argv[3], UINT64_MAX, &shm)) {
		fprintf(stderr,
			"usage: api-gpu ROOT VIRGL_FLAGS SHM_BYTES PATH [ARG...]\n");
		return 2;
	}
	ret = ctx = krun_create_ctx();
	if (ret >= 0) {
		call = "krun_set_root";
		ret = krun_set_root((uint32_t)ctx, argv[1]);
	}
	if (ret == 0) {
		call = shm ? "krun_set_gpu_options2" : "krun_set_gpu_options";
		ret = shm ? krun_set_gpu_options2((uint32_t)ctx,
						  (uint32_t)flags, shm)
			  : krun_set_gpu_options((uint32_t)ctx,
						 (uint32_t)flags);
	}
	if (ret == 0) {
		call = "krun_set_exec";
		ret = krun_set_exec((uint32_t)ctx, argv[4],
				    (const char *const *)&argv[5], envp);
	}
	if (ret == 0) {
		call = "krun_start_enter";
		ret = krun_start_enter((uint32_t)ctx);
	}
	fprintf(stderr, "api-gpu: %s failed: %d\n", call, ret);
	return 125;
}
