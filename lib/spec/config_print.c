// SPDX-License-Identifier: Apache-2.0
/*
 * --print-config: struct krun_config -> JSON. json-c keeps object keys in
 * insertion order, so the order below is the output order. A builder flag
 * collects allocation failures, so the section functions stay linear.
 */
#include "lib/spec/config_print.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jbuild {
	bool failed;
};

static void put(struct jbuild *b, struct json_object *obj, const char *key,
		struct json_object *val)
{
	if (!obj || json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		b->failed = true;
	}
}

/* A member that must exist: NULL means allocation failed. */
static void put_new(struct jbuild *b, struct json_object *obj, const char *key,
		    struct json_object *val)
{
	if (!val)
		b->failed = true;
	put(b, obj, key, val);
}

static void put_str(struct jbuild *b, struct json_object *obj, const char *key,
		    const char *s)
{
	if (!s)
		put(b, obj, key, NULL); /* JSON null */
	else
		put_new(b, obj, key, json_object_new_string(s));
}

static void put_i64(struct jbuild *b, struct json_object *obj, const char *key,
		    int64_t v)
{
	put_new(b, obj, key, json_object_new_int64(v));
}

static void put_u64(struct jbuild *b, struct json_object *obj, const char *key,
		    uint64_t v)
{
	put_new(b, obj, key, json_object_new_uint64(v));
}

static void put_bool(struct jbuild *b, struct json_object *obj, const char *key,
		     bool v)
{
	put_new(b, obj, key, json_object_new_boolean(v));
}

static void append(struct jbuild *b, struct json_object *arr,
		   struct json_object *val)
{
	if (!arr || !val || json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		b->failed = true;
	}
}

/* NULL-terminated string vector; NULL vector prints null. */
static struct json_object *strv_json(struct jbuild *b, char *const *v)
{
	struct json_object *arr;

	if (!v)
		return NULL;
	arr = json_object_new_array();
	if (!arr)
		b->failed = true;
	for (; arr && *v; v++)
		append(b, arr, json_object_new_string(*v));
	return arr;
}

static const char *disk_api_name(enum krun_disk_api api)
{
	switch (api) {
	case KRUN_DISK_API_UNSET:
		return "unset";
	case KRUN_DISK_API_LEGACY:
		return "legacy";
	case KRUN_DISK_API_MODERN:
		return "modern";
	}
	return "unknown";
}

static const char *net_mode_name(enum krun_net_mode mode)
{
	switch (mode) {
	case KRUN_NET_DEFAULT: /* passt, or none when it cannot start */
	case KRUN_NET_PASST:
		return "passt";
	case KRUN_NET_NONE:
		return "none";
	case KRUN_NET_PASST_FD:
		return "passt-fd";
	case KRUN_NET_GVPROXY:
		return "gvproxy";
	case KRUN_NET_STREAM_PATH:
		return "unixstream";
	case KRUN_NET_DGRAM_FD:
		return "unixgram-fd";
	}
	return "unknown";
}

static const char *format_name(uint32_t format)
{
	return format == KRUN_FORMAT_QCOW2 ? "qcow2"
	       : format == KRUN_FORMAT_RAW ? "raw"
					   : "unknown";
}

static void add_root(struct jbuild *b, struct json_object *top,
		     const struct krun_config *cfg)
{
	struct json_object *root = json_object_new_object();

	put_str(b, root, "path", cfg->root_dir);
	put_bool(b, root, "readonly", cfg->root_read_only);
	put_bool(b, root, "setid", !cfg->root_strip_setid);
	if (cfg->root_shm_size)
		put_u64(b, root, "shmSize", cfg->root_shm_size);
	put_str(b, root, "cache", config_fs_cache_name(cfg->root_cache));
	put_str(b, root, "disk", cfg->root_disk_id);
	if (cfg->root_partition)
		put_u64(b, root, "partition", cfg->root_partition);
	put_new(b, top, "root", root);
}

static void add_disks(struct jbuild *b, struct json_object *top,
		      const struct krun_config *cfg)
{
	struct json_object *arr = json_object_new_array();

	put_str(b, top, "diskApi", disk_api_name(cfg->disk_api));
	put_str(b, top, "legacyRootDisk", cfg->legacy_root_disk);
	put_str(b, top, "legacyDataDisk", cfg->legacy_data_disk);
	for (size_t i = 0; i < cfg->n_disks; i++) {
		const struct krun_disk *d = &cfg->disks[i];
		struct json_object *o = json_object_new_object();

		put_str(b, o, "id", d->block_id);
		put_str(b, o, "path", d->path);
		put_str(b, o, "format", format_name(d->format));
		put_bool(b, o, "readonly", d->read_only);
		append(b, arr, o);
	}
	put_new(b, top, "disks", arr);
}

static void add_volumes(struct jbuild *b, struct json_object *top,
			const struct krun_config *cfg)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < cfg->n_shares; i++) {
		const struct krun_share *s = &cfg->shares[i];
		struct json_object *o = json_object_new_object();

		put_str(b, o, "tag", s->tag);
		put_str(b, o, "hostPath", s->host_path);
		put_str(b, o, "guestPath", s->guest_path);
		put_bool(b, o, "readonly", s->read_only);
		put_bool(b, o, "setid", s->allow_setid);
		put_str(b, o, "cache", config_fs_cache_name(s->cache));
		put_u64(b, o, "shmSize", s->shm_size);
		append(b, arr, o);
	}
	put_new(b, top, "volumes", arr);
}

static struct json_object *rlimits_json(struct jbuild *b,
					const struct krun_config *cfg)
{
	struct json_object *arr = json_object_new_array();

	if (!arr)
		b->failed = true;
	for (size_t i = 0; arr && i < cfg->n_rlimits; i++) {
		const struct krun_rlimit *r = &cfg->rlimits[i];
		const char *name = config_rlimit_name(r->resource);
		struct json_object *o = json_object_new_object();
		char type[32];

		if (name)
			snprintf(type, sizeof(type), "RLIMIT_%s", name);
		else
			snprintf(type, sizeof(type), "%d", r->resource);
		put_str(b, o, "type", type);
		put_u64(b, o, "soft", r->cur);
		put_u64(b, o, "hard", r->max);
		append(b, arr, o);
	}
	return arr;
}

static void add_process(struct jbuild *b, struct json_object *top,
			const struct krun_config *cfg)
{
	struct json_object *proc = json_object_new_object();
	struct json_object *user = NULL;

	put_str(b, proc, "exec", cfg->exec_path);
	put_new(b, proc, "args",
		cfg->argv ? strv_json(b, cfg->argv) : json_object_new_array());
	put(b, proc, "env", strv_json(b, cfg->envp));
	put_str(b, proc, "cwd", cfg->workdir);
	if (cfg->has_user) {
		user = json_object_new_object();
		put_i64(b, user, "uid", cfg->uid);
		put_i64(b, user, "gid", cfg->gid);
		put_new(b, proc, "user", user);
	} else {
		put(b, proc, "user", NULL);
	}
	put_bool(b, proc, "terminal", cfg->terminal);
	put_new(b, proc, "rlimits", rlimits_json(b, cfg));
	put_new(b, top, "process", proc);
	put_str(b, top, "hostname", cfg->hostname);
}

static struct json_object *ports_json(struct jbuild *b,
				      const struct krun_config *cfg)
{
	struct json_object *arr;

	if (!cfg->port_map_set)
		return NULL;
	arr = json_object_new_array();
	if (!arr)
		b->failed = true;
	for (size_t i = 0; arr && i < cfg->n_ports; i++) {
		const struct krun_port *p = &cfg->ports[i];
		bool v6 = strchr(p->addr, ':') != NULL;
		char text[KRUN_PORT_ADDR_MAX + 24];

		snprintf(text, sizeof(text), "%s%s%s%s%u:%u/%s", v6 ? "[" : "",
			 p->addr, v6 ? "]" : "", p->addr[0] ? ":" : "",
			 p->host, p->guest,
			 p->proto == KRUN_PORT_UDP ? "udp" : "tcp");
		append(b, arr, json_object_new_string(text));
	}
	return arr;
}

static void add_net(struct jbuild *b, struct json_object *top,
		    const struct krun_config *cfg)
{
	struct json_object *net = json_object_new_object();
	char mac[18];

	static const uint8_t default_mac[6] = KRUN_DEFAULT_MAC;
	const uint8_t *m = cfg->mac_set ? cfg->mac : default_mac;
	bool ports = cfg->port_map_set && cfg->n_ports > 0;

	put_str(b, net, "mode", net_mode_name(cfg->net_mode));
	/* The default falls back to no network when passt cannot start;
	 * a chosen backend or a port map must work or the run fails. */
	if (cfg->net_mode != KRUN_NET_NONE)
		put_bool(b, net, "required",
			 cfg->net_mode != KRUN_NET_DEFAULT || ports);
	if (cfg->net_mode == KRUN_NET_PASST_FD)
		put_i64(b, net, "passtFd", cfg->passt_fd);
	put_str(b, net, "gvproxyPath", cfg->gvproxy_path);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
		 m[2], m[3], m[4], m[5]);
	put_str(b, net, "mac", cfg->net_mode != KRUN_NET_NONE ? mac : NULL);
	put(b, net, "ports", ports_json(b, cfg));
	put_new(b, top, "net", net);
}

static void add_devices(struct jbuild *b, struct json_object *top,
			const struct krun_config *cfg)
{
	struct json_object *vsock = json_object_new_array();
	struct json_object *gpu = json_object_new_object();

	for (size_t i = 0; i < cfg->n_vsock_ports; i++) {
		struct json_object *o = json_object_new_object();

		put_i64(b, o, "port", cfg->vsock_ports[i].port);
		put_str(b, o, "path", cfg->vsock_ports[i].path);
		put_bool(b, o, "listen", cfg->vsock_ports[i].listen);
		append(b, vsock, o);
	}
	put_new(b, top, "vsock", vsock);
	put_bool(b, gpu, "enabled", cfg->gpu_enabled);
	put_i64(b, gpu, "virglFlags", cfg->virgl_flags);
	put_u64(b, gpu, "shmSize", cfg->gpu_shm_size);
	put_new(b, top, "gpu", gpu);
	put_bool(b, top, "sound", cfg->snd_enabled);
	put_str(b, top, "teeConfig", cfg->tee_config_file);
	put(b, top, "smbiosOemStrings", strv_json(b, cfg->oem_strings));
}

static struct json_object *caps_json(struct jbuild *b,
				     const struct krun_config *cfg)
{
	static const char *const sets[KRUN_CAP_SETS] = {
		"bounding", "effective", "inheritable", "permitted", "ambient"};
	struct json_object *caps;

	if (!cfg->caps_set)
		return NULL;
	caps = json_object_new_object();
	for (int i = 0; i < KRUN_CAP_SETS; i++) {
		struct json_object *arr = json_object_new_array();

		for (int c = 0; c < 64; c++)
			if (cfg->caps[i] & (1ull << c))
				append(b, arr,
				       json_object_new_string(
					       config_cap_name(c)));
		put_new(b, caps, sets[i], arr);
	}
	return caps;
}

static struct json_object *fsmounts_json(struct jbuild *b,
					 const struct krun_config *cfg)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < cfg->n_fsmounts; i++) {
		const struct krun_fsmount *m = &cfg->fsmounts[i];
		struct json_object *o = json_object_new_object();

		put_str(b, o, "type", m->fstype);
		put_str(b, o, "source", m->source);
		put_str(b, o, "destination", m->target);
		put_i64(b, o, "flags", m->ms_flags);
		put_str(b, o, "data", m->data);
		append(b, arr, o);
	}
	return arr;
}

static struct json_object *rule_json(struct jbuild *b,
				     const struct krun_seccomp_rule *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *args = json_object_new_array();

	put_str(b, o, "name", r->syscall);
	put_str(b, o, "action", config_seccomp_action_name(r->action));
	put_i64(b, o, "errnoRet", r->errno_ret);
	for (uint32_t i = 0; i < r->n_args && i < 6; i++) {
		struct json_object *a = json_object_new_object();

		put_i64(b, a, "index", r->args[i].index);
		put_str(b, a, "op", config_seccomp_op_name(r->args[i].op));
		put_u64(b, a, "value", r->args[i].value);
		put_u64(b, a, "valueTwo", r->args[i].value_two);
		append(b, args, a);
	}
	put_new(b, o, "args", args);
	return o;
}

static struct json_object *seccomp_json(struct jbuild *b,
					const struct krun_config *cfg)
{
	struct json_object *o, *rules;

	if (!cfg->seccomp_set)
		return NULL;
	o = json_object_new_object();
	rules = json_object_new_array();
	put_str(b, o, "defaultAction",
		config_seccomp_action_name(cfg->seccomp_default_action));
	put_i64(b, o, "defaultErrnoRet", cfg->seccomp_default_errno);
	put(b, o, "architectures", strv_json(b, cfg->seccomp_arches));
	for (size_t i = 0; i < cfg->n_seccomp_rules; i++)
		append(b, rules, rule_json(b, &cfg->seccomp_rules[i]));
	put_new(b, o, "syscalls", rules);
	return o;
}

static const char *tristate_name(enum krun_tristate t)
{
	return t == KRUN_YES ? "yes" : t == KRUN_NO ? "no" : "auto";
}

/* What the guest init applies besides the process section. */
static void add_attrs(struct jbuild *b, struct json_object *top,
		      const struct krun_config *cfg)
{
	struct json_object *a = json_object_new_object();

	put_str(b, a, "user", cfg->user_spec);
	put(b, a, "groupAdd", strv_json(b, cfg->group_add));
	if (cfg->umask_set)
		put_i64(b, a, "umask", cfg->umask);
	else
		put(b, a, "umask", NULL);
	put_bool(b, a, "noNewPrivileges", cfg->no_new_privs);
	put(b, a, "capabilities", caps_json(b, cfg));
	put_str(b, a, "domainname", cfg->domainname);
	put(b, a, "sysctl", strv_json(b, cfg->sysctls));
	put_new(b, a, "mounts", fsmounts_json(b, cfg));
	put(b, a, "maskedPaths", strv_json(b, cfg->masked_paths));
	put(b, a, "readonlyPaths", strv_json(b, cfg->readonly_paths));
	put(b, a, "seccomp", seccomp_json(b, cfg));
	put_str(b, a, "tty", tristate_name(cfg->tty));
	put_str(b, a, "interactive", tristate_name(cfg->interactive));
	put_i64(b, a, "timeoutMs", cfg->timeout_ms);
	if (cfg->stop_grace_set)
		put_i64(b, a, "stopTimeoutMs", cfg->stop_grace_ms);
	else
		put(b, a, "stopTimeoutMs", NULL);
	put_new(b, top, "guest", a);
	put_new(b, top, "ignored",
		cfg->ignored ? strv_json(b, cfg->ignored)
			     : json_object_new_array());
}

static void add_vmm(struct jbuild *b, struct json_object *top,
		    const struct krun_config *cfg)
{
	put_str(b, top, "consoleOutput", cfg->console_output);
	put_str(b, top, "kernel", cfg->kernel_path);
	put_bool(b, top, "kernelLog", cfg->kernel_log);
	put_i64(b, top, "logLevel", cfg->log_level);
	put_i64(b, top, "shutdownEventfd", cfg->shutdown_eventfd);
}

static int serialize(struct json_object *top, char **out, struct krun_err **err)
{
	const int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			  JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *text = json_object_to_json_string_ext(top, flags);
	size_t len;
	char *copy;

	if (!text)
		return krun_err_set(err, ENOMEM,
				    "cannot print the configuration");
	len = strlen(text);
	copy = malloc(len + 2);
	if (!copy)
		return krun_err_set(err, ENOMEM,
				    "cannot print the configuration");
	memcpy(copy, text, len);
	copy[len] = '\n';
	copy[len + 1] = '\0';
	*out = copy;
	return 0;
}

int config_to_json(const struct krun_config *cfg, char **out,
		   struct krun_err **err)
{
	struct json_object *top = json_object_new_object();
	struct jbuild b = {.failed = !top};
	int ret;

	if (!b.failed) {
		put_i64(&b, top, "vcpus", cfg->vcpus);
		put_i64(&b, top, "memoryMiB", cfg->ram_mib);
		add_root(&b, top, cfg);
		add_disks(&b, top, cfg);
		add_volumes(&b, top, cfg);
		add_process(&b, top, cfg);
		add_attrs(&b, top, cfg);
		add_net(&b, top, cfg);
		add_devices(&b, top, cfg);
		add_vmm(&b, top, cfg);
	}
	if (b.failed)
		ret = krun_err_set(err, ENOMEM,
				   "cannot print the configuration");
	else
		ret = serialize(top, out, err);
	json_object_put(top);
	return ret;
}
