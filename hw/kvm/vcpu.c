// SPDX-License-Identifier: Apache-2.0
/* vCPU creation and its reset state: CPUID, MSRs, LAPIC, FPU, and the
 * 64-bit boot state of the boot processor. Application processors stay in
 * KVM's wait-for-SIPI state until the guest kernel starts them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/x86/cpuid.h"
#include "hw/x86/layout.h"
#include "hw/kvm/vm_internal.h"
#include "util/cleanup.h"

#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING 0x1
#define MTRR_ENABLE_WRITEBACK ((1u << 11) | 6u) /* MTRRs on, default WB */

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static int set_cpuid(struct vm *vm, struct vcpu *vcpu, struct krun_err **err)
{
	const struct kvm_cpuid2 *sup = vm->supported_cpuid;
	uint32_t max = sup->nent + 1; /* room for the KVM signature leaf */
	cleanup_free struct kvm_cpuid2 *c =
		calloc(1, sizeof(*c) + max * sizeof(struct kvm_cpuid_entry2));
	int ret;

	if (!c)
		return krun_err_set(err, ENOMEM, "allocate CPUID table");
	c->nent = sup->nent;
	memcpy(c->entries, sup->entries,
	       sup->nent * sizeof(struct kvm_cpuid_entry2));
	ret = cpuid_filter(c->entries, &c->nent, max, vcpu->index,
			   vm->opts.vcpus, err);
	if (ret < 0)
		return ret;
	cpuid_set_nested(c->entries, c->nent, vm->opts.nested_virt);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		return krun_err_set_errno(
			err, errno, "KVM_SET_CPUID2 (vCPU %u)", vcpu->index);
	return 0;
}

static int set_msrs(struct vcpu *vcpu, struct krun_err **err)
{
	static const struct kvm_msr_entry reset[] = {
		{.index = MSR_IA32_SYSENTER_CS},
		{.index = MSR_IA32_SYSENTER_ESP},
		{.index = MSR_IA32_SYSENTER_EIP},
		{.index = MSR_STAR},
		{.index = MSR_LSTAR},
		{.index = MSR_CSTAR},
		{.index = MSR_SYSCALL_MASK},
		{.index = MSR_KERNEL_GS_BASE},
		{.index = MSR_IA32_MISC_ENABLE,
		 .data = MISC_ENABLE_FAST_STRING},
		{.index = MSR_MTRR_DEF_TYPE, .data = MTRR_ENABLE_WRITEBACK},
	};
	const size_t n = sizeof(reset) / sizeof(reset[0]);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[sizeof(reset) / sizeof(reset[0])];
	} msrs = {.hdr.nmsrs = n};
	int set;

	memcpy(msrs.e, reset, sizeof(reset));
	set = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
	if (set < 0)
		return krun_err_set_errno(err, errno, "KVM_SET_MSRS (vCPU %u)",
					  vcpu->index);
	if ((size_t)set != n)
		return krun_err_set(err, EINVAL,
				    "KVM_SET_MSRS (vCPU %u): MSR 0x%x refused",
				    vcpu->index, reset[set].index);
	return 0;
}

static void set_lvt_mode(struct kvm_lapic_state *lapic, unsigned int reg,
			 uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &lapic->regs[reg], sizeof(v));
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&lapic->regs[reg], &v, sizeof(v));
}

/* Virtual wire mode: the PIC reaches LINT0 as ExtINT, NMIs LINT1. */
static int set_lapic(struct vcpu *vcpu, struct krun_err **err)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return krun_err_set_errno(err, errno, "KVM_GET_LAPIC");
	set_lvt_mode(&lapic, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	set_lvt_mode(&lapic, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return krun_err_set_errno(err, errno, "KVM_SET_LAPIC");
	return 0;
}

static int set_fpu(struct vcpu *vcpu, struct krun_err **err)
{
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};

	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return krun_err_set_errno(err, errno, "KVM_SET_FPU");
	return 0;
}

int vcpu_init(struct vm *vm, struct vcpu *vcpu, unsigned int index,
	      struct krun_err **err)
{
	int ret;

	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->run = NULL;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0)
		return krun_err_set_errno(err, errno, "KVM_CREATE_VCPU %u",
					  index);
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return krun_err_set_errno(err, errno, "map vCPU %u state",
					  index);
	}
	ret = set_cpuid(vm, vcpu, err);
	if (!ret)
		ret = set_msrs(vcpu, err);
	if (!ret)
		ret = set_lapic(vcpu, err);
	if (!ret)
		ret = set_fpu(vcpu, err);
	return ret;
}

void vcpu_release(struct vcpu *vcpu, size_t run_size)
{
	if (vcpu->run)
		munmap(vcpu->run, run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int vm_vcpu_rip(struct vm *vm, unsigned int index, uint64_t *rip,
		struct krun_err **err)
{
	struct kvm_regs regs;

	if (index >= vm->n_vcpus)
		return krun_err_set(err, EINVAL, "no vCPU %u", index);
	if (ioctl(vm->vcpus[index].fd, KVM_GET_REGS, &regs) < 0)
		return krun_err_set_errno(err, errno, "KVM_GET_REGS (vCPU %u)",
					  index);
	*rip = regs.rip;
	return 0;
}
