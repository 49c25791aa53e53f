// SPDX-License-Identifier: Apache-2.0
#include "util/text_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int too_big(const char *path, size_t max, struct krun_err **err)
{
	return krun_err_set(err, EFBIG, "%s: larger than %zu bytes", path, max);
}

/* Grow buf so that it holds at least one more byte than len. */
static int grow(char **buf, size_t *cap, size_t len, size_t max,
		const char *path, struct krun_err **err)
{
	char *grown;

	if (len < *cap)
		return 0;
	if (*cap > max)
		return too_big(path, max, err);
	*cap = *cap ? *cap * 2 : 16384;
	grown = realloc(*buf, *cap + 1);
	if (!grown)
		return krun_err_set(err, ENOMEM, "cannot read `%s`", path);
	*buf = grown;
	return 0;
}

/* Read until EOF, at most max + 1 bytes kept. */
static int read_all(int fd, const char *path, size_t max, char **out,
		    size_t *out_len, struct krun_err **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	for (;;) {
		ssize_t n;

		ret = grow(&buf, &cap, len, max, path, err);
		if (ret < 0)
			return ret;
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return krun_err_set_errno(err, errno,
						  "cannot read `%s`", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		return too_big(path, max, err);
	buf[len] = '\0';
	*out_len = len;
	*out = steal_ptr(buf);
	return 0;
}

int text_file_read(const char *path, size_t max, char **out, size_t *out_len,
		   struct krun_err **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int ret;

	if (fd < 0 || fstat(fd, &st) < 0)
		return krun_err_set_errno(err, errno, "cannot read `%s`", path);
	if (S_ISDIR(st.st_mode))
		return krun_err_set(err, EISDIR,
				    "cannot read `%s`: is a directory", path);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return too_big(path, max, err);
	ret = read_all(fd, path, max, &buf, &len, err);
	if (ret < 0)
		return ret;
	if (memchr(buf, '\0', len))
		return krun_err_set(err, EINVAL, "%s: contains a NUL byte",
				    path);
	*out_len = len;
	*out = steal_ptr(buf);
	return 0;
}
