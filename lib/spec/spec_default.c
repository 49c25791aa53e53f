// SPDX-License-Identifier: Apache-2.0
/*
 * The default workload (spec_default_workload): with no executable set, run
 * the OCI process that the root directory's /.krun_config.json describes
 * (as crun leaves it for libkrun), else /bin/sh; with one set, take only
 * that process's environment. The file is read on the
 * host, confined to the root, and goes through the spec loader's process
 * handlers, so it means exactly what .process means in a --spec file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/spec/spec.h"
#include "util/cleanup.h"
#include "util/log.h"

static const char *const no_strings[] = {NULL};

/*
 * Open root/name for reading without leaving root: an O_PATH open with
 * RESOLVE_IN_ROOT (".." and absolute symlinks stop at root, no magic
 * links), checked to be a regular file before it is opened for reading
 * through its O_PATH fd, so a FIFO or device node is never opened. 0 with
 * *fd -1: there is no such file.
 */
static int open_in_root(const char *root, const char *name, int *fd,
			struct krun_err **err)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	cleanup_close int dir = -1;
	cleanup_close int path_fd = -1;
	char proc_path[64];
	struct stat st;

	*fd = -1;
	dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return krun_err_set_errno(err, errno, "open root `%s`", root);
	path_fd = (int)syscall(SYS_openat2, dir, name, &how, sizeof(how));
	if (path_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (path_fd < 0)
		return krun_err_set_errno(err, errno, "open `%s/%s`", root,
					  name);
	if (fstat(path_fd, &st) < 0)
		return krun_err_set_errno(err, errno, "stat `%s/%s`", root,
					  name);
	if (!S_ISREG(st.st_mode))
		return krun_err_set(err, EINVAL, "`%s/%s`: not a regular file",
				    root, name);
	if (st.st_size > SPEC_MAX_FILE_SIZE)
		return krun_err_set(err, EFBIG, "`%s/%s`: larger than %u bytes",
				    root, name, SPEC_MAX_FILE_SIZE);
	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", path_fd);
	*fd = open(proc_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return krun_err_set_errno(err, errno, "open `%s/%s`", root,
					  name);
	return 0;
}

static int read_all(int fd, const char *what, char **out, struct krun_err **err)
{
	cleanup_free char *buf = malloc(SPEC_MAX_FILE_SIZE + 1);
	size_t len = 0;

	if (!buf)
		return krun_err_set(err, ENOMEM, "%s: out of memory", what);
	for (;;) {
		ssize_t n = read(fd, buf + len, SPEC_MAX_FILE_SIZE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return krun_err_set_errno(err, errno, "read `%s`",
						  what);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SPEC_MAX_FILE_SIZE)
			return krun_err_set(err, EFBIG,
					    "`%s`: larger than %u bytes", what,
					    SPEC_MAX_FILE_SIZE);
	}
	if (memchr(buf, '\0', len))
		return krun_err_set(err, EINVAL, "`%s`: contains a NUL byte",
				    what);
	buf[len] = '\0';
	*out = steal_ptr(buf);
	return 0;
}

/* The caller's entries override the file's, variable by variable. */
static int merge_env(struct krun_config *cfg, struct krun_config *file,
		     struct krun_err **err)
{
	for (size_t i = 0; cfg->envp && cfg->envp[i]; i++) {
		int ret = config_put_env(file, cfg->envp[i], err);

		if (ret < 0)
			return ret;
	}
	if (!file->envp)
		return 0;
	strv_free(cfg->envp);
	cfg->envp = steal_ptr(file->envp);
	return 0;
}

static void merge_process(struct krun_config *cfg, struct krun_config *file)
{
	if (!cfg->workdir)
		cfg->workdir = steal_ptr(file->workdir);
	if (!cfg->has_user && !cfg->user_spec) {
		cfg->has_user = file->has_user;
		cfg->uid = file->uid;
		cfg->gid = file->gid;
		if (!cfg->group_add)
			cfg->group_add = steal_ptr(file->group_add);
	}
	if (!cfg->umask_set) {
		cfg->umask_set = file->umask_set;
		cfg->umask = file->umask;
	}
	if (cfg->n_rlimits == 0) {
		cfg->rlimits = steal_ptr(file->rlimits);
		cfg->n_rlimits = file->n_rlimits;
		file->n_rlimits = 0;
	}
	if (!cfg->caps_set && file->caps_set) {
		cfg->caps_set = true;
		memcpy(cfg->caps, file->caps, sizeof(cfg->caps));
	}
	cfg->no_new_privs |= file->no_new_privs;
	if (cfg->tty == KRUN_AUTO) {
		cfg->tty = file->tty;
		cfg->terminal = file->terminal;
	}
}

static int load_config_file(struct krun_config *cfg, struct krun_config *file,
			    struct krun_err **err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	struct spec_result res;
	int ret;

	ret = open_in_root(cfg->root_dir, SPEC_DEFAULT_CONFIG_FILE, &fd, err);
	if (ret < 0 || fd < 0)
		return ret;
	if (asprintf(&path, "%s/%s", cfg->root_dir, SPEC_DEFAULT_CONFIG_FILE) <
	    0) {
		path = NULL;
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	ret = read_all(fd, path, &text, err);
	if (ret == 0)
		ret = spec_load_process_string(file, text, &res, err);
	if (ret < 0)
		return krun_err_wrap(err, "%s", path);
	if (cfg->exec_path)
		log_info("environment from `%s`", path);
	else
		log_info("default workload from `%s`%s", path,
			 file->exec_path ? ""
					 : " (no process.args: " SPEC_DEFAULT_SHELL
					   ")");
	return 0;
}

int spec_default_workload(struct krun_config *cfg, struct krun_err **err)
{
	struct krun_config *file;
	int ret;

	file = config_new(err);
	if (!file)
		return -ENOMEM;
	ret = cfg->root_dir ? load_config_file(cfg, file, err) : 0;
	if (ret == 0)
		ret = merge_env(cfg, file, err);
	/*
	 * With an executable set only the environment is taken, as libkrun's
	 * init applies the file's env to whatever it runs: crun's krun
	 * handler sets the executable with an empty environment and leaves
	 * the container's in the file.
	 */
	if (cfg->exec_path) {
		config_free(file);
		return ret;
	}
	if (ret == 0 && !file->exec_path)
		ret = config_set_exec(file, SPEC_DEFAULT_SHELL, no_strings,
				      no_strings, err);
	if (ret == 0) {
		merge_process(cfg, file);
		cfg->exec_path = steal_ptr(file->exec_path);
		strv_free(cfg->argv);
		cfg->argv = steal_ptr(file->argv);
		log_info("no executable set: running `%s`", cfg->exec_path);
	}
	config_free(file);
	return ret;
}
