// SPDX-License-Identifier: Apache-2.0
/*
 * Per-thread seccomp filters for the VMM (lib/vmm/seccomp.h,
 * docs/seccomp.md): filter compilation with libseccomp, the launcher
 * thread that starts every confined thread, and the SIGSYS report.
 */
#include "lib/vmm/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "lib/vmm/seccomp_policy.h"
#include "util/cleanup.h"

#define SYSCALL_NAMES 512
#define SYSCALL_NAME_LEN 32

/*
 * Read by the SIGSYS handler, which may run on any confined thread: the
 * names are resolved once, before the first filter, because libseccomp's
 * resolver allocates and is not async-signal-safe.
 */
static char syscall_names[SYSCALL_NAMES][SYSCALL_NAME_LEN];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;
static __thread const char *thread_role;

static void resolve_names(void)
{
	for (int nr = 0; nr < SYSCALL_NAMES; nr++) {
		char *name =
			seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name && strlen(name) < SYSCALL_NAME_LEN)
			strcpy(syscall_names[nr], name);
		free(name);
	}
}

static void append(char *buf, size_t *len, size_t cap, const char *s)
{
	while (*s && *len + 1 < cap)
		buf[(*len)++] = *s++;
}

static void append_num(char *buf, size_t *len, size_t cap, long v)
{
	char digits[24];
	size_t n = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		append(buf, len, cap, "-");
	while (n && *len + 1 < cap)
		buf[(*len)++] = digits[--n];
}

/* One line, then the process ends: async-signal-safe only. */
static void report_violation(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t n = 0;
	int nr = si->si_syscall;

	(void)sig;
	append(line, &n, sizeof(line), "krun: seccomp: the ");
	append(line, &n, sizeof(line), thread_role ? thread_role : "unknown");
	append(line, &n, sizeof(line),
	       " thread made a forbidden system call: ");
	if (nr >= 0 && nr < SYSCALL_NAMES && syscall_names[nr][0])
		append(line, &n, sizeof(line), syscall_names[nr]);
	else
		append(line, &n, sizeof(line), "?");
	append(line, &n, sizeof(line), " (");
	append_num(line, &n, sizeof(line), nr);
#if defined(__x86_64__)
	/* An ioctl is only as clear as its request number. */
	if (nr == SYS_ioctl) {
		const ucontext_t *ctx = uc;

		append(line, &n, sizeof(line), ", request ");
		append_num(line, &n, sizeof(line),
			   (long)(uint32_t)ctx->uc_mcontext.gregs[REG_RSI]);
	}
#endif
	append(line, &n, sizeof(line), "); stopping the VMM\n");
	/* Raw system calls: a libc or sanitizer wrapper could make a call
	 * the filter forbids, and SIGSYS is blocked in here. */
	if (syscall(SYS_write, STDERR_FILENO, line, n) < 0)
		n = 0;
	syscall(SYS_exit_group, VMM_SECCOMP_EXIT);
}

static int install_handler(void)
{
	struct sigaction sa = {.sa_sigaction = report_violation,
			       .sa_flags = SA_SIGINFO};

	pthread_once(&names_once, resolve_names);
	sigfillset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

/*
 * SIGSYS must reach the handler: the kernel resets a blocked SIGSYS to
 * its default action (the process dies without the report line).
 */
static void unblock_sigsys(void)
{
	sigset_t sys;

	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
}

static int add_list(scmp_filter_ctx ctx, const struct seccomp_role *r,
		    struct krun_err **err)
{
	int ret;

	for (const char *const *name = r->syscalls; *name; name++) {
		int nr = seccomp_syscall_resolve_name(*name);

		if (nr == __NR_SCMP_ERROR)
			return krun_err_set(err, EINVAL,
					    "seccomp role `%s`: unknown system "
					    "call `%s`",
					    r->name, *name);
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (ret < 0)
			return krun_err_set_errno(
				err, -ret, "seccomp role `%s`: allow `%s`",
				r->name, *name);
	}
	for (const struct seccomp_ioctl *io = r->ioctls; io->name; io++) {
		/* The kernel takes the request as an unsigned int. */
		ret = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, io->request));
		if (ret < 0)
			return krun_err_set_errno(err, -ret,
						  "seccomp role `%s`: allow "
						  "ioctl `%s`",
						  r->name, io->name);
	}
	return 0;
}

/* mmap and mprotect, never with PROT_EXEC: no thread maps code. */
static int add_no_exec_maps(scmp_filter_ctx ctx, struct krun_err **err)
{
	static const int nrs[] = {SCMP_SYS(mmap), SCMP_SYS(mprotect)};

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		int ret = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, nrs[i], 1,
			SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		if (ret < 0)
			return krun_err_set_errno(err, -ret,
						  "seccomp: allow mmap");
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct seccomp_role *role,
		     struct krun_err **err)
{
	size_t n;
	const struct seccomp_role *all = seccomp_policy_roles(&n);
	int ret = add_no_exec_maps(ctx, err);

	if (ret == 0)
		ret = add_list(ctx, seccomp_policy_find("common"), err);
	if (ret == 0)
		ret = add_list(ctx, role, err);
	/* The launcher's threads inherit its filter: it allows them all. */
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (strcmp(role->name, "launcher") == 0)
			ret = add_list(ctx, &all[i], err);
	return ret;
}

static void release_ctx(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* libseccomp 2.5 exports BPF only to an fd. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog,
		       struct krun_err **err)
{
	cleanup_close int fd = memfd_create("krun-seccomp", MFD_CLOEXEC);
	off_t size;
	int ret;

	if (fd < 0)
		return krun_err_set_errno(err, errno, "seccomp: memfd_create");
	ret = seccomp_export_bpf(ctx, fd);
	if (ret < 0)
		return krun_err_set_errno(err, -ret,
					  "seccomp: export the filter");
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return krun_err_set(err, E2BIG,
				    "seccomp: the filter has a bad size (%lld)",
				    (long long)size);
	prog->filter = malloc((size_t)size);
	if (!prog->filter)
		return krun_err_set_errno(err, ENOMEM, "seccomp: filter");
	if (pread(fd, prog->filter, (size_t)size, 0) != size) {
		free(prog->filter);
		prog->filter = NULL;
		return krun_err_set_errno(err, EIO, "seccomp: read the filter");
	}
	prog->len = (unsigned short)(size / sizeof(struct sock_filter));
	return 0;
}

int vmm_seccomp_compile(const char *role_name, enum krun_vmm_seccomp mode,
			struct sock_fprog *prog, struct krun_err **err)
{
	const struct seccomp_role *role = seccomp_policy_find(role_name);
	uint32_t deny =
		mode == KRUN_VMM_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
	int ret;

	*prog = (struct sock_fprog){0};
	if (!role)
		return krun_err_set(err, EINVAL, "seccomp: no role `%s`",
				    role_name);
	ctx = seccomp_init(deny);
	if (!ctx)
		return krun_err_set_errno(err, ENOMEM, "seccomp: seccomp_init");
	/* Another architecture's system call table is never allowed. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deny);
	if (ret < 0)
		return krun_err_set_errno(err, -ret,
					  "seccomp: bad-arch action");
	ret = add_rules(ctx, role, err);
	if (ret < 0)
		return ret;
	return export_prog(ctx, prog, err);
}

int vmm_seccomp_load(const struct sock_fprog *prog, const char *role)
{
	int ret = install_handler();

	if (ret < 0)
		return ret;
	thread_role = role;
	unblock_sigsys();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}

/* ---- the launcher ---- */

struct seccomp_launch {
	const char *role;
	const struct sock_fprog *prog;
	thread_main_fn fn;
	void *arg;
	pthread_t *thread;
	int ret;      /* a positive errno, as pthread_create() */
	bool started; /* the new thread has loaded its filter, or failed */
	bool done;    /* the launcher has answered */
};

static const struct sock_fprog *role_prog(struct vmm_seccomp *s,
					  const char *role)
{
	size_t n;
	const struct seccomp_role *roles = seccomp_policy_roles(&n);

	for (size_t i = 0; i < n && i < s->n_roles; i++)
		if (strcmp(roles[i].name, role) == 0 && s->progs[i].filter)
			return &s->progs[i];
	return NULL;
}

struct trampoline {
	struct vmm_seccomp *s;
	struct seccomp_launch *req;
};

static void *confined_start(void *arg)
{
	struct trampoline *t = arg;
	struct vmm_seccomp *s = t->s;
	struct seccomp_launch *req = t->req;
	thread_main_fn fn = req->fn;
	void *fn_arg = req->arg;
	int ret;

	thread_role = req->role;
	unblock_sigsys();
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, req->prog) < 0
		      ? errno
		      : 0;
	pthread_mutex_lock(&s->lock);
	req->ret = ret;
	req->started = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* req and t are gone once started is seen. */
	return ret ? NULL : fn(fn_arg);
}

static void serve(struct vmm_seccomp *s, struct seccomp_launch *req)
{
	struct trampoline t = {s, req};
	int ret = pthread_create(req->thread, NULL, confined_start, &t);

	pthread_mutex_lock(&s->lock);
	if (ret == 0) {
		while (!req->started)
			pthread_cond_wait(&s->cond, &s->lock);
		ret = req->ret;
	}
	pthread_mutex_unlock(&s->lock);
	if (ret && req->started)
		pthread_join(*req->thread, NULL);
	pthread_mutex_lock(&s->lock);
	req->ret = ret;
	req->done = true;
	s->req = NULL;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *launcher_main(void *arg)
{
	struct vmm_seccomp *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->stop && !(s->req && !s->req->done))
			pthread_cond_wait(&s->cond, &s->lock);
		/* A request posted before the stop is still served. */
		if (!(s->req && !s->req->done))
			break;
		pthread_mutex_unlock(&s->lock);
		serve(s, s->req);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int launch(struct thread_launcher *l, const char *role,
		  pthread_t *thread, thread_main_fn fn, void *arg)
{
	struct vmm_seccomp *s = (struct vmm_seccomp *)l;
	struct seccomp_launch req = {
		.role = role, .fn = fn, .arg = arg, .thread = thread};

	req.prog = role_prog(s, role);
	if (!req.prog || strcmp(role, "launcher") == 0 ||
	    strcmp(role, "common") == 0)
		return EINVAL;
	pthread_mutex_lock(&s->lock);
	while (s->req && !s->stop)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->stop) { /* no launcher to serve it */
		pthread_mutex_unlock(&s->lock);
		return EAGAIN;
	}
	s->req = &req;
	pthread_cond_broadcast(&s->cond);
	while (!req.done)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return req.ret;
}

static void *launcher_start(void *arg)
{
	struct vmm_seccomp *s = arg;
	int ret;

	thread_role = "launcher";
	unblock_sigsys();
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
		      role_prog(s, "launcher")) < 0
		      ? errno
		      : 0;
	pthread_mutex_lock(&s->lock);
	s->running = ret == 0;
	s->stop = ret != 0;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return ret ? (void *)(intptr_t)ret : launcher_main(s);
}

static int compile_all(struct vmm_seccomp *s, struct krun_err **err)
{
	const struct seccomp_role *roles = seccomp_policy_roles(&s->n_roles);

	s->progs = calloc(s->n_roles, sizeof(*s->progs));
	if (!s->progs)
		return krun_err_set_errno(err, ENOMEM, "seccomp: filters");
	for (size_t i = 0; i < s->n_roles; i++) {
		if (strcmp(roles[i].name, "common") == 0)
			continue;
		int ret = vmm_seccomp_compile(roles[i].name, s->mode,
					      &s->progs[i], err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int start_launcher(struct vmm_seccomp *s, struct krun_err **err)
{
	sigset_t all, old;
	void *result = NULL;
	int ret;

	/* Every thread it starts inherits this mask; each unblocks what it
	 * takes (the vCPUs their kick signal). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&s->thread, NULL, launcher_start, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return krun_err_set_errno(err, ret,
					  "seccomp: cannot start the launcher");
	pthread_mutex_lock(&s->lock);
	while (!s->running && !s->stop)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->running)
		return 0;
	pthread_join(s->thread, &result);
	return krun_err_set_errno(err, (int)(intptr_t)result,
				  "seccomp: cannot load the launcher's filter");
}

int vmm_seccomp_start(struct vmm_seccomp *s, enum krun_vmm_seccomp mode,
		      struct krun_err **err)
{
	int ret;

	*s = (struct vmm_seccomp){.launcher = {.launch = launch}, .mode = mode};
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (mode == KRUN_VMM_SECCOMP_OFF)
		return 0;
	ret = compile_all(s, err);
	if (ret == 0) {
		ret = install_handler();
		if (ret < 0)
			ret = krun_err_set_errno(err, -ret,
						 "seccomp: SIGSYS handler");
	}
	/* Inherited by every thread; seccomp needs it without
	 * CAP_SYS_ADMIN. */
	if (ret == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ret = krun_err_set_errno(err, errno,
					 "seccomp: set no_new_privs");
	if (ret == 0)
		ret = start_launcher(s, err);
	if (ret < 0)
		vmm_seccomp_stop(s);
	return ret;
}

struct thread_launcher *vmm_seccomp_launcher(struct vmm_seccomp *s)
{
	return s->mode == KRUN_VMM_SECCOMP_OFF ? NULL : &s->launcher;
}

int vmm_seccomp_enter(struct vmm_seccomp *s, const char *role,
		      struct krun_err **err)
{
	const struct sock_fprog *prog;

	if (s->mode == KRUN_VMM_SECCOMP_OFF)
		return 0;
	prog = role_prog(s, role);
	if (!prog)
		return krun_err_set(err, EINVAL, "seccomp: no role `%s`", role);
	thread_role = role;
	unblock_sigsys();
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return krun_err_set_errno(
			err, errno, "seccomp: load the `%s` filter", role);
	return 0;
}

void vmm_seccomp_stop(struct vmm_seccomp *s)
{
	if (s->running) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	for (size_t i = 0; s->progs && i < s->n_roles; i++)
		free(s->progs[i].filter);
	free(s->progs);
	s->progs = NULL;
}
