// SPDX-License-Identifier: Apache-2.0
/*
 * The allow-lists in lib/vmm/seccomp_policy.c against the table in
 * docs/seccomp.md (argv[1]): one row per role between the
 * "seccomp-allow-lists" markers, `| role | calls | ioctl requests |`,
 * names separated by spaces, sorted. A row missing, extra or different
 * fails and prints the row the code implies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/vmm/seccomp_policy.h"

#define MAX_ROWS 32
#define ROW_LEN 2048

static const char *doc_path;
static char rows[MAX_ROWS][ROW_LEN];
static size_t n_rows;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "| role | a b c | X Y |" from the code, names sorted. */
static void expected_row(const struct seccomp_role *r, char *out, size_t cap)
{
	const char *names[256];
	size_t n = 0, len;

	for (const char *const *s = r->syscalls; *s && n < 256; s++)
		names[n++] = *s;
	qsort(names, n, sizeof(names[0]), cmp_str);
	len = (size_t)snprintf(out, cap, "| %s |", r->name);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, cap - len, " %s", names[i]);
	len += (size_t)snprintf(out + len, cap - len, " |");
	n = 0;
	for (const struct seccomp_ioctl *io = r->ioctls; io->name && n < 256;
	     io++)
		names[n++] = io->name;
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, cap - len, " %s", names[i]);
	snprintf(out + len, cap - len, n ? " |" : " - |");
}

static int read_rows(void **state)
{
	char line[ROW_LEN];
	bool in = false;
	FILE *f = fopen(doc_path, "r");

	(void)state;
	if (!f) {
		fprintf(stderr, "cannot open %s\n", doc_path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strstr(line, "<!-- seccomp-allow-lists begin"))
			in = true;
		else if (strstr(line, "<!-- seccomp-allow-lists end"))
			in = false;
		else if (in && line[0] == '|' && strncmp(line, "| role", 6) &&
			 strncmp(line, "|---", 4) && n_rows < MAX_ROWS)
			strcpy(rows[n_rows++], line);
	}
	fclose(f);
	return 0;
}

static void every_role_matches_its_row(void **state)
{
	size_t n;
	const struct seccomp_role *roles = seccomp_policy_roles(&n);
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		char want[ROW_LEN];
		bool found = false;

		expected_row(&roles[i], want, sizeof(want));
		for (size_t j = 0; j < n_rows; j++)
			found |= strcmp(rows[j], want) == 0;
		if (!found) {
			fprintf(stderr,
				"%s: no row matches role `%s`; the code "
				"says:\n%s\n",
				doc_path, roles[i].name, want);
			bad++;
		}
	}
	if (n_rows != n) {
		fprintf(stderr, "%s: %zu rows for %zu roles\n", doc_path,
			n_rows, n);
		bad++;
	}
	assert_int_equal(bad, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_role_matches_its_row),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s docs/seccomp.md\n", argv[0]);
		return 2;
	}
	doc_path = argv[1];
	return cmocka_run_group_tests(tests, read_rows, NULL);
}
