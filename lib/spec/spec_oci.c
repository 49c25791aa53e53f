// SPDX-License-Identifier: Apache-2.0
/*
 * The parts of an OCI runtime spec that the guest init applies inside the
 * VM (process capabilities, no_new_privs, umask and groups, domain name,
 * linux.sysctl, linux.seccomp, mounts other than binds), the VM size hints
 * (linux.resources, crun's krun.* annotations and /.krun_vm.json), and
 * what cannot be honoured: a JSON-path error, or an entry in the config's
 * "ignored" list with the reason. Nothing is dropped without a word.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/spec/spec_internal.h"
#include "util/cleanup.h"

int spec_ignore(struct spec_ctx *ctx, const char *path, const char *reason,
		struct krun_err **err)
{
	cleanup_free char *text = NULL;

	if (asprintf(&text, "%s: %s", path, reason) < 0) {
		text = NULL;
		return krun_err_set(err, ENOMEM, "%s: out of memory", path);
	}
	return spec_setter(config_add_ignored(ctx->cfg, text, err), path, err);
}

/* ---- process ---- */

static int cap_set(struct json_object *arr, const char *path, uint64_t *bits,
		   struct krun_err **err)
{
	const char **names = NULL;
	char child[SPEC_JPATH_MAX];
	int ret = sj_strv(arr, path, &names, err);

	for (size_t i = 0; ret == 0 && names[i]; i++) {
		int cap;

		sj_idx(child, path, i);
		ret = config_cap_from_name(names[i], &cap, err);
		if (ret < 0)
			ret = spec_setter(ret, child, err);
		else
			*bits |= 1ull << cap;
	}
	free(names);
	return ret;
}

int spec_oci_caps(struct spec_ctx *ctx, struct json_object *val,
		  const char *path, struct krun_err **err)
{
	static const char *const sets[] = {"bounding",	  "effective",
					   "inheritable", "permitted",
					   "ambient",	  NULL};
	uint64_t bits[KRUN_CAP_SETS] = {0};
	char child[SPEC_JPATH_MAX];
	int ret = sj_expect(val, json_type_object, path, err);

	if (ret == 0)
		ret = spec_check_keys(val, path, sets, err);
	for (int i = 0; ret == 0 && i < KRUN_CAP_SETS; i++) {
		struct json_object *arr;

		if (!json_object_object_get_ex(val, sets[i], &arr))
			continue;
		sj_key(child, path, sets[i]);
		ret = cap_set(arr, child, &bits[i], err);
	}
	if (ret < 0)
		return ret;
	return spec_setter(config_set_caps(ctx->cfg, bits, err), path, err);
}

int spec_oci_nnp(struct spec_ctx *ctx, struct json_object *val,
		 const char *path, struct krun_err **err)
{
	bool on;
	int ret = sj_bool(val, path, &on, err);

	return ret < 0 ? ret
		       : spec_setter(config_set_no_new_privs(ctx->cfg, on, err),
				     path, err);
}

/* process.user beyond uid and gid: additionalGids, umask, username. */
int spec_oci_user_extra(struct spec_ctx *ctx, struct json_object *user,
			const char *path, struct krun_err **err)
{
	static const char *const keys[] = {
		"uid", "gid", "additionalGids", "umask", "username", NULL};
	char child[SPEC_JPATH_MAX];
	struct json_object *v;
	uint64_t n;
	int ret = spec_check_keys(user, path, keys, err);

	if (ret == 0 && json_object_object_get_ex(user, "umask", &v)) {
		sj_key(child, path, "umask");
		ret = sj_uint(v, child, 0777, &n, err);
		if (ret == 0)
			ret = spec_setter(
				config_set_umask(ctx->cfg, (uint32_t)n, err),
				child, err);
	}
	if (ret == 0 && json_object_object_get_ex(user, "username", NULL)) {
		sj_key(child, path, "username");
		ret = spec_ignore(ctx, child, "Windows only", err);
	}
	if (ret < 0 || !json_object_object_get_ex(user, "additionalGids", &v))
		return ret;
	sj_key(child, path, "additionalGids");
	ret = sj_expect(v, json_type_array, child, err);
	for (size_t i = 0; ret == 0 && i < json_object_array_length(v); i++) {
		char idx[SPEC_JPATH_MAX], num[16];

		sj_idx(idx, child, i);
		ret = sj_uint(json_object_array_get_idx(v, i), idx,
			      UINT32_MAX - 1, &n, err);
		snprintf(num, sizeof(num), "%u", (unsigned)n);
		if (ret == 0)
			ret = spec_setter(config_add_group(ctx->cfg, num, err),
					  idx, err);
	}
	return ret;
}

/* Process fields a VM has no use for, each with its reason. */
int spec_oci_proc_ignored(struct spec_ctx *ctx, struct json_object *val,
			  const char *path, struct krun_err **err)
{
	(void)val;
	return spec_ignore(ctx, path,
			   "no LSM, OOM score, I/O priority or scheduler "
			   "settings in the guest",
			   err);
}

int spec_oci_domainname(struct spec_ctx *ctx, struct json_object *val,
			const char *path, struct krun_err **err)
{
	const char *name;
	int ret = sj_string(val, path, &name, err);

	return ret < 0 ? ret
		       : spec_setter(config_set_domainname(ctx->cfg, name, err),
				     path, err);
}

/* ---- annotations: crun's krun.cpus / krun.ram_mib ---- */

static int size_hint(struct json_object *v, const char *path, uint64_t max,
		     uint32_t *out, struct krun_err **err)
{
	const char *text;
	uint64_t n = 0;
	char *end;
	int ret = sj_string(v, path, &text, err);

	if (ret < 0)
		return ret;
	errno = 0;
	if (text[0] >= '0' && text[0] <= '9')
		n = strtoull(text, &end, 10);
	if (n == 0 || errno || *end || n > max)
		return sj_fail(err, path, "expected a number from 1 to %llu",
			       (unsigned long long)max);
	*out = (uint32_t)n;
	return 0;
}

int spec_oci_annotations(struct spec_ctx *ctx, struct json_object *val,
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
		if (strcmp(key, "krun.cpus") == 0)
			ret = size_hint(v, child, KRUN_MAX_VCPUS,
					&ctx->ann_vcpus, err);
		else if (strcmp(key, "krun.ram_mib") == 0)
			ret = size_hint(v, child, KRUN_MAX_RAM_MIB,
					&ctx->ann_ram_mib, err);
		else if (strncmp(key, "krun.", 5) == 0)
			ret = spec_ignore(ctx, child,
					  "crun's krun option not supported",
					  err);
		else
			ret = spec_ignore(ctx, child, "annotation not used",
					  err);
	}
	return ret;
}

/* ---- mounts that are not binds ---- */

static int fsmount_options(struct json_object *val, const char *path, char *buf,
			   size_t size, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	const char **opts = NULL;
	size_t used = 0;
	int ret = 0;

	buf[0] = '\0';
	sj_key(child, path, "options");
	if (json_object_object_get_ex(val, "options", NULL))
		ret = sj_strv(json_object_object_get(val, "options"), child,
			      &opts, err);
	for (size_t i = 0; ret == 0 && opts && opts[i]; i++) {
		if (used + strlen(opts[i]) + 2 > size) {
			ret = sj_fail(err, child, "too long");
			break;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 used ? "," : "", opts[i]);
	}
	free(opts);
	return ret;
}

/*
 * The guest init already mounts devtmpfs on /dev and devpts on /dev/pts
 * (a tmpfs over /dev would leave the workload without device nodes).
 */
int spec_oci_fsmount(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, const char *type, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX], opts[4096];
	const char *dest, *source = NULL;
	int ret;

	sj_key(child, path, "destination");
	ret = sj_member_string(val, "destination", child, &dest, err);
	if (ret == 0)
		ret = sj_opt_string(val, "source", path, &source, err);
	if (ret == 0)
		ret = fsmount_options(val, path, opts, sizeof(opts), err);
	if (ret < 0)
		return ret;
	if (!strcmp(dest, "/dev") || !strcmp(dest, "/dev/pts"))
		return spec_ignore(ctx, path,
				   "the guest init mounts devtmpfs on /dev and "
				   "devpts on /dev/pts itself",
				   err);
	if (strcmp(type, "cgroup") == 0)
		type = "cgroup2"; /* the guest has the unified hierarchy */
	return spec_setter(
		config_add_fsmount(ctx->cfg, type, source, dest, opts, err),
		path, err);
}

/* A virtio-fs share takes read-only and nothing else from the options. */
int spec_oci_bind_options(struct spec_ctx *ctx, struct json_object *val,
			  const char *path, struct krun_err **err)
{
	static const char *const used[] = {"bind", "rbind", "ro", "rw", NULL};
	struct json_object *opts;
	char child[SPEC_JPATH_MAX];
	int ret = 0;

	if (!json_object_object_get_ex(val, "options", &opts))
		return 0;
	for (size_t i = 0; ret == 0 && i < json_object_array_length(opts);
	     i++) {
		const char *o = json_object_get_string(
			json_object_array_get_idx(opts, i));
		size_t k = 0;

		while (used[k] && strcmp(used[k], o) != 0)
			k++;
		if (used[k])
			continue;
		sj_key(child, path, "options");
		sj_idx(child + strlen(child), "", i);
		ret = spec_ignore(ctx, child,
				  "bind mount option not applied to a "
				  "virtio-fs share",
				  err);
	}
	return ret;
}

/* ---- VM size: explicit krun section, annotations, /.krun_vm.json,
 * linux.resources, in that order ---- */

static void vm_json_hints(struct spec_ctx *ctx, uint32_t *cpus, uint32_t *ram)
{
	cleanup_free char *path = NULL;
	struct json_object *top, *v;

	*cpus = *ram = 0;
	if (!ctx->cfg->root_dir ||
	    asprintf(&path, "%s/.krun_vm.json", ctx->cfg->root_dir) < 0) {
		path = NULL;
		return;
	}
	top = json_object_from_file(path);
	if (!top)
		return;
	if (json_object_object_get_ex(top, "cpus", &v) &&
	    json_object_is_type(v, json_type_int))
		*cpus = (uint32_t)json_object_get_int(v);
	if (json_object_object_get_ex(top, "ram_mib", &v) &&
	    json_object_is_type(v, json_type_int))
		*ram = (uint32_t)json_object_get_int(v);
	json_object_put(top);
}

static bool krun_has(struct json_object *top, const char *key)
{
	struct json_object *krun;

	return json_object_object_get_ex(top, "krun", &krun) &&
	       json_object_is_type(krun, json_type_object) &&
	       json_object_object_get_ex(krun, key, NULL);
}

int spec_oci_vm_size(struct spec_ctx *ctx, struct json_object *top,
		     struct krun_err **err)
{
	uint32_t file_cpus, file_ram, cpus, ram;
	int ret = 0;

	vm_json_hints(ctx, &file_cpus, &file_ram);
	cpus = ctx->ann_vcpus ? ctx->ann_vcpus
	       : file_cpus    ? file_cpus
			      : ctx->res_vcpus;
	ram = ctx->ann_ram_mib ? ctx->ann_ram_mib
	      : file_ram       ? file_ram
			       : (uint32_t)ctx->res_ram_mib;
	if (cpus && !krun_has(top, "vcpus"))
		ret = spec_setter(config_set_vcpus(ctx->cfg, cpus, err),
				  "VM size hint (vCPUs)", err);
	if (ret == 0 && ram && !krun_has(top, "memory"))
		ret = spec_setter(config_set_ram(ctx->cfg, ram, err),
				  "VM size hint (RAM)", err);
	return ret;
}
