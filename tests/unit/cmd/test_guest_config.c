// SPDX-License-Identifier: Apache-2.0
/* Host encoder (lib/initramfs.c) -> guest parser (cmd/krun-init). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "cmd/krun-init/guest_config.h"
#include "lib/initramfs/initramfs.h"

static char *test_argv[] = {"-c", "echo \"$A\"; exit 3", "", NULL};
static char *test_env[] = {"A=x y", "EMPTY=", NULL};

static char *test_groups[] = {"video", "29", NULL};
static char *test_sysctls[] = {"vm.swappiness=7", "net/ipv4/ip_forward=1",
			       NULL};
static char *test_arches[] = {"x86_64", "x86", NULL};
static char *test_masked[] = {"/proc/kcore", NULL};
static char *test_readonly[] = {"/proc/sys", "/proc/bus", NULL};
static struct krun_fsmount test_fsmounts[] = {
	{"tmpfs", "tmpfs", "/scratch", 14, "size=4m,mode=1777"},
	{"mqueue", "mqueue", "/dev/mqueue", 0, ""},
};
static struct krun_seccomp_rule test_rules[] = {
	{"mkdir", KRUN_GUEST_SCMP_ERRNO, 99, 0, {{0}}},
	{"personality",
	 KRUN_GUEST_SCMP_ALLOW,
	 0,
	 2,
	 {{0, KRUN_GUEST_SCMP_CMP_EQ, 8, 0},
	  {1, KRUN_GUEST_SCMP_CMP_MASKED_EQ, 0xff, 0x7}}},
};

/* The attrs section's members, every one set. */
static void full_attrs(struct krun_config *cfg)
{
	cfg->user_spec = "alice:staff";
	cfg->group_add = test_groups;
	cfg->umask_set = true;
	cfg->umask = 027;
	cfg->no_new_privs = true;
	cfg->caps_set = true;
	for (int i = 0; i < KRUN_CAP_SETS; i++)
		cfg->caps[i] = (1ull << 5) << i;
	cfg->domainname = "example.org";
	cfg->sysctls = test_sysctls;
	cfg->fsmounts = test_fsmounts;
	cfg->n_fsmounts = 2;
	cfg->masked_paths = test_masked;
	cfg->readonly_paths = test_readonly;
	cfg->seccomp_set = true;
	cfg->seccomp_default_action = KRUN_GUEST_SCMP_ALLOW;
	cfg->seccomp_arches = test_arches;
	cfg->seccomp_rules = test_rules;
	cfg->n_seccomp_rules = 2;
}

static void full_config(struct krun_config *cfg, struct krun_share *shares,
			struct krun_rlimit *rl)
{
	shares[0] = (struct krun_share){
		.tag = "data", .guest_path = "/mnt/d", .read_only = true};
	shares[1] = (struct krun_share){.tag = "hidden"}; /* no guest path */
	rl[0] = (struct krun_rlimit){RLIMIT_NOFILE, 1024, 4096};
	rl[1] = (struct krun_rlimit){RLIMIT_CORE, 0, RLIM_INFINITY};
	*cfg = (struct krun_config){
		.root_dir = "/srv/root",
		.exec_path = "/bin/sh",
		.argv = test_argv,
		.envp = test_env,
		.workdir = "/home/u",
		.hostname = "guest-1",
		.has_user = true,
		.uid = 1000,
		.gid = 100,
		.terminal = true,
		.kernel_log = true,
		.rlimits = rl,
		.n_rlimits = 2,
		.shares = shares,
		.n_shares = 2,
		.shutdown_eventfd = -1,
	};
	full_attrs(cfg);
}

static void check_attrs(const struct guest_config *g)
{
	const struct guest_attrs *a = &g->attrs;

	assert_int_equal(a->flags, KRUN_GUEST_A_ALL);
	assert_int_equal(a->umask, 027);
	assert_string_equal(a->user, "alice:staff");
	assert_int_equal(a->n_group_add, 2);
	assert_string_equal(a->group_add[1], "29");
	assert_string_equal(a->domainname, "example.org");
	for (int i = 0; i < KRUN_GUEST_CAP_SETS; i++)
		assert_int_equal(a->caps[i], (1ull << 5) << i);
	assert_int_equal(a->n_sysctls, 2);
	assert_string_equal(a->sysctls[1], "net/ipv4/ip_forward=1");
	assert_int_equal(a->n_fsmounts, 2);
	assert_int_equal(a->fsmounts[0].ms_flags, 14);
	assert_string_equal(a->fsmounts[0].data, "size=4m,mode=1777");
	assert_string_equal(a->fsmounts[1].target, "/dev/mqueue");
	assert_int_equal(a->n_masked, 1);
	assert_string_equal(a->masked[0], "/proc/kcore");
	assert_int_equal(a->n_readonly, 2);
	assert_string_equal(a->readonly[1], "/proc/bus");
	assert_int_equal(a->seccomp_default_action, KRUN_GUEST_SCMP_ALLOW);
	assert_int_equal(a->n_arches, 2);
	assert_int_equal(a->n_rules, 2);
	assert_int_equal(a->rules[0].errno_ret, 99);
	assert_int_equal(a->rules[1].n_args, 2);
	assert_int_equal(a->rules[1].args[1].op, KRUN_GUEST_SCMP_CMP_MASKED_EQ);
	assert_int_equal(a->rules[1].args[1].value_two, 7);
}

static void encode(const struct krun_config *cfg,
		   const struct initramfs_params *p, uint8_t **buf, size_t *len)
{
	struct krun_err *err = NULL;

	assert_int_equal(
		initramfs_encode_config(cfg, p, (void **)buf, len, &err), 0);
}

static void check_process(const struct guest_config *g)
{
	assert_int_equal(g->flags, KRUN_GUEST_F_TERMINAL |
					   KRUN_GUEST_F_KERNEL_LOG |
					   KRUN_GUEST_F_SET_USER);
	assert_int_equal(g->uid, 1000);
	assert_int_equal(g->gid, 100);
	assert_int_equal(g->shutdown_grace_ms, 2500);
	assert_string_equal(g->hostname, "guest-1");
	assert_string_equal(g->workdir, "/home/u");
	assert_int_equal(g->argc, 4);
	assert_string_equal(g->argv[0], "/bin/sh");
	assert_string_equal(g->argv[1], "-c");
	assert_string_equal(g->argv[2], "echo \"$A\"; exit 3");
	assert_string_equal(g->argv[3], "");
	assert_null(g->argv[4]);
	assert_int_equal(g->envc, 2);
	assert_string_equal(g->envp[0], "A=x y");
	assert_string_equal(g->envp[1], "EMPTY=");
	assert_null(g->envp[2]);
	assert_int_equal(g->n_rlimits, 2);
	assert_int_equal(g->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(g->rlimits[0].cur, 1024);
	assert_int_equal(g->rlimits[0].max, 4096);
	assert_int_equal(g->rlimits[1].resource, RLIMIT_CORE);
	assert_true(g->rlimits[1].max == (uint64_t)RLIM_INFINITY);
}

static void check_mounts(const struct guest_config *g)
{
	assert_int_equal(g->root.kind, KRUN_GUEST_MOUNT_VIRTIOFS);
	assert_int_equal(g->root.flags, 0);
	assert_string_equal(g->root.source, KRUN_ROOT_TAG);
	assert_string_equal(g->root.target, "/");
	assert_string_equal(g->root.fstype, "virtiofs");
	assert_int_equal(g->n_mounts, 2);
	assert_string_equal(g->mounts[0].source, "data");
	assert_string_equal(g->mounts[0].target, "/mnt/d");
	assert_int_equal(g->mounts[0].flags, KRUN_GUEST_MOUNT_F_RO);
	assert_int_equal(g->mounts[1].kind, KRUN_GUEST_MOUNT_BLOCK_ID);
	assert_string_equal(g->mounts[1].source, "disk2");
	assert_string_equal(g->mounts[1].target, "/var/lib/x");
	assert_string_equal(g->mounts[1].fstype, "");
	assert_string_equal(g->mounts[1].options, "noatime");
}

static void round_trip(void **state)
{
	struct initramfs_mount extra = {.kind = KRUN_GUEST_MOUNT_BLOCK_ID,
					.source = "disk2",
					.target = "/var/lib/x",
					.options = "noatime"};
	struct krun_share shares[2];
	struct krun_rlimit rl[2];
	struct krun_config cfg;
	struct initramfs_params p;
	struct guest_config *g = NULL;
	struct krun_err *err = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	full_config(&cfg, shares, rl);
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	p.mounts = &extra;
	p.n_mounts = 1;
	p.shutdown_grace_ms = 2500;
	encode(&cfg, &p, &buf, &len);
	assert_int_equal(guest_config_parse(buf, len, &g, &err), 0);
	assert_null(err);
	check_process(g);
	check_mounts(g);
	check_attrs(g);
	guest_config_free(g);
	free(buf);
}

static void defaults_round_trip(void **state)
{
	struct krun_config cfg = {
		.root_dir = "/r", .exec_path = "true", .shutdown_eventfd = -1};
	struct initramfs_params p;
	struct guest_config *g = NULL;
	struct krun_err *err = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	encode(&cfg, &p, &buf, &len);
	assert_int_equal(guest_config_parse(buf, len, &g, &err), 0);
	assert_int_equal(g->flags, 0);
	assert_int_equal(g->shutdown_grace_ms, KRUN_GUEST_DEFAULT_GRACE_MS);
	assert_string_equal(g->hostname, "");
	assert_string_equal(g->workdir, "");
	assert_int_equal(g->argc, 1);
	assert_string_equal(g->argv[0], "true");
	assert_int_equal(g->envc, 0);
	assert_null(g->envp[0]);
	assert_int_equal(g->n_rlimits, 0);
	assert_int_equal(g->n_mounts, 0);
	guest_config_free(g);
	free(buf);
}

/* Through the real config model: what the front doors set reaches init. */
static void from_config_setters(void **state)
{
	static const char *const argv[] = {"a b", NULL};
	static const char *const env[] = {"K=v", NULL};
	static const char *const rl[] = {"NOFILE=10:20", NULL};
	struct krun_err *err = NULL;
	struct krun_config *cfg = config_new(&err);
	struct initramfs_params p;
	struct guest_config *g = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_non_null(cfg);
	assert_int_equal(config_set_root(cfg, "/srv/r", &err), 0);
	assert_int_equal(config_set_exec(cfg, "/bin/echo", argv, env, &err), 0);
	assert_int_equal(config_set_workdir(cfg, "/w", &err), 0);
	assert_int_equal(
		config_add_share_spec(cfg, "vol:/host:/mnt/v:ro", &err), 0);
	assert_int_equal(config_set_rlimits(cfg, rl, &err), 0);
	assert_int_equal(initramfs_default_params(cfg, &p, &err), 0);
	encode(cfg, &p, &buf, &len);
	assert_int_equal(guest_config_parse(buf, len, &g, &err), 0);
	assert_int_equal(g->argc, 2);
	assert_string_equal(g->argv[0], "/bin/echo");
	assert_string_equal(g->argv[1], "a b");
	assert_int_equal(g->envc, 1);
	assert_string_equal(g->envp[0], "K=v");
	assert_string_equal(g->workdir, "/w");
	assert_string_equal(g->root.source, KRUN_ROOT_TAG);
	assert_int_equal(g->n_mounts, 1);
	assert_string_equal(g->mounts[0].source, "vol");
	assert_string_equal(g->mounts[0].target, "/mnt/v");
	assert_int_equal(g->mounts[0].flags, KRUN_GUEST_MOUNT_F_RO);
	assert_int_equal(g->n_rlimits, 1);
	assert_int_equal(g->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(g->rlimits[0].cur, 10);
	assert_int_equal(g->rlimits[0].max, 20);
	guest_config_free(g);
	free(buf);
	config_free(cfg);
}

/* A valid encoding of the full config, for the malformed-input tests. */
static uint8_t *valid(size_t *len)
{
	struct krun_share shares[2];
	struct krun_rlimit rl[2];
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;
	uint8_t *buf = NULL;

	full_config(&cfg, shares, rl);
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	encode(&cfg, &p, &buf, len);
	return buf;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int parse_fails(const uint8_t *buf, size_t len, const char *expect)
{
	struct guest_config *g = NULL;
	struct krun_err *err = NULL;
	int ret = guest_config_parse(buf, len, &g, &err);

	if (ret == 0) {
		guest_config_free(g);
		return 0;
	}
	assert_null(g);
	if (expect && !strstr(krun_err_msg(err), expect))
		fail_msg("`%s` lacks `%s`", krun_err_msg(err), expect);
	krun_err_free(&err);
	return 1;
}

static void truncated_anywhere(void **state)
{
	size_t len;
	uint8_t *buf = valid(&len);

	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, buf, cut);
		/* Header still agrees with the length: the body must fail. */
		if (cut >= 16)
			put32(copy + 12, (uint32_t)(cut - 16));
		assert_true(parse_fails(copy, cut, NULL));
		free(copy);
	}
	free(buf);
}

static void header_checks(void **state)
{
	size_t len;
	uint8_t *buf = valid(&len);

	buf[0] = 'X';
	assert_true(parse_fails(buf, len, "no header"));
	buf[0] = 'K';
	put32(buf + 8, 1);
	assert_true(parse_fails(buf, len, "version 1, expected 2"));
	put32(buf + 8, 3);
	assert_true(parse_fails(buf, len, "version 3"));
	put32(buf + 8, KRUN_GUEST_CONFIG_VERSION);
	put32(buf + 12, (uint32_t)len); /* claims more than there is */
	assert_true(parse_fails(buf, len, "header says"));
	put32(buf + 12, (uint32_t)(len - 16));
	assert_false(parse_fails(buf, len, NULL));
	free(buf);
}

static void trailing_bytes(void **state)
{
	size_t len;
	uint8_t *buf = valid(&len);
	uint8_t *more = calloc(1, len + 3);

	memcpy(more, buf, len);
	put32(more + 12, (uint32_t)(len + 3 - 16));
	assert_true(parse_fails(more, len + 3, "trailing"));
	free(more);
	free(buf);
}

/* Offset of the argv count: header, 4 u32s, hostname, workdir. */
static size_t argv_count_offset(const uint8_t *buf)
{
	size_t off = 16 + 16;

	for (int i = 0; i < 2; i++) {
		uint32_t n = buf[off] | buf[off + 1] << 8 | buf[off + 2] << 16 |
			     (uint32_t)buf[off + 3] << 24;

		off += 4 + n + 1;
	}
	return off;
}

static void huge_counts_and_lengths(void **state)
{
	size_t len;
	uint8_t *buf = valid(&len);
	size_t off = argv_count_offset(buf);

	put32(buf + off, 0xffffffffu);
	assert_true(parse_fails(buf, len, "do not fit"));
	put32(buf + off, 1000); /* under the cap, but cannot fit */
	assert_true(parse_fails(buf, len, "do not fit"));
	put32(buf + off, 4);
	put32(buf + off + 4, 0xfffffff0u); /* argv[0] length */
	assert_true(parse_fails(buf, len, "truncated at `argv`"));
	free(buf);
}

static void missing_nul_and_embedded_nul(void **state)
{
	size_t len;
	uint8_t *buf = valid(&len);
	size_t off = argv_count_offset(buf) + 4; /* argv[0]: "/bin/sh" */

	assert_int_equal(buf[off + 4 + 7], 0);
	buf[off + 4 + 7] = 'X';
	assert_true(parse_fails(buf, len, "NUL-terminated"));
	buf[off + 4 + 7] = 0;
	buf[off + 4 + 3] = 0; /* "/bi\0sh" */
	assert_true(parse_fails(buf, len, "NUL-terminated"));
	free(buf);
}

static void bad_values(void **state)
{
	size_t len;
	uint8_t *buf = valid(&len);

	put32(buf + 16, 0x80); /* unknown flag */
	assert_true(parse_fails(buf, len, "unknown flags"));
	free(buf);
}

/* Flip every byte of a valid config: parse may succeed or fail, never
 * crash or read out of bounds (run under ASan in CI). */
/* Values the encoder passes through and the guest must refuse. */
static int attrs_fail(void (*spoil)(struct krun_config *), const char *want)
{
	struct krun_share shares[2];
	struct krun_rlimit rl[2];
	struct krun_config cfg;
	struct initramfs_params p;
	struct krun_err *err = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int failed;

	full_config(&cfg, shares, rl);
	spoil(&cfg);
	assert_int_equal(initramfs_default_params(&cfg, &p, &err), 0);
	encode(&cfg, &p, &buf, &len);
	failed = parse_fails(buf, len, want);
	free(buf);
	if (!failed)
		print_error("not refused, expected `%s`\n", want);
	return failed;
}

static struct krun_fsmount bad_fs;
static struct krun_seccomp_rule bad_rule;
static char *bad_strv[2];

static void fs_type(struct krun_config *c)
{
	bad_fs = (struct krun_fsmount){"nfs", "s", "/n", 0, ""};
	c->fsmounts = &bad_fs;
	c->n_fsmounts = 1;
}
#define FS_SPOIL(name, target, flags)                                       \
	static void name(struct krun_config *c)                             \
	{                                                                   \
		bad_fs = (struct krun_fsmount){"tmpfs", "t", target, flags, \
					       ""};                         \
		c->fsmounts = &bad_fs;                                      \
		c->n_fsmounts = 1;                                          \
	}
FS_SPOIL(fs_relative, "rel", 0)
FS_SPOIL(fs_root, "/", 0)
FS_SPOIL(fs_dotdot, "/a/../b", 0)
FS_SPOIL(fs_dotdot_end, "/a/..", 0)
FS_SPOIL(fs_bind_flag, "/t", 4096)  /* MS_BIND */
FS_SPOIL(fs_remount_flag, "/t", 32) /* MS_REMOUNT */
#define STRV_SPOIL(name, member, value)         \
	static void name(struct krun_config *c) \
	{                                       \
		bad_strv[0] = value;            \
		bad_strv[1] = NULL;             \
		c->member = bad_strv;           \
	}
STRV_SPOIL(sysctl_dotdot, sysctls, "../x=1")
STRV_SPOIL(sysctl_abs, sysctls, "/proc/x=1")
STRV_SPOIL(sysctl_noeq, sysctls, "vm.swappiness")
STRV_SPOIL(sysctl_dots, sysctls, "vm..x=1")
STRV_SPOIL(group_colon, group_add, "a:b")
STRV_SPOIL(masked_relative, masked_paths, "proc/kcore")
STRV_SPOIL(readonly_dotdot, readonly_paths, "/proc/../etc")
STRV_SPOIL(group_empty, group_add, "")
static void umask_big(struct krun_config *c)
{
	c->umask = 01000;
}
static void default_zero(struct krun_config *c)
{
	c->seccomp_default_action = 0;
}
static void default_big(struct krun_config *c)
{
	c->seccomp_default_action = KRUN_GUEST_SCMP_ACTION_MAX + 1;
}
static void default_errno_big(struct krun_config *c)
{
	c->seccomp_default_errno = 4096;
}
#define RULE_SPOIL(name, ...)                                       \
	static void name(struct krun_config *c)                     \
	{                                                           \
		bad_rule = (struct krun_seccomp_rule){__VA_ARGS__}; \
		c->seccomp_rules = &bad_rule;                       \
		c->n_seccomp_rules = 1;                             \
	}
RULE_SPOIL(rule_action_zero, "read", 0, 0, 0, {{0}})
RULE_SPOIL(rule_action_big, "read", 99, 0, 0, {{0}})
RULE_SPOIL(rule_errno_big, "read", KRUN_GUEST_SCMP_ERRNO, 5000, 0, {{0}})
RULE_SPOIL(rule_no_name, "", KRUN_GUEST_SCMP_ALLOW, 0, 0, {{0}})
RULE_SPOIL(rule_index, "read", KRUN_GUEST_SCMP_ALLOW, 0, 1,
	   {{6, KRUN_GUEST_SCMP_CMP_EQ, 0, 0}})
RULE_SPOIL(rule_op_zero, "read", KRUN_GUEST_SCMP_ALLOW, 0, 1, {{0, 0, 0, 0}})
RULE_SPOIL(rule_op_big, "read", KRUN_GUEST_SCMP_ALLOW, 0, 1,
	   {{0, KRUN_GUEST_SCMP_CMP_MAX + 1, 0, 0}})

static void bad_attrs(void **state)
{
	static const struct {
		void (*spoil)(struct krun_config *);
		const char *want;
	} cases[] = {
		{fs_type, "bad filesystem type `nfs`"},
		{fs_relative, "bad mount point `rel`"},
		{fs_root, "bad mount point `/`"},
		{fs_dotdot, "bad mount point `/a/../b`"},
		{fs_dotdot_end, "bad mount point `/a/..`"},
		{fs_bind_flag, "bad mount flags for `/t`"},
		{fs_remount_flag, "bad mount flags for `/t`"},
		{sysctl_dotdot, "bad sysctl `../x=1`"},
		{sysctl_abs, "bad sysctl `/proc/x=1`"},
		{sysctl_noeq, "bad sysctl `vm.swappiness`"},
		{sysctl_dots, "bad sysctl `vm..x=1`"},
		{group_colon, "bad group `a:b`"},
		{masked_relative, "bad path `proc/kcore`"},
		{readonly_dotdot, "bad path `/proc/../etc`"},
		{group_empty, "bad group ``"},
		{umask_big, "bad umask"},
		{default_zero, "bad seccomp default action"},
		{default_big, "bad seccomp default action"},
		{default_errno_big, "bad seccomp default action"},
		{rule_action_zero, "bad seccomp rule for `read`"},
		{rule_action_big, "bad seccomp rule for `read`"},
		{rule_errno_big, "bad seccomp rule for `read`"},
		{rule_no_name, "bad seccomp rule for ``"},
		{rule_index, "bad seccomp argument for `read`"},
		{rule_op_zero, "bad seccomp argument for `read`"},
		{rule_op_big, "bad seccomp argument for `read`"},
	};
	size_t refused = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused += (size_t)attrs_fail(cases[i].spoil, cases[i].want);
	assert_int_equal(refused, sizeof(cases) / sizeof(cases[0]));
}

static void byte_flips_never_crash(void **state)
{
	size_t len;
	uint8_t *buf = valid(&len);

	for (size_t i = 16; i < len; i++) {
		for (unsigned v = 0; v < 256; v += 51) {
			uint8_t old = buf[i];

			buf[i] ^= (uint8_t)(v | 1);
			parse_fails(buf, len, NULL);
			buf[i] = old;
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(defaults_round_trip),
		cmocka_unit_test(from_config_setters),
		cmocka_unit_test(truncated_anywhere),
		cmocka_unit_test(header_checks),
		cmocka_unit_test(trailing_bytes),
		cmocka_unit_test(huge_counts_and_lengths),
		cmocka_unit_test(missing_nul_and_embedded_nul),
		cmocka_unit_test(bad_values),
		cmocka_unit_test(bad_attrs),
		cmocka_unit_test(byte_flips_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
