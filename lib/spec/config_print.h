/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resolved context as JSON (krun-run --print-config). Every field of
 * struct krun_config is printed, always, in one fixed key order, so the same
 * configuration prints byte-identical text whichever door filled it (flags,
 * spec, krun_* API). The printer reports what the setters stored; it never
 * rewrites values (memory is in MiB because the config stores MiB, paths are
 * printed exactly as stored).
 */
#ifndef KRUN_LIB_CONFIG_JSON_H
#define KRUN_LIB_CONFIG_JSON_H

#include "lib/config/config.h"
#include "util/err.h"

/*
 * On success *out holds a NUL-terminated, newline-terminated, pretty-printed
 * JSON document the caller frees.
 */
int config_to_json(const struct krun_config *cfg, char **out,
		   struct krun_err **err) __attribute__((warn_unused_result));

#endif
