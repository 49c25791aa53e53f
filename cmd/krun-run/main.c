// SPDX-License-Identifier: Apache-2.0
/*
 * krun-run: run one command in a microVM and exit with its status. Every
 * failure before the guest runs prints exactly one line on stderr,
 * "krun-run: <what>: <problem>", and exits 125.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/guest_abi.h"
#include "lib/spec/config_print.h"
#include "lib/spec/spec.h"
#include "lib/vmm/vmm.h"
#include "options.h"
#include "util/log.h"

static int fail(struct krun_err **err)
{
	fprintf(stderr, "krun-run: %s\n", krun_err_msg(*err));
	krun_err_free(err);
	return KRUN_EXIT_SETUP;
}

static int print_config(const struct krun_config *cfg, struct krun_err **err)
{
	char *json = NULL;

	if (config_to_json(cfg, &json, err) < 0)
		return fail(err);
	fputs(json, stdout);
	free(json);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "krun-run: --print-config: cannot write\n");
		return KRUN_EXIT_SETUP;
	}
	return 0;
}

/* Early, so the spec loader's debug lines show with --log-level debug. */
static int early_log_level(const struct run_options *opts,
			   struct krun_err **err)
{
	uint32_t level;

	if (!opts->log_level)
		return 0;
	if (spec_parse_log_level(opts->log_level, &level, err) < 0)
		return krun_err_wrap(err, "--log-level");
	krun_log_set_level(level);
	return 0;
}

static int run(struct krun_config *cfg, struct krun_err **err)
{
	int status;

	krun_log_set_level(cfg->log_level);
	if (config_check_startable(cfg, err) < 0)
		return fail(err);
	status = vmm_run(cfg, NULL, err);
	if (status < 0)
		return fail(err);
	return status;
}

int main(int argc, char *argv[])
{
	struct run_options opts = {.stdin_is_tty = isatty(STDIN_FILENO) == 1};
	struct krun_config *cfg = NULL;
	struct krun_err *err = NULL;
	int status;

	if (run_options_parse(&opts, argc, argv, &err) < 0)
		return fail(&err);
	if (opts.help || opts.version) {
		fputs(opts.help ? run_options_usage
				: "krun-run " KRUN_RUN_VERSION "\n",
		      stdout);
		run_options_free(&opts);
		return 0;
	}
	if (early_log_level(&opts, &err) < 0 ||
	    run_options_build(&opts, &cfg, &err) < 0) {
		run_options_free(&opts);
		return fail(&err);
	}
	run_options_free(&opts);
	status = opts.print_config ? print_config(cfg, &err) : run(cfg, &err);
	config_free(cfg);
	return status;
}
