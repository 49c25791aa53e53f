// SPDX-License-Identifier: Apache-2.0
/*
 * linux.seccomp to the context model's typed policy: names through the
 * const tables of config_guestfs.c, each syscall name its own rule. The
 * guest init builds the filter with libseccomp.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/guest_abi.h"
#include "lib/spec/spec_internal.h"

#define DEFAULT_ERRNO 1 /* EPERM, as runc and crun */

static int arg_one(struct json_object *val, const char *path,
		   struct krun_seccomp_arg *a, struct krun_err **err)
{
	static const char *const keys[] = {"index", "value", "valueTwo", "op",
					   NULL};
	char child[SPEC_JPATH_MAX];
	const char *op;
	uint64_t n = 0;
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	sj_key(child, path, "index");
	if (ret == 0)
		ret = sj_member_uint(val, "index", child, 5, &n, err);
	a->index = (uint32_t)n;
	sj_key(child, path, "value");
	if (ret == 0)
		ret = sj_member_uint(val, "value", child, UINT64_MAX, &a->value,
				     err);
	sj_key(child, path, "valueTwo");
	if (ret == 0 && json_object_object_get_ex(val, "valueTwo", NULL))
		ret = sj_member_uint(val, "valueTwo", child, UINT64_MAX,
				     &a->value_two, err);
	sj_key(child, path, "op");
	if (ret == 0)
		ret = sj_member_string(val, "op", child, &op, err);
	if (ret == 0)
		ret = spec_setter(config_seccomp_op(op, &a->op, err), child,
				  err);
	return ret;
}

static int rule_common(struct json_object *val, const char *path,
		       struct krun_seccomp_rule *r, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	struct json_object *args;
	const char *action;
	uint64_t n = DEFAULT_ERRNO;
	int ret;

	sj_key(child, path, "action");
	ret = sj_member_string(val, "action", child, &action, err);
	if (ret == 0)
		ret = spec_setter(
			config_seccomp_action(action, &r->action, err), child,
			err);
	sj_key(child, path, "errnoRet");
	if (ret == 0 && json_object_object_get_ex(val, "errnoRet", NULL))
		ret = sj_member_uint(val, "errnoRet", child, 4095, &n, err);
	r->errno_ret = (uint32_t)n;
	if (ret < 0 || !json_object_object_get_ex(val, "args", &args) ||
	    json_object_is_type(args, json_type_null))
		return ret;
	sj_key(child, path, "args");
	ret = sj_expect(args, json_type_array, child, err);
	if (ret == 0 && json_object_array_length(args) > 6)
		return sj_fail(err, child, "more than 6 arguments");
	r->n_args = ret == 0 ? (uint32_t)json_object_array_length(args) : 0;
	for (uint32_t i = 0; ret == 0 && i < r->n_args; i++) {
		char idx[SPEC_JPATH_MAX];

		sj_idx(idx, child, i);
		ret = arg_one(json_object_array_get_idx(args, i), idx,
			      &r->args[i], err);
	}
	return ret;
}

static int syscall_one(struct spec_ctx *ctx, struct json_object *val,
		       const char *path, struct krun_err **err)
{
	static const char *const keys[] = {"names", "action",  "errnoRet",
					   "args",  "comment", NULL};
	struct krun_seccomp_rule r = {0};
	char child[SPEC_JPATH_MAX];
	const char **names = NULL;
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	if (ret == 0)
		ret = rule_common(val, path, &r, err);
	sj_key(child, path, "names");
	if (ret == 0 && !json_object_object_get_ex(val, "names", NULL))
		return sj_fail(err, child, "missing");
	if (ret == 0)
		ret = sj_strv(json_object_object_get(val, "names"), child,
			      &names, err);
	for (size_t i = 0; ret == 0 && names[i]; i++) {
		char idx[SPEC_JPATH_MAX];

		sj_idx(idx, child, i);
		r.syscall = (char *)names[i];
		ret = spec_setter(config_add_seccomp_rule(ctx->cfg, &r, err),
				  idx, err);
	}
	free(names);
	return ret;
}

static int arches(struct spec_ctx *ctx, struct json_object *val,
		  const char *path, struct krun_err **err)
{
	const char **names = NULL;
	int ret = sj_strv(val, path, &names, err);

	for (size_t i = 0; ret == 0 && names[i]; i++) {
		char idx[SPEC_JPATH_MAX];

		sj_idx(idx, path, i);
		ret = spec_setter(
			config_add_seccomp_arch(ctx->cfg, names[i], err), idx,
			err);
	}
	free(names);
	return ret;
}

static int seccomp_default(struct spec_ctx *ctx, struct json_object *val,
			   const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	const char *name;
	uint32_t action = 0;
	uint64_t n = DEFAULT_ERRNO;
	int ret;

	sj_key(child, path, "defaultAction");
	ret = sj_member_string(val, "defaultAction", child, &name, err);
	if (ret == 0)
		ret = spec_setter(config_seccomp_action(name, &action, err),
				  child, err);
	sj_key(child, path, "defaultErrnoRet");
	if (ret == 0 && json_object_object_get_ex(val, "defaultErrnoRet", NULL))
		ret = sj_member_uint(val, "defaultErrnoRet", child, 4095, &n,
				     err);
	if (ret < 0)
		return ret;
	return spec_setter(
		config_set_seccomp(ctx->cfg, action, (uint32_t)n, err), path,
		err);
}

int spec_oci_seccomp(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	static const char *const keys[] = {
		"defaultAction", "defaultErrnoRet",  "architectures", "flags",
		"listenerPath",	 "listenerMetadata", "syscalls",      NULL};
	char child[SPEC_JPATH_MAX];
	struct json_object *v;
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	sj_key(child, path, "listenerPath");
	if (ret == 0 && json_object_object_get_ex(val, "listenerPath", NULL))
		return sj_fail(err, child,
			       "a seccomp listener cannot reach into the VM");
	if (ret == 0)
		ret = seccomp_default(ctx, val, path, err);
	sj_key(child, path, "architectures");
	if (ret == 0 && json_object_object_get_ex(val, "architectures", &v))
		ret = arches(ctx, v, child, err);
	sj_key(child, path, "flags");
	if (ret == 0 && json_object_object_get_ex(val, "flags", &v)) {
		ret = sj_expect(v, json_type_array, child, err);
		if (ret == 0 && json_object_array_length(v) > 0)
			ret = spec_ignore(ctx, child,
					  "filter flags are not passed to the "
					  "guest",
					  err);
	}
	sj_key(child, path, "syscalls");
	if (ret == 0 && json_object_object_get_ex(val, "syscalls", &v))
		ret = spec_each(ctx, v, child, syscall_one, err);
	return ret;
}
