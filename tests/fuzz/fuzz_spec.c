// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON spec loader (spec_load_string) on arbitrary text; a spec that
 * loads is printed back (config_to_json, the --print-config output), which
 * must succeed and yield JSON the loader's own parser accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/config/config.h"
#include "lib/spec/config_print.h"
#include "lib/spec/spec.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec_result res = {0};
	struct krun_err *err = NULL;
	struct krun_config *cfg;
	char *text, *json = NULL;
	int ret;

	if (size > SPEC_MAX_FILE_SIZE)
		return 0;
	krun_log_set_level(KRUN_LOG_ERROR);
	text = malloc(size + 1);
	cfg = config_new(NULL);
	FUZZ_CHECK(text && cfg, "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	/* Every other input resolves relative paths against a bundle. */
	ret = spec_load_string(cfg, text, size & 1 ? "/bundle" : NULL, &res,
			       &err);
	if (ret < 0) {
		FUZZ_CHECK(err && krun_err_msg(err)[0],
			   "spec_load_string failed without a message");
		krun_err_free(&err);
	} else {
		FUZZ_CHECK(!err, "spec_load_string succeeded with an error");
		ret = config_to_json(cfg, &json, &err);
		FUZZ_CHECK(ret == 0 && json, "config_to_json: %s",
			   err ? krun_err_msg(err) : "no text");
		free(json);
	}
	config_free(cfg);
	free(text);
	return 0;
}
