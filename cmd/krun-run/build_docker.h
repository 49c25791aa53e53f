/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The docker-compatible flags of krun-run, each with docker's meaning:
 * -v HOST:GUEST[:ro|rw], --mount, -u USER[:GROUP], --group-add, --tmpfs,
 * --sysctl, --domainname, -t, -i, --timeout, --memory and --cpus units.
 * Each applies through the config_* setters; errors name the flag.
 */
#ifndef KRUN_CMD_RUN_BUILD_DOCKER_H
#define KRUN_CMD_RUN_BUILD_DOCKER_H

#include "lib/config/config.h"
#include "options.h"
#include "util/err.h"

/* -v / --volume and --mount (after the root is set). */
int docker_apply_volumes(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err);
/* -u, --group-add, --tmpfs, --sysctl, --domainname, -t, -i, --timeout. */
int docker_apply_process(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err);
/* --cpus N or a decimal (rounded up to whole vCPUs). */
int docker_parse_cpus(const char *text, uint32_t *vcpus, struct krun_err **err);

#endif
