// SPDX-License-Identifier: Apache-2.0
/*
 * bzImage parsing and loading (hw/x86/bzimage.h). Offsets are those of
 * struct setup_header inside struct boot_params.
 */
#include "hw/x86/bzimage.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#define OFF_SETUP_SECTS 0x1f1
#define OFF_SYSSIZE 0x1f4
#define OFF_BOOT_FLAG 0x1fe
#define OFF_JUMP 0x200 /* a short jump over the header: 0xeb, length */
#define OFF_HEADER 0x202
#define OFF_VERSION 0x206
#define OFF_LOADFLAGS 0x211
#define OFF_KERNEL_ALIGNMENT 0x230
#define OFF_RELOCATABLE 0x234
#define OFF_XLOADFLAGS 0x236
#define OFF_PREF_ADDRESS 0x258
#define OFF_INIT_SIZE 0x260
#define HDR_MIN_END 0x264 /* through init_size */
#define HDR_MAX_END 0x290 /* where the e820 area's neighbours begin */

#define LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x01
#define ENTRY_64_OFFSET 0x200
#define SECTOR 512

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

bool bzimage_is(const uint8_t *img, size_t len)
{
	return len >= OFF_HEADER + 4 && !memcmp(img + OFF_HEADER, "HdrS", 4);
}

static int check_magic(const uint8_t *img, size_t len, struct krun_err **err)
{
	if (!bzimage_is(img, len))
		return krun_err_set(err, ENOEXEC,
				    "not a bzImage: no `HdrS` magic at 0x202");
	if (len < HDR_MIN_END)
		return krun_err_set(
			err, ENOEXEC,
			"bzImage truncated: %zu bytes, the setup header needs %d",
			len, HDR_MIN_END);
	if (get_le(img + OFF_BOOT_FLAG, 2) != 0xaa55)
		return krun_err_set(err, ENOEXEC,
				    "bzImage: boot flag is not 0xAA55");
	return 0;
}

static int check_protocol(const uint8_t *img, struct bzimage_info *out,
			  struct krun_err **err)
{
	out->version = (uint16_t)get_le(img + OFF_VERSION, 2);
	if (out->version < BZIMAGE_MIN_VERSION)
		return krun_err_set(
			err, ENOTSUP,
			"bzImage: boot protocol %u.%02u is older than 2.12 (no 64-bit entry)",
			out->version >> 8, out->version & 0xff);
	if (!(img[OFF_LOADFLAGS] & LOADED_HIGH))
		return krun_err_set(err, ENOTSUP,
				    "bzImage: a zImage (not loaded high)");
	if (!(get_le(img + OFF_XLOADFLAGS, 2) & XLF_KERNEL_64))
		return krun_err_set(
			err, ENOTSUP,
			"bzImage: no 64-bit entry point (XLF_KERNEL_64 unset)");
	return 0;
}

static int check_layout(const uint8_t *img, size_t len,
			struct bzimage_info *out, struct krun_err **err)
{
	unsigned int sects = img[OFF_SETUP_SECTS] ? img[OFF_SETUP_SECTS] : 4;
	uint64_t syssize = get_le(img + OFF_SYSSIZE, 4) * 16;
	uint64_t init_size = get_le(img + OFF_INIT_SIZE, 4);

	out->hdr_end = OFF_HEADER + img[OFF_JUMP + 1];
	if (img[OFF_JUMP] != 0xeb || out->hdr_end < HDR_MIN_END ||
	    out->hdr_end > HDR_MAX_END)
		return krun_err_set(
			err, ENOEXEC,
			"bzImage: setup header length %u is invalid",
			img[OFF_JUMP + 1]);
	out->pm_offset = (size_t)(sects + 1) * SECTOR;
	if (out->pm_offset >= len || out->hdr_end > out->pm_offset)
		return krun_err_set(
			err, ENOEXEC,
			"bzImage truncated: %u setup sectors, the file has %zu bytes",
			sects, len);
	out->pm_len = len - out->pm_offset;
	if (syssize > out->pm_len)
		return krun_err_set(
			err, ENOEXEC,
			"bzImage truncated: syssize is %llu bytes, the file holds %zu after the setup",
			(unsigned long long)syssize, out->pm_len);
	out->load_gpa = get_le(img + OFF_PREF_ADDRESS, 8);
	if (out->load_gpa % 4096 || out->load_gpa > (1ull << 32) ||
	    init_size > (1ull << 30))
		return krun_err_set(
			err, ENOEXEC,
			"bzImage: load address 0x%llx or init size %llu is invalid",
			(unsigned long long)out->load_gpa,
			(unsigned long long)init_size);
	out->entry = out->load_gpa + ENTRY_64_OFFSET;
	out->end = out->load_gpa +
		   (init_size > out->pm_len ? init_size : out->pm_len);
	out->kernel_alignment = (uint32_t)get_le(img + OFF_KERNEL_ALIGNMENT, 4);
	return 0;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *out,
		  struct krun_err **err)
{
	int ret = check_magic(img, len, err);

	memset(out, 0, sizeof(*out));
	if (ret == 0)
		ret = check_protocol(img, out, err);
	if (ret == 0)
		ret = check_layout(img, len, out, err);
	return ret;
}

int bzimage_load(const struct guest_mem *gm, const uint8_t *img, size_t len,
		 uint64_t min_gpa, struct bzimage_info *out,
		 struct krun_err **err)
{
	int ret = bzimage_parse(img, len, out, err);

	if (ret < 0)
		return ret;
	if (out->load_gpa < min_gpa)
		return krun_err_set(
			err, ENOEXEC,
			"bzImage: load address 0x%llx is below 0x%llx",
			(unsigned long long)out->load_gpa,
			(unsigned long long)min_gpa);
	/* The decompressor works up to init_size past the load address. */
	if (!gm_slice(gm, out->load_gpa, out->end - out->load_gpa))
		return krun_err_set(
			err, ENOMEM,
			"bzImage needs guest RAM from 0x%llx to 0x%llx",
			(unsigned long long)out->load_gpa,
			(unsigned long long)out->end);
	gm_prefault(gm, out->load_gpa, out->pm_len);
	if (gm_write(gm, out->load_gpa, img + out->pm_offset, out->pm_len))
		return krun_err_set(err, EFAULT, "write bzImage to guest RAM");
	return 0;
}

void bzimage_copy_header(struct boot_params_page *zp, const uint8_t *img,
			 const struct bzimage_info *info)
{
	memcpy((uint8_t *)zp + OFF_SETUP_SECTS, img + OFF_SETUP_SECTS,
	       info->hdr_end - OFF_SETUP_SECTS);
}

int kernel_image_probe(const char *path, enum kernel_image_format *fmt,
		       struct krun_err **err)
{
	uint8_t head[OFF_HEADER + 4] = {0};
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return krun_err_set_errno(err, errno, "open kernel `%s`", path);
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return krun_err_set_errno(err, errno, "read kernel `%s`", path);
	if (n >= 4 && !memcmp(head,
			      "\x7f"
			      "ELF",
			      4)) {
		*fmt = KERNEL_IMAGE_ELF;
		return 0;
	}
	if (bzimage_is(head, (size_t)n)) {
		*fmt = KERNEL_IMAGE_BZIMAGE;
		return 0;
	}
	return krun_err_set(
		err, ENOEXEC,
		"kernel `%s` is neither an ELF vmlinux nor a bzImage", path);
}
