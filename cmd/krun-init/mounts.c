// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/mounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cmd/krun-init/init_log.h"
#include "lib/guest_abi.h"
#include "util/cleanup.h"

#define DEVICE_WAIT_MS 5000
#define POLL_MS 10
/* The FUSE server's largest READ (max_pages 256). */
#define VIRTIOFS_READAHEAD_KB 1024

static inline void closedir_fn(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define cleanup_dir __attribute__((cleanup(closedir_fn)))

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int mounts_wait_path(const char *path, unsigned timeout_ms)
{
	for (unsigned waited = 0;; waited += POLL_MS) {
		if (access(path, F_OK) == 0)
			return 0;
		if (waited >= timeout_ms)
			return -ENOENT;
		sleep_ms(POLL_MS);
	}
}

int mounts_make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mount_at(const char *src, const char *target, const char *fstype,
		    unsigned long flags, const char *data,
		    struct krun_err **err)
{
	int ret = mounts_make_dirs(target, 0755);

	if (ret < 0)
		return krun_err_set_errno(
			err, -ret, "cannot create mount point `%s`", target);
	if (mount(src, target, fstype, flags, data) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot mount `%s` (%s) on `%s`", src,
					  fstype ? fstype : "move", target);
	ilog_debug("mounted %s (%s) on %s", src, fstype ? fstype : "move",
		   target);
	return 0;
}

static bool is_mountpoint(const char *path)
{
	struct stat st, parent;
	char up[PATH_MAX];

	if (snprintf(up, sizeof(up), "%s/..", path) >= (int)sizeof(up))
		return false;
	if (stat(path, &st) < 0 || stat(up, &parent) < 0)
		return false;
	return st.st_dev != parent.st_dev;
}

struct api_fs {
	const char *target;
	const char *fstype;
	unsigned long flags;
	const char *data;
};

static const struct api_fs early_fs[] = {
	{"/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
	{"/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
	{"/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
	{"/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	 "gid=5,mode=0620,ptmxmode=0666"},
	{"/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
	{"/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
};

static void dev_links(void)
{
	static const char *const links[][2] = {
		{"/proc/self/fd", "/dev/fd"},
		{"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"},
		{"/proc/self/fd/2", "/dev/stderr"},
		{"/proc/kcore", "/dev/core"},
	};

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
			ilog_debug("cannot link %s: %m", links[i][1]);
}

int mounts_early(struct krun_err **err)
{
	for (size_t i = 0; i < sizeof(early_fs) / sizeof(early_fs[0]); i++) {
		const struct api_fs *f = &early_fs[i];
		int ret;

		if (is_mountpoint(f->target))
			continue;
		ret = mount_at(f->fstype, f->target, f->fstype, f->flags,
			       f->data, err);
		if (ret < 0)
			return ret;
	}
	dev_links();
	return 0;
}

/* Find /dev/<name> of the virtio-blk disk whose serial is `id`. */
static int find_block_by_serial(const char *id, char *dev, size_t size)
{
	cleanup_dir DIR *d = opendir("/sys/block");
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX], serial[64] = "";
		cleanup_file FILE *f = NULL;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/serial", e->d_name);
		f = fopen(path, "re");
		if (!f || !fgets(serial, sizeof(serial), f))
			continue;
		serial[strcspn(serial, "\n")] = '\0';
		if (strcmp(serial, id) == 0) {
			snprintf(dev, size, "/dev/%s", e->d_name);
			return 0;
		}
	}
	return -ENOENT;
}

static int resolve_block(const struct guest_mount *m, char *dev, size_t size,
			 struct krun_err **err)
{
	if (m->kind == KRUN_GUEST_MOUNT_BLOCK_PATH) {
		snprintf(dev, size, "%s", m->source);
		if (mounts_wait_path(dev, DEVICE_WAIT_MS) < 0)
			return krun_err_set(err, ENOENT,
					    "cannot find block device `%s`",
					    dev);
		return 0;
	}
	for (unsigned waited = 0;; waited += POLL_MS) {
		if (find_block_by_serial(m->source, dev, size) == 0 &&
		    mounts_wait_path(dev, DEVICE_WAIT_MS) == 0)
			return 0;
		if (waited >= DEVICE_WAIT_MS)
			return krun_err_set(
				err, ENOENT,
				"cannot find the disk with block id `%s`",
				m->source);
		sleep_ms(POLL_MS);
	}
}

/* No fstype given: try each block filesystem the kernel knows. */
static int mount_probe(const char *dev, const char *target, unsigned long flags,
		       const char *data, struct krun_err **err)
{
	cleanup_file FILE *f = fopen("/proc/filesystems", "re");
	char line[128];
	int last = ENODEV;

	if (!f)
		return krun_err_set_errno(err, errno,
					  "cannot read `/proc/filesystems`");
	while (fgets(line, sizeof(line), f)) {
		char *fstype = line + strspn(line, " \t");

		if (strncmp(line, "nodev", 5) == 0)
			continue;
		fstype[strcspn(fstype, " \t\n")] = '\0';
		if (!*fstype)
			continue;
		if (mount(dev, target, fstype, flags, data) == 0) {
			ilog_debug("mounted %s (%s) on %s", dev, fstype,
				   target);
			return 0;
		}
		last = errno;
	}
	return krun_err_set_errno(
		err, last, "cannot mount `%s` on `%s` with any filesystem", dev,
		target);
}

/*
 * Let sequential reads on a virtio-fs mount go out as 1 MiB FUSE READs (the
 * server's max_pages) instead of the default 128 KiB readahead window: each
 * request is a full round trip to the host, so fewer, larger ones win.
 * Tuning only: a failure is logged, never fatal.
 */
static void virtiofs_readahead(const char *target)
{
	char path[64];
	struct stat st;
	FILE *f;
	bool ok;

	if (stat(target, &st) < 0)
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 major(st.st_dev), minor(st.st_dev));
	f = fopen(path, "we");
	if (!f) {
		ilog_debug("cannot open %s: %m", path);
		return;
	}
	ok = fprintf(f, "%u\n", VIRTIOFS_READAHEAD_KB) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		ilog_debug("cannot raise the readahead of %s: %m", target);
}

static int mount_one(const struct guest_mount *m, const char *target,
		     struct krun_err **err)
{
	unsigned long flags =
		(m->flags & KRUN_GUEST_MOUNT_F_RO) ? MS_RDONLY : 0;
	const char *data = *m->options ? m->options : NULL;
	char dev[PATH_MAX];
	int ret;

	if (m->kind == KRUN_GUEST_MOUNT_VIRTIOFS) {
		ret = mount_at(m->source, target, m->fstype, flags, data, err);
		if (ret == 0)
			virtiofs_readahead(target);
		return ret;
	}
	ret = resolve_block(m, dev, sizeof(dev), err);
	if (ret < 0)
		return ret;
	if (*m->fstype)
		return mount_at(dev, target, m->fstype, flags, data, err);
	ret = mounts_make_dirs(target, 0755);
	if (ret < 0)
		return krun_err_set_errno(
			err, -ret, "cannot create mount point `%s`", target);
	return mount_probe(dev, target, flags, data, err);
}

static int mount_volumes(const struct guest_config *cfg, struct krun_err **err)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		char target[PATH_MAX];
		int ret;

		if (snprintf(target, sizeof(target), INIT_NEWROOT "%s",
			     cfg->mounts[i].target) >= (int)sizeof(target))
			return krun_err_set(
				err, ENAMETOOLONG,
				"cannot mount on `%s`: path too long",
				cfg->mounts[i].target);
		ret = mount_one(&cfg->mounts[i], target, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Move /proc, /sys and /dev (with pts and shm) into the new root. A root
 * without the directory that cannot create it (read-only) goes without.
 */
static void move_api_fs(void)
{
	static const char *const moved[] = {"/proc", "/sys", "/dev"};

	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		char target[64];

		snprintf(target, sizeof(target), INIT_NEWROOT "%s", moved[i]);
		if (mounts_make_dirs(target, 0755) < 0 ||
		    mount(moved[i], target, NULL, MS_MOVE, NULL) < 0)
			ilog_err("warning: the root has no usable `%s`: %m",
				 moved[i]);
	}
}

/* A read-only root still gets writable scratch space, as podman does. */
static void mount_scratch(const struct guest_config *cfg)
{
	static const char *const scratch[] = {"/tmp", "/run", "/var/tmp"};

	if (!(cfg->root.flags & KRUN_GUEST_MOUNT_F_RO))
		return;
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++) {
		char target[64];
		struct stat st;

		snprintf(target, sizeof(target), INIT_NEWROOT "%s", scratch[i]);
		if (stat(target, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
			  "mode=1777") < 0)
			ilog_err("warning: cannot mount tmpfs on `%s`: %m",
				 scratch[i]);
	}
}

/*
 * /dev/disk/by-id/virtio-<serial> -> ../../vdX for every virtio disk with
 * a serial (the VMM's block id), as udev would make them.
 */
static void disk_id_links(void)
{
	cleanup_dir DIR *d = opendir("/sys/block");
	struct dirent *e;

	if (!d)
		return;
	if ((mkdir("/dev/disk", 0755) < 0 && errno != EEXIST) ||
	    (mkdir("/dev/disk/by-id", 0755) < 0 && errno != EEXIST))
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX], serial[64] = "", target[PATH_MAX];
		cleanup_file FILE *f = NULL;

		if (strncmp(e->d_name, "vd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/serial", e->d_name);
		f = fopen(path, "re");
		if (!f || !fgets(serial, sizeof(serial), f))
			continue;
		serial[strcspn(serial, "\n")] = '\0';
		if (!serial[0] || strchr(serial, '/'))
			continue;
		snprintf(path, sizeof(path), "/dev/disk/by-id/virtio-%s",
			 serial);
		snprintf(target, sizeof(target), "../../%s", e->d_name);
		if (symlink(target, path) < 0 && errno != EEXIST)
			ilog_debug("cannot link %s: %m", path);
	}
}

static int enter_root(struct krun_err **err)
{
	/* The initramfs stays in memory; drop the bulk of it. */
	unlink("/init");
	unlink(KRUN_GUEST_CONFIG_PATH);
	if (chdir(INIT_NEWROOT) < 0)
		return krun_err_set_errno(err, errno, "cannot enter `%s`",
					  INIT_NEWROOT);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return krun_err_set_errno(err, errno,
					  "cannot move the root onto `/`");
	if (chroot(".") < 0 || chdir("/") < 0)
		return krun_err_set_errno(err, errno,
					  "cannot switch to the new root");
	return 0;
}

/*
 * Bind the resolver file over the root's /etc/resolv.conf, which must be a
 * regular file: the root is never written to (a symlink is not followed,
 * it would resolve against the initramfs).
 */
static void mount_resolv(const char *resolv)
{
	struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT};
	cleanup_close int root = open(INIT_NEWROOT, O_PATH | O_CLOEXEC);
	cleanup_close int fd = -1;
	char target[64];
	struct stat st;

	if (root >= 0)
		fd = (int)syscall(SYS_openat2, root, "etc/resolv.conf", &how,
				  sizeof(how));
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ilog_err("warning: the root has no /etc/resolv.conf file to "
			 "mount the network's resolvers over: DNS is not "
			 "configured");
		return;
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(resolv, target, NULL, MS_BIND, NULL) < 0)
		ilog_err("warning: cannot mount `%s` on /etc/resolv.conf: %m",
			 resolv);
}

int mounts_switch_root(const struct guest_config *cfg, const char *resolv,
		       struct krun_err **err)
{
	int ret = mount_one(&cfg->root, INIT_NEWROOT, err);

	if (ret < 0)
		return krun_err_wrap(err, "cannot mount the root");
	ret = mount_volumes(cfg, err);
	if (ret < 0)
		return ret;
	mount_scratch(cfg);
	disk_id_links();
	if (resolv)
		mount_resolv(resolv);
	move_api_fs();
	return enter_root(err);
}
