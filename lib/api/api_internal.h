/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal access to the API's context table, for krun-run and the tests.
 * Not exported from libkrun.so.1.
 */
#ifndef KRUN_LIB_API_INTERNAL_H
#define KRUN_LIB_API_INTERNAL_H

#include <stdint.h>

#include "lib/config/config.h"

/*
 * Point *cfg at the configuration of context ctx_id without taking it out
 * of the table: 0, or -ENOENT for an unknown id. The pointer stays valid
 * until the context is freed or started; the caller must not do either
 * (nor call setters on it from another thread) while using it.
 */
int krun_ctx_borrow(uint32_t ctx_id, struct krun_config **cfg);

/* Shared by the files that define krun_* entry points (api*.c). */
#define KRUN_API __attribute__((visibility("default")))

/* Lock the table and find ctx_id; on success the caller must unlock. */
int ctx_lock_get(uint32_t ctx_id, struct krun_config **cfg,
		 struct krun_err **err);
void ctx_unlock(void);

/* Where an error object ends: log it, free it, pass the code on. */
int32_t api_result(const char *func, int ret, struct krun_err **err);

/* Run one setter on a context under the table lock. */
#define WITH_CTX(ctx_id, call)                                \
	do {                                                  \
		struct krun_err *err = NULL;                  \
		struct krun_config *cfg = NULL;               \
		int ret = ctx_lock_get((ctx_id), &cfg, &err); \
		if (ret == 0) {                               \
			ret = (call);                         \
			ctx_unlock();                         \
		}                                             \
		return api_result(__func__, ret, &err);       \
	} while (0)

/*
 * Map the guest kernel (the lookup order of vmm_kernel_find()) for every
 * later krun_start_enter() that names no kernel path; nothing happens when
 * none is found. libkrun.so.1 calls it when it is loaded, so a process that
 * then pivots into another root (crun's krun handler) still boots it.
 * Call once, before any other thread uses the API.
 */
void krun_api_preload_kernel(void);

/* Unmap what krun_api_preload_kernel() mapped (library unload). */
void krun_api_release_kernel(void);

#endif
