// SPDX-License-Identifier: Apache-2.0
/*
 * From parsed options to a struct krun_config: spec first, then the flags
 * in a fixed order (so `--root-disk ID` may come before `--disk ID:...`),
 * then the CLI's defaults. Every value goes through a config_* setter; its
 * error is wrapped with the flag's name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build_docker.h"
#include "lib/spec/spec.h"
#include "options.h"
#include "util/cleanup.h"
#include "util/text_file.h"

static int wrap(int ret, const char *flag, struct krun_err **err)
{
	return ret < 0 ? krun_err_wrap(err, "%s", flag) : 0;
}

/* Digits only (base 0 also takes 0x...), no sign, no trailing bytes. */
static int parse_number(const char *text, const char *flag, int base,
			uint64_t max, uint64_t *out, struct krun_err **err)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		goto bad;
	errno = 0;
	v = strtoull(text, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return krun_err_set(err, EINVAL, "%s: invalid number `%s`", flag, text);
}

static int load_spec(const struct run_options *o, struct krun_config *cfg,
		     struct spec_result *res, struct krun_err **err)
{
	cleanup_free char *bundle_spec = NULL;
	const char *path = o->spec_path;
	int ret;

	if (!o->spec_path && !o->bundle_dir)
		return 0;
	if (!path) {
		if (asprintf(&bundle_spec, "%s/config.json", o->bundle_dir) <
		    0) {
			bundle_spec = NULL;
			return krun_err_set(err, ENOMEM,
					    "--bundle: out of memory");
		}
		path = bundle_spec;
	}
	ret = spec_load_file(cfg, path, o->bundle_dir, res, err);
	return wrap(ret, o->spec_path ? "--spec" : "--bundle", err);
}

static int apply_vm(const struct run_options *o, struct krun_config *cfg,
		    struct krun_err **err)
{
	uint32_t mib, n;
	int ret;

	if (o->cpus) {
		ret = docker_parse_cpus(o->cpus, &n, err);
		if (ret == 0)
			ret = config_set_vcpus(cfg, n, err);
		ret = wrap(ret, "--cpus", err);
		if (ret < 0)
			return ret;
	}
	if (!o->memory)
		return 0;
	ret = config_parse_docker_memory(o->memory, &mib, err);
	if (ret == 0)
		ret = config_set_ram(cfg, mib, err);
	return wrap(ret, "--memory", err);
}

static bool has_disk(const struct krun_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->n_disks; i++)
		if (strcmp(cfg->disks[i].block_id, id) == 0)
			return true;
	return false;
}

/* The part before any ":raw", ":ro" names an existing file. */
static bool names_file(const char *value)
{
	cleanup_free char *path = strndup(value, strcspn(value, ":"));
	struct stat st;

	return path && stat(path, &st) == 0 &&
	       (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/*
 * A disk ID added with --disk, else an image file: a value with '/', or
 * one naming an existing file, becomes disk "root".
 */
static int apply_root_disk(const char *value, struct krun_config *cfg,
			   struct krun_err **err)
{
	cleanup_free char *spec = NULL;
	const char *id = value;
	int ret;

	if (strchr(value, '/') || (!has_disk(cfg, value) && names_file(value))) {
		if (asprintf(&spec, "root:%s", value) < 0) {
			spec = NULL;
			return krun_err_set(err, ENOMEM,
					    "--root-disk: out of memory");
		}
		ret = config_add_disk_spec(cfg, spec, err);
		if (ret < 0)
			return wrap(ret, "--root-disk", err);
		id = "root";
	} else if (!has_disk(cfg, id))
		return krun_err_set(err, ENOENT,
				    "--root-disk: no disk `%s` was added with "
				    "--disk and no such file exists",
				    id);
	return wrap(config_set_root_disk_id(cfg, id, err), "--root-disk", err);
}

static int apply_root_partition(const char *value, struct krun_config *cfg,
				struct krun_err **err)
{
	uint64_t n;
	int ret = parse_number(value, "--root-partition", 10, UINT32_MAX, &n,
			       err);

	if (ret < 0)
		return ret;
	return wrap(config_set_root_partition(cfg, (uint32_t)n, err),
		    "--root-partition", err);
}

static int apply_root_dax(const char *value, struct krun_config *cfg,
			  struct krun_err **err)
{
	uint64_t bytes;
	int ret = spec_parse_size(value, &bytes, err);

	if (ret == 0)
		ret = config_set_root_dax(cfg, bytes, err);
	return wrap(ret, "--root-dax", err);
}

static int apply_fs_cache(const char *value, struct krun_config *cfg,
			  struct krun_err **err)
{
	enum krun_fs_cache cache;
	int ret = config_parse_fs_cache(value, &cache, err);

	if (ret == 0 && !cfg->root_dir)
		ret = krun_err_set(err, EINVAL,
				   "applies to a --root directory only (use "
				   "cache= on a volume or share)");
	if (ret == 0)
		ret = config_set_root_cache(cfg, cache, err);
	return wrap(ret, "--fs-cache", err);
}

static int apply_storage(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err)
{
	int ret = 0;

	if (o->root)
		ret = wrap(config_set_root(cfg, o->root, err), "--root", err);
	if (ret == 0 && o->read_only)
		ret = wrap(config_set_root_read_only(cfg, true, err),
			   "--read-only", err);
	if (ret == 0 && o->root_nosetid)
		ret = wrap(config_set_root_setid(cfg, false, err),
			   "--root-nosetid", err);
	if (ret == 0 && o->root_dax)
		ret = apply_root_dax(o->root_dax, cfg, err);
	if (ret == 0 && o->fs_cache)
		ret = apply_fs_cache(o->fs_cache, cfg, err);
	for (size_t i = 0; ret == 0 && i < o->disks.n; i++)
		ret = wrap(config_add_disk_spec(cfg, o->disks.items[i], err),
			   "--disk", err);
	if (ret == 0 && o->root_disk)
		ret = apply_root_disk(o->root_disk, cfg, err);
	if (ret == 0 && o->root_partition)
		ret = apply_root_partition(o->root_partition, cfg, err);
	if (ret == 0)
		ret = docker_apply_volumes(o, cfg, err);
	return ret;
}

/* A copy of the environment set so far (a spec's), or an empty one. */
static char **env_copy(const struct krun_config *cfg)
{
	size_t n = 0;
	char **copy;

	while (cfg->envp && cfg->envp[n])
		n++;
	copy = calloc(n + 1, sizeof(*copy));
	for (size_t i = 0; copy && i < n; i++) {
		copy[i] = strdup(cfg->envp[i]);
		if (!copy[i]) {
			strv_free(copy);
			return NULL;
		}
	}
	return copy;
}

static int apply_command(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err)
{
	static const char *const no_args[] = {NULL};
	cleanup_strv char **env = NULL;
	const char *const *args =
		o->n_command ? (const char *const *)o->command + 1 : no_args;
	const char *program = o->n_command ? o->command[0] : NULL;
	int ret;

	/* docker: --entrypoint replaces the program; COMMAND [ARG...] (or
	 * nothing, dropping a spec's args) become its arguments. */
	if (o->entrypoint) {
		program = o->entrypoint;
		args = o->n_command ? (const char *const *)o->command : no_args;
	}
	if (!program)
		return 0;
	env = env_copy(cfg);
	if (!env)
		return krun_err_set(err, ENOMEM, "COMMAND: out of memory");
	ret = config_set_exec(cfg, program, args, (const char *const *)env,
			      err);
	return wrap(ret, o->entrypoint ? "--entrypoint" : "COMMAND", err);
}

static int apply_process(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err)
{
	int ret = apply_command(o, cfg, err);

	if (ret == 0 && o->workdir)
		ret = wrap(config_set_workdir(cfg, o->workdir, err),
			   "--workdir", err);
	if (ret == 0 && o->hostname)
		ret = wrap(config_set_hostname(cfg, o->hostname, err),
			   "--hostname", err);
	if (ret == 0)
		ret = docker_apply_process(o, cfg, err);
	for (size_t i = 0; ret == 0 && i < o->rlimits.n; i++)
		ret = wrap(config_add_rlimit(cfg, o->rlimits.items[i], err),
			   "--rlimit", err);
	return ret;
}

/* "K=V" as is; "K" copies the host's value and is skipped when unset. */
static int put_env(struct krun_config *cfg, const char *text,
		   struct krun_err **err)
{
	cleanup_free char *kv = NULL;
	const char *value;

	if (strchr(text, '='))
		return config_put_env(cfg, text, err);
	if (text[0] == '\0')
		return krun_err_set(err, EINVAL, "empty variable name");
	value = getenv(text);
	if (!value)
		return 0;
	if (asprintf(&kv, "%s=%s", text, value) < 0) {
		kv = NULL;
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	return config_put_env(cfg, kv, err);
}

/* An env file is a handful of lines; this bounds what a mistaken path
 * (a device, a huge file) can make krun-run read. */
#define ENV_FILE_MAX (1u << 20)

/* One line of an env file, without its line end; blank and '#' lines
 * are skipped. */
static int env_file_line(char *line, struct krun_config *cfg,
			 struct krun_err **err)
{
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	while (isspace((unsigned char)*line))
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	return put_env(cfg, line, err);
}

/* docker's format: K=V or K per line, '#' comments, blank lines. */
static int apply_env_file(const char *path, struct krun_config *cfg,
			  struct krun_err **err)
{
	cleanup_free char *text = NULL;
	char *line, *next;
	size_t len, lineno = 0;
	int ret;

	ret = text_file_read(path, ENV_FILE_MAX, &text, &len, err);
	if (ret < 0)
		return krun_err_wrap(err, "--env-file");
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		ret = env_file_line(line, cfg, err);
		if (ret < 0)
			return krun_err_wrap(err, "--env-file: %s:%zu", path,
					     lineno);
	}
	return 0;
}

/* Like docker: no host variables leak in unless asked for with -e K. */
static int default_env(const struct run_options *o, struct krun_config *cfg,
		       struct krun_err **err)
{
	const char *env[4];
	size_t n = 0;

	env[n++] = "PATH=" KRUN_RUN_DEFAULT_PATH;
	/* A user by name gets its home from the guest's passwd file. */
	if (!cfg->user_spec)
		env[n++] = cfg->has_user && cfg->uid != 0 ? "HOME=/"
							  : "HOME=/root";
	if (o->tty == KRUN_YES || (o->tty != KRUN_NO && o->stdin_is_tty))
		env[n++] = "TERM=xterm";
	env[n] = NULL;
	return wrap(config_set_env(cfg, env, err), "--env", err);
}

static int apply_env(const struct run_options *o, struct krun_config *cfg,
		     const struct spec_result *res, struct krun_err **err)
{
	int ret = 0;

	if (!res->env_set)
		ret = default_env(o, cfg, err);
	for (size_t i = 0; ret == 0 && i < o->env_files.n; i++)
		ret = apply_env_file(o->env_files.items[i], cfg, err);
	for (size_t i = 0; ret == 0 && i < o->env.n; i++)
		ret = wrap(put_env(cfg, o->env.items[i], err), "--env", err);
	return ret;
}

static int apply_passt_fd(const char *text, struct krun_config *cfg,
			  struct krun_err **err)
{
	char *end = NULL;
	long fd;

	errno = 0;
	fd = strtol(text, &end, 10);
	if (!*text || *end || errno || fd < 0 || fd > INT32_MAX)
		return krun_err_set(err, EINVAL,
				    "invalid passt fd `%s`: not a number",
				    text);
	return config_set_passt_fd(cfg, (int)fd, err);
}

static int apply_net_mode(const char *text, struct krun_config *cfg,
			  struct krun_err **err)
{
	int ret;

	if (strcmp(text, "none") == 0)
		ret = config_set_net_none(cfg, err);
	else if (strcmp(text, "passt") == 0)
		ret = config_set_net_passt(cfg, err);
	else if (strncmp(text, "passt-fd=", 9) == 0)
		ret = apply_passt_fd(text + 9, cfg, err);
	else if (strncmp(text, "gvproxy=", 8) == 0 ||
		 strncmp(text, "gvproxy:", 8) == 0)
		ret = config_set_gvproxy_path(cfg, text + 8, err);
	else
		ret = krun_err_set(err, EINVAL,
				   "unknown network `%s` (expected passt, "
				   "passt-fd=FD, gvproxy=PATH or none)",
				   text);
	return wrap(ret, "--net", err);
}

/* Default: passt when it can start (none otherwise, with a warning);
 * published ports make it required (lib/vmm/vmm_net.c). */
static int apply_net(const struct run_options *o, struct krun_config *cfg,
		     struct krun_err **err)
{
	uint8_t mac[6];
	int ret = 0;

	if (o->net) {
		/* --net replaces a spec's mode (the setters refuse a second
		 * mode, which protects API callers from mixing them up). */
		cfg->net_mode = KRUN_NET_DEFAULT;
		free(cfg->gvproxy_path);
		cfg->gvproxy_path = NULL;
		ret = apply_net_mode(o->net, cfg, err);
	}
	if (ret == 0 && o->mac) {
		ret = config_parse_mac(o->mac, mac, err);
		if (ret == 0)
			ret = config_set_mac(cfg, mac, err);
		ret = wrap(ret, "--mac", err);
	}
	for (size_t i = 0; ret == 0 && i < o->ports.n; i++)
		ret = wrap(config_add_port(cfg, o->ports.items[i], err),
			   "--publish", err);
	return ret;
}

static int apply_gpu(const struct run_options *o, struct krun_config *cfg,
		     struct krun_err **err)
{
	uint64_t flags = cfg->gpu_enabled ? cfg->virgl_flags : 0;
	uint64_t shm = cfg->gpu_enabled ? cfg->gpu_shm_size : 0;
	int ret = 0;

	if (!o->gpu && !o->gpu_shm)
		return 0;
	if (!o->gpu && !cfg->gpu_enabled)
		return krun_err_set(err, EINVAL, "--gpu-shm: needs --gpu");
	if (o->gpu_flags)
		ret = parse_number(o->gpu_flags, "--gpu", 0, UINT32_MAX, &flags,
				   err);
	if (ret == 0 && o->gpu_shm)
		ret = wrap(spec_parse_size(o->gpu_shm, &shm, err), "--gpu-shm",
			   err);
	if (ret < 0)
		return ret;
	return wrap(config_set_gpu(cfg, (uint32_t)flags, shm, err),
		    o->gpu ? "--gpu" : "--gpu-shm", err);
}

/* --smbios-oem strings are appended to a spec's list. */
static int apply_oem(const struct run_options *o, struct krun_config *cfg,
		     struct krun_err **err)
{
	cleanup_free const char **all = NULL;
	size_t n = 0;

	if (o->oem_strings.n == 0)
		return 0;
	while (cfg->oem_strings && cfg->oem_strings[n])
		n++;
	all = calloc(n + o->oem_strings.n + 1, sizeof(*all));
	if (!all)
		return krun_err_set(err, ENOMEM, "--smbios-oem: out of memory");
	for (size_t i = 0; i < n; i++)
		all[i] = cfg->oem_strings[i];
	for (size_t i = 0; i < o->oem_strings.n; i++)
		all[n + i] = o->oem_strings.items[i];
	return wrap(config_set_oem_strings(cfg, all, err), "--smbios-oem", err);
}

static int apply_devices(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < o->vsock.n; i++)
		ret = wrap(config_add_vsock_spec(cfg, o->vsock.items[i], err),
			   "--vsock", err);
	if (ret == 0)
		ret = apply_gpu(o, cfg, err);
	if (ret == 0 && o->sound)
		ret = wrap(config_set_snd(cfg, true, err), "--sound", err);
	if (ret == 0 && o->tee_config)
		ret = wrap(config_set_tee_config_file(cfg, o->tee_config, err),
			   "--tee-config", err);
	if (ret == 0)
		ret = apply_oem(o, cfg, err);
	return ret;
}

static int apply_vmm(const struct run_options *o, struct krun_config *cfg,
		     struct krun_err **err)
{
	uint32_t level;
	int ret = 0;

	if (o->console_output)
		ret = wrap(
			config_set_console_output(cfg, o->console_output, err),
			"--console-output", err);
	if (ret == 0 && o->kernel)
		ret = wrap(config_set_kernel(cfg, o->kernel, err), "--kernel",
			   err);
	if (ret == 0 && o->kernel_log)
		ret = wrap(config_set_kernel_log(cfg, true, err),
			   "--kernel-log", err);
	if (ret == 0 && o->log_level) {
		ret = spec_parse_log_level(o->log_level, &level, err);
		if (ret == 0)
			ret = config_set_log_level(cfg, level, err);
		ret = wrap(ret, "--log-level", err);
	}
	if (ret == 0 && o->seccomp)
		ret = wrap(config_set_vmm_seccomp(cfg, o->seccomp, err),
			   "--seccomp", err);
	return ret;
}

int run_options_build(const struct run_options *o, struct krun_config **out,
		      struct krun_err **err)
{
	struct spec_result res = {0};
	struct krun_config *cfg = config_new(err);
	int ret;

	if (!cfg) /* records ENOMEM unless config_new already did */
		return krun_err_set(err, ENOMEM, "out of memory");
	ret = load_spec(o, cfg, &res, err);
	if (ret == 0)
		ret = apply_vm(o, cfg, err);
	if (ret == 0)
		ret = apply_storage(o, cfg, err);
	if (ret == 0)
		ret = apply_process(o, cfg, err);
	if (ret == 0)
		ret = apply_env(o, cfg, &res, err);
	if (ret == 0)
		ret = apply_net(o, cfg, err);
	if (ret == 0)
		ret = apply_devices(o, cfg, err);
	if (ret == 0)
		ret = apply_vmm(o, cfg, err);
	if (ret < 0) {
		config_free(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}
