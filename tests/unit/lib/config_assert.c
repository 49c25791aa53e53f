// SPDX-License-Identifier: Apache-2.0
/*
 * struct krun_config compared member by member. Each struct's members are
 * listed once, in declaration order, in a *_FIELDS list; the comparison,
 * the self-test's changes and a positional initializer are generated from
 * it. The initializer names no member, so a member added to a struct
 * without a line here leaves it short, which -Wmissing-field-initializers
 * (made an error below) reports; one removed makes it too long, an error
 * too. On x86_64 the struct sizes are checked as well.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/lib/config_assert.h"

/*
 * X(kind, member[, count member, element name, element type]), kinds:
 * UINT and INT numbers (bool and enums too), STR a string, STRV a
 * NULL-terminated string vector, BYTES an array, SARGS the seccomp
 * argument array (bytes too), ARR an array of structs
 * with its length in `count member` (listed separately as UINT).
 */
#define DISK_FIELDS(X)   \
	X(STR, block_id) \
	X(STR, path)     \
	X(UINT, format)  \
	X(UINT, read_only) \
	X(UINT, sync_mode)

#define SHARE_FIELDS(X)      \
	X(STR, tag)          \
	X(STR, host_path)    \
	X(STR, guest_path)   \
	X(UINT, read_only)   \
	X(UINT, allow_setid) \
	X(UINT, cache)       \
	X(UINT, shm_size)

#define RLIMIT_FIELDS(X) \
	X(INT, resource) \
	X(UINT, cur)     \
	X(UINT, max)

#define PORT_FIELDS(X) \
	X(UINT, host)  \
	X(UINT, guest) \
	X(UINT, proto) \
	X(BYTES, addr)

#define VSOCK_FIELDS(X) \
	X(UINT, port)   \
	X(STR, path)    \
	X(UINT, listen)

#define FSMOUNT_FIELDS(X) \
	X(STR, fstype)     \
	X(STR, source)     \
	X(STR, target)     \
	X(UINT, ms_flags)  \
	X(STR, data)

#define SECCOMP_RULE_FIELDS(X) \
	X(STR, syscall)        \
	X(UINT, action)        \
	X(UINT, errno_ret)     \
	X(UINT, n_args)        \
	X(SARGS, args)

#define CONFIG_FIELDS(X)                                                  \
	X(UINT, vcpus)                                                    \
	X(UINT, ram_mib)                                                  \
	X(STR, root_dir)                                                  \
	X(UINT, root_read_only)                                           \
	X(UINT, root_strip_setid)                                         \
	X(UINT, root_shm_size)                                            \
	X(UINT, root_cache)                                               \
	X(UINT, disk_api)                                                 \
	X(STR, legacy_root_disk)                                          \
	X(STR, legacy_data_disk)                                          \
	X(ARR, disks, n_disks, disk, struct krun_disk)                    \
	X(UINT, n_disks)                                                  \
	X(STR, root_disk_id)                                              \
	X(UINT, root_partition)                                           \
	X(ARR, shares, n_shares, share, struct krun_share)                \
	X(UINT, n_shares)                                                 \
	X(STR, exec_path)                                                 \
	X(STRV, argv)                                                     \
	X(STRV, envp)                                                     \
	X(STR, workdir)                                                   \
	X(STR, hostname)                                                  \
	X(UINT, has_user)                                                 \
	X(UINT, uid)                                                      \
	X(UINT, gid)                                                      \
	X(UINT, terminal)                                                 \
	X(ARR, rlimits, n_rlimits, rlimit, struct krun_rlimit)            \
	X(UINT, n_rlimits)                                                \
	X(UINT, net_mode)                                                 \
	X(UINT, net_fallback_log_only)                                    \
	X(INT, passt_fd)                                                  \
	X(STR, gvproxy_path)                                              \
	X(UINT, net_vfkit)                                                \
	X(UINT, net_features)                                             \
	X(UINT, mac_set)                                                  \
	X(BYTES, mac)                                                     \
	X(UINT, port_map_set)                                             \
	X(ARR, ports, n_ports, port, struct krun_port)                    \
	X(UINT, n_ports)                                                  \
	X(ARR, vsock_ports, n_vsock_ports, vsock, struct krun_vsock_port) \
	X(UINT, n_vsock_ports)                                            \
	X(UINT, gpu_enabled)                                              \
	X(UINT, virgl_flags)                                              \
	X(UINT, gpu_shm_size)                                             \
	X(UINT, snd_enabled)                                              \
	X(STR, tee_config_file)                                           \
	X(STRV, oem_strings)                                              \
	X(STR, user_spec)                                                 \
	X(STRV, group_add)                                                \
	X(UINT, umask_set)                                                \
	X(UINT, umask)                                                    \
	X(UINT, no_new_privs)                                             \
	X(UINT, caps_set)                                                 \
	X(BYTES, caps)                                                    \
	X(STR, domainname)                                                \
	X(STRV, sysctls)                                                  \
	X(ARR, fsmounts, n_fsmounts, fsmount, struct krun_fsmount)        \
	X(UINT, n_fsmounts)                                               \
	X(STRV, masked_paths)                                             \
	X(STRV, readonly_paths)                                           \
	X(UINT, seccomp_set)                                              \
	X(UINT, seccomp_default_action)                                   \
	X(UINT, seccomp_default_errno)                                    \
	X(STRV, seccomp_arches)                                           \
	X(ARR, seccomp_rules, n_seccomp_rules, seccomp_rule,              \
	  struct krun_seccomp_rule)                                       \
	X(UINT, n_seccomp_rules)                                          \
	X(STRV, ignored)                                                  \
	X(UINT, tty)                                                      \
	X(UINT, interactive)                                              \
	X(UINT, timeout_ms)                                               \
	X(UINT, stop_grace_set)                                           \
	X(UINT, stop_grace_ms)                                            \
	X(UINT, nested_virt)                                              \
	X(UINT, no_implicit_console)                                      \
	X(UINT, console_fds_set)                                          \
	X(BYTES, console_fds)                                             \
	X(UINT, no_implicit_vsock)                                        \
	X(UINT, explicit_vsock)                                           \
	X(UINT, no_implicit_init)                                         \
	X(UINT, vmm_uid_set)                                              \
	X(UINT, vmm_gid_set)                                              \
	X(UINT, vmm_uid)                                                  \
	X(UINT, vmm_gid)                                                  \
	X(STR, console_output)                                            \
	X(STR, kernel_path)                                               \
	X(UINT, kernel_format)                                            \
	X(STR, initramfs_path)                                            \
	X(STR, kernel_cmdline)                                            \
	X(UINT, kernel_log)                                               \
	X(UINT, log_level)                                                \
	X(INT, shutdown_eventfd)                                          \
	X(UINT, vmm_seccomp)

/* ---- every member listed: a positional initializer per struct ---- */

#define INIT_UINT 0
#define INIT_INT 0
#define INIT_STR NULL
#define INIT_STRV NULL
#define INIT_BYTES \
	{          \
		0  \
	}
#define INIT_ARR NULL
#define INIT_SARGS   \
	{            \
		{    \
			0 \
		}    \
	}
#define X_INIT(kind, ...) INIT_##kind,

#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wmissing-field-initializers"
#pragma GCC diagnostic error "-Wmissing-braces"
/*
 * A build error here means a struct of lib/config/config.h gained or lost a
 * member: update its *_FIELDS list above, so the comparison covers it.
 */
__attribute__((unused)) static const struct krun_disk disk_listed = {
	DISK_FIELDS(X_INIT)};
__attribute__((unused)) static const struct krun_share share_listed = {
	SHARE_FIELDS(X_INIT)};
__attribute__((unused)) static const struct krun_rlimit rlimit_listed = {
	RLIMIT_FIELDS(X_INIT)};
__attribute__((unused)) static const struct krun_port port_listed = {
	PORT_FIELDS(X_INIT)};
__attribute__((unused)) static const struct krun_vsock_port vsock_listed = {
	VSOCK_FIELDS(X_INIT)};
__attribute__((unused)) static const struct krun_fsmount fsmount_listed = {
	FSMOUNT_FIELDS(X_INIT)};
__attribute__((unused)) static const struct krun_seccomp_rule
	seccomp_rule_listed = {SECCOMP_RULE_FIELDS(X_INIT)};
__attribute__((unused)) static const struct krun_config config_listed = {
	CONFIG_FIELDS(X_INIT)};
#pragma GCC diagnostic pop

#if defined(__x86_64__)
#define SIZE_MSG(s)                                                        \
	"struct " s " changed size: update its *_FIELDS list in " __FILE__ \
	" (then this size)"
_Static_assert(sizeof(struct krun_disk) == 32, SIZE_MSG("krun_disk"));
_Static_assert(sizeof(struct krun_share) == 40, SIZE_MSG("krun_share"));
_Static_assert(sizeof(struct krun_rlimit) == 24, SIZE_MSG("krun_rlimit"));
_Static_assert(sizeof(struct krun_port) == 52, SIZE_MSG("krun_port"));
_Static_assert(sizeof(struct krun_vsock_port) == 24,
	       SIZE_MSG("krun_vsock_port"));
_Static_assert(sizeof(struct krun_fsmount) == 40, SIZE_MSG("krun_fsmount"));
_Static_assert(sizeof(struct krun_seccomp_rule) == 168,
	       SIZE_MSG("krun_seccomp_rule"));
_Static_assert(sizeof(struct krun_config) == 568, SIZE_MSG("krun_config"));
#endif

/* ---- comparison ---- */

struct cmp {
	const char *label; /* NULL: count only */
	size_t diffs;
};

static void differ(struct cmp *c, const char *prefix, const char *name,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void differ(struct cmp *c, const char *prefix, const char *name,
		   const char *fmt, ...)
{
	va_list ap;

	c->diffs++;
	if (!c->label)
		return;
	print_error("%s: %s%s: ", c->label, prefix, name);
	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	print_error("\n");
}

static void cmp_uint(struct cmp *c, const char *prefix, const char *name,
		     unsigned long long x, unsigned long long y)
{
	if (x != y)
		differ(c, prefix, name, "%llu vs %llu", x, y);
}

static void cmp_int(struct cmp *c, const char *prefix, const char *name,
		    long long x, long long y)
{
	if (x != y)
		differ(c, prefix, name, "%lld vs %lld", x, y);
}

static void cmp_str(struct cmp *c, const char *prefix, const char *name,
		    const char *x, const char *y)
{
	if (x == y || (x && y && strcmp(x, y) == 0))
		return;
	differ(c, prefix, name, "%s%s%s vs %s%s%s", x ? "\"" : "",
	       x ? x : "NULL", x ? "\"" : "", y ? "\"" : "", y ? y : "NULL",
	       y ? "\"" : "");
}

static void cmp_strv(struct cmp *c, const char *prefix, const char *name,
		     char *const *x, char *const *y)
{
	size_t i = 0;

	if (!x || !y) {
		if (x != y)
			differ(c, prefix, name, "%s vs %s",
			       x ? "a vector" : "NULL",
			       y ? "a vector" : "NULL");
		return;
	}
	for (; x[i] && y[i]; i++) {
		if (strcmp(x[i], y[i]) != 0) {
			differ(c, prefix, name, "[%zu] \"%s\" vs \"%s\"", i,
			       x[i], y[i]);
			return;
		}
	}
	if (x[i] || y[i])
		differ(c, prefix, name, "[%zu] %s vs %s", i,
		       x[i] ? x[i] : "(end)", y[i] ? y[i] : "(end)");
}

static void cmp_bytes(struct cmp *c, const char *prefix, const char *name,
		      const void *x, const void *y, size_t len)
{
	const unsigned char *p = x, *q = y;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != q[i]) {
			differ(c, prefix, name, "[%zu] 0x%02x vs 0x%02x", i,
			       p[i], q[i]);
			return;
		}
	}
}

#define CMP_UINT(m) cmp_uint(c, prefix, #m, a->m, b->m);
#define CMP_INT(m) cmp_int(c, prefix, #m, a->m, b->m);
#define CMP_STR(m) cmp_str(c, prefix, #m, a->m, b->m);
#define CMP_STRV(m) cmp_strv(c, prefix, #m, a->m, b->m);
#define CMP_BYTES(m) cmp_bytes(c, prefix, #m, a->m, b->m, sizeof(a->m));
/* An array of plain structs without padding, compared as bytes. */
#define CMP_SARGS(m) CMP_BYTES(m)
/* The lengths are compared as their own member; here the common part. */
#define CMP_ARR(m, n, elem, type)                                        \
	for (size_t i = 0; i < a->n && i < b->n; i++) {                  \
		char sub[128];                                           \
		snprintf(sub, sizeof(sub), "%s%s[%zu].", prefix, #m, i); \
		cmp_##elem(c, sub, &a->m[i], &b->m[i]);                  \
	}
#define X_CMP(kind, ...) CMP_##kind(__VA_ARGS__)

#define DEFINE_CMP(name, type, FIELDS)                            \
	static void cmp_##name(struct cmp *c, const char *prefix, \
			       const type *a, const type *b)      \
	{                                                         \
		FIELDS(X_CMP)                                     \
	}

DEFINE_CMP(disk, struct krun_disk, DISK_FIELDS)
DEFINE_CMP(share, struct krun_share, SHARE_FIELDS)
DEFINE_CMP(rlimit, struct krun_rlimit, RLIMIT_FIELDS)
DEFINE_CMP(port, struct krun_port, PORT_FIELDS)
DEFINE_CMP(vsock, struct krun_vsock_port, VSOCK_FIELDS)
DEFINE_CMP(fsmount, struct krun_fsmount, FSMOUNT_FIELDS)
DEFINE_CMP(seccomp_rule, struct krun_seccomp_rule, SECCOMP_RULE_FIELDS)
DEFINE_CMP(config, struct krun_config, CONFIG_FIELDS)

size_t config_diff(const struct krun_config *a, const struct krun_config *b,
		   const char *label)
{
	struct cmp c = {.label = label};

	cmp_config(&c, "", a, b);
	return c.diffs;
}

void config_assert_equal_at(const struct krun_config *a,
			    const struct krun_config *b, const char *label,
			    const char *file, int line)
{
	size_t n = config_diff(a, b, label);

	if (n) {
		print_error("%s: %zu member(s) differ\n", label, n);
		_fail(file, line);
	}
}

/* ---- self-test: every listed member's change is seen ---- */

static char changed_str[] = "\001changed";
static char *changed_strv[] = {changed_str, NULL};

/* Each change gives a value different from any original one. */
#define CHANGE_UINT(m) copy.m = !copy.m;
#define CHANGE_INT(m) copy.m = !copy.m;
#define CHANGE_STR(m) copy.m = changed_str;
#define CHANGE_STRV(m) copy.m = changed_strv;
#define CHANGE_BYTES(m) copy.m[0] ^= 1;
#define CHANGE_SARGS(m) copy.m[0].value ^= 1;
/* The first element replaced by an all-zero one. */
#define CHANGE_ARR(m, n, elem, type) \
	type zero_##m[1] = {0};      \
	assert_true(orig->n > 0);    \
	copy.m = zero_##m;
#define MEMBER_NAME(m, ...) #m
#define X_CHANGE(kind, ...)                                                 \
	{                                                                   \
		struct cmp c = {0};                                         \
		self_t copy = *orig;                                        \
		CHANGE_##kind(__VA_ARGS__) cmp_self(&c, "", orig, &copy);   \
		if (c.diffs == 0) {                                         \
			print_error("%s.%s: a change went unnoticed\n",     \
				    self_name, MEMBER_NAME(__VA_ARGS__, )); \
			misses++;                                           \
		}                                                           \
	}

#define DEFINE_MISSES(name, type, FIELDS)                                  \
	static size_t misses_##name(const type *orig)                      \
	{                                                                  \
		typedef type self_t;                                       \
		void (*cmp_self)(struct cmp *, const char *, const type *, \
				 const type *) = cmp_##name;               \
		const char *self_name = #type;                             \
		size_t misses = 0;                                         \
		FIELDS(X_CHANGE)                                           \
		return misses;                                             \
	}

DEFINE_MISSES(disk, struct krun_disk, DISK_FIELDS)
DEFINE_MISSES(share, struct krun_share, SHARE_FIELDS)
DEFINE_MISSES(rlimit, struct krun_rlimit, RLIMIT_FIELDS)
DEFINE_MISSES(port, struct krun_port, PORT_FIELDS)
DEFINE_MISSES(vsock, struct krun_vsock_port, VSOCK_FIELDS)
DEFINE_MISSES(fsmount, struct krun_fsmount, FSMOUNT_FIELDS)
DEFINE_MISSES(seccomp_rule, struct krun_seccomp_rule, SECCOMP_RULE_FIELDS)
DEFINE_MISSES(config, struct krun_config, CONFIG_FIELDS)

size_t config_diff_misses(const struct krun_config *full)
{
	assert_true(full->n_disks && full->n_shares && full->n_rlimits &&
		    full->n_ports && full->n_vsock_ports && full->n_fsmounts &&
		    full->n_seccomp_rules);
	return misses_config(full) + misses_disk(&full->disks[0]) +
	       misses_share(&full->shares[0]) +
	       misses_rlimit(&full->rlimits[0]) + misses_port(&full->ports[0]) +
	       misses_vsock(&full->vsock_ports[0]) +
	       misses_fsmount(&full->fsmounts[0]) +
	       misses_seccomp_rule(&full->seccomp_rules[0]);
}
