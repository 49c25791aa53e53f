// SPDX-License-Identifier: Apache-2.0
/*
 * Return codes of every krun_* call, one row per case: a valid call, an
 * invalid one, and the cases where libkrun's behaviour is the contract
 * (accepted where libkrun accepts, refused where it refuses). Each row
 * runs on a fresh context. Then the effects the rows cannot see: the log
 * target, the warnings at start, the VMM's ids, the nested-virt CPUID
 * bits, the flush feature and the network peers.
 *
 * krun_set_kernel is declared by the header but implemented in
 * lib/api/api_boot.c; the install test covers its declaration.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/x86/cpuid.h"
#include "lib/api/api_internal.h"
#include "lib/api/libkrun.h"
#include "tests/unit/test_skip.h"
#include "util/log.h"
#include "virtio/blk.h"
#include "virtio/blk_backend.h"
#include "virtio/net_backend.h"

static uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 1};
static uint8_t mcast[6] = {0x01, 0x54, 0, 0, 0, 1};
static const char *const empty[] = {NULL};

static struct krun_config *cfg_of(uint32_t id)
{
	struct krun_config *cfg = NULL;

	assert_int_equal(krun_ctx_borrow(id, &cfg), 0);
	return cfg;
}

/* An fd that is certainly closed. */
static int closed_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

/* Each case: a body run on a fresh context `id`; its value is compared. */
#define CASE(name, ...)                              \
	static int32_t name(uint32_t id)             \
	{                                            \
		__VA_ARGS__                          \
	}

/* ---- logging and process-wide calls ---- */
CASE(log_level_5, return krun_set_log_level(5);)
CASE(log_level_6_is_trace, int32_t r = krun_set_log_level(6);
     assert_int_equal(krun_log_get_level(), 5); return r;)
CASE(init_log_default, return krun_init_log(KRUN_LOG_TARGET_DEFAULT, 0,
					      KRUN_LOG_STYLE_AUTO, 0);)
CASE(init_log_stdout_never_noenv,
     return krun_init_log(1, 9, KRUN_LOG_STYLE_NEVER, KRUN_LOG_OPTION_NO_ENV);)
CASE(init_log_stdin, return krun_init_log(0, 0, 0, 0);)
CASE(init_log_minus2, return krun_init_log(-2, 0, 0, 0);)
CASE(init_log_closed_fd, return krun_init_log(closed_fd(), 0, 0, 0);)
CASE(init_log_style_3, return krun_init_log(-1, 0, 3, 0);)
CASE(init_log_style_always, return krun_init_log(-1, 0,
					      KRUN_LOG_STYLE_ALWAYS, 0);)
CASE(init_log_options_2, return krun_init_log(-1, 0, 0, 2);)
CASE(has_net, return krun_has_feature(KRUN_FEATURE_NET);)
CASE(has_blk, return krun_has_feature(KRUN_FEATURE_BLK);)
CASE(has_gpu, return krun_has_feature(KRUN_FEATURE_GPU);)
CASE(has_input, return krun_has_feature(KRUN_FEATURE_INPUT);)
CASE(has_tee, return krun_has_feature(KRUN_FEATURE_TEE);)
CASE(has_sev, return krun_has_feature(KRUN_FEATURE_AMD_SEV);)
CASE(has_tdx, return krun_has_feature(KRUN_FEATURE_INTEL_TDX);)
CASE(has_nitro, return krun_has_feature(KRUN_FEATURE_AWS_NITRO);)
CASE(has_map2, return krun_has_feature(KRUN_FEATURE_VIRGL_RESOURCE_MAP2);)
CASE(has_init_blob, return krun_has_feature(KRUN_FEATURE_INIT_BLOB);)
CASE(has_3, return krun_has_feature(3);)
CASE(has_12, return krun_has_feature(12);)
CASE(has_max, return krun_has_feature(UINT64_MAX);)
CASE(nested_check_is_0_or_1,
     int32_t r = krun_check_nested_virt(); return r == 0 || r == 1 ? 0 : r;)
CASE(max_vcpus_in_range, int32_t r = krun_get_max_vcpus();
     if (access("/dev/kvm", R_OK | W_OK) < 0) return r < 0 ? 0 : -1000;
     return r >= 1 && r <= 64 ? 0 : -1000 - r;)

/* ---- contexts and VM size ---- */
CASE(free_known, return krun_free_ctx(id);)
CASE(free_twice, krun_free_ctx(id); return krun_free_ctx(id);)
CASE(vm_1_32, return krun_set_vm_config(id, 1, 32);)
CASE(vm_64_4096, return krun_set_vm_config(id, 64, 4096);)
CASE(vm_0_vcpus, return krun_set_vm_config(id, 0, 512);)
CASE(vm_65_vcpus, return krun_set_vm_config(id, 65, 512);)
CASE(vm_31_mib, return krun_set_vm_config(id, 1, 31);)

/* ---- root, disks, shares ---- */
CASE(root_ok, return krun_set_root(id, "/");)
CASE(root_null, return krun_set_root(id, NULL);)
CASE(root_disk_ok, return krun_set_root_disk(id, "/r.img");)
CASE(root_disk_null, return krun_set_root_disk(id, NULL);)
CASE(data_disk_ok, return krun_set_data_disk(id, "/d.img");)
CASE(data_disk_after_add,
     krun_add_disk(id, "a", "/a.img", false);
     return krun_set_data_disk(id, "/d.img");)
CASE(disk_ok, return krun_add_disk(id, "a", "/a.img", true);)
CASE(disk_dup, krun_add_disk(id, "a", "/a.img", true);
     return krun_add_disk(id, "a", "/b.img", true);)
CASE(disk_after_legacy, krun_set_root_disk(id, "/r.img");
     return krun_add_disk(id, "a", "/a.img", true);)
CASE(disk2_qcow2, return krun_add_disk2(id, "q", "/q.qcow2",
				       KRUN_DISK_FORMAT_QCOW2, false);)
CASE(disk2_vmdk, return krun_add_disk2(id, "v", "/v.vmdk",
				      KRUN_DISK_FORMAT_VMDK, false);)
CASE(disk3_full, int32_t r = krun_add_disk3(id, "a", "/a.img", 0, false,
					      false, KRUN_SYNC_FULL);
     assert_int_equal(cfg_of(id)->disks[0].sync_mode, KRUN_SYNC_FULL);
     return r;)
CASE(disk3_none, int32_t r = krun_add_disk3(id, "a", "/a.img", 0, false,
					      false, KRUN_SYNC_NONE);
     assert_int_equal(cfg_of(id)->disks[0].sync_mode, KRUN_SYNC_NONE);
     return r;)
CASE(disk3_relaxed, return krun_add_disk3(id, "a", "/a.img", 0, false,
					  false, KRUN_SYNC_RELAXED);)
CASE(disk3_sync_3, int32_t r = krun_add_disk3(id, "a", "/a.img", 0, false,
					        false, 3);
     assert_int_equal(cfg_of(id)->n_disks, 0); return r;)
CASE(disk3_direct_io, return krun_add_disk3(id, "a", "/a.img", 0, false,
					    true, KRUN_SYNC_FULL);)
CASE(remount_vdb1, krun_add_disk(id, "a", "/a.img", false);
     krun_add_disk(id, "b", "/b.img", false);
     int32_t r = krun_set_root_disk_remount(id, "/dev/vdb1", "ext4", NULL);
     assert_string_equal(cfg_of(id)->root_disk_id, "b");
     assert_int_equal(cfg_of(id)->root_partition, 1); return r;)
CASE(remount_vda_ro, krun_add_disk(id, "a", "/a.img", false);
     int32_t r = krun_set_root_disk_remount(id, "/dev/vda", "auto", "ro");
     assert_true(cfg_of(id)->root_read_only);
     assert_int_equal(cfg_of(id)->root_partition, 0); return r;)
CASE(remount_no_such_disk, krun_add_disk(id, "a", "/a.img", false);
     return krun_set_root_disk_remount(id, "/dev/vdb", NULL, NULL);)
CASE(remount_no_disks, return krun_set_root_disk_remount(id, "/dev/vda",
							 NULL, NULL);)
CASE(remount_sda, krun_add_disk(id, "a", "/a.img", false);
     return krun_set_root_disk_remount(id, "/dev/sda1", NULL, NULL);)
CASE(remount_null, return krun_set_root_disk_remount(id, NULL, NULL, NULL);)
CASE(remount_options, krun_add_disk(id, "a", "/a.img", false);
     return krun_set_root_disk_remount(id, "/dev/vda", NULL, "noatime");)
CASE(remount_with_root_dir, krun_set_root(id, "/");
     krun_add_disk(id, "a", "/a.img", false);
     return krun_set_root_disk_remount(id, "/dev/vda", NULL, NULL);)
CASE(mapped_volumes, return krun_set_mapped_volumes(id, empty);)
CASE(virtiofs_ok, return krun_add_virtiofs(id, "t", "/srv");)
CASE(virtiofs_null_path, return krun_add_virtiofs(id, "t", NULL);)
CASE(virtiofs_root_tag, int32_t r = krun_add_virtiofs(id, KRUN_FS_ROOT_TAG,
						      "/srv");
     assert_string_equal(cfg_of(id)->root_dir, "/srv");
     assert_int_equal(cfg_of(id)->n_shares, 0); return r;)
CASE(virtiofs2_dax, return krun_add_virtiofs2(id, "t", "/srv", 2 << 20);)
CASE(virtiofs2_dax_unaligned,
     return krun_add_virtiofs2(id, "t", "/srv", 1 << 20);)
CASE(virtiofs2_root_dax, int32_t r = krun_add_virtiofs2(id, KRUN_FS_ROOT_TAG,
							"/srv", 2 << 20);
     assert_int_equal(cfg_of(id)->root_shm_size, 2 << 20); return r;)
CASE(virtiofs3_ro, int32_t r = krun_add_virtiofs3(id, "t", "/srv", 0, true);
     assert_true(cfg_of(id)->shares[0].read_only); return r;)
CASE(virtiofs3_root_ro, int32_t r = krun_add_virtiofs3(id, KRUN_FS_ROOT_TAG,
						       "/srv", 0, true);
     assert_true(cfg_of(id)->root_read_only); return r;)
CASE(virtiofs3_dup, krun_add_virtiofs3(id, "t", "/srv", 0, true);
     return krun_add_virtiofs3(id, "t", "/srv", 0, false);)
CASE(overlay_file, return krun_fs_add_overlay_file(id, KRUN_FS_ROOT_TAG, "f",
						   (const uint8_t *)"x", 1,
						   0100644, false);)
CASE(overlay_dir, return krun_fs_add_overlay_dir(id, KRUN_FS_ROOT_TAG, "d",
						 040755);)

/* ---- network ---- */
CASE(stream_path, int32_t r = krun_add_net_unixstream(id, "/p.sock", -1, mac,
						      COMPAT_NET_FEATURES, 0);
     assert_int_equal(cfg_of(id)->net_mode, KRUN_NET_STREAM_PATH);
     assert_int_equal(cfg_of(id)->net_features, COMPAT_NET_FEATURES);
     return r;)
CASE(stream_fd, int32_t r = krun_add_net_unixstream(id, NULL, 2, mac, 0,
						    NET_FLAG_DHCP_CLIENT);
     assert_int_equal(cfg_of(id)->net_mode, KRUN_NET_PASST_FD);
     assert_int_equal(cfg_of(id)->passt_fd, 2); return r;)
CASE(stream_both, return krun_add_net_unixstream(id, "/p", 2, mac, 0, 0);)
CASE(stream_neither, return krun_add_net_unixstream(id, NULL, -1, mac, 0,
						     0);)
CASE(stream_closed_fd, return krun_add_net_unixstream(id, NULL, closed_fd(),
						       mac, 0, 0);)
CASE(stream_bad_feature, return krun_add_net_unixstream(id, "/p", -1, mac,
							 1 << 2, 0);)
CASE(stream_vfkit_flag, return krun_add_net_unixstream(id, "/p", -1, mac, 0,
							NET_FLAG_VFKIT);)
CASE(stream_multicast, int32_t r = krun_add_net_unixstream(id, "/p", -1,
							   mcast, 0, 0);
     assert_int_equal(cfg_of(id)->net_mode, KRUN_NET_DEFAULT);
     assert_false(cfg_of(id)->mac_set); return r;)
CASE(stream_second, krun_add_net_unixstream(id, "/p", -1, mac, 0, 0);
     int32_t r = krun_add_net_unixstream(id, "/q", -1, mac, 0, 0);
     assert_string_equal(cfg_of(id)->gvproxy_path, "/p"); return r;)
CASE(stream_after_port_map, const char *const m[] = {"8080:80", NULL};
     krun_set_port_map(id, m);
     return krun_add_net_unixstream(id, "/p", -1, mac, 0, 0);)
CASE(dgram_vfkit, int32_t r = krun_add_net_unixgram(id, "/g", -1, mac, 0,
						     NET_FLAG_VFKIT);
     assert_int_equal(cfg_of(id)->net_mode, KRUN_NET_GVPROXY);
     assert_true(cfg_of(id)->net_vfkit); return r;)
CASE(dgram_plain, int32_t r = krun_add_net_unixgram(id, "/g", -1, mac, 0, 0);
     assert_false(cfg_of(id)->net_vfkit); return r;)
CASE(dgram_fd, int32_t r = krun_add_net_unixgram(id, NULL, 2, mac, 0, 0);
     assert_int_equal(cfg_of(id)->net_mode, KRUN_NET_DGRAM_FD); return r;)
CASE(dgram_bad_flag, return krun_add_net_unixgram(id, "/g", -1, mac, 0, 4);)
CASE(dgram_after_passt_fd, krun_set_passt_fd(id, 2);
     return krun_add_net_unixgram(id, "/g", -1, mac, 0, 0);)
CASE(tap, return krun_add_net_tap(id, (char *)"tap0", mac, 0, 0);)
CASE(passt_fd_ok, return krun_set_passt_fd(id, 2);)
CASE(passt_fd_negative, return krun_set_passt_fd(id, -1);)
CASE(gvproxy_ok, return krun_set_gvproxy_path(id, (char *)"/g.sock");)
CASE(gvproxy_after_passt, krun_set_passt_fd(id, 2);
     return krun_set_gvproxy_path(id, (char *)"/g.sock");)
CASE(mac_ok, return krun_set_net_mac(id, mac);)
CASE(mac_multicast, return krun_set_net_mac(id, mcast);)
CASE(ports_ok, const char *const m[] = {"8080:80", "127.0.0.1:53:53/udp",
					NULL};
     return krun_set_port_map(id, m);)
CASE(ports_dup_guest, const char *const m[] = {"8080:80", "8081:80", NULL};
     return krun_set_port_map(id, m);)
CASE(ports_dup_host, const char *const m[] = {"8080:80", "8080:81", NULL};
     return krun_set_port_map(id, m);)
CASE(ports_with_passt_fd, const char *const m[] = {"8080:80", NULL};
     krun_set_passt_fd(id, 2); return krun_set_port_map(id, m);)
CASE(ports_bad, const char *const m[] = {"80", NULL};
     return krun_set_port_map(id, m);)

/* ---- GPU, display, input, sound, vhost-user ---- */
CASE(gpu_any_bits, int32_t r = krun_set_gpu_options(id, 0xffffffffu);
     assert_true(cfg_of(id)->gpu_enabled); return r;)
CASE(gpu2, return krun_set_gpu_options2(id, VIRGLRENDERER_VENUS, 1 << 20);)
CASE(display, return krun_add_display(id, 640, 480);)
CASE(display_edid, return krun_display_set_edid(id, 0, mac, sizeof(mac));)
CASE(display_dpi, return krun_display_set_dpi(id, 0, 96);)
CASE(display_size, return krun_display_set_physical_size(id, 0, 300, 200);)
CASE(display_rate, return krun_display_set_refresh_rate(id, 0, 60);)
CASE(display_backend, return krun_set_display_backend(id, mac, 6);)
CASE(input, return krun_add_input_device(id, mac, 6, mac, 6);)
CASE(input_fd, return krun_add_input_device_fd(id, 0);)
CASE(snd_on, return krun_set_snd_device(id, true);)
CASE(vhost_user, return krun_add_vhost_user_device(
			 id, KRUN_VIRTIO_DEVICE_RNG, "/v.sock", NULL,
			 KRUN_VHOST_USER_RNG_NUM_QUEUES,
			 KRUN_VHOST_USER_RNG_QUEUE_SIZES);)

/* ---- workload ---- */
CASE(rlimits_ok, const char *const rl[] = {"NOFILE=64:128", "6=1:2", NULL};
     return krun_set_rlimits(id, rl);)
CASE(rlimits_soft_above_hard, const char *const rl[] = {"NOFILE=2:1", NULL};
     int32_t r = krun_set_rlimits(id, rl);
     assert_int_equal(cfg_of(id)->rlimits[0].cur, 2); return r;)
CASE(rlimits_null, return krun_set_rlimits(id, NULL);)
CASE(rlimits_unknown, const char *const rl[] = {"BOGUS=1:2", NULL};
     return krun_set_rlimits(id, rl);)
CASE(oem_ok, const char *const o[] = {"a", NULL};
     return krun_set_smbios_oem_strings(id, o);)
CASE(oem_null, return krun_set_smbios_oem_strings(id, NULL);)
CASE(workdir_abs, return krun_set_workdir(id, "/tmp");)
CASE(workdir_relative, int32_t r = krun_set_workdir(id, "srv/app");
     assert_string_equal(cfg_of(id)->workdir, "/srv/app"); return r;)
CASE(workdir_null, return krun_set_workdir(id, NULL);)
CASE(exec_ok, return krun_set_exec(id, "/bin/sh", empty, empty);)
CASE(exec_null, return krun_set_exec(id, NULL, empty, empty);)
CASE(env_ok, const char *const e[] = {"A=1", NULL};
     return krun_set_env(id, e);)
CASE(env_bad, const char *const e[] = {"A", NULL};
     return krun_set_env(id, e);)
CASE(firmware, return krun_set_firmware(id, "/fw.bin");)
CASE(tee_ok, return krun_set_tee_config_file(id, "/tee.json");)
CASE(tee_null, return krun_set_tee_config_file(id, NULL);)
CASE(setuid_ok, int32_t r = krun_setuid(id, 65534);
     assert_true(cfg_of(id)->vmm_uid_set);
     assert_int_equal(cfg_of(id)->vmm_uid, 65534); return r;)
CASE(setgid_ok, int32_t r = krun_setgid(id, 65534);
     assert_true(cfg_of(id)->vmm_gid_set); return r;)
CASE(nested_on, int32_t r = krun_set_nested_virt(id, true);
     assert_true(cfg_of(id)->nested_virt); return r;)
CASE(nested_off, return krun_set_nested_virt(id, false);)
CASE(split_off, return krun_split_irqchip(id, false);)
CASE(split_on, return krun_split_irqchip(id, true);)

/* ---- vsock ---- */
CASE(vsock_port_ok, return krun_add_vsock_port(id, 1024, "/s.sock");)
CASE(vsock_port2_listen, return krun_add_vsock_port2(id, 1024, "/l.sock",
						     true);)
CASE(vsock_port_no_device, krun_disable_implicit_vsock(id);
     return krun_add_vsock_port(id, 1024, "/s.sock");)
CASE(vsock_port_explicit, krun_disable_implicit_vsock(id);
     krun_add_vsock(id, 0);
     return krun_add_vsock_port2(id, 1024, "/s.sock", false);)
CASE(vsock_add_implicit_exists, return krun_add_vsock(id, 0);)
CASE(vsock_add_ok, krun_disable_implicit_vsock(id);
     return krun_add_vsock(id, 0);)
CASE(vsock_add_twice, krun_disable_implicit_vsock(id); krun_add_vsock(id, 0);
     return krun_add_vsock(id, 0);)
CASE(vsock_add_tsi, krun_disable_implicit_vsock(id);
     return krun_add_vsock(id, KRUN_TSI_HIJACK_INET);)
CASE(vsock_add_bad_bits, krun_disable_implicit_vsock(id);
     return krun_add_vsock(id, 4);)
CASE(vsock_disable, return krun_disable_implicit_vsock(id);)

/* ---- console ---- */
CASE(shutdown_fd, int32_t r = krun_get_shutdown_eventfd(id);
     return r >= 0 ? 0 : r;)
CASE(console_output_once, return krun_set_console_output(id, "/tmp/c");)
CASE(console_output_twice, krun_set_console_output(id, "/tmp/c");
     return krun_set_console_output(id, "/tmp/d");)
CASE(console_disable, int32_t r = krun_disable_implicit_console(id);
     assert_true(cfg_of(id)->no_implicit_console); return r;)
CASE(console_default, int32_t r = krun_add_virtio_console_default(id, 0, 1,
								  2);
     assert_int_equal(cfg_of(id)->console_fds[2], 2); return r;)
CASE(console_default_none, return krun_add_virtio_console_default(id, -1, -1,
								   -1);)
CASE(console_default_twice, krun_add_virtio_console_default(id, 0, 1, 2);
     return krun_add_virtio_console_default(id, 0, 1, 2);)
CASE(console_default_closed, return krun_add_virtio_console_default(
			       id, closed_fd(), 1, 2);)
CASE(serial_console, return krun_add_serial_console_default(id, 0, 1);)
CASE(multiport, return krun_add_virtio_console_multiport(id);)
CASE(port_tty, return krun_add_console_port_tty(id, 0, "t", 0);)
CASE(port_inout, return krun_add_console_port_inout(id, 0, "io", 0, 1);)
CASE(kernel_console_ttys0, int32_t r = krun_set_kernel_console(id, "ttyS0");
     assert_true(cfg_of(id)->kernel_log); return r;)
CASE(kernel_console_hvc0, return krun_set_kernel_console(id, "hvc0");)
CASE(kernel_console_null, return krun_set_kernel_console(id, NULL);)

/* ---- init, start ---- */
CASE(init_disable, return krun_disable_implicit_init(id);)
CASE(default_init, const uint8_t *p; size_t n;
     return krun_get_default_init(&p, &n);)
CASE(default_init_null, size_t n; return krun_get_default_init(NULL, &n);)
CASE(start_no_root, return krun_start_enter(id);)
CASE(start_unknown, return krun_start_enter(UINT32_MAX - 3);)

struct row {
	const char *name;
	int32_t (*run)(uint32_t id);
	int32_t want;
};

#define ROW(fn, want) {#fn, fn, want}

static const struct row rows[] = {
	ROW(log_level_5, 0),
	ROW(log_level_6_is_trace, 0),
	ROW(init_log_default, 0),
	ROW(init_log_stdout_never_noenv, 0),
	ROW(init_log_stdin, -EINVAL),
	ROW(init_log_minus2, -EINVAL),
	ROW(init_log_closed_fd, -EBADF),
	ROW(init_log_style_3, -EINVAL),
	ROW(init_log_style_always, -ENOTSUP),
	ROW(init_log_options_2, -EINVAL),
	ROW(has_net, 1),
	ROW(has_blk, 1),
#ifdef KRUN_HAVE_VIRGL
	ROW(has_gpu, 1),
#else
	ROW(has_gpu, 0),
#endif
	ROW(has_input, 0),
	ROW(has_tee, 0),
	ROW(has_sev, 0),
	ROW(has_tdx, 0),
	ROW(has_nitro, 0),
	ROW(has_map2, 0),
	ROW(has_init_blob, 0),
	ROW(has_3, -EINVAL),
	ROW(has_12, -EINVAL),
	ROW(has_max, -EINVAL),
	ROW(nested_check_is_0_or_1, 0),
	ROW(max_vcpus_in_range, 0),
	ROW(free_known, 0),
	ROW(free_twice, -ENOENT),
	ROW(vm_1_32, 0),
	ROW(vm_64_4096, 0),
	ROW(vm_0_vcpus, -EINVAL),
	ROW(vm_65_vcpus, -EINVAL),
	ROW(vm_31_mib, -EINVAL),
	ROW(root_ok, 0),
	ROW(root_null, -EINVAL),
	ROW(root_disk_ok, 0),
	ROW(root_disk_null, -EINVAL),
	ROW(data_disk_ok, 0),
	ROW(data_disk_after_add, -EINVAL),
	ROW(disk_ok, 0),
	ROW(disk_dup, -EEXIST),
	ROW(disk_after_legacy, -EINVAL),
	ROW(disk2_qcow2, 0),
	ROW(disk2_vmdk, -EINVAL),
	ROW(disk3_full, 0),
	ROW(disk3_none, 0),
	ROW(disk3_relaxed, 0),
	ROW(disk3_sync_3, -EINVAL),
	ROW(disk3_direct_io, -ENOTSUP),
	ROW(remount_vdb1, 0),
	ROW(remount_vda_ro, 0),
	ROW(remount_no_such_disk, -EINVAL),
	ROW(remount_no_disks, -EINVAL),
	ROW(remount_sda, -EINVAL),
	ROW(remount_null, -EINVAL),
	ROW(remount_options, -ENOTSUP),
	ROW(remount_with_root_dir, -EINVAL),
	ROW(mapped_volumes, -EINVAL),
	ROW(virtiofs_ok, 0),
	ROW(virtiofs_null_path, -EINVAL),
	ROW(virtiofs_root_tag, 0),
	ROW(virtiofs2_dax, 0),
	ROW(virtiofs2_dax_unaligned, -EINVAL),
	ROW(virtiofs2_root_dax, 0),
	ROW(virtiofs3_ro, 0),
	ROW(virtiofs3_root_ro, 0),
	ROW(virtiofs3_dup, -EEXIST),
	ROW(overlay_file, -ENOTSUP),
	ROW(overlay_dir, -ENOTSUP),
	ROW(stream_path, 0),
	ROW(stream_fd, 0),
	ROW(stream_both, -EINVAL),
	ROW(stream_neither, -EINVAL),
	ROW(stream_closed_fd, -EBADF),
	ROW(stream_bad_feature, -EINVAL),
	ROW(stream_vfkit_flag, -EINVAL),
	ROW(stream_multicast, -EINVAL),
	ROW(stream_second, -ENOTSUP),
	ROW(stream_after_port_map, -ENOTSUP),
	ROW(dgram_vfkit, 0),
	ROW(dgram_plain, 0),
	ROW(dgram_fd, 0),
	ROW(dgram_bad_flag, -EINVAL),
	ROW(dgram_after_passt_fd, -ENOTSUP),
	ROW(tap, -ENOTSUP),
	ROW(passt_fd_ok, 0),
	ROW(passt_fd_negative, -EINVAL),
	ROW(gvproxy_ok, 0),
	ROW(gvproxy_after_passt, -EINVAL),
	ROW(mac_ok, 0),
	ROW(mac_multicast, -EINVAL),
	ROW(ports_ok, 0),
	ROW(ports_dup_guest, -EINVAL),
	ROW(ports_dup_host, -EEXIST),
	ROW(ports_with_passt_fd, -ENOTSUP),
	ROW(ports_bad, -EINVAL),
	ROW(gpu_any_bits, 0),
	ROW(gpu2, 0),
	ROW(display, -ENOTSUP),
	ROW(display_edid, -ENOTSUP),
	ROW(display_dpi, -ENOTSUP),
	ROW(display_size, -ENOTSUP),
	ROW(display_rate, -ENOTSUP),
	ROW(display_backend, -ENOTSUP),
	ROW(input, -ENOTSUP),
	ROW(input_fd, -ENOTSUP),
	ROW(snd_on, 0),
	ROW(vhost_user, -ENOTSUP),
	ROW(rlimits_ok, 0),
	ROW(rlimits_soft_above_hard, 0),
	ROW(rlimits_null, -EINVAL),
	ROW(rlimits_unknown, -EINVAL),
	ROW(oem_ok, 0),
	ROW(oem_null, -EINVAL),
	ROW(workdir_abs, 0),
	ROW(workdir_relative, 0),
	ROW(workdir_null, -EINVAL),
	ROW(exec_ok, 0),
	ROW(exec_null, -EINVAL),
	ROW(env_ok, 0),
	ROW(env_bad, -EINVAL),
	ROW(firmware, -ENOTSUP),
	ROW(tee_ok, 0),
	ROW(tee_null, -EINVAL),
	ROW(setuid_ok, 0),
	ROW(setgid_ok, 0),
	ROW(nested_on, 0),
	ROW(nested_off, 0),
	ROW(split_off, 0),
	ROW(split_on, -ENOTSUP),
	ROW(vsock_port_ok, 0),
	ROW(vsock_port2_listen, 0),
	ROW(vsock_port_no_device, -ENODEV),
	ROW(vsock_port_explicit, 0),
	ROW(vsock_add_implicit_exists, -EEXIST),
	ROW(vsock_add_ok, 0),
	ROW(vsock_add_twice, -EEXIST),
	ROW(vsock_add_tsi, -ENOTSUP),
	ROW(vsock_add_bad_bits, -EINVAL),
	ROW(vsock_disable, 0),
	ROW(shutdown_fd, 0),
	ROW(console_output_once, 0),
	ROW(console_output_twice, -EINVAL),
	ROW(console_disable, 0),
	ROW(console_default, 0),
	ROW(console_default_none, 0),
	ROW(console_default_twice, -ENOTSUP),
	ROW(console_default_closed, -EBADF),
	ROW(serial_console, -ENOTSUP),
	ROW(multiport, -ENOTSUP),
	ROW(port_tty, -ENOTSUP),
	ROW(port_inout, -ENOTSUP),
	ROW(kernel_console_ttys0, 0),
	ROW(kernel_console_hvc0, -ENOTSUP),
	ROW(kernel_console_null, -EINVAL),
	ROW(init_disable, 0),
	ROW(default_init, -ENOTSUP),
	ROW(default_init_null, -EINVAL),
	ROW(start_no_root, -EINVAL),
	ROW(start_unknown, -ENOENT),
};

static void return_code_table(void **state)
{
	size_t failed = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int32_t id = krun_create_ctx();
		int32_t got;

		assert_true(id > 0);
		krun_set_log_level(0);
		got = rows[i].run((uint32_t)id);
		krun_init_log(KRUN_LOG_TARGET_DEFAULT, 0, 0, 0);
		krun_free_ctx((uint32_t)id);
		if (got != rows[i].want) {
			print_error("%s: got %d, want %d\n", rows[i].name, got,
				    rows[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Every call taking a context: -ENOENT for an unknown one. Calls for a
 * feature this build lacks answer -ENOTSUP first, as libkrun's builds
 * without that feature do. */
static void unknown_context(void **state)
{
	const uint32_t bad = UINT32_MAX - 1;

	krun_set_log_level(0);
	assert_int_equal(krun_add_disk3(bad, "a", "/a", 0, false, false, 0),
			 -ENOENT);
	assert_int_equal(krun_add_virtiofs3(bad, "t", "/a", 0, false), -ENOENT);
	assert_int_equal(krun_set_root_disk_remount(bad, "/dev/vda", 0, 0),
			 -ENOENT);
	assert_int_equal(krun_add_net_unixstream(bad, "/p", -1, mac, 0, 0),
			 -ENOENT);
	assert_int_equal(krun_add_net_unixgram(bad, "/p", -1, mac, 0, 0),
			 -ENOENT);
	assert_int_equal(krun_setuid(bad, 0), -ENOENT);
	assert_int_equal(krun_setgid(bad, 0), -ENOENT);
	assert_int_equal(krun_set_nested_virt(bad, true), -ENOENT);
	assert_int_equal(krun_split_irqchip(bad, false), -ENOENT);
	assert_int_equal(krun_disable_implicit_console(bad), -ENOENT);
	assert_int_equal(krun_disable_implicit_vsock(bad), -ENOENT);
	assert_int_equal(krun_disable_implicit_init(bad), -ENOENT);
	assert_int_equal(krun_add_vsock(bad, 0), -ENOENT);
	assert_int_equal(krun_add_vsock_port2(bad, 5, "/s", true), -ENOENT);
	assert_int_equal(krun_add_virtio_console_default(bad, 0, 1, 2),
			 -ENOENT);
	assert_int_equal(krun_set_kernel_console(bad, "ttyS0"), -ENOENT);
	assert_int_equal(krun_free_ctx(bad), -ENOENT);
	assert_int_equal(krun_add_net_tap(bad, (char *)"t", mac, 0, 0),
			 -ENOTSUP);
	krun_set_log_level(1);
}

/* krun_init_log with an fd: a failing call's line arrives there. */
static void init_log_to_fd(void **state)
{
	char buf[512] = "";
	int p[2];
	ssize_t n;

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(krun_init_log(p[1], KRUN_LOG_LEVEL_ERROR,
				       KRUN_LOG_STYLE_NEVER, 0),
			 0);
	assert_int_equal(krun_split_irqchip(UINT32_MAX - 1, false), -ENOENT);
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "krun_split_irqchip: no context"));
	assert_non_null(strchr(buf, '\n'));
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1); /* one line */
	assert_int_equal(krun_init_log(KRUN_LOG_TARGET_DEFAULT, 0, 0, 0), 0);
	close(p[0]);
	close(p[1]);
}

/* A context that passes the checks but cannot boot: no kernel there. */
static int32_t unbootable_ctx(void)
{
	const char *const argv[] = {NULL};
	int32_t id = krun_create_ctx();

	assert_true(id > 0);
	assert_int_equal(krun_set_root(id, "/"), 0);
	assert_int_equal(krun_set_exec(id, "/bin/true", argv, argv), 0);
	assert_int_equal(config_set_kernel(cfg_of(id), "/nonexistent/vmlinux",
					   NULL),
			 0);
	return id;
}

/* Offloads are named once each when the VM starts; GPU and sound are not
 * among them (they are made, or refused, with the devices). */
static void start_warns_recorded_features(void **state)
{
	char buf[2048] = "";
	int p[2];
	int32_t id = unbootable_ctx();

	assert_int_equal(krun_set_gpu_options(id, VIRGLRENDERER_VENUS), 0);
	assert_int_equal(krun_set_snd_device(id, true), 0);
	assert_int_equal(krun_add_net_unixgram(id, "/nonexistent/g", -1, mac,
					       NET_FEATURE_CSUM, 0),
			 0);
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(krun_init_log(p[1], KRUN_LOG_LEVEL_ERROR,
				       KRUN_LOG_STYLE_AUTO, 0),
			 0);
	assert_true(krun_start_enter(id) < 0);
	assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
	assert_int_equal(krun_init_log(KRUN_LOG_TARGET_DEFAULT, 0, 0, 0), 0);
	close(p[0]);
	close(p[1]);
	assert_null(strstr(buf, "GPU"));
	assert_null(strstr(buf, "sound was enabled"));
	assert_non_null(strstr(buf, "krun[warn] virtio-net offloads 0x1"));
}

/* krun_setgid/krun_setuid change the VMM process's ids at start. */
static void start_drops_ids(void **state)
{
	pid_t pid;
	int status;

	SKIP_UNLESS_ROOT("changing the process's ids");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int32_t id;

		krun_set_log_level(0);
		id = unbootable_ctx();
		if (krun_setgid(id, 65533) || krun_setuid(id, 65534))
			_exit(2);
		if (krun_start_enter(id) >= 0)
			_exit(3);
		_exit(getuid() == 65534 && geteuid() == 65534 &&
				      getgid() == 65533
			      ? 0
			      : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Without nested virtualization the guest's CPUID has no VMX/SVM. */
static void nested_cpuid_bits(void **state)
{
	struct kvm_cpuid_entry2 e[2] = {
		{.function = 1, .ecx = 0xffffffffu},
		{.function = 0x80000001, .ecx = 0xffffffffu},
	};

	cpuid_set_nested(e, 2, true);
	assert_int_equal(e[0].ecx, 0xffffffffu);
	assert_int_equal(e[1].ecx, 0xffffffffu);
	cpuid_set_nested(e, 2, false);
	assert_int_equal(e[0].ecx, 0xffffffffu & ~(1u << 5));
	assert_int_equal(e[1].ecx, 0xffffffffu & ~(1u << 2));
}

/* KRUN_SYNC_NONE: no VIRTIO_BLK_F_FLUSH offered. */
static void sync_none_offers_no_flush(void **state)
{
	char path[] = "/tmp/krun-api-blk-XXXXXX";
	int fd = mkstemp(path);
	struct blk_backend *be = NULL;
	struct virtio_device *dev;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	for (int none = 0; none <= 1; none++) {
		assert_int_equal(blk_open(path, BLK_FORMAT_RAW, false, &be,
					  NULL),
				 0);
		be->no_flush = none;
		dev = virtio_blk_create(be, "d", NULL);
		assert_non_null(dev);
		assert_int_equal(!!(dev->ops->features(dev) & (1ull << 9)),
				 !none);
		dev->ops->destroy(dev);
	}
	unlink(path);
}

/* A unixstream peer by path; a unixgram peer greeted only with vfkit. */
static void net_peers_connect(void **state)
{
	char dir[] = "/tmp/krun-api-net-XXXXXX";
	char spath[128], gpath[128], local[160];
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct net_backend *be;
	char got[8];
	int ls, gs;

	assert_non_null(mkdtemp(dir));
	snprintf(spath, sizeof(spath), "%s/s", dir);
	snprintf(gpath, sizeof(gpath), "%s/g", dir);
	snprintf(local, sizeof(local), "%s-krun.sock", gpath);
	assert_null(net_stream_connect(spath, NULL)); /* nobody listens */
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(a.sun_path, spath);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 1), 0);
	be = net_stream_connect(spath, NULL);
	assert_non_null(be);
	be->ops->destroy(be);
	close(ls);

	gs = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	strcpy(a.sun_path, gpath);
	assert_int_equal(bind(gs, (struct sockaddr *)&a, sizeof(a)), 0);
	be = net_dgram_connect(gpath, local, false, NULL);
	assert_non_null(be);
	assert_int_equal(recv(gs, got, sizeof(got), 0), -1); /* no greeting */
	be->ops->destroy(be);
	be = net_dgram_connect(gpath, local, true, NULL);
	assert_non_null(be);
	assert_int_equal(recv(gs, got, sizeof(got), 0), 4);
	assert_memory_equal(got, "VFKT", 4);
	be->ops->destroy(be);
	close(gs);
	unlink(spath);
	unlink(gpath);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(return_code_table),
		cmocka_unit_test(unknown_context),
		cmocka_unit_test(init_log_to_fd),
		cmocka_unit_test(start_warns_recorded_features),
		cmocka_unit_test(start_drops_ids),
		cmocka_unit_test(nested_cpuid_bits),
		cmocka_unit_test(sync_none_offers_no_flush),
		cmocka_unit_test(net_peers_connect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
