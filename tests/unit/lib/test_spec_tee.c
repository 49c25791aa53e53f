// SPDX-License-Identifier: Apache-2.0
/*
 * TEE configuration files: a valid one is refused at start with one line
 * naming the TEE and the missing support; each invalid one with its JSON
 * path; no TEE config, no refusal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_test_util.h"
#include "lib/spec/spec.h"

#define GOOD                                                            \
	"{\"workload_id\":\"w1\",\"cpus\":2,\"ram_mib\":1024,"          \
	"\"tee\":\"snp\",\"tee_data\":\"{\\\"gen\\\":\\\"milan\\\"}\"," \
	"\"attestation_url\":\"http://192.0.2.1:8000\"}"

static char path[] = "/tmp/krun-tee-XXXXXX";

static void write_tee(const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void valid_is_refused_at_start(void **state)
{
	struct krun_config *cfg = *state;
	char tee[8];

	write_tee(GOOD);
	EXPECT_OK(spec_tee_config_check(path, tee, sizeof(tee), &err));
	assert_string_equal(tee, "snp");
	EXPECT_OK(spec_tee_check_startable(cfg, &err)); /* none set */
	EXPECT_OK(config_set_tee_config_file(cfg, path, &err));
	EXPECT_ERR(spec_tee_check_startable(cfg, &err), ENOTSUP,
		   "asks for a `snp` guest: this build has no AMD SEV/SNP or "
		   "Intel TDX support");
}

static void invalid_files(void **state)
{
	static const struct {
		const char *json, *msg;
		int code;
	} bad[] = {
		{"{", "invalid JSON", EINVAL},
		{"[]", ".: expected an object", EINVAL},
		{"{\"cpus\":1}", ".workload_id: missing", EINVAL},
		{"{\"workload_id\":\"\",\"tee_data\":\"\",\"attestation_url\":\"\"}",
		 ".workload_id: must not be empty", EINVAL},
		{"{\"workload_id\":\"w\",\"tee_data\":\"\",\"attestation_url\":\"u\","
		 "\"cpus\":0,\"ram_mib\":512,\"tee\":\"sev\"}",
		 ".cpus: must be at least 1", EINVAL},
		{"{\"workload_id\":\"w\",\"tee_data\":\"\",\"attestation_url\":\"u\","
		 "\"cpus\":1,\"ram_mib\":\"x\",\"tee\":\"sev\"}",
		 ".ram_mib: expected", EINVAL},
		{"{\"workload_id\":\"w\",\"tee_data\":\"\",\"attestation_url\":\"u\","
		 "\"cpus\":1,\"ram_mib\":512,\"tee\":\"sgx\"}",
		 ".tee: unknown TEE `sgx` (expected sev, snp or tdx)", EINVAL},
		{"{\"workload_id\":\"w\",\"tee_data\":\"\",\"attestation_url\":\"u\","
		 "\"cpus\":1,\"ram_mib\":512}",
		 ".tee: missing", EINVAL},
	};
	struct krun_config *cfg = *state;

	EXPECT_OK(config_set_tee_config_file(cfg, path, &err));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];

		write_tee(bad[i].json);
		snprintf(want, sizeof(want), "TEE config `%s`: ", path);
		EXPECT_ERR(spec_tee_check_startable(cfg, &err), bad[i].code,
			   want);
		EXPECT_ERR(spec_tee_check_startable(cfg, &err), bad[i].code,
			   bad[i].msg);
	}
	unlink(path);
	EXPECT_ERR(spec_tee_check_startable(cfg, &err), ENOENT, "cannot read");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CFG_TEST(valid_is_refused_at_start),
		CFG_TEST(invalid_files),
	};
	int fd = mkstemp(path);
	int ret;

	if (fd < 0)
		return 1;
	close(fd);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return ret;
}
