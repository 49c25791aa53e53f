// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpio_tool.h"
#include "tests/unit/test_skip.h"
#include "lib/initramfs/initramfs.h"

static char *test_argv[] = {"-c", "echo hi", NULL};
static char *test_env[] = {"A=1", "PATH=/bin", NULL};

static void base_config(struct krun_config *cfg)
{
	*cfg = (struct krun_config){
		.root_dir = "/srv/rootfs",
		.exec_path = "/bin/sh",
		.argv = test_argv,
		.envp = test_env,
		.shutdown_eventfd = -1,
	};
}

static void default_params_directory_root(void **state)
{
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;

	base_config(&cfg);
	cfg.root_read_only = true;
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	assert_int_equal(p.root.kind, KRUN_GUEST_MOUNT_VIRTIOFS);
	assert_string_equal(p.root.source, KRUN_ROOT_TAG);
	assert_true(p.root.read_only);
	assert_int_equal(p.n_mounts, 0);
}

/* A share with a DAX window is mounted with dax=always; others not. */
static void dax_shares_mount_with_dax(void **state)
{
	struct krun_share shares[] = {
		{.tag = "plain", .host_path = "/p", .guest_path = "/mnt/p"},
		{.tag = "fast",
		 .host_path = "/f",
		 .guest_path = "/mnt/f",
		 .shm_size = 2 << 20},
	};
	static const char opt[] = "\0" KRUN_GUEST_DAX_OPTIONS;
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;
	void *buf = NULL;
	size_t len;
	const char *at, *mnt_f;

	base_config(&cfg);
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	assert_null(p.root.options);
	assert_int_equal(initramfs_encode_config(&cfg, &p, &buf, &len, &err),
			 0);
	assert_null(memmem(buf, len, KRUN_GUEST_DAX_OPTIONS,
			   strlen(KRUN_GUEST_DAX_OPTIONS)));
	free(buf);
	cfg.root_shm_size = 64 << 20;
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	assert_string_equal(p.root.options, "dax=always");
	cfg.root_shm_size = 0;
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	cfg.shares = shares;
	cfg.n_shares = 2;
	assert_int_equal(initramfs_encode_config(&cfg, &p, &buf, &len, &err),
			 0);
	/* Once, after /mnt/f (the mount of /mnt/p comes first), as a
	 * string of its own (the NUL ending the fstype before it). */
	mnt_f = memmem(buf, len, "/mnt/f", 6);
	at = memmem(buf, len, opt, sizeof(opt) - 1);
	assert_non_null(mnt_f);
	assert_non_null(at);
	assert_true(at > mnt_f);
	at += sizeof(opt) - 1;
	assert_null(memmem(at, len - (size_t)(at - (const char *)buf),
			   KRUN_GUEST_DAX_OPTIONS,
			   strlen(KRUN_GUEST_DAX_OPTIONS)));
	free(buf);
}

static void default_params_disk_root(void **state)
{
	struct krun_disk disks[] = {
		{.block_id = "data", .path = "/d.img"},
		{.block_id = "root", .path = "/r.img", .read_only = true},
	};
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;

	base_config(&cfg);
	cfg.root_dir = NULL;
	cfg.disks = disks;
	cfg.n_disks = 2;
	cfg.root_disk_id = "root";
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	assert_int_equal(p.root.kind, KRUN_GUEST_MOUNT_BLOCK_ID);
	assert_string_equal(p.root.source, "root");
	assert_true(p.root.read_only);
	/* A partition of the root disk, which is always the first one. */
	cfg.root_partition = 2;
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	assert_int_equal(p.root.kind, KRUN_GUEST_MOUNT_BLOCK_PATH);
	assert_string_equal(p.root.source, "/dev/vda2");
	assert_true(p.root.read_only);
	cfg.root_partition = 0;

	cfg.root_disk_id = "nope";
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), -ENOENT);
	assert_non_null(strstr(krun_err_msg(err), "`nope`"));
	krun_err_free(&err);

	cfg.root_disk_id = NULL;
	cfg.legacy_root_disk = "/r.img";
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	assert_int_equal(p.root.kind, KRUN_GUEST_MOUNT_BLOCK_PATH);
	assert_string_equal(p.root.source, "/dev/vda");

	cfg.legacy_root_disk = NULL;
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), -EINVAL);
	krun_err_free(&err);
}

static void encode_refuses_bad_input(void **state)
{
	struct initramfs_mount bad = {.kind = KRUN_GUEST_MOUNT_VIRTIOFS,
				      .source = "vol",
				      .target = "relative"};
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;
	void *buf = NULL;
	size_t len;

	base_config(&cfg);
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	cfg.exec_path = NULL;
	assert_int_equal(initramfs_encode_config(&cfg, &p, &buf, &len, &err),
			 -EINVAL);
	assert_non_null(strstr(krun_err_msg(err), "no executable"));
	krun_err_free(&err);

	base_config(&cfg);
	p.mounts = &bad;
	p.n_mounts = 1;
	assert_int_equal(initramfs_encode_config(&cfg, &p, &buf, &len, &err),
			 -EINVAL);
	assert_non_null(strstr(krun_err_msg(err), "absolute"));
	krun_err_free(&err);

	p.n_mounts = 0;
	p.root.kind = 42;
	assert_int_equal(initramfs_encode_config(&cfg, &p, &buf, &len, &err),
			 -EINVAL);
	krun_err_free(&err);
	assert_null(buf);
}

static void check_member(const char *archive, const char *listing,
			 const char *name, const char *mode)
{
	const char *line = cpio_tool_line(listing, name);

	if (!line)
		fail_msg("no `%s` in:\n%s", name, listing);
	assert_memory_equal(line, mode, strlen(mode));
}

static void archive_holds_init_and_config(void **state)
{
	static const char fake_init[] = "\177ELF not really an init";
	static char listing[4096], got[4096];
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;
	void *buf = NULL, *config = NULL;
	size_t len = 0, config_len = 0;
	char *path;

	REQUIRE_TOOL("cpio --version", "GNU cpio");
	base_config(&cfg);
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	assert_int_equal(initramfs_build_with_init(&cfg, &p, fake_init,
						   sizeof(fake_init), &buf,
						   &len, &err),
			 0);
	path = cpio_tool_write_temp(buf, len);
	assert_non_null(path);
	assert_int_equal(cpio_tool_list(path, listing, sizeof(listing)), 0);
	check_member(path, listing, "init", "-rwxr-xr-x");
	check_member(path, listing, "krun/config", "-r--------");
	check_member(path, listing, "dev/console", "crw-------");
	check_member(path, listing, "dev", "drwxr-xr-x");
	check_member(path, listing, "tmp", "drwxrwxrwt");
	assert_int_equal(cpio_tool_extract(path, "init", got, sizeof(got)),
			 sizeof(fake_init));
	assert_memory_equal(got, fake_init, sizeof(fake_init));

	assert_int_equal(
		initramfs_encode_config(&cfg, &p, &config, &config_len, &err),
		0);
	assert_int_equal(
		cpio_tool_extract(path, "krun/config", got, sizeof(got)),
		(long)config_len);
	assert_memory_equal(got, config, config_len);
	unlink(path);
	free(path);
	free(config);
	free(buf);
}

static void embedded_init_or_clear_refusal(void **state)
{
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;
	void *buf = NULL;
	size_t len = 0;
	int ret;

	base_config(&cfg);
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	ret = initramfs_build(&cfg, &p, &buf, &len, &err);
	if (!initramfs_have_init()) {
		assert_int_equal(ret, -ENOTSUP);
		assert_non_null(strstr(krun_err_msg(err), "no guest init"));
		krun_err_free(&err);
		return;
	}
	assert_int_equal(ret, 0);
	/* The static ELF is in the archive, right after its name. */
	assert_non_null(memmem(buf, len, "init\0\0\177ELF", 10));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_params_directory_root),
		cmocka_unit_test(dax_shares_mount_with_dax),
		cmocka_unit_test(default_params_disk_root),
		cmocka_unit_test(encode_refuses_bad_input),
		cmocka_unit_test(archive_holds_init_and_config),
		cmocka_unit_test(embedded_init_or_clear_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
