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
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/api/api_internal.h"
#include "lib/config/config.h"
#include "hw/kvm/vm.h"
#include "lib/vmm/vmm.h"
#include "util/log.h"
#include "virtio/gpu.h"

struct ctx_slot {
	uint32_t id;
	struct krun_config *cfg;
};

/*
 * The API's context table: one of the two allowed mutable globals. kernel
 * is the guest kernel mapped when libkrun.so.1 was loaded
 * (krun_api_preload_kernel()); written only then and at unload.
 */
static struct {
	pthread_mutex_t lock;
	struct ctx_slot *slots;
	size_t n_slots;
	size_t cap;
	uint32_t next_id;
	struct vmm_kernel kernel;
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

int ctx_lock_get(uint32_t ctx_id, struct krun_config **cfg,
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

void ctx_unlock(void)
{
	pthread_mutex_unlock(&ctx_table.lock);
}

int32_t api_result(const char *func, int ret, struct krun_err **err)
{
	if (ret < 0)
		log_error("%s: %s", func,
			  *err ? krun_err_msg(*err) : strerror(-ret));
	krun_err_free(err);
	return ret;
}

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

void krun_api_preload_kernel(void)
{
	struct krun_err *err = NULL;
	const char *path, *from;

	if (vmm_kernel_find(NULL, &path, &from, &err) == 0 &&
	    vmm_kernel_map(path, &ctx_table.kernel, &err) == 0)
		return;
	/* Not an error yet: krun_start_enter() looks again, and says why
	 * when it finds nothing either. */
	log_debug("no guest kernel mapped at load: %s", krun_err_msg(err));
	krun_err_free(&err);
}

void krun_api_release_kernel(void)
{
	vmm_kernel_unmap(&ctx_table.kernel);
}

KRUN_API int32_t krun_set_log_level(uint32_t level)
{
	struct krun_err *err = NULL;
	int ret = 0;

	/* Above 5 means trace, as in libkrun. */
	krun_log_set_level(level > KRUN_LOG_TRACE ? KRUN_LOG_TRACE : level);
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

KRUN_API int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id,
				const char *disk_path, uint32_t disk_format,
				bool read_only, bool direct_io,
				uint32_t sync_mode)
{
	WITH_CTX(ctx_id,
		 direct_io ? krun_err_set(
				     &err, ENOTSUP,
				     "direct I/O (bypassing the host page cache) is not supported by this build")
			   : config_add_disk_sync(cfg, block_id, disk_path,
						  disk_format, read_only,
						  sync_mode, &err));
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

/* KRUN_FS_ROOT_TAG is the root directory; any other tag a share. */
static int add_virtiofs(struct krun_config *cfg, const char *tag,
			const char *path, uint64_t shm_size, bool read_only,
			struct krun_err **err)
{
	int ret;

	if (!tag || strcmp(tag, KRUN_FS_ROOT_TAG))
		return config_add_share(cfg, tag, path, NULL, read_only,
					shm_size, err);
	ret = config_set_root(cfg, path, err);
	if (ret == 0)
		ret = config_set_root_read_only(cfg, read_only, err);
	if (ret == 0)
		ret = config_set_root_dax(cfg, shm_size, err);
	return ret;
}

KRUN_API int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag,
				   const char *c_path)
{
	WITH_CTX(ctx_id, add_virtiofs(cfg, c_tag, c_path, 0, false, &err));
}

KRUN_API int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag,
				    const char *c_path, uint64_t shm_size)
{
	WITH_CTX(ctx_id,
		 add_virtiofs(cfg, c_tag, c_path, shm_size, false, &err));
}

KRUN_API int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag,
				    const char *c_path, uint64_t shm_size,
				    bool read_only)
{
	WITH_CTX(ctx_id,
		 add_virtiofs(cfg, c_tag, c_path, shm_size, read_only, &err));
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


/* Vsock ports need a vsock device: -ENODEV after
 * krun_disable_implicit_vsock() without krun_add_vsock(), as libkrun. */
static int add_vsock_port(struct krun_config *cfg, uint32_t port,
			  const char *path, bool listen, struct krun_err **err)
{
	if (cfg->no_implicit_vsock && !cfg->explicit_vsock)
		return krun_err_set(
			err, ENODEV,
			"cannot add vsock port %u: the implicit vsock device is disabled and none was added",
			port);
	return config_add_vsock_port(cfg, port, path, listen, err);
}

KRUN_API int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port,
				     const char *c_filepath)
{
	WITH_CTX(ctx_id, add_vsock_port(cfg, port, c_filepath, false, &err));
}

KRUN_API int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port,
				      const char *c_filepath, bool listen)
{
	WITH_CTX(ctx_id, add_vsock_port(cfg, port, c_filepath, listen, &err));
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

/* krun_setgid/krun_setuid: the VMM's own ids, group first (setuid
 * would take away the right to change it). */
static int drop_ids(const struct krun_config *cfg, struct krun_err **err)
{
	if (cfg->vmm_gid_set && setgid(cfg->vmm_gid) < 0)
		return krun_err_set_errno(err, errno, "setgid(%u)",
					  cfg->vmm_gid);
	if (cfg->vmm_uid_set && setuid(cfg->vmm_uid) < 0)
		return krun_err_set_errno(err, errno, "setuid(%u)",
					  cfg->vmm_uid);
	return 0;
}

KRUN_API int32_t krun_start_enter(uint32_t ctx_id)
{
	struct krun_err *err = NULL;
	struct krun_config *cfg = table_remove(ctx_id, &err);
	/* No API call sets the VMM's seccomp mode: the environment does. */
	const char *mode = getenv("KRUN_SECCOMP");
	int ret;

	if (!cfg)
		return api_result(__func__, -ENOENT, &err);
	cfg->log_level = krun_log_get_level();
	cfg->net_fallback_log_only = true;
	ret = mode ? config_set_vmm_seccomp(cfg, mode, &err) : 0;
	if (ret == 0)
		ret = config_check_startable(cfg, &err);
	if (ret == 0) {
		config_warn_recorded(cfg);
		ret = drop_ids(cfg, &err);
	}
	if (ret == 0)
		ret = vmm_run(cfg, &ctx_table.kernel, &err);
	config_free(cfg);
	if (ret < 0)
		return api_result(__func__, ret, &err);
	exit(ret);
}

/* ---- calls added after the seed API ---- */

/* A call whose feature this build lacks: one line, -ENOTSUP. */
static int32_t refuse(const char *func, const char *what)
{
	struct krun_err *err = NULL;

	krun_err_set(&err, ENOTSUP, "%s is not supported by this build", what);
	return api_result(func, -ENOTSUP, &err);
}

KRUN_API int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style,
			       uint32_t options)
{
	struct krun_err *err = NULL;
	int ret = 0;

	if (target_fd < KRUN_LOG_TARGET_DEFAULT || target_fd == STDIN_FILENO)
		ret = krun_err_set(&err, EINVAL,
				   "invalid log target fd `%d`", target_fd);
	else if (target_fd > STDERR_FILENO && fcntl(target_fd, F_GETFD) < 0)
		ret = krun_err_set(&err, EBADF,
				   "log target fd `%d` is not open", target_fd);
	else if (style > KRUN_LOG_STYLE_NEVER)
		ret = krun_err_set(&err, EINVAL, "invalid log style `%u`",
				   style);
	else if (style == KRUN_LOG_STYLE_ALWAYS)
		ret = krun_err_set(
			&err, ENOTSUP,
			"log style ALWAYS (colour escapes) is not supported: log lines are plain text");
	else if (options & ~(uint32_t)KRUN_LOG_OPTION_NO_ENV)
		ret = krun_err_set(&err, EINVAL, "invalid log options `%#x`",
				   options);
	if (ret == 0) {
		/* stderr stays on stdio so its lines keep their order with
		 * the rest of the process's stderr output. */
		krun_log_set_fd(target_fd == KRUN_LOG_TARGET_DEFAULT ||
						target_fd == STDERR_FILENO
					? -1
					: target_fd);
		krun_log_set_level(level > KRUN_LOG_TRACE ? KRUN_LOG_TRACE
							  : level);
	}
	return api_result(__func__, ret, &err);
}

KRUN_API int32_t krun_get_max_vcpus(void)
{
	struct krun_err *err = NULL;
	int ret = kvm_max_vcpus(&err);

	if (ret > KRUN_MAX_VCPUS)
		ret = KRUN_MAX_VCPUS;
	return api_result(__func__, ret, &err);
}

KRUN_API int32_t krun_has_feature(uint64_t feature)
{
	struct krun_err *err = NULL;

	switch (feature) {
	case KRUN_FEATURE_NET:
	case KRUN_FEATURE_BLK:
		return 1;
	case KRUN_FEATURE_GPU:
		return virtio_gpu_available() ? 1 : 0;
	case KRUN_FEATURE_INPUT:
	case KRUN_FEATURE_TEE:
	case KRUN_FEATURE_AMD_SEV:
	case KRUN_FEATURE_INTEL_TDX:
	case KRUN_FEATURE_AWS_NITRO:
	case KRUN_FEATURE_VIRGL_RESOURCE_MAP2:
	case KRUN_FEATURE_INIT_BLOB:
		return 0;
	}
	krun_err_set(&err, EINVAL, "unknown feature `%llu`",
		     (unsigned long long)feature);
	return api_result(__func__, -EINVAL, &err);
}

KRUN_API int32_t krun_check_nested_virt(void)
{
	return kvm_nested_supported();
}

KRUN_API int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled)
{
	WITH_CTX(ctx_id, config_set_nested_virt(cfg, enabled, &err));
}

static int split_irqchip(bool enable, struct krun_err **err)
{
	if (enable)
		return krun_err_set(
			err, ENOTSUP,
			"a split IRQ chip is not supported by this build: the in-kernel PIC/IOAPIC is used");
	return 0;
}

KRUN_API int32_t krun_split_irqchip(uint32_t ctx_id, bool enable)
{
	WITH_CTX(ctx_id, split_irqchip(enable, &err));
}

KRUN_API int32_t krun_setuid(uint32_t ctx_id, uid_t uid)
{
	WITH_CTX(ctx_id, config_set_vmm_ids(cfg, true, uid, false, 0, &err));
}

KRUN_API int32_t krun_setgid(uint32_t ctx_id, gid_t gid)
{
	WITH_CTX(ctx_id, config_set_vmm_ids(cfg, false, 0, true, gid, &err));
}

KRUN_API int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device,
					    const char *fstype,
					    const char *options)
{
	WITH_CTX(ctx_id, config_set_root_disk_remount(cfg, device, fstype,
						      options, &err));
}

KRUN_API int32_t krun_set_firmware(uint32_t ctx_id, const char *firmware_path)
{
	return refuse(__func__, "booting a firmware");
}

/* ---- network ---- */

#define NET_ALL_FEATURES                                                  \
	(NET_FEATURE_CSUM | NET_FEATURE_GUEST_CSUM | NET_FEATURE_GUEST_TSO4 | \
	 NET_FEATURE_GUEST_TSO6 | NET_FEATURE_GUEST_UFO |                     \
	 NET_FEATURE_HOST_TSO4 | NET_FEATURE_HOST_TSO6 | NET_FEATURE_HOST_UFO)

/* Validate, then set the peer and the MAC together (or neither). */
static int add_net(struct krun_config *cfg, bool dgram, const char *path,
		   int fd, const uint8_t *mac, uint32_t features,
		   uint32_t flags, struct krun_err **err)
{
	uint32_t known = NET_FLAG_DHCP_CLIENT | (dgram ? NET_FLAG_VFKIT : 0);
	bool had_mac = cfg->mac_set;
	uint8_t old_mac[6];
	int ret;

	if (features & ~(uint32_t)NET_ALL_FEATURES)
		return krun_err_set(err, EINVAL,
				    "invalid virtio-net features `%#x`",
				    features);
	if (flags & ~known)
		return krun_err_set(err, EINVAL,
				    "invalid network flags `%#x`", flags);
	memcpy(old_mac, cfg->mac, sizeof(old_mac));
	ret = config_set_mac(cfg, mac, err);
	if (ret < 0)
		return ret;
	ret = dgram ? config_set_net_dgram(cfg, path, fd,
					   flags & NET_FLAG_VFKIT, err)
		    : config_set_net_stream(cfg, path, fd, err);
	if (ret < 0) {
		memcpy(cfg->mac, old_mac, sizeof(old_mac));
		cfg->mac_set = had_mac;
		return ret;
	}
	cfg->net_features = features;
	return 0;
}

KRUN_API int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path,
					 int fd, uint8_t *const c_mac,
					 uint32_t features, uint32_t flags)
{
	WITH_CTX(ctx_id, add_net(cfg, false, c_path, fd, c_mac, features,
				 flags, &err));
}

KRUN_API int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path,
				       int fd, uint8_t *const c_mac,
				       uint32_t features, uint32_t flags)
{
	WITH_CTX(ctx_id, add_net(cfg, true, c_path, fd, c_mac, features, flags,
				 &err));
}

KRUN_API int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name,
				  uint8_t *const c_mac, uint32_t features,
				  uint32_t flags)
{
	return refuse(__func__, "a tap network backend");
}

/* ---- devices this build does not have ---- */

KRUN_API int32_t krun_add_display(uint32_t ctx_id, uint32_t width,
				  uint32_t height)
{
	return refuse(__func__, "a display (virtio-gpu)");
}

KRUN_API int32_t krun_display_set_edid(uint32_t ctx_id, uint32_t display_id,
				       const uint8_t *edid_blob,
				       size_t blob_size)
{
	return refuse(__func__, "a display (virtio-gpu)");
}

KRUN_API int32_t krun_display_set_dpi(uint32_t ctx_id, uint32_t display_id,
				      uint32_t dpi)
{
	return refuse(__func__, "a display (virtio-gpu)");
}

KRUN_API int32_t krun_display_set_physical_size(uint32_t ctx_id,
						uint32_t display_id,
						uint16_t width_mm,
						uint16_t height_mm)
{
	return refuse(__func__, "a display (virtio-gpu)");
}

KRUN_API int32_t krun_display_set_refresh_rate(uint32_t ctx_id,
					       uint32_t display_id,
					       uint32_t refresh_rate)
{
	return refuse(__func__, "a display (virtio-gpu)");
}

KRUN_API int32_t krun_set_display_backend(uint32_t ctx_id,
					  const void *display_backend,
					  size_t backend_size)
{
	return refuse(__func__, "a display backend (virtio-gpu)");
}

KRUN_API int krun_add_input_device(uint32_t ctx_id, const void *config_backend,
				   size_t config_backend_size,
				   const void *events_backend,
				   size_t events_backend_size)
{
	return refuse(__func__, "an input device (virtio-input)");
}

KRUN_API int krun_add_input_device_fd(uint32_t ctx_id, int input_fd)
{
	return refuse(__func__, "an input device (virtio-input)");
}

KRUN_API int32_t krun_add_vhost_user_device(uint32_t ctx_id,
					    uint32_t device_type,
					    const char *socket_path,
					    const char *name,
					    uint16_t num_queues,
					    const uint16_t *queue_sizes)
{
	return refuse(__func__, "a vhost-user device");
}

KRUN_API int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag,
					  const char *path,
					  const uint8_t *data, size_t data_len,
					  uint32_t mode, bool one_shot)
{
	return refuse(__func__, "a virtual file in a virtio-fs share");
}

KRUN_API int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag,
					 const char *path, uint32_t mode)
{
	return refuse(__func__, "a virtual directory in a virtio-fs share");
}

/* ---- implicit devices, consoles, init ---- */

KRUN_API int32_t krun_disable_implicit_console(uint32_t ctx_id)
{
	WITH_CTX(ctx_id, config_disable_implicit_console(cfg, &err));
}

KRUN_API int32_t krun_disable_implicit_vsock(uint32_t ctx_id)
{
	WITH_CTX(ctx_id, config_disable_implicit_vsock(cfg, &err));
}

KRUN_API int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features)
{
	WITH_CTX(ctx_id, config_add_explicit_vsock(cfg, tsi_features, &err));
}

/* The init is in the boot image, never in the root: nothing to disable. */
static int disable_implicit_init(struct krun_config *cfg)
{
	cfg->no_implicit_init = true;
	return 0;
}

KRUN_API int32_t krun_disable_implicit_init(uint32_t ctx_id)
{
	WITH_CTX(ctx_id, disable_implicit_init(cfg));
}

KRUN_API int32_t krun_get_default_init(const uint8_t **data_out,
				       size_t *len_out)
{
	struct krun_err *err = NULL;

	if (!data_out || !len_out) {
		krun_err_set(&err, EINVAL,
			     "data_out and len_out must not be NULL");
		return api_result(__func__, -EINVAL, &err);
	}
	return refuse(__func__,
		      "an init blob for the root (the init is in the boot image)");
}

KRUN_API int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd,
						 int output_fd, int err_fd)
{
	WITH_CTX(ctx_id, config_set_console_fds(cfg, input_fd, output_fd,
						err_fd, &err));
}

KRUN_API int32_t krun_add_serial_console_default(uint32_t ctx_id,
						 int input_fd, int output_fd)
{
	return refuse(__func__, "a legacy serial console for the workload");
}

KRUN_API int32_t krun_add_virtio_console_multiport(uint32_t ctx_id)
{
	return refuse(__func__, "a multi-port virtio-console with named ports");
}

KRUN_API int32_t krun_add_console_port_tty(uint32_t ctx_id,
					   uint32_t console_id,
					   const char *name, int tty_fd)
{
	return refuse(__func__, "a named console port");
}

KRUN_API int32_t krun_add_console_port_inout(uint32_t ctx_id,
					     uint32_t console_id,
					     const char *name, int input_fd,
					     int output_fd)
{
	return refuse(__func__, "a named console port");
}

KRUN_API int32_t krun_set_kernel_console(uint32_t ctx_id,
					 const char *console_id)
{
	WITH_CTX(ctx_id, config_set_kernel_console(cfg, console_id, &err));
}
