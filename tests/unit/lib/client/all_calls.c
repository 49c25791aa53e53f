// SPDX-License-Identifier: Apache-2.0
/*
 * Every function and macro of libkrun's current API, used the way a client
 * of it would. Built in the unit suite against the installed header with
 * -Werror=implicit-function-declaration and -Werror=incompatible-pointer-
 * types: a call or macro missing from the header, or declared with other
 * types, breaks the build. It is compiled, not run.
 */
#include <stdio.h>

#include <libkrun.h>

/* Macros not used by a call below. */
static const long long macro_values[] = {
	(long long)(KRUN_LOG_LEVEL_ERROR),
	(long long)(KRUN_LOG_LEVEL_INFO),
	(long long)(KRUN_LOG_LEVEL_DEBUG),
	(long long)(KRUN_LOG_LEVEL_TRACE),
	(long long)(KRUN_LOG_STYLE_AUTO),
	(long long)(KRUN_LOG_STYLE_ALWAYS),
	(long long)(KRUN_FEATURE_BLK),
	(long long)(KRUN_FEATURE_GPU),
	(long long)(KRUN_FEATURE_INPUT),
	(long long)(KRUN_FEATURE_TEE),
	(long long)(KRUN_FEATURE_AMD_SEV),
	(long long)(KRUN_FEATURE_INTEL_TDX),
	(long long)(KRUN_FEATURE_AWS_NITRO),
	(long long)(KRUN_FEATURE_VIRGL_RESOURCE_MAP2),
	(long long)(KRUN_FEATURE_INIT_BLOB),
	(long long)(KRUN_DISK_FORMAT_VMDK),
	(long long)(KRUN_SYNC_NONE),
	(long long)(KRUN_SYNC_FULL),
	(long long)(NET_FEATURE_CSUM),
	(long long)(NET_FEATURE_GUEST_CSUM),
	(long long)(NET_FEATURE_GUEST_TSO4),
	(long long)(NET_FEATURE_GUEST_TSO6),
	(long long)(NET_FEATURE_GUEST_UFO),
	(long long)(NET_FEATURE_HOST_TSO4),
	(long long)(NET_FEATURE_HOST_TSO6),
	(long long)(NET_FEATURE_HOST_UFO),
	(long long)(VIRGLRENDERER_USE_EGL),
	(long long)(VIRGLRENDERER_THREAD_SYNC),
	(long long)(VIRGLRENDERER_USE_GLX),
	(long long)(VIRGLRENDERER_USE_SURFACELESS),
	(long long)(VIRGLRENDERER_USE_GLES),
	(long long)(VIRGLRENDERER_USE_EXTERNAL_BLOB),
	(long long)(VIRGLRENDERER_USE_ASYNC_FENCE_CB),
	(long long)(VIRGLRENDERER_RENDER_SERVER),
	(long long)(KRUN_MAX_DISPLAYS),
	(long long)(KRUN_VIRTIO_DEVICE_CONSOLE),
	(long long)(KRUN_VIRTIO_DEVICE_RTC),
	(long long)(KRUN_VIRTIO_DEVICE_INPUT),
	(long long)(KRUN_VIRTIO_DEVICE_VSOCK),
	(long long)(KRUN_VIRTIO_DEVICE_SND),
	(long long)(KRUN_VIRTIO_DEVICE_CAN),
	(long long)(KRUN_VHOST_USER_CONSOLE_NUM_QUEUES),
	(long long)(KRUN_VHOST_USER_RTC_NUM_QUEUES),
	(long long)(KRUN_VHOST_USER_INPUT_NUM_QUEUES),
	(long long)(KRUN_VHOST_USER_SND_NUM_QUEUES),
	(long long)(KRUN_VHOST_USER_VSOCK_NUM_QUEUES),
	(long long)(KRUN_VHOST_USER_CAN_NUM_QUEUES),
	(long long)(KRUN_KERNEL_FORMAT_RAW),
	(long long)(KRUN_KERNEL_FORMAT_PE_GZ),
	(long long)(KRUN_KERNEL_FORMAT_IMAGE_BZ2),
	(long long)(KRUN_KERNEL_FORMAT_IMAGE_GZ),
	(long long)(KRUN_KERNEL_FORMAT_IMAGE_ZSTD),
};

int main(void)
{
	const char *const list[] = {NULL};
	uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 1};
	const uint8_t *blob = NULL;
	size_t len = 0;
	uint32_t c = 0;
	int32_t r = 0;

	r |= krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	r |= krun_init_log(KRUN_LOG_TARGET_DEFAULT, KRUN_LOG_LEVEL_WARN,
			   KRUN_LOG_STYLE_NEVER, KRUN_LOG_OPTION_NO_ENV);
	c = (uint32_t)krun_create_ctx();
	r |= krun_free_ctx(c);
	r |= krun_set_vm_config(c, 1, 512);
	r |= krun_get_max_vcpus();
	r |= krun_has_feature(KRUN_FEATURE_NET);
	r |= krun_set_root(c, "/");
	r |= krun_set_root_disk(c, "/r.img");
	r |= krun_set_data_disk(c, "/d.img");
	r |= krun_add_disk(c, "a", "/a.img", true);
	r |= krun_add_disk2(c, "b", "/b.img", KRUN_DISK_FORMAT_QCOW2, false);
	r |= krun_add_disk3(c, "c", "/c.img", KRUN_DISK_FORMAT_RAW, false,
			    false, KRUN_SYNC_RELAXED);
	r |= krun_set_root_disk_remount(c, "/dev/vda1", "ext4", NULL);
	r |= krun_set_mapped_volumes(c, list);
	r |= krun_add_virtiofs(c, "t", "/srv");
	r |= krun_add_virtiofs2(c, "t2", "/srv", 0);
	r |= krun_add_virtiofs3(c, KRUN_FS_ROOT_TAG, "/srv", 0, true);
	r |= krun_fs_add_overlay_file(c, KRUN_FS_ROOT_TAG, "f", blob, len,
				      0100644, false);
	r |= krun_fs_add_overlay_dir(c, KRUN_FS_ROOT_TAG, "d", 040755);
	r |= krun_add_net_unixstream(c, "/p.sock", -1, mac, COMPAT_NET_FEATURES,
				     NET_FLAG_DHCP_CLIENT);
	r |= krun_add_net_unixgram(c, NULL, 3, mac, 0, NET_FLAG_VFKIT);
	r |= krun_add_net_tap(c, (char *)"tap0", mac, 0, 0);
	r |= krun_set_passt_fd(c, 3);
	r |= krun_set_gvproxy_path(c, (char *)"/g.sock");
	r |= krun_set_net_mac(c, mac);
	r |= krun_set_port_map(c, list);
	r |= krun_set_gpu_options(c, VIRGLRENDERER_VENUS | VIRGLRENDERER_NO_VIRGL);
	r |= krun_set_gpu_options2(c, VIRGLRENDERER_DRM, 1 << 20);
	r |= krun_add_display(c, 640, 480);
	r |= krun_display_set_edid(c, 0, blob, len);
	r |= krun_display_set_dpi(c, 0, 96);
	r |= krun_display_set_physical_size(c, 0, 300, 200);
	r |= krun_display_set_refresh_rate(c, 0, 60);
	r |= krun_set_display_backend(c, NULL, 0);
	r |= krun_add_input_device(c, NULL, 0, NULL, 0);
	r |= krun_add_input_device_fd(c, 3);
	r |= krun_set_snd_device(c, false);
	r |= krun_add_vhost_user_device(c, KRUN_VIRTIO_DEVICE_RNG, "/v.sock",
					NULL, KRUN_VHOST_USER_RNG_NUM_QUEUES,
					KRUN_VHOST_USER_RNG_QUEUE_SIZES);
	r |= krun_set_rlimits(c, list);
	r |= krun_set_smbios_oem_strings(c, list);
	r |= krun_set_workdir(c, "/");
	r |= krun_set_exec(c, "/bin/sh", list, list);
	r |= krun_set_env(c, list);
	r |= krun_set_firmware(c, "/fw");
	r |= krun_set_kernel(c, "/vmlinux", KRUN_KERNEL_FORMAT_ELF, NULL, "");
	r |= krun_set_tee_config_file(c, "/tee.json");
	r |= krun_setuid(c, (uid_t)0);
	r |= krun_setgid(c, (gid_t)0);
	r |= krun_set_nested_virt(c, false);
	r |= krun_check_nested_virt();
	r |= krun_split_irqchip(c, false);
	r |= krun_add_vsock_port(c, 1024, "/s.sock");
	r |= krun_add_vsock_port2(c, 1025, "/l.sock", true);
	r |= krun_disable_implicit_vsock(c);
	r |= krun_add_vsock(c, KRUN_TSI_HIJACK_INET | KRUN_TSI_HIJACK_UNIX);
	r |= krun_get_shutdown_eventfd(c);
	r |= krun_set_console_output(c, "/o");
	r |= krun_disable_implicit_console(c);
	r |= krun_add_virtio_console_default(c, 0, 1, 2);
	r |= krun_add_serial_console_default(c, 0, 1);
	r |= krun_add_virtio_console_multiport(c);
	r |= krun_add_console_port_tty(c, 0, "tty", 0);
	r |= krun_add_console_port_inout(c, 0, "io", 0, 1);
	r |= krun_set_kernel_console(c, "ttyS0");
	r |= krun_disable_implicit_init(c);
	r |= krun_get_default_init(&blob, &len);
	r |= krun_start_enter(c);

	r |= (int32_t)(
	KRUN_VHOST_USER_CONSOLE_QUEUE_SIZES[0] +
	KRUN_VHOST_USER_RTC_QUEUE_SIZES[0] +
	KRUN_VHOST_USER_INPUT_QUEUE_SIZES[0] +
	KRUN_VHOST_USER_SND_QUEUE_SIZES[0] +
	KRUN_VHOST_USER_VSOCK_QUEUE_SIZES[0] +
	KRUN_VHOST_USER_CAN_QUEUE_SIZES[0] +
	0);
	printf("%d %zu\n", r, sizeof(macro_values));
	return 0;
}
