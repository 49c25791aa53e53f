// SPDX-License-Identifier: Apache-2.0
/*
 * JSON spec loader. Each JSON object is described by a const table of
 * {key, handler}; handlers run in table order (not document order), so the
 * result does not depend on how a spec orders its keys.
 */
#include "lib/spec/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/spec/spec_internal.h"
#include "util/cleanup.h"
#include "util/text_file.h"
#include "util/log.h"

int spec_resolve(const struct spec_ctx *ctx, const char *path, char **out,
		 struct krun_err **err)
{
	if (!ctx->base_dir || path[0] == '/' || path[0] == '\0')
		*out = strdup(path);
	else if (asprintf(out, "%s/%s", ctx->base_dir, path) < 0)
		*out = NULL;
	if (!*out)
		return krun_err_set(err, ENOMEM, "cannot resolve `%s`", path);
	return 0;
}

static bool field_known(const struct spec_field *fields, const char *key)
{
	for (; fields->key; fields++)
		if (strcmp(fields->key, key) == 0)
			return true;
	return false;
}

int spec_walk(struct spec_ctx *ctx, struct json_object *obj, const char *path,
	      const struct spec_field *fields, bool strict,
	      struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	int ret;

	ret = sj_expect(obj, json_type_object, path, err);
	if (ret < 0)
		return ret;
	json_object_object_foreach(obj, key, unused)
	{
		(void)unused;
		if (field_known(fields, key))
			continue;
		sj_key(child, path, key);
		if (strict)
			return sj_fail(err, child, "unknown key");
		ret = spec_ignore(ctx, child, "not used by krun-run", err);
		if (ret < 0)
			return ret;
	}
	for (const struct spec_field *f = fields; f->key; f++) {
		struct json_object *val;

		if (!json_object_object_get_ex(obj, f->key, &val))
			continue;
		sj_key(child, path, f->key);
		ret = f->apply(ctx, val, child, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int spec_check_keys(struct json_object *obj, const char *path,
		    const char *const keys[], struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];

	json_object_object_foreach(obj, key, unused)
	{
		size_t i = 0;

		(void)unused;
		while (keys[i] && strcmp(keys[i], key) != 0)
			i++;
		if (keys[i])
			continue;
		sj_key(child, path, key);
		return sj_fail(err, child, "unknown key");
	}
	return 0;
}

int spec_each(struct spec_ctx *ctx, struct json_object *arr, const char *path,
	      spec_handler fn, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	int ret;

	ret = sj_expect(arr, json_type_array, path, err);
	for (size_t i = 0; ret == 0 && i < json_object_array_length(arr); i++) {
		sj_idx(child, path, i);
		ret = fn(ctx, json_object_array_get_idx(arr, i), child, err);
	}
	return ret;
}

int spec_setter(int ret, const char *path, struct krun_err **err)
{
	if (ret < 0)
		return krun_err_wrap(err, "%s", path);
	return 0;
}

/* ---- process ---- */

static int proc_terminal(struct spec_ctx *ctx, struct json_object *val,
			 const char *path, struct krun_err **err)
{
	bool on;
	int ret = sj_bool(val, path, &on, err);

	if (ret < 0)
		return ret;
	ret = config_set_terminal(ctx->cfg, on, err);
	if (ret == 0) /* the guest gets a terminal exactly when asked */
		ret = config_set_tty(ctx->cfg, on ? KRUN_YES : KRUN_NO, err);
	return spec_setter(ret, path, err);
}

static int proc_user(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	uint64_t uid, gid;
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret < 0)
		return ret;
	sj_key(child, path, "uid");
	ret = sj_member_uint(val, "uid", child, UINT32_MAX, &uid, err);
	if (ret < 0)
		return ret;
	sj_key(child, path, "gid");
	ret = sj_member_uint(val, "gid", child, UINT32_MAX, &gid, err);
	if (ret == 0)
		ret = spec_oci_user_extra(ctx, val, path, err);
	if (ret < 0)
		return ret;
	return spec_setter(
		config_set_user(ctx->cfg, (uint32_t)uid, (uint32_t)gid, err),
		path, err);
}

static int proc_env(struct spec_ctx *ctx, struct json_object *val,
		    const char *path, struct krun_err **err)
{
	int ret = sj_strv(val, path, &ctx->env, err);

	if (ret == 0)
		ctx->res->env_set = true;
	return ret;
}

static int proc_args(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	int ret = sj_strv(val, path, &ctx->args, err);

	if (ret < 0)
		return ret;
	if (!ctx->args[0])
		return sj_fail(err, path, "must not be empty");
	ctx->res->args_set = true;
	return 0;
}

static int proc_cwd(struct spec_ctx *ctx, struct json_object *val,
		    const char *path, struct krun_err **err)
{
	const char *cwd;
	int ret = sj_string(val, path, &cwd, err);

	if (ret < 0)
		return ret;
	/* The OCI runtime spec requires an absolute cwd (the API takes a
	 * relative one, as libkrun does). */
	if (cwd[0] != '/')
		return sj_fail(err, path, "must be an absolute path");
	return spec_setter(config_set_workdir(ctx->cfg, cwd, err), path, err);
}

static int proc_rlimit(struct spec_ctx *ctx, struct json_object *val,
		       const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	cleanup_free char *text = NULL;
	const char *type;
	uint64_t hard, soft;
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret < 0)
		return ret;
	sj_key(child, path, "type");
	ret = sj_member_string(val, "type", child, &type, err);
	if (ret < 0)
		return ret;
	sj_key(child, path, "soft");
	ret = sj_member_uint(val, "soft", child, UINT64_MAX, &soft, err);
	if (ret < 0)
		return ret;
	sj_key(child, path, "hard");
	ret = sj_member_uint(val, "hard", child, UINT64_MAX, &hard, err);
	if (ret < 0)
		return ret;
	if (asprintf(&text, "%s=%llu:%llu", type, (unsigned long long)soft,
		     (unsigned long long)hard) < 0) {
		text = NULL;
		return krun_err_set(err, ENOMEM, "%s: out of memory", path);
	}
	return spec_setter(config_add_rlimit(ctx->cfg, text, err), path, err);
}

static int proc_rlimits(struct spec_ctx *ctx, struct json_object *val,
			const char *path, struct krun_err **err)
{
	return spec_each(ctx, val, path, proc_rlimit, err);
}

static const struct spec_field process_fields[] = {
	{"terminal", proc_terminal},
	{"user", proc_user},
	{"env", proc_env},
	{"args", proc_args},
	{"cwd", proc_cwd},
	{"rlimits", proc_rlimits},
	{"capabilities", spec_oci_caps},
	{"noNewPrivileges", spec_oci_nnp},
	{"apparmorProfile", spec_oci_proc_ignored},
	{"selinuxLabel", spec_oci_proc_ignored},
	{"oomScoreAdj", spec_oci_proc_ignored},
	{"ioPriority", spec_oci_proc_ignored},
	{"scheduler", spec_oci_proc_ignored},
	{NULL, NULL},
};

static const char *const empty_strv[] = {NULL};

/*
 * args need the env in the same config_set_exec call; the env is set on its
 * own first so that its errors name .process.env.
 */
static int apply_exec(struct spec_ctx *ctx, const char *path,
		      struct krun_err **err)
{
	const char *const *env = ctx->env ? ctx->env : empty_strv;
	char child[SPEC_JPATH_MAX];
	int ret;

	if (ctx->env) {
		sj_key(child, path, "env");
		ret = spec_setter(config_set_env(ctx->cfg, env, err), child,
				  err);
		if (ret < 0)
			return ret;
	}
	if (!ctx->args)
		return 0;
	sj_key(child, path, "args");
	ret = config_set_exec(ctx->cfg, ctx->args[0], ctx->args + 1, env, err);
	return spec_setter(ret, child, err);
}

static int spec_process(struct spec_ctx *ctx, struct json_object *val,
			const char *path, struct krun_err **err)
{
	int ret = spec_walk(ctx, val, path, process_fields, false, err);

	return ret < 0 ? ret : apply_exec(ctx, path, err);
}

/* ---- root, hostname, mounts ---- */

static int root_path(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	cleanup_free char *dir = NULL;
	const char *text;
	int ret;

	ret = sj_string(val, path, &text, err);
	if (ret == 0)
		ret = spec_resolve(ctx, text, &dir, err);
	if (ret < 0)
		return ret;
	return spec_setter(config_set_root(ctx->cfg, dir, err), path, err);
}

static int root_readonly(struct spec_ctx *ctx, struct json_object *val,
			 const char *path, struct krun_err **err)
{
	bool ro;
	int ret = sj_bool(val, path, &ro, err);

	return ret < 0 ? ret
		       : spec_setter(
				 config_set_root_read_only(ctx->cfg, ro, err),
				 path, err);
}

static int root_setid(struct spec_ctx *ctx, struct json_object *val,
		      const char *path, struct krun_err **err)
{
	bool allow;
	int ret = sj_bool(val, path, &allow, err);

	return ret < 0 ? ret
		       : spec_setter(
				 config_set_root_setid(ctx->cfg, allow, err),
				 path, err);
}

static int root_shm_size(struct spec_ctx *ctx, struct json_object *val,
			 const char *path, struct krun_err **err)
{
	uint64_t bytes;
	int ret = spec_size_value(val, path, &bytes, err);

	return ret < 0 ? ret
		       : spec_setter(config_set_root_dax(ctx->cfg, bytes, err),
				     path, err);
}

static int root_cache(struct spec_ctx *ctx, struct json_object *val,
		      const char *path, struct krun_err **err)
{
	enum krun_fs_cache cache;
	const char *text;
	int ret = sj_string(val, path, &text, err);

	if (ret == 0)
		ret = spec_setter(config_parse_fs_cache(text, &cache, err),
				  path, err);
	return ret < 0 ? ret
		       : spec_setter(
				 config_set_root_cache(ctx->cfg, cache, err),
				 path, err);
}

static const struct spec_field root_fields[] = {
	{"path", root_path},   {"readonly", root_readonly},
	{"setid", root_setid}, {"shmSize", root_shm_size},
	{"setid", root_setid}, {"cache", root_cache},
	{NULL, NULL},
};

static int spec_root(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	return spec_walk(ctx, val, path, root_fields, false, err);
}

static int spec_hostname(struct spec_ctx *ctx, struct json_object *val,
			 const char *path, struct krun_err **err)
{
	const char *name;
	int ret = sj_string(val, path, &name, err);

	return ret < 0 ? ret
		       : spec_setter(config_set_hostname(ctx->cfg, name, err),
				     path, err);
}

/* OCI on Linux: "type" may be omitted when the options ask for a bind. */
static int mount_is_bind(struct json_object *val, const char *path,
			 const char **type, bool *bind, bool *ro,
			 struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	const char **options = NULL;
	int ret = 0;

	*type = NULL;
	sj_key(child, path, "type");
	if (json_object_object_get_ex(val, "type", NULL))
		ret = sj_member_string(val, "type", child, type, err);
	sj_key(child, path, "options");
	if (ret == 0 && json_object_object_get_ex(val, "options", NULL))
		ret = sj_strv(json_object_object_get(val, "options"), child,
			      &options, err);
	if (ret < 0)
		return ret;
	*bind = *type && strcmp(*type, "bind") == 0;
	*ro = false;
	for (size_t i = 0; options && options[i]; i++) {
		if (!*type && (strcmp(options[i], "bind") == 0 ||
			       strcmp(options[i], "rbind") == 0))
			*bind = true;
		if (strcmp(options[i], "ro") == 0)
			*ro = true;
		else if (strcmp(options[i], "rw") == 0)
			*ro = false;
	}
	free(options);
	return 0;
}

static int mount_one(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, size_t index, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX], tag[32];
	cleanup_free char *host = NULL;
	const char *type, *source, *dest;
	bool bind = false, ro = false;
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret == 0)
		ret = mount_is_bind(val, path, &type, &bind, &ro, err);
	if (ret < 0)
		return ret;
	if (!bind && !type)
		return sj_fail(err, path, "a mount needs a type");
	if (!bind)
		return spec_oci_fsmount(ctx, val, path, type, err);
	sj_key(child, path, "source");
	ret = sj_member_string(val, "source", child, &source, err);
	if (ret < 0)
		return ret;
	sj_key(child, path, "destination");
	ret = sj_member_string(val, "destination", child, &dest, err);
	if (ret == 0)
		ret = spec_resolve(ctx, source, &host, err);
	if (ret < 0)
		return ret;
	snprintf(tag, sizeof(tag), "mount%zu", index);
	ret = config_add_share(ctx->cfg, tag, host, dest, ro, 0, err);
	if (ret == 0)
		ret = spec_oci_bind_options(ctx, val, path, err);
	return spec_setter(ret, path, err);
}

static int spec_mounts(struct spec_ctx *ctx, struct json_object *val,
		       const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	int ret;

	ret = sj_expect(val, json_type_array, path, err);
	for (size_t i = 0; ret == 0 && i < json_object_array_length(val); i++) {
		sj_idx(child, path, i);
		ret = mount_one(ctx, json_object_array_get_idx(val, i), child,
				i, err);
	}
	return ret;
}

static int spec_oci_version(struct spec_ctx *ctx, struct json_object *val,
			    const char *path, struct krun_err **err)
{
	const char *version;
	int ret = sj_string(val, path, &version, err);

	if (ret == 0)
		log_debug("spec ociVersion %s", version);
	return ret;
}

static const struct spec_field top_fields[] = {
	{"ociVersion", spec_oci_version},
	{"root", spec_root},
	{"process", spec_process},
	{"hostname", spec_hostname},
	{"domainname", spec_oci_domainname},
	{"mounts", spec_mounts},
	{"annotations", spec_oci_annotations},
	{"linux", spec_oci_linux},
	{"krun", spec_krun},
	{NULL, NULL},
};

int spec_load_string(struct krun_config *cfg, const char *text,
		     const char *base_dir, struct spec_result *res,
		     struct krun_err **err)
{
	struct spec_ctx ctx = {.cfg = cfg, .base_dir = base_dir, .res = res};
	struct json_object *top = NULL;
	size_t len = strlen(text);
	int ret;

	*res = (struct spec_result){0};
	if (len > SPEC_MAX_FILE_SIZE)
		return krun_err_set(err, EFBIG, "larger than %u bytes",
				    SPEC_MAX_FILE_SIZE);
	ret = sj_parse(text, len, &top, err);
	if (ret < 0)
		return ret;
	ret = spec_walk(&ctx, top, "", top_fields, false, err);
	if (ret == 0)
		ret = spec_oci_vm_size(&ctx, top, err);
	free(ctx.args);
	free(ctx.env);
	json_object_put(top);
	return ret;
}

int spec_load_process_string(struct krun_config *cfg, const char *text,
			     struct spec_result *res, struct krun_err **err)
{
	struct spec_ctx ctx = {.cfg = cfg, .res = res};
	struct json_object *top = NULL, *proc;
	size_t len = strlen(text);
	int ret;

	*res = (struct spec_result){0};
	if (len > SPEC_MAX_FILE_SIZE)
		return krun_err_set(err, EFBIG, "larger than %u bytes",
				    SPEC_MAX_FILE_SIZE);
	ret = sj_parse(text, len, &top, err);
	if (ret == 0)
		ret = sj_expect(top, json_type_object, "", err);
	/* The rest of an OCI config (root, mounts, ...) was for the runtime
	 * that prepared the root; only the process runs in the VM. */
	if (ret == 0 && json_object_object_get_ex(top, "process", &proc))
		ret = spec_process(&ctx, proc, ".process", err);
	free(ctx.args);
	free(ctx.env);
	json_object_put(top);
	return ret;
}

int spec_load_file(struct krun_config *cfg, const char *path,
		   const char *base_dir, struct spec_result *res,
		   struct krun_err **err)
{
	cleanup_free char *text = NULL;
	size_t len;
	int ret;

	*res = (struct spec_result){0};
	ret = text_file_read(path, SPEC_MAX_FILE_SIZE, &text, &len, err);
	if (ret < 0)
		return ret;
	ret = spec_load_string(cfg, text, base_dir, res, err);
	if (ret < 0)
		return krun_err_wrap(err, "%s", path);
	return 0;
}
