// SPDX-License-Identifier: Apache-2.0
/*
 * The default workload: the root's /.krun_config.json (its OCI process),
 * else /bin/sh; what the caller set wins; the file is confined to the root
 * and malformed files are refused with the file and JSON path named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_test_util.h"
#include "lib/spec/spec.h"

struct fixture {
	char root[64];
	char outside[128];
	struct krun_config *cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->root, "/tmp/krun-spec-default-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->outside, sizeof(f->outside), "%s.outside.json", f->root);
	f->cfg = config_new(NULL);
	if (!f->cfg || config_set_root(f->cfg, f->root, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", f->root, f->outside);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->root);
	config_free(f->cfg);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void write_config(struct fixture *f, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/.krun_config.json", f->root);
	write_file(path, text);
}

static void no_file_runs_sh(void **state)
{
	struct fixture *f = *state;

	EXPECT_OK(spec_default_workload(f->cfg, &err));
	assert_string_equal(f->cfg->exec_path, "/bin/sh");
	assert_null(f->cfg->argv[0]);
	/* Nothing invented: no environment was set. */
	assert_null(f->cfg->envp);
}

static void process_from_file(void **state)
{
	struct fixture *f = *state;
	struct krun_config *cfg = f->cfg;

	write_config(
		f,
		"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
		"\"process\":{\"terminal\":false,"
		"\"user\":{\"uid\":7,\"gid\":8},"
		"\"args\":[\"/bin/echo\",\"a b\",\"c\"],"
		"\"env\":[\"A=1\",\"PATH=/bin\"],\"cwd\":\"/tmp\","
		"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
		"\"hard\":100,\"soft\":50}]},"
		"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"}]}");
	EXPECT_OK(spec_default_workload(cfg, &err));
	assert_string_equal(cfg->exec_path, "/bin/echo");
	assert_string_equal(cfg->argv[0], "a b");
	assert_string_equal(cfg->argv[1], "c");
	assert_null(cfg->argv[2]);
	assert_string_equal(cfg->envp[0], "A=1");
	assert_string_equal(cfg->envp[1], "PATH=/bin");
	assert_null(cfg->envp[2]);
	assert_string_equal(cfg->workdir, "/tmp");
	assert_true(cfg->has_user);
	assert_int_equal(cfg->uid, 7);
	assert_int_equal(cfg->gid, 8);
	assert_int_equal(cfg->n_rlimits, 1);
	assert_int_equal(cfg->rlimits[0].cur, 50);
	assert_int_equal(cfg->tty, KRUN_NO);
	/* Mounts are the preparing runtime's business, not the VM's. */
	assert_int_equal(cfg->n_fsmounts, 0);
}

static void caller_wins(void **state)
{
	struct fixture *f = *state;
	struct krun_config *cfg = f->cfg;

	write_config(f, "{\"process\":{\"args\":[\"/bin/true\"],"
			"\"env\":[\"A=file\",\"B=file\"],\"cwd\":\"/tmp\","
			"\"user\":{\"uid\":7,\"gid\":8},\"terminal\":true}}");
	EXPECT_OK(config_set_env(cfg, (const char *const[]){"B=caller", NULL},
				 &err));
	EXPECT_OK(config_set_workdir(cfg, "/home", &err));
	EXPECT_OK(config_set_user(cfg, 1, 2, &err));
	EXPECT_OK(config_set_tty(cfg, KRUN_NO, &err));
	EXPECT_OK(spec_default_workload(cfg, &err));
	assert_string_equal(cfg->exec_path, "/bin/true");
	assert_string_equal(cfg->envp[0], "A=file");
	assert_string_equal(cfg->envp[1], "B=caller");
	assert_null(cfg->envp[2]);
	assert_string_equal(cfg->workdir, "/home");
	assert_int_equal(cfg->uid, 1);
	assert_int_equal(cfg->tty, KRUN_NO);
}

static void exec_set_env_only(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = {"-l", NULL};

	write_config(f, "{\"process\":{\"args\":[\"/bin/echo\"],"
			"\"env\":[\"A=file\",\"B=file\"],\"cwd\":\"/tmp\"}}");
	EXPECT_OK(config_set_exec(f->cfg, "/bin/ls", argv,
				  (const char *const[]){"B=caller", NULL},
				  &err));
	EXPECT_OK(spec_default_workload(f->cfg, &err));
	assert_string_equal(f->cfg->exec_path, "/bin/ls");
	assert_string_equal(f->cfg->argv[0], "-l");
	assert_null(f->cfg->argv[1]);
	assert_null(f->cfg->workdir);
	assert_string_equal(f->cfg->envp[0], "A=file");
	assert_string_equal(f->cfg->envp[1], "B=caller");
	assert_null(f->cfg->envp[2]);
}

static void exec_set_bad_file_refused(void **state)
{
	struct fixture *f = *state;
	struct krun_err *e = NULL;

	write_config(f, "not json");
	EXPECT_OK(config_set_exec(f->cfg, "/bin/ls", NULL,
				  (const char *const[]){NULL}, &err));
	assert_true(spec_default_workload(f->cfg, &e) < 0);
	assert_non_null(strstr(krun_err_msg(e), ".krun_config.json"));
	krun_err_free(&e);
}

static void no_args_runs_sh_with_env(void **state)
{
	struct fixture *f = *state;

	write_config(f, "{\"process\":{\"env\":[\"X=1\"],\"cwd\":\"/\"}}");
	EXPECT_OK(spec_default_workload(f->cfg, &err));
	assert_string_equal(f->cfg->exec_path, "/bin/sh");
	assert_string_equal(f->cfg->envp[0], "X=1");
}

static void malformed_files(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{"{", "invalid JSON at line 1"},
		{"[]", ".: expected an object"},
		{"{\"process\":{\"args\":[]}}",
		 ".process.args: must not be empty"},
		{"{\"process\":{\"args\":[1]}}",
		 ".process.args[0]: expected a string"},
		{"{\"process\":{\"env\":[\"NOEQUALS\"],\"args\":[\"/x\"]}}",
		 ".process.env"},
		{"{\"process\":{\"cwd\":\"relative\"}}", ".process.cwd"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[160];

		write_config(f, bad[i].json);
		snprintf(want, sizeof(want), "%s/.krun_config.json: %s",
			 f->root, bad[i].msg);
		EXPECT_ERR(spec_default_workload(f->cfg, &err), EINVAL, want);
		assert_null(f->cfg->exec_path);
	}
}

static void symlink_stays_in_root(void **state)
{
	struct fixture *f = *state;
	char link[128], inside[128];

	/* An absolute symlink to a file outside: resolved inside the root,
	 * where that path does not exist, so the default shell runs. */
	write_file(f->outside, "{\"process\":{\"args\":[\"/outside\"]}}");
	snprintf(link, sizeof(link), "%s/.krun_config.json", f->root);
	assert_int_equal(symlink(f->outside, link), 0);
	EXPECT_OK(spec_default_workload(f->cfg, &err));
	assert_string_equal(f->cfg->exec_path, "/bin/sh");

	/* "../" cannot climb out either. */
	free(f->cfg->exec_path);
	f->cfg->exec_path = NULL;
	assert_int_equal(unlink(link), 0);
	snprintf(inside, sizeof(inside), "../%s", strrchr(f->outside, '/') + 1);
	assert_int_equal(symlink(inside, link), 0);
	EXPECT_OK(spec_default_workload(f->cfg, &err));
	assert_string_equal(f->cfg->exec_path, "/bin/sh");

	/* A symlink inside the root is followed. */
	free(f->cfg->exec_path);
	f->cfg->exec_path = NULL;
	assert_int_equal(unlink(link), 0);
	snprintf(inside, sizeof(inside), "%s/real.json", f->root);
	write_file(inside, "{\"process\":{\"args\":[\"/inside\"]}}");
	assert_int_equal(symlink("/real.json", link), 0);
	EXPECT_OK(spec_default_workload(f->cfg, &err));
	assert_string_equal(f->cfg->exec_path, "/inside");
}

static void not_regular_refused(void **state)
{
	struct fixture *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/.krun_config.json", f->root);
	assert_int_equal(mkfifo(path, 0600), 0);
	EXPECT_ERR(spec_default_workload(f->cfg, &err), EINVAL,
		   "not a regular file");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	EXPECT_ERR(spec_default_workload(f->cfg, &err), EINVAL,
		   "not a regular file");
}

static void too_big_refused(void **state)
{
	struct fixture *f = *state;
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/.krun_config.json", f->root);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SPEC_MAX_FILE_SIZE + 1), 0);
	close(fd);
	EXPECT_ERR(spec_default_workload(f->cfg, &err), EFBIG, "larger than");
}

static void disk_root_runs_sh(void **state)
{
	struct krun_config *cfg = config_new(NULL);

	(void)state;
	assert_non_null(cfg);
	EXPECT_OK(config_set_legacy_root_disk(cfg, "/nonexistent.img", &err));
	EXPECT_OK(spec_default_workload(cfg, &err));
	assert_string_equal(cfg->exec_path, "/bin/sh");
	config_free(cfg);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(no_file_runs_sh),
		T(process_from_file),
		T(caller_wins),
		T(exec_set_env_only),
		T(exec_set_bad_file_refused),
		T(no_args_runs_sh_with_env),
		T(malformed_files),
		T(symlink_stays_in_root),
		T(not_regular_refused),
		T(too_big_refused),
		T(disk_root_runs_sh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
