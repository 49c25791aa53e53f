// SPDX-License-Identifier: Apache-2.0
/*
 * api-default-workload ROOT [KERNEL FORMAT]: a libkrun API client that
 * never calls krun_set_exec, so the guest runs ROOT's /.krun_config.json
 * (or /bin/sh). With KERNEL, krun_set_kernel(KERNEL, FORMAT) boots that
 * kernel instead of the default one. krun_start_enter() exits with the
 * workload's status; a failure before that prints the call and exits 125.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/api/libkrun.h"

int main(int argc, char *argv[])
{
	int32_t ctx, ret;

	if (argc != 2 && argc != 4) {
		fprintf(stderr,
			"usage: api-default-workload ROOT [KERNEL FORMAT]\n");
		return 2;
	}
	ctx = krun_create_ctx();
	if (ctx < 0) {
		fprintf(stderr, "krun_create_ctx: %d\n", ctx);
		return 125;
	}
	ret = krun_set_root((uint32_t)ctx, argv[1]);
	if (ret == 0 && argc == 4)
		ret = krun_set_kernel((uint32_t)ctx, argv[2],
				      (uint32_t)strtoul(argv[3], NULL, 10),
				      NULL, NULL);
	if (ret == 0)
		ret = krun_start_enter((uint32_t)ctx);
	fprintf(stderr, "api-default-workload: failed: %d\n", ret);
	return 125;
}
