// SPDX-License-Identifier: Apache-2.0
/*
 * Standalone driver for builds without libFuzzer: feeds every file named
 * on the command line (directories: every regular file in them, sorted)
 * to LLVMFuzzerTestOneInput once. A harness check that fails aborts, so
 * the seed corpora are regression tests in every build.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f) {
		fprintf(stderr, "replay: open `%s`: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0 ||
	    !(buf = malloc((size_t)len ? (size_t)len : 1)) ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: read `%s` failed\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	printf("replay: %s (%ld bytes)\n", path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int keep_regular(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int run_dir(const char *dir, unsigned int *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, keep_regular, alphasort);
	int ret = 0;

	if (n < 0) {
		fprintf(stderr, "replay: scan `%s`: %s\n", dir,
			strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (ret == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			ret = run_file(path);
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		int ret;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: `%s`: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			ret = run_dir(argv[i], &count);
		} else {
			ret = run_file(argv[i]);
			count++;
		}
		if (ret < 0)
			return 1;
	}
	if (count == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	printf("replay: %u inputs, no finding\n", count);
	return 0;
}
