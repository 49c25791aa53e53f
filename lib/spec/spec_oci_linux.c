// SPDX-License-Identifier: Apache-2.0
/*
 * The OCI "linux" object, annotations, non-bind mounts and the VM size
 * hints. See spec_oci.c for the rule: honoured in the guest, an error
 * with its JSON path, or listed under "ignored" with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/guest_abi.h"
#include "lib/spec/spec_internal.h"
#include "util/cleanup.h"

static int l_sysctl(struct spec_ctx *ctx, struct json_object *val,
		    const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret < 0) /* foreach needs an object */
		return ret;
	json_object_object_foreach(val, key, v)
	{
		const char *value;

		if (ret < 0)
			break;
		sj_key(child, path, key);
		ret = sj_string(v, child, &value, err);
		if (ret == 0)
			ret = spec_setter(
				config_add_sysctl(ctx->cfg, key, value, err),
				child, err);
	}
	return ret;
}

static int l_namespace(struct spec_ctx *ctx, struct json_object *val,
		       const char *path, struct krun_err **err)
{
	static const char *const keys[] = {"type", "path", NULL};
	char child[SPEC_JPATH_MAX];
	int ret = sj_expect(val, json_type_object, path, err);

	(void)ctx;
	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	if (ret == 0 && json_object_object_get_ex(val, "path", NULL)) {
		sj_key(child, path, "path");
		return sj_fail(err, child,
			       "cannot join a host namespace: the workload "
			       "runs in its own VM");
	}
	return ret;
}

/* New namespaces are what the VM gives anyway; joining by path is not. */
static int l_namespaces(struct spec_ctx *ctx, struct json_object *val,
			const char *path, struct krun_err **err)
{
	return spec_each(ctx, val, path, l_namespace, err);
}

/* Keys of a resources object other than `keep` ("a|b") go to ignored. */
static int ignore_others(struct spec_ctx *ctx, struct json_object *obj,
			 const char *path, const char *keep,
			 struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	int ret = 0;

	json_object_object_foreach(obj, key, unused)
	{
		char word[64];

		(void)unused;
		snprintf(word, sizeof(word), "|%s|", key);
		if (ret < 0 || strstr(keep, word))
			continue;
		sj_key(child, path, key);
		ret = spec_ignore(ctx, child,
				  "no cgroup limits inside the VM; the VM's "
				  "size is the limit",
				  err);
	}
	return ret;
}

static int res_memory(struct spec_ctx *ctx, struct json_object *val,
		      const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	struct json_object *limit;
	int64_t bytes;
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret == 0)
		ret = ignore_others(ctx, val, path, "|limit|", err);
	if (ret < 0 || !json_object_object_get_ex(val, "limit", &limit))
		return ret;
	sj_key(child, path, "limit");
	ret = sj_expect(limit, json_type_int, child, err);
	bytes = ret == 0 ? json_object_get_int64(limit) : 0;
	if (ret == 0 && bytes > 0)
		ctx->res_ram_mib = (uint64_t)bytes >> 20;
	return ret;
}

/* "0-3,6" -> 5 */
static int count_cpus(const char *list, uint32_t *n)
{
	unsigned a, b;
	int used;

	*n = 0;
	while (*list) {
		if (sscanf(list, "%u-%u%n", &a, &b, &used) == 2 && b >= a)
			*n += b - a + 1;
		else if (sscanf(list, "%u%n", &a, &used) == 1)
			*n += 1;
		else
			return -1;
		list += used;
		if (*list == ',')
			list++;
		else if (*list)
			return -1;
	}
	return *n ? 0 : -1;
}

static int res_cpu(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	struct json_object *q, *p, *cpus;
	const char *list;
	uint32_t n;
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret == 0)
		ret = ignore_others(ctx, val, path, "|quota|period|cpus|", err);
	if (ret < 0)
		return ret;
	if (json_object_object_get_ex(val, "quota", &q) &&
	    json_object_object_get_ex(val, "period", &p) &&
	    json_object_get_int64(q) > 0 && json_object_get_int64(p) > 0)
		ctx->res_vcpus = (uint32_t)((json_object_get_int64(q) +
					     json_object_get_int64(p) - 1) /
					    json_object_get_int64(p));
	if (!json_object_object_get_ex(val, "cpus", &cpus))
		return 0;
	sj_key(child, path, "cpus");
	ret = sj_string(cpus, child, &list, err);
	if (ret == 0 && count_cpus(list, &n) < 0)
		return sj_fail(err, child, "invalid CPU list `%s`", list);
	if (ret == 0 && (!ctx->res_vcpus || n < ctx->res_vcpus))
		ctx->res_vcpus = n;
	return ret;
}

static int l_resources(struct spec_ctx *ctx, struct json_object *val,
		       const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret < 0) /* foreach needs an object */
		return ret;
	json_object_object_foreach(val, key, v)
	{
		if (ret < 0)
			break;
		sj_key(child, path, key);
		if (strcmp(key, "memory") == 0)
			ret = res_memory(ctx, v, child, err);
		else if (strcmp(key, "cpu") == 0)
			ret = res_cpu(ctx, v, child, err);
		else if (strcmp(key, "devices") != 0) /* runc's default list */
			ret = spec_ignore(ctx, child,
					  "no cgroup limits inside the VM; "
					  "the VM's size is the limit",
					  err);
	}
	return ret;
}

static int l_ignored(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	const char *key = strrchr(path, '.') + 1;

	(void)val;
	if (!strcmp(key, "devices"))
		return spec_ignore(ctx, path,
				   "host devices cannot be passed to the VM",
				   err);
	if (!strcmp(key, "uidMappings") || !strcmp(key, "gidMappings"))
		return spec_ignore(ctx, path,
				   "the guest has its own ids; the VM is the "
				   "user namespace",
				   err);
	return spec_ignore(ctx, path, "not applicable to a VM", err);
}

static int l_paths(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	bool masked = strstr(path, "maskedPaths") != NULL;
	const char **paths = NULL;
	int ret = sj_strv(val, path, &paths, err);

	for (size_t i = 0; ret == 0 && paths[i]; i++) {
		char idx[SPEC_JPATH_MAX];

		sj_idx(idx, path, i);
		ret = masked ? config_add_masked_path(ctx->cfg, paths[i], err)
			     : config_add_readonly_path(ctx->cfg, paths[i],
							err);
		ret = spec_setter(ret, idx, err);
	}
	free(paths);
	return ret;
}

static const struct spec_field linux_fields[] = {
	{"namespaces", l_namespaces},	  {"sysctl", l_sysctl},
	{"seccomp", spec_oci_seccomp},	  {"resources", l_resources},
	{"devices", l_ignored},		  {"uidMappings", l_ignored},
	{"gidMappings", l_ignored},	  {"maskedPaths", l_paths},
	{"readonlyPaths", l_paths},	  {"cgroupsPath", l_ignored},
	{"rootfsPropagation", l_ignored}, {"mountLabel", l_ignored},
	{"intelRdt", l_ignored},	  {"personality", l_ignored},
	{"timeOffsets", l_ignored},	  {NULL, NULL},
};

int spec_oci_linux(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	return spec_walk(ctx, val, path, linux_fields, false, err);
}
