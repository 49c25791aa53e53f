// SPDX-License-Identifier: Apache-2.0
/*
 * krun-init's run-configuration parser (guest_config_parse) on arbitrary
 * bytes. A configuration that parses must hold what the parser promises
 * its caller: a program, NULL-terminated argv and envp, NAME=VALUE
 * entries, absolute mount targets and a root mounted on "/".
 */
#include <string.h>
#include <sys/resource.h>

#include "cmd/krun-init/guest_config.h"
#include "fuzz.h"
#include "lib/guest_abi.h"

static void check_config(const struct guest_config *c)
{
	FUZZ_CHECK(c->argc >= 1 && c->argv[0][0], "no program");
	FUZZ_CHECK(!c->argv[c->argc] && !c->envp[c->envc],
		   "argv or envp not NULL-terminated");
	for (size_t i = 0; i < c->envc; i++)
		FUZZ_CHECK(strchr(c->envp[i], '=') && c->envp[i][0] != '=',
			   "environment entry `%s`", c->envp[i]);
	FUZZ_CHECK(!strcmp(c->root.target, "/"), "root on `%s`",
		   c->root.target);
	for (size_t i = 0; i < c->n_mounts; i++)
		FUZZ_CHECK(c->mounts[i].target[0] == '/' &&
				   c->mounts[i].source[0],
			   "mount `%s` on `%s`", c->mounts[i].source,
			   c->mounts[i].target);
	for (size_t i = 0; i < c->n_rlimits; i++)
		FUZZ_CHECK(c->rlimits[i].resource < RLIMIT_NLIMITS, "rlimit %u",
			   c->rlimits[i].resource);
	FUZZ_CHECK(!(c->flags & ~KRUN_GUEST_F_ALL), "flags %#x", c->flags);
	FUZZ_CHECK(!c->workdir[0] || c->workdir[0] == '/', "workdir `%s`",
		   c->workdir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_config *c = NULL;
	struct krun_err *err = NULL;

	if (guest_config_parse(data, size, &c, &err) < 0) {
		FUZZ_CHECK(err && !c, "failure without a message");
		krun_err_free(&err);
		return 0;
	}
	check_config(c);
	guest_config_free(c);
	return 0;
}
