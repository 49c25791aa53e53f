// SPDX-License-Identifier: Apache-2.0
/*
 * make-initramfs: writes the per-run initramfs krun-run would build, for
 * booting krun-init under another VMM (QEMU) as an independent check.
 *
 *   make-initramfs -o OUT [options] PROGRAM [ARG...]
 *     --root-dir            root is the virtio-fs share KRUN_ROOT_TAG
 *     --root-dev PATH       root is this block device node (/dev/vda)
 *     --root-id ID          root is the virtio-blk disk with serial ID
 *     --fstype T            root filesystem type (block; default: probe)
 *     --ro                  mount the root read-only
 *     --volume TAG:PATH[:ro]  virtio-fs share mounted at PATH
 *     --env K=V, --workdir D, --hostname H, --user UID:GID,
 *     --rlimit RES=CUR:MAX (RES a number), --terminal, --kernel-log,
 *     --grace MS
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/initramfs/initramfs.h"

#define MAX_ITEMS 32

struct opts {
	struct krun_config cfg;
	struct initramfs_params params;
	const char *out, *root_dev, *root_id, *fstype;
	char *env[MAX_ITEMS + 1];
	size_t n_env;
	struct krun_share shares[MAX_ITEMS];
	struct krun_rlimit rlimits[MAX_ITEMS];
};

static void die(const char *msg)
{
	fprintf(stderr, "make-initramfs: %s\n", msg);
	exit(2);
}

static void add_volume(struct opts *o, char *spec)
{
	struct krun_share *s = &o->shares[o->cfg.n_shares];
	char *path = strchr(spec, ':');
	char *ro;

	if (!path || o->cfg.n_shares == MAX_ITEMS)
		die("bad --volume");
	*path++ = '\0';
	ro = strchr(path, ':');
	if (ro)
		*ro++ = '\0';
	*s = (struct krun_share){.tag = spec,
				 .guest_path = path,
				 .read_only = ro && !strcmp(ro, "ro")};
	o->cfg.n_shares++;
}

static void add_rlimit(struct opts *o, const char *spec)
{
	struct krun_rlimit *r = &o->rlimits[o->cfg.n_rlimits];
	unsigned long long cur, max;
	int res;

	if (o->cfg.n_rlimits == MAX_ITEMS ||
	    sscanf(spec, "%d=%llu:%llu", &res, &cur, &max) != 3)
		die("bad --rlimit");
	*r = (struct krun_rlimit){.resource = res, .cur = cur, .max = max};
	o->cfg.n_rlimits++;
}

static void parse_opt(struct opts *o, int c, char *arg)
{
	switch (c) {
	case 'd':
		o->cfg.root_dir = "(virtio-fs)";
		break;
	case 'b':
		o->root_dev = arg;
		break;
	case 'i':
		o->root_id = arg;
		break;
	case 'f':
		o->fstype = arg;
		break;
	case 'r':
		o->cfg.root_read_only = true;
		break;
	case 'v':
		add_volume(o, arg);
		break;
	case 'e':
		if (o->n_env == MAX_ITEMS)
			die("too many --env");
		o->env[o->n_env++] = arg;
		o->cfg.envp = o->env;
		break;
	case 'w':
		o->cfg.workdir = arg;
		break;
	case 'h':
		o->cfg.hostname = arg;
		break;
	case 'u':
		if (sscanf(arg, "%u:%u", &o->cfg.uid, &o->cfg.gid) != 2)
			die("bad --user");
		o->cfg.has_user = true;
		break;
	case 'l':
		add_rlimit(o, arg);
		break;
	case 't':
		o->cfg.terminal = true;
		break;
	case 'k':
		o->cfg.kernel_log = true;
		break;
	case 'o':
		o->out = arg;
		break;
	case 'g':
		o->params.shutdown_grace_ms = (uint32_t)atoi(arg);
		break;
	default:
		die("unknown option (see the source's header)");
	}
}

static void set_root(struct opts *o)
{
	struct krun_err *err = NULL;

	if (o->root_dev || o->root_id) {
		o->params.root = (struct initramfs_mount){
			.kind = o->root_dev ? KRUN_GUEST_MOUNT_BLOCK_PATH
					    : KRUN_GUEST_MOUNT_BLOCK_ID,
			.source = o->root_dev ? o->root_dev : o->root_id,
			.fstype = o->fstype,
			.read_only = o->cfg.root_read_only,
		};
		o->params.terminal = o->cfg.terminal;
		return;
	}
	if (initramfs_default_params(&o->cfg, &o->params, &err) < 0)
		die(krun_err_msg(err));
}

/* Overwrite only plain non-executable files: a slip in the arguments must
 * not replace a program. */
static void check_output(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111))
		die("refusing to overwrite an executable or special file");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"root-dir", no_argument, 0, 'd'},
		{"root-dev", required_argument, 0, 'b'},
		{"root-id", required_argument, 0, 'i'},
		{"fstype", required_argument, 0, 'f'},
		{"ro", no_argument, 0, 'r'},
		{"volume", required_argument, 0, 'v'},
		{"env", required_argument, 0, 'e'},
		{"workdir", required_argument, 0, 'w'},
		{"hostname", required_argument, 0, 'h'},
		{"user", required_argument, 0, 'u'},
		{"rlimit", required_argument, 0, 'l'},
		{"terminal", no_argument, 0, 't'},
		{"kernel-log", no_argument, 0, 'k'},
		{"grace", required_argument, 0, 'g'},
		{0, 0, 0, 0},
	};
	static struct opts o = {.cfg = {.shutdown_eventfd = -1}};
	struct krun_err *err = NULL;
	uint32_t grace;
	void *buf = NULL;
	size_t len = 0;
	FILE *f;
	int c;

	o.cfg.shares = o.shares;
	o.cfg.rlimits = o.rlimits;
	while ((c = getopt_long(argc, argv, "+o:", longopts, NULL)) != -1)
		parse_opt(&o, c, optarg);
	if (argc - optind < 1 || !o.out)
		die("usage: make-initramfs -o OUT [options] PROGRAM [ARG...]");
	o.cfg.exec_path = argv[optind];
	o.cfg.argv = &argv[optind + 1];
	grace = o.params.shutdown_grace_ms;
	set_root(&o);
	o.params.shutdown_grace_ms = grace;
	if (initramfs_build(&o.cfg, &o.params, &buf, &len, &err) < 0)
		die(krun_err_msg(err));
	check_output(o.out);
	f = fopen(o.out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die("cannot write the output");
	free(buf);
	return 0;
}
