/* SPDX-License-Identifier: Apache-2.0 */
/*
 * krun-run's command line. Parsing only collects what was typed (crun's
 * pattern: an option table filling a struct); run_options_build() then loads
 * the spec and applies the flags on top of it, in a fixed order, through the
 * config_* setters. Both steps report "<flag>: <problem>"; main() adds the
 * "krun-run: " prefix, prints one line and exits 125.
 */
#ifndef KRUN_CMD_RUN_OPTIONS_H
#define KRUN_CMD_RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/config/config.h"
#include "util/err.h"

#define KRUN_RUN_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Values of a repeatable flag, in command-line order (borrowed from argv). */
struct strlist {
	const char **items;
	size_t n;
};

struct run_options {
	/* Set by the caller before run_options_build(): TERM=xterm is part of
	 * the default environment only when stdin is a terminal. */
	bool stdin_is_tty;

	bool help;
	bool version;
	bool print_config;
	const char *spec_path;
	const char *bundle_dir;

	/* single-valued flags: NULL / false when not given (last one wins) */
	const char *root;
	bool read_only;
	bool root_nosetid;
	const char *fs_cache; /* --fs-cache POLICY */
	const char *root_disk;
	const char *root_partition;
	const char *cpus;
	const char *memory;
	const char *workdir;
	const char *hostname;
	const char *user;
	const char *net;
	const char *mac;
	const char *console_output;
	const char *kernel;
	bool kernel_log;
	const char *log_level;
	const char *seccomp; /* --seccomp MODE */
	bool gpu;
	const char *gpu_flags; /* --gpu=FLAGS */
	const char *gpu_shm;
	const char *root_dax; /* --root-dax SIZE */
	bool sound;
	const char *tee_config;
	const char *entrypoint;
	const char *timeout;
	const char *stop_timeout;
	const char *domainname;
	int tty;	 /* enum krun_tristate: -t, --tty=false */
	int interactive; /* enum krun_tristate: -i, --interactive=false */
	bool init;	 /* --init: krun-init always is PID 1 */
	bool rm;	 /* --rm: a run never leaves anything behind */

	/* repeatable flags: appended to what the spec set */
	struct strlist disks;
	struct strlist volumes;
	struct strlist env;
	struct strlist env_files;
	struct strlist rlimits;
	struct strlist ports;
	struct strlist vsock;
	struct strlist oem_strings;
	struct strlist shares; /* --share TAG:HOSTDIR[:GUESTPATH][:ro] */
	struct strlist mounts; /* --mount type=...,... */
	struct strlist tmpfs;
	struct strlist group_add;
	struct strlist sysctls;
	struct strlist cap_add;
	struct strlist cap_drop;
	struct strlist security_opts;

	/* COMMAND [ARG...]: points into argv; n_command 0 when absent */
	char *const *command;
	size_t n_command;
};

/* Fill *opts from argv. opts is zeroed first; free with run_options_free. */
int run_options_parse(struct run_options *opts, int argc, char *const argv[],
		      struct krun_err **err)
	__attribute__((warn_unused_result));
void run_options_free(struct run_options *opts);

/*
 * Build the configuration: a new config, then the spec (--spec / --bundle),
 * then the flags, then the CLI defaults (environment, network).
 */
int run_options_build(const struct run_options *opts, struct krun_config **out,
		      struct krun_err **err)
	__attribute__((warn_unused_result));

/* The --help text. */
extern const char run_options_usage[];

#endif
