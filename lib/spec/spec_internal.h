/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the spec loader's files (spec.c: entry points and the OCI part,
 * spec_krun.c: the "krun" object, spec_json.c: typed json-c access). Not a
 * public interface; only these files include json-c for the spec.
 */
#ifndef KRUN_LIB_SPEC_INTERNAL_H
#define KRUN_LIB_SPEC_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/spec/spec.h"

#define SPEC_JPATH_MAX 256

struct spec_ctx {
	struct krun_config *cfg;
	const char *base_dir;
	struct spec_result *res;
	/* process.args / process.env, applied together after the walk */
	const char **args;
	const char **env;
	/* VM size hints, applied after the walk (spec_oci_vm_size) */
	uint32_t ann_vcpus, ann_ram_mib; /* krun.cpus, krun.ram_mib */
	uint32_t res_vcpus;		 /* linux.resources.cpu */
	uint64_t res_ram_mib;		 /* linux.resources.memory.limit */
};

typedef int (*spec_handler)(struct spec_ctx *ctx, struct json_object *val,
			    const char *path, struct krun_err **err);

struct spec_field {
	const char *key;
	spec_handler apply;
};

/*
 * Walk an object with a field table; handlers run in table order. strict:
 * unknown keys are errors (the krun section); otherwise they are logged.
 */
int spec_walk(struct spec_ctx *ctx, struct json_object *obj, const char *path,
	      const struct spec_field *fields, bool strict,
	      struct krun_err **err);
/* Reject keys not in keys[] (NULL-terminated) with "PATH.KEY: unknown key". */
int spec_check_keys(struct json_object *obj, const char *path,
		    const char *const keys[], struct krun_err **err);
/* Apply fn to each element of an array, with PATH[i] as its path. */
int spec_each(struct spec_ctx *ctx, struct json_object *arr, const char *path,
	      spec_handler fn, struct krun_err **err);
/* Join a relative host path onto the bundle directory (malloc'd copy). */
int spec_resolve(const struct spec_ctx *ctx, const char *path, char **out,
		 struct krun_err **err);
/* Wrap a setter's error with the JSON path; pass success through. */
int spec_setter(int ret, const char *path, struct krun_err **err);
/* A size: an integer (bytes) or a size string ("64M"). spec_krun.c */
int spec_size_value(struct json_object *val, const char *path, uint64_t *bytes,
		    struct krun_err **err);

/* ---- OCI parts honoured in the guest (spec_oci*.c) ---- */

/* Record "PATH: reason" in the config's ignored list. */
int spec_ignore(struct spec_ctx *ctx, const char *path, const char *reason,
		struct krun_err **err);
int spec_oci_caps(struct spec_ctx *ctx, struct json_object *val,
		  const char *path, struct krun_err **err);
int spec_oci_nnp(struct spec_ctx *ctx, struct json_object *val,
		 const char *path, struct krun_err **err);
int spec_oci_user_extra(struct spec_ctx *ctx, struct json_object *user,
			const char *path, struct krun_err **err);
int spec_oci_proc_ignored(struct spec_ctx *ctx, struct json_object *val,
			  const char *path, struct krun_err **err);
int spec_oci_domainname(struct spec_ctx *ctx, struct json_object *val,
			const char *path, struct krun_err **err);
int spec_oci_annotations(struct spec_ctx *ctx, struct json_object *val,
			 const char *path, struct krun_err **err);
int spec_oci_linux(struct spec_ctx *ctx, struct json_object *val,
		   const char *path, struct krun_err **err);
int spec_oci_seccomp(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, struct krun_err **err);
/* A mount of `type` other than bind (tmpfs, proc, ..., cgroup). */
int spec_oci_fsmount(struct spec_ctx *ctx, struct json_object *val,
		     const char *path, const char *type,
		     struct krun_err **err);
/* List a bind mount's options other than bind/rbind/ro/rw as ignored. */
int spec_oci_bind_options(struct spec_ctx *ctx, struct json_object *val,
			  const char *path, struct krun_err **err);
/* After the walk: the size hints, unless the krun section set the size. */
int spec_oci_vm_size(struct spec_ctx *ctx, struct json_object *top,
		     struct krun_err **err);

int spec_krun(struct spec_ctx *ctx, struct json_object *val, const char *path,
	      struct krun_err **err);

/* ---- typed access (spec_json.c) ---- */

void sj_key(char *buf, const char *parent, const char *key);
void sj_idx(char *buf, const char *parent, size_t index);
int sj_fail(struct krun_err **err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* text[len] must be the terminating NUL. */
int sj_parse(const char *text, size_t len, struct json_object **out,
	     struct krun_err **err);
int sj_expect(struct json_object *val, json_type type, const char *path,
	      struct krun_err **err);
int sj_string(struct json_object *val, const char *path, const char **out,
	      struct krun_err **err);
int sj_bool(struct json_object *val, const char *path, bool *out,
	    struct krun_err **err);
int sj_uint(struct json_object *val, const char *path, uint64_t max,
	    uint64_t *out, struct krun_err **err);
/* Required members: "PATH: missing" when absent. path names the member. */
int sj_member_string(struct json_object *obj, const char *key, const char *path,
		     const char **out, struct krun_err **err);
int sj_member_uint(struct json_object *obj, const char *key, const char *path,
		   uint64_t max, uint64_t *out, struct krun_err **err);
/* Optional members: left untouched when absent. */
int sj_opt_string(struct json_object *obj, const char *key, const char *parent,
		  const char **out, struct krun_err **err);
int sj_opt_bool(struct json_object *obj, const char *key, const char *parent,
		bool *out, struct krun_err **err);
/*
 * An array of strings as a NULL-terminated vector borrowing the strings
 * from the JSON tree; the caller frees only the vector.
 */
int sj_strv(struct json_object *val, const char *path, const char ***out,
	    struct krun_err **err);

#endif
