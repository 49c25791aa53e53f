// SPDX-License-Identifier: Apache-2.0
/*
 * krun-run option table and parser. Parsing stops at the first non-option
 * ("+" in the short option string), so the workload's own flags are never
 * taken for ours: `krun-run --root r ls -l` runs `ls -l`.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_ROOT = 256,
	OPT_READ_ONLY,
	OPT_ROOT_NOSETID,
	OPT_ROOT_DAX,
	OPT_FS_CACHE,
	OPT_DISK,
	OPT_ROOT_DISK,
	OPT_ROOT_PARTITION,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_ENV_FILE,
	OPT_RLIMIT,
	OPT_NET,
	OPT_MAC,
	OPT_VSOCK,
	OPT_CONSOLE_OUTPUT,
	OPT_KERNEL,
	OPT_KERNEL_LOG,
	OPT_LOG_LEVEL,
	OPT_SECCOMP,
	OPT_HOSTNAME,
	OPT_USER,
	OPT_SMBIOS_OEM,
	OPT_GPU,
	OPT_GPU_SHM,
	OPT_SOUND,
	OPT_TEE_CONFIG,
	OPT_SPEC,
	OPT_BUNDLE,
	OPT_PRINT_CONFIG,
	OPT_VERSION,
	OPT_SHARE,
	OPT_MOUNT,
	OPT_GROUP_ADD,
	OPT_ENTRYPOINT,
	OPT_TMPFS,
	OPT_TIMEOUT,
	OPT_INIT,
	OPT_RM,
	OPT_SYSCTL,
	OPT_DOMAINNAME,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_SECURITY_OPT,
	OPT_STOP_TIMEOUT,
};

static const char short_options[] = "+:hv:e:p:w:u:ti";

static const struct option long_options[] = {
	{"root", required_argument, NULL, OPT_ROOT},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"root-nosetid", no_argument, NULL, OPT_ROOT_NOSETID},
	{"root-dax", required_argument, NULL, OPT_ROOT_DAX},
	{"fs-cache", required_argument, NULL, OPT_FS_CACHE},
	{"disk", required_argument, NULL, OPT_DISK},
	{"root-disk", required_argument, NULL, OPT_ROOT_DISK},
	{"root-partition", required_argument, NULL, OPT_ROOT_PARTITION},
	{"volume", required_argument, NULL, 'v'},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"memory", required_argument, NULL, OPT_MEMORY},
	{"workdir", required_argument, NULL, 'w'},
	{"env", required_argument, NULL, 'e'},
	{"env-file", required_argument, NULL, OPT_ENV_FILE},
	{"rlimit", required_argument, NULL, OPT_RLIMIT},
	{"publish", required_argument, NULL, 'p'},
	{"net", required_argument, NULL, OPT_NET},
	{"mac", required_argument, NULL, OPT_MAC},
	{"vsock", required_argument, NULL, OPT_VSOCK},
	{"console-output", required_argument, NULL, OPT_CONSOLE_OUTPUT},
	{"kernel", required_argument, NULL, OPT_KERNEL},
	{"kernel-log", no_argument, NULL, OPT_KERNEL_LOG},
	{"seccomp", required_argument, NULL, OPT_SECCOMP},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"domainname", required_argument, NULL, OPT_DOMAINNAME},
	{"user", required_argument, NULL, 'u'},
	{"group-add", required_argument, NULL, OPT_GROUP_ADD},
	{"tty", optional_argument, NULL, 't'},
	{"interactive", optional_argument, NULL, 'i'},
	{"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
	{"tmpfs", required_argument, NULL, OPT_TMPFS},
	{"mount", required_argument, NULL, OPT_MOUNT},
	{"share", required_argument, NULL, OPT_SHARE},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	{"sysctl", required_argument, NULL, OPT_SYSCTL},
	{"cap-add", required_argument, NULL, OPT_CAP_ADD},
	{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	{"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
	{"init", no_argument, NULL, OPT_INIT},
	{"rm", no_argument, NULL, OPT_RM},
	{"smbios-oem", required_argument, NULL, OPT_SMBIOS_OEM},
	{"gpu", optional_argument, NULL, OPT_GPU},
	{"gpu-shm", required_argument, NULL, OPT_GPU_SHM},
	{"sound", no_argument, NULL, OPT_SOUND},
	{"tee-config", required_argument, NULL, OPT_TEE_CONFIG},
	{"spec", required_argument, NULL, OPT_SPEC},
	{"bundle", required_argument, NULL, OPT_BUNDLE},
	{"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

const char run_options_usage[] =
	"Usage: krun-run [OPTIONS] [--] COMMAND [ARG...]\n"
	"Run COMMAND in a microVM and exit with its status.\n"
	"\n"
	"Root and storage:\n"
	"      --root DIR                 host directory as the guest's root\n"
	"      --read-only                mount the root read-only\n"
	"      --root-nosetid             clear set-ID bits the guest sets on files\n"
	"                                 in the root (kept by default)\n"
	"      --root-dax SIZE            DAX window of SIZE (a multiple of 2M) for\n"
	"                                 the root directory share\n"
	"      --fs-cache auto|always|never  what the guest caches of the root\n"
	"                                 directory (default auto; see the man page)\n"
	"      --disk ID:PATH[:raw|qcow2][:ro]  add a disk (repeatable)\n"
	"      --root-disk ID|PATH        boot from disk ID, else from the image file\n"
	"                                 PATH[:raw|qcow2][:ro] (disk \"root\")\n"
	"      --root-partition N         the root file system is on partition N\n"
	"                                 of the root disk (GPT or MBR)\n"
	"  -v, --volume HOSTDIR:GUESTDIR[:OPTS]  share a host directory (relative\n"
	"                                 or absolute) at GUESTDIR (repeatable); OPTS:\n"
	"                                 ro|rw, setid (keep set-ID bits the guest sets),\n"
	"                                 dax=SIZE (a DAX window, a multiple of 2M),\n"
	"                                 cache=auto|always|never\n"
	"      --mount type=bind,src=HOSTDIR,dst=GUESTDIR[,readonly]\n"
	"      --mount type=tmpfs,dst=DIR[,tmpfs-size=SIZE][,tmpfs-mode=MODE]\n"
	"      --tmpfs DIR[:OPTIONS]      a tmpfs at DIR (noexec,nosuid,nodev)\n"
	"      --share TAG:HOSTDIR[:GUESTPATH][:ro][:setid][:cache=POLICY]\n"
	"                                 virtio-fs share by tag\n"
	"VM:\n"
	"      --cpus N                   vCPUs (default 1; 1.5 rounds up to 2)\n"
	"      --memory SIZE              RAM: b, k, m, g, t units, decimals allowed\n"
	"                                 (1.5g, 512m; no unit: bytes; default 512m)\n"
	"      --timeout DURATION         stop the VM after DURATION (90, 30s, 5m, 1h),\n"
	"                                 exit status 124\n"
	"      --stop-timeout SECONDS     on a stop, SIGKILL the command this long\n"
	"                                 after SIGTERM (default 10)\n"
	"      --kernel FILE              guest kernel (default: $KRUN_KERNEL, built-in)\n"
	"      --kernel-log               kernel log on the serial console (stderr)\n"
	"      --console-output FILE      write the console to FILE\n"
	"      --log-level LEVEL          0-5 or off|error|warn|info|debug|trace\n"
	"      --seccomp MODE             the VMM's own filters: enforce (default),\n"
	"                                 log or off\n"
	"Process:\n"
	"      --entrypoint PROGRAM       run PROGRAM with COMMAND [ARG...] as arguments\n"
	"  -w, --workdir DIR              working directory in the guest\n"
	"  -e, --env K=V | K              set (or copy from the host) a variable\n"
	"      --env-file FILE            read K=V lines from FILE\n"
	"      --rlimit NAME=CUR:MAX      resource limit (repeatable)\n"
	"      --hostname NAME            guest hostname\n"
	"      --domainname NAME          guest NIS domain name\n"
	"  -u, --user USER[:GROUP]        run as USER (name or number, resolved in\n"
	"                                 the guest root's /etc/passwd, /etc/group)\n"
	"      --group-add GROUP          supplementary group (repeatable)\n"
	"      --sysctl KEY=VALUE         set a guest sysctl (repeatable)\n"
	"      --cap-add CAP, --cap-drop CAP  add or drop a capability (or ALL;\n"
	"                                 repeatable; the base is every capability)\n"
	"      --security-opt no-new-privileges[=true|false]\n"
	"  -t, --tty[=true|false]         give the command a terminal (default: when\n"
	"                                 stdin and stdout are terminals)\n"
	"  -i, --interactive[=true|false] pass stdin to the command (default: true)\n"
	"      --init, --rm               accepted for docker; always so: krun-init\n"
	"                                 is PID 1 and nothing is left after a run\n"
	"Network and devices:\n"
	"      --net MODE                 passt (default), passt-fd=FD, gvproxy=PATH\n"
	"                                 or none\n"
	"  -p, --publish [IP:]HOST:GUEST[/tcp|/udp]  forward a host port (repeatable)\n"
	"      --mac MAC                  guest MAC address\n"
	"      --vsock PORT:PATH[,listen] bridge vsock PORT to UNIX socket PATH\n"
	"      --gpu[=FLAGS]              virtio-gpu with virgl FLAGS\n"
	"      --gpu-shm SIZE             GPU shared memory window\n"
	"      --sound                    virtio-snd\n"
	"      --smbios-oem STRING        SMBIOS OEM string (repeatable)\n"
	"      --tee-config FILE          TEE configuration\n"
	"Configuration:\n"
	"      --spec FILE                load a JSON spec (flags override it)\n"
	"      --bundle DIR               load DIR/config.json, paths relative to DIR\n"
	"      --print-config             print the resolved configuration as JSON\n"
	"  -h, --help                     this help\n"
	"      --version                  print the version\n"
	"\n"
	"Exit status: the command's, or 125 (krun-run error), 126 (not executable),\n"
	"127 (not found), 123 (guest crashed), 124 (--timeout ran out),\n"
	"128+N (killed by signal N).\n"
	"See krun-run(1).\n";

static int push(struct strlist *list, const char *value, const char *flag,
		struct krun_err **err)
{
	const char **items;

	items = realloc(list->items, (list->n + 1) * sizeof(*items));
	if (!items)
		return krun_err_set(err, ENOMEM, "%s: out of memory", flag);
	items[list->n++] = value;
	list->items = items;
	return 0;
}

static const struct option *find_long(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

/* The flag as the user wrote it, without "=VALUE". */
static void typed_flag(const char *arg, char *buf, size_t size)
{
	size_t len = strcspn(arg, "=");

	if (len >= size)
		len = size - 1;
	memcpy(buf, arg, len);
	buf[len] = '\0';
}

/* "--vol" or "--volume=x" for option opt (getopt reports short vals too). */
static bool is_long_form(const char *arg, int opt)
{
	const struct option *o = find_long(opt);
	char typed[64];

	if (!o || strncmp(arg, "--", 2) != 0)
		return false;
	typed_flag(arg + 2, typed, sizeof(typed));
	return strncmp(o->name, typed, strlen(typed)) == 0;
}

static size_t prefix_matches(const char *typed)
{
	size_t n = 0;

	for (const struct option *o = long_options; o->name; o++)
		n += strncmp(o->name, typed, strlen(typed)) == 0;
	return n;
}

/* getopt's '?' and ':' returns, as one "<flag>: <problem>" error. */
static int usage_error(int c, char *const argv[], struct krun_err **err)
{
	const char *arg = argv[optind - 1];
	bool is_long = optopt == 0 || optopt > 255 || is_long_form(arg, optopt);
	char flag[64];

	if (optopt > 255 && !is_long_form(arg, optopt))
		snprintf(flag, sizeof(flag), "--%s", find_long(optopt)->name);
	else if (is_long)
		typed_flag(arg, flag, sizeof(flag));
	else
		snprintf(flag, sizeof(flag), "-%c", optopt);
	if (c == ':')
		return krun_err_set(err, EINVAL, "%s: missing argument", flag);
	if (optopt != 0 && is_long)
		return krun_err_set(err, EINVAL,
				    "%s: does not take an argument", flag);
	if (is_long && strlen(flag) > 2 && prefix_matches(flag + 2) > 1)
		return krun_err_set(err, EINVAL, "%s: ambiguous option", flag);
	return krun_err_set(err, EINVAL, "%s: unknown option", flag);
}

static int take_list(struct run_options *o, int c, const char *arg,
		     struct krun_err **err)
{
	switch (c) {
	case OPT_DISK:
		return push(&o->disks, arg, "--disk", err);
	case 'v':
		return push(&o->volumes, arg, "--volume", err);
	case 'e':
		return push(&o->env, arg, "--env", err);
	case OPT_ENV_FILE:
		return push(&o->env_files, arg, "--env-file", err);
	case OPT_RLIMIT:
		return push(&o->rlimits, arg, "--rlimit", err);
	case 'p':
		return push(&o->ports, arg, "--publish", err);
	case OPT_VSOCK:
		return push(&o->vsock, arg, "--vsock", err);
	case OPT_SMBIOS_OEM:
		return push(&o->oem_strings, arg, "--smbios-oem", err);
	case OPT_SHARE:
		return push(&o->shares, arg, "--share", err);
	case OPT_MOUNT:
		return push(&o->mounts, arg, "--mount", err);
	case OPT_TMPFS:
		return push(&o->tmpfs, arg, "--tmpfs", err);
	case OPT_GROUP_ADD:
		return push(&o->group_add, arg, "--group-add", err);
	case OPT_SYSCTL:
		return push(&o->sysctls, arg, "--sysctl", err);
	case OPT_CAP_ADD:
		return push(&o->cap_add, arg, "--cap-add", err);
	case OPT_CAP_DROP:
		return push(&o->cap_drop, arg, "--cap-drop", err);
	case OPT_SECURITY_OPT:
		return push(&o->security_opts, arg, "--security-opt", err);
	}
	/* every table entry is handled above */
	return krun_err_set(err, EINVAL, "option %d: not handled", c);
}

/* Single-valued flags with an argument: the last one wins. */
static const char **value_slot(struct run_options *o, int c)
{
	switch (c) {
	case OPT_ROOT:
		return &o->root;
	case OPT_ROOT_DISK:
		return &o->root_disk;
	case OPT_ROOT_PARTITION:
		return &o->root_partition;
	case OPT_CPUS:
		return &o->cpus;
	case OPT_MEMORY:
		return &o->memory;
	case 'w':
		return &o->workdir;
	case OPT_HOSTNAME:
		return &o->hostname;
	case 'u':
		return &o->user;
	case OPT_ENTRYPOINT:
		return &o->entrypoint;
	case OPT_TIMEOUT:
		return &o->timeout;
	case OPT_STOP_TIMEOUT:
		return &o->stop_timeout;
	case OPT_DOMAINNAME:
		return &o->domainname;
	case OPT_NET:
		return &o->net;
	case OPT_MAC:
		return &o->mac;
	case OPT_CONSOLE_OUTPUT:
		return &o->console_output;
	case OPT_KERNEL:
		return &o->kernel;
	case OPT_LOG_LEVEL:
		return &o->log_level;
	case OPT_SECCOMP:
		return &o->seccomp;
	case OPT_GPU_SHM:
		return &o->gpu_shm;
	case OPT_ROOT_DAX:
		return &o->root_dax;
	case OPT_TEE_CONFIG:
		return &o->tee_config;
	case OPT_SPEC:
		return &o->spec_path;
	case OPT_BUNDLE:
		return &o->bundle_dir;
	case OPT_FS_CACHE:
		return &o->fs_cache;
	}
	return NULL;
}

static bool *switch_slot(struct run_options *o, int c)
{
	switch (c) {
	case OPT_READ_ONLY:
		return &o->read_only;
	case OPT_ROOT_NOSETID:
		return &o->root_nosetid;
	case OPT_KERNEL_LOG:
		return &o->kernel_log;
	case OPT_SOUND:
		return &o->sound;
	case OPT_PRINT_CONFIG:
		return &o->print_config;
	case OPT_INIT:
		return &o->init;
	case OPT_RM:
		return &o->rm;
	case 'h':
		return &o->help;
	case OPT_VERSION:
		return &o->version;
	}
	return NULL;
}

static int take(struct run_options *o, int c, const char *arg,
		struct krun_err **err)
{
	const char **value = value_slot(o, c);
	bool *flag = switch_slot(o, c);

	if (value) {
		*value = arg;
		return 0;
	}
	if (flag) {
		*flag = true;
		return 0;
	}
	if (c == 't' || c == 'i') {
		const char *name = c == 't' ? "--tty" : "--interactive";
		int *slot = c == 't' ? &o->tty : &o->interactive;

		if (!arg || strcmp(arg, "true") == 0)
			*slot = KRUN_YES;
		else if (strcmp(arg, "false") == 0)
			*slot = KRUN_NO;
		else
			return krun_err_set(err, EINVAL,
					    "%s: expected true or false, not "
					    "`%s`",
					    name, arg);
		return 0;
	}
	if (c == OPT_GPU) {
		o->gpu = true;
		o->gpu_flags = arg; /* NULL for plain --gpu */
		return 0;
	}
	return take_list(o, c, arg, err);
}

int run_options_parse(struct run_options *o, int argc, char *const argv[],
		      struct krun_err **err)
{
	bool tty = o->stdin_is_tty;
	int c, ret;

	*o = (struct run_options){.stdin_is_tty = tty};
	optind = 0; /* full re-initialisation, so tests can parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options,
				NULL)) != -1) {
		if (c == '?' || c == ':')
			ret = usage_error(c, argv, err);
		else
			ret = take(o, c, optarg, err);
		if (ret < 0) {
			run_options_free(o);
			return ret;
		}
	}
	if (optind < argc) {
		o->command = argv + optind;
		o->n_command = (size_t)(argc - optind);
	}
	return 0;
}

void run_options_free(struct run_options *o)
{
	struct strlist *lists[] = {
		&o->disks,   &o->volumes,     &o->env,	  &o->env_files,
		&o->rlimits, &o->ports,	      &o->vsock,  &o->oem_strings,
		&o->shares,  &o->mounts,      &o->tmpfs,  &o->group_add,
		&o->sysctls, &o->cap_add,     &o->cap_drop, &o->security_opts,
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		free(lists[i]->items);
		*lists[i] = (struct strlist){0};
	}
}
