/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-vCPU CPUID from KVM_GET_SUPPORTED_CPUID. The guest sees one package
 * of N cores, one thread each, APIC id = vCPU index:
 *  - leaf 0x1: APIC id, logical count N, HTT when N > 1, hypervisor bit;
 *    MONITOR/MWAIT cleared (leaf 0x5 zeroed) - the guest must idle with HLT;
 *  - leaf 0x4 / 0x8000001D: cores per package N, L1/L2 per core, the last
 *    cache level shared by all N;
 *  - leaf 0xB / 0x1F: SMT level 1 thread, core level N cores, x2APIC id;
 *  - leaf 0x80000008 (AMD): N-1 cores, APIC id size; 0x8000001E: core id;
 *  - leaf 0x40000000: "KVMKVMKVM" signature, added when missing.
 * Pure function over the entry array, so unit tests need no KVM.
 */
#ifndef KRUN_HW_VCPU_CPUID_H
#define KRUN_HW_VCPU_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define CPUID_KVM_SIGNATURE_LEAF 0x40000000u
#define CPUID_LEAF1_ECX_MONITOR (1u << 3)
#define CPUID_LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_LEAF1_ECX_HYPERVISOR (1u << 31)
#define CPUID_LEAF1_EDX_HTT (1u << 28)

/*
 * Rewrite entries[0..*nent) for the vCPU with APIC id apic_id out of
 * nr_vcpus. Entries may be appended up to max. Returns 0 or -ENOSPC.
 */
int cpuid_filter(struct kvm_cpuid_entry2 *entries, uint32_t *nent, uint32_t max,
		 uint32_t apic_id, uint32_t nr_vcpus, struct krun_err **err);

/* Keep (on) or clear (off) the VMX and SVM bits the guest would use for
 * nested virtualization. */
void cpuid_set_nested(struct kvm_cpuid_entry2 *entries, uint32_t nent,
		      bool on);

/*
 * Advertise the local APIC's TSC-deadline timer mode, which KVM's in-kernel
 * LAPIC emulates when KVM_CAP_TSC_DEADLINE_TIMER says so, but which
 * KVM_GET_SUPPORTED_CPUID leaves out. A Linux guest that sees it uses it
 * and skips calibrating the LAPIC timer against the PIT (100 ms at boot).
 */
void cpuid_set_tsc_deadline(struct kvm_cpuid_entry2 *entries, uint32_t nent);

/* The entry for (function, index), or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *entries,
				    uint32_t nent, uint32_t function,
				    uint32_t index);

#endif
