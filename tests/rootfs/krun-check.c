/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun-check: reports process facts busybox cannot, for system tests that
 * compare its output. Static, so it runs in any test root file system.
 *
 *   krun-check ids          uid/gid (real, effective, saved) and groups
 *   krun-check rlimits      every resource limit, soft and hard
 *   krun-check write PATH   creates PATH; prints "ok" or the errno name
 *   krun-check mkdir PATH   mkdir(2) of PATH; prints "ok" or the errno name
 *   krun-check umask        the process umask in octal
 *   krun-check isatty       whether fds 0, 1 and 2 are terminals
 *   krun-check seccomp      the seccomp mode (0 none, 1 strict, 2 filter)
 *   krun-check exit N       exits with status N (tests exit propagation)
 *   krun-check kill SIG     kills itself with signal number SIG
 *
 * Exit status 0 when the check ran (whatever it found), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	int resource;
	const char *name;
} rlimit_names[] = {
	{RLIMIT_AS, "as"},
	{RLIMIT_CORE, "core"},
	{RLIMIT_CPU, "cpu"},
	{RLIMIT_DATA, "data"},
	{RLIMIT_FSIZE, "fsize"},
	{RLIMIT_LOCKS, "locks"},
	{RLIMIT_MEMLOCK, "memlock"},
	{RLIMIT_MSGQUEUE, "msgqueue"},
	{RLIMIT_NICE, "nice"},
	{RLIMIT_NOFILE, "nofile"},
	{RLIMIT_NPROC, "nproc"},
	{RLIMIT_RSS, "rss"},
	{RLIMIT_RTPRIO, "rtprio"},
	{RLIMIT_RTTIME, "rttime"},
	{RLIMIT_SIGPENDING, "sigpending"},
	{RLIMIT_STACK, "stack"},
};

static void print_limit(rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf("unlimited");
	else
		printf("%llu", (unsigned long long)v);
}

static int check_rlimits(void)
{
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]);
	     i++) {
		struct rlimit rl;

		if (getrlimit(rlimit_names[i].resource, &rl) < 0) {
			printf("%s error %s\n", rlimit_names[i].name,
			       strerrorname_np(errno));
			continue;
		}
		printf("%s ", rlimit_names[i].name);
		print_limit(rl.rlim_cur);
		putchar(' ');
		print_limit(rl.rlim_max);
		putchar('\n');
	}
	return 0;
}

static int check_ids(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[256];
	int n = getgroups(256, groups);

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	printf("uid %u %u %u\ngid %u %u %u\ngroups", ru, eu, su, rg, eg, sg);
	for (int i = 0; i < n; i++)
		printf(" %u", groups[i]);
	putchar('\n');
	return 0;
}

static int check_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, "krun\n", 5) != 5) {
		printf("%s\n", strerrorname_np(errno));
	} else {
		printf("ok\n");
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static int check_mkdir(const char *path)
{
	if (mkdir(path, 0755) < 0)
		printf("%s\n", strerrorname_np(errno));
	else
		printf("ok\n");
	return 0;
}

static int check_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	printf("%04o\n", (unsigned)m);
	return 0;
}

static int check_isatty(void)
{
	for (int fd = 0; fd <= 2; fd++)
		printf("fd%d %s\n", fd, isatty(fd) ? "tty" : "notty");
	return 0;
}

/* Allocate and touch mib MiB, one MiB at a time, never freeing: in a
 * guest with less RAM the OOM killer ends it (SIGKILL). Everything is
 * locked, its own text included, so the kernel cannot put off the OOM
 * kill by evicting and refetching this program's pages over virtio-fs
 * (minutes under nested emulation). */
static int alloc_touch(int mib)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		perror("krun-check: mlockall (going on without it)");
	for (int i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);

		if (!p) {
			printf("malloc failed after %d MiB\n", i);
			return 1;
		}
		memset(p, 0x5a, 1 << 20);
	}
	printf("survived %d MiB\n", mib);
	return 0;
}

static int parse_int(const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && !*end && v >= 0 && v <= max) ? (int)v : -1;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int n = argc > 2 ? parse_int(argv[2], 255) : -1;

	if (argc == 2 && !strcmp(cmd, "ids"))
		return check_ids();
	if (argc == 2 && !strcmp(cmd, "rlimits"))
		return check_rlimits();
	if (argc == 2 && !strcmp(cmd, "isatty"))
		return check_isatty();
	if (argc == 2 && !strcmp(cmd, "seccomp"))
		return printf("%d\n", prctl(PR_GET_SECCOMP)) < 0;
	if (argc == 3 && !strcmp(cmd, "write"))
		return check_write(argv[2]);
	if (argc == 3 && !strcmp(cmd, "mkdir"))
		return check_mkdir(argv[2]);
	if (argc == 2 && !strcmp(cmd, "umask"))
		return check_umask();
	if (argc == 3 && !strcmp(cmd, "alloc-touch") &&
	    parse_int(argv[2], 1 << 20) > 0)
		return alloc_touch(parse_int(argv[2], 1 << 20));
	if (argc == 3 && !strcmp(cmd, "exit") && n >= 0)
		return n;
	if (argc == 3 && !strcmp(cmd, "kill") && n > 0 && n < NSIG) {
		fflush(stdout);
		signal(n, SIG_DFL);
		raise(n);
		return 1;
	}
	fprintf(stderr, "usage: krun-check ids|rlimits|isatty|seccomp|umask|"
			"write PATH|mkdir PATH|exit N|kill SIG|"
			"alloc-touch MIB\n");
	return 2;
}
