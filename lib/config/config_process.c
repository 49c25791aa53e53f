// SPDX-License-Identifier: Apache-2.0
/*
 * Process attributes the guest init applies to the workload: a user
 * resolved by name, supplementary groups, umask, capabilities,
 * no_new_privs, domain name, sysctls, extra filesystems, a seccomp policy;
 * and the console and time-limit choices of the CLI.
 */
#include "lib/config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>

#include "lib/config/config_internal.h"
#include "lib/guest_abi.h"
#include "util/cleanup.h"

#define NAME_MAX_LEN 256 /* user, group, sysctl key */

static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS (int)(sizeof(cap_names) / sizeof(cap_names[0]))

const char *config_cap_name(int cap)
{
	return cap >= 0 && cap < N_CAPS ? cap_names[cap] : NULL;
}

int config_cap_from_name(const char *name, int *cap, struct krun_err **err)
{
	const char *bare =
		name && strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;

	for (int i = 0; name && i < N_CAPS; i++) {
		if (strcasecmp(cap_names[i] + 4, bare) == 0) {
			*cap = i;
			return 0;
		}
	}
	return krun_err_set(err, EINVAL, "unknown capability `%s`",
			    name ? name : "");
}

int config_set_caps(struct krun_config *cfg, const uint64_t sets[KRUN_CAP_SETS],
		    struct krun_err **err)
{
	uint64_t known = (1ull << N_CAPS) - 1;

	for (int i = 0; i < KRUN_CAP_SETS; i++)
		if (sets[i] & ~known)
			return krun_err_set(
				err, EINVAL,
				"capability set %d: unknown bits "
				"%#llx",
				i, (unsigned long long)(sets[i] & ~known));
	memcpy(cfg->caps, sets, sizeof(cfg->caps));
	cfg->caps_set = true;
	return 0;
}

/* A user or group: a name as useradd takes it, or a number. */
static bool valid_id_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-$", *p))
			return false;
	return true;
}

int config_set_user_spec(struct krun_config *cfg, const char *spec,
			 struct krun_err **err)
{
	cleanup_free char *copy = NULL;
	char *colon;
	int ret;

	if (!spec || !*spec)
		return krun_err_set(err, EINVAL, "empty user");
	ret = cfg_strdup(spec, &copy, err);
	if (ret < 0)
		return ret;
	colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	if (!valid_id_name(copy) || (colon && !valid_id_name(colon)))
		return krun_err_set(err, EINVAL,
				    "invalid user `%s`: expected USER[:GROUP], "
				    "names or numbers",
				    spec);
	return cfg_replace_str(&cfg->user_spec, spec, err);
}

int cfg_strv_add(char ***v, const char *s, struct krun_err **err)
{
	size_t n = cfg_strv_len((const char *const *)*v);
	char **grown;
	char *copy;
	int ret = cfg_strdup(s, &copy, err);

	if (ret < 0)
		return ret;
	grown = realloc(*v, (n + 2) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	*v = grown;
	return 0;
}

int config_add_group(struct krun_config *cfg, const char *group,
		     struct krun_err **err)
{
	if (!group || !valid_id_name(group))
		return krun_err_set(err, EINVAL,
				    "invalid group `%s`: expected a name or a "
				    "number",
				    group ? group : "");
	return cfg_strv_add(&cfg->group_add, group, err);
}

int config_set_umask(struct krun_config *cfg, uint32_t mask,
		     struct krun_err **err)
{
	if (mask > 0777)
		return krun_err_set(err, EINVAL,
				    "invalid umask %#o: above 0777", mask);
	cfg->umask = mask;
	cfg->umask_set = true;
	return 0;
}

int config_set_no_new_privs(struct krun_config *cfg, bool on,
			    struct krun_err **err)
{
	(void)err;
	cfg->no_new_privs = on;
	return 0;
}

int config_set_domainname(struct krun_config *cfg, const char *name,
			  struct krun_err **err)
{
	if (!name || !*name || strlen(name) > 64)
		return krun_err_set(err, EINVAL,
				    "invalid domain name `%s`: 1 to 64 bytes",
				    name ? name : "");
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return krun_err_set(
				err, EINVAL,
				"invalid domain name `%s`: only letters, "
				"digits, `-`, `.` and `_` are allowed",
				name);
	return cfg_replace_str(&cfg->domainname, name, err);
}

int config_add_sysctl(struct krun_config *cfg, const char *key,
		      const char *value, struct krun_err **err)
{
	cleanup_free char *kv = NULL;
	size_t n = key ? strlen(key) : 0;

	if (n == 0 || n > NAME_MAX_LEN || key[0] == '.' || key[0] == '/' ||
	    strstr(key, "..") || strstr(key, "//"))
		return krun_err_set(err, EINVAL, "invalid sysctl `%s`",
				    key ? key : "");
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-/", *p))
			return krun_err_set(err, EINVAL, "invalid sysctl `%s`",
					    key);
	if (!value || strchr(value, '\n'))
		return krun_err_set(err, EINVAL, "sysctl `%s`: invalid value",
				    key);
	if (asprintf(&kv, "%s=%s", key, value) < 0) {
		kv = NULL;
		return krun_err_set(err, ENOMEM, "out of memory");
	}
	return cfg_strv_add(&cfg->sysctls, kv, err);
}

int config_add_ignored(struct krun_config *cfg, const char *what,
		       struct krun_err **err)
{
	return cfg_strv_add(&cfg->ignored, what, err);
}

int config_set_tty(struct krun_config *cfg, enum krun_tristate tty,
		   struct krun_err **err)
{
	if (tty > KRUN_NO)
		return krun_err_set(err, EINVAL, "invalid terminal choice");
	cfg->tty = tty;
	return 0;
}

int config_set_interactive(struct krun_config *cfg, enum krun_tristate on,
			   struct krun_err **err)
{
	if (on > KRUN_NO)
		return krun_err_set(err, EINVAL, "invalid stdin choice");
	cfg->interactive = on;
	return 0;
}

int config_set_timeout_ms(struct krun_config *cfg, uint32_t ms,
			  struct krun_err **err)
{
	(void)err;
	cfg->timeout_ms = ms;
	return 0;
}

int config_set_stop_grace_ms(struct krun_config *cfg, uint32_t ms,
			     struct krun_err **err)
{
	if (ms > 3600000)
		return krun_err_set(err, EINVAL,
				    "stop timeout of %u ms: at most one hour",
				    ms);
	cfg->stop_grace_ms = ms;
	cfg->stop_grace_set = true;
	return 0;
}

int config_set_vmm_seccomp(struct krun_config *cfg, const char *mode,
			   struct krun_err **err)
{
	static const char *const names[] = {
		[KRUN_VMM_SECCOMP_ENFORCE] = "enforce",
		[KRUN_VMM_SECCOMP_LOG] = "log",
		[KRUN_VMM_SECCOMP_OFF] = "off",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(mode, names[i]) == 0) {
			cfg->vmm_seccomp = (enum krun_vmm_seccomp)i;
			return 0;
		}
	}
	return krun_err_set(err, EINVAL,
			    "seccomp mode `%s`: expected enforce, log or off",
			    mode);
}
