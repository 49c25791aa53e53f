// SPDX-License-Identifier: Apache-2.0
/*
 * The TEE configuration file of libkrun's SEV/SNP/TDX builds
 * (krun_set_tee_config_file): a JSON object with workload_id, cpus,
 * ram_mib, tee ("sev", "snp" or "tdx"), tee_data and attestation_url, all
 * required (other keys are ignored, as libkrun's parser does). This build
 * has no confidential-computing support: a valid file is refused at start
 * with one line naming what is missing; an invalid one with its JSON path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/spec/spec_internal.h"
#include "util/cleanup.h"
#include "util/text_file.h"

static const char *const tee_kinds[] = {"sev", "snp", "tdx", NULL};

static int check_fields(struct json_object *top, const char **tee,
			struct krun_err **err)
{
	static const char *const strings[] = {"workload_id", "tee_data",
					      "attestation_url"};
	const char *s;
	uint64_t n;
	size_t k = 0;
	int ret = sj_expect(top, json_type_object, ".", err);

	for (size_t i = 0; ret == 0 && i < 3; i++) {
		char path[SPEC_JPATH_MAX];

		sj_key(path, "", strings[i]);
		ret = sj_member_string(top, strings[i], path, &s, err);
		if (ret == 0 && i == 0 && !*s)
			ret = sj_fail(err, path, "must not be empty");
	}
	if (ret == 0)
		ret = sj_member_uint(top, "cpus", ".cpus", KRUN_MAX_VCPUS, &n,
				     err);
	if (ret == 0 && n == 0)
		ret = sj_fail(err, ".cpus", "must be at least 1");
	if (ret == 0)
		ret = sj_member_uint(top, "ram_mib", ".ram_mib",
				     KRUN_MAX_RAM_MIB, &n, err);
	if (ret == 0 && n < KRUN_MIN_RAM_MIB)
		ret = sj_fail(err, ".ram_mib", "must be at least %u",
			      KRUN_MIN_RAM_MIB);
	if (ret == 0)
		ret = sj_member_string(top, "tee", ".tee", tee, err);
	while (ret == 0 && tee_kinds[k] && strcmp(tee_kinds[k], *tee))
		k++;
	if (ret == 0 && !tee_kinds[k])
		ret = sj_fail(err, ".tee",
			      "unknown TEE `%s` (expected sev, snp or tdx)",
			      *tee);
	return ret;
}

int spec_tee_config_check(const char *path, char *tee, size_t tee_size,
			  struct krun_err **err)
{
	cleanup_free char *text = NULL;
	struct json_object *top = NULL;
	const char *kind = NULL;
	size_t len;
	int ret = text_file_read(path, SPEC_MAX_FILE_SIZE, &text, &len, err);

	if (ret == 0)
		ret = sj_parse(text, len, &top, err);
	if (ret == 0)
		ret = check_fields(top, &kind, err);
	if (ret == 0 && tee)
		snprintf(tee, tee_size, "%s", kind);
	json_object_put(top);
	if (ret < 0)
		return krun_err_wrap(err, "TEE config `%s`", path);
	return 0;
}

int spec_tee_check_startable(const struct krun_config *cfg,
			     struct krun_err **err)
{
	char tee[8];
	int ret;

	if (!cfg->tee_config_file)
		return 0;
	ret = spec_tee_config_check(cfg->tee_config_file, tee, sizeof(tee),
				    err);
	if (ret < 0)
		return ret;
	return krun_err_set(
		err, ENOTSUP,
		"TEE config `%s` asks for a `%s` guest: this build has no AMD SEV/SNP or Intel TDX support (no memory encryption, attestation or measured boot)",
		cfg->tee_config_file, tee);
}
