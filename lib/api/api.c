// SPDX-License-Identifier: Apache-2.0
/*
 * The krun_* C API: a thread-safe table of contexts, each a krun_config
 * filled through the config_* setters. Every entry point is where an error
 * object ends: its message is logged and the negative errno returned.
 *
 * Context ids count up from 1 and are not reused until the counter wraps at
 * INT32_MAX (ids stay positive so they fit krun_create_ctx's int32_t);
 * an unknown id gives -ENOENT, as in libkrun.
 */
#include "lib/api/libkrun.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "lib/api/api_internal.h"
#include "lib/config/config.h"
#include "lib/vmm/vmm.h"
#include "util/log.h"

#define KRUN_API __attribute__((visibility("default")))

struct ctx_slot {
	uint32_t id;
	struct krun_config *cfg;
};

/* The API's context table: one of the two allowed mutable globals. */
static struct {
	pthread_mutex_t lock;
	struct ctx_slot *slots;
	size_t n_slots;
	size_t cap;
	uint32_t next_id;
} ctx_table = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.next_id = 1,
};

/* Index of ctx_id in the table, or -1; call with the lock held. */
static ssize_t slot_index(uint32_t ctx_id)
{
	for (size_t i = 0; i < ctx_table.n_slots; i++)
		if (ctx_table.slots[i].id == ctx_id)
			return (ssize_t)i;
	return -1;
}

/* Next free id; call with the lock held. */
static uint32_t take_id(void)
{
	uint32_t id;

	do {
		id = ctx_table.next_id;
		ctx_table.next_id = id == INT32_MAX ? 1 : ctx_table.next_id + 1;
	} while (slot_index(id) >= 0);
	return id;
}

static int table_insert(struct krun_config *cfg, struct krun_err **err)
{
	struct ctx_slot *grown;
	uint32_t id;

	pthread_mutex_lock(&ctx_table.lock);
	if (ctx_table.n_slots == ctx_table.cap) {
		size_t cap = ctx_table.cap ? ctx_table.cap * 2 : 8;

		grown = ctx_table.n_slots >= INT32_MAX - 1
				? NULL
				: realloc(ctx_table.slots,
					  cap * sizeof(*grown));
		if (!grown) {
			pthread_mutex_unlock(&ctx_table.lock);
			return krun_err_set(
				err, ENOMEM,
				"cannot create a context: out of memory for the context table");
		}
		ctx_table.slots = grown;
		ctx_table.cap = cap;
	}
	id = take_id();
	ctx_table.slots[ctx_table.n_slots++] =
		(struct ctx_slot){.id = id, .cfg = cfg};
	pthread_mutex_unlock(&ctx_table.lock);
	return (int)id;
}

/* Take ctx_id out of the table; NULL (err set) when unknown. */
static struct krun_config *table_remove(uint32_t ctx_id, struct krun_err **err)
{
	struct krun_config *cfg = NULL;
	ssize_t i;

	pthread_mutex_lock(&ctx_table.lock);
	i = slot_index(ctx_id);
	if (i >= 0) {
		cfg = ctx_table.slots[i].cfg;
		ctx_table.slots[i] = ctx_table.slots[--ctx_table.n_slots];
	}
	pthread_mutex_unlock(&ctx_table.lock);
	if (!cfg)
		krun_err_set(err, ENOENT, "no context with id `%u`", ctx_id);
	return cfg;
}

/* Lock the table and find ctx_id; on success the caller must unlock. */
static int ctx_lock_get(uint32_t ctx_id, struct krun_config **cfg,
			struct krun_err **err)
{
	ssize_t i;

	pthread_mutex_lock(&ctx_table.lock);
	i = slot_index(ctx_id);
	if (i < 0) {
		pthread_mutex_unlock(&ctx_table.lock);
		return krun_err_set(err, ENOENT, "no context with id `%u`",
				    ctx_id);
	}
	*cfg = ctx_table.slots[i].cfg;
	return 0;
}

static void ctx_unlock(void)
{
	pthread_mutex_unlock(&ctx_table.lock);
}

/* Where an error object ends: log it, free it, pass the code on. */
static int32_t api_result(const char *func, int ret, struct krun_err **err)
{
	if (ret < 0)
		log_error("%s: %s", func,
			  *err ? krun_err_msg(*err) : strerror(-ret));
	krun_err_free(err);
	return ret;
}

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

int krun_ctx_borrow(uint32_t ctx_id, struct krun_config **cfg)
{
	struct krun_config *found = NULL;
	int ret = ctx_lock_get(ctx_id, &found, NULL);

	if (ret < 0)
		return ret;
	ctx_unlock();
	*cfg = found;
	return 0;
}

KRUN_API int32_t krun_set_log_level(uint32_t level)
{
	struct krun_err *err = NULL;
	int ret = 0;

	if (level > KRUN_LOG_TRACE)
		ret = krun_err_set(
			&err, EINVAL,
			"invalid log level `%u`: must be 0 (off)..5 (trace)",
			level);
	else
		krun_log_set_level(level);
	return api_result(__func__, ret, &err);
}

KRUN_API int32_t krun_create_ctx(void)
{
	struct krun_err *err = NULL;
	struct krun_config *cfg = config_new(&err);
	int ret;

	if (!cfg)
		return api_result(__func__, -ENOMEM, &err);
	ret = table_insert(cfg, &err);
	if (ret < 0)
		config_free(cfg);
	return api_result(__func__, ret, &err);
}

KRUN_API int32_t krun_free_ctx(uint32_t ctx_id)
{
	struct krun_err *err = NULL;
	struct krun_config *cfg = table_remove(ctx_id, &err);

	if (!cfg)
		return api_result(__func__, -ENOENT, &err);
	config_free(cfg);
	return 0;
}

KRUN_API int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus,
				    uint32_t ram_mib)
{
	WITH_CTX(ctx_id, config_set_vm(cfg, num_vcpus, ram_mib, &err));
}

KRUN_API int32_t krun_set_root(uint32_t ctx_id, const char *root_path)
{
	WITH_CTX(ctx_id, config_set_root(cfg, root_path, &err));
}

KRUN_API int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path)
{
	WITH_CTX(ctx_id, config_set_legacy_root_disk(cfg, disk_path, &err));
}

KRUN_API int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path)
{
	WITH_CTX(ctx_id, config_set_legacy_data_disk(cfg, disk_path, &err));
}

KRUN_API int32_t krun_add_disk(uint32_t ctx_id, const char *block_id,
			       const char *disk_path, bool read_only)
{
	WITH_CTX(ctx_id, config_add_disk(cfg, block_id, disk_path,
					 KRUN_FORMAT_RAW, read_only, &err));
}

KRUN_API int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id,
				const char *disk_path, uint32_t disk_format,
				bool read_only)
{
	WITH_CTX(ctx_id, config_add_disk(cfg, block_id, disk_path, disk_format,
					 read_only, &err));
}

KRUN_API int32_t krun_set_mapped_volumes(uint32_t ctx_id,
					 const char *const mapped_volumes[])
{
	WITH_CTX(ctx_id, config_set_mapped_volumes(cfg, mapped_volumes, &err));
}

KRUN_API int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag,
				   const char *c_path)
{
	WITH_CTX(ctx_id,
		 config_add_share(cfg, c_tag, c_path, NULL, false, 0, &err));
}

KRUN_API int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag,
				    const char *c_path, uint64_t shm_size)
{
	WITH_CTX(ctx_id, config_add_share(cfg, c_tag, c_path, NULL, false,
					  shm_size, &err));
}

KRUN_API int32_t krun_set_passt_fd(uint32_t ctx_id, int fd)
{
	WITH_CTX(ctx_id, config_set_passt_fd(cfg, fd, &err));
}

KRUN_API int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path)
{
	WITH_CTX(ctx_id, config_set_gvproxy_path(cfg, c_path, &err));
}

KRUN_API int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac)
{
	WITH_CTX(ctx_id, config_set_mac(cfg, c_mac, &err));
}

KRUN_API int32_t krun_set_port_map(uint32_t ctx_id,
				   const char *const port_map[])
{
	WITH_CTX(ctx_id, config_set_port_map(cfg, port_map, &err));
}

KRUN_API int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags)
{
	WITH_CTX(ctx_id, config_set_gpu(cfg, virgl_flags, 0, &err));
}

KRUN_API int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags,
				       uint64_t shm_size)
{
	WITH_CTX(ctx_id, config_set_gpu(cfg, virgl_flags, shm_size, &err));
}

KRUN_API int32_t krun_set_snd_device(uint32_t ctx_id, bool enable)
{
	WITH_CTX(ctx_id, config_set_snd(cfg, enable, &err));
}

KRUN_API int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[])
{
	WITH_CTX(ctx_id, config_set_rlimits(cfg, rlimits, &err));
}

KRUN_API int32_t krun_set_smbios_oem_strings(uint32_t ctx_id,
					     const char *const oem_strings[])
{
	WITH_CTX(ctx_id, config_set_oem_strings(cfg, oem_strings, &err));
}

KRUN_API int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path)
{
	WITH_CTX(ctx_id, config_set_workdir(cfg, workdir_path, &err));
}

KRUN_API int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path,
			       const char *const argv[],
			       const char *const envp[])
{
	WITH_CTX(ctx_id, config_set_exec(cfg, exec_path, argv, envp, &err));
}

KRUN_API int32_t krun_set_env(uint32_t ctx_id, const char *const envp[])
{
	WITH_CTX(ctx_id, config_set_env(cfg, envp, &err));
}

KRUN_API int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath)
{
	WITH_CTX(ctx_id, config_set_tee_config_file(cfg, filepath, &err));
}

KRUN_API int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port,
				     const char *c_filepath)
{
	WITH_CTX(ctx_id,
		 config_add_vsock_port(cfg, port, c_filepath, false, &err));
}

KRUN_API int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port,
				      const char *c_filepath, bool listen)
{
	WITH_CTX(ctx_id,
		 config_add_vsock_port(cfg, port, c_filepath, listen, &err));
}

KRUN_API int32_t krun_set_console_output(uint32_t ctx_id,
					 const char *c_filepath)
{
	WITH_CTX(ctx_id, config_set_console_output(cfg, c_filepath, &err));
}

/*
 * Non-blocking so the VMM's event loop never stalls reading it; close-on-
 * exec so helpers the VMM spawns (passt) do not inherit it.
 */
static int shutdown_eventfd(struct krun_config *cfg, struct krun_err **err)
{
	if (cfg->shutdown_eventfd < 0) {
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		if (fd < 0)
			return krun_err_set_errno(
				err, errno,
				"cannot create the shutdown eventfd");
		cfg->shutdown_eventfd = fd;
	}
	return cfg->shutdown_eventfd;
}

KRUN_API int32_t krun_get_shutdown_eventfd(uint32_t ctx_id)
{
	WITH_CTX(ctx_id, shutdown_eventfd(cfg, &err));
}

KRUN_API int32_t krun_start_enter(uint32_t ctx_id)
{
	struct krun_err *err = NULL;
	struct krun_config *cfg = table_remove(ctx_id, &err);
	int ret;

	if (!cfg)
		return api_result(__func__, -ENOENT, &err);
	cfg->log_level = krun_log_get_level();
	/* The API has no call for it: the environment chooses. */
	const char *mode = getenv("KRUN_SECCOMP");

	ret = mode ? config_set_vmm_seccomp(cfg, mode, &err) : 0;
	if (ret == 0)
		ret = config_check_startable(cfg, &err);
	if (ret == 0)
		ret = vmm_run(cfg, &err);
	config_free(cfg);
	if (ret < 0)
		return api_result(__func__, ret, &err);
	exit(ret);
}
