/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scope-based cleanup. Locals start as NULL / -1; ownership is handed out
 * with steal_ptr()/steal_fd(), so a function juggling many resources needs
 * no goto ladder.
 */
#ifndef KRUN_UTIL_CLEANUP_H
#define KRUN_UTIL_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static inline void cleanup_free_fn(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_close_fn(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cleanup_fclose_fn(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Free a NULL-terminated array of strings and the array itself. */
static inline void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static inline void cleanup_strv_fn(char ***v)
{
	strv_free(*v);
}

#define cleanup_free __attribute__((cleanup(cleanup_free_fn)))
#define cleanup_close __attribute__((cleanup(cleanup_close_fn)))
#define cleanup_file __attribute__((cleanup(cleanup_fclose_fn)))
#define cleanup_strv __attribute__((cleanup(cleanup_strv_fn)))

#define steal_ptr(p)                                                           \
	({                                                                     \
		__typeof__(p) steal_tmp_ = (p);                                \
		(p) = NULL;                                                    \
		steal_tmp_;                                                    \
	})

static inline int steal_fd(int *fd)
{
	int ret = *fd;

	*fd = -1;
	return ret;
}

#endif
