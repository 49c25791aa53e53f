// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpio_tool.h"
#include "tests/unit/test_skip.h"
#include "lib/initramfs/cpio.h"

static const unsigned char odd_data[] = {'a', 0, 'b', 0xff, 'c'}; /* 5 */

static void build(void **buf, size_t *len)
{
	struct cpio_writer w;
	struct krun_err *err = NULL;

	cpio_init(&w);
	assert_int_equal(cpio_add_dir(&w, "d", 0755, &err), 0);
	assert_int_equal(cpio_add_file(&w, "d/odd", 0644, odd_data,
				       sizeof(odd_data), &err),
			 0);
	assert_int_equal(cpio_add_file(&w, "empty", 0600, NULL, 0, &err), 0);
	assert_int_equal(cpio_add_chardev(&w, "console", 0600, 5, 1, &err), 0);
	assert_int_equal(cpio_finish(&w, buf, len, &err), 0);
	cpio_release(&w);
	assert_null(err);
}

static void layout_is_newc_and_aligned(void **state)
{
	void *buf = NULL;
	size_t len = 0;

	build(&buf, &len);
	assert_true(len > 110);
	assert_int_equal(len % 4, 0);
	assert_memory_equal(buf, "070701", 6);
	/* First member: ino 1, a directory 0755; 110 + "d\0" is aligned. */
	assert_memory_equal((char *)buf + 6, "00000001000041ED", 16);
	assert_memory_equal((char *)buf + 110,
			    "d\0"
			    "070701",
			    8);
	/* Second: "d/odd\0" ends at 228, padded to 228; 5 data bytes + 3. */
	assert_memory_equal((char *)buf + 222, "d/odd\0", 6);
	assert_memory_equal((char *)buf + 228, odd_data, sizeof(odd_data));
	assert_memory_equal((char *)buf + 233,
			    "\0\0\0"
			    "070701",
			    9);
	assert_non_null(memmem(buf, len, "TRAILER!!!", 11));
	free(buf);
}

static void gnu_cpio_reads_it_back(void **state)
{
	char listing[4096], data[64];
	void *buf = NULL;
	size_t len = 0;
	char *path;
	const char *line;

	REQUIRE_TOOL("cpio --version", "GNU cpio");
	build(&buf, &len);
	path = cpio_tool_write_temp(buf, len);
	assert_non_null(path);
	assert_int_equal(cpio_tool_list(path, listing, sizeof(listing)), 0);
	line = cpio_tool_line(listing, "d");
	assert_non_null(line);
	assert_memory_equal(line, "drwxr-xr-x", 10);
	line = cpio_tool_line(listing, "d/odd");
	assert_non_null(line);
	assert_memory_equal(line, "-rw-r--r--", 10);
	line = cpio_tool_line(listing, "console");
	assert_non_null(line);
	assert_memory_equal(line, "crw-------", 10);
	assert_non_null(cpio_tool_line(listing, "empty"));
	assert_int_equal(cpio_tool_extract(path, "d/odd", data, sizeof(data)),
			 sizeof(odd_data));
	assert_memory_equal(data, odd_data, sizeof(odd_data));
	assert_int_equal(cpio_tool_extract(path, "empty", data, sizeof(data)),
			 0);
	unlink(path);
	free(path);
	free(buf);
}

static void bad_names_are_refused(void **state)
{
	struct cpio_writer w;
	struct krun_err *err = NULL;

	cpio_init(&w);
	assert_int_equal(cpio_add_dir(&w, "/abs", 0755, &err), -EINVAL);
	assert_non_null(strstr(krun_err_msg(err), "`/abs`"));
	krun_err_free(&err);
	assert_int_equal(cpio_add_file(&w, "", 0644, NULL, 0, &err), -EINVAL);
	krun_err_free(&err);
	cpio_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_is_newc_and_aligned),
		cmocka_unit_test(gnu_cpio_reads_it_back),
		cmocka_unit_test(bad_names_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
