/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm-selfcheck: proves /dev/kvm can run guest code. Creates a VM with one
 * vCPU, runs a real-mode blob (mov al,0x42; out 0x10,al; hlt) and checks
 * that KVM reports the port write and then the halt. Exit 0 on success,
 * 1 with a message naming the failed step otherwise. Static, so it runs in
 * any test root file system.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/cleanup.h"

#define GUEST_MEM_SIZE 0x1000
#define GUEST_CODE_GPA 0x1000
#define PROBE_PORT 0x10
#define PROBE_VALUE 0x42
#define RUN_TIMEOUT_S 10

static const uint8_t guest_code[] = {
	0xb0, PROBE_VALUE, /* mov al, 0x42 */
	0xe6, PROBE_PORT,  /* out 0x10, al */
	0xf4,		   /* hlt */
};

struct vm {
	int kvm;
	int vm;
	int vcpu;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

static int fail(const char *what)
{
	fprintf(stderr, "kvm-selfcheck: %s: %s\n", what, strerror(errno));
	return -1;
}

static int vm_create(struct vm *v)
{
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return fail("open `/dev/kvm`");
	int api = ioctl(v->kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		errno = EPROTO;
		return fail("KVM_GET_API_VERSION");
	}
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return fail("KVM_CREATE_VM");
	v->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(v->mem, guest_code, sizeof(guest_code));
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = GUEST_CODE_GPA,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)v->mem,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	return 0;
}

static int vcpu_create(struct vm *v)
{
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	if (v->run == MAP_FAILED)
		return fail("mmap kvm_run");

	struct kvm_sregs sregs;
	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	struct kvm_regs regs = {
		.rip = GUEST_CODE_GPA,
		.rflags = 0x2, /* bit 1 is reserved and must be set */
	};
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

/* A guest that never exits shows as KVM_RUN failing with EINTR. */
static int report_stuck_vcpu(const struct vm *v)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->vcpu, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_REGS after a stuck KVM_RUN");
	fprintf(stderr,
		"kvm-selfcheck: KVM_RUN did not return within %d s: "
		"rip %#llx rax %#llx cr0 %#llx cs %#x\n",
		RUN_TIMEOUT_S, (unsigned long long)regs.rip,
		(unsigned long long)regs.rax, (unsigned long long)sregs.cr0,
		sregs.cs.selector);
	return -1;
}

static int run_until_exit(struct vm *v, uint32_t want)
{
	struct sigaction sa = {.sa_handler = on_alarm};

	sigaction(SIGALRM, &sa, NULL);
	alarm(RUN_TIMEOUT_S);
	int ret = ioctl(v->vcpu, KVM_RUN, 0);
	int saved_errno = errno;

	alarm(0);
	errno = saved_errno;
	if (ret < 0 && errno == EINTR)
		return report_stuck_vcpu(v);
	if (ret < 0)
		return fail("KVM_RUN");
	if (v->run->exit_reason == want)
		return 0;
	fprintf(stderr, "kvm-selfcheck: exit reason %u, expected %u",
		v->run->exit_reason, want);
	if (v->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		fprintf(stderr, " (internal error, suberror %u)",
			v->run->internal.suberror);
	fputc('\n', stderr);
	return -1;
}

static int check_port_write(const struct vm *v)
{
	const struct kvm_run *run = v->run;
	const uint8_t *data = (const uint8_t *)run + run->io.data_offset;

	if (run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != PROBE_PORT || run->io.size != 1 ||
	    run->io.count != 1 || *data != PROBE_VALUE) {
		fprintf(stderr,
			"kvm-selfcheck: I/O exit dir %u port %#x size %u "
			"count %u value %#x; expected OUT %#x = %#x\n",
			run->io.direction, run->io.port, run->io.size,
			run->io.count, *data, PROBE_PORT, PROBE_VALUE);
		return -1;
	}
	return 0;
}

static void vm_destroy(struct vm *v)
{
	if (v->run && v->run != MAP_FAILED)
		munmap(v->run, v->run_size);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, GUEST_MEM_SIZE);
	cleanup_close_fn(&v->vcpu);
	cleanup_close_fn(&v->vm);
	cleanup_close_fn(&v->kvm);
}

int main(void)
{
	struct vm v = {.kvm = -1, .vm = -1, .vcpu = -1};
	int ret = vm_create(&v);

	if (ret == 0)
		ret = vcpu_create(&v);
	if (ret == 0)
		ret = run_until_exit(&v, KVM_EXIT_IO);
	if (ret == 0)
		ret = check_port_write(&v);
	if (ret == 0)
		ret = run_until_exit(&v, KVM_EXIT_HLT);
	vm_destroy(&v);
	if (ret == 0)
		printf("kvm-selfcheck: ok (port %#x = %#x, then hlt)\n",
		       PROBE_PORT, PROBE_VALUE);
	return ret == 0 ? 0 : 1;
}
