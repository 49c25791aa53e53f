// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/oci_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cmd/krun-init/mounts.h"
#include "util/cleanup.h"

int oci_mounts_apply(const struct guest_attrs *a, struct krun_err **err)
{
	for (size_t i = 0; i < a->n_fsmounts; i++) {
		const struct guest_fsmount *m = &a->fsmounts[i];
		int ret = mounts_make_dirs(m->target, 0755);

		if (ret < 0)
			return krun_err_set_errno(err, -ret,
						  "cannot create mount point "
						  "`%s`",
						  m->target);
		if (mount(m->source, m->target, m->fstype, m->ms_flags,
			  *m->data ? m->data : NULL) == 0)
			continue;
		/* sysfs cannot be mounted again where it already is (init's
		 * /sys): apply the flags to that mount instead. */
		if (errno != EBUSY ||
		    mount(NULL, m->target, NULL,
			  MS_REMOUNT | MS_BIND | m->ms_flags, NULL) < 0)
			return krun_err_set_errno(err, errno,
						  "cannot mount %s on `%s`",
						  m->fstype, m->target);
	}
	return 0;
}

static int write_sysctl(const char *kv, struct krun_err **err)
{
	const char *eq = strchr(kv, '=');
	size_t klen = (size_t)(eq - kv);
	bool slashes = memchr(kv, '/', klen) != NULL;
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	size_t n;

	n = (size_t)snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)klen,
			     kv);
	if (n >= sizeof(path))
		return krun_err_set(err, ENAMETOOLONG, "sysctl `%.*s`",
				    (int)klen, kv);
	for (char *p = path + 10; !slashes && *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 ||
	    write(fd, eq + 1, strlen(eq + 1)) != (ssize_t)strlen(eq + 1))
		return krun_err_set_errno(err, errno,
					  "cannot set sysctl `%.*s` to `%s`",
					  (int)klen, kv, eq + 1);
	return 0;
}

int oci_sysctls_apply(const struct guest_attrs *a, struct krun_err **err)
{
	for (size_t i = 0; i < a->n_sysctls; i++) {
		int ret = write_sysctl(a->sysctls[i], err);

		if (ret < 0)
			return ret;
	}
	if (*a->domainname &&
	    setdomainname(a->domainname, strlen(a->domainname)) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot set the domain name to `%s`",
					  a->domainname);
	return 0;
}

/* runc's way: /dev/null over a file, an empty read-only tmpfs over a
 * directory; a path that does not exist is skipped. */
static int mask_path(const char *path, struct krun_err **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT
			       ? 0
			       : krun_err_set_errno(err, errno,
						    "cannot mask `%s`", path);
	if (S_ISDIR(st.st_mode)
		    ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0")
		    : mount("/dev/null", path, NULL, MS_BIND, NULL))
		return krun_err_set_errno(err, errno, "cannot mask `%s`", path);
	return 0;
}

/* A bind mount onto itself, remounted read-only with the flags it had. */
static int make_readonly(const char *path, struct krun_err **err)
{
	unsigned long keep = 0;
	struct statvfs sv;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    statvfs(path, &sv) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot make `%s` read-only", path);
	keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC);
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep,
		  NULL) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot make `%s` read-only", path);
	return 0;
}

int oci_paths_apply(const struct guest_attrs *a, struct krun_err **err)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < a->n_readonly; i++)
		ret = make_readonly(a->readonly[i], err);
	for (size_t i = 0; ret == 0 && i < a->n_masked; i++)
		ret = mask_path(a->masked[i], err);
	return ret;
}
