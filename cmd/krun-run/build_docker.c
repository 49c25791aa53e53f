// SPDX-License-Identifier: Apache-2.0
#include "build_docker.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/spec/spec.h"
#include "util/cleanup.h"

static int wrap(int ret, const char *flag, struct krun_err **err)
{
	return ret < 0 ? krun_err_wrap(err, "%s", flag) : 0;
}

/* A tag no share has yet: "vol0", "vol1", ... */
static void new_tag(const struct krun_config *cfg, char *tag, size_t size)
{
	for (size_t n = 0;; n++) {
		bool used = false;

		snprintf(tag, size, "vol%zu", n);
		for (size_t i = 0; i < cfg->n_shares && !used; i++)
			used = strcmp(cfg->shares[i].tag, tag) == 0;
		if (!used)
			return;
	}
}

/* The host directory, resolved now against the current directory. */
static int host_dir(const char *path, char **out, struct krun_err **err)
{
	char real[PATH_MAX];
	struct stat st;

	if (path[0] != '/' && path[0] != '.')
		return krun_err_set(err, EINVAL,
				    "`%s` would be a named volume, which "
				    "krun-run does not have; write ./%s for a "
				    "directory",
				    path, path);
	if (!realpath(path, real) || stat(real, &st) < 0)
		return krun_err_set_errno(err, errno, "host directory `%s`",
					  path);
	if (!S_ISDIR(st.st_mode))
		return krun_err_set(err, ENOTDIR,
				    "host path `%s` is not a directory (only "
				    "directories can be shared)",
				    path);
	*out = strdup(real);
	if (!*out)
		return krun_err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* What -v's options ask of a share. */
struct volume_opts {
	bool ro;
	bool setid;
	uint64_t dax; /* DAX window bytes; 0: none */
	enum krun_fs_cache cache;
};

static int add_bind(struct krun_config *cfg, const char *host,
		    const char *guest, const struct volume_opts *vo,
		    struct krun_err **err)
{
	cleanup_free char *real = NULL;
	char tag[32];
	int ret;

	if (!guest || guest[0] != '/')
		return krun_err_set(err, EINVAL,
				    "the guest path `%s` must be absolute",
				    guest ? guest : "");
	if (strcmp(guest, "/") == 0)
		return krun_err_set(err, EINVAL,
				    "cannot mount over the guest's `/` (use "
				    "--root)");
	ret = host_dir(host, &real, err);
	if (ret < 0)
		return ret;
	new_tag(cfg, tag, sizeof(tag));
	ret = config_add_share(cfg, tag, real, guest, vo->ro, vo->dax, err);
	if (ret == 0 && vo->setid)
		ret = config_set_share_setid(cfg, tag, true, err);
	if (ret == 0)
		ret = config_set_share_cache(cfg, tag, vo->cache, err);
	return ret;
}

/* A comma list of ro, rw, setid, dax=SIZE and cache=POLICY; docker's
 * other options are refused. */
static int volume_mode(const char *opts, struct volume_opts *vo,
		       struct krun_err **err)
{
	cleanup_free char *copy = strdup(opts);
	char *save = NULL;

	if (!copy)
		return krun_err_set(err, ENOMEM, "out of memory");
	for (char *w = strtok_r(copy, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		int ret = 0;

		if (strcmp(w, "ro") == 0 || strcmp(w, "rw") == 0)
			vo->ro = w[1] == 'o';
		else if (strcmp(w, "setid") == 0)
			vo->setid = true;
		else if (strncmp(w, "dax=", 4) == 0) {
			if (spec_parse_size(w + 4, &vo->dax, err) < 0)
				return krun_err_wrap(err,
						     "volume option `dax`");
		} else if (strncmp(w, "cache=", 6) == 0)
			ret = config_parse_fs_cache(w + 6, &vo->cache, err);
		else
			return krun_err_set(err, EINVAL,
					    "unsupported volume option `%s` "
					    "(expected ro, rw, setid, dax=SIZE "
					    "or cache=POLICY)",
					    w);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* docker's -v HOST:GUEST[:OPTIONS]. */
static int apply_volume(const char *text, struct krun_config *cfg,
			struct krun_err **err)
{
	cleanup_free char *copy = strdup(text);
	char *guest, *opts;
	struct volume_opts vo = {.cache = KRUN_FS_CACHE_AUTO};
	int ret;

	if (!copy)
		return krun_err_set(err, ENOMEM, "out of memory");
	guest = strchr(copy, ':');
	if (!guest)
		return krun_err_set(err, EINVAL,
				    "`%s`: expected HOSTDIR:GUESTDIR[:ro|rw] "
				    "(anonymous volumes do not exist here)",
				    text);
	*guest++ = '\0';
	opts = strchr(guest, ':');
	if (opts)
		*opts++ = '\0';
	if (!*copy)
		return krun_err_set(err, EINVAL, "`%s`: empty host directory",
				    text);
	ret = opts ? volume_mode(opts, &vo, err) : 0;
	if (ret == 0)
		ret = add_bind(cfg, copy, guest, &vo, err);
	return ret;
}

struct mount_args {
	const char *type, *src, *dst, *size, *mode;
	bool ro;
};

static int bool_value(const char *v, bool *out)
{
	if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int mount_key(struct mount_args *m, char *key, char *v,
		     struct krun_err **err)
{
	const char **slot = NULL;

	if (strcmp(key, "type") == 0)
		slot = &m->type;
	else if (!strcmp(key, "source") || !strcmp(key, "src"))
		slot = &m->src;
	else if (!strcmp(key, "destination") || !strcmp(key, "dst") ||
		 !strcmp(key, "target"))
		slot = &m->dst;
	else if (strcmp(key, "tmpfs-size") == 0)
		slot = &m->size;
	else if (strcmp(key, "tmpfs-mode") == 0)
		slot = &m->mode;
	else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		if (bool_value(v, &m->ro) == 0)
			return 0;
		return krun_err_set(err, EINVAL,
				    "`%s=%s`: expected true or "
				    "false",
				    key, v);
	} else
		return krun_err_set(err, EINVAL, "unsupported key `%s`", key);
	if (!v || !*v)
		return krun_err_set(err, EINVAL, "`%s` needs a value", key);
	*slot = v;
	return 0;
}

static int apply_mount(const char *text, struct krun_config *cfg,
		       struct krun_err **err)
{
	cleanup_free char *copy = strdup(text);
	cleanup_free char *opts = NULL;
	struct mount_args m = {0};
	char *save = NULL;
	int ret = 0;

	if (!copy)
		return krun_err_set(err, ENOMEM, "out of memory");
	for (char *w = strtok_r(copy, ",", &save); w && ret == 0;
	     w = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(w, '=');

		if (eq)
			*eq++ = '\0';
		ret = mount_key(&m, w, eq, err);
	}
	if (ret < 0)
		return ret;
	if (!m.type || !m.dst)
		return krun_err_set(err, EINVAL,
				    "`%s`: needs type= and dst=", text);
	if (strcmp(m.type, "bind") == 0) {
		struct volume_opts vo = {.ro = m.ro};

		if (!m.src)
			return krun_err_set(err, EINVAL, "bind: needs src=");
		return add_bind(cfg, m.src, m.dst, &vo, err);
	}
	if (strcmp(m.type, "tmpfs") != 0)
		return krun_err_set(err, EINVAL,
				    "mount type `%s` is not supported (bind "
				    "and tmpfs are)",
				    m.type);
	if (asprintf(&opts, "nosuid,nodev,%s%s%s%s%s", m.ro ? "ro" : "rw",
		     m.size ? ",size=" : "", m.size ? m.size : "",
		     m.mode ? ",mode=" : "", m.mode ? m.mode : "") < 0) {
		opts = NULL;
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	return config_add_fsmount(cfg, "tmpfs", "tmpfs", m.dst, opts, err);
}

int docker_apply_volumes(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < o->volumes.n; i++)
		ret = wrap(apply_volume(o->volumes.items[i], cfg, err),
			   "--volume", err);
	for (size_t i = 0; ret == 0 && i < o->mounts.n; i++)
		ret = wrap(apply_mount(o->mounts.items[i], cfg, err), "--mount",
			   err);
	for (size_t i = 0; ret == 0 && i < o->tmpfs.n; i++)
		ret = wrap(config_add_tmpfs_spec(cfg, o->tmpfs.items[i], err),
			   "--tmpfs", err);
	for (size_t i = 0; ret == 0 && i < o->shares.n; i++)
		ret = wrap(config_add_share_spec(cfg, o->shares.items[i], err),
			   "--share", err);
	return ret;
}

static bool is_number(const char *s, size_t len)
{
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return strtoull(s, NULL, 10) < UINT32_MAX;
}

/*
 * UID:GID in numbers is taken as it is (as an OCI spec's user); anything
 * else, a name or a lone UID, is resolved in the guest like docker does.
 */
static int apply_user(const char *text, struct krun_config *cfg,
		      struct krun_err **err)
{
	const char *colon = strchr(text, ':');

	if (colon && is_number(text, (size_t)(colon - text)) &&
	    is_number(colon + 1, strlen(colon + 1)))
		return config_set_user(cfg, (uint32_t)strtoul(text, NULL, 10),
				       (uint32_t)strtoul(colon + 1, NULL, 10),
				       err);
	return config_set_user_spec(cfg, text, err);
}

static int apply_sysctl(const char *text, struct krun_config *cfg,
			struct krun_err **err)
{
	cleanup_free char *key = strdup(text);
	char *eq;

	if (!key)
		return krun_err_set(err, ENOMEM, "out of memory");
	eq = strchr(key, '=');
	if (!eq)
		return krun_err_set(err, EINVAL, "`%s`: expected KEY=VALUE",
				    text);
	*eq = '\0';
	return config_add_sysctl(cfg, key, eq + 1, err);
}

static int apply_console(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err)
{
	uint32_t ms;
	int ret = 0;

	if (o->tty == KRUN_YES && o->console_output)
		return krun_err_set(err, EINVAL,
				    "--tty: not with --console-output");
	if (o->tty)
		ret = wrap(config_set_tty(cfg, o->tty, err), "--tty", err);
	if (ret == 0 && o->interactive)
		ret = wrap(config_set_interactive(cfg, o->interactive, err),
			   "--interactive", err);
	if (ret == 0 && o->stop_timeout) {
		unsigned long sec = 0;
		char *end = NULL;

		if (isdigit((unsigned char)o->stop_timeout[0]))
			sec = strtoul(o->stop_timeout, &end, 10);
		if (!end || *end || sec > 3600)
			return krun_err_set(err, EINVAL,
					    "--stop-timeout: invalid number "
					    "`%s` (expected 0 to 3600 seconds)",
					    o->stop_timeout);
		ret = wrap(config_set_stop_grace_ms(cfg, (uint32_t)sec * 1000,
						    err),
			   "--stop-timeout", err);
	}
	if (ret == 0 && o->timeout) {
		ret = config_parse_duration(o->timeout, &ms, err);
		if (ret == 0)
			ret = config_set_timeout_ms(cfg, ms, err);
		ret = wrap(ret, "--timeout", err);
	}
	return ret;
}

static bool has_all(const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->items[i], "ALL") == 0)
			return true;
	return false;
}

static int cap_bits(const struct strlist *l, const char *flag, uint64_t *bits,
		    struct krun_err **err)
{
	for (size_t i = 0; i < l->n; i++) {
		int cap;

		if (strcasecmp(l->items[i], "ALL") == 0)
			continue;
		if (config_cap_from_name(l->items[i], &cap, err) < 0)
			return krun_err_wrap(err, "%s", flag);
		*bits |= 1ull << cap;
	}
	return 0;
}

/*
 * docker's --cap-add / --cap-drop over a base of every capability (the
 * spec's bounding set when it has one): ALL drops or adds them all. As
 * docker: bounding, effective and permitted; no inheritable or ambient.
 */
static int apply_caps(const struct run_options *o, struct krun_config *cfg,
		      struct krun_err **err)
{
	uint64_t all = 0, add = 0, drop = 0, base, sets[KRUN_CAP_SETS] = {0};
	int ret;

	if (!o->cap_add.n && !o->cap_drop.n)
		return 0;
	for (int c = 0; config_cap_name(c); c++)
		all |= 1ull << c;
	base = cfg->caps_set ? cfg->caps[0] : all;
	ret = cap_bits(&o->cap_add, "--cap-add", &add, err);
	if (ret == 0)
		ret = cap_bits(&o->cap_drop, "--cap-drop", &drop, err);
	if (ret < 0)
		return ret;
	if (has_all(&o->cap_drop))
		base = 0;
	if (has_all(&o->cap_add))
		base = all;
	base = (base & ~drop) | add;
	sets[0] = sets[1] = sets[3] = base; /* bounding effective permitted */
	return config_set_caps(cfg, sets, err);
}

static int apply_security_opt(const char *opt, struct krun_config *cfg,
			      struct krun_err **err)
{
	if (!strcmp(opt, "no-new-privileges") ||
	    !strcmp(opt, "no-new-privileges=true") ||
	    !strcmp(opt, "no-new-privileges:true"))
		return config_set_no_new_privs(cfg, true, err);
	if (!strcmp(opt, "no-new-privileges=false") ||
	    !strcmp(opt, "no-new-privileges:false"))
		return config_set_no_new_privs(cfg, false, err);
	return krun_err_set(err, EINVAL,
			    "unsupported option `%s` (only no-new-privileges; "
			    "a seccomp profile comes with --bundle/--spec)",
			    opt);
}

int docker_apply_process(const struct run_options *o, struct krun_config *cfg,
			 struct krun_err **err)
{
	int ret = 0;

	if (o->user)
		ret = wrap(apply_user(o->user, cfg, err), "--user", err);
	for (size_t i = 0; ret == 0 && i < o->group_add.n; i++)
		ret = wrap(config_add_group(cfg, o->group_add.items[i], err),
			   "--group-add", err);
	for (size_t i = 0; ret == 0 && i < o->sysctls.n; i++)
		ret = wrap(apply_sysctl(o->sysctls.items[i], cfg, err),
			   "--sysctl", err);
	if (ret == 0 && o->domainname)
		ret = wrap(config_set_domainname(cfg, o->domainname, err),
			   "--domainname", err);
	if (ret == 0)
		ret = apply_caps(o, cfg, err);
	for (size_t i = 0; ret == 0 && i < o->security_opts.n; i++)
		ret = wrap(
			apply_security_opt(o->security_opts.items[i], cfg, err),
			"--security-opt", err);
	if (ret == 0)
		ret = apply_console(o, cfg, err);
	return ret;
}

int docker_parse_cpus(const char *text, uint32_t *vcpus, struct krun_err **err)
{
	unsigned long whole = 0;
	const char *p = text;
	bool frac = false;

	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (unsigned long)(*p - '0');
		if (whole > 1000000) /* the setter names the range */
			goto bad;
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			goto bad;
		for (p++; isdigit((unsigned char)*p); p++)
			frac |= *p != '0';
	}
	if (*p)
		goto bad;
	*vcpus = (uint32_t)(whole + frac);
	return 0;
bad:
	return krun_err_set(err, EINVAL,
			    "invalid number `%s` (expected 1 to %d vCPUs; a "
			    "fraction rounds up)",
			    text, KRUN_MAX_VCPUS);
}
