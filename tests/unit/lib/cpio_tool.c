// SPDX-License-Identifier: Apache-2.0
#include "cpio_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *cpio_tool_write_temp(const void *buf, size_t len)
{
	char *path = strdup("/tmp/krun-test-cpio.XXXXXX");
	int fd = path ? mkstemp(path) : -1;

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static int run_capture(const char *cmd, void *out, size_t size, size_t *got)
{
	FILE *p = popen(cmd, "r");
	int status;

	*got = 0;
	if (!p)
		return -1;
	*got = fread(out, 1, size, p);
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int cpio_tool_list(const char *archive, char *out, size_t size)
{
	char cmd[512];
	size_t got;
	int ret;

	snprintf(cmd, sizeof(cmd), "cpio -itv --quiet <'%s' 2>&1", archive);
	ret = run_capture(cmd, out, size - 1, &got);
	out[got] = '\0';
	return ret;
}

long cpio_tool_extract(const char *archive, const char *member, void *out,
		       size_t size)
{
	char cmd[512];
	size_t got;

	snprintf(cmd, sizeof(cmd),
		 "cpio -i --quiet --to-stdout '%s' <'%s' 2>/dev/null", member,
		 archive);
	if (run_capture(cmd, out, size, &got) != 0)
		return -1;
	return (long)got;
}

const char *cpio_tool_line(const char *listing, const char *member)
{
	size_t mlen = strlen(member);

	for (const char *line = listing; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > mlen && line[len - mlen - 1] == ' ' &&
		    memcmp(line + len - mlen, member, mlen) == 0)
			return line;
		line = end ? end + 1 : NULL;
	}
	return NULL;
}
