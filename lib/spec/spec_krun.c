// SPDX-License-Identifier: Apache-2.0
/*
 * The spec's "krun" object: VM settings that OCI has no words for. Strict:
 * an unknown key anywhere inside it is an error, so a typo cannot pass
 * silently.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/spec/spec_internal.h"
#include "util/cleanup.h"

typedef int (*path_setter)(struct krun_config *cfg, const char *path,
			   struct krun_err **err);

/* A host path member: resolved against the bundle, then set. */
static int set_path(struct spec_ctx *ctx, struct json_object *val,
		    const char *path, path_setter set, struct krun_err **err)
{
	cleanup_free char *resolved = NULL;
	const char *text;
	int ret;

	ret = sj_string(val, path, &text, err);
	if (ret == 0)
		ret = spec_resolve(ctx, text, &resolved, err);
	if (ret < 0)
		return ret;
	return spec_setter(set(ctx->cfg, resolved, err), path, err);
}

static int k_vcpus(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	uint64_t n;
	int ret = sj_uint(val, path, UINT32_MAX, &n, err);

	if (ret < 0)
		return ret;
	return spec_setter(config_set_vcpus(ctx->cfg, (uint32_t)n, err), path,
			   err);
}

/* A number is MiB; a string may carry a suffix ("2G"). */
static int k_memory(struct spec_ctx *ctx, struct json_object *val,
		    const char *path, struct krun_err **err)
{
	uint32_t mib;
	uint64_t n;
	int ret;

	if (json_object_is_type(val, json_type_string)) {
		ret = config_parse_memory(json_object_get_string(val), &mib,
					  err);
		if (ret < 0)
			return spec_setter(ret, path, err);
	} else if (json_object_is_type(val, json_type_int)) {
		ret = sj_uint(val, path, UINT32_MAX, &n, err);
		if (ret < 0)
			return ret;
		mib = (uint32_t)n;
	} else {
		return sj_fail(err, path,
			       "expected an integer (MiB) or a size string");
	}
	return spec_setter(config_set_ram(ctx->cfg, mib, err), path, err);
}

static int k_kernel(struct spec_ctx *ctx, struct json_object *val,
		    const char *path, struct krun_err **err)
{
	return set_path(ctx, val, path, config_set_kernel, err);
}

static int k_kernel_log(struct spec_ctx *ctx, struct json_object *val,
			const char *path, struct krun_err **err)
{
	bool on;
	int ret = sj_bool(val, path, &on, err);

	if (ret < 0)
		return ret;
	return spec_setter(config_set_kernel_log(ctx->cfg, on, err), path, err);
}

static const struct {
	const char *name;
	uint32_t format;
} disk_formats[] = {
	{"raw", KRUN_FORMAT_RAW},
	{"qcow2", KRUN_FORMAT_QCOW2},
};

static int disk_format(struct json_object *obj, const char *path,
		       uint32_t *format, struct krun_err **err)
{
	const char *name = NULL;
	char child[SPEC_JPATH_MAX];
	int ret;

	*format = KRUN_FORMAT_RAW;
	ret = sj_opt_string(obj, "format", path, &name, err);
	if (ret < 0 || !name)
		return ret;
	for (size_t i = 0; i < sizeof(disk_formats) / sizeof(disk_formats[0]);
	     i++) {
		if (strcmp(disk_formats[i].name, name) == 0) {
			*format = disk_formats[i].format;
			return 0;
		}
	}
	sj_key(child, path, "format");
	return sj_fail(err, child,
		       "unknown format `%s` (expected raw or qcow2)", name);
}

/* "partition": N on the root disk boots from its partition N. */
static int disk_partition(struct spec_ctx *ctx, struct json_object *val,
			  const char *path, bool root, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	struct json_object *p;
	uint64_t n;
	int ret;

	if (!json_object_object_get_ex(val, "partition", &p))
		return 0;
	sj_key(child, path, "partition");
	if (!root)
		return sj_fail(
			err, child,
			"only the root disk has a partition to boot from");
	ret = sj_uint(p, child, KRUN_MAX_ROOT_PARTITION, &n, err);
	if (ret < 0)
		return ret;
	return spec_setter(
		config_set_root_partition(ctx->cfg, (uint32_t)n, err), child,
		err);
}

static int k_disk(struct spec_ctx *ctx, struct json_object *val,
		  const char *path, struct krun_err **err)
{
	static const char *const keys[] = {
		"id", "path", "format", "readonly", "root", "partition", NULL};
	cleanup_free char *host = NULL;
	char id_path[SPEC_JPATH_MAX], path_path[SPEC_JPATH_MAX];
	const char *id, *file;
	bool ro = false, root = false;
	uint32_t format = KRUN_FORMAT_RAW;
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	sj_key(id_path, path, "id");
	sj_key(path_path, path, "path");
	if (ret == 0)
		ret = sj_member_string(val, "id", id_path, &id, err);
	if (ret == 0)
		ret = sj_member_string(val, "path", path_path, &file, err);
	if (ret == 0)
		ret = disk_format(val, path, &format, err);
	if (ret == 0)
		ret = sj_opt_bool(val, "readonly", path, &ro, err);
	if (ret == 0)
		ret = sj_opt_bool(val, "root", path, &root, err);
	if (ret == 0)
		ret = spec_resolve(ctx, file, &host, err);
	if (ret < 0)
		return ret;
	ret = config_add_disk(ctx->cfg, id, host, format, ro, err);
	if (ret == 0 && root)
		ret = config_set_root_disk_id(ctx->cfg, id, err);
	ret = spec_setter(ret, path, err);
	return ret ? ret : disk_partition(ctx, val, path, root, err);
}

static int k_disks(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	return spec_each(ctx, val, path, k_disk, err);
}

int spec_size_value(struct json_object *val, const char *path, uint64_t *bytes,
		    struct krun_err **err)
{
	if (json_object_is_type(val, json_type_string))
		return spec_setter(spec_parse_size(json_object_get_string(val),
						   bytes, err),
				   path, err);
	if (json_object_is_type(val, json_type_int))
		return sj_uint(val, path, UINT64_MAX, bytes, err);
	return sj_fail(err, path,
		       "expected an integer (bytes) or a size string");
}

/* An optional "shmSize" member of obj (0 when absent). */
static int shm_size_member(struct json_object *obj, const char *parent,
			   uint64_t *bytes, struct krun_err **err)
{
	char path[SPEC_JPATH_MAX];
	struct json_object *val;

	*bytes = 0;
	if (!json_object_object_get_ex(obj, "shmSize", &val))
		return 0;
	sj_key(path, parent, "shmSize");
	return spec_size_value(val, path, bytes, err);
}

static int k_volume(struct spec_ctx *ctx, struct json_object *val,
		    const char *path, struct krun_err **err)
{
	static const char *const keys[] = {"tag",      "hostPath", "guestPath",
					   "readonly", "setid",	   "shmSize",
					   "cache",    NULL};
	char tag_path[SPEC_JPATH_MAX], host_path[SPEC_JPATH_MAX];
	cleanup_free char *host = NULL;
	const char *tag, *src, *guest = NULL, *cache_name = NULL;
	enum krun_fs_cache cache = KRUN_FS_CACHE_AUTO;
	bool ro = false, setid = false;
	uint64_t shm = 0;
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	sj_key(tag_path, path, "tag");
	sj_key(host_path, path, "hostPath");
	if (ret == 0)
		ret = sj_member_string(val, "tag", tag_path, &tag, err);
	if (ret == 0)
		ret = sj_member_string(val, "hostPath", host_path, &src, err);
	if (ret == 0)
		ret = sj_opt_string(val, "guestPath", path, &guest, err);
	if (ret == 0)
		ret = sj_opt_bool(val, "readonly", path, &ro, err);
	if (ret == 0)
		ret = sj_opt_bool(val, "setid", path, &setid, err);
	if (ret == 0)
		ret = shm_size_member(val, path, &shm, err);
	if (ret == 0)
		ret = sj_opt_string(val, "cache", path, &cache_name, err);
	if (ret == 0 && cache_name)
		ret = spec_setter(
			config_parse_fs_cache(cache_name, &cache, err), path,
			err);
	if (ret == 0)
		ret = spec_resolve(ctx, src, &host, err);
	if (ret < 0)
		return ret;
	ret = config_add_share(ctx->cfg, tag, host, guest, ro, shm, err);
	if (ret == 0)
		ret = config_set_share_setid(ctx->cfg, tag, setid, err);
	if (ret == 0)
		ret = config_set_share_cache(ctx->cfg, tag, cache, err);
	return spec_setter(ret, path, err);
}

static int k_volumes(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	return spec_each(ctx, val, path, k_volume, err);
}

static int net_mode(struct spec_ctx *ctx, const char *mode, const char *sock,
		    const char *path, struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	cleanup_free char *resolved = NULL;
	int ret;

	sj_key(child, path, "mode");
	if (strcmp(mode, "gvproxy") != 0 && sock) {
		sj_key(child, path, "path");
		return sj_fail(err, child, "only valid with mode `gvproxy`");
	}
	if (strcmp(mode, "none") == 0)
		return spec_setter(config_set_net_none(ctx->cfg, err), child,
				   err);
	if (strcmp(mode, "passt") == 0)
		return spec_setter(config_set_net_passt(ctx->cfg, err), child,
				   err);
	if (strcmp(mode, "gvproxy") != 0)
		return sj_fail(err, child,
			       "unknown mode `%s` (expected none, passt or "
			       "gvproxy)",
			       mode);
	sj_key(child, path, "path");
	if (!sock)
		return sj_fail(err, child, "missing (mode `gvproxy` needs it)");
	ret = spec_resolve(ctx, sock, &resolved, err);
	if (ret < 0)
		return ret;
	return spec_setter(config_set_gvproxy_path(ctx->cfg, resolved, err),
			   child, err);
}

static int k_net(struct spec_ctx *ctx, struct json_object *val,
		 const char *path, struct krun_err **err)
{
	static const char *const keys[] = {"mode", "path", "mac", NULL};
	const char *mode = NULL, *sock = NULL, *mac_text = NULL;
	char child[SPEC_JPATH_MAX];
	uint8_t mac[6];
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	if (ret == 0)
		ret = sj_opt_string(val, "mode", path, &mode, err);
	if (ret == 0)
		ret = sj_opt_string(val, "path", path, &sock, err);
	if (ret == 0)
		ret = sj_opt_string(val, "mac", path, &mac_text, err);
	if (ret == 0 && mode)
		ret = net_mode(ctx, mode, sock, path, err);
	else if (ret == 0 && sock)
		ret = net_mode(ctx, "default", sock, path, err);
	if (ret < 0 || !mac_text)
		return ret;
	sj_key(child, path, "mac");
	ret = config_parse_mac(mac_text, mac, err);
	if (ret == 0)
		ret = config_set_mac(ctx->cfg, mac, err);
	return spec_setter(ret, child, err);
}

static int k_port(struct spec_ctx *ctx, struct json_object *val,
		  const char *path, struct krun_err **err)
{
	const char *text;
	int ret = sj_string(val, path, &text, err);

	if (ret < 0)
		return ret;
	return spec_setter(config_add_port(ctx->cfg, text, err), path, err);
}

/* An empty list is "expose no ports", as with krun_set_port_map. */
static int k_ports(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	static const char *const none[] = {NULL};

	if (json_object_is_type(val, json_type_array) &&
	    json_object_array_length(val) == 0)
		return spec_setter(config_set_port_map(ctx->cfg, none, err),
				   path, err);
	return spec_each(ctx, val, path, k_port, err);
}

static int k_vsock_port(struct spec_ctx *ctx, struct json_object *val,
			const char *path, struct krun_err **err)
{
	static const char *const keys[] = {"port", "path", "listen", NULL};
	char port_path[SPEC_JPATH_MAX], sock_path[SPEC_JPATH_MAX];
	cleanup_free char *resolved = NULL;
	bool listen = false;
	const char *sock;
	uint64_t port;
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	sj_key(port_path, path, "port");
	sj_key(sock_path, path, "path");
	if (ret == 0)
		ret = sj_member_uint(val, "port", port_path, UINT32_MAX, &port,
				     err);
	if (ret == 0)
		ret = sj_member_string(val, "path", sock_path, &sock, err);
	if (ret == 0)
		ret = sj_opt_bool(val, "listen", path, &listen, err);
	if (ret == 0)
		ret = spec_resolve(ctx, sock, &resolved, err);
	if (ret < 0)
		return ret;
	return spec_setter(config_add_vsock_port(ctx->cfg, (uint32_t)port,
						 resolved, listen, err),
			   path, err);
}

static int k_vsock(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	return spec_each(ctx, val, path, k_vsock_port, err);
}

static int k_console(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err)
{
	return set_path(ctx, val, path, config_set_console_output, err);
}

static int k_log_level(struct spec_ctx *ctx, struct json_object *val,
		       const char *path, struct krun_err **err)
{
	uint64_t n;
	uint32_t level;
	int ret;

	if (json_object_is_type(val, json_type_string)) {
		ret = spec_parse_log_level(json_object_get_string(val), &level,
					   err);
		if (ret < 0)
			return spec_setter(ret, path, err);
	} else {
		ret = sj_uint(val, path, UINT32_MAX, &n, err);
		if (ret < 0)
			return ret;
		level = (uint32_t)n;
	}
	return spec_setter(config_set_log_level(ctx->cfg, level, err), path,
			   err);
}

/* Present means enabled; both members are optional. */
static int k_gpu(struct spec_ctx *ctx, struct json_object *val,
		 const char *path, struct krun_err **err)
{
	static const char *const keys[] = {"virglFlags", "shmSize", NULL};
	char child[SPEC_JPATH_MAX];
	struct json_object *flags_val;
	uint64_t flags = 0, shm;
	int ret;

	ret = sj_expect(val, json_type_object, path, err);
	if (ret == 0)
		ret = spec_check_keys(val, path, keys, err);
	sj_key(child, path, "virglFlags");
	if (ret == 0 &&
	    json_object_object_get_ex(val, "virglFlags", &flags_val))
		ret = sj_uint(flags_val, child, UINT32_MAX, &flags, err);
	if (ret == 0)
		ret = shm_size_member(val, path, &shm, err);
	if (ret < 0)
		return ret;
	return spec_setter(config_set_gpu(ctx->cfg, (uint32_t)flags, shm, err),
			   path, err);
}

static int k_sound(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err)
{
	bool on;
	int ret = sj_bool(val, path, &on, err);

	if (ret < 0)
		return ret;
	return spec_setter(config_set_snd(ctx->cfg, on, err), path, err);
}

static int k_tee(struct spec_ctx *ctx, struct json_object *val,
		 const char *path, struct krun_err **err)
{
	return set_path(ctx, val, path, config_set_tee_config_file, err);
}

static int k_oem(struct spec_ctx *ctx, struct json_object *val,
		 const char *path, struct krun_err **err)
{
	cleanup_free const char **strings = NULL;
	int ret = sj_strv(val, path, &strings, err);

	if (ret < 0)
		return ret;
	return spec_setter(config_set_oem_strings(ctx->cfg, strings, err), path,
			   err);
}

/* Table order is application order: disks before anything naming them. */
static const struct spec_field krun_fields[] = {
	{"vcpus", k_vcpus},
	{"memory", k_memory},
	{"kernel", k_kernel},
	{"kernelLog", k_kernel_log},
	{"disks", k_disks},
	{"volumes", k_volumes},
	{"net", k_net},
	{"ports", k_ports},
	{"vsock", k_vsock},
	{"consoleOutput", k_console},
	{"logLevel", k_log_level},
	{"gpu", k_gpu},
	{"sound", k_sound},
	{"teeConfig", k_tee},
	{"smbiosOemStrings", k_oem},
	{NULL, NULL},
};

int spec_krun(struct spec_ctx *ctx, struct json_object *val, const char *path,
	      struct krun_err **err)
{
	return spec_walk(ctx, val, path, krun_fields, true, err);
}
