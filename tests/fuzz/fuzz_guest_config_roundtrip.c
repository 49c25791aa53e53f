// SPDX-License-Identifier: Apache-2.0
/*
 * Host encoder to guest parser: the input is a JSON spec. When it loads
 * and the host encodes it (initramfs_default_params, then
 * initramfs_encode_config, as the VMM does), krun-init's parser must
 * accept the bytes and read back the same workload: program, arguments,
 * environment, workdir, hostname, user, rlimits, root and mounts.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/krun-init/guest_config.h"
#include "fuzz.h"
#include "lib/initramfs/initramfs.h"
#include "lib/spec/spec.h"
#include "util/log.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void check_process(const struct krun_config *cfg,
			  const struct guest_config *g)
{
	size_t n = 0;

	FUZZ_CHECK(!strcmp(g->argv[0], cfg->exec_path), "argv[0] `%s`",
		   g->argv[0]);
	for (; cfg->argv && cfg->argv[n]; n++)
		FUZZ_CHECK(n + 1 < g->argc && !strcmp(g->argv[n + 1],
						      cfg->argv[n]),
			   "argv[%zu]", n + 1);
	FUZZ_CHECK(g->argc == n + 1, "argc %zu, expected %zu", g->argc, n + 1);
	for (n = 0; cfg->envp && cfg->envp[n]; n++)
		FUZZ_CHECK(n < g->envc && !strcmp(g->envp[n], cfg->envp[n]),
			   "envp[%zu] `%s`", n, cfg->envp[n]);
	FUZZ_CHECK(g->envc == n, "envc %zu, expected %zu", g->envc, n);
	FUZZ_CHECK(!strcmp(g->workdir, or_empty(cfg->workdir)), "workdir");
	FUZZ_CHECK(!strcmp(g->hostname, or_empty(cfg->hostname)), "hostname");
	FUZZ_CHECK(g->uid == (cfg->has_user ? cfg->uid : 0) &&
			   g->gid == (cfg->has_user ? cfg->gid : 0),
		   "user");
	FUZZ_CHECK(g->n_rlimits == cfg->n_rlimits, "rlimit count");
	for (size_t i = 0; i < g->n_rlimits; i++)
		FUZZ_CHECK(g->rlimits[i].resource ==
					   (uint32_t)cfg->rlimits[i].resource &&
				   g->rlimits[i].cur == cfg->rlimits[i].cur &&
				   g->rlimits[i].max == cfg->rlimits[i].max,
			   "rlimit %zu", i);
}

static void check_mounts(const struct krun_config *cfg,
			 const struct initramfs_params *p,
			 const struct guest_config *g)
{
	size_t k = 0;

	FUZZ_CHECK(g->root.kind == (uint32_t)p->root.kind &&
			   !strcmp(g->root.source, p->root.source),
		   "root `%s`", g->root.source);
	for (size_t i = 0; i < cfg->n_shares; i++) {
		if (!cfg->shares[i].guest_path)
			continue;
		FUZZ_CHECK(k < g->n_mounts &&
				   !strcmp(g->mounts[k].source,
					   cfg->shares[i].tag) &&
				   !strcmp(g->mounts[k].target,
					   cfg->shares[i].guest_path),
			   "share %zu", i);
		k++;
	}
	FUZZ_CHECK(g->n_mounts == k + p->n_mounts, "mount count %zu",
		   g->n_mounts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct initramfs_params params = {0};
	struct spec_result res = {0};
	struct guest_config *g = NULL;
	struct krun_err *err = NULL;
	struct krun_config *cfg;
	void *buf = NULL;
	size_t len = 0;
	char *text;

	if (size > SPEC_MAX_FILE_SIZE)
		return 0;
	krun_log_set_level(KRUN_LOG_ERROR);
	text = malloc(size + 1);
	cfg = config_new(NULL);
	FUZZ_CHECK(text && cfg, "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	if (spec_load_string(cfg, text, NULL, &res, &err) < 0 ||
	    initramfs_default_params(cfg, &params, &err) < 0 ||
	    initramfs_encode_config(cfg, &params, &buf, &len, &err) < 0)
		goto out;
	FUZZ_CHECK(guest_config_parse(buf, len, &g, &err) == 0,
		   "the guest rejects what the host encoded: %s",
		   krun_err_msg(err));
	check_process(cfg, g);
	check_mounts(cfg, &params, g);
	guest_config_free(g);
out:
	krun_err_free(&err);
	free(buf);
	config_free(cfg);
	free(text);
	return 0;
}
