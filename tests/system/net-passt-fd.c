// SPDX-License-Identifier: Apache-2.0
/*
 * net-passt-fd ROOT PROGRAM [ARG...]: the caller's passt socket through the
 * krun_* API. Starts `passt -f --fd` on one end of a socketpair itself,
 * hands the other end to krun_set_passt_fd() and runs PROGRAM in the
 * guest; krun_start_enter() exits with its status.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/api/libkrun.h"

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
	const char *const env[] = {"PATH=/usr/bin:/bin", NULL};
	int sv[2], ctx;

	if (argc < 3) {
		fprintf(stderr, "usage: net-passt-fd ROOT PROGRAM [ARG...]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || start_passt(sv[1]))
		return 1;
	close(sv[1]);
	ctx = krun_create_ctx();
	if (ctx < 0 || krun_set_root(ctx, argv[1]) < 0 ||
	    krun_set_passt_fd(ctx, sv[0]) < 0 ||
	    krun_set_exec(ctx, argv[2], (const char *const *)argv + 3, env) <
		    0) {
		fprintf(stderr, "net-passt-fd: cannot configure the context\n");
		return 1;
	}
	return -krun_start_enter(ctx);
}
