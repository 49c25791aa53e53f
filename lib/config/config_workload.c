// SPDX-License-Identifier: Apache-2.0
/*
 * The workload: executable, arguments, environment, working directory,
 * hostname, user, terminal flag and rlimits.
 */
#include "lib/config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config/config_internal.h"
#include "util/cleanup.h"

#define HOSTNAME_MAX_LEN 64 /* HOST_NAME_MAX on Linux */

extern char **environ;

int cfg_check_env_entry(const char *kv, struct krun_err **err)
{
	const char *eq = strchr(kv, '=');

	if (!eq)
		return krun_err_set(
			err, EINVAL,
			"invalid environment entry `%s`: expected KEY=VALUE",
			kv);
	if (eq == kv)
		return krun_err_set(
			err, EINVAL,
			"invalid environment entry `%s`: empty variable name",
			kv);
	return 0;
}

/*
 * Copy envp after validating it; NULL copies the host environment, whose
 * malformed entries (possible, never useful) are skipped rather than fatal.
 */
static int copy_env(const char *const envp[], char ***out,
		    struct krun_err **err)
{
	const char *const *src = envp;
	cleanup_free const char **valid = NULL;
	size_t n = 0;

	if (!envp) {
		src = (const char *const *)environ;
		valid = calloc(cfg_strv_len(src) + 1, sizeof(*valid));
		if (!valid)
			return krun_err_set(
				err, ENOMEM,
				"out of memory copying the host environment");
		for (size_t i = 0; src[i]; i++)
			if (cfg_check_env_entry(src[i], NULL) == 0)
				valid[n++] = src[i];
		return cfg_strv_dup(valid, out, err);
	}
	for (size_t i = 0; envp[i]; i++) {
		int ret = cfg_check_env_entry(envp[i], err);

		if (ret < 0)
			return ret;
	}
	return cfg_strv_dup(envp, out, err);
}

int config_set_exec(struct krun_config *cfg, const char *exec_path,
		    const char *const argv[], const char *const envp[],
		    struct krun_err **err)
{
	cleanup_free char *path = NULL;
	cleanup_strv char **args = NULL;
	cleanup_strv char **env = NULL;
	int ret = cfg_check_path("executable", exec_path, err);

	if (ret < 0)
		return ret;
	if ((ret = copy_env(envp, &env, err)) < 0 ||
	    (ret = cfg_strv_dup(argv, &args, err)) < 0 ||
	    (ret = cfg_strdup(exec_path, &path, err)) < 0)
		return ret;
	free(cfg->exec_path);
	cfg->exec_path = steal_ptr(path);
	strv_free(cfg->argv);
	cfg->argv = steal_ptr(args);
	strv_free(cfg->envp);
	cfg->envp = steal_ptr(env);
	return 0;
}

int config_set_env(struct krun_config *cfg, const char *const envp[],
		   struct krun_err **err)
{
	char **env = NULL;
	int ret = copy_env(envp, &env, err);

	if (ret < 0)
		return ret;
	strv_free(cfg->envp);
	cfg->envp = env;
	return 0;
}

static ssize_t find_env_key(char *const *envp, const char *kv)
{
	size_t key_len = strcspn(kv, "=") + 1; /* including the '=' */

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], kv, key_len))
			return (ssize_t)i;
	return -1;
}

int config_put_env(struct krun_config *cfg, const char *kv,
		   struct krun_err **err)
{
	cleanup_strv char **env = NULL;
	cleanup_free char *entry = NULL;
	ssize_t slot;
	size_t n;
	int ret;

	if (!kv)
		return krun_err_set(err, EINVAL,
				    "environment entry: none given");
	ret = cfg_check_env_entry(kv, err);
	if (ret < 0)
		return ret;
	n = cfg_strv_len((const char *const *)cfg->envp);
	slot = find_env_key(cfg->envp, kv);
	if ((ret = cfg_strdup(kv, &entry, err)) < 0 ||
	    (ret = cfg_strv_dup((const char *const *)cfg->envp, &env, err)) < 0)
		return ret;
	/* Appending: grow the n + 1 slots by one for the new terminator. */
	if (slot < 0 &&
	    (ret = cfg_grow((void **)&env, n + 1, sizeof(*env), err)) < 0)
		return ret;
	if (slot < 0)
		slot = (ssize_t)n;
	free(env[slot]);
	env[slot] = steal_ptr(entry);
	strv_free(cfg->envp);
	cfg->envp = steal_ptr(env);
	return 0;
}

int config_set_workdir(struct krun_config *cfg, const char *path,
		       struct krun_err **err)
{
	int ret = cfg_check_path("working directory", path, err);

	if (ret < 0)
		return ret;
	/* A relative path is taken from the guest's root, as libkrun's init
	 * does (it starts in "/"). */
	if (path[0] != '/') {
		cleanup_free char *abs = NULL;

		if (asprintf(&abs, "/%s", path) < 0)
			return krun_err_set(err, ENOMEM,
					    "working directory: out of memory");
		return cfg_replace_str(&cfg->workdir, abs, err);
	}
	return cfg_replace_str(&cfg->workdir, path, err);
}

int config_set_hostname(struct krun_config *cfg, const char *name,
			struct krun_err **err)
{
	if (!name)
		return krun_err_set(err, EINVAL, "hostname: none given");
	if (!*name)
		return krun_err_set(err, EINVAL, "empty hostname");
	if (strlen(name) > HOSTNAME_MAX_LEN)
		return krun_err_set(
			err, EINVAL,
			"invalid hostname `%s`: longer than %d bytes", name,
			HOSTNAME_MAX_LEN);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return krun_err_set(
				err, EINVAL,
				"invalid hostname `%s`: only letters, digits, `-`, `.` and `_` are allowed",
				name);
	return cfg_replace_str(&cfg->hostname, name, err);
}

int config_set_user(struct krun_config *cfg, uint32_t uid, uint32_t gid,
		    struct krun_err **err)
{
	/* (uid_t)-1 means "leave unchanged" to setresuid(): never a user. */
	if (uid == UINT32_MAX)
		return krun_err_set(err, EINVAL,
				    "invalid uid `%u`: reserved value", uid);
	if (gid == UINT32_MAX)
		return krun_err_set(err, EINVAL,
				    "invalid gid `%u`: reserved value", gid);
	cfg->has_user = true;
	cfg->uid = uid;
	cfg->gid = gid;
	return 0;
}

int config_set_terminal(struct krun_config *cfg, bool terminal,
			struct krun_err **err)
{
	cfg->terminal = terminal;
	return 0;
}

static ssize_t find_rlimit(const struct krun_rlimit *rl, size_t n, int resource)
{
	for (size_t i = 0; i < n; i++)
		if (rl[i].resource == resource)
			return (ssize_t)i;
	return -1;
}

int config_set_rlimits(struct krun_config *cfg, const char *const rlimits[],
		       struct krun_err **err)
{
	cleanup_free struct krun_rlimit *list = NULL;
	size_t n;

	if (!rlimits)
		return krun_err_set(err, EINVAL, "rlimits: no list given");
	n = cfg_strv_len(rlimits);
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return krun_err_set(err, ENOMEM,
				    "out of memory for %zu rlimits", n);
	for (size_t i = 0; i < n; i++) {
		int ret = cfg_parse_rlimit(rlimits[i], &list[i], err);

		if (ret < 0)
			return ret;
		if (find_rlimit(list, i, list[i].resource) >= 0)
			return krun_err_set(
				err, EEXIST,
				"duplicate rlimit `%s`: %s is given twice",
				rlimits[i],
				config_rlimit_name(list[i].resource));
	}
	free(cfg->rlimits);
	cfg->rlimits = steal_ptr(list);
	cfg->n_rlimits = n;
	return 0;
}

int config_add_rlimit(struct krun_config *cfg, const char *text,
		      struct krun_err **err)
{
	struct krun_rlimit rl;
	ssize_t slot;
	int ret = cfg_parse_rlimit(text, &rl, err);

	if (ret < 0)
		return ret;
	/* A later setting of the same resource wins, like a repeated flag. */
	slot = find_rlimit(cfg->rlimits, cfg->n_rlimits, rl.resource);
	if (slot < 0) {
		ret = cfg_grow((void **)&cfg->rlimits, cfg->n_rlimits,
			       sizeof(*cfg->rlimits), err);
		if (ret < 0)
			return ret;
		slot = (ssize_t)cfg->n_rlimits++;
	}
	cfg->rlimits[slot] = rl;
	return 0;
}
