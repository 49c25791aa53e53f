// SPDX-License-Identifier: Apache-2.0
/*
 * krun-init's workload handling, run on the host: PATH search and exec
 * errors, stdio wiring, rlimits, exit statuses and signal forwarding.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/krun-init/init_log.h"
#include "cmd/krun-init/process_attrs.h"
#include "cmd/krun-init/workload.h"
#include "lib/guest_abi.h"

static char tmpdir[64];

static int setup_dir(void **state)
{
	sigset_t set;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/krun-test-wl.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* As in krun-init: the handled signals are blocked and waited for. */
	workload_signal_set(&set);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_file(const char *name, const char *content, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Run workload_exec in a child; the errno (or 0 when exec'd /bin/true). */
static int exec_errno(const char *file, const char *path)
{
	char *argv[] = {(char *)file, NULL};
	char *envp[] = {NULL};
	int ws;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(100 + workload_exec(file, argv, envp, path));
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	return WEXITSTATUS(ws) == 0 ? 0 : WEXITSTATUS(ws) - 100;
}

static void exec_path_search(void **state)
{
	char path[256];

	make_file("noexec", "#!/bin/sh\n", 0644);
	make_file("garbage", "\x01\x02\x03\x04 not a program", 0755);
	snprintf(path, sizeof(path), "/nonexistent:%s:/bin:/usr/bin", tmpdir);
	assert_int_equal(exec_errno("true", path), 0);
	assert_int_equal(exec_errno("krun-no-such-program", path), ENOENT);
	assert_int_equal(exec_errno("noexec", path), EACCES);
	assert_int_equal(exec_errno("garbage", path), ENOEXEC);
	assert_int_equal(exec_errno("/nonexistent/x", path), ENOENT);
	snprintf(path, sizeof(path), "%s/noexec", tmpdir);
	assert_int_equal(exec_errno(path, "/bin"), EACCES);
	assert_int_equal(exec_errno("true", ""), ENOENT);

	assert_int_equal(workload_exec_status(ENOENT), KRUN_EXIT_NOTFOUND);
	assert_int_equal(workload_exec_status(ENOTDIR), KRUN_EXIT_NOTFOUND);
	assert_int_equal(workload_exec_status(EACCES), KRUN_EXIT_NOEXEC);
	assert_int_equal(workload_exec_status(ENOEXEC), KRUN_EXIT_NOEXEC);
}

static void env_defaults(void **state)
{
	char *vars[] = {"PATH=/x", "A=1", NULL};
	struct guest_config cfg = {.envp = vars, .envc = 2};
	char **env = workload_env(&cfg);

	assert_string_equal(env[0], "PATH=/x");
	assert_string_equal(env[1], "A=1");
	assert_string_equal(env[2], "HOME=/");
	assert_null(env[3]);
	free(env);

	cfg.envc = 0;
	cfg.flags = KRUN_GUEST_F_TERMINAL;
	env = workload_env(&cfg);
	assert_string_equal(env[0], "PATH=" INIT_DEFAULT_PATH);
	assert_string_equal(env[1], "HOME=/");
	assert_string_equal(env[2], "TERM=xterm");
	assert_null(env[3]);
	free(env);
}

/* Runs `sh -c script` as the workload with pipes for stdio. */
struct run_result {
	int status;
	char out[512];
	char err[512];
};

static void read_pipe(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

static void wait_line(int fd)
{
	char c = 0;

	while (c != '\n' && read(fd, &c, 1) == 1)
		;
}

static void run_workload(struct guest_config *cfg, bool term_self,
			 uint32_t grace_ms, struct run_result *r)
{
	struct init_stdio io = {.fd = {-1, -1, -1}};
	int out[2], err[2];
	char **envp;
	pid_t pid;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	io.fd[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	io.fd[1] = out[1];
	io.fd[2] = err[1];
	ilog_set_err_fd(err[1]);
	envp = workload_env(cfg);
	pid = workload_start(cfg, &io, envp, &r->status);
	if (pid > 0) {
		if (term_self) {
			/* Once the script is ready, as the VMM's request. */
			wait_line(out[0]);
			kill(getpid(), SIGTERM);
		}
		r->status = workload_wait(pid, grace_ms);
	}
	ilog_set_err_fd(STDERR_FILENO);
	close(io.fd[0]);
	close(out[1]);
	close(err[1]);
	read_pipe(out[0], r->out, sizeof(r->out));
	read_pipe(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	free(envp);
}

static void sh_config(struct guest_config *cfg, char **argv, const char *script)
{
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = NULL;
	*cfg = (struct guest_config){
		.argv = argv, .argc = 3, .workdir = tmpdir, .hostname = ""};
}

static void exit_status_and_stdio(void **state)
{
	struct guest_config cfg;
	struct run_result r;
	char *argv[4];

	sh_config(&cfg, argv, "echo out; echo err >&2; pwd; exit 3");
	run_workload(&cfg, false, 1000, &r);
	assert_int_equal(r.status, 3);
	assert_true(strncmp(r.out, "out\n", 4) == 0);
	assert_non_null(strstr(r.out, tmpdir));
	assert_string_equal(r.err, "err\n");

	sh_config(&cfg, argv, "kill -KILL $$");
	run_workload(&cfg, false, 1000, &r);
	assert_int_equal(r.status, 128 + SIGKILL);
}

static void rlimits_apply(void **state)
{
	struct guest_rlimit rl = {RLIMIT_NOFILE, 100, 200};
	struct guest_config cfg;
	struct run_result r;
	char *argv[4];

	sh_config(&cfg, argv, "ulimit -n; ulimit -Hn");
	cfg.rlimits = &rl;
	cfg.n_rlimits = 1;
	run_workload(&cfg, false, 1000, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "100\n200\n");
}

static void write_db(void)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/etc", tmpdir);
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	make_file("etc/passwd",
		  "root:x:0:0:root:/root:/bin/sh\n"
		  "alice:x:1234:1234:Alice:/home/alice:/bin/sh\n",
		  0644);
	make_file("etc/group",
		  "root:x:0:\nalice:x:1234:\naudio:x:29:alice\n"
		  "video:x:44:bob,alice\nstaff:x:50:\n",
		  0644);
}

/* user, group and extra groups from the root's files, as docker does */
static int resolve(struct guest_config *cfg, const char *user, char **group_add,
		   size_t n_group_add)
{
	struct krun_err *err = NULL;
	int ret;

	free(cfg->attrs.groups);
	free(cfg->attrs.home);
	*cfg = (struct guest_config){0};
	cfg->attrs.user = user;
	cfg->attrs.group_add = group_add;
	cfg->attrs.n_group_add = n_group_add;
	ret = attrs_resolve_user(cfg, tmpdir, &err);
	krun_err_free(&err);
	cfg->attrs.group_add = NULL; /* borrowed */
	return ret;
}

static void user_resolution(void **state)
{
	char *extra[] = {"staff", "77"}, *unknown[] = {"nosuchgroup"};
	struct guest_config cfg = {0};

	write_db();
	assert_int_equal(resolve(&cfg, "alice", NULL, 0), 0);
	assert_true(cfg.flags & KRUN_GUEST_F_SET_USER);
	assert_int_equal(cfg.uid, 1234);
	assert_int_equal(cfg.gid, 1234);
	assert_int_equal(cfg.attrs.n_groups, 2);
	assert_int_equal(cfg.attrs.groups[0], 29);
	assert_int_equal(cfg.attrs.groups[1], 44);
	assert_string_equal(cfg.attrs.home, "/home/alice");
	assert_int_equal(resolve(&cfg, "1234:staff", extra, 2), 0);
	assert_int_equal(cfg.uid, 1234);
	assert_int_equal(cfg.gid, 50);
	assert_int_equal(cfg.attrs.n_groups, 4); /* 29 44 50 77 */
	assert_int_equal(cfg.attrs.groups[3], 77);
	assert_int_equal(resolve(&cfg, "4321", NULL, 0), 0);
	assert_int_equal(cfg.uid, 4321);
	assert_int_equal(cfg.gid, 0);
	assert_int_equal(cfg.attrs.n_groups, 0);
	assert_null(cfg.attrs.home);
	assert_int_equal(resolve(&cfg, "", extra, 1), 0);
	assert_false(cfg.flags & KRUN_GUEST_F_SET_USER);
	assert_int_equal(cfg.attrs.n_groups, 1);
	assert_true(resolve(&cfg, "mallory", NULL, 0) < 0);
	assert_true(resolve(&cfg, "alice:nosuchgroup", NULL, 0) < 0);
	assert_true(resolve(&cfg, "alice", unknown, 1) < 0);
	free(cfg.attrs.groups);
	free(cfg.attrs.home);
}

/* umask, no_new_privs and a seccomp rule reach the workload */
static void attrs_reach_the_workload(void **state)
{
	struct guest_seccomp_rule rules[] = {
		{"mkdir", KRUN_GUEST_SCMP_ERRNO, 99, 0, {{0}}},
		{"mkdirat", KRUN_GUEST_SCMP_ERRNO, 99, 0, {{0}}},
		{"no_such_syscall", KRUN_GUEST_SCMP_ERRNO, 1, 0, {{0}}},
	};
	struct guest_config cfg;
	struct run_result r;
	char *argv[4];

	sh_config(&cfg, argv,
		  "umask; grep NoNewPrivs /proc/self/status; "
		  "mkdir d 2>&1 || echo denied");
	cfg.attrs.flags = KRUN_GUEST_A_UMASK | KRUN_GUEST_A_NO_NEW_PRIVS |
			  KRUN_GUEST_A_SECCOMP;
	cfg.attrs.umask = 027;
	cfg.attrs.seccomp_default_action = KRUN_GUEST_SCMP_ALLOW;
	cfg.attrs.rules = rules;
	cfg.attrs.n_rules = 3;
	run_workload(&cfg, false, 1000, &r);
	assert_int_equal(r.status, 0);
	if (strncmp(r.out, "0027\nNoNewPrivs:\t1\n", 19) != 0)
		fail_msg("got `%s` `%s`", r.out, r.err);
	assert_non_null(strstr(r.out, "Cannot assign requested address"));
	assert_non_null(strstr(r.out, "denied"));
}

static void exec_failures_are_reported(void **state)
{
	struct guest_config cfg;
	struct run_result r;
	char *argv[4];

	sh_config(&cfg, argv, "");
	argv[0] = "krun-no-such-program";
	run_workload(&cfg, false, 1000, &r);
	assert_int_equal(r.status, 127);
	assert_non_null(strstr(
		r.err, "cannot run `krun-no-such-program`: No such file"));

	make_file("plain", "data", 0644);
	argv[0] = "./plain";
	run_workload(&cfg, false, 1000, &r);
	assert_int_equal(r.status, 126);
	assert_non_null(strstr(r.err, "Permission denied"));

	sh_config(&cfg, argv, "true");
	cfg.workdir = "/nonexistent-dir";
	run_workload(&cfg, false, 1000, &r);
	assert_int_equal(r.status, 125);
	assert_non_null(
		strstr(r.err, "cannot change to workdir `/nonexistent-dir`"));
}

static void termination_is_forwarded(void **state)
{
	struct guest_config cfg;
	struct run_result r;
	char *argv[4];

	sh_config(&cfg, argv, "echo ready; exec sleep 20");
	run_workload(&cfg, true, 5000, &r);
	assert_int_equal(r.status, 128 + SIGTERM);

	/* A workload that ignores SIGTERM is killed after the grace period. */
	sh_config(&cfg, argv, "trap '' TERM; echo ready; exec sleep 20");
	run_workload(&cfg, true, 200, &r);
	assert_int_equal(r.status, 128 + SIGKILL);
	assert_non_null(strstr(r.err, "ignored SIGTERM"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec_path_search),
		cmocka_unit_test(env_defaults),
		cmocka_unit_test(exit_status_and_stdio),
		cmocka_unit_test(rlimits_apply),
		cmocka_unit_test(exec_failures_are_reported),
		cmocka_unit_test(termination_is_forwarded),
		cmocka_unit_test(user_resolution),
		cmocka_unit_test(attrs_reach_the_workload),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
