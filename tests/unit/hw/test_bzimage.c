// SPDX-License-Identifier: Apache-2.0
/*
 * bzImage loader: a well-formed fake image loads its protected-mode part at
 * pref_address and reports the 64-bit entry and the decompressor's range;
 * every malformed header (truncated, no magic, old protocol, no 64-bit
 * entry, zImage, setup or syssize past the end, bad load address, not
 * enough RAM) is refused with its own message and nothing written.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/x86/bzimage.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x100000ull
#define IMG_LEN 4096
#define SETUP_SECTS 2 /* protected-mode part at 3 * 512 */
#define PM_OFF 1536

struct fixture {
	struct guest_mem gm;
	uint8_t *ram;
	uint8_t img[IMG_LEN];
};

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void make_image(uint8_t *img)
{
	memset(img, 0, IMG_LEN);
	img[0x1f1] = SETUP_SECTS;
	put(img + 0x1f4, (IMG_LEN - PM_OFF) / 16, 4); /* syssize */
	put(img + 0x1fe, 0xaa55, 2);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a; /* header through 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put(img + 0x206, 0x020f, 2);
	img[0x211] = 0x01; /* LOADED_HIGH */
	put(img + 0x230, 0x200000, 4);
	put(img + 0x236, 0x01, 2); /* XLF_KERNEL_64 */
	put(img + 0x258, RAM_BASE, 8);
	put(img + 0x260, 0x8000, 4); /* init_size */
	for (size_t i = PM_OFF; i < IMG_LEN; i++)
		img[i] = (uint8_t)(i * 7);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->ram = malloc(RAM_SIZE);
	if (!fx->ram)
		return -1;
	memset(fx->ram, 0xaa, RAM_SIZE);
	if (gm_add_region(&fx->gm, RAM_BASE, RAM_SIZE, fx->ram, NULL) < 0)
		return -1;
	make_image(fx->img);
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

static void loads(void **state)
{
	struct fixture *fx = *state;
	struct krun_err *err = NULL;
	struct boot_params_page zp;
	struct bzimage_info info;

	assert_true(bzimage_is(fx->img, IMG_LEN));
	assert_int_equal(
		bzimage_load(&fx->gm, fx->img, IMG_LEN, RAM_BASE, &info, &err),
		0);
	assert_int_equal(info.load_gpa, RAM_BASE);
	assert_int_equal(info.entry, RAM_BASE + 0x200);
	assert_int_equal(info.pm_offset, PM_OFF);
	assert_int_equal(info.end, RAM_BASE + 0x8000); /* init_size */
	assert_int_equal(info.version, 0x020f);
	assert_memory_equal(fx->ram, fx->img + PM_OFF, IMG_LEN - PM_OFF);
	assert_int_equal(fx->ram[IMG_LEN - PM_OFF], 0xaa);

	memset(&zp, 0, sizeof(zp));
	bzimage_copy_header(&zp, fx->img, &info);
	assert_memory_equal((uint8_t *)&zp + 0x1f1, fx->img + 0x1f1,
			    0x26c - 0x1f1);
	assert_int_equal(((uint8_t *)&zp)[0x26c], 0);
	assert_int_equal(zp.e820_entries, 0);
}

struct bad_case {
	const char *name;
	size_t off;   /* byte to change, or 0 */
	uint64_t val; /* new value */
	int width;
	size_t len; /* image length (0: IMG_LEN) */
	int code;
	const char *msg;
};

static const struct bad_case bad[] = {
	{"no magic", 0x202, 0, 4, 0, ENOEXEC,
	 "not a bzImage: no `HdrS` magic at 0x202"},
	{"truncated header", 0, 0, 0, 0x240, ENOEXEC,
	 "bzImage truncated: 576 bytes, the setup header needs 612"},
	{"boot flag", 0x1fe, 0x1234, 2, 0, ENOEXEC,
	 "bzImage: boot flag is not 0xAA55"},
	{"old protocol", 0x206, 0x0208, 2, 0, ENOTSUP,
	 "bzImage: boot protocol 2.08 is older than 2.12 (no 64-bit entry)"},
	{"zImage", 0x211, 0, 1, 0, ENOTSUP,
	 "bzImage: a zImage (not loaded high)"},
	{"no 64-bit entry", 0x236, 0, 2, 0, ENOTSUP,
	 "bzImage: no 64-bit entry point (XLF_KERNEL_64 unset)"},
	{"header length", 0x201, 0x10, 1, 0, ENOEXEC,
	 "bzImage: setup header length 16 is invalid"},
	{"setup past end", 0x1f1, 20, 1, 0, ENOEXEC,
	 "bzImage truncated: 20 setup sectors, the file has 4096 bytes"},
	{"protected-mode part cut", 0, 0, 0, PM_OFF, ENOEXEC,
	 "bzImage truncated: 2 setup sectors, the file has 1536 bytes"},
	{"syssize past end", 0x1f4, 0x1000, 4, 0, ENOEXEC,
	 "bzImage truncated: syssize is 65536 bytes, the file holds 2560 after the setup"},
	{"unaligned load", 0x258, RAM_BASE + 1, 8, 0, ENOEXEC,
	 "bzImage: load address 0x100001 or init size 32768 is invalid"},
	{"load below min", 0x258, 0x1000, 8, 0, ENOEXEC,
	 "bzImage: load address 0x1000 is below 0x100000"},
	{"init_size past RAM", 0x260, RAM_SIZE + 0x1000, 4, 0, ENOMEM,
	 "bzImage needs guest RAM from 0x100000 to 0x201000"},
	{"load past RAM", 0x258, 0x40000000, 8, 0, ENOMEM,
	 "bzImage needs guest RAM from 0x40000000 to 0x40008000"},
};

static void malformed(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad_case *c = &bad[i];
		size_t len = c->len ? c->len : IMG_LEN;
		struct krun_err *err = NULL;
		struct bzimage_info info;

		make_image(fx->img);
		if (c->width)
			put(fx->img + c->off, c->val, c->width);
		memset(fx->ram, 0xaa, RAM_SIZE);
		if (bzimage_load(&fx->gm, fx->img, len, RAM_BASE, &info,
				 &err) != -c->code)
			fail_msg("%s: not refused with %d (%s)", c->name,
				 c->code, err ? krun_err_msg(err) : "no error");
		if (strcmp(krun_err_msg(err), c->msg))
			fail_msg("%s: message `%s`, want `%s`", c->name,
				 krun_err_msg(err), c->msg);
		krun_err_free(&err);
		for (size_t k = 0; k < RAM_SIZE; k++)
			if (fx->ram[k] != 0xaa)
				fail_msg("%s: guest RAM written", c->name);
	}
}

static void probe(void **state)
{
	struct fixture *fx = *state;
	char path[] = "/tmp/krun-bzimage-XXXXXX";
	enum kernel_image_format fmt;
	struct krun_err *err = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, fx->img, IMG_LEN), IMG_LEN);
	assert_int_equal(kernel_image_probe(path, &fmt, &err), 0);
	assert_int_equal(fmt, KERNEL_IMAGE_BZIMAGE);
	assert_int_equal(pwrite(fd,
				"\x7f"
				"ELF",
				4, 0),
			 4);
	assert_int_equal(kernel_image_probe(path, &fmt, &err), 0);
	assert_int_equal(fmt, KERNEL_IMAGE_ELF);
	assert_int_equal(pwrite(fd, "MZ\0\0", 4, 0), 4);
	assert_int_equal(pwrite(fd, "XXXX", 4, 0x202), 4);
	assert_int_equal(kernel_image_probe(path, &fmt, &err), -ENOEXEC);
	assert_non_null(strstr(krun_err_msg(err),
			       "is neither an ELF vmlinux nor a bzImage"));
	krun_err_free(&err);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(loads, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(probe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
