// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/process_attrs.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/guest_abi.h"
#include "util/cleanup.h"

#define MAX_GROUPS 65536

static bool all_digits(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n >= UINT32_MAX)
		return false;
	*v = (uint32_t)n;
	return true;
}

static FILE *open_db(const char *root, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/etc/%s", root, name);
	return fopen(path, "re");
}

/* By name, or by number when `name` is all digits. */
static int find_user(const char *root, const char *name, struct passwd *out,
		     char **home, char **pname)
{
	cleanup_file FILE *f = open_db(root, "passwd");
	struct passwd *pw;
	uint32_t id;
	bool numeric = all_digits(name, &id);

	while (f && (pw = fgetpwent(f))) {
		if (numeric ? pw->pw_uid == id
			    : strcmp(pw->pw_name, name) == 0) {
			*out = *pw;
			*home = strdup(pw->pw_dir);
			*pname = strdup(pw->pw_name);
			return *home && *pname ? 1 : -ENOMEM;
		}
	}
	return 0;
}

static int find_group(const char *root, const char *name, gid_t *gid)
{
	cleanup_file FILE *f = open_db(root, "group");
	struct group *gr;
	uint32_t id;

	if (all_digits(name, &id)) {
		*gid = id;
		return 1;
	}
	while (f && (gr = fgetgrent(f))) {
		if (strcmp(gr->gr_name, name) == 0) {
			*gid = gr->gr_gid;
			return 1;
		}
	}
	return 0;
}

static int add_gid(struct guest_attrs *a, gid_t gid)
{
	gid_t *grown;

	for (size_t i = 0; i < a->n_groups; i++)
		if (a->groups[i] == gid)
			return 0;
	if (a->n_groups >= MAX_GROUPS)
		return -E2BIG;
	grown = realloc(a->groups, (a->n_groups + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	grown[a->n_groups++] = gid;
	a->groups = grown;
	return 0;
}

/* The groups of /etc/group that list `user` as a member. */
static int member_groups(const char *root, const char *user,
			 struct guest_attrs *a)
{
	cleanup_file FILE *f = open_db(root, "group");
	struct group *gr;
	int ret = 0;

	while (ret == 0 && f && (gr = fgetgrent(f)))
		for (char **m = gr->gr_mem; ret == 0 && m && *m; m++)
			if (strcmp(*m, user) == 0)
				ret = add_gid(a, gr->gr_gid);
	return ret;
}

static int resolve_spec(struct guest_config *cfg, const char *root,
			struct krun_err **err)
{
	cleanup_free char *spec = strdup(cfg->attrs.user);
	cleanup_free char *pname = NULL;
	char *group;
	struct passwd pw;
	gid_t gid = 0;
	uint32_t uid;
	int found;

	if (!spec)
		return krun_err_set(err, ENOMEM, "out of memory");
	group = strchr(spec, ':');
	if (group)
		*group++ = '\0';
	found = find_user(root, spec, &pw, &cfg->attrs.home, &pname);
	if (found < 0)
		return krun_err_set(err, -found, "cannot resolve user `%s`",
				    spec);
	if (found) {
		uid = pw.pw_uid;
		gid = pw.pw_gid;
		if (member_groups(root, pname, &cfg->attrs) < 0)
			return krun_err_set(err, ENOMEM, "too many groups");
	} else if (!all_digits(spec, &uid)) {
		return krun_err_set(err, ENOENT,
				    "unable to find user `%s`: no matching "
				    "entries in passwd file",
				    spec);
	}
	if (group && find_group(root, group, &gid) <= 0)
		return krun_err_set(err, ENOENT,
				    "unable to find group `%s`: no matching "
				    "entries in group file",
				    group);
	cfg->uid = uid;
	cfg->gid = gid;
	cfg->flags |= KRUN_GUEST_F_SET_USER;
	return 0;
}

int attrs_resolve_user(struct guest_config *cfg, const char *root,
		       struct krun_err **err)
{
	struct guest_attrs *a = &cfg->attrs;
	int ret = 0;

	if (*a->user)
		ret = resolve_spec(cfg, root, err);
	for (size_t i = 0; ret == 0 && i < a->n_group_add; i++) {
		gid_t gid;

		if (find_group(root, a->group_add[i], &gid) <= 0)
			return krun_err_set(err, ENOENT,
					    "unable to find group `%s`: no "
					    "matching entries in group file",
					    a->group_add[i]);
		if (add_gid(a, gid) < 0)
			return krun_err_set(err, ENOMEM, "too many groups");
	}
	return ret;
}

static int fail(char *msg, size_t size, const char *what)
{
	snprintf(msg, size, "%s: %s", what, strerror(errno));
	return -1;
}

/* Drop from the bounding set every capability not in `keep`. */
static int drop_bounding(uint64_t keep)
{
	for (int c = 0; c <= KRUN_GUEST_CAP_MAX; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (!(keep & (1ull << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

static int set_caps(const uint64_t *caps)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	uint64_t amb = caps[KRUN_GUEST_CAP_AMBIENT];

	for (int i = 0; i < 2; i++) {
		d[i].effective =
			(uint32_t)(caps[KRUN_GUEST_CAP_EFFECTIVE] >> (32 * i));
		d[i].permitted =
			(uint32_t)(caps[KRUN_GUEST_CAP_PERMITTED] >> (32 * i));
		d[i].inheritable =
			(uint32_t)(caps[KRUN_GUEST_CAP_INHERITABLE] >>
				   (32 * i));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return amb ? -1 : 0; /* a kernel without ambient caps */
	/* As runc and crun: an ambient capability that is not also
	 * permitted and inheritable is skipped, not an error. */
	for (int c = 0; c <= KRUN_GUEST_CAP_MAX; c++)
		if ((amb & (1ull << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 &&
		    errno != EPERM && errno != EINVAL)
			return -1;
	return 0;
}

static int switch_ids(const struct guest_config *cfg, char *msg, size_t size)
{
	const struct guest_attrs *a = &cfg->attrs;

	if (!(cfg->flags & KRUN_GUEST_F_SET_USER)) {
		if (a->n_groups && setgroups(a->n_groups, a->groups) < 0)
			return fail(msg, size, "cannot set the groups");
		return 0;
	}
	if (setgroups(a->n_groups, a->groups) < 0 || setgid(cfg->gid) < 0 ||
	    setuid(cfg->uid) < 0) {
		snprintf(msg, size, "cannot switch to uid %u gid %u: %s",
			 cfg->uid, cfg->gid, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * runc's order: a filter that no_new_privs does not cover is loaded while
 * init's child still has CAP_SYS_ADMIN; the bounding set is cut before
 * the id switch, which keeps the permitted set (PR_SET_KEEPCAPS) so the
 * requested sets can be set after it.
 */
int attrs_apply(const struct guest_config *cfg, char *msg, size_t size)
{
	const struct guest_attrs *a = &cfg->attrs;
	bool caps = a->flags & KRUN_GUEST_A_CAPS;
	bool nnp = a->flags & KRUN_GUEST_A_NO_NEW_PRIVS;
	bool filter = a->flags & KRUN_GUEST_A_SECCOMP;

	if (a->flags & KRUN_GUEST_A_UMASK)
		umask((mode_t)a->umask);
	if (filter && !nnp && attrs_seccomp_load(a, msg, size) < 0)
		return -1;
	if (caps && (drop_bounding(a->caps[KRUN_GUEST_CAP_BOUNDING]) < 0 ||
		     prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0))
		return fail(msg, size, "cannot set the bounding capabilities");
	if (switch_ids(cfg, msg, size) < 0)
		return -1;
	if (caps &&
	    (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || set_caps(a->caps) < 0))
		return fail(msg, size, "cannot set the capabilities");
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(msg, size, "cannot set no_new_privs");
	if (filter && nnp && attrs_seccomp_load(a, msg, size) < 0)
		return -1;
	return 0;
}
