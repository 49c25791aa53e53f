// SPDX-License-Identifier: Apache-2.0
/* Text parsers: memory sizes, MACs, rlimits, ports, disk/share/vsock specs. */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "config_test_util.h"
#include "lib/config/config_internal.h"

static void strict_decimal(void **state)
{
	uint64_t v = 99;

	assert_true(cfg_parse_u64("15", SIZE_MAX, 15, &v));
	assert_int_equal(v, 15);
	assert_true(cfg_parse_u64("007", SIZE_MAX, 7, &v));
	assert_int_equal(v, 7);
	assert_true(cfg_parse_u64("18446744073709551615", SIZE_MAX, UINT64_MAX,
				  &v));
	assert_true(v == UINT64_MAX);
	assert_true(cfg_parse_u64("123:456", 3, 1000, &v));
	assert_int_equal(v, 123);
	v = 99;
	assert_false(cfg_parse_u64("16", SIZE_MAX, 15, &v));
	assert_false(cfg_parse_u64("7", SIZE_MAX, 5, &v));
	assert_false(cfg_parse_u64("", SIZE_MAX, 5, &v));
	assert_false(cfg_parse_u64("12", 0, 100, &v));
	assert_false(cfg_parse_u64("-1", SIZE_MAX, 100, &v));
	assert_false(cfg_parse_u64("1 ", SIZE_MAX, 100, &v));
	assert_false(cfg_parse_u64("18446744073709551616", SIZE_MAX, UINT64_MAX,
				   &v));
	assert_int_equal(v, 99);
}

static void memory_sizes(void **state)
{
	static const struct {
		const char *text;
		uint32_t mib;
	} good[] = {
		{"512", 512},	{"512M", 512},
		{"512m", 512},	{"512MiB", 512},
		{"2G", 2048},	{"2g", 2048},
		{"2GiB", 2048}, {"1T", 1048576},
		{"0", 0},	{"4095G", 4095u * 1024},
	};
	uint32_t mib = 7;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		EXPECT_OK(config_parse_memory(good[i].text, &mib, &err));
		assert_int_equal(mib, good[i].mib);
	}
	mib = 7;
	EXPECT_ERR(config_parse_memory("", &mib, &err), EINVAL,
		   "invalid memory size ``");
	EXPECT_ERR(config_parse_memory("abc", &mib, &err), EINVAL,
		   "expected a number");
	EXPECT_ERR(config_parse_memory("-5", &mib, &err), EINVAL, "`-5`");
	EXPECT_ERR(config_parse_memory(" 512", &mib, &err), EINVAL, "` 512`");
	EXPECT_ERR(config_parse_memory("12X", &mib, &err), EINVAL,
		   "unknown unit `X`");
	EXPECT_ERR(config_parse_memory("512 M", &mib, &err), EINVAL,
		   "unknown unit");
	EXPECT_ERR(config_parse_memory("4194304G", &mib, &err), EINVAL,
		   "too large");
	EXPECT_ERR(config_parse_memory("99999999999", &mib, &err), EINVAL,
		   "expected a number");
	EXPECT_ERR(config_parse_memory(NULL, &mib, &err), EINVAL, "none given");
	assert_int_equal(mib, 7);
}

static void mac_addresses(void **state)
{
	static const char *const bad[] = {
		"",
		"52:54:00:12:34",
		"52:54:00:12:34:56:78",
		"52-54-00-12-34-56",
		"52:54:00:12:34:5g",
		"5:254:00:12:34:56",
		"52:54:00:12:34:56 ",
		"525400123456",
	};
	const uint8_t expect[6] = {0x52, 0x54, 0x00, 0xab, 0xCD, 0xef};
	uint8_t mac[6] = {0};

	EXPECT_OK(config_parse_mac("52:54:00:AB:cd:EF", mac, &err));
	assert_memory_equal(mac, expect, 6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[64];

		snprintf(text, sizeof(text), "invalid MAC address `%s`",
			 bad[i]);
		EXPECT_ERR(config_parse_mac(bad[i], mac, &err), EINVAL, text);
	}
	EXPECT_ERR(config_parse_mac(NULL, mac, &err), EINVAL, "none given");
	assert_memory_equal(mac, expect, 6);
}

static void rlimit_names(void **state)
{
	static const struct {
		int resource;
		const char *name;
	} all[] = {
		{RLIMIT_AS, "AS"},
		{RLIMIT_CORE, "CORE"},
		{RLIMIT_CPU, "CPU"},
		{RLIMIT_DATA, "DATA"},
		{RLIMIT_FSIZE, "FSIZE"},
		{RLIMIT_LOCKS, "LOCKS"},
		{RLIMIT_MEMLOCK, "MEMLOCK"},
		{RLIMIT_MSGQUEUE, "MSGQUEUE"},
		{RLIMIT_NICE, "NICE"},
		{RLIMIT_NOFILE, "NOFILE"},
		{RLIMIT_NPROC, "NPROC"},
		{RLIMIT_RSS, "RSS"},
		{RLIMIT_RTPRIO, "RTPRIO"},
		{RLIMIT_RTTIME, "RTTIME"},
		{RLIMIT_SIGPENDING, "SIGPENDING"},
		{RLIMIT_STACK, "STACK"},
	};

	assert_int_equal(sizeof(all) / sizeof(all[0]), RLIM_NLIMITS);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_string_equal(config_rlimit_name(all[i].resource),
				    all[i].name);
	assert_null(config_rlimit_name(-1));
	assert_null(config_rlimit_name(RLIM_NLIMITS));
}

static void rlimit_forms(void **state)
{
	static const struct {
		const char *text;
		int resource;
		uint64_t cur, max;
	} good[] = {
		{"NOFILE=1:2", RLIMIT_NOFILE, 1, 2},
		{"nofile=1:2", RLIMIT_NOFILE, 1, 2},
		{"RLIMIT_NPROC=3:4", RLIMIT_NPROC, 3, 4},
		{"rlimit_Stack=5:5", RLIMIT_STACK, 5, 5},
		{"7=10:20", 7, 10, 20},
		{"CORE=unlimited:unlimited", RLIMIT_CORE, RLIM_INFINITY,
		 RLIM_INFINITY},
		{"AS=0:infinity", RLIMIT_AS, 0, RLIM_INFINITY},
		{"CPU=18446744073709551615:unlimited", RLIMIT_CPU, UINT64_MAX,
		 RLIM_INFINITY},
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct krun_config *cfg = config_new(NULL);

		EXPECT_OK(config_add_rlimit(cfg, good[i].text, &err));
		assert_int_equal(cfg->rlimits[0].resource, good[i].resource);
		assert_true(cfg->rlimits[0].cur == good[i].cur);
		assert_true(cfg->rlimits[0].max == good[i].max);
		config_free(cfg);
	}
}

static void rlimit_errors(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_ERR(config_add_rlimit(cfg, "NOFILE", &err), EINVAL,
		   "invalid rlimit `NOFILE`: expected RESOURCE=CUR:MAX");
	EXPECT_ERR(config_add_rlimit(cfg, "NOFILE=1", &err), EINVAL,
		   "expected RESOURCE=CUR:MAX");
	EXPECT_ERR(config_add_rlimit(cfg, "NOFILE:1=2", &err), EINVAL,
		   "expected");
	EXPECT_ERR(config_add_rlimit(cfg, "FOO=1:2", &err), EINVAL,
		   "unknown resource `FOO`");
	EXPECT_ERR(config_add_rlimit(cfg, "RLIMIT_=1:2", &err), EINVAL,
		   "unknown resource `RLIMIT_`");
	EXPECT_ERR(config_add_rlimit(cfg, "=1:2", &err), EINVAL,
		   "unknown resource ``");
	EXPECT_ERR(config_add_rlimit(cfg, "16=1:2", &err), EINVAL,
		   "unknown resource `16`");
	EXPECT_ERR(config_add_rlimit(cfg, "NOFILE=x:2", &err), EINVAL,
		   "soft limit is not a number");
	EXPECT_ERR(config_add_rlimit(cfg, "NOFILE=-1:2", &err), EINVAL,
		   "soft limit");
	EXPECT_ERR(config_add_rlimit(cfg, "NOFILE=1:", &err), EINVAL,
		   "hard limit is not a number");
	EXPECT_ERR(config_add_rlimit(cfg, "NOFILE=1:2:3", &err), EINVAL,
		   "hard limit");
	EXPECT_ERR(
		config_add_rlimit(cfg, "NOFILE=18446744073709551616:1", &err),
		EINVAL, "soft limit");
	/* Soft above hard passes, as libkrun; the guest's setrlimit refuses
	 * it at run time. */
	EXPECT_OK(config_add_rlimit(cfg, "NOFILE=3:2", &err));
	EXPECT_OK(config_add_rlimit(cfg, "CORE=unlimited:2", &err));
	EXPECT_ERR(config_add_rlimit(cfg, NULL, &err), EINVAL, "none given");
	assert_int_equal(cfg->n_rlimits, 2);
}

static void port_entries(void **state)
{
	static const char *const bad_host[] = {
		"0:80", "65536:80", ":80", "+80:80", "x:80", " 80:80",
		"1.2.3.4::80", "99999999999999999999:80"};
	static const char *const bad_guest[] = {"80:0", "80:65536", "80:",
						"80:x", "80: 1", "80:-1"};
	static const char *const bad_addr[] = {
		"80:80:80", "1.2.3:80:80", "::1:80:80", "[1.2.3.4]:80:80",
		"[::1:80:80", "[]:80:80", "localhost:80:80", ":80:80"};
	static const char *const bad_proto[] = {"80:80/sctp", "80:80/",
						"80:80/TCP", "80:80/tcp/udp"};
	struct krun_config *cfg = *state;
	char text[160];

	EXPECT_ERR(config_add_port(cfg, "80", &err), EINVAL,
		   "invalid port map `80`: expected [IP:]HOST:GUEST[/tcp|/udp]");
	EXPECT_ERR(config_add_port(cfg, "80/udp", &err), EINVAL,
		   "expected [IP:]HOST:GUEST");
	EXPECT_ERR(config_add_port(cfg, "", &err), EINVAL, "expected");
	for (size_t i = 0; i < sizeof(bad_host) / sizeof(bad_host[0]); i++) {
		snprintf(
			text, sizeof(text),
			"invalid port map `%s`: host port is not a number in 1..65535",
			bad_host[i]);
		EXPECT_ERR(config_add_port(cfg, bad_host[i], &err), EINVAL,
			   text);
	}
	for (size_t i = 0; i < sizeof(bad_guest) / sizeof(bad_guest[0]); i++) {
		snprintf(
			text, sizeof(text),
			"invalid port map `%s`: guest port is not a number in 1..65535",
			bad_guest[i]);
		EXPECT_ERR(config_add_port(cfg, bad_guest[i], &err), EINVAL,
			   text);
	}
	for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++) {
		snprintf(text, sizeof(text),
			 "invalid port map `%s`: the host address is not",
			 bad_addr[i]);
		EXPECT_ERR(config_add_port(cfg, bad_addr[i], &err), EINVAL,
			   text);
	}
	for (size_t i = 0; i < sizeof(bad_proto) / sizeof(bad_proto[0]); i++) {
		snprintf(text, sizeof(text),
			 "invalid port map `%s`: the protocol must be",
			 bad_proto[i]);
		EXPECT_ERR(config_add_port(cfg, bad_proto[i], &err), EINVAL,
			   text);
	}
	assert_false(cfg->port_map_set);
	EXPECT_OK(config_add_port(cfg, "65535:1", &err));
	assert_int_equal(cfg->ports[0].host, 65535);
	assert_int_equal(cfg->ports[0].guest, 1);
	assert_int_equal(cfg->ports[0].proto, KRUN_PORT_TCP);
	assert_string_equal(cfg->ports[0].addr, "");
	EXPECT_OK(config_add_port(cfg, "127.0.0.1:53:5353/udp", &err));
	assert_int_equal(cfg->ports[1].proto, KRUN_PORT_UDP);
	assert_string_equal(cfg->ports[1].addr, "127.0.0.1");
	assert_int_equal(cfg->ports[1].host, 53);
	assert_int_equal(cfg->ports[1].guest, 5353);
	/* The same host port over the other protocol is another port. */
	EXPECT_OK(config_add_port(cfg, "[::1]:65535:2/udp", &err));
	assert_string_equal(cfg->ports[2].addr, "::1");
	EXPECT_ERR(config_add_port(cfg, "10.0.0.1:53:1/udp", &err), EEXIST,
		   "host port 53/udp is already mapped");
	EXPECT_OK(config_add_port(cfg, "53:53/tcp", &err));
	assert_int_equal(cfg->n_ports, 4);
}

static void disk_specs(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_add_disk_spec(cfg, "root:/img/a.raw", &err));
	EXPECT_OK(
		config_add_disk_spec(cfg, "d2:/img/b:c.qcow2:qcow2:ro", &err));
	EXPECT_OK(config_add_disk_spec(cfg, "d3:/img/c:ro", &err));
	EXPECT_OK(config_add_disk_spec(cfg, "d4:/img/d:raw:rw", &err));
	assert_int_equal(cfg->n_disks, 4);
	assert_string_equal(cfg->disks[0].path, "/img/a.raw");
	assert_int_equal(cfg->disks[0].format, KRUN_FORMAT_RAW);
	assert_false(cfg->disks[0].read_only);
	assert_string_equal(cfg->disks[1].block_id, "d2");
	assert_string_equal(cfg->disks[1].path, "/img/b:c.qcow2");
	assert_int_equal(cfg->disks[1].format, KRUN_FORMAT_QCOW2);
	assert_true(cfg->disks[1].read_only);
	assert_string_equal(cfg->disks[2].path, "/img/c");
	assert_true(cfg->disks[2].read_only);
	assert_string_equal(cfg->disks[3].path, "/img/d");
	EXPECT_ERR(
		config_add_disk_spec(cfg, "nocolon", &err), EINVAL,
		"invalid disk spec `nocolon`: expected ID:PATH[:raw|qcow2][:ro]");
	EXPECT_ERR(config_add_disk_spec(cfg, "id:", &err), EINVAL,
		   "empty disk image path");
	EXPECT_ERR(config_add_disk_spec(cfg, ":/p", &err), EINVAL,
		   "empty disk block id");
	EXPECT_ERR(config_add_disk_spec(cfg, "root:/other", &err), EEXIST,
		   "duplicate block id `root`");
	EXPECT_ERR(config_add_disk_spec(cfg, NULL, &err), EINVAL, "none given");
	assert_int_equal(cfg->n_disks, 4);
}

static void share_specs(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_add_share_spec(cfg, "a:/host/a", &err));
	EXPECT_OK(config_add_share_spec(cfg, "b:/host/b:/guest/b", &err));
	EXPECT_OK(config_add_share_spec(cfg, "c:/host/c:/guest/c:ro", &err));
	EXPECT_OK(config_add_share_spec(cfg, "d:rel/d:ro", &err));
	assert_int_equal(cfg->n_shares, 4);
	assert_string_equal(cfg->shares[0].host_path, "/host/a");
	assert_null(cfg->shares[0].guest_path);
	assert_string_equal(cfg->shares[1].host_path, "/host/b");
	assert_string_equal(cfg->shares[1].guest_path, "/guest/b");
	assert_false(cfg->shares[1].read_only);
	assert_string_equal(cfg->shares[2].guest_path, "/guest/c");
	assert_true(cfg->shares[2].read_only);
	assert_string_equal(cfg->shares[3].host_path, "rel/d");
	assert_null(cfg->shares[3].guest_path);
	assert_true(cfg->shares[3].read_only);
	EXPECT_ERR(config_add_share_spec(cfg, "nocolon", &err), EINVAL,
		   "expected TAG:HOSTDIR[:GUESTPATH][:ro]");
	EXPECT_ERR(config_add_share_spec(cfg, "e::/guest", &err), EINVAL,
		   "empty shared directory path");
	EXPECT_ERR(config_add_share_spec(cfg, "a:/x", &err), EEXIST,
		   "duplicate virtio-fs tag `a`");
	assert_int_equal(cfg->n_shares, 4);
}

static void vsock_specs(void **state)
{
	struct krun_config *cfg = *state;

	EXPECT_OK(config_add_vsock_spec(cfg, "1024:/run/a.sock", &err));
	EXPECT_OK(config_add_vsock_spec(cfg, "4294967294:/run/b:c", &err));
	assert_int_equal(cfg->vsock_ports[1].port, 4294967294u);
	assert_string_equal(cfg->vsock_ports[1].path, "/run/b:c");
	EXPECT_ERR(config_add_vsock_spec(cfg, "4294967295:/s", &err), EINVAL,
		   "port is not a number in 1..4294967294");
	EXPECT_ERR(config_add_vsock_spec(cfg, "x:/s", &err), EINVAL,
		   "invalid vsock spec `x:/s`");
	EXPECT_ERR(config_add_vsock_spec(cfg, "/s", &err), EINVAL,
		   "expected PORT:PATH[,listen]");
	EXPECT_ERR(config_add_vsock_spec(cfg, "5:", &err), EINVAL,
		   "empty vsock socket path");
	EXPECT_ERR(config_add_vsock_spec(cfg, "0:/s", &err), EINVAL,
		   "invalid vsock port `0`");
	EXPECT_OK(config_add_vsock_spec(cfg, "7:/run/l,sock,listen", &err));
	assert_true(cfg->vsock_ports[2].listen);
	assert_string_equal(cfg->vsock_ports[2].path, "/run/l,sock");
	assert_false(cfg->vsock_ports[0].listen);
	assert_int_equal(cfg->n_vsock_ports, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strict_decimal),
		cmocka_unit_test(memory_sizes),
		cmocka_unit_test(mac_addresses),
		cmocka_unit_test(rlimit_names),
		cmocka_unit_test(rlimit_forms),
		CFG_TEST(rlimit_errors),
		CFG_TEST(port_entries),
		CFG_TEST(disk_specs),
		CFG_TEST(share_specs),
		CFG_TEST(vsock_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
