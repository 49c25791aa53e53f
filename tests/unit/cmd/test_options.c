// SPDX-License-Identifier: Apache-2.0
/*
 * krun-run's parser and config builder: flag parsing, malformed flags with
 * their exact messages (and no files written), CLI defaults, flags over a
 * spec, and round trips: the same configuration through flags, a spec file
 * and the krun_* API gives equal structs, member by member
 * (config_assert_equal), and prints byte-identical JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/krun-run/options.h"
#include "lib/api/api_internal.h"
#include "lib/config/config.h"
#include "lib/spec/config_print.h"
#include "lib/api/libkrun.h"
#include "tests/unit/lib/config_assert.h"

#define MAX_ARGS 48

static char tmpdir[] = "/tmp/krun-options-XXXXXX";

static int parse(struct run_options *o, const char *const args[],
		 struct krun_err **err)
{
	static char *argv[MAX_ARGS + 2];
	int argc = 0;

	argv[argc++] = "krun-run";
	for (size_t i = 0; args[i]; i++) {
		assert_true(argc <= MAX_ARGS);
		argv[argc++] = (char *)args[i];
	}
	argv[argc] = NULL;
	*o = (struct run_options){.stdin_is_tty = false};
	return run_options_parse(o, argc, argv, err);
}

/*
 * Parse and build; on success *json holds the --print-config text, on
 * failure *msg the one-line error (without the "krun-run: " prefix).
 */
static int build(const char *const args[], char **json, char **msg)
{
	struct krun_config *cfg = NULL;
	struct krun_err *err = NULL;
	struct run_options o;
	int ret;

	*json = NULL;
	*msg = NULL;
	ret = parse(&o, args, &err);
	if (ret == 0)
		ret = run_options_build(&o, &cfg, &err);
	run_options_free(&o);
	if (ret < 0) {
		*msg = strdup(krun_err_msg(err));
		krun_err_free(&err);
		return ret;
	}
	assert_int_equal(config_to_json(cfg, json, NULL), 0);
	config_free(cfg);
	return 0;
}

/* Parse and build; the configuration (free it) or a failed test. */
static struct krun_config *build_cfg(const char *const args[])
{
	struct krun_config *cfg = NULL;
	struct krun_err *err = NULL;
	struct run_options o;
	int ret;

	ret = parse(&o, args, &err);
	if (ret == 0)
		ret = run_options_build(&o, &cfg, &err);
	run_options_free(&o);
	if (ret < 0)
		fail_msg("build failed: %s", krun_err_msg(err));
	return cfg;
}

static char *build_json(const char *const args[])
{
	char *json, *msg;

	if (build(args, &json, &msg) < 0)
		fail_msg("build failed: %s", msg);
	return json;
}

static void test_parse_command_and_lists(void **state)
{
	const char *args[] = {"--root",	  "/r",	       "-v",  "a:/a",
			      "--volume", "b:/b:/mnt", "-e",  "X=1",
			      "--gpu",	  "-p",	       "1:2", "--cpus",
			      "2",	  "--cpus",    "3",   "ls",
			      "-l",	  "--cpus",    NULL};
	struct krun_err *err = NULL;
	struct run_options o;

	(void)state;
	assert_int_equal(parse(&o, args, &err), 0);
	assert_string_equal(o.root, "/r");
	assert_int_equal(o.volumes.n, 2);
	assert_string_equal(o.volumes.items[1], "b:/b:/mnt");
	assert_int_equal(o.env.n, 1);
	assert_true(o.gpu);
	assert_null(o.gpu_flags);
	assert_int_equal(o.ports.n, 1);
	assert_string_equal(o.cpus, "3"); /* the last one wins */
	/* parsing stops at COMMAND: its own flags stay its own */
	assert_int_equal(o.n_command, 3);
	assert_string_equal(o.command[0], "ls");
	assert_string_equal(o.command[2], "--cpus");
	run_options_free(&o);
}

static void test_parse_double_dash_and_optional(void **state)
{
	const char *args[] = {"--gpu=0x10", "--print-config", "--", "--root",
			      NULL};
	struct krun_err *err = NULL;
	struct run_options o;

	(void)state;
	assert_int_equal(parse(&o, args, &err), 0);
	assert_string_equal(o.gpu_flags, "0x10");
	assert_true(o.print_config);
	assert_null(o.root);
	assert_int_equal(o.n_command, 1);
	assert_string_equal(o.command[0], "--root");
	run_options_free(&o);
}

#define A(...)                    \
	{                         \
		__VA_ARGS__, NULL \
	}

static const struct {
	const char *args[8];
	const char *msg;
} bad_flags[] = {
	{A("--frobnicate", "ls"), "--frobnicate: unknown option"},
	{A("--frobnicate=1", "ls"), "--frobnicate: unknown option"},
	{A("-x", "ls"), "-x: unknown option"},
	{A("--r", "ls"), "--r: ambiguous option"},
	{A("--cpus"), "--cpus: missing argument"},
	{A("-v"), "-v: missing argument"},
	{A("--volume"), "--volume: missing argument"},
	{A("--read-only=yes", "ls"), "--read-only: does not take an argument"},
	{A("--help=me"), "--help: does not take an argument"},
	{A("--cpus", "two", "ls"),
	 "--cpus: invalid number `two` (expected 1 to 64 vCPUs; a fraction "
	 "rounds up)"},
	{A("--cpus", "-1", "ls"),
	 "--cpus: invalid number `-1` (expected 1 to 64 vCPUs; a fraction "
	 "rounds up)"},
	{A("--cpus", "2x", "ls"),
	 "--cpus: invalid number `2x` (expected 1 to 64 vCPUs; a fraction "
	 "rounds up)"},
	{A("--cpus", "0", "ls"),
	 "--cpus: invalid vCPU count `0`: must be 1..64"},
	{A("--cpus", "65", "ls"),
	 "--cpus: invalid vCPU count `65`: must be 1..64"},
	{A("--memory", "32", "ls"),
	 "--memory: memory `32` out of range (32 MiB to 1048576 MiB; a number "
	 "without unit is bytes)"},
	{A("--disk", "nocolon", "ls"), NULL},
	{A("--disk", ":/x", "ls"), NULL},
	{A("--root-disk", "nosuch", "ls"), NULL},
	{A("--volume", "tagonly", "ls"), NULL},
	{A("-e", "=x", "ls"),
	 "--env: invalid environment entry `=x`: empty variable name"},
	{A("-e", "", "ls"), "--env: empty variable name"},
	{A("--env-file", "/nonexistent/env", "ls"),
	 "--env-file: cannot read `/nonexistent/env`: No such file or directory"},
	{A("--rlimit", "NOFILE=1", "ls"), NULL},
	{A("--publish", "80", "ls"), NULL},
	{A("--publish", "1:2", "--publish", "1:3", "ls"), NULL},
	{A("-p", "8080:80", "--net", "none", "ls"),
	 "--publish: cannot map ports: networking is disabled"},
	{A("--net", "tcp", "ls"),
	 "--net: unknown network `tcp` (expected passt, passt-fd=FD, gvproxy=PATH or none)"},
	{A("--net", "gvproxy:", "ls"), "--net: empty gvproxy socket path"},
	{A("--mac", "zz", "ls"), NULL},
	{A("--vsock", "x:/s", "ls"), NULL},
	{A("--log-level", "loud", "ls"),
	 "--log-level: invalid log level `loud` (expected 0-5 or off, error, "
	 "warn, info, debug, trace)"},
	{A("--user", "a b", "ls"),
	 "--user: invalid user `a b`: expected USER[:GROUP], names or numbers"},
	{A("--user", "1:", "ls"),
	 "--user: invalid user `1:`: expected USER[:GROUP], names or numbers"},
	{A("--gpu=abc", "ls"), "--gpu: invalid number `abc`"},
	{A("--gpu-shm", "1M", "ls"), "--gpu-shm: needs --gpu"},
	{A("--gpu", "--gpu-shm", "1Q", "ls"),
	 "--gpu-shm: invalid size `1Q` (expected bytes, optionally with a K, "
	 "M, G or T suffix)"},
	{A("--hostname", "", "ls"), "--hostname: empty hostname"},
	/* docker's flags */
	{A("-v", "data:/d", "ls"),
	 "--volume: `data` would be a named volume, which krun-run does not "
	 "have; write ./data for a directory"},
	{A("-v", "/nonexistent-dir:/d", "ls"),
	 "--volume: host directory `/nonexistent-dir`: No such file or "
	 "directory"},
	{A("-v", "/tmp", "ls"),
	 "--volume: `/tmp`: expected HOSTDIR:GUESTDIR[:ro|rw] (anonymous "
	 "volumes do not exist here)"},
	{A("-v", "/tmp:d", "ls"),
	 "--volume: the guest path `d` must be absolute"},
	{A("-v", "/tmp:/", "ls"),
	 "--volume: cannot mount over the guest's `/` (use --root)"},
	{A("-v", "/tmp:/d:z", "ls"),
	 "--volume: unsupported volume option `z` (expected ro, rw, setid, "
	 "dax=SIZE or cache=POLICY)"},
	{A("-v", "/tmp:/d:dax=1M", "ls"),
	 "--volume: a DAX window of 1048576 bytes: must be a multiple of 2 MiB, "
	 "at most 1 TiB"},
	{A("-v", "/tmp:/d:dax=x", "ls"),
	 "--volume: volume option `dax`: invalid size `x` (expected bytes, "
	 "optionally with a K, M, G or T suffix)"},
	{A("--root", "/r", "--root-dax", "3M", "ls"),
	 "--root-dax: a DAX window of 3145728 bytes: must be a multiple of 2 "
	 "MiB, at most 1 TiB"},
	{A("-v", "/tmp:/d:cache=sometimes", "ls"),
	 "--volume: unknown cache policy `sometimes` (expected auto, always or "
	 "never)"},
	{A("--root", "/r", "--fs-cache", "often", "ls"),
	 "--fs-cache: unknown cache policy `often` (expected auto, always or "
	 "never)"},
	{A("--root-disk", "/r.img", "--fs-cache", "always", "ls"),
	 "--fs-cache: applies to a --root directory only (use cache= on a "
	 "volume or share)"},
	{A("--share", "t:/h:cache=", "ls"),
	 "--share: unknown cache policy `` (expected auto, always or never)"},
	{A("-v", ":/d", "ls"), "--volume: `:/d`: empty host directory"},
	{A("-v", "/etc/passwd:/p", "ls"),
	 "--volume: host path `/etc/passwd` is not a directory (only "
	 "directories can be shared)"},
	{A("--mount", "type=volume,dst=/x", "ls"),
	 "--mount: mount type `volume` is not supported (bind and tmpfs are)"},
	{A("--mount", "type=bind,dst=/x", "ls"), "--mount: bind: needs src="},
	{A("--mount", "dst=/x", "ls"),
	 "--mount: `dst=/x`: needs type= and dst="},
	{A("--mount", "type=bind,src=/tmp,dst=/x,bind-propagation=shared",
	   "ls"),
	 "--mount: unsupported key `bind-propagation`"},
	{A("--mount", "type=bind,src=/tmp,dst=/x,readonly=maybe", "ls"),
	 "--mount: `readonly=maybe`: expected true or false"},
	{A("--mount", "type=bind,src,dst=/x", "ls"),
	 "--mount: `src` needs a value"},
	{A("--tmpfs", "", "ls"), "--tmpfs: empty tmpfs mount point"},
	{A("--tmpfs", "rel", "ls"),
	 "--tmpfs: tmpfs `rel`: invalid mount point `rel`: must be an "
	 "absolute path without `..`"},
	{A("--tmpfs", "/", "ls"),
	 "--tmpfs: tmpfs `/`: invalid mount point `/`: the root is mounted by "
	 "--root/--root-disk"},
	{A("--timeout", "0", "ls"),
	 "--timeout: invalid duration `0` (expected a positive number with s, "
	 "m, h, d or ms, at most 49 days)"},
	{A("--timeout", "5x", "ls"),
	 "--timeout: invalid duration `5x` (expected a positive number with s, "
	 "m, h, d or ms, at most 49 days)"},
	{A("--timeout", "-1", "ls"),
	 "--timeout: invalid duration `-1` (expected a positive number with s, "
	 "m, h, d or ms, at most 49 days)"},
	{A("--timeout", "50d", "ls"),
	 "--timeout: invalid duration `50d` (expected a positive number with "
	 "s, m, h, d or ms, at most 49 days)"},
	{A("--tty=maybe", "ls"), "--tty: expected true or false, not `maybe`"},
	{A("--interactive=1", "ls"),
	 "--interactive: expected true or false, not `1`"},
	{A("-t", "--console-output", "/x", "ls"),
	 "--tty: not with --console-output"},
	{A("--memory", "1.5x", "ls"),
	 "--memory: invalid size `1.5x` (expected a number with b, k, m, g or "
	 "t, e.g. 512m, 1.5g)"},
	{A("--memory", "1.", "ls"),
	 "--memory: invalid size `1.` (expected a number with b, k, m, g or t, "
	 "e.g. 512m, 1.5g)"},
	{A("--memory", "2T", "ls"),
	 "--memory: memory `2T` out of range (32 MiB to 1048576 MiB; a number "
	 "without unit is bytes)"},
	{A("--memory", "512k", "ls"),
	 "--memory: memory `512k` out of range (32 MiB to 1048576 MiB; a "
	 "number without unit is bytes)"},
	{A("--cpus", "1.", "ls"),
	 "--cpus: invalid number `1.` (expected 1 to 64 vCPUs; a fraction "
	 "rounds up)"},
	{A("--group-add", "a:b", "ls"),
	 "--group-add: invalid group `a:b`: expected a name or a number"},
	{A("--sysctl", "novalue", "ls"),
	 "--sysctl: `novalue`: expected KEY=VALUE"},
	{A("--sysctl", "../x=1", "ls"), "--sysctl: invalid sysctl `../x`"},
	{A("--domainname", "a b", "ls"),
	 "--domainname: invalid domain name `a b`: only letters, digits, `-`, "
	 "`.` and `_` are allowed"},
	{A("-u", "", "ls"), "--user: empty user"},
	{A("--cap-add", "FLY", "ls"), "--cap-add: unknown capability `FLY`"},
	{A("--stop-timeout", "-1", "ls"),
	 "--stop-timeout: invalid number `-1` (expected 0 to 3600 seconds)"},
	{A("--stop-timeout", "3601", "ls"),
	 "--stop-timeout: invalid number `3601` (expected 0 to 3600 seconds)"},
	{A("--stop-timeout", "5s", "ls"),
	 "--stop-timeout: invalid number `5s` (expected 0 to 3600 seconds)"},
	{A("--cap-drop", "", "ls"), "--cap-drop: unknown capability ``"},
	{A("--security-opt", "seccomp=p.json", "ls"),
	 "--security-opt: unsupported option `seccomp=p.json` (only "
	 "no-new-privileges; a seccomp profile comes with --bundle/--spec)"},
	{A("--entrypoint", "", "ls"), NULL},
	{A("--root", "", "ls"), "--root: empty root directory path"},
	{A("--spec", "/nonexistent.json"),
	 "--spec: cannot read `/nonexistent.json`: No such file or directory"},
	{A("--bundle", "/nonexistent"),
	 "--bundle: cannot read `/nonexistent/config.json`: No such file or "
	 "directory"},
};

/*
 * Each malformed command line fails with its exact one-line message; a NULL
 * msg means "the setter's words behind the flag name". With --console-output
 * in front, no console file may appear: nothing is written before the
 * configuration is complete.
 */
static void test_bad_flags(void **state)
{
	char console[512];
	size_t failed = 0;

	(void)state;
	snprintf(console, sizeof(console), "%s/console.log", tmpdir);
	for (size_t i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		const char *args[MAX_ARGS] = {"--console-output", console};
		const char *want = bad_flags[i].msg;
		char *json, *msg;
		size_t n = 2;

		for (size_t j = 0; bad_flags[i].args[j]; j++)
			args[n++] = bad_flags[i].args[j];
		args[n] = NULL;
		if (build(args, &json, &msg) == 0) {
			print_error("case %zu (%s): succeeded\n", i, args[2]);
			free(json);
			failed++;
			continue;
		}
		if (want ? strcmp(msg, want) != 0
			 : strncmp(msg, args[2], strlen(args[2])) != 0 ||
				    strncmp(msg + strlen(args[2]), ": ", 2) !=
					    0) {
			print_error("case %zu:\n  got  `%s`\n  want `%s`\n", i,
				    msg, want ? want : args[2]);
			failed++;
		}
		if (strchr(msg, '\n'))
			failed++;
		free(msg);
		assert_int_equal(access(console, F_OK), -1);
	}
	assert_int_equal(failed, 0);
}

/* docker's flags fill the config as docker means them. */
static void test_docker_flags(void **state)
{
	const char *args[] = {"--root",
			      "/r",
			      "-v",
			      "/tmp:/data:ro,setid,dax=64M,cache=never",
			      "--root-nosetid",
			      "--root-dax",
			      "1G",
			      "--fs-cache",
			      "always",
			      "--mount",
			      "type=bind,src=/tmp,dst=/m,readonly",
			      "--mount",
			      "type=tmpfs,dst=/t,tmpfs-size=1m",
			      "--tmpfs",
			      "/run:size=2m",
			      "-u",
			      "alice:staff",
			      "--group-add",
			      "video",
			      "--memory",
			      "1.5G",
			      "--cpus",
			      "1.5",
			      "--timeout",
			      "1.5m",
			      "--stop-timeout",
			      "0",
			      "-t",
			      "-i",
			      "--sysctl",
			      "vm.swappiness=1",
			      "--entrypoint",
			      "/bin/echo",
			      "--init",
			      "--rm",
			      "--",
			      "a",
			      "b",
			      NULL};
	struct krun_config *cfg = build_cfg(args);

	(void)state;
	assert_int_equal(cfg->n_shares, 2);
	assert_string_equal(cfg->shares[0].tag, "vol0");
	assert_string_equal(cfg->shares[0].guest_path, "/data");
	assert_true(cfg->shares[0].read_only);
	assert_true(cfg->shares[0].allow_setid);
	assert_int_equal(cfg->shares[0].cache, KRUN_FS_CACHE_NEVER);
	assert_true(cfg->root_strip_setid);
	assert_int_equal(cfg->shares[0].shm_size, 64 << 20);
	assert_int_equal(cfg->root_shm_size, 1 << 30);
	assert_int_equal(cfg->root_cache, KRUN_FS_CACHE_ALWAYS);
	assert_string_equal(cfg->shares[1].tag, "vol1");
	assert_true(cfg->shares[1].read_only);
	assert_false(cfg->shares[1].allow_setid);
	assert_int_equal(cfg->shares[1].shm_size, 0);
	assert_int_equal(cfg->shares[1].cache, KRUN_FS_CACHE_AUTO);
	assert_int_equal(cfg->n_fsmounts, 2);
	assert_string_equal(cfg->fsmounts[0].data, "size=1m");
	assert_string_equal(cfg->fsmounts[1].target, "/run");
	assert_int_equal(cfg->fsmounts[1].ms_flags,
			 14); /* noexec,nosuid,nodev */
	assert_string_equal(cfg->user_spec, "alice:staff");
	assert_false(cfg->has_user);
	assert_string_equal(cfg->group_add[0], "video");
	assert_int_equal(cfg->ram_mib, 1536);
	assert_int_equal(cfg->vcpus, 2);
	assert_int_equal(cfg->timeout_ms, 90000);
	assert_true(cfg->stop_grace_set);
	assert_int_equal(cfg->stop_grace_ms, 0);
	assert_int_equal(cfg->tty, KRUN_YES);
	assert_int_equal(cfg->interactive, KRUN_YES);
	assert_string_equal(cfg->sysctls[0], "vm.swappiness=1");
	assert_string_equal(cfg->exec_path, "/bin/echo");
	assert_string_equal(cfg->argv[0], "a");
	assert_string_equal(cfg->argv[1], "b");
	/* a user by name: HOME comes from the guest's passwd file */
	for (size_t i = 0; cfg->envp[i]; i++)
		assert_true(strncmp(cfg->envp[i], "HOME=", 5) != 0);
	config_free(cfg);
}

/* --cap-add / --cap-drop over every capability; ALL; no-new-privileges */
static void test_docker_caps(void **state)
{
	const char *drop_all[] = {"--root",	    "/r",
				  "--cap-drop",	    "ALL",
				  "--cap-add",	    "net_raw",
				  "--cap-add",	    "CAP_KILL",
				  "--security-opt", "no-new-privileges",
				  "true",	    NULL};
	const char *drop_one[] = {"--root",    "/r",   "--cap-drop",
				  "SYS_ADMIN", "true", NULL};
	struct krun_config *cfg = build_cfg(drop_all);
	uint64_t want = (1ull << 13) | (1ull << 5);

	(void)state;
	assert_true(cfg->caps_set);
	assert_int_equal(cfg->caps[0], want); /* bounding */
	assert_int_equal(cfg->caps[1], want); /* effective */
	assert_int_equal(cfg->caps[2], 0);    /* inheritable */
	assert_int_equal(cfg->caps[3], want); /* permitted */
	assert_int_equal(cfg->caps[4], 0);    /* ambient */
	assert_true(cfg->no_new_privs);
	config_free(cfg);
	cfg = build_cfg(drop_one);
	assert_int_equal(cfg->caps[0] & (1ull << 21), 0);
	assert_int_equal(cfg->caps[0] & 1, 1);
	assert_int_equal(cfg->caps[0] >> 40, 1); /* CAP_CHECKPOINT_RESTORE */
	assert_false(cfg->no_new_privs);
	config_free(cfg);
}

/* Sizes and counts in docker's units. */
static void test_docker_units(void **state)
{
	static const struct {
		const char *text;
		uint32_t mib;
	} sizes[] = {{"1.5G", 1536},   {"2GB", 2048},	{"2gib", 2048},
		     {"65536k", 64},   {"100m", 100},	{"0.5g", 512},
		     {"67108864", 64}, {"1t", 1048576}, {"1.25 g", 1280}};
	uint32_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(
			config_parse_docker_memory(sizes[i].text, &v, NULL), 0);
		assert_int_equal(v, sizes[i].mib);
	}
	assert_int_equal(config_parse_duration("90", &v, NULL), 0);
	assert_int_equal(v, 90000);
	assert_int_equal(config_parse_duration("250ms", &v, NULL), 0);
	assert_int_equal(v, 250);
	assert_int_equal(config_parse_duration("1.5h", &v, NULL), 0);
	assert_int_equal(v, 5400000);
	assert_int_equal(config_parse_duration("2d", &v, NULL), 0);
	assert_int_equal(v, 172800000);
	assert_true(config_parse_duration("0.0001s", &v, NULL) < 0);
	assert_true(config_parse_duration("", &v, NULL) < 0);
	assert_true(config_parse_duration("1 s", &v, NULL) < 0);
	assert_true(config_parse_docker_memory("", &v, NULL) < 0);
	assert_true(config_parse_docker_memory(".5g", &v, NULL) < 0);
	assert_true(config_parse_docker_memory("1..5g", &v, NULL) < 0);
	assert_true(config_parse_docker_memory("99999999999999999999g", &v,
					       NULL) < 0);
}

static void test_defaults(void **state)
{
	const char *args[] = {"--root", "/r", "true", NULL};
	const char *tty_args[] = {"--root", "/r",   "--user",
				  "7:0",    "true", NULL};
	struct krun_config *cfg = NULL;
	struct krun_err *err = NULL;
	struct run_options o;
	char *json = build_json(args);

	(void)state;
	assert_non_null(strstr(json, "\"vcpus\": 1,"));
	assert_non_null(strstr(json, "\"memoryMiB\": 512,"));
	/* Networking is on by default, and may fall back to none. */
	assert_non_null(strstr(json, "\"mode\": \"passt\""));
	assert_non_null(strstr(json, "\"required\": false"));
	assert_non_null(strstr(json, "\"mac\": \"5a:94:ef:e4:0c:ee\""));
	assert_non_null(strstr(json, "\"HOME=/root\""));
	assert_null(strstr(json, "TERM="));
	free(json);

	assert_int_equal(parse(&o, tty_args, &err), 0);
	o.stdin_is_tty = true;
	assert_int_equal(run_options_build(&o, &cfg, &err), 0);
	assert_string_equal(cfg->envp[0], "PATH=" KRUN_RUN_DEFAULT_PATH);
	assert_string_equal(cfg->envp[1], "HOME=/");
	assert_string_equal(cfg->envp[2], "TERM=xterm");
	assert_null(cfg->envp[3]);
	assert_int_equal(cfg->gid, 0);
	config_free(cfg);
	run_options_free(&o);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_env_sources(void **state)
{
	char file[512];
	const char *args[] = {"--env-file", file,     "-e",
			      "FROM_HOST",  "-e",     "UNSET_ON_HOST",
			      "-e",	    "B=flag", "--root",
			      "/r",	    "true",   NULL};
	struct krun_config *cfg = NULL;
	struct krun_err *err = NULL;
	struct run_options o;

	(void)state;
	snprintf(file, sizeof(file), "%s/env", tmpdir);
	write_file(file, "# comment\n\n  A=1\r\nB=file\nFROM_HOST\n");
	setenv("FROM_HOST", "host value", 1);
	unsetenv("UNSET_ON_HOST");
	assert_int_equal(parse(&o, args, &err), 0);
	assert_int_equal(run_options_build(&o, &cfg, &err), 0);
	assert_string_equal(cfg->envp[2], "A=1");
	assert_string_equal(cfg->envp[3], "B=flag"); /* -e after the file */
	assert_string_equal(cfg->envp[4], "FROM_HOST=host value");
	assert_null(cfg->envp[5]);
	config_free(cfg);
	run_options_free(&o);

	write_file(file, "OK=1\n=bad\n");
	{
		const char *bad[] = {"--env-file", file, "true", NULL};
		char *json, *msg, want[600];

		assert_true(build(bad, &json, &msg) < 0);
		snprintf(want, sizeof(want),
			 "--env-file: %s:2: invalid environment entry `=bad`: "
			 "empty variable name",
			 file);
		assert_string_equal(msg, want);
		free(msg);
	}
}

static void test_publish_implies_passt(void **state)
{
	const char *args[] = {"-p", "8080:80", "--root", "/r", "true", NULL};
	char *json = build_json(args);

	(void)state;
	assert_non_null(strstr(json, "\"mode\": \"passt\""));
	assert_non_null(strstr(json, "\"required\": true"));
	assert_non_null(strstr(json, "\"8080:80/tcp\""));
	free(json);
}

static void test_root_disk_forms(void **state)
{
	const char *by_path[] = {"--root-disk", "./img.qcow2:qcow2:ro", "x",
				 NULL};
	const char *by_id[] = {"--root-disk", "sys", "--disk",
			       "sys:/d.raw",  "x",   NULL};
	char *json;

	(void)state;
	json = build_json(by_path);
	assert_non_null(strstr(json, "\"id\": \"root\""));
	assert_non_null(strstr(json, "\"path\": \"./img.qcow2\""));
	assert_non_null(strstr(json, "\"format\": \"qcow2\""));
	assert_non_null(strstr(json, "\"disk\": \"root\""));
	free(json);
	/* fixed application order: --root-disk may precede its --disk */
	json = build_json(by_id);
	assert_non_null(strstr(json, "\"disk\": \"sys\""));
	free(json);
}

static void test_root_partition(void **state)
{
	const char *args[] = {"--root-partition", "3", "--root-disk",
			      "./p.qcow2:qcow2",  "x", NULL};
	char *json;

	(void)state;
	json = build_json(args);
	assert_non_null(strstr(json, "\"partition\": 3"));
	free(json);
}

static void test_flags_override_spec(void **state)
{
	char spec[512];
	const char *args[] = {"--spec", spec,	   "--cpus",
			      "3",	"--net",   "passt",
			      "-e",	"A=2",	   "--smbios-oem",
			      "flag",	"--share", "t2:/h2:ro:setid:cache=never",
			      "--fs-cache", "never", NULL};
	struct krun_config *cfg = NULL;
	struct krun_err *err = NULL;
	struct run_options o;

	(void)state;
	snprintf(spec, sizeof(spec), "%s/override.json", tmpdir);
	write_file(spec, "{\"process\":{\"args\":[\"sh\"],\"env\":[\"A=1\"]},"
			 "\"root\":{\"path\":\"/r\",\"setid\":false,"
			 "\"cache\":\"always\"},"
			 "\"krun\":{\"vcpus\":2,\"net\":{\"mode\":\"none\"},"
			 "\"smbiosOemStrings\":[\"spec\"],"
			 "\"volumes\":[{\"tag\":\"t1\",\"hostPath\":\"/h1\","
			 "\"setid\":true,\"cache\":\"always\"}]}}");
	assert_int_equal(parse(&o, args, &err), 0);
	if (run_options_build(&o, &cfg, &err) < 0)
		fail_msg("%s", krun_err_msg(err));
	assert_int_equal(cfg->vcpus, 3);
	assert_int_equal(cfg->net_mode, KRUN_NET_PASST);
	assert_string_equal(cfg->envp[0],
			    "A=2"); /* the spec's env, no defaults */
	assert_null(cfg->envp[1]);
	assert_string_equal(cfg->oem_strings[0], "spec"); /* lists append */
	assert_string_equal(cfg->oem_strings[1], "flag");
	assert_int_equal(cfg->n_shares, 2);
	assert_true(cfg->shares[0].allow_setid);
	assert_true(cfg->shares[1].allow_setid);
	assert_true(cfg->shares[1].read_only);
	assert_int_equal(cfg->shares[0].cache, KRUN_FS_CACHE_ALWAYS);
	assert_int_equal(cfg->shares[1].cache, KRUN_FS_CACHE_NEVER);
	assert_true(cfg->root_strip_setid);
	assert_int_equal(cfg->root_cache, KRUN_FS_CACHE_NEVER);
	assert_string_equal(cfg->exec_path, "sh");
	config_free(cfg);
	run_options_free(&o);
}

/* ---- round trips ---- */

static struct krun_config *spec_cfg(const char *spec_text)
{
	char spec[512];
	const char *args[] = {"--spec", spec, NULL};

	snprintf(spec, sizeof(spec), "%s/roundtrip.json", tmpdir);
	write_file(spec, spec_text);
	return build_cfg(args);
}

static char *json_of(const struct krun_config *cfg)
{
	char *json = NULL;

	assert_int_equal(config_to_json(cfg, &json, NULL), 0);
	return json;
}

/*
 * The doors agree: equal structs member by member, and equal
 * --print-config text. `flags` and `spec` are freed; the API context
 * `ctx` (if >= 0) is compared through its config, then freed.
 */
static void assert_same3(struct krun_config *flags, struct krun_config *spec,
			 int32_t ctx)
{
	struct krun_config *api = NULL;
	char *a = json_of(flags), *b = json_of(spec), *c = NULL;

	config_assert_equal(flags, spec);
	assert_string_equal(a, b);
	if (ctx >= 0) {
		assert_int_equal(krun_ctx_borrow((uint32_t)ctx, &api), 0);
		c = json_of(api);
		config_assert_equal(flags, api);
		assert_string_equal(a, c);
		assert_int_equal(krun_free_ctx((uint32_t)ctx), 0);
	}
	free(a);
	free(b);
	free(c);
	config_free(flags);
	config_free(spec);
}

static void test_roundtrip_process(void **state)
{
	const char *flags[] = {"--root",     "/r",
			       "--cpus",     "2",
			       "--memory",   "1G",
			       "-w",	     "/tmp",
			       "--hostname", "h",
			       "--user",     "1000:100",
			       "-e",	     "A=1",
			       "--rlimit",   "NOFILE=10:20",
			       "--rlimit",   "NPROC=5:unlimited",
			       "--net",	     "none",
			       "--",	     "/bin/echo",
			       "hi",	     "there",
			       NULL};
	const char *env[] = {"PATH=" KRUN_RUN_DEFAULT_PATH, "HOME=/", "A=1",
			     NULL};
	const char *argv[] = {"hi", "there", NULL};
	const char *rlimits[] = {"RLIMIT_NOFILE=10:20", "6=5:unlimited", NULL};
	struct krun_config *a = build_cfg(flags), *b, *cfg;
	int32_t ctx;

	(void)state;
	b = spec_cfg("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"},"
		     "\"process\":{\"args\":[\"/bin/echo\",\"hi\",\"there\"],"
		     "\"env\":[\"PATH=" KRUN_RUN_DEFAULT_PATH "\",\"HOME=/\","
		     "\"A=1\"],\"cwd\":\"/tmp\",\"user\":{\"uid\":1000,"
		     "\"gid\":100},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
		     "\"soft\":10,\"hard\":20},{\"type\":\"RLIMIT_NPROC\","
		     "\"soft\":5,\"hard\":18446744073709551615}]},"
		     "\"hostname\":\"h\",\"krun\":{\"vcpus\":2,"
		     "\"memory\":\"1G\",\"net\":{\"mode\":\"none\"}}}");
	ctx = krun_create_ctx();
	assert_true(ctx >= 0);
	assert_int_equal(krun_set_vm_config(ctx, 2, 1024), 0);
	assert_int_equal(krun_set_root(ctx, "/r"), 0);
	assert_int_equal(krun_set_workdir(ctx, "/tmp"), 0);
	assert_int_equal(krun_set_exec(ctx, "/bin/echo", argv, env), 0);
	assert_int_equal(krun_set_rlimits(ctx, rlimits), 0);
	/* no krun_* call exists for these: the context model's setters */
	assert_int_equal(krun_ctx_borrow(ctx, &cfg), 0);
	assert_int_equal(config_set_hostname(cfg, "h", NULL), 0);
	assert_int_equal(config_set_user(cfg, 1000, 100, NULL), 0);
	assert_int_equal(config_set_net_none(cfg, NULL), 0);
	assert_same3(a, b, ctx);
}

static void test_roundtrip_devices(void **state)
{
	const char *flags[] = {"--disk",
			       "data:/img/data.raw:raw:ro",
			       "--root-disk",
			       "./root.img",
			       "--share",
			       "share:/host/dir:/mnt:ro:cache=always",
			       "--net",
			       "gvproxy:/tmp/gv.sock",
			       "--mac",
			       "02:00:00:00:00:01",
			       "--vsock",
			       "1024:/tmp/v.sock",
			       "--vsock",
			       "1025:/tmp/l.sock,listen",
			       "--kernel",
			       "/k/vmlinux",
			       "--kernel-log",
			       "--console-output",
			       "/tmp/console.log",
			       "--log-level",
			       "debug",
			       "--smbios-oem",
			       "a",
			       "--smbios-oem",
			       "b",
			       "--gpu=3",
			       "--gpu-shm",
			       "64M",
			       "--sound",
			       "--tee-config",
			       "/tee.json",
			       "-e",
			       "X=y",
			       "--",
			       "/bin/true",
			       NULL};
	const char *env[] = {"PATH=" KRUN_RUN_DEFAULT_PATH, "HOME=/root", "X=y",
			     NULL};
	const char *oem[] = {"a", "b", NULL};
	const char *none[] = {NULL};
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	struct krun_config *a = build_cfg(flags), *b, *cfg;
	int32_t ctx;

	(void)state;
	b = spec_cfg(
		"{\"process\":{\"args\":[\"/bin/true\"],\"env\":[\"PATH=" KRUN_RUN_DEFAULT_PATH
		"\",\"HOME=/root\",\"X=y\"]},"
		"\"krun\":{\"disks\":[{\"id\":\"data\",\"path\":"
		"\"/img/data.raw\",\"format\":\"raw\",\"readonly\":true},"
		"{\"id\":\"root\",\"path\":\"./root.img\",\"root\":true}],"
		"\"volumes\":[{\"tag\":\"share\",\"hostPath\":\"/host/dir\","
		"\"guestPath\":\"/mnt\",\"readonly\":true,\"cache\":\"always\"}],"
		"\"net\":{\"mode\":\"gvproxy\",\"path\":\"/tmp/gv.sock\","
		"\"mac\":\"02:00:00:00:00:01\"},"
		"\"vsock\":[{\"port\":1024,\"path\":\"/tmp/v.sock\"},"
		"{\"port\":1025,\"path\":\"/tmp/l.sock\",\"listen\":true}],"
		"\"kernel\":\"/k/vmlinux\",\"kernelLog\":true,"
		"\"consoleOutput\":\"/tmp/console.log\",\"logLevel\":4,"
		"\"smbiosOemStrings\":[\"a\",\"b\"],"
		"\"gpu\":{\"virglFlags\":3,\"shmSize\":67108864},"
		"\"sound\":true,\"teeConfig\":\"/tee.json\"}}");
	ctx = krun_create_ctx();
	assert_true(ctx >= 0);
	assert_int_equal(krun_add_disk2(ctx, "data", "/img/data.raw",
					KRUN_DISK_FORMAT_RAW, true),
			 0);
	assert_int_equal(krun_add_disk2(ctx, "root", "./root.img",
					KRUN_DISK_FORMAT_RAW, false),
			 0);
	assert_int_equal(krun_set_gvproxy_path(ctx, (char *)"/tmp/gv.sock"), 0);
	assert_int_equal(krun_set_net_mac(ctx, mac), 0);
	assert_int_equal(krun_add_vsock_port(ctx, 1024, "/tmp/v.sock"), 0);
	assert_int_equal(krun_add_vsock_port2(ctx, 1025, "/tmp/l.sock", true),
			 0);
	assert_int_equal(krun_set_console_output(ctx, "/tmp/console.log"), 0);
	assert_int_equal(krun_set_smbios_oem_strings(ctx, oem), 0);
	assert_int_equal(krun_set_gpu_options2(ctx, 3, 64ull << 20), 0);
	assert_int_equal(krun_set_snd_device(ctx, true), 0);
	assert_int_equal(krun_set_tee_config_file(ctx, "/tee.json"), 0);
	assert_int_equal(krun_set_exec(ctx, "/bin/true", none, env), 0);
	assert_int_equal(krun_ctx_borrow(ctx, &cfg), 0);
	assert_int_equal(config_set_root_disk_id(cfg, "root", NULL), 0);
	assert_int_equal(config_add_share(cfg, "share", "/host/dir", "/mnt",
					  true, 0, NULL),
			 0);
	assert_int_equal(config_set_share_cache(cfg, "share",
						KRUN_FS_CACHE_ALWAYS, NULL),
			 0);
	assert_int_equal(config_set_kernel(cfg, "/k/vmlinux", NULL), 0);
	assert_int_equal(config_set_kernel_log(cfg, true, NULL), 0);
	assert_int_equal(config_set_log_level(cfg, 4, NULL), 0);
	assert_same3(a, b, ctx);
}

static void test_roundtrip_ports(void **state)
{
	const char *flags[] = {"-p",	 "8080:80", "-p", "2222:22",
			       "--root", "/r",	    "sh", NULL};
	const char *map[] = {"8080:80", "2222:22", NULL};
	const char *env[] = {"PATH=" KRUN_RUN_DEFAULT_PATH, "HOME=/root", NULL};
	const char *none[] = {NULL};
	struct krun_config *a = build_cfg(flags), *b;
	int32_t ctx;

	(void)state;
	/* no env in the spec: the CLI's default environment applies */
	b = spec_cfg("{\"root\":{\"path\":\"/r\"},\"process\":{\"args\":"
		     "[\"sh\"]},\"krun\":{\"ports\":[\"8080:80\","
		     "\"2222:22\"]}}");
	ctx = krun_create_ctx();
	assert_true(ctx >= 0);
	assert_int_equal(krun_set_root(ctx, "/r"), 0);
	assert_int_equal(krun_set_exec(ctx, "sh", none, env), 0);
	assert_int_equal(krun_set_port_map(ctx, map), 0);
	assert_same3(a, b, ctx);
}

/* --bundle DIR resolves root.path against DIR, like --root DIR/rootfs. */
static void test_roundtrip_bundle(void **state)
{
	char bundle[512], spec[600], root[600];
	const char *bundle_args[] = {"--bundle", bundle, NULL};
	const char *flags[] = {
		"--root",      root,	     "--read-only",
		"-w",	       "/",	     "--hostname",
		"crun",	       "--user",     "0:0",
		"--tty=false", "--rlimit",   "RLIMIT_NOFILE=1024:1024",
		"-e",	       "TERM=xterm", "--",
		"sh",	       NULL};
	struct krun_config *a, *b;

	(void)state;
	snprintf(bundle, sizeof(bundle), "%s/bundle", tmpdir);
	snprintf(spec, sizeof(spec), "%s/config.json", bundle);
	snprintf(root, sizeof(root), "%s/rootfs", bundle);
	assert_int_equal(mkdir(bundle, 0755), 0);
	write_file(
		spec,
		"{\"ociVersion\":\"1.0.0\",\"process\":{\"terminal\":false,"
		"\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
		"\"env\":[\"PATH=" KRUN_RUN_DEFAULT_PATH "\",\"HOME=/root\","
		"\"TERM=xterm\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":"
		"\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}]},"
		"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
		"\"hostname\":\"crun\"}");
	a = build_cfg(flags);
	b = build_cfg(bundle_args);
	assert_same3(a, b, -1);
	unlink(spec);
	rmdir(bundle);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[600];
	const char *names[] = {"env", "override.json", "roundtrip.json",
			       "console.log"};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_command_and_lists),
		cmocka_unit_test(test_parse_double_dash_and_optional),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_docker_flags),
		cmocka_unit_test(test_docker_units),
		cmocka_unit_test(test_docker_caps),
		cmocka_unit_test(test_env_sources),
		cmocka_unit_test(test_publish_implies_passt),
		cmocka_unit_test(test_root_disk_forms),
		cmocka_unit_test(test_root_partition),
		cmocka_unit_test(test_flags_override_spec),
		cmocka_unit_test(test_roundtrip_process),
		cmocka_unit_test(test_roundtrip_devices),
		cmocka_unit_test(test_roundtrip_ports),
		cmocka_unit_test(test_roundtrip_bundle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
