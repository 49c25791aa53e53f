// SPDX-License-Identifier: Apache-2.0
/* The krun_* entry points: context table, errno mapping, ordering rules. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/api/api_internal.h"
#include "lib/api/libkrun.h"
#include "util/log.h"

static int ctx_setup(void **state)
{
	int32_t id = krun_create_ctx();

	if (id < 0)
		return -1;
	*state = (void *)(intptr_t)id;
	return 0;
}

static int ctx_teardown(void **state)
{
	/* Tests that consume their context leave -ENOENT here; fine. */
	krun_free_ctx((uint32_t)(intptr_t)*state);
	return 0;
}

#define CTX(state) ((uint32_t)(intptr_t) * (state))
#define API_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, ctx_setup, ctx_teardown)

static struct krun_config *borrow(uint32_t id)
{
	struct krun_config *cfg = NULL;

	assert_int_equal(krun_ctx_borrow(id, &cfg), 0);
	return cfg;
}

/* Messages go to stderr at level 1; quiet them except where checked. */
static int quiet(void **state)
{
	return krun_set_log_level(0);
}

static void create_and_free(void **state)
{
	int32_t a = krun_create_ctx();
	int32_t b = krun_create_ctx();
	struct krun_config *cfg;

	assert_true(a > 0);
	assert_true(b > a);
	assert_int_equal(krun_free_ctx((uint32_t)a), 0);
	assert_int_equal(krun_free_ctx((uint32_t)a), -ENOENT);
	assert_int_equal(krun_ctx_borrow((uint32_t)a, &cfg), -ENOENT);
	/* Ids are not handed out again right away. */
	int32_t c = krun_create_ctx();

	assert_true(c > b);
	assert_int_equal(krun_free_ctx((uint32_t)b), 0);
	assert_int_equal(krun_free_ctx((uint32_t)c), 0);
	assert_int_equal(krun_free_ctx(0), -ENOENT);
	assert_int_equal(krun_free_ctx(UINT32_MAX), -ENOENT);
}

static void unknown_ctx_is_enoent_everywhere(void **state)
{
	const uint32_t bad = UINT32_MAX - 1;
	const char *const list[] = {NULL};
	uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 1};

	assert_int_equal(krun_set_vm_config(bad, 1, 512), -ENOENT);
	assert_int_equal(krun_set_root(bad, "/"), -ENOENT);
	assert_int_equal(krun_set_root_disk(bad, "/a"), -ENOENT);
	assert_int_equal(krun_set_data_disk(bad, "/a"), -ENOENT);
	assert_int_equal(krun_add_disk(bad, "a", "/a", false), -ENOENT);
	assert_int_equal(krun_add_disk2(bad, "a", "/a", 0, false), -ENOENT);
	assert_int_equal(krun_set_mapped_volumes(bad, list), -ENOENT);
	assert_int_equal(krun_add_virtiofs(bad, "t", "/a"), -ENOENT);
	assert_int_equal(krun_add_virtiofs2(bad, "t", "/a", 0), -ENOENT);
	assert_int_equal(krun_set_passt_fd(bad, 0), -ENOENT);
	assert_int_equal(krun_set_gvproxy_path(bad, (char *)"/s"), -ENOENT);
	assert_int_equal(krun_set_net_mac(bad, mac), -ENOENT);
	assert_int_equal(krun_set_port_map(bad, list), -ENOENT);
	assert_int_equal(krun_set_gpu_options(bad, 0), -ENOENT);
	assert_int_equal(krun_set_gpu_options2(bad, 0, 0), -ENOENT);
	assert_int_equal(krun_set_snd_device(bad, true), -ENOENT);
	assert_int_equal(krun_set_rlimits(bad, list), -ENOENT);
	assert_int_equal(krun_set_smbios_oem_strings(bad, list), -ENOENT);
	assert_int_equal(krun_set_workdir(bad, "/"), -ENOENT);
	assert_int_equal(krun_set_exec(bad, "/bin/sh", list, list), -ENOENT);
	assert_int_equal(krun_set_env(bad, list), -ENOENT);
	assert_int_equal(krun_set_tee_config_file(bad, "/t"), -ENOENT);
	assert_int_equal(krun_add_vsock_port(bad, 1, "/s"), -ENOENT);
	assert_int_equal(krun_get_shutdown_eventfd(bad), -ENOENT);
	assert_int_equal(krun_set_console_output(bad, "/o"), -ENOENT);
	assert_int_equal(krun_start_enter(bad), -ENOENT);
}

static void log_level(void **state)
{
	for (uint32_t level = 0; level <= 5; level++)
		assert_int_equal(krun_set_log_level(level), 0);
	/* Above 5 is trace, as libkrun. */
	assert_int_equal(krun_set_log_level(6), 0);
	assert_int_equal(krun_log_get_level(), 5);
	assert_int_equal(krun_set_log_level(UINT32_MAX), 0);
	assert_int_equal(krun_log_get_level(), 5);
	assert_int_equal(krun_set_log_level(0), 0);
}

/* Capture what one failing call logs on stderr. */
static void errors_are_logged(void **state)
{
	char buf[512] = {0};
	int pipefd[2];
	int saved;
	ssize_t n;

	assert_int_equal(pipe(pipefd), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(pipefd[1], STDERR_FILENO);
	krun_set_log_level(1);
	assert_int_equal(krun_set_vm_config(CTX(state), 0, 512), -EINVAL);
	krun_set_log_level(0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	assert_true(n > 0);
	assert_non_null(strstr(
		buf,
		"krun_set_vm_config: invalid vCPU count `0`: must be 1..64"));
}

static void vm_config(void **state)
{
	struct krun_config *cfg = borrow(CTX(state));

	assert_int_equal(krun_set_vm_config(CTX(state), 2, 1024), 0);
	assert_int_equal(cfg->vcpus, 2);
	assert_int_equal(cfg->ram_mib, 1024);
	assert_int_equal(krun_set_vm_config(CTX(state), 0, 1024), -EINVAL);
	assert_int_equal(krun_set_vm_config(CTX(state), 65, 1024), -EINVAL);
	assert_int_equal(krun_set_vm_config(CTX(state), 255, 1024), -EINVAL);
	assert_int_equal(krun_set_vm_config(CTX(state), 4, 31), -EINVAL);
	assert_int_equal(cfg->vcpus, 2);
	assert_int_equal(cfg->ram_mib, 1024);
	/* libkrun's small guests: 32 MiB is the floor here. */
	assert_int_equal(krun_set_vm_config(CTX(state), 1, 32), 0);
	assert_int_equal(cfg->ram_mib, 32);
}

static void root_and_disks(void **state)
{
	uint32_t id = CTX(state);
	struct krun_config *cfg = borrow(id);

	assert_int_equal(krun_set_root(id, NULL), -EINVAL);
	assert_int_equal(krun_set_root(id, ""), -EINVAL);
	assert_int_equal(krun_set_root(id, "/srv/rootfs"), 0);
	assert_string_equal(cfg->root_dir, "/srv/rootfs");
	assert_int_equal(krun_set_root_disk(id, "/r.img"), 0);
	assert_int_equal(krun_set_data_disk(id, "/d.img"), 0);
	assert_int_equal(krun_add_disk(id, "vda", "/x.img", false), -EINVAL);
	assert_int_equal(krun_add_disk2(id, "vda", "/x.img", 0, false),
			 -EINVAL);
	assert_int_equal(cfg->n_disks, 0);
}

static void modern_disks(void **state)
{
	uint32_t id = CTX(state);
	struct krun_config *cfg = borrow(id);

	assert_int_equal(krun_add_disk(id, "vda", "/a.img", true), 0);
	assert_int_equal(krun_add_disk2(id, "vdb", "/b.qcow2",
					KRUN_DISK_FORMAT_QCOW2, false),
			 0);
	assert_int_equal(krun_add_disk2(id, "vdc", "/c", 2, false), -EINVAL);
	assert_int_equal(krun_add_disk(id, "vda", "/again", false), -EEXIST);
	assert_int_equal(krun_add_disk(id, NULL, "/a", false), -EINVAL);
	assert_int_equal(krun_add_disk(id, "vdd", NULL, false), -EINVAL);
	assert_int_equal(krun_add_disk(id, "bad id", "/a", false), -EINVAL);
	assert_int_equal(krun_set_root_disk(id, "/r.img"), -EINVAL);
	assert_int_equal(krun_set_data_disk(id, "/d.img"), -EINVAL);
	assert_int_equal(cfg->n_disks, 2);
	assert_true(cfg->disks[0].read_only);
	assert_int_equal(cfg->disks[0].format, KRUN_DISK_FORMAT_RAW);
	assert_int_equal(cfg->disks[1].format, KRUN_DISK_FORMAT_QCOW2);
}

static void shares_and_volumes(void **state)
{
	uint32_t id = CTX(state);
	struct krun_config *cfg = borrow(id);
	const char *const vols[] = {"/a:/b", NULL};

	assert_int_equal(krun_set_mapped_volumes(id, vols), -EINVAL);
	assert_int_equal(krun_set_mapped_volumes(id, NULL), -EINVAL);
	assert_int_equal(krun_add_virtiofs(id, "data", "/srv/data"), 0);
	assert_int_equal(krun_add_virtiofs2(id, "dax", "/srv/dax", 1 << 20),
			 -EINVAL);
	assert_int_equal(krun_add_virtiofs2(id, "dax", "/srv/dax", 2 << 20), 0);
	assert_int_equal(krun_add_virtiofs(id, "data", "/other"), -EEXIST);
	assert_int_equal(krun_add_virtiofs(id, NULL, "/x"), -EINVAL);
	assert_int_equal(krun_add_virtiofs(id, "x", NULL), -EINVAL);
	/* KRUN_FS_ROOT_TAG sets the root, not a share. */
	assert_int_equal(krun_add_virtiofs(id, KRUN_FS_ROOT_TAG, "/x"), 0);
	assert_string_equal(cfg->root_dir, "/x");
	assert_int_equal(
		krun_add_virtiofs(id, "0123456789012345678901234567890123456",
				  "/x"),
		-EINVAL);
	assert_int_equal(cfg->n_shares, 2);
	assert_int_equal(cfg->shares[1].shm_size, 2 << 20);
	assert_null(cfg->shares[0].guest_path);
}

static void network(void **state)
{
	uint32_t id = CTX(state);
	struct krun_config *cfg = borrow(id);
	const char *const ports[] = {"8080:80", NULL};
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(krun_set_passt_fd(id, -1), -EINVAL);
	assert_int_equal(krun_set_passt_fd(id, sv[0]), 0);
	assert_int_equal(krun_set_port_map(id, ports), -ENOTSUP);
	assert_int_equal(krun_set_port_map(id, NULL), -ENOTSUP);
	assert_int_equal(krun_set_gvproxy_path(id, (char *)"/gv.sock"),
			 -EINVAL);
	assert_int_equal(cfg->net_mode, KRUN_NET_PASST_FD);
	assert_int_equal(krun_free_ctx(id), 0);
	assert_true(fcntl(sv[0], F_GETFD) >= 0); /* not ours to close */
	close(sv[0]);
	close(sv[1]);
}

static void gvproxy_and_ports(void **state)
{
	uint32_t id = CTX(state);
	struct krun_config *cfg = borrow(id);
	const char *const ports[] = {"8080:80", "2222:22", NULL};
	const char *const bad[] = {"80:x", NULL};
	const char *const none[] = {NULL};
	int sv[2];

	assert_int_equal(krun_set_port_map(id, bad), -EINVAL);
	assert_int_equal(krun_set_port_map(id, ports), 0);
	assert_int_equal(cfg->n_ports, 2);
	assert_int_equal(krun_set_port_map(id, none), 0);
	assert_true(cfg->port_map_set);
	assert_int_equal(cfg->n_ports, 0);
	assert_int_equal(krun_set_port_map(id, NULL), 0);
	assert_false(cfg->port_map_set);
	assert_int_equal(krun_set_gvproxy_path(id, NULL), -EINVAL);
	assert_int_equal(krun_set_gvproxy_path(id, (char *)"/gv.sock"), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(krun_set_passt_fd(id, sv[0]), -EINVAL);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(krun_set_port_map(id, ports), -ENOTSUP);
	assert_string_equal(cfg->gvproxy_path, "/gv.sock");
}

static void mac(void **state)
{
	uint32_t id = CTX(state);
	uint8_t good[6] = {0x52, 0x54, 0x00, 0x11, 0x22, 0x33};
	uint8_t multicast[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t zero[6] = {0};

	assert_int_equal(krun_set_net_mac(id, NULL), -EINVAL);
	assert_int_equal(krun_set_net_mac(id, multicast), -EINVAL);
	assert_int_equal(krun_set_net_mac(id, zero), -EINVAL);
	assert_int_equal(krun_set_net_mac(id, good), 0);
	assert_memory_equal(borrow(id)->mac, good, 6);
}

static void devices(void **state)
{
	uint32_t id = CTX(state);
	struct krun_config *cfg = borrow(id);
	const char *const oem[] = {"a", "b", NULL};
	const char *const bad_oem[] = {"", NULL};

	/* Unknown virgl bits pass, as libkrun. */
	assert_int_equal(krun_set_gpu_options(id, 1u << 12), 0);
	assert_int_equal(cfg->virgl_flags, 1u << 12);
	assert_int_equal(krun_set_gpu_options(id, VIRGLRENDERER_VENUS), 0);
	assert_int_equal(krun_set_gpu_options2(id, VIRGLRENDERER_DRM, 4096), 0);
	assert_int_equal(cfg->virgl_flags, VIRGLRENDERER_DRM);
	assert_int_equal(cfg->gpu_shm_size, 4096);
	assert_int_equal(krun_set_snd_device(id, true), 0);
	assert_true(cfg->snd_enabled);
	assert_int_equal(krun_set_snd_device(id, false), 0);
	assert_false(cfg->snd_enabled);
	assert_int_equal(krun_set_smbios_oem_strings(id, NULL), -EINVAL);
	assert_int_equal(krun_set_smbios_oem_strings(id, bad_oem), -EINVAL);
	assert_int_equal(krun_set_smbios_oem_strings(id, oem), 0);
	assert_int_equal(krun_set_tee_config_file(id, NULL), -EINVAL);
	assert_int_equal(krun_set_tee_config_file(id, "/tee.json"), 0);
	assert_int_equal(krun_add_vsock_port(id, 1024, "/run/s"), 0);
	assert_int_equal(krun_add_vsock_port(id, 1024, "/run/t"), -EEXIST);
	assert_int_equal(krun_add_vsock_port(id, UINT32_MAX, "/run/t"),
			 -EINVAL);
	assert_int_equal(krun_add_vsock_port(id, 7, NULL), -EINVAL);
	assert_int_equal(krun_add_vsock_port(id, 0, "/run/t"), -EINVAL);
	assert_int_equal(krun_add_vsock_port2(id, 1025, "/run/l", true), 0);
	assert_true(cfg->vsock_ports[1].listen);
	assert_int_equal(krun_add_vsock_port2(id, 1026, "/run/l", false),
			 -EEXIST);
	assert_int_equal(krun_set_console_output(id, ""), -EINVAL);
	assert_int_equal(krun_set_console_output(id, "/tmp/console"), 0);
	assert_string_equal(cfg->console_output, "/tmp/console");
	/* Set once, as libkrun. */
	assert_int_equal(krun_set_console_output(id, "/tmp/other"), -EINVAL);
	assert_string_equal(cfg->console_output, "/tmp/console");
}

static void workload(void **state)
{
	uint32_t id = CTX(state);
	struct krun_config *cfg = borrow(id);
	const char *const argv[] = {"-c", "exit 3", NULL};
	const char *const envp[] = {"HOME=/root", NULL};
	const char *const bad_env[] = {"HOME", NULL};
	const char *const rl[] = {"RLIMIT_NOFILE=1024:2048", NULL};
	const char *const bad_rl[] = {"NOFILE=x:1", NULL};
	const char *const inverted_rl[] = {"NOFILE=2:1", NULL};

	assert_int_equal(krun_set_exec(id, NULL, argv, envp), -EINVAL);
	assert_int_equal(krun_set_exec(id, "/bin/sh", argv, bad_env), -EINVAL);
	assert_null(cfg->exec_path);
	assert_int_equal(krun_set_exec(id, "/bin/sh", argv, envp), 0);
	assert_string_equal(cfg->argv[1], "exit 3");
	assert_string_equal(cfg->envp[0], "HOME=/root");
	setenv("KRUN_API_TEST", "yes", 1);
	assert_int_equal(krun_set_env(id, NULL), 0);
	bool found = false;

	for (char **e = cfg->envp; *e; e++)
		found |= !strcmp(*e, "KRUN_API_TEST=yes");
	assert_true(found);
	unsetenv("KRUN_API_TEST");
	assert_int_equal(krun_set_env(id, bad_env), -EINVAL);
	/* Relative: from the guest's root, as libkrun. */
	assert_int_equal(krun_set_workdir(id, "relative"), 0);
	assert_string_equal(cfg->workdir, "/relative");
	assert_int_equal(krun_set_workdir(id, NULL), -EINVAL);
	assert_int_equal(krun_set_workdir(id, "/tmp"), 0);
	assert_int_equal(krun_set_rlimits(id, NULL), -EINVAL);
	assert_int_equal(krun_set_rlimits(id, bad_rl), -EINVAL);
	/* Soft above hard: accepted as libkrun (the guest refuses it). */
	assert_int_equal(krun_set_rlimits(id, inverted_rl), 0);
	assert_int_equal(cfg->rlimits[0].cur, 2);
	assert_int_equal(krun_set_rlimits(id, rl), 0);
	assert_int_equal(cfg->n_rlimits, 1);
	assert_int_equal(cfg->rlimits[0].max, 2048);
}

static void shutdown_eventfd(void **state)
{
	uint32_t id = CTX(state);
	int32_t fd = krun_get_shutdown_eventfd(id);
	uint64_t one = 1;

	assert_true(fd >= 0);
	assert_int_equal(krun_get_shutdown_eventfd(id), fd);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(krun_free_ctx(id), 0);
	/* The context owned it. */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

static void start_consumes_context(void **state)
{
	uint32_t id = CTX(state);

	/* No root: refused, and the context is gone anyway. */
	assert_int_equal(krun_start_enter(id), -EINVAL);
	assert_int_equal(krun_free_ctx(id), -ENOENT);
	assert_int_equal(krun_start_enter(id), -ENOENT);
}

/* The root directory share takes a DAX window too; its size is checked
 * when it is set. */
static void root_dax_window(void **state)
{
	int32_t id = krun_create_ctx();
	struct krun_config *cfg;

	assert_true(id > 0);
	cfg = borrow((uint32_t)id);
	assert_int_equal(
		krun_add_virtiofs2(id, KRUN_FS_ROOT_TAG, "/srv", 3 << 20),
		-EINVAL);
	assert_int_equal(cfg->root_shm_size, 0);
	assert_int_equal(
		krun_add_virtiofs2(id, KRUN_FS_ROOT_TAG, "/srv", 8 << 20), 0);
	assert_string_equal(cfg->root_dir, "/srv");
	assert_int_equal(cfg->root_shm_size, 8 << 20);
	assert_int_equal(krun_free_ctx(id), 0);
}

#define THREADS 8
#define ROUNDS 300

static void *churn(void *arg)
{
	intptr_t failures = 0;

	for (int i = 0; i < ROUNDS; i++) {
		int32_t id = krun_create_ctx();

		if (id <= 0) {
			failures++;
			continue;
		}
		failures += krun_set_vm_config((uint32_t)id, 2, 256) != 0;
		failures += krun_add_virtiofs((uint32_t)id, "t", "/x") != 0;
		failures +=
			krun_add_virtiofs((uint32_t)id, "t", "/x") != -EEXIST;
		failures += krun_free_ctx((uint32_t)id) != 0;
		failures += krun_free_ctx((uint32_t)id) != -ENOENT;
	}
	return (void *)failures;
}

static void threads_create_and_free(void **state)
{
	pthread_t threads[THREADS];

	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, churn, NULL),
				 0);
	for (int i = 0; i < THREADS; i++) {
		void *failures;

		assert_int_equal(pthread_join(threads[i], &failures), 0);
		assert_int_equal((intptr_t)failures, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_and_free),
		cmocka_unit_test(unknown_ctx_is_enoent_everywhere),
		cmocka_unit_test(log_level),
		API_TEST(errors_are_logged),
		API_TEST(vm_config),
		API_TEST(root_and_disks),
		API_TEST(modern_disks),
		API_TEST(shares_and_volumes),
		API_TEST(network),
		API_TEST(gvproxy_and_ports),
		API_TEST(mac),
		API_TEST(devices),
		API_TEST(workload),
		API_TEST(shutdown_eventfd),
		API_TEST(start_consumes_context),
		cmocka_unit_test(root_dax_window),
		cmocka_unit_test(threads_create_and_free),
	};

	return cmocka_run_group_tests(tests, quiet, NULL);
}
