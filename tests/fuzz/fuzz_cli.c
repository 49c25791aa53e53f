// SPDX-License-Identifier: Apache-2.0
/*
 * krun-run's command line (run_options_parse, then run_options_build):
 * the input is split at NUL bytes into argv[1..]. Options that name files
 * the builder would read (--spec, --bundle, --env-file) are dropped after
 * parsing so that no input reads the host's files (a FIFO would block);
 * the spec loader has its own harness.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/krun-run/options.h"
#include "fuzz.h"
#include "util/log.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2] = {"krun-run"};
	struct run_options opts = {0};
	struct krun_config *cfg = NULL;
	struct krun_err *err = NULL;
	char *buf = malloc(size + 1);
	int argc = 1;
	int ret;

	FUZZ_CHECK(buf, "out of memory");
	krun_log_set_level(KRUN_LOG_ERROR);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i < size + 1 && argc <= MAX_ARGS;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	opts.stdin_is_tty = size & 1;
	ret = run_options_parse(&opts, argc, argv, &err);
	if (ret < 0) {
		FUZZ_CHECK(err, "run_options_parse failed without a message");
		krun_err_free(&err);
		free(buf);
		return 0;
	}
	opts.spec_path = NULL;
	opts.bundle_dir = NULL;
	opts.env_files.n = 0;
	ret = run_options_build(&opts, &cfg, &err);
	if (ret < 0) {
		FUZZ_CHECK(err, "build failed without a message");
		krun_err_free(&err);
	} else {
		FUZZ_CHECK(cfg, "run_options_build gave no config");
	}
	config_free(cfg);
	run_options_free(&opts);
	free(buf);
	return 0;
}
