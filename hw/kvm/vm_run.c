// SPDX-License-Identifier: Apache-2.0
/*
 * vCPU threads and why the VM stops. The first stop reason wins; the
 * stopping vCPU (or vm_request_stop()) then kicks every vCPU out of
 * KVM_RUN: immediate_exit covers a vCPU about to enter, the signal one
 * already inside (including APs the guest never started, which sit in
 * KVM_RUN waiting for a SIPI).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "hw/kvm/vm_internal.h"
#include "util/cleanup.h"

static bool vm_is_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE);
}

static void kick_vcpus_locked(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
		if (v->running)
			pthread_kill(v->thread, VM_KICK_SIGNAL);
	}
}

void vm_stop_with(struct vm *vm, enum vm_stop_reason reason, uint32_t status)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->stopping) {
		vm->exit = (struct vm_exit_info){.reason = reason,
						 .status = status};
		vm->times.stop = vm_clock_ns();
		__atomic_store_n(&vm->stopping, true, __ATOMIC_RELEASE);
	}
	kick_vcpus_locked(vm);
	pthread_mutex_unlock(&vm->stop_lock);
}

void vm_request_stop(struct vm *vm)
{
	vm_stop_with(vm, VM_STOP_REQUESTED, 0);
}

/* Record the first vCPU failure and stop the VM. */
static void vm_fail(struct vm *vm, struct krun_err *e)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->run_err)
		vm->run_err = e;
	else
		krun_err_free(&e);
	pthread_mutex_unlock(&vm->stop_lock);
	vm_stop_with(vm, VM_STOP_REQUESTED, 0);
}

static void handle_pio(struct vm *vm, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		if (!io_bus_dispatch(&vm->pio, run->io.port, data, run->io.size,
				     is_write) &&
		    !is_write)
			memset(data, 0xff, run->io.size);
}

static void handle_mmio(struct vm *vm, struct kvm_run *run)
{
	uint32_t len = run->mmio.len <= 8 ? run->mmio.len : 8;

	if (!io_bus_dispatch(&vm->mmio, run->mmio.phys_addr, run->mmio.data,
			     len, run->mmio.is_write) &&
	    !run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
}

static void handle_system_event(struct vm *vm, struct kvm_run *run)
{
	if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
		vm_stop_with(vm, VM_STOP_RESET, 0);
	else
		vm_stop_with(vm, VM_STOP_POWEROFF, 0);
}

/* Returns a negative errno (err set) when the VM cannot go on. */
static int handle_exit(struct vcpu *vcpu, struct krun_err **err)
{
	struct vm *vm = vcpu->vm;
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_pio(vm, run);
		return 0;
	case KVM_EXIT_MMIO:
		handle_mmio(vm, run);
		return 0;
	case KVM_EXIT_HLT: /* only when KVM does not idle the vCPU itself */
		vm_stop_with(vm, VM_STOP_POWEROFF, 0);
		return 0;
	case KVM_EXIT_SHUTDOWN:
		vm_stop_with(vm, VM_STOP_TRIPLE_FAULT, 0);
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(vm, run);
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		return krun_err_set(
			err, ENOTSUP,
			"this host's KVM cannot run the guest kernel (KVM_EXIT_INTERNAL_ERROR, suberror %u, vCPU %u)",
			run->internal.suberror, vcpu->index);
	case KVM_EXIT_FAIL_ENTRY:
		return krun_err_set(
			err, ENOTSUP,
			"KVM could not enter the guest (hardware entry failure 0x%llx, vCPU %u)",
			(unsigned long long)
				run->fail_entry.hardware_entry_failure_reason,
			vcpu->index);
	default:
		return krun_err_set(err, ENOTSUP,
				    "unexpected KVM exit %u on vCPU %u",
				    run->exit_reason, vcpu->index);
	}
}

static void vcpu_loop(struct vcpu *vcpu)
{
	struct krun_err *e = NULL;

	if (vcpu->index == 0)
		vcpu->vm->times.entry = vm_clock_ns();
	while (!vm_is_stopping(vcpu->vm)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/*
			 * EFAULT: KVM found no host page behind a guest
			 * access, e.g. the guest touched an unmapped part of
			 * a shared memory window (those are PROT_NONE).
			 */
			if (errno == EFAULT)
				krun_err_set(&e, EFAULT,
					     "vCPU %u: a guest-physical access has no host memory behind it (KVM_RUN: Bad address)",
					     vcpu->index);
			else
				krun_err_set_errno(&e, errno,
						   "KVM_RUN on vCPU %u",
						   vcpu->index);
		} else {
			handle_exit(vcpu, &e);
		}
		if (e) {
			vm_fail(vcpu->vm, e);
			return;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, VM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	vcpu_loop(vcpu);
	pthread_mutex_lock(&vm->stop_lock);
	vcpu->running = false;
	pthread_mutex_unlock(&vm->stop_lock);
	return NULL;
}

static int start_vcpus(struct vm *vm, unsigned int *started,
		       struct krun_err **err)
{
	for (*started = 0; *started < vm->n_vcpus; (*started)++) {
		struct vcpu *v = &vm->vcpus[*started];
		int ret;

		pthread_mutex_lock(&vm->stop_lock);
		ret = thread_launch(vm->opts.threads, "vcpu", &v->thread,
				    vcpu_thread, v);
		v->running = ret == 0;
		pthread_mutex_unlock(&vm->stop_lock);
		if (ret != 0)
			return krun_err_set(err, ret,
					    "start the thread of vCPU %u: %s",
					    *started, strerror(ret));
	}
	return 0;
}

int vm_run(struct vm *vm, struct vm_exit_info *out, struct krun_err **err)
{
	unsigned int started;
	int ret;

	if (!vm->kernel_loaded || vm->has_run)
		return krun_err_set(err, EINVAL,
				    vm->has_run ? "the VM has already run"
						: "no kernel loaded");
	vm->has_run = true;
	ret = start_vcpus(vm, &started, err);
	if (ret < 0)
		vm_request_stop(vm);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(vm->vcpus[i].thread, NULL);
	if (vm->serial_registered)
		serial_flush(&vm->serial);
	if (ret < 0)
		return ret;
	if (vm->run_err) {
		ret = -vm->run_err->errnum;
		if (err && !*err) /* hand over the vCPU's error object */
			*err = steal_ptr(vm->run_err);
		krun_err_free(&vm->run_err);
		return ret;
	}
	*out = vm->exit;
	return 0;
}

int64_t vm_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void vm_get_times(const struct vm *vm, struct vm_times *out)
{
	*out = vm->times;
}

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_GUEST_EXIT:
		return "guest exit";
	case VM_STOP_RESET:
		return "guest reset";
	case VM_STOP_TRIPLE_FAULT:
		return "triple fault";
	case VM_STOP_POWEROFF:
		return "guest poweroff";
	case VM_STOP_REQUESTED:
		return "stop requested";
	}
	return "unknown";
}
