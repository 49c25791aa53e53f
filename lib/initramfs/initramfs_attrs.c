// SPDX-License-Identifier: Apache-2.0
#include "lib/initramfs/initramfs_attrs.h"

#include <errno.h>
#include <string.h>

#include "lib/guest_abi.h"

static void put_count(struct bytebuf *b, size_t n)
{
	if (n > KRUN_GUEST_CONFIG_MAX_COUNT && !b->error)
		b->error = E2BIG;
	bytebuf_put_u32le(b, (uint32_t)n);
}

static void put_strv(struct bytebuf *b, char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	put_count(b, n);
	for (size_t i = 0; i < n; i++)
		initramfs_put_str(b, v[i]);
}

static uint32_t attr_flags(const struct krun_config *cfg)
{
	return (cfg->umask_set ? KRUN_GUEST_A_UMASK : 0) |
	       (cfg->no_new_privs ? KRUN_GUEST_A_NO_NEW_PRIVS : 0) |
	       (cfg->caps_set ? KRUN_GUEST_A_CAPS : 0) |
	       (cfg->seccomp_set ? KRUN_GUEST_A_SECCOMP : 0);
}

static void put_fsmounts(struct bytebuf *b, const struct krun_config *cfg)
{
	put_count(b, cfg->n_fsmounts);
	for (size_t i = 0; i < cfg->n_fsmounts; i++) {
		const struct krun_fsmount *m = &cfg->fsmounts[i];

		bytebuf_put_u32le(b, m->ms_flags);
		initramfs_put_str(b, m->fstype);
		initramfs_put_str(b, m->source);
		initramfs_put_str(b, m->target);
		initramfs_put_str(b, m->data);
	}
}

static void put_seccomp(struct bytebuf *b, const struct krun_config *cfg)
{
	bytebuf_put_u32le(b, cfg->seccomp_default_action);
	bytebuf_put_u32le(b, cfg->seccomp_default_errno);
	put_strv(b, cfg->seccomp_arches);
	put_count(b, cfg->n_seccomp_rules);
	for (size_t i = 0; i < cfg->n_seccomp_rules; i++) {
		const struct krun_seccomp_rule *r = &cfg->seccomp_rules[i];

		initramfs_put_str(b, r->syscall);
		bytebuf_put_u32le(b, r->action);
		bytebuf_put_u32le(b, r->errno_ret);
		bytebuf_put_u32le(b, r->n_args);
		for (uint32_t a = 0; a < r->n_args && a < 6; a++) {
			bytebuf_put_u32le(b, r->args[a].index);
			bytebuf_put_u32le(b, r->args[a].op);
			bytebuf_put_u64le(b, r->args[a].value);
			bytebuf_put_u64le(b, r->args[a].value_two);
		}
	}
}

void initramfs_put_attrs(struct bytebuf *b, const struct krun_config *cfg)
{
	bytebuf_put_u32le(b, attr_flags(cfg));
	bytebuf_put_u32le(b, cfg->umask_set ? cfg->umask : 0);
	initramfs_put_str(b, cfg->user_spec);
	put_strv(b, cfg->group_add);
	initramfs_put_str(b, cfg->domainname);
	for (int i = 0; i < KRUN_GUEST_CAP_SETS; i++)
		bytebuf_put_u64le(b, cfg->caps_set ? cfg->caps[i] : 0);
	put_strv(b, cfg->sysctls);
	put_fsmounts(b, cfg);
	put_strv(b, cfg->masked_paths);
	put_strv(b, cfg->readonly_paths);
	if (cfg->seccomp_set)
		put_seccomp(b, cfg);
}
