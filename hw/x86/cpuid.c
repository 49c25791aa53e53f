// SPDX-License-Identifier: Apache-2.0
#include "hw/x86/cpuid.h"

#include <errno.h>
#include <string.h>

/* Leaf 0x4 / 0x8000001D EAX fields. */
#define CACHE_TYPE_MASK 0x1fu
#define CACHE_LEVEL(eax) (((eax) >> 5) & 0x7u)
#define CACHE_SHARING_SHIFT 14
#define CACHE_SHARING_MASK (0xfffu << CACHE_SHARING_SHIFT)
#define CACHE_CORES_SHIFT 26
#define CACHE_CORES_MASK (0x3fu << CACHE_CORES_SHIFT)

/* Leaf 0xB / 0x1F ECX level types. */
#define TOPO_LEVEL_SMT 1u
#define TOPO_LEVEL_CORE 2u

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *entries,
				    uint32_t nent, uint32_t function,
				    uint32_t index)
{
	for (uint32_t i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

/* Bits needed to hold values 0..n-1. */
static uint32_t order_of(uint32_t n)
{
	uint32_t bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

static void fix_leaf1(struct kvm_cpuid_entry2 *e, uint32_t apic_id, uint32_t n)
{
	e->ebx = (e->ebx & 0x0000ffffu) | (apic_id << 24) |
		 ((n > 1 ? n : 1) << 16);
	e->ecx = (e->ecx & ~CPUID_LEAF1_ECX_MONITOR) |
		 CPUID_LEAF1_ECX_HYPERVISOR;
	if (n > 1)
		e->edx |= CPUID_LEAF1_EDX_HTT;
	else
		e->edx &= ~CPUID_LEAF1_EDX_HTT;
}

/* Deterministic cache parameters (Intel 0x4, AMD 0x8000001D). */
static void fix_cache_leaf(struct kvm_cpuid_entry2 *e, uint32_t n,
			   uint32_t last_level, bool intel)
{
	uint32_t sharing = CACHE_LEVEL(e->eax) >= last_level ? n - 1 : 0;

	if ((e->eax & CACHE_TYPE_MASK) == 0)
		return;
	e->eax = (e->eax & ~CACHE_SHARING_MASK) |
		 (sharing << CACHE_SHARING_SHIFT);
	if (intel)
		e->eax = (e->eax & ~CACHE_CORES_MASK) |
			 ((n - 1 < 63 ? n - 1 : 63) << CACHE_CORES_SHIFT);
}

static void fix_cache_leaves(struct kvm_cpuid_entry2 *entries, uint32_t nent,
			     uint32_t function, uint32_t n, bool intel)
{
	uint32_t last_level = 0;

	for (uint32_t i = 0; i < nent; i++)
		if (entries[i].function == function &&
		    (entries[i].eax & CACHE_TYPE_MASK) &&
		    CACHE_LEVEL(entries[i].eax) > last_level)
			last_level = CACHE_LEVEL(entries[i].eax);
	for (uint32_t i = 0; i < nent; i++)
		if (entries[i].function == function)
			fix_cache_leaf(&entries[i], n, last_level, intel);
}

/* Extended topology (0xB, 0x1F): SMT level, core level, then invalid. */
static void fix_topology_leaf(struct kvm_cpuid_entry2 *e, uint32_t apic_id,
			      uint32_t n)
{
	e->edx = apic_id;
	if (e->index == 0) {
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (TOPO_LEVEL_SMT << 8) | 0;
	} else if (e->index == 1) {
		e->eax = order_of(n);
		e->ebx = n;
		e->ecx = (TOPO_LEVEL_CORE << 8) | 1;
	} else {
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index & 0xffu;
	}
}

static bool vendor_is_intel(struct kvm_cpuid_entry2 *entries, uint32_t nent)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(entries, nent, 0, 0);

	/* "GenuineIntel": EBX "Genu", EDX "ineI", ECX "ntel" */
	return e && e->ebx == 0x756e6547 && e->edx == 0x49656e69 &&
	       e->ecx == 0x6c65746e;
}

static void fix_amd_leaves(struct kvm_cpuid_entry2 *entries, uint32_t nent,
			   uint32_t apic_id, uint32_t n)
{
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find(entries, nent, 0x80000008, 0);
	if (e)
		e->ecx = (e->ecx & ~0xf0ffu) | (order_of(n) << 12) | (n - 1);
	e = cpuid_find(entries, nent, 0x8000001e, 0);
	if (e) {
		e->eax = apic_id;
		e->ebx = apic_id & 0xffu; /* core id; 1 thread per core */
		e->ecx = 0;		  /* node 0, 1 node per package */
	}
}

static int add_kvm_signature(struct kvm_cpuid_entry2 *entries, uint32_t *nent,
			     uint32_t max, struct krun_err **err)
{
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find(entries, *nent, CPUID_KVM_SIGNATURE_LEAF, 0);
	if (!e) {
		if (*nent >= max)
			return krun_err_set(
				err, ENOSPC,
				"CPUID: no room for the KVM signature leaf");
		e = &entries[(*nent)++];
		*e = (struct kvm_cpuid_entry2){
			.function = CPUID_KVM_SIGNATURE_LEAF,
			.eax = CPUID_KVM_SIGNATURE_LEAF,
		};
	}
	e->ebx = 0x4b4d564b; /* "KVMK" */
	e->ecx = 0x564b4d56; /* "VMKV" */
	e->edx = 0x0000004d; /* "M\0\0\0" */
	return 0;
}

int cpuid_filter(struct kvm_cpuid_entry2 *entries, uint32_t *nent, uint32_t max,
		 uint32_t apic_id, uint32_t nr_vcpus, struct krun_err **err)
{
	bool intel = vendor_is_intel(entries, *nent);

	if (nr_vcpus == 0 || apic_id >= nr_vcpus)
		return krun_err_set(err, EINVAL,
				    "CPUID: APIC id %u out of %u vCPUs",
				    apic_id, nr_vcpus);
	for (uint32_t i = 0; i < *nent; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		switch (e->function) {
		case 0x1:
			fix_leaf1(e, apic_id, nr_vcpus);
			break;
		case 0x5: /* MONITOR/MWAIT parameters */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			fix_topology_leaf(e, apic_id, nr_vcpus);
			break;
		default:
			break;
		}
	}
	fix_cache_leaves(entries, *nent, 0x4, nr_vcpus, true);
	fix_cache_leaves(entries, *nent, 0x8000001d, nr_vcpus, false);
	if (!intel)
		fix_amd_leaves(entries, *nent, apic_id, nr_vcpus);
	return add_kvm_signature(entries, nent, max, err);
}

#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_EXT1_ECX_SVM (1u << 2)

void cpuid_set_nested(struct kvm_cpuid_entry2 *entries, uint32_t nent, bool on)
{
	struct kvm_cpuid_entry2 *e;

	if (on)
		return;
	e = cpuid_find(entries, nent, 1, 0);
	if (e)
		e->ecx &= ~CPUID_1_ECX_VMX;
	e = cpuid_find(entries, nent, 0x80000001, 0);
	if (e)
		e->ecx &= ~CPUID_EXT1_ECX_SVM;
}

void cpuid_set_tsc_deadline(struct kvm_cpuid_entry2 *entries, uint32_t nent)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(entries, nent, 1, 0);

	if (e)
		e->ecx |= CPUID_LEAF1_ECX_TSC_DEADLINE;
}
