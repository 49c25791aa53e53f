// SPDX-License-Identifier: Apache-2.0
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/x86/elf_loader.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x200000ull
#define MIN_GPA RAM_BASE

struct fixture {
	struct guest_mem gm;
	uint8_t *ram;
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[2];
		uint8_t payload[64];
	} f;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	Elf64_Ehdr *eh = &fx->f.eh;

	fx->ram = malloc(RAM_SIZE);
	memset(fx->ram, 0xaa, RAM_SIZE);
	assert_int_equal(
		gm_add_region(&fx->gm, RAM_BASE, RAM_SIZE, fx->ram, NULL), 0);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = offsetof(__typeof__(fx->f), ph);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	eh->e_entry = RAM_BASE + 0x1000;
	fx->f.ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD,
		.p_offset = offsetof(__typeof__(fx->f), payload),
		.p_paddr = RAM_BASE + 0x1000,
		.p_filesz = sizeof(fx->f.payload),
		.p_memsz = 0x2000, /* the rest is bss */
	};
	fx->f.ph[1] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = 1u << 30};
	memset(fx->f.payload, 0x5a, sizeof(fx->f.payload));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	free(fx->ram);
	free(fx);
	return 0;
}

static int load(struct fixture *fx, size_t len, struct elf_image *img)
{
	struct krun_err *err = NULL;
	int ret = elf_load(&fx->gm, &fx->f, len, MIN_GPA, img, &err);

	if (ret < 0)
		assert_non_null(strstr(err->msg, "kernel"));
	krun_err_free(&err);
	return ret;
}

static void loads_segment_and_zeroes_bss(void **state)
{
	struct fixture *fx = *state;
	struct elf_image img;

	assert_int_equal(load(fx, sizeof(fx->f), &img), 0);
	assert_int_equal(img.entry, RAM_BASE + 0x1000);
	assert_int_equal(img.start, RAM_BASE + 0x1000);
	assert_int_equal(img.end, RAM_BASE + 0x3000);
	assert_int_equal(fx->ram[0x1000], 0x5a);
	assert_int_equal(fx->ram[0x1000 + 63], 0x5a);
	assert_int_equal(fx->ram[0x1000 + 64], 0);
	assert_int_equal(fx->ram[0x2fff], 0);
	assert_int_equal(fx->ram[0x3000], 0xaa); /* untouched */
}

static void rejects_truncated_files(void **state)
{
	struct fixture *fx = *state;
	struct elf_image img;

	assert_int_equal(load(fx, 0, &img), -ENOEXEC);
	assert_int_equal(load(fx, sizeof(Elf64_Ehdr) - 1, &img), -ENOEXEC);
	/* Program headers cut off. */
	assert_int_equal(load(fx, sizeof(Elf64_Ehdr) + 10, &img), -ENOEXEC);
	/* Segment data cut off. */
	assert_int_equal(load(fx, sizeof(fx->f) - 1, &img), -ENOEXEC);
}

static void rejects_wrong_kind_of_elf(void **state)
{
	struct fixture *fx = *state;
	struct elf_image img;

	fx->f.eh.e_ident[EI_MAG1] = 'X';
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	fx->f.eh.e_ident[EI_MAG1] = 'E';
	fx->f.eh.e_ident[EI_CLASS] = ELFCLASS32;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	fx->f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	fx->f.eh.e_machine = EM_AARCH64;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	fx->f.eh.e_machine = EM_X86_64;
	fx->f.eh.e_type = ET_DYN;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
}

static void rejects_bad_program_header_tables(void **state)
{
	struct fixture *fx = *state;
	struct elf_image img;

	fx->f.eh.e_phentsize = 32;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	fx->f.eh.e_phentsize = sizeof(Elf64_Phdr);
	fx->f.eh.e_phnum = 0;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	fx->f.eh.e_phnum = 0xffff;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	fx->f.eh.e_phnum = 2;
	fx->f.eh.e_phoff = UINT64_MAX - 8; /* offset + size overflows */
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
}

static void rejects_bad_segments(void **state)
{
	struct fixture *fx = *state;
	Elf64_Phdr *ph = &fx->f.ph[0];
	Elf64_Phdr good = *ph;
	struct elf_image img;

	ph->p_filesz = ph->p_memsz + 1;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	*ph = good;
	ph->p_offset = UINT64_MAX - 4; /* offset + filesz overflows */
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
	*ph = good;
	ph->p_paddr = RAM_BASE + RAM_SIZE - 0x1000; /* runs past RAM */
	fx->f.eh.e_entry = ph->p_paddr;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOMEM);
	ph->p_paddr = UINT64_MAX - 0x10; /* paddr + memsz overflows */
	fx->f.eh.e_entry = ph->p_paddr;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOMEM);
	ph->p_paddr = 0x8000; /* below min_gpa (boot structures) */
	fx->f.eh.e_entry = ph->p_paddr;
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOMEM);
}

static void rejects_entry_outside_segments(void **state)
{
	struct fixture *fx = *state;
	struct elf_image img;

	fx->f.eh.e_entry = RAM_BASE + 0x3000; /* just past the segment */
	assert_int_equal(load(fx, sizeof(fx->f), &img), -ENOEXEC);
}

static void file_errors_name_the_file(void **state)
{
	struct fixture *fx = *state;
	struct krun_err *err = NULL;
	struct elf_image img;

	assert_int_equal(elf_load_file(&fx->gm, "/nonexistent/vmlinux", MIN_GPA,
				       &img, &err),
			 -ENOENT);
	assert_non_null(strstr(err->msg, "`/nonexistent/vmlinux`"));
	krun_err_free(&err);
	assert_int_equal(elf_load_file(&fx->gm, "/", MIN_GPA, &img, &err),
			 -ENOEXEC);
	krun_err_free(&err);
	assert_int_equal(
		elf_load_file(&fx->gm, "/proc/self/exe", MIN_GPA, &img, &err),
		-ENOEXEC); /* a PIE test binary is ET_DYN */
	assert_non_null(strstr(err->msg, "/proc/self/exe"));
	krun_err_free(&err);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(loads_segment_and_zeroes_bss),
		T(rejects_truncated_files),
		T(rejects_wrong_kind_of_elf),
		T(rejects_bad_program_header_tables),
		T(rejects_bad_segments),
		T(rejects_entry_outside_segments),
		T(file_errors_name_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
