// SPDX-License-Identifier: Apache-2.0
/*
 * Filesystems the guest init mounts in the new root (OCI mounts of types
 * other than bind, docker's --tmpfs) and the seccomp policy it installs
 * for the workload.
 */
#include "lib/config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/config/config_internal.h"
#include "lib/guest_abi.h"
#include "util/cleanup.h"

#define MAX_DATA_LEN 4096

static const char *const fs_types[] = {
	"tmpfs", "proc", "sysfs", "devpts", "mqueue", "cgroup2", NULL,
};

/* mount(8) option words that are flags; everything else is data. */
static const struct {
	const char *name;
	unsigned long set, clear;
} flag_words[] = {
	{"ro", MS_RDONLY, 0},
	{"rw", 0, MS_RDONLY},
	{"nosuid", MS_NOSUID, 0},
	{"suid", 0, MS_NOSUID},
	{"nodev", MS_NODEV, 0},
	{"dev", 0, MS_NODEV},
	{"noexec", MS_NOEXEC, 0},
	{"exec", 0, MS_NOEXEC},
	{"sync", MS_SYNCHRONOUS, 0},
	{"async", 0, MS_SYNCHRONOUS},
	{"noatime", MS_NOATIME, 0},
	{"atime", 0, MS_NOATIME},
	{"nodiratime", MS_NODIRATIME, 0},
	{"diratime", 0, MS_NODIRATIME},
	{"relatime", MS_RELATIME, 0},
	{"norelatime", 0, MS_RELATIME},
	{"strictatime", MS_STRICTATIME, 0},
	{"lazytime", MS_LAZYTIME, 0},
	{"defaults", 0, 0},
};

static bool known_fstype(const char *t)
{
	for (size_t i = 0; t && fs_types[i]; i++)
		if (strcmp(fs_types[i], t) == 0)
			return true;
	return false;
}

/* Split "a,b=c,d" into MS_* flags and the rest (data). */
static int split_options(const char *options, uint32_t *flags, char *data,
			 size_t size, struct krun_err **err)
{
	cleanup_free char *copy = strdup(options ? options : "");
	unsigned long f = 0;
	size_t used = 0;
	char *save = NULL;

	if (!copy)
		return krun_err_set(err, ENOMEM, "out of memory");
	data[0] = '\0';
	for (char *w = strtok_r(copy, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		size_t i, n = sizeof(flag_words) / sizeof(flag_words[0]);

		for (i = 0; i < n && strcmp(flag_words[i].name, w); i++)
			;
		if (i < n) {
			f = (f & ~flag_words[i].clear) | flag_words[i].set;
			continue;
		}
		if (used + strlen(w) + 2 > size)
			return krun_err_set(err, E2BIG,
					    "mount options longer than %zu "
					    "bytes",
					    size);
		used += (size_t)snprintf(data + used, size - used, "%s%s",
					 used ? "," : "", w);
	}
	*flags = (uint32_t)f;
	return 0;
}

static int check_path(const char *what, const char *target,
		      struct krun_err **err)
{
	if (!target || target[0] != '/' || strstr(target, "/../") ||
	    (strlen(target) >= 3 &&
	     strcmp(target + strlen(target) - 3, "/..") == 0) ||
	    strchr(target, '\n'))
		return krun_err_set(err, EINVAL,
				    "invalid %s `%s`: must be an absolute path "
				    "without `..`",
				    what, target ? target : "");
	if (strcmp(target, "/") == 0)
		return krun_err_set(err, EINVAL,
				    "invalid %s `/`: the root is mounted by "
				    "--root/--root-disk",
				    what);
	return 0;
}

static int check_target(const char *target, struct krun_err **err)
{
	return check_path("mount point", target, err);
}

int config_add_fsmount(struct krun_config *cfg, const char *fstype,
		       const char *source, const char *target,
		       const char *options, struct krun_err **err)
{
	char data[MAX_DATA_LEN];
	struct krun_fsmount m = {0};
	uint32_t flags = 0;
	int ret;

	if (!known_fstype(fstype))
		return krun_err_set(
			err, EINVAL,
			"unsupported filesystem type `%s` (expected "
			"tmpfs, proc, sysfs, devpts, mqueue or "
			"cgroup2)",
			fstype ? fstype : "");
	ret = check_target(target, err);
	if (ret == 0)
		ret = split_options(options, &flags, data, sizeof(data), err);
	if (ret < 0)
		return ret;
	m.ms_flags = flags;
	if (!(m.fstype = strdup(fstype)) ||
	    !(m.source = strdup(source && *source ? source : fstype)) ||
	    !(m.target = strdup(target)) || !(m.data = strdup(data)) ||
	    cfg_grow((void **)&cfg->fsmounts, cfg->n_fsmounts,
		     sizeof(*cfg->fsmounts), NULL) < 0) {
		free(m.fstype);
		free(m.source);
		free(m.target);
		free(m.data);
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	cfg->fsmounts[cfg->n_fsmounts++] = m;
	return 0;
}

int config_add_masked_path(struct krun_config *cfg, const char *path,
			   struct krun_err **err)
{
	int ret = check_path("masked path", path, err);

	return ret < 0 ? ret : cfg_strv_add(&cfg->masked_paths, path, err);
}

int config_add_readonly_path(struct krun_config *cfg, const char *path,
			     struct krun_err **err)
{
	int ret = check_path("read-only path", path, err);

	return ret < 0 ? ret : cfg_strv_add(&cfg->readonly_paths, path, err);
}

/* docker: --tmpfs /run:rw,size=64m,mode=1777; default noexec,nosuid,nodev */
int config_add_tmpfs_spec(struct krun_config *cfg, const char *text,
			  struct krun_err **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *opts = NULL;
	const char *colon = text ? strchr(text, ':') : NULL;
	int ret;

	if (!text || !*text)
		return krun_err_set(err, EINVAL, "empty tmpfs mount point");
	path = colon ? strndup(text, (size_t)(colon - text)) : strdup(text);
	if (!path || asprintf(&opts, "noexec,nosuid,nodev%s%s",
			      colon ? "," : "", colon ? colon + 1 : "") < 0) {
		opts = NULL;
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	ret = config_add_fsmount(cfg, "tmpfs", "tmpfs", path, opts, err);
	if (ret < 0)
		return krun_err_wrap(err, "tmpfs `%s`", text);
	return 0;
}

static const char *const action_names[] = {
	[KRUN_GUEST_SCMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[KRUN_GUEST_SCMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[KRUN_GUEST_SCMP_TRAP] = "SCMP_ACT_TRAP",
	[KRUN_GUEST_SCMP_ERRNO] = "SCMP_ACT_ERRNO",
	[KRUN_GUEST_SCMP_TRACE] = "SCMP_ACT_TRACE",
	[KRUN_GUEST_SCMP_ALLOW] = "SCMP_ACT_ALLOW",
	[KRUN_GUEST_SCMP_LOG] = "SCMP_ACT_LOG",
};

static const char *const op_names[] = {
	[KRUN_GUEST_SCMP_CMP_NE] = "SCMP_CMP_NE",
	[KRUN_GUEST_SCMP_CMP_LT] = "SCMP_CMP_LT",
	[KRUN_GUEST_SCMP_CMP_LE] = "SCMP_CMP_LE",
	[KRUN_GUEST_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
	[KRUN_GUEST_SCMP_CMP_GE] = "SCMP_CMP_GE",
	[KRUN_GUEST_SCMP_CMP_GT] = "SCMP_CMP_GT",
	[KRUN_GUEST_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* libseccomp's names of the architectures a profile may list. */
static const char *const arch_names[] = {
	"x86_64",      "x86",	  "x32",	 "aarch64", "arm",
	"mips",	       "mips64",  "mips64n32",	 "mipsel",  "mipsel64",
	"mipsel64n32", "ppc",	  "ppc64",	 "ppc64le", "s390",
	"s390x",       "riscv64", "loongarch64", NULL,
};

const char *config_seccomp_action_name(uint32_t action)
{
	return action >= 1 && action <= KRUN_GUEST_SCMP_ACTION_MAX
		       ? action_names[action]
		       : NULL;
}

const char *config_seccomp_op_name(uint32_t op)
{
	return op >= 1 && op <= KRUN_GUEST_SCMP_CMP_MAX ? op_names[op] : NULL;
}

int config_seccomp_action(const char *name, uint32_t *action,
			  struct krun_err **err)
{
	/* SCMP_ACT_KILL is libseccomp's old name of KILL_THREAD. */
	if (name && strcmp(name, "SCMP_ACT_KILL") == 0)
		name = "SCMP_ACT_KILL_THREAD";
	for (uint32_t i = 1; name && i <= KRUN_GUEST_SCMP_ACTION_MAX; i++) {
		if (strcmp(action_names[i], name) == 0) {
			*action = i;
			return 0;
		}
	}
	return krun_err_set(err, EINVAL, "unsupported seccomp action `%s`",
			    name ? name : "");
}

int config_seccomp_op(const char *name, uint32_t *op, struct krun_err **err)
{
	for (uint32_t i = 1; name && i <= KRUN_GUEST_SCMP_CMP_MAX; i++) {
		if (strcmp(op_names[i], name) == 0) {
			*op = i;
			return 0;
		}
	}
	return krun_err_set(err, EINVAL, "unknown seccomp operator `%s`",
			    name ? name : "");
}

int config_set_seccomp(struct krun_config *cfg, uint32_t default_action,
		       uint32_t default_errno, struct krun_err **err)
{
	if (!config_seccomp_action_name(default_action))
		return krun_err_set(err, EINVAL,
				    "unsupported seccomp default action %u",
				    default_action);
	if (default_errno > 4095)
		return krun_err_set(err, EINVAL, "invalid errno %u",
				    default_errno);
	cfg->seccomp_set = true;
	cfg->seccomp_default_action = default_action;
	cfg->seccomp_default_errno = default_errno;
	return 0;
}

int config_add_seccomp_arch(struct krun_config *cfg, const char *arch,
			    struct krun_err **err)
{
	char lower[32];
	size_t i;

	if (!arch || strncmp(arch, "SCMP_ARCH_", 10) != 0 ||
	    strlen(arch + 10) >= sizeof(lower))
		return krun_err_set(err, EINVAL,
				    "unknown seccomp architecture `%s`",
				    arch ? arch : "");
	for (i = 0; arch[10 + i]; i++)
		lower[i] = (char)(arch[10 + i] >= 'A' && arch[10 + i] <= 'Z'
					  ? arch[10 + i] - 'A' + 'a'
					  : arch[10 + i]);
	lower[i] = '\0';
	for (i = 0; arch_names[i]; i++)
		if (strcmp(arch_names[i], lower) == 0)
			break;
	if (!arch_names[i])
		return krun_err_set(err, EINVAL,
				    "unknown seccomp architecture `%s`", arch);
	return cfg_strv_add(&cfg->seccomp_arches, lower, err);
}

static int check_rule(const struct krun_seccomp_rule *r, struct krun_err **err)
{
	size_t n = r->syscall ? strlen(r->syscall) : 0;

	if (n == 0 || n > 64 ||
	    strspn(r->syscall, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return krun_err_set(err, EINVAL, "invalid syscall name `%s`",
				    r->syscall ? r->syscall : "");
	if (!config_seccomp_action_name(r->action) || r->errno_ret > 4095)
		return krun_err_set(err, EINVAL, "syscall `%s`: invalid action",
				    r->syscall);
	if (r->n_args > KRUN_GUEST_SCMP_MAX_ARGS)
		return krun_err_set(err, EINVAL,
				    "syscall `%s`: more than 6 arguments",
				    r->syscall);
	for (uint32_t i = 0; i < r->n_args; i++)
		if (r->args[i].index >= KRUN_GUEST_SCMP_MAX_ARGS ||
		    !config_seccomp_op_name(r->args[i].op))
			return krun_err_set(
				err, EINVAL,
				"syscall `%s`: argument %u: invalid index or "
				"operator",
				r->syscall, i);
	return 0;
}

int config_add_seccomp_rule(struct krun_config *cfg,
			    const struct krun_seccomp_rule *rule,
			    struct krun_err **err)
{
	struct krun_seccomp_rule r = *rule;
	int ret = check_rule(rule, err);

	if (ret < 0)
		return ret;
	if (!cfg->seccomp_set)
		return krun_err_set(err, EINVAL,
				    "seccomp rule before the default action");
	r.syscall = strdup(rule->syscall);
	if (!r.syscall ||
	    cfg_grow((void **)&cfg->seccomp_rules, cfg->n_seccomp_rules,
		     sizeof(*cfg->seccomp_rules), NULL) < 0) {
		free(r.syscall);
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	cfg->seccomp_rules[cfg->n_seccomp_rules++] = r;
	return 0;
}
