// SPDX-License-Identifier: Apache-2.0
/*
 * Placement of shared memory windows (vm_shm_place(), hw/kvm/vm_shm.c):
 * above RAM and 4 GiB, on 1 GiB boundaries, one after another, and never
 * past the guest's physical address width. And, on a real VM where
 * /dev/kvm opens (a paravirtual one is enough: no guest runs), the
 * mappings of a reserved window as KVM slots: inside the window,
 * page-aligned, not overlapping, at most VM_MAX_SHM_MAPS, reusable once
 * unmapped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "../test_skip.h"
#include "hw/kvm/vm.h"
#include "hw/x86/layout.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static uint64_t place(uint64_t ram, uint64_t next, uint64_t size,
		      unsigned int bits, int expect)
{
	struct krun_err *err = NULL;
	uint64_t gpa = 0;

	assert_int_equal(vm_shm_place(ram, next, size, bits, &gpa, &err),
			 expect);
	krun_err_free(&err);
	return gpa;
}

static void test_above_ram(void **state)
{
	(void)state;
	/* Small RAM: all below the gap, the window starts at 4 GiB. */
	assert_int_equal(place(512 * MiB, 0, 64 * MiB, 40, 0), 4 * GiB);
	/* RAM reaching 3 GiB exactly: still 4 GiB. */
	assert_int_equal(place(3 * GiB, 0, 2 * MiB, 40, 0), 4 * GiB);
	/* 4.5 GiB of RAM: 1.5 GiB above 4 GiB, end 5.5 GiB -> 6 GiB. */
	assert_int_equal(place(4 * GiB + 512 * MiB, 0, 2 * MiB, 40, 0),
			 6 * GiB);
	/* 5 GiB of RAM: high RAM ends at 6 GiB exactly. */
	assert_int_equal(place(5 * GiB, 0, 2 * MiB, 40, 0), 6 * GiB);
	/* The next window after one that ended at 4 GiB + 64 MiB. */
	assert_int_equal(place(512 * MiB, 4 * GiB + 64 * MiB, 2 * MiB, 40, 0),
			 5 * GiB);
	assert_int_equal(place(512 * MiB, 5 * GiB, 2 * MiB, 40, 0), 5 * GiB);
}

static void test_address_width(void **state)
{
	(void)state;
	/* 36 bits = 64 GiB: a 60 GiB window fits, a 61 GiB one does not. */
	assert_int_equal(place(512 * MiB, 0, 60 * GiB, 36, 0), 4 * GiB);
	place(512 * MiB, 0, 60 * GiB + 2 * MiB, 36, -ENOSPC);
	/* Placed past the limit, or the rounding would wrap. */
	place(512 * MiB, 64 * GiB, 2 * MiB, 36, -ENOSPC);
	place(512 * MiB, UINT64_MAX - 4095, 2 * MiB, 64, -ENOSPC);
	place(512 * MiB, 0, UINT64_MAX, 64, -ENOSPC);
	place(512 * MiB, 0, 0, 40, -ENOSPC);
	/* A nonsense width. */
	place(512 * MiB, 0, 2 * MiB, 20, -ENOSPC);
}

static int map(struct vm *vm, uint64_t gpa, void *host, uint64_t len)
{
	struct krun_err *err = NULL;
	int ret = vm_map_shm(vm, gpa, host, len, &err);

	krun_err_free(&err);
	return ret;
}

static void test_map_slots(void **state)
{
	struct vm_opts o = {.vcpus = 1,
			    .ram_bytes = 64 * MiB,
			    .allow_paravirt_kvm = true};
	struct krun_err *err = NULL;
	struct vm *vm = NULL;
	uint64_t win, win2;
	uint8_t *host;
	int fd;

	(void)state;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP_BECAUSE("/dev/kvm does not open here");
	close(fd);
	if (vm_create(&o, &vm, &err) < 0) {
		print_message("vm_create: %s\n", krun_err_msg(err));
		krun_err_free(&err);
		SKIP_BECAUSE("this host's KVM makes no VM");
	}
	host = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(host != MAP_FAILED);
	assert_int_equal(vm_reserve_shm(vm, 16 * MiB, &win, &err), 0);
	assert_int_equal(win, 4 * GiB);
	assert_int_equal(vm_reserve_shm(vm, 4 * MiB, &win2, &err), 0);
	assert_int_equal(win2, 5 * GiB);
	assert_int_equal(vm_reserve_shm(vm, 4097, &win2, &err), -EINVAL);
	krun_err_free(&err);

	assert_int_equal(map(vm, win, host, 64 * 1024), 0);
	/* overlapping, unaligned, outside every window, past its end */
	assert_int_equal(map(vm, win + 60 * 1024, host + 128 * 1024, 8192),
			 -EBUSY);
	assert_int_equal(map(vm, win + 100, host, 4096), -EINVAL);
	assert_int_equal(map(vm, win + 128 * 1024, host + 16, 4096), -EINVAL);
	assert_int_equal(map(vm, win + 128 * 1024, host, 100), -EINVAL);
	assert_int_equal(map(vm, 3 * GiB, host, 4096), -EINVAL);
	assert_int_equal(map(vm, win + 16 * MiB - 4096, host, 8192), -EINVAL);
	assert_int_equal(map(vm, win + 16 * MiB, host, 4096), -EINVAL);
	/* the second window takes mappings too; two windows are apart */
	assert_int_equal(map(vm, win2, host + 64 * 1024, 4096), 0);
	/* unmapped: gone, and the range is free again */
	assert_int_equal(vm_unmap_shm(vm, win), 0);
	assert_int_equal(vm_unmap_shm(vm, win), -ENOENT);
	assert_int_equal(map(vm, win + 60 * 1024, host, 8192), 0);
	assert_int_equal(vm_unmap_shm(vm, win + 60 * 1024), 0);
	/* at most VM_MAX_SHM_MAPS at once (one is in win2) */
	for (unsigned int i = 0; i < VM_MAX_SHM_MAPS - 1; i++)
		assert_int_equal(map(vm, win + i * 4096ull, host, 4096), 0);
	assert_int_equal(map(vm, win + 15 * MiB, host, 4096), -ENOSPC);
	assert_int_equal(vm_unmap_shm(vm, win + 7 * 4096), 0);
	assert_int_equal(map(vm, win + 15 * MiB, host, 4096), 0);
	munmap(host, 1 * MiB);
	vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_above_ram),
		cmocka_unit_test(test_address_width),
		cmocka_unit_test(test_map_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
