// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/x86/cpuid.h"

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX
#define MAX 32

/* Cache leaf EAX: type (1 data, 2 instr, 3 unified) and level. */
#define CACHE(type, level) ((type) | ((level) << 5) | (7u << 14) | (7u << 26))

static uint32_t fill(struct kvm_cpuid_entry2 *e, bool intel)
{
	uint32_t n = 0;

	memset(e, 0, MAX * sizeof(*e));
	e[n++] = (struct kvm_cpuid_entry2){
		.function = 0,
		.eax = 0x1f,
		.ebx = intel ? 0x756e6547 : 0x68747541,
		.edx = intel ? 0x49656e69 : 0x69746e65,
		.ecx = intel ? 0x6c65746e : 0x444d4163,
	};
	e[n++] = (struct kvm_cpuid_entry2){.function = 1,
					   .ebx = 0xff00ff08,
					   .ecx = 0x0000000f,
					   .edx = 0x10000000};
	for (uint32_t i = 0; i < 5; i++) {
		static const uint32_t caches[] = {CACHE(1, 1), CACHE(2, 1),
						  CACHE(3, 2), CACHE(3, 3), 0};
		uint32_t fn = intel ? 4 : 0x8000001d;

		e[n++] = (struct kvm_cpuid_entry2){.function = fn,
						   .index = i,
						   .flags = SIG,
						   .eax = caches[i]};
	}
	e[n++] = (struct kvm_cpuid_entry2){
		.function = 5, .eax = 64, .ebx = 64, .ecx = 3, .edx = 0x1120};
	for (uint32_t i = 0; i < 3; i++)
		e[n++] = (struct kvm_cpuid_entry2){.function = 0xb,
						   .index = i,
						   .flags = SIG,
						   .eax = 0xff,
						   .ebx = 0xff,
						   .ecx = 0xff,
						   .edx = 0xff};
	e[n++] = (struct kvm_cpuid_entry2){
		.function = 0x80000008, .eax = 0x3030, .ecx = 0xf0ff};
	e[n++] = (struct kvm_cpuid_entry2){
		.function = 0x8000001e, .eax = 99, .ebx = 0x1ff, .ecx = 0x701};
	return n;
}

static struct kvm_cpuid_entry2 *get(struct kvm_cpuid_entry2 *e, uint32_t n,
				    uint32_t fn, uint32_t idx)
{
	struct kvm_cpuid_entry2 *x = cpuid_find(e, n, fn, idx);

	assert_non_null(x);
	return x;
}

static void leaf1_topology_and_features(void **state)
{
	struct kvm_cpuid_entry2 e[MAX];
	uint32_t n = fill(e, true);
	struct kvm_cpuid_entry2 *l1;

	assert_int_equal(cpuid_filter(e, &n, MAX, 3, 4, NULL), 0);
	l1 = get(e, n, 1, 0);
	assert_int_equal(l1->ebx >> 24, 3);	     /* APIC id */
	assert_int_equal((l1->ebx >> 16) & 0xff, 4); /* logical count */
	assert_int_equal(l1->ebx & 0xffff, 0xff08);  /* CLFLUSH etc. kept */
	assert_true(l1->ecx & CPUID_LEAF1_ECX_HYPERVISOR);
	assert_false(l1->ecx & CPUID_LEAF1_ECX_MONITOR);
	assert_int_equal(l1->ecx & 0x7, 0x7); /* other features kept */
	assert_true(l1->edx & CPUID_LEAF1_EDX_HTT);

	n = fill(e, true);
	assert_int_equal(cpuid_filter(e, &n, MAX, 0, 1, NULL), 0);
	assert_false(get(e, n, 1, 0)->edx & CPUID_LEAF1_EDX_HTT);
}

static void monitor_leaf_cleared(void **state)
{
	struct kvm_cpuid_entry2 e[MAX];
	uint32_t n = fill(e, true);
	struct kvm_cpuid_entry2 *l5;

	assert_int_equal(cpuid_filter(e, &n, MAX, 0, 2, NULL), 0);
	l5 = get(e, n, 5, 0);
	assert_int_equal(l5->eax | l5->ebx | l5->ecx | l5->edx, 0);
}

static void intel_cache_and_extended_topology(void **state)
{
	struct kvm_cpuid_entry2 e[MAX];
	uint32_t n = fill(e, true);

	assert_int_equal(cpuid_filter(e, &n, MAX, 5, 6, NULL), 0);
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t eax = get(e, n, 4, i)->eax;
		uint32_t sharing = (eax >> 14) & 0xfff;

		assert_int_equal(eax >> 26, 5); /* 6 cores per package */
		assert_int_equal(sharing, i == 3 ? 5 : 0); /* L3 shared */
	}
	assert_int_equal(get(e, n, 4, 4)->eax, 0); /* terminator kept */
	assert_int_equal(get(e, n, 0xb, 0)->ebx, 1);
	assert_int_equal((get(e, n, 0xb, 0)->ecx >> 8) & 0xff, 1);
	assert_int_equal(get(e, n, 0xb, 1)->ebx, 6);
	assert_int_equal(get(e, n, 0xb, 1)->eax, 3); /* 6 ids need 3 bits */
	assert_int_equal((get(e, n, 0xb, 1)->ecx >> 8) & 0xff, 2);
	assert_int_equal((get(e, n, 0xb, 2)->ecx >> 8) & 0xff, 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(get(e, n, 0xb, i)->edx, 5);
}

static void amd_core_counts(void **state)
{
	struct kvm_cpuid_entry2 e[MAX];
	uint32_t n = fill(e, false);
	struct kvm_cpuid_entry2 *x;

	assert_int_equal(cpuid_filter(e, &n, MAX, 2, 4, NULL), 0);
	x = get(e, n, 0x80000008, 0);
	assert_int_equal(x->ecx & 0xff, 3);
	assert_int_equal((x->ecx >> 12) & 0xf, 2);
	x = get(e, n, 0x8000001e, 0);
	assert_int_equal(x->eax, 2);
	assert_int_equal(x->ebx, 2); /* core 2, one thread per core */
	assert_int_equal(x->ecx, 0);
	assert_int_equal((get(e, n, 0x8000001d, 3)->eax >> 14) & 0xfff, 3);
	assert_int_equal((get(e, n, 0x8000001d, 0)->eax >> 14) & 0xfff, 0);
}

static void kvm_signature_added_once(void **state)
{
	struct kvm_cpuid_entry2 e[MAX];
	uint32_t n = fill(e, true), before = n;
	struct kvm_cpuid_entry2 *sig;

	assert_int_equal(cpuid_filter(e, &n, MAX, 0, 1, NULL), 0);
	assert_int_equal(n, before + 1);
	sig = get(e, n, CPUID_KVM_SIGNATURE_LEAF, 0);
	assert_memory_equal(&sig->ebx, "KVMK", 4);
	assert_memory_equal(&sig->ecx, "VMKV", 4);
	assert_memory_equal(&sig->edx, "M\0\0\0", 4);
	assert_int_equal(cpuid_filter(e, &n, MAX, 0, 1, NULL), 0);
	assert_int_equal(n, before + 1);
}

static void tsc_deadline_on_leaf1_only(void **state)
{
	struct kvm_cpuid_entry2 e[MAX];
	uint32_t n = fill(e, true);
	struct kvm_cpuid_entry2 before[MAX];

	(void)state;
	memcpy(before, e, sizeof(e));
	cpuid_set_tsc_deadline(e, n);
	assert_int_equal(get(e, n, 1, 0)->ecx,
			 0x0000000f | CPUID_LEAF1_ECX_TSC_DEADLINE);
	get(e, n, 1, 0)->ecx = before[1].ecx;
	assert_memory_equal(e, before, sizeof(e)); /* nothing else changed */
	/* No leaf 1: nothing to mark, nothing written. */
	cpuid_set_tsc_deadline(e + 2, n - 2);
	assert_memory_equal(e, before, sizeof(e));
}

static void errors(void **state)
{
	struct kvm_cpuid_entry2 e[MAX];
	uint32_t n = fill(e, true);
	struct krun_err *err = NULL;

	assert_int_equal(cpuid_filter(e, &n, n, 0, 1, &err), -ENOSPC);
	krun_err_free(&err);
	n = fill(e, true);
	assert_int_equal(cpuid_filter(e, &n, MAX, 4, 4, NULL), -EINVAL);
	assert_int_equal(cpuid_filter(e, &n, MAX, 0, 0, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leaf1_topology_and_features),
		cmocka_unit_test(monitor_leaf_cleared),
		cmocka_unit_test(intel_cache_and_extended_topology),
		cmocka_unit_test(amd_core_counts),
		cmocka_unit_test(kvm_signature_added_once),
		cmocka_unit_test(tsc_deadline_on_leaf1_only),
		cmocka_unit_test(errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
