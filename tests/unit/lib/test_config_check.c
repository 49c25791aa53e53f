// SPDX-License-Identifier: Apache-2.0
/* config_check_startable: required pieces and not-yet-built features. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config_test_util.h"

/* A config that passes: an executable and a root directory. */
static int startable_setup(void **state)
{
	struct krun_config *cfg = config_new(NULL);

	if (!cfg ||
	    config_set_exec(cfg, "/bin/sh", NULL, (const char *const[]){NULL},
			    NULL) ||
	    config_set_root(cfg, "/srv/root", NULL))
		return -1;
	*state = cfg;
	return 0;
}

#define START_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, startable_setup, cfg_teardown)

static void minimal_is_startable(void **state)
{
	EXPECT_OK(config_check_startable(*state, &err));
}

/* No executable: spec_default_workload() chooses one at start. */
static void exec_is_optional(void **state)
{
	struct krun_config *cfg = config_new(NULL);

	(void)state;
	assert_non_null(cfg);
	EXPECT_OK(config_set_root(cfg, "/r", &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	config_free(cfg);
}

static void needs_root(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_set_exec(cfg, "/bin/sh", NULL, NULL, &err));
	EXPECT_ERR(config_check_startable(cfg, &err), EINVAL, "no root");
	EXPECT_OK(config_add_disk(cfg, "vda", "/a.img", 0, false, &err));
	/* A disk that is not marked as root is not a root. */
	EXPECT_ERR(config_check_startable(cfg, &err), EINVAL, "no root");
	EXPECT_OK(config_set_root_disk_id(cfg, "vda", &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	EXPECT_OK(config_set_root(cfg, "/r", &err));
	EXPECT_ERR(config_check_startable(cfg, &err), EINVAL,
		   "both a root directory (`/r`) and a root disk");
}

static void partition_needs_disk_root(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_set_exec(cfg, "/bin/sh", NULL, NULL, &err));
	EXPECT_OK(config_set_root(cfg, "/r", &err));
	EXPECT_OK(config_set_root_partition(cfg, 1, &err));
	EXPECT_ERR(config_check_startable(cfg, &err), EINVAL,
		   "a root partition (1) is set but no root disk");
}

static void legacy_root_disk_is_a_root(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_set_exec(cfg, "/bin/sh", NULL, NULL, &err));
	EXPECT_OK(config_set_legacy_root_disk(cfg, "/r.img", &err));
	EXPECT_OK(config_check_startable(cfg, &err));
}

static void accepts_network_backends(void **state)
{
	struct krun_config *cfg = *state;
	int sv[2];

	EXPECT_OK(config_set_net_none(cfg, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	config_free(cfg);
	startable_setup(state);
	cfg = *state;
	EXPECT_OK(config_set_net_passt(cfg, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	config_free(cfg);
	startable_setup(state);
	cfg = *state;
	EXPECT_OK(config_set_gvproxy_path(cfg, "/gv.sock", &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	config_free(cfg);
	startable_setup(state);
	cfg = *state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	EXPECT_OK(config_set_passt_fd(cfg, sv[0], &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	close(sv[0]);
	close(sv[1]);
}

static void accepts_port_maps(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_set_port_map(cfg, (const char *const[]){NULL}, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	EXPECT_OK(config_add_port(cfg, "8080:80", &err));
	EXPECT_OK(config_check_startable(cfg, &err));
}

static void vsock_parent_must_exist(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_add_vsock_port(cfg, 5, "/nonexistent-krun-dir/s", true,
					&err));
	EXPECT_ERR(
		config_check_startable(cfg, &err), ENOENT,
		"invalid vsock socket path `/nonexistent-krun-dir/s`: directory `/nonexistent-krun-dir`");
	config_free(cfg);
	startable_setup(state);
	cfg = *state;
	EXPECT_OK(config_add_vsock_port(cfg, 5, "/etc/passwd/s", false, &err));
	EXPECT_ERR(config_check_startable(cfg, &err), ENOTDIR,
		   "`/etc/passwd` is not a directory");
	config_free(cfg);
	startable_setup(state);
	cfg = *state;
	EXPECT_OK(config_add_vsock_port(cfg, 5, "/tmp/s", true, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
}

static void refuses_devices(void **state)
{
	struct krun_config *cfg = *state;

	/* GPU and sound are recorded (a warning at start), not refused. */
	EXPECT_OK(config_set_gpu(cfg, 0, 0, &err));
	EXPECT_OK(config_set_snd(cfg, true, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	cfg->gpu_enabled = false;
	EXPECT_OK(config_set_snd(cfg, false, &err));
	/* A TEE config passes here: vmm_run validates and refuses it
	 * (spec_tee_check_startable, tests/unit/lib/test_spec_tee.c). */
	EXPECT_OK(config_set_tee_config_file(cfg, "/tee", &err));
	EXPECT_OK(config_check_startable(cfg, &err));
}

static void accepts_oem_and_dax(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(
		config_set_oem_strings(cfg, (const char *const[]){NULL}, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	/* SMBIOS tables are built: OEM strings pass. */
	EXPECT_OK(config_set_oem_strings(cfg, (const char *const[]){"x", NULL},
					 &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	EXPECT_OK(
		config_set_oem_strings(cfg, (const char *const[]){NULL}, &err));
	EXPECT_OK(config_add_share(cfg, "data", "/d", "/data", false, 0, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	/* DAX windows are built: a share's or the root directory's. */
	EXPECT_OK(
		config_add_share(cfg, "dax", "/d", NULL, false, 2 << 20, &err));
	EXPECT_OK(config_set_root_dax(cfg, 64 << 20, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	/* ... but a root disk has no window to give. */
	free(cfg->root_dir);
	cfg->root_dir = NULL;
	EXPECT_OK(config_add_disk(cfg, "raw", "/r", KRUN_FORMAT_RAW, 0, &err));
	EXPECT_OK(config_set_root_disk_id(cfg, "raw", &err));
	EXPECT_ERR(
		config_check_startable(cfg, &err), EINVAL,
		"a DAX window for the root needs a root directory, not a root disk");
	config_free(cfg);
	startable_setup(state);
	cfg = *state;
	EXPECT_OK(config_add_disk(cfg, "raw", "/r", KRUN_FORMAT_RAW, 0, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
	/* qcow2 is built: the config check lets it through. */
	EXPECT_OK(config_add_disk(cfg, "q", "/q", KRUN_FORMAT_QCOW2, 0, &err));
	EXPECT_OK(config_check_startable(cfg, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		START_TEST(minimal_is_startable),
		CFG_TEST(exec_is_optional),
		CFG_TEST(needs_root),
		CFG_TEST(legacy_root_disk_is_a_root),
		CFG_TEST(partition_needs_disk_root),
		START_TEST(accepts_network_backends),
		START_TEST(accepts_port_maps),
		START_TEST(vsock_parent_must_exist),
		START_TEST(refuses_devices),
		START_TEST(accepts_oem_and_dax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
