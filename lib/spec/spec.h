/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON spec loader: the subset of the OCI runtime spec that `crun spec`
 * writes, plus a "krun" object for VM settings. Values go through the same
 * config_* setters as the flags and the API; errors name the JSON path
 * (".process.args[2]: expected a string"). Unknown keys in the OCI part are
 * ignored with a debug log, unknown keys inside "krun" are errors.
 *
 * Relative host paths in a spec (root.path, bind mount sources, krun disk,
 * volume, kernel, console, vsock, gvproxy and TEE paths) are resolved like
 * crun does: against the bundle directory. base_dir NULL means the current
 * directory, and the path is stored as written; otherwise the stored path is
 * "base_dir/path" (joined textually, not made absolute).
 */
#ifndef KRUN_LIB_SPEC_H
#define KRUN_LIB_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/config/config.h"
#include "util/err.h"

#define SPEC_MAX_FILE_SIZE (4u << 20)

/* What a spec set, for defaults the caller applies afterwards. */
struct spec_result {
	bool args_set; /* process.args */
	bool env_set;  /* process.env (even an empty list) */
};

/* Errors read "FILE: .json.path: problem". */
int spec_load_file(struct krun_config *cfg, const char *path,
		   const char *base_dir, struct spec_result *res,
		   struct krun_err **err) __attribute__((warn_unused_result));

/* Errors read ".json.path: problem". */
int spec_load_string(struct krun_config *cfg, const char *text,
		     const char *base_dir, struct spec_result *res,
		     struct krun_err **err) __attribute__((warn_unused_result));

/*
 * Only the "process" object of an OCI config (args, env, cwd, user,
 * rlimits, terminal, capabilities, noNewPrivileges), through the same
 * handlers as spec_load_string; other top-level keys are not read. A text
 * without "process" sets nothing. Errors read ".process.args: problem".
 */
int spec_load_process_string(struct krun_config *cfg, const char *text,
			     struct spec_result *res, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * The default workload when no executable is set (libkrun's init does the
 * same in the guest): the OCI process of the root directory's
 * /.krun_config.json, else /bin/sh. The file is opened beneath the root
 * (openat2 RESOLVE_IN_ROOT: symlinks resolve inside it, never out), must be
 * a regular file of at most SPEC_MAX_FILE_SIZE bytes, and an invalid one is
 * an error naming it. What the caller set explicitly wins: its environment
 * entries (per variable), working directory, user, rlimits, capabilities
 * and terminal choice. A disk root is not read on the host: /bin/sh.
 * When an executable is set, only the file's environment is merged in (the
 * caller's entries still win), as libkrun's init applies it to any
 * workload: crun's krun handler calls krun_set_exec with an empty
 * environment and leaves the container's in the file.
 */
int spec_default_workload(struct krun_config *cfg, struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * Validate a TEE configuration file (libkrun's format: workload_id, cpus,
 * ram_mib, tee "sev"|"snp"|"tdx", tee_data, attestation_url). On success
 * the TEE kind is copied to tee (tee_size bytes; tee may be NULL). Errors
 * read "TEE config `PATH`: .json.path: problem".
 */
int spec_tee_config_check(const char *path, char *tee, size_t tee_size,
			  struct krun_err **err)
	__attribute__((warn_unused_result));

/*
 * With a TEE config set: the file is validated, then the start is refused
 * (ENOTSUP) in one line naming the TEE and what this build lacks.
 */
int spec_tee_check_startable(const struct krun_config *cfg,
			     struct krun_err **err)
	__attribute__((warn_unused_result));

#define SPEC_DEFAULT_CONFIG_FILE ".krun_config.json"
#define SPEC_DEFAULT_SHELL "/bin/sh"

/* "0".."5" or off|error|warn|info|debug|trace (case-insensitive). */
int spec_parse_log_level(const char *text, uint32_t *level,
			 struct krun_err **err)
	__attribute__((warn_unused_result));

/* Bytes: digits with an optional binary suffix K, M, G or T. */
int spec_parse_size(const char *text, uint64_t *bytes, struct krun_err **err)
	__attribute__((warn_unused_result));

#endif
