// SPDX-License-Identifier: Apache-2.0
#include "hw/x86/elf_loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* A vmlinux has a handful of program headers; refuse absurd counts. */
#define ELF_MAX_PHDRS 64

static int check_ehdr(const Elf64_Ehdr *eh, size_t len, struct krun_err **err)
{
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return krun_err_set(err, ENOEXEC, "kernel: not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return krun_err_set(
			err, ENOEXEC,
			"kernel: not a little-endian ELF64 x86_64 file");
	if (eh->e_type != ET_EXEC)
		return krun_err_set(
			err, ENOEXEC,
			"kernel: ELF type %u is not an executable (vmlinux)",
			eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_MAX_PHDRS)
		return krun_err_set(
			err, ENOEXEC,
			"kernel: bad ELF program header table (%u entries of %u bytes)",
			eh->e_phnum, eh->e_phentsize);
	if (eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return krun_err_set(
			err, ENOEXEC,
			"kernel: ELF program headers lie outside the file");
	return 0;
}

/*
 * The segment's bytes in the (mapped) kernel file, read in with one system
 * call rather than a page fault per page (slow under nested
 * virtualization); best effort, as gm_prefault().
 */
static void prefault_source(const uint8_t *src, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)src & ~(page - 1);
	uintptr_t end = ((uintptr_t)src + len + page - 1) & ~(page - 1);

	if (len)
		(void)madvise((void *)start, end - start, MADV_POPULATE_READ);
}

static int load_segment(const struct guest_mem *gm, const uint8_t *image,
			size_t len, const Elf64_Phdr *ph, uint64_t min_gpa,
			struct krun_err **err)
{
	uint8_t *dst;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > len ||
	    ph->p_filesz > len - ph->p_offset)
		return krun_err_set(
			err, ENOEXEC,
			"kernel: ELF segment at file offset 0x%llx lies outside the file",
			(unsigned long long)ph->p_offset);
	if (ph->p_memsz == 0)
		return 0;
	dst = ph->p_paddr >= min_gpa ? gm_slice(gm, ph->p_paddr, ph->p_memsz)
				     : NULL;
	if (!dst)
		return krun_err_set(
			err, ENOMEM,
			"kernel: ELF segment at 0x%llx (%llu bytes) does not fit in guest RAM",
			(unsigned long long)ph->p_paddr,
			(unsigned long long)ph->p_memsz);
	gm_prefault(gm, ph->p_paddr, ph->p_memsz);
	prefault_source(image + ph->p_offset, ph->p_filesz);
	memcpy(dst, image + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

static bool entry_in(const Elf64_Phdr *ph, uint64_t entry)
{
	return entry >= ph->p_paddr && entry - ph->p_paddr < ph->p_memsz;
}

int elf_load(const struct guest_mem *gm, const void *image, size_t len,
	     uint64_t min_gpa, struct elf_image *out, struct krun_err **err)
{
	const Elf64_Ehdr *eh = image;
	struct elf_image img = {.start = UINT64_MAX};
	bool entry_ok = false;
	int ret;

	ret = check_ehdr(eh, len, err);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph,
		       (const uint8_t *)image + eh->e_phoff +
			       i * sizeof(Elf64_Phdr),
		       sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		ret = load_segment(gm, image, len, &ph, min_gpa, err);
		if (ret < 0)
			return ret;
		if (ph.p_memsz == 0)
			continue;
		entry_ok = entry_ok || entry_in(&ph, eh->e_entry);
		if (ph.p_paddr < img.start)
			img.start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > img.end)
			img.end = ph.p_paddr + ph.p_memsz;
	}
	if (!entry_ok)
		return krun_err_set(
			err, ENOEXEC,
			"kernel: ELF entry point 0x%llx is not inside a loaded segment",
			(unsigned long long)eh->e_entry);
	img.entry = eh->e_entry;
	*out = img;
	return 0;
}

int elf_load_file(const struct guest_mem *gm, const char *path,
		  uint64_t min_gpa, struct elf_image *out,
		  struct krun_err **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *map;
	int ret;

	if (fd < 0)
		return krun_err_set_errno(err, errno, "open kernel `%s`", path);
	if (fstat(fd, &st) < 0)
		return krun_err_set_errno(err, errno, "stat kernel `%s`", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return krun_err_set(
			err, ENOEXEC,
			"kernel `%s` is not a non-empty regular file", path);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return krun_err_set_errno(err, errno, "map kernel `%s`", path);
	ret = elf_load(gm, map, (size_t)st.st_size, min_gpa, out, err);
	munmap(map, (size_t)st.st_size);
	if (ret < 0)
		return krun_err_wrap(err, "load kernel `%s`", path);
	return 0;
}
