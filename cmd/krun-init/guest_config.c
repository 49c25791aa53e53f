// SPDX-License-Identifier: Apache-2.0
#include "cmd/krun-init/guest_config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd/krun-init/guest_config_internal.h"
#include "lib/guest_abi.h"

static int truncated(struct reader *r, const char *what)
{
	return krun_err_set(r->err, EINVAL,
			    "bad run configuration: truncated at `%s`", what);
}

static int get_u32(struct reader *r, const char *what, uint32_t *v)
{
	const uint8_t *b = (const uint8_t *)r->p;

	if (r->left < 4)
		return truncated(r, what);
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	     (uint32_t)b[3] << 24;
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int get_u64(struct reader *r, const char *what, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	int ret = get_u32(r, what, &lo);

	if (ret == 0)
		ret = get_u32(r, what, &hi);
	if (ret == 0)
		*v = (uint64_t)hi << 32 | lo;
	return ret;
}

static int get_str(struct reader *r, const char *what, char **s)
{
	uint32_t n = 0;
	int ret = get_u32(r, what, &n);

	if (ret < 0)
		return ret;
	if (n >= r->left)
		return truncated(r, what);
	if (r->p[n] != '\0' || memchr(r->p, '\0', n))
		return krun_err_set(
			r->err, EINVAL,
			"bad run configuration: `%s` is not a NUL-terminated string",
			what);
	*s = r->p;
	r->p += (size_t)n + 1;
	r->left -= (size_t)n + 1;
	return 0;
}

/* Read a count and check that `count` items of at least `min_size` fit. */
static int get_count(struct reader *r, const char *what, size_t min_size,
		     size_t *count)
{
	uint32_t n = 0;
	int ret = get_u32(r, what, &n);

	if (ret < 0)
		return ret;
	if (n > KRUN_GUEST_CONFIG_MAX_COUNT || (size_t)n * min_size > r->left)
		return krun_err_set(
			r->err, EINVAL,
			"bad run configuration: %u `%s` entries do not fit", n,
			what);
	*count = n;
	return 0;
}

static int get_strv(struct reader *r, const char *what, char ***v, size_t *n)
{
	int ret = get_count(r, what, 5, n);

	if (ret < 0)
		return ret;
	*v = calloc(*n + 1, sizeof(**v));
	if (!*v)
		return krun_err_set_errno(r->err, ENOMEM, "cannot parse `%s`",
					  what);
	for (size_t i = 0; ret == 0 && i < *n; i++)
		ret = get_str(r, what, &(*v)[i]);
	return ret;
}

static int get_mount(struct reader *r, struct guest_mount *m, bool is_root)
{
	int ret = get_u32(r, "mount.kind", &m->kind);

	if (ret == 0)
		ret = get_u32(r, "mount.flags", &m->flags);
	if (ret == 0)
		ret = get_str(r, "mount.source", (char **)&m->source);
	if (ret == 0)
		ret = get_str(r, "mount.target", (char **)&m->target);
	if (ret == 0)
		ret = get_str(r, "mount.fstype", (char **)&m->fstype);
	if (ret == 0)
		ret = get_str(r, "mount.options", (char **)&m->options);
	if (ret < 0)
		return ret;
	if (m->kind < KRUN_GUEST_MOUNT_VIRTIOFS ||
	    m->kind > KRUN_GUEST_MOUNT_BLOCK_ID ||
	    (m->flags & ~KRUN_GUEST_MOUNT_F_ALL) || !*m->source ||
	    m->target[0] != '/' || (is_root && strcmp(m->target, "/")))
		return krun_err_set(
			r->err, EINVAL,
			"bad run configuration: bad mount `%s` on `%s`",
			m->source, m->target);
	return 0;
}

static int get_rlimits(struct reader *r, struct guest_config *c)
{
	int ret = get_count(r, "rlimits", 20, &c->n_rlimits);

	if (ret < 0)
		return ret;
	c->rlimits = calloc(c->n_rlimits + 1, sizeof(*c->rlimits));
	if (!c->rlimits)
		return krun_err_set_errno(r->err, ENOMEM,
					  "cannot parse rlimits");
	for (size_t i = 0; ret == 0 && i < c->n_rlimits; i++) {
		struct guest_rlimit *l = &c->rlimits[i];

		ret = get_u32(r, "rlimit.resource", &l->resource);
		if (ret == 0)
			ret = get_u64(r, "rlimit.cur", &l->cur);
		if (ret == 0)
			ret = get_u64(r, "rlimit.max", &l->max);
		/* A soft limit above the hard one is the host's to pass on
		 * (libkrun does): setrlimit() refuses it with its own error. */
		if (ret == 0 && l->resource >= RLIMIT_NLIMITS)
			ret = krun_err_set(
				r->err, EINVAL,
				"bad run configuration: unknown rlimit %u",
				l->resource);
	}
	return ret;
}

static int get_mounts(struct reader *r, struct guest_config *c)
{
	int ret = get_mount(r, &c->root, true);

	if (ret == 0)
		ret = get_count(r, "mounts", 24, &c->n_mounts);
	if (ret < 0)
		return ret;
	c->mounts = calloc(c->n_mounts + 1, sizeof(*c->mounts));
	if (!c->mounts)
		return krun_err_set_errno(r->err, ENOMEM,
					  "cannot parse mounts");
	for (size_t i = 0; ret == 0 && i < c->n_mounts; i++)
		ret = get_mount(r, &c->mounts[i], false);
	return ret;
}

static int check_process(struct reader *r, const struct guest_config *c)
{
	if (c->flags & ~KRUN_GUEST_F_ALL)
		return krun_err_set(r->err, EINVAL,
				    "bad run configuration: unknown flags %#x",
				    c->flags);
	if (c->argc < 1 || !*c->argv[0])
		return krun_err_set(r->err, EINVAL,
				    "bad run configuration: no program to run");
	if (*c->workdir && c->workdir[0] != '/')
		return krun_err_set(
			r->err, EINVAL,
			"bad run configuration: workdir `%s` is not absolute",
			c->workdir);
	for (size_t i = 0; i < c->envc; i++)
		if (!strchr(c->envp[i], '=') || c->envp[i][0] == '=')
			return krun_err_set(
				r->err, EINVAL,
				"bad run configuration: environment entry `%s` is not NAME=VALUE",
				c->envp[i]);
	return 0;
}

static int get_body(struct reader *r, struct guest_config *c)
{
	int ret = get_u32(r, "flags", &c->flags);

	if (ret == 0)
		ret = get_u32(r, "uid", &c->uid);
	if (ret == 0)
		ret = get_u32(r, "gid", &c->gid);
	if (ret == 0)
		ret = get_u32(r, "shutdown_grace_ms", &c->shutdown_grace_ms);
	if (ret == 0)
		ret = get_str(r, "hostname", (char **)&c->hostname);
	if (ret == 0)
		ret = get_str(r, "workdir", (char **)&c->workdir);
	if (ret == 0)
		ret = get_strv(r, "argv", &c->argv, &c->argc);
	if (ret == 0)
		ret = get_strv(r, "env", &c->envp, &c->envc);
	if (ret == 0)
		ret = check_process(r, c);
	if (ret == 0)
		ret = get_rlimits(r, c);
	if (ret == 0)
		ret = get_mounts(r, c);
	if (ret == 0)
		ret = guest_attrs_parse(r, &c->attrs);
	if (ret == 0 && r->left)
		ret = krun_err_set(r->err, EINVAL,
				   "bad run configuration: %zu trailing bytes",
				   r->left);
	return ret;
}

static int check_header(const uint8_t *b, size_t len, struct krun_err **err)
{
	uint32_t version, body_len;

	if (len < KRUN_GUEST_CONFIG_HEADER_LEN ||
	    memcmp(b, KRUN_GUEST_CONFIG_MAGIC, KRUN_GUEST_CONFIG_MAGIC_LEN))
		return krun_err_set(err, EINVAL,
				    "bad run configuration: no header");
	version = b[8] | b[9] << 8 | b[10] << 16 | (uint32_t)b[11] << 24;
	body_len = b[12] | b[13] << 8 | b[14] << 16 | (uint32_t)b[15] << 24;
	if (version != KRUN_GUEST_CONFIG_VERSION)
		return krun_err_set(
			err, EINVAL,
			"bad run configuration: version %u, expected %u",
			version, KRUN_GUEST_CONFIG_VERSION);
	if (len > KRUN_GUEST_CONFIG_MAX_LEN ||
	    body_len != len - KRUN_GUEST_CONFIG_HEADER_LEN)
		return krun_err_set(
			err, EINVAL,
			"bad run configuration: body is %zu bytes, header says %u",
			len - KRUN_GUEST_CONFIG_HEADER_LEN, body_len);
	return 0;
}

int guest_config_parse(const void *buf, size_t len, struct guest_config **out,
		       struct krun_err **err)
{
	struct guest_config *c;
	struct reader r = {.err = err};
	int ret = check_header(buf, len, err);

	if (ret < 0)
		return ret;
	c = calloc(1, sizeof(*c));
	if (c)
		c->storage = malloc(len - KRUN_GUEST_CONFIG_HEADER_LEN + 1);
	if (!c || !c->storage) {
		free(c);
		return krun_err_set_errno(err, ENOMEM,
					  "cannot parse the run configuration");
	}
	r.left = len - KRUN_GUEST_CONFIG_HEADER_LEN;
	r.p = c->storage;
	memcpy(r.p, (const uint8_t *)buf + KRUN_GUEST_CONFIG_HEADER_LEN,
	       r.left);
	ret = get_body(&r, c);
	if (ret < 0) {
		guest_config_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void guest_config_free(struct guest_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->argv);
	free(cfg->envp);
	free(cfg->rlimits);
	free(cfg->mounts);
	guest_attrs_free(&cfg->attrs);
	free(cfg->storage);
	free(cfg);
}

/* The readers above, for the other sections' parsers. */
int gc_u32(struct reader *r, const char *what, uint32_t *v)
{
	return get_u32(r, what, v);
}

int gc_u64(struct reader *r, const char *what, uint64_t *v)
{
	return get_u64(r, what, v);
}

int gc_str(struct reader *r, const char *what, const char **s)
{
	return get_str(r, what, (char **)s);
}

int gc_count(struct reader *r, const char *what, size_t min_size,
	     size_t *count)
{
	return get_count(r, what, min_size, count);
}

int gc_strv(struct reader *r, const char *what, char ***v, size_t *n)
{
	return get_strv(r, what, v, n);
}
