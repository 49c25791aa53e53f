// SPDX-License-Identifier: Apache-2.0
/*
 * Direct boot of an ELF vmlinux through the 64-bit boot protocol
 * (Documentation/x86/boot.rst, "64-bit Boot Protocol"): the boot CPU
 * starts in long mode at the ELF entry (startup_64) with %rsi pointing at
 * the zero page, paging on with the low 1 GiB identity-mapped, and
 * __BOOT_CS (0x10) / __BOOT_DS (0x18) loaded from a flat GDT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/x86/boot_params.h"
#include "hw/x86/bzimage.h"
#include "hw/x86/elf_loader.h"
#include "hw/x86/layout.h"
#include "hw/x86/mptable.h"
#include "hw/x86/smbios.h"
#include "hw/kvm/vm_internal.h"

#define PTE_PRESENT_RW 0x3ull
#define PDE_2M_PAGE 0x80ull
#define PAGE_2M 0x200000ull
#define PT_ENTRIES 512

#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

#define BOOT_STACK 0x8ff0ull /* below the page tables, above the zero page */

enum { GDT_NULL, GDT_UNUSED, GDT_CODE, GDT_DATA, GDT_TSS, GDT_ENTRIES };

static struct kvm_segment segment_of(uint64_t e, unsigned int index)
{
	uint32_t limit = (uint32_t)((e & 0xffff) | (((e >> 48) & 0xf) << 16));
	bool g = (e >> 55) & 1;

	return (struct kvm_segment){
		.base = ((e >> 16) & 0xffffff) | (((e >> 56) & 0xff) << 24),
		.limit = g ? (limit << 12) | 0xfff : limit,
		.selector = (uint16_t)(index * 8),
		.type = (e >> 40) & 0xf,
		.s = (e >> 44) & 1,
		.dpl = (e >> 45) & 3,
		.present = (e >> 47) & 1,
		.avl = (e >> 52) & 1,
		.l = (e >> 53) & 1,
		.db = (e >> 54) & 1,
		.g = g,
		.unusable = !((e >> 47) & 1),
	};
}

static const uint64_t boot_gdt[GDT_ENTRIES] = {
	[GDT_CODE] = 0x00af9b000000ffffull, /* 64-bit code, flat */
	[GDT_DATA] = 0x00cf93000000ffffull, /* data, flat */
	[GDT_TSS] = 0x00008b0000000fffull,  /* busy 64-bit TSS */
};

static void set_long_mode_sregs(struct kvm_sregs *s)
{
	struct kvm_segment data = segment_of(boot_gdt[GDT_DATA], GDT_DATA);

	s->gdt.base = LAYOUT_GDT;
	s->gdt.limit = sizeof(boot_gdt) - 1;
	s->idt.base = LAYOUT_IDT;
	s->idt.limit = 0;
	s->cs = segment_of(boot_gdt[GDT_CODE], GDT_CODE);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = segment_of(boot_gdt[GDT_TSS], GDT_TSS);
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = LAYOUT_PML4;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

int vcpu_setup_boot(struct vcpu *vcpu, uint64_t entry, uint64_t zero_page,
		    struct krun_err **err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rflags = 0x2,
		.rip = entry,
		.rsp = BOOT_STACK,
		.rbp = BOOT_STACK,
		.rsi = zero_page,
	};

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return krun_err_set_errno(err, errno, "KVM_GET_SREGS");
	set_long_mode_sregs(&sregs);
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return krun_err_set_errno(err, errno, "KVM_SET_SREGS");
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return krun_err_set_errno(err, errno, "KVM_SET_REGS");
	return 0;
}

/* Identity map of the low 1 GiB with 2 MiB pages, plus the boot GDT. */
static int write_page_tables(const struct guest_mem *gm, struct krun_err **err)
{
	uint64_t pml4 = LAYOUT_PDPT | PTE_PRESENT_RW;
	uint64_t pdpt = LAYOUT_PD | PTE_PRESENT_RW;
	uint64_t pd[PT_ENTRIES];

	for (uint64_t i = 0; i < PT_ENTRIES; i++)
		pd[i] = (i * PAGE_2M) | PDE_2M_PAGE | PTE_PRESENT_RW;
	if (gm_write(gm, LAYOUT_PML4, &pml4, sizeof(pml4)) ||
	    gm_write(gm, LAYOUT_PDPT, &pdpt, sizeof(pdpt)) ||
	    gm_write(gm, LAYOUT_PD, pd, sizeof(pd)) ||
	    gm_write(gm, LAYOUT_GDT, boot_gdt, sizeof(boot_gdt)))
		return krun_err_set(err, EFAULT,
				    "write boot page tables to guest RAM");
	return 0;
}

static int write_cmdline(struct vm *vm, const char *cmdline, uint32_t *len,
			 struct krun_err **err)
{
	char buf[BP_CMDLINE_MAX];
	int n = snprintf(
		buf, sizeof(buf), "%s%sreboot=k panic=-1 i8042.noaux %s",
		cmdline ? cmdline : "", cmdline && *cmdline ? " " : "",
		vm->opts.serial_console ? "console=ttyS0" : "8250.nr_uarts=0");

	if (n < 0 || (size_t)n >= sizeof(buf))
		return krun_err_set(
			err, E2BIG,
			"kernel command line too long (%d bytes, at most %d)",
			n, BP_CMDLINE_MAX - 1);
	*len = (uint32_t)n + 1;
	if (gm_write(&vm->mem, LAYOUT_CMDLINE, buf, *len))
		return krun_err_set(err, EFAULT, "write kernel command line");
	return 0;
}

/* The initrd goes page-aligned to the top of RAM below the MMIO gap. */
static int place_initrd(struct vm *vm, const struct elf_image *img,
			const void *initrd, size_t len, uint64_t *gpa,
			struct krun_err **err)
{
	uint64_t low_end = bp_low_ram_end(vm->opts.ram_bytes);

	*gpa = 0;
	if (len == 0)
		return 0;
	if (len > low_end || ((low_end - len) & ~0xfffull) < img->end)
		return krun_err_set(
			err, ENOMEM,
			"initrd of %zu bytes does not fit in guest RAM above the kernel (%llu MiB RAM)",
			len, (unsigned long long)(vm->opts.ram_bytes >> 20));
	*gpa = (low_end - len) & ~0xfffull;
	gm_prefault(&vm->mem, *gpa, len);
	if (gm_write(&vm->mem, *gpa, initrd, len))
		return krun_err_set(err, EFAULT, "write initrd to guest RAM");
	return 0;
}

/* zp: zeroed, or holding a bzImage's setup header (bz set). */
static int write_boot_tables(struct vm *vm, const struct bp_setup *setup,
			     struct boot_params_page *zp_in,
			     const struct bzimage_info *bz,
			     struct krun_err **err)
{
	struct boot_params_page zp = *zp_in;
	uint64_t mp_room = LAYOUT_SMBIOS - LAYOUT_MPTABLE;
	uint64_t smbios_room = LAYOUT_HIMEM_START - LAYOUT_SMBIOS;
	uint8_t *mp = gm_slice(&vm->mem, LAYOUT_MPTABLE, mp_room);
	uint8_t *smbios = gm_slice(&vm->mem, LAYOUT_SMBIOS, smbios_room);
	size_t smbios_len;
	int ret;

	ret = bp_build(&zp, setup, err);
	if (ret < 0)
		return ret;
	if (bz) { /* the kernel's own values, not the ELF defaults */
		zp.version = bz->version;
		zp.kernel_alignment = bz->kernel_alignment;
	}
	if (gm_write(&vm->mem, LAYOUT_ZERO_PAGE, &zp, sizeof(zp)) || !mp ||
	    !smbios)
		return krun_err_set(err, EFAULT, "write boot tables");
	ret = mptable_build(mp, mp_room, LAYOUT_MPTABLE, vm->opts.vcpus, err);
	if (ret == 0)
		ret = smbios_build(smbios, smbios_room, LAYOUT_SMBIOS,
				   vm->opts.oem_strings, &smbios_len, err);
	if (ret < 0)
		return ret;
	return write_page_tables(&vm->mem, err);
}

/* Map the file read-only; the caller munmaps *len bytes. */
static int map_file(const char *path, const uint8_t **data, size_t *len,
		    struct krun_err **err)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return krun_err_set_errno(err, errno, "open kernel `%s`", path);
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return krun_err_set(err, ENOEXEC, "kernel `%s` is empty", path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return krun_err_set_errno(err, errno, "map kernel `%s`", path);
	*data = p;
	*len = (size_t)st.st_size;
	return 0;
}

/* A kernel image in memory into guest RAM: a bzImage (its setup header
 * goes into *zp, *is_bz set) or an ELF vmlinux, told apart by magic. */
static int load_image(struct vm *vm, const uint8_t *data, size_t len,
		      struct elf_image *img, struct boot_params_page *zp,
		      struct bzimage_info *bz, bool *is_bz,
		      struct krun_err **err)
{
	int ret;

	*is_bz = bzimage_is(data, len);
	if (!*is_bz && (len < 4 || memcmp(data, "\x7f" "ELF", 4)))
		return krun_err_set(err, ENOEXEC,
				    "neither an ELF vmlinux nor a bzImage");
	if (!*is_bz)
		return elf_load(&vm->mem, data, len, LAYOUT_HIMEM_START, img,
				err);
	ret = bzimage_load(&vm->mem, data, len, LAYOUT_HIMEM_START, bz, err);
	if (ret < 0)
		return ret;
	bzimage_copy_header(zp, data, bz);
	img->entry = bz->entry;
	img->start = bz->load_gpa;
	img->end = bz->end;
	return 0;
}

/* Load the image, then everything after it: command line, initrd, boot
 * tables, the boot vCPU. */
static int load_and_boot(struct vm *vm, const uint8_t *data, size_t len,
			 const char *cmdline, const void *initrd,
			 size_t initrd_len, struct krun_err **err)
{
	struct bp_setup setup = {
		.ram_bytes = vm->opts.ram_bytes,
		.cmdline_gpa = LAYOUT_CMDLINE,
		.initrd_len = initrd_len,
	};
	struct boot_params_page zp;
	struct bzimage_info bz;
	struct elf_image img;
	bool is_bz = false;
	int ret;

	if (vm->kernel_loaded)
		return krun_err_set(err, EBUSY, "a kernel is already loaded");
	memset(&zp, 0, sizeof(zp));
	ret = load_image(vm, data, len, &img, &zp, &bz, &is_bz, err);
	if (!ret)
		ret = write_cmdline(vm, cmdline, &setup.cmdline_len, err);
	if (!ret)
		ret = place_initrd(vm, &img, initrd, initrd_len,
				   &setup.initrd_gpa, err);
	if (!ret)
		ret = write_boot_tables(vm, &setup, &zp, is_bz ? &bz : NULL,
					err);
	if (!ret)
		ret = vcpu_setup_boot(&vm->vcpus[0], img.entry,
				      LAYOUT_ZERO_PAGE, err);
	if (ret < 0)
		return ret;
	vm->kernel_loaded = true;
	vm->times.loaded = vm_clock_ns();
	return 0;
}

int vm_load_kernel(struct vm *vm, const char *kernel_path, const char *cmdline,
		   const void *initrd, size_t initrd_len, struct krun_err **err)
{
	const uint8_t *data = NULL;
	size_t len = 0;
	int ret = map_file(kernel_path, &data, &len, err);

	if (ret < 0)
		return ret;
	ret = load_and_boot(vm, data, len, cmdline, initrd, initrd_len, err);
	munmap((void *)data, len);
	return ret < 0 ? krun_err_wrap(err, "kernel `%s`", kernel_path) : 0;
}

int vm_load_kernel_image(struct vm *vm, const void *image, size_t image_len,
			 const char *name, const char *cmdline,
			 const void *initrd, size_t initrd_len,
			 struct krun_err **err)
{
	int ret = load_and_boot(vm, image, image_len, cmdline, initrd,
				initrd_len, err);

	return ret < 0 ? krun_err_wrap(err, "kernel `%s`", name) : 0;
}
