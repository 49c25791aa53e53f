// SPDX-License-Identifier: Apache-2.0
/*
 * A small program written against the installed libkrun.h / libkrun.so.1
 * only, the way a third-party user would, using only the calls the first
 * libkrun API had (a client of that era must keep building). Exits 0 when every call returns
 * what the API promises; prints the first mismatch otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <libkrun.h>

static int failures;

static void expect(const char *what, int32_t got, int32_t want)
{
	if (got != want) {
		fprintf(stderr, "client: %s returned %d, expected %d\n", what,
			got, want);
		failures++;
	}
}

int main(void)
{
	const char *const argv[] = {"-c", "exit 0", NULL};
	const char *const envp[] = {"PATH=/bin", NULL};
	const char *const ports[] = {"8080:80", NULL};
	const char *const rlimits[] = {"NOFILE=64:128", NULL};
	uint8_t mac[6] = {0x52, 0x54, 0x00, 0x01, 0x02, 0x03};
	int32_t ctx;

	expect("krun_set_log_level(0)", krun_set_log_level(0), 0);
	/* Above 5 is trace, as libkrun; then quiet again. */
	expect("krun_set_log_level(9)", krun_set_log_level(9), 0);
	expect("krun_set_log_level(0) again", krun_set_log_level(0), 0);
	ctx = krun_create_ctx();
	if (ctx < 0) {
		fprintf(stderr, "client: krun_create_ctx: %d\n", ctx);
		return 1;
	}
	expect("krun_set_vm_config", krun_set_vm_config(ctx, 2, 1024), 0);
	expect("krun_set_vm_config(0 vCPUs)", krun_set_vm_config(ctx, 0, 1024),
	       -EINVAL);
	expect("krun_set_root", krun_set_root(ctx, "/"), 0);
	expect("krun_add_disk2",
	       krun_add_disk2(ctx, "data", "/d.img", KRUN_DISK_FORMAT_RAW,
			      true),
	       0);
	expect("krun_set_root_disk after add_disk",
	       krun_set_root_disk(ctx, "/r.img"), -EINVAL);
	expect("krun_add_virtiofs", krun_add_virtiofs(ctx, "shared", "/srv"),
	       0);
	expect("krun_set_mapped_volumes", krun_set_mapped_volumes(ctx, argv),
	       -EINVAL);
	expect("krun_set_net_mac", krun_set_net_mac(ctx, mac), 0);
	expect("krun_set_port_map", krun_set_port_map(ctx, ports), 0);
	expect("krun_set_rlimits", krun_set_rlimits(ctx, rlimits), 0);
	expect("krun_set_workdir", krun_set_workdir(ctx, "/"), 0);
	expect("krun_set_exec", krun_set_exec(ctx, "/bin/sh", argv, envp), 0);
	expect("krun_get_shutdown_eventfd >= 0",
	       krun_get_shutdown_eventfd(ctx) >= 0, 1);
	expect("krun_free_ctx", krun_free_ctx(ctx), 0);
	expect("krun_free_ctx again", krun_free_ctx(ctx), -ENOENT);

	/* A context with nothing to run is refused, and consumed. */
	ctx = krun_create_ctx();
	expect("krun_create_ctx >= 0", ctx >= 0, 1);
	expect("krun_start_enter without exec", krun_start_enter(ctx), -EINVAL);
	expect("krun_free_ctx after start", krun_free_ctx(ctx), -ENOENT);
	return failures ? 1 : 0;
}
