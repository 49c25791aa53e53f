// SPDX-License-Identifier: Apache-2.0
/*
 * lib/vmm/seccomp.c: every role's filter compiles; a confined thread that
 * makes a forbidden call ends the process with one line naming its role
 * and the call, and VMM_SECCOMP_EXIT; log mode lets the call through;
 * argument filters (ioctl requests, PROT_EXEC) hold; the launcher starts
 * threads under their role's filter. Each case confines a forked child.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/vmm/seccomp.h"
#include "lib/vmm/seccomp_policy.h"

typedef int (*child_fn)(void);

/* Run fn in a child confined as role in mode; its stderr in out. */
static int run_confined(const char *role, enum krun_vmm_seccomp mode,
			child_fn fn, char *out, size_t cap)
{
	struct sock_fprog prog;
	struct krun_err *err = NULL;
	int pfd[2], status;
	ssize_t n, total = 0;
	pid_t pid;

	assert_int_equal(vmm_seccomp_compile(role, mode, &prog, &err), 0);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		if (vmm_seccomp_load(&prog, role) < 0)
			_exit(99);
		/* Not _exit(): a sanitizer's wrapper makes more calls. */
		syscall(SYS_exit_group, fn());
	}
	free(prog.filter);
	close(pfd[1]);
	while ((n = read(pfd[0], out + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	out[total] = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int open_root(void)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY);

	return fd >= 0 ? 0 : 1;
}

static int terminal_ioctl(void)
{
	struct termios t;

	ioctl(STDIN_FILENO, TCGETS, &t);
	return 0;
}

static int kvm_run_on_bad_fd(void)
{
	/* Allowed: the kernel answers EBADF. */
	return ioctl(-1, KVM_RUN, 0) < 0 && errno == EBADF ? 0 : 1;
}

static int map_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 1 : 0;
}

static int map_data(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 1 : 0;
}

static void every_role_compiles(void **state)
{
	size_t n;
	const struct seccomp_role *roles = seccomp_policy_roles(&n);
	struct krun_err *err = NULL;
	struct sock_fprog prog;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (int mode = KRUN_VMM_SECCOMP_ENFORCE;
		     mode <= KRUN_VMM_SECCOMP_LOG; mode++) {
			assert_int_equal(
				vmm_seccomp_compile(roles[i].name,
						    (enum krun_vmm_seccomp)mode,
						    &prog, &err),
				0);
			assert_true(prog.len > 0);
			free(prog.filter);
		}
	}
	assert_int_equal(vmm_seccomp_compile("no-such-role",
					     KRUN_VMM_SECCOMP_ENFORCE, &prog,
					     &err),
			 -EINVAL);
	krun_err_free(&err);
}

static void violation_is_one_line_and_its_status(void **state)
{
	char out[512];

	(void)state;
	assert_int_equal(run_confined("vcpu", KRUN_VMM_SECCOMP_ENFORCE,
				      open_root, out, sizeof(out)),
			 VMM_SECCOMP_EXIT);
	assert_string_equal(out, "krun: seccomp: the vcpu thread made a "
				 "forbidden system call: openat (257); "
				 "stopping the VMM\n");
}

static void allowed_calls_pass(void **state)
{
	char out[512];

	(void)state;
	/* The file server may open files; the same call a vCPU may not. */
	assert_int_equal(run_confined("fs", KRUN_VMM_SECCOMP_ENFORCE, open_root,
				      out, sizeof(out)),
			 0);
	assert_string_equal(out, "");
	assert_int_equal(run_confined("vcpu", KRUN_VMM_SECCOMP_ENFORCE,
				      kvm_run_on_bad_fd, out, sizeof(out)),
			 0);
	assert_int_equal(run_confined("blk", KRUN_VMM_SECCOMP_ENFORCE, map_data,
				      out, sizeof(out)),
			 0);
}

static void log_mode_lets_calls_through(void **state)
{
	char out[512];

	(void)state;
	assert_int_equal(run_confined("vcpu", KRUN_VMM_SECCOMP_LOG, open_root,
				      out, sizeof(out)),
			 0);
	assert_string_equal(out, "");
}

static void argument_filters_hold(void **state)
{
	char out[512];

	(void)state;
	/* ioctl is allowed on a vCPU thread, but only its KVM requests. */
	assert_int_equal(run_confined("vcpu", KRUN_VMM_SECCOMP_ENFORCE,
				      terminal_ioctl, out, sizeof(out)),
			 VMM_SECCOMP_EXIT);
	assert_non_null(strstr(out, "the vcpu thread made a forbidden "
				    "system call: ioctl (16, request 21505)"));
	assert_int_equal(run_confined("blk", KRUN_VMM_SECCOMP_ENFORCE, map_exec,
				      out, sizeof(out)),
			 VMM_SECCOMP_EXIT);
	assert_non_null(strstr(out, "the blk thread made a forbidden "
				    "system call: mmap (9)"));
}

/* ---- the launcher ---- */

struct probe {
	int go[2]; /* the test writes one byte: make the forbidden call */
	pid_t tid;
};

static void *rng_thread(void *arg)
{
	struct probe *p = arg;
	char c, buf[8];

	__atomic_store_n(&p->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		return NULL;
	if (read(p->go[0], &c, 1) == 1)
		open("/", O_RDONLY); /* forbidden for rng */
	return NULL;
}

/* The field's value in /proc/self/task/TID/status, or -1. */
static long task_status(pid_t tid, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

static int launcher_child(void)
{
	struct vmm_seccomp s;
	struct krun_err *err = NULL;
	struct probe p = {.tid = 0};
	pthread_t t;

	if (vmm_seccomp_start(&s, KRUN_VMM_SECCOMP_ENFORCE, &err) < 0 ||
	    pipe(p.go) < 0)
		return 10;
	if (thread_launch(vmm_seccomp_launcher(&s), "no-such-role", &t,
			  rng_thread, &p) != EINVAL)
		return 11;
	if (thread_launch(vmm_seccomp_launcher(&s), "rng", &t, rng_thread,
			  &p) != 0)
		return 12;
	while (!__atomic_load_n(&p.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	/* The launcher's filter, then the role's. */
	if (task_status(p.tid, "Seccomp") != 2 ||
	    task_status(p.tid, "Seccomp_filters") != 2)
		return 13;
	/* This thread was never confined. */
	if (task_status((pid_t)syscall(SYS_gettid), "Seccomp") != 0)
		return 14;
	if (write(p.go[1], "x", 1) != 1)
		return 15;
	pthread_join(t, NULL);
	return 16; /* the forbidden call did not end the process */
}

static void launcher_confines_its_threads(void **state)
{
	int pfd[2], status;
	char out[512];
	ssize_t n, total = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		syscall(SYS_exit_group, launcher_child());
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + total,
			 sizeof(out) - 1 - (size_t)total)) > 0)
		total += n;
	out[total] = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		print_error("child killed by signal %d; stderr: %s\n",
			    WTERMSIG(status), out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), VMM_SECCOMP_EXIT);
	assert_string_equal(out, "krun: seccomp: the rng thread made a "
				 "forbidden system call: openat (257); "
				 "stopping the VMM\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_role_compiles),
		cmocka_unit_test(violation_is_one_line_and_its_status),
		cmocka_unit_test(allowed_calls_pass),
		cmocka_unit_test(log_mode_lets_calls_through),
		cmocka_unit_test(argument_filters_hold),
		cmocka_unit_test(launcher_confines_its_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
