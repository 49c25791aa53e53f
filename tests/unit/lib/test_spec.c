// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON spec loader: malformed specs (each with its exact message), what
 * `crun spec` writes (a committed copy and a fresh one from crun, which the
 * suite requires), bundle-relative paths and key-order independence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/config/config.h"
#include "lib/spec/config_print.h"
#include "lib/spec/spec.h"
#include "tests/unit/lib/config_assert.h"
#include "tests/unit/test_skip.h"

static const char *fixture_dir;

/* Load text; on failure return the message (caller frees), else NULL. */
static char *load_error(const char *text)
{
	struct krun_config *cfg = config_new(NULL);
	struct spec_result res;
	struct krun_err *err = NULL;
	char *msg = NULL;

	assert_non_null(cfg);
	if (spec_load_string(cfg, text, NULL, &res, &err) < 0) {
		msg = strdup(krun_err_msg(err));
		krun_err_free(&err);
	}
	config_free(cfg);
	return msg;
}

static const struct {
	const char *json;
	const char *msg;
} bad_specs[] = {
	{"", "invalid JSON at line 1, column 1: unexpected end of input"},
	{"{\n  \"process\": {",
	 "invalid JSON at line 2, column 15: unexpected end of input"},
	{"{} x",
	 "invalid JSON at line 1, column 4: unexpected data after the document"},
	{"[]", ".: expected an object"},
	{"42", ".: expected an object"},
	{"null", ".: expected an object"},
	{"{\"ociVersion\":1}", ".ociVersion: expected a string"},
	{"{\"process\":[]}", ".process: expected an object"},
	{"{\"process\":{\"args\":\"sh\"}}", ".process.args: expected an array"},
	{"{\"process\":{\"args\":[\"a\",\"b\",3]}}",
	 ".process.args[2]: expected a string"},
	{"{\"process\":{\"args\":[]}}", ".process.args: must not be empty"},
	{"{\"process\":{\"args\":[\"a\\u0000b\"]}}",
	 ".process.args[0]: contains a NUL character"},
	{"{\"process\":{\"args\":[\"\"]}}",
	 ".process.args: empty executable path"},
	{"{\"process\":{\"args\":[\"sh\"],\"env\":[\"NOEQ\"]}}",
	 ".process.env: invalid environment entry `NOEQ`: expected KEY=VALUE"},
	{"{\"process\":{\"env\":null}}", ".process.env: expected an array"},
	{"{\"process\":{\"cwd\":5}}", ".process.cwd: expected a string"},
	{"{\"process\":{\"terminal\":\"yes\"}}",
	 ".process.terminal: expected a boolean"},
	{"{\"process\":{\"user\":{\"uid\":-1,\"gid\":0}}}",
	 ".process.user.uid: must be between 0 and 4294967295"},
	{"{\"process\":{\"user\":{\"uid\":4294967296,\"gid\":0}}}",
	 ".process.user.uid: must be between 0 and 4294967295"},
	{"{\"process\":{\"user\":{\"gid\":0}}}", ".process.user.uid: missing"},
	{"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]}}",
	 ".process.rlimits[0].hard: missing"},
	{"{\"process\":{\"rlimits\":{}}}",
	 ".process.rlimits: expected an array"},
	{"{\"root\":{\"path\":7}}", ".root.path: expected a string"},
	{"{\"root\":{\"path\":\"\"}}", ".root.path: empty root directory path"},
	{"{\"root\":{\"readonly\":1}}", ".root.readonly: expected a boolean"},
	{"{\"hostname\":\"\"}", ".hostname: empty hostname"},
	{"{\"mounts\":{}}", ".mounts: expected an array"},
	{"{\"mounts\":[7]}", ".mounts[0]: expected an object"},
	{"{\"mounts\":[{\"type\":\"bind\",\"destination\":\"/d\"}]}",
	 ".mounts[0].source: missing"},
	{"{\"mounts\":[{\"type\":\"bind\",\"source\":\"/s\",\"destination\":\"/d\",\"options\":[\"ro\",1]}]}",
	 ".mounts[0].options[1]: expected a string"},
	{"{\"krun\":[]}", ".krun: expected an object"},
	{"{\"krun\":{\"vcpu\":2}}", ".krun.vcpu: unknown key"},
	{"{\"krun\":{\"vcpus\":0}}",
	 ".krun.vcpus: invalid vCPU count `0`: must be 1..64"},
	{"{\"krun\":{\"vcpus\":1.5}}", ".krun.vcpus: expected an integer"},
	{"{\"krun\":{\"memory\":true}}",
	 ".krun.memory: expected an integer (MiB) or a size string"},
	{"{\"krun\":{\"memory\":31}}",
	 ".krun.memory: invalid RAM size `31` MiB: must be 32..1048576 MiB"},
	{"{\"krun\":{\"disks\":[{\"id\":\"d\",\"path\":\"/x\",\"format\":\"vmdk\"}]}}",
	 ".krun.disks[0].format: unknown format `vmdk` (expected raw or qcow2)"},
	{"{\"krun\":{\"disks\":[{\"id\":\"d\",\"path\":\"/x\",\"size\":1}]}}",
	 ".krun.disks[0].size: unknown key"},
	{"{\"krun\":{\"disks\":[{\"path\":\"/x\"}]}}",
	 ".krun.disks[0].id: missing"},
	{"{\"krun\":{\"disks\":[{\"id\":\"d\",\"path\":\"/x\",\"partition\":1}]}}",
	 ".krun.disks[0].partition: only the root disk has a partition to boot from"},
	{"{\"krun\":{\"volumes\":[{\"tag\":\"t\"}]}}",
	 ".krun.volumes[0].hostPath: missing"},
	{"{\"krun\":{\"volumes\":[{\"tag\":\"t\",\"hostPath\":\"/h\",\"shmSize\":\"1M\"}]}}",
	 ".krun.volumes[0]: a DAX window of 1048576 bytes: must be a multiple of 2 MiB, at most 1 TiB"},
	{"{\"krun\":{\"volumes\":[{\"tag\":\"t\",\"hostPath\":\"/h\",\"shmSize\":true}]}}",
	 ".krun.volumes[0].shmSize: expected an integer (bytes) or a size string"},
	{"{\"root\":{\"path\":\"/r\",\"shmSize\":4095}}",
	 ".root.shmSize: a DAX window of 4095 bytes: must be a multiple of 2 MiB, at most 1 TiB"},
	{"{\"krun\":{\"net\":{\"mode\":\"tsi\"}}}",
	 ".krun.net.mode: unknown mode `tsi` (expected none, passt or gvproxy)"},
	{"{\"krun\":{\"net\":{\"mode\":\"gvproxy\"}}}",
	 ".krun.net.path: missing (mode `gvproxy` needs it)"},
	{"{\"krun\":{\"net\":{\"mode\":\"none\",\"path\":\"/s\"}}}",
	 ".krun.net.path: only valid with mode `gvproxy`"},
	{"{\"krun\":{\"net\":{\"proto\":\"tcp\"}}}",
	 ".krun.net.proto: unknown key"},
	{"{\"krun\":{\"vsock\":[{\"port\":\"1\",\"path\":\"/s\"}]}}",
	 ".krun.vsock[0].port: expected an integer"},
	{"{\"krun\":{\"logLevel\":\"chatty\"}}",
	 ".krun.logLevel: invalid log level `chatty` (expected 0-5 or off, error, warn, info, debug, trace)"},
	{"{\"krun\":{\"gpu\":{\"virglFlags\":-1}}}",
	 ".krun.gpu.virglFlags: must be between 0 and 4294967295"},
	{"{\"krun\":{\"gpu\":{\"shmSize\":\"1Q\"}}}",
	 ".krun.gpu.shmSize: invalid size `1Q` (expected bytes, optionally with a K, M, G or T suffix)"},
	{"{\"krun\":{\"smbiosOemStrings\":[1]}}",
	 ".krun.smbiosOemStrings[0]: expected a string"},
	{"{\"krun\":{\"sound\":\"on\"}}", ".krun.sound: expected a boolean"},
	{"{\"krun\":{\"kernelLog\":1}}", ".krun.kernelLog: expected a boolean"},
	/* OCI parts honoured in the guest */
	{"{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_FLY\"]}}}",
	 ".process.capabilities.bounding[0]: unknown capability `CAP_FLY`"},
	{"{\"process\":{\"capabilities\":{\"bounding\":\"CAP_KILL\"}}}",
	 ".process.capabilities.bounding: expected an array"},
	{"{\"process\":{\"capabilities\":{\"permited\":[]}}}",
	 ".process.capabilities.permited: unknown key"},
	{"{\"process\":{\"capabilities\":[]}}",
	 ".process.capabilities: expected an object"},
	{"{\"process\":{\"noNewPrivileges\":\"yes\"}}",
	 ".process.noNewPrivileges: expected a boolean"},
	{"{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"umask\":512}}}",
	 ".process.user.umask: must be between 0 and 511"},
	{"{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"umask\":-1}}}",
	 ".process.user.umask: must be between 0 and 511"},
	{"{\"process\":{\"user\":{\"uid\":0,\"gid\":0,"
	 "\"additionalGids\":[-5]}}}",
	 ".process.user.additionalGids[0]: must be between 0 and 4294967294"},
	{"{\"process\":{\"user\":{\"uid\":0,\"gid\":0,"
	 "\"additionalGids\":\"5\"}}}",
	 ".process.user.additionalGids: expected an array"},
	{"{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"shell\":1}}}",
	 ".process.user.shell: unknown key"},
	{"{\"domainname\":\"a b\"}",
	 ".domainname: invalid domain name `a b`: only letters, digits, `-`, "
	 "`.` and `_` are allowed"},
	{"{\"linux\":{\"namespaces\":[{\"type\":\"network\","
	 "\"path\":\"/proc/1/ns/net\"}]}}",
	 ".linux.namespaces[0].path: cannot join a host namespace: the "
	 "workload runs in its own VM"},
	{"{\"linux\":{\"sysctl\":{\"vm.swappiness\":10}}}",
	 ".linux.sysctl.vm.swappiness: expected a string"},
	{"{\"linux\":{\"sysctl\":{\"../x\":\"1\"}}}",
	 ".linux.sysctl.../x: invalid sysctl `../x`"},
	{"{\"linux\":{\"sysctl\":[]}}", ".linux.sysctl: expected an object"},
	{"{\"linux\":{\"seccomp\":{}}}",
	 ".linux.seccomp.defaultAction: missing"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
	 ".linux.seccomp.defaultAction: unsupported seccomp action "
	 "`SCMP_ACT_NOPE`"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}}}",
	 ".linux.seccomp.defaultAction: unsupported seccomp action "
	 "`SCMP_ACT_NOTIFY`"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	 "\"defaultErrnoRet\":5000}}}",
	 ".linux.seccomp.defaultErrnoRet: must be between 0 and 4095"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"listenerPath\":\"/run/s.sock\"}}}",
	 ".linux.seccomp.listenerPath: a seccomp listener cannot reach into "
	 "the VM"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"architectures\":[\"SCMP_ARCH_VAX\"]}}}",
	 ".linux.seccomp.architectures[0]: unknown seccomp architecture "
	 "`SCMP_ARCH_VAX`"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
	 ".linux.seccomp.syscalls[0].names: missing"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"syscalls\":[{\"names\":[\"Mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}"
	 "]}}}",
	 ".linux.seccomp.syscalls[0].names[0]: invalid syscall name `Mkdir`"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
	 "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
	 ".linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
	 "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_LIKE\"}]}]}}}",
	 ".linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "
	 "`SCMP_CMP_LIKE`"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
	 "\"args\":[{},{},{},{},{},{},{}]}]}}}",
	 ".linux.seccomp.syscalls[0].args: more than 6 arguments"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
	 "\"errnoRet\":4096}]}}}",
	 ".linux.seccomp.syscalls[0].errnoRet: must be between 0 and 4095"},
	{"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	 "\"flags\":\"x\"}}}",
	 ".linux.seccomp.flags: expected an array"},
	{"{\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"0-\"}}}}",
	 ".linux.resources.cpu.cpus: invalid CPU list `0-`"},
	{"{\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
	 ".linux.resources.memory.limit: expected an integer"},
	{"{\"mounts\":[{\"destination\":\"/x\",\"source\":\"y\"}]}",
	 ".mounts[0]: a mount needs a type"},
	{"{\"mounts\":[{\"type\":\"tmpfs\",\"destination\":\"x\"}]}",
	 ".mounts[0]: invalid mount point `x`: must be an absolute path "
	 "without `..`"},
	{"{\"mounts\":[{\"type\":\"tmpfs\",\"destination\":\"/a/../b\"}]}",
	 ".mounts[0]: invalid mount point `/a/../b`: must be an absolute path "
	 "without `..`"},
	{"{\"mounts\":[{\"type\":\"nfs\",\"destination\":\"/n\"}]}",
	 ".mounts[0]: unsupported filesystem type `nfs` (expected tmpfs, proc, "
	 "sysfs, devpts, mqueue or cgroup2)"},
	{"{\"mounts\":[{\"type\":\"tmpfs\"}]}",
	 ".mounts[0].destination: missing"},
	{"{\"annotations\":{\"krun.cpus\":\"0\"}}",
	 ".annotations.krun.cpus: expected a number from 1 to 64"},
	{"{\"annotations\":{\"krun.ram_mib\":\"lots\"}}",
	 ".annotations.krun.ram_mib: expected a number from 1 to 1048576"},
	{"{\"annotations\":[]}", ".annotations: expected an object"},
	{"{\"linux\":{\"maskedPaths\":[\"proc/kcore\"]}}",
	 ".linux.maskedPaths[0]: invalid masked path `proc/kcore`: must be an "
	 "absolute path without `..`"},
	{"{\"linux\":{\"readonlyPaths\":[\"/proc/../etc\"]}}",
	 ".linux.readonlyPaths[0]: invalid read-only path `/proc/../etc`: must "
	 "be an absolute path without `..`"},
	{"{\"linux\":{\"readonlyPaths\":\"/proc/sys\"}}",
	 ".linux.readonlyPaths: expected an array"},
	{"{\"linux\":{\"resources\":[]}}",
	 ".linux.resources: expected an object"},
	{"{\"annotations\":{\"krun.cpus\":2}}",
	 ".annotations.krun.cpus: expected a string"},
	{"{\"annotations\":{\"krun.ram_mib\":\"31\"}}",
	 "VM size hint (RAM): invalid RAM size `31` MiB: must be 32..1048576 "
	 "MiB"},
};

static void test_bad_specs(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		char *msg = load_error(bad_specs[i].json);

		if (!msg || strcmp(msg, bad_specs[i].msg) != 0) {
			print_error(
				"spec %zu `%s`:\n  got  `%s`\n  want `%s`\n", i,
				bad_specs[i].json, msg ? msg : "(success)",
				bad_specs[i].msg);
			failed++;
		}
		free(msg);
	}
	assert_int_equal(failed, 0);
}

/* Setter errors keep the setter's own words behind the JSON path. */
static void test_setter_errors_are_wrapped(void **state)
{
	char *msg;

	(void)state;
	msg = load_error("{\"krun\":{\"ports\":[\"80\"]}}");
	assert_non_null(msg);
	assert_true(strncmp(msg, ".krun.ports[0]: ", 16) == 0);
	free(msg);
	msg = load_error("{\"krun\":{\"net\":{\"mac\":\"01:02\"}}}");
	assert_non_null(msg);
	assert_true(strncmp(msg, ".krun.net.mac: ", 15) == 0);
	free(msg);
	msg = load_error(
		"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\","
		"\"soft\":1,\"hard\":2}]}}");
	assert_non_null(msg);
	assert_true(strncmp(msg, ".process.rlimits[0]: ", 21) == 0);
	free(msg);
}

static struct krun_config *load_ok(const char *text, const char *base,
				   struct spec_result *res)
{
	struct krun_config *cfg = config_new(NULL);
	struct krun_err *err = NULL;

	assert_non_null(cfg);
	if (spec_load_string(cfg, text, base, res, &err) < 0)
		fail_msg("load failed: %s", krun_err_msg(err));
	return cfg;
}

static void assert_crun_spec(struct krun_config *cfg)
{
	assert_string_equal(cfg->root_dir, "bundle/rootfs");
	assert_true(cfg->root_read_only);
	assert_string_equal(cfg->exec_path, "sh");
	assert_null(cfg->argv[0]);
	assert_string_equal(cfg->envp[0], "PATH=/usr/local/sbin:/usr/local/bin:"
					  "/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(cfg->envp[1], "TERM=xterm");
	assert_null(cfg->envp[2]);
	assert_string_equal(cfg->workdir, "/");
	assert_string_equal(cfg->hostname, "crun");
	assert_true(cfg->terminal);
	assert_true(cfg->has_user);
	assert_int_equal(cfg->uid, 0);
	assert_int_equal(cfg->gid, 0);
	assert_int_equal(cfg->n_rlimits, 1);
	assert_int_equal(cfg->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(cfg->rlimits[0].cur, 1024);
	assert_int_equal(cfg->rlimits[0].max, 1024);
	assert_int_equal(cfg->n_shares, 0); /* proc, tmpfs, ... are not binds */
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void test_crun_fixtures(void **state)
{
	const char *names[] = {"crun-spec-rootless.json", "crun-spec.json"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char path[4096];
		struct spec_result res;
		struct krun_config *cfg;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", fixture_dir, names[i]);
		text = slurp(path);
		assert_non_null(text);
		cfg = load_ok(text, "bundle", &res);
		assert_true(res.args_set);
		assert_true(res.env_set);
		assert_crun_spec(cfg);
		config_free(cfg);
		free(text);
	}
}

/* A fresh `crun spec` from the installed crun must load unmodified. */
static void test_crun_spec_live(void **state)
{
	const char *variants[] = {"crun spec --rootless", "crun spec"};
	char dir[] = "/tmp/krun-spec-XXXXXX";

	(void)state;
	REQUIRE_TOOL("crun --version", "crun");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < 2; i++) {
		char cmd[256], path[256];
		struct spec_result res;
		struct krun_config *cfg;
		struct krun_err *err = NULL;

		snprintf(cmd, sizeof(cmd), "cd %s && rm -f config.json && %s",
			 dir, variants[i]);
		assert_int_equal(system(cmd), 0);
		snprintf(path, sizeof(path), "%s/config.json", dir);
		cfg = config_new(NULL);
		if (spec_load_file(cfg, path, "bundle", &res, &err) < 0)
			fail_msg("%s: %s", variants[i], krun_err_msg(err));
		assert_crun_spec(cfg);
		config_free(cfg);
		unlink(path);
	}
	rmdir(dir);
}

static void test_bundle_relative_paths(void **state)
{
	const char *spec =
		"{\"root\":{\"path\":\"rootfs\"},"
		"\"mounts\":[{\"type\":\"proc\",\"source\":\"proc\",\"destination\":\"/proc\"},"
		"{\"type\":\"bind\",\"source\":\"data\",\"destination\":\"/data\",\"options\":[\"rbind\",\"ro\"]},"
		"{\"source\":\"/abs\",\"destination\":\"/abs\",\"options\":[\"bind\",\"ro\",\"rw\"]}],"
		"\"krun\":{\"kernel\":\"vmlinux\",\"consoleOutput\":\"/var/log/c\","
		"\"disks\":[{\"id\":\"d\",\"path\":\"d.img\",\"readonly\":true}],"
		"\"vsock\":[{\"port\":5,\"path\":\"v.sock\"}]}}";
	struct spec_result res;
	struct krun_config *cfg = load_ok(spec, "/b", &res);

	assert_string_equal(cfg->root_dir, "/b/rootfs");
	assert_int_equal(cfg->n_shares, 2);
	assert_string_equal(cfg->shares[0].tag, "mount1");
	assert_string_equal(cfg->shares[0].host_path, "/b/data");
	assert_string_equal(cfg->shares[0].guest_path, "/data");
	assert_true(cfg->shares[0].read_only);
	assert_string_equal(cfg->shares[1].tag, "mount2");
	assert_string_equal(cfg->shares[1].host_path, "/abs");
	assert_false(cfg->shares[1].read_only); /* the last of ro/rw wins */
	assert_string_equal(cfg->kernel_path, "/b/vmlinux");
	assert_string_equal(cfg->console_output, "/var/log/c");
	assert_string_equal(cfg->disks[0].path, "/b/d.img");
	assert_true(cfg->disks[0].read_only);
	assert_string_equal(cfg->vsock_ports[0].path, "/b/v.sock");
	assert_false(res.args_set);
	assert_false(res.env_set);
	config_free(cfg);

	/* Without a bundle, paths stay as written. */
	cfg = load_ok(spec, NULL, &res);
	assert_string_equal(cfg->root_dir, "rootfs");
	assert_string_equal(cfg->shares[0].host_path, "data");
	config_free(cfg);
}

static char *json_of(const char *spec)
{
	struct spec_result res;
	struct krun_config *cfg = load_ok(spec, NULL, &res);
	char *json = NULL;

	assert_int_equal(config_to_json(cfg, &json, NULL), 0);
	config_free(cfg);
	return json;
}

/* Handlers run in table order, so key order in the document is irrelevant. */
static void test_key_order_irrelevant(void **state)
{
	const char *one =
		"{\"process\":{\"args\":[\"sh\"],\"env\":[\"A=1\"]},"
		"\"krun\":{\"disks\":[{\"id\":\"r\",\"path\":\"/r\",\"root\":true,\"partition\":2}],"
		"\"memory\":\"2G\",\"vcpus\":4}}";
	const char *two =
		"{\"krun\":{\"vcpus\":4,\"memory\":2048,"
		"\"disks\":[{\"partition\":2,\"root\":true,\"path\":\"/r\",\"id\":\"r\"}]},"
		"\"process\":{\"env\":[\"A=1\"],\"args\":[\"sh\"]}}";
	struct spec_result res;
	struct krun_config *c1 = load_ok(one, NULL, &res);
	struct krun_config *c2 = load_ok(two, NULL, &res);
	char *a = json_of(one), *b = json_of(two);

	(void)state;
	config_assert_equal(c1, c2);
	config_free(c1);
	config_free(c2);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"memoryMiB\": 2048"));
	assert_non_null(strstr(a, "\"disk\": \"r\""));
	assert_non_null(strstr(a, "\"partition\": 2"));
	free(a);
	free(b);
}

/* DAX windows from a spec: a size string or bytes, and back out in
 * --print-config's JSON. */
static void test_dax_windows(void **state)
{
	const char *spec = "{\"root\":{\"path\":\"/r\",\"shmSize\":\"1G\"},"
			   "\"krun\":{\"volumes\":[{\"tag\":\"t\","
			   "\"hostPath\":\"/h\",\"shmSize\":4194304}]}}";
	struct spec_result res;
	struct krun_config *cfg = load_ok(spec, NULL, &res);
	char *json = json_of(spec);

	(void)state;
	assert_int_equal(cfg->root_shm_size, 1 << 30);
	assert_int_equal(cfg->shares[0].shm_size, 4 << 20);
	assert_non_null(strstr(json, "\"shmSize\": 1073741824"));
	assert_non_null(strstr(json, "\"shmSize\": 4194304"));
	config_free(cfg);
	free(json);
}

static void test_unknown_oci_keys_ignored(void **state)
{
	char *json =
		json_of("{\"annotations\":{\"a\":\"b\"},\"linux\":{},"
			"\"process\":{\"args\":[\"x\"],\"capabilities\":{},"
			"\"user\":{\"uid\":1,\"gid\":2,\"umask\":18}}}");

	(void)state;
	assert_non_null(strstr(json, "\"uid\": 1"));
	free(json);
}

static struct krun_config *load_attrs(const char *text)
{
	struct krun_config *cfg = config_new(NULL);
	struct spec_result res;
	struct krun_err *err = NULL;

	assert_non_null(cfg);
	if (spec_load_string(cfg, text, NULL, &res, &err) < 0)
		fail_msg("%s", krun_err_msg(err));
	return cfg;
}

static bool has_ignored(const struct krun_config *cfg, const char *prefix)
{
	for (size_t i = 0; cfg->ignored && cfg->ignored[i]; i++)
		if (strncmp(cfg->ignored[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* Every OCI process attribute reaches the typed config. */
static void test_oci_process_attrs(void **state)
{
	struct krun_config *cfg = load_attrs(
		"{\"process\":{\"terminal\":true,\"noNewPrivileges\":true,"
		"\"user\":{\"uid\":7,\"gid\":8,\"additionalGids\":[9,10],"
		"\"umask\":18},\"capabilities\":{\"bounding\":[\"CAP_KILL\","
		"\"net_raw\"],\"ambient\":[\"CAP_KILL\"]},"
		"\"apparmorProfile\":\"x\"},\"domainname\":\"d.example\","
		"\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
		"\"devices\":[],\"maskedPaths\":[\"/proc/kcore\"],"
		"\"readonlyPaths\":[\"/proc/sys\",\"/proc/bus\"],\"seccomp\":{\"defaultAction\":"
		"\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
		"\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":"
		"\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
		"\"valueTwo\":2,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}},"
		"\"mounts\":[{\"destination\":\"/t\",\"type\":\"tmpfs\","
		"\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"size=1m\"]},"
		"{\"destination\":\"/dev\",\"type\":\"tmpfs\"}]}");

	(void)state;
	assert_int_equal(cfg->tty, KRUN_YES);
	assert_true(cfg->no_new_privs);
	assert_true(cfg->umask_set);
	assert_int_equal(cfg->umask, 18);
	assert_string_equal(cfg->group_add[0], "9");
	assert_string_equal(cfg->group_add[1], "10");
	assert_null(cfg->group_add[2]);
	assert_true(cfg->caps_set);
	assert_int_equal(cfg->caps[0], (1ull << 5) | (1ull << 13));
	assert_int_equal(cfg->caps[1], 0);
	assert_int_equal(cfg->caps[4], 1ull << 5);
	assert_string_equal(cfg->domainname, "d.example");
	assert_string_equal(cfg->sysctls[0], "net.ipv4.ip_forward=1");
	assert_true(cfg->seccomp_set);
	assert_int_equal(cfg->seccomp_default_errno, 1); /* EPERM */
	assert_string_equal(cfg->seccomp_arches[0], "x86_64");
	assert_int_equal(cfg->n_seccomp_rules, 2);
	assert_string_equal(cfg->seccomp_rules[1].syscall, "write");
	assert_int_equal(cfg->seccomp_rules[1].n_args, 1);
	assert_int_equal(cfg->seccomp_rules[1].args[0].value_two, 2);
	assert_int_equal(cfg->n_fsmounts, 1);
	assert_string_equal(cfg->fsmounts[0].target, "/t");
	assert_string_equal(cfg->fsmounts[0].data, "size=1m");
	assert_string_equal(cfg->masked_paths[0], "/proc/kcore");
	assert_string_equal(cfg->readonly_paths[1], "/proc/bus");
	assert_true(has_ignored(cfg, ".mounts[1]: the guest init mounts"));
	assert_true(has_ignored(cfg, ".linux.devices: host devices"));
	assert_true(has_ignored(cfg, ".process.apparmorProfile: "));
	config_free(cfg);
}

/* krun section > annotations > linux.resources for the VM size. */
static void test_oci_vm_size(void **state)
{
	struct krun_config *cfg = load_attrs(
		"{\"linux\":{\"resources\":{\"memory\":{\"limit\":268435456},"
		"\"cpu\":{\"quota\":150000,\"period\":100000}}}}");

	(void)state;
	assert_int_equal(cfg->vcpus, 2);
	assert_int_equal(cfg->ram_mib, 256);
	config_free(cfg);
	cfg = load_attrs("{\"linux\":{\"resources\":{\"cpu\":{\"cpus\":"
			 "\"0-2,5\"}}},\"annotations\":{\"krun.ram_mib\":"
			 "\"384\",\"other\":\"x\"}}");
	assert_int_equal(cfg->vcpus, 4);
	assert_int_equal(cfg->ram_mib, 384);
	assert_true(has_ignored(cfg, ".annotations.other: "));
	assert_false(has_ignored(cfg, ".linux.resources.cpu.cpus"));
	config_free(cfg);
	cfg = load_attrs("{\"linux\":{\"resources\":{\"memory\":{\"limit\":"
			 "268435456,\"swap\":1},\"cpu\":{\"shares\":2}}},"
			 "\"mounts\":[{\"type\":\"bind\",\"source\":\"/s\","
			 "\"destination\":\"/d\",\"options\":[\"rbind\","
			 "\"nosuid\",\"ro\"]}]}");
	assert_true(has_ignored(cfg, ".linux.resources.memory.swap: "));
	assert_false(has_ignored(cfg, ".linux.resources.memory.limit"));
	assert_true(has_ignored(cfg, ".linux.resources.cpu.shares: "));
	assert_true(has_ignored(cfg, ".mounts[0].options[1]: bind mount"));
	assert_false(has_ignored(cfg, ".mounts[0].options[0]"));
	assert_true(cfg->shares[0].read_only);
	config_free(cfg);
	cfg = load_attrs(
		"{\"annotations\":{\"krun.cpus\":\"3\",\"krun.ram_mib\":"
		"\"384\"},\"krun\":{\"vcpus\":1,\"memory\":\"1G\"}}");
	assert_int_equal(cfg->vcpus, 1);
	assert_int_equal(cfg->ram_mib, 1024);
	config_free(cfg);
}

/* crun's /.krun_vm.json in the root: below the annotations. */
static void test_krun_vm_json(void **state)
{
	char dir[] = "/tmp/krun-vmjson-XXXXXX", file[64], spec[256];
	struct krun_config *cfg;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/.krun_vm.json", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("{\"cpus\": 3, \"ram_mib\": 768, \"flavor\": \"x\"}", f);
	fclose(f);
	snprintf(spec, sizeof(spec), "{\"root\":{\"path\":\"%s\"}}", dir);
	cfg = load_attrs(spec);
	assert_int_equal(cfg->vcpus, 3);
	assert_int_equal(cfg->ram_mib, 768);
	config_free(cfg);
	snprintf(spec, sizeof(spec),
		 "{\"root\":{\"path\":\"%s\"},\"annotations\":"
		 "{\"krun.cpus\":\"2\"}}",
		 dir);
	cfg = load_attrs(spec);
	assert_int_equal(cfg->vcpus, 2);
	assert_int_equal(cfg->ram_mib, 768);
	config_free(cfg);
	unlink(file);
	rmdir(dir);
}

static void test_parse_helpers(void **state)
{
	uint64_t bytes;
	uint32_t level;

	(void)state;
	assert_int_equal(spec_parse_size("64M", &bytes, NULL), 0);
	assert_int_equal(bytes, 64ull << 20);
	assert_int_equal(spec_parse_size("1t", &bytes, NULL), 0);
	assert_int_equal(bytes, 1ull << 40);
	assert_int_equal(spec_parse_size("12", &bytes, NULL), 0);
	assert_int_equal(bytes, 12);
	assert_true(spec_parse_size("", &bytes, NULL) < 0);
	assert_true(spec_parse_size("-1", &bytes, NULL) < 0);
	assert_true(spec_parse_size("1MB", &bytes, NULL) < 0);
	assert_true(spec_parse_size("99999999999T", &bytes, NULL) < 0);
	assert_int_equal(spec_parse_log_level("DEBUG", &level, NULL), 0);
	assert_int_equal(level, 4);
	assert_int_equal(spec_parse_log_level("0", &level, NULL), 0);
	assert_int_equal(level, 0);
	assert_true(spec_parse_log_level("6", &level, NULL) < 0);
	assert_true(spec_parse_log_level("", &level, NULL) < 0);
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_setter_errors_are_wrapped),
		cmocka_unit_test(test_crun_fixtures),
		cmocka_unit_test(test_dax_windows),
		cmocka_unit_test(test_crun_spec_live),
		cmocka_unit_test(test_bundle_relative_paths),
		cmocka_unit_test(test_key_order_irrelevant),
		cmocka_unit_test(test_unknown_oci_keys_ignored),
		cmocka_unit_test(test_parse_helpers),
		cmocka_unit_test(test_oci_process_attrs),
		cmocka_unit_test(test_oci_vm_size),
		cmocka_unit_test(test_krun_vm_json),
	};

	fixture_dir = argc > 1 ? argv[1] : "tests/unit/lib/fixtures";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
