// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/guest_attrs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/krun-init/guest_config_internal.h"
#include "util/err.h"

static const char *const fs_types[] = {
	"tmpfs", "proc", "sysfs", "devpts", "mqueue", "cgroup2", NULL,
};

static int bad(struct reader *r, const char *what, const char *value)
{
	return krun_err_set(r->err, EINVAL,
			    "bad run configuration: bad %s `%s`", what, value);
}

/* Absolute, not "/", no ".." component. */
static bool safe_target(const char *t)
{
	size_t n = strlen(t);

	return t[0] == '/' && n > 1 && !strstr(t, "/../") &&
	       !(n >= 3 && strcmp(t + n - 3, "/..") == 0);
}

static bool safe_sysctl(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : 0;

	if (klen == 0 || kv[0] == '.' || kv[0] == '/')
		return false;
	for (size_t i = 0; i < klen; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-/",
			    kv[i]) ||
		    (i > 0 && kv[i] == '.' && kv[i - 1] == '.'))
			return false;
	return !strstr(kv, "/..") && !strstr(kv, "../") &&
	       !memmem(kv, klen, "..", 2);
}

static int get_fsmount(struct reader *r, struct guest_fsmount *m)
{
	size_t i;
	int ret = gc_u32(r, "fsmount.flags", &m->ms_flags);

	if (ret == 0)
		ret = gc_str(r, "fsmount.fstype", &m->fstype);
	if (ret == 0)
		ret = gc_str(r, "fsmount.source", &m->source);
	if (ret == 0)
		ret = gc_str(r, "fsmount.target", &m->target);
	if (ret == 0)
		ret = gc_str(r, "fsmount.data", &m->data);
	if (ret < 0)
		return ret;
	for (i = 0; fs_types[i] && strcmp(fs_types[i], m->fstype); i++)
		;
	if (!fs_types[i])
		return bad(r, "filesystem type", m->fstype);
	if (!safe_target(m->target))
		return bad(r, "mount point", m->target);
	if (m->ms_flags & ~KRUN_GUEST_FSMOUNT_MS_ALL)
		return bad(r, "mount flags for", m->target);
	return 0;
}

static int get_fsmounts(struct reader *r, struct guest_attrs *a)
{
	int ret = gc_count(r, "fsmounts", 20, &a->n_fsmounts);

	if (ret < 0)
		return ret;
	a->fsmounts = calloc(a->n_fsmounts + 1, sizeof(*a->fsmounts));
	if (!a->fsmounts)
		return krun_err_set_errno(r->err, ENOMEM,
					  "cannot parse mounts");
	for (size_t i = 0; ret == 0 && i < a->n_fsmounts; i++)
		ret = get_fsmount(r, &a->fsmounts[i]);
	return ret;
}

static int get_paths(struct reader *r, const char *what, char ***v, size_t *n)
{
	int ret = gc_strv(r, what, v, n);

	for (size_t i = 0; ret == 0 && i < *n; i++)
		if (!safe_target((*v)[i]))
			ret = bad(r, "path", (*v)[i]);
	return ret;
}

static bool action_ok(uint32_t action, uint32_t errno_ret)
{
	return action >= 1 && action <= KRUN_GUEST_SCMP_ACTION_MAX &&
	       errno_ret <= 4095;
}

static int get_rule(struct reader *r, struct guest_seccomp_rule *s)
{
	int ret = gc_str(r, "seccomp.syscall", &s->syscall);

	if (ret == 0)
		ret = gc_u32(r, "seccomp.action", &s->action);
	if (ret == 0)
		ret = gc_u32(r, "seccomp.errno", &s->errno_ret);
	if (ret == 0)
		ret = gc_u32(r, "seccomp.n_args", &s->n_args);
	if (ret < 0)
		return ret;
	if (!*s->syscall || !action_ok(s->action, s->errno_ret) ||
	    s->n_args > KRUN_GUEST_SCMP_MAX_ARGS)
		return bad(r, "seccomp rule for", s->syscall);
	for (uint32_t i = 0; ret == 0 && i < s->n_args; i++) {
		struct guest_seccomp_arg *g = &s->args[i];

		ret = gc_u32(r, "seccomp.arg.index", &g->index);
		if (ret == 0)
			ret = gc_u32(r, "seccomp.arg.op", &g->op);
		if (ret == 0)
			ret = gc_u64(r, "seccomp.arg.value", &g->value);
		if (ret == 0)
			ret = gc_u64(r, "seccomp.arg.value_two", &g->value_two);
		if (ret == 0 && (g->index >= KRUN_GUEST_SCMP_MAX_ARGS ||
				 g->op < 1 || g->op > KRUN_GUEST_SCMP_CMP_MAX))
			ret = bad(r, "seccomp argument for", s->syscall);
	}
	return ret;
}

static int get_seccomp(struct reader *r, struct guest_attrs *a)
{
	int ret = gc_u32(r, "seccomp.default", &a->seccomp_default_action);

	if (ret == 0)
		ret = gc_u32(r, "seccomp.default_errno",
			     &a->seccomp_default_errno);
	if (ret == 0 &&
	    !action_ok(a->seccomp_default_action, a->seccomp_default_errno))
		ret = bad(r, "seccomp default action", "");
	if (ret == 0)
		ret = gc_strv(r, "seccomp.arches", &a->arches, &a->n_arches);
	if (ret == 0)
		ret = gc_count(r, "seccomp.rules", 17, &a->n_rules);
	if (ret < 0)
		return ret;
	a->rules = calloc(a->n_rules + 1, sizeof(*a->rules));
	if (!a->rules)
		return krun_err_set_errno(r->err, ENOMEM,
					  "cannot parse seccomp rules");
	for (size_t i = 0; ret == 0 && i < a->n_rules; i++)
		ret = get_rule(r, &a->rules[i]);
	return ret;
}

static int get_ids(struct reader *r, struct guest_attrs *a)
{
	int ret = gc_u32(r, "attrs.flags", &a->flags);

	if (ret == 0)
		ret = gc_u32(r, "attrs.umask", &a->umask);
	if (ret == 0 && (a->flags & ~KRUN_GUEST_A_ALL))
		return krun_err_set(r->err, EINVAL,
				    "bad run configuration: unknown attrs "
				    "flags %#x",
				    a->flags);
	if (ret == 0 && a->umask > 0777)
		return bad(r, "umask", "");
	if (ret == 0)
		ret = gc_str(r, "attrs.user", &a->user);
	if (ret == 0)
		ret = gc_strv(r, "attrs.group_add", &a->group_add,
			      &a->n_group_add);
	for (size_t i = 0; ret == 0 && i < a->n_group_add; i++)
		if (!*a->group_add[i] || strchr(a->group_add[i], ':'))
			ret = bad(r, "group", a->group_add[i]);
	if (ret == 0)
		ret = gc_str(r, "attrs.domainname", &a->domainname);
	return ret;
}

int guest_attrs_parse(struct reader *r, struct guest_attrs *a)
{
	int ret = get_ids(r, a);

	for (int i = 0; ret == 0 && i < KRUN_GUEST_CAP_SETS; i++)
		ret = gc_u64(r, "attrs.caps", &a->caps[i]);
	if (ret == 0)
		ret = gc_strv(r, "attrs.sysctl", &a->sysctls, &a->n_sysctls);
	for (size_t i = 0; ret == 0 && i < a->n_sysctls; i++)
		if (!safe_sysctl(a->sysctls[i]))
			ret = bad(r, "sysctl", a->sysctls[i]);
	if (ret == 0)
		ret = get_fsmounts(r, a);
	if (ret == 0)
		ret = get_paths(r, "attrs.masked", &a->masked, &a->n_masked);
	if (ret == 0)
		ret = get_paths(r, "attrs.readonly", &a->readonly,
				&a->n_readonly);
	if (ret == 0 && (a->flags & KRUN_GUEST_A_SECCOMP))
		ret = get_seccomp(r, a);
	return ret;
}

void guest_attrs_free(struct guest_attrs *a)
{
	free(a->group_add);
	free(a->sysctls);
	free(a->fsmounts);
	free(a->masked);
	free(a->readonly);
	free(a->arches);
	free(a->rules);
	free(a->groups);
	free(a->home);
	*a = (struct guest_attrs){0};
}
