// SPDX-License-Identifier: Apache-2.0
/* Setters of the context model: valid input, invalid input, ordering. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config_test_util.h"
#include "hw/x86/smbios.h"
#include "tests/unit/lib/config_assert.h"

static void defaults(void **state)
{
	struct krun_config *cfg = *state;

	assert_int_equal(cfg->vcpus, KRUN_DEFAULT_VCPUS);
	assert_int_equal(cfg->ram_mib, KRUN_DEFAULT_RAM_MIB);
	assert_int_equal(cfg->net_mode, KRUN_NET_DEFAULT);
	assert_int_equal(cfg->passt_fd, -1);
	assert_int_equal(cfg->shutdown_eventfd, -1);
	assert_false(cfg->port_map_set);
	assert_null(cfg->envp);
	assert_null(cfg->exec_path);
	assert_int_equal(cfg->disk_api, KRUN_DISK_API_UNSET);
}

static void vm_size(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_set_vm(cfg, 4, 2048, &err));
	assert_int_equal(cfg->vcpus, 4);
	assert_int_equal(cfg->ram_mib, 2048);
	EXPECT_ERR(config_set_vm(cfg, 0, 1024, &err), EINVAL,
		   "invalid vCPU count `0`: must be 1..64");
	EXPECT_ERR(config_set_vm(cfg, 8, 31, &err), EINVAL,
		   "invalid RAM size `31` MiB");
	/* Neither half of a failed call lands. */
	assert_int_equal(cfg->vcpus, 4);
	assert_int_equal(cfg->ram_mib, 2048);
	EXPECT_ERR(config_set_vcpus(cfg, KRUN_MAX_VCPUS + 1, &err), EINVAL,
		   "`65`");
	EXPECT_OK(config_set_vcpus(cfg, KRUN_MAX_VCPUS, &err));
	EXPECT_ERR(config_set_ram(cfg, KRUN_MAX_RAM_MIB + 1, &err), EINVAL,
		   "invalid RAM size");
	EXPECT_OK(config_set_ram(cfg, KRUN_MIN_RAM_MIB, &err));
	EXPECT_OK(config_set_ram(cfg, KRUN_MAX_RAM_MIB, &err));
	assert_int_equal(cfg->vcpus, KRUN_MAX_VCPUS);
	assert_int_equal(cfg->ram_mib, KRUN_MAX_RAM_MIB);
}

static void root_dir(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_ERR(config_set_root(cfg, NULL, &err), EINVAL,
		   "root directory: no path given");
	EXPECT_ERR(config_set_root(cfg, "", &err), EINVAL,
		   "empty root directory path");
	EXPECT_OK(config_set_root(cfg, "/nonexistent/yet", &err));
	EXPECT_OK(config_set_root(cfg, "/srv/root", &err));
	assert_string_equal(cfg->root_dir, "/srv/root");
	EXPECT_OK(config_set_root_read_only(cfg, true, &err));
	assert_true(cfg->root_read_only);
}

static void legacy_then_modern_disks(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_ERR(config_set_legacy_root_disk(cfg, "", &err), EINVAL,
		   "empty root disk path");
	assert_int_equal(cfg->disk_api, KRUN_DISK_API_UNSET);
	EXPECT_OK(config_set_legacy_root_disk(cfg, "/r.img", &err));
	EXPECT_OK(config_set_legacy_data_disk(cfg, "/d.img", &err));
	EXPECT_ERR(config_add_disk(cfg, "vda", "/x.img", KRUN_FORMAT_RAW, false,
				   &err),
		   EINVAL, "mutually exclusive");
	assert_int_equal(cfg->n_disks, 0);
	assert_string_equal(cfg->legacy_root_disk, "/r.img");
	assert_string_equal(cfg->legacy_data_disk, "/d.img");
}

static void modern_then_legacy_disks(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_add_disk(cfg, "vda", "/x.img", KRUN_FORMAT_RAW, true,
				  &err));
	EXPECT_ERR(config_set_legacy_root_disk(cfg, "/r.img", &err), EINVAL,
		   "mutually exclusive");
	EXPECT_ERR(config_set_legacy_data_disk(cfg, "/d.img", &err), EINVAL,
		   "mutually exclusive");
	assert_null(cfg->legacy_root_disk);
	assert_null(cfg->legacy_data_disk);
	assert_int_equal(cfg->disk_api, KRUN_DISK_API_MODERN);
}

static void add_disk_validation(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_ERR(config_add_disk(cfg, NULL, "/a", 0, false, &err), EINVAL,
		   "no block id");
	EXPECT_ERR(config_add_disk(cfg, "", "/a", 0, false, &err), EINVAL,
		   "empty disk block id");
	EXPECT_ERR(config_add_disk(cfg, "a23456789012345678901", "/a", 0, false,
				   &err),
		   EINVAL, "longer than 20 bytes");
	EXPECT_ERR(config_add_disk(cfg, "a b", "/a", 0, false, &err), EINVAL,
		   "invalid block id `a b`");
	EXPECT_ERR(config_add_disk(cfg, "a:b", "/a", 0, false, &err), EINVAL,
		   "invalid block id `a:b`");
	EXPECT_ERR(config_add_disk(cfg, "vda", NULL, 0, false, &err), EINVAL,
		   "disk image: no path given");
	EXPECT_ERR(config_add_disk(cfg, "vda", "/a", 2, false, &err), EINVAL,
		   "invalid disk format `2`");
	assert_int_equal(cfg->disk_api, KRUN_DISK_API_UNSET);
	EXPECT_OK(config_add_disk(cfg, "a2345678901234567890", "/a",
				  KRUN_FORMAT_QCOW2, false, &err));
	EXPECT_OK(config_add_disk(cfg, "data_1.x-y", "/b", KRUN_FORMAT_RAW,
				  true, &err));
	EXPECT_ERR(config_add_disk(cfg, "data_1.x-y", "/c", 0, false, &err),
		   EEXIST, "duplicate block id `data_1.x-y`");
	assert_int_equal(cfg->n_disks, 2);
	assert_string_equal(cfg->disks[1].path, "/b");
	assert_true(cfg->disks[1].read_only);
	assert_int_equal(cfg->disks[0].format, KRUN_FORMAT_QCOW2);
}

static void root_disk_id(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_ERR(config_set_root_disk_id(cfg, "vda", &err), ENOENT,
		   "no disk with this block id");
	EXPECT_OK(config_add_disk(cfg, "vda", "/a", 0, false, &err));
	EXPECT_ERR(config_set_root_disk_id(cfg, NULL, &err), EINVAL,
		   "no block id");
	EXPECT_OK(config_set_root_disk_id(cfg, "vda", &err));
	assert_string_equal(cfg->root_disk_id, "vda");
	EXPECT_ERR(config_set_root_partition(cfg, 129, &err), EINVAL,
		   "must be 1 to 128");
	assert_int_equal(cfg->root_partition, 0);
	EXPECT_OK(config_set_root_partition(cfg, 128, &err));
	assert_int_equal(cfg->root_partition, 128);
}

static void share_validation(void **state)
{
	struct krun_config *cfg = *state;
	char long_tag[KRUN_MAX_TAG_LEN + 2];

	memset(long_tag, 't', sizeof(long_tag) - 1);
	long_tag[sizeof(long_tag) - 1] = '\0';
	EXPECT_ERR(config_add_share(cfg, NULL, "/h", NULL, false, 0, &err),
		   EINVAL, "no tag given");
	EXPECT_ERR(config_add_share(cfg, "", "/h", NULL, false, 0, &err),
		   EINVAL, "empty virtio-fs tag");
	EXPECT_ERR(config_add_share(cfg, long_tag, "/h", NULL, false, 0, &err),
		   EINVAL, "longer than 36 bytes");
	EXPECT_ERR(config_add_share(cfg, "a tag", "/h", NULL, false, 0, &err),
		   EINVAL, "invalid virtio-fs tag `a tag`");
	EXPECT_ERR(
		config_add_share(cfg, "/dev/root", "/h", NULL, false, 0, &err),
		EINVAL, "reserved for the root");
	EXPECT_ERR(config_add_share(cfg, "t", "", NULL, false, 0, &err), EINVAL,
		   "empty shared directory path");
	EXPECT_ERR(config_add_share(cfg, "t", "/h", "rel", false, 0, &err),
		   EINVAL, "must be absolute");
	EXPECT_ERR(config_add_share(cfg, "t", "/h", "/", false, 0, &err),
		   EINVAL, "cannot mount over the root");
	assert_int_equal(cfg->n_shares, 0);
	long_tag[KRUN_MAX_TAG_LEN] = '\0';
	EXPECT_ERR(
		config_add_share(cfg, long_tag, "/h", "/mnt", true, 4096, &err),
		EINVAL,
		"a DAX window of 4096 bytes: must be a multiple of 2 MiB, at most 1 TiB");
	EXPECT_ERR(config_add_share(cfg, long_tag, "/h", "/mnt", true,
				    (1ull << 40) + (2 << 20), &err),
		   EINVAL, "at most 1 TiB");
	assert_int_equal(cfg->n_shares, 0);
	EXPECT_OK(config_add_share(cfg, long_tag, "/h", "/mnt", true, 4 << 20,
				   &err));
	EXPECT_ERR(config_add_share(cfg, long_tag, "/h2", NULL, false, 0, &err),
		   EEXIST, "duplicate virtio-fs tag");
	EXPECT_ERR(config_add_share(cfg, "t2", "/h2", "/mnt", false, 0, &err),
		   EEXIST, "duplicate guest path `/mnt`");
	EXPECT_OK(config_add_share(cfg, "t2", "/h2", NULL, false, 0, &err));
	assert_int_equal(cfg->n_shares, 2);
	assert_string_equal(cfg->shares[0].guest_path, "/mnt");
	assert_true(cfg->shares[0].read_only);
	assert_int_equal(cfg->shares[0].shm_size, 4 << 20);
	assert_null(cfg->shares[1].guest_path);
}

static void mapped_volumes_unsupported(void **state)
{
	const char *const vols[] = {"/a:/b", NULL};

	EXPECT_ERR(config_set_mapped_volumes(*state, vols, &err), EINVAL,
		   "no longer supported");
	EXPECT_ERR(config_set_mapped_volumes(*state, NULL, &err), EINVAL,
		   "no longer supported");
}

static bool strv_contains(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static void exec_and_env(void **state)
{
	struct krun_config *cfg = *state;
	const char *const argv[] = {"-c", "echo hi", NULL};
	const char *const env[] = {"A=1", "B=", NULL};
	const char *const bad_env[] = {"A=1", "NOEQUALS", NULL};

	EXPECT_ERR(config_set_exec(cfg, NULL, argv, env, &err), EINVAL,
		   "executable: no path given");
	EXPECT_ERR(config_set_exec(cfg, "", argv, env, &err), EINVAL,
		   "empty executable path");
	EXPECT_OK(config_set_exec(cfg, "/bin/sh", argv, env, &err));
	assert_string_equal(cfg->exec_path, "/bin/sh");
	assert_string_equal(cfg->argv[1], "echo hi");
	assert_null(cfg->argv[2]);
	assert_string_equal(cfg->envp[1], "B=");
	EXPECT_ERR(config_set_exec(cfg, "/bin/true", NULL, bad_env, &err),
		   EINVAL, "invalid environment entry `NOEQUALS`");
	assert_string_equal(cfg->exec_path, "/bin/sh");
	assert_string_equal(cfg->argv[0], "-c");
	EXPECT_OK(config_set_exec(cfg, "/bin/true", NULL, env, &err));
	assert_null(cfg->argv[0]);
}

static void exec_null_env_copies_host(void **state)
{
	struct krun_config *cfg = *state;

	setenv("KRUN_TEST_MARKER", "42", 1);
	EXPECT_OK(config_set_exec(cfg, "/bin/sh", NULL, NULL, &err));
	assert_true(strv_contains(cfg->envp, "KRUN_TEST_MARKER=42"));
	EXPECT_OK(
		config_set_env(cfg, (const char *const[]){"X=1", NULL}, &err));
	assert_false(strv_contains(cfg->envp, "KRUN_TEST_MARKER=42"));
	EXPECT_OK(config_set_env(cfg, NULL, &err));
	assert_true(strv_contains(cfg->envp, "KRUN_TEST_MARKER=42"));
	unsetenv("KRUN_TEST_MARKER");
}

static void put_env(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_ERR(config_put_env(cfg, "=x", &err), EINVAL,
		   "empty variable name");
	EXPECT_ERR(config_put_env(cfg, NULL, &err), EINVAL, "none given");
	assert_null(cfg->envp);
	EXPECT_OK(config_put_env(cfg, "A=1", &err));
	EXPECT_OK(config_put_env(cfg, "B=2", &err));
	EXPECT_OK(config_put_env(cfg, "A=3", &err));
	EXPECT_OK(config_put_env(cfg, "AB=4", &err));
	assert_string_equal(cfg->envp[0], "A=3");
	assert_string_equal(cfg->envp[1], "B=2");
	assert_string_equal(cfg->envp[2], "AB=4");
	assert_null(cfg->envp[3]);
}

static void workdir_hostname_user(void **state)
{
	struct krun_config *cfg = *state;

	/* Relative: from the guest's root, as libkrun. */
	EXPECT_OK(config_set_workdir(cfg, "tmp", &err));
	assert_string_equal(cfg->workdir, "/tmp");
	EXPECT_ERR(config_set_workdir(cfg, NULL, &err), EINVAL, "no path");
	EXPECT_OK(config_set_workdir(cfg, "/tmp", &err));
	assert_string_equal(cfg->workdir, "/tmp");
	EXPECT_ERR(config_set_hostname(cfg, "a/b", &err), EINVAL,
		   "invalid hostname `a/b`");
	EXPECT_ERR(config_set_hostname(cfg, "", &err), EINVAL,
		   "empty hostname");
	EXPECT_ERR(config_set_hostname(cfg, NULL, &err), EINVAL, "none given");
	EXPECT_ERR(
		config_set_hostname(
			cfg,
			"h2345678901234567890123456789012345678901234567890123456789012345",
			&err),
		EINVAL, "longer than 64 bytes");
	EXPECT_OK(config_set_hostname(cfg, "vm-1.example_x", &err));
	assert_string_equal(cfg->hostname, "vm-1.example_x");
	EXPECT_ERR(config_set_user(cfg, UINT32_MAX, 0, &err), EINVAL,
		   "invalid uid");
	EXPECT_ERR(config_set_user(cfg, 0, UINT32_MAX, &err), EINVAL,
		   "invalid gid");
	assert_false(cfg->has_user);
	EXPECT_OK(config_set_user(cfg, 1000, 100, &err));
	assert_true(cfg->has_user);
	assert_int_equal(cfg->uid, 1000);
	assert_int_equal(cfg->gid, 100);
	EXPECT_OK(config_set_terminal(cfg, true, &err));
	assert_true(cfg->terminal);
}

static void rlimit_lists(void **state)
{
	struct krun_config *cfg = *state;
	const char *const good[] = {"NOFILE=1024:4096", "6=10:unlimited", NULL};
	const char *const dup[] = {"NOFILE=1:2", "rlimit_nofile=3:4", NULL};
	const char *const bad[] = {"CORE=0:0", "BOGUS=1:2", NULL};

	EXPECT_ERR(config_set_rlimits(cfg, NULL, &err), EINVAL, "no list");
	EXPECT_OK(config_set_rlimits(cfg, good, &err));
	assert_int_equal(cfg->n_rlimits, 2);
	assert_int_equal(cfg->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(cfg->rlimits[0].cur, 1024);
	assert_int_equal(cfg->rlimits[0].max, 4096);
	assert_int_equal(cfg->rlimits[1].resource, 6);
	assert_true(cfg->rlimits[1].max == RLIM_INFINITY);
	EXPECT_ERR(config_set_rlimits(cfg, dup, &err), EEXIST,
		   "NOFILE is given twice");
	EXPECT_ERR(config_set_rlimits(cfg, bad, &err), EINVAL,
		   "unknown resource `BOGUS`");
	assert_int_equal(cfg->n_rlimits, 2);
	EXPECT_OK(config_add_rlimit(cfg, "nofile=5:6", &err));
	EXPECT_OK(config_add_rlimit(cfg, "CORE=0:0", &err));
	assert_int_equal(cfg->n_rlimits, 3);
	assert_int_equal(cfg->rlimits[0].cur, 5);
	assert_int_equal(cfg->rlimits[2].resource, RLIMIT_CORE);
	EXPECT_OK(config_set_rlimits(cfg, (const char *const[]){NULL}, &err));
	assert_int_equal(cfg->n_rlimits, 0);
}

static void passt_fd_rules(void **state)
{
	struct krun_config *cfg = *state;
	const char *const ports[] = {"8080:80", NULL};
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	EXPECT_ERR(config_set_passt_fd(cfg, -1, &err), EINVAL,
		   "invalid passt fd `-1`");
	EXPECT_ERR(config_set_passt_fd(cfg, sv[1], &err), EBADF,
		   "not an open file descriptor");
	EXPECT_OK(config_set_passt_fd(cfg, sv[0], &err));
	assert_int_equal(cfg->net_mode, KRUN_NET_PASST_FD);
	assert_int_equal(cfg->passt_fd, sv[0]);
	EXPECT_ERR(config_set_port_map(cfg, ports, &err), ENOTSUP,
		   "port mapping is not supported");
	EXPECT_ERR(config_set_port_map(cfg, NULL, &err), ENOTSUP,
		   "port mapping is not supported");
	EXPECT_ERR(config_add_port(cfg, "1:2", &err), ENOTSUP,
		   "port mapping is not supported");
	EXPECT_ERR(config_set_gvproxy_path(cfg, "/run/gv.sock", &err), EINVAL,
		   "already configured");
	EXPECT_ERR(config_set_net_passt(cfg, &err), EINVAL,
		   "already configured");
	EXPECT_ERR(config_set_net_none(cfg, &err), EINVAL,
		   "already configured");
	assert_null(cfg->gvproxy_path);
	assert_false(cfg->port_map_set);
	config_free(cfg); /* the fd is the caller's: still open afterwards */
	*state = NULL;
	assert_true(fcntl(sv[0], F_GETFD) >= 0);
	close(sv[0]);
}

static void gvproxy_rules(void **state)
{
	struct krun_config *cfg = *state;
	int sv[2];

	EXPECT_ERR(config_set_gvproxy_path(cfg, "", &err), EINVAL,
		   "empty gvproxy socket path");
	EXPECT_OK(config_set_gvproxy_path(cfg, "/run/gv.sock", &err));
	EXPECT_OK(config_set_gvproxy_path(cfg, "/run/gv2.sock", &err));
	assert_string_equal(cfg->gvproxy_path, "/run/gv2.sock");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	EXPECT_ERR(config_set_passt_fd(cfg, sv[0], &err), EINVAL,
		   "gvproxy networking is already configured");
	assert_int_equal(cfg->passt_fd, -1);
	close(sv[0]);
	close(sv[1]);
	EXPECT_ERR(config_set_port_map(cfg, (const char *const[]){NULL}, &err),
		   ENOTSUP, "not supported with gvproxy");
}

static void port_map_rules(void **state)
{
	struct krun_config *cfg = *state;
	const char *const two[] = {"8080:80", "2222:22", NULL};
	const char *const dup[] = {"8080:80", "8080:81", NULL};
	const char *const bad[] = {"1:1", "80:x", NULL};
	const char *const none[] = {NULL};
	int sv[2];

	EXPECT_OK(config_set_port_map(cfg, two, &err));
	assert_true(cfg->port_map_set);
	assert_int_equal(cfg->n_ports, 2);
	assert_int_equal(cfg->ports[1].host, 2222);
	assert_int_equal(cfg->ports[1].guest, 22);
	EXPECT_ERR(config_set_port_map(cfg, dup, &err), EEXIST,
		   "host port 8080/tcp is already mapped");
	EXPECT_ERR(
		config_set_port_map(cfg, bad, &err), EINVAL,
		"invalid port map `80:x`: guest port is not a number in 1..65535");
	assert_int_equal(cfg->n_ports, 2);
	EXPECT_ERR(config_add_port(cfg, "8080:90", &err), EEXIST,
		   "already mapped");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	EXPECT_ERR(config_set_passt_fd(cfg, sv[0], &err), ENOTSUP,
		   "a port map is set");
	EXPECT_ERR(config_set_net_none(cfg, &err), EINVAL, "a port map is set");
	close(sv[0]);
	close(sv[1]);
	/* Empty list ("expose none") and NULL ("expose all") differ. */
	EXPECT_OK(config_set_port_map(cfg, none, &err));
	assert_true(cfg->port_map_set);
	assert_int_equal(cfg->n_ports, 0);
	EXPECT_OK(config_set_port_map(cfg, NULL, &err));
	assert_false(cfg->port_map_set);
	assert_null(cfg->ports);
}

static void passt_mode_ports_and_none(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_set_net_passt(cfg, &err));
	EXPECT_OK(config_add_port(cfg, "8080:80", &err));
	EXPECT_OK(config_add_port(cfg, "8443:443", &err));
	assert_int_equal(cfg->n_ports, 2);
	assert_true(cfg->port_map_set);
	config_free(cfg);
	*state = cfg = config_new(NULL);
	EXPECT_OK(config_set_net_none(cfg, &err));
	EXPECT_ERR(config_add_port(cfg, "8080:80", &err), EINVAL,
		   "networking is disabled");
	EXPECT_ERR(config_set_port_map(cfg, (const char *const[]){"1:2", NULL},
				       &err),
		   EINVAL, "networking is disabled");
	EXPECT_OK(config_set_port_map(cfg, (const char *const[]){NULL}, &err));
	EXPECT_ERR(config_set_net_passt(cfg, &err), EINVAL,
		   "no networking is already configured");
}

static void mac_rules(void **state)
{
	struct krun_config *cfg = *state;
	const uint8_t zero[6] = {0};
	const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t good[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	EXPECT_ERR(config_set_mac(cfg, NULL, &err), EINVAL, "none given");
	EXPECT_ERR(config_set_mac(cfg, zero, &err), EINVAL, "all zero");
	EXPECT_ERR(config_set_mac(cfg, multicast, &err), EINVAL,
		   "`01:00:5e:00:00:01`: multicast");
	EXPECT_ERR(config_set_mac(cfg, bcast, &err), EINVAL, "multicast");
	assert_false(cfg->mac_set);
	EXPECT_OK(config_set_mac(cfg, good, &err));
	assert_true(cfg->mac_set);
	assert_memory_equal(cfg->mac, good, 6);
}

static void vsock_rules(void **state)
{
	struct krun_config *cfg = *state;

	char long_path[120];

	EXPECT_ERR(config_add_vsock_port(cfg, UINT32_MAX, "/s", false, &err),
		   EINVAL, "reserved");
	EXPECT_ERR(config_add_vsock_port(cfg, 0, "/s", false, &err), EINVAL,
		   "invalid vsock port `0`: must be 1..4294967294");
	EXPECT_ERR(config_add_vsock_port(cfg, 1024, "", false, &err), EINVAL,
		   "empty vsock socket path");
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = 0;
	EXPECT_ERR(config_add_vsock_port(cfg, 1024, long_path, true, &err),
		   ENAMETOOLONG, "a UNIX socket path holds at most 107");
	long_path[107] = 0;
	EXPECT_OK(config_add_vsock_port(cfg, 9, long_path, false, &err));
	EXPECT_OK(config_add_vsock_port(cfg, 1024, "/run/a.sock", true, &err));
	EXPECT_OK(config_add_vsock_port(cfg, 1, "/run/b.sock", false, &err));
	EXPECT_ERR(
		config_add_vsock_port(cfg, 1024, "/run/c.sock", false, &err),
		EEXIST,
		"duplicate vsock port `1024`: already bridged to `/run/a.sock`");
	EXPECT_ERR(config_add_vsock_port(cfg, 5, "/run/a.sock", false, &err),
		   EEXIST, "already listened on for port 1024");
	EXPECT_ERR(config_add_vsock_port(cfg, 5, "/run/b.sock", true, &err),
		   EEXIST, "already used by port 1");
	assert_int_equal(cfg->n_vsock_ports, 3);
	assert_true(cfg->vsock_ports[1].listen);
	assert_string_equal(cfg->vsock_ports[2].path, "/run/b.sock");
	assert_false(cfg->vsock_ports[2].listen);
}

static void devices_and_vmm(void **state)
{
	struct krun_config *cfg = *state;

	/* Any bits: they go to virglrenderer uninterpreted, as libkrun. */
	EXPECT_OK(config_set_gpu(cfg, 1u << 11, 0, &err));
	assert_int_equal(cfg->virgl_flags, 1u << 11);
	EXPECT_OK(config_set_gpu(cfg, (1 << 6) | (1 << 7), 1 << 20, &err));
	assert_true(cfg->gpu_enabled);
	assert_int_equal(cfg->virgl_flags, 0xc0);
	assert_int_equal(cfg->gpu_shm_size, 1 << 20);
	EXPECT_OK(config_set_snd(cfg, true, &err));
	assert_true(cfg->snd_enabled);
	EXPECT_ERR(config_set_tee_config_file(cfg, NULL, &err), EINVAL,
		   "TEE config file: no path");
	EXPECT_OK(config_set_tee_config_file(cfg, "/tee.json", &err));
	EXPECT_ERR(config_set_oem_strings(cfg, NULL, &err), EINVAL, "no list");
	EXPECT_ERR(config_set_oem_strings(
			   cfg, (const char *const[]){"a", "", NULL}, &err),
		   EINVAL, "OEM string 2: empty");
	{
		char long_oem[SMBIOS_MAX_OEM_STRING_LEN + 2] = {0};

		memset(long_oem, 'o', SMBIOS_MAX_OEM_STRING_LEN + 1);
		EXPECT_ERR(config_set_oem_strings(
				   cfg, (const char *const[]){long_oem, NULL},
				   &err),
			   EINVAL, "OEM string 1: 201 bytes, at most 200");
	}
	EXPECT_OK(config_set_oem_strings(
		cfg, (const char *const[]){"a", "b", NULL}, &err));
	assert_string_equal(cfg->oem_strings[1], "b");
	EXPECT_ERR(config_set_console_output(cfg, "", &err), EINVAL,
		   "empty console output path");
	EXPECT_OK(config_set_console_output(cfg, "/tmp/out", &err));
	EXPECT_ERR(config_set_kernel(cfg, NULL, &err), EINVAL, "kernel");
	EXPECT_OK(config_set_kernel(cfg, "/boot/vmlinux", &err));
	EXPECT_OK(config_set_kernel_log(cfg, true, &err));
	assert_true(cfg->kernel_log);
	EXPECT_ERR(config_set_log_level(cfg, 6, &err), EINVAL,
		   "invalid log level `6`");
	EXPECT_OK(config_set_log_level(cfg, 5, &err));
	assert_int_equal(cfg->log_level, 5);
}

/*
 * config_assert_equal notices a change of any member: the comparison the
 * round-trip tests rely on can fail for each one.
 */
static void config_compare_sees_every_member(void **state)
{
	struct krun_disk disks[] = {
		{"d", "/d.img", KRUN_FORMAT_RAW, true, KRUN_DISK_SYNC_NONE}};
	struct krun_share shares[] = {
		{"t", "/h", "/g", true, true, KRUN_FS_CACHE_NEVER, 4096}};
	struct krun_rlimit rlimits[] = {{RLIMIT_NOFILE, 10, 20}};
	struct krun_port ports[] = {{8080, 80, KRUN_PORT_UDP, "127.0.0.1"}};
	struct krun_vsock_port vsock[] = {{1024, "/v.sock", true}};
	char *argv[] = {"a", NULL}, *envp[] = {"A=1", NULL};
	char *oem[] = {"o", NULL};
	struct krun_fsmount fsmounts[] = {{"tmpfs", "t", "/t", 2, "size=1m"}};
	struct krun_seccomp_rule rules[] = {
		{"mkdir", 4, 1, 1, {{1, 4, 1, 1}}}};
	const struct krun_config full = {
		.vcpus = 2,
		.ram_mib = 1024,
		.root_dir = "/r",
		.disk_api = KRUN_DISK_API_MODERN,
		.disks = disks,
		.n_disks = 1,
		.root_disk_id = "d",
		.shares = shares,
		.n_shares = 1,
		.exec_path = "/bin/sh",
		.argv = argv,
		.envp = envp,
		.rlimits = rlimits,
		.n_rlimits = 1,
		.net_mode = KRUN_NET_PASST,
		.passt_fd = -1,
		.mac = {2, 0, 0, 0, 0, 1},
		.port_map_set = true,
		.ports = ports,
		.n_ports = 1,
		.vsock_ports = vsock,
		.n_vsock_ports = 1,
		.oem_strings = oem,
		.fsmounts = fsmounts,
		.n_fsmounts = 1,
		.seccomp_rules = rules,
		.n_seccomp_rules = 1,
		.shutdown_eventfd = -1,
	};
	struct krun_config copy = full;

	(void)state;
	assert_int_equal(config_diff(&full, &copy, "itself"), 0);
	config_assert_equal(&full, &copy);
	assert_int_equal(config_diff_misses(&full), 0);
	copy.shares = (struct krun_share[]){
		{"t", "/h", "/g", false, true, KRUN_FS_CACHE_NEVER, 4096}};
	assert_int_equal(config_diff(&full, &copy, NULL), 1);
}

/* krun_set_kernel's formats: ELF, bzImage (RAW and IMAGE_*), refusals. */
static void external_kernel(void **state)
{
	struct krun_config *cfg = *state;
	char long_cmdline[2049];

	EXPECT_OK(config_set_external_kernel(cfg, "/k", KRUN_KERNEL_API_ELF,
					     NULL, NULL, &err));
	assert_string_equal(cfg->kernel_path, "/k");
	assert_int_equal(cfg->kernel_format, KRUN_KERNEL_ELF);
	assert_null(cfg->initramfs_path);
	assert_null(cfg->kernel_cmdline);
	for (uint32_t f = KRUN_KERNEL_API_IMAGE_BZ2;
	     f <= KRUN_KERNEL_API_IMAGE_ZSTD; f++) {
		EXPECT_OK(config_set_external_kernel(cfg, "/bz", f, "/i.cpio",
						     "console=hvc0", &err));
		assert_int_equal(cfg->kernel_format, KRUN_KERNEL_BZIMAGE);
	}
	EXPECT_OK(config_set_external_kernel(cfg, "/bz", KRUN_KERNEL_API_RAW,
					     "/i.cpio", "console=hvc0", &err));
	assert_int_equal(cfg->kernel_format, KRUN_KERNEL_BZIMAGE);
	assert_string_equal(cfg->initramfs_path, "/i.cpio");
	assert_string_equal(cfg->kernel_cmdline, "console=hvc0");
	EXPECT_ERR(config_set_external_kernel(cfg, "/pe", KRUN_KERNEL_API_PE_GZ,
					      NULL, NULL, &err),
		   ENOTSUP, "kernel format 2 (PE_GZ) is an aarch64 format");
	EXPECT_ERR(config_set_external_kernel(cfg, "/x", 6, NULL, NULL, &err),
		   EINVAL, "unknown kernel format 6 (expected 0..5)");
	EXPECT_ERR(config_set_external_kernel(cfg, NULL, 1, NULL, NULL, &err),
		   EINVAL, "kernel");
	EXPECT_ERR(config_set_external_kernel(cfg, "/k", 1, "", NULL, &err),
		   EINVAL, "initramfs");
	memset(long_cmdline, 'c', sizeof(long_cmdline) - 1);
	long_cmdline[sizeof(long_cmdline) - 1] = '\0';
	EXPECT_ERR(config_set_external_kernel(cfg, "/k", 1, NULL, long_cmdline,
					      &err),
		   E2BIG, "kernel command line of 2048 bytes");
	/* Refusals left the last good setting alone. */
	assert_string_equal(cfg->kernel_path, "/bz");
	assert_string_equal(cfg->initramfs_path, "/i.cpio");
	assert_int_equal(cfg->kernel_format, KRUN_KERNEL_BZIMAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CFG_TEST(defaults),
		CFG_TEST(vm_size),
		CFG_TEST(root_dir),
		CFG_TEST(legacy_then_modern_disks),
		CFG_TEST(modern_then_legacy_disks),
		CFG_TEST(add_disk_validation),
		CFG_TEST(root_disk_id),
		CFG_TEST(share_validation),
		CFG_TEST(mapped_volumes_unsupported),
		CFG_TEST(exec_and_env),
		CFG_TEST(exec_null_env_copies_host),
		CFG_TEST(put_env),
		CFG_TEST(workdir_hostname_user),
		CFG_TEST(rlimit_lists),
		CFG_TEST(passt_fd_rules),
		CFG_TEST(gvproxy_rules),
		CFG_TEST(port_map_rules),
		CFG_TEST(passt_mode_ports_and_none),
		CFG_TEST(mac_rules),
		CFG_TEST(vsock_rules),
		CFG_TEST(devices_and_vmm),
		CFG_TEST(external_kernel),
		cmocka_unit_test(config_compare_sees_every_member),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
