// SPDX-License-Identifier: Apache-2.0
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/kvm/vm_internal.h"

#define CPUID1_ECX_VMX (1u << 5)
#define CPUID_EXT1_ECX_SVM (1u << 2)

static bool cpu_has_hw_virt(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & CPUID1_ECX_VMX))
		return true;
	return __get_cpuid(0x80000001, &a, &b, &c, &d) &&
	       (c & CPUID_EXT1_ECX_SVM);
}

/*
 * PVM ("Pagetable-based Virtual Machine") offers the KVM API without
 * hardware virtualization; a stock kernel dies in its instruction
 * emulator after tens of seconds. Refuse up front instead.
 */
int host_check_kvm_usable(struct krun_err **err)
{
	if (access("/sys/module/kvm_pvm", F_OK) == 0 || !cpu_has_hw_virt())
		return krun_err_set(
			err, ENOTSUP,
			"this host's KVM (PVM, paravirtual nested KVM) cannot run a stock Linux guest kernel; use a host with hardware virtualization or the emulated test host");
	return 0;
}

/* The kvm_intel / kvm_amd "nested" parameter: "1" or "Y" when enabled. */
int kvm_nested_supported(void)
{
	static const char *const params[] = {
		"/sys/module/kvm_intel/parameters/nested",
		"/sys/module/kvm_amd/parameters/nested",
	};

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		char buf[8] = "";
		FILE *f = fopen(params[i], "re");

		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (buf[0] == '1' || buf[0] == 'Y' || buf[0] == 'y')
			return 1;
	}
	return 0;
}
