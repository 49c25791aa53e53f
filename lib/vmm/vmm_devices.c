// SPDX-License-Identifier: Apache-2.0
/*
 * Device wiring: each virtio device gets slot i of the virtio-mmio window
 * (hw/x86/layout.h), IRQ LAYOUT_VIRTIO_IRQ_BASE + i through a KVM irqfd, one
 * KVM ioeventfd per queue on QueueNotify, and a virtio_mmio.device= entry
 * on the kernel command line. Slot order is the guest's probe order, so the
 * root disk is attached first among the disks (it becomes /dev/vda).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/guest_abi.h"
#include "lib/vmm/vmm_internal.h"
#include "util/log.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/blk_backend.h"
#include "virtio/console.h"
#include "virtio/fs.h"
#include "virtio/gpu.h"
#include "virtio/gpu/gpu_proto.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/snd/snd.h"
#include "virtio/snd/snd_pipewire.h"
#include "virtio/vsock.h"

/* Offset of QueueNotify in the virtio-mmio register block. */
#define MMIO_QUEUE_NOTIFY 0x50

static int wire_slot(struct vmm *vmm, struct vmm_slot *slot, unsigned int idx,
		     struct krun_err **err)
{
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + idx * LAYOUT_VIRTIO_MMIO_SIZE;
	unsigned int gsi = LAYOUT_VIRTIO_IRQ_BASE + idx;
	char entry[64];
	int ret;

	ret = io_bus_register(vm_mmio_bus(vmm->vm), base,
			      LAYOUT_VIRTIO_MMIO_SIZE, virtio_mmio_access,
			      slot->transport, err);
	if (ret < 0)
		return ret;
	ret = vm_add_irqfd(vmm->vm, gsi, slot->irq_fd, err);
	if (ret < 0)
		return ret;
	for (unsigned int q = 0; q < virtio_mmio_num_queues(slot->transport);
	     q++) {
		ret = vm_add_ioeventfd(
			vmm->vm, base + MMIO_QUEUE_NOTIFY, 4, q,
			virtio_mmio_notify_fd(slot->transport, q), err);
		if (ret < 0)
			return ret;
	}
	snprintf(entry, sizeof(entry), "virtio_mmio.device=4K@0x%llx:%u",
		 (unsigned long long)base, gsi);
	return vmm_cmdline_add(vmm, entry, err);
}

/* Take ownership of dev: wrap it in a transport and wire it up. */
static int attach(struct vmm *vmm, struct virtio_device *dev,
		  struct krun_err **err)
{
	struct vmm_slot *slot;
	unsigned int idx = vmm->n_slots;

	if (!dev)
		return -EINVAL; /* the create function recorded why */
	if (idx >= LAYOUT_VIRTIO_MMIO_MAX) {
		dev->ops->destroy(dev);
		return krun_err_set(err, ENOSPC,
				    "too many devices (at most %d)",
				    LAYOUT_VIRTIO_MMIO_MAX);
	}
	slot = &vmm->slots[idx];
	slot->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (slot->irq_fd < 0) {
		dev->ops->destroy(dev);
		return krun_err_set_errno(err, errno,
					  "cannot create an eventfd");
	}
	dev->threads = vmm_seccomp_launcher(&vmm->seccomp);
	slot->transport = virtio_mmio_create(dev, vm_guest_mem(vmm->vm),
					     slot->irq_fd, err);
	if (!slot->transport) {
		close(slot->irq_fd);
		return -EINVAL;
	}
	vmm->n_slots++;
	return wire_slot(vmm, slot, idx, err);
}

static int add_console(struct vmm *vmm, struct krun_err **err)
{
	const struct krun_config *cfg = vmm->cfg;
	struct virtio_console_opts opts = {
		.stdin_fd = STDIN_FILENO,
		.stdout_fd = STDOUT_FILENO,
		.stderr_fd = STDERR_FILENO,
		.output_path = cfg->console_output,
		.port_names = {KRUN_PORT_STDIN, KRUN_PORT_STDOUT,
			       KRUN_PORT_STDERR},
	};

	/* krun_add_virtio_console_default(): the caller's fds are the ends
	 * and the console output file (implicit console only) is unused.
	 * Implicit console disabled and none added: all ends closed, the
	 * guest's output is discarded. */
	if (cfg->console_fds_set || cfg->no_implicit_console) {
		opts.stdin_fd = cfg->console_fds[0];
		opts.stdout_fd = cfg->console_fds[1];
		opts.stderr_fd = cfg->console_fds[2];
		opts.output_path = NULL;
	}
	/* A terminal session only when both ends are a terminal: with
	 * stdout redirected, output must stay apart from stderr. */
	opts.terminal = !opts.output_path &&
			(cfg->tty == KRUN_YES ||
			 (cfg->tty == KRUN_AUTO && opts.stdin_fd >= 0 &&
			  isatty(opts.stdin_fd) && opts.stdout_fd >= 0 &&
			  isatty(opts.stdout_fd)));
	/* -i=false: the guest's stdin is at EOF from the start. */
	if (cfg->interactive == KRUN_NO)
		opts.stdin_fd = -1;
	vmm->terminal = opts.terminal;
	vmm->console = virtio_console_create(&opts, err);
	return attach(vmm, vmm->console, err);
}

static int add_disk(struct vmm *vmm, const char *id, const char *path,
		    uint32_t format, bool read_only, uint32_t sync_mode,
		    struct krun_err **err)
{
	struct blk_backend *backend = NULL;
	int ret;

	ret = blk_open(path,
		       format == KRUN_FORMAT_QCOW2 ? BLK_FORMAT_QCOW2
						   : BLK_FORMAT_RAW,
		       read_only, &backend, err);
	if (ret < 0)
		return ret;
	backend->no_flush = sync_mode == KRUN_DISK_SYNC_NONE;
	return attach(vmm, virtio_blk_create(backend, id, err), err);
}

static int add_disks(struct vmm *vmm, struct krun_err **err)
{
	const struct krun_config *cfg = vmm->cfg;
	int ret = 0;

	if (cfg->legacy_root_disk)
		ret = add_disk(vmm, "root", cfg->legacy_root_disk,
			       KRUN_FORMAT_RAW, false, KRUN_DISK_SYNC_FULL,
			       err);
	if (ret == 0 && cfg->legacy_data_disk)
		ret = add_disk(vmm, "data", cfg->legacy_data_disk,
			       KRUN_FORMAT_RAW, false, KRUN_DISK_SYNC_FULL,
			       err);
	/* The root disk first, so the guest probes it first. */
	for (size_t i = 0; ret == 0 && i < cfg->n_disks; i++) {
		const struct krun_disk *d = &cfg->disks[i];

		if (cfg->root_disk_id &&
		    !strcmp(d->block_id, cfg->root_disk_id))
			ret = add_disk(vmm, d->block_id, d->path, d->format,
				       d->read_only, d->sync_mode, err);
	}
	for (size_t i = 0; ret == 0 && i < cfg->n_disks; i++) {
		const struct krun_disk *d = &cfg->disks[i];

		if (!cfg->root_disk_id ||
		    strcmp(d->block_id, cfg->root_disk_id))
			ret = add_disk(vmm, d->block_id, d->path, d->format,
				       d->read_only, d->sync_mode, err);
	}
	return ret;
}

static unsigned int share_flags(bool read_only, bool allow_setid,
				enum krun_fs_cache cache)
{
	return (read_only ? VIRTIO_FS_READ_ONLY : 0) |
	       (allow_setid ? VIRTIO_FS_ALLOW_SETID : 0) |
	       (cache == KRUN_FS_CACHE_ALWAYS  ? VIRTIO_FS_CACHE_ALWAYS
		: cache == KRUN_FS_CACHE_NEVER ? VIRTIO_FS_CACHE_NEVER
					       : 0);
}

/*
 * Host fds each share's server may hold for the guest: the open-file limit
 * (already raised, see vmm_run) less a reserve for the VMM itself (disks,
 * sockets, passt, vsock connections), split evenly between the shares and
 * capped, so a guest that pins inodes or opens
 * files without end gets EMFILE instead of starving the VMM.
 */
#define SHARE_FD_RESERVE 4096u
#define SHARE_FD_MIN 256u
#define SHARE_FD_CAP (1u << 18) /* the FUSE server's own default */

static uint32_t share_fd_budget(const struct krun_config *cfg)
{
	size_t n = cfg->n_shares + (cfg->root_dir ? 1 : 0);
	struct rlimit lim;
	uint64_t per;

	if (n == 0 || getrlimit(RLIMIT_NOFILE, &lim) < 0 ||
	    lim.rlim_cur == RLIM_INFINITY)
		return SHARE_FD_CAP;
	per = lim.rlim_cur > SHARE_FD_RESERVE + n * SHARE_FD_MIN
		      ? (lim.rlim_cur - SHARE_FD_RESERVE) / n
		      : SHARE_FD_MIN;
	return per < SHARE_FD_CAP ? (uint32_t)per : SHARE_FD_CAP;
}

/*
 * The share's DAX window: the device reserves the host range, the VM maps
 * it above RAM as a memory slot of its own, and the transport tells the
 * guest where (shared memory region 0).
 */
static int add_dax(struct vmm *vmm, struct virtio_device *dev, uint64_t size,
		   bool read_only, struct krun_err **err)
{
	struct vmm_slot *slot = &vmm->slots[vmm->n_slots - 1];
	void *host = NULL;
	uint64_t gpa;
	int ret;

	ret = virtio_fs_enable_dax(dev, size, &host, err);
	if (ret == 0)
		ret = vm_add_shm_slot(vmm->vm, host, size, read_only, &gpa,
				      err);
	if (ret == 0)
		ret = virtio_mmio_add_shm(slot->transport,
					  VIRTIO_FS_SHMCAP_ID_CACHE, gpa, size,
					  err);
	return ret;
}

static int add_share(struct vmm *vmm, const char *tag, const char *path,
		     unsigned int flags, uint32_t max_fds, uint64_t shm_size,
		     struct krun_err **err)
{
	struct virtio_device *dev =
		virtio_fs_create(tag, path, flags, max_fds, err);
	int ret = attach(vmm, dev, err);

	if (ret == 0 && shm_size)
		ret = add_dax(vmm, dev, shm_size, flags & VIRTIO_FS_READ_ONLY,
			      err);
	return ret;
}

static int add_shares(struct vmm *vmm, struct krun_err **err)
{
	const struct krun_config *cfg = vmm->cfg;
	uint32_t max_fds = share_fd_budget(cfg);
	int ret = 0;

	if (cfg->root_dir)
		ret = add_share(vmm, KRUN_ROOT_TAG, cfg->root_dir,
				share_flags(cfg->root_read_only,
					    !cfg->root_strip_setid,
					    cfg->root_cache),
				max_fds, cfg->root_shm_size, err);
	for (size_t i = 0; ret == 0 && i < cfg->n_shares; i++) {
		const struct krun_share *s = &cfg->shares[i];

		ret = add_share(vmm, s->tag, s->host_path,
				share_flags(s->read_only, s->allow_setid,
					    s->cache),
				max_fds, s->shm_size, err);
	}
	return ret;
}

static int add_vsock(struct vmm *vmm, struct krun_err **err)
{
	const struct krun_config *cfg = vmm->cfg;
	struct vsock_port_map *maps;
	int ret;

	if (cfg->n_vsock_ports == 0)
		return 0;
	maps = calloc(cfg->n_vsock_ports, sizeof(*maps));
	if (!maps)
		return krun_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < cfg->n_vsock_ports; i++)
		maps[i] = (struct vsock_port_map){
			.port = cfg->vsock_ports[i].port,
			.path = cfg->vsock_ports[i].path,
			.listen = cfg->vsock_ports[i].listen,
		};
	ret = attach(vmm,
		     virtio_vsock_create(maps, (unsigned int)cfg->n_vsock_ports,
					 0, err),
		     err);
	free(maps);
	return ret;
}

static int add_net(struct vmm *vmm, struct krun_err **err)
{
	static const uint8_t default_mac[6] = KRUN_DEFAULT_MAC;
	const struct krun_config *cfg = vmm->cfg;
	struct net_backend *be = NULL;
	int ret = vmm_net_backend(vmm, &be, err);

	if (ret < 0 || !be)
		return ret;
	ret = attach(vmm,
		     virtio_net_create(cfg->mac_set ? cfg->mac : default_mac,
				       be, err),
		     err);
	vmm->has_net = ret == 0;
	return ret;
}

static int gpu_window_map(void *opaque, uint64_t off, void *host,
			  uint64_t len)
{
	struct vmm_gpu_window *w = opaque;
	struct krun_err *err = NULL;
	int ret = vm_map_shm(w->vm, w->gpa + off, host, len, &err);

	/* The guest asked for it: its request fails, the VM goes on. */
	if (ret < 0)
		log_debug("virtio-gpu: %s", krun_err_msg(err));
	krun_err_free(&err);
	return ret;
}

static void gpu_window_unmap(void *opaque, uint64_t off)
{
	struct vmm_gpu_window *w = opaque;

	vm_unmap_shm(w->vm, w->gpa + off);
}

/*
 * virtio-gpu: the renderer thread starts here, so a host whose
 * virglrenderer cannot start fails the run before the guest boots; then
 * the device is wired and its host-visible window goes above RAM like a
 * DAX window (shared memory region 1), reserved: blob mappings come and
 * go in it as KVM slots of their own.
 */
static int add_gpu(struct vmm *vmm, struct krun_err **err)
{
	const struct krun_config *cfg = vmm->cfg;
	struct virtio_gpu_opts opts = {
		.virgl_flags = cfg->virgl_flags,
		.shm_size = cfg->gpu_shm_size,
		.window = {gpu_window_map, gpu_window_unmap, &vmm->gpu_window},
	};
	struct virtio_device *dev;
	void *host = NULL;
	uint64_t size = 0, gpa;
	int ret;

	if (!cfg->gpu_enabled)
		return 0;
	if (!virtio_gpu_available())
		return krun_err_set(err, ENOTSUP,
				    "GPU asked for, but this build has no virtio-gpu (built without virglrenderer)");
	dev = virtio_gpu_create(&opts, err);
	if (!dev)
		return -EINVAL;
	/* The renderer first: the features the transport offers depend on
	 * what it can do (3D, capsets). */
	dev->threads = vmm_seccomp_launcher(&vmm->seccomp);
	ret = virtio_gpu_start(dev, &host, &size, err);
	if (ret < 0) {
		dev->ops->destroy(dev);
		return ret;
	}
	ret = attach(vmm, dev, err);
	if (ret == 0)
		ret = vm_reserve_shm(vmm->vm, size, &gpa, err);
	if (ret == 0) {
		vmm->gpu_window.vm = vmm->vm;
		vmm->gpu_window.gpa = gpa;
		ret = virtio_mmio_add_shm(vmm->slots[vmm->n_slots - 1].transport,
					  VIRTIO_GPU_SHM_ID_HOST_VISIBLE, gpa,
					  size, err);
	}
	return ret;
}

/* virtio-snd on the host's PipeWire server; a host without one fails the
 * start here, before the guest boots. */
static int add_snd(struct vmm *vmm, struct krun_err **err)
{
	struct snd_backend *be;

	if (!vmm->cfg->snd_enabled)
		return 0;
	be = snd_pipewire_open(vmm_seccomp_launcher(&vmm->seccomp), err);
	if (!be)
		return -ENOTSUP;
	return attach(vmm, virtio_snd_create(be, err), err);
}

int vmm_add_devices(struct vmm *vmm, struct krun_err **err)
{
	int ret;

	ret = add_console(vmm, err);
	if (ret == 0)
		ret = attach(vmm, virtio_rng_create(err), err);
	if (ret == 0)
		ret = add_disks(vmm, err);
	if (ret == 0)
		ret = add_shares(vmm, err);
	if (ret == 0)
		ret = add_net(vmm, err);
	if (ret == 0)
		ret = add_vsock(vmm, err);
	if (ret == 0)
		ret = add_gpu(vmm, err);
	if (ret == 0)
		ret = add_snd(vmm, err);
	/* Always present, as in libkrun: free page reporting gives memory
	 * the guest no longer uses back to the host. Last, so the other
	 * devices keep their slots. */
	if (ret == 0)
		ret = attach(vmm, virtio_balloon_create(err), err);
	return ret;
}

void vmm_remove_devices(struct vmm *vmm)
{
	if (vmm->console)
		virtio_console_restore_terminal(vmm->console);
	while (vmm->n_slots > 0) {
		struct vmm_slot *slot = &vmm->slots[--vmm->n_slots];

		virtio_mmio_destroy(slot->transport);
		close(slot->irq_fd);
	}
	vmm->console = NULL;
}
