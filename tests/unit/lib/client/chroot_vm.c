// SPDX-License-Identifier: Apache-2.0
/*
 * chroot_vm [-p] [-m MIB] [-w DIR] NEWROOT PROGRAM [ARG...]: a client in
 * the shape of libkrun's chroot example, written against <libkrun.h> only.
 * It runs PROGRAM in a 4-vCPU VM on NEWROOT with a port map, rlimits, a
 * working directory and the in-kernel IRQ chip; with -p it starts
 * `passt -f --fd` on one end of a socketpair and hands the other end to
 * krun_add_net_unixstream(). krun_start_enter() exits with PROGRAM's
 * status; any failure before that prints the call and exits 1.
 */
#define _POSIX_C_SOURCE 200809L /* getopt, fork, dup2 under -std=c99 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libkrun.h>

static int check(const char *call, int32_t ret)
{
	if (ret < 0) {
		fprintf(stderr, "chroot_vm: %s: %s\n", call, strerror(-ret));
		exit(1);
	}
	return ret;
}

static int start_passt(int sock)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (dup2(sock, 3) < 0)
			_exit(127);
		execlp("passt", "passt", "-f", "-q", "--fd", "3", (char *)NULL);
		_exit(127);
	}
	return pid < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *const port_map[] = {"18000:8000", NULL};
	const char *const rlimits[] = {"7=256:512", "RLIMIT_CORE=0:0", NULL};
	const char *const envp[] = {"PATH=/usr/bin:/bin", "KRUN_CLIENT=chroot",
				    NULL};
	uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	const char *workdir = "/";
	uint32_t ram = 512;
	int passt = 0, opt, ctx, sv[2];
	int32_t ret;

	while ((opt = getopt(argc, argv, "+pm:w:")) != -1) {
		if (opt == 'p')
			passt = 1;
		else if (opt == 'm')
			ram = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'w')
			workdir = optarg;
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr,
			"usage: chroot_vm [-p] [-m MIB] [-w DIR] NEWROOT PROGRAM [ARG...]\n");
		return 2;
	}
	check("krun_init_log",
	      krun_init_log(KRUN_LOG_TARGET_DEFAULT, KRUN_LOG_LEVEL_WARN,
			    KRUN_LOG_STYLE_AUTO, 0));
	ctx = check("krun_create_ctx", krun_create_ctx());
	check("krun_set_vm_config", krun_set_vm_config(ctx, 4, ram));
	check("krun_set_root", krun_set_root(ctx, argv[optind]));
	if (passt) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
		    start_passt(sv[1]) < 0) {
			perror("chroot_vm: passt");
			return 1;
		}
		close(sv[1]);
		check("krun_add_net_unixstream",
		      krun_add_net_unixstream(ctx, NULL, sv[0], mac,
					      COMPAT_NET_FEATURES, 0));
	}
	/* With a caller-provided proxy the forwarding is the proxy's job:
	 * the header documents -ENOTSUP for that case. */
	ret = krun_set_port_map(ctx, port_map);
	if (!(ret == 0 || (passt && ret == -ENOTSUP)))
		check("krun_set_port_map", ret);
	check("krun_set_rlimits", krun_set_rlimits(ctx, rlimits));
	check("krun_set_workdir", krun_set_workdir(ctx, workdir));
	check("krun_set_exec",
	      krun_set_exec(ctx, argv[optind + 1],
			    (const char *const *)&argv[optind + 2], envp));
	check("krun_split_irqchip", krun_split_irqchip(ctx, false));
	check("krun_start_enter", krun_start_enter(ctx));
	return 1;
}
