/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the config_*.c files only (not part of the context
 * model's contract). Each returns a negative errno with err set on failure
 * and leaves its outputs untouched then.
 */
#ifndef KRUN_LIB_CONFIG_INTERNAL_H
#define KRUN_LIB_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/config/config.h"
#include "util/err.h"

/* Reject NULL and "" with "<what>: no path given" / "empty <what> path". */
int cfg_check_path(const char *what, const char *path, struct krun_err **err);

/* Duplicate s into *out (ENOMEM on failure). */
int cfg_strdup(const char *s, char **out, struct krun_err **err);

/* Replace *slot with a copy of s (old value freed only on success). */
int cfg_replace_str(char **slot, const char *s, struct krun_err **err);

/* Deep-copy a NULL-terminated string array; v NULL gives an empty array. */
int cfg_strv_dup(const char *const v[], char ***out, struct krun_err **err);
size_t cfg_strv_len(const char *const v[]);
/* Append a copy of s to the NULL-terminated (or NULL) vector *v. */
int cfg_strv_add(char ***v, const char *s, struct krun_err **err);

/* Grow *array (of elem_size elements, n in use) by one zeroed slot. */
int cfg_grow(void **array, size_t n, size_t elem_size, struct krun_err **err);

/* A DAX window size: a multiple of KRUN_DAX_ALIGN up to KRUN_DAX_MAX
 * (0: none). config_dax.c */
int cfg_check_dax_size(uint64_t size, struct krun_err **err);

/*
 * Strict decimal parse of the whole of s[0..len) (len SIZE_MAX: up to the
 * NUL): digits only, no sign, no blanks, value <= max. Returns false when
 * malformed or out of range.
 */
bool cfg_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Lookup helpers used to reject duplicates. */
const struct krun_disk *cfg_find_disk(const struct krun_config *cfg,
				      const char *block_id);
const struct krun_share *cfg_find_share(const struct krun_config *cfg,
					const char *tag);

/* Validate a single "K=V" environment entry. */
int cfg_check_env_entry(const char *kv, struct krun_err **err);

/* Parse one "HOST:GUEST" port map entry. */
int cfg_parse_port(const char *text, struct krun_port *port,
		   struct krun_err **err);

/* Parse one "RESOURCE=CUR:MAX" rlimit entry. */
int cfg_parse_rlimit(const char *text, struct krun_rlimit *rl,
		     struct krun_err **err);

/* May the config switch to network mode want (config_net.c)? */
int cfg_claim_net_mode(const struct krun_config *cfg, enum krun_net_mode want,
		       struct krun_err **err);

#endif
