// SPDX-License-Identifier: Apache-2.0
/*
 * shutdown-eventfd ROOT: the krun_get_shutdown_eventfd() path. Runs a
 * workload that traps SIGTERM (prints got-term, exits 42) through the
 * krun_* API; a thread copies the guest's stdout (a pipe in place of our
 * stdout) to the real one and writes 1 to the shutdown eventfd once the
 * workload printed "ready". krun_start_enter() exits with the workload's
 * status: 42 when the orderly shutdown reached it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/api/libkrun.h"

struct watcher {
	int pipe_rd;
	int out_fd; /* the real stdout */
	int shutdown_fd;
};

/* "ready" may span reads: keep the tail of what came before. */
static void *watch_stdout(void *opaque)
{
	struct watcher *w = opaque;
	char buf[4096 + 8] = "";
	size_t kept = 0;
	ssize_t n;
	int sent = 0;

	while ((n = read(w->pipe_rd, buf + kept, 4096)) > 0) {
		if (write(w->out_fd, buf + kept, (size_t)n) != n)
			break;
		buf[kept + (size_t)n] = '\0';
		if (!sent && strstr(buf, "ready")) {
			uint64_t one = 1;

			fprintf(stderr,
				"shutdown-eventfd: writing the eventfd\n");
			sent = write(w->shutdown_fd, &one, sizeof(one)) ==
			       sizeof(one);
		}
		kept = kept + (size_t)n > 4 ? 4 : kept + (size_t)n;
		memmove(buf, buf + strlen(buf) - kept, kept);
	}
	return NULL;
}

static const char *const workload[] = {
	"-c",
	"trap 'echo got-term; exit 42' TERM; echo ready; "
	"while :; do sleep 1; done",
	NULL,
};

int main(int argc, char **argv)
{
	static struct watcher w;
	pthread_t tid;
	int p[2];
	int ctx;

	if (argc != 2) {
		fprintf(stderr, "usage: shutdown-eventfd ROOT\n");
		return 2;
	}
	ctx = krun_create_ctx();
	if (ctx < 0 || krun_set_vm_config(ctx, 1, 256) < 0 ||
	    krun_set_root(ctx, argv[1]) < 0 ||
	    krun_set_exec(ctx, "/bin/sh", workload, NULL) < 0)
		return 2;
	w.shutdown_fd = krun_get_shutdown_eventfd(ctx);
	w.out_fd = dup(STDOUT_FILENO);
	if (w.shutdown_fd < 0 || w.out_fd < 0 || pipe(p) < 0 ||
	    dup2(p[1], STDOUT_FILENO) < 0)
		return 2;
	close(p[1]);
	w.pipe_rd = p[0];
	if (pthread_create(&tid, NULL, watch_stdout, &w) != 0)
		return 2;
	krun_start_enter(ctx);
	fprintf(stderr, "shutdown-eventfd: krun_start_enter returned\n");
	return 2;
}
